//! The integrity check every command that runs guest code makes before compiling it, and the
//! audit record of a refusal.

use nanoproc::audit::{AuditEvent, AuditSink, Decision};
use nanoproc::integrity::PublicKey;
use nanoproc::{JsonLinesSink, Policy};
use std::path::{Path, PathBuf};

/// Checks `bytes` against the policy's integrity requirements (if any) before anything is
/// compiled. A refusal goes to the audit file, when there is one, and to the tracing log.
pub fn check(
    bytes: &[u8],
    name: &str,
    policy: &Policy,
    audit: Option<&Path>,
) -> nanoproc::Result<Option<nanoproc::integrity::Verified>> {
    if !policy.integrity().is_active() {
        return Ok(None);
    }
    match nanoproc::integrity::check(bytes, name, policy.integrity()) {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            let event = AuditEvent::new("integrity", name, Decision::Denied, e.detail());
            nanoproc::TracingSink.record(&event);
            if let Some(path) = audit {
                JsonLinesSink::create(path)?.record(&event);
            }
            Err(e)
        }
    }
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
