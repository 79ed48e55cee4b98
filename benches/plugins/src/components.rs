//! Components next to core plugins (groups 9 and 10 of the report).
//!
//! - **9.** `count_vowels` and `echo` through the bytes ABI (a core module, `Plugin`), through
//!   the typed `nanoproc:plugin` world (the Rust component, same `Plugin` API), through a
//!   dynamic `Component::call` (`Val`s in and out), and through Extism: reused instance and
//!   fresh sandbox per call, interleaved like rows 1-5.
//! - **10.** Guests that embed an interpreter (the Python and JavaScript `count_vowels`
//!   components, built by `examples/components/build.sh --large`) next to the Rust component and
//!   the core module: file size, compile time with an empty cache, creation from a warm cache,
//!   instantiation, first call, reused-instance calls, and memory per instance (the sandbox's
//!   memory budget and RSS).

use crate::hosts::{self, Guests};
use crate::measure::{self, Runner, Stats, interleaved, rss_kib};
use crate::{Sandbox, cell, fmt_ns, hold, ratio, say, text_input};
use anyhow::{Context, Result, anyhow, bail, ensure};
use nanoproc::plugin::{CallOptions, Plugin, PluginInstance};
use nanoproc::wasmtime::component::Val;
use nanoproc::{Engine, LimitKind, Policy};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where the component guests are.
#[derive(Clone, Debug, Default)]
pub struct Paths {
    /// examples/components/bin/count_vowels.wasm: the typed twin of the core count_vowels.
    pub count_vowels: PathBuf,
    /// examples/components/bin/types.wasm (its `echo-bytes`, for the dynamic calls).
    pub types: PathBuf,
    /// The Python count_vowels component (`build.sh --large`), if given.
    pub python: Option<PathBuf>,
    /// The JavaScript count_vowels component (`build.sh --large`), if given.
    pub javascript: Option<PathBuf>,
}

/// Sample counts for group 10.
#[derive(Clone, Copy, Debug)]
pub struct Counts {
    /// Samples per contender for the latency rows.
    pub rounds: usize,
    /// Uncached compiles per guest.
    pub compiles: usize,
    /// Creations from a warm cache per guest.
    pub creates: usize,
    /// Live instances for the RSS row: interpreter guests / the small Rust guests.
    pub instances_large: usize,
    pub instances_small: usize,
}

const ECHO_BYTES: &str = "nanoproc:examples/all-types#echo-bytes";

/// One row of table 9.
pub struct TypedRow {
    what: String,
    core: Stats,
    typed: Stats,
    dynamic: Option<Stats>,
    extism: Stats,
}

/// One guest's column of table 10.
pub struct GuestColumn {
    name: &'static str,
    file_bytes: u64,
    allocator: String,
    /// Build times with an empty cache, ns.
    compile: Vec<f64>,
    /// What the first build added to the cache directory.
    cached_bytes: u64,
    create_warm: Stats,
    instantiate: Stats,
    first_call: Stats,
    warm_1k: Stats,
    warm_64k: Stats,
    budget_bytes: u64,
    rss: Option<Value>,
}

/// What groups 9 and 10 measured.
#[derive(Default)]
pub struct Report {
    pub typed: Vec<TypedRow>,
    pub guests: Vec<GuestColumn>,
    pub guest_rounds: usize,
    /// Why a guest is missing from table 10, or ran on the on-demand allocator.
    pub notes: Vec<String>,
}

fn policy() -> Policy {
    Policy::default()
}

fn plugin(engine: &Engine, path: &Path) -> Result<Plugin> {
    Plugin::builder(engine)
        .wasm_file(path)
        .policy(policy())
        .build()
        .with_context(|| format!("loading {}", path.display()))
}

fn to_vals(bytes: &[u8]) -> Vec<Val> {
    vec![Val::List(bytes.iter().map(|&b| Val::U8(b)).collect())]
}

