//! Limits stop the guest with the right error, and the host keeps running guests.

use super::*;
use nanoproc::{Error, LimitKind};
use std::time::{Duration, Instant};

#[track_caller]
fn assert_limit(o: &Outcome, kind: LimitKind) {
    match &o.status {
        Status::Stopped(Error::LimitExceeded { kind: k, .. }) if *k == kind => {}
        other => panic!(
            "expected {kind:?} limit, got {other:?}\nstderr: {}",
            stderr(o)
        ),
    }
    assert!(
        o.denials().any(|e| e.what.starts_with("limit.")),
        "the limit hit is audited"
    );
}

#[test]
fn memory_bomb_hits_the_budget() {
    let mut b = captured();
    b.max_memory(16 << 20);
    let o = run("memhog.wasm", &[], &mut b);
    assert_limit(&o, LimitKind::Memory);
    assert_eq!(o.exit_code(), 121);
    assert!(o.usage.peak_memory_bytes <= 16 << 20);
    assert_host_healthy();
}

#[test]
fn the_budget_covers_all_memories_together() {
    // Eight memories of 4 MiB each: every one is under 16 MiB, all together are not.
    let mut b = captured();
    b.max_memory(16 << 20);
    let o = run("multimem.wasm", &[], &mut b);
    assert_limit(&o, LimitKind::Memory);
    // With room for all of them it runs.
    let mut b = captured();
    b.max_memory(40 << 20);
    let o = run("multimem.wasm", &[], &mut b);
    assert_exit(&o, 0);
    assert!(o.usage.peak_memory_bytes >= 32 << 20);
}

#[test]
fn tables_count_against_the_budget() {
    let mut b = captured();
    b.max_memory(16 << 20);
    let o = run("tablebomb.wasm", &[], &mut b);
    assert_limit(&o, LimitKind::Memory);
    assert_host_healthy();
}

#[test]
fn a_tight_loop_is_stopped_by_the_timeout() {
    let mut b = captured();
    b.timeout(Some(Duration::from_secs(1)));
    let started = Instant::now();
    let o = run("spin.wasm", &[], &mut b);
    assert_limit(&o, LimitKind::Timeout);
    assert_eq!(o.exit_code(), 124);
    // Not a performance assertion: a generous bound that fails only if the loop was not interrupted.
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_host_healthy();
}

#[test]
fn a_guest_blocked_in_a_host_call_is_stopped_by_the_timeout() {
    let mut b = captured();
    b.timeout(Some(Duration::from_secs(1)));
    let started = Instant::now();
    let o = run("sleep.wasm", &["3600"], &mut b);
    assert_limit(&o, LimitKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_host_healthy();
}

#[test]
fn fuel_runs_out() {
    let mut b = captured();
    b.fuel(Some(1_000_000));
    let o = run_on(fuel_engine(), "spin.wasm", &[], &mut b);
    assert_limit(&o, LimitKind::Fuel);
    assert_eq!(o.exit_code(), 124);
    assert_eq!(o.usage.fuel_consumed, Some(1_000_000));
    // Enough fuel: hello runs and reports what it used.
    let mut b = captured();
    b.fuel(Some(10_000_000));
    let o = run_on(fuel_engine(), "hello.wasm", &[], &mut b);
    assert_exit(&o, 0);
    assert!(
        o.usage
            .fuel_consumed
            .is_some_and(|f| f > 0 && f < 10_000_000)
    );
}

#[test]
fn fuel_needs_a_fuel_engine() {
    let mut b = captured();
    b.fuel(Some(1000));
    let policy = b.build().expect("policy");
    let loaded = loader::load_file(engine(), &guest("hello.wasm")).expect("loads");
    assert!(matches!(
        Prepared::new(engine(), &loaded, policy),
        Err(Error::InvalidPolicy(_))
    ));
}

#[test]
fn an_output_flood_is_capped_exactly() {
    for guest in ["flood.wasm", "flood_c.wasm"] {
        let mut b = captured();
        b.max_output(Some(64 * 1024));
        let o = run(guest, &[], &mut b);
        assert_limit(&o, LimitKind::Output);
        assert_eq!(o.exit_code(), 122);
        assert_eq!(
            o.stdout.len(),
            64 * 1024,
            "{guest}: exactly the cap is delivered"
        );
    }
    assert_host_healthy();
}

#[test]
fn traps_are_reported_with_their_kind() {
    let o = run_wat(
        r#"(module (func (export "_start") unreachable))"#,
        &mut captured(),
    );
    match &o.status {
        Status::Stopped(Error::Trap(t)) => assert_eq!(t.code, "unreachable_code_reached"),
        other => panic!("expected a trap, got {other:?}"),
    }
    assert_eq!(o.exit_code(), 123);
    let o = run_wat(
        r#"(module (func $f (export "_start") call $f))"#,
        &mut captured(),
    );
    match &o.status {
        Status::Stopped(Error::Trap(t)) => assert_eq!(t.code, "stack_overflow"),
        other => panic!("expected a stack overflow, got {other:?}"),
    }
    let o = run_wat(
        r#"(module (memory 1) (func (export "_start") i32.const 0x7fffffff i32.load drop))"#,
        &mut captured(),
    );
    match &o.status {
        Status::Stopped(Error::Trap(t)) => assert_eq!(t.code, "memory_out_of_bounds"),
        other => panic!("expected an out-of-bounds trap, got {other:?}"),
    }
    assert_host_healthy();
}

#[test]
fn an_initial_memory_over_the_budget_fails_at_instantiation() {
    let mut b = captured();
    b.max_memory(1 << 20);
    let o = run_wat(r#"(module (memory 100) (func (export "_start")))"#, &mut b);
    assert_limit(&o, LimitKind::Memory);
}

/// Regression: a failed `table.grow` whose new size overflows used to refund the previous
/// (successful) charge, so alternating the two grew a table far past the budget.
#[test]
fn failed_growths_cannot_refund_successful_ones() {
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (table $t i64 0 funcref) (memory (export "memory") 1)
      (func (export "_start") (local $i i32)
        (loop $l
          (if (i64.eq (table.grow $t (ref.null func) (i64.const 1000000)) (i64.const -1))
            (then (call $exit (i32.const 3))))
          (drop (table.grow $t (ref.null func) (i64.const -1)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 40))))
        (call $exit (i32.wrap_i64 (i64.div_u (table.size $t) (i64.const 1000000))))))"#;
    let mut b = captured();
    b.max_memory(16 << 20);
    let o = run_wat(wat, &mut b);
    assert_limit(&o, LimitKind::Memory);
    assert!(o.usage.peak_memory_bytes <= 16 << 20);
    assert_host_healthy();
}
