#!/usr/bin/env bash
# Python plugin-call benchmark: nanoproc vs PyPI wasmtime vs PyPI extism, one command, safe to
# re-run:
#
#   bash sdks/python/bench/run.sh [BENCH FLAGS...]      e.g. --quick, --batches 500
#
# 1. makes (once) the bench venv (NANOPROC_PY_BENCH_VENV, default
#    /var/tmp/nanoproc-py-bench-venv) and builds and installs nanoproc into it (../install.sh);
# 2. installs extism==1.1.1 and wasmtime==50.0.1 from PyPI into it; a package that does not
#    install is reported and its contender skipped;
# 3. builds the Extism guest (benches/plugins/extism-guest, for wasm32-unknown-unknown) the way
#    benches/plugins/run.sh does, with the toolchain pinned in benches/plugins/rust-toolchain.toml,
#    or reuses the one that script left in $CARGO_TARGET_DIR/benches-plugins; if it cannot be
#    built, Extism is skipped with a message;
# 4. runs bench.py: a table, `RESULT <contender> <case> <median_ns> <p99_ns>` lines and the
#    goal checks on stdout; progress on stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"
venv="${NANOPROC_PY_BENCH_VENV:-/var/tmp/nanoproc-py-bench-venv}"
say() { printf '==> %s\n' "$*" >&2; }

bash "$here/../install.sh" "$venv"

for req in extism==1.1.1 wasmtime==50.0.1; do
  name="${req%%==*}"
  if [[ "$("$venv/bin/python" -c "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))" "$name" 2>/dev/null)" == "${req#*==}" ]]; then
    continue
  fi
  say "installing $req into $venv"
  if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$req" >&2; then
    echo "SKIP-INSTALL $req: pip could not install it; its contender will be skipped"
  fi
done

plugins="$root/benches/plugins"
target_dir="$CARGO_TARGET_DIR/benches-plugins"
guest="$target_dir/wasm32-unknown-unknown/release/extism_bench_guest.wasm"
build_guest() {
  local toolchain
  toolchain="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$plugins/rust-toolchain.toml")"
  say "Extism guest: toolchain $toolchain (from benches/plugins/rust-toolchain.toml)"
  if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
    say "installing Rust $toolchain (rustup, minimal profile)"
    rustup toolchain install "$toolchain" --profile minimal >&2 || return 1
  fi
  if ! rustup target list --installed --toolchain "$toolchain" | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown --toolchain "$toolchain" >&2 || return 1
  fi
  say "building the Extism guest (wasm32-unknown-unknown, release) into $target_dir"
  cargo "+$toolchain" build --release --quiet --locked \
    --manifest-path "$plugins/extism-guest/Cargo.toml" \
    --target wasm32-unknown-unknown --target-dir "$target_dir" >&2 || return 1
}
# Cargo decides whether the guest is up to date (a no-op when benches/plugins/run.sh built it).
if ! build_guest || [[ ! -f "$guest" ]]; then
  echo "SKIP-BUILD extism guest: could not build benches/plugins/extism-guest (see stderr)"
  guest=""
fi

say "running bench.py $*"
cd "$root"
exec "$venv/bin/python" "$here/bench.py" ${guest:+--extism-guest "$guest"} "$@"
