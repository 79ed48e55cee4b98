#!/usr/bin/env bash
# The Java SDK's per-call benchmark (bench/src/.../Bench.java): builds the JNI library and the C
# ABI (release, shared target dir), compiles the bench with Maven (the SDK's sources plus JNA
# for the comparison binding), then prints a table and `RESULT java <case> <median_ns> <p99_ns>`
# lines (JNI, the SDK) and `RESULT java:jna <case> ...` (JNA over libnanoproc_capi.so).
#
#   bash sdks/java/bench/run.sh [--quick] [--batches N] [--batch-ms N] [--no-jna] [--with-rust]
#
# --with-rust first runs the Rust API's bench (benches/sdk, `RESULT rust ...`) in the same run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"
args=()
rust=0
for a in "$@"; do
  if [ "$a" = --with-rust ]; then rust=1; else args+=("$a"); fi
done
say() { printf '==> %s\n' "$*" >&2; }

say "cargo build --release (sdks/java/native, nanoproc-capi)"
(cd "$here/../native" && cargo build --quiet --release --locked -p nanoproc-java)
(cd "$root" && cargo build --quiet --release --locked -p nanoproc-capi)
if [ "$rust" = 1 ]; then
  say "Rust API (cargo run --release -p nanoproc-sdk-bench)"
  (cd "$root" && cargo run --quiet --release --locked -p nanoproc-sdk-bench)
fi
say "mvn package (bench)"
(cd "$here" && mvn -B -q -ntp package -DskipTests >&2 \
  && mvn -B -q -ntp dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >&2)
say "Java bench"
exec java -Dnanoproc.library.path="$CARGO_TARGET_DIR/release" \
  -cp "$here/target/classes:$(cat "$here/target/classpath.txt")" dev.nanoproc.bench.Bench \
  --echo "$root/examples/plugins/bin/echo.wasm" --capi "$CARGO_TARGET_DIR/release/libnanoproc_capi.so" "${args[@]}"
