#!/usr/bin/env bash
# Fails when committed generated code drifts from what the generators produce now.
set -euo pipefail
cd "$(dirname "$0")/.."
npx buf lint proto
npx buf format proto --diff --exit-code
npx buf generate
(cd bench && npx buf generate)
generated=(packages/protocol/src/gen bench/src/gen)
if [ -n "$(git status --porcelain -- "${generated[@]}")" ]; then
  git --no-pager diff -- "${generated[@]}"
  git status --porcelain -- "${generated[@]}"
  echo "generated code drifted from proto/: run 'pnpm generate' and commit" >&2
  exit 1
fi
echo "generated code matches proto/"
