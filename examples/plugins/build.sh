#!/usr/bin/env bash
# Rebuild every example plugin into examples/plugins/bin/, deterministically.
#
#   bash examples/plugins/build.sh          rebuild bin/*.wasm (and toolchains.txt)
#   bash examples/plugins/build.sh --check  rebuild from scratch into a temp dir and compare
#                                           byte-for-byte with bin/; prints `ok NAME` or
#                                           `MISMATCH NAME (...)` per plugin, exits 1 on any
#                                           mismatch, missing or unexpected file
#
# Toolchains: Rust (rustup targets wasm32-unknown-unknown + wasm32-wasip1), Go >= 1.24
# (//go:wasmexport), clang + lld (Debian packages; no libc needed) and wabt's wat2wasm. Missing
# rustup targets and Debian packages are installed; Go must already be on the machine.
#
# Environment:
#   PLUGIN_TARGET_DIR  Cargo target dir for a normal build
#                      (default /var/tmp/nanoproc-plugins-target; --check always uses a fresh one)
#
# Byte-for-byte reproducibility holds for the same toolchain versions; toolchains.txt records
# the ones that built bin/, and --check points out any difference.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BIN="$HERE/bin"
TOOLCHAINS_FILE="$HERE/toolchains.txt"
export PATH="$HOME/.cargo/bin:/usr/local/go/bin:$PATH"

# Every file this script produces, in build order. Keep README.md's table in step.
RUST_UNKNOWN=(count_vowels echo json_transform call_host ungranted_host) # wasm32-unknown-unknown
RUST_WASIP1=(copy_file)                                                  # wasm32-wasip1
GO_PLUGINS=(count_vowels)                                                # NAME_go.wasm
C_PLUGINS=(count_vowels_c)
WAT_PLUGINS=(echo_wat)
APT_PACKAGES=(clang lld wabt)
PROGRESS_NAME_WIDTH=22

