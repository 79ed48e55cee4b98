#!/usr/bin/env bash
# The main job of nanoproc, on the bundled example guests: WASI programs run as
# deny-by-default nano-processes, refused what they were not granted, and stopped at
# their limits with a clear message while the host carries on.
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"
G=examples/guests/bin

echo "==> building nanoproc (release; the first build takes a few minutes)"
cargo build --release --locked -q -p nanoproc-cli || exit 1
NANOPROC="$CARGO_TARGET_DIR/release/nanoproc"

failures=0
# show EXPECTED_EXIT DESCRIPTION -- COMMAND...
show() {
    local expected=$1 what=$2; shift 3
    printf '\n\033[1m## %s\033[0m\n$ nanoproc %s\n' "$what" "$*"
    "$NANOPROC" "$@"
    local rc=$?
    if [ "$rc" -eq "$expected" ]; then
        printf '\n[exit %d, as expected]\n' "$rc"
    else
        printf '[exit %d, EXPECTED %d]\n' "$rc" "$expected"
        failures=$((failures + 1))
    fi
}

show 0   "A WASI preview 1 program (Rust)"                 -- run $G/hello.wasm
show 0   "A WASI preview 2 component"                      -- run $G/hello_p2.wasm
show 0   "A Go program (GOOS=wasip1)"                      -- run $G/hello_go.wasm
show 1   "Deny by default: reading /etc/hosts is refused"  -- run $G/cat.wasm -- /etc/hosts
show 0   "The same read, granted (read-only mount)"        -- run --dir /etc::/etc $G/cat.wasm -- /etc/hosts
show 0   "Environment variables are absent unless granted (nothing printed)" -- run $G/env.wasm
show 0   "... and present when granted"                    -- run --env GREETING=hello --env HOME $G/env.wasm
show 124 "A tight loop, stopped by --timeout"              -- run --timeout 1s $G/spin.wasm
show 124 "A guest asleep in a host call, stopped by --timeout" -- run --timeout 1s $G/sleep.wasm
show 121 "A memory bomb, stopped by --max-memory"          -- run --max-memory 32MiB $G/memhog.wasm
show 121 "Eight 4 MiB memories: one budget for all of them" -- run --max-memory 16MiB $G/multimem.wasm
show 122 "An output flood, stopped by --max-output"        -- run --max-output 2KiB $G/flood.wasm
show 0   "The host is unharmed: the next sandbox runs as ever" -- run $G/hello.wasm

P=examples/plugins/bin
echo
echo "==> Extend: plugins are called with bytes in, bytes out, each call in a fresh sandbox"
show 0   "A Rust plugin (PDK)"                             -- call $P/count_vowels.wasm count_vowels --input "Hello, nano-process"
show 0   "The same function written in C"                  -- call $P/count_vowels_c.wasm count_vowels --input "Hello, nano-process"
show 0   "... and in Go (//go:wasmexport)"                 -- call $P/count_vowels_go.wasm count_vowels --input "Hello, nano-process"
show 0   "Isolate: 2,000 calls, each in its own fresh sandbox" -- call --repeat 2000 $P/count_vowels.wasm count_vowels --input "aeiou"
show 124 "A plugin stuck in a loop, stopped by --timeout"  -- call --timeout 500ms $P/echo.wasm spin
show 125 "A plugin importing a host function nobody granted is refused at load" -- call $P/ungranted_host.wasm run

C=examples/components/bin
echo
echo "==> Typed interfaces: components declare their imports in WIT and are called with typed values"
show 0   "A plugin component (nanoproc:plugin WIT): same call, same result" -- call $C/count_vowels.wasm count_vowels --input "Hello, nano-process"
show 0   "Any component function, JSON arguments in, JSON out" -- call $C/types.wasm 'nanoproc:examples/all-types#describe' --args '[{"name": "Ada", "age": 36, "nickname": null, "scores": [], "home": {"x": 0, "y": 0}}]'
show 0   "Isolate: 1,000 typed calls, each in its own fresh sandbox" -- call --repeat 1000 $C/types.wasm 'nanoproc:examples/all-types#add' --args '[40, 2]'
show 125 "A component importing an interface nobody provides is refused at load" -- call $C/missiles.wasm run
show 125 "An interface switched off by policy is refused at load" -- run --deny-wasi http $C/http_get.wasm -- http://127.0.0.1:9/
show 1   "Outgoing HTTP is denied unless the origin is granted" -- run $C/http_get.wasm -- http://127.0.0.1:9/

echo
echo "==> Integrity: only code a trusted key signed runs; a signed receipt says what ran"
I=examples/integrity
keys=$(mktemp -d -t nanoproc-demo-keys.XXXXXX)
tampered="$keys/hello.tampered.wasm"
python3 - "$I/bin/hello.signed.wasm" "$tampered" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.rfind(b"hello from")
b[i] = ord("j")
open(sys.argv[2], "wb").write(b)
PY
show 0   "Keys for a host that signs run receipts"            -- keygen --out "$keys/host"
show 0   "Who signed it (key ids, unverified)"                 -- inspect $I/bin/hello.signed.wasm
show 0   "A binary signed by the trusted publisher key runs, and leaves a signed receipt" -- run --trust-key $I/keys/publisher.pub --receipt "$keys/run.json" --receipt-key "$keys/host.key" $I/bin/hello.signed.wasm
show 0   "Anyone with the host's public key checks the receipt" -- verify-receipt --pubkey "$keys/host.pub" --module $I/bin/hello.signed.wasm "$keys/run.json"
show 126 "The unsigned original is refused before it is compiled" -- run --trust-key $I/keys/publisher.pub $G/hello.wasm
show 126 "So is the signed binary with one byte of its data changed" -- run --trust-key $I/keys/publisher.pub "$tampered"
sed -i 's/"exit_code": 0/"exit_code": 1/' "$keys/run.json"
show 126 "And a receipt edited after signing"                  -- verify-receipt --pubkey "$keys/host.pub" "$keys/run.json"
rm -rf "$keys"

echo
echo "==> From another language: a C host, through the C ABI (include/nanoproc.h; Go and Python SDKs: sdks/)"
# run_host DESCRIPTION -- PROGRAM ARGS...: a host program; expected to exit 0.
run_host() {
    local what=$1; shift 2
    printf '\n\033[1m## %s\033[0m\n$ %s\n' "$what" "$*"
    if "$@"; then
        printf '\n[exit 0, as expected]\n'
    else
        printf '[exit %d, EXPECTED 0]\n' "$?"
        failures=$((failures + 1))
    fi
}
hosts=$(mktemp -d -t nanoproc-demo-hosts.XXXXXX)
trap 'rm -rf "$hosts"' EXIT
if cargo build --release --locked -q -p nanoproc-capi &&
    make -s -C crates/nanoproc-capi/examples OUT="$hosts" LIBDIR="$CARGO_TARGET_DIR/release" STATIC=1; then
    run_host "Extend: a C host copies a file through a Wasm module (read-only and writable mounts, a fuel budget)" -- "$hosts/extend" "$PWD"
    run_host "Isolate: a C host calls an untrusted function, each call in a fresh sandbox, with a C callback" -- "$hosts/isolate" "$PWD"
else
    echo "[could not build the C ABI or its examples]"
    failures=$((failures + 1))
fi

echo
if [ "$failures" -eq 0 ]; then
    echo "demo: every step behaved as expected"
else
    echo "demo: $failures step(s) did not behave as expected"
    exit 1
fi
