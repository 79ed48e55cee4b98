//! Conversions of Python arguments: sizes, durations, byte buffers, function names.

use crate::errors::policy_error;
use nanoproc::policy::units::{parse_duration, parse_size};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyFloat, PyInt, PyString};
use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A size in bytes: an `int`, or a string with a unit (`"64MiB"`, `"1.5GB"`).
pub(crate) fn size(key: &str, value: &Bound<'_, PyAny>) -> PyResult<u64> {
    let py = value.py();
    if value.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{key} takes a size in bytes (int) or a string such as \"64MiB\", not bool"
        )));
    }
    if value.is_instance_of::<PyInt>() {
        return value.extract::<u64>().map_err(|_| {
            policy_error(
                py,
                format!("{key}: {value} is not a size in bytes (0 to 2**64-1)"),
            )
        });
    }
    if let Ok(text) = value.cast::<PyString>() {
        let text: Cow<'_, str> = text.extract()?;
        return parse_size(&text).map_err(|e| policy_error(py, format!("{key}: {e}")));
    }
    Err(PyTypeError::new_err(format!(
        "{key} takes a size in bytes (int) or a string such as \"64MiB\", not {}",
        type_name(value)
    )))
}

/// An optional size (`None` passes through).
pub(crate) fn opt_size(key: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u64>> {
    match value {
        Some(v) if !v.is_none() => size(key, v).map(Some),
        _ => Ok(None),
    }
}

/// A duration: seconds as an `int` or `float`, or a string with a unit (`"2s"`, `"500ms"`).
/// Must be greater than zero.
pub(crate) fn duration(key: &str, value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let py = value.py();
    let d = if value.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{key} takes seconds (int or float) or a string such as \"2s\", not bool"
        )));
    } else if value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>() {
        let secs: f64 = value.extract()?;
        Duration::try_from_secs_f64(secs).map_err(|_| {
            policy_error(
                py,
                format!("{key}: {secs} is not a valid number of seconds"),
            )
        })?
    } else if let Ok(text) = value.cast::<PyString>() {
        let text: Cow<'_, str> = text.extract()?;
        parse_duration(&text).map_err(|e| policy_error(py, format!("{key}: {e}")))?
    } else {
        return Err(PyTypeError::new_err(format!(
            "{key} takes seconds (int or float) or a string such as \"2s\", not {}",
            type_name(value)
        )));
    };
    if d.is_zero() {
        return Err(policy_error(py, format!("{key} must be greater than zero")));
    }
    Ok(d)
}

/// An optional duration (`None` passes through).
pub(crate) fn opt_duration(
    key: &str,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Duration>> {
    match value {
        Some(v) if !v.is_none() => duration(key, v).map(Some),
        _ => Ok(None),
    }
}

/// The Python type name of `value`, for error messages.
pub(crate) fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

/// Input bytes of a call: `bytes` are borrowed (no copy; they are immutable and the
/// caller's reference keeps them alive while the GIL is released), any other buffer is
/// copied once (it could change or move while the guest runs).
pub(crate) enum Input<'a> {
    /// Borrowed from a `bytes` object.
    Borrowed(&'a [u8]),
    /// Copied from a mutable or foreign buffer.
    Owned(Vec<u8>),
}

impl Input<'_> {
    /// The bytes.
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            Input::Borrowed(b) => b,
            Input::Owned(v) => v,
        }
    }
}

/// Reads `data` (bytes, bytearray, memoryview or any object `bytes()` accepts as a buffer).
pub(crate) fn input<'a>(key: &str, data: Option<&'a Bound<'_, PyAny>>) -> PyResult<Input<'a>> {
    let Some(data) = data else {
        return Ok(Input::Borrowed(&[]));
    };
    if let Ok(b) = data.cast::<PyBytes>() {
        return Ok(Input::Borrowed(b.as_bytes()));
    }
    if let Ok(b) = data.cast::<PyByteArray>() {
        return Ok(Input::Owned(b.to_vec()));
    }
    if data.is_none() {
        return Ok(Input::Borrowed(&[]));
    }
    if data.is_instance_of::<PyString>() || data.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "{key} takes bytes, bytearray or memoryview, not {} (encode text with .encode())",
            type_name(data)
        )));
    }
    // memoryview and other buffers: the limited C API of Python 3.9 has no buffer access,
    // so let `bytes()` copy it.
    // SAFETY: `data` is a valid object reference while the GIL is held (we hold it); the
    // result is a new reference or NULL with an exception set, which `from_owned_ptr_or_err`
    // takes over.
    let bytes = unsafe {
        Bound::from_owned_ptr_or_err(data.py(), pyo3::ffi::PyBytes_FromObject(data.as_ptr()))
    }
    .map_err(|_| {
        PyTypeError::new_err(format!(
            "{key} takes bytes, bytearray or memoryview, not {}",
            type_name(data)
        ))
    })?;
    let bytes = bytes.cast_into::<PyBytes>().map_err(PyErr::from)?;
    Ok(Input::Owned(bytes.as_bytes().to_vec()))
}

/// Remembers the last function name a plugin was called with, as the Python string object
/// and its text: a call with the same object (a literal, an interned name) skips decoding
/// it (the limited C API of Python 3.9 can only decode into a new `bytes` object).
#[derive(Default)]
pub(crate) struct NameCache {
    last: Mutex<Option<(Py<PyString>, Arc<str>)>>,
}

impl NameCache {
    /// The text of `name`.
    pub(crate) fn get(&self, name: &Bound<'_, PyString>) -> PyResult<Arc<str>> {
        if let Ok(last) = self.last.lock()
            && let Some((obj, text)) = last.as_ref()
            && obj.as_ptr() == name.as_ptr()
        {
            return Ok(text.clone());
        }
        let text: Arc<str> = Arc::from(name.extract::<String>()?);
        if let Ok(mut last) = self.last.lock() {
            *last = Some((name.clone().unbind(), text.clone()));
        }
        Ok(text)
    }
}

/// An optional count (fuel, descriptors, a seed): a non-negative `int` or `None`.
pub(crate) fn opt_count(key: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u64>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "{key} takes an int, not {}",
            type_name(value)
        )));
    }
    value.extract::<u64>().map(Some).map_err(|_| {
        policy_error(
            value.py(),
            format!("{key}: {value} is not a whole number from 0 to 2**64-1"),
        )
    })
}

/// Python's `repr()` of `value` (a `str`, a list of them, ...), for `__repr__` methods.
pub(crate) fn py_repr<'py, T>(py: Python<'py>, value: T) -> String
where
    T: IntoPyObject<'py>,
{
    value
        .into_bound_py_any(py)
        .ok()
        .and_then(|v| v.repr().ok())
        .map(|r| r.to_string())
        .unwrap_or_default()
}
