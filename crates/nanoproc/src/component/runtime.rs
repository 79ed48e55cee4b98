//! Drives a component call's future to completion from synchronous code.
//!
//! WASI preview 2 is implemented with async host functions, so component exports are called
//! with `call_async`. nanoproc's component APIs are synchronous, like its plugin API: each
//! call blocks the calling thread until the guest returns or a limit stops it.

use crate::error::{Error, Result};
use crate::limits::NestingGuard;
use std::future::Future;

thread_local! {
    /// One current-thread runtime per thread that calls components: building one per call
    /// would cost more than a small call.
    static RUNTIME: Option<tokio::runtime::Runtime> = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok();
}

/// Runs `fut` to completion on this thread.
///
/// Code already inside a Tokio runtime cannot block it: a host function that calls back into
/// a component (re-entry), or an embedder calling from an async task. There the future runs
/// on a scoped helper thread, which inherits the caller's nesting depth so re-entry stays
/// bounded by [`crate::limits::MAX_NESTED_CALLS`].
pub(crate) fn block_on<F>(fut: F) -> Result<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    if tokio::runtime::Handle::try_current().is_err() {
        return block_on_here(fut);
    }
    let depth = NestingGuard::depth();
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("nanoproc-nested-call".into())
            .spawn_scoped(s, move || {
                NestingGuard::set_depth(depth);
                block_on_here(fut)
            })
            .map_err(|e| {
                Error::HostExhausted(format!("cannot start a thread for a nested call: {e}"))
            })?
            .join()
            .map_err(|_| Error::Internal("a nested component call panicked".into()))?
    })
}

fn block_on_here<F: Future>(fut: F) -> Result<F::Output> {
    RUNTIME.with(|rt| match rt {
        Some(rt) => Ok(rt.block_on(fut)),
        None => Err(Error::HostExhausted(
            "cannot start the Tokio runtime that drives component calls on this thread".into(),
        )),
    })
}
