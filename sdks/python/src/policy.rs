//! `Policy`: keyword arguments (or a TOML policy file) onto `nanoproc::PolicyBuilder`.

use crate::convert::{opt_count, opt_duration, opt_size, py_repr, type_name};
use crate::errors::{policy_error, to_pyerr};
use nanoproc::policy::units::{format_duration, format_size};
use nanoproc::policy::{ClockMode, EnvGrant, OutputMode, StdinMode, WasiInterface};
use nanoproc::{PolicyBuilder, PolicyFile};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyMapping, PyString, PyTuple};
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// What a sandbox may do; everything not granted is denied.
///
/// Grants: `dirs` (host directories, read-only unless marked writable: `(host, guest)`,
/// `(host, guest, "rw")`, `(host, guest, True)` or `Dir(host, guest, writable=True)`),
/// `files` (single read-only files, `(host, guest)`), `env` (variables to set),
/// `inherit_env` (host variables to pass through), `allow_net` (`"HOST:PORT"` patterns),
/// `allow_dns`, `allow_http` (origins for outgoing `wasi:http`), `allow_host_fns`
/// (`"ns::name"` or `"ns::*"`), `allow_symlinks`, `deny_wasi` (WASI interface groups a
/// component may not import).
///
/// Program input and output (for `run`): `args` (after argv[0]), `stdin` (bytes),
/// `capture_output` (collect stdout and stderr in the `Outcome`; `False` passes them to this
/// process's own streams).
///
/// Limits: `max_memory` (bytes or `"64MiB"`, all memories and tables together; default 1 GiB),
/// `fuel` (needs an engine with fuel metering; the default engine for a policy with fuel has
/// it), `timeout` (seconds or `"2s"`), `max_output` (bytes per stream), `disk_quota` (bytes
/// the guest may add to files in writable dirs), `max_fds`, `http_timeout`,
/// `max_http_response`. Also `clocks` (`"host"` or `"frozen"`) and `random_seed`.
///
/// Invalid values raise `PolicyError` here, not when the policy is used.
#[pyclass(frozen, module = "nanoproc", name = "Policy")]
pub(crate) struct Policy {
    pub(crate) builder: PolicyBuilder,
    pub(crate) policy: nanoproc::Policy,
}

impl Policy {
    fn finish(py: Python<'_>, builder: PolicyBuilder) -> PyResult<Self> {
        let policy = builder.build().map_err(|e| to_pyerr(py, &e))?;
        Ok(Policy { builder, policy })
    }

