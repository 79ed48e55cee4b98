#!/usr/bin/env bash
# Builds and tests the Java SDK: builds the JNI library (native/, cargo, release, shared target
# dir), then `mvn -B test` (Maven fetches the pinned plugins and JUnit as needed; Surefire runs
# the JUnit 5 tests, which include running both examples), then launches both examples with a
# plain `java -cp`. Ends with Surefire's `Tests run: N, Failures: N, Errors: N, Skipped: N` line
# and `java: N passed, N failed`.
#
#   bash sdks/java/test.sh [MAVEN ARGS...]      # e.g. -Dtest=CancelTest
#
# Environment: CARGO_TARGET_DIR (default /var/tmp/nanoproc-target); needs cargo, a JDK >= 17
# and Maven (mvn) in PATH.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"
lib="$CARGO_TARGET_DIR/release"
say() { printf '==> %s\n' "$*" >&2; }

for tool in cargo java javac mvn; do
  if ! command -v "$tool" >/dev/null; then
    echo "error: no $tool in PATH (the Java SDK needs cargo, a JDK >= 17 and Maven)" >&2
    exit 1
  fi
done

say "cargo build --release (sdks/java/native -> $lib/libnanoproc_java.so)"
(cd "$here/native" && cargo build --quiet --release --locked -p nanoproc-java)

say "mvn -B test ($(java -version 2>&1 | head -1))"
log="$(mktemp -t nanoproc-java-test.XXXXXX)"
trap 'rm -f "$log"' EXIT
status=0
(cd "$here" && mvn -B -ntp -Dstyle.color=never test -Dnanoproc.native.dir="$lib" "$@") >"$log" 2>&1 || status=$?
# Failures in full (Surefire's and the compiler's lines), without Maven's progress noise.
grep -E '^\[(ERROR|WARNING)\]|FAIL|Tests run:.*(Failures: [1-9]|Errors: [1-9])' "$log" \
  | grep -v -E '^\[ERROR\] *$|Re-run Maven|For more information|Help 1|full stack trace|^\[WARNING\] Tests run:.*Failures: 0, Errors: 0' || true

if [ "$status" = 0 ]; then
  for example in Extend Isolate; do
    say "java -cp ... dev.nanoproc.examples.$example"
    if ! (cd "$here/../.." && java -Dnanoproc.library.path="$lib" \
        -cp "$here/target/classes:$here/target/test-classes" "dev.nanoproc.examples.$example") >"$log.ex" 2>&1; then
      cat "$log.ex" >&2
      echo "error: example $example failed" >&2
      status=1
    fi
    rm -f "$log.ex"
  done
fi

# Surefire's summary (the last `Tests run:` line without a class name), then the count.
summary="$(grep -E '^\[(INFO|ERROR|WARNING)\] Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$' "$log" | tail -1 | sed -E 's/^\[[A-Z]+\] //')"
if [ -z "$summary" ]; then
  tail -40 "$log" >&2
  summary="Tests run: 0, Failures: 0, Errors: 0, Skipped: 0"
fi
echo "$summary"
run=$(sed -E 's/Tests run: ([0-9]+).*/\1/' <<<"$summary")
failures=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$summary")
errors=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$summary")
skipped=$(sed -E 's/.*Skipped: ([0-9]+).*/\1/' <<<"$summary")
failed=$((failures + errors))
passed=$((run - failed - skipped))
# A failure no test reported (a build error, a crash, an example) still counts as one.
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "java: $passed passed, $failed failed"
exit "$status"
