//! Runs the hostile-guest catalogue (`nanoproc_attacks::catalogue`) in this one process,
//! case after case, and checks after each that the host is still healthy. Then checks (or,
//! with `NANOPROC_BLESS=1`, rewrites) `docs/security-tests.md`.
//!
//! ```sh
//! cargo test -p nanoproc-attacks                    # every case, and the table check
//! cargo test -p nanoproc-attacks -- fs. cpu.loop    # cases whose id starts with one of these
//! NANOPROC_BLESS=1 cargo test -p nanoproc-attacks   # rewrite docs/security-tests.md
//! ```
//!
//! A custom harness (`harness = false`): libtest would run cases on parallel threads, and
//! then the process's thread and file-descriptor counts could not be compared before and
//! after each case.

use nanoproc::plugin::Plugin;
use nanoproc::{Policy, Prepared, Status};
use nanoproc_attacks::env::{Dirs, Env, captured, fingerprint};
use nanoproc_attacks::health::{self, Snapshot};
use nanoproc_attacks::table::{self, Verdict};
use nanoproc_attacks::{Case, Ctx, catalogue, expect, logs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A case still running after this long is reported as hung and the process exits.
const HANG: Duration = Duration::from_secs(120);
/// How long leaked-looking threads and descriptors get to go away after a case.
const PATIENCE: Duration = Duration::from_secs(3);
/// After a memory-heavy case the resident set may stay at most this far above where it was.
const RSS_SLACK_KIB: u64 = 24 * 1024;

/// Set in a child process that runs one isolated case (the case's id).
const CHILD_VAR: &str = "NANOPROC_ATTACK_CHILD";

fn main() -> ExitCode {
    let child = std::env::var(CHILD_VAR).ok();
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("nanoproc-attacks-{}", std::process::id()));
    let tmp = work.join("tmp");
    let cases_dir = work.join("cases");
    for d in [&tmp, &cases_dir] {
        if let Err(e) = std::fs::create_dir_all(d) {
            eprintln!("cannot create {}: {e}", d.display());
            return ExitCode::FAILURE;
        }
    }
    // A private temporary directory, so files left behind by a sandbox (staged file grants)
    // are seen. Set before any other thread exists.
    // SAFETY: no other thread runs yet, so nothing reads the environment concurrently.
    unsafe { std::env::set_var("TMPDIR", &tmp) };
    logs::install();

    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let all = catalogue();
    let selected: Vec<&Case> = all
        .iter()
        .filter(|c| filters.is_empty() || filters.iter().any(|f| c.id.starts_with(f.as_str())))
        .collect();
    if std::env::args().any(|a| a == "--list") {
        // libtest's listing format, for tools that ask.
        for c in &selected {
            println!("{}: test", c.id);
        }
        return ExitCode::SUCCESS;
    }

    let env = match Env::new(&PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("attacks-cache")) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot build the engines: {e}");
            return ExitCode::FAILURE;
        }
    };
    let good = match KnownGood::new(&env) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("the known-good guest or plugin does not work before any attack: {e}");
            return ExitCode::FAILURE;
        }
    };
    let watchdog = watchdog();
    if let Err(e) = warm_up(&env, &good, &cases_dir) {
        eprintln!("warm-up failed: {e}");
        return ExitCode::FAILURE;
    }
    let mut baseline = health::snapshot();
    if let Some(id) = child {
        // One isolated case, run in this child process; the parent reads the last line.
        let Some(case) = all.iter().find(|c| c.id == id) else {
            println!("verdict: fail: no case `{id}`");
            return ExitCode::SUCCESS;
        };
        match check_case(case, &env, &good, &cases_dir, &tmp, &mut baseline) {
            Ok(()) => println!("verdict: pass"),
            Err(why) => println!("verdict: fail: {}", why.replace('\n', " ")),
        }
        let _ = std::fs::remove_dir_all(&work);
        return ExitCode::SUCCESS;
    }
    println!(
        "running {} of {} hostile-guest cases (baseline: {} threads, {} fds, {} MiB resident)",
        selected.len(),
        all.len(),
        baseline.threads,
        baseline.fds,
        baseline.rss_kib / 1024
    );

    let started = Instant::now();
    let mut results: Vec<(&Case, Verdict)> = Vec::new();
    for case in &selected {
        let _ = watchdog.send(Some(case.id));
        let t = Instant::now();
        let outcome = if case.isolated {
            run_isolated(case)
        } else {
            check_case(case, &env, &good, &cases_dir, &tmp, &mut baseline)
        };
        let observed = outcome.as_ref().err().cloned().unwrap_or_default();
        let verdict = verdict(case, outcome);
        let _ = watchdog.send(None);
        let ms = t.elapsed().as_millis();
        match &verdict {
            Verdict::Pass => println!("ok      {:<40} {ms:>6} ms", case.id),
            Verdict::KnownFailure => {
                println!("known   {:<40} {ms:>6} ms\n        {observed}", case.id)
            }
            Verdict::Fail(why) => println!("FAIL    {:<40} {ms:>6} ms\n        {why}", case.id),
        }
        results.push((case, verdict));
    }
    let failed: Vec<&str> = results
        .iter()
        .filter(|(_, v)| matches!(v, Verdict::Fail(_)))
        .map(|(c, _)| c.id)
        .collect();
    let known = results
        .iter()
        .filter(|(_, v)| *v == Verdict::KnownFailure)
        .count();
    println!(
        "\n{} passed, {} failed, {known} known failures, in {:.1} s",
        results.len() - failed.len() - known,
        failed.len(),
        started.elapsed().as_secs_f64()
    );
    let mut ok = failed.is_empty();
    if !ok {
        println!("failed: {}", failed.join(", "));
    }
    if filters.is_empty() {
        ok &= check_table(&repo.join("docs/security-tests.md"), &results);
    }
    let _ = std::fs::remove_dir_all(&work);
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs one case and every health check after it (after a failed case too, so that what
/// it leaked is blamed on it).
fn check_case(
    case: &Case,
    env: &Env,
    good: &KnownGood,
    cases_dir: &Path,
    tmp: &Path,
    baseline: &mut Snapshot,
) -> Result<(), String> {
    let dirs = Dirs::new(cases_dir).map_err(|e| format!("cannot set up the case: {e}"))?;
    let outside = fingerprint(&dirs.outside);
    let before = health::snapshot();
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        (case.run)(&Ctx { env, dirs: &dirs })
    }));
    let outcome = match ran {
        Ok(Ok(got)) => expect::check(&case.expect, &got),
        Ok(Err(why)) => Err(why),
        Err(panic) => Err(format!("the case panicked: {}", panic_text(&*panic))),
    };
    let health = host_health(case, good, dirs, &outside, tmp, &before, baseline);
    match (outcome, health) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(why), Ok(())) => Err(why),
        (Ok(()), Err(sick)) => Err(format!("host unhealthy after the attack: {sick}")),
        (Err(why), Err(sick)) => Err(format!("{why}; and the host is unhealthy: {sick}")),
    }
}