    /// The policy with `args` and `stdin` replaced (for `run(..., args=, stdin=)`).
    pub(crate) fn with_io(
        &self,
        py: Python<'_>,
        args: Option<Vec<String>>,
        stdin: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<nanoproc::Policy> {
        if args.is_none() && stdin.is_none_or(|s| s.is_none()) {
            return Ok(self.policy.clone());
        }
        let mut b = self.builder.clone();
        if let Some(args) = args {
            b.args(args);
        }
        if let Some(s) = stdin.filter(|s| !s.is_none()) {
            b.stdin(StdinMode::Bytes(stdin_bytes(s)?));
        }
        b.build().map_err(|e| to_pyerr(py, &e))
    }

    /// The default policy of the SDK: nothing granted, output captured.
    pub(crate) fn default_builder() -> PolicyBuilder {
        let mut b = PolicyBuilder::new();
        b.stdout(OutputMode::Capture).stderr(OutputMode::Capture);
        b
    }
}

#[pymethods]
impl Policy {
    #[new]
    #[pyo3(signature = (
        *,
        dirs = None,
        files = None,
        env = None,
        inherit_env = None,
        args = None,
        stdin = None,
        capture_output = true,
        allow_net = None,
        allow_dns = false,
        allow_http = None,
        allow_host_fns = None,
        allow_symlinks = false,
        deny_wasi = None,
        max_memory = None,
        fuel = None,
        timeout = None,
        max_output = None,
        disk_quota = None,
        max_fds = None,
        http_timeout = None,
        max_http_response = None,
        clocks = None,
        random_seed = None,
        trust_keys = None,
        require_signature = None,
        pin_sha256 = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        dirs: Option<&Bound<'_, PyAny>>,
        files: Option<&Bound<'_, PyAny>>,
        env: Option<&Bound<'_, PyAny>>,
        inherit_env: Option<Vec<String>>,
        args: Option<Vec<String>>,
        stdin: Option<&Bound<'_, PyAny>>,
        capture_output: bool,
        allow_net: Option<Vec<String>>,
        allow_dns: bool,
        allow_http: Option<Vec<String>>,
        allow_host_fns: Option<Vec<String>>,
        allow_symlinks: bool,
        deny_wasi: Option<Vec<String>>,
        max_memory: Option<&Bound<'_, PyAny>>,
        fuel: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_output: Option<&Bound<'_, PyAny>>,
        disk_quota: Option<&Bound<'_, PyAny>>,
        max_fds: Option<&Bound<'_, PyAny>>,
        http_timeout: Option<&Bound<'_, PyAny>>,
        max_http_response: Option<&Bound<'_, PyAny>>,
        clocks: Option<String>,
        random_seed: Option<&Bound<'_, PyAny>>,
        trust_keys: Option<Vec<PathBuf>>,
        require_signature: Option<String>,
        pin_sha256: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let mut b = PolicyBuilder::new();
        let mode = if capture_output {
            OutputMode::Capture
        } else {
            OutputMode::Inherit
        };
        b.stdout(mode).stderr(mode);
        if let Some(dirs) = dirs.filter(|d| !d.is_none()) {
            for item in iter_items("dirs", dirs)? {
                let (host, guest, writable) = dir_entry(&item)?;
                b.mount(host, guest, writable);
            }
        }
        if let Some(files) = files.filter(|f| !f.is_none()) {
            for item in iter_items("files", files)? {
                let (host, guest): (PathBuf, String) = item.extract().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "files entries are (host_path, guest_path) pairs, not {}",
                        type_name(&item)
                    ))
                })?;
                b.file(host, guest);
            }
        }
        if let Some(env) = env.filter(|e| !e.is_none()) {
            let map = env.cast::<PyMapping>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "env takes a dict of name -> value, not {}",
                    type_name(env)
                ))
            })?;
            for item in map.items()?.iter() {
                let (k, v): (String, String) = item.extract().map_err(|_| {
                    PyTypeError::new_err("env names and values must be str".to_string())
                })?;
                b.env(k, v);
            }
        }
        for name in inherit_env.unwrap_or_default() {
            b.inherit_env(name);
        }
        if let Some(args) = args {
            b.args(args);
        }
        if let Some(s) = stdin.filter(|s| !s.is_none()) {
            b.stdin(StdinMode::Bytes(stdin_bytes(s)?));
        }
        for p in allow_net.unwrap_or_default() {
            b.allow_net(&p)
                .map_err(|e| policy_error(py, format!("allow_net: {}", e.detail())))?;
        }
        b.allow_dns(allow_dns);
        for o in allow_http.unwrap_or_default() {
            b.allow_http(&o)
                .map_err(|e| policy_error(py, format!("allow_http: {}", e.detail())))?;
        }
        for g in allow_host_fns.unwrap_or_default() {
            b.allow_host_fn(g);
        }
        b.allow_symlinks(allow_symlinks);
        for name in deny_wasi.unwrap_or_default() {
            let group = WasiInterface::parse_group(&name).ok_or_else(|| {
                policy_error(
                    py,
                    format!(
                        "deny_wasi: unknown WASI interface group `{name}`; known: {}",
                        WasiInterface::names()
                    ),
                )
            })?;
            for iface in group {
                b.wasi_interface(iface, false);
            }
        }
        if let Some(m) = opt_size("max_memory", max_memory)? {
            b.max_memory(m);
        }
        b.fuel(opt_count("fuel", fuel)?);
        b.timeout(opt_duration("timeout", timeout)?);
        b.max_output(opt_size("max_output", max_output)?);
        b.disk_quota(opt_size("disk_quota", disk_quota)?);
        if let Some(n) = opt_count("max_fds", max_fds)? {
            let n = u32::try_from(n)
                .map_err(|_| policy_error(py, format!("max_fds: {n} is over {}", u32::MAX)))?;
            b.max_fds(n);
        }
        if let Some(t) = opt_duration("http_timeout", http_timeout)? {
            b.http_timeout(t);
        }
        if let Some(m) = opt_size("max_http_response", max_http_response)? {
            b.max_http_response_bytes(m);
        }
        match clocks.as_deref() {
            None | Some("host") => {}
            Some("frozen") => {
                b.clocks(ClockMode::Frozen);
            }
            Some(other) => {
                return Err(policy_error(
                    py,
                    format!("clocks: `{other}` is not one of \"host\", \"frozen\""),
                ));
            }
        }
        b.random_seed(opt_count("random_seed", random_seed)?);
        for path in trust_keys.unwrap_or_default() {
            let key =
                nanoproc::integrity::PublicKey::from_file(&path).map_err(|e| to_pyerr(py, &e))?;
            b.trust_key(key);
        }
        if let Some(r) = require_signature {
            use nanoproc::integrity::SignatureRequirement as R;
            b.require_signature(match r.as_str() {
                "any" => R::Any,
                "all" => R::All,
                "none" => R::None,
                other => {
                    return Err(policy_error(
                        py,
                        format!(
                            "require_signature: `{other}` is not one of \"any\", \"all\", \"none\""
                        ),
                    ));
                }
            });
        }
        for d in pin_sha256.unwrap_or_default() {
            b.pin_sha256(&d).map_err(|e| to_pyerr(py, &e))?;
        }
        Policy::finish(py, b)
    }

    /// A policy from TOML (the format of `nanoproc run --policy FILE`, docs/policy.md):
    /// `source` is a path (`str` or `os.PathLike`) to a policy file, or TOML text (a `str`
    /// containing a newline or `=`). Relative host paths resolve against the file's
    /// directory, or `base_dir` (default: the current directory) for text. Output is
    /// captured unless the file's `[stdio]` table says otherwise. Unknown keys raise
    /// `PolicyError` naming the nearest valid key.
    #[staticmethod]
    #[pyo3(signature = (source, *, base_dir = None))]
    fn from_toml(
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        base_dir: Option<PathBuf>,
    ) -> PyResult<Self> {
        let text = match source.cast::<PyString>() {
            Ok(s) => {
                let s: Cow<'_, str> = s.extract()?;
                (s.contains('\n') || s.contains('=')).then(|| s.into_owned())
            }
            Err(_) => None,
        };
        let (file, base) = match text {
            Some(text) => (
                PolicyFile::parse(&text, "<policy text>").map_err(|e| to_pyerr(py, &e))?,
                base_dir.unwrap_or_else(|| PathBuf::from(".")),
            ),
            None => {
                let path: PathBuf = source.extract().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "from_toml takes a path or TOML text, not {}",
                        type_name(source)
                    ))
                })?;
                let file = PolicyFile::load(&path).map_err(|e| to_pyerr(py, &e))?;
                let base = base_dir.unwrap_or_else(|| {
                    path.parent()
                        .filter(|p| !p.as_os_str().is_empty())
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| PathBuf::from("."))
                });
                (file, base)
            }
        };
        let mut b = Policy::default_builder();
        b.apply_file(&file, &base).map_err(|e| to_pyerr(py, &e))?;
        Policy::finish(py, b)
    }

    /// Mounted directories as `(host, guest, writable)` tuples (host paths canonical).
    #[getter]
    fn dirs(&self) -> Vec<(String, String, bool)> {
        self.policy
            .mounts()
            .iter()
            .map(|m| (path_text(&m.host), m.guest.clone(), m.writable))
            .collect()
    }

    /// Single-file grants as `(host, guest)` tuples.
    #[getter]
    fn files(&self) -> Vec<(String, String)> {
        self.policy
            .files()
            .iter()
            .map(|f| (path_text(&f.source), f.destination.clone()))
            .collect()
    }

    /// Environment variables set for the guest.
    #[getter]
    fn env<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for g in self.policy.env() {
            if let EnvGrant::Set(k, v) = g {
                d.set_item(k, v)?;
            }
        }
        Ok(d)
    }

    /// Host environment variables passed through.
    #[getter]
    fn inherit_env(&self) -> Vec<String> {
        self.policy
            .env()
            .iter()
            .filter_map(|g| match g {
                EnvGrant::Inherit(n) => Some(n.clone()),
                EnvGrant::Set(..) => None,
            })
            .collect()
    }

    /// Arguments after argv[0].
    #[getter]
    fn args(&self) -> Vec<String> {
        self.policy.args().to_vec()
    }

    /// Granted host functions (`ns::name` or `ns::*`).
    #[getter]
    fn allow_host_fns(&self) -> Vec<String> {
        self.policy.host_functions().to_vec()
    }

    /// Whether stdout and stderr are captured into the `Outcome`.
    #[getter]
    fn capture_output(&self) -> bool {
        self.policy.stdout() == OutputMode::Capture
    }

    /// The memory budget in bytes (all memories and tables together).
    #[getter]
    fn max_memory(&self) -> u64 {
        self.policy.limits().max_memory
    }

    /// The fuel budget, or `None` (unmetered).
    #[getter]
    fn fuel(&self) -> Option<u64> {
        self.policy.limits().fuel
    }

    /// The wall-clock limit in seconds, or `None`.
    #[getter]
    fn timeout(&self) -> Option<f64> {
        self.policy.limits().timeout.map(|d| d.as_secs_f64())
    }

    /// The per-stream output cap in bytes, or `None`.
    #[getter]
    fn max_output(&self) -> Option<u64> {
        self.policy.limits().max_output
    }

    /// The disk quota in bytes, or `None`.
    #[getter]
    fn disk_quota(&self) -> Option<u64> {
        self.policy.limits().disk_quota
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let p = &self.policy;
        let l = p.limits();
        let mut parts = Vec::new();
        if !p.mounts().is_empty() {
            let dirs: Vec<String> = p
                .mounts()
                .iter()
                .map(|m| {
                    format!(
                        "{}::{}{}",
                        m.host.display(),
                        m.guest,
                        if m.writable { ":rw" } else { "" }
                    )
                })
                .collect();
            parts.push(format!("dirs={}", py_repr(py, dirs)));
        }
        if !p.env().is_empty() {
            parts.push(format!("env={} grants", p.env().len()));
        }
        if !p.host_functions().is_empty() {
            parts.push(format!(
                "allow_host_fns={}",
                py_repr(py, p.host_functions())
            ));
        }
        parts.push(format!(
            "max_memory={}",
            py_repr(py, format_size(l.max_memory))
        ));
        if let Some(f) = l.fuel {
            parts.push(format!("fuel={f}"));
        }
        if let Some(t) = l.timeout {
            parts.push(format!("timeout={}", py_repr(py, format_duration(t))));
        }
        if let Some(o) = l.max_output {
            parts.push(format!("max_output={}", py_repr(py, format_size(o))));
        }
        format!("Policy({})", parts.join(", "))
    }
}

