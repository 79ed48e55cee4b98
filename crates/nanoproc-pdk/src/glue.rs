//! Support code for the macros. Not a public API: it may change in any release.

use crate::Error;
use serde::{Serialize, de::DeserializeOwned};

/// Type-checks a function for [`export!`](crate::export) (what the macro expands to outside
/// `wasm32`, so a plugin also compiles, warning-free, for the host target).
pub const fn check_bytes<E: Into<Error>>(_f: fn(Vec<u8>) -> Result<Vec<u8>, E>) {}

/// Type-checks a function for [`export_json!`](crate::export_json), as [`check_bytes`].
pub const fn check_json<I: DeserializeOwned, O: Serialize, E: Into<Error>>(
    _f: fn(I) -> Result<O, E>,
) {
}

/// What a [`host_fn!`](crate::host_fn) function returns outside `wasm32`.
#[cfg(not(target_arch = "wasm32"))]
pub fn host_fn_unavailable(module: &str, name: &str) -> crate::Result<Vec<u8>> {
    Err(Error::new(format!(
        "host function {module}::{name} {}",
        crate::sys::ONLY_IN_NANOPROC
    )))
}

#[cfg(target_arch = "wasm32")]
pub use wasm::*;

#[cfg(target_arch = "wasm32")]
mod wasm {
    use crate::Error;
    use crate::abi::{pack, ptr_len, take, unpack};
    use serde::{Serialize, de::DeserializeOwned};
    use std::sync::{Mutex, MutexGuard, Once, PoisonError};

    /// The last call's output, kept alive until the host has copied it: it is freed when the
    /// next exported function is called.
    static OUTPUT: Mutex<Vec<u8>> = Mutex::new(Vec::new());

    fn output_slot() -> MutexGuard<'static, Vec<u8>> {
        OUTPUT.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Start of every exported call: free the previous output; on the first call, route panic
    /// messages to the host log (a panic then traps: `panic = "abort"` on wasm32).
    fn begin_call() {
        static PANIC_HOOK: Once = Once::new();
        PANIC_HOOK.call_once(|| {
            std::panic::set_hook(Box::new(|info| {
                crate::log::error(format!("plugin panicked: {info}"));
            }));
        });
        drop(std::mem::take(&mut *output_slot()));
    }

    /// Hands `output` to the host: returns `(ptr << 32) | len` and keeps the bytes alive in
    /// `OUTPUT` until the next call.
    fn publish(output: Vec<u8>) -> i64 {
        if output.is_empty() {
            return 0;
        }
        let packed = pack(
            output.as_ptr().expose_provenance() as u32,
            output.len() as u32,
        );
        *output_slot() = output;
        packed
    }

    /// Calls `nanoproc::fail` with `message`; the host fails the call with it.
    fn fail(message: &str) -> i64 {
        let (ptr, len) = ptr_len(message.as_bytes());
        // SAFETY: (ptr, len) describe a live slice; the host only reads it.
        unsafe { crate::sys::fail(ptr, len) };
        0
    }

    /// The body of an [`export!`](crate::export)ed function.
    ///
    /// # Safety
    ///
    /// `(ptr, len)` must be `(0, 0)` or a block the host obtained from `nanoproc_alloc(len)`
    /// and filled (it is freed after the call), as `docs/abi.md` prescribes.
    pub unsafe fn call_bytes<E: Into<Error>>(
        ptr: i32,
        len: i32,
        f: fn(Vec<u8>) -> Result<Vec<u8>, E>,
    ) -> i64 {
        begin_call();
        // SAFETY: forwarded from this function's contract.
        let input = unsafe { take(ptr as u32, len as u32) };
        match f(input) {
            Ok(output) => publish(output),
            Err(e) => fail(e.into().message()),
        }
    }

    /// The body of an [`export_json!`](crate::export_json)ed function: empty input decodes as
    /// JSON `null`.
    ///
    /// # Safety
    ///
    /// As [`call_bytes`].
    pub unsafe fn call_json<I: DeserializeOwned, O: Serialize, E: Into<Error>>(
        name: &str,
        ptr: i32,
        len: i32,
        f: fn(I) -> Result<O, E>,
    ) -> i64 {
        begin_call();
        // SAFETY: forwarded from this function's contract.
        let input = unsafe { take(ptr as u32, len as u32) };
        let bytes: &[u8] = if input.is_empty() { b"null" } else { &input };
        let value: I = match serde_json::from_slice(bytes) {
            Ok(value) => value,
            Err(_) if input.is_empty() => {
                return fail(&format!("{name}: invalid JSON input: the input is empty"));
            }
            Err(e) => return fail(&format!("{name}: invalid JSON input: {e}")),
        };
        drop(input);
        match f(value) {
            Ok(output) => match serde_json::to_vec(&output) {
                Ok(bytes) => publish(bytes),
                Err(e) => fail(&format!("{name}: cannot encode the output as JSON: {e}")),
            },
            Err(e) => fail(e.into().message()),
        }
    }

    /// The body of a [`host_fn!`](crate::host_fn) function: passes `input` to `import` and takes
    /// ownership of the output, which the host wrote into a block from `nanoproc_alloc`.
    ///
    /// # Safety
    ///
    /// `import` must be a host function following `docs/abi.md`: any non-empty output it
    /// returns is a block it obtained from this plugin's `nanoproc_alloc(out_len)`.
    pub unsafe fn call_host(
        module: &str,
        name: &str,
        input: &[u8],
        import: impl FnOnce(i32, i32) -> i64,
    ) -> crate::Result<Vec<u8>> {
        let (ptr, len) = ptr_len(input);
        let (out_ptr, out_len) = unpack(import(ptr, len));
        if out_len != 0 && out_ptr == 0 {
            return Err(Error::new(format!(
                "host function {module}::{name} returned {out_len} bytes at address 0"
            )));
        }
        // SAFETY: per this function's contract the block came from nanoproc_alloc(out_len).
        Ok(unsafe { take(out_ptr, out_len) })
    }
}