fn from_vals(out: &[Val]) -> Result<Vec<u8>> {
    match out {
        [Val::List(items)] => items
            .iter()
            .map(|v| match v {
                Val::U8(b) => Ok(*b),
                other => Err(anyhow!("echo-bytes returned a {other:?} in its list")),
            })
            .collect(),
        other => bail!("echo-bytes returned {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// 9. Typed component vs bytes ABI vs Extism

/// Group 9: count_vowels and echo, each path on the same inputs. `core_cv` / `core_echo` are
/// the core-module plugins rows 1-5 use, on `engine`.
pub fn typed_vs_bytes(
    engine: &Engine,
    core_cv: &Plugin,
    core_echo: &Plugin,
    ext_c: &extism::CompiledPlugin,
    paths: &Paths,
    rounds: usize,
    min_sample: Duration,
) -> Result<Vec<TypedRow>> {
    let typed = plugin(engine, &paths.count_vowels)?;
    ensure!(
        typed.is_component(),
        "{} is not a component",
        paths.count_vowels.display()
    );
    let dynamic = nanoproc::component::Component::builder(engine)
        .wasm_file(&paths.types)
        .policy(policy())
        .build()
        .with_context(|| format!("loading {}", paths.types.display()))?;
    let new_ext = || extism::Plugin::new_from_compiled(ext_c);

    say("9. checking that the bytes-ABI, typed, dynamic and Extism paths agree");
    for n in [0usize, 1, 1024, 65536] {
        let text = text_input(n);
        let a = core_cv.call("count_vowels", &text)?;
        ensure!(
            typed.call("count_vowels", &text)? == a,
            "count_vowels({n} B): the typed component differs from the core plugin"
        );
        let e: Vec<u8> = new_ext()?.call("count_vowels", text.as_slice())?;
        let (a, e): (Value, Value) = (serde_json::from_slice(&a)?, serde_json::from_slice(&e)?);
        ensure!(a == e, "count_vowels({n} B): core {a} / Extism {e}");
        let bytes = crate::echo_input(n);
        ensure!(typed.call("echo", &bytes)? == bytes, "typed echo {n}");
        ensure!(
            from_vals(&dynamic.call(ECHO_BYTES, &to_vals(&bytes))?)? == bytes,
            "dynamic echo-bytes {n}"
        );
    }

    let mut rows = Vec::new();
    let cases: [(&str, &str, usize); 4] = [
        ("count_vowels 1 KiB", "count_vowels", 1 << 10),
        ("count_vowels 64 KiB", "count_vowels", 64 << 10),
        ("echo 1 KiB", "echo", 1 << 10),
        ("echo 64 KiB", "echo", 64 << 10),
    ];
    for (label, func, n) in cases {
        let input = if func == "echo" {
            crate::echo_input(n)
        } else {
            text_input(n)
        };
        let input = input.as_slice();
        let core = if func == "echo" { core_echo } else { core_cv };
        let with_dynamic = func == "echo";
        for fresh in [false, true] {
            let what = format!(
                "9. {label}, {}",
                if fresh {
                    "fresh sandbox per call"
                } else {
                    "reused instance"
                }
            );
            say(format!("{what}: interleaved, {rounds} samples each"));
            let mut runners: Vec<Runner> = Vec::new();
            if fresh {
                runners.push(Box::new(move |k| {
                    for _ in 0..k {
                        black_box(core.call(func, black_box(input))?);
                    }
                    Ok(())
                }));
                let t = &typed;
                runners.push(Box::new(move |k| {
                    for _ in 0..k {
                        black_box(t.call(func, black_box(input))?);
                    }
                    Ok(())
                }));
                runners.push(Box::new(move |k| {
                    for _ in 0..k {
                        let out: Vec<u8> = new_ext()?.call(func, black_box(input))?;
                        black_box(out);
                    }
                    Ok(())
                }));
                if with_dynamic {
                    let d = &dynamic;
                    runners.push(Box::new(move |k| {
                        for _ in 0..k {
                            let out = d.call(ECHO_BYTES, &to_vals(black_box(input)))?;
                            black_box(from_vals(&out)?);
                        }
                        Ok(())
                    }));
                }
            } else {
                let mut ci = core.instance()?;
                runners.push(Box::new(move |k| {
                    for _ in 0..k {
                        black_box(ci.call(func, black_box(input))?);
                    }
                    Ok(())
                }));
                let mut ti = typed.instance()?;
                runners.push(Box::new(move |k| {
                    for _ in 0..k {
                        black_box(ti.call(func, black_box(input))?);
                    }
                    Ok(())
                }));
                let mut ep = new_ext()?;
                runners.push(Box::new(move |k| {
                    for _ in 0..k {
                        let out: Vec<u8> = ep.call(func, black_box(input))?;
                        black_box(out);
                    }
                    Ok(())
                }));
                if with_dynamic {
                    let mut di = dynamic.instance()?;
                    runners.push(Box::new(move |k| {
                        for _ in 0..k {
                            let out = di.call(ECHO_BYTES, &to_vals(black_box(input)))?;
                            black_box(from_vals(&out)?);
                        }
                        Ok(())
                    }));
                }
            }
            let s = interleaved(rounds, min_sample, &mut runners)?;
            rows.push(TypedRow {
                what,
                core: s[0],
                typed: s[1],
                extism: s[2],
                dynamic: s.get(3).copied(),
            });
        }
    }
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// 10. Interpreter-embedding guests

/// The allocator a guest runs on in group 10.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Alloc {
    Pooling,
    OnDemand,
}

impl Alloc {
    fn name(self) -> &'static str {
        match self {
            Alloc::Pooling => "pooling",
            Alloc::OnDemand => "on-demand",
        }
    }
}

/// A nanoproc engine like the bench's (pooling with `slots`, or on demand), caching compiled
/// code in `cache` (`None`: no cache).
fn engine(alloc: Alloc, slots: u32, cache: Option<&Path>) -> Result<Engine> {
    match (alloc, cache) {
        (Alloc::Pooling, Some(c)) => hosts::nanoproc_engine(slots, c),
        (Alloc::Pooling, None) => {
            let mut b = Engine::builder();
            b.pooling(Some(nanoproc::PoolingOptions {
                total_instances: slots,
                max_memory_size: hosts::MAX_MEMORY,
                ..Default::default()
            }))
            .cache_dir(None)
            .progress(false);
            Ok(b.build()?)
        }
        (Alloc::OnDemand, c) => {
            let mut b = Engine::builder();
            b.pooling(None)
                .cache_dir(c.map(Path::to_path_buf))
                .progress(false);
            Ok(b.build()?)
        }
    }
}

/// Loads `path` on the pooling engine and makes one sandbox and one call; if any of that
/// fails, on the on-demand engine instead. Returns the plugin, the allocator, and why the pool
/// was not used.
/// Also returns how long the (successful) `build()` took.
fn load_fitting(
    pool: &Engine,
    on_demand: &Engine,
    path: &Path,
) -> Result<(Plugin, Alloc, Option<String>, f64)> {
    let probe = |e: &Engine| -> Result<(Plugin, f64)> {
        let t = Instant::now();
        let p = plugin(e, path)?;
        let built = t.elapsed().as_nanos() as f64;
        p.instance()?.call("count_vowels", b"probe")?;
        p.call("count_vowels", b"probe")?;
        Ok((p, built))
    };
    match probe(pool) {
        Ok((p, t)) => Ok((p, Alloc::Pooling, None, t)),
        Err(e) => {
            let why = format!("{e:#}");
            say(format!(
                "  {} does not run on the pooling allocator ({why}); using the on-demand one",
                path.display()
            ));
            let (p, t) = probe(on_demand)?;
            Ok((p, Alloc::OnDemand, Some(why), t))
        }
    }
}

/// Total size of the files under `dir` (0 if it does not exist).
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(_) => e.metadata().map(|m| m.len()).unwrap_or(0),
            Err(_) => 0,
        })
        .sum()
}

