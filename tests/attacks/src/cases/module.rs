//! Malformed and hostile modules: garbage, truncation, wrong headers, compile-time bombs,
//! imports nanoproc does not provide, the wrong kind of binary for the API.

use crate::env::captured;
use crate::expect::ErrorKind::{Denied, InvalidModule};
use crate::{Case, Category::Module, Ctx, End, Expect, Got};
use nanoproc::{LimitKind, Policy};
use std::time::{Duration, Instant};

/// The module cases.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "module.empty",
            Module,
            "zero bytes given as a module",
            "the loader checks the magic number first",
            Expect::Error(InvalidModule, "is not WebAssembly"),
            empty,
        ),
        Case::new(
            "module.wrong_magic",
            Module,
            "a binary starting `\\0asn` instead of `\\0asm`",
            "the loader checks the magic number first",
            Expect::Error(InvalidModule, "is not WebAssembly"),
            wrong_magic,
        ),
        Case::new(
            "module.header_only",
            Module,
            "the four magic bytes and nothing else",
            "a header shorter than 8 bytes is refused as truncated",
            Expect::Error(InvalidModule, "is truncated"),
            header_only,
        ),
        Case::new(
            "module.bad_version",
            Module,
            "a valid magic number with version 2 (neither a core module nor a component)",
            "only version 1 modules and the component layer are accepted",
            Expect::Error(InvalidModule, "unsupported WebAssembly version"),
            bad_version,
        ),
        Case::new(
            "module.truncated",
            Module,
            "`hello.wasm` cut in half",
            "the validator rejects it before any code is generated",
            Expect::Error(InvalidModule, "unexpected end"),
            truncated,
        ),
        Case::new(
            "module.garbage_section",
            Module,
            "a valid header followed by a section with the unknown id 0x7f",
            "the validator rejects unknown sections",
            Expect::Error(InvalidModule, "malformed section id"),
            garbage_section,
        ),
        Case::new(
            "module.too_many_functions",
            Module,
            "a function section declaring 1,000,001 functions",
            "Wasmparser's implementation limit of 1,000,000 functions, checked before compiling",
            Expect::Error(InvalidModule, "functions count exceeds limit"),
            too_many_functions,
        ),
        Case::new(
            "module.100k_functions",
            Module,
            "100,000 functions in one module (a compile-time bomb within the format's limits)",
            "compile time is linear in the number of functions (checked against 10,000); it loads and runs",
            Expect::Exit(0),
            hundred_k_functions,
        ),
        Case::new(
            "module.body_over_limit",
            Module,
            "one function body of 7,654,322 bytes",
            "Wasmparser's limit on a function body's size, checked before compiling",
            Expect::Error(InvalidModule, "function body size count exceeds limit"),
            body_over_limit,
        ),
        Case::new(
            "module.huge_function_body",
            Module,
            "one function body of 1,000,000 instructions (legal, expensive to compile)",
            "it compiles in bounded time and memory and runs",
            Expect::Exit(0),
            huge_body,
        ),
        Case::new(
            "module.deep_nesting",
            Module,
            "a function nesting 1,000,000 blocks inside each other (3 MB; Cranelift's compile time grows with the square of the blocks in a function)",
            "the loader counts control blocks per function before compiling and refuses more than EngineBuilder::max_blocks_per_function (20,000: about 1 s to compile)",
            Expect::Error(InvalidModule, "control blocks"),
            deep_nesting,
        ),
        Case::new(
            "module.too_many_locals",
            Module,
            "a function declaring 50,001 locals",
            "Wasmparser's limit of 50,000 locals per function",
            Expect::Error(InvalidModule, "too many locals"),
            too_many_locals,
        ),
        Case::new(
            "module.shared_memory",
            Module,
            "a shared memory (the threads proposal, which nanoproc does not enable)",
            "features not enabled in the engine are validation errors",
            Expect::Error(InvalidModule, "threads"),
            shared_memory,
        ),
        Case::new(
            "module.unknown_import",
            Module,
            "a command importing `env::launch_missiles`",
            "`run` links WASI only; any other import is refused before the guest runs",
            Expect::Error(Denied, "launch_missiles"),
            unknown_import,
        ),
        Case::new(
            "module.unknown_interface",
            Module,
            "`missiles.wasm`, a WASI command component that also imports `acme:missiles/launch`",
            "components may import only the WASI interfaces nanoproc provides: refused at load, naming the interface, before anything is linked",
            Expect::Error(Denied, "acme:missiles/launch"),
            unknown_interface,
        ),
        Case::new(
            "module.wasi_import_wrong_type",
            Module,
            "a command importing WASI `fd_write` with the wrong signature",
            "imports are type-checked at link time",
            Expect::Error(Denied, "fd_write"),
            wasi_wrong_type,
        ),
        Case::new(
            "module.p2_import_in_core_module",
            Module,
            "a core module importing a preview 2 interface (`wasi:filesystem/preopens`) directly",
            "core modules are linked against preview 1 only",
            Expect::Error(Denied, "wasi:filesystem/preopens"),
            p2_import_in_core,
        ),
        Case::new(
            "module.not_a_command",
            Module,
            "a core module without `_start` given to `run`",
            "`run` needs a WASI command; the error lists what it does export",
            Expect::Error(InvalidModule, "exports no `_start`"),
            not_a_command,
        ),
        Case::new(
            "module.component_not_a_command",
            Module,
            "a component exporting nothing given to `run`",
            "a component must export `wasi:cli/run`",
            Expect::Error(InvalidModule, "wasi:cli/run"),
            component_not_a_command,
        ),
        Case::new(
            "module.component_as_plugin",
            Module,
            "a preview 2 component (`hello_p2.wasm`) given to the plugin API",
            "plugins with the bytes ABI must be core modules",
            Expect::Error(InvalidModule, "is a component"),
            component_as_plugin,
        ),
        Case::new(
            "module.start_function_trap",
            Module,
            "a `start` function (runs during instantiation) that traps",
            "instantiation is inside the sandbox: a trap like any other",
            Expect::Trap("unreachable_code_reached"),
            start_trap,
        ),
        Case::new(
            "module.start_function_loop",
            Module,
            "a `start` function that loops forever (timeout 300 ms)",
            "the deadline covers instantiation, not only `_start`",
            Expect::Limit(LimitKind::Timeout),
            start_loop,
        ),
        Case::new(
            "module.plugin_start_loop",
            Module,
            "a plugin whose `start` function loops forever (policy timeout 300 ms)",
            "loading a plugin instantiates it under the policy's deadline",
            Expect::Limit(LimitKind::Timeout),
            plugin_start_loop,
        ),
    ]
}

