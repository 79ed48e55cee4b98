#!/usr/bin/env bash
# Builds and tests the Node.js SDK: build.sh installs the npm dev tools (npm ci, idempotent:
# skipped when node_modules was installed from this package-lock.json) and builds the addon in release (cargo,
# the shared $CARGO_TARGET_DIR, so a repeat run only relinks what changed; see build.sh for why
# not through @napi-rs/cli, which `build.sh --cli` uses); then index.d.ts is type-checked
# against a typed usage sample (tsc --strict) and the tests run with `node --test` (they
# include running both examples). Ends with node's `# pass N` / `# fail N`
# lines and `node: N passed, N failed`; exits non-zero on any failure.
#
#   bash sdks/node/test.sh [NODE TEST FILES...]     # default: every test/*.test.mjs
#
# Environment: CARGO_TARGET_DIR (default /var/tmp/nanoproc-target).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"

for tool in node npm cargo; do
  if ! command -v "$tool" >/dev/null; then
    echo "error: no $tool command in PATH (the Node.js SDK needs Node >= 18, npm and Rust)" >&2
    exit 1
  fi
done
echo "==> node $(node --version), npm $(npm --version)" >&2

bash "$here/build.sh"

echo "==> tsc --strict --noEmit (index.d.ts against test/types.ts)" >&2
node_modules/.bin/tsc -p tsconfig.json

echo "==> node --test" >&2
files=("$@")
if [ ${#files[@]} -eq 0 ]; then files=(test/*.test.mjs); fi
log="$(mktemp -t nanoproc-node-test.XXXXXX)"
trap 'rm -f "$log"' EXIT
status=0
node --test --test-reporter=spec "${files[@]}" >"$log" 2>&1 || status=$?
cat "$log"
passed=$(sed -n 's/^ℹ pass \([0-9][0-9]*\)$/\1/p' "$log" | tail -1)
failed=$(sed -n 's/^ℹ fail \([0-9][0-9]*\)$/\1/p' "$log" | tail -1)
passed=${passed:-0}
failed=${failed:-0}
# A failure no test reported (a crash, a load error) still counts as one.
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "# pass $passed"
echo "# fail $failed"
echo "node: $passed passed, $failed failed"
exit "$status"
