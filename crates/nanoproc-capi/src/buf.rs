//! `nanoproc_buf`: bytes nanoproc hands to the caller (plugin output, audit JSON).

use crate::error::guard_value;
use crate::handles::AddrHasher;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
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
/// Sharded by address like the handle registry, so threads returning outputs rarely meet.
static OUT: LazyLock<[Mutex<Shard>; SHARDS]> =
    LazyLock::new(|| std::array::from_fn(|_| Mutex::new(HashMap::default())));

const SHARDS: usize = 16;

/// The vectors are kept as they came (not shrunk to a boxed slice, which could copy them).
type Shard = HashMap<usize, Vec<u8>, BuildHasherDefault<AddrHasher>>;

fn shard(addr: usize) -> std::sync::MutexGuard<'static, Shard> {
    OUT[(addr >> 4) % SHARDS]
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// Hands `bytes` to the caller as a buffer (no copy).
pub(crate) fn give(mut bytes: Vec<u8>) -> nanoproc_buf {
    if bytes.is_empty() {
        return nanoproc_buf {
            data: std::ptr::null_mut(),
            len: 0,
        };
    }
    let buf = nanoproc_buf {
        data: bytes.as_mut_ptr(),
        len: bytes.len(),
    };
    // Moving the vector does not move its bytes: `data` stays valid until it is removed.
    shard(buf.data as usize).insert(buf.data as usize, bytes);
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
            let addr = buf.data as usize;
            let bytes = shard(addr).remove(&addr);
            drop(bytes); // outside the lock
        }
        buf.data = std::ptr::null_mut();
        buf.len = 0;
    })
}

/// Buffers handed out and not yet freed (for leak checks).
pub(crate) fn live_count() -> usize {
    OUT.iter()
        .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).len())
        .sum()
}
