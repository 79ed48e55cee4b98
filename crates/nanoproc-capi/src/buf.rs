//! `nanoproc_buf`: bytes nanoproc hands to the caller (plugin output, audit JSON).

use crate::error::guard_value;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

/// Bytes owned by the caller: free with `nanoproc_buf_free`. `data` is NULL when `len` is 0.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct nanoproc_buf {
    /// The bytes.
    pub data: *mut u8,
    /// How many.
    pub len: usize,
}

/// Buffers handed out and not yet freed, by address: `nanoproc_buf_free` frees only these.
static OUT: LazyLock<Mutex<HashMap<usize, Box<[u8]>>>> = LazyLock::new(Default::default);

/// Hands `bytes` to the caller as a buffer (no copy).
pub(crate) fn give(bytes: Vec<u8>) -> nanoproc_buf {
    if bytes.is_empty() {
        return nanoproc_buf {
            data: std::ptr::null_mut(),
            len: 0,
        };
    }
    let mut boxed = bytes.into_boxed_slice();
    let buf = nanoproc_buf {
        data: boxed.as_mut_ptr(),
        len: boxed.len(),
    };
    OUT.lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(buf.data as usize, boxed);
    buf
}

/// Frees the bytes of `buf` and sets it to `{NULL, 0}`. NULL, an empty buffer, and a
/// buffer freed already (or not from nanoproc) are ignored.
///
/// # Safety
/// `buf` is NULL or points to a writable `nanoproc_buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_buf_free(buf: *mut nanoproc_buf) {
    guard_value((), || {
        if buf.is_null() {
            return;
        }
        // SAFETY: non-NULL, writable by the caller's contract.
        let buf = unsafe { &mut *buf };
        if !buf.data.is_null() {
            OUT.lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&(buf.data as usize));
        }
        buf.data = std::ptr::null_mut();
        buf.len = 0;
    })
}

/// Buffers handed out and not yet freed (for leak checks).
pub(crate) fn live_count() -> usize {
    OUT.lock().unwrap_or_else(|p| p.into_inner()).len()
}
