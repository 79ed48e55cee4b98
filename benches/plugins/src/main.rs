//! Plugin calls, side by side: nanoproc vs Extism vs a minimal raw Wasmtime host (the floor:
//! what the bare engine costs for the same work) vs spawning a process.
//!
//! Run it with `bash benches/plugins/run.sh [--quick] [--cycles N] ...`; it prints Markdown
//! on stdout and progress on stderr. See `--help`.

mod components;
mod hosts;
mod measure;

use anyhow::{Context, Result, anyhow, bail, ensure};
use hosts::{Guests, RawPlugin, W};
use measure::{Runner, Stats, interleaved, rss_kib, throughput};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const HELP: &str = "\
nanoproc-plugins-bench: nanoproc vs Extism vs raw Wasmtime vs process spawn, one run.

USAGE: nanoproc-plugins-bench [FLAGS]

  --quick                 small counts (a smoke run, well under a minute)
  --cycles N              create+call+drop cycles for the RSS drift of nanoproc and raw
                          Wasmtime (default 1000000; --quick: 20000)
  --extism-cycles N       the same for Extism, which is ~20x slower per cycle
                          (default 100000; --quick: 2000)
  --sandboxes N           live sandboxes for the RSS-per-sandbox rows (default 1000)
  --rounds N              samples per contender in the latency rows (default 3000; --quick 150)
  --seconds S             seconds per throughput measurement (default 1; --quick 0.15)
  --echo PATH             examples/plugins/bin/echo.wasm
  --count-vowels PATH     examples/plugins/bin/count_vowels.wasm
  --extism-guest PATH     the Extism guest (benches/plugins/extism-guest, built by run.sh)
  --component-count-vowels PATH   examples/components/bin/count_vowels.wasm (typed twin)
  --component-types PATH  examples/components/bin/types.wasm (dynamic Component::call)
  --count-vowels-py PATH, --count-vowels-js PATH
                          the Python / JavaScript count_vowels components (run.sh passes what
                          `examples/components/build.sh --large` prints); group 10 leaves out
                          the ones not given
  --guest-rounds N        samples per guest in group 10's latency rows (default 40; --quick 5)
  --guest-compiles N      compiles with an empty cache per guest in group 10 (default 3;
                          --quick 1; 0 skips the row)
  --guest-creates N       builds from a warm cache per guest in group 10 (default 20; --quick 3)
  --guest-instances N     live instances of an interpreter guest for its RSS row (default 20;
                          --quick 4; the Rust guests get --sandboxes / 5)
  --only LIST             run only these measurement groups, e.g. --only 1,6 (1-3 warm calls,
                          4 fresh, 5 creation, 6 throughput, 7 RSS, 8 drift, 9 typed component
                          vs bytes ABI vs Extism, 10 interpreter-embedding guests)
  --out FILE              also write the Markdown report to FILE
  --rustc TEXT, --source-rev TEXT, --date TEXT   facts to print in the report

Profiling aid: --child profile --who W --cycles N [--threads T] runs one contender in a plain
loop (for valgrind --tool=callgrind, strace -c, perf stat) and prints ns per call. W is one of
nanoproc-fresh, raw-fresh, raw-default-fresh, nanoproc-warm, raw-warm, extism-warm,
extism-fresh, nanoproc-create, raw-create, raw-fresh-slots (slot per thread + time per phase),
raw-fresh-own-engine (an Engine per thread). Needs --extism-guest like the bench itself.
";

#[derive(Clone, Debug)]
struct Args {
    quick: bool,
    cycles: u64,
    extism_cycles: u64,
    sandboxes: usize,
    rounds: usize,
    seconds: f64,
    guests: Guests,
    out: Option<PathBuf>,
    rustc: String,
    source_rev: String,
    date: String,
    child: Option<String>,
    who: String,
    threads: usize,
    /// Which measurement groups to run (1-10); empty: all.
    only: Vec<u32>,
    /// The component guests of groups 9 and 10.
    comps: components::Paths,
    /// Group 10's sample counts (0: the default for the mode).
    guest_rounds: usize,
    guest_compiles: Option<usize>,
    guest_creates: usize,
    guest_instances: usize,
}

fn parse_args() -> Result<Args> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = manifest.join("../../examples/plugins/bin");
    let mut a = Args {
        quick: false,
        cycles: 0,
        extism_cycles: 0,
        sandboxes: 1000,
        rounds: 0,
        seconds: 0.0,
        guests: Guests {
            echo: bin.join("echo.wasm"),
            count_vowels: bin.join("count_vowels.wasm"),
            extism: PathBuf::new(),
        },
        out: None,
        rustc: String::from("unknown"),
        source_rev: String::from("unknown"),
        date: String::from("unknown"),
        child: None,
        who: String::new(),
        threads: 1,
        only: Vec::new(),
        comps: components::Paths {
            count_vowels: manifest.join("../../examples/components/bin/count_vowels.wasm"),
            types: manifest.join("../../examples/components/bin/types.wasm"),
            python: None,
            javascript: None,
        },
        guest_rounds: 0,
        guest_compiles: None,
        guest_creates: 0,
        guest_instances: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| anyhow!("{flag} needs a value"));
        match flag.as_str() {
            "--quick" => a.quick = true,
            "--cycles" => a.cycles = value()?.parse()?,
            "--extism-cycles" => a.extism_cycles = value()?.parse()?,
            "--sandboxes" => a.sandboxes = value()?.parse()?,
            "--rounds" => a.rounds = value()?.parse()?,
            "--seconds" => a.seconds = value()?.parse()?,
            "--echo" => a.guests.echo = value()?.into(),
            "--count-vowels" => a.guests.count_vowels = value()?.into(),
            "--extism-guest" => a.guests.extism = value()?.into(),
            "--out" => a.out = Some(value()?.into()),
            "--rustc" => a.rustc = value()?,
            "--source-rev" => a.source_rev = value()?,
            "--date" => a.date = value()?,
            "--child" => a.child = Some(value()?),
            "--who" => a.who = value()?,
            "--threads" => a.threads = value()?.parse()?,
            "--component-count-vowels" => a.comps.count_vowels = value()?.into(),
            "--component-types" => a.comps.types = value()?.into(),
            "--count-vowels-py" => a.comps.python = Some(value()?.into()),
            "--count-vowels-js" => a.comps.javascript = Some(value()?.into()),
            "--guest-rounds" => a.guest_rounds = value()?.parse()?,
            "--guest-compiles" => a.guest_compiles = Some(value()?.parse()?),
            "--guest-creates" => a.guest_creates = value()?.parse()?,
            "--guest-instances" => a.guest_instances = value()?.parse()?,
            "--only" => {
                a.only = value()?
                    .split(',')
                    .map(|x| x.trim().parse())
                    .collect::<Result<_, _>>()?
            }
            "-h" | "--help" => {
                print!("{HELP}");
                std::process::exit(0);
            }
            other => bail!("unknown flag `{other}` (see --help)"),
        }
    }
    let q = a.quick;
    if a.cycles == 0 {
        a.cycles = if q { 20_000 } else { 1_000_000 };
    }
    if a.extism_cycles == 0 {
        a.extism_cycles = if q { 2_000 } else { 100_000 };
    }
    if a.rounds == 0 {
        a.rounds = if q { 150 } else { 3000 };
    }
    if a.seconds == 0.0 {
        a.seconds = if q { 0.15 } else { 1.0 };
    }
    if a.guest_rounds == 0 {
        a.guest_rounds = if q { 5 } else { 40 };
    }
    if a.guest_compiles.is_none() {
        a.guest_compiles = Some(if q { 1 } else { 3 });
    }
    if a.guest_creates == 0 {
        a.guest_creates = if q { 3 } else { 20 };
    }
    if a.guest_instances == 0 {
        a.guest_instances = if q { 4 } else { 20 };
    }
    if a.guests.extism.as_os_str().is_empty() {
        bail!("--extism-guest PATH is required (run.sh builds benches/plugins/extism-guest)");
    }
    for p in [&a.guests.echo, &a.guests.count_vowels, &a.guests.extism] {
        ensure!(p.is_file(), "no guest at {}", p.display());
    }
    Ok(a)
}

