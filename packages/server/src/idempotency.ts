import { type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import type { Store } from "./store.js";

/**
 * Runs `work` once per `scope` when the caller sent an idempotency key: a retry with the same key gets the first
 * result (shared by every node through the store), never acting twice. Without a key, `work` simply runs.
 */
export async function once<Schema extends DescMessage>(
  store: Store,
  retentionMs: number,
  scope: string,
  idempotencyKey: string,
  schema: Schema,
  work: () => Promise<MessageShape<Schema>>,
): Promise<MessageShape<Schema>> {
  if (!idempotencyKey) return work();
  const bytes = await store.idempotent(scope, retentionMs, async () => toBinary(schema, await work()));
  return fromBinary(schema, bytes);
}
