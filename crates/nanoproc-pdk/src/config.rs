//! Per-plugin configuration: read-only `key = value` strings set by whoever loads the plugin
//! (for example `nanoproc call --config KEY=VALUE`).
//!
//! ```
//! use nanoproc_pdk::config;
//!
//! fn greeting() -> String {
//!     config::get("greeting").unwrap_or_else(|| "hello".to_string())
//! }
//! # // Outside nanoproc there is no configuration at all.
//! # assert_eq!(greeting(), "hello");
//! ```
//!
//! Backed by the `nanoproc::config_get` import; see `docs/abi.md`.

use crate::{Error, Result};

/// The first buffer offered to the host; a longer value costs a second import call.
#[cfg(target_arch = "wasm32")]
const FIRST_BUFFER: usize = 256;

/// Returns the value of config key `key`, or `None` if it is not set.
///
/// `None` also covers the cases [`try_get`] reports as errors: a value that is not valid UTF-8
/// (use [`get_bytes`] for binary values), and being called outside nanoproc (compiled for a
/// target other than `wasm32`).
pub fn get(key: &str) -> Option<String> {
    try_get(key).ok().flatten()
}

/// Returns the value of config key `key` as UTF-8: `Ok(None)` if it is not set.
///
/// # Errors
///
/// If the value is not valid UTF-8, or when compiled for a target other than `wasm32`, where
/// there is no host to ask.
pub fn try_get(key: &str) -> Result<Option<String>> {
    match get_bytes(key)? {
        None => Ok(None),
        Some(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| Error::new(format!("config value `{key}` is not valid UTF-8"))),
    }
}

/// Returns the raw bytes of config key `key`: `Ok(None)` if it is not set.
///
/// Offers the host a 256-byte buffer first and, when the value is longer, asks again with a
/// buffer of the exact length.
///
/// # Errors
///
/// When compiled for a target other than `wasm32`, where there is no host to ask.
pub fn get_bytes(key: &str) -> Result<Option<Vec<u8>>> {
    #[cfg(target_arch = "wasm32")]
    {
        let (key_ptr, key_len) = crate::abi::ptr_len(key.as_bytes());
        let mut cap = FIRST_BUFFER;
        // The value cannot change during a call, so the second try always fits; the bound only
        // guards against a host that keeps reporting a larger length.
        for _ in 0..4 {
            let mut buf: Vec<u8> = Vec::with_capacity(cap);
            // SAFETY: the host writes at most `cap` bytes to `buf`'s spare capacity, inside the
            // allocation; key_ptr/key_len describe a live slice.
            let len = unsafe {
                crate::sys::config_get(
                    key_ptr,
                    key_len,
                    buf.as_mut_ptr().expose_provenance() as i32,
                    cap as i32,
                )
            };
            if len < 0 {
                return Ok(None);
            }
            let len = usize::try_from(len)
                .map_err(|_| Error::new(format!("config value `{key}` is too large")))?;
            if len <= cap {
                // SAFETY: the host initialised `min(len, cap) == len` bytes.
                unsafe { buf.set_len(len) };
                return Ok(Some(buf));
            }
            cap = len;
        }
        Err(Error::new(format!(
            "config value `{key}`: the host kept reporting a longer value"
        )))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        Err(Error::new(format!(
            "config::get(\"{key}\") {}",
            crate::sys::ONLY_IN_NANOPROC
        )))
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn unavailable_natively() {
        assert_eq!(get("vowels"), None);
        let err = try_get("vowels").expect_err("no host");
        assert!(
            err.message()
                .contains("only works inside a nanoproc plugin"),
            "{err}"
        );
        assert!(get_bytes("vowels").is_err());
    }
}
