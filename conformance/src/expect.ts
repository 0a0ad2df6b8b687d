import { Code, ConnectError } from "@connectrpc/connect";
import { FieldViolationSchema } from "@screenshare/protocol";

/** A case failed: what was expected and what came back. */
export class Mismatch extends Error {
  constructor(
    readonly expected: string,
    readonly got: string,
  ) {
    super(`expected ${expected}, got ${got}`);
  }
}

/** Skips a case that cannot run against this server (for example its timeouts are too long). */
export class Skip extends Error {}

export function check(condition: boolean, expected: string, got: unknown): void {
  if (!condition) throw new Mismatch(expected, typeof got === "string" ? got : JSON.stringify(got, (_k, v) => (typeof v === "bigint" ? String(v) : v)));
}

export function equal<T>(got: T, expected: T, what: string): void {
  check(got === expected, `${what} = ${String(expected)}`, `${what} = ${String(got)}`);
}

/** Awaits `call` and expects it to fail with `code`. */
export async function rejects(call: Promise<unknown>, code: Code, what: string): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    const connectError = ConnectError.from(error);
    check(connectError.code === code, `${what} to fail with ${Code[code]}`, `${Code[connectError.code]}: ${connectError.rawMessage}`);
    return connectError;
  }
  throw new Mismatch(`${what} to fail with ${Code[code]}`, "success");
}

/** Expects INVALID_ARGUMENT with one FieldViolation naming `field`. */
export async function rejectsField(call: Promise<unknown>, field: string, what: string): Promise<void> {
  const violations = (await rejects(call, Code.InvalidArgument, what)).findDetails(FieldViolationSchema);
  equal(violations.map((violation) => violation.field).join(","), field, `FieldViolation.field of ${what}`);
  check(
    violations.every((violation) => violation.description !== ""),
    `a FieldViolation.description saying what to fix (${what})`,
    violations.map((violation) => violation.description),
  );
}
