//! `run()`: a WASI program in a fresh sandbox, and the `Outcome` it returns.

use crate::audit::{self, AuditEvent};
use crate::convert::py_repr;
use crate::engine::{self, Engine};
use crate::errors::to_pyerr;
use crate::plugin::{Code, code};
use crate::policy::Policy;
use nanoproc::{Prepared, Status, loader};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Resources a run used.
#[pyclass(frozen, module = "nanoproc", name = "Usage")]
pub(crate) struct Usage {
    usage: nanoproc::Usage,
}

#[pymethods]
impl Usage {
    /// Fuel consumed, when the engine meters fuel; else `None`.
    #[getter]
    fn fuel_consumed(&self) -> Option<u64> {
        self.usage.fuel_consumed
    }

    /// Peak bytes of all memories and tables together.
    #[getter]
    fn peak_memory_bytes(&self) -> u64 {
        self.usage.peak_memory_bytes
    }

    /// Wall-clock time from instantiation to exit, in seconds.
    #[getter]
    fn wall_time(&self) -> f64 {
        self.usage.wall_time.as_secs_f64()
    }

    /// Bytes the guest wrote to stdout (captured or not).
    #[getter]
    fn stdout_bytes(&self) -> u64 {
        self.usage.stdout_bytes
    }

    /// Bytes the guest wrote to stderr (captured or not).
    #[getter]
    fn stderr_bytes(&self) -> u64 {
        self.usage.stderr_bytes
    }

    /// Bytes by which the guest grew files in writable dirs, when the policy has a disk
    /// quota; else `None`.
    #[getter]
    fn disk_bytes_added(&self) -> Option<u64> {
        self.usage.disk_bytes_added
    }

    /// The most descriptors the guest held open at once (those it opened itself).
    #[getter]
    fn peak_fds(&self) -> u64 {
        self.usage.peak_fds
    }

    fn __repr__(&self) -> String {
        let u = &self.usage;
        format!(
            "Usage(fuel_consumed={}, peak_memory_bytes={}, wall_time={:.6}, stdout_bytes={}, stderr_bytes={})",
            u.fuel_consumed
                .map_or_else(|| "None".into(), |f| f.to_string()),
            u.peak_memory_bytes,
            u.wall_time.as_secs_f64(),
            u.stdout_bytes,
            u.stderr_bytes
        )
    }
}

/// What a `run` produced: how it ended, captured output, resources used, the audit trail.
///
/// `status` is `"exited"` (the guest exited on its own; `exit_code` is its status) or
/// `"stopped"` (nanoproc stopped it: a limit or a trap; `error` is the exception and
/// `exit_code` the CLI's code for it). `check()` raises that exception.
#[pyclass(frozen, module = "nanoproc", name = "Outcome")]
pub(crate) struct Outcome {
    exit_code: i32,
    stopped: bool,
    stdout: Py<PyBytes>,
    stderr: Py<PyBytes>,
    usage: Py<Usage>,
    events: Vec<Py<AuditEvent>>,
    events_dropped: u64,
    error: Option<PyErr>,
    json: String,
}

