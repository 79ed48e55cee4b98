//! `Engine`: the shared Wasmtime engine, and the process-wide defaults used when none is given.

use crate::convert::py_repr;
use crate::errors::to_pyerr;
use nanoproc::{EngineBuilder, PoolingOptions};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyInt};
use std::path::PathBuf;

/// A configured WebAssembly engine: compiled code, the instance pool, the compile cache and
/// the epoch ticker that makes timeouts fire. Share one per process (plugins and `run` use
/// a process-wide default when given none); it is thread-safe.
///
/// `fuel=True` meters instructions, so policies may set `fuel` (costs some speed).
/// `pooling=True` preallocates sandbox slots (1,000 by default; an `int` sets how many may
/// be alive at once) so a fresh sandbox costs microseconds; it reserves (not commits)
/// several GiB of address space per slot. `pooling=False` allocates on demand.
/// `cache_dir` is where compiled code is cached: the default is `$NANOPROC_CACHE_DIR`, else
/// the user's cache directory; `None` turns the cache off.
#[pyclass(frozen, module = "nanoproc", name = "Engine")]
pub(crate) struct Engine {
    pub(crate) inner: nanoproc::Engine,
    pooling: Option<u32>,
}

#[pymethods]
impl Engine {
    #[new]
    #[pyo3(
        signature = (*, fuel = false, pooling = Pooling::Default, cache_dir = CacheDir::Default),
        text_signature = "(*, fuel=False, pooling=True, cache_dir=True)"
    )]
    fn new(py: Python<'_>, fuel: bool, pooling: Pooling, cache_dir: CacheDir) -> PyResult<Self> {
        let slots = match pooling {
            Pooling::Default => Some(PoolingOptions::default().total_instances),
            Pooling::Off => None,
            Pooling::Slots(n) => Some(n),
        };
        let mut b = EngineBuilder::new();
        b.fuel(fuel).progress(false);
        b.pooling(slots.map(|total_instances| PoolingOptions {
            total_instances,
            ..PoolingOptions::default()
        }));
        match cache_dir {
            CacheDir::Default => {}
            CacheDir::Off => {
                b.cache_dir(None);
            }
            CacheDir::Dir(dir) => {
                b.cache_dir(Some(dir));
            }
        }
        let inner = py.detach(|| b.build()).map_err(|e| to_pyerr(py, &e))?;
        Ok(Engine {
            inner,
            pooling: slots,
        })
    }

    /// Whether fuel metering is on (needed by policies and calls that set `fuel`).
    #[getter]
    fn fuel(&self) -> bool {
        self.inner.fuel_enabled()
    }

    /// How many pooled sandbox slots the engine has, or `None` without pooling.
    #[getter]
    fn pooling(&self) -> Option<u32> {
        self.pooling
    }

    /// The compile cache directory, or `None` when caching is off.
    #[getter]
    fn cache_dir(&self) -> Option<String> {
        self.inner
            .cache_dir()
            .map(|d| d.to_string_lossy().into_owned())
    }

    /// The process-wide default engine (pooling on; with fuel metering if `fuel`), created
    /// on first use and shared by every plugin and `run` given no engine.
    #[staticmethod]
    #[pyo3(signature = (*, fuel = false))]
    fn default(py: Python<'_>, fuel: bool) -> PyResult<Py<Engine>> {
        default_engine(py, fuel)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Engine(fuel={}, pooling={}, cache_dir={})",
            if self.fuel() { "True" } else { "False" },
            match self.pooling {
                Some(n) => n.to_string(),
                None => "False".into(),
            },
            match self.inner.cache_dir() {
                Some(d) => py_repr(py, d.display().to_string()),
                None => "None".into(),
            }
        )
    }
}

/// The `pooling` argument: `True` (the default number of slots), `False`, or a number of slots.
pub(crate) enum Pooling {
    /// [`PoolingOptions::default`]'s slots.
    Default,
    /// Allocate on demand.
    Off,
    /// This many slots.
    Slots(u32),
}

impl<'a, 'py> FromPyObject<'a, 'py> for Pooling {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if obj.is_instance_of::<PyBool>() {
            return Ok(if obj.extract::<bool>()? {
                Pooling::Default
            } else {
                Pooling::Off
            });
        }
        if !obj.is_instance_of::<PyInt>() {
            return Err(PyTypeError::new_err(format!(
                "pooling takes True, False or a number of slots, not {}",
                crate::convert::type_name(&obj)
            )));
        }
        match obj.extract::<u32>() {
            Ok(0) => Err(PyValueError::new_err(
                "pooling needs at least 1 slot; pass pooling=False to allocate on demand",
            )),
            Ok(n) => Ok(Pooling::Slots(n)),
            Err(_) => Err(PyValueError::new_err(format!(
                "pooling takes True, False or a number of slots from 1 to {}, not {}",
                u32::MAX,
                &*obj
            ))),
        }
    }
}

/// The `cache_dir` argument: left out or `True` (the default location), `None` or `False`
/// (no cache), or a directory.
pub(crate) enum CacheDir {
    /// `$NANOPROC_CACHE_DIR`, else the user's cache directory.
    Default,
    /// No compile cache.
    Off,
    /// This directory.
    Dir(PathBuf),
}

impl<'a, 'py> FromPyObject<'a, 'py> for CacheDir {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if obj.is_none() {
            return Ok(CacheDir::Off);
        }
        if obj.is_instance_of::<PyBool>() {
            return Ok(if obj.extract::<bool>()? {
                CacheDir::Default
            } else {
                CacheDir::Off
            });
        }
        obj.extract::<PathBuf>().map(CacheDir::Dir).map_err(|_| {
            PyTypeError::new_err(format!(
                "cache_dir takes a path, True (the default location) or None (no cache), not {}",
                crate::convert::type_name(&obj)
            ))
        })
    }
}

static DEFAULT: PyOnceLock<Py<Engine>> = PyOnceLock::new();
static DEFAULT_FUEL: PyOnceLock<Py<Engine>> = PyOnceLock::new();

/// The process-wide default engine, with fuel metering or without.
pub(crate) fn default_engine(py: Python<'_>, fuel: bool) -> PyResult<Py<Engine>> {
    let cell = if fuel { &DEFAULT_FUEL } else { &DEFAULT };
    cell.get_or_try_init(py, || {
        Py::new(
            py,
            Engine::new(py, fuel, Pooling::Default, CacheDir::Default)?,
        )
    })
    .map(|e| e.clone_ref(py))
}

/// `engine`, or the default engine: with fuel metering when `needs_fuel` (the policy sets
/// fuel), so that `Policy(fuel=...)` works without building an engine by hand.
pub(crate) fn resolve(
    py: Python<'_>,
    engine: Option<&Bound<'_, Engine>>,
    needs_fuel: bool,
) -> PyResult<nanoproc::Engine> {
    match engine {
        Some(e) => Ok(e.get().inner.clone()),
        None => Ok(default_engine(py, needs_fuel)?.get().inner.clone()),
    }
}
