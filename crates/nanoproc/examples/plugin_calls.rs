//! Call a plugin three ways — fresh sandbox per call, reused instance, many threads — and
//! print what each costs.
//!
//! ```text
//! cargo run --release -p nanoproc --example plugin_calls
//! ```
//!
//! For the full comparison with Extism and raw Wasmtime, see `benches/plugins`.

use nanoproc::plugin::Plugin;
use nanoproc::{Engine, PoolingOptions};
use std::time::Instant;

fn main() -> nanoproc::Result<()> {
    let plugins =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/plugins/bin");
    let engine = Engine::builder()
        .pooling(Some(PoolingOptions::default()))
        .build()?;
    let plugin = Plugin::builder(&engine)
        .wasm_file(plugins.join("echo.wasm"))
        .build()?;

    let n = 100_000;
    let t = Instant::now();
    for _ in 0..n {
        plugin.call("noop", b"")?;
    }
    println!(
        "fresh sandbox + no-op call: {:>8.0} ns",
        t.elapsed().as_nanos() as f64 / n as f64
    );

    let mut instance = plugin.instance()?;
    let n = 1_000_000;
    let t = Instant::now();
    for _ in 0..n {
        instance.call("noop", b"")?;
    }
    println!(
        "warm no-op call:            {:>8.0} ns",
        t.elapsed().as_nanos() as f64 / n as f64
    );

    let input = vec![7u8; 1 << 20];
    let n = 200;
    let t = Instant::now();
    for _ in 0..n {
        let out = instance.call("echo", &input)?;
        assert_eq!(out.len(), input.len());
    }
    println!(
        "warm echo of 1 MiB:         {:>8.0} ns",
        t.elapsed().as_nanos() as f64 / n as f64
    );
    Ok(())
}