/// Hand-made binaries for what WAT cannot express (or would be slow to assemble).
pub mod binary {
    /// Unsigned LEB128.
    pub fn leb(mut v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                return out;
            }
            out.push(byte | 0x80);
        }
    }

    /// A section: id, size, payload.
    pub fn section(id: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![id];
        out.extend(leb(payload.len() as u64));
        out.extend_from_slice(payload);
        out
    }

    /// The module header.
    pub const HEADER: [u8; 8] = *b"\0asm\x01\0\0\0";

    /// Type section with one type, `() -> ()`.
    fn void_type() -> Vec<u8> {
        section(1, &[1, 0x60, 0, 0])
    }

    /// Export section: `_start` = function 0, plus `memory` = memory 0 if `memory`.
    fn exports(memory: bool) -> Vec<u8> {
        let mut p = vec![if memory { 2 } else { 1 }];
        p.push(6);
        p.extend_from_slice(b"_start");
        p.extend([0x00, 0]);
        if memory {
            p.push(6);
            p.extend_from_slice(b"memory");
            p.extend([0x02, 0]);
        }
        section(7, &p)
    }

    /// A command whose one function has this body (locals and code, without the size).
    pub fn one_function(body: &[u8]) -> Vec<u8> {
        let mut m = HEADER.to_vec();
        m.extend(void_type());
        m.extend(section(3, &[1, 0]));
        m.extend(exports(false));
        let mut code = leb(1);
        code.extend(leb(body.len() as u64));
        code.extend_from_slice(body);
        m.extend(section(10, &code));
        m
    }

    /// A command with a memory of `pages` pages and one active data segment at offset 0.
    pub fn data_module(pages: u32, data: &[u8]) -> Vec<u8> {
        let mut m = HEADER.to_vec();
        m.extend(void_type());
        m.extend(section(3, &[1, 0]));
        let mut mem = vec![1, 0];
        mem.extend(leb(u64::from(pages)));
        m.extend(section(5, &mem));
        m.extend(exports(true));
        m.extend(section(10, &[1, 2, 0, 0x0b]));
        let mut seg = vec![1, 0, 0x41, 0, 0x0b];
        seg.extend(leb(data.len() as u64));
        seg.extend_from_slice(data);
        m.extend(section(11, &seg));
        m
    }

    /// A command calling the first of `n` more functions, each `i32.const k; i32.const 1;
    /// i32.add`.
    pub fn many_functions(n: u32) -> Vec<u8> {
        let mut m = HEADER.to_vec();
        m.extend(section(1, &[2, 0x60, 0, 0, 0x60, 0, 1, 0x7f]));
        let mut funcs = leb(u64::from(n) + 1);
        funcs.push(0);
        funcs.resize(funcs.len() + n as usize, 1);
        m.extend(section(3, &funcs));
        m.extend(exports(false));
        let mut code = leb(u64::from(n) + 1);
        code.extend([5, 0, 0x10, 1, 0x1a, 0x0b]); // call 1, drop
        for k in 0..n {
            code.extend([7, 0, 0x41, (k & 0x3f) as u8, 0x41, 1, 0x6a, 0x0b]);
        }
        m.extend(section(10, &code));
        m
    }

    /// A module whose function section declares `n` functions of type 0.
    pub fn declared_functions(n: u64) -> Vec<u8> {
        let mut m = HEADER.to_vec();
        m.extend(void_type());
        let mut f = leb(n);
        f.resize(f.len() + n as usize, 0);
        m.extend(section(3, &f));
        m
    }
}

