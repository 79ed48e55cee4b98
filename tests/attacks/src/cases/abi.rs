//! Plugin ABI abuse (`docs/abi.md`): hostile pointers and lengths in results, allocators and
//! imports; wrong versions and missing or mistyped exports.

use super::plugin;
use crate::expect::ErrorKind::{AbiViolation, Denied, Guest, InvalidModule};
use crate::{Case, Category::PluginAbi, Ctx, End, Expect, Got};
use nanoproc::plugin::Plugin;
use nanoproc::{LimitKind, Policy};

/// The plugin-ABI cases.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "abi.output_past_end",
            PluginAbi,
            "a function returning 16 bytes at 65,536, the end of its one-page memory",
            "every returned range is checked against the memory's size before copying",
            Expect::Error(AbiViolation, "runs past the end"),
            output_past_end,
        ),
        Case::new(
            "abi.output_len_max",
            PluginAbi,
            "a function returning pointer 0 and length 0xffffffff",
            "the same check: a 4 GiB read is never attempted",
            Expect::Error(AbiViolation, "runs past the end"),
            output_len_max,
        ),
        Case::new(
            "abi.output_ptr_len_overflow",
            PluginAbi,
            "a function returning pointer and length 0xffffffff (their sum overflows 32 bits)",
            "the sum is computed without overflow",
            Expect::Error(AbiViolation, "overflows 32 bits"),
            output_overflow,
        ),
        Case::new(
            "abi.alloc_returns_zero",
            PluginAbi,
            "`nanoproc_alloc` returning 0 for the input",
            "0 means out of memory: the call fails before anything is written",
            Expect::Error(AbiViolation, "returned 0"),
            alloc_zero,
        ),
        Case::new(
            "abi.alloc_returns_out_of_bounds",
            PluginAbi,
            "`nanoproc_alloc` returning 65,530 for a 10-byte input",
            "the allocation is bounds-checked before the input is copied in",
            Expect::Error(AbiViolation, "nanoproc_alloc result for the input"),
            alloc_oob,
        ),
        Case::new(
            "abi.alloc_returns_negative",
            PluginAbi,
            "`nanoproc_alloc` returning -1 (0xffffffff)",
            "pointers are unsigned; the range overflows and is refused",
            Expect::Error(AbiViolation, "overflows 32 bits"),
            alloc_negative,
        ),
        Case::new(
            "abi.alloc_traps",
            PluginAbi,
            "`nanoproc_alloc` executing `unreachable`",
            "a trap in the allocator is a trap of the call",
            Expect::Trap("unreachable_code_reached"),
            alloc_traps,
        ),
        Case::new(
            "abi.alloc_grows_memory",
            PluginAbi,
            "`nanoproc_alloc` growing memory by 1,000 pages on every call (budget 16 MiB)",
            "the allocator runs under the call's memory budget",
            Expect::Limit(LimitKind::Memory),
            alloc_grows,
        ),
        Case::new(
            "abi.wrong_version",
            PluginAbi,
            "`nanoproc_abi_version` returning 7",
            "the version is checked when the plugin is loaded",
            Expect::Error(InvalidModule, "ABI version 7"),
            wrong_version,
        ),
        Case::new(
            "abi.version_traps",
            PluginAbi,
            "`nanoproc_abi_version` trapping",
            "loading fails with the trap; nothing is left running",
            Expect::Trap("unreachable_code_reached"),
            version_traps,
        ),
        Case::new(
            "abi.missing_alloc",
            PluginAbi,
            "a plugin without `nanoproc_alloc`",
            "exports are checked against the ABI at load",
            Expect::Error(InvalidModule, "lacks the export `nanoproc_alloc`"),
            missing_alloc,
        ),
        Case::new(
            "abi.no_memory",
            PluginAbi,
            "a plugin exporting no memory",
            "exports are checked against the ABI at load",
            Expect::Error(InvalidModule, "lacks the export `memory`"),
            no_memory,
        ),
        Case::new(
            "abi.memory64",
            PluginAbi,
            "a plugin exporting a 64-bit memory",
            "the ABI's pointers are 32-bit: refused at load",
            Expect::Error(InvalidModule, "32-bit, unshared memory"),
            memory64,
        ),
        Case::new(
            "abi.missing_function",
            PluginAbi,
            "calling a function the plugin does not export",
            "the error lists what it does export",
            Expect::Error(AbiViolation, "has no function `nope`"),
            missing_function,
        ),
        Case::new(
            "abi.mistyped_function",
            PluginAbi,
            "calling an export of type `(i32) -> i32`",
            "functions must be `(i32, i32) -> i64`; never called with the wrong arguments",
            Expect::Error(AbiViolation, "(i32, i32) -> i64"),
            mistyped_function,
        ),
        Case::new(
            "abi.unknown_nanoproc_import",
            PluginAbi,
            "importing `nanoproc::format_disk`",
            "the `nanoproc` module has exactly `fail`, `log` and `config_get`",
            Expect::Error(InvalidModule, "format_disk"),
            unknown_nanoproc_import,
        ),
        Case::new(
            "abi.nanoproc_import_wrong_type",
            PluginAbi,
            "importing `nanoproc::fail` as `(i64) -> ()`",
            "imports are type-checked at load",
            Expect::Error(Denied, "nanoproc::fail"),
            nanoproc_import_wrong_type,
        ),
        Case::new(
            "abi.fail_hostile_pointer",
            PluginAbi,
            "`nanoproc::fail` with a message at 65,000 of length 10,000",
            "the message range is checked before it is read",
            Expect::Error(AbiViolation, "nanoproc::fail message"),
            fail_hostile,
        ),
        Case::new(
            "abi.fail_huge_message",
            PluginAbi,
            "`nanoproc::fail` with a 1 MiB message",
            "at most 64 KiB of it is kept",
            Expect::Error(Guest, "AAAA"),
            fail_huge,
        ),
        Case::new(
            "abi.log_hostile_pointer",
            PluginAbi,
            "`nanoproc::log` with a message at 0xffffffff",
            "the message range is checked before it is read",
            Expect::Error(AbiViolation, "nanoproc::log message"),
            log_hostile,
        ),
        Case::new(
            "abi.config_get_hostile_key",
            PluginAbi,
            "`nanoproc::config_get` with a key of length 0x7fffffff",
            "the key range is checked before it is read",
            Expect::Error(AbiViolation, "config_get key"),
            config_key_hostile,
        ),
        Case::new(
            "abi.config_get_hostile_buffer",
            PluginAbi,
            "`nanoproc::config_get` of an existing key into a buffer at 65,530 with capacity 100",
            "the buffer range is checked before anything is written",
            Expect::Error(AbiViolation, "config_get buffer"),
            config_buf_hostile,
        ),
    ]
}

