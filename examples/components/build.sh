#!/usr/bin/env bash
# Build the example components (README.md beside this script lists them).
#
#   bash examples/components/build.sh          everything: the Rust components into bin/ (and
#                                              toolchains.txt), the Python and JavaScript ones
#                                              into the cache (built only when not cached)
#   bash examples/components/build.sh --rust   only the Rust components into bin/
#   bash examples/components/build.sh --large  only the Python and JavaScript components, into the
#                                              cache; stdout is one `NAME PATH` line per component
#                                              (for tests), progress goes to stderr
#   bash examples/components/build.sh --check  rebuild the Rust components from scratch into a
#                                              temp dir and compare byte-for-byte with bin/;
#                                              prints `ok NAME` or `MISMATCH NAME (...)` per file,
#                                              exits 1 on any mismatch, missing or unexpected file
#
# Tools, installed idempotently:
#   Rust        rustup target wasm32-wasip2 (wit-bindgen and wasip2 crates come from Cargo.lock)
#   Python      componentize-py 0.25.1 from PyPI, in a venv outside the clone
#   JavaScript  jco 1.35.0 + componentize-js 0.23.0 from npm (js/package-lock.json), installed
#               with `npm ci` outside the clone
#
# Environment:
#   COMPONENTS_TARGET_DIR       Cargo target dir for a normal build
#                               (default /var/tmp/nanoproc-components-target)
#   NANOPROC_COMPONENTS_CACHE   where Python/JS components are cached
#                               (default /var/tmp/nanoproc-components)
#   NANOPROC_COMPONENTS_VENV    the componentize-py venv (default /var/tmp/nanoproc-venv-components)
#   NANOPROC_COMPONENTS_NPM     the npm install dir (default /var/tmp/nanoproc-npm-components)
#
# The Rust outputs are small and committed; they are byte-for-byte reproducible for the same
# toolchain (toolchains.txt records the one that built bin/). The Python and JavaScript outputs
# embed an interpreter (12-18 MB each), so they are not committed: each is cached under a name
# holding a hash of everything that goes into it (sources, WIT, tool versions, flags), so a
# second run costs nothing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BIN="$HERE/bin"
TOOLCHAINS_FILE="$HERE/toolchains.txt"
export PATH="$HOME/.cargo/bin:$PATH"

# Every committed file this script produces, in build order. Keep README.md's table in step.
RUST_COMPONENTS=(count_vowels types missiles http_get)
# The cached ones: NAME LANGUAGE SOURCE WIT_DIR WORLD (SOURCE relative to this folder, WIT_DIR to
# the repository root).
LARGE_COMPONENTS=(
    "count_vowels_py python python/count_vowels wit plugin"
    "types_py python python/types examples/components/wit types"
    "count_vowels_js js js/count_vowels.js wit plugin"
    "types_js js js/types.js examples/components/wit types"
)
COMPONENTIZE_PY_VERSION=0.25.1
PROGRESS_NAME_WIDTH=20

# shellcheck disable=SC2317  # called by finish_build, through its EXPECTED_FN argument
expected_outputs() {
    local n
    for n in "${RUST_COMPONENTS[@]}"; do echo "$n.wasm"; done
}

# shellcheck source=SCRIPTDIR/../build-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../build-common.sh"

# finish_build records these in toolchains.txt (build-common.sh's own list is for the core-module
# guests: Go, clang, wat2wasm).
# shellcheck disable=SC2317  # called by finish_build
toolchain_versions() {
    local ld
    local host
    host="$(rustc -vV | sed -n 's/^host: //p')"
    ld="$(rustc --print sysroot)/lib/rustlib/$host/bin/wasm-component-ld"
    echo "rustc: $(rustc -V)"
    echo "wasm-component-ld: $("$ld" --version 2>/dev/null || echo unknown)"
    echo "wit-bindgen: $(cargo_lock_version wit-bindgen)"
    echo "wasip2: $(cargo_lock_version wasip2)"
}

cargo_lock_version() { # CRATE: its version in rust/Cargo.lock
    awk -v name="$1" \
        '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' \
        "$HERE/rust/Cargo.lock"
}