fn run(cx: &Ctx, bytes: &[u8]) -> Got {
    cx.env.run_bytes(bytes, &[], &mut captured())
}

/// Runs `bytes`, failing the case if loading and running took longer than `limit`.
fn run_within(cx: &Ctx, bytes: &[u8], limit: Duration) -> Result<Got, String> {
    let started = Instant::now();
    let got = run(cx, bytes);
    let took = started.elapsed();
    if took > limit {
        return Err(format!(
            "loading and running took {took:?}, over the {limit:?} bound"
        ));
    }
    Ok(got)
}

fn empty(cx: &Ctx) -> Result<Got, String> {
    Ok(run(cx, b""))
}

fn wrong_magic(cx: &Ctx) -> Result<Got, String> {
    Ok(run(cx, b"\0asn\x01\0\0\0"))
}

fn header_only(cx: &Ctx) -> Result<Got, String> {
    Ok(run(cx, b"\0asm"))
}

fn bad_version(cx: &Ctx) -> Result<Got, String> {
    Ok(run(cx, b"\0asm\x02\0\0\0"))
}

fn truncated(cx: &Ctx) -> Result<Got, String> {
    let hello = std::fs::read(cx.env.guest_path("hello.wasm")).map_err(|e| e.to_string())?;
    Ok(run(cx, &hello[..hello.len() / 2]))
}

fn garbage_section(cx: &Ctx) -> Result<Got, String> {
    let mut m = binary::HEADER.to_vec();
    m.extend(binary::section(0x7f, b"junk"));
    Ok(run(cx, &m))
}

fn too_many_functions(cx: &Ctx) -> Result<Got, String> {
    run_within(
        cx,
        &binary::declared_functions(1_000_001),
        Duration::from_secs(5),
    )
}

fn hundred_k_functions(cx: &Ctx) -> Result<Got, String> {
    // Linear means 10 times the functions take about 10 times as long; allow 20.
    let t = Instant::now();
    let small = run(cx, &binary::many_functions(10_000));
    let small_took = t.elapsed();
    crate::expect::check(&Expect::Exit(0), &small)?;
    let t = Instant::now();
    let got = run(cx, &binary::many_functions(100_000));
    let took = t.elapsed();
    if took > small_took * 20 + Duration::from_millis(500) {
        return Err(format!(
            "compile time is not linear in the number of functions: 10,000 took {small_took:?}, 100,000 took {took:?}"
        ));
    }
    Ok(got)
}

fn body_over_limit(cx: &Ctx) -> Result<Got, String> {
    let mut body = vec![0u8]; // no locals
    body.resize(7_654_321, 0x01); // nop …
    body.push(0x0b); // end
    run_within(cx, &binary::one_function(&body), Duration::from_secs(5))
}

