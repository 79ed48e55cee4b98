//! A plugin component (world `nanoproc:plugin`, `wit/plugin.wit`) and core-module plugins
//! (the bytes ABI, docs/abi.md) driven by the same code: a granted host function, a config
//! value, a limit hit, and the plugin healthy afterwards.
//!
//! ```text
//! cargo run -p nanoproc --example plugin_component
//! ```
//!
//! The component is `examples/components/bin/count_vowels.wasm` (Rust; Python and JavaScript
//! builds of it behave the same, see examples/components/README.md); the core plugins are
//! `examples/plugins/bin/count_vowels.wasm` and `call_host.wasm`.

use nanoproc::plugin::{CallOptions, HostFunctions, Plugin};
use nanoproc::{Engine, Policy};
use std::path::Path;

fn main() -> nanoproc::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let engine = Engine::new()?;

    // The component serves every function from one file.
    let component = load(
        &engine,
        &root.join("examples/components/bin/count_vowels.wasm"),
    )?;
    println!(
        "component plugin {} (is_component: {}), functions {:?}",
        component.name(),
        component.is_component(),
        component.functions()
    );
    show(&component, &component)?;

    // The core-module plugins: the same builder, the same calls.
    let vowels = load(
        &engine,
        &root.join("examples/plugins/bin/count_vowels.wasm"),
    )?;
    let host = load(&engine, &root.join("examples/plugins/bin/call_host.wasm"))?;
    println!(
        "\ncore plugins {} and {} (is_component: {})",
        vowels.name(),
        host.name(),
        vowels.is_component()
    );
    show(&vowels, &host)
}

/// Builds a plugin from `path` whatever its kind: one host function, granted by the policy,
/// and one config value.
fn load(engine: &Engine, path: &Path) -> nanoproc::Result<Plugin> {
    let mut host = HostFunctions::new();
    host.register_text("host", "greet", |_ctx, name| Ok(format!("hello, {name}")));
    let mut policy = Policy::builder();
    policy.allow_host_fn("host::greet").max_memory(64 << 20);
    Plugin::builder(engine)
        .wasm_file(path)
        .policy(policy.build()?)
        .host_functions(host)
        .config("vowels", "aeiouy")
        .build()
}

/// The same calls on either kind of plugin.
fn show(vowels: &Plugin, host: &Plugin) -> nanoproc::Result<()> {
    // Config: `vowels` = "aeiouy" makes the two y's count.
    let out = vowels.call("count_vowels", b"Hey, you")?;
    println!(
        "  count_vowels(\"Hey, you\") = {}",
        String::from_utf8_lossy(&out)
    );

    // A host function, reachable because the policy grants `host::greet`.
    let out = host.call("call_host", b"world")?;
    println!(
        "  call_host(\"world\")       = {}",
        String::from_utf8_lossy(&out)
    );

    // A limit for this call only: 8 MiB of input does not fit a 4 MiB memory budget.
    let big = vec![b'a'; 8 << 20];
    let tight = CallOptions {
        max_memory: Some(4 << 20),
        ..Default::default()
    };
    match vowels.call_with("count_vowels", &big, &tight) {
        Err(e) => println!(
            "  count_vowels(8 MiB) with 4 MiB: {e} (exit code {})",
            e.exit_code()
        ),
        Ok(out) => println!("  count_vowels(8 MiB) with 4 MiB: unexpectedly fit: {out:?}"),
    }

    // The failed call took only its own sandbox with it.
    let out = vowels.call("count_vowels", b"still here")?;
    println!(
        "  count_vowels(\"still here\") = {}",
        String::from_utf8_lossy(&out)
    );
    Ok(())
}
