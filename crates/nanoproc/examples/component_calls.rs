//! Dynamic calls into a component of any world: list its functions with their WIT
//! signatures, call them with `Val`s or with JSON, each call in a fresh sandbox; keep one
//! instance for a resource.
//!
//! ```text
//! cargo run -p nanoproc --example component_calls
//! ```
//!
//! The component is `examples/components/bin/types.wasm` (`examples/components/wit/types.wit`).
//! For typed calls through generated bindings see `typed_component.rs`.

use nanoproc::component::Component;
use nanoproc::wasmtime::component::Val;
use nanoproc::{Engine, Policy};
use serde_json::json;

const IFACE: &str = "nanoproc:examples/all-types";

fn main() -> nanoproc::Result<()> {
    let wasm = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/components/bin/types.wasm");
    let engine = Engine::new()?;
    let mut policy = Policy::builder();
    policy.max_memory(16 << 20);
    let component = Component::builder(&engine)
        .wasm_file(wasm)
        .policy(policy.build()?)
        .build()?;

    // What it exports, by the names `call` takes.
    println!(
        "{} exports {} functions:",
        component.name(),
        component.functions().len()
    );
    for f in component.functions() {
        println!("  {}  {}", f.name(), f.signature());
    }

    // Dynamic values: each call instantiates a fresh sandbox and drops it afterwards.
    let sum = component.call(&format!("{IFACE}#add"), &[Val::S64(40), Val::S64(2)])?;
    println!("\nadd(40, 2) = {sum:?}");
    let ada = Val::Record(vec![
        ("name".into(), Val::String("Ada".into())),
        ("age".into(), Val::U8(36)),
        ("nickname".into(), Val::Option(None)),
        ("scores".into(), Val::List(vec![Val::U32(1), Val::U32(2)])),
        (
            "home".into(),
            Val::Record(vec![("x".into(), Val::S32(0)), ("y".into(), Val::S32(0))]),
        ),
    ]);
    let described = component.call(&format!("{IFACE}#describe"), &[ada])?;
    println!("describe(ada) = {described:?}");

    // JSON: arguments as an array (or an object by parameter name), the result as JSON;
    // the mapping is in docs/component-json.md. The `@version` of the interface is optional.
    let calls = [
        ("area", json!([{"rectangle": {"x": -3, "y": 4}}])),
        ("parse-u32", json!({"s": "12"})),
        ("parse-u32", json!(["twelve"])),
        ("invert", json!([["read"]])),
        ("half", json!([7])),
    ];
    for (function, args) in calls {
        let out = component.call_json(&format!("{IFACE}#{function}"), &args)?;
        println!("{function}({args}) = {out}");
    }
    // A value that does not fit its WIT type is refused before the guest runs.
    if let Err(e) = component.call_json(&format!("{IFACE}#echo-u8"), &json!([256])) {
        println!("echo-u8([256]) refused: {e}");
    }

    // A resource is a handle into one instance: construct and use it in the same instance.
    let mut instance = component.instance()?;
    let made = instance.call(&format!("{IFACE}#[constructor]counter"), &[Val::U64(40)])?;
    if let [counter @ Val::Resource(_)] = made.as_slice() {
        let by = [counter.clone(), Val::U64(2)];
        let after = instance.call(&format!("{IFACE}#[method]counter.increment"), &by)?;
        println!("\ncounter: new(40), increment(2) -> {after:?}");
    }
    Ok(())
}
