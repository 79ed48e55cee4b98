//! Every WIT type round-trips; every error names its path and what was expected.
//! Types come from `component/all_types.wat` (one import per type).

use super::*;
use serde_json::json;
use std::collections::HashMap;
use std::sync::LazyLock;
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

struct Fixture {
    types: HashMap<String, Type>,
    args: Vec<(String, Type)>,
    engine: wasmtime::Engine,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let mut config = wasmtime::Config::new();
    config
        .wasm_component_model(true)
        .wasm_component_model_map(true)
        .wasm_component_model_fixed_length_lists(true);
    let engine = wasmtime::Engine::new(&config).expect("engine");
    let component =
        Component::new(&engine, include_str!("../all_types.wat")).expect("fixture compiles");
    let cty = component.component_type();
    let mut types = HashMap::new();
    let mut args = Vec::new();
    for (name, ext) in cty.imports(&engine) {
        let ComponentItem::ComponentFunc(f) = ext.ty else {
            continue;
        };
        if name == "t-args" {
            args = f.params().map(|(n, t)| (n.to_string(), t)).collect();
        } else if let Some(short) = name.strip_prefix("t-") {
            let (_, t) = f.params().next().expect("one parameter");
            types.insert(short.to_string(), t);
        }
    }
    Fixture {
        types,
        args,
        engine,
    }
});

fn ty(name: &str) -> &'static Type {
    FIXTURE
        .types
        .get(name)
        .unwrap_or_else(|| panic!("no type `{name}` in all_types.wat"))
}

/// `input` converts to `expected`, which converts back to `canonical`, which converts to
/// `expected` again — directly and through JSON text.
#[track_caller]
fn converts(name: &str, input: Value, expected: Val, canonical: Value) {
    let t = ty(name);
    let v = to_val(t, &input).unwrap_or_else(|e| panic!("{name}: {input} does not convert: {e}"));
    assert_eq!(v, expected, "{name}: {input}");
    let back = from_val(&v).expect("converts back");
    assert_eq!(back, canonical, "{name}: {input}");
    assert_eq!(to_val(t, &back).expect("canonical converts"), expected);
    let text = serde_json::to_string(&back).expect("serialises");
    let reparsed: Value = serde_json::from_str(&text).expect("parses");
    assert_eq!(
        to_val(t, &reparsed).expect("reparsed converts"),
        expected,
        "{text}"
    );
}

/// `json` is already canonical: it converts to `expected` and back to itself.
#[track_caller]
fn round_trip(name: &str, json: Value, expected: Val) {
    converts(name, json.clone(), expected, json);
}

#[track_caller]
fn fails(name: &str, json: Value, path: &str, needle: &str) {
    check_error(to_val(ty(name), &json), path, needle);
}

#[track_caller]
fn check_error<T: std::fmt::Debug>(r: Result<T>, path: &str, needle: &str) {
    match r {
        Err(e @ Error::InvalidInput { .. }) => {
            let Error::InvalidInput {
                path: p,
                message: m,
            } = &e
            else {
                unreachable!()
            };
            assert_eq!(p, path, "{m}");
            assert!(m.contains(needle), "{m:?} does not contain {needle:?}");
            assert_eq!(e.exit_code(), 125);
            assert_eq!(e.kind_name(), "invalid input");
            assert_eq!(e.to_string(), format!("invalid input: {p}: {m}"));
        }
        other => panic!("expected InvalidInput at {path}, got {other:?}"),
    }
}

fn some(v: Val) -> Val {
    Val::Option(Some(Box::new(v)))
}

fn rec(fields: &[(&str, Val)]) -> Val {
    Val::Record(
        fields
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect(),
    )
}

fn point(x: i32, y: i32) -> Val {
    rec(&[("x", Val::S32(x)), ("y", Val::S32(y))])
}

#[test]
fn booleans() {
    round_trip("bool", json!(true), Val::Bool(true));
    round_trip("bool", json!(false), Val::Bool(false));
    fails(
        "bool",
        json!(1),
        "$",
        "expected a boolean (true or false), got 1",
    );
    fails("bool", json!("true"), "$", "got the string \"true\"");
}

