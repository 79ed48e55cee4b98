#!/usr/bin/env bash
# Installs the npm dev tools and builds the native addon (release) into this folder:
#
#   bash sdks/node/build.sh
#
# 1. `npm ci` when node_modules does not match package-lock.json (npm records what it
#    installed in node_modules/.package-lock.json; an identical copy means nothing to do);
# 2. `napi build --platform --release` (@napi-rs/cli, pinned in package.json): cargo builds the
#    cdylib in $CARGO_TARGET_DIR (default /var/tmp/nanoproc-target) with this crate's own
#    Cargo.lock (--locked), and the CLI copies it here as nanoproc.<platform>.node, which
#    index.js loads. Its generated typings go to native.d.ts (git-ignored; the public
#    types are the hand-written index.d.ts).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"

if ! cmp -s package-lock.json node_modules/.package-lock.json 2>/dev/null \
  && ! node -e '
    const a = require("./package-lock.json").packages, b = require("./node_modules/.package-lock.json").packages;
    const strip = (p) => Object.fromEntries(Object.entries(p).filter(([k]) => k !== "").map(([k, v]) => [k, v.version]));
    process.exit(JSON.stringify(strip(a)) === JSON.stringify(strip(b)) ? 0 : 1)' 2>/dev/null; then
  echo "==> npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

echo "==> napi build --platform --release (cargo, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)" >&2
node_modules/.bin/napi build --platform --release --no-js --dts native.d.ts -- --locked >&2
