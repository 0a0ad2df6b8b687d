import { create, createFileRegistry, type DescMessage, toJson } from "@bufbuild/protobuf";
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type, FileDescriptorProtoSchema, MethodDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { file_screenshare_v1_session, file_screenshare_v1_viewer_service } from "@screenshare/protocol";
import { describe, expect, it } from "vitest";
import {
  credentialsOf,
  deriveContract,
  documentedErrors,
  documentedRules,
  enumFields,
  protocolServices,
  undeclaredNumbers,
  withEnumValue,
} from "./contract.js";
import { contractComments, errorDetailComments } from "./gen/contract_pb.js";
import { matrixCases } from "./matrix.js";
import { allCases, checkedRules } from "./runner.js";

/** Rules no case of the suite claims to check. */
function unclaimed(rules: readonly string[], cases = allCases()): string[] {
  const claimed = new Set(cases.flatMap((item) => item.covers ?? []));
  return rules.filter((rule) => !claimed.has(rule));
}

describe("the contract matrix", () => {
  it("has a case for every rule the proto's descriptors and comments imply", () => {
    expect(documentedRules().length).toBeGreaterThan(150);
    expect(unclaimed(documentedRules())).toEqual([]);
  });

  it("fails the suite's own tests for an RPC added to the proto without its cases", () => {
    // ViewerService with one more RPC, as a later proto might have it.
    const file = create(FileDescriptorProtoSchema, file_screenshare_v1_viewer_service.proto);
    file.service[0]?.method.push(
      create(MethodDescriptorProtoSchema, {
        name: "GetSessionThumbnail",
        inputType: ".screenshare.v1.GetSessionRequest",
        outputType: ".screenshare.v1.GetSessionResponse",
      }),
    );
    const registry = createFileRegistry(file, (name: string) =>
      name === `${file_screenshare_v1_session.name}.proto` ? file_screenshare_v1_session : undefined,
    );
    const service = registry.getService("screenshare.v1.ViewerService");
    if (!service) throw new Error("no service");
    const viewer = contractComments["screenshare.v1.ViewerService"] as { comment: string; methods: Record<string, string> };
    const comments = {
      "screenshare.v1.ViewerService": { ...viewer, methods: { ...viewer.methods, GetSessionThumbnail: "Errors: INVALID_ARGUMENT, NOT_FOUND." } },
    };
    const contract = deriveContract([service], comments);
    const added = contract.find((rpc) => rpc.id === "ViewerService.GetSessionThumbnail");
    expect(added?.rules).toContain("ViewerService.GetSessionThumbnail/isolation/other-viewer");
    const cases = matrixCases(contract);
    expect(unclaimed(added?.rules ?? [], cases)).toEqual(added?.rules);
    expect(cases.filter((item) => item.name.startsWith("matrix/ViewerService.GetSessionThumbnail/")).length).toBe(added?.rules.length);
  });

  it("checks an undeclared enum number in every enum field of every request, as errors.proto promises", () => {
    const rules = documentedRules().filter((rule) => rule.includes("/undeclared-enum/"));
    expect(rules).toEqual([
      "InteractionService.RegisterInteraction/undeclared-enum/channel",
      "InteractionService.RegisterInteraction/undeclared-enum/status",
      "InteractionService.SetInteractionStatus/undeclared-enum/status",
      "SharerService.ReportScreenSelectionProblem/undeclared-enum/problem",
    ]);
    // The rules follow the promise's words: without them in FieldViolation's comment, there is nothing to check.
    const silent = Object.fromEntries(Object.keys(errorDetailComments).map((name) => [name, "Rides on INVALID_ARGUMENT."]));
    expect(deriveContract(protocolServices(), contractComments, silent).flatMap((rpc) => rpc.rules)).not.toContain(rules[0]);
  });

  it("finds an enum field added later at any depth, and builds a request holding an undeclared number there", () => {
    // A later request with an enum of its own, a repeated one, one in a list of messages and one in a map of them.
    const { REPEATED: repeated, OPTIONAL: optional } = FieldDescriptorProto_Label;
    const { ENUM: enumType, MESSAGE: messageType, STRING: stringType } = FieldDescriptorProto_Type;
    // As protoc writes them: with the JSON name, which protobuf-es takes the property name from.
    const field = (name: string, number: number, type: FieldDescriptorProto_Type, typeName = "", label = optional) => ({
      name,
      jsonName: name.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase()),
      number,
      type,
      typeName,
      label,
    });
    const file = create(FileDescriptorProtoSchema, {
      name: "screenshare/v1/later.proto",
      package: "screenshare.v1",
      syntax: "proto3",
      dependency: [`${file_screenshare_v1_session.name}.proto`],
      messageType: [
        {
          name: "LaterRequest",
          field: [
            field("channel", 1, enumType, ".screenshare.v1.Channel"),
            field("states", 2, enumType, ".screenshare.v1.SessionState", repeated),
            field("items", 3, messageType, ".screenshare.v1.LaterItem", repeated),
            field("by_name", 4, messageType, ".screenshare.v1.LaterRequest.ByNameEntry", repeated),
          ],
          nestedType: [
            {
              name: "ByNameEntry",
              field: [field("key", 1, stringType), field("value", 2, messageType, ".screenshare.v1.LaterItem")],
              options: { mapEntry: true },
            },
          ],
        },
        // It holds the request again: the walk must not loop.
        {
          name: "LaterItem",
          field: [field("reason", 1, enumType, ".screenshare.v1.EndReason"), field("again", 2, messageType, ".screenshare.v1.LaterRequest")],
        },
      ],
    });
    const registry = createFileRegistry(file, (name: string) =>
      name === `${file_screenshare_v1_session.name}.proto` ? file_screenshare_v1_session : undefined,
    );
    const request = registry.getMessage("screenshare.v1.LaterRequest") as DescMessage;
    const found = enumFields(request);
    expect(found.map((item) => item.path)).toEqual(["channel", "states", "items[0].reason", "by_name[k].reason"]);
    // Built as a client sends it, the undeclared number where the path says, the rest of the request kept.
    const sent = found.map((target) => {
      const [above, below] = undeclaredNumbers(target.enum);
      expect(target.enum.values.map((value) => value.number)).not.toContain(above);
      expect(target.enum.values.map((value) => value.number)).not.toContain(below);
      return toJson(request, create(request, withEnumValue({ channel: 1 }, target, above) as never));
    });
    const [channel, state, reason] = found.map((target) => undeclaredNumbers(target.enum)[0]);
    expect(sent).toEqual([
      { channel },
      { channel: "CHANNEL_VOICE", states: [state] },
      { channel: "CHANNEL_VOICE", items: [{ reason }] },
      { channel: "CHANNEL_VOICE", byName: { k: { reason } } },
    ]);
  });

  it("reads each RPC's credentials from its service's comment", () => {
    const credentials = Object.fromEntries(deriveContract().map((rpc) => [rpc.id, rpc.credentials.join("+")]));
    expect(credentials).toMatchObject({
      "ViewerService.StartScreenShare": "viewer",
      "InteractionService.TerminateSession": "integration",
      "SharerService.RedeemSecurityKey": "none",
      "SharerService.WatchInvitations": "customer",
      "SharerService.AcceptInvitation": "customer",
      "SharerService.StopSharing": "sharer",
      "WatchService.WatchSession": "viewer+sharer",
      "SharerService.ReportScreenSelectionProblem": "sharer+customer",
      "ServerInfoService.GetServerInfo": "none",
    });
    expect(new Set(Object.keys(credentials))).toEqual(
      new Set(protocolServices().flatMap((service) => service.methods.map((method) => `${service.name}.${method.name}`))),
    );
    expect(() => credentialsOf(protocolServices()[0] as never, "Nothing about credentials.")).not.toThrow();
  });

  it("reads the error codes after Errors:, and only Connect's codes", () => {
    expect(documentedErrors("Does X. Errors: INVALID_ARGUMENT (bad), NOT_FOUND, FAILED_PRECONDITION (END_REASON_VIEWER_LEFT).")).toEqual([
      "INVALID_ARGUMENT",
      "NOT_FOUND",
      "FAILED_PRECONDITION",
    ]);
    expect(documentedErrors("It never fails.")).toEqual([]);
  });

  it("counts an error rule as checked only when the server answered that code", () => {
    const item = { name: "x", covers: ["ViewerService.GetSession/error/NOT_FOUND", "ViewerService.GetSession/ended-session"], run: async () => {} };
    expect(checkedRules(item, new Set())).toEqual(["ViewerService.GetSession/ended-session"]);
    expect(checkedRules(item, new Set(["ViewerService.GetSession/NOT_FOUND"]))).toEqual(item.covers);
  });

  it("names every case once", () => {
    const names = allCases().map((item) => item.name);
    expect(names.length).toBe(new Set(names).size);
  });
});
