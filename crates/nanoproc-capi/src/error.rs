//! Error objects: every fallible function returns `nanoproc_error *` (NULL on success).

use crate::handles;
use nanoproc::{Error, LimitKind};
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// What went wrong, by cause. Stable numbers: SDKs map them to their own error types.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum nanoproc_error_kind {
    /// The bytes are not a valid WebAssembly module or component.
    NANOPROC_ERROR_INVALID_MODULE = 1,
    /// The policy (a setter's value, a policy file) is not valid.
    NANOPROC_ERROR_INVALID_POLICY = 2,
    /// A value for a typed call does not match its type.
    NANOPROC_ERROR_INVALID_INPUT = 3,
    /// The guest hit its memory limit.
    NANOPROC_ERROR_MEMORY_LIMIT = 4,
    /// The guest hit its output limit.
    NANOPROC_ERROR_OUTPUT_LIMIT = 5,
    /// The guest hit its wall-clock limit.
    NANOPROC_ERROR_TIME_LIMIT = 6,
    /// The guest ran out of fuel.
    NANOPROC_ERROR_FUEL_LIMIT = 7,
    /// The guest trapped (unreachable, out-of-bounds access, stack overflow, ...).
    NANOPROC_ERROR_TRAP = 8,
    /// The plugin broke the plugin ABI (bad pointer or length, missing export).
    NANOPROC_ERROR_ABI_VIOLATION = 9,
    /// A host function failed; the call that used it was stopped.
    NANOPROC_ERROR_HOST_FUNCTION = 10,
    /// The plugin reported a failure itself.
    NANOPROC_ERROR_PLUGIN = 11,
    /// The call was cancelled by the host.
    NANOPROC_ERROR_CANCELLED = 12,
    /// The guest needs a capability its policy does not grant.
    NANOPROC_ERROR_DENIED = 13,
    /// A host-side I/O failure (reading the module, opening a preopened directory).
    NANOPROC_ERROR_IO = 14,
    /// The host ran short of something no sandbox limit covers (pool slots, mappings).
    NANOPROC_ERROR_HOST_EXHAUSTED = 15,
    /// A bug in nanoproc or an unexpected engine failure (including a caught panic).
    NANOPROC_ERROR_INTERNAL = 16,
    /// The caller broke the C ABI's rules: a NULL or freed handle, a handle of another type,
    /// a string that is not UTF-8, NULL data with a non-zero length, an instance in use.
    NANOPROC_ERROR_INVALID_ARGUMENT = 17,
    /// The binary failed its policy's integrity check (not signed, signed by no trusted key,
    /// modified after signing, sha256 not pinned), or a run receipt did not verify. Exit code
    /// 126.
    NANOPROC_ERROR_INTEGRITY = 18,
}

/// The registered form of an error handed to C.
#[derive(Clone)]
pub(crate) struct CError {
    pub(crate) kind: nanoproc_error_kind,
    pub(crate) exit_code: i32,
    pub(crate) message: CString,
    pub(crate) detail: CString,
}

/// Opaque error object. Owned by the caller: free it with `nanoproc_error_free`.
#[allow(non_camel_case_types)]
pub struct nanoproc_error {
    _private: [u8; 0],
}

const NAME: &str = "nanoproc_error";

fn c_string(text: String) -> CString {
    // Details are escaped by nanoproc (no control characters), so no NUL either; be safe.
    CString::new(text.replace('\0', "\\u{0}")).unwrap_or_default()
}

impl CError {
    /// A misuse of the C ABI by the caller.
    pub(crate) fn argument(detail: String) -> Self {
        let detail = nanoproc::error::escape_controls(&detail);
        CError {
            kind: nanoproc_error_kind::NANOPROC_ERROR_INVALID_ARGUMENT,
            exit_code: 2,
            message: c_string(format!("invalid argument: {detail}")),
            detail: c_string(detail),
        }
    }

    /// A caught panic: nothing unwinds into C.
    fn panicked(payload: Box<dyn std::any::Any + Send>) -> Self {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        CError::from(Error::Internal(format!(
            "panic inside nanoproc (caught at the C boundary): {what}"
        )))
    }

    /// Hands the error to C.
    pub(crate) fn into_raw(self) -> *mut nanoproc_error {
        handles::register(self, NAME)
    }
}

