// Writes docs/mutation-survivors.md from a StrykerJS JSON report: every surviving mutant with why no case kills it
// (EXPLAINED below, matched by file, source line and mutator), and, given the report of an earlier run, what became
// of that run's survivors. A survivor nothing here explains is listed as UNEXPLAINED: kill it with a case or explain it.
//   node conformance/scripts/mutation-survivors.mjs reports/mutation/mutation.json [earlier.json] > docs/mutation-survivors.md
import { readFileSync } from "node:fs";

// The reason the survivors of refusal.ts share: the wording of a FAILED_PRECONDITION message.
const REFUSAL =
  "equivalent for clients: which next step a FAILED_PRECONDITION message suggests, for people; programs decide on the code and the session's state";

// The reasons several survivors of the stores share.
const HEAP_TIMER_LIST =
  "not killed: which of a session's timers a cancel or a claim takes off its list; observable only when a timer should fire, which only the timer cases (mostly outside the mutation run) wait for";
const MEDIA_RECONCILE =
  "observable only through the media plane: reconciliation ends a session whose room is gone or whose LiveKit stays unreachable (rules/media-plane/*, not in the mutation run) and deletes orphan rooms (invisible to clients); an overlapping run sends the same idempotent facts";
const RATE_LIMIT =
  "not killed: the rate limiter's window, threshold and doubling back-off (ServerInfo.redeem_*); keys/rate-limit checks a RESOURCE_EXHAUSTED with a RetryDelay within limit + 2 attempts, and an exact check needs the client's bucket untouched by the other cases and the window to pass";

// The reasons several survivors of the engine and its write path share.
const ENGINE_LOCK =
  "not killed: one lock for every interaction (or every viewer) instead of one each: calls on different interactions or viewers wait for each other (a start holds both while LiveKit creates the room); observable only as latency (with Redis, as a call that fails after some 4 s of contention), which no case measures";
const EVICT_FORMER_VIEWER =
  "observable only through the media plane: the former viewer is not removed from the media room (or another identity is), and a LiveKit that refuses the removal is not answered with UNAVAILABLE; media/transfer-moves-the-viewer (real peers) is not in the mutation run";
const TO_NAME_DROPPED =
  "not killed in this run: the transfer's display name is not stored, so the history's VIEWER_TRANSFERRED event (GetSessionHistory, and every WatchSession stream, which replays the history) has an empty viewer_display_name; transfer/voice-key-follows-the-call checks it since df95e21, after this run";
const MEDIA_FACTS_AFTER_TRANSFER =
  "observable only through media facts: after a transfer the record keeps the former viewer's participant SID and fact times (the new viewer's LiveKit webhooks are judged against them), or with `{}` forgets the sharer's too (the sharer's next 'left' no longer matches, a stale fact applies); webhook cases (rules/media-plane/*, media/*) are not in the mutation run";

// The reasons several survivors of the Redis store share.
const REDIS_CANCEL_TIMER =
  "not killed: a cancelled timer stays armed and fires; the machine applies a timer's event only in a state that arms that timer, and entering one arms it again under the same id (ZADD replaces the stale entry's time) right after the write, so only a stale timer falling due between that write and the re-arming acts: a race no client can force";
const REDIS_LISTENER_LEAK =
  "equivalent for clients: a closed stream's listener and the Redis subscription of its channel stay (memory; messages go to a queue nobody reads)";