# shellcheck disable=SC2317  # called by finish_build, through its EXPECTED_FN argument
expected_outputs() {
    local n
    for n in "${RUST_UNKNOWN[@]}" "${RUST_WASIP1[@]}"; do echo "$n.wasm"; done
    for n in "${GO_PLUGINS[@]}"; do echo "${n}_go.wasm"; done
    for n in "${C_PLUGINS[@]}" "${WAT_PLUGINS[@]}"; do echo "$n.wasm"; done
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
ensure_rust_targets wasm32-unknown-unknown wasm32-wasip1
ensure_go 1.24 //go:wasmexport

# ---------------------------------------------------------------------------------------------
# Where to build

WORK="$(mktemp -d "${TMPDIR:-/tmp}/nanoproc-plugins.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
if [ "$MODE" = check ]; then
    OUT="$WORK/out"
    # Fresh caches, so the check proves a from-scratch build reproduces bin/.
    CARGO_TARGET="$WORK/cargo-target"
    export GOCACHE="$WORK/gocache"
else
    OUT="$BIN"
    CARGO_TARGET="${PLUGIN_TARGET_DIR:-/var/tmp/nanoproc-plugins-target}"
fi
mkdir -p "$OUT"

# Determinism: never let the environment change code generation.
unset RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_TARGET \
    CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR CARGO_PROFILE_RELEASE_DEBUG \
    GOFLAGS GOWASM CFLAGS LDFLAGS
export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC

# ---------------------------------------------------------------------------------------------
# Rust: one Cargo workspace (rust/), one cdylib crate per plugin, depending on the PDK
# (crates/nanoproc-pdk)
#
# Cargo derives symbol hashes (-C metadata) from each package's path, relative to the workspace
# root when the package is inside it, absolute otherwise; and the symbol hashes decide the order
# of functions in the output. rust/ reaches the PDK outside itself (../../../crates/nanoproc-pdk),
# so building there directly gives bytes that depend on where the repository is checked out.
# To avoid that, the build runs on a staged copy: rust/ with the PDK inside it (as packaged by
# `cargo package`, which resolves the PDK's workspace inheritance into a standalone manifest),
# so every path Cargo hashes is relative. The code compiled is exactly the same.

CARGO_HOME_DIR="${CARGO_HOME:-$HOME/.cargo}"
STAGE="$WORK/src"
PDK_REL_PATH='path = "../../../crates/nanoproc-pdk"'

stage_rust() {
    mkdir -p "$STAGE"
    (cd "$HERE/rust" && tar --exclude=./target -cf - .) | (cd "$STAGE" && tar -xf -)
    cargo package --quiet --manifest-path "$REPO/crates/nanoproc-pdk/Cargo.toml" \
        --no-verify --allow-dirty --target-dir "$WORK/pdk-package"
    local crates=("$WORK"/pdk-package/package/nanoproc-pdk-*.crate)
    if [ ${#crates[@]} -ne 1 ] || [ ! -f "${crates[0]}" ]; then
        die "cargo package did not make exactly one nanoproc-pdk crate"
    fi
    mkdir -p "$STAGE/nanoproc-pdk"
    tar -xzf "${crates[0]}" -C "$STAGE/nanoproc-pdk" --strip-components=1
    grep -qF "$PDK_REL_PATH" "$STAGE/Cargo.toml" \
        || die "rust/Cargo.toml must depend on the PDK with: nanoproc-pdk = { $PDK_REL_PATH }"
    sed -i "s|$PDK_REL_PATH|path = \"nanoproc-pdk\"|" "$STAGE/Cargo.toml"
}

build_rust() { # TARGET NAMES...
    local target="$1"
    shift
    local args=() n
    for n in "$@"; do args+=(-p "$n"); done
    (
        cd "$STAGE"
        # Paths are remapped so neither the stage nor the Cargo home (registry sources named in
        # panic locations) reaches the output.
        # (CARGO_ENCODED_RUSTFLAGS: flags separated by 0x1f, so paths may contain spaces.)
        CARGO_TARGET_DIR="$CARGO_TARGET" \
            CARGO_ENCODED_RUSTFLAGS="--remap-path-prefix=$STAGE=/plugins"$'\x1f'"--remap-path-prefix=$CARGO_HOME_DIR=/cargo"$'\x1f'"-Cdebuginfo=0" \
            cargo build --quiet --locked --release --target "$target" "${args[@]}"
    )
    for n in "$@"; do
        install -m 0644 "$CARGO_TARGET/$target/release/$n.wasm" "$OUT/$n.wasm"
        progress rust "$n.wasm" "$target"
    done
}

stage_rust
build_rust wasm32-unknown-unknown "${RUST_UNKNOWN[@]}"
build_rust wasm32-wasip1 "${RUST_WASIP1[@]}"

# ---------------------------------------------------------------------------------------------
# Go: a WASI reactor (-buildmode=c-shared exports _initialize), stripped, no build id, no VCS
# stamp, no paths

for n in "${GO_PLUGINS[@]}"; do
    (
        cd "$HERE/go"
        GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-buildvcs=false \
            go build -buildmode=c-shared -trimpath -ldflags="-s -w -buildid=" \
            -o "$WORK/${n}_go.wasm" "./$n"
    )
    install -m 0644 "$WORK/${n}_go.wasm" "$OUT/${n}_go.wasm"
    progress go "${n}_go.wasm" "GOOS=wasip1 GOARCH=wasm -buildmode=c-shared"
done

# ---------------------------------------------------------------------------------------------
# C: freestanding clang, no libc (the plugins bring their own bump allocator)

for n in "${C_PLUGINS[@]}"; do
    (
        cd "$HERE/c"
        clang --target=wasm32 -nostdlib -ffreestanding -O2 -Wall -Wextra -Werror \
            -ffile-prefix-map="$REPO=/nanoproc" -Wl,--no-entry -Wl,--strip-all \
            -o "$WORK/$n.wasm" "$n.c"
    )
    install -m 0644 "$WORK/$n.wasm" "$OUT/$n.wasm"
    progress c "$n.wasm" "clang --target=wasm32 -nostdlib"
done

# ---------------------------------------------------------------------------------------------
# WAT: wabt's wat2wasm

for n in "${WAT_PLUGINS[@]}"; do
    wat2wasm -o "$WORK/$n.wasm" "$HERE/wat/$n.wat"
    install -m 0644 "$WORK/$n.wasm" "$OUT/$n.wasm"
    progress wat "$n.wasm" "wat2wasm"
done

# ---------------------------------------------------------------------------------------------

finish_build plugins "$BIN" "$TOOLCHAINS_FILE" expected_outputs examples/plugins/build.sh