fn main() -> Result<()> {
    let args = parse_args()?;
    if let Some(kind) = &args.child {
        let v = match kind.as_str() {
            "rss" => child_rss(&args)?,
            "drift" => child_drift(&args)?,
            "profile" => child_profile(&args)?,
            "rss-guest" => components::child_rss(&args.who)?,
            other => bail!("unknown child `{other}`"),
        };
        println!("{v}");
        return Ok(());
    }
    run(&args)
}

fn say(msg: impl std::fmt::Display) {
    eprintln!("==> {msg}");
}

// ---------------------------------------------------------------------------------------------
// Formatting

fn fmt_ns(ns: f64) -> String {
    if !ns.is_finite() {
        "-".into()
    } else if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1_000_000_000.0 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

fn cell(s: Option<Stats>) -> String {
    match s {
        Some(s) => format!("{} (p99 {})", fmt_ns(s.median), fmt_ns(s.p99)),
        None => "—".into(),
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
        _ => "—".into(),
    }
}

/// One latency row of the main table.
struct Row {
    what: String,
    np: Option<Stats>,
    ext: Option<Stats>,
    raw: Option<Stats>,
    raw_default: Option<Stats>,
    process: Option<Stats>,
}

/// One diagnostic latency row: extra variants of the floor, to split nanoproc's cost.
struct DiagRow {
    what: String,
    cells: Vec<(&'static str, Stats)>,
}

/// One throughput row: (who, calls/s on 1 thread, calls/s on 2 threads, TLB shootdowns per
/// call on 1 and 2, other processes' CPU share).
type ThroughputRow = (
    &'static str,
    f64,
    f64,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

#[derive(Default)]
struct Report {
    rows: Vec<Row>,
    diag: Vec<DiagRow>,
    throughput: Vec<ThroughputRow>,
    rss: Vec<(&'static str, Value)>,
    drift: Vec<(&'static str, Value)>,
    guest_memory: Vec<(&'static str, u64)>,
    /// Groups 9 and 10: components next to core plugins.
    components: components::Report,
    /// Share of the machine's CPU other processes used during the run.
    other_cpu: Option<f64>,
}

// ---------------------------------------------------------------------------------------------
// The run

fn echo_input(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + 3) as u8).collect()
}

fn text_input(n: usize) -> Vec<u8> {
    let s =
        b"The quick brown fox jumps over the lazy dog; Pack my box with five dozen liquor jugs! ";
    s.iter().copied().cycle().take(n).collect()
}

/// One raw-Wasmtime variant, with both guests loaded.
struct RawVariant {
    echo: RawPlugin,
    cv: RawPlugin,
}

impl RawVariant {
    fn new(engine: &wasmtime::Engine, g: &Guests, epochs: bool) -> Result<Self> {
        Ok(RawVariant {
            echo: RawPlugin::from_file(engine, &g.echo, epochs)?,
            cv: RawPlugin::from_file(engine, &g.count_vowels, epochs)?,
        })
    }
    fn for_func(&self, func: &str) -> &RawPlugin {
        if func == "count_vowels" {
            &self.cv
        } else {
            &self.echo
        }
    }
    /// A warm-call runner: one reused instance.
    fn warm<'a>(&'a self, func: &'a str, input: &'a [u8]) -> Result<Runner<'a>> {
        let p = self.for_func(func);
        let mut i = p.instantiate()?;
        let f = i.func(&p.export(func)?)?;
        Ok(Box::new(move |n| {
            for _ in 0..n {
                black_box(i.call(&f, black_box(input))?);
            }
            Ok(())
        }))
    }
    /// A fresh-sandbox runner: new store + instance per call.
    fn fresh<'a>(&'a self) -> Result<Runner<'a>> {
        let noop = self.echo.export("noop")?;
        Ok(Box::new(move |n| {
            for _ in 0..n {
                black_box(self.echo.call_fresh(&noop, b"")?);
            }
            Ok(())
        }))
    }
}

fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    let cpu_at_start = measure::cpu_ticks();
    let g = &args.guests;
    let slots = (args.sandboxes as u32 + 64).max(256);
    let tmp = tempfile::tempdir()?;
    let min_sample = Duration::from_micros(if args.quick { 20 } else { 50 });
    let rounds = args.rounds;
    let mut rep = Report::default();

    say(format!(
        "setting up: nanoproc (pooling, {slots} slots), Extism 1.41.0, raw Wasmtime 48.0.4 (pooling + CoW)"
    ));
    // nanoproc: one pooling engine with a compile cache (warmed by the first build).
    let np_cache = tmp.path().join("nanoproc-cache");
    let np_engine = hosts::nanoproc_engine(slots, &np_cache)?;
    let np_echo = hosts::nanoproc_plugin(&np_engine, &g.echo)?;
    let np_cv = hosts::nanoproc_plugin(&np_engine, &g.count_vowels)?;
    let np_for = |func: &str| {
        if func == "count_vowels" {
            &np_cv
        } else {
            &np_echo
        }
    };
    // Extism: compiled once; warm plugins and fresh ones come from it.
    let ext_c = hosts::extism_compiled(&g.extism)?;
    let new_ext = || extism::Plugin::new_from_compiled(&ext_c);
    // The floor, the default pool, and diagnostic variants.
    let floor_engine = hosts::floor_engine(slots, false)?;
    let floor = RawVariant::new(&floor_engine, g, false)?;
    let default_pool = RawVariant::new(&hosts::default_pool_engine(slots)?, g, false)?;
    let on_np = RawVariant::new(np_engine.wasmtime(), g, true)?;
    let floor_epoch = RawVariant::new(&hosts::floor_engine(64, true)?, g, true)?;
    rep.guest_memory.push((
        "nanoproc / raw (echo.wasm)",
        hosts::declared_memory(&floor.echo.module),
    ));
    rep.guest_memory.push((
        "Extism guest",
        wasmtime::Module::from_file(&floor_engine, &g.extism)
            .map(|m| hosts::declared_memory(&m))
            .unwrap_or(0),
    ));

    // Same answers from everyone before anything is timed.
    say("checking that all contenders compute the same outputs");
    {
        let mut ni = np_echo.instance()?;
        let mut ep = new_ext()?;
        let text = text_input(64 << 10);
        let a: Value = serde_json::from_slice(&np_cv.call("count_vowels", &text)?)?;
        let out: Vec<u8> = ep.call("count_vowels", text.as_slice())?;
        let b: Value = serde_json::from_slice(&out)?;
        ensure!(a == b, "count_vowels: nanoproc {a} / Extism {b}");
        for n in [0usize, 1, 1024, 65536, 1 << 20] {
            let input = echo_input(n);
            ensure!(ni.call("echo", &input)? == input, "nanoproc echo {n}");
            let out: Vec<u8> = ep.call("echo", input.as_slice())?;
            ensure!(out == input, "Extism echo {n}");
        }
        for (name, v) in [
            ("floor", &floor),
            ("default pool", &default_pool),
            ("on nanoproc's engine", &on_np),
            ("floor + epochs", &floor_epoch),
        ] {
            let mut ri = v.echo.instantiate()?;
            let re = ri.func(&v.echo.export("echo")?)?;
            for n in [0usize, 1, 1024, 65536, 1 << 20] {
                let input = echo_input(n);
                ensure!(ri.call(&re, &input)? == input, "raw ({name}) echo {n}");
            }
            let mut rc = v.cv.instantiate()?;
            let rcf = rc.func(&v.cv.export("count_vowels")?)?;
            let c: Value = serde_json::from_slice(&rc.call(&rcf, &text)?)?;
            ensure!(a == c, "count_vowels: nanoproc {a} / raw ({name}) {c}");
        }
        say(format!("  count_vowels(64 KiB) = {a}"));
    }

    // 1-3: warm calls on a reused instance.
    let warm_row = |what: &str, func: &str, input: &[u8], rep: &mut Report| -> Result<()> {
        say(format!("{what}: interleaved, {rounds} samples each"));
        let mut ni = np_for(func).instance()?;
        let mut ep = new_ext()?;
        let mut runners: Vec<Runner> = vec![
            Box::new(move |n| {
                for _ in 0..n {
                    black_box(ni.call(func, black_box(input))?);
                }
                Ok(())
            }),
            Box::new(move |n| {
                for _ in 0..n {
                    let out: Vec<u8> = ep.call(func, black_box(input))?;
                    black_box(out);
                }
                Ok(())
            }),
            floor.warm(func, input)?,
            default_pool.warm(func, input)?,
            on_np.warm(func, input)?,
            floor_epoch.warm(func, input)?,
        ];
        let s = interleaved(rounds, min_sample, &mut runners)?;
        rep.rows.push(Row {
            what: what.into(),
            np: Some(s[0]),
            ext: Some(s[1]),
            raw: Some(s[2]),
            raw_default: Some(s[3]),
            process: None,
        });
        rep.diag.push(DiagRow {
            what: what.into(),
            cells: vec![(ON_NP, s[4]), (EPOCHS, s[5])],
        });
        Ok(())
    };
    let run_group = |g: u32| args.only.is_empty() || args.only.contains(&g);
    if run_group(1) {
        warm_row("1. warm call, no-op", "noop", b"", &mut rep)?;
    }
    if run_group(2) {
        for (label, n) in [
            ("1 KiB", 1usize << 10),
            ("64 KiB", 64 << 10),
            ("1 MiB", 1 << 20),
        ] {
            let input = echo_input(n);
            warm_row(&format!("2. warm echo {label}"), "echo", &input, &mut rep)?;
        }
    }
    if run_group(3) {
        let text = text_input(64 << 10);
        warm_row(
            "3. warm count_vowels 64 KiB",
            "count_vowels",
            &text,
            &mut rep,
        )?;
    }

    // 4: a fresh sandbox per call.
    if run_group(4) {
        say(format!(
            "4. fresh sandbox + no-op: interleaved, {rounds} samples each"
        ));
        let mut runners: Vec<Runner> = vec![
            Box::new(|n| {
                for _ in 0..n {
                    black_box(np_echo.call("noop", b"")?);
                }
                Ok(())
            }),
            Box::new(|n| {
                for _ in 0..n {
                    let mut p = new_ext()?;
                    let out: Vec<u8> = p.call("noop", b"" as &[u8])?;
                    black_box(out);
                }
                Ok(())
            }),
            floor.fresh()?,
            default_pool.fresh()?,
            Box::new(|n| {
                for _ in 0..n {
                    spawn_true()?;
                }
                Ok(())
            }),
            on_np.fresh()?,
        ];
        let s = interleaved(rounds, min_sample, &mut runners)?;
        rep.rows.push(Row {
            what: "4. fresh sandbox + no-op call".into(),
            np: Some(s[0]),
            ext: Some(s[1]),
            raw: Some(s[2]),
            raw_default: Some(s[3]),
            process: Some(s[4]),
        });
        rep.diag.push(DiagRow {
            what: "4. fresh sandbox + no-op call".into(),
            cells: vec![(ON_NP, s[5])],
        });
    }

    // 5: creating a plugin when the compile cache is warm.
    let create_rounds = if args.quick { 15 } else { 300 };
    if run_group(5) {
        say(format!(
            "5. plugin creation from a warm compile cache: {create_rounds} samples each"
        ));
        let ext_toml = hosts::extism_cache_config(&tmp.path().join("extism-cache"))?;
        drop(hosts::extism_plugin_cached(&g.extism, &ext_toml)?); // warms Extism's cache
        drop(hosts::nanoproc_plugin(&np_engine, &g.echo)?); // already warm; once more
        let cwasm = tmp.path().join("echo.cwasm");
        std::fs::write(&cwasm, floor.echo.module.serialize().w()?)?;
        let mut runners: Vec<Runner> = vec![
            Box::new(|n| {
                for _ in 0..n {
                    black_box(hosts::nanoproc_plugin(&np_engine, &g.echo)?);
                }
                Ok(())
            }),
            Box::new(|n| {
                for _ in 0..n {
                    black_box(hosts::extism_plugin_cached(&g.extism, &ext_toml)?);
                }
                Ok(())
            }),
            Box::new(|n| {
                for _ in 0..n {
                    // SAFETY: the file was written by Module::serialize on this engine above.
                    let m =
                        unsafe { wasmtime::Module::deserialize_file(&floor_engine, &cwasm).w()? };
                    black_box(RawPlugin::from_module(&floor_engine, m, false)?);
                }
                Ok(())
            }),
        ];
        let s = interleaved(create_rounds, min_sample, &mut runners)?;
        rep.rows.push(Row {
            what: "5. plugin creation, warm compile cache".into(),
            np: Some(s[0]),
            ext: Some(s[1]),
            raw: Some(s[2]),
            raw_default: None,
            process: None,
        });
    }

    // 6: fresh-sandbox throughput on 1 and 2 threads.
    let secs = Duration::from_secs_f64(args.seconds);
    let tp_rounds = if args.quick { 1 } else { 3 };
    if run_group(6) {
        say(format!(
            "6. fresh-sandbox calls/s on 1 and 2 threads: {tp_rounds} rounds of {:.2} s each",
            secs.as_secs_f64()
        ));
        fn raw_tp<'a>(
            v: &'static str,
            r: &'a RawPlugin,
            secs: Duration,
        ) -> Result<(&'static str, Make<'a>)> {
            let noop = r.export("noop")?;
            Ok((
                v,
                Box::new(move |t| {
                    throughput(t, secs, || {
                        Ok(move || -> Result<()> { r.call_fresh(&noop, b"").map(drop) })
                    })
                }),
            ))
        }
        let contenders: Vec<(&'static str, Make)> = vec![
            (
                NANOPROC,
                Box::new(|t| {
                    throughput(t, secs, || {
                        let p = np_echo.clone();
                        Ok(move || -> Result<()> {
                            p.call("noop", b"")?;
                            Ok(())
                        })
                    })
                }),
            ),
            raw_tp(FLOOR, &floor.echo, secs)?,
            raw_tp(DEFAULT_POOL, &default_pool.echo, secs)?,
            raw_tp(ON_NP, &on_np.echo, secs)?,
            (
                EXTISM,
                Box::new(|t| {
                    throughput(t, secs, || {
                        Ok(|| -> Result<()> {
                            let mut p = extism::Plugin::new_from_compiled(&ext_c)?;
                            let out: Vec<u8> = p.call("noop", b"" as &[u8])?;
                            black_box(out);
                            Ok(())
                        })
                    })
                }),
            ),
            (
                PROCESS,
                Box::new(|t| throughput(t, secs, || Ok(spawn_true))),
            ),
            // Two controls, ~5 µs per "call", nothing shared between threads, no syscalls: a
            // register-only dependent chain, and a cache-bound one (fill + sum 32 KiB windows of
            // a private 512 KiB buffer). Whatever stops *these* from scaling is the machine's
            // (e.g. two vCPUs on one physical core's hyperthreads stall the cache-bound one).
            (
                CONTROL_ALU,
                Box::new(|t| {
                    throughput(t, secs, || {
                        Ok(|| -> Result<()> {
                            let mut x = black_box(0x9E37_79B9_7F4A_7C15u64);
                            for _ in 0..4000 {
                                x ^= x << 13;
                                x ^= x >> 7;
                                x ^= x << 17;
                            }
                            black_box(x);
                            Ok(())
                        })
                    })
                }),
            ),
            (
                CONTROL_SHARED,
                Box::new(|t| {
                    // Same register loop, plus 40 atomic increments of one counter that both
                    // threads share: the pattern of engine-wide reference counts.
                    static SHARED: std::sync::atomic::AtomicU64 =
                        std::sync::atomic::AtomicU64::new(0);
                    throughput(t, secs, || {
                        Ok(|| -> Result<()> {
                            let mut x = black_box(0x9E37_79B9_7F4A_7C15u64);
                            for _ in 0..40 {
                                for _ in 0..100 {
                                    x ^= x << 13;
                                    x ^= x >> 7;
                                    x ^= x << 17;
                                }
                                SHARED.fetch_add(x & 1, std::sync::atomic::Ordering::AcqRel);
                            }
                            black_box(x);
                            Ok(())
                        })
                    })
                }),
            ),
            (
                CONTROL_CACHE,
                Box::new(|t| {
                    throughput(t, secs, || {
                        let mut buf = vec![0u8; 512 << 10];
                        let mut round = 0usize;
                        Ok(move || -> Result<()> {
                            const W: usize = 32 << 10;
                            let n = buf.len() / W;
                            let (a, b) = ((round % n) * W, ((round + n / 2) % n) * W);
                            round += 1;
                            buf[a..a + W].fill(round as u8);
                            let sum: u64 = buf[b..b + W].iter().map(|&x| x as u64).sum();
                            black_box(sum);
                            Ok(())
                        })
                    })
                }),
            ),
        ];
        let mut results: Vec<[Vec<measure::Throughput>; 2]> =
            vec![[vec![], vec![]]; contenders.len()];
        for _ in 0..tp_rounds {
            for (i, (_, f)) in contenders.iter().enumerate() {
                results[i][0].push(f(1)?);
                results[i][1].push(f(2)?);
            }
        }
        let per_call = |v: &[measure::Throughput]| -> Option<f64> {
            let (mut ipis, mut calls) = (0u64, 0u64);
            for t in v {
                ipis += t.tlb_shootdowns?;
                calls += t.calls;
            }
            Some(ipis as f64 / calls.max(1) as f64)
        };
        for ((who, _), [one, two]) in contenders.iter().zip(results) {
            let med = |v: &[measure::Throughput]| {
                measure::stats(v.iter().map(|t| t.calls_per_sec).collect()).median
            };
            let (r1, r2) = (med(&one), med(&two));
            say(format!("  {who}: {r1:.0}/s on 1 thread, {r2:.0}/s on 2"));
            let other = one
                .iter()
                .chain(&two)
                .map(|t| t.other_cpu)
                .try_fold(0.0f64, |m, x| x.map(|x| m.max(x)));
            rep.throughput
                .push((who, r1, r2, per_call(&one), per_call(&two), other));
        }
    }
    // 9: typed component vs bytes ABI vs Extism, on the same engine and inputs.
    if run_group(9) {
        rep.components.typed = components::typed_vs_bytes(
            &np_engine,
            &np_cv,
            &np_echo,
            &ext_c,
            &args.comps,
            rounds.min(1000),
            min_sample,
        )?;
    }
    // 10: guests that embed an interpreter, next to the Rust ones.
    if run_group(10) {
        let counts = components::Counts {
            rounds: args.guest_rounds,
            compiles: args.guest_compiles.unwrap_or(0),
            creates: args.guest_creates,
            instances_large: args.guest_instances,
            instances_small: (args.sandboxes / 5).max(1),
        };
        components::interpreter_guests(
            &np_engine,
            g,
            &args.comps,
            counts,
            tmp.path(),
            |who| child(args, "rss-guest", who),
            &mut rep.components,
        )?;
    }
    drop((
        np_echo,
        np_cv,
        ext_c,
        floor,
        default_pool,
        on_np,
        floor_epoch,
    ));
    drop(np_engine);

    // 7, 8: memory, each contender in a child process of its own (clean baselines).
    for who in ["raw", "raw-default", "nanoproc", "extism"] {
        if !run_group(7) {
            break;
        }
        say(format!(
            "7. RSS of {} live sandboxes: {who} (child process)",
            args.sandboxes
        ));
        rep.rss.push((who_name(who), child(args, "rss", who)?));
    }
    for who in ["raw", "raw-default", "nanoproc", "extism"] {
        if !run_group(8) {
            break;
        }
        let n = if who == "extism" {
            args.extism_cycles
        } else {
            args.cycles
        };
        say(format!(
            "8. RSS drift over {n} create+call+drop cycles: {who} (child process)"
        ));
        rep.drift.push((who_name(who), child(args, "drift", who)?));
    }

    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    rep.other_cpu = cpu_at_start
        .zip(measure::cpu_ticks())
        .map(|(a, b)| measure::other_cpu_share(a, b, started.elapsed(), cpus));
    let md = render(args, &rep, started.elapsed());
    print!("{md}");
    if let Some(out) = &args.out {
        std::fs::write(out, &md).with_context(|| format!("writing {}", out.display()))?;
        say(format!("report written to {}", out.display()));
    }
    Ok(())
}