fn build(cx: &Ctx, wat: &str) -> Result<Plugin, String> {
    cx.env
        .plugin_bytes(wat.as_bytes(), Policy::default())
        .map_err(|e| format!("the plugin did not load: {e}"))
}

/// Loads a plugin: the error if it is refused.
fn load(cx: &Ctx, wat: &str) -> Result<Got, String> {
    Ok(
        match cx.env.plugin_bytes(wat.as_bytes(), Policy::default()) {
            Ok(_) => Got::bare(End::Returned(Vec::new())),
            Err(e) => Got::failed(e),
        },
    )
}

/// Builds `plugin(alloc, body)` and calls `f` with `input`.
fn call(cx: &Ctx, alloc: &str, body: &str, input: &[u8]) -> Result<Got, String> {
    Ok(Got::call(build(cx, &plugin(alloc, body))?.call("f", input)))
}

/// A function `f` returning the packed constant `packed`.
fn returning(packed: &str) -> String {
    format!(r#"(func (export "f") (param i32 i32) (result i64) (i64.const {packed}))"#)
}

fn output_past_end(cx: &Ctx) -> Result<Got, String> {
    call(cx, "i32.const 1024", &returning("0x0001000000000010"), b"")
}

fn output_len_max(cx: &Ctx) -> Result<Got, String> {
    call(cx, "i32.const 1024", &returning("0x00000000ffffffff"), b"")
}

fn output_overflow(cx: &Ctx) -> Result<Got, String> {
    call(cx, "i32.const 1024", &returning("-1"), b"")
}

fn alloc_zero(cx: &Ctx) -> Result<Got, String> {
    call(cx, "i32.const 0", &returning("0"), b"input")
}

fn alloc_oob(cx: &Ctx) -> Result<Got, String> {
    call(cx, "i32.const 65530", &returning("0"), b"0123456789")
}

fn alloc_negative(cx: &Ctx) -> Result<Got, String> {
    call(cx, "i32.const -1", &returning("0"), b"x")
}

fn alloc_traps(cx: &Ctx) -> Result<Got, String> {
    call(cx, "unreachable", &returning("0"), b"x")
}

fn alloc_grows(cx: &Ctx) -> Result<Got, String> {
    let mut b = Policy::builder();
    b.max_memory(16 << 20);
    let wat = plugin(
        "(i32.mul (memory.grow (i32.const 1000)) (i32.const 65536))",
        &returning("0"),
    );
    let p = cx
        .env
        .plugin_bytes(wat.as_bytes(), b.build().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    Ok(Got::call(p.call("f", b"x")))
}

fn wrong_version(cx: &Ctx) -> Result<Got, String> {
    load(
        cx,
        &plugin("i32.const 1024", "")
            .replace("(result i32) i32.const 1)", "(result i32) i32.const 7)"),
    )
}

fn version_traps(cx: &Ctx) -> Result<Got, String> {
    load(
        cx,
        &plugin("i32.const 1024", "")
            .replace("(result i32) i32.const 1)", "(result i32) unreachable)"),
    )
}

fn missing_alloc(cx: &Ctx) -> Result<Got, String> {
    load(
        cx,
        r#"(module (memory (export "memory") 1) (func (export "nanoproc_abi_version") (result i32) i32.const 1))"#,
    )
}

fn no_memory(cx: &Ctx) -> Result<Got, String> {
    load(
        cx,
        r#"(module (memory 1) (func (export "nanoproc_abi_version") (result i32) i32.const 1)
            (func (export "nanoproc_alloc") (param i32) (result i32) i32.const 0))"#,
    )
}

fn memory64(cx: &Ctx) -> Result<Got, String> {
    load(
        cx,
        r#"(module (memory (export "memory") i64 1) (func (export "nanoproc_abi_version") (result i32) i32.const 1)
            (func (export "nanoproc_alloc") (param i32) (result i32) i32.const 0))"#,
    )
}

