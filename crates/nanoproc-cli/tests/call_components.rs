//! `nanoproc call` on components: `nanoproc:plugin` components like core plugins (bytes in and
//! out), any other component function with JSON arguments and a JSON result.

mod support;

use std::process::Output;
use support::{assert_code, component, nanoproc, text};

/// Exactly one `nanoproc: KIND: …` line on stderr, containing every phrase.
#[track_caller]
fn assert_one_line(o: &Output, kind: &str, phrases: &[&str]) {
    let stderr = text(&o.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("nanoproc: "))
        .collect();
    assert_eq!(lines.len(), 1, "one line: {lines:?}");
    assert!(
        lines[0].starts_with(&format!("nanoproc: {kind}: ")),
        "{}",
        lines[0]
    );
    for p in phrases {
        assert!(lines[0].contains(p), "`{p}` missing from {}", lines[0]);
    }
}

#[test]
fn calls_a_component_function_with_json() {
    let o = nanoproc(&[
        "call",
        &component("types.wasm"),
        "nanoproc:examples/all-types#describe",
        "--args",
        r#"[{"name": "Ada", "age": 36, "nickname": "Countess", "scores": [], "home": {"x": 0, "y": 0}}]"#,
    ]);
    assert_code(&o, 0);
    assert_eq!(text(&o.stdout), "\"Ada \\\"Countess\\\" (36)\"\n");
    // Arguments by parameter name, a versioned interface name, a result.
    let o = nanoproc(&[
        "call",
        &component("types.wasm"),
        "nanoproc:examples/all-types@0.0.0#parse-u32",
        "--args",
        r#"{"s": "nope"}"#,
    ]);
    assert_code(&o, 0);
    assert_eq!(text(&o.stdout), "{\"err\":\"`nope` is not a u32\"}\n");
    // No result: null.
    let o = nanoproc(&[
        "call",
        &component("types.wasm"),
        "nanoproc:examples/all-types#nothing",
    ]);
    assert_code(&o, 0);
    assert_eq!(text(&o.stdout), "null\n");
}

#[test]
fn bad_component_calls_are_one_clear_line() {
    let file = component("types.wasm");
    let o = nanoproc(&[
        "call",
        &file,
        "nanoproc:examples/all-types#echo-u8",
        "--args",
        "[300]",
    ]);
    assert_code(&o, 125);
    assert_one_line(&o, "invalid input", &["$[0]", "out of range for u8"]);
    let o = nanoproc(&["call", &file, "echo-u8", "--args", "[3]"]);
    assert_code(&o, 125);
    assert_one_line(
        &o,
        "invalid input",
        &["did you mean `nanoproc:examples/all-types#echo-u8`"],
    );
    let o = nanoproc(&[
        "call",
        &file,
        "nanoproc:examples/all-types#echo-u8",
        "--args",
        "[3",
    ]);
    assert_code(&o, 125);
    assert_one_line(&o, "invalid input", &["--args", "not valid JSON"]);
    // Resources cannot be written as JSON.
    let o = nanoproc(&[
        "call",
        &file,
        "nanoproc:examples/all-types#[method]counter.get",
        "--args",
        "[1]",
    ]);
    assert_code(&o, 125);
    assert_one_line(&o, "invalid input", &["resource"]);
    // A plugin takes bytes, not JSON.
    let o = nanoproc(&[
        "call",
        &component("count_vowels.wasm"),
        "echo",
        "--args",
        "[]",
    ]);
    assert_code(&o, 125);
    assert_one_line(&o, "invalid input", &["is a plugin", "--input"]);
}

#[test]
fn plugin_components_are_called_like_core_plugins() {
    let file = component("count_vowels.wasm");
    let o = nanoproc(&["call", &file, "count_vowels", "-i", "Hello World"]);
    assert_code(&o, 0);
    assert_eq!(
        text(&o.stdout),
        r#"{"count":3,"total":11,"vowels":"aeiouAEIOU"}"#
    );
    let o = nanoproc(&[
        "call",
        &file,
        "count_vowels",
        "-i",
        "Hello World",
        "--config",
        "vowels=lo",
    ]);
    assert_code(&o, 0);
    assert!(
        text(&o.stdout).contains(r#""count":5"#),
        "{}",
        text(&o.stdout)
    );
    let o = nanoproc(&["call", &file, "fail"]);
    assert_code(&o, 1);
    assert_one_line(&o, "plugin error", &["failing on purpose"]);
    // The CLI registers no host functions; ungranted ones are denied first, naming the flag.
    let o = nanoproc(&["call", &file, "call_host", "-i", "x"]);
    assert_one_line(&o, "plugin error", &["--allow-host-fn host::greet"]);
}

#[test]
fn limits_apply_to_component_calls() {
    let big = "a".repeat(4 << 20);
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("big.txt");
    std::fs::write(&input, &big).expect("write input");
    let o = nanoproc(&[
        "call",
        &component("count_vowels.wasm"),
        "echo",
        "--input-file",
        input.to_str().expect("utf-8 path"),
        "--max-memory",
        "2MiB",
    ]);
    assert_one_line(&o, "memory limit", &["--max-memory"]);
    let o = nanoproc(&[
        "call",
        &component("types.wasm"),
        "nanoproc:examples/all-types#sum",
        "--args",
        &format!("[[{}]]", vec!["1"; 20_000].join(",")),
        "--fuel",
        "1000",
    ]);
    assert_one_line(&o, "fuel limit", &["--fuel"]);
}

#[test]
fn a_component_with_an_import_the_host_lacks_is_refused() {
    let o = nanoproc(&["call", &component("missiles.wasm"), "run"]);
    assert_code(&o, 125);
    assert_one_line(&o, "denied", &["acme:missiles/launch"]);
}
