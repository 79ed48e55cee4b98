//! `flood`: several threads share one engine and two plugins and interleave good calls
//! (outputs checked) with calls that fail in every way a guest can make them fail. Every good
//! call must succeed, every failing call must fail with its own error kind, and afterwards
//! the process must hold what it held before.

use crate::procstat::Snapshot;
use crate::report::{Checks, dur, kib, signed_kib, thousands};
use anyhow::{Context, Result, ensure};
use clap::Args;
use nanoproc::plugin::{CallOptions, HostFunctions, Plugin};
use nanoproc::{Engine, Error, LimitKind, Policy, PoolingOptions};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Flags of `flood`.
#[derive(Debug, Clone, Args)]
pub struct FloodArgs {
    /// Calls in all (after a warm-up of 5 % more).
    #[arg(long, default_value_t = 200_000)]
    pub calls: u64,
    /// Threads calling at once, all sharing the same `Plugin`s.
    #[arg(long, default_value_t = 4)]
    pub threads: usize,
    /// The flood runs in this many rounds, with a reading after each.
    #[arg(long, default_value_t = 4)]
    pub rounds: u64,
    /// The most RSS may grow from after the warm-up to after the flood, in KiB. Each plugin
    /// keeps its first 10,000 audit events (`nanoproc::audit::MAX_KEPT_EVENTS`), up to
    /// ≈4 MiB each; two plugins here.
    #[arg(long, default_value_t = 12 * 1024)]
    pub max_growth_kib: u64,
    /// The most RSS may grow during the last round, in KiB: memory that keeps growing once
    /// the bounded caches are full is a leak.
    #[arg(long, default_value_t = 1024)]
    pub max_last_round_kib: u64,
    /// Seed of the (deterministic) choice of calls.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The well-behaved plugin (examples/plugins/rust/echo: `echo`, `fail`, `trap`, `spin`,
    /// `grow`).
    #[arg(long, default_value_os_t = crate::example("plugins/bin/echo.wasm"))]
    pub plugin: PathBuf,
}

/// The hostile plugin: see the table at its top.
const HOSTILE_WAT: &str = include_str!("hostile.wat");

/// A deliberate host-function panic; the panic hook keeps these quiet.
const DELIBERATE_PANIC: &str = "nanoproc-scale: deliberate host function panic";

/// One kind of call, with its weight in the mix and the outcome it must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Echo,
    HostileEcho,
    HostOk,
    Trap,
    GuestFail,
    Timeout,
    Fuel,
    Memory,
    BadOutput,
    BadFailMessage,
    BadAlloc,
    StackOverflow,
    NoSuchFunction,
    HostError,
    HostPanic,
}

const KINDS: [(Kind, u32, &str); 15] = [
    (Kind::Echo, 300, "good: `echo` (Rust PDK plugin), 0-64 KiB"),
    (Kind::HostileEcho, 100, "good: `echo` (hostile plugin)"),
    (Kind::HostOk, 100, "good: `call_host` → host function"),
    (Kind::Trap, 40, "trap: `unreachable`"),
    (Kind::GuestFail, 40, "guest `fail()`"),
    (Kind::Timeout, 2, "timeout: `spin`, 10 ms"),
    (Kind::Fuel, 40, "fuel exhausted: `spin`, 100k fuel"),
    (Kind::Memory, 30, "memory limit: `grow`, 4 MiB"),
    (Kind::BadOutput, 40, "ABI: output pointer out of bounds"),
    (
        Kind::BadFailMessage,
        40,
        "ABI: `fail` message pointer out of bounds",
    ),
    (Kind::BadAlloc, 30, "ABI: `nanoproc_alloc` out of bounds"),
    (Kind::StackOverflow, 30, "trap: stack overflow"),
    (Kind::NoSuchFunction, 40, "ABI: no such function"),
    (Kind::HostError, 40, "host function returns an error"),
    (Kind::HostPanic, 30, "host function panics"),
];

