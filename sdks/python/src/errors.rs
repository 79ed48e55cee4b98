//! The exception hierarchy, and the one mapping from [`nanoproc::Error`] to it.
//!
//! Every exception carries `.kind` ([`nanoproc::Error::kind_name`]), `.detail`
//! ([`nanoproc::Error::detail`]) and `.exit_code` ([`nanoproc::Error::exit_code`]); its
//! `str()` is the one line `kind: detail` the CLI prints after `nanoproc: `.

use nanoproc::{Error, LimitKind};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyType;
use std::collections::VecDeque;
use std::sync::Mutex;

create_exception!(
    nanoproc,
    NanoprocError,
    PyException,
    "Base of every nanoproc error. `.kind` names the error kind (as the CLI prints it), `.detail` says what happened and how to allow it, `.exit_code` is the exit code the `nanoproc` CLI uses for it; `str(e)` is `kind: detail`."
);
create_exception!(
    nanoproc,
    PolicyError,
    NanoprocError,
    "The policy (keyword arguments, TOML file or per-call options) is invalid: a missing directory, a bad size or duration, an unknown key."
);
create_exception!(
    nanoproc,
    InvalidModule,
    NanoprocError,
    "The bytes are not a valid WebAssembly module or component, or not of the kind needed (a WASI command for `run`, a plugin for `Plugin`)."
);
create_exception!(
    nanoproc,
    Denied,
    NanoprocError,
    "The guest needs a capability its policy does not grant (an import, a host function); `.detail` names the grant that would allow it."
);
create_exception!(
    nanoproc,
    Trap,
    NanoprocError,
    "The guest trapped (unreachable, out-of-bounds access, stack overflow, ...)."
);
create_exception!(
    nanoproc,
    LimitExceeded,
    NanoprocError,
    "The guest hit one of its resource limits and was stopped. Subclasses: TimeLimit, MemoryLimit, FuelLimit, OutputLimit."
);
create_exception!(
    nanoproc,
    TimeLimit,
    LimitExceeded,
    "The guest ran longer than its timeout."
);
create_exception!(
    nanoproc,
    MemoryLimit,
    LimitExceeded,
    "The guest asked for more memory (all memories and tables together) than its budget."
);
create_exception!(
    nanoproc,
    FuelLimit,
    LimitExceeded,
    "The guest used all of its fuel (instruction budget)."
);
create_exception!(
    nanoproc,
    OutputLimit,
    LimitExceeded,
    "The guest wrote more than its output cap to stdout or stderr."
);
create_exception!(
    nanoproc,
    PluginError,
    NanoprocError,
    "The plugin reported a failure itself (`nanoproc::fail` in the ABI, an `err` result of a component plugin)."
);
create_exception!(
    nanoproc,
    HostFunctionError,
    NanoprocError,
    "A host function failed (a Python exception in a host function: its type and message are in `.detail`, and the exception itself is `__cause__`); the call that used it was stopped."
);
create_exception!(
    nanoproc,
    Cancelled,
    NanoprocError,
    "The call was cancelled by the host (`Plugin.cancel()`)."
);
create_exception!(
    nanoproc,
    AbiViolation,
    NanoprocError,
    "The plugin broke the plugin ABI (a bad pointer or length), or has no function of that name."
);
create_exception!(
    nanoproc,
    InvalidInput,
    NanoprocError,
    "A value given for a typed (component) call does not match its WIT type."
);
create_exception!(
    nanoproc,
    HostExhausted,
    NanoprocError,
    "The host ran short of something no sandbox limit covers (pool slots, memory mappings, native stack for nested calls); the host process is healthy."
);
create_exception!(
    nanoproc,
    IoError,
    NanoprocError,
    "A host-side I/O failure: reading the module or a policy file, opening a granted directory."
);
create_exception!(
    nanoproc,
    IntegrityError,
    NanoprocError,
    "The binary failed its policy's integrity check (not signed, signed by no trusted key, modified after signing, sha256 not pinned) and did not run, or a run receipt did not verify."
);
create_exception!(
    nanoproc,
    InternalError,
    NanoprocError,
    "A bug or an unexpected engine failure. Please report it."
);

