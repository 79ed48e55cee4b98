//! `nanoproc verify-receipt --pubkey HOST.pub RECEIPT.json [--module FILE.wasm]`.

use crate::report;
use clap::Args;
use std::path::PathBuf;

/// Check a run receipt (`nanoproc run --receipt`): signed by one of the host keys and not
/// edited since; with --module, also that it describes that exact binary. Prints a summary.
#[derive(Args)]
pub struct VerifyReceiptCommand {
    /// A trusted host public key. Repeatable.
    #[arg(long = "pubkey", value_name = "PUB", required = true)]
    pubkeys: Vec<PathBuf>,
    /// Also check that the receipt is about this binary (its sha256).
    #[arg(long, value_name = "FILE")]
    module: Option<PathBuf>,
    /// The receipt (JSON).
    #[arg(value_name = "RECEIPT")]
    receipt: PathBuf,
}

impl VerifyReceiptCommand {
    /// Runs the subcommand; returns the exit code.
    pub fn execute(self) -> i32 {
        match self.verify() {
            Ok(()) => 0,
            Err(e) => report::error(&e),
        }
    }

    fn verify(&self) -> nanoproc::Result<()> {
        let keys = crate::integrity::public_keys(&self.pubkeys)?;
        let bytes = crate::integrity::read(&self.receipt, "receipt")?;
        let text = String::from_utf8_lossy(&bytes);
        let checked = nanoproc::receipt::verify(&text, &keys)?;
        let r = &checked.receipt;
        let s = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => nanoproc::error::escape_controls(s),
            other => other.to_string(),
        };
        if let Some(path) = &self.module {
            let bytes = crate::integrity::read(path, "module")?;
            let sha = nanoproc::receipt::sha256_hex(&bytes);
            if r["module"]["sha256"].as_str() != Some(sha.as_str()) {
                return Err(nanoproc::Error::Integrity(format!(
                    "the receipt is about sha256 {}, not `{}` (sha256 {sha})",
                    s(&r["module"]["sha256"]),
                    path.display()
                )));
            }
        }
        println!("receipt verified: signed by host key {}", checked.signer);
        println!(
            "  module:  {} sha256 {} signed by {}",
            s(&r["module"]["name"]),
            s(&r["module"]["sha256"]),
            match r["module"]["signers"].as_array() {
                Some(a) if !a.is_empty() => a.iter().map(s).collect::<Vec<_>>().join(", "),
                _ => "no trusted key".into(),
            }
        );
        println!("  policy:  {}", s(&r["policy"]["digest"]));
        println!(
            "  outcome: {}, exit code {} ({} → {})",
            s(&r["outcome"]["status"]),
            s(&r["outcome"]["exit_code"]),
            s(&r["started_at"]),
            s(&r["ended_at"])
        );
        println!(
            "  used:    {} capabilities, {} denials",
            r["capabilities_used"].as_array().map_or(0, Vec::len),
            r["denials"].as_array().map_or(0, Vec::len)
        );
        Ok(())
    }
}
