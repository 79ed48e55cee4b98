//! JSON ↔ WIT values, driven by the WIT type. The whole mapping, with examples, is in
//! `docs/component-json.md`; in short:
//!
//! | WIT | JSON |
//! |---|---|
//! | `bool` | `true` / `false` |
//! | `s8` … `u64` | an integer in the type's range (no fraction, no exponent) |
//! | `f32`, `f64` | a number, or the strings `"NaN"`, `"Infinity"`, `"-Infinity"` |
//! | `char` | a string of exactly one Unicode scalar value |
//! | `string` | a string |
//! | `list<T>` | an array; `list<T, N>` an array of exactly `N` elements |
//! | `map<K, V>` | an array of `[key, value]` pairs |
//! | `record` | an object with exactly the record's fields, by their WIT names |
//! | `tuple<…>` | an array with one element per member |
//! | `variant` | `"case"` for a case without payload, `{"case": payload}` for one with |
//! | `enum` | `"case"` |
//! | `option<T>` | `null` for none, the payload itself for some — except when `T` is itself an option: then `{"some": payload}` |
//! | `result<T, E>` | as a variant with the cases `ok` and `err`: `{"ok": v}`, `{"err": e}`, `"ok"`, `"err"` |
//! | `flags` | an array of the names of the flags that are set |
//! | `own`, `borrow`, `future`, `stream`, `error-context` | not convertible: [`Error::InvalidInput`] |
//!
//! Every failure is an [`Error::InvalidInput`] whose `path` points at the offending value
//! (`$.args[1].name`) and whose `message` says what was expected there.
//!
//! ```
//! use nanoproc::component::json;
//! use serde_json::json;
//! # fn main() -> nanoproc::Result<()> {
//! # let engine = wasmtime::Engine::default();
//! # let wat = r#"(component (import "f" (func (param "n" u8) (param "s" (option string)))))"#;
//! # let component = wasmtime::component::Component::new(&engine, wat).expect("valid");
//! # let ty = component.component_type();
//! # let Some(wasmtime::component::types::ComponentItem::ComponentFunc(f)) =
//! #     ty.get_import(&engine, "f").map(|e| e.ty) else { unreachable!() };
//! // `f` is a `wasmtime::component::types::ComponentFunc`, e.g. from `Func::ty`.
//! let args = json::args_to_vals(f.params(), &json!([7, "seven"]), "$.args")?;
//! assert_eq!(json::from_val(&args[1])?, json!("seven"));
//! let err = json::args_to_vals(f.params(), &json!([300, null]), "$.args").unwrap_err();
//! assert_eq!(err.to_string(), "invalid input: $.args[0]: 300 is out of range for u8 (0 to 255)");
//! # Ok(()) }
//! ```

use crate::error::{Error, Result};
use serde_json::{Map as JsonMap, Number, Value};
use std::fmt;
use wasmtime::component::types::{Field, Record};
use wasmtime::component::{Type, Val};

/// How deeply values may nest (arrays, objects, payloads) before conversion stops with an
/// error rather than recursing further.
pub const MAX_DEPTH: usize = 256;

/// The JSON string for a float that is not a number.
pub const NAN: &str = "NaN";
/// The JSON string for positive infinity.
pub const INFINITY: &str = "Infinity";
/// The JSON string for negative infinity.
pub const NEG_INFINITY: &str = "-Infinity";

/// Converts `json` to a value of type `ty`. Error paths start at `$`.
pub fn to_val(ty: &Type, json: &Value) -> Result<Val> {
    to_val_at(ty, json, "$")
}

/// Converts `json` to a value of type `ty`; error paths start at `root` (e.g. `$.args[0]`).
pub fn to_val_at(ty: &Type, json: &Value, root: &str) -> Result<Val> {
    convert(ty, json, &Path::root(root))
}

/// Converts a value to JSON. Fails only for values JSON cannot carry (resources, futures,
/// streams, error contexts). Error paths start at `$`.
pub fn from_val(val: &Val) -> Result<Value> {
    from_val_at(val, "$")
}

/// Converts a value to JSON; error paths start at `root`.
pub fn from_val_at(val: &Val, root: &str) -> Result<Value> {
    to_json(val, &Path::root(root))
}

