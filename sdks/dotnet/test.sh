#!/usr/bin/env bash
# Builds and tests the .NET SDK on Mono: installs mono-devel (Debian, idempotently), builds the
# C ABI in release (cargo, shared target dir), compiles the library (.NET Standard 2.0 check
# included), the tests, both examples and the benchmark into a build dir outside the
# repository (build.sh), then runs the tests, which also run both examples and check their
# output. Ends with the test runner's line, `N passed, N failed`; exits non-zero on any failure.
#
#   bash sdks/dotnet/test.sh [TEST NAME SUBSTRING...]
#
# Environment: CARGO_TARGET_DIR (default /var/tmp/nanoproc-target), NANOPROC_DOTNET_BUILD (the
# build dir, default /var/tmp/nanoproc-dotnet-build).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=../../examples/build-common.sh
source "$repo/examples/build-common.sh"

ensure_apt_packages mono-devel

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"
echo "==> cargo build --release -p nanoproc-capi" >&2
(cd "$repo" && cargo build --quiet --release --locked -p nanoproc-capi >&2)
export NANOPROC_CAPI_LIB="$CARGO_TARGET_DIR/release/libnanoproc_capi.so"
[ -f "$NANOPROC_CAPI_LIB" ] || { echo "error: $NANOPROC_CAPI_LIB was not built" >&2; exit 1; }

out="$(bash "$here/build.sh")"

echo "==> mono Tests.exe ($(mono --version | head -n1))" >&2
cd "$repo"
# The library is found through the dllmap build.sh wrote (Nanoproc.dll.config); the examples'
# test also runs one example through LD_LIBRARY_PATH instead.
export NANOPROC_REPO="$repo"
exec mono --debug "$out/Tests.exe" "$@"
