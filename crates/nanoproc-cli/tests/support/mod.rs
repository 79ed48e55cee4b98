//! What every CLI test file needs: the built binary, the example files, and assertions on
//! exit codes and nanoproc's own one-line messages. Each test file uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// Path of a prebuilt example in `examples/DIR/bin`.
pub fn example(dir: &str, name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(dir)
        .join("bin")
        .join(name)
        .display()
        .to_string()
}

/// A prebuilt example guest (`examples/guests/bin`).
pub fn guest(name: &str) -> String {
    example("guests", name)
}

/// A prebuilt example component (`examples/components/bin`).
pub fn component(name: &str) -> String {
    example("components", name)
}

/// Runs `nanoproc ARGS` with a compile cache private to the tests and no log filter.
pub fn nanoproc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nanoproc"))
        .args(args)
        .env(
            "NANOPROC_CACHE_DIR",
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-cache"),
        )
        .env_remove("NANOPROC_LOG")
        .output()
        .expect("spawn nanoproc")
}

/// Bytes as text (lossy).
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The lines nanoproc itself wrote (not the guest): `nanoproc: ...`.
pub fn own_lines(o: &Output) -> Vec<String> {
    text(&o.stderr)
        .lines()
        .filter(|l| l.starts_with("nanoproc: "))
        .map(str::to_string)
        .collect()
}

/// The exit code is `code` (prints both streams if not).
#[track_caller]
pub fn assert_code(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        text(&o.stdout),
        text(&o.stderr)
    );
}
