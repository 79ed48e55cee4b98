//! The audit trail as JavaScript sees it: plain `AuditEvent` objects, and the bounded sink a
//! plugin keeps its events in until `plugin.auditEvents()` drains them.

use nanoproc::audit::{AuditEvent as RustEvent, AuditSink, Decision};
use napi_derive::napi;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// One thing that happened at the sandbox boundary.
#[napi(object)]
pub struct AuditEvent {
    /// What kind of capability or limit: `fs.mount`, `fs.open`, `env`, `net.connect`,
    /// `host_fn`, `limit.memory`, `limit.timeout`, `limit.fuel`, `limit.output`, `exit`, ...
    pub kind: String,
    /// The target: a path, a variable name, a host function, a limit value.
    pub target: String,
    /// `"allowed"` or `"denied"`.
    pub decision: String,
    /// The rule that decided it, or how to change the decision.
    pub detail: String,
    /// When it happened, in milliseconds since the Unix epoch.
    pub time_ms: f64,
}

/// The JavaScript objects of `events`.
pub(crate) fn to_js(events: Vec<RustEvent>) -> Vec<AuditEvent> {
    events
        .into_iter()
        .map(|e| AuditEvent {
            kind: e.what,
            target: e.target,
            decision: match e.decision {
                Decision::Allowed => "allowed",
                Decision::Denied => "denied",
            }
            .to_string(),
            detail: e.rule,
            time_ms: e.time_ms as f64,
        })
        .collect()
}

/// How many events a plugin keeps for `auditEvents()` at most; past it the oldest go.
pub(crate) const MAX_KEPT_EVENTS: usize = nanoproc::audit::MAX_KEPT_EVENTS;

/// Keeps a plugin's newest events, at most [`MAX_KEPT_EVENTS`], counting those dropped.
#[derive(Default)]
pub(crate) struct KeepSink {
    events: Mutex<VecDeque<RustEvent>>,
    dropped: AtomicU64,
}

impl AuditSink for KeepSink {
    fn record(&self, event: &RustEvent) {
        if let Ok(mut events) = self.events.lock() {
            if events.len() >= MAX_KEPT_EVENTS {
                events.pop_front();
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            events.push_back(event.clone());
        }
    }
}

impl KeepSink {
    /// The events kept so far, oldest first; `clear` empties the sink.
    pub(crate) fn events(&self, clear: bool) -> Vec<RustEvent> {
        match self.events.lock() {
            Ok(mut events) if clear => events.drain(..).collect(),
            Ok(events) => events.iter().cloned().collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Events dropped because the sink was full.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}
