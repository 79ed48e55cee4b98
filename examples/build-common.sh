# shellcheck shell=bash
# What examples/guests/build.sh and examples/plugins/build.sh have in common. Sourced by both,
# not run on its own:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../build-common.sh"
#
# The functions take what differs between the two scripts as arguments. progress and
# finish_build also read three globals the sourcing script sets before calling them:
#   MODE                 build or check
#   OUT                  where this run puts the .wasm files (bin/ for build, a temp dir for check)
#   PROGRESS_NAME_WIDTH  width of the file-name column in progress lines

die() { echo "build.sh: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# Toolchains (installed idempotently)

ensure_apt_packages() { # PACKAGE...
    local missing=() p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$p")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get to install them"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
        sudo=(sudo)
    fi
    # One install at a time: the guest and plugin checks run as parallel tests and may both
    # get here on a fresh machine (apt's own lock would fail the second one). Whoever waited
    # installs only what is still missing; apt also waits for a lock held by anyone else.
    (
        flock 9
        local still=()
        for p in "${missing[@]}"; do
            dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || still+=("$p")
        done
        [ ${#still[@]} -eq 0 ] && exit 0
        echo "installing Debian packages: ${still[*]}" >&2
        "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
            --no-install-recommends "${still[@]}" >&2
    ) 9>"${TMPDIR:-/tmp}/nanoproc-apt.lock"
}

ensure_rust_targets() { # TARGET...
    command -v cargo >/dev/null || die "cargo not found (install Rust with rustup)"
    local t sysroot
    sysroot="$(rustc --print sysroot)"
    for t in "$@"; do
        if [ ! -d "$sysroot/lib/rustlib/$t" ]; then
            command -v rustup >/dev/null || die "Rust target $t missing and no rustup to add it"
            echo "adding Rust target $t" >&2
            rustup target add "$t" >&2
        fi
    done
}

ensure_go() { # MIN_VERSION FEATURE    e.g. ensure_go 1.21 GOOS=wasip1
    local min="$1" feature="$2"
    command -v go >/dev/null || die "go not found: Go >= $min is needed for $feature"
    local v
    v="$(GOTOOLCHAIN=local go env GOVERSION)"     # e.g. go1.26.8
    # go1.N and go1.N.* with N below the minimum's minor version are too old.
    if [[ $v =~ ^go1\.([0-9]+)(\..*)?$ ]] && ((10#${BASH_REMATCH[1]} < 10#${min#1.})); then
        die "$v is too old: Go >= $min is needed for $feature"
    fi
}

# The toolchain versions recorded in toolchains.txt. DEBIAN_PACKAGEs (e.g. wasi-libc) are
# listed too, with their package version, after clang.
toolchain_versions() { # [DEBIAN_PACKAGE...]
    local p
    echo "rustc: $(rustc -V)"
    echo "go: $(GOTOOLCHAIN=local go env GOVERSION)"
    echo "clang: $(clang --version | head -n1)"
    for p in "$@"; do
        echo "$p: $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo unknown)"
    done
    echo "wat2wasm: $(wat2wasm --version)"
}

# ---------------------------------------------------------------------------------------------
# Building

progress() { # LANG NAME WHAT
    local size
    size="$(wc -c <"$OUT/$2")"
    # --check keeps stdout for the ok/MISMATCH verdicts.
    if [ "$MODE" = check ]; then
        printf 'built %-5s %-*s %9d bytes  %s\n' "$1" "$PROGRESS_NAME_WIDTH" "$2" "$size" "$3" >&2
    else
        printf '%-5s %-*s %9d bytes  %s\n' "$1" "$PROGRESS_NAME_WIDTH" "$2" "$size" "$3"
    fi
}

# After everything is built, and exits. A build records the toolchains, warns about files in
# bin/ it did not build and prints a summary; --check compares OUT with bin/ byte-for-byte,
# prints `ok NAME` or `MISMATCH NAME (...)` per file and exits 1 on any difference.
#   KIND             what the files are, for the summary: guests, plugins
#   BIN              the committed bin/ directory
#   TOOLCHAINS_FILE  the committed toolchains.txt
#   EXPECTED_FN      a function printing every file the script produces, one a line
#   SCRIPT           the script, as the rebuild hint names it: examples/guests/build.sh
#   DEBIAN_PACKAGE   passed on to toolchain_versions
finish_build() { # KIND BIN TOOLCHAINS_FILE EXPECTED_FN SCRIPT [DEBIAN_PACKAGE...]
    local kind="$1" bin="$2" toolchains_file="$3" expected_fn="$4" script="$5"
    shift 5
    local f name status=0 expected
    # Listed once into a variable: `"$expected_fn" | grep -q` under `set -o pipefail` fails at
    # random when grep exits early and the producer dies of SIGPIPE (a false MISMATCH).
    expected="$("$expected_fn")"

    if [ "$MODE" = build ]; then
        toolchain_versions "$@" >"$toolchains_file"
        for f in "$bin"/*; do
            name="$(basename "$f")"
            grep -qxF "$name" <<<"$expected" || echo "warning: bin/$name is not built by build.sh" >&2
        done
        echo "built $(wc -l <<<"$expected") $kind into $bin ($(du -sh "$bin" | cut -f1))"
        exit 0
    fi

    # --check: compare the fresh build with bin/
    while read -r name; do
        if [ ! -f "$bin/$name" ]; then
            echo "MISMATCH $name (missing from bin/)"
            status=1
        elif cmp -s "$OUT/$name" "$bin/$name"; then
            echo "ok $name"
        else
            echo "MISMATCH $name (bin/ has $(wc -c <"$bin/$name") bytes, rebuilt $(wc -c <"$OUT/$name"))"
            status=1
        fi
    done <<<"$expected"
    for f in "$bin"/*; do
        [ -e "$f" ] || continue
        name="$(basename "$f")"
        if ! grep -qxF "$name" <<<"$expected"; then
            echo "MISMATCH $name (in bin/ but not built by build.sh)"
            status=1
        fi
    done
    if [ "$status" -ne 0 ]; then
        if ! diff <(toolchain_versions "$@") "$toolchains_file" >/dev/null 2>&1; then
            echo "note: these toolchains differ from the ones recorded in toolchains.txt:" >&2
            diff <(toolchain_versions "$@") "$toolchains_file" >&2 || true
        fi
        echo "check failed: rebuild with 'bash $script' and commit bin/" >&2
    fi
    exit "$status"
}
