//! Resource limits wired into a Store: one memory budget for all linear memories and
//! tables together, per-stream output caps, the disk quota for writable mounts and the cap
//! on open descriptors.

use crate::audit::{Audit, Decision};
use crate::error::LimitKind;
use crate::policy::units::format_size;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Raised (as a trap) when a limit stops the guest; the sandbox turns it into
/// [`crate::Error::LimitExceeded`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind}: {detail}")]
pub struct LimitHit {
    /// Which limit.
    pub kind: LimitKind,
    /// What happened.
    pub detail: String,
}

impl LimitHit {
    /// A call that ran past its wall-clock limit `t`.
    pub(crate) fn call_timeout(t: std::time::Duration) -> Self {
        LimitHit {
            kind: LimitKind::Timeout,
            detail: format!(
                "the call ran longer than {}; raise the limit with --timeout or limits.timeout",
                crate::policy::units::format_duration(t)
            ),
        }
    }
}

/// Bytes charged per table element. Wasmtime stores one pointer per funcref/externref
/// element; we charge 8 bytes on every target so budgets are portable.
pub const TABLE_ELEMENT_BYTES: u64 = 8;

/// The sandbox-wide memory budget: every memory and table growth (including their
/// initial sizes at instantiation) is charged against one number.
///
/// Charges are never refunded: Wasmtime also reports growth failures it never asked the
/// limiter about (a `table.grow` whose new size overflows), so a refund could hand back a
/// charge for growth that did happen. A failed growth therefore still counts against the
/// budget: conservative, never exceedable.
pub struct MemoryBudget {
    limit: u64,
    used: u64,
    audit: Audit,
}

impl MemoryBudget {
    pub(crate) fn new(limit: u64, audit: Audit) -> Self {
        MemoryBudget {
            limit,
            used: 0,
            audit,
        }
    }

    /// Changes the budget (for the next growth; what is already held stays).
    pub(crate) fn set_limit(&mut self, limit: u64) {
        self.limit = limit;
    }

    /// The most the sandbox held at once, in bytes (memories and tables only grow, so this
    /// is everything charged).
    pub fn peak(&self) -> u64 {
        self.used
    }

    fn charge(&mut self, what: &str, delta: u64) -> wasmtime::Result<bool> {
        let wanted = self.used.saturating_add(delta);
        if wanted > self.limit {
            let detail = format!(
                "the guest asked for {} more {what} ({} in all), over the sandbox budget of {} for all memories and tables; raise it with --max-memory or limits.max_memory",
                format_size(delta),
                format_size(wanted),
                format_size(self.limit)
            );
            self.audit.event(
                "limit.memory",
                format_size(self.limit),
                Decision::Denied,
                detail.clone(),
            );
            return Err(wasmtime::Error::new(LimitHit {
                kind: LimitKind::Memory,
                detail,
            }));
        }
        self.used = wanted;
        Ok(true)
    }
}

impl wasmtime::ResourceLimiter for MemoryBudget {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.charge("memory", desired.saturating_sub(current) as u64)
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        Ok(())
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let elements = desired.saturating_sub(current) as u64;
        self.charge("table space", elements.saturating_mul(TABLE_ELEMENT_BYTES))
    }

    fn table_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        Ok(())
    }

    fn instances(&self) -> usize {
        1000
    }
    fn tables(&self) -> usize {
        10_000
    }
    fn memories(&self) -> usize {
        10_000
    }
}

/// A byte count for messages: binary units when they are exact (`64 KiB`), else bytes.
fn exact_size(bytes: u64) -> String {
    if bytes >= 1024 && !bytes.is_multiple_of(1024) {
        format!("{bytes} bytes")
    } else {
        format_size(bytes)
    }
}

/// The disk quota of one sandbox: how many bytes the guest may still add to files in its
/// writable mounts. Shared (cheap clones) by every place that can grow a file: the WASI p1
/// shadows, the p2 filesystem wrapper and the p2 file streams it hands out.
///
/// Charges are never refunded once the write happened: shrinking or deleting a file does not
/// prove the space came back (hard links, descriptors still open, files that existed before
/// the run), so the quota stays an upper bound on what the run can add. Only a reservation
/// for a write that then failed is given back.
#[derive(Clone)]
pub(crate) struct DiskQuota {
    limit: u64,
    used: Arc<AtomicU64>,
    audit: Audit,
}

/// A write refused by the disk quota (already audited). Guests see it as "no space".
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the sandbox's disk quota is used up")]
pub(crate) struct QuotaExceeded;

impl DiskQuota {
    pub(crate) fn new(limit: u64, audit: Audit) -> Self {
        DiskQuota {
            limit,
            used: Arc::new(AtomicU64::new(0)),
            audit,
        }
    }

