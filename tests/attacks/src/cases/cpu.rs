//! CPU and time: loops, recursion, loops that keep re-entering the host, guests blocked in
//! a host call, plugins that never return.

use super::{command, plugin, plugin_with};
use crate::env::captured;
use crate::expect::ErrorKind::Cancelled;
use crate::{Case, Category::Cpu, Ctx, Expect, Got, logs};
use nanoproc::plugin::{CallOptions, HostFunctions, Plugin};
use nanoproc::{LimitKind, Policy};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_millis(300);
/// A timed-out guest must be stopped well within this (a generous bound: it fails only if
/// the guest was not interrupted at all).
const STOPPED_WITHIN: Duration = Duration::from_secs(10);

/// The CPU cases.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "cpu.loop_timeout",
            Cpu,
            "`spin_wat.wasm`: a bare `loop br 0`, never calling the host (timeout 300 ms)",
            "epoch interruption stops compiled code at loop back-edges",
            Expect::Limit(LimitKind::Timeout),
            loop_timeout,
        ),
        Case::new(
            "cpu.loop_fuel",
            Cpu,
            "the same loop under a budget of 1,000,000 units of fuel",
            "fuel metering stops the guest when the budget is spent, exactly",
            Expect::Limit(LimitKind::Fuel),
            loop_fuel,
        ),
        Case::new(
            "cpu.deep_recursion",
            Cpu,
            "a function calling itself forever",
            "the 512 KiB wasm stack limit turns the overflow into a trap, not a host crash",
            Expect::Trap("stack_overflow"),
            deep_recursion,
        ),
        Case::new(
            "cpu.recursion_big_frames",
            Cpu,
            "recursion with 2,000 live i64 locals per frame",
            "the stack check accounts for frame size",
            Expect::Trap("stack_overflow"),
            big_frames,
        ),
        Case::new(
            "cpu.host_call_loop_timeout",
            Cpu,
            "a loop calling `fd_write` (zero bytes) forever (timeout 300 ms)",
            "the deadline is checked between host calls too",
            Expect::Limit(LimitKind::Timeout),
            host_call_loop_timeout,
        ),
        Case::new(
            "cpu.host_call_loop_fuel",
            Cpu,
            "the same `fd_write` loop under 1,000,000 units of fuel",
            "fuel is spent by the guest's code between host calls",
            Expect::Limit(LimitKind::Fuel),
            host_call_loop_fuel,
        ),
        Case::new(
            "cpu.random_get_loop",
            Cpu,
            "a loop asking `random_get` for 64 KiB at a time, forever (timeout 300 ms)",
            "host work per call is bounded by the guest's buffer; the deadline fires between calls",
            Expect::Limit(LimitKind::Timeout),
            random_loop,
        ),
        Case::new(
            "cpu.sleep_in_poll_oneoff",
            Cpu,
            "`sleep.wasm 3600`: blocked in the host's `poll_oneoff` for an hour (timeout 300 ms)",
            "a host-side timer stops guests blocked inside a host call",
            Expect::Limit(LimitKind::Timeout),
            sleep,
        ),
        Case::new(
            "cpu.poll_oneoff_many_clocks",
            Cpu,
            "one `poll_oneoff` waiting on 1,000 one-hour clock subscriptions (timeout 300 ms)",
            "the host-side timer does not depend on what the guest waits for",
            Expect::Limit(LimitKind::Timeout),
            many_clocks,
        ),
        Case::new(
            "cpu.plugin_spin_timeout",
            Cpu,
            "the `echo` plugin's `spin`: a call that never returns (call timeout 300 ms)",
            "each call has its own deadline",
            Expect::Limit(LimitKind::Timeout),
            plugin_spin_timeout,
        ),
        Case::new(
            "cpu.plugin_spin_fuel",
            Cpu,
            "the same call with 1,000,000 units of fuel for the call",
            "per-call fuel",
            Expect::Limit(LimitKind::Fuel),
            plugin_spin_fuel,
        ),
        Case::new(
            "cpu.plugin_cancelled",
            Cpu,
            "a plugin call spinning forever with no limit, cancelled by the host after 100 ms",
            "the cancel handle interrupts compiled code",
            Expect::Error(Cancelled, "cancelled"),
            plugin_cancelled,
        ),
        Case::new(
            "cpu.plugin_log_loop",
            Cpu,
            "a plugin calling `nanoproc::log` with 1 KiB messages forever (timeout 300 ms)",
            "the deadline fires between host calls; at most 64 KiB of log per call reaches the host's logger",
            Expect::Limit(LimitKind::Timeout),
            plugin_log_loop,
        ),
        Case::new(
            "cpu.plugin_host_fn_loop",
            Cpu,
            "a plugin calling a granted host function forever (timeout 300 ms)",
            "the deadline fires between host-function calls",
            Expect::Limit(LimitKind::Timeout),
            plugin_host_fn_loop,
        ),
    ]
}