/** [file, text on the mutant's line, mutator or "*", why]. The first match explains a survivor. */
const EXPLAINED = [
  // Wording: every error keeps a message (each case checks that), but what the message says is for people.
  // refusal() answers FAILED_PRECONDITION whatever it computes (a mutant that throws instead is killed): what survives
  // there changes only the advice in the message.
  ["refusal.ts", "*", "*", REFUSAL],
  [
    "security-keys.ts",
    "Math.ceil(wait / 1000)",
    "ArithmeticOperator",
    "equivalent for clients: the seconds in the message; RetryDelay carries the delay (checked)",
  ],
  [
    "validation.ts",
    'join("; ")',
    "StringLiteral",
    "equivalent for clients: the separator between several violations in the message; each FieldViolation is checked",
  ],
  // The accepted-token cache: it only saves a signature check.
  ["auth.ts", "expiresAt: exp * 1000", "*", "equivalent for clients: how long an accepted token stays cached; a token is still verified when the cache misses"],
  ["auth.ts", "if (known !== undefined) return known", "*", "equivalent for clients: the cache never used, every token verified"],
  [
    "auth.ts",
    "ttl: Math.max(checked.expiresAt - now(), 1)",
    "MethodExpression",
    "equivalent for clients: every token cached for 1 ms at most, so verified again",
  ],
  [
    "auth.ts",
    'header.get("authorization") ?? ""',
    "*",
    "equivalent: a missing header and the mutated default both fail the Bearer pattern: UNAUTHENTICATED either way",
  ],
  ["auth.ts", 'header.alg === "HS256"', "*", "equivalent here: the mutation run's server has no JWKS, so every accepted token is HS256"],
  [
    "auth.ts",
    "exp - iat > maxLifetime",
    "*",
    "not a protocol promise: the longest token lifetime (12 h) is the reference server's policy (docs/security.md), not the proto's",
  ],
  // Defences behind another check that already refuses.
  ["security-keys.ts", "attempt < 50", "*", "equivalent: 51 instead of 50 tries to find a free key in a space of 10^L"],
  [
    "security-keys.ts",
    "async release(",
    "*",
    "equivalent for clients: release() only keeps the key index as small as the live keys (memory, digits free to issue again); redemption checks the session's own key, so a key left in the index answers NOT_FOUND; observable only as an earlier RESOURCE_EXHAUSTED in a 2-digit key space (keys/key-space-exhausted, not in the mutation run)",
  ],
  ["security-keys.ts", "const client = `client:", "*", "equivalent for one client address: the per-client bucket's name; the suite calls from one address"],
  ["security-keys.ts", "withLock(`redeem:", "*", "equivalent for clients: the name of the lock that serialises an org's redeems"],
  [
    "security-keys.ts",
    "record.securityKey?.hash ??",
    "*",
    "not killed: the one guard against a stale key-index entry (fail closed); the reference server's index is stale only between a session write and the clean-up right after it, a window no client can hit on purpose",
  ],
  [
    "security-keys.ts",
    "!key?.attemptsRemaining",
    "*",
    "equivalent: only a stale index entry (no key) or a spent key whose index removal failed gets here; a key leaves the index as it reaches 0, under the org's redeem lock",
  ],
  ["security-keys.ts", "after?.securityKey", "*", "equivalent: undefined only for a session deleted between the listing of the org's keys and the update"],
  [
    "credentials.ts",
    "credential.expiresAt < Date.now()",
    "*",
    "not killed: a customer credential's expiry shows only after its lifetime (4 h by default, not shortened for the suite: chat cases hold one); the store drops it at the same moment, so only an open WatchInvitations stream outlives it",
  ],
  // Streams: timing, not content.
  ["*", "wake?.()", "*", "equivalent: wake is only unset while the loop is not waiting, and the event is already queued"],
  [
    "*",
    'addEventListener("abort"',
    "*",
    "equivalent for clients: the server notices a client that went away at the next wake-up instead of at once (resources only)",
  ],
  ["media-sync.ts", "} finally {", "BlockStatement", MEDIA_RECONCILE],
  ["*", "} finally {", "BlockStatement", "equivalent for clients: the subscription of a closed stream is not released (a leak, invisible on the wire)"],
  // The stream loop (services/wake-ups.ts, shared by WatchSession and WatchInvitations).
  [
    "services/wake-ups.ts",
    'on(emitter, "message", { signal })',
    "*",
    "equivalent for clients: the loop of a client that went away ends at its next wake-up instead of at once (resources only)",
  ],
  [
    "services/watch.ts",
    'credential?.kind === "sharer" && credential.sessionId',
    "*",
    "equivalent: only reached without a viewer, that is with a sharer credential, so the kind check is always true there",
  ],
  [
    "services/watch.ts",
    "event.session?.viewerUserId !== viewer.userId",
    "*",
    "not killed: differs only when one wake-up reads an event of the former viewer's time and the transfer together, a race no client can force",
  ],
  [
    "services/sharer.ts",
    "if (change) yield change",
    "*",
    "not killed: an empty message at each 5 s re-check of an invitation stream with nothing new; no fast case keeps one open that long",
  ],
  [
    "services/sharer.ts",
    "const scope = `sharer/",
    "*",
    "not killed in the mutation run: the scope of PauseSharing and UnpauseSharing keys, which need a sharing session, that is a media peer (media/pause-* cases, not in the mutation run)",
  ],
  [
    "services/sharer.ts",
    "pauseCommand(request, context, PauseSharingResponseSchema",
    "*",
    "observable only with media: PauseSharing needs a sharing session, that is a media peer (media/pause-* cases, not in the mutation run)",
  ],
  [
    "interactions.ts",
    "if (interaction.agentUserId !== agentUserId)",
    "ConditionalExpression:true",
    "equivalent: transferring to the agent who has the interaction writes it again unchanged",
  ],
  [
    "*",
    'engine.joinInfo("',
    "*",
    "observable only with media: a join token of the wrong role is refused by LiveKit; media/* cases (real peers) are not in the mutation run",
  ],
  ["services/sharer.ts", 'digest("base64url")', "*", "equivalent: the digest's encoding; the idempotency scope stays one per credential"],
  // The engine and its write path.
  ["engine.ts", '? "voice" : "chat"', "*", "equivalent: the machine only asks whether the channel is voice"],
  ["engine.ts", 'lastSequence: "0"', "*", "equivalent: an empty sequence reads as 0"],
  [
    "engine.ts",
    "try {",
    "BlockStatement",
    "observable only through the media plane: no room is created (start), or the former viewer is not removed from it (transfer); media/* and the media-outage case are not in the mutation run",
  ],
  [
    "engine.ts",
    "next.sharerCredential || !isLive",
    "*",
    "equivalent: every flow asks for the sharer credential once per session (a retry gets the stored answer)",
  ],
  [
    "engine.ts",
    "!record?.sharerCredential",
    "*",
    "not killed: only a session ending between redemption and the credential's write reaches it, a race no client can force",
  ],
  ["session-writer.ts", '"SESSION_STARTED"', "*", "not a protocol promise: SessionEvent.trigger is informational (session.proto); clients decide on state"],
  ["session-writer.ts", "tries < MAX_WRITE_ATTEMPTS", "*", "equivalent: 51 instead of 50 compare-and-set attempts"],
  [
    "session-writer.ts",
    "if (!record) throw new ConnectError",
    "*",
    "equivalent: every caller found the session first; only an ended session dropped by retention in between reaches it",
  ],
  [
    "session-writer.ts",
    "if (!record) return undefined",
    "*",
    "equivalent: every caller found the session first; only an ended session dropped by retention in between reaches it",
  ],
  ["session-writer.ts", "this.keys.release(", "*", "same as security-keys release(): a revoked key left in the index finds no live key"],
  ["session-writer.ts", 'case "deleteMediaRoom"', "*", "observable only through the media plane (media/out-of-room-after-end, not in the mutation run)"],
  ["session-writer.ts", "later.push(() =>", "ArrowFunction", "observable only through the media plane (media/out-of-room-after-end, not in the mutation run)"],
  ["session-writer.ts", 'faults.has("skip-event-sequence")', "*", "equivalent: the fault switch's guard"],
  // The rest of the engine and its write path (run 3's survivors).
  ["engine.ts", "Lock = (orgId: string", "StringLiteral", ENGINE_LOCK],
  [
    "engine.ts",
    "this.media.token(role, record.id, record.machine.context.transfers ?? 0)",
    "*",
    "not killed: after a transfer the new viewer's media token has the first viewer's identity (participant_identity viewer-<session>), so to LiveKit the former viewer's earlier token is the same participant; no transfer case asks for the new viewer's join info (media/transfer-moves-the-viewer does, not in the mutation run)",
  ],
  [
    "engine.ts",
    "return records",
    "MethodExpression",
    "not killed: unsorted, ListLiveSessions lists the org's live sessions in the store's order (memory: oldest first), not newest first as monitor_service.proto promises; no case in the mutation run (monitor/* is not) lists two live sessions of an org",
  ],
  [
    "engine.ts",
    ".sort((a, b) => b.machine.context.createdAt",
    "*",
    "not killed: unsorted, ListLiveSessions lists the org's live sessions in the store's order (memory: oldest first), not newest first as monitor_service.proto promises; no case in the mutation run (monitor/* is not) lists two live sessions of an org",
  ],
  [
    "engine.ts",
    "isLive(record.machine) && record.machine.context.viewerUserId === toAgentUserId",
    "ConditionalExpression:true",
    "not killed, or equivalent: `true` for `isLive && viewer === to` lists a session that ends TRANSFER_TARGET_BUSY after an earlier transfer in transferred_sessions, not ended_sessions (transfer/target-busy-ends-the-share transfers a session never transferred before); `true` for `viewer === to` alone is equivalent (see the LogicalOperator)",
  ],
  [
    "engine.ts",
    "isLive(record.machine) && record.machine.context.viewerUserId === toAgentUserId",
    "LogicalOperator",
    "equivalent: after transferSession a session is live exactly when it is the new agent's (moved, or already theirs and listed live); one left with the former viewer has ended (busy, or ended meanwhile), as the machine takes VIEWER_TRANSFERRED and TRANSFER_TARGET_BUSY in every live state",
  ],
  [
    "engine.ts",
    'endReason === "TRANSFER_TARGET_BUSY"',
    "*",
    "not killed: a transfer to the agent who already has a never-transferred live session lists it in ended_sessions; transfer/same-agent-and-retries checks that transfer's transferred_sessions but not its ended_sessions (a session ending between the listing and the transfer's write would also be listed, a race no client can force)",
  ],
  ["engine.ts", "private async evictFormerViewer(", "BlockStatement", EVICT_FORMER_VIEWER],
  ["engine.ts", "const transfers = record.machine.context.transfers ?? 0", "*", EVICT_FORMER_VIEWER],
  [
    "engine.ts",
    "if (transfers === 0) return",
    "ConditionalExpression:false",
    "equivalent: transfer() calls evictFormerViewer only for a session with transfers >= 1",
  ],
  ["engine.ts", "if (transfers === 0) return", "*", EVICT_FORMER_VIEWER],
  ["engine.ts", 'identityOf("viewer", record.id, transfers - 1)', "*", EVICT_FORMER_VIEWER],
  [
    "session-writer.ts",
    "toName: target.toViewerDisplayName",
    "ConditionalExpression:true",
    "equivalent, or as the other line's mutants: `true` for `toViewerDisplayName !== undefined` stores { toName: undefined } for a transfer without a name, which JSON drops and the replay reads as no name; `true` for the whole `&&` spreads nothing: the name is lost (see the other mutants of the line)",
  ],
  ["session-writer.ts", "toName: target.toViewerDisplayName", "*", TO_NAME_DROPPED],
  [
    "session-writer.ts",
    "const moved = formerViewerKey !==",
    "ConditionalExpression:true",
    "equivalent: a write that moves no session lists it first in its own viewer's list again, where it already is: only a live session changes, and a viewer's live session is their newest (starts are refused while one is live; a transfer lists it first)",
  ],
  [
    "session-writer.ts",
    "if (result !== LOST) return result",
    "ConditionalExpression:true",
    "not killed: a write that loses the compare-and-set returns the retry marker instead of retrying, and the call fails; on the memory store, which this code is mutated against, no write loses (see memory-store.ts's version check); on Redis, concurrent writes to one session lose (keys/concurrent-regenerations-lose-no-event)",
  ],
  [
    "session-writer.ts",
    'case "muteScreen"',
    "*",
    "observable only through the media plane: a pause does not mute the screen tracks (with none published there is nothing to mute); the pause cases with real peers are not in the mutation run",
  ],
  [
    "session-writer.ts",
    'case "unmuteScreen"',
    "*",
    "observable only through the media plane: the server does not unmute the screen after a pause, which the sharer's page does itself too; the pause cases with real peers are not in the mutation run",
  ],
  ["session-writer.ts", 'case "evictFormerViewer"', "*", MEDIA_FACTS_AFTER_TRANSFER],
  ["session-writer.ts", "viewer: undefined };", "ObjectLiteral", MEDIA_FACTS_AFTER_TRANSFER],
  [
    "session-writer.ts",
    "if (transfer) entry.push(transfer)",
    "ConditionalExpression:true",
    "equivalent: an entry without a transfer is stored with a fifth element null (JSON of an undefined array element), which every reader takes as no transfer",
  ],
  // The stores. Code whose only effect is memory or the metrics gauge carries Stryker disable comments (memory-store.ts,
  // heap.ts); what follows is what a client could see in principle.
  [
    "memory-store.ts",
    "stored?.version !== record.version - 1",
    "*",
    "equivalent on the memory store: a write's read-to-write never yields to another request (every store call settles in microtasks), so no write can lose; Redis's COMPARE_AND_SET version check is what keys/concurrent-regenerations-lose-no-event catches",
  ],
  [
    "memory-store.ts",
    "record.sharerCredential && record.sharerCredential !== previous.sharerCredential",
    "*",
    "equivalent: the credential entry written again under the same token with the same absolute deadline (an undefined token cannot be presented)",
  ],
  [
    "memory-store.ts",
    "deadlines.maxDuration - Date.now()",
    "*",
    "equivalent: the credential lives longer in the map, but the write that ends the session (at the latest at maxDuration) revokes it",
  ],
  [
    "memory-store.ts",
    "state !== stored.state",
    "*",
    "not killed: an ended session stays in the live list (start-up re-arming, media reconciliation and ListLiveSessions re-check the state) and never starts its retention (30 days by default, too long to wait for)",
  ],
  ["memory-store.ts", 'if (state === "ended") {', "*", "same as `state !== stored.state`: the live list and the retention of an ended session"],
  ["memory-store.ts", ".slice(0, limit)", "*", "equivalent: the one caller with a limit (liveSessionOf) reads only the first id"],
  ["memory-store.ts", "this.indexes.get(key) ?? []", "*", "equivalent: a missing index lists an id no session has, which every reader skips"],
  [
    "memory-store.ts",
    "if (this.keys.has(hash)) return false",
    "*",
    "not killed: observable only when a new key collides with a live one of the org (keys/key-space-exhausted, 2-digit keys, not in the mutation run)",
  ],
  [
    "memory-store.ts",
    "=== sessionId) ",
    "*",
    "equivalent: deleteKey runs for a key the session held, and a hash belongs to one session at a time (putKey refuses a live one); a stale org entry names a session whose own key hash redemption checks",
  ],
  ["memory-store.ts", "entry.expiresAt > Date.now()", "*", "equivalent: expire() has just dropped every entry due by now, so every entry left is still valid"],
  [
    "memory-store.ts",
    "if (set.size === 0) this.channels.delete(channel)",
    "*",
    "equivalent for clients: the channel of the last listener that left is kept (memory only; publishing to it reaches nobody either way)",
  ],
  [
    "memory-store.ts",
    "else if (Array.isArray(ids))",
    "*",
    "equivalent: unindex is only called for an id its index holds, so a missing index or a lone id of another session never reaches this branch",
  ],
  ["memory-store.ts", "if (at >= 0) ids.splice(at, 1)", "*", "equivalent: the id is always found (unindex is only called for an id its index holds)"],
  [
    "memory-store.ts",
    "if (ids.length === 1) this.indexes.set(key, ids[0] as string)",
    "ConditionalExpression:false",
    "equivalent for clients: a lone id kept as a one-element list instead of itself (memory only)",
  ],
  [
    "memory-store.ts",
    "if (ids.length === 1) this.indexes.set(key, ids[0] as string)",
    "*",
    "not killed: keeping only the first id drops a former viewer's other sessions when they had three or more; transfer/former-viewer-keeps-their-other-sessions gives them one. A gap to close",
  ],
  [
    "memory-store.ts",
    "const byDueTime = (a: Expiry, b: Expiry) => a.at - b.at",
    "*",
    "equivalent within a run: a misordered expiry heap only drops entries past their retention later; every reader checks its entry's own expiry",
  ],
  [
    "memory-store.ts",
    "popUntil(this.expiries, (entry) => entry.at, now)",
    "*",
    "equivalent within a run: the sweep then drops nothing (memory held); every reader checks its entry's own expiry",
  ],
  [
    "memory-store.ts",
    "this.results.get(scope)?.result === result",
    "*",
    "not killed: a failed call's cleanup would also drop a newer result under the same scope, which only a retry started while the failed call still runs can create",
  ],
  ["memory-store.ts", "known.expiresAt > Date.now()", "*", "equivalent: expire() has just dropped every result due by now"],
  ["memory-store.ts", "state.blockedUntil - now) + STRIKE_MEMORY_MS", "*", "equivalent for clients: how long the limiter's entry is kept (memory)"],
  [
    "memory-store.ts",
    "state.blockedUntil > now ? state.blockedUntil - now : 0",
    "*",
    "not killed: the length of a block (RetryDelay) is checked only as non-zero (keys/rate-limit); an exact check needs the client's bucket untouched by the other cases",
  ],
  [
    "memory-store.ts",
    "async cancelTimer(",
    "*",
    "not killed: a cancelled timer still fires; its event is ignored unless the session is again in a state it applies to, which only the timer cases (mostly outside the mutation run) wait for",
  ],
  [
    "memory-store.ts",
    "return async () => {",
    "BlockStatement",
    "equivalent for clients: a closed stream's listener stays subscribed (memory; it writes to a queue nobody reads)",
  ],
  [
    "memory-store.ts",
    "this.expiries.push({ at, kind, key })",
    "*",
    "not killed: entries never expire; observable only when a retention ends (30 days for sessions and interactions; credentials and idempotency results check their own expiry)",
  ],
  [
    "memory-store.ts",
    "private expire(now",
    "*",
    "not killed: entries never expire; observable only when a retention ends (30 days for sessions and interactions; credentials and idempotency results check their own expiry)",
  ],
  // The Redis store: the mutation run tests it with the store-dependent fast cases and the 1 s timer cases against one
  // server process on Redis (conformance/src/mutation/groups.ts).
  [
    "redis-store.ts",
    '.zremrangebyscore(key, "-inf"',
    "StringLiteral",
    "equivalent: Redis reads an empty score bound as 0, and every index entry's score (a start time, epoch ms) is positive, so the same entries are pruned",
  ],
  [
    "redis-store.ts",
    'if (state === "ended") record =',
    "*",
    "not killed: an ended record keeps its sharerCredential field (the credential itself is still revoked: the script gets ''); only engine.sharerCredential reads the field, and it would hand out the revoked token instead of FAILED_PRECONDITION only for a session that already held one and ended between its accept or redemption and that read, a race no client can force",
  ],
  [
    "redis-store.ts",
    "deadlines.maxDuration - Date.now()",
    "*",
    "equivalent: the credential key lives longer in Redis, but the write that ends the session (at the latest at maxDuration) deletes it",
  ],
  [
    "redis-store.ts",
    'formerViewerKey === undefined ? ""',
    "*",
    "observable only through the media plane: every write, not only a transfer, moves the session to the top of its viewer's index (scored by the write's time); the order of a viewer's sessions changes only with a write to an ended session after its viewer started a newer one, which only LiveKit webhook facts make (a participant or observer leaving the deleted room; media/* not in the mutation run): ListSessions would then list the old one first and liveSessionOf would miss the live one",
  ],
  [
    "redis-store.ts",
    'if (set !== "OK") return false',
    "*",
    "not killed: observable only when a new key collides with a live one of the org (keys/key-space-exhausted, 2-digit keys, not in the mutation run): it would be issued twice and redeem the older session",
  ],
  [
    "redis-store.ts",
    "eval(DELETE_KEY, 2,",
    "StringLiteral",
    "equivalent for clients: the org's key list (orgkeyhashes, the emptied name; the key's own entry is still deleted) keeps the entries of keys gone; a wrong guess then also reads those sessions, whose update finds no live key (security-keys `!key?.attemptsRemaining`) and writes nothing: time and memory only",
  ],
  [
    "redis-store.ts",
    "const giveUpAt = Date.now() + IDEMPOTENT_WAIT_MS",
    "*",
    "not a protocol promise: how long a retry waits for a still-running call with its key before UNAVAILABLE (30 s) is the reference server's policy; any RPC may answer UNAVAILABLE, safe to retry with the same idempotency_key (the protos' service comments); no case sends two calls with one key at once either",
  ],
  [
    "redis-store.ts",
    "Buffer.concat([Buffer.from([IN_FLIGHT])",
    "*",
    "equivalent for clients: the in-flight record's owner token without its IN_FLIGHT byte (a UUID's first character is a hex digit, never RESULT, so waiting retries still see a running call) or emptied (every owner alike): the token only tells a call's record from a successor's, and a successor exists only once the record lapsed under a running call (its node stalled or cut off from Redis for inFlightMs, 10 s), which no client can cause",
  ],
  [
    "redis-store.ts",
    "}, inFlightMs / 3)",
    "*",
    "observable only with a call that runs longer than inFlightMs (10 s): its in-flight record lapses before the first heartbeat, and a retry during the call runs it a second time; the suite's calls settle in milliseconds",
  ],
  [
    "redis-store.ts",
    "if (value === null) continue;",
    "ConditionalExpression:true",
    "equivalent for clients: a waiting retry tries SET NX again at once instead of after 25 ms, and still returns the first result when it is written",
  ],
  [
    "redis-store.ts",
    "if (value === null) continue;",
    "*",
    "not killed: a retry whose first call failed and left while it waited would wait out the 30 s and answer UNAVAILABLE instead of running again; only a first call failing during a concurrent retry reaches it, a race no client can force",
  ],
  ["redis-store.ts", "if (Date.now() > giveUpAt)", "EqualityOperator", "equivalent: the last millisecond of the 30 s wait"],
  [
    "redis-store.ts",
    "if (Date.now() > giveUpAt)",
    "*",
    "observable only with a call that runs longer than 30 s: a retry then waits for it instead of answering UNAVAILABLE; the suite's calls settle in milliseconds",
  ],
  [
    "redis-store.ts",
    "if (value?.[0] === RESULT)",
    "OptionalChaining",
    "not killed: only a record that vanishes between this call's SET NX and its GET (the first call with the key failing at that instant, or its result expiring) reaches it; the call then fails (INTERNAL) instead of running again: a race no client can force",
  ],
  [
    "redis-store.ts",
    "withLock(`limit:",
    "*",
    "equivalent for clients: the name of the lock that serialises a subject's wrong attempts; one lock for every subject only makes wrong attempts wait for each other (a read and a write each)",
  ],
  [
    "redis-store.ts",
    "state.blockedUntil - now) + STRIKE_MEMORY_MS",
    "*",
    "observable only after STRIKE_MEMORY_MS (1 day) without a wrong attempt: the limiter's strikes (the doubling back-off) are then kept for decades instead of forgotten",
  ],
  [
    "redis-store.ts",
    "if (eventType === timerEventType(id as TimerName))",
    "*",
    "equivalent: every timer the machine arms carries the machine's own event for its name (host.ts: eventType = timerEventType(id)), so storing the event or not gives the same event when claimed",
  ],
  ["redis-store.ts", "async cancelTimer(", "*", REDIS_CANCEL_TIMER],
  ["redis-store.ts", "const member = `", "StringLiteral", `${REDIS_CANCEL_TIMER} (here in cancelTimer: the member emptied, nothing removed)`],
  [
    "redis-store.ts",
    "const due: DueTimer[] = []",
    "ArrayDeclaration",
    "equivalent: an extra entry with no session; applying it finds none (NOT_FOUND, which engine.fact drops), and the timers claimed with it fire as before",
  ],
  [
    "redis-store.ts",
    "claimed[index + 2] ||",
    "ArithmeticOperator:index - 2",
    "not killed: the first timer of a poll still gets its default event, but every further timer claimed in the same 25 ms poll gets the previous one's fire time as its event, which the machine ignores (that timer is lost); the timer cases arm one timer at a time: a case whose sessions' timers fall due together (keys of several sessions started at once expiring) would kill it",
  ],
  [
    "redis-store.ts",
    "if (set.size === 0) await this.subscriber.subscribe(name)",
    "ConditionalExpression:true",
    "equivalent: SUBSCRIBE to a channel the connection already listens on is a no-op in Redis (each message still comes once)",
  ],
  ["redis-store.ts", "return async () => {", "BlockStatement", REDIS_LISTENER_LEAK],
  ["redis-store.ts", "if (set.size === 0) {", "*", REDIS_LISTENER_LEAK],
  [
    "redis-store.ts",
    '(await this.redis.set(name, token, "PX", 10_000, "NX")) !== "OK"',
    "*",
    "observable only with several server processes on one Redis (the suite runs one): the lease is taken without waiting for another process's, while this process's own queue (KeyedLock) still serialises its callers; the `===` one also waits 10 ms after taking it",
  ],
  [
    "redis-store.ts",
    "(await transaction.exec()) ?? []",
    "*",
    "observable only when Redis fails a command inside a MULTI (out of memory, a read-only replica): the write is then reported done; the suite's Redis never fails one",
  ],
  [
    "heap.ts",
    "if (!this.unlink(sessionId, id)) return",
    "*",
    "same as memory-store cancelTimer: a timer left armed fires an event the machine ignores, or it only changes the stale count (memory)",
  ],
  [
    "heap.ts",
    "delete(sessionId: string, id: string): void {",
    "BlockStatement",
    "same as memory-store cancelTimer: a timer left armed fires an event the machine ignores",
  ],
  ["heap.ts", "due(top) <= limit", "EqualityOperator", "equivalent: an entry due exactly now waits for the next poll or sweep (milliseconds later)"],
  ["heap.ts", "if (this.unlink(top.sessionId, top.id, top))", "*", "same as memory-store cancelTimer: a stale entry fires an event the machine ignores"],
  ["heap.ts", "if (timer.id !== id || (only && timer !== only))", "*", HEAP_TIMER_LIST],
  ["heap.ts", "if (previous) previous.next", "*", HEAP_TIMER_LIST],
  ["heap.ts", "else if (timer.next) this.bySession.set", "*", HEAP_TIMER_LIST],
  ["heap.ts", "return false;", "*", HEAP_TIMER_LIST],
  ["heap.ts", "const due: DueTimer[] = []", "*", HEAP_TIMER_LIST],
  ["store.ts", "now - state.windowStart >= windowMs", "*", RATE_LIMIT],
  ["store.ts", "state.failures >= limit", "*", RATE_LIMIT],
  ["store.ts", "state.strikes++", "*", RATE_LIMIT],
  ["store.ts", "windowMs * 2 ** (state.strikes - 1)", "*", RATE_LIMIT],
  ["media-sync.ts", "async reconcileMedia(", "*", MEDIA_RECONCILE],
  ["media-sync.ts", "for (const room of rooms) {", "*", MEDIA_RECONCILE],
  ["media-sync.ts", "if (this.reconciling) return", "*", MEDIA_RECONCILE],
  ["media-sync.ts", "this.reconciling = ", "*", MEDIA_RECONCILE],
  ["media-sync.ts", "try {", "BlockStatement", MEDIA_RECONCILE],
  ["media-sync.ts", "rooms.map((room) => room.sessionId)", "*", MEDIA_RECONCILE],
  ["media-sync.ts", "live.filter((id) => !present.has(id))", "*", MEDIA_RECONCILE],
  ["media-sync.ts", "liveIds.has(room.sessionId) ||", "*", MEDIA_RECONCILE],
  ["media-sync.ts", "this.mediaDownSince !== undefined", "*", "equivalent for clients: only whether 'LiveKit answers again' is logged"],
  [
    "timer-runner.ts",
    "if (polling) return",
    "*",
    "equivalent: overlapping polls claim disjoint timers (a claim removes them from the store), so no timer fires twice",
  ],
  [
    "timer-runner.ts",
    "polling = true",
    "*",
    "equivalent: overlapping polls claim disjoint timers (a claim removes them from the store), so no timer fires twice",
  ],
  ["timer-runner.ts", "this.claimFailing", "*", "equivalent for clients: only whether 'due timers are claimed again' is logged"],
  ["timer-runner.ts", "claimFailing = false", "*", "equivalent for clients: only whether 'due timers are claimed again' is logged"],
  ["timer-runner.ts", "const key = `", "*", "equivalent for clients: the back-off of a timer whose event the store could not take (store failures only)"],
];

