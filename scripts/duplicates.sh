#!/usr/bin/env bash
# Lists code written twice in the hand-written part of the repository: `duplicates` (a command on the
# developers' PATH) over a copy of the tracked and untracked-but-not-ignored files, without generated code
# (`*/gen/*`: protoc-gen-es, protoc-gen-go, grpcio-tools output). `duplicates` has no exclude flag, and inside a
# git checkout it reads every tracked file, hence the copy. Extra arguments go to `duplicates` (e.g. --most 40).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v duplicates >/dev/null || { echo "duplicates is not on PATH" >&2; exit 1; }
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
git ls-files -z --cached --others --exclude-standard | grep -zv '/gen/' | while IFS= read -r -d '' file; do
  [ -f "$file" ] && printf '%s\0' "$file"
done | xargs -0 cp --parents -t "$copy"
duplicates --repo "$copy" "$@"
