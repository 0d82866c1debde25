#!/usr/bin/env bash
# Install Salesforce's own CLI (npm package @salesforce/cli) for the tests that run it against
# the Salesforce sandbox, into a directory of this checkout; nothing global is touched.
#   scripts/sf-cli.sh [DIR]      DIR defaults to .tmp/sfcli; prints where `sf` is
# Everything comes from the npm registry, with install scripts off (no browser, no download
# outside npm). The CLI needs Node 22 or newer: with an older `node` on PATH, the Node binary
# npm publishes for this platform (node-<platform>-<arch>) is installed beside it, and
# DIR/node_modules/.bin (first on PATH in the tests) holds both `sf` and that `node`.
# Without node or npm it only warns: the tests then say what is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir="${1:-$here/.tmp/sfcli}"
cli_version="${SF_CLI_VERSION:-2.150.6}"
node_major=22

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "sf-cli: node and npm are not installed; the Salesforce CLI tests cannot run (Debian: apt-get install nodejs npm)" >&2
  exit 0
fi
mkdir -p "$dir"
npm_install() { npm install --prefix "$dir" --ignore-scripts --no-fund --no-audit --loglevel=error "$@" >&2; }

have=$(node -p 'process.versions.node.split(".")[0]')
if [ "$have" -lt "$node_major" ] && [ ! -x "$dir/node_modules/.bin/node" ]; then
  platform=$(node -p 'process.platform + "-" + process.arch')
  echo "sf-cli: node $(node --version) is older than the CLI needs ($node_major); installing node-$platform@$node_major from npm" >&2
  npm_install "node-$platform@$node_major"
fi
if [ ! -x "$dir/node_modules/.bin/sf" ] || ! grep -q "\"version\": \"$cli_version\"" "$dir/node_modules/@salesforce/cli/package.json"; then
  echo "sf-cli: installing @salesforce/cli@$cli_version into $dir" >&2
  npm_install "@salesforce/cli@$cli_version"
fi
echo "$dir/node_modules/.bin/sf"
