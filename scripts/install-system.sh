#!/usr/bin/env bash
# Installs the Debian packages the tests, the demo and the benchmarks run: redis-server (the shared store),
# chromium (browser tests; never a browser download), tesseract-ocr with its English data (the legibility benchmark
# reads shared text), iproute2 (`tc` caps bandwidth in the benchmark's namespace) and python3-venv (the Python
# example). Skips what is there.
set -euo pipefail
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v tesseract >/dev/null || missing+=(tesseract-ocr)
compgen -G "/usr/share/tesseract-ocr/*/tessdata/eng.traineddata" >/dev/null || missing+=(tesseract-ocr-eng)
command -v tc >/dev/null || missing+=(iproute2)
# The Python example's venv (scripts/install-examples.sh); Debian splits venv (and its pip) out of python3.
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-system: need root to install ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "install-system: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
