//! The Rust API's side of the SDK overhead benchmark (`benches/sdk/run.sh`): the four calls
//! every SDK bench measures, on `examples/plugins/bin/echo.wasm` with a pooling engine, printed
//! as `RESULT rust <case> <median_ns> <p99_ns>` lines for the runner to put side by side.
//!
//! Method (the same in every language's bench): calls are timed in batches lasting at least
//! ~1 ms; the per-call time of each batch is one sample; median and p99 of the samples.

use nanoproc::plugin::Plugin;
use nanoproc::{EngineBuilder, PoolingOptions};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Samples per case.
const SAMPLES: usize = 200;
/// The shortest batch.
const MIN_BATCH: Duration = Duration::from_millis(1);

fn measure(mut call: impl FnMut()) -> (f64, f64) {
    // Warm up, and size the batch so one lasts at least MIN_BATCH.
    let mut n = 1usize;
    loop {
        let t = Instant::now();
        for _ in 0..n {
            call();
        }
        if t.elapsed() >= MIN_BATCH {
            break;
        }
        n *= 2;
    }
    let mut per_call: Vec<f64> = (0..SAMPLES)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                call();
            }
            t.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    per_call.sort_by(f64::total_cmp);
    let at = |q: f64| per_call[((per_call.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let wasm = root.join("examples/plugins/bin/echo.wasm");
    let engine = EngineBuilder::new()
        .pooling(Some(PoolingOptions::default()))
        .progress(false)
        .build()?;
    let plugin = Plugin::builder(&engine).wasm_file(&wasm).build()?;
    let input = vec![b'x'; 64 << 10];
    // Correctness first: every contender must give the same bytes.
    assert_eq!(plugin.call("echo", &input)?, input);
    assert!(plugin.call("noop", b"")?.is_empty());

    let mut instance = plugin.instance()?;
    let mut results = Vec::new();
    results.push((
        "warm_noop",
        measure(|| {
            black_box(instance.call("noop", b"").expect("noop"));
        }),
    ));
    results.push((
        "warm_echo_64k",
        measure(|| {
            black_box(instance.call("echo", &input).expect("echo"));
        }),
    ));
    results.push((
        "fresh_noop",
        measure(|| {
            black_box(plugin.call("noop", b"").expect("noop"));
        }),
    ));
    results.push((
        "fresh_echo_64k",
        measure(|| {
            black_box(plugin.call("echo", &input).expect("echo"));
        }),
    ));
    for (case, (median, p99)) in results {
        println!("RESULT rust {case} {median:.0} {p99:.0}");
    }
    Ok(())
}