#[test]
fn integers_at_their_limits() {
    round_trip("s8", json!(-128), Val::S8(-128));
    round_trip("s8", json!(127), Val::S8(127));
    round_trip("u8", json!(0), Val::U8(0));
    round_trip("u8", json!(255), Val::U8(255));
    round_trip("s16", json!(-32768), Val::S16(i16::MIN));
    round_trip("u16", json!(65535), Val::U16(u16::MAX));
    round_trip("s32", json!(i32::MIN), Val::S32(i32::MIN));
    round_trip("u32", json!(u32::MAX), Val::U32(u32::MAX));
    round_trip("s64", json!(i64::MIN), Val::S64(i64::MIN));
    round_trip("s64", json!(i64::MAX), Val::S64(i64::MAX));
    round_trip("u64", json!(u64::MAX), Val::U64(u64::MAX));
}

#[test]
fn integers_are_range_checked_not_truncated() {
    fails(
        "u8",
        json!(256),
        "$",
        "256 is out of range for u8 (0 to 255)",
    );
    fails("u8", json!(-1), "$", "-1 is out of range for u8 (0 to 255)");
    fails("s8", json!(-129), "$", "out of range for s8 (-128 to 127)");
    fails("s16", json!(40000), "$", "out of range for s16");
    fails("u16", json!(70000), "$", "out of range for u16");
    fails("s32", json!(1u64 << 31), "$", "out of range for s32");
    fails("u32", json!(1u64 << 32), "$", "out of range for u32");
    fails("s64", json!(u64::MAX), "$", "out of range for s64");
    fails("u64", json!(-1), "$", "out of range for u64");
    // Beyond 64 bits serde_json reads a float; still out of range, not wrapped.
    let huge: Value = serde_json::from_str("18446744073709551616").expect("parses");
    fails("u64", huge, "$", "is out of range for u64");
    fails(
        "u32",
        json!(1.5),
        "$",
        "expected an integer from 0 to 4294967295 (u32), got 1.5",
    );
    fails(
        "u32",
        json!(2.0),
        "$",
        "write integers without a fraction or exponent",
    );
    let exp: Value = serde_json::from_str("1e3").expect("parses");
    fails("u32", exp, "$", "without a fraction or exponent");
    fails("s32", json!("5"), "$", "expected an integer");
    fails("s64", json!(null), "$", "got null");
}

#[test]
fn floats_including_nan_and_infinities() {
    round_trip("f64", json!(0.1), Val::Float64(0.1));
    round_trip("f64", json!(-1.5e300), Val::Float64(-1.5e300));
    round_trip("f64", json!(5e-324), Val::Float64(5e-324));
    round_trip("f64", json!("NaN"), Val::Float64(f64::NAN));
    round_trip("f64", json!("Infinity"), Val::Float64(f64::INFINITY));
    round_trip("f64", json!("-Infinity"), Val::Float64(f64::NEG_INFINITY));
    // Integers are numbers too; they come back as floats.
    converts("f64", json!(3), Val::Float64(3.0), json!(3.0));
    // f32 values come back as their shortest decimal, not the f64 widening.
    round_trip("f32", json!(0.1), Val::Float32(0.1));
    round_trip("f32", json!(3.4028235e38), Val::Float32(f32::MAX));
    round_trip("f32", json!(1e-45), Val::Float32(f32::from_bits(1)));
    round_trip("f32", json!("NaN"), Val::Float32(f32::NAN));
    round_trip("f32", json!("-Infinity"), Val::Float32(f32::NEG_INFINITY));
    converts("f32", json!(0.1f64), Val::Float32(0.1), json!(0.1));
    // Negative zero keeps its sign both ways (Val's equality compares zeros bitwise).
    round_trip("f64", json!(-0.0), Val::Float64(-0.0));
    round_trip("f32", json!(-0.0), Val::Float32(-0.0));
    let back = from_val(&Val::Float32(-0.0)).expect("converts");
    assert!(
        back.as_f64()
            .is_some_and(|z| z == 0.0 && z.is_sign_negative())
    );
    assert_eq!(
        from_val(&Val::Float32(16_777_217.0)).expect("converts"),
        json!(16777216.0)
    );
}

#[test]
fn float_errors() {
    fails(
        "f32",
        json!(1e39),
        "$",
        "is out of range for f32 (largest magnitude 3.4028235e38)",
    );
    fails("f32", json!(-1e39), "$", "out of range for f32");
    fails(
        "f64",
        json!("nan"),
        "$",
        "the only strings a float accepts are those three",
    );
    fails("f64", json!("1.5"), "$", "got the string \"1.5\"");
    fails(
        "f64",
        json!(true),
        "$",
        "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\" (f64), got true",
    );
    fails("f32", json!([1.0]), "$", "got an array of 1 element");
}