/// The sandbox memory budget a fresh call of `count_vowels(input)` needs: the smallest
/// `CallOptions::max_memory` (to 1 KiB) that does not hit the memory limit. nanoproc charges
/// every linear memory's and table's size (8 bytes per table element), from instantiation on,
/// to that one budget, so this is their total size at the end of the call.
fn budget_needed(p: &Plugin, input: &[u8]) -> Result<u64> {
    let fits = |bytes: u64| -> Result<bool> {
        let options = CallOptions {
            max_memory: Some(bytes),
            ..Default::default()
        };
        match p.call_with("count_vowels", input, &options) {
            Ok(_) => Ok(true),
            Err(nanoproc::Error::LimitExceeded {
                kind: LimitKind::Memory,
                ..
            }) => Ok(false),
            Err(e) => Err(anyhow!("count_vowels with max_memory {bytes}: {e}")),
        }
    };
    let (mut lo, mut hi) = (0u64, nanoproc::policy::DEFAULT_MAX_MEMORY);
    ensure!(
        fits(hi)?,
        "count_vowels does not fit in {hi} bytes of memory"
    );
    while hi - lo > 1024 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

/// Group 10. `pool` is the bench's pooling engine (warm compile cache in its cache dir).
pub fn interpreter_guests(
    pool: &Engine,
    guests: &Guests,
    paths: &Paths,
    counts: Counts,
    tmp: &Path,
    rss: impl Fn(&str) -> Result<Value>,
    report: &mut Report,
) -> Result<()> {
    let on_demand = engine(Alloc::OnDemand, 0, Some(&tmp.join("on-demand-cache")))?;
    let mut list: Vec<(&'static str, PathBuf)> = vec![
        ("core module, bytes ABI (Rust)", guests.count_vowels.clone()),
        ("Rust component", paths.count_vowels.clone()),
    ];
    for (name, p) in [
        ("Python component", &paths.python),
        ("JavaScript component", &paths.javascript),
    ] {
        match p {
            Some(p) => list.push((name, p.clone())),
            None => report.notes.push(format!(
                "{name}: not measured (no path given; run.sh passes the ones `examples/components/build.sh --large` builds)"
            )),
        }
    }

    // The first build of each guest on the bench's engine finds nothing cached for it (unless
    // an earlier group loaded it): that is the first compile sample. More samples on engines of
    // their own, each with an empty cache.
    let mut columns = Vec::new();
    for (name, path) in &list {
        let file_bytes = std::fs::metadata(path)?.len();
        say(format!("10. {name}: loading on the bench's engine"));
        let cache = pool.cache_dir().map(dir_bytes).unwrap_or(0);
        let (p, alloc, why, first) = load_fitting(pool, &on_demand, path)?;
        let mut cached_bytes = pool
            .cache_dir()
            .map(dir_bytes)
            .unwrap_or(0)
            .saturating_sub(cache);
        if let Some(why) = why {
            report.notes.push(format!(
                "{name} runs on the **on-demand** allocator: on the pool it failed with: {why}"
            ));
        }
        // Nothing written: it was cached already, so that build was no compile.
        let mut compile = if cached_bytes > 0 {
            vec![first]
        } else {
            vec![]
        };
        while compile.len() < counts.compiles.max(1) {
            say(format!(
                "10. {name}: compile with an empty cache ({}/{})",
                compile.len() + 1,
                counts.compiles.max(1)
            ));
            let dir = tempfile::tempdir_in(tmp)?;
            let e = engine(alloc, 64, Some(dir.path()))?;
            let t = Instant::now();
            black_box(plugin(&e, path)?);
            compile.push(t.elapsed().as_nanos() as f64);
            cached_bytes = dir_bytes(dir.path());
        }
        columns.push((
            *name,
            path.clone(),
            file_bytes,
            p,
            alloc,
            (compile, cached_bytes),
        ));
    }

    // Creation from a warm cache, interleaved.
    say(format!(
        "10. plugin creation from a warm compile cache: {} samples each",
        counts.creates
    ));
    let mut runners: Vec<Runner> = columns
        .iter()
        .map(|(_, path, _, _, alloc, _)| -> Runner {
            let e = if *alloc == Alloc::Pooling {
                pool
            } else {
                &on_demand
            };
            let path = path.clone();
            Box::new(move |k| {
                for _ in 0..k {
                    black_box(plugin(e, &path)?);
                }
                Ok(())
            })
        })
        .collect();
    let create = interleaved(counts.creates, Duration::ZERO, &mut runners)?;
    drop(runners);

    let text_1k = text_input(1 << 10);
    let text_64k = text_input(64 << 10);
    let (t1, t64) = (text_1k.as_slice(), text_64k.as_slice());
    let expected: Value = serde_json::from_slice(&columns[0].3.call("count_vowels", t64)?)?;
    for (name, _, _, p, ..) in &columns {
        let got: Value = serde_json::from_slice(&p.call("count_vowels", t64)?)?;
        ensure!(
            got == expected,
            "count_vowels(64 KiB): {name} {got} / core {expected}"
        );
    }
    let plugins: Vec<&Plugin> = columns.iter().map(|c| &c.3).collect();
    let rounds = counts.rounds;
    let instantiate = run_each(
        "instantiate (fresh sandbox, no call)",
        rounds,
        &plugins,
        |p| {
            Ok(Box::new(move |k| {
                for _ in 0..k {
                    black_box(p.instance()?);
                }
                Ok(())
            }))
        },
    )?;
    let first = run_each(
        "fresh sandbox + first call, count_vowels 1 KiB",
        rounds,
        &plugins,
        |p| {
            Ok(Box::new(move |k| {
                for _ in 0..k {
                    black_box(p.call("count_vowels", black_box(t1))?);
                }
                Ok(())
            }))
        },
    )?;
    let warm_1k = run_each(
        "reused instance, count_vowels 1 KiB",
        rounds,
        &plugins,
        |p| warm_runner(p, t1),
    )?;
    let warm_64k = run_each(
        "reused instance, count_vowels 64 KiB",
        rounds,
        &plugins,
        |p| warm_runner(p, t64),
    )?;
    drop(plugins);

    for (i, (name, path, file_bytes, p, alloc, (compile, cached_bytes))) in
        columns.into_iter().enumerate()
    {
        say(format!(
            "10. {name}: memory budget of a fresh count_vowels(1 KiB) (bisecting max_memory)"
        ));
        let budget_bytes = budget_needed(&p, t1)?;
        drop(p);
        let n = if i < 2 {
            counts.instances_small
        } else {
            counts.instances_large
        };
        say(format!(
            "10. {name}: RSS of {n} live instances after one call (child process)"
        ));
        let rss = rss(&format!(
            "{}:{n}:{}",
            alloc.name(),
            path.to_str().ok_or_else(|| anyhow!("path is not UTF-8"))?
        ))?;
        report.guests.push(GuestColumn {
            name,
            file_bytes,
            allocator: alloc.name().into(),
            compile,
            cached_bytes,
            create_warm: create[i],
            instantiate: instantiate[i],
            first_call: first[i],
            warm_1k: warm_1k[i],
            warm_64k: warm_64k[i],
            budget_bytes,
            rss: Some(rss),
        });
    }
    report.guest_rounds = rounds;
    Ok(())
}

/// Group 10's latency rows: one runner per plugin, interleaved, one call per sample.
fn run_each<'a>(
    what: &str,
    rounds: usize,
    plugins: &[&'a Plugin],
    make: impl Fn(&'a Plugin) -> Result<Runner<'a>>,
) -> Result<Vec<Stats>> {
    say(format!("10. {what}: interleaved, {rounds} samples each"));
    let mut runners = plugins
        .iter()
        .map(|p| make(p))
        .collect::<Result<Vec<_>>>()?;
    interleaved(rounds, Duration::ZERO, &mut runners)
}

/// count_vowels(`input`) calls on one reused instance of `p`.
fn warm_runner<'a>(p: &'a Plugin, input: &'a [u8]) -> Result<Runner<'a>> {
    let mut i = p.instance()?;
    Ok(Box::new(move |k| {
        for _ in 0..k {
            black_box(i.call("count_vowels", black_box(input))?);
        }
        Ok(())
    }))
}

/// A live count_vowels plugin sandbox for the RSS row; its "no-op" is count_vowels(1 KiB).
struct CvInstance<'a>(PluginInstance, &'a [u8]);

impl Sandbox for CvInstance<'_> {
    fn noop(&mut self) -> Result<()> {
        black_box(self.0.call("count_vowels", self.1)?);
        Ok(())
    }
}