/// Converts the arguments of a call: `params` are the function's parameters (as given by
/// `wasmtime::component::types::ComponentFunc::params`) and `args` is either an array of
/// values in parameter order or an object keyed by parameter name. Error paths start at
/// `root` (`$.args` gives `$.args[1].name` or `$.args.person.name`).
pub fn args_to_vals<N: AsRef<str>>(
    params: impl IntoIterator<Item = (N, Type)>,
    args: &Value,
    root: &str,
) -> Result<Vec<Val>> {
    let params: Vec<(N, Type)> = params.into_iter().collect();
    let path = Path::root(root);
    let signature = || {
        let list: Vec<String> = params
            .iter()
            .map(|(n, t)| format!("{}: {}", n.as_ref(), type_name(t)))
            .collect();
        format!("({})", limited(&list))
    };
    match args {
        Value::Array(items) => {
            if items.len() != params.len() {
                return Err(err(
                    &path,
                    format!(
                        "expected {} argument{} {}, got {}",
                        params.len(),
                        plural(params.len()),
                        signature(),
                        items.len()
                    ),
                ));
            }
            params
                .iter()
                .zip(items)
                .enumerate()
                .map(|(i, ((_, ty), v))| convert(ty, v, &path.index(i)))
                .collect()
        }
        Value::Object(map) => {
            let names: Vec<&str> = params.iter().map(|(n, _)| n.as_ref()).collect();
            if let Some(k) = map.keys().find(|k| !names.contains(&k.as_str())) {
                return Err(err(
                    &path,
                    format!(
                        "unknown argument `{}`{}; the parameters are {}",
                        shorten(k),
                        did_you_mean(k, &names),
                        signature()
                    ),
                ));
            }
            params
                .iter()
                .map(|(n, ty)| {
                    let n = n.as_ref();
                    match map.get(n) {
                        Some(v) => convert(ty, v, &path.key(n)),
                        None => Err(err(
                            &path,
                            format!("missing argument `{n}` ({})", type_name(ty)),
                        )),
                    }
                })
                .collect()
        }
        _ => Err(expected(
            &path,
            &format!(
                "the arguments {} as an array in parameter order or an object keyed by parameter name",
                signature()
            ),
            args,
        )),
    }
}

/// Converts a call's results to JSON: `null` for none, the value itself for one (every
/// component function has at most one), an array for more. Error paths start at `root`.
pub fn results_to_json(results: &[Val], root: &str) -> Result<Value> {
    let path = Path::root(root);
    match results {
        [] => Ok(Value::Null),
        [one] => to_json(one, &path),
        many => many
            .iter()
            .enumerate()
            .map(|(i, v)| to_json(v, &path.index(i)))
            .collect::<Result<Vec<_>>>()
            .map(Value::Array),
    }
}

/// Checks that values of `ty` can be converted at all (they contain no resource, future,
/// stream or error context), so a caller can refuse a function before calling it. Error
/// paths start at `root`; `[*]` stands for any element.
pub fn check_type(ty: &Type, root: &str) -> Result<()> {
    check(ty, &Path::root(root))
}

/// A JSON path, built on the stack while converting and printed only for errors.
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
    depth: usize,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root(&'a str),
    Key(&'a str),
    Index(usize),
    Any,
}

impl<'a> Path<'a> {
    fn root(label: &'a str) -> Self {
        Path {
            parent: None,
            seg: Seg::Root(label),
            depth: 0,
        }
    }
    fn child(&'a self, seg: Seg<'a>) -> Path<'a> {
        Path {
            parent: Some(self),
            seg,
            depth: self.depth + 1,
        }
    }
    fn key(&'a self, key: &'a str) -> Path<'a> {
        self.child(Seg::Key(key))
    }
    fn index(&'a self, i: usize) -> Path<'a> {
        self.child(Seg::Index(i))
    }
    fn any(&'a self) -> Path<'a> {
        self.child(Seg::Any)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            parent.fmt(f)?;
        }
        match self.seg {
            Seg::Root(r) => f.write_str(r),
            Seg::Key(k)
                if !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                write!(f, ".{k}")
            }
            Seg::Key(k) => write!(f, "[{}]", Value::String(k.to_string())),
            Seg::Index(i) => write!(f, "[{i}]"),
            Seg::Any => f.write_str("[*]"),
        }
    }
}