    /// Bytes charged so far.
    pub(crate) fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Charges `bytes` of growth of the file the guest knows as `target`, or refuses the
    /// whole write (recording a `limit.disk` denial) if it does not fit.
    pub(crate) fn charge(&self, bytes: u64, target: &str) -> Result<(), QuotaExceeded> {
        if bytes == 0 {
            return Ok(());
        }
        let mut used = self.used.load(Ordering::Relaxed);
        loop {
            let wanted = used.saturating_add(bytes);
            if wanted > self.limit {
                self.audit.event(
                    "limit.disk",
                    target,
                    Decision::Denied,
                    format!(
                        "growing this file by {} would take the guest past its disk quota of {} for writable mounts ({} used); the write failed with \"no space\"; raise it with --disk-quota or limits.disk_quota",
                        exact_size(bytes),
                        exact_size(self.limit),
                        exact_size(used)
                    ),
                );
                return Err(QuotaExceeded);
            }
            match self.used.compare_exchange_weak(
                used,
                wanted,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(now) => used = now,
            }
        }
    }

    /// Gives back (part of) a charge for a write that did not happen.
    pub(crate) fn refund(&self, bytes: u64) {
        let _ = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                Some(u.saturating_sub(bytes))
            });
    }
}

/// The cap on descriptors a guest may hold open at once. The callers count what is open
/// (WASI p1 and p2 keep descriptors differently); this decides and remembers the peak.
pub(crate) struct FdLimit {
    limit: u32,
    peak: u64,
    audit: Audit,
}

/// An open refused by the descriptor cap (already audited).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TooManyFds;

impl FdLimit {
    pub(crate) fn new(limit: u32, audit: Audit) -> Self {
        FdLimit {
            limit,
            peak: 0,
            audit,
        }
    }

    /// May the guest, holding `open` descriptors, open one more (for `target`)? Refusals
    /// are recorded as `limit.fds` denials.
    pub(crate) fn check(&self, open: usize, target: &str) -> Result<(), TooManyFds> {
        if (open as u64) < u64::from(self.limit) {
            return Ok(());
        }
        self.audit.event(
            "limit.fds",
            target,
            Decision::Denied,
            format!(
                "the guest already holds {open} open descriptors, its limit of {}, so the open was refused; close some, or raise the limit with --max-fds or limits.max_fds",
                self.limit
            ),
        );
        Err(TooManyFds)
    }

    /// Records that the guest now holds `open` descriptors.
    pub(crate) fn note(&mut self, open: usize) {
        self.peak = self.peak.max(open as u64);
    }

    /// The most descriptors the guest held at once.
    pub(crate) fn peak(&self) -> u64 {
        self.peak
    }
}

/// Where an output stream's bytes end up.
#[derive(Clone)]
pub(crate) enum OutputSink {
    Stdout,
    Stderr,
    Capture(Arc<Mutex<Vec<u8>>>),
    Null,
}

/// Counts the bytes a guest writes to one stream and stops it past the cap.
#[derive(Clone)]
pub(crate) struct CappedOutput {
    sink: OutputSink,
    name: &'static str,
    cap: Option<u64>,
    written: Arc<Mutex<u64>>,
    audit: Audit,
}

impl CappedOutput {
    pub(crate) fn new(
        sink: OutputSink,
        name: &'static str,
        cap: Option<u64>,
        audit: Audit,
    ) -> Self {
        CappedOutput {
            sink,
            name,
            cap,
            written: Arc::new(Mutex::new(0)),
            audit,
        }
    }

    pub(crate) fn written(&self) -> u64 {
        self.written.lock().map(|w| *w).unwrap_or(0)
    }

    /// Writes what fits under the cap; errors with a [`LimitHit`] if anything did not fit.
    fn write_capped(&self, bytes: &[u8]) -> Result<(), LimitHit> {
        let mut written = self.written.lock().map_err(|_| LimitHit {
            kind: LimitKind::Output,
            detail: "output stream state was poisoned".into(),
        })?;
        let room = self
            .cap
            .map(|c| c.saturating_sub(*written))
            .unwrap_or(u64::MAX);
        let take = (bytes.len() as u64).min(room) as usize;
        self.emit(&bytes[..take]);
        *written += take as u64;
        if take < bytes.len() {
            let cap = self.cap.unwrap_or(0);
            let detail = format!(
                "the guest wrote more than {} to {}; raise the cap with --max-output or limits.max_output",
                format_size(cap),
                self.name
            );
            self.audit
                .event("limit.output", self.name, Decision::Denied, detail.clone());
            return Err(LimitHit {
                kind: LimitKind::Output,
                detail,
            });
        }
        Ok(())
    }

