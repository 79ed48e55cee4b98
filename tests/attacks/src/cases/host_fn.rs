//! Host-function abuse: imports that are not granted, hostile pointers to granted ones,
//! host functions that fail, panic, stall or return too much, recursion through a host
//! function; and hostile pointers to WASI's own host functions.

use super::plugin_with;
use crate::expect::Errno;
use crate::expect::ErrorKind::{AbiViolation, Denied, HostFunction, InvalidModule};
use crate::{Case, Category, Ctx, End, Expect, Got};
use nanoproc::plugin::{CallOptions, HostContext, HostFunctions, Plugin};
use nanoproc::{LimitKind, Policy};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

const H: Category = Category::HostFunction;

/// The host-function cases.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "hostfn.ungranted",
            H,
            "`ungranted_host.wasm` imports `host::launch_missiles`, registered by the host but not granted",
            "host functions are linked only if the policy grants them; the error names the grant",
            Expect::Error(Denied, "--allow-host-fn host::launch_missiles"),
            ungranted,
        ),
        Case::new(
            "hostfn.unregistered",
            H,
            "a plugin importing `host::greet`, granted by the policy but not registered",
            "a grant alone provides nothing",
            Expect::Error(Denied, "which this host does not provide"),
            unregistered,
        ),
        Case::new(
            "hostfn.wrong_signature",
            H,
            "importing the granted `host::greet` as `(i32) -> i32`",
            "host-function imports must have the ABI's type",
            Expect::Error(InvalidModule, "with the wrong type"),
            wrong_signature,
        ),
        Case::new(
            "hostfn.hostile_input_pointer",
            H,
            "calling a granted host function with input at 65,000 of length 10,000",
            "the input range is checked before the host function runs (it never sees the call)",
            Expect::Error(AbiViolation, "input of host function `host::greet`"),
            hostile_input,
        ),
        Case::new(
            "hostfn.output_alloc_zero",
            H,
            "the plugin's `nanoproc_alloc` returns 0 when the host function's result is copied back",
            "the call fails; nothing is written",
            Expect::Error(AbiViolation, "returned 0"),
            output_alloc_zero,
        ),
        Case::new(
            "hostfn.output_alloc_out_of_bounds",
            H,
            "the plugin's `nanoproc_alloc` returns 65,530 for a 100-byte host result",
            "the allocation is bounds-checked before the result is written",
            Expect::Error(AbiViolation, "host function output"),
            output_alloc_oob,
        ),
        Case::new(
            "hostfn.error",
            H,
            "a host function returning an error",
            "the call stops with the host function's name and message",
            Expect::Error(HostFunction, "the database is down"),
            host_error,
        ),
        Case::new(
            "hostfn.panic",
            H,
            "a host function panicking",
            "the panic is caught at the boundary: that call fails, the host goes on",
            Expect::Error(HostFunction, "panicked: boom"),
            host_panic,
        ),
        Case::new(
            "hostfn.slow",
            H,
            "a host function sleeping 30 s through `HostContext::sleep` (call timeout 300 ms)",
            "the call's deadline reaches into host functions that cooperate",
            Expect::Limit(LimitKind::Timeout),
            slow,
        ),
        Case::new(
            "hostfn.huge_result",
            H,
            "a host function returning 64 MiB to a plugin with a 16 MiB budget",
            "the result is copied into memory the plugin allocates, under its budget",
            Expect::Limit(LimitKind::Memory),
            huge_result,
        )
        .memory_heavy(),
        Case::new(
            "hostfn.reentrant_recursion",
            H,
            "a plugin using 2,000 wasm frames, then calling a host function that calls the plugin again, which does the same, without end",
            "every entry into a guest checks the thread's nesting depth (at most 64) and its remaining native stack (one wasm stack allowance plus host frames); the innermost call fails with HostExhausted, which unwinds through every host function",
            Expect::Error(HostFunction, "host::reenter"),
            reentrant_recursion,
        )
        .isolated(),
        Case::new(
            "hostfn.wasi_iovec_out_of_bounds",
            H,
            "WASI `fd_write` with its iovec array at 0xfffffff0",
            "WASI bounds-checks every guest pointer and traps on a bad one, as the WASI spec says; the host reads nothing",
            Expect::Trap("host_error"),
            wasi_iovec_oob,
        ),
        Case::new(
            "hostfn.wasi_buffer_out_of_bounds",
            H,
            "WASI `fd_write` of an iovec pointing 1 MiB past the end of memory",
            "the same check on the buffer each iovec names",
            Expect::Trap("host_error"),
            wasi_buffer_oob,
        ),
        Case::new(
            "hostfn.wasi_path_out_of_bounds",
            H,
            "WASI `path_open` with a path of length 0x7fffffff",
            "WASI's per-call copy budget refuses a 2 GiB path before copying anything",
            Expect::Errno(Errno::NOMEM),
            wasi_path_oob,
        ),
        Case::new(
            "hostfn.wasi_args_out_of_bounds",
            H,
            "WASI `args_get` writing its pointers to 0xfffffff0",
            "the host bounds-checks where it writes, too, and traps",
            Expect::Trap("host_error"),
            wasi_args_oob,
        ),
        Case::new(
            "hostfn.wasi_random_out_of_bounds",
            H,
            "WASI `random_get` of 128 KiB at the last page of memory",
            "the host bounds-checks the whole buffer before writing any of it, and traps",
            Expect::Trap("host_error"),
            wasi_random_oob,
        ),
    ]
}

