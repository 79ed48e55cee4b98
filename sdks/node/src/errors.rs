//! Errors: every [`nanoproc::Error`] becomes an instance of one JavaScript class (made by the
//! factory index.js registers with `setErrorFactory`), with `kind`, `detail` and `exitCode`
//! and the message `kind: detail` the CLI prints. The few errors that are not nanoproc's
//! (a closed plugin, a wrong argument type) go through the same factory.

use nanoproc::{Error, LimitKind};
use napi::bindgen_prelude::{FromNapiValue, Unknown};
use napi::{Status, sys};
use std::cell::Cell;
use std::ptr;

thread_local! {
    /// The error factory of the JavaScript environment running on this thread (each
    /// worker thread has its own), as a reference that lives as long as the environment.
    static FACTORY: Cell<Option<(sys::napi_env, sys::napi_ref)>> = const { Cell::new(None) };
}

/// Keeps `factory` (a function `(className, kind, detail, exitCode, hostFn, hostMessage) =>
/// Error`) for the environment `env` of the current thread.
pub(crate) fn set_factory(env: sys::napi_env, factory: sys::napi_value) -> napi::Result<()> {
    let mut reference = ptr::null_mut();
    // SAFETY: `env` and `factory` are the live environment and value of the current call.
    let status = unsafe { sys::napi_create_reference(env, factory, 1, &mut reference) };
    if status != sys::Status::napi_ok {
        return Err(napi::Error::new(
            Status::GenericFailure,
            "could not keep the error factory",
        ));
    }
    let old = FACTORY.with(|f| f.replace(Some((env, reference))));
    if let Some((old_env, old_ref)) = old
        && old_env == env
    {
        // SAFETY: the old reference belongs to this same, live environment.
        unsafe { sys::napi_delete_reference(env, old_ref) };
    }
    Ok(())
}

/// The JavaScript class name of `e`.
pub(crate) fn class_name(e: &Error) -> &'static str {
    match e {
        Error::InvalidModule(_) => "InvalidModuleError",
        Error::InvalidPolicy(_) => "PolicyError",
        Error::LimitExceeded { kind, .. } => match kind {
            LimitKind::Memory => "MemoryLimitError",
            LimitKind::Output => "OutputLimitError",
            LimitKind::Timeout => "TimeLimitError",
            LimitKind::Fuel => "FuelLimitError",
        },
        Error::Trap(_) => "TrapError",
        Error::Denied { .. } => "DeniedError",
        Error::InvalidInput { .. } => "InvalidInputError",
        Error::AbiViolation(_) => "AbiViolationError",
        Error::HostFunction { .. } => "HostFunctionError",
        Error::Guest(_) => "PluginError",
        Error::Cancelled => "CancelledError",
        Error::Io { .. } => "IoError",
        Error::HostExhausted(_) => "HostExhaustedError",
        Error::Integrity(_) => "IntegrityError",
        Error::Internal(_) => "InternalError",
    }
}

/// The JavaScript error value for `e` (made by the factory), or `None` if there is no
/// factory on this thread or it failed.
pub(crate) fn js_error_value(env: sys::napi_env, e: &Error) -> Option<sys::napi_value> {
    let (host_fn, host_message) = match e {
        Error::HostFunction { name, message } => (Some(name.as_str()), Some(message.as_str())),
        _ => (None, None),
    };
    make(
        env,
        class_name(e),
        e.kind_name(),
        &e.detail(),
        e.exit_code(),
        host_fn,
        host_message,
    )
}

/// The `napi::Error` that throws (or rejects with) the JavaScript error for `e`.
pub(crate) fn to_napi(env: sys::napi_env, e: &Error) -> napi::Error {
    match js_error_value(env, e) {
        Some(v) => from_value(env, v),
        None => napi::Error::new(
            Status::GenericFailure,
            format!("{}: {}", e.kind_name(), e.detail()),
        ),
    }
}

/// A `TypeError` (a JavaScript argument of the wrong type or shape).
pub(crate) fn type_error(env: sys::napi_env, message: impl Into<String>) -> napi::Error {
    other(env, "TypeError", message.into())
}

/// The error for using a closed plugin or instance.
pub(crate) fn closed(env: sys::napi_env, what: &str, name: &str) -> napi::Error {
    other(
        env,
        "ClosedError",
        format!("{what} `{name}` is closed; create a new one to call it again"),
    )
}

/// The error for calling an instance that is busy in another call.
pub(crate) fn busy(env: sys::napi_env, name: &str) -> napi::Error {
    other(
        env,
        "BusyError",
        format!(
            "an instance of plugin `{name}` is busy in another call (an async call in flight, or a host function calling back into it); await that call first, or use another instance or plugin.call"
        ),
    )
}

/// A `PolicyError` for `message` (the library's `invalid policy` wording).
pub(crate) fn policy(env: sys::napi_env, message: String) -> napi::Error {
    to_napi(env, &Error::InvalidPolicy(message))
}

fn other(env: sys::napi_env, class: &str, message: String) -> napi::Error {
    match make(env, class, "", &message, 0, None, None) {
        Some(v) => from_value(env, v),
        None => napi::Error::new(Status::InvalidArg, message),
    }
}

fn from_value(env: sys::napi_env, value: sys::napi_value) -> napi::Error {
    // SAFETY: `value` is a live value of `env`, in the current handle scope.
    match unsafe { Unknown::from_napi_value(env, value) } {
        Ok(v) => napi::Error::from(v),
        Err(e) => e,
    }
}

/// Calls the factory; `None` if there is none for `env` or it threw (the exception is cleared).
fn make(
    env: sys::napi_env,
    class: &str,
    kind: &str,
    detail: &str,
    exit_code: i32,
    host_fn: Option<&str>,
    host_message: Option<&str>,
) -> Option<sys::napi_value> {
    let (factory_env, reference) = FACTORY.with(|f| f.get())?;
    if factory_env != env {
        return None;
    }
    // SAFETY: every call below gets the live `env` of the current thread and values made in
    // its current handle scope; failures are checked.
    unsafe {
        let mut factory = ptr::null_mut();
        if sys::napi_get_reference_value(env, reference, &mut factory) != sys::Status::napi_ok
            || factory.is_null()
        {
            return None;
        }
        let mut undefined = ptr::null_mut();
        sys::napi_get_undefined(env, &mut undefined);
        let mut args = [ptr::null_mut(); 6];
        args[0] = string(env, class)?;
        args[1] = string(env, kind)?;
        args[2] = string(env, detail)?;
        if sys::napi_create_int32(env, exit_code, &mut args[3]) != sys::Status::napi_ok {
            return None;
        }
        args[4] = match host_fn {
            Some(s) => string(env, s)?,
            None => undefined,
        };
        args[5] = match host_message {
            Some(s) => string(env, s)?,
            None => undefined,
        };
        let mut result = ptr::null_mut();
        let status = sys::napi_call_function(
            env,
            undefined,
            factory,
            args.len(),
            args.as_ptr(),
            &mut result,
        );
        if status != sys::Status::napi_ok {
            let mut exception = ptr::null_mut();
            sys::napi_get_and_clear_last_exception(env, &mut exception);
            return None;
        }
        Some(result)
    }
}

/// A JavaScript string of `s`.
pub(crate) fn string(env: sys::napi_env, s: &str) -> Option<sys::napi_value> {
    let mut v = ptr::null_mut();
    // SAFETY: `s` is valid UTF-8 of the given length; `env` is live.
    let status =
        unsafe { sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut v) };
    (status == sys::Status::napi_ok).then_some(v)
}
