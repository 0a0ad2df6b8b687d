#!/usr/bin/env bash
# Fails when proto/ fails lint or format, or when committed generated code drifts from what scripts/generate.sh
# produces now: TypeScript (packages/protocol, bench), Go (examples/go) and Python (examples/python).
set -euo pipefail
cd "$(dirname "$0")/.."
node_modules/.bin/buf lint proto
node_modules/.bin/buf format proto --diff --exit-code
bash scripts/generate.sh
generated=(packages/protocol/src/gen conformance/src/gen bench/src/gen examples/go/gen examples/python/gen)
if [ -n "$(git status --porcelain -- "${generated[@]}")" ]; then
  git --no-pager diff -- "${generated[@]}"
  git status --porcelain -- "${generated[@]}"
  echo "generated code drifted from proto/: run 'pnpm generate' and commit" >&2
  exit 1
fi
echo "generated code matches proto/"
