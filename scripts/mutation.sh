#!/usr/bin/env bash
# Mutation testing of the reference server's contract code (auth, services, keys, engine, validation, both stores)
# against the conformance suite's fast cases: StrykerJS with its vitest runner (stryker.config.mjs), one core, under
# nice. Two passes share one incremental file (reports/mutation/stryker-incremental.json, out of git): the shared
# code against the memory store, then the Redis store (redis-store.ts, redis-scripts.ts) against Redis; a rerun tests only mutants whose code or
# covering tests changed (add --force to test every mutant again). Not part of the test command: it is CPU heavy
# (docs/conformance.md has the last score and run time). Extra arguments go to both `stryker run`s.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SCREENSHARE_IN_NETNS:-}" != 1 ]; then exec bash scripts/loopback-netns.sh bash scripts/mutation.sh "$@"; fi
start=$(date +%s)
# StrykerJS's in-place reset rewrites files without their executable bit (the cli.ts entry points): put back the
# modes git records, also when a run fails.
trap "git ls-files -s | awk '\$1 == \"100755\" { print \$4 }' | xargs -r chmod +x" EXIT
for stores in memory redis; do
  MUTATION_STORES=$stores nice -n 10 node_modules/.bin/stryker run stryker.config.mjs "$@"
done
echo "mutation run took $(( $(date +%s) - start )) s"
node conformance/scripts/mutation-summary.mjs reports/mutation/mutation.json