#[test]
fn chars_and_strings() {
    round_trip("char", json!("a"), Val::Char('a'));
    round_trip("char", json!("é"), Val::Char('é'));
    round_trip("char", json!("😀"), Val::Char('😀'));
    fails(
        "char",
        json!("ab"),
        "$",
        "exactly one Unicode character (char), got 2 characters",
    );
    fails("char", json!(""), "$", "got 0 characters");
    fails(
        "char",
        json!(97),
        "$",
        "expected a string of exactly one Unicode character",
    );
    round_trip("string", json!(""), Val::String(String::new()));
    round_trip(
        "string",
        json!("tab\t\"quotes\" ünïcødé \u{0}"),
        Val::String("tab\t\"quotes\" ünïcødé \u{0}".into()),
    );
    fails("string", json!(5), "$", "expected a string, got 5");
    fails(
        "string",
        json!({"a": 1}),
        "$",
        "got an object with the key `a`",
    );
}

#[test]
fn lists_and_fixed_length_lists() {
    round_trip("list", json!([]), Val::List(vec![]));
    round_trip(
        "list",
        json!([1, 2, 3]),
        Val::List(vec![Val::U32(1), Val::U32(2), Val::U32(3)]),
    );
    round_trip(
        "bytes",
        json!([0, 255]),
        Val::List(vec![Val::U8(0), Val::U8(255)]),
    );
    fails(
        "list",
        json!({}),
        "$",
        "expected an array (list<u32>), got an empty object",
    );
    fails("list", json!([1, "x"]), "$[1]", "expected an integer");
    fails(
        "bytes",
        json!([0, 256]),
        "$[1]",
        "256 is out of range for u8",
    );
    fails("bytes", json!("AAEC"), "$", "expected an array (list<u8>)");
    round_trip(
        "fixed",
        json!([1, 2, 3]),
        Val::FixedLengthList(vec![Val::U8(1), Val::U8(2), Val::U8(3)]),
    );
    fails(
        "fixed",
        json!([1, 2]),
        "$",
        "expected an array of exactly 3 elements (list<u8, 3>), got 2 elements",
    );
    fails("fixed", json!([1, 2, 3, 4]), "$", "got 4 elements");
    fails("fixed", json!([1, 2, -3]), "$[2]", "out of range for u8");
}

#[test]
fn maps_are_arrays_of_pairs() {
    round_trip("map", json!([]), Val::Map(vec![]));
    round_trip(
        "map",
        json!([["a", 1], ["b", 2], ["a", 3]]),
        Val::Map(vec![
            (Val::String("a".into()), Val::U32(1)),
            (Val::String("b".into()), Val::U32(2)),
            (Val::String("a".into()), Val::U32(3)),
        ]),
    );
    round_trip(
        "map-int",
        json!([[7, ["x"]]]),
        Val::Map(vec![(
            Val::U32(7),
            Val::List(vec![Val::String("x".into())]),
        )]),
    );
    fails(
        "map",
        json!({"a": 1}),
        "$",
        "expected an array of [key, value] pairs (map<string, u32>)",
    );
    fails(
        "map",
        json!([["a"]]),
        "$[0]",
        "a [key, value] pair (an array of 2 elements), got an array of 1 element",
    );
    fails("map", json!(["a", 1]), "$[0]", "a [key, value] pair");
    fails("map", json!([["a", -1]]), "$[0][1]", "out of range for u32");
    fails(
        "map",
        json!([[1, 1]]),
        "$[0][0]",
        "expected a string, got 1",
    );
    fails(
        "map-int",
        json!([[1, [2]]]),
        "$[0][1][0]",
        "expected a string",
    );
}

#[test]
fn records_by_field_name_in_declaration_order() {
    round_trip("point", json!({"x": 1, "y": -2}), point(1, -2));
    // Key order in the object does not matter; the value has the WIT order.
    let v = to_val(ty("point"), &json!({"y": 5, "x": 4})).expect("converts");
    assert_eq!(v, point(4, 5));
    let person = json!({
        "name": "Ada", "age": 36, "home": {"x": 0, "y": 1},
        "nick": null, "tags": ["math", "engines"]
    });
    round_trip(
        "person",
        person,
        rec(&[
            ("name", Val::String("Ada".into())),
            ("age", Val::U8(36)),
            ("home", point(0, 1)),
            ("nick", Val::Option(None)),
            (
                "tags",
                Val::List(vec![
                    Val::String("math".into()),
                    Val::String("engines".into()),
                ]),
            ),
        ]),
    );
}

