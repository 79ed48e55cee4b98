//! Environment variables and arguments: nothing of the host's leaks; exactly what the
//! policy gives arrives.

use crate::env::captured;
use crate::{Case, Category::Environment, Ctx, Expect, Got};

/// The environment cases.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "env.host_environment_raw",
            Environment,
            "`environ_sizes_get`/`environ_get` called directly, under a policy granting no variables",
            "the guest's environment is built from the policy only; the host's is never inherited",
            Expect::Exit(0),
            environ_raw,
        ),
        Case::new(
            "env.host_environment_std",
            Environment,
            "`env.wasm` (Rust std) lists its environment",
            "nothing granted, nothing listed",
            Expect::Exit(0),
            environ_std,
        ),
        Case::new(
            "env.host_environment_p2",
            Environment,
            "`env_p2.wasm`, a preview 2 component, lists its environment",
            "components get the same empty environment",
            Expect::Exit(0),
            environ_p2,
        ),
        Case::new(
            "env.only_granted",
            Environment,
            "list the environment when the policy sets one variable",
            "exactly the granted variable is visible, none of the host's",
            Expect::Exit(0),
            only_granted,
        ),
        Case::new(
            "env.args_exact",
            Environment,
            "`args_get` called directly: look for the host's own command line",
            "the guest sees its name and the policy's arguments, byte for byte, nothing else",
            Expect::Exit(0),
            args_exact,
        ),
    ]
}

/// Writes the argument strings (NUL-separated) to stdout and the environment strings to
/// stderr, and exits with the number of environment variables.
const DUMP: &str = r#"(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 2)
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 32) (local.get $ptr))
    (i32.store (i32.const 36) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 32) (i32.const 1) (i32.const 40))))
  (func (export "_start")
    (if (call $args_sizes_get (i32.const 0) (i32.const 4)) (then (call $exit (i32.const 100))))
    (if (i32.gt_u (i32.load (i32.const 4)) (i32.const 30000)) (then (call $exit (i32.const 101))))
    (if (call $args_get (i32.const 1024) (i32.const 4096)) (then (call $exit (i32.const 102))))
    (call $write (i32.const 1) (i32.const 4096) (i32.load (i32.const 4)))
    (if (call $environ_sizes_get (i32.const 8) (i32.const 12)) (then (call $exit (i32.const 103))))
    (if (i32.gt_u (i32.load (i32.const 12)) (i32.const 60000)) (then (call $exit (i32.const 104))))
    (if (call $environ_get (i32.const 2048) (i32.const 65536)) (then (call $exit (i32.const 105))))
    (call $write (i32.const 2) (i32.const 65536) (i32.load (i32.const 12)))
    (call $exit (i32.load (i32.const 8)))))"#;

/// `Err` unless the host itself has environment variables (else the case proves nothing).
fn host_has_env() -> Result<(), String> {
    if std::env::vars_os().next().is_none() {
        return Err("the host process has no environment variables to leak".into());
    }
    Ok(())
}

fn environ_raw(cx: &Ctx) -> Result<Got, String> {
    host_has_env()?;
    let got = cx.env.run_bytes(DUMP.as_bytes(), &[], &mut captured());
    if !got.stderr.is_empty() {
        return Err(format!("the guest saw variables: {}", got.summary()));
    }
    Ok(got)
}

fn environ_std(cx: &Ctx) -> Result<Got, String> {
    host_has_env()?;
    let got = cx.env.run_guest("env.wasm", &[], &mut captured());
    if !got.stdout.is_empty() {
        return Err(format!("the guest saw variables: {}", got.summary()));
    }
    Ok(got)
}

fn environ_p2(cx: &Ctx) -> Result<Got, String> {
    host_has_env()?;
    let got = cx.env.run_guest("env_p2.wasm", &[], &mut captured());
    if !got.stdout.is_empty() {
        return Err(format!("the guest saw variables: {}", got.summary()));
    }
    Ok(got)
}

fn only_granted(cx: &Ctx) -> Result<Got, String> {
    host_has_env()?;
    let mut b = captured();
    b.env("GRANTED", "yes");
    let got = cx.env.run_guest("env.wasm", &[], &mut b);
    if got.stdout != b"GRANTED=yes\n" {
        return Err(format!("expected only GRANTED=yes, got {}", got.summary()));
    }
    Ok(got)
}

fn args_exact(cx: &Ctx) -> Result<Got, String> {
    let got = cx
        .env
        .run_bytes(DUMP.as_bytes(), &["a b", "--c=\u{e9}"], &mut captured());
    let want = "attack.wasm\0a b\0--c=\u{e9}\0";
    if got.stdout != want.as_bytes() {
        return Err(format!(
            "expected the arguments {want:?}, got {}",
            got.summary()
        ));
    }
    if !got.stderr.is_empty() {
        return Err(format!("the guest saw variables: {}", got.summary()));
    }
    Ok(got)
}
