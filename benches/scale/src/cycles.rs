//! `cycles`: create, call and drop a fresh sandbox over and over, reading what the process
//! holds along the way; anything a sandbox leaves behind shows up as drift.

use crate::concurrent::Allocator;
use crate::procstat::Snapshot;
use crate::report::{Checks, dur, kib, signed_kib, thousands};
use anyhow::{Context, Result, ensure};
use clap::Args;
use nanoproc::plugin::Plugin;
use nanoproc::policy::OutputMode;
use nanoproc::{Engine, Policy, PoolingOptions, Prepared, Status, loader};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Flags of `cycles`.
#[derive(Debug, Clone, Args)]
pub struct CyclesArgs {
    /// Plugin cycles: `Plugin::call` (a fresh sandbox each) of `echo`, output checked.
    #[arg(long, default_value_t = 1_000_000)]
    pub count: u64,
    /// WASI program cycles: `Prepared::run` of a hello-world program, output checked
    /// (default: a twentieth of --count).
    #[arg(long)]
    pub p1_count: Option<u64>,
    /// Readings taken along each run (after 1/N of the cycles, 2/N, …).
    #[arg(long, default_value_t = 10)]
    pub samples: u64,
    /// The most RSS may grow between the first reading and the last, in KiB.
    #[arg(long, default_value_t = 1024)]
    pub max_drift_kib: u64,
    /// The instance allocator.
    #[arg(long, value_enum, default_value_t = Allocator::Pooling)]
    pub allocator: Allocator,
    /// The plugin (exports `echo`).
    #[arg(long, default_value_os_t = crate::example("plugins/bin/echo.wasm"))]
    pub plugin: PathBuf,
    /// The WASI preview 1 program (prints `hello from a nano-process`).
    #[arg(long, default_value_os_t = crate::example("guests/bin/hello.wasm"))]
    pub program: PathBuf,
}

struct Sample {
    done: u64,
    elapsed: Duration,
    snap: Snapshot,
}

/// Runs `cycles`; `Ok(false)` when a bound was exceeded.
pub fn run(args: &CyclesArgs) -> Result<bool> {
    ensure!(args.samples >= 2, "--samples must be at least 2");
    let mut engine = Engine::builder();
    engine.cache_dir(None).progress(false);
    if args.allocator == Allocator::Pooling {
        engine.pooling(Some(PoolingOptions::default()));
    }
    let engine = engine.build()?;
    let allocator = crate::concurrent::allocator_name(args.allocator);
    let mut ok = true;

    let plugin = Plugin::builder(&engine)
        .wasm_file(&args.plugin)
        .build()
        .with_context(|| format!("cannot load the plugin {}", args.plugin.display()))?;
    let mut input = Vec::with_capacity(32);
    ok &= workload(
        &format!(
            "plugin: `Plugin::call(\"echo\")`, a fresh sandbox per call ({allocator} allocator)"
        ),
        args,
        args.count,
        |i| {
            input.clear();
            input.extend_from_slice(format!("cycle {i}").as_bytes());
            let out = plugin
                .call("echo", &input)
                .with_context(|| format!("cycle {i}: `echo` failed"))?;
            ensure!(
                out == input,
                "cycle {i}: `echo` returned {:?}, not its input",
                String::from_utf8_lossy(&out)
            );
            Ok(())
        },
    )?;
    drop(plugin);

    let p1_count = args.p1_count.unwrap_or(args.count / 20);
    if p1_count > 0 {
        let loaded = loader::load_file(&engine, &args.program)
            .with_context(|| format!("cannot load {}", args.program.display()))?;
        let mut policy = Policy::builder();
        policy
            .stdout(OutputMode::Capture)
            .stderr(OutputMode::Capture);
        let prepared = Prepared::new(&engine, &loaded, policy.build()?)?;
        ok &= workload(
            &format!(
                "WASI preview 1 program: `Prepared::run` of hello.wasm: WASI context, Tokio runtime, store, `_start` ({allocator} allocator)"
            ),
            args,
            p1_count,
            |i| {
                let outcome = prepared.run(Vec::new())?;
                ensure!(
                    outcome.exit_code() == 0 && outcome.stdout == b"hello from a nano-process\n",
                    "cycle {i}: the program ended with {} and printed {:?}",
                    match &outcome.status {
                        Status::Exited(code) => format!("exit status {code}"),
                        Status::Stopped(e) => format!("{}: {}", e.kind_name(), e.detail()),
                    },
                    String::from_utf8_lossy(&outcome.stdout)
                );
                Ok(())
            },
        )?;
    }
    Ok(ok)
}

/// Runs `count` cycles of `cycle` after a warm-up of 1 %, with `args.samples` readings.
fn workload(
    title: &str,
    args: &CyclesArgs,
    count: u64,
    mut cycle: impl FnMut(u64) -> Result<()>,
) -> Result<bool> {
    ensure!(count >= args.samples, "fewer cycles than --samples");
    let before = Snapshot::take()?;
    let warmup = (count / 100).max(100);
    for i in 0..warmup {
        cycle(i)?;
    }
    let warm = Snapshot::take()?;
    let mut samples = Vec::with_capacity(args.samples as usize);
    let start = Instant::now();
    let mut next = 1;
    for i in 0..count {
        cycle(warmup + i)?;
        if i + 1 == count * next / args.samples {
            samples.push(Sample {
                done: i + 1,
                elapsed: start.elapsed(),
                snap: Snapshot::take()?,
            });
            next += 1;
        }
    }
    let total = start.elapsed();

    println!("### cycles: {title}\n");
    println!(
        "{} cycles after a warm-up of {}; before the warm-up: {}; after it: {}\n",
        thousands(count),
        thousands(warmup),
        before,
        warm
    );
    println!("| cycles done | elapsed | RSS | RSS − first reading | fds | threads | maps |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let first = samples[0].snap;
    for s in &samples {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            thousands(s.done),
            dur(s.elapsed),
            kib(s.snap.rss_kib),
            signed_kib(s.snap.rss_kib as i64 - first.rss_kib as i64),
            s.snap.fds,
            s.snap.threads,
            s.snap.maps
        );
    }
    println!();
    let last = samples[samples.len() - 1].snap;
    let drift = last.rss_kib as i64 - first.rss_kib as i64;
    let max = samples.iter().map(|s| s.snap.rss_kib).max().unwrap_or(0);
    let min = samples.iter().map(|s| s.snap.rss_kib).min().unwrap_or(0);
    let mut checks = Checks::default();
    checks.line(
        format!(
            "{:.0} cycles/s ({:.2} µs per cycle)",
            count as f64 / total.as_secs_f64(),
            total.as_secs_f64() * 1e6 / count as f64
        ),
        None,
    );
    checks.line(
        format!(
            "RSS drift from the first reading ({} cycles) to the last: {} (bound ≤ {} KiB); spread over all readings {}",
            thousands(samples[0].done),
            signed_kib(drift),
            args.max_drift_kib,
            kib(max - min)
        ),
        Some(drift <= args.max_drift_kib as i64 && max - min <= args.max_drift_kib),
    );
    checks.line(
        format!(
            "fds {} → {}, threads {} → {}, maps {} → {} (must not grow)",
            first.fds, last.fds, first.threads, last.threads, first.maps, last.maps
        ),
        Some(last.fds <= first.fds && last.threads <= first.threads && last.maps <= first.maps),
    );
    Ok(checks.print())
}