/// A host path as text (lossy for paths that are not UTF-8).
fn path_text(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// The items of a list-like argument (not a `str`, which would iterate characters).
fn iter_items<'py>(key: &str, value: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    if value.is_instance_of::<PyString>() || value.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(format!(
            "{key} takes a list of entries, not a single {}",
            type_name(value)
        )));
    }
    value
        .try_iter()
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "{key} takes a list of entries, not {}",
                type_name(value)
            ))
        })?
        .collect()
}

/// One `dirs` entry: `(host, guest)`, `(host, guest, "rw" | "ro" | bool)`, or a `Dir`.
fn dir_entry(item: &Bound<'_, PyAny>) -> PyResult<(PathBuf, String, bool)> {
    let bad = || {
        PyTypeError::new_err(format!(
            "dirs entries are (host, guest), (host, guest, \"rw\") or Dir(host, guest, writable=True), not {}",
            type_name(item)
        ))
    };
    let t = item.cast::<PyTuple>().map_err(|_| bad())?;
    let host: PathBuf = t.get_item(0).and_then(|h| h.extract()).map_err(|_| bad())?;
    let guest: String = t.get_item(1).and_then(|g| g.extract()).map_err(|_| bad())?;
    let writable = match t.len() {
        2 => false,
        3 => {
            let mode = t.get_item(2)?;
            if mode.is_instance_of::<PyBool>() {
                mode.extract::<bool>()?
            } else {
                match mode.extract::<String>().map_err(|_| bad())?.as_str() {
                    "rw" => true,
                    "ro" => false,
                    other => {
                        return Err(policy_error(
                            item.py(),
                            format!(
                                "dirs: mode `{other}` of `{}` is not \"rw\" or \"ro\"",
                                host.display()
                            ),
                        ));
                    }
                }
            }
        }
        _ => return Err(bad()),
    };
    Ok((host, guest, writable))
}

/// Bytes for stdin (any buffer; `str` is refused: encode it).
fn stdin_bytes(s: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    Ok(crate::convert::input("stdin", Some(s))?.as_slice().to_vec())
}
