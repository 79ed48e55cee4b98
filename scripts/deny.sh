#!/usr/bin/env bash
# Supply-chain checks of the nanoproc workspace (deny.toml; policy in docs/supply-chain.md):
#
#   bash scripts/deny.sh                 # licenses, bans, sources: offline, part of the test command
#   bash scripts/deny.sh --advisories    # also the RustSec advisories (needs the network)
#
# 1. installs cargo-deny 0.20.2 into ${NANOPROC_TOOLS:-/var/tmp/nanoproc-tools} if that exact
#    version is not there yet (cargo install --locked; a lock keeps two runs from installing
#    at once);
# 2. checks that every Wasmtime crate in Cargo.lock (wasmtime, wasmtime-*, wiggle*, pulley-*)
#    has the version pinned with `=` in the root Cargo.toml: one Wasmtime, moved in lockstep;
# 3. runs `cargo deny --locked --offline check licenses bans sources` on the workspace.
#    With --advisories it then fetches the RustSec database (into $CARGO_HOME/advisory-dbs)
#    and runs `check advisories` too; that part needs the network and is not run by default.
set -euo pipefail
cd "$(dirname "$0")/.."

DENY_VERSION=0.20.2
tools="${NANOPROC_TOOLS:-/var/tmp/nanoproc-tools}"
deny="$tools/bin/cargo-deny"

advisories=false
for arg in "$@"; do
    case "$arg" in
        --advisories) advisories=true ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "deny.sh: unknown argument \`$arg\` (use --advisories or --help)" >&2
            exit 2
            ;;
    esac
done

say() { printf '==> %s\n' "$*"; }

installed_version() { "$deny" --version 2>/dev/null | awk '{print $2}'; }

if [[ "$(installed_version)" != "$DENY_VERSION" ]]; then
    mkdir -p "$tools"
    (
        # Wait for any other install into the same root to finish, then look again.
        flock 9
        if [[ "$(installed_version)" != "$DENY_VERSION" ]]; then
            say "installing cargo-deny $DENY_VERSION into $tools (a few minutes, once)"
            cargo install --locked --no-default-features --root "$tools" "cargo-deny@$DENY_VERSION"
        fi
    ) 9>"$tools/.install.lock"
fi
[[ "$(installed_version)" == "$DENY_VERSION" ]] || {
    echo "deny.sh: $deny is not cargo-deny $DENY_VERSION" >&2
    exit 1
}

say "Wasmtime crates in Cargo.lock match the pin in Cargo.toml"
pin="$(sed -n 's/^wasmtime = { version = "=\([0-9][0-9.]*\)".*/\1/p' Cargo.toml)"
[[ -n "$pin" ]] || {
    echo "deny.sh: the root Cargo.toml has no \`wasmtime = { version = \"=X.Y.Z\" ... }\` pin" >&2
    exit 1
}
# name<TAB>version of every package in the lock file
mismatched="$(awk -v pin="$pin" '
    /^\[\[package\]\]/ { name = ""; next }
    /^name = / { gsub(/"/, "", $3); name = $3; next }
    /^version = / {
        gsub(/"/, "", $3)
        if (name ~ /^(wasmtime|wasmtime-.*|wiggle|wiggle-.*|pulley-.*)$/ && $3 != pin)
            print "  " name " " $3
    }' Cargo.lock)"
if [[ -n "$mismatched" ]]; then
    echo "deny.sh: these Wasmtime crates are not at the pinned $pin; bump every wasmtime-*," >&2
    echo "wasmtime-wasi and wiggle pin in Cargo.toml together (docs/supply-chain.md):" >&2
    echo "$mismatched" >&2
    exit 1
fi
echo "all at $pin"

# The crates must be in the local cache for an offline run; this is a no-op when they are.
cargo fetch --locked --quiet

say "cargo deny check licenses bans sources (offline)"
"$deny" deny --locked --offline check licenses bans sources

if $advisories; then
    say "cargo deny check advisories (fetches the RustSec database)"
    "$deny" deny --locked check advisories
fi
