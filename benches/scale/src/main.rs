//! nanoproc-scale: exhaustion at scale. Three scenarios, each printing a Markdown table and
//! ending with the bounds it checked; the exit status is non-zero when any bound is exceeded
//! or any call gives the wrong result.
//!
//! ```text
//! nanoproc-scale concurrent --sandboxes 10000   # N live sandboxes at once, memory budget
//! nanoproc-scale cycles --count 1000000         # create/call/drop, RSS/fd/thread drift
//! nanoproc-scale flood --calls 200000 --threads 4   # good and failing calls mixed
//! nanoproc-scale all --quick                    # all three, small counts (≈10 s)
//! nanoproc-scale all --full                     # all three, the sizes in docs/PERFORMANCE.md
//! ```
//!
//! `scripts/scale.sh [--quick|--full]` builds it in release and runs `all`.

mod concurrent;
mod cycles;
mod flood;
mod procstat;
mod report;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::Command;

#[derive(Debug, Parser)]
#[command(name = "nanoproc-scale", about = "Exhaustion at scale: many sandboxes, long runs, floods of failing calls", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Scenario,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// Hold N live sandboxes at once, call each, drop them; check the memory per sandbox.
    Concurrent(concurrent::ConcurrentArgs),
    /// Create, call and drop a fresh sandbox N times; check RSS, fds and threads do not drift.
    Cycles(cycles::CyclesArgs),
    /// Interleave good and failing calls from several threads; check every outcome and that
    /// nothing stays behind.
    Flood(flood::FloodArgs),
    /// All three, each in a process of its own.
    All {
        /// Small counts: a smoke run for the test command (about 10 s).
        #[arg(long, conflicts_with = "full")]
        quick: bool,
        /// The full sizes: 10,000 sandboxes, 1,000,000 cycles, 1,000,000 flooding calls.
        #[arg(long)]
        full: bool,
    },
}

/// A file under the repository's `examples/`.
pub(crate) fn example(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(rel)
}

/// A path as printed: canonical when it exists (no `benches/scale/../..`).
pub(crate) fn shown(p: &std::path::Path) -> String {
    std::fs::canonicalize(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let ok = match cli.command {
        Scenario::Concurrent(a) => concurrent::run(&a)?,
        Scenario::Cycles(a) => cycles::run(&a)?,
        Scenario::Flood(a) => flood::run(&a)?,
        Scenario::All { quick, full } => {
            if !quick && !full {
                bail!("say which sizes: `all --quick` or `all --full`");
            }
            all(quick)?
        }
    };
    if !ok {
        eprintln!("nanoproc-scale: a bound was exceeded or a call went wrong (see above)");
        std::process::exit(1);
    }
    Ok(())
}

/// Runs each scenario in a child process (a clean baseline each); `false` if any failed.
fn all(quick: bool) -> Result<bool> {
    let runs: &[&str] = if quick {
        &[
            "concurrent --sandboxes 1000",
            "concurrent --sandboxes 1000 --allocator on-demand",
            "cycles --count 20000 --p1-count 1000",
            "cycles --count 5000 --p1-count 500 --allocator on-demand",
            "flood --calls 4000 --threads 2",
        ]
    } else {
        &[
            "concurrent --sandboxes 10000",
            "concurrent --sandboxes 10000 --allocator on-demand",
            "cycles --count 1000000",
            "cycles --count 200000 --p1-count 20000 --allocator on-demand",
            "flood --calls 1000000 --threads 4 --rounds 10",
        ]
    };
    let exe = std::env::current_exe().context("cannot find this program's path")?;
    let mut ok = true;
    for run in runs {
        eprintln!("==> nanoproc-scale {run}");
        let args: Vec<&str> = run.split_whitespace().collect();
        let started = std::time::Instant::now();
        let status = Command::new(&exe)
            .args(&args)
            .status()
            .with_context(|| format!("cannot run {}", exe.display()))?;
        eprintln!(
            "==> {} in {}",
            if status.success() { "passed" } else { "FAILED" },
            report::dur(started.elapsed())
        );
        ok &= status.success();
    }
    Ok(ok)
}
