//! JSON against every WIT type of a fixed component (`all_types.wat`): `to_val` never
//! panics and fails only with `InvalidInput` at a `$` path; whatever converts round-trips
//! (`to_val` → `from_val` → `to_val`, also through JSON text); and arbitrary values of each
//! type survive `from_val` → `to_val` unchanged.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use nanoproc::Error;
use nanoproc::component::json;
use nanoproc_fuzz::component::{FUNCS, arbitrary_val};
use serde_json::Value;
use std::sync::LazyLock;
use wasmtime::component::{Type, Val};

/// With `NANOPROC_FUZZ_STATS` set, every JSON input prints `outcome: <function> -> <ok or
/// invalid input>` to stderr, to see what a corpus reaches (docs/fuzzing.md).
static STATS: LazyLock<bool> = LazyLock::new(|| std::env::var_os("NANOPROC_FUZZ_STATS").is_some());

fuzz_target!(|data: &[u8]| {
    let funcs = &*FUNCS;
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Some((&mode, rest)) = rest.split_first() else {
        return;
    };
    let func = &funcs[usize::from(pick) % funcs.len()];
    let stats = *STATS;
    if mode % 2 == 0 {
        // JSON text: the arguments of the function.
        let Ok(args) = serde_json::from_slice::<Value>(rest) else {
            return;
        };
        let params = func.params.iter().map(|(n, t)| (n.as_str(), t.clone()));
        let converted = json::args_to_vals(params, &args, "$.args");
        if stats {
            let outcome = converted.as_ref().map(|_| "ok").unwrap_or("invalid input");
            eprintln!("outcome: {} -> {outcome}", func.name);
        }
        match converted {
            Ok(vals) => {
                for ((_, ty), v) in func.params.iter().zip(&vals) {
                    round_trip(ty, v);
                }
            }
            Err(e) => check_error(&e, "$.args"),
        }
        // The same JSON as a value of the first parameter's type.
        if let Some((_, ty)) = func.params.first() {
            match json::to_val(ty, &args) {
                Ok(v) => round_trip(ty, &v),
                Err(e) => check_error(&e, "$"),
            }
        }
    } else {
        // A generated value of each parameter's type.
        let mut u = Unstructured::new(rest);
        for (_, ty) in &func.params {
            let Ok(v) = arbitrary_val(ty, &mut u) else {
                return;
            };
            round_trip(ty, &v);
        }
    }
});

/// `v` (of type `ty`) → JSON → the same value, directly and through JSON text; and the
/// JSON is canonical (converting again gives the same JSON).
fn round_trip(ty: &Type, v: &Val) {
    let j = match json::from_val(v) {
        Ok(j) => j,
        Err(e) => panic!("from_val failed on a value of a convertible type: {e}"),
    };
    let back = match json::to_val(ty, &j) {
        Ok(b) => b,
        Err(e) => panic!("to_val rejects from_val's output {j}: {e}"),
    };
    assert_eq!(&back, v, "value changed through {j}");
    match json::from_val(&back) {
        Ok(j2) => assert_eq!(j2, j, "JSON is not canonical"),
        Err(e) => panic!("{e}"),
    }
    let text = match serde_json::to_string(&j) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    let reparsed: Value = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => panic!("serde_json cannot read its own output {text}: {e}"),
    };
    match json::to_val(ty, &reparsed) {
        Ok(b) => assert_eq!(&b, v, "value changed through the text {text}"),
        Err(e) => panic!("to_val rejects {text} after a text round trip: {e}"),
    }
}

fn check_error(e: &Error, root: &str) {
    match e {
        Error::InvalidInput { path, message } => {
            assert!(path.starts_with(root), "path {path:?} outside {root}");
            assert!(!message.is_empty());
            // One line, with nothing that could drive a terminal or hide text.
            assert!(
                !message
                    .chars()
                    .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202e}')),
                "a control or invisible character in the message: {message:?}"
            );
            assert!(message.len() < 4096, "a {}-byte message", message.len());
        }
        other => panic!(
            "conversion failed with {} rather than invalid input: {other:?}",
            other.kind_name()
        ),
    }
}
