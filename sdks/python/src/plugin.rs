//! `Plugin` and `PluginInstance`: bytes-in, bytes-out calls into a plugin, each in a fresh
//! sandbox or in one kept alive; host functions implemented by Python callables.

use crate::audit::{self, KeepSink};
use crate::convert::{NameCache, input, opt_duration, opt_size, py_repr, type_name};
use crate::engine::{self, Engine};
use crate::errors::{HostErrors, call_error, closed, to_pyerr};
use crate::policy::Policy;
use nanoproc::plugin::{CallOptions, CancelHandle, HostFunctions};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMapping, PyString};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, TryLockError};

/// What a plugin and its instances share: names, the audit sink, host-function exceptions.
struct Shared {
    name: String,
    audit: Option<Arc<KeepSink>>,
    host_errors: Arc<HostErrors>,
}

/// A plugin: a WebAssembly module (plugin ABI, docs/abi.md) or component (`nanoproc:plugin`
/// world) whose functions take bytes and return bytes.
///
/// `wasm` is a path (`str` or `os.PathLike`) to a `.wasm`/`.wat` file, or the code itself
/// (`bytes`). `policy` says what its sandboxes may do (default: nothing). `host_functions`
/// maps `"ns::name"` to a Python callable taking `bytes` and returning bytes (a dict or a
/// `HostFunctions` registry); each must also be granted by `policy.allow_host_fns`, or
/// loading raises `Denied`. `config` is a dict of strings the plugin reads with
/// `config_get`. `name` names it in errors (default: the file name). `engine` defaults to
/// the process-wide default engine (with fuel metering if the policy sets fuel). `audit`
/// keeps the audit trail for `audit_events()`.
///
/// Use it as a context manager, or call `close()`: later use raises `ValueError`. It is
/// thread-safe: `call` may run on many threads at once, and the GIL is released while guest
/// code runs.
#[pyclass(frozen, module = "nanoproc", name = "Plugin")]
pub(crate) struct Plugin {
    inner: RwLock<Option<nanoproc::plugin::Plugin>>,
    cancel: CancelHandle,
    functions: Vec<String>,
    is_component: bool,
    shared: Arc<Shared>,
    names: NameCache,
}

impl Plugin {
    fn live(&self) -> PyResult<nanoproc::plugin::Plugin> {
        match self.inner.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
        .ok_or_else(|| closed("plugin", &self.shared.name))
    }
}

