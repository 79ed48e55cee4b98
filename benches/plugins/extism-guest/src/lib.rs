//! The same functions as the nanoproc example plugins `echo.wasm` (`noop`, `echo`) and
//! `count_vowels.wasm` (`count_vowels`), written with the Extism PDK so the bench compares
//! like with like: same logic, same JSON, same build profile.

use extism_pdk::{FnResult, config, plugin_fn};
use serde::Serialize;

const DEFAULT_VOWELS: &str = "aeiouAEIOU";

#[derive(Serialize)]
struct Counted {
    count: usize,
    total: usize,
    vowels: String,
}

/// Ignores its input, returns empty output.
#[plugin_fn]
pub fn noop(_input: Vec<u8>) -> FnResult<Vec<u8>> {
    Ok(Vec::new())
}

/// Returns its input unchanged.
#[plugin_fn]
pub fn echo(input: Vec<u8>) -> FnResult<Vec<u8>> {
    Ok(input)
}

/// `{"count":N,"total":M,"vowels":"aeiouAEIOU"}`, like examples/plugins/rust/count_vowels.
#[plugin_fn]
pub fn count_vowels(input: Vec<u8>) -> FnResult<Vec<u8>> {
    let vowels = config::get("vowels")?.unwrap_or_else(|| DEFAULT_VOWELS.to_string());
    let count = String::from_utf8_lossy(&input)
        .chars()
        .filter(|c| vowels.contains(*c))
        .count();
    let counted = Counted {
        count,
        total: input.len(),
        vowels,
    };
    Ok(serde_json::to_vec(&counted)?)
}