/// `--child rss-guest --who ALLOC:N:PATH`: RSS before/after `N` live instances of the plugin
/// at PATH (each after one count_vowels call), on the pooling or on-demand allocator.
pub fn child_rss(who: &str) -> Result<Value> {
    let mut parts = who.splitn(3, ':');
    let (alloc, n, path) = match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(n), Some(p)) => (a, n.parse::<usize>()?, PathBuf::from(p)),
        _ => bail!("--who for rss-guest is ALLOC:N:PATH, got `{who}`"),
    };
    let alloc = match alloc {
        "pooling" => Alloc::Pooling,
        "on-demand" => Alloc::OnDemand,
        other => bail!("unknown allocator `{other}`"),
    };
    let tmp = tempfile::tempdir()?;
    let e = engine(alloc, 1064, Some(tmp.path()))?;
    let p = plugin(&e, &path)?;
    let text_1k = text_input(1 << 10);
    let text = text_1k.as_slice();
    // One sandbox made, called and dropped first: the pool and the allocator warm up.
    CvInstance(p.instance()?, text).noop()?;
    let base = rss_kib();
    let mut v = hold(n, || Ok(CvInstance(p.instance()?, text)), |_| Value::Null)?;
    v["baseline_kib"] = json!(base);
    Ok(v)
}