impl Kind {
    fn index(self) -> usize {
        KINDS.iter().position(|(k, _, _)| *k == self).unwrap_or(0)
    }
    fn good(self) -> bool {
        matches!(self, Kind::Echo | Kind::HostileEcho | Kind::HostOk)
    }
}

/// Per-kind tallies of one thread.
#[derive(Clone, Default)]
struct Tally {
    right: [u64; KINDS.len()],
    wrong: [u64; KINDS.len()],
    time: [Duration; KINDS.len()],
    reused: u64,
    first_wrong: Vec<String>,
}

impl Tally {
    fn merge(&mut self, o: &Tally) {
        for i in 0..KINDS.len() {
            self.right[i] += o.right[i];
            self.wrong[i] += o.wrong[i];
            self.time[i] += o.time[i];
        }
        self.reused += o.reused;
        for w in &o.first_wrong {
            if self.first_wrong.len() < 10 {
                self.first_wrong.push(w.clone());
            }
        }
    }
}

/// xorshift64*: a small deterministic generator, so a run can be repeated exactly.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Plugins {
    echo: Plugin,
    hostile: Plugin,
}

/// Runs `flood`; `Ok(false)` when a bound was exceeded.
pub fn run(args: &FloodArgs) -> Result<bool> {
    ensure!(args.threads > 0, "--threads must be at least 1");
    ensure!(
        args.rounds > 0 && args.calls >= args.rounds,
        "--rounds must be at least 1 and at most --calls"
    );
    quiet_deliberate_panics();
    let mut engine = Engine::builder();
    engine
        .cache_dir(None)
        .progress(false)
        .fuel(true)
        .pooling(Some(PoolingOptions::default()));
    let engine = engine.build()?;
    let echo = Plugin::builder(&engine)
        .wasm_file(&args.plugin)
        .build()
        .with_context(|| format!("cannot load the plugin {}", args.plugin.display()))?;
    let mut host = HostFunctions::new();
    host.register("host", "work", |_ctx, input| {
        if input.starts_with(b"err") {
            Err(format!("refusing input of {} bytes", input.len()))
        } else if input.starts_with(b"panic") {
            panic!("{DELIBERATE_PANIC}")
        } else {
            Ok(input.iter().rev().copied().collect())
        }
    });
    let mut policy = Policy::builder();
    policy.allow_host_fn("host::work");
    let hostile = Plugin::builder(&engine)
        .wasm_bytes(HOSTILE_WAT)
        .name("hostile")
        .policy(policy.build()?)
        .host_functions(host)
        .build()
        .context("cannot load the hostile plugin")?;
    let plugins = Plugins { echo, hostile };

    let before = Snapshot::take()?;
    let warmup = (args.calls / 20).max(500);
    let (_, warm_tally) = flood(&plugins, args, warmup, args.seed.wrapping_add(1))?;
    let baseline = Snapshot::take()?;
    let mut tally = Tally::default();
    let mut elapsed = Duration::ZERO;
    let mut readings = Vec::new();
    for round in 0..args.rounds {
        let calls = args.calls / args.rounds + u64::from(round < args.calls % args.rounds);
        let seed = args.seed.wrapping_add(round.wrapping_mul(1 << 32));
        let (t, round_tally) = flood(&plugins, args, calls, seed)?;
        elapsed += t;
        tally.merge(&round_tally);
        readings.push((
            format!("after round {} ({} calls)", round + 1, thousands(calls)),
            Snapshot::take()?,
        ));
    }
    let after = readings.last().map(|r| r.1).unwrap_or(baseline);
    let before_last = readings
        .len()
        .checked_sub(2)
        .map(|i| readings[i].1)
        .unwrap_or(baseline);

    println!(
        "### flood: {} calls from {} threads sharing one engine and two plugins\n",
        thousands(args.calls),
        args.threads
    );
    println!(
        "Plugins `{}` and `hostile` (benches/scale/src/hostile.wat), on an engine with the \
         pooling allocator and fuel metering. Every call is a fresh sandbox \
         (`Plugin::call_with`) or, for a third of them, the calling thread's reused \
         `PluginInstance` ({} calls); after a warm-up of {} calls.\n",
        crate::shown(&args.plugin),
        thousands(tally.reused),
        thousands(warmup)
    );
    println!("| call | expected | calls | as expected | wrong | mean time |");
    println!("|---|---|---:|---:|---:|---:|");
    let mut good = (0u64, 0u64);
    let mut bad = (0u64, 0u64);
    for (i, (kind, _, what)) in KINDS.iter().enumerate() {
        let n = tally.right[i] + tally.wrong[i];
        let expected = expectation(*kind);
        println!(
            "| {what} | {expected} | {} | {} | {} | {} |",
            thousands(n),
            thousands(tally.right[i]),
            tally.wrong[i],
            if n == 0 {
                String::from("—")
            } else {
                dur(tally.time[i].div_f64(n as f64))
            }
        );
        let acc = if kind.good() { &mut good } else { &mut bad };
        acc.0 += tally.right[i];
        acc.1 += tally.wrong[i];
    }
    println!();
    println!("| reading | RSS | fds | threads | maps |");
    println!("|---|---:|---:|---:|---:|");
    let mut all = vec![
        (String::from("plugins loaded"), before),
        (String::from("after the warm-up (baseline)"), baseline),
    ];
    all.extend(readings);
    for (what, s) in all {
        println!(
            "| {what} | {} | {} | {} | {} |",
            kib(s.rss_kib),
            s.fds,
            s.threads,
            s.maps
        );
    }
    println!();
    for w in tally
        .first_wrong
        .iter()
        .chain(&warm_tally.first_wrong)
        .take(10)
    {
        println!("- wrong: {w}");
    }
    let growth = after.rss_kib as i64 - baseline.rss_kib as i64;
    let mut checks = Checks::default();
    checks.line(
        format!(
            "{:.0} calls/s over {}",
            args.calls as f64 / elapsed.as_secs_f64(),
            dur(elapsed)
        ),
        None,
    );
    checks.line(
        format!("good calls: {} right, {} wrong", thousands(good.0), good.1),
        Some(good.1 == 0 && good.0 > 0),
    );
    checks.line(
        format!(
            "failing calls: {} with the expected error, {} not",
            thousands(bad.0),
            bad.1
        ),
        Some(bad.1 == 0 && bad.0 > 0),
    );
    let warm_wrong: u64 = warm_tally.wrong.iter().sum();
    checks.line(
        format!("warm-up: {warm_wrong} calls with the wrong outcome"),
        Some(warm_wrong == 0),
    );
    checks.line(
        format!(
            "RSS after the flood vs the baseline: {} (bound ≤ {} KiB)",
            signed_kib(growth),
            args.max_growth_kib
        ),
        Some(growth <= args.max_growth_kib as i64),
    );
    let last = after.rss_kib as i64 - before_last.rss_kib as i64;
    checks.line(
        format!(
            "RSS growth during the last round: {} (bound ≤ {} KiB)",
            signed_kib(last),
            args.max_last_round_kib
        ),
        Some(last <= args.max_last_round_kib as i64),
    );
    checks.line(
        format!(
            "fds {} → {}, threads {} → {} (must not grow)",
            baseline.fds, after.fds, baseline.threads, after.threads
        ),
        Some(after.fds <= baseline.fds && after.threads <= baseline.threads),
    );
    Ok(checks.print())
}

