#!/usr/bin/env bash
# Fails when proto/ breaks compatibility with the main branch (FILE rules). Works offline: the baseline is read
# from this repository's own git history.
set -euo pipefail
cd "$(dirname "$0")/.."
against="${BUF_BREAKING_AGAINST:-main}"
if ! git rev-parse --verify --quiet "$against" >/dev/null; then
  echo "buf breaking: no '$against' ref to compare with; skipped"
  exit 0
fi
if ! git cat-file -e "$against:proto/buf.yaml" 2>/dev/null; then
  echo "buf breaking: '$against' has no proto/ yet; skipped"
  exit 0
fi
npx buf breaking proto --against ".git#ref=$against,subdir=proto"
