#!/usr/bin/env bash
# Plugin-call benchmark: nanoproc vs Extism vs a raw Wasmtime host (the floor) vs process spawn,
# all in one run. One command, safe to re-run:
#
#   bash benches/plugins/run.sh [BENCH FLAGS...]     e.g. --quick, --cycles 100000, --out FILE
#
# It also builds (once, cached) the Python and JavaScript example components for group 10 with
# `examples/components/build.sh --large`.
#
# 1. installs the pinned toolchain (rust-toolchain.toml here) and its wasm32-unknown-unknown
#    target, if missing;
# 2. builds the Extism guest (extism-guest/, its own workspace) for wasm32-unknown-unknown;
# 3. builds this bench (its own Cargo package: nanoproc + Extism 1.41 + wasmtime 48.0.4) in
#    release and runs it; extra flags are passed to it (see `--help`).
#
# Everything builds into ${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}/benches-plugins, a
# directory of its own so this toolchain does not invalidate the main build's artifacts.
# Progress goes to stderr, the Markdown report to stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
toolchain="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$here/rust-toolchain.toml")"
target_dir="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}/benches-plugins"

say() { printf '==> %s\n' "$*" >&2; }

say "toolchain $toolchain (from benches/plugins/rust-toolchain.toml)"
if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
    say "installing Rust $toolchain (rustup, minimal profile)"
    rustup toolchain install "$toolchain" --profile minimal
fi
if ! rustup target list --installed --toolchain "$toolchain" | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target to $toolchain"
    rustup target add wasm32-unknown-unknown --toolchain "$toolchain"
fi
rustc_version="$(rustup run "$toolchain" rustc --version)"

say "building the Extism guest (wasm32-unknown-unknown, release) into $target_dir"
cargo "+$toolchain" build --release --quiet --locked \
    --manifest-path "$here/extism-guest/Cargo.toml" \
    --target wasm32-unknown-unknown --target-dir "$target_dir"
guest="$target_dir/wasm32-unknown-unknown/release/extism_bench_guest.wasm"
[[ -f "$guest" ]] || { say "error: no Extism guest at $guest"; exit 1; }

say "building the bench (release) into $target_dir (first build compiles two Wasmtimes: minutes)"
# Not --locked: Cargo.lock pins Extism, Wasmtime and the rest, but nanoproc is a path
# dependency whose own dependencies may change; cargo then adds only what is missing.
cargo "+$toolchain" build --release --quiet \
    --manifest-path "$here/Cargo.toml" --target-dir "$target_dir"
bench="$target_dir/release/nanoproc-plugins-bench"

# The Python and JavaScript count_vowels components (group 10) embed an interpreter: 12-18 MB,
# not committed; build.sh builds them once (installing componentize-py and jco the first time)
# and caches them. Without them the bench runs everything else and says what it left out.
guest_flags=()
if large="$(bash "$root/examples/components/build.sh" --large)"; then
    while read -r name path; do
        case "$name" in
        count_vowels_py) guest_flags+=(--count-vowels-py "$path") ;;
        count_vowels_js) guest_flags+=(--count-vowels-js "$path") ;;
        esac
    done <<<"$large"
else
    say "warning: examples/components/build.sh --large failed; group 10 runs without the Python and JavaScript guests"
fi

say "running the bench $* (progress on stderr, report on stdout)"
exec "$bench" \
    --echo "$root/examples/plugins/bin/echo.wasm" \
    --count-vowels "$root/examples/plugins/bin/count_vowels.wasm" \
    --component-count-vowels "$root/examples/components/bin/count_vowels.wasm" \
    --component-types "$root/examples/components/bin/types.wasm" \
    "${guest_flags[@]}" \
    --extism-guest "$guest" \
    --rustc "$rustc_version" \
    --source-rev "$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)" \
    --date "$(date -u '+%Y-%m-%d %H:%M UTC')" \
    "$@"