/// `calls` calls spread over `args.threads` threads; the time they took and their tallies.
fn flood(plugins: &Plugins, args: &FloodArgs, calls: u64, seed: u64) -> Result<(Duration, Tally)> {
    let threads = args.threads as u64;
    let start = Instant::now();
    let results: Vec<Result<Tally>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let n = calls / threads + u64::from(t < calls % threads);
                s.spawn(move || worker(plugins, n, seed.wrapping_mul(1000).wrapping_add(t)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a flood thread panicked")))
            })
            .collect()
    });
    let elapsed = start.elapsed();
    let mut total = Tally::default();
    for r in results {
        total.merge(&r?);
    }
    Ok((elapsed, total))
}

fn worker(plugins: &Plugins, calls: u64, seed: u64) -> Result<Tally> {
    let mut rng = Rng::new(seed);
    let weights: u64 = KINDS.iter().map(|(_, w, _)| u64::from(*w)).sum();
    let mut echo_instance = plugins.echo.instance()?;
    let mut hostile_instance = plugins.hostile.instance()?;
    let mut tally = Tally::default();
    for i in 0..calls {
        let mut pick = rng.below(weights);
        let mut kind = Kind::Echo;
        for (k, w, _) in KINDS {
            if pick < u64::from(w) {
                kind = k;
                break;
            }
            pick -= u64::from(w);
        }
        let reuse = rng.below(3) == 0;
        let input = input_for(kind, &mut rng, i);
        let (plugin, instance) = match kind {
            Kind::Echo
            | Kind::Trap
            | Kind::GuestFail
            | Kind::Timeout
            | Kind::Fuel
            | Kind::Memory
            | Kind::NoSuchFunction => (&plugins.echo, &mut echo_instance),
            _ => (&plugins.hostile, &mut hostile_instance),
        };
        let (function, options) = call_for(kind);
        let start = Instant::now();
        let result = if reuse {
            tally.reused += 1;
            instance.call_with(function, &input, &options)
        } else {
            plugin.call_with(function, &input, &options)
        };
        let idx = kind.index();
        tally.time[idx] += start.elapsed();
        match check(kind, &input, result) {
            Ok(()) => tally.right[idx] += 1,
            Err(why) => {
                tally.wrong[idx] += 1;
                if tally.first_wrong.len() < 10 {
                    tally.first_wrong.push(format!(
                        "{kind:?} ({}): {why}",
                        if reuse { "reused" } else { "fresh" }
                    ));
                }
            }
        }
    }
    Ok(tally)
}

