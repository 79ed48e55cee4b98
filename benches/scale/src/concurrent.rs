//! `concurrent`: hold N live plugin sandboxes at once in one process, call each, drop them
//! all; twice, so a second round shows whether anything stays behind.

use crate::procstat::{Snapshot, reset_peak};
use crate::report::{Checks, kib, per_item, thousands};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use nanoproc::plugin::{Plugin, PluginInstance};
use nanoproc::{Engine, PoolingOptions};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Which instance allocator the engine uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Allocator {
    /// Wasmtime's pooling allocator, sized for all the sandboxes (`nanoproc::PoolingOptions`).
    Pooling,
    /// Memory mapped per instance when it is created, unmapped when it is dropped.
    OnDemand,
}

/// Flags of `concurrent`.
#[derive(Debug, Clone, Args)]
pub struct ConcurrentArgs {
    /// How many sandboxes are alive at once.
    #[arg(long, default_value_t = 10_000)]
    pub sandboxes: usize,
    /// The instance allocator.
    #[arg(long, value_enum, default_value_t = Allocator::Pooling)]
    pub allocator: Allocator,
    /// The memory budget: most RSS growth per live sandbox (after one call), in KiB.
    #[arg(long, default_value_t = 40)]
    pub budget_kib: u64,
    /// Create, call and drop all sandboxes this many times.
    #[arg(long, default_value_t = 2)]
    pub rounds: usize,
    /// The plugin (a core module with the bytes ABI exporting `echo`).
    #[arg(long, default_value_os_t = crate::example("plugins/bin/echo.wasm"))]
    pub plugin: PathBuf,
}

/// `pooling` or `on-demand`, as printed.
pub fn allocator_name(a: Allocator) -> &'static str {
    match a {
        Allocator::Pooling => "pooling",
        Allocator::OnDemand => "on-demand",
    }
}

struct Row {
    phase: String,
    time: Option<Duration>,
    snap: Snapshot,
}

