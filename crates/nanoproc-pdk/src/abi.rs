//! The two exports every plugin needs, and the wire helpers behind the macros.
//!
//! Depending on this crate is enough: when it is compiled for `wasm32`, it defines
//! [`nanoproc_abi_version`] and [`nanoproc_alloc`] with `#[unsafe(no_mangle)]`, so they are
//! exported from the plugin's `cdylib` under exactly those names (one plugin is one `cdylib`,
//! so they exist once). On other targets they are ordinary functions, exported from nothing.
//!
//! See `docs/abi.md` in the nanoproc repository for the full ABI.

/// The version of the plugin ABI this crate implements: `1`.
pub const ABI_VERSION: i32 = 1;

/// Returns [`ABI_VERSION`] (`1`).
///
/// Exported as `nanoproc_abi_version: () -> i32` when compiled for `wasm32`; the host refuses to
/// load a plugin whose version it does not know.
#[cfg_attr(target_arch = "wasm32", unsafe(no_mangle))]
pub extern "C" fn nanoproc_abi_version() -> i32 {
    ABI_VERSION
}

/// Allocates `len` bytes for the host to write into and returns their address, or `0` if it
/// cannot (including `len == 0`, which the host never asks for).
///
/// Exported as `nanoproc_alloc: (len: i32) -> i32` when compiled for `wasm32`. The host calls it
/// to pass a function its input, and to return a host function's output.
///
/// The block is exactly the heap buffer of a `Vec<u8>` with capacity `len` (allocated through
/// `Vec::try_reserve_exact`, so failure returns `0` instead of aborting), and it is leaked to the
/// host. Whoever receives it back as a `(ptr, len)` pair takes ownership with
/// `Vec::from_raw_parts(ptr, len, len)`: the export glue does so for a function's input (freed
/// after the call) and [`host_fn!`](crate::host_fn) for a host function's output.
///
/// On targets other than `wasm32` a linear-memory address does not fit an `i32`, so this always
/// returns `0`.
#[cfg_attr(target_arch = "wasm32", unsafe(no_mangle))]
pub extern "C" fn nanoproc_alloc(len: i32) -> i32 {
    #[cfg(target_arch = "wasm32")]
    {
        match alloc(len as u32 as usize) {
            Some(ptr) => ptr as i32,
            None => 0,
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = len;
        0
    }
}

/// Leaks a fresh `Vec<u8>` buffer of capacity exactly `len` and returns its address.
#[cfg(target_arch = "wasm32")]
fn alloc(len: usize) -> Option<u32> {
    if len == 0 {
        return None;
    }
    let mut buf: Vec<u8> = Vec::new();
    buf.try_reserve_exact(len).ok()?;
    if buf.capacity() != len {
        // Never happens with the standard allocator, but `take` relies on it: refuse rather
        // than hand out a block that could not be freed soundly.
        return None;
    }
    let mut buf = std::mem::ManuallyDrop::new(buf);
    Some(buf.as_mut_ptr().expose_provenance() as u32)
}

/// Takes back ownership of `len` bytes at `ptr` that were handed out by [`nanoproc_alloc`].
///
/// `(0, 0)`, or any pointer with `len == 0`, gives an empty `Vec` (nothing was allocated).
///
/// # Safety
///
/// Unless `len` is 0, `ptr` must have been returned by `nanoproc_alloc(len)` with this same
/// `len`, and must not have been taken already.
#[cfg(target_arch = "wasm32")]
pub(crate) unsafe fn take(ptr: u32, len: u32) -> Vec<u8> {
    if len == 0 {
        return Vec::new();
    }
    let len = len as usize;
    let ptr = std::ptr::with_exposed_provenance_mut::<u8>(ptr as usize);
    // SAFETY: per this function's contract the block is the buffer of a leaked `Vec<u8>` with
    // capacity `len` (see `alloc`), and the host wrote all `len` bytes before handing it over.
    unsafe { Vec::from_raw_parts(ptr, len, len) }
}

/// The `(ptr, len)` pair of a byte slice as the ABI passes it: `(0, 0)` when empty.
#[cfg(target_arch = "wasm32")]
pub(crate) fn ptr_len(bytes: &[u8]) -> (i32, i32) {
    if bytes.is_empty() {
        (0, 0)
    } else {
        (
            bytes.as_ptr().expose_provenance() as i32,
            bytes.len() as i32,
        )
    }
}

/// Packs an output location as the ABI returns it: `(ptr << 32) | len`.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn pack(ptr: u32, len: u32) -> i64 {
    ((u64::from(ptr) << 32) | u64::from(len)) as i64
}

/// Splits a packed `(ptr << 32) | len` into `(ptr, len)`.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn unpack(packed: i64) -> (u32, u32) {
    let packed = packed as u64;
    ((packed >> 32) as u32, packed as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_one() {
        assert_eq!(nanoproc_abi_version(), 1);
    }

    #[test]
    fn pack_round_trips() {
        assert_eq!(pack(0, 0), 0);
        assert_eq!(pack(1, 2), (1 << 32) | 2);
        assert_eq!(pack(0xFFFF_FFFF, 0xFFFF_FFFF), -1);
        for (p, l) in [(0, 0), (8, 0), (0x8000_0000, 5), (0xFFFF_FFFF, 0xFFFF_FFFF)] {
            assert_eq!(unpack(pack(p, l)), (p, l));
        }
    }

    #[test]
    fn alloc_is_unavailable_natively() {
        assert_eq!(nanoproc_alloc(16), 0);
    }
}
