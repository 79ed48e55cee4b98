#!/usr/bin/env bash
# Builds the C ABI (release) and the .NET SDK (Mono), then runs the benchmark (bench/Program.cs):
# a table, then `RESULT dotnet <case> <median_ns> <p99_ns>` lines on stdout.
#
#   bash sdks/dotnet/bench/run.sh [--quick] [--batches N] [--batch-ms 2]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=../../../examples/build-common.sh
source "$repo/examples/build-common.sh"
ensure_apt_packages mono-devel
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"
(cd "$repo" && cargo build --quiet --release --locked -p nanoproc-capi >&2)
export NANOPROC_CAPI_LIB="$CARGO_TARGET_DIR/release/libnanoproc_capi.so"
out="$(bash "$here/build.sh")"
cd "$repo"
NANOPROC_REPO="$repo" exec mono --optimize=all "$out/Bench.exe" "$@"