#[test]
fn record_errors_name_the_field() {
    fails(
        "point",
        json!([1, 2]),
        "$",
        "expected an object with the fields \"x\", \"y\"",
    );
    fails("point", json!({"x": 1}), "$", "missing field `y` (s32)");
    fails(
        "point",
        json!({"x": 1, "y": 2, "z": 3}),
        "$",
        "unknown field `z`; this record's fields are \"x\", \"y\"",
    );
    let typo = json!({"nmae": "A", "age": 1, "home": {"x": 0, "y": 0}, "nick": null, "tags": []});
    fails(
        "person",
        typo,
        "$",
        "unknown field `nmae`; did you mean `name`?",
    );
    let bad_home =
        json!({"name": "A", "age": 1, "home": {"x": "0", "y": 0}, "nick": null, "tags": []});
    fails("person", bad_home, "$.home.x", "expected an integer");
    // An option field may be null, but it may not be left out.
    let no_nick = json!({"name": "A", "age": 1, "home": {"x": 0, "y": 0}, "tags": []});
    fails(
        "person",
        no_nick,
        "$",
        "missing field `nick` (option<string>)",
    );
    let bad_tag = json!({"name": "A", "age": 1, "home": {"x": 0, "y": 0}, "nick": null, "tags": ["a", false]});
    fails(
        "person",
        bad_tag,
        "$.tags[1]",
        "expected a string, got false",
    );
    let long = "k".repeat(100);
    let mut obj = JsonMap::new();
    obj.insert(long, json!(1));
    let err = to_val(ty("point"), &Value::Object(obj)).expect_err("unknown field");
    assert!(err.to_string().len() < 200, "long keys are cut: {err}");
}

