// How the Redis store writes a session: one string per session, `<version> <state> <credential> ` (what the
// compare-and-set script reads) followed by the record, JSON deflated with a preset dictionary. A record is about
// 0.8 to 1.5 KB of JSON that is mostly the same names in every session; with the dictionary it takes 150 to 250
// bytes, and a string costs Redis far less than a hash of four fields whose record is too long for a listpack.
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { SessionRecord } from "./store.js";

/**
 * The byte after the header says how the record was written, so that a later dictionary can be added beside this
 * one and records written with this one stay readable. This dictionary must never change.
 */
const DEFLATE_WITH_DICTIONARY_1 = 1;

/**
 * JSON a record is made of (field names, states, events, the default timeouts). Any record can be written with it:
 * a field it does not contain only compresses less well. zlib looks back from the end, so the commonest text is last.
 */
const DICTIONARY_1 = Buffer.from(
  [
    '"ADMINISTRATOR_TERMINATED","INTERACTION_DISCONNECTED","MEDIA_FAILED","SHARER_UNSUPPORTED","SCREEN_PICKER_CLOSED",',
    '"INVITATION_DECLINED","INVITATION_ACCEPTED","KEY_REGENERATED","SHARER_RESUMED","VIEWER_RESUMED","SHARER_DISCONNECTED",',
    '"VIEWER_DISCONNECTED","SCREEN_TRACK_UNPUBLISHED","TIMEOUT:acceptanceTimeout","TIMEOUT:screenSelectionTimeout",',
    '"TIMEOUT:viewerReconnectGrace","TIMEOUT:sharerReconnectGrace","TIMEOUT:maxSessionDuration","TIMEOUT:securityKeyTtl",',
    '"lifecycle":"ended","reason":"awaitingAcceptance","selectingScreen","sharerReconnecting","viewerReconnecting",',
    '"sharer":"disconnected","viewer":"disconnected","mediaFactAt":{"viewer":,"sharer":},"joinedAt":{"viewer":,"sharer":},',
    '"participants":{"viewer":"PA_","sharer":"PA_"},"sharerCredential":"shr_","securityKey":{"key":"","hash":"","expiresAt":',
    ',"attemptsRemaining":5},"lastSequence":"","history":[["SESSION_STARTED",1,,1],["KEY_REDEEMED",2,,2],["SHARER_JOINED",3,,3],',
    '["VIEWER_JOINED",3,,4],["SCREEN_TRACK_PUBLISHED",3,,5],["VIEWER_CANCELLED",1,],["VIEWER_LEFT",1,],["SHARER_STOPPED",2,],',
    '{"id":"","version":,"machine":{"status":"active","value":{"live":{"lifecycle":"awaitingKeyRedemption","viewer":"connected",',
    '"sharer":"connected"}},"historyValue":{},"context":{"sessionId":"","orgId":"","interactionId":"","viewerUserId":"",',
    '"channel":"voice","channel":"chat","timeouts":{"securityKeyTtlMs":300000,"acceptanceTimeoutMs":120000,',
    '"screenSelectionTimeoutMs":120000,"viewerReconnectGraceMs":30000,"sharerReconnectGraceMs":30000,"maxSessionDurationMs":14400000},',
    '"createdAt":,"updatedAt":,"securityKeyGeneration":0,"deadlines":{"maxDuration":,"lifecycle":}},"children":{}},"lifecycle":"sharing"',
  ].join(""),
);

const SPACE = 0x20;

/** The stored form of `record` with the header the compare-and-set script reads. */
export function sessionValue(record: SessionRecord, state: string, credential: string): Buffer {
  // The header's fields are separated by spaces; neither a state name nor a credential token contains one.
  if (/\s/.test(state) || /\s/.test(credential)) throw new Error("a session's state and credential must not contain whitespace");
  return Buffer.concat([
    Buffer.from(`${record.version} ${state} ${credential} `),
    Buffer.from([DEFLATE_WITH_DICTIONARY_1]),
    deflateRawSync(JSON.stringify(record), { dictionary: DICTIONARY_1 }),
  ]);
}

/** The record in a value {@link sessionValue} wrote. */
export function recordOf(value: Buffer): SessionRecord {
  let end = -1;
  for (let field = 0; field < 3; field++) {
    end = value.indexOf(SPACE, end + 1);
    if (end < 0) throw new Error("a stored session has no header; it was written by an older server (see CHANGELOG) or is not a session");
  }
  const format = value[end + 1];
  if (format !== DEFLATE_WITH_DICTIONARY_1) throw new Error(`a stored session is in format ${format}, which this server cannot read`);
  return JSON.parse(inflateRawSync(value.subarray(end + 2), { dictionary: DICTIONARY_1 }).toString("utf8")) as SessionRecord;
}
