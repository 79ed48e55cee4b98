//! Typed calls into a component through bindings that `wasmtime::component::bindgen!`
//! generated for its world: a record, a variant and a resource, with Rust types on both sides.
//!
//! ```text
//! cargo run -p nanoproc --example typed_component
//! ```
//!
//! The component is `examples/components/bin/types.wasm` (world `nanoproc:examples/types`,
//! `examples/components/wit/types.wit`). For calls without generated bindings (any component,
//! values or JSON chosen at run time) see `component_calls.rs`.

use nanoproc::component::Component;
use nanoproc::{Engine, Policy};

// Rust types and typed call functions for the world. WASI preview 2's host functions are
// async, so the exports are called with `.await` inside `ComponentInstance::with`.
nanoproc::wasmtime::component::bindgen!({
    path: "../../examples/components/wit",
    world: "nanoproc:examples/types",
    wasmtime_crate: nanoproc::wasmtime,
    exports: { default: async },
});

use exports::nanoproc::examples::all_types::{Person, Point, Shape};

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

    // One sandbox for every call below: the counter lives in it between calls.
    let mut instance = component.instance()?;

    // A record in, the same record out.
    let ada = Person {
        name: "Ada".into(),
        age: 36,
        nickname: Some("Countess".into()),
        scores: vec![90, 95],
        home: Point { x: 3, y: -4 },
    };
    let echoed = instance.with(move |store, instance| {
        Box::pin(async move {
            let types = Types::new(&mut *store, instance)?;
            let api = types.nanoproc_examples_all_types();
            let echoed = api.call_echo_person(&mut *store, &ada).await?;
            let described = api.call_describe(&mut *store, &ada).await?;
            Ok((echoed, described))
        })
    })?;
    println!("echo-person: {:?}", echoed.0);
    println!("describe:    {}", echoed.1);

    // A variant: each case computes something different.
    let areas = instance.with(|store, instance| {
        Box::pin(async move {
            let types = Types::new(&mut *store, instance)?;
            let api = types.nanoproc_examples_all_types();
            let mut areas = Vec::new();
            for shape in [
                Shape::Circle(1.0),
                Shape::Rectangle(Point { x: -3, y: 4 }),
                Shape::Nothing,
            ] {
                let area = api.call_area(&mut *store, shape).await?;
                areas.push((shape, area));
            }
            Ok(areas)
        })
    })?;
    for (shape, area) in areas {
        println!("area({shape:?}) = {area}");
    }

    // A resource: the guest keeps the counter; the host holds an opaque handle to it.
    let (after_two, read) = instance.with(|store, instance| {
        Box::pin(async move {
            let types = Types::new(&mut *store, instance)?;
            let counter = types.nanoproc_examples_all_types().counter();
            let handle = counter.call_constructor(&mut *store, 40).await?;
            counter.call_increment(&mut *store, handle, 1).await?;
            let after_two = counter.call_increment(&mut *store, handle, 1).await?;
            let read = counter.call_get(&mut *store, handle).await?;
            handle.resource_drop_async(&mut *store).await?;
            Ok((after_two, read))
        })
    })?;
    println!("counter: new(40), increment(1) twice -> {after_two}, get() -> {read}");
    Ok(())
}
