#!/usr/bin/env bash
# The C ABI benchmark: builds the release static library (cargo build --release -p
# nanoproc-capi), bench.c with -O2 against it, and runs it. Prints a table, `RESULT c <case>
# <median_ns> <p99_ns>` lines (read by benches/sdk/run.sh) and the warm no-op goal line.
#
#   bash crates/nanoproc-capi/bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"
out="$CARGO_TARGET_DIR/capi-c/bench"
mkdir -p "$out"
cargo build --quiet --release --locked -p nanoproc-capi >&2
lib="$CARGO_TARGET_DIR/release/libnanoproc_capi.a"
# The system libraries the static library needs (`--print native-static-libs` on Linux/glibc).
${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -I crates/nanoproc-capi/include \
  crates/nanoproc-capi/bench/bench.c -o "$out/bench" \
  "$lib" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
"$out/bench" "$(pwd)"
