#!/usr/bin/env bash
# Installs everything the project needs on a fresh machine: pnpm, the workspace's packages, Debian's redis-server
# and chromium, and a real LiveKit server built from the Go module proxy. Safe to run again: each step skips
# what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

pnpm_version=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  echo "bootstrap: installing pnpm $pnpm_version"
  npm install --global --silent "pnpm@$pnpm_version"
fi
pnpm install --frozen-lockfile --reporter=silent
bash scripts/install-system.sh
bash scripts/install-livekit.sh
bash scripts/install-examples.sh
