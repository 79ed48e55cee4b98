//! Reading arguments from C: strings, byte ranges and out-pointers, each checked.

use crate::error::CError;
use std::ffi::{CStr, c_char};

/// The NUL-terminated UTF-8 string `ptr` passed as `arg`.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for the call.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, arg: &str) -> Result<&'a str, CError> {
    if ptr.is_null() {
        return Err(CError::argument(format!("`{arg}` is NULL; pass a string")));
    }
    // SAFETY: non-NULL, and NUL-terminated by the caller's contract.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str()
        .map_err(|e| CError::argument(format!("`{arg}` is not UTF-8: {e}")))
}

/// The string `ptr` passed as `arg`, or `None` for NULL.
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(
    ptr: *const c_char,
    arg: &str,
) -> Result<Option<&'a str>, CError> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { str_arg(ptr, arg) }.map(Some)
    }
}

/// The `len` bytes at `ptr` passed as `arg` (any `ptr`, even NULL, when `len` is 0).
///
/// # Safety
/// When `len > 0`, `ptr` points to `len` readable bytes valid for the call.
pub(crate) unsafe fn bytes_arg<'a>(
    ptr: *const u8,
    len: usize,
    arg: &str,
) -> Result<&'a [u8], CError> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(CError::argument(format!(
            "`{arg}` is NULL but its length is {len}"
        )));
    }
    if len > isize::MAX as usize {
        return Err(CError::argument(format!(
            "`{arg}` has an impossible length ({len} bytes)"
        )));
    }
    // SAFETY: non-NULL, length bounded, readable by the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// The UTF-8 text of `len` bytes at `ptr` passed as `arg` (a name given with its length).
///
/// # Safety
/// As [`bytes_arg`].
pub(crate) unsafe fn text_arg<'a>(
    ptr: *const c_char,
    len: usize,
    arg: &str,
) -> Result<&'a str, CError> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { bytes_arg(ptr.cast(), len, arg) }?;
    // Function names are short and ASCII: checking that is a few instructions, where
    // `from_utf8`'s general path costs about seventy on every call.
    if bytes.len() <= 64 && bytes.iter().all(u8::is_ascii) {
        // SAFETY: ASCII is UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).map_err(|e| CError::argument(format!("`{arg}` is not UTF-8: {e}")))
}

/// Checks that the out-pointer `ptr` (argument `arg`) is not NULL.
pub(crate) fn out_arg<T>(ptr: *mut T, arg: &str) -> Result<(), CError> {
    if ptr.is_null() {
        Err(CError::argument(format!(
            "`{arg}` is NULL; pass where to store the result"
        )))
    } else {
        Ok(())
    }
}

/// Writes `value` to the out-pointer `ptr`, checked by [`out_arg`] first.
///
/// # Safety
/// `ptr` is non-NULL (checked before) and writable.
pub(crate) unsafe fn write_out<T>(ptr: *mut T, value: T) {
    // SAFETY: checked non-NULL; writable by the caller's contract.
    unsafe { ptr.write(value) }
}
