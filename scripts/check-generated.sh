#!/usr/bin/env bash
# Fails when committed generated code drifts from what the generators produce now.
set -euo pipefail
cd "$(dirname "$0")/.."
npx buf lint proto
npx buf format proto --diff --exit-code
npx buf generate
if [ -n "$(git status --porcelain -- packages/protocol/src/gen)" ]; then
  git --no-pager diff -- packages/protocol/src/gen
  git status --porcelain -- packages/protocol/src/gen
  echo "generated code drifted from proto/: run 'pnpm generate' and commit" >&2
  exit 1
fi
echo "generated code matches proto/"