/// Fails the case if the guest was not stopped promptly.
fn timed(f: impl FnOnce() -> Got) -> Result<Got, String> {
    let t = Instant::now();
    let got = f();
    if t.elapsed() > STOPPED_WITHIN {
        return Err(format!(
            "the guest was stopped only after {:?}",
            t.elapsed()
        ));
    }
    Ok(got)
}

fn with_timeout() -> nanoproc::PolicyBuilder {
    let mut b = captured();
    b.timeout(Some(TIMEOUT));
    b
}

fn with_fuel(fuel: u64) -> nanoproc::PolicyBuilder {
    let mut b = captured();
    b.fuel(Some(fuel));
    b
}

/// `Err` unless exactly `fuel` units were consumed.
fn spent_all(got: Got, fuel: u64) -> Result<Got, String> {
    match got.usage.as_ref().and_then(|u| u.fuel_consumed) {
        Some(f) if f == fuel => Ok(got),
        other => Err(format!("fuel consumed {other:?}, not the budget {fuel}")),
    }
}

fn loop_timeout(cx: &Ctx) -> Result<Got, String> {
    timed(|| cx.env.run_guest("spin_wat.wasm", &[], &mut with_timeout()))
}

fn loop_fuel(cx: &Ctx) -> Result<Got, String> {
    let got = cx
        .env
        .run_guest_with(true, "spin_wat.wasm", &[], &mut with_fuel(1_000_000));
    spent_all(got, 1_000_000)
}

fn deep_recursion(cx: &Ctx) -> Result<Got, String> {
    let wat = command(r#"(func $f (export "_start") (call $f))"#);
    Ok(cx.env.run_bytes(wat.as_bytes(), &[], &mut captured()))
}

fn big_frames(cx: &Ctx) -> Result<Got, String> {
    // 2,000 locals, all live across the recursive call (summed afterwards).
    let mut locals = String::new();
    let mut sets = String::new();
    let mut sum = String::from("(local.get 0)");
    for i in 0..2000 {
        locals.push_str(" i64");
        sets.push_str(&format!("(local.set {i} (i64.const {i}))"));
        sum = format!("(i64.add {sum} (local.get {i}))");
    }
    let wat = command(&format!(
        r#"(func $f (result i64) (local{locals}) {sets} (drop (call $f)) {sum})
           (func (export "_start") (drop (call $f)))"#
    ));
    Ok(cx.env.run_bytes(wat.as_bytes(), &[], &mut captured()))
}

const FD_WRITE_LOOP: &str = r#"(func (export "_start")
  (i32.store (i32.const 16) (i32.const 0)) (i32.store (i32.const 20) (i32.const 0))
  (loop $l (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8))) (br $l)))"#;

fn host_call_loop_timeout(cx: &Ctx) -> Result<Got, String> {
    let wat = command(FD_WRITE_LOOP);
    timed(|| cx.env.run_bytes(wat.as_bytes(), &[], &mut with_timeout()))
}

fn host_call_loop_fuel(cx: &Ctx) -> Result<Got, String> {
    let wat = command(FD_WRITE_LOOP);
    let got = cx
        .env
        .run_bytes_on(&cx.env.fuel, wat.as_bytes(), &[], &mut with_fuel(1_000_000));
    spent_all(got, 1_000_000)
}

fn random_loop(cx: &Ctx) -> Result<Got, String> {
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "_start")
        (loop $l (drop (call $random_get (i32.const 0) (i32.const 65536))) (br $l))))"#;
    timed(|| cx.env.run_bytes(wat.as_bytes(), &[], &mut with_timeout()))
}

fn sleep(cx: &Ctx) -> Result<Got, String> {
    timed(|| {
        cx.env
            .run_guest("sleep.wasm", &["3600"], &mut with_timeout())
    })
}

fn many_clocks(cx: &Ctx) -> Result<Got, String> {
    // 1,000 subscriptions of 48 bytes at 0 (userdata, tag 0 = clock, clock id 1 =
    // monotonic, timeout 3600 s, relative), events at 65536, count at 131000.
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 3)
      (func (export "_start") (local $i i32) (local $s i32)
        (loop $l
          (local.set $s (i32.mul (local.get $i) (i32.const 48)))
          (i64.store (local.get $s) (i64.extend_i32_u (local.get $i)))
          (i32.store8 (i32.add (local.get $s) (i32.const 8)) (i32.const 0))
          (i32.store (i32.add (local.get $s) (i32.const 16)) (i32.const 1))
          (i64.store (i32.add (local.get $s) (i32.const 24)) (i64.const 3600000000000))
          (i64.store (i32.add (local.get $s) (i32.const 32)) (i64.const 0))
          (i32.store16 (i32.add (local.get $s) (i32.const 40)) (i32.const 0))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 1000))))
        (call $exit (call $poll (i32.const 0) (i32.const 65536) (i32.const 1000) (i32.const 131000)))))"#;
    timed(|| cx.env.run_bytes(wat.as_bytes(), &[], &mut with_timeout()))
}

