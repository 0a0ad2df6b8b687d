#!/usr/bin/env bash
# Regenerates every language's code from proto/ (`pnpm generate`): TypeScript, then the Go and Python examples'
# (their generators come from scripts/install-examples.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH" # protoc-gen-es
buf=$PWD/node_modules/.bin/buf
"$buf" generate
(cd bench && "$buf" generate)
(cd examples/go && "$buf" generate)
(cd examples/python && PATH="$PWD/../../.cache/examples-python/bin:$PATH" "$buf" generate)
