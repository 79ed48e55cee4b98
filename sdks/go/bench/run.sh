#!/usr/bin/env bash
# Builds the C ABI (release) and runs the Go SDK benchmark (bench/main.go): a table, then
# `RESULT go <case> <median_ns> <p99_ns>` lines and the goal check, on stdout.
#
#   bash sdks/go/bench/run.sh [-quick] [-batches N] [-batch 2ms]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=../env.sh
. "$here/env.sh"
cd "$here"
go build -o "${TMPDIR:-/tmp}/nanoproc-go-bench.$$" ./bench
trap 'rm -f "${TMPDIR:-/tmp}/nanoproc-go-bench.$$"' EXIT
"${TMPDIR:-/tmp}/nanoproc-go-bench.$$" "$@"
