# Sourced by test.sh and bench/run.sh: builds the C ABI (release, static and shared library,
# in the shared Cargo target dir) and exports what cgo needs to find it. Idempotent: a repeat
# build only checks freshness.
#
# Environment: CARGO_TARGET_DIR (default /var/tmp/nanoproc-target); CGO_LDFLAGS is extended,
# not replaced.
go_sdk="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$go_sdk/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"

echo "==> cargo build --release -p nanoproc-capi (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)" >&2
(cd "$repo" && cargo build --quiet --release --locked -p nanoproc-capi >&2)

lib="$CARGO_TARGET_DIR/release"
if [ ! -f "$lib/libnanoproc_capi.a" ]; then
  echo "error: $lib/libnanoproc_capi.a is missing after the build" >&2
  exit 1
fi
export CGO_ENABLED=1
export CGO_LDFLAGS="-L$lib${CGO_LDFLAGS:+ $CGO_LDFLAGS}"
# No dependencies: nothing may come from a module proxy, and go.mod's version is met locally.
export GOPROXY=off GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-}"