/// What each kind of call must give.
fn expectation(kind: Kind) -> &'static str {
    match kind {
        Kind::Echo | Kind::HostileEcho => "its input back",
        Kind::HostOk => "the host's output",
        Kind::Trap => "`Trap` `unreachable_code_reached`",
        Kind::StackOverflow => "`Trap` `stack_overflow`",
        Kind::GuestFail => "`Guest`",
        Kind::Timeout => "`LimitExceeded` timeout",
        Kind::Fuel => "`LimitExceeded` fuel",
        Kind::Memory => "`LimitExceeded` memory",
        Kind::BadOutput | Kind::BadFailMessage | Kind::BadAlloc | Kind::NoSuchFunction => {
            "`AbiViolation`"
        }
        Kind::HostError | Kind::HostPanic => "`HostFunction`",
    }
}

fn input_for(kind: Kind, rng: &mut Rng, i: u64) -> Vec<u8> {
    match kind {
        Kind::Echo => {
            // Mostly small inputs, now and then up to 64 KiB.
            let len = if rng.below(50) == 0 {
                rng.below(64 << 10) as usize
            } else {
                rng.below(256) as usize
            };
            let mut v = Vec::with_capacity(len);
            while v.len() < len {
                v.extend_from_slice(&rng.next().to_le_bytes());
            }
            v.truncate(len);
            v
        }
        Kind::HostileEcho => format!("hostile echo {i}").into_bytes(),
        Kind::HostOk => format!("ok {i}").into_bytes(),
        Kind::BadAlloc => vec![b'x'; 7777],
        Kind::HostError => format!("err {i}").into_bytes(),
        Kind::HostPanic => b"panic".to_vec(),
        _ => format!("call {i}").into_bytes(),
    }
}

