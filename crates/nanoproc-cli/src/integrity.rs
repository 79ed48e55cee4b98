//! The integrity check every command that runs guest code makes before compiling it, the
//! audit record of a refusal, and the file reading `sign`, `verify` and `verify-receipt` share.

use nanoproc::audit::{AuditEvent, AuditSink, Decision};
use nanoproc::integrity::PublicKey;
use nanoproc::{JsonLinesSink, Policy, loader};
use std::path::{Path, PathBuf};

/// Loads the program at `file`, checked against the policy's integrity requirements (if any)
/// before anything is compiled. A refusal goes to the audit file, when there is one, and to
/// the tracing log.
pub fn load(
    engine: &nanoproc::Engine,
    file: &Path,
    policy: &Policy,
    audit: Option<&Path>,
) -> nanoproc::Result<nanoproc::Loaded> {
    loader::load_file_verified(engine, file, policy.integrity()).or_else(|e| {
        if matches!(e, nanoproc::Error::Integrity(_)) {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.display().to_string());
            let event = AuditEvent::new("integrity", name, Decision::Denied, e.detail());
            nanoproc::TracingSink.record(&event);
            if let Some(path) = audit {
                JsonLinesSink::create(path)?.record(&event);
            }
        }
        Err(e)
    })
}

/// Reads the public key files given with `--pubkey`.
pub fn public_keys(paths: &[PathBuf]) -> nanoproc::Result<Vec<PublicKey>> {
    paths.iter().map(|p| PublicKey::from_file(p)).collect()
}

/// Reads a file the user named; a failure names `what` and the path.
pub fn read(path: &Path, what: &str) -> nanoproc::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| nanoproc::Error::Io {
        context: format!("cannot read {what} `{}`", path.display()),
        source: e,
    })
}
