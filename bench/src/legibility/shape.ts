// Bandwidth caps with `tc` on the namespace's loopback: only the sharer's media towards LiveKit's UDP port is
// limited (the customer's upload, where home connections are thin); signalling and the viewer's side are not.
import { execFileSync } from "node:child_process";

const tc = (...args: string[]) => execFileSync("tc", args, { stdio: ["ignore", "ignore", "pipe"] });

/** Removes any cap. */
export function uncap(): void {
  if (execFileSync("tc", ["qdisc", "show", "dev", "lo"], { encoding: "utf8" }).includes("qdisc htb 1: root")) tc("qdisc", "del", "dev", "lo", "root");
}

/**
 * Caps UDP traffic to `udpPort` at `kbps`, with a queue of 250 ms at that rate (a home router's buffer, not an
 * endless one: congestion control sees loss and delay as it would on a real link). Everything else passes.
 */
export function cap(udpPort: number, kbps: number): void {
  if (process.env.SCREENSHARE_IN_NETNS !== "1") throw new Error("bandwidth caps change the loopback interface: run inside scripts/loopback-netns.sh");
  uncap();
  const rate = `${kbps}kbit`;
  const queueBytes = String(Math.max(3000, Math.round((kbps * 1000) / 8 / 4)));
  tc("qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "10");
  tc("class", "add", "dev", "lo", "parent", "1:", "classid", "1:10", "htb", "rate", "10gbit");
  tc("class", "add", "dev", "lo", "parent", "1:", "classid", "1:20", "htb", "rate", rate, "ceil", rate, "burst", "6k", "cburst", "6k");
  tc("qdisc", "add", "dev", "lo", "parent", "1:20", "handle", "20:", "bfifo", "limit", queueBytes);
  tc(
    "filter",
    "add",
    "dev",
    "lo",
    "parent",
    "1:",
    "protocol",
    "ip",
    "prio",
    "1",
    "u32",
    "match",
    "ip",
    "protocol",
    "17",
    "0xff",
    "match",
    "ip",
    "dport",
    String(udpPort),
    "0xffff",
    "flowid",
    "1:20",
  );
}