const [path, earlierPath] = process.argv.slice(2);
const report = JSON.parse(readFileSync(path ?? "reports/mutation/mutation.json", "utf8"));
const testName = new Map(Object.values(report.testFiles ?? {}).flatMap((file) => file.tests.map((test) => [test.id, test.name])));
const short = (file) => file.replace("packages/server/src/", "");

function explain(file, line, mutant) {
  for (const [where, text, mutator, why] of EXPLAINED) {
    if (where !== "*" && where !== short(file)) continue;
    if (text !== "*" && !line.includes(text)) continue;
    const [name, replacement] = mutator.split(":");
    if (mutator !== "*" && (name !== mutant.mutatorName || (replacement && replacement !== mutant.replacement))) continue;
    return why;
  }
  return "UNEXPLAINED";
}

const counts = {};
const sections = [];
for (const [file, { source, mutants }] of Object.entries(report.files)) {
  const lines = source.split("\n");
  const rows = [];
  for (const mutant of mutants) {
    counts[mutant.status] = (counts[mutant.status] ?? 0) + 1;
    if (mutant.status !== "Survived") continue;
    const line = lines[mutant.location.start.line - 1] ?? "";
    rows.push(
      `- ${mutant.location.start.line}: ${mutant.mutatorName} \`${mutant.replacement.replace(/\s+/g, " ").slice(0, 70)}\`: ${explain(file, line, mutant)}`,
    );
  }
  if (rows.length) sections.push(`### ${short(file)}\n\n${rows.join("\n")}\n`);
}
const detected = (counts.Killed ?? 0) + (counts.Timeout ?? 0);
const covered = detected + (counts.Survived ?? 0);
console.log(`# Surviving mutants\n`);
console.log(
  `Generated by \`node conformance/scripts/mutation-survivors.mjs\` from the run in docs/conformance.md: ${covered} covered mutants, ${detected} killed or timed out, ${counts.Survived ?? 0} survived (${((100 * detected) / covered).toFixed(1)}%). Each survivor with why no conformance case kills it: *equivalent* (no client can tell it from the reference server), *not a protocol promise* (the reference server's own policy), *not killed* (a real gap, with the reason it stays open).\n`,
);
console.log(sections.join("\n"));