fn err(path: &Path<'_>, message: impl Into<String>) -> Error {
    Error::InvalidInput {
        path: path.to_string(),
        message: message.into(),
    }
}

fn expected(path: &Path<'_>, what: &str, got: &Value) -> Error {
    err(path, format!("expected {what}, got {}", describe(got)))
}

fn too_deep(path: &Path<'_>) -> Error {
    err(
        path,
        format!(
            "the value nests more than {MAX_DEPTH} levels deep, which nanoproc does not convert"
        ),
    )
}

fn unconvertible(ty: &Type, path: &Path<'_>) -> Error {
    err(
        path,
        format!(
            "a {} cannot be converted to or from JSON; functions whose parameters or results contain resources, futures, streams or error contexts cannot be called with JSON values",
            type_name(ty)
        ),
    )
}

fn convert(ty: &Type, v: &Value, path: &Path<'_>) -> Result<Val> {
    if path.depth > MAX_DEPTH {
        return Err(too_deep(path));
    }
    Ok(match ty {
        Type::Bool => match v {
            Value::Bool(b) => Val::Bool(*b),
            _ => return Err(expected(path, "a boolean (true or false)", v)),
        },
        Type::S8 => Val::S8(int(v, path, "s8", i8::MIN.into(), i8::MAX.into())? as i8),
        Type::U8 => Val::U8(int(v, path, "u8", 0, u8::MAX.into())? as u8),
        Type::S16 => Val::S16(int(v, path, "s16", i16::MIN.into(), i16::MAX.into())? as i16),
        Type::U16 => Val::U16(int(v, path, "u16", 0, u16::MAX.into())? as u16),
        Type::S32 => Val::S32(int(v, path, "s32", i32::MIN.into(), i32::MAX.into())? as i32),
        Type::U32 => Val::U32(int(v, path, "u32", 0, u32::MAX.into())? as u32),
        Type::S64 => Val::S64(int(v, path, "s64", i64::MIN.into(), i64::MAX.into())? as i64),
        Type::U64 => Val::U64(int(v, path, "u64", 0, u64::MAX.into())? as u64),
        Type::Float32 => {
            let d = float(v, path, "f32")?;
            let f = d as f32;
            if d.is_finite() && !f.is_finite() {
                return Err(err(
                    path,
                    format!(
                        "{} is out of range for f32 (largest magnitude {:e})",
                        describe(v),
                        f32::MAX
                    ),
                ));
            }
            Val::Float32(f)
        }
        Type::Float64 => Val::Float64(float(v, path, "f64")?),
        Type::Char => {
            let what = "a string of exactly one Unicode character (char)";
            let Value::String(s) = v else {
                return Err(expected(path, what, v));
            };
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Val::Char(c),
                _ => {
                    return Err(err(
                        path,
                        format!(
                            "expected {what}, got {} characters: {}",
                            s.chars().count(),
                            describe(v)
                        ),
                    ));
                }
            }
        }
        Type::String => match v {
            Value::String(s) => Val::String(s.clone()),
            _ => return Err(expected(path, "a string", v)),
        },
        Type::List(l) => {
            let elem = l.ty();
            let items = array(v, path, &format!("an array ({})", type_name(ty)))?;
            Val::List(elements(&elem, items, path)?)
        }
        Type::FixedLengthList(l) => {
            let elem = l.ty();
            let n = l.len() as usize;
            let what = format!(
                "an array of exactly {n} element{} ({})",
                plural(n),
                type_name(ty)
            );
            let items = array(v, path, &what)?;
            if items.len() != n {
                return Err(err(
                    path,
                    format!("expected {what}, got {} elements", items.len()),
                ));
            }
            Val::FixedLengthList(elements(&elem, items, path)?)
        }
        Type::Map(m) => {
            let (kt, vt) = (m.key(), m.value());
            let items = array(
                v,
                path,
                &format!("an array of [key, value] pairs ({})", type_name(ty)),
            )?;
            let mut pairs = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let p = path.index(i);
                let pair = match item {
                    Value::Array(kv) => kv.as_slice(),
                    _ => &[],
                };
                let [k, x] = pair else {
                    return Err(expected(
                        &p,
                        "a [key, value] pair (an array of 2 elements)",
                        item,
                    ));
                };
                pairs.push((convert(&kt, k, &p.index(0))?, convert(&vt, x, &p.index(1))?));
            }
            Val::Map(pairs)
        }
        Type::Record(r) => record(r, v, path)?,
        Type::Tuple(t) => {
            let types: Vec<Type> = t.types().collect();
            let what = format!(
                "an array of {} element{} ({})",
                types.len(),
                plural(types.len()),
                type_name(ty)
            );
            let items = array(v, path, &what)?;
            if items.len() != types.len() {
                return Err(err(
                    path,
                    format!("expected {what}, got {} elements", items.len()),
                ));
            }
            Val::Tuple(
                types
                    .iter()
                    .zip(items)
                    .enumerate()
                    .map(|(i, (t, x))| convert(t, x, &path.index(i)))
                    .collect::<Result<_>>()?,
            )
        }
        Type::Variant(var) => {
            let cases: Vec<(&str, Option<Type>)> = var.cases().map(|c| (c.name, c.ty)).collect();
            let (name, payload) = case(&cases, v, path, "variant")?;
            Val::Variant(name, payload)
        }
        Type::Enum(e) => {
            let names: Vec<&str> = e.names().collect();
            let what = format!("one of the strings {}", quoted_list(&names));
            let Value::String(s) = v else {
                return Err(expected(path, &what, v));
            };
            if !names.contains(&s.as_str()) {
                return Err(err(
                    path,
                    format!(
                        "unknown case {} of this enum{}; expected {what}",
                        describe(v),
                        did_you_mean(s, &names)
                    ),
                ));
            }
            Val::Enum(s.clone())
        }
        Type::Option(o) => {
            let inner = o.ty();
            if v.is_null() {
                return Ok(Val::Option(None));
            }
            if !matches!(inner, Type::Option(_)) {
                return Ok(Val::Option(Some(Box::new(convert(&inner, v, path)?))));
            }
            // option<option<T>>: `some` is explicit, so `some(none)` is not `none`.
            match v {
                Value::Object(m) if m.len() == 1 && m.contains_key("some") => {
                    let payload = m.get("some").unwrap_or(&Value::Null);
                    Val::Option(Some(Box::new(convert(&inner, payload, &path.key("some"))?)))
                }
                _ => {
                    return Err(expected(
                        path,
                        &format!(
                            "null (none) or {{\"some\": …}} ({}; an option of an option spells out `some` so that some(none) differs from none)",
                            type_name(ty)
                        ),
                        v,
                    ));
                }
            }
        }
        Type::Result(r) => {
            let cases = [("ok", r.ok()), ("err", r.err())];
            let (name, payload) = case(&cases, v, path, "result")?;
            Val::Result(if name == "ok" {
                Ok(payload)
            } else {
                Err(payload)
            })
        }
        Type::Flags(f) => {
            let names: Vec<&str> = f.names().collect();
            let items = array(
                v,
                path,
                &format!(
                    "an array of the names of the flags that are set, from {}",
                    quoted_list(&names)
                ),
            )?;
            let mut set = vec![false; names.len()];
            for (i, item) in items.iter().enumerate() {
                let p = path.index(i);
                let Value::String(s) = item else {
                    return Err(expected(&p, "a flag name (a string)", item));
                };
                match names.iter().position(|n| n == s) {
                    Some(j) if set.get(j).copied().unwrap_or(false) => {
                        return Err(err(&p, format!("flag `{}` is listed twice", shorten(s))));
                    }
                    Some(j) => {
                        if let Some(slot) = set.get_mut(j) {
                            *slot = true;
                        }
                    }
                    None => {
                        return Err(err(
                            &p,
                            format!(
                                "unknown flag {}{}; the flags are {}",
                                describe(item),
                                did_you_mean(s, &names),
                                quoted_list(&names)
                            ),
                        ));
                    }
                }
            }
            Val::Flags(
                names
                    .iter()
                    .zip(&set)
                    .filter(|(_, on)| **on)
                    .map(|(n, _)| n.to_string())
                    .collect(),
            )
        }
        Type::Own(_) | Type::Borrow(_) | Type::Future(_) | Type::Stream(_) | Type::ErrorContext => {
            return Err(unconvertible(ty, path));
        }
    })
}

fn array<'v>(v: &'v Value, path: &Path<'_>, what: &str) -> Result<&'v Vec<Value>> {
    match v {
        Value::Array(items) => Ok(items),
        _ => Err(expected(path, what, v)),
    }
}

fn elements(elem: &Type, items: &[Value], path: &Path<'_>) -> Result<Vec<Val>> {
    items
        .iter()
        .enumerate()
        .map(|(i, x)| convert(elem, x, &path.index(i)))
        .collect()
}

fn int(v: &Value, path: &Path<'_>, name: &str, min: i128, max: i128) -> Result<i128> {
    let what = format!("an integer from {min} to {max} ({name})");
    let Value::Number(n) = v else {
        return Err(expected(path, &what, v));
    };
    let i = if let Some(i) = n.as_i64() {
        i128::from(i)
    } else if let Some(u) = n.as_u64() {
        i128::from(u)
    } else {
        // A fraction, an exponent, or an integer beyond 64 bits (serde_json reads those as f64).
        let f = n.as_f64().unwrap_or(f64::NAN);
        let whole = f.is_finite() && f.fract() == 0.0;
        // `as i128` saturates, and every whole f64 outside i128 is outside every WIT range.
        return Err(if whole && !(min..=max).contains(&(f as i128)) {
            err(
                path,
                format!("{n} is out of range for {name} ({min} to {max})"),
            )
        } else if whole {
            err(
                path,
                format!("expected {what}, got {n}; write integers without a fraction or exponent"),
            )
        } else {
            err(path, format!("expected {what}, got {n}"))
        });
    };
    if i < min || i > max {
        return Err(err(
            path,
            format!("{i} is out of range for {name} ({min} to {max})"),
        ));
    }
    Ok(i)
}

fn float(v: &Value, path: &Path<'_>, name: &str) -> Result<f64> {
    let what = format!("a number, \"{NAN}\", \"{INFINITY}\" or \"{NEG_INFINITY}\" ({name})");
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| expected(path, &what, v)),
        Value::String(s) if s == NAN => Ok(f64::NAN),
        Value::String(s) if s == INFINITY => Ok(f64::INFINITY),
        Value::String(s) if s == NEG_INFINITY => Ok(f64::NEG_INFINITY),
        Value::String(_) => Err(err(
            path,
            format!(
                "expected {what}, got {}; the only strings a float accepts are those three",
                describe(v)
            ),
        )),
        _ => Err(expected(path, &what, v)),
    }
}

fn record(r: &Record, v: &Value, path: &Path<'_>) -> Result<Val> {
    let fields: Vec<Field<'_>> = r.fields().collect();
    let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
    let Value::Object(m) = v else {
        return Err(expected(
            path,
            &format!("an object with the fields {}", quoted_list(&names)),
            v,
        ));
    };
    if let Some(k) = m.keys().find(|k| !names.contains(&k.as_str())) {
        return Err(err(
            path,
            format!(
                "unknown field `{}`{}; this record's fields are {}",
                shorten(k),
                did_you_mean(k, &names),
                quoted_list(&names)
            ),
        ));
    }
    let mut out = Vec::with_capacity(fields.len());
    for f in &fields {
        let Some(x) = m.get(f.name) else {
            return Err(err(
                path,
                format!(
                    "missing field `{}` ({}); every field of a record must be given",
                    f.name,
                    type_name(&f.ty)
                ),
            ));
        };
        out.push((f.name.to_string(), convert(&f.ty, x, &path.key(f.name))?));
    }
    Ok(Val::Record(out))
}

/// A variant (or result) value: `"case"` without payload, `{"case": payload}` with one.
fn case(
    cases: &[(&str, Option<Type>)],
    v: &Value,
    path: &Path<'_>,
    what: &str,
) -> Result<(String, Option<Box<Val>>)> {
    let names: Vec<&str> = cases.iter().map(|(n, _)| *n).collect();
    let find = |name: &str| cases.iter().find(|(n, _)| *n == name);
    let unknown = |name: &str| {
        err(
            path,
            format!(
                "unknown case `{}` of this {what}{}; expected {}",
                shorten(name),
                did_you_mean(name, &names),
                case_forms(cases)
            ),
        )
    };
    match v {
        Value::String(s) => match find(s) {
            Some((n, None)) => Ok((n.to_string(), None)),
            Some((n, Some(t))) => Err(err(
                path,
                format!(
                    "case `{n}` carries a {}; write it as {{\"{n}\": …}}",
                    type_name(t)
                ),
            )),
            None => Err(unknown(s)),
        },
        Value::Object(m) => {
            let mut entries = m.iter();
            match (entries.next(), entries.next()) {
                (Some((k, payload)), None) => match find(k) {
                    Some((n, Some(t))) => Ok((
                        n.to_string(),
                        Some(Box::new(convert(t, payload, &path.key(n))?)),
                    )),
                    Some((n, None)) => Err(err(
                        path,
                        format!("case `{n}` has no payload; write it as the string \"{n}\""),
                    )),
                    None => Err(unknown(k)),
                },
                _ => Err(err(
                    path,
                    format!(
                        "expected {}, got {}; a {what} with a payload is an object with exactly one key, the case",
                        case_forms(cases),
                        describe(v)
                    ),
                )),
            }
        }
        _ => Err(expected(path, &case_forms(cases), v)),
    }
}

/// `"a", {"b": u8}` — how each case is written.
fn case_forms(cases: &[(&str, Option<Type>)]) -> String {
    let forms: Vec<String> = cases
        .iter()
        .map(|(n, t)| match t {
            None => format!("\"{n}\""),
            Some(t) => format!("{{\"{n}\": {}}}", type_name(t)),
        })
        .collect();
    format!("one of {}", limited(&forms))
}

fn to_json(val: &Val, path: &Path<'_>) -> Result<Value> {
    if path.depth > MAX_DEPTH {
        return Err(too_deep(path));
    }
    let list = |items: &[Val]| -> Result<Value> {
        items
            .iter()
            .enumerate()
            .map(|(i, x)| to_json(x, &path.index(i)))
            .collect::<Result<Vec<_>>>()
            .map(Value::Array)
    };
    let single = |key: &str, payload: &Val| -> Result<Value> {
        let mut m = JsonMap::new();
        m.insert(key.to_string(), to_json(payload, &path.key(key))?);
        Ok(Value::Object(m))
    };
    Ok(match val {
        Val::Bool(b) => Value::Bool(*b),
        Val::S8(n) => Value::from(*n),
        Val::U8(n) => Value::from(*n),
        Val::S16(n) => Value::from(*n),
        Val::U16(n) => Value::from(*n),
        Val::S32(n) => Value::from(*n),
        Val::U32(n) => Value::from(*n),
        Val::S64(n) => Value::from(*n),
        Val::U64(n) => Value::from(*n),
        Val::Float32(x) => f32_json(*x, path)?,
        Val::Float64(x) => f64_json(*x, path)?,
        Val::Char(c) => Value::String(c.to_string()),
        Val::String(s) => Value::String(s.clone()),
        Val::List(items) | Val::FixedLengthList(items) | Val::Tuple(items) => list(items)?,
        Val::Map(pairs) => pairs
            .iter()
            .enumerate()
            .map(|(i, (k, x))| {
                let p = path.index(i);
                Ok(Value::Array(vec![
                    to_json(k, &p.index(0))?,
                    to_json(x, &p.index(1))?,
                ]))
            })
            .collect::<Result<Vec<_>>>()
            .map(Value::Array)?,
        Val::Record(fields) => {
            let mut m = JsonMap::new();
            for (n, x) in fields {
                m.insert(n.clone(), to_json(x, &path.key(n))?);
            }
            Value::Object(m)
        }
        Val::Variant(name, None) | Val::Enum(name) => Value::String(name.clone()),
        Val::Variant(name, Some(payload)) => single(name, payload)?,
        Val::Option(None) => Value::Null,
        Val::Option(Some(payload)) => match **payload {
            Val::Option(_) => single("some", payload)?,
            _ => to_json(payload, path)?,
        },
        Val::Result(Ok(None)) => Value::String("ok".into()),
        Val::Result(Err(None)) => Value::String("err".into()),
        Val::Result(Ok(Some(payload))) => single("ok", payload)?,
        Val::Result(Err(Some(payload))) => single("err", payload)?,
        Val::Flags(names) => Value::Array(names.iter().cloned().map(Value::String).collect()),
        Val::Resource(_) => return Err(unconvertible_val("resource handle", path)),
        Val::Future(_) => return Err(unconvertible_val("future", path)),
        Val::Stream(_) => return Err(unconvertible_val("stream", path)),
        Val::ErrorContext(_) => return Err(unconvertible_val("error context", path)),
    })
}

