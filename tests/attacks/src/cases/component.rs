//! Hostile components: lifted values that lie (pointers, lengths, encodings), start functions
//! that never return, memory bombs, imports nobody provides, and re-entry through
//! `host.call-host`.

use crate::expect::ErrorKind::{Denied, Guest};
use crate::{Case, Category, Ctx, Expect, Got};
use nanoproc::component::Component;
use nanoproc::plugin::{HostFunctions, Plugin};
use nanoproc::{LimitKind, Policy};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The component cases.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "trap.component_list_out_of_bounds",
            Category::Trap,
            "a component function returns `list<u8>` whose pointer and length run 100,000 bytes past its 64 KiB memory",
            "Wasmtime's canonical ABI bounds-checks every lifted list before the host reads it; the call fails, the host reads nothing",
            Expect::Trap("host_error"),
            list_out_of_bounds as fn(&Ctx) -> Result<Got, String>,
        ),
        Case::new(
            "trap.component_list_length_overflow",
            Category::Trap,
            "a lifted `list<u64>` of length 0x7fffffff (16 GiB) at address 8",
            "the length times the element size is checked against memory (no overflow, no allocation)",
            Expect::Trap("host_error"),
            list_length_overflow,
        ),
        Case::new(
            "trap.component_invalid_utf8",
            Category::Trap,
            "a lifted `string` holding the bytes ff fe (not UTF-8)",
            "strings are validated when lifted; the host never sees an invalid `String`",
            Expect::Trap("host_error"),
            invalid_utf8,
        ),
        Case::new(
            "cpu.component_start_loops",
            Category::Cpu,
            "a component whose core module's start function loops forever, under a 300 ms timeout",
            "instantiation runs under the call's deadline, like the call itself",
            Expect::Limit(LimitKind::Timeout),
            start_loops,
        ),
        Case::new(
            "mem.component_initial_memory",
            Category::Memory,
            "a component declaring a 1 GiB initial memory, under a 64 MiB budget",
            "the budget covers initial sizes at instantiation, for components as for modules",
            Expect::Limit(LimitKind::Memory),
            memory_bomb,
        ),
        Case::new(
            "module.component_unknown_import",
            Category::Module,
            "`missiles.wasm` imports `acme:missiles/launch`, which no nanoproc host provides",
            "imports are checked when the component is linked, before any code runs; the error names the import",
            Expect::Error(Denied, "acme:missiles/launch"),
            unknown_import,
        ),
        Case::new(
            "hostfn.component_reentrant_call_host",
            Category::HostFunction,
            "the `count_vowels` plugin component calls `host::greet`, whose host function calls the plugin's `call_host` again, without end",
            "every entry into a guest counts the thread's nesting depth (at most 64), also when a nested component call moves to a helper thread; the innermost call fails with HostExhausted and each level returns it as its error",
            Expect::Error(Guest, "nested"),
            reentrant_call_host,
        )
        .isolated(),
    ]
}

/// A component whose world exports `f`, lifted from core function `f` of `module` (which
/// exports its memory as `mem`) with result type `result`.
fn lifted(module: &str, result: &str) -> String {
    format!(
        r#"(component
  (core module $m {module})
  (core instance $i (instantiate $m))
  (func (export "f") (result {result}) (canon lift (core func $i "f") (memory (core memory $i "mem")))))"#
    )
}

fn call_f(cx: &Ctx, wat: &str, policy: Policy) -> Result<Got, String> {
    let c = Component::builder(&cx.env.nocache)
        .wasm_bytes(wat.as_bytes().to_vec())
        .name("hostile.wat")
        .policy(policy)
        .build();
    Ok(match c {
        Err(e) => Got::failed(e),
        Ok(c) => Got::bare(match c.call("f", &[]) {
            Ok(v) => crate::End::Returned(format!("{v:?}").into_bytes()),
            Err(e) => crate::End::Failed(e),
        }),
    })
}

fn list_out_of_bounds(cx: &Ctx) -> Result<Got, String> {
    let wat = lifted(
        r#"(memory (export "mem") 1)
           (func (export "f") (result i32)
             (i32.store (i32.const 16) (i32.const 65000))
             (i32.store (i32.const 20) (i32.const 100000))
             (i32.const 16))"#,
        "(list u8)",
    );
    call_f(cx, &wat, Policy::default())
}

