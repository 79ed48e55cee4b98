//! Drives the built `nanoproc` binary: `inspect` on components shows the functions
//! `nanoproc call` can run and the WIT world (text, `--wit`, `--json`); core modules and
//! undecodable worlds say so in one line.

mod support;

use std::path::Path;
use std::process::Output;
use support::{assert_code, component, example, nanoproc, text};

/// Exit code `code`; stdout.
#[track_caller]
fn ok_stdout(o: &Output, code: i32) -> String {
    assert_code(o, code);
    text(&o.stdout)
}

/// Exit 125 with exactly one stderr line, `nanoproc: <kind>: ...`, naming every `needle`.
#[track_caller]
fn assert_one_line(o: &Output, kind: &str, needles: &[&str]) {
    assert_eq!(o.status.code(), Some(125), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    let lines: Vec<_> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with(&format!("nanoproc: {kind}: ")),
        "{err}"
    );
    for n in needles {
        assert!(lines[0].contains(n), "`{n}` missing: {err}");
    }
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&ok_stdout(o, 0)).expect("json")
}

/// A valid component whose world WIT cannot express (it exports a core module).
fn undecodable(dir: &Path) -> String {
    let p = dir.join("odd.wat");
    std::fs::write(
        &p,
        r#"(component
            (import "wasi:random/random@0.2.0" (instance))
            (core module $m)
            (export "m" (core module $m))
        )"#,
    )
    .expect("write");
    p.display().to_string()
}

#[test]
fn a_component_report_lists_callable_functions_then_its_world() {
    let out = ok_stdout(&nanoproc(&["inspect", &component("types.wasm")]), 0);
    let at = |needle: &str| {
        out.find(needle)
            .unwrap_or_else(|| panic!("`{needle}` missing from:\n{out}"))
    };
    let order = [
        at("  kind:    component\n"),
        at("  needs:"),
        at("  callable functions (37; run one with `nanoproc call FILE NAME --args JSON`):\n"),
        at("  wit world:\n    package root:component;\n"),
        at("\n      export nanoproc:examples/all-types;\n"),
        at("\n    package nanoproc:examples {\n"),
        at("\n        record point {\n          x: s32,\n          y: s32,\n        }\n"),
        at(
            "\n        flags permissions {\n          read,\n          write,\n          execute,\n        }\n",
        ),
    ];
    assert!(order.is_sorted(), "{order:?}\n{out}");
    assert!(
        out.lines().any(
            |l| l.starts_with("    nanoproc:examples/all-types#describe ")
                && l.ends_with("  func(p: person) -> string")
        ),
        "{out}"
    );
}

#[test]
fn wit_prints_only_the_world_and_matches_the_json() {
    let file = component("count_vowels.wasm");
    let wit = ok_stdout(&nanoproc(&["inspect", "--wit", &file]), 0);
    assert!(
        wit.starts_with("package root:component;\n\nworld root {\n"),
        "{wit}"
    );
    assert!(
        wit.contains("  import nanoproc:plugin/host@0.1.0;\n"),
        "{wit}"
    );
    assert!(
        wit.contains("  export nanoproc:plugin/handler@0.1.0;\n"),
        "{wit}"
    );
    assert!(
        wit.contains(
            "    call: func(name: string, input: list<u8>) -> result<list<u8>, string>;\n"
        ),
        "{wit}"
    );
    assert!(!wit.contains("kind:") && !wit.contains("callable"), "{wit}");

    let v = json(&nanoproc(&["inspect", "--json", &file]));
    assert_eq!(v["wit"]["text"].as_str(), Some(wit.as_str()));
    assert_eq!(v["wit_error"], serde_json::Value::Null);
    let handler = &v["wit"]["exports"][0];
    assert_eq!(handler["name"], "nanoproc:plugin/handler@0.1.0");
    assert_eq!(handler["kind"], "interface");
    assert_eq!(handler["functions"][1]["name"], "call");
    assert_eq!(
        handler["functions"][1]["call"],
        "nanoproc:plugin/handler@0.1.0#call"
    );
    assert_eq!(
        handler["functions"][1]["signature"],
        "func(name: string, input: list<u8>) -> result<list<u8>, string>"
    );
    let host = v["wit"]["imports"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["name"] == "nanoproc:plugin/host@0.1.0"))
        .expect("host import");
    assert_eq!(host["functions"][0]["call"], serde_json::Value::Null);
}

#[test]
fn a_core_module_has_no_world() {
    let cat = example("guests", "cat.wasm");
    let out = ok_stdout(&nanoproc(&["inspect", &cat]), 0);
    assert!(out.contains("kind:    core module"), "{out}");
    assert!(!out.contains("wit") && !out.contains("callable"), "{out}");
    let v = json(&nanoproc(&["inspect", "--json", &cat]));
    assert_eq!(v["wit"], serde_json::Value::Null);
    assert_eq!(v["wit_error"], serde_json::Value::Null);
    let o = nanoproc(&["inspect", "--wit", &cat]);
    assert_eq!(text(&o.stdout), "");
    assert_one_line(&o, "invalid module", &["cat.wasm", "core module", "--wit"]);
}

#[test]
fn an_undecodable_world_is_one_line_and_the_rest_is_still_printed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let odd = undecodable(dir.path());
    let out = ok_stdout(&nanoproc(&["inspect", &odd]), 0);
    assert!(out.contains("  exports: m\n"), "{out}");
    assert!(out.contains("      wasi:random/random@0.2.0\n"), "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("  wit:     cannot decode the WIT world: "))
        .unwrap_or_else(|| panic!("no wit line:\n{out}"));
    assert!(line.contains("`m`"), "{line}");
    assert!(!out.contains("wit world:"), "{out}");

    let v = json(&nanoproc(&["inspect", "--json", &odd]));
    assert_eq!(v["wit"], serde_json::Value::Null);
    assert!(
        v["wit_error"]
            .as_str()
            .is_some_and(|e| e.starts_with("cannot decode the WIT world: ")),
        "{v}"
    );

    let o = nanoproc(&["inspect", "--wit", &odd]);
    assert_eq!(text(&o.stdout), "");
    assert_one_line(
        &o,
        "invalid module",
        &["odd.wat", "cannot decode the WIT world"],
    );
}

#[test]
fn wit_and_json_cannot_be_combined() {
    let o = nanoproc(&["inspect", "--wit", "--json", &component("types.wasm")]);
    assert_eq!(text(&o.stdout), "");
    assert_one_line(&o, "invalid input", &["--wit", "--json"]);
}
