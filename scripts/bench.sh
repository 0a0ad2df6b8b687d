#!/usr/bin/env bash
# Installs everything, then runs the benchmarks in the loopback-only namespace and prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec bash scripts/loopback-netns.sh pnpm --silent --filter @screenshare/bench bench "$@"