fn call_for(kind: Kind) -> (&'static str, CallOptions) {
    let none = CallOptions::default();
    match kind {
        Kind::Echo | Kind::HostileEcho | Kind::BadAlloc => ("echo", none),
        Kind::HostOk | Kind::HostError | Kind::HostPanic => ("call_host", none),
        Kind::Trap => ("trap", none),
        Kind::GuestFail => ("fail", none),
        Kind::Timeout => (
            "spin",
            CallOptions {
                timeout: Some(Duration::from_millis(10)),
                ..none
            },
        ),
        Kind::Fuel => (
            "spin",
            CallOptions {
                fuel: Some(100_000),
                ..none
            },
        ),
        Kind::Memory => (
            "grow",
            CallOptions {
                max_memory: Some(4 << 20),
                ..none
            },
        ),
        Kind::BadOutput => ("bad_output", none),
        Kind::BadFailMessage => ("bad_fail", none),
        Kind::StackOverflow => ("recurse", none),
        Kind::NoSuchFunction => ("no_such_function", none),
    }
}

/// `Ok` when the call came out as `kind` must; otherwise what happened instead.
fn check(kind: Kind, input: &[u8], result: nanoproc::Result<Vec<u8>>) -> Result<(), String> {
    let describe = |r: &nanoproc::Result<Vec<u8>>| match r {
        Ok(out) => format!("returned {} bytes", out.len()),
        Err(e) => {
            let mut s = format!("{} ({e:?})", e.kind_name());
            if let Some((cut, _)) = s.char_indices().nth(300) {
                s.truncate(cut);
                s.push('…');
            }
            s
        }
    };
    let ok = match (&kind, &result) {
        (Kind::Echo | Kind::HostileEcho, Ok(out)) => out == input,
        (Kind::HostOk, Ok(out)) => out.iter().eq(input.iter().rev()),
        (Kind::Trap, Err(Error::Trap(t))) => t.code == "unreachable_code_reached",
        (Kind::StackOverflow, Err(Error::Trap(t))) => t.code == "stack_overflow",
        (Kind::GuestFail, Err(Error::Guest(m))) => m == "failing on purpose",
        (Kind::Timeout, Err(Error::LimitExceeded { kind, .. })) => *kind == LimitKind::Timeout,
        (Kind::Fuel, Err(Error::LimitExceeded { kind, .. })) => *kind == LimitKind::Fuel,
        (Kind::Memory, Err(Error::LimitExceeded { kind, .. })) => *kind == LimitKind::Memory,
        (Kind::BadOutput, Err(Error::AbiViolation(m))) => m.contains("the function's output"),
        (Kind::BadFailMessage, Err(Error::AbiViolation(m))) => m.contains("nanoproc::fail message"),
        (Kind::BadAlloc, Err(Error::AbiViolation(m))) => m.contains("nanoproc_alloc result"),
        (Kind::NoSuchFunction, Err(Error::AbiViolation(m))) => m.contains("has no function"),
        (Kind::HostError, Err(Error::HostFunction { name, message })) => {
            name == "host::work" && message.starts_with("refusing input")
        }
        (Kind::HostPanic, Err(Error::HostFunction { name, message })) => {
            name == "host::work" && message.contains(DELIBERATE_PANIC)
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected {}, {}",
            expectation(kind),
            describe(&result)
        ))
    }
}

/// Host-function panics are part of the flood; the default hook would print each one.
fn quiet_deliberate_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied());
        if msg != Some(DELIBERATE_PANIC) {
            default(info);
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_in_the_mix_once() {
        for (i, (k, w, _)) in KINDS.iter().enumerate() {
            assert_eq!(k.index(), i);
            assert!(*w > 0);
        }
    }

    #[test]
    fn a_wrong_outcome_is_caught() {
        assert!(check(Kind::Echo, b"abc", Ok(b"abc".to_vec())).is_ok());
        assert!(check(Kind::Echo, b"abc", Ok(b"abd".to_vec())).is_err());
        assert!(check(Kind::Trap, b"", Ok(Vec::new())).is_err());
        assert!(check(Kind::Fuel, b"", Err(Error::Cancelled)).is_err());
        let timeout = Error::LimitExceeded {
            kind: LimitKind::Timeout,
            detail: String::new(),
        };
        assert!(check(Kind::Fuel, b"", Err(timeout)).is_err());
    }
}
