// Summarises a V8 .cpuprofile by package: self time per node_modules package (or "ours: <workspace package>"),
// so a flat profile can be read as "where does the time go" without a GUI.
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

/** Which bucket a frame's self time belongs to, from its script URL. */
export function bucketOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + "node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const ours = /\/(packages|conformance|bench)\/([^/]+)?/.exec(url);
  if (ours) return `ours: ${ours[1] === "packages" ? ours[2] : ours[1]}`;
  // Node's own modules: keep enough of the path to tell undici, streams and http2 apart.
  if (url.startsWith("node:")) return `node: ${url.slice(5).split("/").slice(0, 3).join("/")}`;
  return url;
}

/** Self-time share per bucket, largest first. */
export function summarise(profile: CpuProfile): Array<{ bucket: string; percent: number }> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const counts = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byId.get(id)?.callFrame;
    const bucket = frame ? bucketOf(frame.url, frame.functionName) : "(unknown)";
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  return [...counts]
    .map(([bucket, count]) => ({ bucket, percent: Math.round((count / profile.samples.length) * 1000) / 10 }))
    .sort((a, b) => b.percent - a.percent);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const file of process.argv.slice(2)) {
    console.log(file);
    for (const row of summarise(JSON.parse(readFileSync(file, "utf8"))).slice(0, 20)) console.log(`${String(row.percent).padStart(6)} %  ${row.bucket}`);
  }
}
