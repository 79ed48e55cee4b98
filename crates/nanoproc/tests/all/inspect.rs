//! `inspect`: a component's WIT world (text with every type definition, structured imports
//! and exports, the names `nanoproc call` takes), core modules unchanged, and WIT decoding
//! failures reported in one line without losing the rest of the report.

use nanoproc::inspect::wit::{self, WitItemKind, WitWorld};
use nanoproc::inspect::{Report, inspect};
use nanoproc::loader::ModuleKind;
use std::path::PathBuf;
use std::process::Command;

fn component(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/components/bin")
        .join(name)
}

fn inspect_file(path: &std::path::Path) -> Report {
    let bytes = std::fs::read(path).expect("read the example");
    inspect(&bytes, &path.display().to_string()).expect("inspects")
}

fn world(r: &Report) -> &WitWorld {
    assert_eq!(r.wit_error, None);
    r.wit.as_ref().expect("a component has a WIT world")
}

#[track_caller]
fn assert_has(text: &str, needle: &str) {
    assert!(text.contains(needle), "`{needle}` missing from:\n{text}");
}

#[test]
fn types_component_prints_its_world_with_every_type_definition() {
    let r = inspect_file(&component("types.wasm"));
    assert_eq!(r.kind, ModuleKind::Component);
    let w = world(&r);
    let t = &w.text;
    assert_has(t, "world root {");
    assert_has(t, "export nanoproc:examples/all-types;");
    assert_has(t, "package nanoproc:examples {");
    assert_has(t, "interface all-types {");
    // A record with its fields, a flags type with its members, a variant, an enum and a
    // resource with its constructor and methods, as WIT writes them.
    assert_has(t, "record person {\n");
    for field in [
        "name: string,",
        "age: u8,",
        "nickname: option<string>,",
        "scores: list<u32>,",
        "home: point,",
    ] {
        assert_has(t, field);
    }
    assert_has(t, "flags permissions {\n");
    for flag in ["read,", "write,", "execute,"] {
        assert_has(t, flag);
    }
    assert_has(t, "variant shape {\n");
    assert_has(t, "circle(f64),");
    assert_has(t, "rectangle(point),");
    assert_has(t, "enum color {\n");
    assert_has(t, "resource counter {\n");
    assert_has(t, "constructor(start: u64);");
    assert_has(t, "increment: func(by: u64) -> u64;");
    assert_has(
        t,
        "echo-many: func(a: u8, b: string, c: list<bool>) -> tuple<u8, string, list<bool>>;",
    );
    assert_has(t, "parse-u32: func(s: string) -> result<u32, string>;");
    // The text is valid WIT: it parses back, as a `.wit` file would.
    let mut resolve = wit_parser::Resolve::default();
    resolve
        .push_str("types.wit", t)
        .expect("the printed world parses as WIT");
    // The WASI interfaces the Rust runtime imports come with their own types.
    assert_has(t, "package wasi:cli@0.2.");
    assert_has(t, "package wasi:io@0.2.");
    assert_has(t, "resource output-stream {");
    assert_has(t, "variant stream-error {\n");
    // One blank line between packages, never two.
    assert_has(t, "}\n\npackage wasi:io@0.2.");
    assert!(!t.contains("\n\n\n"), "{t}");

    let export = w
        .exports
        .iter()
        .find(|e| e.name == "nanoproc:examples/all-types")
        .expect("all-types is exported");
    assert_eq!(export.kind, WitItemKind::Interface);
    let f = |name: &str| {
        export
            .functions
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("{name} in {:?}", export.functions))
    };
    assert_eq!(f("echo-bool").signature, "func(x: bool) -> bool");
    assert_eq!(
        f("echo-bool").call.as_deref(),
        Some("nanoproc:examples/all-types#echo-bool")
    );
    assert_eq!(f("echo-person").signature, "func(x: person) -> person");
    assert_eq!(f("nothing").signature, "func()");
    // Resource functions are listed with their signatures but cannot be called by name.
    assert_eq!(
        f("[constructor]counter").signature,
        "constructor(start: u64)"
    );
    assert_eq!(
        f("[method]counter.increment").signature,
        "func(by: u64) -> u64"
    );
    assert_eq!(f("[method]counter.increment").call, None);
    // 25 one-argument echoes + `echo-many` + 11 that compute; not the resource's three.
    let callable = w.callable();
    assert_eq!(callable.len(), 37, "{callable:?}");
    assert!(
        callable
            .iter()
            .all(|(n, _)| n.starts_with("nanoproc:examples/all-types#"))
    );

    // Imports are listed with their functions but nothing to call.
    assert!(
        w.imports
            .iter()
            .all(|i| i.functions.iter().all(|f| f.call.is_none()))
    );
    assert!(
        w.imports
            .iter()
            .any(|i| i.name.starts_with("wasi:cli/environment@0.2."))
    );

    // The text report: the summary first, then the callable functions, then the world.
    let text = r.render("types.wasm");
    let summary = text.find("  needs:").expect("needs");
    let calls = text
        .find("  callable functions (37; ")
        .expect("callable section");
    let wit = text.find("  wit world:").expect("wit section");
    assert!(summary < calls && calls < wit, "{text}");
    // One line per function: the name to call, padded, then its signature.
    assert!(
        text.lines().any(
            |l| l.starts_with("    nanoproc:examples/all-types#echo-bool ")
                && l.ends_with("  func(x: bool) -> bool")
        ),
        "{text}"
    );
    let long =
        "    nanoproc:examples/all-types#echo-nested-option  func(x: option<option<string>>)";
    assert_has(&text, long);
    assert_has(&text, "\n        record point {\n");
}