/// `call_host.wasm` with `host` providing `host::greet`, granted.
fn call_host(
    cx: &Ctx,
    host: HostFunctions,
    policy: &mut nanoproc::PolicyBuilder,
) -> Result<Plugin, String> {
    policy.allow_host_fn("host::greet");
    Plugin::builder(&cx.env.pool)
        .wasm_file(cx.env.plugin_path("call_host.wasm"))
        .policy(policy.build().map_err(|e| e.to_string())?)
        .host_functions(host)
        .build()
        .map_err(|e| e.to_string())
}

fn host(
    f: impl Fn(&HostContext<'_>, &[u8]) -> Result<Vec<u8>, String> + Send + Sync + 'static,
) -> HostFunctions {
    let mut h = HostFunctions::new();
    h.register("host", "greet", f);
    h
}

fn load(r: Result<Plugin, nanoproc::Error>) -> Got {
    match r {
        Ok(_) => Got::bare(End::Returned(Vec::new())),
        Err(e) => Got::failed(e),
    }
}

fn ungranted(cx: &Ctx) -> Result<Got, String> {
    let mut h = HostFunctions::new();
    h.register("host", "launch_missiles", |_, _| Ok(b"launched".to_vec()));
    Ok(load(
        Plugin::builder(&cx.env.pool)
            .wasm_file(cx.env.plugin_path("ungranted_host.wasm"))
            .host_functions(h)
            .build(),
    ))
}

fn unregistered(cx: &Ctx) -> Result<Got, String> {
    let mut b = Policy::builder();
    b.allow_host_fn("host::greet");
    Ok(load(
        Plugin::builder(&cx.env.pool)
            .wasm_file(cx.env.plugin_path("call_host.wasm"))
            .policy(b.build().map_err(|e| e.to_string())?)
            .build(),
    ))
}

/// A WAT plugin importing `host::greet` as `$greet` with the ABI's type.
fn greet_plugin(alloc: &str, body: &str) -> String {
    plugin_with(
        r#"(import "host" "greet" (func $greet (param i32 i32) (result i64)))"#,
        alloc,
        body,
    )
}

fn build_wat(cx: &Ctx, wat: &str, host: HostFunctions) -> Result<Plugin, nanoproc::Error> {
    let mut b = Policy::builder();
    b.allow_host_fn("host::greet");
    Plugin::builder(&cx.env.pool)
        .wasm_bytes(wat.as_bytes().to_vec())
        .policy(b.build()?)
        .host_functions(host)
        .build()
}

fn wrong_signature(cx: &Ctx) -> Result<Got, String> {
    let wat = plugin_with(
        r#"(import "host" "greet" (func $greet (param i32) (result i32)))"#,
        "i32.const 1024",
        "",
    );
    Ok(load(build_wat(cx, &wat, host(|_, i| Ok(i.to_vec())))))
}

fn hostile_input(cx: &Ctx) -> Result<Got, String> {
    let calls = Arc::new(AtomicU64::new(0));
    let seen = calls.clone();
    let wat = greet_plugin(
        "i32.const 1024",
        r#"(func (export "f") (param i32 i32) (result i64) (call $greet (i32.const 65000) (i32.const 10000)))"#,
    );
    let p = build_wat(
        cx,
        &wat,
        host(move |_, i| {
            seen.fetch_add(1, Ordering::Relaxed);
            Ok(i.to_vec())
        }),
    )
    .map_err(|e| e.to_string())?;
    let got = Got::call(p.call("f", b""));
    if calls.load(Ordering::Relaxed) != 0 {
        return Err("the host function was called with the hostile input".into());
    }
    Ok(got)
}

fn output_alloc(cx: &Ctx, alloc: &str) -> Result<Got, String> {
    let wat = greet_plugin(
        alloc,
        r#"(func (export "f") (param i32 i32) (result i64) (call $greet (i32.const 0) (i32.const 0)))"#,
    );
    let p = build_wat(cx, &wat, host(|_, _| Ok(vec![b'x'; 100]))).map_err(|e| e.to_string())?;
    Ok(Got::call(p.call("f", b"")))
}

fn output_alloc_zero(cx: &Ctx) -> Result<Got, String> {
    output_alloc(cx, "i32.const 0")
}

fn output_alloc_oob(cx: &Ctx) -> Result<Got, String> {
    output_alloc(cx, "i32.const 65530")
}

fn host_error(cx: &Ctx) -> Result<Got, String> {
    let p = call_host(
        cx,
        host(|_, _| Err("the database is down".into())),
        &mut Policy::builder(),
    )?;
    let got = Got::call(p.call("call_host", b"x"));
    if let End::Failed(nanoproc::Error::HostFunction { name, .. }) = &got.end
        && name != "host::greet"
    {
        return Err(format!("the error names `{name}`"));
    }
    Ok(got)
}

fn host_panic(cx: &Ctx) -> Result<Got, String> {
    let p = call_host(
        cx,
        host(|_, input| {
            if input == b"boom" {
                panic!("boom");
            }
            Ok(input.to_vec())
        }),
        &mut Policy::builder(),
    )?;
    // The panic message would otherwise be printed by the default hook.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let got = Got::call(p.call("call_host", b"boom"));
    std::panic::set_hook(hook);
    match p.call("call_host", b"fine") {
        Ok(out) if out == b"plugin got: fine" => Ok(got),
        other => Err(format!("the next call failed: {other:?}")),
    }
}

fn slow(cx: &Ctx) -> Result<Got, String> {
    let p = call_host(
        cx,
        host(|ctx, _| {
            ctx.sleep(Duration::from_secs(30))?;
            Ok(b"too late".to_vec())
        }),
        &mut Policy::builder(),
    )?;
    let started = std::time::Instant::now();
    let got = Got::call(p.call_with(
        "call_host",
        b"",
        &CallOptions {
            timeout: Some(Duration::from_millis(300)),
            ..Default::default()
        },
    ));
    if started.elapsed() > Duration::from_secs(10) {
        return Err(format!("stopped only after {:?}", started.elapsed()));
    }
    Ok(got)
}

fn huge_result(cx: &Ctx) -> Result<Got, String> {
    let mut b = Policy::builder();
    b.max_memory(16 << 20);
    let p = call_host(cx, host(|_, _| Ok(vec![b'x'; 64 << 20])), &mut b)?;
    Ok(Got::call(p.call("call_host", b"")))
}

fn reentrant_recursion(cx: &Ctx) -> Result<Got, String> {
    let me: Arc<OnceLock<Plugin>> = Arc::new(OnceLock::new());
    let inner = me.clone();
    let mut h = HostFunctions::new();
    let refused = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let saw_refusal = refused.clone();
    h.register("host", "reenter", move |_ctx, input| match inner.get() {
        Some(p) => p.call("f", input).map_err(|e| {
            if matches!(e, nanoproc::Error::HostExhausted(_)) {
                saw_refusal.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            let mut s = e.to_string();
            s.truncate(200);
            s
        }),
        None => Err("not ready".into()),
    });
    let wat = plugin_with(
        r#"(import "host" "reenter" (func $re (param i32 i32) (result i64)))"#,
        "i32.const 1024",
        r#"(func $burn (param $n i32) (result i64)
             (if (result i64) (i32.eqz (local.get $n))
               (then (call $re (i32.const 0) (i32.const 0)))
               (else (i64.add (call $burn (i32.sub (local.get $n) (i32.const 1))) (i64.const 0)))))
           (func (export "f") (param i32 i32) (result i64) (drop (call $burn (i32.const 2000))) (i64.const 0))"#,
    );
    let mut b = Policy::builder();
    b.allow_host_fn("host::reenter");
    let p = Plugin::builder(&cx.env.nocache)
        .wasm_bytes(wat.into_bytes())
        .policy(b.build().map_err(|e| e.to_string())?)
        .host_functions(h)
        .build()
        .map_err(|e| e.to_string())?;
    if me.set(p.clone()).is_err() {
        return Err("cannot install the plugin".into());
    }
    let got = Got::call(p.call("f", b""));
    // Break the cycle plugin -> host functions -> plugin.
    drop(me);
    if !refused.load(std::sync::atomic::Ordering::SeqCst) {
        return Err("no nested call was refused with HostExhausted".into());
    }
    Ok(got)
}

/// A command calling one WASI import and exiting with the errno it returns.
fn wasi_call(cx: &Ctx, import: &str, call: &str) -> Result<Got, String> {
    let wat = format!(
        r#"(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      {import}
      (memory (export "memory") 1)
      (func (export "_start") (call $exit {call})))"#
    );
    let got = cx
        .env
        .run_bytes(wat.as_bytes(), &[], &mut crate::env::captured());
    if let End::Failed(nanoproc::Error::Trap(t)) = &got.end
        && !t.message.contains("Pointer out of bounds")
    {
        return Err(format!("the trap is not about the pointer: {}", t.message));
    }
    Ok(got)
}

