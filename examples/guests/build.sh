#!/usr/bin/env bash
# Rebuild every example guest into examples/guests/bin/, deterministically.
#
#   bash examples/guests/build.sh          rebuild bin/*.wasm (and toolchains.txt)
#   bash examples/guests/build.sh --check  rebuild from scratch into a temp dir and compare
#                                          byte-for-byte with bin/; prints `ok NAME` or
#                                          `MISMATCH NAME (...)` per guest, exits 1 on any
#                                          mismatch, missing or unexpected file
#
# Toolchains: Rust (rustup targets wasm32-wasip1 + wasm32-wasip2), Go >= 1.21 (GOOS=wasip1),
# clang + wasi-libc (Debian packages) and wabt's wat2wasm. Missing rustup targets and Debian
# packages are installed; Go must already be on the machine (Debian 12's golang-go is too old).
#
# Environment:
#   GUEST_TARGET_DIR  Cargo target dir for a normal build
#                     (default /var/tmp/nanoproc-guests-target; --check always uses a fresh one)
#
# Byte-for-byte reproducibility holds for the same toolchain versions; toolchains.txt records
# the ones that built bin/, and --check points out any difference.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN="$HERE/bin"
TOOLCHAINS_FILE="$HERE/toolchains.txt"
export PATH="$HOME/.cargo/bin:/usr/local/go/bin:$PATH"

# Every file this script produces, in build order. Keep README.md's table in step.
RUST_P1=(hello cat copy env spin memhog flood exit sleep fs)
RUST_P2=(hello net env cat fs)
GO_GUESTS=(hello cat)
C_GUESTS=(hello_c flood_c)
WAT_GUESTS=(spin_wat tablebomb multimem)
APT_PACKAGES=(clang lld wasi-libc libclang-rt-dev-wasm32 wabt)
PROGRESS_NAME_WIDTH=16

# shellcheck disable=SC2317  # called by finish_build, through its EXPECTED_FN argument
expected_outputs() {
    local n
    for n in "${RUST_P1[@]}"; do echo "$n.wasm"; done
    for n in "${RUST_P2[@]}"; do echo "${n}_p2.wasm"; done
    for n in "${GO_GUESTS[@]}"; do echo "${n}_go.wasm"; done
    for n in "${C_GUESTS[@]}"; do echo "$n.wasm"; done
    for n in "${WAT_GUESTS[@]}"; do echo "$n.wasm"; done
}

# shellcheck source=SCRIPTDIR/../build-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../build-common.sh"

case "${1:-}" in
    "") MODE=build ;;
    --check) MODE=check ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (usage: build.sh [--check])" ;;
esac
[ $# -le 1 ] || die "too many arguments (usage: build.sh [--check])"

# ---------------------------------------------------------------------------------------------
# Toolchains (installed idempotently)

ensure_apt_packages "${APT_PACKAGES[@]}"
ensure_rust_targets wasm32-wasip1 wasm32-wasip2
ensure_go 1.21 GOOS=wasip1

# ---------------------------------------------------------------------------------------------
# Where to build

WORK="$(mktemp -d "${TMPDIR:-/tmp}/nanoproc-guests.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
if [ "$MODE" = check ]; then
    OUT="$WORK/out"
    # Fresh caches, so the check proves a from-scratch build reproduces bin/.
    CARGO_TARGET="$WORK/cargo-target"
    export GOCACHE="$WORK/gocache"
else
    OUT="$BIN"
    CARGO_TARGET="${GUEST_TARGET_DIR:-/var/tmp/nanoproc-guests-target}"
fi
mkdir -p "$OUT"

# Determinism: never let the environment change code generation.
unset RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_BUILD_TARGET CARGO_PROFILE_RELEASE_DEBUG \
    GOFLAGS GOWASM CFLAGS LDFLAGS
export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC

# ---------------------------------------------------------------------------------------------
# Rust: one Cargo workspace, one binary per guest

build_rust() { # TARGET SUFFIX NAMES...
    local target="$1" suffix="$2"
    shift 2
    local args=() n
    for n in "$@"; do args+=(--bin "$n"); done
    (
        cd "$HERE/rust"
        # Paths are remapped so the checkout location never reaches the output.
        # (CARGO_ENCODED_RUSTFLAGS: flags separated by 0x1f, so paths may contain spaces.)
        CARGO_TARGET_DIR="$CARGO_TARGET" \
            CARGO_ENCODED_RUSTFLAGS="--remap-path-prefix=$HERE=/guests"$'\x1f'"-Cdebuginfo=0" \
            cargo build --quiet --locked --release --target "$target" "${args[@]}"
    )
    for n in "$@"; do
        install -m 0644 "$CARGO_TARGET/$target/release/$n.wasm" "$OUT/$n$suffix.wasm"
        progress rust "$n$suffix.wasm" "$target"
    done
}

build_rust wasm32-wasip1 "" "${RUST_P1[@]}"
build_rust wasm32-wasip2 _p2 "${RUST_P2[@]}"

# ---------------------------------------------------------------------------------------------
# Go: GOOS=wasip1 GOARCH=wasm, stripped, no build id, no VCS stamp, no paths

for n in "${GO_GUESTS[@]}"; do
    (
        cd "$HERE/go"
        GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-buildvcs=false \
            go build -trimpath -ldflags="-s -w -buildid=" -o "$WORK/${n}_go.wasm" "./$n"
    )
    install -m 0644 "$WORK/${n}_go.wasm" "$OUT/${n}_go.wasm"
    progress go "${n}_go.wasm" "GOOS=wasip1 GOARCH=wasm"
done

# ---------------------------------------------------------------------------------------------
# C: clang + Debian's wasi-libc (its sysroot is /usr: /usr/include/wasm32-wasi, /usr/lib/wasm32-wasi)

for n in "${C_GUESTS[@]}"; do
    (
        cd "$HERE/c"
        clang --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Wextra -Werror \
            -ffile-prefix-map="$HERE=/guests" -Wl,--strip-all \
            -o "$WORK/$n.wasm" "$n.c"
    )
    install -m 0644 "$WORK/$n.wasm" "$OUT/$n.wasm"
    progress c "$n.wasm" "clang --target=wasm32-wasi"
done

# ---------------------------------------------------------------------------------------------
# WAT: wabt's wat2wasm

for n in "${WAT_GUESTS[@]}"; do
    wat2wasm --enable-multi-memory -o "$WORK/$n.wasm" "$HERE/wat/$n.wat"
    install -m 0644 "$WORK/$n.wasm" "$OUT/$n.wasm"
    progress wat "$n.wasm" "wat2wasm"
done

# ---------------------------------------------------------------------------------------------

finish_build guests "$BIN" "$TOOLCHAINS_FILE" expected_outputs examples/guests/build.sh wasi-libc
