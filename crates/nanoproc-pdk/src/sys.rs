//! The raw `nanoproc` imports (`wasm32` only) and what replaces them elsewhere.

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "nanoproc")]
unsafe extern "C" {
    /// `nanoproc::fail(ptr, len)`: fail the current call with this UTF-8 message.
    pub(crate) fn fail(ptr: i32, len: i32);
    /// `nanoproc::log(level, ptr, len)`: log a UTF-8 message (0 error .. 4 trace).
    pub(crate) fn log(level: i32, ptr: i32, len: i32);
    /// `nanoproc::config_get(key_ptr, key_len, buf_ptr, buf_cap) -> i64`: `-1` if absent, else
    /// the value's full length, having copied `min(len, buf_cap)` bytes to `buf_ptr`.
    pub(crate) fn config_get(key_ptr: i32, key_len: i32, buf_ptr: i32, buf_cap: i32) -> i64;
}

/// What import-backed functions say on targets other than `wasm32`.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) const ONLY_IN_NANOPROC: &str =
    "only works inside a nanoproc plugin (compiled for wasm32 and loaded by nanoproc)";