/// Everything that must hold after any attack.
fn host_health(
    case: &Case,
    good: &KnownGood,
    dirs: Dirs,
    outside: &[(PathBuf, String)],
    tmp: &Path,
    before: &Snapshot,
    baseline: &mut Snapshot,
) -> Result<(), String> {
    good.check()?;
    if fingerprint(&dirs.outside) != outside {
        return Err("files outside the sandbox's directories changed".into());
    }
    let top = top_level(&dirs.root);
    if top != ["mount", "outside", "rw"] {
        return Err(format!(
            "entries appeared next to the sandbox's directories: {top:?}"
        ));
    }
    drop(dirs);
    let left = top_level(tmp);
    if !left.is_empty() {
        for name in &left {
            let _ = std::fs::remove_dir_all(tmp.join(name));
        }
        return Err(format!("temporary files were left behind: {left:?}"));
    }
    let after = health::settle(baseline, PATIENCE).inspect_err(|_| {
        // Do not blame every later case for this one's leak.
        *baseline = health::snapshot();
    })?;
    if case.memory_heavy && after.rss_kib > before.rss_kib + RSS_SLACK_KIB {
        return Err(format!(
            "resident memory did not come back: {} MiB before the attack, {} MiB after",
            before.rss_kib / 1024,
            after.rss_kib / 1024
        ));
    }
    Ok(())
}

/// Runs one case in a child process (this test binary again, in child mode).
fn run_isolated(case: &Case) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the test binary: {e}"))?;
    let out = std::process::Command::new(exe)
        .env(CHILD_VAR, case.id)
        .output()
        .map_err(|e| format!("cannot start the child process: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    match stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("verdict: "))
    {
        Some("pass") if out.status.success() => Ok(()),
        Some(v) if out.status.success() => Err(v.strip_prefix("fail: ").unwrap_or(v).to_string()),
        _ => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
            Err(format!(
                "the host process died ({}): {}",
                out.status,
                tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
            ))
        }
    }
}

