#!/usr/bin/env bash
# The C side of nanoproc's C ABI: builds libnanoproc_capi (debug), the C tests and the C
# examples, and runs them three ways:
#   plain       the tests (with the soak test) and both examples;
#   asan        built with -fsanitize=address,undefined: memory errors in the C code, and
#               LeakSanitizer over every allocation (the Rust library's included);
#   valgrind    memcheck over the plain binaries: memory errors anywhere, leaks anywhere
#               (--errors-for-leak-kinds=definite), no suppression file needed.
# First each checker is shown to catch a planted leak (`tests --canary`), so a silent checker
# cannot pass. Handle-level leaks (a handle never freed stays reachable from nanoproc's
# registry, so no leak checker can see it) are what nanoproc_live_objects() catches: the
# tests check it after every test and at exit.
#
#   bash crates/nanoproc-capi/tests/c/run.sh            everything
#   bash crates/nanoproc-capi/tests/c/run.sh --quick    plain and asan only (no valgrind)
#
# Ends with summary lines, all starting `C ABI `: one `...: N passed, N failed` per run of the
# tests and of the examples, and each checker's verdict; exits 1 if anything failed. Installs
# valgrind with apt-get when it is missing.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
REPO=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/nanoproc-target}"
QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1

BUILD="$CARGO_TARGET_DIR/capi-c"
LIBDIR="$CARGO_TARGET_DIR/debug"
LOGS="$BUILD/logs"
mkdir -p "$BUILD/tests" "$BUILD/examples" "$LOGS"
# Compiled guests are cached here by the plain run, so the checked runs load them instead of
# compiling them (Cranelift under valgrind would take minutes).
export NANOPROC_CACHE_DIR="$BUILD/cache"
export NANOPROC_REPO="$REPO"

step() { printf '\n==> %s\n' "$*"; }

if [[ $QUICK == 0 ]] && ! command -v valgrind >/dev/null; then
  step "installing valgrind"
  SUDO=""
  [[ $(id -u) != 0 ]] && SUDO="sudo"
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq valgrind
fi

step "cargo build -p nanoproc-capi"
cargo build -p nanoproc-capi 2>&1 | tail -n 2

step "building the C tests and examples (cc: $(${CC:-cc} --version | head -n 1))"
make -s -C crates/nanoproc-capi/tests/c OUT="$BUILD/tests" LIBDIR="$LIBDIR"
make -s -C crates/nanoproc-capi/examples OUT="$BUILD/examples" LIBDIR="$LIBDIR"
# The examples with AddressSanitizer too.
for ex in extend isolate; do
  ${CC:-cc} -std=c11 -Wall -Wextra -Werror -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
    -I crates/nanoproc-capi/include "crates/nanoproc-capi/examples/$ex.c" -o "$BUILD/examples/$ex-asan" \
    -L"$LIBDIR" -lnanoproc_capi -Wl,-rpath,"$LIBDIR" -lpthread
done

# AddressSanitizer must leave SIGSEGV, SIGBUS, SIGILL and SIGFPE to Wasmtime: guest memory
# accesses past the end fault in guard pages, and `unreachable`, stack overflows and integer
# traps are illegal instructions or faults that Wasmtime's handlers turn into traps.
export ASAN_OPTIONS="handle_segv=0:handle_sigbus=0:handle_sigill=0:handle_sigfpe=0:allow_user_segv_handler=1:detect_leaks=1:exitcode=23"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# memcheck; --sigill-diagnostics=no: Wasmtime's traps are deliberate ud2 instructions, which
# valgrind would otherwise describe as "unrecognised instructions" before delivering SIGILL.
VALGRIND=(valgrind --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite
  --error-exitcode=1 --sigill-diagnostics=no)

summary=()
status=0

step "the checkers catch a planted leak (tests --canary)"
canary_ok=1
if "$BUILD/tests/tests" --canary >"$LOGS/canary-plain.log" 2>&1; then
  echo "plain: the live-object check missed the leaked handle"; canary_ok=0
else
  echo "plain: live-object check caught the leaked handle"
fi
"$BUILD/tests/tests-asan" --canary >"$LOGS/canary-asan.log" 2>&1 || true
if grep -q "LeakSanitizer: detected memory leaks" "$LOGS/canary-asan.log"; then
  echo "asan: LeakSanitizer caught the leaked block"
