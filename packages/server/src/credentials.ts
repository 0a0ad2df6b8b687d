import { randomBytes } from "node:crypto";
import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { Channel, type Interaction, InteractionSchema, InteractionStatus } from "@screenshare/protocol";
import type { ResolvedOptions } from "./config.js";
import type { Credential, Store } from "./store.js";

/** The opaque credentials a customer presents: a chat customer's, and the sharer's of one session. */
export class Credentials {
  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
  ) {}

  /** The credential `token` stands for, if it is of `kind` and still valid; otherwise UNAUTHENTICATED. */
  async authenticate<Kind extends Credential["kind"]>(token: string, kind: Kind): Promise<Extract<Credential, { kind: Kind }>> {
    const credential = await this.store.getCredential(token);
    if (!credential || credential.kind !== kind || (credential.kind === "customer" && !(await this.customerValid(credential)))) {
      throw new ConnectError(`a valid ${kind} credential is required`, Code.Unauthenticated);
    }
    return credential as Extract<Credential, { kind: Kind }>;
  }

  /**
   * A customer credential works until it expires or its chat disconnects (IssueCustomerCredentialResponse). Nothing
   * else revokes one, so a stream re-checks the credential it authenticated without reading it again.
   */
  async customerValid(credential: Extract<Credential, { kind: "customer" }>): Promise<boolean> {
    if (credential.expiresAt < Date.now()) return false;
    const bytes = await this.store.getInteraction(credential.orgId, credential.interactionId);
    return !!bytes && fromBinary(InteractionSchema, bytes).status !== InteractionStatus.DISCONNECTED;
  }

  /** The credential `token` stands for while it is valid. */
  lookup(token: string): Promise<Credential | undefined> {
    return this.store.getCredential(token);
  }

  /** A customer credential for a connected chat interaction. */
  async issueCustomer(interaction: Interaction): Promise<{ token: string; expiresAt: number }> {
    if (interaction.channel !== Channel.CHAT) {
      throw new ConnectError("customer credentials are for chat interactions; voice customers redeem a security key", Code.FailedPrecondition);
    }
    if (interaction.status === InteractionStatus.DISCONNECTED) {
      throw new ConnectError(`interaction ${interaction.interactionId} is disconnected`, Code.FailedPrecondition);
    }
    const ttl = this.options.limits.customerCredentialTtlMs;
    const token = `cus_${randomBytes(24).toString("base64url")}`;
    const expiresAt = Date.now() + ttl;
    await this.store.putCredential(token, { kind: "customer", orgId: interaction.orgId, interactionId: interaction.interactionId, expiresAt }, ttl);
    return { token, expiresAt };
  }

  /**
   * A fresh sharer token. It becomes valid when a session record holding it is written: the store keeps a sharer
   * credential with its session, and revokes it in the write that ends the session.
   */
  newSharerToken(): string {
    return `shr_${randomBytes(24).toString("base64url")}`;
  }
}