/// Makes one throughput measurement on N threads.
type Make<'a> = Box<dyn Fn(usize) -> Result<measure::Throughput> + 'a>;

const NANOPROC: &str = "nanoproc";
const EXTISM: &str = "Extism";
const FLOOR: &str = "raw Wasmtime (floor)";
const DEFAULT_POOL: &str = "raw Wasmtime, default pool";
const PROCESS: &str = "process spawn";
const CONTROL_ALU: &str = "control: register-only loop";
const CONTROL_CACHE: &str = "control: cache-bound loop";
const CONTROL_SHARED: &str = "control: register loop + 40 shared atomic increments";
const ON_NP: &str = "raw on nanoproc's Engine";
const EPOCHS: &str = "floor + epoch interruption";

fn who_name(who: &str) -> &'static str {
    match who {
        "raw" => FLOOR,
        "raw-default" => DEFAULT_POOL,
        "nanoproc" => NANOPROC,
        _ => EXTISM,
    }
}

fn spawn_true() -> Result<()> {
    let st = Command::new("/bin/true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    ensure!(st.success(), "/bin/true failed");
    Ok(())
}

/// Runs this binary as `--child KIND --who WHO` and parses the JSON line it prints.
fn child(args: &Args, kind: &str, who: &str) -> Result<Value> {
    let exe = std::env::current_exe()?;
    let out = Command::new(exe)
        .args(["--child", kind, "--who", who])
        .args(["--sandboxes", &args.sandboxes.to_string()])
        .args(["--cycles", &args.cycles.to_string()])
        .args(["--extism-cycles", &args.extism_cycles.to_string()])
        .arg("--echo")
        .arg(&args.guests.echo)
        .arg("--count-vowels")
        .arg(&args.guests.count_vowels)
        .arg("--extism-guest")
        .arg(&args.guests.extism)
        .stderr(Stdio::inherit())
        .output()?;
    ensure!(
        out.status.success(),
        "child {kind} {who} failed: {}",
        out.status
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .last()
        .ok_or_else(|| anyhow!("child {kind} {who} printed nothing"))?;
    Ok(serde_json::from_str(line)?)
}

// ---------------------------------------------------------------------------------------------
// Children: memory

/// A live sandbox of any contender, for the RSS rows.
trait Sandbox {
    fn noop(&mut self) -> Result<()>;
}

impl Sandbox for nanoproc::plugin::PluginInstance {
    fn noop(&mut self) -> Result<()> {
        self.call("noop", b"")?;
        Ok(())
    }
}

impl Sandbox for extism::Plugin {
    fn noop(&mut self) -> Result<()> {
        let _: Vec<u8> = self.call("noop", b"" as &[u8])?;
        Ok(())
    }
}

struct RawSandbox(hosts::RawInstance, wasmtime::TypedFunc<(i32, i32), i64>);

impl Sandbox for RawSandbox {
    fn noop(&mut self) -> Result<()> {
        self.0.call(&self.1, b"")?;
        Ok(())
    }
}

/// RSS before/after creating `n` sandboxes, after one no-op call in each, after dropping them.
fn hold<S: Sandbox>(
    n: usize,
    mut make: impl FnMut() -> Result<S>,
    guest: impl Fn(&[S]) -> Value,
) -> Result<Value> {
    // The Vec's own pages (touched as it fills) are charged to the sandboxes: holding them is
    // part of what a live sandbox costs.
    let mut v: Vec<S> = Vec::with_capacity(n);
    let before = rss_kib();
    for _ in 0..n {
        v.push(make()?);
    }
    let created = rss_kib();
    let guest_created = guest(&v);
    for s in v.iter_mut() {
        s.noop()?;
    }
    let called = rss_kib();
    let guest_called = guest(&v);
    drop(v);
    let dropped = rss_kib();
    Ok(json!({
        "n": n, "before_kib": before, "created_kib": created, "called_kib": called,
        "dropped_kib": dropped, "guest_created": guest_created, "guest_called": guest_called,
    }))
}

fn child_rss(args: &Args) -> Result<Value> {
    let n = args.sandboxes;
    let g = &args.guests;
    let slots = n as u32 + 64;
    let tmp = tempfile::tempdir()?;
    match args.who.as_str() {
        "nanoproc" => {
            let engine = hosts::nanoproc_engine(slots, tmp.path())?;
            let p = hosts::nanoproc_plugin(&engine, &g.echo)?;
            p.call("noop", b"")?;
            p.instance()?.noop()?;
            hold(n, || Ok(p.instance()?), |_| Value::Null)
        }
        "raw" | "raw-default" => {
            let engine = if args.who == "raw" {
                hosts::floor_engine(slots, false)?
            } else {
                hosts::default_pool_engine(slots)?
            };
            let r = RawPlugin::from_file(&engine, &g.echo, false)?;
            let noop = r.export("noop")?;
            let make = || -> Result<RawSandbox> {
                let mut i = r.instantiate()?;
                let f = i.func(&noop)?;
                Ok(RawSandbox(i, f))
            };
            make()?.noop()?;
            hold(n, make, |v: &[RawSandbox]| {
                // Pages of guest linear memory present in our page tables, and its size.
                let (mut pages, mut size) = (0u64, 0u64);
                for s in v {
                    let mem = s.0.memory;
                    let st = &s.0.store;
                    pages +=
                        measure::resident_pages(mem.data_ptr(st), mem.data_size(st)).unwrap_or(0);
                    size += mem.data_size(st) as u64;
                }
                json!({"resident_kib_per_sandbox": pages as f64 * 4.0 / v.len() as f64,
                       "size_kib_per_sandbox": size as f64 / 1024.0 / v.len() as f64})
            })
        }
        "extism" => {
            let c = hosts::extism_compiled(&g.extism)?;
            extism::Plugin::new_from_compiled(&c)?.noop()?;
            hold(n, || extism::Plugin::new_from_compiled(&c), |_| Value::Null)
        }
        other => bail!("unknown contender `{other}`"),
    }
}

fn child_drift(args: &Args) -> Result<Value> {
    let g = &args.guests;
    let tmp = tempfile::tempdir()?;
    // The engines outlive the loop (declared before `cycle`, so dropped after it).
    let np_engine;
    let ext_c;
    let mut cycle: Box<dyn FnMut() -> Result<()>>;
    let n;
    match args.who.as_str() {
        "nanoproc" => {
            n = args.cycles;
            np_engine = hosts::nanoproc_engine(64, tmp.path())?;
            let p = hosts::nanoproc_plugin(&np_engine, &g.echo)?;
            cycle = Box::new(move || p.call("noop", b"").map(drop).map_err(Into::into));
        }
        "raw" | "raw-default" => {
            n = args.cycles;
            let engine = if args.who == "raw" {
                hosts::floor_engine(64, false)?
            } else {
                hosts::default_pool_engine(64)?
            };
            let r = RawPlugin::from_file(&engine, &g.echo, false)?;
            let noop = r.export("noop")?;
            cycle = Box::new(move || r.call_fresh(&noop, b"").map(drop));
        }
        "extism" => {
            n = args.extism_cycles;
            ext_c = hosts::extism_compiled(&g.extism)?;
            let c = &ext_c;
            cycle = Box::new(move || {
                let mut p = extism::Plugin::new_from_compiled(c)?;
                p.noop()
            });
        }
        other => bail!("unknown contender `{other}`"),
    }
    // Warm-up: allocator pools and caches reach their steady state before the baseline.
    for _ in 0..(n / 100).clamp(100, 10_000) {
        cycle()?;
    }
    let before = rss_kib();
    let mut peak = before;
    let t = Instant::now();
    for i in 0..n {
        cycle()?;
        if i % (n / 20).max(1) == 0 {
            peak = peak.max(rss_kib());
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let after = rss_kib();
    Ok(
        json!({"cycles": n, "before_kib": before, "after_kib": after,
              "peak_kib": peak.max(after), "secs": secs}),
    )
}

/// `--child profile --who nanoproc-fresh|raw-fresh|raw-default-fresh|nanoproc-warm|raw-warm|
/// extism-warm|extism-fresh --cycles N`: a plain loop of one contender, for
/// `valgrind --tool=callgrind`, `perf` or `strace -c`; prints ns per cycle.
fn child_profile(args: &Args) -> Result<Value> {
    let g = &args.guests;
    let tmp = tempfile::tempdir()?;
    let n = args.cycles;
    // Few slots: valgrind cannot reserve the address space of big pools (4 GiB per slot).
    let slots = std::env::var("NANOPROC_BENCH_SLOTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2 * args.threads as u32);
    let np_engine = hosts::nanoproc_engine(slots, tmp.path())?;
    let p = hosts::nanoproc_plugin(&np_engine, &g.echo)?;
    let r = RawPlugin::from_file(&hosts::floor_engine(slots, false)?, &g.echo, false)?;
    let d = RawPlugin::from_file(&hosts::default_pool_engine(slots)?, &g.echo, false)?;
    let noop = r.export("noop")?;
    let noop_d = d.export("noop")?;
    // Optional state before the loop (diagnosis of what degrades 2-thread scaling):
    // NANOPROC_BENCH_PRE_EXTISM=N fresh Extism plugins, NANOPROC_BENCH_PRE_SPAWN=N /bin/true.
    let pre = |k: &str| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    if pre("NANOPROC_BENCH_PRE_EXTISM") > 0 {
        let c = hosts::extism_compiled(&g.extism)?;
        for _ in 0..pre("NANOPROC_BENCH_PRE_EXTISM") {
            extism::Plugin::new_from_compiled(&c)?.noop()?;
        }
    }
    for _ in 0..pre("NANOPROC_BENCH_PRE_SPAWN") {
        spawn_true()?;
    }
    for _ in 0..pre("NANOPROC_BENCH_PRE_DEFAULT") {
        d.call_fresh(&noop_d, b"")?;
    }
    for _ in 0..pre("NANOPROC_BENCH_PRE_INTERLEAVE") {
        // The row-4 pattern in miniature: each contender's fresh call in turn.
        p.call("noop", b"")?;
        r.call_fresh(&noop, b"")?;
        d.call_fresh(&noop_d, b"")?;
        spawn_true()?;
    }
    if args.who == "raw-fresh-own-engine" {
        // Like raw-fresh on N threads, but every thread has an Engine (pool, type registry,
        // compiled module) of its own: nothing of Wasmtime's is shared between the threads.
        let plugins: Vec<RawPlugin> = (0..args.threads.max(1))
            .map(|_| RawPlugin::from_file(&hosts::floor_engine(slots, false)?, &g.echo, false))
            .collect::<Result<_>>()?;
        let t = Instant::now();
        std::thread::scope(|s| -> Result<()> {
            let hs: Vec<_> = plugins
                .iter()
                .map(|rp| {
                    s.spawn(move || -> Result<()> {
                        let noop = rp.export("noop")?;
                        for _ in 0..n {
                            black_box(rp.call_fresh(&noop, b"")?);
                        }
                        Ok(())
                    })
                })
                .collect();
            for h in hs {
                h.join().expect("thread panicked")?;
            }
            Ok(())
        })?;
        let total = n as f64 * plugins.len() as f64;
        return Ok(json!({"who": args.who, "threads": args.threads,
            "calls_per_sec": total / t.elapsed().as_secs_f64()}));
    }
    if args.who == "raw-fresh-slots" {
        // Which pool slot (guest memory address) each fresh instance of each thread gets: do
        // the threads keep to their own slots, or take turns on the same ones?
        let t = Instant::now();
        // Per thread: slot sequence, and ns spent in Store::new + instantiate, the call, the drop
        // (which resets the slot: PAGEMAP_SCAN ioctl + memset of the dirty pages).
        let results: Vec<(Vec<usize>, [f64; 3])> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..args.threads.max(1))
                .map(|_| {
                    s.spawn(|| -> Result<(Vec<usize>, [f64; 3])> {
                        let mut seq = Vec::with_capacity(n as usize);
                        let mut ns = [0f64; 3];
                        for _ in 0..n {
                            let t0 = Instant::now();
                            let mut i = r.instantiate()?;
                            let t1 = Instant::now();
                            seq.push(i.memory.data_ptr(&i.store) as usize);
                            let f = i.func(&noop)?;
                            black_box(i.call(&f, b"")?);
                            let t2 = Instant::now();
                            drop(i);
                            let t3 = Instant::now();
                            ns[0] += (t1 - t0).as_nanos() as f64;
                            ns[1] += (t2 - t1).as_nanos() as f64;
                            ns[2] += (t3 - t2).as_nanos() as f64;
                        }
                        Ok((seq, ns.map(|x| x / n as f64)))
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().expect("thread panicked"))
                .collect::<Result<_>>()
        })?;
        let split: Vec<[f64; 3]> = results.iter().map(|r| r.1).collect();
        let seqs: Vec<Vec<usize>> = results.into_iter().map(|r| r.0).collect();
        let secs = t.elapsed().as_secs_f64();
        let mut owner = std::collections::HashMap::<usize, std::collections::HashSet<usize>>::new();
        for (ti, seq) in seqs.iter().enumerate() {
            for p in seq {
                owner.entry(*p).or_default().insert(ti);
            }
        }
        let shared = owner.values().filter(|o| o.len() > 1).count();
        let switches: Vec<f64> = seqs
            .iter()
            .map(|seq| seq.windows(2).filter(|w| w[0] != w[1]).count() as f64 / seq.len() as f64)
            .collect();
        return Ok(json!({"who": args.who, "threads": args.threads,
            "calls_per_sec": (n as f64 * seqs.len() as f64) / secs,
            "ns_instantiate_call_drop_per_thread": split,
            "distinct_slots": owner.len(), "slots_used_by_several_threads": shared,
            "share_of_calls_on_a_different_slot_than_the_threads_previous": switches}));
    }
    if args.threads > 1 {
        // The fresh loops on several threads at once (for the 2-thread scaling diagnosis).
        let t = Instant::now();
        std::thread::scope(|s| -> Result<()> {
            let hs: Vec<_> = (0..args.threads)
                .map(|_| {
                    s.spawn(|| -> Result<()> {
                        for _ in 0..n {
                            match args.who.as_str() {
                                "nanoproc-fresh" => drop(p.call("noop", b"")?),
                                "raw-fresh" => drop(r.call_fresh(&noop, b"")?),
                                "raw-default-fresh" => drop(d.call_fresh(&noop_d, b"")?),
                                other => bail!("no threaded profile `{other}`"),
                            }
                        }
                        Ok(())
                    })
                })
                .collect();
            for h in hs {
                h.join().expect("thread panicked")?;
            }
            Ok(())
        })?;
        let total = n as f64 * args.threads as f64;
        return Ok(
            json!({"who": args.who, "threads": args.threads, "cycles_per_thread": n,
            "calls_per_sec": total / t.elapsed().as_secs_f64()}),
        );
    }
    let t = Instant::now();
    match args.who.as_str() {
        "nanoproc-fresh" => {
            for _ in 0..n {
                black_box(p.call("noop", b"")?);
            }
        }
        "raw-fresh" => {
            for _ in 0..n {
                black_box(r.call_fresh(&noop, b"")?);
            }
        }
        "raw-default-fresh" => {
            for _ in 0..n {
                black_box(d.call_fresh(&noop_d, b"")?);
            }
        }
        "nanoproc-warm" => {
            let mut i = p.instance()?;
            for _ in 0..n {
                black_box(i.call("noop", b"")?);
            }
        }
        "raw-warm" => {
            let mut i = r.instantiate()?;
            let f = i.func(&noop)?;
            for _ in 0..n {
                black_box(i.call(&f, b"")?);
            }
        }
        "nanoproc-create" | "raw-create" => {
            let cwasm = tmp.path().join("echo.cwasm");
            std::fs::write(&cwasm, r.module.serialize().w()?)?;
            let t = Instant::now();
            for _ in 0..n {
                if args.who == "nanoproc-create" {
                    black_box(hosts::nanoproc_plugin(&np_engine, &g.echo)?);
                } else {
                    // SAFETY: written by Module::serialize on this engine just above.
                    let m = unsafe { wasmtime::Module::deserialize_file(&r.engine, &cwasm).w()? };
                    black_box(RawPlugin::from_module(&r.engine, m, false)?);
                }
            }
            return Ok(
                json!({"who": args.who, "cycles": n, "ns_per_cycle": t.elapsed().as_nanos() as f64 / n as f64}),
            );
        }
        "extism-warm" | "extism-fresh" => {
            let c = hosts::extism_compiled(&g.extism)?;
            let mut warm = extism::Plugin::new_from_compiled(&c)?;
            let t = Instant::now();
            for _ in 0..n {
                if args.who == "extism-warm" {
                    warm.noop()?;
                } else {
                    extism::Plugin::new_from_compiled(&c)?.noop()?;
                }
            }
            return Ok(
                json!({"who": args.who, "cycles": n, "ns_per_cycle": t.elapsed().as_nanos() as f64 / n as f64}),
            );
        }
        other => bail!("unknown profile `{other}`"),
    }
    Ok(
        json!({"who": args.who, "cycles": n, "ns_per_cycle": t.elapsed().as_nanos() as f64 / n as f64}),
    )
}

// ---------------------------------------------------------------------------------------------
// The report

fn machine_facts() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:").map(|v| v.trim().to_string()))
        .unwrap_or_default();
    let clock =
        std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
            .unwrap_or_default();
    format!(
        "{cpu}, {cores} cores, {mem} RAM, Linux {}, clocksource {}",
        kernel.trim(),
        clock.trim()
    )
}

fn render(args: &Args, rep: &Report, took: Duration) -> String {
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(
        w,
        "Run: `bash benches/plugins/run.sh{}` on {} (source {}, {}); machine: {}; the run took {:.0} s; other processes used {} of the machine's CPU meanwhile.\n",
        if args.quick { " --quick" } else { "" },
        args.date,
        args.source_rev,
        args.rustc,
        machine_facts(),
        took.as_secs_f64(),
        rep.other_cpu
            .map(|x| format!("{:.1} %", x * 100.0))
            .unwrap_or_else(|| "an unknown share".into())
    );
    let _ = writeln!(
        w,
        "Contenders: **nanoproc** (`crates/nanoproc` at that source, pooling engine with its default `PoolingOptions`, `Policy::default()`, guests `examples/plugins/bin/{{echo,count_vowels}}.wasm`); **Extism** 1.41.0 (its own Wasmtime 49; guest `benches/plugins/extism-guest`: same logic, same JSON, same build profile); **raw Wasmtime 48.0.4, the floor**: a ~100-line host on the same `.wasm` files (`InstancePre`, `nanoproc_alloc` + one copy in, the call, one copy out; Wasmtime's default config, no epoch interruption, pooling allocator + copy-on-write images, with the pool tuned like nanoproc's: `pagemap_scan(Yes)`, `linear_memory_keep_resident(1 MiB)`, `table_keep_resident(64 KiB)`); **raw Wasmtime, default pool**: the same host with the pooling allocator's default settings (a used slot is reset with `madvise(MADV_DONTNEED)`); **process spawn**: `/bin/true`, spawn + wait.\n"
    );
    let _ = writeln!(
        w,
        "Latency cells are *median (p99)* per call over {} interleaved samples per contender (each round takes one sample of every contender, in an order that rotates each round). Calls shorter than {} µs are timed in batches sized so one sample lasts at least that long, so their p99 is that of batch means.\n",
        args.rounds,
        if args.quick { 20 } else { 50 }
    );
    let _ = writeln!(
        w,
        "| measurement | nanoproc | Extism | raw Wasmtime (floor) | raw Wasmtime, default pool | process spawn | nanoproc ÷ floor | Extism ÷ nanoproc |"
    );
    let _ = writeln!(w, "|---|---|---|---|---|---|---|---|");
    for r in &rep.rows {
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.what,
            cell(r.np),
            cell(r.ext),
            cell(r.raw),
            cell(r.raw_default),
            cell(r.process),
            ratio(r.np.map(|s| s.median), r.raw.map(|s| s.median)),
            ratio(r.ext.map(|s| s.median), r.np.map(|s| s.median)),
        );
    }
    md.push_str(&components::render(
        &rep.components,
        args.rounds.min(1000),
        if args.quick { 20 } else { 50 },
    ));
    let w = &mut md;
    let _ = writeln!(
        w,
        "\n**6. Fresh-sandbox no-op calls per second** (median of {} runs of {:.2} s each; 1- and 2-thread runs alternate; the controls share nothing between threads except the one counter of the atomic control, make no system calls and take ~5 µs per \"call\", so whatever stops them from scaling is the machine's; TLB-shootdown IPIs are machine-wide counts from /proc/interrupts divided by the calls made):\n",
        if args.quick { 1 } else { 3 },
        args.seconds
    );
    let _ = writeln!(
        w,
        "| contender | 1 thread | 2 threads | 2 ÷ 1 | TLB-shootdown IPIs per call, 1 / 2 threads | other processes' CPU (max over its runs) |"
    );
    let _ = writeln!(w, "|---|---|---|---|---|---|");
    let ipi = |x: &Option<f64>| x.map(|v| format!("{v:.2}")).unwrap_or_else(|| "n/a".into());
    for (who, one, two, i1, i2, other) in &rep.throughput {
        let other = other
            .map(|x| format!("{:.1} %", x * 100.0))
            .unwrap_or_else(|| "n/a".into());
        let _ = writeln!(
            w,
            "| {who} | {one:.0} | {two:.0} | {:.2}× | {} / {} | {other} |",
            two / one,
            ipi(i1),
            ipi(i2)
        );
    }
    let _ = writeln!(
        w,
        "\n**7. RSS of {} live sandboxes** (each contender in a child process of its own; per sandbox = VmRSS growth ÷ {}; *guest memory resident* = pages of the guest's linear memory present in the page tables, read from /proc/self/pagemap in the raw hosts; nanoproc runs the same module and calls, so it has the same guest pages):\n",
        args.sandboxes, args.sandboxes
    );
    let _ = writeln!(
        w,
        "| contender | per sandbox, created | per sandbox, after one no-op call | guest memory: size / resident | beyond guest memory (after call) | RSS still held after dropping all |"
    );
    let _ = writeln!(w, "|---|---|---|---|---|---|");
    let guest_of = |v: &Value| {
        (
            v["guest_called"]["resident_kib_per_sandbox"].as_f64(),
            v["guest_called"]["size_kib_per_sandbox"].as_f64(),
        )
    };
    let floor_guest = rep
        .rss
        .iter()
        .find(|(w, _)| *w == FLOOR)
        .map(|(_, v)| guest_of(v))
        .unwrap_or((None, None));
    let mut np_beyond = f64::NAN;
    for (who, v) in &rep.rss {
        let n = v["n"].as_f64().unwrap_or(1.0);
        let k = |key: &str| v[key].as_f64().unwrap_or(f64::NAN);
        let created = (k("created_kib") - k("before_kib")) / n;
        let called = (k("called_kib") - k("before_kib")) / n;
        let left = k("dropped_kib") - k("before_kib");
        let (guest, beyond) = if *who == EXTISM {
            let ext = rep
                .guest_memory
                .iter()
                .find(|(w, _)| *w == "Extism guest")
                .map(|x| x.1)
                .unwrap_or(0);
            (
                format!("{} KiB + the Extism kernel's / n/a", ext / 1024),
                "n/a (two instances per plugin)".to_string(),
            )
        } else {
            let (res, size) = match guest_of(v) {
                (Some(r), Some(s)) => (r, s),
                _ => (
                    floor_guest.0.unwrap_or(f64::NAN),
                    floor_guest.1.unwrap_or(f64::NAN),
                ),
            };
            let beyond = called - res;
            if *who == NANOPROC {
                np_beyond = beyond;
            }
            (
                format!("{size:.0} KiB / {res:.1} KiB"),
                format!("**{beyond:.1} KiB**"),
            )
        };
        let _ = writeln!(
            w,
            "| {who} | {created:.1} KiB | {called:.1} KiB | {guest} | {beyond} | {left:.0} KiB |"
        );
    }
    let _ = writeln!(
        w,
        "\n**8. RSS drift over create + no-op call + drop cycles** (each contender in a child process of its own, measured after a warm-up of 1 % of the cycles; *peak* is the highest of 20 readings along the way):\n"
    );
    let _ = writeln!(
        w,
        "| contender | cycles | RSS before | RSS after | drift | peak | cycles/s |"
    );
    let _ = writeln!(w, "|---|---|---|---|---|---|---|");
    for (who, v) in &rep.drift {
        let k = |key: &str| v[key].as_f64().unwrap_or(f64::NAN);
        let _ = writeln!(
            w,
            "| {who} | {:.0} | {:.0} KiB | {:.0} KiB | {:+.0} KiB | {:.0} KiB | {:.0} |",
            k("cycles"),
            k("before_kib"),
            k("after_kib"),
            k("after_kib") - k("before_kib"),
            k("peak_kib"),
            k("cycles") / k("secs")
        );
    }
    let _ = writeln!(
        w,
        "\n**Diagnostics** (more variants of the floor, timed in the same interleaved runs as the rows above): *{ON_NP}* is the floor host on `nanoproc::Engine::wasmtime()`, i.e. nanoproc's exact engine config (epoch interruption, 512 KiB wasm stack, multi-memory, component model, its pool) without nanoproc's host layer; *{EPOCHS}* is the floor with only `epoch_interruption(true)` added.\n"
    );
    let _ = writeln!(
        w,
        "| measurement | variant | median (p99) | ÷ floor | nanoproc ÷ variant |"
    );
    let _ = writeln!(w, "|---|---|---|---|---|");
    for d in &rep.diag {
        let row = rep.rows.iter().find(|r| r.what == d.what);
        let floor = row.and_then(|r| r.raw);
        let np = row.and_then(|r| r.np);
        for (name, s) in &d.cells {
            let _ = writeln!(
                w,
                "| {} | {name} | {} | {} | {} |",
                d.what,
                cell(Some(*s)),
                ratio(Some(s.median), floor.map(|f| f.median)),
                ratio(np.map(|f| f.median), Some(s.median))
            );
        }
    }

    // Targets.
    let row = |p: &str| rep.rows.iter().find(|r| r.what.starts_with(p));
    let med = |s: Option<Stats>| s.map(|s| s.median).unwrap_or(f64::NAN);
    let mut targets: Vec<(String, String, bool)> = Vec::new();
    if let Some(r) = row("4.") {
        let x = med(r.np) / med(r.raw);
        targets.push((
            "fresh sandbox + no-op ≤ 2× the floor (≈5 µs)".into(),
            format!(
                "{} vs floor {} = {x:.2}× (default pool: {})",
                fmt_ns(med(r.np)),
                fmt_ns(med(r.raw)),
                fmt_ns(med(r.raw_default))
            ),
            x <= 2.0,
        ));
    }
    if let Some(r) = row("1.") {
        targets.push((
            "warm no-op ≤ 150 ns".into(),
            fmt_ns(med(r.np)),
            med(r.np) <= 150.0,
        ));
    }
    if let Some(r) = row("2. warm echo 1 MiB") {
        let x = med(r.np) / med(r.raw);
        targets.push((
            "echo 1 MiB within 2× the floor".into(),
            format!("{} vs {} = {x:.2}×", fmt_ns(med(r.np)), fmt_ns(med(r.raw))),
            x <= 2.0,
        ));
    }
    if let Some((_, one, two, ..)) = rep.throughput.iter().find(|t| t.0 == NANOPROC) {
        targets.push((
            "fresh calls/s on 2 threads ≥ 1.5× 1 thread".into(),
            format!("{:.2}×", two / one),
            two / one >= 1.5,
        ));
    }
    if np_beyond.is_finite() {
        targets.push((
            "RSS per idle sandbox ≤ 16 KiB beyond guest memory".into(),
            format!("{np_beyond:.1} KiB (after one call; resident guest pages subtracted)"),
            np_beyond <= 16.0,
        ));
    }
    if let Some((_, v)) = rep.drift.iter().find(|(w, _)| *w == NANOPROC) {
        let d = v["after_kib"].as_f64().unwrap_or(f64::NAN)
            - v["before_kib"].as_f64().unwrap_or(f64::NAN);
        let n = v["cycles"].as_f64().unwrap_or(0.0);
        targets.push((
            format!("RSS drift < 4 MiB over 1M cycles (this run: {n:.0})"),
            format!("{d:+.0} KiB"),
            d < 4096.0,
        ));
    }
    let _ = writeln!(w, "\n**Targets** (from the product issue):\n");
    let _ = writeln!(w, "| target | measured | met? |");
    let _ = writeln!(w, "|---|---|---|");
    for (t, m, ok) in targets {
        let _ = writeln!(w, "| {t} | {m} | {} |", if ok { "yes" } else { "**no**" });
    }
    md
}
