//! Drives a component call's future to completion from synchronous code.
//!
//! WASI preview 2 is implemented with async host functions, so component exports are called
//! with `call_async`. nanoproc's component APIs are synchronous, like its plugin API: each
//! call blocks the calling thread until the guest returns or a limit stops it.

use crate::error::{Error, Result};
use crate::limits::NestingGuard;
use std::future::Future;

/// Runs `fut` to completion on this thread, inside one guest-nesting level (see
/// [`NestingGuard`]; `max_wasm_stack` is the engine's wasm stack limit).
///
/// The future is polled here, with Wasmtime's process-wide Tokio runtime driving timers and
/// I/O, so calls need no per-thread resources. Code already inside a Tokio runtime cannot
/// block it: a host function that calls back into a component (re-entry; it runs on the
/// calling guest's fiber, whose stack cannot be measured), or an embedder calling from an
/// async task. There the future runs on a scoped helper thread instead, which inherits the
/// caller's nesting depth so re-entry stays bounded by [`crate::limits::MAX_NESTED_CALLS`].
pub(crate) fn block_on<F>(max_wasm_stack: usize, fut: F) -> Result<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    if tokio::runtime::Handle::try_current().is_err() {
        let _nesting = NestingGuard::enter(max_wasm_stack)?;
        return Ok(wasmtime_wasi::runtime::in_tokio(fut));
    }
    let depth = NestingGuard::depth();
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("nanoproc-nested-call".into())
            .spawn_scoped(s, move || {
                NestingGuard::set_depth(depth);
                let _nesting = NestingGuard::enter(max_wasm_stack)?;
                Ok(wasmtime_wasi::runtime::in_tokio(fut))
            })
            .map_err(|e| {
                Error::HostExhausted(format!("cannot start a thread for a nested call: {e}"))
            })?
            .join()
            .map_err(|_| Error::Internal("a nested component call panicked".into()))?
    })
}
