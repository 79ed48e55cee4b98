#!/usr/bin/env bash
# Installs the npm dev tools and builds the native addon (release) into this folder as
# nanoproc.node, which index.js loads:
#
#   bash sdks/node/build.sh          # cargo build --release + copy (the default)
#   bash sdks/node/build.sh --cli    # the same build through @napi-rs/cli (`napi build --release`)
#
# 1. `npm ci` unless node_modules was installed by it from this package-lock.json (a checksum
#    of the lock file kept in node_modules), so repeat runs are offline and quick;
# 2. the cdylib (the workspace member nanoproc-node, --locked) in $CARGO_TARGET_DIR (default
#    /var/tmp/nanoproc-target).
#
# Why cargo + copy by default: @napi-rs/cli 3 always passes `--target <host triple>` to cargo,
# which puts the whole build under $CARGO_TARGET_DIR/<triple>/release, apart from every other
# release build of the workspace: one more full release build of Wasmtime (about 11 minutes on
# the 2-core development machine) that nothing else shares. Plain `cargo build --release`
# builds the same library into $CARGO_TARGET_DIR/release. `--cli` takes the CLI's route (its
# generated typings go to native.d.ts, git-ignored: the public types are index.d.ts).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"

# npm ci, unless node_modules was installed by it from this very package-lock.json.
stamp=node_modules/.nanoproc-lock
lock_sum="$(cksum <package-lock.json)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  echo "==> npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$lock_sum" >"$stamp"
fi

if [ "${1:-}" = "--cli" ]; then
  echo "==> napi build --release (@napi-rs/cli; CARGO_TARGET_DIR=$CARGO_TARGET_DIR)" >&2
  node_modules/.bin/napi build --release --no-js --dts native.d.ts -- --locked >&2
else
  echo "==> cargo build --release --locked (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)" >&2
  cargo build --release --locked --quiet -p nanoproc-node >&2
  case "$(uname -s)" in
    Darwin) lib=libnanoproc_node.dylib ;;
    *) lib=libnanoproc_node.so ;;
  esac
  # Copy to a temporary name and rename, so a running node never maps a half-written file.
  cp "$CARGO_TARGET_DIR/release/$lib" nanoproc.node.tmp
  mv -f nanoproc.node.tmp nanoproc.node
fi
