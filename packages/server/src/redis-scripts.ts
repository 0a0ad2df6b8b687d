/** The Redis store's Lua scripts: each runs atomically in Redis, so what it does cannot interleave with another node's write. */

// Writes the session only if the stored version is the one the writer read. A session is one string whose header
// (\`<version> <state> <credential> \`, see redis-record.ts) this reads; the record after it is opaque here. In the
// same step: the sharer credential follows the record (an ended record keeps none), the live list and the live
// counts follow the state, and an ended session starts its retention (a later write keeps that expiry). A write that
// moves the session to another viewer (a transfer; ARGV[11] is the former viewer's index) moves it from that index to
// the top of the new viewer's (KEYS[4]), which then lives at least as long as the session may.
export const COMPARE_AND_SET = `
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local version, oldState, oldCred = string.match(stored, '^(%d+) (%S*) (%S*) ')
if version ~= ARGV[1] then return 0 end
local state, cred = ARGV[4], ARGV[5]
redis.call('SET', KEYS[1], ARGV[3], 'KEEPTTL')
if ARGV[11] ~= '' then
  redis.call('ZREM', ARGV[11], ARGV[10])
  redis.call('ZADD', KEYS[4], ARGV[12], ARGV[10])
  if redis.call('PTTL', KEYS[4]) < tonumber(ARGV[13]) then redis.call('PEXPIRE', KEYS[4], ARGV[13]) end
end
if oldCred ~= '' and oldCred ~= cred then redis.call('DEL', ARGV[9] .. oldCred) end
if cred ~= '' and cred ~= oldCred then redis.call('SET', ARGV[9] .. cred, ARGV[6], 'PX', ARGV[7]) end
if oldState ~= state then
  if oldState ~= 'ended' then redis.call('HINCRBY', KEYS[3], oldState, -1) end
  if state == 'ended' then
    redis.call('SREM', KEYS[2], ARGV[10])
    redis.call('PEXPIRE', KEYS[1], ARGV[8])
  else
    redis.call('HINCRBY', KEYS[3], state, 1)
  end
end
return 1`;

// Removes and returns due timers; ZREM makes each claim exclusive across nodes. A timer whose event is the
// machine's own name for it has no entry in the event hash ('' is returned).
export const CLAIM_DUE = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, 100)
local claimed = {}
for i = 1, #due, 2 do
  if redis.call('ZREM', KEYS[1], due[i]) == 1 then
    table.insert(claimed, due[i]); table.insert(claimed, due[i + 1])
    table.insert(claimed, redis.call('HGET', KEYS[2], due[i]) or '')
    redis.call('HDEL', KEYS[2], due[i])
  end
end
return claimed`;

// An index newest first, without (and forgetting) the sessions whose retention has ended.
export const INDEXED = `
local ids = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]))
local found = {}
for _, id in ipairs(ids) do
  if redis.call('EXISTS', ARGV[2] .. id) == 1 then table.insert(found, id) else redis.call('ZREM', KEYS[1], id) end
end
return found`;

// Drops a live key and its org entry, each only while it still belongs to the session: a regenerated key's session
// keeps its new entry when the old key is deleted.
export const DELETE_KEY = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[2]) end
return 1`;

export const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
// An in-flight idempotency record is extended, or dropped, only by the call that wrote it.
export const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
