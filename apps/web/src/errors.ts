import { Code, ConnectError } from "@connectrpc/connect";
import { FieldViolationSchema, LiveSessionConflictSchema, RetryDelaySchema } from "@screenshare/protocol";

/** What a page needs from a failure to say it in words: its Connect code and the typed details that came with it. */
export interface Failure {
  code: Code;
  /** Seconds to wait, from a RetryDelay detail. */
  retryAfterSeconds?: number;
  /** The viewer's live session, from a LiveSessionConflict detail. */
  liveSessionId?: string;
  /** The request fields named by FieldViolation details. */
  fields: string[];
  /** The raw text, for the details line and the console only: never the sentence shown. */
  technical: string;
}

/** Reads a failure's code and typed details; a failure that is no Connect error counts as `Unknown`. */
export function failureOf(error: unknown): Failure {
  const connect = ConnectError.from(error);
  const delay = connect.findDetails(RetryDelaySchema)[0];
  const conflict = connect.findDetails(LiveSessionConflictSchema)[0];
  return {
    code: connect.code,
    ...(delay && { retryAfterSeconds: Math.max(1, Math.ceil(Number(delay.retryAfterMs) / 1000)) }),
    ...(conflict && { liveSessionId: conflict.sessionId }),
    fields: connect.findDetails(FieldViolationSchema).map((violation) => violation.field),
    technical: `${Code[connect.code] ?? connect.code}: ${connect.rawMessage}`,
  };
}

/** Shows `sentence` in the page's alert, with the raw error in a collapsed details line and in the console. */
export function showFailure(sentence: string, failure: Failure, cause: unknown): void {
  console.error(sentence, cause);
  const box = document.getElementById("error");
  if (!box) return;
  const text = document.createElement("p");
  text.textContent = sentence;
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = "Technical details";
  const code = document.createElement("code");
  code.textContent = failure.technical;
  details.append(summary, code);
  box.replaceChildren(text, details);
}

/** Clears the page's alert. */
export function clearFailure(): void {
  document.getElementById("error")?.replaceChildren();
}

/** "4:05" for 245 seconds; never negative. */
export function clock(seconds: number): string {
  const whole = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

/** Seconds from now until a protobuf timestamp; undefined when unset. */
export function secondsUntil(timestamp: { seconds: bigint; nanos: number } | undefined): number | undefined {
  if (!timestamp) return undefined;
  return (Number(timestamp.seconds) * 1000 + timestamp.nanos / 1e6 - Date.now()) / 1000;
}

/** Seconds since a protobuf timestamp; undefined when unset. */
export function secondsSince(timestamp: { seconds: bigint; nanos: number } | undefined): number | undefined {
  const until = secondsUntil(timestamp);
  return until === undefined ? undefined : -until;
}
