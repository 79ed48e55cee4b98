#!/usr/bin/env bash
# Exhaustion at scale (benches/scale, docs/PERFORMANCE.md "Exhaustion at scale"):
#
#   bash scripts/scale.sh              # = --quick: all three scenarios with small counts (≈10 s)
#   bash scripts/scale.sh --quick
#   bash scripts/scale.sh --full       # 10,000 live sandboxes, 1,000,000 cycles, 1,000,000-call flood
#   bash scripts/scale.sh flood --calls 50000 --threads 8     # one scenario, any flags (--help)
#
# Builds nanoproc-scale in release (into ${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}) and
# runs it. It prints Markdown tables and exits non-zero when a bound is exceeded: memory per
# live sandbox over its budget, RSS drift, open fds or threads that grow, or any call (good or
# failing) that does not come out exactly as expected.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"

case "${1:-}" in
    "" | --quick) args=(all --quick) ;;
    --full) args=(all --full) ;;
    *) args=("$@") ;;
esac

cargo build --release --locked --quiet -p nanoproc-scale
exec "$CARGO_TARGET_DIR/release/nanoproc-scale" "${args[@]}"
