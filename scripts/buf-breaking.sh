#!/usr/bin/env bash
# Fails when proto/ as it is on disk (uncommitted edits included) breaks compatibility (buf FILE rules) with:
#   - main's committed proto, so a branch or an uncommitted edit cannot break what main published (on a branch,
#     main as of the branch's fork point: what main added since is not this branch's to keep until it rebases);
#   - the latest release tag (v<semver>), or, before the first release, the commit that published screenshare.v1,
#     so main itself never drifts from what was released (this is the check that bites when HEAD is main).
# Works offline: every baseline comes from this repository's own git history.
set -euo pipefail
cd "$(dirname "$0")/.."
buf=$PWD/node_modules/.bin/buf
[ -x "$buf" ] || buf="npx buf"

first=$(git log --diff-filter=A --format=%H -- proto/buf.yaml | tail -n 1)
if [ -z "$first" ]; then echo "buf breaking: proto/ not committed yet; skipped"; exit 0; fi
release=$(git tag --list 'v[0-9]*' --sort=-version:refname | head -n 1)
baselines=()
if fork=$(git merge-base HEAD main 2>/dev/null); then baselines+=("$fork"); fi
baselines+=("${release:-$(git rev-parse --short "$first")}")

# One-time exception, for baselines from before the language options (go_package, java_package, ...) existed:
# adding them changes only the names of generated code in languages nobody could generate before (Go needs
# go_package), to the values buf's managed mode sets anyway; the wire and JSON forms stay the same. Baselines that
# already carry the options get every FILE rule, so changing an option afterwards is caught.
added_options='{"version":"v2","breaking":{"use":["FILE"],"except":["FILE_SAME_GO_PACKAGE","FILE_SAME_JAVA_PACKAGE",
"FILE_SAME_JAVA_MULTIPLE_FILES","FILE_SAME_JAVA_OUTER_CLASSNAME","FILE_SAME_CSHARP_NAMESPACE","FILE_SAME_OBJC_CLASS_PREFIX",
"FILE_SAME_PHP_NAMESPACE","FILE_SAME_PHP_METADATA_NAMESPACE","FILE_SAME_RUBY_PACKAGE"]}}'

status=0
for ref in "${baselines[@]}"; do
  config=()
  if ! git grep --quiet 'option go_package' "$ref" -- proto; then config=(--config "$added_options"); fi
  label="$ref"
  [ "$ref" = "${fork:-}" ] && label="main ($(git rev-parse --short "$ref"))"
  # From inside proto/ so that --config's module is proto/ itself.
  if (cd proto && $buf breaking . --against "../.git#ref=$(git rev-parse "$ref"),subdir=proto" "${config[@]}"); then
    echo "buf breaking: proto/ on disk is compatible with $label"
  else
    echo "buf breaking: proto/ on disk breaks $label (see above); make the change additive" >&2
    status=1
  fi
done
exit "$status"
