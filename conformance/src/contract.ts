import { type DescEnum, type DescField, type DescMessage, type DescMethod, type DescService, ScalarType } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import * as protocol from "@screenshare/protocol";
import { contractComments, errorDetailComments } from "./gen/contract_pb.js";

/** A credential an RPC accepts, as its service's comment names it. */
export type CredentialKind = "none" | "viewer" | "supervisor" | "integration" | "customer" | "sharer";

/** What the protocol's descriptors and comments promise about one RPC. */
export interface RpcContract {
  /** `Service.Method`, e.g. `ViewerService.GetSession`. */
  id: string;
  service: DescService;
  method: DescMethod;
  /** The credentials the RPC accepts (WatchSession accepts two). */
  credentials: CredentialKind[];
  /** The request names a session (`session_id`). */
  takesSession: boolean;
  /** The request names an org (`org_id`) and a session: the org must own it. */
  takesOrgAndSession: boolean;
  /** The response lists sessions (a repeated Session field): only the caller's (a viewer), or only the org's live ones (a supervisor). */
  listsSessions: boolean;
  /** Codes named after "Errors:" in the RPC's comment, as Connect names them in upper snake case. */
  errors: string[];
  /** The request's enum fields, at any depth: each must refuse a number its enum does not declare (errors.proto). */
  enumFields: EnumField[];
  /** Every rule the comments imply, as `Service.Method/rule`; the suite must check each one. */
  rules: string[];
}

/** The auth cases each credential kind implies. */
export const AUTH_CASES: Record<CredentialKind, readonly string[]> = {
  none: ["none-needed"],
  viewer: ["no-token", "wrong-signature", "expired", "not-yet-valid", "wrong-algorithm", "foreign-issuer", "foreign-audience", "missing-permission"],
  // A supervisor token is a viewer token with another permission: the same checks, and the view permission alone is refused.
  supervisor: [
    "no-token",
    "wrong-signature",
    "expired",
    "not-yet-valid",
    "wrong-algorithm",
    "foreign-issuer",
    "foreign-audience",
    "missing-permission",
    "view-permission-only",
  ],
  integration: ["no-key", "wrong-key"],
  sharer: ["no-credential", "wrong-credential", "other-session", "ended-session"],
  customer: ["no-credential", "wrong-credential", "other-interaction"],
};

/** Connect's codes in the protocol's spelling: Code.NotFound is "NOT_FOUND". */
export const CODE_NAMES: ReadonlyMap<string, Code> = new Map(
  Object.entries(Code)
    .filter((entry): entry is [string, Code] => typeof entry[1] === "number")
    .map(([name, code]) => [name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase(), code]),
);

/** Every service of the protocol package, from its generated descriptors. */
export function protocolServices(): DescService[] {
  return (Object.values(protocol) as unknown[]).filter(
    (value): value is DescService => typeof value === "object" && value !== null && (value as DescService).kind === "service",
  );
}

const flat = (text: string) => text.replace(/\s+/g, " ").trim();

