#!/usr/bin/env bash
# Fuzzes nanoproc with cargo-fuzz: the targets in fuzz/fuzz_targets (docs/fuzzing.md).
#
#   bash scripts/fuzz.sh                      # smoke run (the default): every target ~20 s
#   bash scripts/fuzz.sh --smoke              # the same
#   bash scripts/fuzz.sh --seconds 600        # a long run: every target 600 s
#   bash scripts/fuzz.sh --seconds 60 plugin_abi component_json   # only these targets
#   bash scripts/fuzz.sh --sanitizer address  # force a sanitizer (address | none)
#   bash scripts/fuzz.sh --build-only         # just build the targets
#
# Smoke runs build without a sanitizer (-s none: the build takes a fraction of the time and
# runs execute 2-3x more inputs; Rust code is memory-safe, so what the smoke run looks for
# are panics, failed assertions and wrong error kinds). Long runs use AddressSanitizer, for
# the unsafe code underneath (Wasmtime's runtime, the pooling allocator). Each sanitizer has
# its own build directory under $NANOPROC_FUZZ_TARGET_DIR (default
# /var/tmp/nanoproc-fuzz-target), so switching does not rebuild.
#
# Installs what it needs, idempotently: the pinned nightly toolchain (cargo-fuzz needs
# nightly for -Zsanitizer and the coverage instrumentation) and cargo-fuzz in
# $NANOPROC_TOOLS/bin (default /var/tmp/nanoproc-tools).
#
# Every target starts from its committed seeds (fuzz/corpus/<target>) and the inputs of
# past findings (fuzz/regressions/<target>); what it discovers goes to a working corpus
# outside the repository ($NANOPROC_FUZZ_TARGET_DIR/corpus/<target>), so later runs resume
# from there. Runs on one directory take turns (a lock); a long run next to smoke runs wants
# its own NANOPROC_FUZZ_TARGET_DIR. A crash stops the script with status 1; libFuzzer saves
# the input under fuzz/artifacts/<target>/ (docs/fuzzing.md: turning it into a regression test).
# Prints executions and coverage per target, then one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."

# rustc 1.97.0-nightly (e50aa6fba 2026-05-19) is published as the nightly of 2026-05-20.
TOOLCHAIN=nightly-2026-05-20
CARGO_FUZZ_VERSION=0.13.2
TOOLS=${NANOPROC_TOOLS:-/var/tmp/nanoproc-tools}
FUZZ_TARGET_DIR=${NANOPROC_FUZZ_TARGET_DIR:-/var/tmp/nanoproc-fuzz-target}
ALL_TARGETS=(policy_toml module_inspect plugin_abi component_json)

seconds=20
mode=smoke
sanitizer=
build_only=0
targets=()
while (($#)); do
  case "$1" in
    --smoke) mode=smoke; seconds=20 ;;
    --seconds)
      [[ ${2:-} =~ ^[0-9]+$ ]] || { echo "fuzz.sh: --seconds needs a whole number of seconds" >&2; exit 2; }
      mode=long; seconds=$2; shift ;;
    --sanitizer)
      [[ ${2:-} == address || ${2:-} == none ]] || { echo "fuzz.sh: --sanitizer is address or none" >&2; exit 2; }
      sanitizer=$2; shift ;;
    --build-only) build_only=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *)
      [[ " ${ALL_TARGETS[*]} " == *" $1 "* ]] || { echo "fuzz.sh: no target $1; targets: ${ALL_TARGETS[*]}" >&2; exit 2; }
      targets+=("$1") ;;
  esac
  shift
