//! Host functions: named closures a plugin may import, each linked only if its policy grants it.

use crate::error::Error;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The signature every host function has: bytes in, bytes out, with a context.
pub type HostFn = dyn Fn(&HostContext<'_>, &[u8]) -> Result<Vec<u8>, String> + Send + Sync;

/// What a host function sees of the call it serves: the plugin's name, the call's deadline,
/// and whether the call was cancelled. Long-running host functions must use
/// [`HostContext::check`] or [`HostContext::sleep`] so limits interrupt them too.
pub struct HostContext<'a> {
    pub(crate) plugin: &'a str,
    pub(crate) deadline: Option<Instant>,
    pub(crate) cancel: &'a CancelState,
    pub(crate) token: &'a CallToken,
}

impl HostContext<'_> {
    /// The plugin's name.
    pub fn plugin(&self) -> &str {
        self.plugin
    }
    /// When the call must end, if it has a timeout.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
    /// Time left before the deadline (`None`: no timeout).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }
    /// Whether the call was cancelled through a [`CancelHandle`].
    pub fn is_cancelled(&self) -> bool {
        self.token.cancelled(self.cancel)
    }
    /// `Err` once the call is cancelled or past its deadline; return it to stop.
    pub fn check(&self) -> Result<(), String> {
        if self.is_cancelled() {
            return Err("the call was cancelled".into());
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err("the call's deadline passed".into());
        }
        Ok(())
    }
    /// Why the call must stop now (cancelled, or past its deadline; `timeout` names the limit
    /// in the error), if it must.
    pub(crate) fn stop_reason(&self, timeout: Option<Duration>) -> Option<wasmtime::Error> {
        self.cancel
            .check_call(self.token, self.deadline, timeout)
            .err()
    }
    /// Sleeps for `d`, waking early (with `Err`) if the call is cancelled or hits its deadline.
    pub fn sleep(&self, d: Duration) -> Result<(), String> {
        let end = Instant::now() + d;
        loop {
            self.check()?;
            let now = Instant::now();
            if now >= end {
                return Ok(());
            }
            std::thread::sleep((end - now).min(Duration::from_millis(2)));
        }
    }
}

/// Cancels calls in flight.
///
/// A plugin's own handle ([`crate::plugin::Plugin::cancel_handle`]) cancels every call
/// running on it; calls started afterwards run normally. A handle made with
/// [`CancelHandle::new`] and passed in [`crate::plugin::CallOptions::cancel`] cancels just
/// the calls given it, and stays cancelled: a call given it after it was cancelled stops at
/// once (a per-request token, as a Go `context.Context` or a .NET `CancellationToken` maps
/// to; a cancel that lands just before the call starts is not lost).
#[derive(Clone, Default)]
pub struct CancelHandle {
    pub(crate) state: Arc<CancelState>,
}

impl std::fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancelHandle")
            .field("generation", &self.state.generation())
            .finish()
    }
}

/// Two handles are equal when they cancel the same calls.
impl PartialEq for CancelHandle {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.state, &other.state)
    }
}

impl Eq for CancelHandle {}

/// What a call checks to know whether it was cancelled: the plugin's cancel generation when
/// the call started and, if the call was given its own [`CancelHandle`], that handle's.
#[derive(Default)]
pub(crate) struct CallToken {
    generation: u64,
    own: Option<Arc<CancelState>>,
}

impl CallToken {
    /// The token of a call starting now on a plugin cancelled through `plugin`, also
    /// cancelled through `own` if given.
    pub(crate) fn start(plugin: &CancelState, own: Option<&CancelHandle>) -> Self {
        CallToken {
            generation: plugin.generation(),
            own: own.map(|h| h.state.clone()),
        }
    }

    /// Whether the call was cancelled, through the plugin's handle or its own.
    pub(crate) fn cancelled(&self, plugin: &CancelState) -> bool {
        plugin.generation() != self.generation
            || self
                .own
                .as_ref()
                .is_some_and(|state| state.generation() != 0)
    }
}

/// Shared cancellation counter.
#[derive(Default)]
pub struct CancelState {
    generation: AtomicU64,
}

impl CancelState {
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// `Err` once the call started at `generation` is cancelled or past its `deadline`: what
    /// every epoch tick and every host-function return checks, for core and component plugins.
    pub(crate) fn check_call(
        &self,
        token: &CallToken,
        deadline: Option<Instant>,
        timeout: Option<Duration>,
    ) -> wasmtime::Result<()> {
        if token.cancelled(self) {
            return Err(wasmtime::Error::new(Error::Cancelled));
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(wasmtime::Error::new(crate::limits::LimitHit::call_timeout(
                timeout.unwrap_or_default(),
            )));
        }
        Ok(())
    }
}