fn list_length_overflow(cx: &Ctx) -> Result<Got, String> {
    let wat = lifted(
        r#"(memory (export "mem") 1)
           (func (export "f") (result i32)
             (i32.store (i32.const 16) (i32.const 8))
             (i32.store (i32.const 20) (i32.const 0x7fffffff))
             (i32.const 16))"#,
        "(list u64)",
    );
    call_f(cx, &wat, Policy::default())
}

fn invalid_utf8(cx: &Ctx) -> Result<Got, String> {
    let wat = lifted(
        r#"(memory (export "mem") 1)
           (data (i32.const 32) "\ff\fe")
           (func (export "f") (result i32)
             (i32.store (i32.const 16) (i32.const 32))
             (i32.store (i32.const 20) (i32.const 2))
             (i32.const 16))"#,
        "string",
    );
    call_f(cx, &wat, Policy::default())
}

fn start_loops(cx: &Ctx) -> Result<Got, String> {
    let wat = r#"(component
  (core module $m (func $spin (loop (br 0))) (start $spin) (func (export "f")))
  (core instance $i (instantiate $m))
  (func (export "f") (canon lift (core func $i "f"))))"#;
    let mut b = Policy::builder();
    b.timeout(Some(Duration::from_millis(300)));
    call_f(cx, wat, b.build().map_err(|e| e.to_string())?)
}

fn memory_bomb(cx: &Ctx) -> Result<Got, String> {
    let wat = r#"(component
  (core module $m (memory 16384) (func (export "f")))
  (core instance $i (instantiate $m))
  (func (export "f") (canon lift (core func $i "f"))))"#;
    let mut b = Policy::builder();
    b.max_memory(64 << 20);
    call_f(cx, wat, b.build().map_err(|e| e.to_string())?)
}

fn unknown_import(cx: &Ctx) -> Result<Got, String> {
    Ok(
        match Component::builder(&cx.env.plain)
            .wasm_file(cx.env.component_path("missiles.wasm"))
            .build()
        {
            Ok(_) => Got::bare(crate::End::Returned(b"linked".to_vec())),
            Err(e) => Got::failed(e),
        },
    )
}

fn reentrant_call_host(cx: &Ctx) -> Result<Got, String> {
    let me: Arc<OnceLock<Plugin>> = Arc::new(OnceLock::new());
    // Weak: the plugin holds its host functions, so a strong reference would be a cycle.
    let inner = Arc::downgrade(&me);
    let mut h = HostFunctions::new();
    let exhausted = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let saw = exhausted.clone();
    h.register("host", "greet", move |_ctx, input| match inner.upgrade() {
        Some(me) => me
            .get()
            .ok_or("not ready")?
            .call("call_host", input)
            .map_err(|e| {
                if matches!(e, nanoproc::Error::HostExhausted(_)) {
                    saw.store(true, std::sync::atomic::Ordering::SeqCst);
                }
                // Keep the innermost part of the message, where the refusal is.
                let s = e.to_string();
                let cut = s.char_indices().rev().nth(299).map_or(0, |(i, _)| i);
                s[cut..].to_string()
            }),
        None => Err("not ready".into()),
    });
    let mut b = Policy::builder();
    b.allow_host_fn("host::greet");
    // The on-demand allocator: with the pool, its 128 slots would run out first (at depth ~32,
    // HostExhausted too), before the nesting bound this case is about.
    let p = Plugin::builder(&cx.env.plain)
        .wasm_file(cx.env.component_path("count_vowels.wasm"))
        .policy(b.build().map_err(|e| e.to_string())?)
        .host_functions(h)
        .build()
        .map_err(|e| e.to_string())?;
    if me.set(p.clone()).is_err() {
        return Err("cannot install the plugin".into());
    }
    let got = Got::call(p.call("call_host", b"x"));
    drop(me);
    if !exhausted.load(std::sync::atomic::Ordering::SeqCst) {
        return Err("no nested call was refused with HostExhausted".into());
    }
    Ok(got)
}