done
((${#targets[@]})) || targets=("${ALL_TARGETS[@]}")
[[ -n $sanitizer ]] || { [[ $mode == smoke ]] && sanitizer=none || sanitizer=address; }

step() { printf '\n==> %s\n' "$*"; }

step "tools: $TOOLCHAIN and cargo-fuzz $CARGO_FUZZ_VERSION"
if ! rustup run "$TOOLCHAIN" rustc -V >/dev/null 2>&1; then
  rustup toolchain install "$TOOLCHAIN" --profile minimal
fi
if ! "$TOOLS/bin/cargo-fuzz" --version 2>/dev/null | grep -qx "cargo-fuzz $CARGO_FUZZ_VERSION"; then
  cargo install --locked --root "$TOOLS" "cargo-fuzz@$CARGO_FUZZ_VERSION"
fi
export PATH="$TOOLS/bin:$PATH"
rustup run "$TOOLCHAIN" rustc -V
cargo-fuzz --version

# One run at a time per directory: two runs would share logs, working corpora and builds.
# A second run waits; give a long run its own NANOPROC_FUZZ_TARGET_DIR to run both at once.
mkdir -p "$FUZZ_TARGET_DIR"
exec 9>"$FUZZ_TARGET_DIR/.fuzz.lock"
if ! flock -n 9; then
  echo "fuzz.sh: another run is using $FUZZ_TARGET_DIR; waiting for it to finish"
  flock 9
fi

target_dir="$FUZZ_TARGET_DIR/$sanitizer"
fuzz=(cargo "+$TOOLCHAIN" fuzz)
build_flags=(-s "$sanitizer" --target-dir "$target_dir")

log_dir="$FUZZ_TARGET_DIR/logs"
mkdir -p "$log_dir"
step "build (sanitizer: $sanitizer, into $target_dir; log: $log_dir/build-$sanitizer.log)"
start=$SECONDS
if ! "${fuzz[@]}" build "${build_flags[@]}" >"$log_dir/build-$sanitizer.log" 2>&1; then
  tail -40 "$log_dir/build-$sanitizer.log"
  echo "fuzz.sh: the build failed; full log: $log_dir/build-$sanitizer.log" >&2
  exit 1
fi
echo "built in $((SECONDS - start)) s"
((build_only)) && exit 0

# libFuzzer flags shared by every target: stop after $seconds, report stats, treat an input
# that takes more than 30 s as a finding, never write into the repository's seeds.
common=(-max_total_time="$seconds" -print_final_stats=1 -timeout=30 -rss_limit_mb=4096)
total_execs=0
summary=()
failed=()
for t in "${targets[@]}"; do
  step "fuzz $t for $seconds s"
  work="$FUZZ_TARGET_DIR/corpus/$t"
  seeds="$PWD/fuzz/corpus/$t"
  regressions="$PWD/fuzz/regressions/$t"
  mkdir -p "$work" "$seeds" "$regressions"
  extra=()
  [[ -f fuzz/dicts/$t.dict ]] && extra+=(-dict="$PWD/fuzz/dicts/$t.dict")
  log="$log_dir/$t.log"
  status=0
  "${fuzz[@]}" run "${build_flags[@]}" "$t" "$work" "$seeds" "$regressions" \
    -- "${common[@]}" "${extra[@]}" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  execs=${execs:-0}
  done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' <<<"$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\) .*/\1/p' <<<"$done_line")
  corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$done_line")
  rate=$((execs / (seconds > 0 ? seconds : 1)))
  total_execs=$((total_execs + execs))
  if ((status != 0)); then
    failed+=("$t")
    grep -E 'panicked at|ERROR: |SUMMARY: |Test unit written to' "$log" | head -20 || true
    echo "$t: FAILED (status $status); full log: $log"
  fi
  line=$(printf '%-15s %9d execs (%d/s)  cov %s  features %s  corpus %s' \
    "$t" "$execs" "$rate" "${cov:-?}" "${ft:-?}" "${corp:-?}")
  echo "$line"
  summary+=("$line")
done

step "summary ($mode, ${seconds} s per target, sanitizer $sanitizer)"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "fuzz: ${#targets[@]} targets, $total_execs executions, FAILED: ${failed[*]} (inputs in fuzz/artifacts/)"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, $total_execs executions, no crashes"