else
  echo "asan: LeakSanitizer did not report the leaked block (see $LOGS/canary-asan.log)"; canary_ok=0
fi
if [[ $QUICK == 0 ]]; then
  "${VALGRIND[@]}" "$BUILD/tests/tests" --canary >"$LOGS/canary-valgrind.log" 2>&1 || true
  if grep -q "definitely lost: 64 bytes in 1 blocks" "$LOGS/canary-valgrind.log"; then
    echo "valgrind: memcheck caught the leaked block"
  else
    echo "valgrind: memcheck did not report the leaked block (see $LOGS/canary-valgrind.log)"; canary_ok=0
  fi
fi
if [[ $canary_ok == 1 ]]; then
  summary+=("C ABI checkers: each caught the planted leak (tests --canary)")
else
  summary+=("C ABI checkers: FAILED: a checker missed the planted leak (see $LOGS/canary-*.log)")
  status=1
fi

# Runs the tests ($1: label, rest: command prefix) and the two examples the same way.
run_all() {
  local label=$1; shift
  local suffix=""
  [[ $label == asan ]] && suffix="-asan"
  local log="$LOGS/tests-$label.log"
  step "C tests ($label)"
  set +e
  "$@" "$BUILD/tests/tests$suffix" >"$log" 2>&1
  local rc=$?
  set -e
  grep -E '^(ok|FAIL|skip|    )' "$log" || true
  local line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)
  [[ -n $line ]] || line="0 passed, 1 failed (the test binary died: exit $rc; see $log)"
  [[ $rc == 0 ]] || status=1
  summary+=("C ABI tests ($label): $line")
  local passed=0 failed=0
  for ex in extend isolate; do
    local elog="$LOGS/$ex-$label.log"
    set +e
    "$@" "$BUILD/examples/$ex$suffix" "$REPO" >"$elog" 2>&1
    local erc=$?
    set -e
    if [[ $erc == 0 ]] && grep -qx "$ex: ok" "$elog"; then
      passed=$((passed + 1)); echo "ok      example $ex"
    else
      failed=$((failed + 1)); status=1; echo "FAIL    example $ex (exit $erc; see $elog)"
    fi
  done
  summary+=("C ABI examples ($label): $passed passed, $failed failed")
}

# The plain run also soaks: 500-round phases of create/call/free must stop growing the heap.
NANOPROC_TEST_SOAK=1 run_all plain
run_all asan env
asan_logs=("$LOGS/tests-asan.log" "$LOGS/extend-asan.log" "$LOGS/isolate-asan.log")
if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "${asan_logs[@]}"; then
  summary+=("C ABI under asan: FAILED: memory errors or leaks reported (see $LOGS/*-asan.log)")
  status=1
else
  summary+=("C ABI under asan: no memory errors, no leaks (AddressSanitizer + LeakSanitizer + UBSan over the tests and both examples)")
fi

if [[ $QUICK == 0 ]]; then
  # The pooling allocator reserves ~4 TiB of address space, more than valgrind can map: the
  # valgrind run uses on-demand engines wherever the tests and examples would pool.
  NANOPROC_TEST_NO_POOLING=1 NANOPROC_EXAMPLE_NO_POOLING=1 run_all valgrind "${VALGRIND[@]}"
  vg_logs=("$LOGS/tests-valgrind.log" "$LOGS/extend-valgrind.log" "$LOGS/isolate-valgrind.log")
  errors=$(grep -h "ERROR SUMMARY:" "${vg_logs[@]}" | awk '{s += $4} END {print s + 0}')
  lost=$(grep -h "definitely lost:" "${vg_logs[@]}" | awk '{gsub(",", "", $4); s += $4} END {print s + 0}')
  runs=$(grep -c "ERROR SUMMARY:" "${vg_logs[@]}" | awk -F: '{s += $2} END {print s + 0}')
  if [[ $runs == 3 && $errors == 0 && $lost == 0 ]]; then
    summary+=("C ABI under valgrind: no memory errors, no leaks (memcheck: 0 errors, 0 bytes definitely lost, over the tests and both examples)")
  else
    summary+=("C ABI under valgrind: FAILED: $errors errors, $lost bytes definitely lost, $runs of 3 runs finished (see $LOGS/*-valgrind.log)")
    status=1
  fi
fi

step "summary"
for s in "${summary[@]}"; do echo "$s"; done
exit $status
