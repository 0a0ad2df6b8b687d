#!/usr/bin/env bash
# The README's run command: installs everything, then starts LiveKit and the reference server on 127.0.0.1 with
# embedded defaults and prints the URLs to open. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec pnpm --silent --filter @screenshare/server exec tsx src/demo.ts
