//! `nanoproc keygen [--out PREFIX]`.

use crate::report;
use clap::Args;
use nanoproc::integrity::KeyPair;
use std::path::PathBuf;

/// Make an Ed25519 key pair: PREFIX.key (secret, PEM, mode 0600) and PREFIX.pub (public, PEM).
#[derive(Args)]
pub struct KeygenCommand {
    /// Where to write the pair (PREFIX.key and PREFIX.pub); never overwrites.
    #[arg(long, value_name = "PREFIX", default_value = "nanoproc")]
    out: PathBuf,
}

impl KeygenCommand {
    /// Runs the subcommand; returns the exit code.
    pub fn execute(self) -> i32 {
        let pair = KeyPair::generate();
        match pair.write(&self.out) {
            Ok((secret, public)) => {
                println!("secret key: {} (keep it private)", secret.display());
                println!("public key: {}", public.display());
                println!("fingerprint: {}", pair.public.fingerprint());
                0
            }
            Err(e) => report::error(&e),
        }
    }
}
