//! Abuse of the plugin ABI: every hostile pointer, length and export is a clear error for
//! that call, never a host panic or an out-of-bounds host access.

use super::plugins::pool_engine;
use nanoproc::Error;
use nanoproc::plugin::Plugin;

/// A plugin module: memory, version, an allocator returning `alloc_ret`, and `body` (WAT
/// for `(func (export "f") (param i32 i32) (result i64) ...)` and friends).
fn module(alloc_ret: &str, body: &str) -> String {
    format!(
        r#"(module
          (import "nanoproc" "fail" (func $fail (param i32 i32)))
          (import "nanoproc" "log" (func $log (param i32 i32 i32)))
          (import "nanoproc" "config_get" (func $config_get (param i32 i32 i32 i32) (result i64)))
          (memory (export "memory") 1)
          (func (export "nanoproc_abi_version") (result i32) i32.const 1)
          (func (export "nanoproc_alloc") (param i32) (result i32) {alloc_ret})
          {body})"#
    )
}

fn build(wat: &str) -> Result<Plugin, Error> {
    Plugin::builder(pool_engine())
        .wasm_bytes(wat.as_bytes().to_vec())
        .build()
}

fn call(body: &str, input: &[u8]) -> Result<Vec<u8>, Error> {
    build(&module("i32.const 1024", body))
        .expect("builds")
        .call("f", input)
}

#[track_caller]
fn assert_violation(r: Result<Vec<u8>, Error>, needle: &str) {
    match r {
        Err(Error::AbiViolation(m)) => assert!(m.contains(needle), "{m}"),
        other => panic!("expected an ABI violation mentioning {needle:?}, got {other:?}"),
    }
}

#[test]
fn an_output_pointer_past_the_end_of_memory() {
    let body = r#"(func (export "f") (param i32 i32) (result i64) (i64.const 0x0001000000000010))"#; // ptr 65536, len 16
    assert_violation(call(body, b""), "outside");
}

#[test]
fn an_output_length_of_0xffffffff() {
    let body = r#"(func (export "f") (param i32 i32) (result i64) (i64.const 0x00000010ffffffff))"#;
    assert_violation(call(body, b""), "outside");
    let body = r#"(func (export "f") (param i32 i32) (result i64) (i64.const -1))"#; // ptr and len 0xFFFFFFFF
    assert_violation(call(body, b""), "overflows");
}

#[test]
fn an_allocator_returning_zero_or_out_of_bounds() {
    let body = r#"(func (export "f") (param i32 i32) (result i64) (i64.const 0))"#;
    let p = build(&module("i32.const 0", body)).expect("builds");
    match p.call("f", b"input") {
        Err(Error::AbiViolation(m)) => assert!(m.contains("returned 0"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        p.call("f", b"").expect("empty input needs no allocation"),
        b""
    );
    let p = build(&module("i32.const 65530", body)).expect("builds");
    assert!(matches!(
        p.call("f", b"0123456789"),
        Err(Error::AbiViolation(_))
    ));
    let p = build(&module("i32.const -1", body)).expect("builds");
    assert!(matches!(p.call("f", b"x"), Err(Error::AbiViolation(_))));
}

#[test]
fn overlapping_input_and_output_regions_are_harmless() {
    // Returns a window that starts inside the input and runs past it.
    let body = r#"(func (export "f") (param $p i32) (param $l i32) (result i64)
        (i64.or (i64.shl (i64.extend_i32_u (i32.add (local.get $p) (i32.const 2))) (i64.const 32)) (i64.const 6)))"#;
    let out = call(body, b"abcdef").expect("a valid range");
    assert_eq!(&out[..4], b"cdef");
    assert_eq!(out.len(), 6);
}

#[test]
fn missing_and_mistyped_exports() {
    let body = r#"(func (export "f") (param i32 i32) (result i64) (i64.const 0))
                  (func (export "g") (param i32) (result i32) (i32.const 0))"#;
    let p = build(&module("i32.const 1024", body)).expect("builds");
    assert_violation(p.call("nope", b""), "has no function `nope`");
    assert_violation(p.call("g", b""), "(i32, i32) -> i64");
    assert_violation(p.call("memory", b""), "has no function");
}

#[test]
fn modules_that_are_not_plugins_are_refused_at_load() {
    let no_alloc = r#"(module (memory (export "memory") 1) (func (export "nanoproc_abi_version") (result i32) i32.const 1))"#;
    assert!(
        matches!(build(no_alloc), Err(Error::InvalidModule(m)) if m.contains("nanoproc_alloc"))
    );
    let wrong_version = module("i32.const 1024", "")
        .replace("(result i32) i32.const 1)", "(result i32) i32.const 7)");
    assert!(
        matches!(build(&wrong_version), Err(Error::InvalidModule(m)) if m.contains("version 7"))
    );
    let no_memory = r#"(module (func (export "nanoproc_abi_version") (result i32) i32.const 1)
        (func (export "nanoproc_alloc") (param i32) (result i32) i32.const 0))"#;
    assert!(matches!(build(no_memory), Err(Error::InvalidModule(m)) if m.contains("memory")));
    let unknown_nanoproc = r#"(module (import "nanoproc" "format_disk" (func)) (memory (export "memory") 1)
        (func (export "nanoproc_abi_version") (result i32) i32.const 1)
        (func (export "nanoproc_alloc") (param i32) (result i32) i32.const 0))"#;
    assert!(
        matches!(build(unknown_nanoproc), Err(Error::InvalidModule(m)) if m.contains("format_disk"))
    );
}

#[test]
fn hostile_pointers_to_the_nanoproc_imports() {
    let fail = r#"(func (export "f") (param i32 i32) (result i64) (call $fail (i32.const 65000) (i32.const 10000)) (i64.const 0))"#;
    assert_violation(call(fail, b""), "nanoproc::fail");
    let log = r#"(func (export "f") (param i32 i32) (result i64) (call $log (i32.const 2) (i32.const -1) (i32.const 4)) (i64.const 0))"#;
    assert_violation(call(log, b""), "nanoproc::log");
    let cfg = r#"(func (export "f") (param i32 i32) (result i64)
        (drop (call $config_get (i32.const 0) (i32.const 0x7fffffff) (i32.const 0) (i32.const 0))) (i64.const 0))"#;
    assert_violation(call(cfg, b""), "config_get key");
}

#[test]
fn config_get_writes_only_inside_the_buffer() {
    let p = Plugin::builder(pool_engine())
        .wasm_bytes(
            module(
                "i32.const 1024",
                r#"(data (i32.const 0) "key")
                   (func (export "f") (param i32 i32) (result i64)
                     (drop (call $config_get (i32.const 0) (i32.const 3) (i32.const 100) (i32.const 4)))
                     (i64.const 0x0000006400000008))"#, // ptr 100, len 8
            )
            .into_bytes(),
        )
        .config("key", "0123456789")
        .build()
        .expect("builds");
    let out = p.call("f", b"").expect("call");
    assert_eq!(&out[..4], b"0123", "only buf_cap bytes are written");
    assert_eq!(&out[4..], [0, 0, 0, 0]);
}
