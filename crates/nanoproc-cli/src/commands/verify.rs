//! `nanoproc verify --pubkey PUB [--pubkey PUB…] [--all] FILE.wasm`.

use crate::report;
use clap::Args;
use nanoproc::integrity::{self, IntegrityPolicy, SignatureRequirement};
use std::path::PathBuf;

/// Check a module's signatures: succeeds (exit 0) if one of the keys signed it (every key with
/// --all) and nothing changed since; else exits 126 with the reason.
#[derive(Args)]
pub struct VerifyCommand {
    /// A trusted public key (from `nanoproc keygen`). Repeatable.
    #[arg(long = "pubkey", value_name = "PUB", required = true)]
    pubkeys: Vec<PathBuf>,
    /// Require a signature by every key given, not just one.
    #[arg(long)]
    all: bool,
    /// The module or component.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

impl VerifyCommand {
    /// Runs the subcommand; returns the exit code.
    pub fn execute(self) -> i32 {
        match self.verify() {
            Ok(()) => 0,
            Err(e) => report::error(&e),
        }
    }

    fn verify(&self) -> nanoproc::Result<()> {
        let keys = crate::integrity::public_keys(&self.pubkeys)?;
        let bytes = crate::integrity::read(&self.file, "module")?;
        let policy = IntegrityPolicy {
            trusted_keys: keys,
            require: if self.all {
                SignatureRequirement::All
            } else {
                SignatureRequirement::Any
            },
            sha256: Vec::new(),
        };
        let name = self.file.display().to_string();
        let verified = integrity::check(&bytes, &name, &policy)?;
        println!(
            "{name}: verified; signed by {} (sha256 {})",
            verified.signers.join(", "),
            verified.sha256
        );
        Ok(())
    }
}
