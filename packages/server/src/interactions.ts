import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Interaction, InteractionSchema, InteractionStatus } from "@screenshare/protocol";
import type { Store } from "./store.js";

/** The interactions the contact-center platform registered, and the rules of their status. */
export class Interactions {
  constructor(private readonly store: Store) {}

  async find(orgId: string, interactionId: string): Promise<Interaction | undefined> {
    const bytes = await this.store.getInteraction(orgId, interactionId);
    return bytes && fromBinary(InteractionSchema, bytes);
  }

  /** The interaction, or NOT_FOUND. */
  async get(orgId: string, interactionId: string): Promise<Interaction> {
    const interaction = await this.find(orgId, interactionId);
    if (!interaction) throw new ConnectError(`interaction ${interactionId} not found in org ${orgId}`, Code.NotFound);
    return interaction;
  }

  /** Registers `interaction`; registering the same one again answers the stored one. */
  async register(interaction: Interaction): Promise<Interaction> {
    const known = await this.find(interaction.orgId, interaction.interactionId);
    if (known) {
      if (known.channel !== interaction.channel || known.agentUserId !== interaction.agentUserId) {
        throw new ConnectError(`interaction ${interaction.interactionId} is registered with another channel or agent`, Code.AlreadyExists);
      }
      return known;
    }
    await this.save(interaction);
    return interaction;
  }

  /** The interaction `viewerUserId` may start a share on, or the error saying why not. */
  async forShare(orgId: string, viewerUserId: string, interactionId: string): Promise<Interaction> {
    const interaction = await this.find(orgId, interactionId);
    if (!interaction) throw new ConnectError(`interaction ${interactionId} not found`, Code.NotFound);
    if (interaction.agentUserId !== viewerUserId) {
      throw new ConnectError(`interaction ${interactionId} is handled by another agent`, Code.PermissionDenied);
    }
    if (interaction.status !== InteractionStatus.CONNECTED) {
      throw new ConnectError(`interaction ${interactionId} is ${InteractionStatus[interaction.status]}, not CONNECTED`, Code.FailedPrecondition);
    }
    return interaction;
  }

  /** Moves the interaction to another agent; a disconnected one cannot move. */
  async transfer(orgId: string, interactionId: string, agentUserId: string): Promise<Interaction> {
    const interaction = await this.get(orgId, interactionId);
    if (interaction.status === InteractionStatus.DISCONNECTED) {
      throw new ConnectError(`interaction ${interactionId} is disconnected; a disconnected interaction cannot be transferred`, Code.FailedPrecondition);
    }
    if (interaction.agentUserId !== agentUserId) {
      interaction.agentUserId = agentUserId;
      await this.save(interaction);
    }
    return interaction;
  }

  /** Records a status change; a disconnected interaction stays disconnected. */
  async setStatus(orgId: string, interactionId: string, status: InteractionStatus): Promise<Interaction> {
    const interaction = await this.get(orgId, interactionId);
    if (interaction.status === InteractionStatus.DISCONNECTED) {
      throw new ConnectError(`interaction ${interactionId} is already disconnected`, Code.FailedPrecondition);
    }
    interaction.status = status;
    await this.save(interaction);
    return interaction;
  }

  private async save(interaction: Interaction): Promise<void> {
    await this.store.putInteraction(interaction.orgId, interaction.interactionId, toBinary(InteractionSchema, interaction));
  }
}
