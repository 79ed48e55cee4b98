//! `count_vowels`: a plugin component (world `nanoproc:plugin/plugin`, `wit/plugin.wit` at the
//! repository root) in Rust, the typed twin of `examples/plugins/rust/count_vowels` and
//! `examples/plugins/rust/echo`.
//!
//! Functions (`handler.call(name, input)`):
//! - `count_vowels`: text → `{"count":N,"total":M,"vowels":"aeiouAEIOU"}`: N characters of the
//!   input in the vowel set (invalid UTF-8 counts as non-vowels), M input bytes; config key
//!   `vowels` replaces the vowel set.
//! - `echo`: returns its input.
//! - `fail`: fails with `failing on purpose`.
//! - `log`: logs its input (lossy UTF-8) at info level, returns empty output.
//! - `call_host`: returns `plugin got: ` + the output of host function `host::greet` called
//!   with the input; the host's error, if any, is this call's error.

wit_bindgen::generate!({
    path: "../../../../wit/plugin.wit",
    world: "nanoproc:plugin/plugin@0.1.0",
});

use exports::nanoproc::plugin::handler::Guest;
use nanoproc::plugin::host::{self, Level};

const DEFAULT_VOWELS: &str = "aeiouAEIOU";
const FUNCTIONS: [&str; 5] = ["count_vowels", "echo", "fail", "log", "call_host"];

struct Plugin;

impl Guest for Plugin {
    fn functions() -> Vec<String> {
        FUNCTIONS.iter().map(|f| f.to_string()).collect()
    }

    fn call(name: String, input: Vec<u8>) -> Result<Vec<u8>, String> {
        match name.as_str() {
            "count_vowels" => Ok(count_vowels(&input)),
            "echo" => Ok(input),
            "fail" => Err("failing on purpose".to_string()),
            "log" => {
                host::log(Level::Info, &String::from_utf8_lossy(&input));
                Ok(Vec::new())
            }
            "call_host" => {
                let greeting = host::call_host("host::greet", &input)?;
                let mut output = b"plugin got: ".to_vec();
                output.extend_from_slice(&greeting);
                Ok(output)
            }
            other => Err(format!(
                "no function `{other}` in this plugin (it has: {})",
                FUNCTIONS.join(", ")
            )),
        }
    }
}

fn count_vowels(input: &[u8]) -> Vec<u8> {
    let vowels = host::config_get("vowels").unwrap_or_else(|| DEFAULT_VOWELS.to_string());
    let count = String::from_utf8_lossy(input)
        .chars()
        .filter(|c| vowels.contains(*c))
        .count();
    let counted = serde_json::json!({
        "count": count,
        "total": input.len(),
        "vowels": vowels,
    });
    counted.to_string().into_bytes()
}

export!(Plugin);