#[pymethods]
impl Plugin {
    #[new]
    #[pyo3(signature = (wasm, *, policy = None, host_functions = None, config = None, name = None, engine = None, audit = true))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        wasm: &Bound<'_, PyAny>,
        policy: Option<&Bound<'_, Policy>>,
        host_functions: Option<&Bound<'_, PyAny>>,
        config: Option<&Bound<'_, PyAny>>,
        name: Option<String>,
        engine: Option<&Bound<'_, Engine>>,
        audit: bool,
    ) -> PyResult<Self> {
        let policy = match policy {
            Some(p) => p.get().policy.clone(),
            None => Policy::default_builder()
                .build()
                .map_err(|e| to_pyerr(py, &e))?,
        };
        let engine = engine::resolve(py, engine, policy.limits().fuel.is_some())?;
        let host_errors = Arc::new(HostErrors::default());
        let host = host_functions
            .filter(|h| !h.is_none())
            .map(|h| register_host_functions(h, &host_errors))
            .transpose()?
            .unwrap_or_default();
        let mut b = nanoproc::plugin::Plugin::builder(&engine)
            .policy(policy)
            .host_functions(host);
        b = match code(wasm)? {
            Code::File(path) => b.wasm_file(path),
            Code::Bytes(bytes) => b.wasm_bytes(bytes),
        };
        if let Some(config) = config.filter(|c| !c.is_none()) {
            let map = config.cast::<PyMapping>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "config takes a dict of str -> str, not {}",
                    type_name(config)
                ))
            })?;
            for item in map.items()?.iter() {
                let (k, v): (String, String) = item.extract().map_err(|_| {
                    PyTypeError::new_err("config keys and values must be str".to_string())
                })?;
                b = b.config(k, v);
            }
        }
        if let Some(n) = name {
            b = b.name(n);
        }
        let sink = audit.then(|| Arc::new(KeepSink::default()));
        if let Some(s) = &sink {
            b = b.audit_sink(s.clone());
        }
        let plugin = py.detach(|| b.build()).map_err(|e| to_pyerr(py, &e))?;
        Ok(Plugin {
            cancel: plugin.cancel_handle(),
            functions: plugin.functions().into_iter().map(String::from).collect(),
            is_component: plugin.is_component(),
            shared: Arc::new(Shared {
                name: plugin.name().to_string(),
                audit: sink,
                host_errors,
            }),
            inner: RwLock::new(Some(plugin)),
            names: NameCache::default(),
        })
    }

    /// Calls `function` with `data` in a fresh sandbox (its own instance, memory and limits;
    /// nothing carries over from earlier calls) and returns its output.
    ///
    /// `fuel`, `timeout` (seconds) and `max_memory` (bytes or `"64MiB"`) override the
    /// policy's limits for this call. Raises a `NanoprocError` subclass when the call fails:
    /// `PluginError` (the plugin failed), `Trap`, a `LimitExceeded`, `HostFunctionError`,
    /// `Cancelled`, `AbiViolation` (no such function).
    #[pyo3(signature = (function, data = None, *, fuel = None, timeout = None, max_memory = None))]
    fn call<'py>(
        &self,
        py: Python<'py>,
        function: &Bound<'py, PyString>,
        data: Option<&Bound<'py, PyAny>>,
        fuel: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
        max_memory: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let plugin = self.live()?;
        let function = self.names.get(function)?;
        let input = input("data", data)?;
        let options = call_options(fuel, timeout, max_memory)?;
        let input = input.as_slice();
        let result = py.detach(|| match &options {
            None => plugin.call(&function, input),
            Some(o) => plugin.call_with(&function, input, o),
        });
        match result {
            Ok(out) => Ok(PyBytes::new(py, &out)),
            Err(e) => Err(call_error(py, &e, &self.shared.host_errors)),
        }
    }

    /// A sandbox kept alive between calls (the plugin's state persists from one call to the
    /// next), for when per-call isolation is not needed and speed is. After a trap or a
    /// limit hit it is replaced by a fresh one on the next call.
    fn instance(&self, py: Python<'_>) -> PyResult<PluginInstance> {
        let plugin = self.live()?;
        let live = py
            .detach(|| plugin.instance())
            .map_err(|e| call_error(py, &e, &self.shared.host_errors))?;
        Ok(PluginInstance {
            live: Mutex::new(Some(live)),
            owner: AtomicUsize::new(0),
            shared: self.shared.clone(),
            names: NameCache::default(),
        })
    }

    /// Cancels every call of this plugin in flight (from any thread); they raise
    /// `Cancelled`. Calls started afterwards run normally.
    fn cancel(&self) {
        self.cancel.cancel();
    }

    /// The audit trail kept since the last drain, oldest first (at most 10,000 events; past
    /// that the oldest are dropped). `clear` (default) empties it.
    #[pyo3(signature = (*, clear = true))]
    fn audit_events(&self, py: Python<'_>, clear: bool) -> PyResult<Vec<Py<audit::AuditEvent>>> {
        match &self.shared.audit {
            Some(sink) => audit::to_py(py, sink.events(clear)),
            None => Err(PyValueError::new_err(format!(
                "plugin `{}` keeps no audit trail: it was created with audit=False",
                self.shared.name
            ))),
        }
    }

    /// Audit events dropped because more than 10,000 were kept.
    #[getter]
    fn audit_dropped(&self) -> u64 {
        self.shared.audit.as_ref().map_or(0, |s| s.dropped())
    }

    /// The plugin's name.
    #[getter]
    fn name(&self) -> &str {
        &self.shared.name
    }

    /// The functions it exports, sorted.
    #[getter]
    fn functions(&self) -> Vec<String> {
        self.functions.clone()
    }

    /// Whether it is a component (`nanoproc:plugin` world) rather than a core module.
    #[getter]
    fn is_component(&self) -> bool {
        self.is_component
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        match self.inner.read() {
            Ok(g) => g.is_none(),
            Err(p) => p.into_inner().is_none(),
        }
    }

    /// Frees the plugin (compiled code, host functions). Calls in flight finish; later
    /// calls raise `ValueError`. Instances made with `instance()` stay usable until closed.
    fn close(&self) {
        let old = match self.inner.write() {
            Ok(mut g) => g.take(),
            Err(p) => p.into_inner().take(),
        };
        drop(old);
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, _exc: &Bound<'_, pyo3::types::PyTuple>) {
        self.close();
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Plugin(name={}, functions={}{}{})",
            py_repr(py, &self.shared.name),
            py_repr(py, &self.functions),
            if self.is_component { ", component" } else { "" },
            if self.closed() { ", closed" } else { "" }
        )
    }
}