impl CancelHandle {
    /// A handle of its own, for [`crate::plugin::CallOptions::cancel`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every call currently running that this handle covers (guest code and host
    /// functions): all of the plugin's for its own handle; for a handle of its own, the
    /// calls given it, now and later.
    pub fn cancel(&self) {
        self.state.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Whether this handle, given as [`crate::plugin::CallOptions::cancel`], cancels a call
    /// starting now: once cancelled, it stays so (as [`CallToken::cancelled`] sees it).
    pub(crate) fn cancels_new_calls(&self) -> bool {
        self.state.generation() != 0
    }
}

/// A set of host functions, by `namespace::name`. Cheap to clone.
#[derive(Clone, Default)]
pub struct HostFunctions {
    pub(crate) fns: HashMap<(String, String), Arc<HostFn>>,
}

impl HostFunctions {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `namespace::name` as bytes-in, bytes-out. Returning `Err(message)` (or
    /// panicking) stops the current call with [`Error::HostFunction`].
    pub fn register(
        &mut self,
        namespace: &str,
        name: &str,
        f: impl Fn(&HostContext<'_>, &[u8]) -> Result<Vec<u8>, String> + Send + Sync + 'static,
    ) -> &mut Self {
        self.fns
            .insert((namespace.to_string(), name.to_string()), Arc::new(f));
        self
    }

    /// Registers a function taking and returning JSON values of these types.
    pub fn register_json<In, Out>(
        &mut self,
        namespace: &str,
        name: &str,
        f: impl Fn(&HostContext<'_>, In) -> Result<Out, String> + Send + Sync + 'static,
    ) -> &mut Self
    where
        In: serde::de::DeserializeOwned,
        Out: serde::Serialize,
    {
        self.register(namespace, name, move |ctx, input| {
            let value: In = serde_json::from_slice(input)
                .map_err(|e| format!("input is not the expected JSON: {e}"))?;
            let out = f(ctx, value)?;
            serde_json::to_vec(&out).map_err(|e| format!("cannot encode the result as JSON: {e}"))
        })
    }

    /// Registers a function taking and returning UTF-8 text.
    pub fn register_text(
        &mut self,
        namespace: &str,
        name: &str,
        f: impl Fn(&HostContext<'_>, &str) -> Result<String, String> + Send + Sync + 'static,
    ) -> &mut Self {
        self.register(namespace, name, move |ctx, input| {
            let text =
                std::str::from_utf8(input).map_err(|e| format!("input is not UTF-8: {e}"))?;
            f(ctx, text).map(String::into_bytes)
        })
    }

    pub(crate) fn get(&self, namespace: &str, name: &str) -> Option<&Arc<HostFn>> {
        self.fns.get(&(namespace.to_string(), name.to_string()))
    }
}

/// Runs the granted host function `f` (`name`) on `input` for the call `ctx` serves: a panic
/// becomes `Err` with its message, the use is audited, and a call cancelled or timed out
/// meanwhile stops (the outer `Err`).
pub(crate) fn invoke(
    f: &HostFn,
    name: &str,
    ctx: &HostContext<'_>,
    input: &[u8],
    timeout: Option<Duration>,
    audit: &crate::audit::Audit,
) -> wasmtime::Result<Result<Vec<u8>, HostFailure>> {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(ctx, input)));
    audit.event(
        "host_fn",
        name,
        crate::audit::Decision::Allowed,
        if result.as_ref().is_ok_and(|r| r.is_ok()) {
            "granted; returned"
        } else {
            "granted; failed"
        },
    );
    if let Some(stop) = ctx.stop_reason(timeout) {
        return Err(stop);
    }
    Ok(match result {
        Ok(Ok(out)) => Ok(out),
        Ok(Err(message)) => Err(HostFailure::Returned(message)),
        Err(panic) => Err(HostFailure::Panicked(panic_message(&*panic))),
    })
}

/// How a host function failed.
pub(crate) enum HostFailure {
    /// It returned this error.
    Returned(String),
    /// It panicked with this message.
    Panicked(String),
}

/// The bytes of log lines kept per call; the rest is dropped with one warning.
pub(crate) const MAX_LOG_BYTES: usize = super::abi::MAX_MESSAGE_BYTES;

/// Emits one plugin log line at `level` (0 error … 4 trace; higher is trace), counting it
/// against the call's `logged` bytes: past [`MAX_LOG_BYTES`] one warning, then nothing.
pub(crate) fn emit_log(plugin: &str, level: i32, msg: &str, logged: &mut usize) {
    let before = *logged;
    *logged = before.saturating_add(msg.len());
    if before >= MAX_LOG_BYTES {
        return;
    }
    if *logged > MAX_LOG_BYTES {
        tracing::warn!(target: "nanoproc::plugin", plugin, "log volume over {MAX_LOG_BYTES} bytes in one call; dropping the rest");
        return;
    }
    match level {
        0 => tracing::error!(target: "nanoproc::plugin", plugin, "{msg}"),
        1 => tracing::warn!(target: "nanoproc::plugin", plugin, "{msg}"),
        2 => tracing::info!(target: "nanoproc::plugin", plugin, "{msg}"),
        3 => tracing::debug!(target: "nanoproc::plugin", plugin, "{msg}"),
        _ => tracing::trace!(target: "nanoproc::plugin", plugin, "{msg}"),
    }
}

pub(crate) fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        format!("panicked: {s}")
    } else if let Some(s) = p.downcast_ref::<String>() {
        format!("panicked: {s}")
    } else {
        "panicked".to_string()
    }
}

pub(crate) fn host_error(name: String, message: String) -> wasmtime::Error {
    wasmtime::Error::new(Error::HostFunction { name, message })
}
