#!/usr/bin/env bash
# Installs everything, then runs every check and every test. Ends with one line "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SCREENSHARE_IN_NETNS:-}" != 1 ]; then
  bash scripts/bootstrap.sh
  # Everything below talks to loopback only: run it where nothing else is reachable.
  exec bash scripts/loopback-netns.sh bash scripts/test.sh
fi

echo "== protocol: lint, format, generated code in sync"
bash scripts/check-generated.sh
echo "== protocol: no breaking change"
bash scripts/buf-breaking.sh
echo "== lint and format (Biome)"
pnpm exec biome check --error-on-warnings
echo "== typecheck"
pnpm -r --if-present typecheck
echo "== tests"
mkdir -p reports
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=reports/vitest.json || status=$?
node -e '
  const r = require("./reports/vitest.json");
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
' || status=1
exit "$status"
