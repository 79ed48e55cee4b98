//! What running a sandbox produced.

use crate::audit::{AuditEvent, Decision};
use crate::error::Error;
use std::time::Duration;

/// How a run ended.
#[derive(Debug)]
pub enum Status {
    /// The guest exited on its own with this status (0 = success).
    Exited(i32),
    /// nanoproc stopped the guest: a limit was hit, or it trapped.
    Stopped(Error),
}

/// Resources a run used.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Usage {
    /// Fuel consumed, when fuel metering was on.
    pub fuel_consumed: Option<u64>,
    /// Peak bytes of all memories and tables together.
    pub peak_memory_bytes: u64,
    /// Wall-clock time from instantiation to exit.
    #[serde(with = "duration_ms")]
    pub wall_time: Duration,
    /// Bytes the guest wrote to stdout.
    pub stdout_bytes: u64,
    /// Bytes the guest wrote to stderr.
    pub stderr_bytes: u64,
    /// Bytes by which the guest grew files in writable mounts (what the disk quota charged);
    /// `None` when the policy has no disk quota (nothing is counted then).
    pub disk_bytes_added: Option<u64>,
    /// The most descriptors the guest held open at once, counting those it opened itself
    /// (as `max_fds` does: not stdio or preopened directories).
    pub peak_fds: u64,
}

mod duration_ms {
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64() * 1000.0)
    }
}

/// The result of one run: status, captured output, usage and the audit trail.
#[derive(Debug)]
pub struct Outcome {
    /// How it ended.
    pub status: Status,
    /// Captured stdout (empty unless the policy captures it).
    pub stdout: Vec<u8>,
    /// Captured stderr (empty unless the policy captures it).
    pub stderr: Vec<u8>,
    /// Resources used.
    pub usage: Usage,
    /// The audit events of the run, in order (at most [`crate::audit::MAX_KEPT_EVENTS`]).
    pub events: Vec<AuditEvent>,
    /// Events left out of `events` because the cap was reached (sinks got them all).
    pub events_dropped: u64,
}

impl Outcome {
    /// The process exit code for this outcome: the guest's own status, or nanoproc's
    /// code for the limit or trap (see `docs/cli.md`).
    pub fn exit_code(&self) -> i32 {
        match &self.status {
            Status::Exited(code) => *code,
            Status::Stopped(e) => e.exit_code(),
        }
    }

    /// `true` if the guest exited with status 0.
    pub fn success(&self) -> bool {
        matches!(self.status, Status::Exited(0))
    }

    /// The events whose decision was `Denied`.
    pub fn denials(&self) -> impl Iterator<Item = &AuditEvent> {
        self.events
            .iter()
            .filter(|e| e.decision == Decision::Denied)
    }

    /// The outcome as one JSON object (what `nanoproc run --json` prints).
    pub fn to_json(&self) -> serde_json::Value {
        let (status, exit_code, error) = match &self.status {
            Status::Exited(c) => ("exited", *c, serde_json::Value::Null),
            Status::Stopped(e) => (
                "stopped",
                e.exit_code(),
                serde_json::json!({ "kind": e.kind_name(), "detail": e.detail() }),
            ),
        };
        serde_json::json!({
            "status": status,
            "exit_code": exit_code,
            "error": error,
            "usage": self.usage,
            "denials": self.denials().collect::<Vec<_>>(),
            "events": self.events,
            "events_dropped": self.events_dropped,
        })
    }
}