fn missing_function(cx: &Ctx) -> Result<Got, String> {
    let p = build(cx, &plugin("i32.const 1024", &returning("0")))?;
    Ok(Got::call(p.call("nope", b"")))
}

fn mistyped_function(cx: &Ctx) -> Result<Got, String> {
    let body = r#"(func (export "g") (param i32) (result i32) (i32.const 0))"#;
    let p = build(cx, &plugin("i32.const 1024", body))?;
    Ok(Got::call(p.call("g", b"")))
}

fn unknown_nanoproc_import(cx: &Ctx) -> Result<Got, String> {
    load(
        cx,
        &super::plugin_with(
            r#"(import "nanoproc" "format_disk" (func))"#,
            "i32.const 1024",
            "",
        ),
    )
}

fn nanoproc_import_wrong_type(cx: &Ctx) -> Result<Got, String> {
    load(
        cx,
        r#"(module (import "nanoproc" "fail" (func (param i64))) (memory (export "memory") 1)
            (func (export "nanoproc_abi_version") (result i32) i32.const 1)
            (func (export "nanoproc_alloc") (param i32) (result i32) i32.const 1024))"#,
    )
}

fn fail_hostile(cx: &Ctx) -> Result<Got, String> {
    let body = r#"(func (export "f") (param i32 i32) (result i64)
        (call $fail (i32.const 65000) (i32.const 10000)) (i64.const 0))"#;
    call(cx, "i32.const 1024", body, b"")
}

fn fail_huge(cx: &Ctx) -> Result<Got, String> {
    let wat = plugin(
        "i32.const 1024",
        r#"(func (export "f") (param i32 i32) (result i64)
             (drop (memory.grow (i32.const 16)))
             (memory.fill (i32.const 0) (i32.const 65) (i32.const 1048576))
             (call $fail (i32.const 0) (i32.const 1048576)) (i64.const 0))"#,
    );
    let p = build(cx, &wat)?;
    let got = Got::call(p.call("f", b""));
    if let End::Failed(nanoproc::Error::Guest(m)) = &got.end
        && m.len() > 64 * 1024
    {
        return Err(format!("{} bytes of the message were kept", m.len()));
    }
    Ok(got)
}

fn log_hostile(cx: &Ctx) -> Result<Got, String> {
    let body = r#"(func (export "f") (param i32 i32) (result i64)
        (call $log (i32.const 2) (i32.const -1) (i32.const 4)) (i64.const 0))"#;
    call(cx, "i32.const 1024", body, b"")
}

fn config_key_hostile(cx: &Ctx) -> Result<Got, String> {
    let body = r#"(func (export "f") (param i32 i32) (result i64)
        (drop (call $config_get (i32.const 0) (i32.const 0x7fffffff) (i32.const 0) (i32.const 0))) (i64.const 0))"#;
    call(cx, "i32.const 1024", body, b"")
}

fn config_buf_hostile(cx: &Ctx) -> Result<Got, String> {
    let wat = plugin(
        "i32.const 1024",
        r#"(data (i32.const 0) "key")
           (func (export "f") (param i32 i32) (result i64)
             (drop (call $config_get (i32.const 0) (i32.const 3) (i32.const 65530) (i32.const 100))) (i64.const 0))"#,
    );
    let p = nanoproc::plugin::Plugin::builder(&cx.env.pool)
        .wasm_bytes(wat.into_bytes())
        .config("key", "a value longer than six bytes")
        .build()
        .map_err(|e| e.to_string())?;
    Ok(Got::call(p.call("f", b"")))
}
