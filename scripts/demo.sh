#!/usr/bin/env bash
# The README's run command: installs everything, builds the web apps, then starts LiveKit, the reference server and
# the agent console and customer page (with a demo-only platform simulator) on 127.0.0.1 with embedded defaults,
# and prints the URLs to open. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec pnpm --silent --filter @screenshare/web exec tsx platform/demo.ts
