//! `run()`: a WASI program in a fresh sandbox, and the `Outcome` it returns.

use crate::audit::{self, AuditEvent};
use crate::convert::py_repr;
use crate::engine::{self, Engine};
use crate::errors::to_pyerr;
use crate::plugin::{Code, code};
use crate::policy::Policy;
use nanoproc::policy::StdinMode;
use nanoproc::{Loaded, ModuleKind, PolicyBuilder, Prepared, Status, loader};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::path::PathBuf;

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
    receipt: Option<Py<PyBytes>>,
}

#[pymethods]
impl Outcome {
    /// The signed run receipt (JSON bytes) when `run` was given `receipt_key`, else None.
    /// Check it with `verify_receipt` or `nanoproc verify-receipt`.
    #[getter]
    fn receipt(&self, py: Python<'_>) -> Option<Py<PyBytes>> {
        self.receipt.as_ref().map(|r| r.clone_ref(py))
    }

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

/// A WASI program loaded and linked once, to run many times (each run in a fresh sandbox):
/// what `run` does in one go, without reading and linking the module again every time.
///
/// `wasm` is a preview 1 module or a preview 2 component (a path, or the bytes); `policy`
/// (default: nothing granted, output captured) and `engine` are as for `run`. Loading raises
/// `InvalidModule` (not a WASI command), `Denied` (an import the policy does not grant),
/// `IoError` or `PolicyError`.
#[pyclass(frozen, module = "nanoproc", name = "Program")]
pub(crate) struct Program {
    engine: nanoproc::Engine,
    loaded: Loaded,
    builder: PolicyBuilder,
    prepared: Prepared,
}

impl Program {
    fn load(
        py: Python<'_>,
        wasm: &Bound<'_, PyAny>,
        policy: Option<&Bound<'_, Policy>>,
        engine: Option<&Bound<'_, Engine>>,
    ) -> PyResult<Self> {
        let (builder, policy) = match policy {
            Some(p) => (p.get().builder.clone(), p.get().policy.clone()),
            None => {
                let b = Policy::default_builder();
                let p = b.build().map_err(|e| to_pyerr(py, &e))?;
                (b, p)
            }
        };
        let engine = engine::resolve(py, engine, policy.limits().fuel.is_some())?;
        let code = code(wasm)?;
        let (loaded, prepared) = py
            .detach(|| {
                let loaded = load_checked(&engine, &code, &policy)?;
                let prepared = Prepared::new(&engine, &loaded, policy)?;
                Ok((loaded, prepared))
            })
            .map_err(|e: nanoproc::Error| to_pyerr(py, &e))?;
        Ok(Program {
            engine,
            loaded,
            builder,
            prepared,
        })
    }

    fn run_once(
        &self,
        py: Python<'_>,
        args: Option<Vec<String>>,
        stdin: Option<&Bound<'_, PyAny>>,
        check: bool,
    ) -> PyResult<Outcome> {
        let overrides = args.is_some() || stdin.is_some_and(|s| !s.is_none());
        let prepared = if overrides {
            let mut b = self.builder.clone();
            if let Some(args) = args {
                b.args(args);
            }
            if let Some(s) = stdin.filter(|s| !s.is_none()) {
                b.stdin(StdinMode::Bytes(
                    crate::convert::input("stdin", Some(s))?.as_slice().to_vec(),
                ));
            }
            let policy = b.build().map_err(|e| to_pyerr(py, &e))?;
            py.detach(|| Prepared::new(&self.engine, &self.loaded, policy))
                .map_err(|e| to_pyerr(py, &e))?
        } else {
            self.prepared.clone()
        };
        let outcome = py
            .detach(|| prepared.run(Vec::new()))
            .map_err(|e| to_pyerr(py, &e))?;
        to_outcome(py, outcome, check)
    }
}

#[pymethods]
impl Program {
    #[new]
    #[pyo3(signature = (wasm, *, policy = None, engine = None))]
    fn new(
        py: Python<'_>,
        wasm: &Bound<'_, PyAny>,
        policy: Option<&Bound<'_, Policy>>,
        engine: Option<&Bound<'_, Engine>>,
    ) -> PyResult<Self> {
        Program::load(py, wasm, policy, engine)
    }

    /// Runs the program once in a fresh sandbox and returns its `Outcome`; `args` and
    /// `stdin` replace the policy's for this run. Same reporting as `run`: a limit hit or a
    /// trap is in the outcome, or raised with `check=True`.
    #[pyo3(signature = (*, args = None, stdin = None, check = false))]
    fn run(
        &self,
        py: Python<'_>,
        args: Option<Vec<String>>,
        stdin: Option<&Bound<'_, PyAny>>,
        check: bool,
    ) -> PyResult<Outcome> {
        self.run_once(py, args, stdin, check)
    }

