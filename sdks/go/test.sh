#!/usr/bin/env bash
# Builds and tests the Go SDK: builds the C ABI in release (cargo, shared target dir) and points
# cgo at it (env.sh), then `go vet` and `go test` of every package, with the race detector when
# it works here; the tests include building and running both examples. Ends with go test's lines
# and a count: `go: N passed, N failed[, N skipped]`.
#
#   bash sdks/go/test.sh [GO TEST ARGS...]     # e.g. -run Cancel, -short (skips the examples)
#
# Environment: CARGO_TARGET_DIR (default /var/tmp/nanoproc-target), NANOPROC_GO_RACE=0 to skip
# the race detector.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=env.sh
. "$here/env.sh"
cd "$here"

if ! command -v go >/dev/null; then
  echo "error: no go command in PATH (the Go SDK needs Go >= 1.22)" >&2
  exit 1
fi
echo "==> $(go version), CGO_LDFLAGS=$CGO_LDFLAGS" >&2

echo "==> gofmt -l" >&2
unformatted="$(gofmt -l .)"
if [ -n "$unformatted" ]; then
  echo "error: not gofmt-formatted: $unformatted" >&2
  exit 1
fi

echo "==> go vet ./..." >&2
go vet ./...

race=()
if [ "${NANOPROC_GO_RACE:-1}" != 0 ] && go test -race -count=1 -run '^$' . >/dev/null 2>&1; then
  race=(-race)
fi
echo "==> go test ${race[*]} ./..." >&2
log="$(mktemp -t nanoproc-go-test.XXXXXX)"
trap 'rm -f "$log"' EXIT
status=0
go test "${race[@]}" -count=1 -v ./... "$@" >"$log" 2>&1 || status=$?
# The failures in full, then go test's summary lines.
grep -v -E '^(=== (RUN|PAUSE|CONT)|--- PASS|PASS$|    --- PASS)' "$log" | grep -v -E '^\s*$' || true
passed=$(grep -c -E '^\s*--- PASS' "$log" || true)
failed=$(grep -c -E '^\s*--- FAIL' "$log" || true)
skipped=$(grep -c -E '^\s*--- SKIP' "$log" || true)
# A failure no test reported (a timeout, a crash, a build error) still counts as one.
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "go: $passed passed, $failed failed, $skipped skipped"
exit "$status"