#[test]
fn plugin_component_names_its_versioned_interfaces() {
    let r = inspect_file(&component("count_vowels.wasm"));
    let w = world(&r);
    assert_has(&w.text, "import nanoproc:plugin/host@0.1.0;");
    assert_has(&w.text, "export nanoproc:plugin/handler@0.1.0;");
    assert_has(&w.text, "package nanoproc:plugin@0.1.0 {");
    assert_has(&w.text, "enum level {");
    assert_has(&w.text, "log: func(level: level, message: string);");

    let host = w
        .imports
        .iter()
        .find(|i| i.name == "nanoproc:plugin/host@0.1.0")
        .expect("host is imported");
    let names: Vec<_> = host.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["log", "config-get", "call-host"]);
    assert_eq!(
        host.functions[1].signature,
        "func(key: string) -> option<string>"
    );
    assert_eq!(
        w.callable(),
        [
            (
                "nanoproc:plugin/handler@0.1.0#functions",
                "func() -> list<string>"
            ),
            (
                "nanoproc:plugin/handler@0.1.0#call",
                "func(name: string, input: list<u8>) -> result<list<u8>, string>"
            ),
        ]
    );
}

#[test]
fn world_level_function_exports_are_called_by_their_plain_name() {
    let wat = r#"(component
        (core module $m (func (export "f") (param i32) (result i32) local.get 0))
        (core instance $i (instantiate $m))
        (func (export "same") (param "x" u32) (result u32) (canon lift (core func $i "f")))
    )"#;
    let r = inspect(wat.as_bytes(), "inline.wat").expect("inspects");
    let w = world(&r);
    assert_eq!(w.exports.len(), 1);
    assert_eq!(w.exports[0].kind, WitItemKind::Function);
    assert_eq!(w.callable(), [("same", "func(x: u32) -> u32")]);
    assert_has(&w.text, "export same: func(x: u32) -> u32;");
}

#[test]
fn a_core_module_has_no_wit_world_and_reports_as_before() {
    let r = inspect_file(&crate::guest("cat.wasm"));
    assert_eq!(r.kind, ModuleKind::CoreModule);
    assert_eq!(r.wit, None);
    assert_eq!(r.wit_error, None);
    let text = r.render("cat.wasm");
    assert!(!text.contains("wit"), "{text}");
    assert!(!text.contains("callable"), "{text}");
    assert!(text.ends_with("--env NAME[=VALUE] for each environment variable it should see\n"));
}

