//! The audit trail: every capability granted, used or denied, and every limit hit, as an
//! [`AuditEvent`] delivered to the [`AuditSink`]s the caller chose.

use serde::Serialize;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// Whether a capability use was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The policy allowed it.
    Allowed,
    /// The policy refused it.
    Denied,
}

/// One thing that happened at the sandbox boundary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// Milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// What kind of capability: `fs.mount`, `fs.file`, `env`, `net.connect`, `net.dns`,
    /// `http.request`, `limit.memory`, `limit.timeout`, `limit.fuel`, `limit.output`,
    /// `limit.http`, `exit`, `trap`, …
    pub what: String,
    /// The target: a path, a variable name, a socket address, a URL, a limit value.
    pub target: String,
    /// Allowed or denied.
    pub decision: Decision,
    /// The rule that decided it, or how to change the decision.
    pub rule: String,
}

impl AuditEvent {
    /// Makes an event stamped now.
    pub fn new(
        what: impl Into<String>,
        target: impl Into<String>,
        decision: Decision,
        rule: impl Into<String>,
    ) -> Self {
        let time_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        AuditEvent {
            time_ms,
            what: what.into(),
            target: target.into(),
            decision,
            rule: rule.into(),
        }
    }
}

/// Where audit events go. Implementations must be cheap and must not panic.
pub trait AuditSink: Send + Sync {
    /// Receives one event.
    fn record(&self, event: &AuditEvent);
}

/// Keeps events in memory; read them with [`MemorySink::events`].
#[derive(Debug, Default, Clone)]
pub struct MemorySink {
    events: Arc<Mutex<Vec<AuditEvent>>>,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }
    /// A copy of the events so far.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

impl AuditSink for MemorySink {
    fn record(&self, event: &AuditEvent) {
        if let Ok(mut e) = self.events.lock() {
            e.push(event.clone());
        }
    }
}

/// Appends one JSON object per line to a writer (a file, for `--audit FILE`).
pub struct JsonLinesSink {
    out: Mutex<Box<dyn Write + Send>>,
}

impl JsonLinesSink {
    /// Writes to `out`.
    pub fn new(out: impl Write + Send + 'static) -> Self {
        JsonLinesSink {
            out: Mutex::new(Box::new(out)),
        }
    }
    /// Creates (or truncates) `path` and writes to it.
    pub fn create(path: &std::path::Path) -> crate::Result<Self> {
        let f = std::fs::File::create(path).map_err(|e| {
            crate::Error::io(format!("cannot create audit file `{}`", path.display()), e)
        })?;
        Ok(Self::new(std::io::LineWriter::new(f)))
    }
}

impl AuditSink for JsonLinesSink {
    fn record(&self, event: &AuditEvent) {
        if let (Ok(mut out), Ok(line)) = (self.out.lock(), serde_json::to_string(event)) {
            let _ = writeln!(out, "{line}");
        }
    }
}

/// Sends events to `tracing` at DEBUG (allowed) or INFO (denied), target `nanoproc::audit`
/// (the CLI shows them with `NANOPROC_LOG=nanoproc::audit=debug`).
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingSink;

impl AuditSink for TracingSink {
    fn record(&self, e: &AuditEvent) {
        match e.decision {
            Decision::Allowed => {
                tracing::debug!(target: "nanoproc::audit", what = %e.what, target = %e.target, rule = %e.rule, "allowed")
            }
            Decision::Denied => {
                tracing::info!(target: "nanoproc::audit", what = %e.what, target = %e.target, rule = %e.rule, "denied")
            }
        }
    }
}

/// How many events a sandbox keeps for its [`crate::Outcome`]; the caller's sinks still
/// receive every event. Bounds host memory however busy a hostile guest is.
pub const MAX_KEPT_EVENTS: usize = 10_000;

/// The per-sandbox audit trail: fans events out to the caller's sinks and keeps a copy
/// (up to [`MAX_KEPT_EVENTS`]) for the [`crate::Outcome`]. Cheap to clone.
#[derive(Clone, Default)]
pub struct Audit {
    sinks: Arc<Vec<Arc<dyn AuditSink>>>,
    kept: MemorySink,
    keep: usize,
    dropped: Arc<std::sync::atomic::AtomicU64>,
}

impl Audit {
    pub(crate) fn new(sinks: Vec<Arc<dyn AuditSink>>) -> Self {
        Audit {
            sinks: Arc::new(sinks),
            kept: MemorySink::new(),
            keep: MAX_KEPT_EVENTS,
            dropped: Default::default(),
        }
    }

    /// A trail that only forwards to `sinks` and keeps no copy: for plugins, which live
    /// long, serve many calls, and have no outcome to attach events to.
    pub(crate) fn forwarding(sinks: Vec<Arc<dyn AuditSink>>) -> Self {
        Audit {
            keep: 0,
            ..Audit::new(sinks)
        }
    }

    /// Records an event.
    pub fn record(&self, event: AuditEvent) {
        for s in self.sinks.iter() {
            s.record(&event);
        }
        if self.keep > 0
            && let Ok(mut kept) = self.kept.events.lock()
            && kept.len() < self.keep
        {
            kept.push(event);
            return;
        }
        self.dropped
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Events not kept for the outcome because [`MAX_KEPT_EVENTS`] was reached.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Shorthand for [`Audit::record`] with a new event.
    pub fn event(
        &self,
        what: &str,
        target: impl Into<String>,
        decision: Decision,
        rule: impl Into<String>,
    ) {
        self.record(AuditEvent::new(what, target, decision, rule));
    }

    pub(crate) fn events(&self) -> Vec<AuditEvent> {
        self.kept.events()
    }
}