/// Every exception class with the kind name and exit code its class attributes default to.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let classes: [(&str, Bound<'_, PyType>, &str, i32); 19] = [
        ("NanoprocError", py.get_type::<NanoprocError>(), "error", 1),
        (
            "PolicyError",
            py.get_type::<PolicyError>(),
            "invalid policy",
            125,
        ),
        (
            "InvalidModule",
            py.get_type::<InvalidModule>(),
            "invalid module",
            125,
        ),
        ("Denied", py.get_type::<Denied>(), "denied", 125),
        ("Trap", py.get_type::<Trap>(), "guest trap", 123),
        (
            "LimitExceeded",
            py.get_type::<LimitExceeded>(),
            "limit",
            124,
        ),
        ("TimeLimit", py.get_type::<TimeLimit>(), "time limit", 124),
        (
            "MemoryLimit",
            py.get_type::<MemoryLimit>(),
            "memory limit",
            121,
        ),
        ("FuelLimit", py.get_type::<FuelLimit>(), "fuel limit", 124),
        (
            "OutputLimit",
            py.get_type::<OutputLimit>(),
            "output limit",
            122,
        ),
        (
            "PluginError",
            py.get_type::<PluginError>(),
            "plugin error",
            1,
        ),
        (
            "HostFunctionError",
            py.get_type::<HostFunctionError>(),
            "host function error",
            123,
        ),
        ("Cancelled", py.get_type::<Cancelled>(), "cancelled", 124),
        (
            "AbiViolation",
            py.get_type::<AbiViolation>(),
            "abi violation",
            123,
        ),
        (
            "InvalidInput",
            py.get_type::<InvalidInput>(),
            "invalid input",
            125,
        ),
        (
            "HostExhausted",
            py.get_type::<HostExhausted>(),
            "host resources exhausted",
            120,
        ),
        ("IoError", py.get_type::<IoError>(), "io error", 125),
        (
            "IntegrityError",
            py.get_type::<IntegrityError>(),
            "integrity",
            126,
        ),
        (
            "InternalError",
            py.get_type::<InternalError>(),
            "internal error",
            127,
        ),
    ];
    for (name, class, kind, exit_code) in classes {
        class.setattr("kind", kind)?;
        class.setattr("detail", "")?;
        class.setattr("exit_code", exit_code)?;
        m.add(name, class)?;
    }
    Ok(())
}

/// The Python exception for `e`: its class by variant, `str()` = `kind: detail`, and the
/// `.kind`, `.detail`, `.exit_code` attributes.
pub(crate) fn to_pyerr(py: Python<'_>, e: &Error) -> PyErr {
    let kind = e.kind_name();
    let detail = e.detail();
    let line = format!("{kind}: {detail}");
    let err = match e {
        Error::InvalidModule(_) => InvalidModule::new_err(line),
        Error::InvalidPolicy(_) => PolicyError::new_err(line),
        Error::LimitExceeded { kind, .. } => match kind {
            LimitKind::Memory => MemoryLimit::new_err(line),
            LimitKind::Output => OutputLimit::new_err(line),
            LimitKind::Timeout => TimeLimit::new_err(line),
            LimitKind::Fuel => FuelLimit::new_err(line),
        },
        Error::Trap(_) => Trap::new_err(line),
        Error::Denied { .. } => Denied::new_err(line),
        Error::InvalidInput { .. } => InvalidInput::new_err(line),
        Error::AbiViolation(_) => AbiViolation::new_err(line),
        Error::HostFunction { .. } => HostFunctionError::new_err(line),
        Error::Guest(_) => PluginError::new_err(line),
        Error::Cancelled => Cancelled::new_err(line),
        Error::Io { .. } => IoError::new_err(line),
        Error::HostExhausted(_) => HostExhausted::new_err(line),
        Error::Integrity(_) => IntegrityError::new_err(line),
        Error::Internal(_) => InternalError::new_err(line),
    };
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail short of memory
    // exhaustion; the exception is still the right class then.
    let _ = value.setattr("kind", kind);
    let _ = value.setattr("detail", detail);
    let _ = value.setattr("exit_code", e.exit_code());
    err
}

/// A `PolicyError` for `message` (the library's `invalid policy` wording).
pub(crate) fn policy_error(py: Python<'_>, message: String) -> PyErr {
    to_pyerr(py, &Error::InvalidPolicy(message))
}

/// The error for using a closed plugin or instance (as Python's closed files raise).
pub(crate) fn closed(what: &str, name: &str) -> PyErr {
    PyValueError::new_err(format!(
        "{what} `{name}` is closed; create a new one to call it again"
    ))
}

/// Python exceptions raised by host functions, kept until the call that saw the failure
/// raises its `HostFunctionError` (which gets the exception as `__cause__`). Keyed by host
/// function name and message; bounded, so failures whose call never raises (the call was
/// cancelled or timed out meanwhile) cannot pile up.
#[derive(Default)]
pub(crate) struct HostErrors {
    kept: Mutex<VecDeque<(String, String, PyErr)>>,
}

/// How many host-function exceptions are kept for chaining at most.
const MAX_KEPT_HOST_ERRORS: usize = 16;

impl HostErrors {
    /// Keeps `err`, raised by host function `name`, which failed the call with `message`.
    pub(crate) fn keep(&self, name: &str, message: &str, err: PyErr) {
        if let Ok(mut kept) = self.kept.lock() {
            if kept.len() >= MAX_KEPT_HOST_ERRORS {
                kept.pop_front();
            }
            kept.push_back((name.to_string(), message.to_string(), err));
        }
    }

    /// Takes the exception that made host function `name` fail with `message`, if kept.
    fn take(&self, name: &str, message: &str) -> Option<PyErr> {
        let mut kept = self.kept.lock().ok()?;
        let i = kept
            .iter()
            .position(|(n, m, _)| n == name && m == message)?;
        kept.remove(i).map(|(_, _, e)| e)
    }
}

/// [`to_pyerr`] for a plugin call: a host function failure gets the Python exception that
/// caused it as `__cause__`.
pub(crate) fn call_error(py: Python<'_>, e: &Error, host_errors: &HostErrors) -> PyErr {
    let err = to_pyerr(py, e);
    if let Error::HostFunction { name, message } = e
        && let Some(cause) = host_errors.take(name, message)
    {
        err.set_cause(py, Some(cause));
    }
    err
}
