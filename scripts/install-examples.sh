#!/usr/bin/env bash
# Installs what the Go and Python examples (examples/) need: their Go modules from the Go module proxy, and a
# Python venv in .cache/examples-python with the pinned packages from PyPI. Each step reuses what is there: the Go
# module and build caches, and the venv while examples/python/requirements.txt is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || { echo "install-examples: Go 1.24+ is required (Debian: apt-get install golang-go)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "install-examples: Python 3.9+ is required (Debian: apt-get install python3-venv)" >&2; exit 1; }

# Downloads the modules (the code generators included: go.mod's `tool` lines) and warms the build cache, so the
# tests and the generated-code check need no network.
(cd examples/go && go mod download && go build -o /dev/null . && go build -o /dev/null tool)

venv=.cache/examples-python
requirements=examples/python/requirements.txt
if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
  echo "install-examples: Python packages into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi
