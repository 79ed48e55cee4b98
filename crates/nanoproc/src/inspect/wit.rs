//! A component's WIT world: decoded from its type information with `wit-component`, printed
//! as WIT text (the world and every type definition it uses, WASI packages included), and
//! listed as imported and exported items with their functions' signatures and the names to
//! give `nanoproc call`.

use crate::loader::one_line;
use serde::Serialize;
use wit_component::{DecodedWasm, WitPrinter};
use wit_parser::{Function, FunctionKind, Resolve, Type, WorldItem, WorldKey};

/// The decoded WIT world of a component.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WitWorld {
    /// The whole world as WIT text, ready to save as a `.wit` file: the component's own
    /// package (`package root:component;` with `world root`), then every package it uses
    /// (`package wasi:cli@0.2.0 { ... }`) with the type definitions its imports and exports
    /// need.
    pub text: String,
    /// What the component imports, in the order it declares them.
    pub imports: Vec<WitItem>,
    /// What the component exports, in the order it declares them.
    pub exports: Vec<WitItem>,
}

/// What an import or export of a world is.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WitItemKind {
    /// An interface: a named group of types and functions.
    Interface,
    /// A function imported or exported by the world itself.
    Function,
    /// A type imported or exported by the world itself.
    Type,
}

/// One import or export of a world.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WitItem {
    /// `namespace:package/interface@version` for a named interface, otherwise the plain name
    /// (a world-level function or type, or an interface defined inline in the world).
    pub name: String,
    /// Interface, function or type.
    pub kind: WitItemKind,
    /// Its functions: an interface's (resource constructors and methods included), or the
    /// one function itself for [`WitItemKind::Function`]; empty for a type.
    pub functions: Vec<WitFunction>,
}

/// A function with its WIT signature.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WitFunction {
    /// Its name inside the interface or world: `echo-bool`, or for resource functions the
    /// component-model name, `[constructor]counter`, `[method]counter.get`,
    /// `[static]counter.new`.
    pub name: String,
    /// The signature as WIT writes it: `func(x: bool) -> bool`, `async func()`, or
    /// `constructor(start: u64)`. A method's implicit `self` is not shown.
    pub signature: String,
    /// For an exported freestanding function: what to pass to `nanoproc call` to run it —
    /// `namespace:package/interface@version#function` for a function of an interface (the
    /// `@version` may be left out there), the plain function name for a world-level one.
    /// `None` for imports and for resource functions, which need a resource handle.
    pub call: Option<String>,
}

impl WitWorld {
    /// The exported functions `nanoproc call` can run: `(call name, signature)` pairs, in
    /// export order.
    pub fn callable(&self) -> Vec<(&str, &str)> {
        self.exports
            .iter()
            .flat_map(|item| &item.functions)
            .filter_map(|f| Some((f.call.as_deref()?, f.signature.as_str())))
            .collect()
    }
}

/// Decodes the WIT world of `component` (a binary component).
///
/// Never panics on hostile input: a failure of the decoder, including a panic inside it, is
/// returned as one line saying why (`Err`), so a report can still show everything else.
pub fn decode(component: &[u8]) -> std::result::Result<WitWorld, String> {
    let decoded = std::panic::catch_unwind(|| decode_inner(component));
    match decoded {
        Ok(Ok(world)) => Ok(world),
        Ok(Err(e)) => Err(format!(
            "cannot decode the WIT world: {}",
            one_line(&format!("{e:#}"))
        )),
        Err(_) => Err("cannot decode the WIT world: the WIT decoder failed on this component (a bug in wit-component; the rest of the report is unaffected)".to_string()),
    }
}

fn decode_inner(component: &[u8]) -> anyhow::Result<WitWorld> {
    let decoded = wit_component::decode(component)?;
    let main = decoded.package();
    let resolve = decoded.resolve();
    let nested: Vec<_> = resolve
        .packages
        .iter()
        .map(|(id, _)| id)
        .filter(|id| *id != main)
        .collect();
    let mut printer = WitPrinter::default();
    printer.print(resolve, main, &nested)?;
    let text = tidy(&printer.output.to_string());
    let (imports, exports) = match &decoded {
        DecodedWasm::Component(resolve, world) => {
            let world = &resolve.worlds[*world];
            (
                world
                    .imports
                    .iter()
                    .map(|(k, v)| item(resolve, k, v, false))
                    .collect::<anyhow::Result<_>>()?,
                world
                    .exports
                    .iter()
                    .map(|(k, v)| item(resolve, k, v, true))
                    .collect::<anyhow::Result<_>>()?,
            )
        }
        // A WIT package encoded as a component: types only, nothing imported or exported.
        DecodedWasm::WitPackage(..) => (Vec::new(), Vec::new()),
    };
    Ok(WitWorld {
        text,
        imports,
        exports,
    })
}

/// One blank line before each package and none doubled (the printer puts none after the
/// main package and two between nested ones), and a final newline.
fn tidy(printed: &str) -> String {
    let mut out = String::with_capacity(printed.len() + 64);
    for line in printed.lines() {
        let blank = line.trim().is_empty();
        if blank && (out.is_empty() || out.ends_with("\n\n")) {
            continue;
        }
        if line.starts_with("package ") && !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        if !blank {
            out.push_str(line);
        }
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn item(
    resolve: &Resolve,
    key: &WorldKey,
    item: &WorldItem,
    exported: bool,
) -> anyhow::Result<WitItem> {
    let name = match key {
        WorldKey::Name(n) => n.clone(),
        WorldKey::Interface(id) => resolve
            .id_of(*id)
            .ok_or_else(|| anyhow::anyhow!("an unnamed interface is keyed by its id"))?,
    };
    Ok(match item {
        WorldItem::Interface { id, .. } => WitItem {
            functions: resolve.interfaces[*id]
                .functions
                .values()
                .map(|f| function(resolve, f, exported.then_some(name.as_str())))
                .collect::<anyhow::Result<_>>()?,
            name,
            kind: WitItemKind::Interface,
        },
        WorldItem::Function(f) => WitItem {
            functions: vec![function(resolve, f, exported.then_some(""))?],
            name,
            kind: WitItemKind::Function,
        },
        WorldItem::Type { .. } => WitItem {
            name,
            kind: WitItemKind::Type,
            functions: Vec::new(),
        },
    })
}

/// `export_of`: for an export, the interface's name (`""` for a world-level function).
fn function(
    resolve: &Resolve,
    f: &Function,
    export_of: Option<&str>,
) -> anyhow::Result<WitFunction> {
    let freestanding = matches!(
        f.kind,
        FunctionKind::Freestanding | FunctionKind::AsyncFreestanding
    );
    let call = match export_of {
        Some("") if freestanding => Some(f.name.clone()),
        Some(iface) if freestanding => Some(format!("{iface}#{}", f.name)),
        _ => None,
    };
    Ok(WitFunction {
        name: f.name.clone(),
        signature: signature(resolve, f)?,
        call,
    })
}

/// The signature the way [`WitPrinter`] writes it inside an interface.
fn signature(resolve: &Resolve, f: &Function) -> anyhow::Result<String> {
    let mut s = String::new();
    if matches!(
        f.kind,
        FunctionKind::AsyncFreestanding
            | FunctionKind::AsyncMethod(_)
            | FunctionKind::AsyncStatic(_)
    ) {
        s.push_str("async ");
    }
    s.push_str(if matches!(f.kind, FunctionKind::Constructor(_)) {
        "constructor("
    } else {
        "func("
    });
    let skip = usize::from(matches!(
        f.kind,
        FunctionKind::Method(_) | FunctionKind::AsyncMethod(_)
    ));
    for (i, p) in f.params.iter().skip(skip).enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&p.name);
        s.push_str(": ");
        s.push_str(&type_name(resolve, &p.ty)?);
    }
    s.push(')');
    if let Some(ty) = &f.result
        && !f.is_constructor_shorthand(resolve)
    {
        s.push_str(" -> ");
        s.push_str(&type_name(resolve, ty)?);
    }
    Ok(s)
}

fn type_name(resolve: &Resolve, ty: &Type) -> anyhow::Result<String> {
    let mut printer = WitPrinter::default();
    printer.print_type_name(resolve, ty)?;
    Ok(printer.output.to_string())
}
