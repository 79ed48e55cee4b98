//! `nanoproc sign --key KEY FILE.wasm [--output OUT]`.

use crate::report;
use clap::Args;
use nanoproc::integrity::{self, SecretKey};
use std::path::PathBuf;

/// Add an Ed25519 signature to a module or component. The signature goes in a custom section
/// at the start of the binary, so the signed file still runs anywhere; existing signatures by
/// other keys stay valid.
#[derive(Args)]
pub struct SignCommand {
    /// The secret key (from `nanoproc keygen`).
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// Write the signed binary here instead of replacing FILE.
    #[arg(long, short, value_name = "OUT")]
    output: Option<PathBuf>,
    /// The module or component (.wasm).
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

impl SignCommand {
    /// Runs the subcommand; returns the exit code.
    pub fn execute(self) -> i32 {
        match self.sign() {
            Ok(()) => 0,
            Err(e) => report::error(&e),
        }
    }

    fn sign(&self) -> nanoproc::Result<()> {
        let key = SecretKey::from_file(&self.key)?;
        let bytes = crate::integrity::read(&self.file, "module")?;
        let name = self.file.display().to_string();
        let signed = integrity::sign(&bytes, &key, &name)?;
        let out = self.output.as_ref().unwrap_or(&self.file);
        write_atomically(out, &signed)?;
        let count = integrity::signature_info(&signed, &name)?.key_ids.len();
        println!(
            "signed {} with {} ({count} signature{} in all)",
            out.display(),
            key.public_key().fingerprint(),
            if count == 1 { "" } else { "s" }
        );
        Ok(())
    }
}

/// Writes through a temporary file in the same directory, then renames it into place, so an
/// interrupted write never leaves a half-signed binary. The file keeps the permissions of the
/// one it replaces (a new file gets 0644).
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> nanoproc::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let io = |e: std::io::Error| nanoproc::Error::Io {
        context: format!("cannot write `{}`", path.display()),
        source: e,
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(io)?;
    let permissions = match std::fs::metadata(path) {
        Ok(m) => m.permissions(),
        Err(_) => std::os::unix::fs::PermissionsExt::from_mode(0o644),
    };
    tmp.as_file().set_permissions(permissions).map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}
