//! The audit trail as Python sees it: [`AuditEvent`] objects, and the bounded sink a
//! plugin keeps its events in until `Plugin.audit_events()` drains them.

use crate::convert::py_repr;
use nanoproc::audit::{AuditEvent as RustEvent, AuditSink, Decision};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// One thing that happened at the sandbox boundary: a capability used or refused, a limit
/// hit, a host function called.
#[pyclass(frozen, module = "nanoproc", name = "AuditEvent")]
pub(crate) struct AuditEvent {
    event: RustEvent,
}

#[pymethods]
impl AuditEvent {
    /// What kind of capability or limit: `fs.mount`, `fs.open`, `env`, `net.connect`,
    /// `host_fn`, `limit.memory`, `limit.timeout`, `limit.fuel`, `limit.output`, `exit`,
    /// `trap`, ...
    #[getter]
    fn kind(&self) -> &str {
        &self.event.what
    }

    /// The target: a path, a variable name, a host function, a limit value.
    #[getter]
    fn target(&self) -> &str {
        &self.event.target
    }

    /// `"allowed"` or `"denied"`.
    #[getter]
    fn decision(&self) -> &'static str {
        decision_name(self.event.decision)
    }

    /// `True` when the decision was `"denied"`.
    #[getter]
    pub(crate) fn denied(&self) -> bool {
        self.event.decision == Decision::Denied
    }

    /// The rule that decided it, or how to change the decision.
    #[getter]
    fn detail(&self) -> &str {
        &self.event.rule
    }

    /// When it happened, in seconds since the Unix epoch (millisecond resolution).
    #[getter]
    fn time(&self) -> f64 {
        self.event.time_ms as f64 / 1000.0
    }

    /// The event as a dict with the keys `kind`, `target`, `decision`, `detail`, `time`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("kind", self.kind())?;
        d.set_item("target", self.target())?;
        d.set_item("decision", self.decision())?;
        d.set_item("detail", self.detail())?;
        d.set_item("time", self.time())?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "AuditEvent(kind={}, target={}, decision={}, detail={})",
            py_repr(py, &self.event.what),
            py_repr(py, &self.event.target),
            py_repr(py, self.decision()),
            py_repr(py, &self.event.rule)
        )
    }
}

fn decision_name(d: Decision) -> &'static str {
    match d {
        Decision::Allowed => "allowed",
        Decision::Denied => "denied",
    }
}

/// Python objects for `events`.
pub(crate) fn to_py(py: Python<'_>, events: Vec<RustEvent>) -> PyResult<Vec<Py<AuditEvent>>> {
    events
        .into_iter()
        .map(|event| Py::new(py, AuditEvent { event }))
        .collect()
}

/// How many events a plugin keeps for `audit_events()` at most; past it the oldest go.
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
