import { create, type DescMessage, type Message } from "@bufbuild/protobuf";
import { type ReflectMessage, reflect } from "@bufbuild/protobuf/reflect";
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
 * Checks that every enum field of `message` (nested messages and lists included) holds a value its enum declares:
 * protobuf keeps unknown numbers (an "open" enum), and a stored CHANNEL 99 would make a session nobody can join.
 */
export function validateEnums(schema: DescMessage, message: Message): void {
  reject(enumViolations(reflect(schema, message), ""));
}

function enumViolations(message: ReflectMessage, prefix: string): Array<{ field: string; description: string }> {
  return message.fields.flatMap((field) => {
    if (!message.isSet(field)) return [];
    const path = `${prefix}${field.name}`;
    const declared = (values: readonly { number: number }[], value: unknown) => values.some((known) => known.number === value);
    const hint = (values: readonly { name: string }[]) => ({ field: path, description: `must be one of ${values.map((known) => known.name).join(", ")}` });
    switch (field.fieldKind) {
      case "enum":
        return declared(field.enum.values, message.get(field)) ? [] : [hint(field.enum.values)];
      case "list": {
        if (field.listKind === "enum") {
          const values = field.enum.values;
          return [...message.get(field)].every((value) => declared(values, value)) ? [] : [hint(values)];
        }
        if (field.listKind === "message") return [...message.get(field)].flatMap((item, index) => enumViolations(item as ReflectMessage, `${path}[${index}].`));
        return [];
      }
      case "message":
        return enumViolations(message.get(field), `${path}.`);
      case "map":
        return field.mapKind === "enum" && ![...message.get(field).values()].every((value) => declared(field.enum.values, value))
          ? [hint(field.enum.values)]
          : [];
      default:
        return [];
    }
  });
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