    fn emit(&self, bytes: &[u8]) {
        use std::io::Write;
        if bytes.is_empty() {
            return;
        }
        match &self.sink {
            OutputSink::Stdout => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(bytes);
                let _ = out.flush();
            }
            OutputSink::Stderr => {
                let _ = std::io::stderr().lock().write_all(bytes);
            }
            OutputSink::Capture(buf) => {
                if let Ok(mut b) = buf.lock() {
                    b.extend_from_slice(bytes);
                }
            }
            OutputSink::Null => {}
        }
    }
}

mod streams {
    use super::CappedOutput;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
    use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};

    /// Largest single write we accept; WASI guests chunk their writes to this.
    const WRITE_BUDGET: usize = 64 * 1024;

    impl IsTerminal for CappedOutput {
        fn is_terminal(&self) -> bool {
            false
        }
    }

    impl StdoutStream for CappedOutput {
        fn p2_stream(&self) -> Box<dyn OutputStream> {
            Box::new(self.clone())
        }
        fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
            Box::new(self.clone())
        }
    }

    #[wasmtime_wasi::async_trait]
    impl Pollable for CappedOutput {
        async fn ready(&mut self) {}
    }

    impl OutputStream for CappedOutput {
        fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
            self.write_capped(&bytes)
                .map_err(|hit| StreamError::Trap(wasmtime::Error::new(hit)))
        }
        fn flush(&mut self) -> StreamResult<()> {
            Ok(())
        }
        fn check_write(&mut self) -> StreamResult<usize> {
            Ok(WRITE_BUDGET)
        }
    }

    impl tokio::io::AsyncWrite for CappedOutput {
        fn poll_write(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            Poll::Ready(
                self.write_capped(buf)
                    .map(|_| buf.len())
                    .map_err(std::io::Error::other),
            )
        }
        fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }
}

/// How deep wasm entries may nest on one thread: a host function that calls a plugin, whose
/// host function calls a plugin, and so on.
pub const MAX_NESTED_CALLS: u32 = 64;

/// Native stack a nested entry needs beyond the engine's wasm stack limit, for the host frames
/// (Wasmtime's entry trampolines, WASI and host functions) between two wasm entries.
const HOST_FRAMES_MARGIN: usize = 256 * 1024;

thread_local! {
    static NESTED_CALLS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Held while a thread runs guest code. Wasmtime gives every store its own wasm stack
/// allowance, counted from where it is entered, so a guest that re-enters itself through a
/// host function (host function → `Plugin::call` → host function → …) would otherwise use
/// up the thread's native stack and abort the process. Entering refuses, with
/// [`Error::HostExhausted`], when the nesting passes [`MAX_NESTED_CALLS`] or the thread's
/// remaining native stack cannot hold one more wasm stack allowance plus host frames.
pub(crate) struct NestingGuard(());

impl NestingGuard {
    /// Enters one level; `max_wasm_stack` is the engine's wasm stack limit in bytes.
    pub(crate) fn enter(max_wasm_stack: usize) -> crate::Result<Self> {
        let depth = NESTED_CALLS.with(|d| d.get());
        if depth >= MAX_NESTED_CALLS {
            return Err(crate::Error::HostExhausted(format!(
                "guest calls nested {depth} deep on one thread (a host function calling back into a plugin, recursively); the limit is {MAX_NESTED_CALLS}: make the host function stop re-entering"
            )));
        }
        let needed = max_wasm_stack.saturating_add(HOST_FRAMES_MARGIN);
        if let Some(left) = stacker::remaining_stack()
            && left < needed
        {
            return Err(crate::Error::HostExhausted(format!(
                "not enough native stack on this thread for another guest call ({} KiB left, {} KiB needed: the engine's wasm stack limit plus host frames) at nesting depth {depth}; run guests on a thread with a larger stack, lower EngineBuilder::max_wasm_stack, or stop re-entering plugins from host functions",
                left / 1024,
                needed / 1024
            )));
        }
        NESTED_CALLS.with(|d| d.set(depth + 1));
        Ok(NestingGuard(()))
    }

    /// How deep guest calls are nested on this thread right now.
    pub(crate) fn depth() -> u32 {
        NESTED_CALLS.with(|d| d.get())
    }

    /// Carries a nesting depth over to a helper thread that continues a nested call.
    pub(crate) fn set_depth(depth: u32) {
        NESTED_CALLS.with(|d| d.set(depth));
    }
}

impl Drop for NestingGuard {
    fn drop(&mut self) {
        NESTED_CALLS.with(|d| d.set(d.get().saturating_sub(1)));
    }
}
