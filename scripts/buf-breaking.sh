#!/usr/bin/env bash
# Fails when proto/ breaks compatibility (buf FILE rules). Works offline: baselines come from this repository's
# own git history. Compared with main when HEAD is not main; when HEAD is main (as in CI) compared with the first
# commit that published screenshare.v1, so v1 never breaks at all.
set -euo pipefail
cd "$(dirname "$0")/.."
first=$(git log --diff-filter=A --format=%H -- proto/buf.yaml | tail -n 1)
if [ -z "$first" ]; then echo "buf breaking: proto/ not committed yet; skipped"; exit 0; fi
baselines=("$first")
if main=$(git rev-parse --verify --quiet main) && [ "$main" != "$(git rev-parse HEAD)" ]; then baselines+=("$main"); fi
for ref in "${baselines[@]}"; do
  npx buf breaking proto --against ".git#ref=$ref,subdir=proto"
  echo "buf breaking: compatible with $(git rev-parse --short "$ref")"
done