/// A plugin sandbox kept alive between calls (from `Plugin.instance()`): globals and memory
/// persist. Use one per thread (a call from a second thread waits for the first). Use it as
/// a context manager, or call `close()`.
#[pyclass(frozen, module = "nanoproc", name = "PluginInstance")]
pub(crate) struct PluginInstance {
    live: Mutex<Option<nanoproc::plugin::PluginInstance>>,
    /// The thread in a call on this instance (0: none), to refuse re-entry from a host function.
    owner: AtomicUsize,
    shared: Arc<Shared>,
    names: NameCache,
}

thread_local! {
    static THREAD_MARK: Cell<u8> = const { Cell::new(0) };
}

/// A number identifying the current thread (the address of a thread-local).
fn thread_id() -> usize {
    THREAD_MARK.with(|m| m as *const Cell<u8> as usize)
}

/// The instance lock, held by the current thread.
struct Held<'a> {
    guard: MutexGuard<'a, Option<nanoproc::plugin::PluginInstance>>,
    owner: &'a AtomicUsize,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.owner.store(0, Ordering::Release);
    }
}

/// Why the instance could not be locked.
enum Busy {
    /// The current thread is already in a call on it (a host function called back).
    Reentered,
}

impl PluginInstance {
    /// Locks the instance (call without the GIL: waiting for another thread's call must not
    /// block that call's host functions).
    fn hold(&self) -> Result<Held<'_>, Busy> {
        let me = thread_id();
        let guard = match self.live.try_lock() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                if self.owner.load(Ordering::Acquire) == me {
                    return Err(Busy::Reentered);
                }
                self.live.lock().unwrap_or_else(|p| p.into_inner())
            }
        };
        self.owner.store(me, Ordering::Release);
        Ok(Held {
            guard,
            owner: &self.owner,
        })
    }

    fn reentered(&self) -> PyErr {
        PyRuntimeError::new_err(format!(
            "an instance of plugin `{}` was used from inside one of its own calls (a host function); use another instance or Plugin.call",
            self.shared.name
        ))
    }
}

#[pymethods]
impl PluginInstance {
    /// Calls `function` with `data` in this instance and returns its output. Same options
    /// and errors as `Plugin.call`; after a trap or limit hit the next call gets a fresh
    /// sandbox (a `PluginError` keeps it).
    #[pyo3(signature = (function, data = None, *, fuel = None, timeout = None, max_memory = None))]
    fn call<'py>(
        &self,
        py: Python<'py>,
        function: &Bound<'py, PyString>,
        data: Option<&Bound<'py, PyAny>>,
        fuel: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
        max_memory: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let function = self.names.get(function)?;
        let input = input("data", data)?;
        let options = call_options(fuel, timeout, max_memory)?;
        let input = input.as_slice();
        let result = py.detach(|| {
            let mut held = match self.hold() {
                Ok(h) => h,
                Err(Busy::Reentered) => return Err(None),
            };
            let Some(live) = held.guard.as_mut() else {
                return Err(Some(None));
            };
            match &options {
                None => live.call(&function, input),
                Some(o) => live.call_with(&function, input, o),
            }
            .map_err(|e| Some(Some(e)))
        });
        match result {
            Ok(out) => Ok(PyBytes::new(py, &out)),
            Err(None) => Err(self.reentered()),
            Err(Some(None)) => Err(closed("instance of plugin", &self.shared.name)),
            Err(Some(Some(e))) => Err(call_error(py, &e, &self.shared.host_errors)),
        }
    }

    /// The plugin's name.
    #[getter]
    fn name(&self) -> &str {
        &self.shared.name
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self, py: Python<'_>) -> PyResult<bool> {
        let closed = py.detach(|| self.hold().map(|h| h.guard.is_none()));
        closed.map_err(|_| self.reentered())
    }

    /// Frees the sandbox (waits for a call in flight on another thread); later calls raise
    /// `ValueError`.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let old = py.detach(|| self.hold().map(|mut h| h.guard.take()));
        drop(old.map_err(|_| self.reentered())?);
        Ok(())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<()> {
        self.close(py)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!("PluginInstance(name={})", py_repr(py, &self.shared.name))
    }
}

