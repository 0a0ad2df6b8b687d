#!/usr/bin/env -S npx tsx
// screenshare-conformance --url URL --config vendor.yaml [--run PATTERN]... [--skip PATTERN]... [--parallel N]
//   [--protocol connect|grpc|grpc-web] [--codec json|binary] [--http 1.1|2] [--report-json FILE] [--report-junit FILE] [--list]
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadVendorConfig } from "./config.js";
import { junit, summary } from "./report.js";
import { allCases, DEFAULT_RUN, runConformance, selects } from "./runner.js";
import { parseWire } from "./wire.js";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    config: { type: "string" },
    run: { type: "string", multiple: true, default: [] },
    skip: { type: "string", multiple: true, default: [] },
    parallel: { type: "string", default: "4" },
    protocol: { type: "string" },
    codec: { type: "string" },
    http: { type: "string" },
    "report-json": { type: "string" },
    "report-junit": { type: "string" },
    list: { type: "boolean", default: false },
  },
});
if (values.list) {
  const run = values.run.length ? values.run : DEFAULT_RUN;
  for (const item of allCases()) if (selects(item.name, run)) console.log(item.name);
  process.exit(0);
}
if (!values.url || !values.config) {
  console.error(
    "usage: screenshare-conformance --url http://127.0.0.1:8080 --config vendor.yaml [--run PATTERN] [--skip PATTERN] [--parallel N]\n" +
      "  [--protocol connect|grpc|grpc-web] [--codec json|binary] [--http 1.1|2] [--report-json F] [--report-junit F] [--list]\n" +
      "  Without --run: a representative subset (under a minute); --run '**' runs every case.",
  );
  process.exit(2);
}
try {
  const wire = parseWire({ protocol: values.protocol, codec: values.codec, http: values.http });
  const report = await runConformance({
    url: values.url,
    config: loadVendorConfig(values.config),
    run: values.run,
    skip: values.skip,
    parallel: Number(values.parallel),
    wire,
  });
  console.log(summary(report));
  if (values["report-json"]) writeFileSync(values["report-json"], `${JSON.stringify(report, null, 2)}\n`);
  if (values["report-junit"]) writeFileSync(values["report-junit"], junit(report));
  process.exit(report.ok ? 0 : 1);
} catch (error) {
  console.error(`screenshare-conformance: ${(error as Error).message}`);
  process.exit(2);
}