if (earlierPath) {
  const earlier = JSON.parse(readFileSync(earlierPath, "utf8"));
  const now = new Map();
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    const lines = source.split("\n");
    for (const mutant of mutants) now.set(`${file}|${mutant.mutatorName}|${mutant.replacement}|${lines[mutant.location.start.line - 1]?.trim()}`, mutant);
  }
  const rows = [];
  for (const [file, { source, mutants }] of Object.entries(earlier.files)) {
    const lines = source.split("\n");
    for (const mutant of mutants.filter((item) => item.status === "Survived")) {
      const text = lines[mutant.location.start.line - 1]?.trim();
      const current = now.get(`${file}|${mutant.mutatorName}|${mutant.replacement}|${text}`);
      const fate = !current
        ? "code changed since (no such mutant now)"
        : current.status === "Survived"
          ? "still survives (above)"
          : current.status === "Killed"
            ? `killed by ${(current.killedBy ?? []).map((id) => testName.get(id) ?? id).join(", ")}`
            : current.status;
      rows.push(`- ${short(file)}:${mutant.location.start.line} ${mutant.mutatorName} \`${mutant.replacement.replace(/\s+/g, " ").slice(0, 50)}\`: ${fate}`);
    }
  }
  console.log(
    `## The earlier run's ${rows.length} survivors\n\nWhat became of each survivor of ${earlierPath.split("/").at(-1)} (line numbers of that run's sources; a test is a group of cases, see docs/conformance.md):\n`,
  );
  console.log(rows.join("\n"));
}