const CREDENTIAL_WORDS: Array<[RegExp, CredentialKind]> = [
  [/without credentials|needs no credentials/g, "none"],
  [/supervisor token/g, "supervisor"],
  [/viewer token/g, "viewer"],
  [/integration API key/g, "integration"],
  [/customer(?:'s)? credential/g, "customer"],
  [/sharer credential/g, "sharer"],
];

/**
 * The credentials of each RPC of `service`, read from its comment: a sentence that names RPCs gives them the first
 * credential it mentions; a sentence about every RPC ("Every RPC needs", "All other RPCs need", "Needs", "It needs")
 * gives the rest its first credential, or all it mentions after "either".
 */
export function credentialsOf(service: DescService, comment: string): Map<string, CredentialKind[]> {
  const result = new Map<string, CredentialKind[]>();
  let fallback: CredentialKind[] = [];
  for (const sentence of flat(comment).split(/(?<=\.)\s+(?=[A-Z])/)) {
    const kinds = CREDENTIAL_WORDS.flatMap(([pattern, kind]) => [...sentence.matchAll(pattern)].map((match) => ({ kind, at: match.index ?? 0 })))
      .sort((a, b) => a.at - b.at)
      .map((found) => found.kind);
    if (kinds.length === 0) continue;
    const named = service.methods.filter((method) => new RegExp(`(?<![.\\w])${method.name}\\b`).test(sentence));
    if (named.length > 0) {
      for (const method of named) if (!result.has(method.name)) result.set(method.name, [kinds[0] as CredentialKind]);
    } else if (/\b(every|all other) RPCs?\b|^(It )?[Nn]eeds\b/i.test(sentence)) {
      fallback = /\beither\b/.test(sentence) ? [...new Set(kinds)] : [kinds[0] as CredentialKind];
    }
  }
  for (const method of service.methods) if (!result.has(method.name) && fallback.length > 0) result.set(method.name, fallback);
  return result;
}

/**
 * Credentials an RPC's own comment adds to its service's: those named in a sentence saying the call "is accepted
 * with" them (ReportScreenSelectionProblem: the sharer credential, or the chat customer's credential).
 */
export function acceptedCredentials(comment: string): CredentialKind[] {
  const sentences = flat(comment)
    .split(/(?<=[.;])\s+/)
    .filter((sentence) => /\baccepted with\b/.test(sentence));
  return sentences.flatMap((sentence) =>
    CREDENTIAL_WORDS.flatMap(([pattern, kind]) => [...sentence.matchAll(pattern)].map((match) => ({ kind, at: match.index ?? 0 })))
      .sort((a, b) => a.at - b.at)
      .map((found) => found.kind),
  );
}

/** An enum field somewhere in a request: the FieldViolation's name for it, and the fields leading to it. */
export interface EnumField {
  /** `channel`; inside a nested message `filter.state`, inside a list of messages `items[0].state`. */
  path: string;
  enum: DescEnum;
  /** The fields from the request down to the enum field, the enum field last. */
  steps: DescField[];
}

/** Every enum field of `message` and of the messages it holds (a message type met again on the way is not re-entered). */
export function enumFields(message: DescMessage, prefix = "", steps: DescField[] = [], entered = new Set<string>()): EnumField[] {
  const inner = new Set(entered).add(message.typeName);
  return message.fields.flatMap((field): EnumField[] => {
    const path = `${prefix}${field.name}`;
    if (field.enum) return [{ path, enum: field.enum, steps: [...steps, field] }];
    const held = field.message;
    if (!held || inner.has(held.typeName)) return [];
    const into = field.fieldKind === "list" ? `${path}[0].` : field.fieldKind === "map" ? `${path}[${mapKey(field)}].` : `${path}.`;
    return enumFields(held, into, [...steps, field], inner);
  });
}

/** The key `withEnumValue` puts in a map field on the way, in protobuf-es's record form. */
const mapKey = (field: DescField) =>
  field.fieldKind !== "map" ? "" : field.mapKey === ScalarType.BOOL ? "true" : field.mapKey === ScalarType.STRING ? "k" : "1";

/** `request` (an init object) with `value` in the enum field `target`, one element in each list or map on the way. */
export function withEnumValue(request: object, target: EnumField, value: number): object {
  return withValueAt(request as Record<string, unknown>, target.steps, value);
}

function withValueAt(request: Record<string, unknown>, steps: readonly DescField[], value: number): object {
  const [field, ...rest] = steps;
  if (!field) return request;
  const current = request[field.localName];
  const kept = field.fieldKind === "message" && typeof current === "object" && current !== null ? (current as Record<string, unknown>) : {};
  const inner = rest.length === 0 ? value : withValueAt(kept, rest, value);
  return { ...request, [field.localName]: field.fieldKind === "list" ? [inner] : field.fieldKind === "map" ? { [mapKey(field)]: inner } : inner };
}

/**
 * Numbers `enumType` does not declare: the next one a later version of the protocol might add, and one below them
 * all (negative: ten bytes on the binary wire), so neither an upper nor a lower bound alone passes for a check.
 */
export function undeclaredNumbers(enumType: DescEnum): [number, number] {
  const numbers = enumType.values.map((value) => value.number);
  return [Math.max(...numbers) + 1, Math.min(...numbers) - 1];
}

/** errors.proto's FieldViolation promises that an undeclared enum value is a bad field, in every request. */
const UNDECLARED_ENUM_PROMISE = /\benum field holding a number this version of the protocol does not declare is a bad field\b/;

/** The codes named after "Errors:" in an RPC comment. */
export function documentedErrors(comment: string): string[] {
  const errors = flat(comment).split(/\bErrors:/)[1] ?? "";
  return [...new Set([...errors.matchAll(/\b[A-Z][A-Z_]+[A-Z]\b/g)].map((match) => match[0]).filter((name) => CODE_NAMES.has(name)))];
}

/**
 * The contract of every RPC, derived from the generated service descriptors and the proto comments. An RPC whose
 * credentials the comments do not name is an error: the suite cannot know what to check.
 */
export function deriveContract(
  services: readonly DescService[] = protocolServices(),
  comments = contractComments,
  details = errorDetailComments,
): RpcContract[] {
  const enumsPromised = UNDECLARED_ENUM_PROMISE.test(flat(details[protocol.FieldViolationSchema.typeName] ?? ""));
  return services.flatMap((service) => {
    const serviceComments = comments[service.typeName];
    if (!serviceComments) throw new Error(`no comments for ${service.typeName}: run pnpm generate`);
    const credentials = credentialsOf(service, serviceComments.comment);
    return service.methods.map((method) => {
      const id = `${service.name}.${method.name}`;
      const named = credentials.get(method.name);
      if (!named) throw new Error(`${id}: its service comment names no credential for it`);
      const kinds = [...new Set([...named, ...acceptedCredentials(serviceComments.methods[method.name] ?? "")])];
      const fields = new Set(method.input.fields.map((field) => field.name));
      const takesSession = fields.has("session_id");
      const takesOrgAndSession = takesSession && fields.has("org_id");
      const listsSessions =
        (kinds.includes("viewer") || kinds.includes("supervisor")) &&
        method.output.fields.some((field) => field.fieldKind === "list" && field.message?.typeName === protocol.SessionSchema.typeName);
      const errors = documentedErrors(serviceComments.methods[method.name] ?? "");
      const enums = enumsPromised ? enumFields(method.input) : [];
      const rules = [
        ...kinds.flatMap((kind) => AUTH_CASES[kind].map((name) => `auth/${kind}/${name}`)),
        ...(takesSession && kinds.includes("viewer") ? ["isolation/other-org", "isolation/other-viewer"] : []),
        // A supervisor sees every session of its org, none of another's.
        ...(takesSession && kinds.includes("supervisor") ? ["isolation/other-org"] : []),
        ...(takesOrgAndSession ? ["isolation/other-org"] : []),
        ...(listsSessions ? [kinds.includes("supervisor") ? "isolation/only-org-live-sessions" : "isolation/only-callers-sessions"] : []),
        ...(takesSession ? ["ended-session"] : []),
        ...errors.map((code) => `error/${code}`),
        ...enums.map((field) => `undeclared-enum/${field.path}`),
      ].map((rule) => `${id}/${rule}`);
      return { id, service, method, credentials: kinds, takesSession, takesOrgAndSession, listsSessions, errors, enumFields: enums, rules };
    });
  });
}

/** Every rule of the contract. */
export function documentedRules(contract: readonly RpcContract[] = deriveContract()): string[] {
  return contract.flatMap((rpc) => rpc.rules);
}
