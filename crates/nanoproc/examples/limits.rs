//! Every limit stopping a hostile guest, and the host carrying on.
//!
//! ```text
//! cargo run -p nanoproc --example limits
//! ```

use nanoproc::{Engine, Policy, Prepared, loader, policy::OutputMode};
use std::time::Duration;

/// A guest and the one limit that should stop it.
type Case = (&'static str, fn(&mut nanoproc::PolicyBuilder));

fn main() -> nanoproc::Result<()> {
    let engine = Engine::builder().fuel(true).build()?;
    let guests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/guests/bin");
    let cases: [Case; 5] = [
        ("memhog.wasm", |p| {
            p.max_memory(16 << 20);
        }),
        ("multimem.wasm", |p| {
            p.max_memory(16 << 20);
        }),
        ("spin.wasm", |p| {
            p.timeout(Some(Duration::from_millis(500)));
        }),
        ("spin.wasm", |p| {
            p.fuel(Some(5_000_000));
        }),
        ("flood.wasm", |p| {
            p.max_output(Some(4096));
        }),
    ];
    for (guest, limit) in cases {
        let mut policy = Policy::builder();
        policy.stdout(OutputMode::Null).stderr(OutputMode::Null);
        limit(&mut policy);
        let loaded = loader::load_file(&engine, &guests.join(guest))?;
        let outcome = Prepared::new(&engine, &loaded, policy.build()?)?.run(vec![])?;
        println!(
            "{guest:<14} exit {} {:?}",
            outcome.exit_code(),
            outcome.status
        );
    }
    Ok(())
}