#[pymethods]
impl Outcome {
    /// `"exited"` or `"stopped"`.
    #[getter]
    fn status(&self) -> &'static str {
        if self.stopped { "stopped" } else { "exited" }
    }

    /// The guest's exit status, or the CLI's exit code for the error that stopped it
    /// (121 memory, 122 output, 123 trap, 124 time or fuel).
    #[getter]
    fn exit_code(&self) -> i32 {
        self.exit_code
    }

    /// `True` when the guest exited with status 0.
    #[getter]
    fn ok(&self) -> bool {
        !self.stopped && self.exit_code == 0
    }

    /// Captured stdout (empty when the policy does not capture output).
    #[getter]
    fn stdout(&self, py: Python<'_>) -> Py<PyBytes> {
        self.stdout.clone_ref(py)
    }

    /// Captured stderr (empty when the policy does not capture output).
    #[getter]
    fn stderr(&self, py: Python<'_>) -> Py<PyBytes> {
        self.stderr.clone_ref(py)
    }

    /// Resources used.
    #[getter]
    fn usage(&self, py: Python<'_>) -> Py<Usage> {
        self.usage.clone_ref(py)
    }

    /// The audit events of the run, in order (at most 10,000).
    #[getter]
    fn events(&self, py: Python<'_>) -> Vec<Py<AuditEvent>> {
        self.events.iter().map(|e| e.clone_ref(py)).collect()
    }

    /// The events whose decision was `"denied"`.
    #[getter]
    fn denials(&self, py: Python<'_>) -> Vec<Py<AuditEvent>> {
        self.events
            .iter()
            .filter(|e| e.get().denied())
            .map(|e| e.clone_ref(py))
            .collect()
    }

    /// Events left out of `events` because the cap was reached.
    #[getter]
    fn events_dropped(&self) -> u64 {
        self.events_dropped
    }

    /// The exception that stopped the guest (a `NanoprocError` subclass), or `None` if it
    /// exited on its own.
    #[getter]
    fn error<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.error.as_ref().map(|e| e.value(py).clone().into_any())
    }

    /// Raises `error` if the guest was stopped; returns the outcome otherwise. (A guest's own
    /// non-zero exit status is not an error: read `exit_code`.)
    fn check(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        match &slf.get().error {
            Some(e) => Err(e.clone_ref(slf.py())),
            None => Ok(slf),
        }
    }

    /// The outcome as the JSON text `nanoproc run --json` prints (status, exit code, error,
    /// usage, denials, events).
    fn to_json(&self) -> &str {
        &self.json
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Outcome(status={}, exit_code={}, stdout={} bytes, stderr={} bytes)",
            py_repr(py, self.status()),
            self.exit_code,
            self.stdout.bind(py).as_bytes().len(),
            self.stderr.bind(py).as_bytes().len(),
        )
    }
}

/// Runs a WASI program (a preview 1 module or a preview 2 component, path or bytes) in a
/// fresh sandbox under `policy` (default: nothing granted, output captured) and returns its
/// `Outcome`. `args` and `stdin` replace the policy's. The GIL is released while it runs.
///
/// A limit hit or a trap is reported in the outcome (`status == "stopped"`, `error` set);
/// with `check=True` it is raised instead. Problems before the guest runs (an invalid
/// module, a denied import, a bad policy) always raise.
#[pyfunction]
#[pyo3(signature = (wasm, *, policy = None, args = None, stdin = None, engine = None, check = false))]
pub(crate) fn run(
    py: Python<'_>,
    wasm: &Bound<'_, PyAny>,
    policy: Option<&Bound<'_, Policy>>,
    args: Option<Vec<String>>,
    stdin: Option<&Bound<'_, PyAny>>,
    engine: Option<&Bound<'_, Engine>>,
    check: bool,
) -> PyResult<Outcome> {
    let policy = match policy {
        Some(p) => p.get().with_io(py, args, stdin)?,
        None => {
            let p = Policy {
                policy: Policy::default_builder()
                    .build()
                    .map_err(|e| to_pyerr(py, &e))?,
                builder: Policy::default_builder(),
            };
            p.with_io(py, args, stdin)?
        }
    };
    let engine = engine::resolve(py, engine, policy.limits().fuel.is_some())?;
    let code = code(wasm)?;
    let outcome = py
        .detach(|| {
            let loaded = match &code {
                Code::File(path) => loader::load_file(&engine, path),
                Code::Bytes(bytes) => loader::load_bytes(&engine, bytes, "module"),
            }?;
            Prepared::new(&engine, &loaded, policy)?.run(Vec::new())
        })
        .map_err(|e| to_pyerr(py, &e))?;
    let json = outcome.to_json().to_string();
    let exit_code = outcome.exit_code();
    let (stopped, error) = match &outcome.status {
        Status::Exited(_) => (false, None),
        Status::Stopped(e) => (true, Some(to_pyerr(py, e))),
    };
    if check && let Some(e) = error {
        return Err(e);
    }
    Ok(Outcome {
        exit_code,
        stopped,
        stdout: PyBytes::new(py, &outcome.stdout).unbind(),
        stderr: PyBytes::new(py, &outcome.stderr).unbind(),
        usage: Py::new(
            py,
            Usage {
                usage: outcome.usage,
            },
        )?,
        events: audit::to_py(py, outcome.events)?,
        events_dropped: outcome.events_dropped,
        error,
        json,
    })
}