fn unconvertible_val(what: &str, path: &Path<'_>) -> Error {
    err(
        path,
        format!(
            "a {what} cannot be converted to JSON; functions whose parameters or results contain resources, futures, streams or error contexts cannot be called with JSON values"
        ),
    )
}

fn non_finite(x: f64) -> Value {
    Value::String(
        if x.is_nan() {
            NAN
        } else if x > 0.0 {
            INFINITY
        } else {
            NEG_INFINITY
        }
        .to_string(),
    )
}

fn f64_json(x: f64, path: &Path<'_>) -> Result<Value> {
    if !x.is_finite() {
        return Ok(non_finite(x));
    }
    Number::from_f64(x)
        .map(Value::Number)
        .ok_or_else(|| Error::Internal(format!("{path}: finite float {x} has no JSON number")))
}

/// The shortest decimal that reads back as the same `f32` (`0.1`, not
/// `0.10000000149011612`), or the exact value when the shortest one would not.
fn f32_json(x: f32, path: &Path<'_>) -> Result<Value> {
    if !x.is_finite() {
        return Ok(non_finite(x.into()));
    }
    let shortest = x
        .to_string()
        .parse::<f64>()
        .ok()
        .filter(|d| (*d as f32).to_bits() == x.to_bits());
    f64_json(shortest.unwrap_or(f64::from(x)), path)
}

fn check(ty: &Type, path: &Path<'_>) -> Result<()> {
    if path.depth > MAX_DEPTH {
        return Err(too_deep(path));
    }
    match ty {
        Type::Bool
        | Type::S8
        | Type::U8
        | Type::S16
        | Type::U16
        | Type::S32
        | Type::U32
        | Type::S64
        | Type::U64
        | Type::Float32
        | Type::Float64
        | Type::Char
        | Type::String
        | Type::Enum(_)
        | Type::Flags(_) => Ok(()),
        Type::List(l) => check(&l.ty(), &path.any()),
        Type::FixedLengthList(l) => check(&l.ty(), &path.any()),
        Type::Map(m) => {
            let any = path.any();
            check(&m.key(), &any.index(0))?;
            check(&m.value(), &any.index(1))
        }
        Type::Record(r) => r.fields().try_for_each(|f| check(&f.ty, &path.key(f.name))),
        Type::Tuple(t) => t
            .types()
            .enumerate()
            .try_for_each(|(i, t)| check(&t, &path.index(i))),
        Type::Variant(v) => v.cases().try_for_each(|c| match &c.ty {
            Some(t) => check(t, &path.key(c.name)),
            None => Ok(()),
        }),
        Type::Option(o) => {
            let inner = o.ty();
            let some = path.key("some");
            check(
                &inner,
                if matches!(inner, Type::Option(_)) {
                    &some
                } else {
                    path
                },
            )
        }
        Type::Result(r) => {
            if let Some(t) = r.ok() {
                check(&t, &path.key("ok"))?;
            }
            match r.err() {
                Some(t) => check(&t, &path.key("err")),
                None => Ok(()),
            }
        }
        Type::Own(_) | Type::Borrow(_) | Type::Future(_) | Type::Stream(_) | Type::ErrorContext => {
            Err(unconvertible(ty, path))
        }
    }
}