// ---------------------------------------------------------------------------------------------
// The report

fn kib(bytes: f64) -> String {
    if bytes >= 10.0 * 1024.0 * 1024.0 {
        format!("{:.1} MiB", bytes / 1024.0 / 1024.0)
    } else {
        format!("{:.0} KiB", bytes / 1024.0)
    }
}

/// Markdown for groups 9 and 10 (empty when neither ran).
pub fn render(rep: &Report, rounds: usize, min_sample_us: u64) -> String {
    let mut md = String::new();
    let w = &mut md;
    if !rep.typed.is_empty() {
        let _ = writeln!(
            w,
            "\n**9. Typed component vs bytes ABI vs Extism** (same run, interleaved like rows 1-5: {rounds} samples per contender, batches of at least {min_sample_us} µs; *median (p99)* per call). *Core, bytes ABI*: `Plugin` on `examples/plugins/bin/count_vowels.wasm` / `echo.wasm` (the plugins of rows 1-5). *Typed component*: `Plugin` on `examples/components/bin/count_vowels.wasm`, the Rust `nanoproc:plugin` component with the same functions and output (its `call(name, input) -> result<list<u8>, string>` export). *Dynamic `Component::call`*: `nanoproc:examples/all-types#echo-bytes` of `examples/components/bin/types.wasm`, `Val`s in and out, the conversion from and to bytes included; only echo rows, because `Component` does not link `nanoproc:plugin/host`, which the count_vowels component imports. *Extism*: the guest of rows 1-5. *Reused instance*: `instance()` once, then calls; *fresh sandbox*: `Plugin::call` / `Component::call` (a new store and instance per call), Extism `Plugin::new_from_compiled` + call. Same pooling engine as rows 1-5.\n"
        );
        let _ = writeln!(
            w,
            "| measurement | core, bytes ABI | typed component (Rust) | dynamic `Component::call` | Extism | typed ÷ core | dynamic ÷ core | Extism ÷ core |"
        );
        let _ = writeln!(w, "|---|---|---|---|---|---|---|---|");
        for r in &rep.typed {
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                r.what,
                cell(Some(r.core)),
                cell(Some(r.typed)),
                cell(r.dynamic),
                cell(Some(r.extism)),
                ratio(Some(r.typed.median), Some(r.core.median)),
                ratio(r.dynamic.map(|s| s.median), Some(r.core.median)),
                ratio(Some(r.extism.median), Some(r.core.median)),
            );
        }
    }
    if !rep.guests.is_empty() {
        let g = &rep.guests;
        let _ = writeln!(
            w,
            "\n**10. Guests that embed an interpreter** (count_vowels; the Python component is built by componentize-py, the JavaScript one by jco/componentize-js, both by `examples/components/build.sh --large`; latency rows interleaved, {} samples per guest, one call per sample, *median (p99)*). *Compile, empty cache*: `Plugin::builder(..).build()` on an engine whose cache directory holds nothing for this guest (reads and hashes the `.wasm`, validates and compiles it with Cranelift on all cores, writes the cache, links, and makes one sandbox to check the plugin: the bytes ABI version or the component's `functions()`); *median (range)* of {} builds, each with an empty cache. *Warm cache*: the same build when the cache holds the compiled code. *Instantiate*: `Plugin::instance()` (a fresh sandbox, no call). *Budget*: the smallest `CallOptions::max_memory` a fresh count_vowels(1 KiB) runs in, bisected to 1 KiB: the size of all its linear memories and tables (8 bytes per element) at the end of the call, which is what nanoproc's `limits.max_memory` charges. *RSS per instance*: VmRSS growth ÷ N while N instances live after one count_vowels(1 KiB) each, in a child process. Ratios are to the core module.\n",
            rep.guest_rounds,
            g.first().map(|c| c.compile.len()).unwrap_or(0)
        );
        let _ = write!(w, "| measurement |");
        for c in g {
            let _ = write!(w, " {} |", c.name);
        }
        for c in g.iter().skip(1) {
            let _ = write!(w, " {} ÷ core |", c.name.trim_end_matches(" component"));
        }
        let _ = writeln!(w);
        let _ = writeln!(w, "|---|{}", "---|".repeat(2 * g.len() - 1));
        let core = &g[0];
        type Cell<'a> = Box<dyn Fn(&GuestColumn) -> (String, Option<f64>) + 'a>;
        let st = |f: fn(&GuestColumn) -> Option<Stats>| -> Cell {
            Box::new(move |c| (cell(f(c)), f(c).map(|s| s.median)))
        };
        let rss_per = |c: &GuestColumn| -> Option<(f64, f64, f64)> {
            let v = c.rss.as_ref()?;
            let k = |key: &str| v[key].as_f64();
            let n = k("n")?;
            Some((
                (k("created_kib")? - k("before_kib")?) / n,
                (k("called_kib")? - k("before_kib")?) / n,
                k("dropped_kib")? - k("baseline_kib")?,
            ))
        };
        let rows: Vec<(&str, Cell)> = vec![
            (
                "`.wasm` size",
                Box::new(|c| (format!("{} bytes", c.file_bytes), Some(c.file_bytes as f64))),
            ),
            ("allocator", Box::new(|c| (c.allocator.clone(), None))),
            (
                "compile + build, empty cache",
                Box::new(|c| {
                    let s = measure::stats(c.compile.clone());
                    let lo = c.compile.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = c.compile.iter().copied().fold(0.0, f64::max);
                    let text = if c.compile.len() > 1 {
                        format!("{} ({}–{})", fmt_ns(s.median), fmt_ns(lo), fmt_ns(hi))
                    } else {
                        format!("{} (1 build)", fmt_ns(s.median))
                    };
                    (text, Some(s.median))
                }),
            ),
            (
                "compiled code written to the cache",
                Box::new(|c| (kib(c.cached_bytes as f64), Some(c.cached_bytes as f64))),
            ),
            ("build, warm compile cache", st(|c| Some(c.create_warm))),
            (
                "instantiate (fresh sandbox, no call)",
                st(|c| Some(c.instantiate)),
            ),
            (
                "fresh sandbox + first call, count_vowels 1 KiB",
                st(|c| Some(c.first_call)),
            ),
            (
                "reused instance, count_vowels 1 KiB",
                st(|c| Some(c.warm_1k)),
            ),
            (
                "reused instance, count_vowels 64 KiB",
                st(|c| Some(c.warm_64k)),
            ),
            (
                "memory budget after instantiation + one call (memories + tables)",
                Box::new(|c| (kib(c.budget_bytes as f64), Some(c.budget_bytes as f64))),
            ),
            (
                "RSS per live instance, created / after one call",
                Box::new(move |c| match rss_per(c) {
                    Some((a, b, _)) => (format!("{a:.0} KiB / {b:.0} KiB"), Some(b)),
                    None => ("—".into(), None),
                }),
            ),
            (
                "RSS still held after dropping them all",
                Box::new(move |c| match rss_per(c) {
                    Some((_, _, left)) => (
                        format!(
                            "{left:.0} KiB (N = {})",
                            c.rss.as_ref().and_then(|v| v["n"].as_u64()).unwrap_or(0)
                        ),
                        None,
                    ),
                    None => ("—".into(), None),
                }),
            ),
        ];
        for (what, f) in rows {
            let _ = write!(w, "| {what} |");
            let base = f(core).1;
            for c in g {
                let _ = write!(w, " {} |", f(c).0);
            }
            for c in g.iter().skip(1) {
                let _ = write!(w, " {} |", ratio(f(c).1, base));
            }
            let _ = writeln!(w);
        }
        for n in &rep.notes {
            let _ = writeln!(w, "\n{n}");
        }
    } else {
        for n in &rep.notes {
            let _ = writeln!(w, "\n{n}");
        }
    }
    md
}