fn echo(cx: &Ctx) -> Result<Plugin, String> {
    let mut b = Policy::builder();
    b.stderr(nanoproc::policy::OutputMode::Null);
    cx.env
        .plugin_file("echo.wasm", b.build().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())
}

/// `Err` unless the plugin still answers after the attack.
fn still_answers(p: &Plugin) -> Result<(), String> {
    match p.call("echo", b"next") {
        Ok(out) if out == b"next" => Ok(()),
        other => Err(format!("the next call on the plugin failed: {other:?}")),
    }
}

fn plugin_spin_timeout(cx: &Ctx) -> Result<Got, String> {
    let p = echo(cx)?;
    let opts = CallOptions {
        timeout: Some(TIMEOUT),
        ..Default::default()
    };
    let got = timed(|| Got::call(p.call_with("spin", b"", &opts)))?;
    still_answers(&p)?;
    Ok(got)
}

fn plugin_spin_fuel(cx: &Ctx) -> Result<Got, String> {
    let p = echo(cx)?;
    let opts = CallOptions {
        fuel: Some(1_000_000),
        ..Default::default()
    };
    let got = Got::call(p.call_with("spin", b"", &opts));
    still_answers(&p)?;
    Ok(got)
}

fn plugin_cancelled(cx: &Ctx) -> Result<Got, String> {
    let p = echo(cx)?;
    let cancel = p.cancel_handle();
    let worker = {
        let p = p.clone();
        std::thread::spawn(move || p.call("spin", b""))
    };
    std::thread::sleep(Duration::from_millis(100));
    cancel.cancel();
    let got = timed(|| {
        Got::call(
            worker
                .join()
                .unwrap_or_else(|_| Err(nanoproc::Error::Internal("the worker panicked".into()))),
        )
    })?;
    still_answers(&p)?;
    Ok(got)
}

fn plugin_log_loop(cx: &Ctx) -> Result<Got, String> {
    let wat = plugin(
        "i32.const 1024",
        r#"(func (export "f") (param i32 i32) (result i64)
             (loop $l (call $log (i32.const 2) (i32.const 0) (i32.const 1024)) (br $l))
             (i64.const 0))"#,
    );
    let mut b = Policy::builder();
    b.timeout(Some(TIMEOUT));
    let p = cx
        .env
        .plugin_bytes(wat.as_bytes(), b.build().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    logs::reset();
    let got = timed(|| Got::call(p.call("f", b"")))?;
    let (events, bytes) = logs::counts();
    // 64 messages of 1 KiB, then one warning; nothing after.
    if events > 65 || bytes > 64 * 1024 + 200 {
        return Err(format!(
            "{events} log events with {bytes} bytes reached the host's logger in one call"
        ));
    }
    if events < 64 {
        return Err(format!(
            "only {events} log events were seen: the log counter is not working"
        ));
    }
    Ok(got)
}

fn plugin_host_fn_loop(cx: &Ctx) -> Result<Got, String> {
    let calls = Arc::new(AtomicU64::new(0));
    let mut host = HostFunctions::new();
    let counter = calls.clone();
    host.register("host", "tick", move |_ctx, _input| {
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(Vec::new())
    });
    let wat = plugin_with(
        r#"(import "host" "tick" (func $tick (param i32 i32) (result i64)))"#,
        "i32.const 1024",
        r#"(func (export "f") (param i32 i32) (result i64)
             (loop $l (drop (call $tick (i32.const 0) (i32.const 0))) (br $l))
             (i64.const 0))"#,
    );
    let mut b = Policy::builder();
    b.timeout(Some(TIMEOUT)).allow_host_fn("host::tick");
    let p = Plugin::builder(&cx.env.pool)
        .wasm_bytes(wat.into_bytes())
        .policy(b.build().map_err(|e| e.to_string())?)
        .host_functions(host)
        .build()
        .map_err(|e| e.to_string())?;
    let got = timed(|| Got::call(p.call("f", b"")))?;
    if calls.load(Ordering::Relaxed) == 0 {
        return Err("the host function was never called".into());
    }
    Ok(got)
}
