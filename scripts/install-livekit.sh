#!/usr/bin/env bash
# Builds a real LiveKit server from the Go module proxy into .cache/bin/server (skipped when that version is
# there). v1.13.5 is pinned on purpose: later tags carry `replace` directives in go.mod, which `go install` refuses.
# Works with or without a warm Go build cache (~/.cache/go-build); a cold build takes a few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
version=v1.13.5
bin=.cache/bin/server
if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "livekit-server version ${version#v}" ]; then exit 0; fi
command -v go >/dev/null || { echo "install-livekit: Go is required (Debian: apt-get install golang-go)" >&2; exit 1; }
echo "install-livekit: building livekit-server $version (a few minutes the first time)"
mkdir -p .cache/bin
GOBIN="$PWD/.cache/bin" go install "github.com/livekit/livekit-server/cmd/server@$version"
"$bin" --version