#[test]
fn an_undecodable_world_is_one_line_and_the_rest_is_still_reported() {
    // A valid component the WIT decoder cannot express: it exports a core module.
    let wat = r#"(component
        (import "wasi:random/random@0.2.0" (instance))
        (core module $m)
        (export "m" (core module $m))
    )"#;
    let r = inspect(wat.as_bytes(), "odd.wat").expect("still inspects");
    assert_eq!(r.wit, None);
    let e = r.wit_error.as_deref().expect("a decoding error");
    assert!(e.starts_with("cannot decode the WIT world: "), "{e}");
    assert!(!e.contains('\n'), "{e}");
    assert_eq!(r.exports, ["m"]);
    assert!(
        r.imports
            .contains_key(&nanoproc::inspect::Capability::Random)
    );
    let text = r.render("odd.wat");
    assert_has(&text, &format!("\n  wit:     {e}\n"));
    assert_has(&text, "  needs:");

    // Garbage is refused by validation before decoding; the decoder alone says why in one line.
    assert!(inspect(b"\0asm\x0d\0\x01\0garbage", "bad.wasm").is_err());
    let e = wit::decode(b"\0asm\x0d\0\x01\0garbage").expect_err("garbage");
    assert!(e.starts_with("cannot decode the WIT world: "), "{e}");
    assert!(!e.contains('\n'), "{e}");
}

/// The Python and JavaScript components (12-18 MB each) from `build.sh --large`.
#[test]
#[ignore = "builds the Python and JavaScript components unless cached (minutes); run by .ci/run with --include-ignored"]
fn large_components_decode() {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/components/build.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("--large")
        .output()
        .expect("run build.sh --large");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut seen = 0;
    for line in list.lines() {
        let (name, path) = line.split_once(' ').expect("NAME PATH");
        let r = inspect_file(std::path::Path::new(path));
        let w = world(&r);
        let expected = if name.starts_with("types") {
            "nanoproc:examples/all-types#echo-person"
        } else {
            "nanoproc:plugin/handler@0.1.0#call"
        };
        assert!(
            w.callable().iter().any(|(n, _)| *n == expected),
            "{name}: {:?}",
            w.callable()
        );
        seen += 1;
    }
    assert_eq!(seen, 4, "{list}");
}

/// Every name `inspect` lists is one `Component::call` (what `nanoproc call` runs) accepts,
/// and it lists all of the component's exported functions except resource constructors and
/// methods.
#[test]
fn callable_names_are_the_ones_component_call_takes() {
    let world_level = r#"(component
        (core module $m (func (export "f") (param i32) (result i32) local.get 0))
        (core instance $i (instantiate $m))
        (func (export "same") (param "x" u32) (result u32) (canon lift (core func $i "f")))
    )"#;
    let types = std::fs::read(component("types.wasm")).expect("read types.wasm");
    for (name, bytes) in [
        ("types.wasm", types),
        ("inline.wat", world_level.as_bytes().to_vec()),
    ] {
        let listed: Vec<String> = world(&inspect(&bytes, name).expect("inspects"))
            .callable()
            .into_iter()
            .map(|(n, _)| n.to_string())
            .collect();
        let c = nanoproc::component::Component::builder(crate::engine())
            .wasm_bytes(bytes)
            .name(name)
            .policy(nanoproc::Policy::default())
            .build()
            .expect("component loads");
        for n in &listed {
            c.function(n).expect("a listed name is callable");
        }
        let mut sorted = listed.clone();
        sorted.sort();
        let mut all: Vec<String> = c
            .functions()
            .iter()
            .map(|f| f.name().to_string())
            .filter(|n| !n.contains("#["))
            .collect();
        all.sort();
        assert_eq!(sorted, all, "{name}");
    }
    let c = nanoproc::component::Component::builder(crate::engine())
        .wasm_bytes(world_level.as_bytes())
        .policy(nanoproc::Policy::default())
        .build()
        .expect("component loads");
    assert_eq!(
        c.call_json("same", &serde_json::json!([7])).expect("calls"),
        serde_json::json!(7)
    );
}