/// Runs `concurrent`; `Ok(false)` when a bound was exceeded.
pub fn run(args: &ConcurrentArgs) -> Result<bool> {
    let n = args.sandboxes;
    anyhow::ensure!(n > 0, "--sandboxes must be at least 1");
    let mut engine = Engine::builder();
    engine.cache_dir(None).progress(false);
    if args.allocator == Allocator::Pooling {
        engine.pooling(Some(PoolingOptions {
            // The plugin's ABI check at build time takes one slot for a moment.
            total_instances: u32::try_from(n + 8).context("--sandboxes is too large")?,
            ..PoolingOptions::default()
        }));
    }
    let engine = engine.build()?;
    let plugin = Plugin::builder(&engine)
        .wasm_file(&args.plugin)
        .build()
        .with_context(|| format!("cannot load the plugin {}", args.plugin.display()))?;
    // Warm up: one sandbox created, called and dropped, so lazily made state exists.
    check_echo(&mut plugin.instance()?, usize::MAX)?;

    let mut rows = Vec::new();
    let mut live: Vec<PluginInstance> = Vec::with_capacity(n);
    let baseline = Snapshot::take()?;
    rows.push(Row {
        phase: "baseline (plugin loaded, 1 call done)".into(),
        time: None,
        snap: baseline,
    });
    let mut per_sandbox_kib = 0.0f64;
    let mut per_sandbox_created_kib = 0.0f64;
    let mut worst_create = Duration::ZERO;
    for round in 1..=args.rounds {
        reset_peak();
        let start = Instant::now();
        for i in 0..n {
            match plugin.instance() {
                Ok(s) => live.push(s),
                Err(e) => return creation_failed(&plugin, &mut live, i, &e),
            }
        }
        let t_create = start.elapsed();
        worst_create = worst_create.max(t_create);
        let created = Snapshot::take()?;
        let start = Instant::now();
        for (i, s) in live.iter_mut().enumerate() {
            check_echo(s, i)?;
        }
        let t_call = start.elapsed();
        let called = Snapshot::take()?;
        let start = Instant::now();
        live.clear();
        let t_drop = start.elapsed();
        let dropped = Snapshot::take()?;
        if round == 1 {
            // Later rounds reuse what the first one left resident (allocator, pool slots).
            per_sandbox_created_kib = per_item(created.rss_kib, baseline.rss_kib, n);
        }
        per_sandbox_kib = per_sandbox_kib.max(per_item(called.rss_kib, baseline.rss_kib, n));
        rows.push(Row {
            phase: format!("round {round}: {} sandboxes created", thousands(n as u64)),
            time: Some(t_create),
            snap: created,
        });
        rows.push(Row {
            phase: format!("round {round}: each called once (`echo`, output checked)"),
            time: Some(t_call),
            snap: called,
        });
        rows.push(Row {
            phase: format!("round {round}: all dropped"),
            time: Some(t_drop),
            snap: dropped,
        });
    }
    let last = rows.last().map(|r| r.snap).unwrap_or(baseline);
    let peak = rows.iter().map(|r| r.snap.hwm_kib).max().unwrap_or(0);

    println!(
        "### concurrent: {} live sandboxes in one process ({} allocator)\n",
        thousands(n as u64),
        allocator_name(args.allocator)
    );
    println!(
        "plugin `{}`, each sandbox a `PluginInstance` (its own store, instance and linear memory)\n",
        crate::shown(&args.plugin)
    );
    println!("| phase | time | RSS | RSS − baseline | fds | threads | maps |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.phase,
            r.time.map(crate::report::dur).unwrap_or_default(),
            kib(r.snap.rss_kib),
            crate::report::signed_kib(r.snap.rss_kib as i64 - baseline.rss_kib as i64),
            r.snap.fds,
            r.snap.threads,
            r.snap.maps
        );
    }
    println!();
    let mut checks = Checks::default();
    checks.line(
        format!(
            "RSS per live sandbox, created and not yet called: {per_sandbox_created_kib:.1} KiB"
        ),
        None,
    );
    checks.line(
        format!(
            "time to create {} sandboxes: {} ({:.1} µs each, slowest round)",
            thousands(n as u64),
            crate::report::dur(worst_create),
            worst_create.as_secs_f64() * 1e6 / n as f64
        ),
        None,
    );
    checks.line(format!("peak RSS (VmHWM): {}", kib(peak)), None);
    if let Some(max_maps) = crate::procstat::max_map_count() {
        let maps_each = rows[1].snap.maps.saturating_sub(baseline.maps) as f64 / n as f64;
        checks.line(
            format!(
                "memory mappings: {maps_each:.1} per live sandbox, {} before any (vm.max_map_count = {max_maps}): at most ≈{} live sandboxes per process",
                baseline.maps,
                if maps_each > 0.0 {
                    thousands((max_maps.saturating_sub(baseline.maps) as f64 / maps_each) as u64)
                } else {
                    String::from("?")
                }
            ),
            None,
        );
    }
    checks.line(
        format!(
            "RSS per live sandbox after one call: {per_sandbox_kib:.1} KiB (budget ≤ {} KiB)",
            args.budget_kib
        ),
        Some(per_sandbox_kib <= args.budget_kib as f64),
    );
    checks.line(
        format!(
            "after the last drop: {} fds and {} threads (baseline {} and {})",
            last.fds, last.threads, baseline.fds, baseline.threads
        ),
        Some(last.fds <= baseline.fds && last.threads <= baseline.threads),
    );
    if args.rounds >= 2 {
        let first_drop = rows[3].snap.rss_kib;
        let growth = last.rss_kib as i64 - first_drop as i64;
        checks.line(
            format!(
                "RSS after the last drop vs after the first: {} (bound ≤ 1% of the peak)",
                crate::report::signed_kib(growth)
            ),
            Some(growth <= (peak / 100) as i64),
        );
    }
    Ok(checks.print())
}

/// Sandbox `i` could not be created: report it, drop the others, and check that the process
/// recovers (a new sandbox works). Always a failed run.
fn creation_failed(
    plugin: &Plugin,
    live: &mut Vec<PluginInstance>,
    i: usize,
    e: &nanoproc::Error,
) -> Result<bool> {
    let at_failure = Snapshot::take()?;
    println!(
        "sandbox {} could not be created with {i} alive: {}: {}",
        i + 1,
        e.kind_name(),
        e.detail()
    );
    println!("at that point: {at_failure}");
    if let Some(max) = crate::procstat::max_map_count() {
        println!("vm.max_map_count = {max}");
    }
    live.clear();
    let recovered = check_echo(&mut plugin.instance()?, usize::MAX);
    println!(
        "after dropping them all: {}; a new sandbox {}",
        Snapshot::take()?,
        match &recovered {
            Ok(()) => String::from("works"),
            Err(e) => format!("fails too: {e:#}"),
        }
    );
    Ok(false)
}

/// Calls `echo` with an input unique to sandbox `i` and checks the output.
fn check_echo(s: &mut PluginInstance, i: usize) -> Result<()> {
    let input = format!("sandbox {i}");
    let out = s
        .call("echo", input.as_bytes())
        .with_context(|| format!("sandbox {i}: `echo` failed"))?;
    anyhow::ensure!(
        out == input.as_bytes(),
        "sandbox {i}: `echo` returned {:?}, not its input",
        String::from_utf8_lossy(&out)
    );
    Ok(())
}
