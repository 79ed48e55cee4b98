//! Output floods: stdout and stderr are capped per stream, exactly, however the guest
//! writes.

use super::command;
use crate::env::captured;
use crate::{Case, Category::Output, Ctx, End, Expect, Got};
use nanoproc::LimitKind;
use nanoproc::policy::OutputMode;

const CAP: u64 = 100_000;

/// The output cases.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "out.stdout_flood",
            Output,
            "`flood.wasm`: 4 KiB chunks to stdout forever, ignoring errors (cap 100,000 bytes)",
            "the capped stream delivers exactly the cap, then stops the guest",
            Expect::Limit(LimitKind::Output),
            stdout_flood,
        ),
        Case::new(
            "out.stdout_flood_libc",
            Output,
            "`flood_c.wasm`: the same through wasi-libc's `write(2)`",
            "the same cap, whatever the writer",
            Expect::Limit(LimitKind::Output),
            stdout_flood_c,
        ),
        Case::new(
            "out.stderr_flood",
            Output,
            "4 KiB chunks to stderr forever (cap 100,000 bytes)",
            "stderr has its own cap, exact too",
            Expect::Limit(LimitKind::Output),
            stderr_flood,
        ),
        Case::new(
            "out.one_huge_write",
            Output,
            "one `fd_write` of 1 MiB (cap 100,000 bytes)",
            "a single write is cut at the cap",
            Expect::Limit(LimitKind::Output),
            one_huge_write,
        ),
        Case::new(
            "out.iovec_amplification",
            Output,
            "`fd_write` of 8,192 iovecs all pointing at the same 64 KiB (512 MiB claimed), again and again (cap 100,000 bytes)",
            "the host takes at most 64 KiB per call (a short write), never gathering 512 MiB; exactly the cap is delivered",
            Expect::Limit(LimitKind::Output),
            iovec_amplification,
        )
        .memory_heavy(),
        Case::new(
            "out.discarded_still_counted",
            Output,
            "`flood.wasm` with stdout discarded (`OutputMode::Null`)",
            "discarded output still counts against the cap",
            Expect::Limit(LimitKind::Output),
            discarded,
        ),
        Case::new(
            "out.plugin_stdout_flood",
            Output,
            "a plugin importing WASI writing to stdout forever (cap 100,000 bytes)",
            "plugins' WASI streams are capped the same way",
            Expect::Limit(LimitKind::Output),
            plugin_flood,
        ),
    ]
}

fn capped() -> nanoproc::PolicyBuilder {
    let mut b = captured();
    b.max_output(Some(CAP));
    b
}

/// `Err` unless exactly the cap reached `stream` (and was counted in the usage).
fn exactly_cap(got: Got, stdout: bool) -> Result<Got, String> {
    let (delivered, other) = if stdout {
        (&got.stdout, &got.stderr)
    } else {
        (&got.stderr, &got.stdout)
    };
    if delivered.len() as u64 != CAP || !other.is_empty() {
        return Err(format!(
            "expected exactly {CAP} bytes on {}, got {} (and {} on the other stream)",
            if stdout { "stdout" } else { "stderr" },
            delivered.len(),
            other.len()
        ));
    }
    Ok(got)
}

fn stdout_flood(cx: &Ctx) -> Result<Got, String> {
    exactly_cap(cx.env.run_guest("flood.wasm", &[], &mut capped()), true)
}

fn stdout_flood_c(cx: &Ctx) -> Result<Got, String> {
    exactly_cap(cx.env.run_guest("flood_c.wasm", &[], &mut capped()), true)
}

fn stderr_flood(cx: &Ctx) -> Result<Got, String> {
    let wat = command(
        r#"(func (export "_start")
             (i32.store (i32.const 16) (i32.const 1024)) (i32.store (i32.const 20) (i32.const 4096))
             (memory.fill (i32.const 1024) (i32.const 69) (i32.const 4096))
             (loop $l (drop (call $fd_write (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 8))) (br $l)))"#,
    );
    exactly_cap(cx.env.run_bytes(wat.as_bytes(), &[], &mut capped()), false)
}

fn one_huge_write(cx: &Ctx) -> Result<Got, String> {
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 17)
      (func (export "_start")
        (memory.fill (i32.const 65536) (i32.const 79) (i32.const 1048576))
        (i32.store (i32.const 16) (i32.const 65536)) (i32.store (i32.const 20) (i32.const 1048576))
        (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8)))))"#;
    exactly_cap(cx.env.run_bytes(wat.as_bytes(), &[], &mut capped()), true)
}

fn iovec_amplification(cx: &Ctx) -> Result<Got, String> {
    // iovecs at 0 .. 65536 (8,192 of 8 bytes), all {65536, 65536}; the data at 65536.
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 3)
      (func (export "_start") (local $i i32)
        (memory.fill (i32.const 65536) (i32.const 65) (i32.const 65536))
        (loop $l
          (i32.store (i32.mul (local.get $i) (i32.const 8)) (i32.const 65536))
          (i32.store (i32.add (i32.mul (local.get $i) (i32.const 8)) (i32.const 4)) (i32.const 65536))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 8192))))
        (loop $again
          (br_if $again (i32.eqz (call $fd_write (i32.const 1) (i32.const 0) (i32.const 8192) (i32.const 131072)))))
        (call $exit (i32.const 1))))"#;
    exactly_cap(cx.env.run_bytes(wat.as_bytes(), &[], &mut capped()), true)
}

fn discarded(cx: &Ctx) -> Result<Got, String> {
    let mut b = capped();
    b.stdout(OutputMode::Null);
    let got = cx.env.run_guest("flood.wasm", &[], &mut b);
    match got.usage.as_ref().map(|u| u.stdout_bytes) {
        Some(CAP) if got.stdout.is_empty() => Ok(got),
        other => Err(format!(
            "expected {CAP} bytes counted and none captured, got {other:?} counted and {} captured",
            got.stdout.len()
        )),
    }
}

fn plugin_flood(cx: &Ctx) -> Result<Got, String> {
    let wat = super::plugin_with(
        r#"(import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))"#,
        "i32.const 8192",
        r#"(func (export "f") (param i32 i32) (result i64)
             (i32.store (i32.const 16) (i32.const 1024)) (i32.store (i32.const 20) (i32.const 4096))
             (loop $l (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8))) (br $l))
             (i64.const 0))"#,
    );
    let mut b = nanoproc::Policy::builder();
    b.max_output(Some(CAP)).stdout(OutputMode::Null);
    let p = cx
        .env
        .plugin_bytes(wat.as_bytes(), b.build().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let got = Got::call(p.call("f", b""));
    if matches!(got.end, End::Returned(_)) {
        return Err("the flood returned".into());
    }
    Ok(got)
}
