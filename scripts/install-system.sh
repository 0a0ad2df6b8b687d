#!/usr/bin/env bash
# Installs the Debian packages the tests and the demo run: redis-server (the shared store) and chromium (browser
# tests; never a browser download). Skips what is there.
set -euo pipefail
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-system: need root to install ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "install-system: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
