//! Guest traps: each is reported with its own code, and ends only that guest.

use super::command;
use crate::env::captured;
use crate::{Case, Category::Trap, Ctx, Expect, Got};

/// The trap cases.
pub fn cases() -> Vec<Case> {
    let t = |id, attack, code, run| {
        Case::new(
            id,
            Trap,
            attack,
            "Wasm semantics: the instruction traps; nanoproc reports the trap's kind",
            Expect::Trap(code),
            run,
        )
    };
    vec![
        t(
            "trap.unreachable",
            "execute `unreachable`",
            "unreachable_code_reached",
            unreachable as fn(&Ctx) -> Result<Got, String>,
        ),
        t(
            "trap.divide_by_zero",
            "`i32.div_s` by zero",
            "integer_division_by_zero",
            divide_by_zero,
        ),
        t(
            "trap.integer_overflow",
            "`i32.div_s(i32::MIN, -1)`",
            "integer_overflow",
            integer_overflow,
        ),
        t(
            "trap.bad_conversion",
            "`i32.trunc_f32_s` of NaN",
            "bad_conversion_to_integer",
            bad_conversion,
        ),
        t(
            "trap.null_indirect_call",
            "`call_indirect` through an empty table slot",
            "indirect_call_to_null",
            null_indirect_call,
        ),
        t(
            "trap.indirect_call_wrong_type",
            "`call_indirect` of a function with another signature (type confusion)",
            "bad_signature",
            wrong_signature,
        ),
        t(
            "trap.table_out_of_bounds",
            "`call_indirect` at index 1,000,000 of a one-element table",
            "table_out_of_bounds",
            table_oob,
        ),
        Case::new(
            "trap.plugin_trap",
            Trap,
            "the `echo` plugin's `trap` export",
            "the trap ends that call only; the plugin's next call works",
            Expect::Trap("unreachable_code_reached"),
            plugin_trap,
        ),
    ]
}

fn start(cx: &Ctx, body: &str, extra: &str) -> Result<Got, String> {
    let wat = command(&format!(
        r#"{extra} (func (export "_start") {body} (call $exit (i32.const 0)))"#
    ));
    Ok(cx.env.run_bytes(wat.as_bytes(), &[], &mut captured()))
}

fn unreachable(cx: &Ctx) -> Result<Got, String> {
    start(cx, "unreachable", "")
}

fn divide_by_zero(cx: &Ctx) -> Result<Got, String> {
    start(cx, "(drop (i32.div_s (i32.const 1) (i32.const 0)))", "")
}

fn integer_overflow(cx: &Ctx) -> Result<Got, String> {
    start(
        cx,
        "(drop (i32.div_s (i32.const 0x80000000) (i32.const -1)))",
        "",
    )
}

fn bad_conversion(cx: &Ctx) -> Result<Got, String> {
    start(cx, "(drop (i32.trunc_f32_s (f32.const nan)))", "")
}

fn null_indirect_call(cx: &Ctx) -> Result<Got, String> {
    start(
        cx,
        "(call_indirect (type $v) (i32.const 0))",
        "(type $v (func)) (table 1 funcref)",
    )
}

fn wrong_signature(cx: &Ctx) -> Result<Got, String> {
    start(
        cx,
        "(drop (call_indirect (type $i) (i32.const 0)))",
        "(type $i (func (result i32))) (func $v) (table funcref (elem $v))",
    )
}

fn table_oob(cx: &Ctx) -> Result<Got, String> {
    start(
        cx,
        "(call_indirect (type $v) (i32.const 1000000))",
        "(type $v (func)) (func $f) (table funcref (elem $f))",
    )
}

fn plugin_trap(cx: &Ctx) -> Result<Got, String> {
    let p = cx
        .env
        .plugin_file("echo.wasm", nanoproc::Policy::default())
        .map_err(|e| e.to_string())?;
    let got = Got::call(p.call("trap", b""));
    match p.call("echo", b"after") {
        Ok(out) if out == b"after" => Ok(got),
        other => Err(format!("the call after the trap failed: {other:?}")),
    }
}
