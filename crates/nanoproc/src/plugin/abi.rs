//! The plugin ABI boundary (docs/abi.md, version 1). Every pointer and length that crosses
//! from the guest is checked here, and only here.

use crate::error::Error;

/// The ABI version this host speaks.
pub const ABI_VERSION: i32 = 1;
/// Most bytes of a `fail` message or of log output kept per call.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Splits a packed `(ptr << 32) | len` result.
pub(crate) fn unpack(packed: i64) -> (u32, u32) {
    let v = packed as u64;
    ((v >> 32) as u32, v as u32)
}

/// Packs a pointer and a length the way plugins return them.
pub(crate) fn pack(ptr: u32, len: u32) -> i64 {
    ((u64::from(ptr) << 32) | u64::from(len)) as i64
}

/// The byte range `ptr .. ptr + len` if it lies inside a memory of `mem_len` bytes.
pub(crate) fn checked_range(
    mem_len: usize,
    ptr: u32,
    len: u32,
    what: &str,
) -> Result<std::ops::Range<usize>, Error> {
    let start = ptr as usize;
    let end = start.checked_add(len as usize).filter(|end| *end <= mem_len).ok_or_else(|| {
        Error::AbiViolation(format!(
            "{what}: pointer {ptr:#x} with length {len} ({}) is outside the plugin's {mem_len}-byte memory",
            if (ptr as u64) + (len as u64) > u32::MAX as u64 { "overflows 32 bits" } else { "runs past the end" }
        ))
    })?;
    Ok(start..end)
}

/// Raises an ABI violation as a trap (from inside a host import).
pub(crate) fn violation(e: Error) -> wasmtime::Error {
    wasmtime::Error::new(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_round_trips() {
        for (p, l) in [(0, 0), (1, 2), (u32::MAX, u32::MAX), (0x8000_0000, 5)] {
            assert_eq!(unpack(pack(p, l)), (p, l));
        }
    }

    #[test]
    fn ranges_are_checked() {
        assert_eq!(checked_range(100, 10, 20, "x").ok(), Some(10..30));
        assert_eq!(checked_range(100, 100, 0, "x").ok(), Some(100..100));
        assert!(checked_range(100, 90, 20, "x").is_err());
        assert!(checked_range(100, 0, u32::MAX, "x").is_err());
        assert!(
            checked_range(usize::MAX, u32::MAX, u32::MAX, "x").is_ok()
                || cfg!(target_pointer_width = "32")
        );
        assert!(checked_range(100, u32::MAX, 2, "x").is_err());
    }
}
