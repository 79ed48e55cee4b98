//! `nanoproc run [FLAGS] FILE.wasm [-- ARGS...]`.

use crate::flags::SandboxFlags;
use crate::report;
use clap::Args;
use nanoproc::{AuditSink, JsonLinesSink, Outcome, Prepared, Status};
use std::path::PathBuf;
use std::sync::Arc;

/// Run a WASI command in a deny-by-default sandbox.
#[derive(Args)]
pub struct RunCommand {
    #[command(flatten)]
    sandbox: SandboxFlags,

    /// Write every audit event (grants, uses, denials, limits) to FILE as JSON lines.
    #[arg(long, value_name = "FILE")]
    audit: Option<PathBuf>,

    /// Write a signed run receipt to FILE (JSON: module sha256 and signers, policy and its
    /// digest, versions, limits, capabilities used, denials, outcome, times). Needs
    /// --receipt-key. Check it with `nanoproc verify-receipt`.
    #[arg(long, value_name = "FILE", requires = "receipt_key")]
    receipt: Option<PathBuf>,

    /// The host's secret key that signs the receipt (from `nanoproc keygen`).
    #[arg(long, value_name = "KEY", requires = "receipt")]
    receipt_key: Option<PathBuf>,

    /// Print the outcome (status, usage, denials) as one JSON object on stderr.
    #[arg(long)]
    json: bool,

    /// Do not read or write the on-disk compile cache.
    #[arg(long)]
    no_cache: bool,

    /// The program: a WASI preview 1 module or preview 2 component (.wasm or .wat).
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// Arguments for the program (after `--`).
    #[arg(last = true, value_name = "ARGS")]
    args: Vec<String>,
}

impl RunCommand {
    /// Runs the subcommand; returns the process exit code.
    pub fn execute(self) -> i32 {
        match self.run() {
            Ok(code) => code,
            Err(e) => report::error(&e),
        }
    }

    fn run(&self) -> nanoproc::Result<i32> {
        let policy = self.sandbox.resolve(&self.args, true)?;
        // The host key first: a receipt that cannot be signed is known before anything runs.
        let receipt_key = match &self.receipt_key {
            Some(path) => Some(nanoproc::integrity::SecretKey::from_file(path)?),
            None => None,
        };
        let engine = crate::flags::engine_builder(&policy, self.no_cache).build()?;
        let loaded = crate::integrity::load(&engine, &self.file, &policy, self.audit.as_deref())?;
        let prepared = Prepared::new(&engine, &loaded, policy)?;
        let mut sinks: Vec<Arc<dyn AuditSink>> = vec![Arc::new(nanoproc::TracingSink)];
        if let Some(path) = &self.audit {
            sinks.push(Arc::new(JsonLinesSink::create(path)?));
        }
        let started = std::time::SystemTime::now();
        let outcome = prepared.run(sinks)?;
        let ended = std::time::SystemTime::now();
        self.report(&outcome, loaded.bytes(), prepared.policy());
        if let (Some(path), Some(key)) = (&self.receipt, &receipt_key) {
            let record = nanoproc::receipt::RunRecord {
                module: &loaded,
                policy: prepared.policy(),
                outcome: &outcome,
                started,
                ended,
            };
            let signed = nanoproc::receipt::sign(nanoproc::receipt::build(&record), key)?;
            let text = serde_json::to_string_pretty(&signed)
                .map_err(|e| nanoproc::Error::Internal(format!("cannot write a receipt: {e}")))?;
            std::fs::write(path, text + "\n").map_err(|e| nanoproc::Error::Io {
                context: format!("cannot write receipt `{}`", path.display()),
                source: e,
            })?;
        }
        Ok(outcome.exit_code())
    }

    fn report(&self, outcome: &Outcome, bytes: &[u8], policy: &nanoproc::Policy) {
        // `capture` in a policy file means "collect, then hand over": print it now.
        use std::io::Write;
        if !outcome.stdout.is_empty() {
            let _ = std::io::stdout().write_all(&outcome.stdout);
            let _ = std::io::stdout().flush();
        }
        if !outcome.stderr.is_empty() {
            let _ = std::io::stderr().write_all(&outcome.stderr);
        }
        if let Status::Stopped(e) = &outcome.status {
            report::error(e);
        }
        if !outcome.success() {
            explain_denials(outcome, bytes, policy, self.audit.is_some());
        }
        if self.json {
            eprintln!("{}", outcome.to_json());
        }
    }
}

/// When a run fails, point at the capability that was probably missing.
fn explain_denials(outcome: &Outcome, bytes: &[u8], policy: &nanoproc::Policy, has_audit: bool) {
    // Limits that stop the guest print their own error line; the disk quota and the
    // descriptor cap only fail a call, so the guest's failure needs this note.
    let denials: Vec<_> = outcome
        .denials()
        .filter(|d| {
            let stops_the_guest = d.what.starts_with("limit.")
                && !matches!(d.what.as_str(), "limit.disk" | "limit.fds");
            !stops_the_guest && d.what != "trap"
        })
        .collect();
    for d in denials.iter().take(5) {
        eprintln!(
            "nanoproc: note: denied {} `{}`: {}",
            d.what, d.target, d.rule
        );
    }
    if denials.len() > 5 {
        let more = if has_audit {
            "see the audit file"
        } else {
            "rerun with --audit FILE to see them all"
        };
        eprintln!(
            "nanoproc: note: … and {} more denials ({more})",
            denials.len() - 5
        );
    }
    if policy.mounts().is_empty()
        && policy.files().is_empty()
        && matches!(outcome.status, Status::Exited(_))
    {
        let uses_fs = nanoproc::inspect::inspect(bytes, "")
            .map(|r| {
                r.imports
                    .contains_key(&nanoproc::inspect::Capability::Filesystem)
            })
            .unwrap_or(false);
        if uses_fs {
            eprintln!(
                "nanoproc: note: the program has no filesystem access (deny by default); grant a directory with --dir HOST::GUEST (read-only; add :rw for writes)"
            );
        }
    }
}