/// A short WIT spelling of a type for messages (nested types beyond two levels elided).
pub fn type_name(ty: &Type) -> String {
    name_at(ty, 0)
}

fn name_at(ty: &Type, depth: usize) -> String {
    if depth > 2 {
        return "…".into();
    }
    let inner = |t: &Type| name_at(t, depth + 1);
    match ty {
        Type::Bool => "bool".into(),
        Type::S8 => "s8".into(),
        Type::U8 => "u8".into(),
        Type::S16 => "s16".into(),
        Type::U16 => "u16".into(),
        Type::S32 => "s32".into(),
        Type::U32 => "u32".into(),
        Type::S64 => "s64".into(),
        Type::U64 => "u64".into(),
        Type::Float32 => "f32".into(),
        Type::Float64 => "f64".into(),
        Type::Char => "char".into(),
        Type::String => "string".into(),
        Type::List(l) => format!("list<{}>", inner(&l.ty())),
        Type::FixedLengthList(l) => format!("list<{}, {}>", inner(&l.ty()), l.len()),
        Type::Map(m) => format!("map<{}, {}>", inner(&m.key()), inner(&m.value())),
        Type::Record(_) => "record".into(),
        Type::Tuple(t) => {
            let members: Vec<String> = t.types().map(|t| inner(&t)).collect();
            format!("tuple<{}>", limited(&members))
        }
        Type::Variant(_) => "variant".into(),
        Type::Enum(_) => "enum".into(),
        Type::Option(o) => format!("option<{}>", inner(&o.ty())),
        Type::Result(r) => match (r.ok(), r.err()) {
            (None, None) => "result".into(),
            (Some(o), None) => format!("result<{}>", inner(&o)),
            (None, Some(e)) => format!("result<_, {}>", inner(&e)),
            (Some(o), Some(e)) => format!("result<{}, {}>", inner(&o), inner(&e)),
        },
        Type::Flags(_) => "flags".into(),
        Type::Own(_) => "own<resource>".into(),
        Type::Borrow(_) => "borrow<resource>".into(),
        Type::Future(_) => "future".into(),
        Type::Stream(_) => "stream".into(),
        Type::ErrorContext => "error-context".into(),
    }
}

/// Most names listed in one message.
const MAX_LISTED: usize = 16;

fn limited(items: &[String]) -> String {
    if items.len() <= MAX_LISTED {
        return items.join(", ");
    }
    format!(
        "{}, … ({} in all)",
        items[..MAX_LISTED].join(", "),
        items.len()
    )
}

fn quoted_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    limited(&quoted)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A user-supplied string cut to a readable length, and whether it was cut.
fn cut(s: &str) -> (&str, bool) {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((at, _)) => (&s[..at], true),
        None => (s, false),
    }
}

/// A user-supplied string for a message, cut to a readable length and escaped: control
/// characters, line and paragraph separators and other invisible ones (bidi overrides,
/// zero-width marks) are written as `\n`, `\u{1b}`, `\u{202e}`…, so that a name can neither
/// break the one-line message, nor drive the terminal that prints it, nor hide what it is.
fn shorten(s: &str) -> String {
    let (head, was_cut) = cut(s);
    let mut out = escape(head, false);
    if was_cut {
        out.push('…');
    }
    out
}

/// `s` with [`char::escape_debug`] applied to everything but apostrophes (and double quotes,
/// unless the result goes between double quotes).
fn escape(s: &str, in_double_quotes: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\'' || (c == '"' && !in_double_quotes) {
            out.push(c);
        } else {
            out.extend(c.escape_debug());
        }
    }
    out
}

/// A JSON value in a few words, for "got …".
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let (head, was_cut) = cut(s);
            format!(
                "the string \"{}\"{}",
                escape(head, true),
                if was_cut { "…" } else { "" }
            )
        }
        Value::Array(a) => format!("an array of {} element{}", a.len(), plural(a.len())),
        Value::Object(m) if m.is_empty() => "an empty object".into(),
        Value::Object(m) => {
            let keys: Vec<String> = m.keys().map(|k| format!("`{}`", shorten(k))).collect();
            format!(
                "an object with the key{} {}",
                plural(keys.len()),
                limited(&keys)
            )
        }
    }
}

fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
