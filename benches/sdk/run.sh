#!/usr/bin/env bash
# SDK call overhead, in one run: the same four calls on examples/plugins/bin/echo.wasm (a
# pooling engine, the default deny-everything policy) through the Rust API, the C ABI, the Go,
# Python, .NET (Mono), Java (JNI, and JNA for comparison) and Node.js SDKs, and from Python
# also through the PyPI packages `wasmtime` (our plugin ABI implemented in Python over the same
# echo.wasm) and `extism` (an Extism guest with the same functions). Each language's bench prints `RESULT <contender> <case> <median_ns>
# <p99_ns>`; this script runs them one after the other and prints one Markdown table.
#
#   bash benches/sdk/run.sh            # everything (builds what it needs, release)
#   bash benches/sdk/run.sh rust c     # only some contenders: rust, c, go, python, dotnet, java, node
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"
which=("$@")
[ ${#which[@]} -gt 0 ] || which=(rust c go python dotnet java node)
results=$(mktemp -t nanoproc-sdk-bench.XXXXXX)
trap 'rm -f "$results"' EXIT
say() { printf '==> %s\n' "$*" >&2; }

for who in "${which[@]}"; do
  case "$who" in
    rust)
      say "Rust API (cargo run --release -p nanoproc-sdk-bench)"
      cargo run --quiet --release --locked -p nanoproc-sdk-bench | tee -a "$results" >&2 ;;
    c)
      say "C ABI (crates/nanoproc-capi/bench/run.sh)"
      bash crates/nanoproc-capi/bench/run.sh | tee -a "$results" >&2 ;;
    go)
      say "Go SDK (sdks/go/bench/run.sh)"
      bash sdks/go/bench/run.sh | tee -a "$results" >&2 ;;
    python)
      say "Python SDK, PyPI wasmtime and extism (sdks/python/bench/run.sh)"
      bash sdks/python/bench/run.sh | tee -a "$results" >&2 ;;
    dotnet)
      say ".NET SDK on Mono (sdks/dotnet/bench/run.sh)"
      bash sdks/dotnet/bench/run.sh | tee -a "$results" >&2 ;;
    java)
      say "Java SDK: JNI, and JNA for comparison (sdks/java/bench/run.sh)"
      bash sdks/java/bench/run.sh | tee -a "$results" >&2 ;;
    node)
      say "Node.js SDK: sync calls, and Promise calls (sdks/node/bench/run.sh)"
      bash sdks/node/bench/run.sh --no-rust | tee -a "$results" >&2 ;;
    *) echo "unknown contender '$who' (rust, c, go, python, dotnet, java, node)" >&2; exit 2 ;;
  esac
done

python3 - "$results" <<'PY'
import sys, collections
rows = collections.OrderedDict()
order = []
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) == 5 and parts[0] == "RESULT":
        _, who, case, med, p99 = parts
        rows.setdefault(case, {})[who] = (float(med), float(p99))
        if who not in order:
            order.append(who)
names = {"rust": "Rust API", "c": "C ABI", "go": "Go SDK", "python": "Python SDK",
         "python:wasmtime-py": "Python: PyPI wasmtime", "python:extism": "Python: PyPI extism",
         "dotnet": ".NET SDK (Mono)",
         "java": "Java SDK (JNI)", "java:jna": "Java over JNA",
         "node": "Node.js SDK (sync)", "node:async": "Node.js SDK (Promise)"}
cases = {"warm_noop": "warm call, no-op", "warm_echo_64k": "warm call, echo 64 KiB",
         "fresh_noop": "fresh sandbox + no-op", "fresh_echo_64k": "fresh sandbox + echo 64 KiB"}
def fmt(ns):
    return f"{ns:.0f} ns" if ns < 10_000 else (f"{ns/1000:.1f} µs" if ns < 10_000_000 else f"{ns/1e6:.2f} ms")
print("| case | " + " | ".join(names.get(w, w) for w in order) + " |")
print("|---" * (len(order) + 1) + "|")
for case in cases:
    if case not in rows:
        continue
    cells = []
    base = rows[case].get("rust")
    for w in order:
        if w not in rows[case]:
            cells.append("—"); continue
        med, p99 = rows[case][w]
        ratio = f", {med/base[0]:.2f}× Rust" if base and w != "rust" else ""
        cells.append(f"{fmt(med)} (p99 {fmt(p99)}{ratio})")
    print(f"| {cases[case]} | " + " | ".join(cells) + " |")
print()
goals = [("python", "warm_noop", 500, "Python warm no-op ≤ 0.5 µs"),
         ("python", "fresh_noop", 10_000, "Python fresh-sandbox no-op ≤ 10 µs"),
         ("go", "warm_noop", 200, "Go warm no-op ≤ 200 ns"),
         ("c", "warm_noop", 200, "C warm no-op ≤ 200 ns")]
for who, case, limit, text in goals:
    got = rows.get(case, {}).get(who)
    if got:
        print(f"- {text}: {fmt(got[0])}: {'met' if got[0] <= limit else 'NOT met'}")
PY
