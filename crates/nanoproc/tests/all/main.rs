//! Integration tests of the nanoproc library, one module per capability.
//!
//! Guests are the prebuilt examples in `examples/guests/bin` (rebuilt and checked by
//! `examples/guests/build.sh --check`, see `guests.rs`). Every capability has a test that
//! it is denied by default and one that the grant works; every limit has a test that it
//! stops the guest with the right error kind, after which the host still runs guests.

mod abi;
mod components;
mod env;
mod fs;
mod guests;
mod host_fns;
mod http;
mod inspect;
mod integrity;
mod limits;
mod net;
mod p2_policy;
mod plugins;
mod run;

use nanoproc::{
    Engine, Outcome, Policy, PolicyBuilder, Prepared, Status, loader, policy::OutputMode,
};
use std::path::PathBuf;
use std::sync::LazyLock;

/// Path of a prebuilt example guest.
pub fn guest(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/guests/bin")
        .join(name)
}

fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("nanoproc-test-cache")
}

/// One engine for all tests (no fuel), with a compile cache under the target dir.
pub fn engine() -> &'static Engine {
    static E: LazyLock<Engine> = LazyLock::new(|| {
        let mut b = Engine::builder();
        b.cache_dir(Some(cache_dir()));
        b.build().expect("engine")
    });
    &E
}

/// One engine with fuel metering.
pub fn fuel_engine() -> &'static Engine {
    static E: LazyLock<Engine> = LazyLock::new(|| {
        let mut b = Engine::builder();
        b.fuel(true).cache_dir(Some(cache_dir()));
        b.build().expect("fuel engine")
    });
    &E
}

/// A builder that captures stdout and stderr.
pub fn captured() -> PolicyBuilder {
    let mut b = Policy::builder();
    b.stdout(OutputMode::Capture).stderr(OutputMode::Capture);
    b
}

/// Runs `name` with `args` under the policy `b` on `engine`.
pub fn run_on(engine: &Engine, name: &str, args: &[&str], b: &mut PolicyBuilder) -> Outcome {
    b.args(args.iter().copied());
    let policy = b.build().expect("valid policy");
    let loaded = loader::load_file(engine, &guest(name)).expect("guest loads");
    Prepared::new(engine, &loaded, policy)
        .expect("guest links")
        .run(vec![])
        .expect("sandbox runs")
}

/// Runs `name` with `args` under the policy `b` on the shared engine.
pub fn run(name: &str, args: &[&str], b: &mut PolicyBuilder) -> Outcome {
    run_on(engine(), name, args, b)
}

/// Runs inline WAT as a command.
pub fn run_wat(wat: &str, b: &mut PolicyBuilder) -> Outcome {
    let policy = b.build().expect("valid policy");
    let loaded = loader::load_bytes(engine(), wat.as_bytes(), "inline.wat").expect("wat loads");
    Prepared::new(engine(), &loaded, policy)
        .expect("links")
        .run(vec![])
        .expect("runs")
}

pub fn stdout(o: &Outcome) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Outcome) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts the guest exited with `code`, showing its output otherwise.
#[track_caller]
pub fn assert_exit(o: &Outcome, code: i32) {
    match &o.status {
        Status::Exited(c) if *c == code => {}
        other => panic!(
            "expected exit {code}, got {other:?}\nstdout: {}\nstderr: {}",
            stdout(o),
            stderr(o)
        ),
    }
}

/// The host is still healthy: a fresh sandbox runs hello correctly.
#[track_caller]
pub fn assert_host_healthy() {
    let o = run("hello.wasm", &[], &mut captured());
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "hello from a nano-process\n");
}