/// The verdict for a case's outcome, given whether it is a known failure.
fn verdict(case: &Case, outcome: Result<(), String>) -> Verdict {
    match (outcome, case.known_failure) {
        (Ok(()), None) => Verdict::Pass,
        (Ok(()), Some(_)) => Verdict::Fail(
            "marked as a known failure but passes now: remove `.known_failure(..)` from the case"
                .into(),
        ),
        (Err(_), Some(_)) => Verdict::KnownFailure,
        (Err(why), None) => Verdict::Fail(why),
    }
}

/// A guest and a plugin that must keep working after every attack.
struct KnownGood {
    hello: Prepared,
    echo: Plugin,
}

impl KnownGood {
    fn new(env: &Env) -> Result<Self, String> {
        let loaded = env.load("hello.wasm", false).map_err(|e| e.to_string())?;
        let policy = captured().build().map_err(|e| e.to_string())?;
        let hello = Prepared::new(&env.plain, &loaded, policy).map_err(|e| e.to_string())?;
        let echo = env
            .plugin_file("echo.wasm", Policy::default())
            .map_err(|e| e.to_string())?;
        let good = KnownGood { hello, echo };
        good.check()?;
        Ok(good)
    }

    fn check(&self) -> Result<(), String> {
        let o = self.hello.run(vec![]).map_err(|e| e.to_string())?;
        if !matches!(o.status, Status::Exited(0)) || o.stdout != b"hello from a nano-process\n" {
            return Err(format!(
                "hello.wasm: {:?}, stdout {:?}",
                o.status,
                String::from_utf8_lossy(&o.stdout)
            ));
        }
        let input = b"the host is still healthy";
        let out = self
            .echo
            .call("echo", input)
            .map_err(|e| format!("echo plugin: {e}"))?;
        if out != input {
            return Err("echo plugin returned the wrong bytes".into());
        }
        Ok(())
    }
}

/// Exercises everything that starts long-lived threads (epoch tickers, runtimes) once,
/// so they are part of the baseline rather than counted as leaks.
fn warm_up(env: &Env, good: &KnownGood, cases_dir: &Path) -> Result<(), String> {
    good.check()?;
    for fuel in [false, true] {
        let mut b = captured();
        b.timeout(Some(Duration::from_secs(5)));
        if fuel {
            b.fuel(Some(10_000_000));
        }
        let got = env.run_guest_with(fuel, "hello.wasm", &[], &mut b);
        expect::check(&nanoproc_attacks::Expect::Exit(0), &got)?;
    }
    let mut b = captured();
    b.timeout(Some(Duration::from_secs(5)));
    let got = env.run_bytes(br#"(module (func (export "_start")))"#, &[], &mut b);
    expect::check(&nanoproc_attacks::Expect::Exit(0), &got)?;
    // Plugins that import WASI run it on Wasmtime's process-wide Tokio runtime, whose
    // threads stay: start it, with a file copy like the cases do.
    let dirs = Dirs::new(cases_dir).map_err(|e| e.to_string())?;
    let mut b = Policy::builder();
    b.dir(&dirs.mount, "/in").mount(&dirs.rw, "/out", true);
    env.plugin_file("copy_file.wasm", b.build().map_err(|e| e.to_string())?)
        .and_then(|p| {
            p.call(
                "copy_file",
                br#"{"from":"/in/inside.txt","to":"/out/copy.txt"}"#,
            )
        })
        .map_err(|e| format!("the copy_file plugin: {e}"))?;
    Ok(())
}

/// A thread that ends the process if one case runs longer than [`HANG`].
fn watchdog() -> mpsc::Sender<Option<&'static str>> {
    let (tx, rx) = mpsc::channel::<Option<&'static str>>();
    std::thread::spawn(move || {
        let mut current = None;
        loop {
            match rx.recv_timeout(HANG) {
                Ok(c) => current = c,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(id) = current {
                        println!(
                            "FAIL    {id}: still running after {HANG:?}; the guest hung the host"
                        );
                        std::process::exit(2);
                    }
                }
            }
        }
    });
    tx
}

/// Compares (or, with `NANOPROC_BLESS=1`, writes) the generated table.
fn check_table(path: &Path, results: &[(&Case, Verdict)]) -> bool {
    let text = table::render(results);
    if std::env::var_os("NANOPROC_BLESS").is_some_and(|v| v == "1") {
        return match std::fs::write(path, &text) {
            Ok(()) => {
                println!("wrote {}", path.display());
                true
            }
            Err(e) => {
                println!("cannot write {}: {e}", path.display());
                false
            }
        };
    }
    match std::fs::read_to_string(path) {
        Ok(current) if current == text => true,
        _ => {
            println!(
                "docs/security-tests.md is out of date with the catalogue and these results; \
                 regenerate it with: NANOPROC_BLESS=1 cargo test -p nanoproc-attacks"
            );
            false
        }
    }
}

fn top_level(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}
