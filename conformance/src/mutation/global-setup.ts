import { startLiveKit } from "@screenshare/devstack";

/** What vitest hands a global setup; only `provide` is used. */
interface Project {
  provide(key: "livekit", value: { url: string; apiKey: string; apiSecret: string }): void;
}

/** One LiveKit for every mutant's run: the servers under test only create and delete rooms in it. */
export default async function setup(project: Project) {
  const livekit = await startLiveKit();
  project.provide("livekit", { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret });
  return () => livekit.stop();
}
