//! Run a WASI program under a policy built in code, and print its outcome.
//!
//! ```text
//! cargo run -p nanoproc --example run_with_policy -- examples/guests/bin/cat.wasm /etc/hosts
//! ```
//!
//! The program gets `/etc` read-only, 32 MiB of memory, two seconds and 64 KiB of output.

use nanoproc::{Engine, Policy, Prepared, Status, loader};
use std::time::Duration;

fn main() -> nanoproc::Result<()> {
    let mut args = std::env::args().skip(1);
    let wasm = args
        .next()
        .unwrap_or_else(|| "examples/guests/bin/cat.wasm".into());
    let engine = Engine::new()?;
    let mut policy = Policy::builder();
    policy
        .dir("/etc", "/etc")
        .args(args)
        .max_memory(32 << 20)
        .timeout(Some(Duration::from_secs(2)))
        .max_output(Some(64 << 10));
    let loaded = loader::load_file(&engine, wasm.as_ref())?;
    let outcome = Prepared::new(&engine, &loaded, policy.build()?)?.run(vec![])?;
    match &outcome.status {
        Status::Exited(code) => eprintln!("exited with {code}"),
        Status::Stopped(e) => eprintln!("stopped: {e}"),
    }
    eprintln!("usage: {:?}", outcome.usage);
    for denial in outcome.denials() {
        eprintln!("denied {} {}: {}", denial.what, denial.target, denial.rule);
    }
    std::process::exit(outcome.exit_code());
}