case "${1:-}" in
    "") MODE=build ;;
    --rust) MODE=rust ;;
    --large) MODE=large ;;
    --check) MODE=check ;;
    -h | --help) sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (usage: build.sh [--rust | --large | --check])" ;;
esac
[ $# -le 1 ] || die "too many arguments (usage: build.sh [--rust | --large | --check])"

# Determinism: never let the environment change code generation.
unset RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_TARGET \
    CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR CARGO_PROFILE_RELEASE_DEBUG VIRTUAL_ENV PYTHONPATH
export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC
# componentize-py imports the apps with the host Python: keep __pycache__ out of the sources.
export PYTHONDONTWRITEBYTECODE=1

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# ---------------------------------------------------------------------------------------------
# Rust: one Cargo workspace (rust/), target wasm32-wasip2, wit-bindgen for the WIT worlds;
# wasm-component-ld (shipped with the target) makes the component. Every path Cargo hashes is
# inside the workspace or in the registry, so the bytes do not depend on where the repository
# is checked out; --remap-path-prefix keeps the paths out of panic locations.

build_rust() {
    ensure_rust_targets wasm32-wasip2
    local cargo_home="${CARGO_HOME:-$HOME/.cargo}" n start flags
    # (CARGO_ENCODED_RUSTFLAGS: flags separated by 0x1f, so paths may contain spaces.)
    flags="--remap-path-prefix=$HERE/rust=/components"$'\x1f'
    flags+="--remap-path-prefix=$cargo_home=/cargo"$'\x1f'"-Cdebuginfo=0"
    start="$(now)"
    (
        cd "$HERE/rust"
        CARGO_TARGET_DIR="$CARGO_TARGET" CARGO_ENCODED_RUSTFLAGS="$flags" \
            cargo build --quiet --locked --release --target wasm32-wasip2
    )
    echo "rust: built in $(elapsed "$start")" >&2
    for n in "${RUST_COMPONENTS[@]}"; do
        install -m 0644 "$CARGO_TARGET/wasm32-wasip2/release/$n.wasm" "$OUT/$n.wasm"
        progress rust "$n.wasm" "wasm32-wasip2 + wit-bindgen"
    done
}

# ---------------------------------------------------------------------------------------------
# Python and JavaScript: built into the cache

CACHE="${NANOPROC_COMPONENTS_CACHE:-/var/tmp/nanoproc-components}"
VENV="${NANOPROC_COMPONENTS_VENV:-/var/tmp/nanoproc-venv-components}"
NPM_DIR="${NANOPROC_COMPONENTS_NPM:-/var/tmp/nanoproc-npm-components}"

ensure_componentize_py() {
    local want="componentize-py $COMPONENTIZE_PY_VERSION"
    if [ "$("$VENV/bin/componentize-py" --version 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    command -v python3 >/dev/null || die "python3 not found: componentize-py needs it to install"
    echo "installing componentize-py $COMPONENTIZE_PY_VERSION into $VENV" >&2
    python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "componentize-py==$COMPONENTIZE_PY_VERSION" >&2
    [ "$("$VENV/bin/componentize-py" --version)" = "$want" ] \
        || die "componentize-py in $VENV is not $COMPONENTIZE_PY_VERSION after installing it"
}

ensure_jco() {
    command -v npm >/dev/null || die "npm not found: Node.js >= 20 with npm is needed for jco"
    local stamp
    stamp="$(cat "$HERE/js/package.json" "$HERE/js/package-lock.json" | sha256sum | cut -c1-64)"
    if [ -x "$NPM_DIR/node_modules/.bin/jco" ] \
        && [ "$(cat "$NPM_DIR/.nanoproc-stamp" 2>/dev/null)" = "$stamp" ]; then
        return 0
    fi
    echo "installing jco and componentize-js (npm ci) into $NPM_DIR" >&2
    mkdir -p "$NPM_DIR"
    rm -f "$NPM_DIR/.nanoproc-stamp"
    cp "$HERE/js/package.json" "$HERE/js/package-lock.json" "$NPM_DIR/"
    (cd "$NPM_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
    echo "$stamp" >"$NPM_DIR/.nanoproc-stamp"
}

tool_versions() { # LANGUAGE: what the cache key takes from the tools
    case "$1" in
        python) "$VENV/bin/componentize-py" --version ;;
        js)
            node --version
            cat "$HERE/js/package-lock.json"
            ;;
    esac
}

# The flags each language's build uses (part of the cache key).
JCO_FLAGS=(--disable http fetch-event)

cache_key() { # LANGUAGE SOURCE WIT_DIR WORLD
    local lang="$1" src="$HERE/$2" wit="$REPO/$3" world="$4"
    {
        echo "format 1; world $world; jco flags ${JCO_FLAGS[*]}"
        tool_versions "$lang"
        # Sources and WIT, by path relative to their roots and content.
        (cd "$(dirname "$src")" && find "$(basename "$src")" -type f -not -name '*.pyc' -print0 \
            | sort -z | xargs -0 sha256sum)
        (cd "$wit" && find . -type f -name '*.wit' -print0 | sort -z | xargs -0 sha256sum)
    } | sha256sum | cut -c1-16
}

build_large_one() { # NAME LANGUAGE SOURCE WIT_DIR WORLD -> prints the path
    local name="$1" lang="$2" src="$HERE/$3" wit="$REPO/$4" world="$5" key out tmp start size
    key="$(cache_key "$lang" "$3" "$4" "$world")"
    out="$CACHE/$name-$key.wasm"
    if [ -f "$out" ]; then
        size="$(wc -c <"$out")"
        printf '%-5s %-*s %9d bytes  cached: %s\n' \
            "$lang" "$PROGRESS_NAME_WIDTH" "$name.wasm" "$size" "$out" >&2
        echo "$name $out"
        return 0
    fi
    echo "building $name.wasm ($lang, world $world): this takes 10-30 s" >&2
    tmp="$(mktemp "$CACHE/.$name.XXXXXX")"
    start="$(now)"
    case "$lang" in
        python)
            # -p: the app's folder; the app module is `app`.
            "$VENV/bin/componentize-py" --quiet -d "$wit" -w "$world" componentize \
                -p "$src" app -o "$tmp" >&2
            ;;
        js)
            "$NPM_DIR/node_modules/.bin/jco" componentize "$src" \
                --wit "$wit" --world-name "$world" "${JCO_FLAGS[@]}" -o "$tmp" >&2
            ;;
    esac
    chmod 0644 "$tmp"
    mv -f "$tmp" "$out"
    size="$(wc -c <"$out")"
    printf '%-5s %-*s %9d bytes  built in %s: %s\n' \
        "$lang" "$PROGRESS_NAME_WIDTH" "$name.wasm" "$size" "$(elapsed "$start")" "$out" >&2
    echo "$name $out"
}

