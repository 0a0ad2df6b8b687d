import { create, createFileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, MethodDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { file_screenshare_v1_session, file_screenshare_v1_viewer_service } from "@screenshare/protocol";
import { describe, expect, it } from "vitest";
import { credentialsOf, deriveContract, documentedErrors, documentedRules, protocolServices } from "./contract.js";
import { contractComments } from "./gen/contract_pb.js";
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
