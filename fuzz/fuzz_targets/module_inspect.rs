//! Modules through the loader (compile), `inspect` and the integrity check: raw bytes (seeded
//! with modules, components and WAT), and valid modules from `wasm-smith` with an arbitrary
//! config. Nothing panics; failures are `InvalidModule` (the integrity check: `InvalidModule`
//! or `Integrity`, never a pass for bytes no trusted key signed); whatever Wasmtime compiles,
//! `inspect` accepts; and every `wasm-smith` module limited to the features nanoproc's engine
//! has both compiles and inspects.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use nanoproc::{Engine, ModuleKind, inspect, loader};
use nanoproc_fuzz::assert_kind;
use std::sync::LazyLock;

static ENGINE: LazyLock<Engine> = LazyLock::new(|| nanoproc_fuzz::engine(None));

/// A policy trusting one key whose secret half the fuzzer never uses: no input can pass it.
static TRUSTING: LazyLock<nanoproc::integrity::IntegrityPolicy> = LazyLock::new(|| {
    nanoproc::integrity::IntegrityPolicy {
        trusted_keys: vec![nanoproc::integrity::KeyPair::generate().public],
        require: nanoproc::integrity::SignatureRequirement::Any,
        sha256: Vec::new(),
    }
});

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 4 == 0 {
        raw(rest);
    } else {
        let _ = smith(rest);
    }
});

/// Any bytes: both front doors agree, and fail only with `InvalidModule`.
fn raw(bytes: &[u8]) {
    let loaded = loader::load_bytes(&ENGINE, bytes, "fuzz.wasm");
    let report = inspect::inspect(bytes, "fuzz.wasm");
    match nanoproc::integrity::check(bytes, "fuzz.wasm", &TRUSTING) {
        Ok(v) => panic!("bytes nobody signed passed the integrity check: {v:?}"),
        Err(e) => {
            assert_kind(&e, &["invalid module", "integrity"]);
            assert!(!e.to_string().contains('\n'), "a multi-line error: {e}");
        }
    }
    if let Err(e) = &loaded {
        assert_kind(e, &["invalid module"]);
    }
    match &report {
        Err(e) => {
            assert_kind(e, &["invalid module"]);
            assert!(
                loaded.is_err(),
                "Wasmtime compiled a binary that inspect rejects: {e}"
            );
        }
        Ok(r) => {
            let _ = r.render("fuzz.wasm");
            if let Ok(l) = &loaded {
                assert_eq!(r.kind, l.kind);
                assert_eq!(r.sha256, l.sha256_hex());
            }
        }
    }
}

/// A valid module from wasm-smith, limited to what nanoproc's engine supports.
fn smith(bytes: &[u8]) -> arbitrary::Result<()> {
    let mut u = Unstructured::new(bytes);
    let mut config = wasm_smith::Config::arbitrary(&mut u)?;
    // nanoproc builds Wasmtime without its GC and threads features: no GC types, no
    // externref (reference types beyond funcref need the GC heap), no shared memories, no
    // exceptions (exnref lives in the GC heap too).
    config.gc_enabled = false;
    config.reference_types_enabled = false;
    config.threads_enabled = false;
    config.exceptions_enabled = false;
    // Keep compile times to milliseconds so the fuzzer runs many inputs.
    config.max_funcs = config.max_funcs.min(20);
    config.max_instructions = config.max_instructions.min(200);
    config.max_types = config.max_types.min(50);
    config.max_imports = config.max_imports.min(20);
    config.max_exports = config.max_exports.min(30);
    let module = wasm_smith::Module::new(config, &mut u)?;
    let wasm = module.to_bytes();
    let report = match inspect::inspect(&wasm, "smith.wasm") {
        Ok(r) => r,
        Err(e) => panic!("inspect rejects a valid wasm-smith module: {e}"),
    };
    assert_eq!(report.kind, ModuleKind::CoreModule);
    assert_eq!(report.size, wasm.len());
    let _ = report.render("smith.wasm");
    match loader::load_bytes(&ENGINE, &wasm, "smith.wasm") {
        Ok(l) => assert_eq!(l.kind, ModuleKind::CoreModule),
        Err(e) => panic!("nanoproc cannot compile a valid wasm-smith module: {e}"),
    }
    Ok(())
}