build_large() {
    local entry
    ensure_componentize_py
    ensure_jco
    mkdir -p "$CACHE"
    # One build at a time per cache (tests may call this concurrently).
    exec 9>"$CACHE/.lock"
    flock 9
    # Holding the lock, any temp file left is from a build that failed or was killed.
    local name
    for entry in "${LARGE_COMPONENTS[@]}"; do
        name="${entry%% *}"
        rm -f "$CACHE/.$name."??????
    done
    for entry in "${LARGE_COMPONENTS[@]}"; do
        # shellcheck disable=SC2086  # the entry is five words
        build_large_one $entry
    done
    flock -u 9
}

# ---------------------------------------------------------------------------------------------

if [ "$MODE" = large ]; then
    build_large
    exit 0
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/nanoproc-components.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
if [ "$MODE" = check ]; then
    OUT="$WORK/out"
    CARGO_TARGET="$WORK/cargo-target" # fresh, so the check proves a from-scratch build
else
    OUT="$BIN"
    CARGO_TARGET="${COMPONENTS_TARGET_DIR:-/var/tmp/nanoproc-components-target}"
fi
mkdir -p "$OUT"

build_rust
if [ "$MODE" = build ]; then
    echo "Python and JavaScript components (cached in $CACHE):"
    build_large
fi
[ "$MODE" = check ] || MODE=build # finish_build knows build and check
finish_build components "$BIN" "$TOOLCHAINS_FILE" expected_outputs examples/components/build.sh