/// Regression (fuzz/regressions/component_json/multiline-case-name): a name with a newline
/// made a two-line message. Names and strings from the input are escaped wherever a message
/// quotes them, so nothing in them can break the line, drive a terminal or hide.
#[test]
fn messages_stay_on_one_line_whatever_the_input_holds() {
    let nasty = "a\nnanoproc: ok\r\u{1b}[2J\u{7}\u{2028}\u{202e}\u{200b}\t\"'\\";
    let results = [
        to_val(ty("result-ok"), &json!(nasty)),
        to_val(ty("result-ok"), &json!({ nasty: 1 })),
        to_val(ty("shape"), &json!(nasty)),
        to_val(ty("color"), &json!(nasty)),
        to_val(ty("perms"), &json!([nasty])),
        to_val(ty("perms"), &json!(["read", "read"])),
        to_val(ty("point"), &json!({"x": 1, "y": 2, nasty: 3})),
        to_val(ty("char"), &json!(nasty)),
        to_val(ty("f64"), &json!(nasty)),
        to_val(ty("u8"), &json!({ nasty: nasty })),
        args_to_vals(
            FIXTURE.args.iter().map(|(n, t)| (n.as_str(), t.clone())),
            &json!({ nasty: 1 }),
            "$",
        )
        .map(|_| Val::Bool(true)),
    ];
    for r in results {
        let e = r.expect_err("invalid");
        let line = e.to_string();
        assert!(
            !line.chars().any(|c| c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202e}' | '\u{200b}')),
            "{line:?}"
        );
    }
    // The escapes show what was there; apostrophes and (outside strings) quotes stay as they are.
    let e = to_val(ty("color"), &json!("it's\n")).expect_err("unknown case");
    assert!(e.to_string().contains(r#"the string "it's\n""#), "{e}");
    let e = to_val(
        ty("point"),
        &json!({"x": 1, "y": 2, "say \"hi\"\u{202e}": 3}),
    )
    .expect_err("unknown field");
    assert!(
        e.to_string()
            .contains(r#"unknown field `say "hi"\u{202e}`"#),
        "{e}"
    );
    let e = to_val(ty("string"), &json!({"a\"b": 1})).expect_err("not a string");
    assert!(e.to_string().contains(r#"the key `a"b`"#), "{e}");
    let e = to_val(ty("char"), &json!("\"\"")).expect_err("two chars");
    assert!(e.to_string().contains(r#"the string "\"\"""#), "{e}");
}

#[test]
fn tuples_are_arrays() {
    round_trip(
        "tuple",
        json!([1, "a", true]),
        Val::Tuple(vec![Val::U8(1), Val::String("a".into()), Val::Bool(true)]),
    );
    fails(
        "tuple",
        json!([1, "a"]),
        "$",
        "expected an array of 3 elements (tuple<u8, string, bool>), got 2 elements",
    );
    fails("tuple", json!([1, 2, true]), "$[1]", "expected a string");
    fails(
        "tuple",
        json!({"0": 1}),
        "$",
        "expected an array of 3 elements",
    );
}

#[test]
fn variants_and_enums() {
    round_trip(
        "shape",
        json!({"circle": 1.5}),
        Val::Variant("circle".into(), Some(Box::new(Val::Float64(1.5)))),
    );
    round_trip(
        "shape",
        json!({"rect": {"x": 1, "y": 2}}),
        Val::Variant("rect".into(), Some(Box::new(point(1, 2)))),
    );
    round_trip("shape", json!("empty"), Val::Variant("empty".into(), None));
    round_trip("color", json!("green"), Val::Enum("green".into()));
}

#[test]
fn variant_and_enum_errors() {
    fails(
        "shape",
        json!("square"),
        "$",
        "unknown case `square` of this variant; expected one of {\"circle\": f64}, {\"rect\": record}, \"empty\"",
    );
    fails("shape", json!("circel"), "$", "did you mean `circle`?");
    fails(
        "shape",
        json!("circle"),
        "$",
        "case `circle` carries a f64; write it as {\"circle\": …}",
    );
    fails(
        "shape",
        json!({"empty": null}),
        "$",
        "case `empty` has no payload; write it as the string \"empty\"",
    );
    fails(
        "shape",
        json!({"circle": 1, "empty": null}),
        "$",
        "an object with exactly one key, the case",
    );
    fails("shape", json!({}), "$", "got an empty object");
    fails("shape", json!(5), "$", "expected one of");
    fails(
        "shape",
        json!({"rect": {"x": 1}}),
        "$.rect",
        "missing field `y`",
    );
    fails(
        "shape",
        json!({"circle": "big"}),
        "$.circle",
        "expected a number",
    );
    fails(
        "color",
        json!("purple"),
        "$",
        "unknown case the string \"purple\" of this enum; expected one of the strings \"red\", \"green\", \"blue\"",
    );
    fails("color", json!("gren"), "$", "did you mean `green`?");
    fails(
        "color",
        json!(1),
        "$",
        "expected one of the strings \"red\", \"green\", \"blue\", got 1",
    );
}

#[test]
fn options_spell_out_some_only_when_nested() {
    round_trip("option", json!(null), Val::Option(None));
    round_trip("option", json!(5), some(Val::U32(5)));
    fails("option", json!("5"), "$", "expected an integer");
    round_trip("option2", json!(null), Val::Option(None));
    round_trip("option2", json!({"some": null}), some(Val::Option(None)));
    round_trip("option2", json!({"some": 5}), some(some(Val::U32(5))));
    round_trip("option3", json!(null), Val::Option(None));
    round_trip("option3", json!({"some": null}), some(Val::Option(None)));
    round_trip(
        "option3",
        json!({"some": {"some": null}}),
        some(some(Val::Option(None))),
    );
    round_trip(
        "option3",
        json!({"some": {"some": "x"}}),
        some(some(some(Val::String("x".into())))),
    );
    fails(
        "option2",
        json!(5),
        "$",
        "expected null (none) or {\"some\": …} (option<option<u32>>",
    );
    fails(
        "option2",
        json!({"Some": 5}),
        "$",
        "expected null (none) or {\"some\": …}",
    );
    fails(
        "option2",
        json!({"some": 5, "x": 1}),
        "$",
        "expected null (none)",
    );
    fails(
        "option2",
        json!({"some": "x"}),
        "$.some",
        "expected an integer",
    );
    fails(
        "option3",
        json!({"some": {"some": 5}}),
        "$.some.some",
        "expected a string",
    );
    fails(
        "option3",
        json!({"some": 5}),
        "$.some",
        "expected null (none) or {\"some\": …}",
    );
}

#[test]
fn results_are_variants_with_ok_and_err() {
    round_trip(
        "result",
        json!({"ok": 1}),
        Val::Result(Ok(Some(Box::new(Val::U32(1))))),
    );
    round_trip(
        "result",
        json!({"err": "bad"}),
        Val::Result(Err(Some(Box::new(Val::String("bad".into()))))),
    );
    round_trip("result-unit", json!("ok"), Val::Result(Ok(None)));
    round_trip("result-unit", json!("err"), Val::Result(Err(None)));
    round_trip(
        "result-ok",
        json!({"ok": "x"}),
        Val::Result(Ok(Some(Box::new(Val::String("x".into()))))),
    );
    round_trip("result-ok", json!("err"), Val::Result(Err(None)));
    round_trip("result-err", json!("ok"), Val::Result(Ok(None)));
    round_trip(
        "result-err",
        json!({"err": "x"}),
        Val::Result(Err(Some(Box::new(Val::String("x".into()))))),
    );
    fails("result", json!({"ok": "x"}), "$.ok", "expected an integer");
    fails(
        "result",
        json!("ok"),
        "$",
        "case `ok` carries a u32; write it as {\"ok\": …}",
    );
    fails(
        "result",
        json!({"fine": 1}),
        "$",
        "unknown case `fine` of this result; expected one of {\"ok\": u32}, {\"err\": string}",
    );
    fails("result", json!({}), "$", "exactly one key");
    fails(
        "result",
        json!(null),
        "$",
        "expected one of {\"ok\": u32}, {\"err\": string}, got null",
    );
    fails(
        "result-unit",
        json!({"ok": null}),
        "$",
        "case `ok` has no payload; write it as the string \"ok\"",
    );
    fails(
        "result-err",
        json!({"err": 1}),
        "$.err",
        "expected a string",
    );
}

#[test]
fn flags_are_arrays_of_names() {
    round_trip("perms", json!([]), Val::Flags(vec![]));
    round_trip(
        "perms",
        json!(["read", "exec"]),
        Val::Flags(vec!["read".into(), "exec".into()]),
    );
    // Any order in; declaration order out.
    converts(
        "perms",
        json!(["write", "read"]),
        Val::Flags(vec!["read".into(), "write".into()]),
        json!(["read", "write"]),
    );
    fails(
        "perms",
        json!("read"),
        "$",
        "expected an array of the names of the flags that are set, from \"read\", \"write\", \"exec\"",
    );
    fails(
        "perms",
        json!(["read", "read"]),
        "$[1]",
        "flag `read` is listed twice",
    );
    fails(
        "perms",
        json!(["wirte"]),
        "$[0]",
        "unknown flag the string \"wirte\"; did you mean `write`?",
    );
    fails(
        "perms",
        json!([1]),
        "$[0]",
        "expected a flag name (a string), got 1",
    );
}

#[test]
fn resources_are_refused() {
    for name in ["own", "borrow"] {
        fails(name, json!(1), "$", "cannot be converted to or from JSON");
    }
    fails(
        "own",
        json!(null),
        "$",
        "a own<resource> cannot be converted",
    );
    fails(
        "borrow",
        json!({}),
        "$",
        "a borrow<resource> cannot be converted",
    );
    fails(
        "in-list",
        json!([["a", 1]]),
        "$[0][1]",
        "cannot be converted",
    );
    // An empty list holds no resource, so it converts.
    round_trip("in-list", json!([]), Val::List(vec![]));
    check_error(
        check_type(ty("own"), "$.args[0]"),
        "$.args[0]",
        "own<resource>",
    );
    check_error(check_type(ty("in-list"), "$"), "$[*][1]", "own<resource>");
    // A resource value (made by a store) is refused on the way out too.
    let mut store = wasmtime::Store::new(&FIXTURE.engine, ());
    let handle = wasmtime::component::ResourceAny::try_from_resource(
        wasmtime::component::Resource::<u32>::new_own(1),
        &mut store,
    )
    .expect("resource");
    let v = Val::List(vec![Val::Resource(handle)]);
    check_error(
        from_val(&v),
        "$[0]",
        "a resource handle cannot be converted to JSON",
    );
    check_error(
        from_val_at(&v, "$.result"),
        "$.result[0]",
        "resource handle",
    );
}

#[test]
fn every_convertible_type_passes_the_check() {
    for (name, t) in &FIXTURE.types {
        let refused = ["own", "borrow", "in-list"].contains(&name.as_str());
        assert_eq!(check_type(t, "$").is_err(), refused, "{name}");
    }
}

#[test]
fn nested_values_report_deep_paths() {
    let people = json!([null, {
        "name": "B", "age": 2, "home": {"x": 0, "y": 0}, "nick": "b", "tags": []
    }]);
    let v = to_val(ty("nested"), &people).expect("converts");
    assert_eq!(from_val(&v).expect("back"), people);
    let bad = json!([null, {
        "name": "B", "age": 2, "home": {"x": 0, "y": 1e10}, "nick": "b", "tags": []
    }]);
    fails(
        "nested",
        bad,
        "$[1].home.y",
        "is out of range for s32 (-2147483648 to 2147483647)",
    );
}

#[test]
fn arguments_by_position_or_by_name() {
    let params = || FIXTURE.args.iter().map(|(n, t)| (n.as_str(), t.clone()));
    let expected = vec![
        Val::String("n".into()),
        Val::U32(3),
        Val::Variant("empty".into(), None),
    ];
    let by_position = args_to_vals(params(), &json!(["n", 3, "empty"]), "$.args");
    assert_eq!(by_position.expect("converts"), expected);
    let by_name = args_to_vals(
        params(),
        &json!({"shape": "empty", "count": 3, "name": "n"}),
        "$.args",
    );
    assert_eq!(by_name.expect("converts"), expected);
    check_error(
        args_to_vals(params(), &json!(["n", 3]), "$.args"),
        "$.args",
        "expected 3 arguments (name: string, count: u32, shape: variant), got 2",
    );
    check_error(
        args_to_vals(params(), &json!(["n", -3, "empty"]), "$.args"),
        "$.args[1]",
        "-3 is out of range for u32",
    );
    check_error(
        args_to_vals(params(), &json!({"name": "n", "count": 3}), "$.args"),
        "$.args",
        "missing argument `shape` (variant)",
    );
    check_error(
        args_to_vals(
            params(),
            &json!({"name": "n", "cuont": 3, "shape": "empty"}),
            "$.args",
        ),
        "$.args",
        "unknown argument `cuont`; did you mean `count`?",
    );
    check_error(
        args_to_vals(
            params(),
            &json!({"name": "n", "count": 3, "shape": {"rect": {"x": 1, "y": "2"}}}),
            "$.args",
        ),
        "$.args.shape.rect.y",
        "expected an integer",
    );
    check_error(
        args_to_vals(params(), &json!("n"), "--args"),
        "--args",
        "as an array in parameter order or an object keyed by parameter name",
    );
    let none = || -> [(&str, Type); 0] { [] };
    assert_eq!(
        args_to_vals(none(), &json!([]), "$").expect("no args"),
        vec![]
    );
    assert_eq!(
        args_to_vals(none(), &json!({}), "$").expect("no args"),
        vec![]
    );
}

#[test]
fn results() {
    assert_eq!(results_to_json(&[], "$").expect("none"), Value::Null);
    assert_eq!(
        results_to_json(&[Val::Enum("red".into())], "$").expect("one"),
        json!("red")
    );
    assert_eq!(
        results_to_json(&[Val::U8(1), Val::Bool(true)], "$").expect("two"),
        json!([1, true])
    );
}

#[test]
fn depth_is_bounded() {
    let mut v = Val::U8(0);
    for _ in 0..MAX_DEPTH + 10 {
        v = Val::List(vec![v]);
    }
    let e = from_val(&v).expect_err("too deep");
    assert!(e.to_string().contains("nests more than 256 levels"), "{e}");
    let mut ok = Val::U8(0);
    for _ in 0..MAX_DEPTH {
        ok = Val::List(vec![ok]);
    }
    assert!(from_val(&ok).is_ok());
}

#[test]
fn paths_quote_keys_that_are_not_plain_names() {
    let root = Path::root("$");
    let key = root.key("a b");
    let idx = key.index(2);
    let plain = idx.key("ok-1");
    assert_eq!(plain.to_string(), "$[\"a b\"][2].ok-1");
    assert_eq!(root.any().to_string(), "$[*]");
}

/// Store state for calling `examples/components/bin/types.wasm` (a Rust `wasm32-wasip2`
/// component, so it imports WASI; nothing is granted).
struct Host {
    ctx: wasmtime_wasi::WasiCtx,
    table: wasmtime::component::ResourceTable,
}

impl wasmtime_wasi::WasiView for Host {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        wasmtime_wasi::WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// JSON → values → a real call → values → JSON: what `to_val` builds is what Wasmtime
/// accepts (field order, flag order, case names), and what comes back converts.
#[test]
fn real_calls_through_a_component() {
    let engine = wasmtime::Engine::default();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/components/bin/types.wasm"
    );
    let component = Component::from_file(&engine, path).expect("types.wasm compiles");
    let mut linker = wasmtime::component::Linker::<Host>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("WASI links");
    let mut store = wasmtime::Store::new(
        &engine,
        Host {
            ctx: wasmtime_wasi::WasiCtx::builder().build(),
            table: wasmtime::component::ResourceTable::new(),
        },
    );
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instantiates");
    let iface = instance
        .get_export_index(&mut store, None, "nanoproc:examples/all-types")
        .expect("exports all-types");
    let person = json!({"name": "Ada", "age": 36, "nickname": "A", "scores": [1, 2], "home": {"x": -3, "y": 4}});
    let echoes = [
        ("echo-bool", json!(true)),
        ("echo-s8", json!(-128)),
        ("echo-s16", json!(-32768)),
        ("echo-s32", json!(i32::MIN)),
        ("echo-s64", json!(i64::MIN)),
        ("echo-u8", json!(255)),
        ("echo-u16", json!(65535)),
        ("echo-u32", json!(u32::MAX)),
        ("echo-u64", json!(u64::MAX)),
        ("echo-f32", json!(0.1)),
        ("echo-f32", json!("-Infinity")),
        ("echo-f64", json!(-0.0)),
        ("echo-f64", json!("NaN")),
        ("echo-char", json!("😀")),
        ("echo-string", json!("ünïcødé")),
        ("echo-bytes", json!([0, 1, 255])),
        ("echo-strings", json!(["a", ""])),
        ("echo-point", json!({"x": 1, "y": -2})),
        ("echo-person", person.clone()),
        ("echo-tuple", json!([7, "seven", 7.5])),
        ("echo-shape", json!({"rectangle": {"x": 3, "y": 4}})),
        ("echo-shape", json!({"circle": 1.5})),
        ("echo-shape", json!("nothing")),
        ("echo-color", json!("blue")),
        ("echo-option", json!(null)),
        ("echo-option", json!(5)),
        ("echo-nested-option", json!({"some": null})),
        ("echo-nested-option", json!({"some": "x"})),
        ("echo-result", json!({"ok": 1})),
        ("echo-result", json!({"err": "bad"})),
        ("echo-unit-result", json!("err")),
        ("echo-permissions", json!(["read", "execute"])),
    ];
    let mut call = |name: &str, args: Value| -> Result<Value> {
        let idx = instance
            .get_export_index(&mut store, Some(&iface), name)
            .unwrap_or_else(|| panic!("no export `{name}`"));
        let func = instance
            .get_func(&mut store, idx)
            .unwrap_or_else(|| panic!("`{name}` is not a function"));
        let ty = func.ty(&store);
        let params = args_to_vals(ty.params(), &args, "$.args")?;
        let mut results = vec![Val::Bool(false); ty.results().len()];
        func.call(&mut store, &params, &mut results)
            .unwrap_or_else(|e| panic!("calling `{name}` failed: {e:?}"));
        results_to_json(&results, "$.result")
    };
    for (name, arg) in echoes {
        let out = call(name, json!([arg.clone()])).expect(name);
        assert_eq!(out, arg, "{name}");
    }
    let many = call("echo-many", json!({"c": [true, false], "a": 1, "b": "b"}));
    assert_eq!(many.expect("echo-many"), json!([1, "b", [true, false]]));
    assert_eq!(call("nothing", json!([])).expect("nothing"), Value::Null);
    assert_eq!(call("half", json!([3])).expect("half"), Value::Null);
    assert_eq!(call("half", json!([8])).expect("half"), json!(4));
    assert_eq!(
        call("parse-u32", json!(["12"])).expect("parse"),
        json!({"ok": 12})
    );
    assert_eq!(
        call("parse-u32", json!(["x"])).expect("parse"),
        json!({"err": "`x` is not a u32"})
    );
    assert_eq!(call("check", json!([true])).expect("check"), json!("err"));
    assert_eq!(
        call("invert", json!([["read"]])).expect("invert"),
        json!(["write", "execute"])
    );
    assert_eq!(
        call("area", json!([{"rectangle": {"x": -3, "y": 4}}])).expect("area"),
        json!(12.0)
    );
    assert_eq!(
        call("describe", json!([person])).expect("describe"),
        json!("Ada \"A\" (36)")
    );
    check_error(
        call("echo-u8", json!([256])),
        "$.args[0]",
        "out of range for u8",
    );
    // The resource's constructor returns an own<counter>: refused before any call.
    let ctor = instance
        .get_export_index(&mut store, Some(&iface), "[constructor]counter")
        .expect("constructor");
    let ctor = instance.get_func(&mut store, ctor).expect("a function");
    let result = ctor.ty(&store).results().next().expect("one result");
    check_error(check_type(&result, "$.result"), "$.result", "own<resource>");
}
