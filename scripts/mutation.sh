#!/usr/bin/env bash
# Mutation testing of the reference server's contract code (auth, services, keys, engine, validation, both stores)
# against the conformance suite's fast cases: StrykerJS with its vitest runner (stryker.config.mjs), one core, under
# nice, incremental (reports/mutation/stryker-incremental.json: a rerun tests only mutants whose code or covering
# tests changed; add --force to test every mutant again). Not part of the test command: it is CPU heavy (see
# docs/conformance.md for the last score and run time). Extra arguments go to `stryker run`, e.g.
# `--mutate packages/server/src/validation.ts` for one file.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SCREENSHARE_IN_NETNS:-}" != 1 ]; then exec bash scripts/loopback-netns.sh bash scripts/mutation.sh "$@"; fi
start=$(date +%s)
nice -n 10 node_modules/.bin/stryker run stryker.config.mjs "$@"
echo "mutation run took $(( $(date +%s) - start )) s; report: reports/mutation/mutation.json"
