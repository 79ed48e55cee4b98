#!/usr/bin/env bash
# Runs every test of nanoproc on a fresh machine: installs what it needs (idempotently),
# checks formatting and lints, then runs the whole test suite, including the check that
# the prebuilt example guests still match their sources. Ends with the test runners'
# summary lines.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n==> %s\n' "$*"; }

step "toolchain: rustfmt, clippy and the wasm targets"
have_component() { rustup component list --installed 2>/dev/null | grep -q "^$1"; }
for c in rustfmt clippy; do have_component "$c" || rustup component add "$c"; done
installed_targets=$(rustup target list --installed)
for t in wasm32-wasip1 wasm32-wasip2 wasm32-unknown-unknown; do
  grep -qx "$t" <<<"$installed_targets" || rustup target add "$t"
done

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test --doc"
cargo test --workspace --locked --doc 2>&1

step "cargo test (workspace, including the check that the prebuilt guests match their sources)"
cargo test --workspace --locked --all-targets -- --include-ignored 2>&1