/// Per-call options, or `None` when none is given (the common, fast case).
fn call_options(
    fuel: Option<&Bound<'_, PyAny>>,
    timeout: Option<&Bound<'_, PyAny>>,
    max_memory: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<CallOptions>> {
    let given = |v: Option<&Bound<'_, PyAny>>| v.is_some_and(|v| !v.is_none());
    if !given(fuel) && !given(timeout) && !given(max_memory) {
        return Ok(None);
    }
    let mut options = CallOptions::default();
    set_options(
        &mut options,
        crate::convert::opt_count("fuel", fuel)?,
        opt_duration("timeout", timeout)?,
        opt_size("max_memory", max_memory)?,
    );
    Ok(Some(options))
}

fn set_options(
    o: &mut CallOptions,
    fuel: Option<u64>,
    timeout: Option<std::time::Duration>,
    max_memory: Option<u64>,
) {
    o.fuel = fuel;
    o.timeout = timeout;
    o.max_memory = max_memory;
}

/// Where a plugin's code comes from.
pub(crate) enum Code {
    /// A `.wasm` or `.wat` file.
    File(std::path::PathBuf),
    /// The module bytes (binary or WAT text).
    Bytes(Vec<u8>),
}

/// `wasm`: a path (`str`, `os.PathLike`) or the code (`bytes`, `bytearray`, `memoryview`).
pub(crate) fn code(wasm: &Bound<'_, PyAny>) -> PyResult<Code> {
    if wasm.is_instance_of::<PyBytes>() || wasm.is_instance_of::<PyByteArray>() {
        return Ok(Code::Bytes(input("wasm", Some(wasm))?.as_slice().to_vec()));
    }
    if let Ok(path) = wasm.extract::<std::path::PathBuf>() {
        return Ok(Code::File(path));
    }
    match input("wasm", Some(wasm)) {
        Ok(bytes) => Ok(Code::Bytes(bytes.as_slice().to_vec())),
        Err(_) => Err(PyTypeError::new_err(format!(
            "wasm takes a path (str or os.PathLike) or the module bytes, not {}",
            type_name(wasm)
        ))),
    }
}

/// Registers each `"ns::name" -> callable` of `host` (a mapping) as a host function that
/// calls the Python callable with the GIL held.
fn register_host_functions(
    host: &Bound<'_, PyAny>,
    errors: &Arc<HostErrors>,
) -> PyResult<HostFunctions> {
    let map = host.cast::<PyMapping>().map_err(|_| {
        PyTypeError::new_err(format!(
            "host_functions takes a dict of \"ns::name\" -> callable (or a HostFunctions), not {}",
            type_name(host)
        ))
    })?;
    let mut fns = HostFunctions::new();
    for item in map.items()?.iter() {
        let (full, f): (String, Bound<'_, PyAny>) = item.extract()?;
        let Some((ns, n)) = full
            .split_once("::")
            .filter(|(ns, n)| !ns.is_empty() && !n.is_empty() && !n.contains("::"))
        else {
            return Err(PyValueError::new_err(format!(
                "host function name `{full}` must be `namespace::name`"
            )));
        };
        if !f.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "host function `{full}` must be callable, not {}",
                type_name(&f)
            )));
        }
        let f = f.unbind();
        let errors = errors.clone();
        let name = full.clone();
        fns.register(ns, n, move |_ctx, input| {
            Python::attach(|py| call_host(py, &f, &name, input, &errors))
        });
    }
    Ok(fns)
}

/// Runs a Python host function: a raised exception becomes the failure message
/// `Type: text` (and is kept to be chained on the `HostFunctionError`).
fn call_host(
    py: Python<'_>,
    f: &Py<PyAny>,
    name: &str,
    input: &[u8],
    errors: &HostErrors,
) -> Result<Vec<u8>, String> {
    let arg = PyBytes::new(py, input);
    let fail = |err: PyErr| {
        let message = describe(py, &err);
        errors.keep(name, &message, err);
        message
    };
    let out = f.bind(py).call1((arg,)).map_err(fail)?;
    if let Ok(b) = out.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if out.is_instance_of::<PyString>() {
        return out
            .extract::<String>()
            .map(String::into_bytes)
            .map_err(fail);
    }
    if out.is_none() {
        return Ok(Vec::new());
    }
    match input_of(&out) {
        Ok(bytes) => Ok(bytes),
        Err(_) => Err(format!(
            "returned {}; host functions return bytes (or str, encoded as UTF-8)",
            type_name(&out)
        )),
    }
}

fn input_of(out: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    Ok(input("result", Some(out))?.as_slice().to_vec())
}

/// `Type: message` of a Python exception.
fn describe(py: Python<'_>, err: &PyErr) -> String {
    let ty = err
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".into());
    let text = err
        .value(py)
        .str()
        .map(|s| s.to_string())
        .unwrap_or_default();
    if text.is_empty() {
        ty
    } else {
        format!("{ty}: {text}")
    }
}