const FD_WRITE: &str = r#"(import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))"#;

fn wasi_iovec_oob(cx: &Ctx) -> Result<Got, String> {
    wasi_call(
        cx,
        FD_WRITE,
        "(call $fd_write (i32.const 1) (i32.const 0xfffffff0) (i32.const 1) (i32.const 8))",
    )
}

fn wasi_buffer_oob(cx: &Ctx) -> Result<Got, String> {
    wasi_call(
        cx,
        FD_WRITE,
        "(i32.store (i32.const 16) (i32.const 0x110000)) (i32.store (i32.const 20) (i32.const 64))
         (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8))",
    )
}

fn wasi_path_oob(cx: &Ctx) -> Result<Got, String> {
    let mut b = cx.dirs.policy(false);
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "_start")
        (call $exit (call $open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 0x7fffffff)
          (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 16)))))"#;
    Ok(cx.env.run_bytes(wat.as_bytes(), &[], &mut b))
}

fn wasi_args_oob(cx: &Ctx) -> Result<Got, String> {
    wasi_call(
        cx,
        r#"(import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))"#,
        "(call $args_get (i32.const 0xfffffff0) (i32.const 1024))",
    )
}

fn wasi_random_oob(cx: &Ctx) -> Result<Got, String> {
    wasi_call(
        cx,
        r#"(import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))"#,
        "(call $random_get (i32.const 0xfff0) (i32.const 0x20000))",
    )
}
