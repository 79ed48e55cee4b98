#!/usr/bin/env bash
# Per-call overhead from Node.js vs the Rust API, in one run: builds the addon (../build.sh),
# runs the Rust API bench (benches/sdk: `cargo run --release -p nanoproc-sdk-bench`, the
# same four cases on echo.wasm) and bench.mjs, then prints both side by side with the ratio.
# Each bench's `RESULT <contender> <case> <median_ns> <p99_ns>` lines are printed as they come.
#
#   bash sdks/node/bench/run.sh [--quick] [--no-rust] [bench.mjs flags...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"
say() { printf '==> %s\n' "$*" >&2; }

rust=1
node_args=()
for a in "$@"; do
  case "$a" in
    --no-rust) rust=0 ;;
    *) node_args+=("$a") ;;
  esac
done

bash "$here/../build.sh"
results="$(mktemp -t nanoproc-node-bench.XXXXXX)"
trap 'rm -f "$results"' EXIT
if [ "$rust" = 1 ]; then
  say "Rust API (cargo run --release -p nanoproc-sdk-bench)"
  (cd "$root" && cargo run --quiet --release --locked -p nanoproc-sdk-bench) | tee -a "$results"
fi
say "Node.js SDK (bench.mjs ${node_args[*]:-})"
node "$here/bench.mjs" "${node_args[@]}" | tee -a "$results"

echo
node - "$results" <<'JS'
const lines = require('fs').readFileSync(process.argv[2], 'utf8').split('\n')
const rows = new Map()
const who = []
for (const l of lines) {
  const p = l.trim().split(/\s+/)
  if (p.length !== 5 || p[0] !== 'RESULT') continue
  if (!rows.has(p[2])) rows.set(p[2], {})
  rows.get(p[2])[p[1]] = [Number(p[3]), Number(p[4])]
  if (!who.includes(p[1])) who.push(p[1])
}
const fmt = (ns) => (ns < 10_000 ? `${ns.toFixed(0)} ns` : ns < 1e7 ? `${(ns / 1000).toFixed(1)} µs` : `${(ns / 1e6).toFixed(2)} ms`)
console.log(`| case | ${who.join(' | ')} |`)
console.log(`|---${'|---'.repeat(who.length)}|`)
for (const [c, r] of rows) {
  const cells = who.map((w) => {
    if (!r[w]) return '—'
    const base = r.rust && w !== 'rust' ? `, ${(r[w][0] / r.rust[0]).toFixed(2)}× Rust` : ''
    return `${fmt(r[w][0])} (p99 ${fmt(r[w][1])}${base})`
  })
  console.log(`| ${c} | ${cells.join(' | ')} |`)
}
JS