    /// The program's name (its file name, or `module` for bytes).
    #[getter]
    fn name(&self) -> &str {
        &self.loaded.name
    }

    /// `"module"` (WASI preview 1) or `"component"` (WASI preview 2).
    #[getter]
    fn kind(&self) -> &'static str {
        match self.loaded.kind {
            ModuleKind::CoreModule => "module",
            ModuleKind::Component => "component",
        }
    }

    /// The SHA-256 of the binary, in hex.
    #[getter]
    fn sha256(&self) -> String {
        self.loaded.sha256_hex()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Program(name={}, kind={})",
            py_repr(py, &self.loaded.name),
            py_repr(py, self.kind())
        )
    }
}

/// Runs a WASI program (a preview 1 module or a preview 2 component, path or bytes) in a
/// fresh sandbox under `policy` (default: nothing granted, output captured) and returns its
/// `Outcome`. `args` and `stdin` replace the policy's. The GIL is released while it runs.
/// (To run one program many times, load it once with `Program`.)
///
/// A limit hit or a trap is reported in the outcome (`status == "stopped"`, `error` set);
/// with `check=True` it is raised instead. Problems before the guest runs (an invalid
/// module, a denied import, a bad policy) always raise.
#[pyfunction]
#[pyo3(signature = (wasm, *, policy = None, args = None, stdin = None, engine = None, check = false, receipt_key = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    py: Python<'_>,
    wasm: &Bound<'_, PyAny>,
    policy: Option<&Bound<'_, Policy>>,
    args: Option<Vec<String>>,
    stdin: Option<&Bound<'_, PyAny>>,
    engine: Option<&Bound<'_, Engine>>,
    check: bool,
    receipt_key: Option<PathBuf>,
) -> PyResult<Outcome> {
    let receipt_key = match receipt_key {
        Some(path) => {
            Some(nanoproc::integrity::SecretKey::from_file(&path).map_err(|e| to_pyerr(py, &e))?)
        }
        None => None,
    };
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
            let loaded = load_checked(&engine, &code, &policy)?;
            let prepared = Prepared::new(&engine, &loaded, policy)?;
            let started = std::time::SystemTime::now();
            let outcome = prepared.run(Vec::new())?;
            let receipt = match &receipt_key {
                Some(key) => {
                    let record = nanoproc::receipt::RunRecord {
                        module: &loaded,
                        policy: prepared.policy(),
                        outcome: &outcome,
                        started,
                        ended: std::time::SystemTime::now(),
                    };
                    let signed = nanoproc::receipt::sign(nanoproc::receipt::build(&record), key)?;
                    Some(serde_json::to_vec_pretty(&signed).map_err(|e| {
                        nanoproc::Error::Internal(format!("cannot write a receipt: {e}"))
                    })?)
                }
                None => None,
            };
            Ok((outcome, receipt))
        })
        .map_err(|e: nanoproc::Error| to_pyerr(py, &e))?;
    let (outcome, receipt) = outcome;
    let mut out = to_outcome(py, outcome, check)?;
    out.receipt = receipt.map(|r| PyBytes::new(py, &r).unbind());
    Ok(out)
}

/// Loads the program, checked against the policy's integrity requirements before it is
/// compiled (an unsigned or tampered binary is never compiled).
fn load_checked(
    engine: &nanoproc::Engine,
    code: &Code,
    policy: &nanoproc::Policy,
) -> nanoproc::Result<Loaded> {
    match code {
        Code::File(path) => loader::load_file_verified(engine, path, policy.integrity()),
        Code::Bytes(bytes) => {
            loader::load_bytes_verified(engine, bytes, "module", policy.integrity())
        }
    }
}

/// Checks a run receipt (`run(..., receipt_key=...)`, `nanoproc run --receipt`) against the
/// host public key file `host_pubkey`: returns None if that key signed it and nothing changed
/// since; raises `IntegrityError` saying why otherwise.
#[pyfunction]
pub(crate) fn verify_receipt(py: Python<'_>, receipt: &[u8], host_pubkey: PathBuf) -> PyResult<()> {
    let key =
        nanoproc::integrity::PublicKey::from_file(&host_pubkey).map_err(|e| to_pyerr(py, &e))?;
    let text = std::str::from_utf8(receipt).map_err(|_| {
        to_pyerr(
            py,
            &nanoproc::Error::Integrity("the receipt is not UTF-8 JSON".into()),
        )
    })?;
    nanoproc::receipt::verify(text, &[key]).map_err(|e| to_pyerr(py, &e))?;
    Ok(())
}

/// The Python `Outcome` of `outcome`; with `check`, the error that stopped the guest instead.
fn to_outcome(py: Python<'_>, outcome: nanoproc::Outcome, check: bool) -> PyResult<Outcome> {
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
        receipt: None,
    })
}
