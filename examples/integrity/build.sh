#!/usr/bin/env bash
# Rebuilds the signed example binaries in examples/integrity/bin/ from the example guests and
# plugins, signed with the committed publisher test key (keys/publisher.key; TEST KEYS ONLY,
# never trust them for anything real). Ed25519 signatures are deterministic, so the same inputs
# give the same bytes; crates/nanoproc/tests/all/integrity.rs checks bin/ still matches.
#
#   bash examples/integrity/build.sh           rewrite bin/
#   bash examples/integrity/build.sh --check   compare a fresh signing with bin/ (exit 1 if not)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"
cargo build --quiet --locked -p nanoproc-cli --manifest-path "$root/Cargo.toml"
nanoproc="$CARGO_TARGET_DIR/debug/nanoproc"
out="$here/bin"
if [ "${1:-}" = "--check" ]; then
  out="$(mktemp -d -t nanoproc-signed.XXXXXX)"
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
# source => signed file
pairs=(
  "$root/examples/guests/bin/hello.wasm=hello.signed.wasm"
  "$root/examples/plugins/bin/echo.wasm=echo.signed.wasm"
)
for pair in "${pairs[@]}"; do
  src="${pair%%=*}" dst="$out/${pair#*=}"
  rm -f "$dst"
  "$nanoproc" sign --key "$here/keys/publisher.key" --output "$dst" "$src" >/dev/null
done
if [ "${1:-}" = "--check" ]; then
  status=0
  for pair in "${pairs[@]}"; do
    name="${pair#*=}"
    if cmp -s "$out/$name" "$here/bin/$name"; then echo "ok $name"; else echo "MISMATCH $name"; status=1; fi
  done
  exit "$status"
fi
ls -l "$out"
