import { create, type DescMessage, type Message } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import { Code, ConnectError } from "@connectrpc/connect";
import { FieldViolationSchema } from "@screenshare/protocol";

const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,64}$/;

/** One rule per kind of field: the single table every request is checked against. */
const RULES = {
  id: { test: (value: unknown) => typeof value === "string" && ID.test(value), hint: "must be 1 to 128 characters of [A-Za-z0-9._:-]" },
  optionalIdempotencyKey: {
    test: (value: unknown) => value === "" || (typeof value === "string" && IDEMPOTENCY_KEY.test(value)),
    hint: "must be empty or 1 to 64 characters of [A-Za-z0-9._:-]",
  },
  displayName: { test: (value: unknown) => typeof value === "string" && value.length <= 200, hint: "must be at most 200 characters" },
  knownEnum: { test: (value: unknown) => typeof value === "number" && value > 0, hint: "must be set (not UNSPECIFIED)" },
  pageSize: { test: (value: unknown) => typeof value === "number" && value <= 100, hint: "must be at most 100" },
  securityKey: {
    test: (value: unknown) => typeof value === "string" && value.length > 0 && value.length <= 32,
    hint: "must be the digits of the security key, spaces and dashes allowed",
  },
} as const;

/** The rule for each field of each request, by the field's name in the .proto file. */
export type FieldRules = Record<string, keyof typeof RULES>;

/**
 * Checks `request` against `rules`; throws INVALID_ARGUMENT with one FieldViolation detail per bad field and a
 * message that names each field and how to fix it.
 */
export function validate(request: object, rules: FieldRules): void {
  reject(
    Object.entries(rules).flatMap(([field, rule]) => {
      const value = (request as Record<string, unknown>)[camel(field)];
      return RULES[rule].test(value) ? [] : [{ field, description: RULES[rule].hint }];
    }),
  );
}

/**
 * Refuses an enum field holding a number its enum does not declare (errors.proto's promise): proto3 enums are open,
 * so both codecs keep such a number, and a stored CHANNEL 99 would make a session nobody can join. The requests of
 * this protocol hold enums only in fields of their own; the conformance suite derives a case for an enum field at any
 * depth, so a request that gains a nested or repeated one fails the self-test until this walks into it.
 */
export function validateEnums(schema: DescMessage, message: Message): void {
  const request = reflect(schema, message);
  reject(
    request.fields.flatMap((field) =>
      field.fieldKind !== "enum" || field.enum.values.some((known) => known.number === request.get(field))
        ? []
        : [{ field: field.name, description: `must be one of ${field.enum.values.map((known) => known.name).join(", ")}` }],
    ),
  );
}

function reject(violations: Array<{ field: string; description: string }>): void {
  if (violations.length > 0) throw invalidArgument(violations);
}

/** INVALID_ARGUMENT with one FieldViolation detail per bad field, each also named in the message. */
export function invalidArgument(violations: readonly { field: string; description: string }[]): ConnectError {
  return new ConnectError(
    violations.map((violation) => `${violation.field} ${violation.description}`).join("; "),
    Code.InvalidArgument,
    undefined,
    violations.map((violation) => ({ desc: FieldViolationSchema, value: create(FieldViolationSchema, violation) })),
  );
}

function camel(field: string): string {
  return field.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}
