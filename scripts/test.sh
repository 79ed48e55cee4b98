#!/usr/bin/env bash
# Runs every test of nanoproc on a fresh machine: installs what it needs (idempotently),
# checks formatting, lints and the dependency tree (cargo deny, offline), checks that the
# prebuilt example components match their sources, builds the Python and JavaScript example
# components (cached by content hash outside the clone), runs the exhaustion-at-scale programs
# with small counts and a ~20 s smoke run of every fuzz target, then the whole test suite
# (unit, integration, CLI, the hostile-guest suite, and the checks that the prebuilt guests
# and plugins match their sources), then the host SDKs: the C ABI (plain, sanitizers,
# valgrind), Go, Python, .NET (Mono), Java (Maven) and Node.js. Ends with every runner's
# summary lines.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n==> %s\n' "$*"; }
# Everything is also logged, so the last lines can repeat each runner's summary.
log=$(mktemp -t nanoproc-test.XXXXXX)
trap 'rm -f "$log"' EXIT
exec > >(tee "$log") 2>&1

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

step "cargo deny: licenses, bans, sources (offline)"
bash scripts/deny.sh

step "cargo test --doc"
cargo test --workspace --locked --doc 2>&1

step "example components: the committed ones match their sources"
bash examples/components/build.sh --check

step "example components in Python and JavaScript (built once, then cached outside the clone)"
bash examples/components/build.sh --large

step "exhaustion at scale (small counts; full sizes: bash scripts/scale.sh --full)"
bash scripts/scale.sh --quick

step "fuzz smoke runs (every target ~20 s; long runs: bash scripts/fuzz.sh --seconds 600)"
bash scripts/fuzz.sh --smoke

step "cargo test (workspace, the hostile-guest suite, the checks that the prebuilt guests match their sources)"
cargo test --workspace --locked --all-targets -- --include-ignored 2>&1

step "C ABI: C tests and examples (plain, ASan/LSan/UBSan, valgrind)"
bash crates/nanoproc-capi/tests/c/run.sh

step "Go SDK (sdks/go: the C ABI in release, go vet, go test -race, the examples)"
bash sdks/go/test.sh

step "Python SDK (sdks/python: release build into a venv outside the clone, pytest)"
bash sdks/python/test.sh

step ".NET SDK (sdks/dotnet: Mono from Debian, C# over P/Invoke, the test runner and both examples)"
bash sdks/dotnet/test.sh

step "Java SDK (sdks/java: the JNI library in release, Maven, JUnit 5 through Surefire, both examples)"
bash sdks/java/test.sh

step "Node.js SDK (sdks/node: npm ci, the napi-rs addon in release, tsc --strict, node --test, both examples)"
bash sdks/node/test.sh

step "summary"
grep -E '^(test result:|[0-9]+ passed, [0-9]+ failed|fuzz: |==> passed in|bans |[0-9]+ (passed|failed)( in|,)|C ABI |go: |Tests run: |java: |# (pass|fail) |node: )' "$log" | sed -e 's/^==> passed in/scale (quick): every bound held, in/' -e 's/^bans /cargo deny: bans /' -e 's/^\([0-9]* passed, [0-9]* failed, [0-9]* known failures\)/hostile-guest suite: \1/' -e 's/^\([0-9]* passed, [0-9]* failed\)$/.NET SDK: \1/' -e 's/^\([0-9]* \(passed\|failed\)\( in\|,\)\)/Python SDK (pytest): \1/' -e 's/^go: /Go SDK: /' -e 's/^Tests run: /Java SDK (Surefire): Tests run: /' -e 's/^java: /Java SDK: /' -e 's/^# \(pass\|fail\) /Node.js SDK (node --test): \1 /' -e 's/^node: /Node.js SDK: /' || true