fn huge_body(cx: &Ctx) -> Result<Got, String> {
    let mut body = vec![1, 1, 0x7f]; // one i32 local
    for i in 0..500_000u32 {
        // local.set 0 (i32.const i & 63): 2 instructions each
        body.extend([0x41, (i & 0x3f) as u8, 0x21, 0]);
    }
    body.push(0x0b);
    run_within(cx, &binary::one_function(&body), Duration::from_secs(30))
}

fn deep_nesting(cx: &Ctx) -> Result<Got, String> {
    // A million blocks nested in one function: 3 MB of code, well inside Wasm's body-size
    // limit, that Cranelift would take hours to compile (its time grows with the square of
    // the blocks). Without the cap this case runs into the suite's 120 s watchdog.
    let n = 1_000_000;
    let mut nested = vec![0u8];
    nested.extend(std::iter::repeat_n([0x02, 0x40], n).flatten()); // block …
    nested.extend(std::iter::repeat_n(0x0b, n)); // … end
    nested.push(0x0b);
    Ok(run(cx, &binary::one_function(&nested)))
}

fn too_many_locals(cx: &Ctx) -> Result<Got, String> {
    let mut body = vec![1];
    body.extend(binary::leb(50_001));
    body.extend([0x7f, 0x0b]);
    Ok(run(cx, &binary::one_function(&body)))
}

fn shared_memory(cx: &Ctx) -> Result<Got, String> {
    Ok(run(
        cx,
        br#"(module (memory (export "memory") 1 1 shared) (func (export "_start")))"#,
    ))
}

fn unknown_import(cx: &Ctx) -> Result<Got, String> {
    Ok(run(
        cx,
        br#"(module (import "env" "launch_missiles" (func)) (func (export "_start")))"#,
    ))
}

fn wasi_wrong_type(cx: &Ctx) -> Result<Got, String> {
    Ok(run(
        cx,
        br#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i64)))
            (memory (export "memory") 1) (func (export "_start")))"#,
    ))
}

fn p2_import_in_core(cx: &Ctx) -> Result<Got, String> {
    Ok(run(
        cx,
        br#"(module (import "wasi:filesystem/preopens@0.2.0" "get-directories" (func (param i32)))
            (memory (export "memory") 1) (func (export "_start")))"#,
    ))
}

fn not_a_command(cx: &Ctx) -> Result<Got, String> {
    Ok(run(
        cx,
        br#"(module (memory (export "memory") 1) (func (export "main")))"#,
    ))
}

fn component_not_a_command(cx: &Ctx) -> Result<Got, String> {
    Ok(run(cx, b"(component)"))
}

fn component_as_plugin(cx: &Ctx) -> Result<Got, String> {
    let r = nanoproc::plugin::Plugin::builder(&cx.env.pool)
        .wasm_file(cx.env.guest_path("hello_p2.wasm"))
        .build();
    Ok(match r {
        Ok(_) => Got::bare(End::Returned(Vec::new())),
        Err(e) => Got::failed(e),
    })
}

fn start_trap(cx: &Ctx) -> Result<Got, String> {
    Ok(run(
        cx,
        br#"(module (memory (export "memory") 1) (func $boom unreachable) (start $boom)
            (func (export "_start")))"#,
    ))
}

fn start_loop(cx: &Ctx) -> Result<Got, String> {
    let mut b = captured();
    b.timeout(Some(Duration::from_millis(300)));
    Ok(cx.env.run_bytes(
        br#"(module (memory (export "memory") 1) (func $spin (loop $l (br $l))) (start $spin)
            (func (export "_start")))"#,
        &[],
        &mut b,
    ))
}

fn plugin_start_loop(cx: &Ctx) -> Result<Got, String> {
    let mut b = Policy::builder();
    b.timeout(Some(Duration::from_millis(300)));
    let wat = r#"(module (memory (export "memory") 1)
        (func $spin (loop $l (br $l))) (start $spin)
        (func (export "nanoproc_abi_version") (result i32) i32.const 1)
        (func (export "nanoproc_alloc") (param i32) (result i32) i32.const 1024))"#;
    let policy = b.build().map_err(|e| e.to_string())?;
    Ok(match cx.env.plugin_bytes(wat.as_bytes(), policy) {
        Ok(_) => Got::bare(End::Returned(Vec::new())),
        Err(e) => Got::failed(e),
    })
}

fn unknown_interface(cx: &Ctx) -> Result<Got, String> {
    Ok(cx.env.run_component("missiles.wasm", &[], &mut captured()))
}
