//! `count_vowels`: counts the vowels in its input.
//!
//! Input: text (UTF-8; invalid sequences count as non-vowels). Output: JSON
//! `{"count":N,"total":M,"vowels":"aeiouAEIOU"}`, where `count` is the number of characters of
//! the input found in the vowel set, `total` the input's length in bytes and `vowels` the vowel
//! set used: `aeiouAEIOU`, or the value of config key `vowels` when it is set.
//!
//! ```sh
//! nanoproc call count_vowels.wasm count_vowels --input 'Hello, World!'
//! # {"count":3,"total":13,"vowels":"aeiouAEIOU"}
//! nanoproc call count_vowels.wasm count_vowels --config vowels=lo --input 'Hello, World!'
//! # {"count":5,"total":13,"vowels":"lo"}
//! ```

use nanoproc_pdk::{Result, config};
use serde::Serialize;

const DEFAULT_VOWELS: &str = "aeiouAEIOU";

#[derive(Serialize)]
struct Counted {
    count: usize,
    total: usize,
    vowels: String,
}

fn count_vowels(input: Vec<u8>) -> Result<Vec<u8>> {
    let vowels = config::get("vowels").unwrap_or_else(|| DEFAULT_VOWELS.to_string());
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

nanoproc_pdk::export!(count_vowels);