impl From<Error> for CError {
    fn from(e: Error) -> Self {
        CError::from(&e)
    }
}

impl From<&Error> for CError {
    fn from(e: &Error) -> Self {
        use nanoproc_error_kind::*;
        let kind = match e {
            Error::InvalidModule(_) => NANOPROC_ERROR_INVALID_MODULE,
            Error::InvalidPolicy(_) => NANOPROC_ERROR_INVALID_POLICY,
            Error::InvalidInput { .. } => NANOPROC_ERROR_INVALID_INPUT,
            Error::LimitExceeded { kind, .. } => match kind {
                LimitKind::Memory => NANOPROC_ERROR_MEMORY_LIMIT,
                LimitKind::Output => NANOPROC_ERROR_OUTPUT_LIMIT,
                LimitKind::Timeout => NANOPROC_ERROR_TIME_LIMIT,
                LimitKind::Fuel => NANOPROC_ERROR_FUEL_LIMIT,
            },
            Error::Trap(_) => NANOPROC_ERROR_TRAP,
            Error::AbiViolation(_) => NANOPROC_ERROR_ABI_VIOLATION,
            Error::HostFunction { .. } => NANOPROC_ERROR_HOST_FUNCTION,
            Error::Guest(_) => NANOPROC_ERROR_PLUGIN,
            Error::Cancelled => NANOPROC_ERROR_CANCELLED,
            Error::Denied { .. } => NANOPROC_ERROR_DENIED,
            Error::Io { .. } => NANOPROC_ERROR_IO,
            Error::HostExhausted(_) => NANOPROC_ERROR_HOST_EXHAUSTED,
            Error::Integrity(_) => NANOPROC_ERROR_INTEGRITY,
            Error::Internal(_) => NANOPROC_ERROR_INTERNAL,
        };
        let detail = e.detail();
        CError {
            kind,
            exit_code: e.exit_code(),
            message: c_string(format!("{}: {detail}", e.kind_name())),
            detail: c_string(detail),
        }
    }
}

/// Runs `f`, catching panics; `NULL` on success, else a new error object.
pub(crate) fn guard(f: impl FnOnce() -> Result<(), CError>) -> *mut nanoproc_error {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => std::ptr::null_mut(),
        Ok(Err(e)) => e.into_raw(),
        Err(payload) => CError::panicked(payload).into_raw(),
    }
}

/// Runs `f` for a function without an error result, catching panics (`fallback` then).
pub(crate) fn guard_value<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

fn error(e: *const nanoproc_error) -> Option<std::sync::Arc<CError>> {
    handles::get::<CError, _>(e, NAME, "error").ok()
}

/// The kind of `error`; `NANOPROC_ERROR_INVALID_ARGUMENT` if `error` is not a live error.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_error_get_kind(error: *const nanoproc_error) -> nanoproc_error_kind {
    guard_value(nanoproc_error_kind::NANOPROC_ERROR_INVALID_ARGUMENT, || {
        self::error(error).map_or(nanoproc_error_kind::NANOPROC_ERROR_INVALID_ARGUMENT, |e| {
            e.kind
        })
    })
}

/// One line, `kind: detail` (e.g. `fuel limit: ... raise it with --fuel`), NUL-terminated,
/// with no control characters. Borrowed: valid until `error` is freed. NULL if `error` is
/// not a live error.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_error_message(error: *const nanoproc_error) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // The registry keeps the error alive until it is freed, so the pointer stays valid.
        self::error(error).map_or(std::ptr::null(), |e| e.message.as_ptr())
    })
}

/// The message without its `kind: ` prefix. Borrowed like `nanoproc_error_message`.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_error_detail(error: *const nanoproc_error) -> *const c_char {
    guard_value(std::ptr::null(), || {
        self::error(error).map_or(std::ptr::null(), |e| e.detail.as_ptr())
    })
}

/// The exit code the `nanoproc` CLI uses for this error (`docs/cli.md`); 2 for an invalid
/// argument or a non-error.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_error_exit_code(error: *const nanoproc_error) -> i32 {
    guard_value(2, || self::error(error).map_or(2, |e| e.exit_code))
}

/// Frees `error`. NULL, and an error freed already, are ignored.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_error_free(error: *mut nanoproc_error) {
    guard_value((), || {
        handles::release::<CError, _>(error, NAME);
    })
}
