//! The store state and linker every WASI preview 2 guest gets: `run`'s commands, component
//! plugins and components called through their own worlds.
//!
//! One linker recipe ([`add_to_linker`]) serves them all, so a component sees the same WASI
//! whichever front door it came through; `X` is what the front door keeps next to WASI (`()`
//! for `run`, plugin call state for component plugins). Which interfaces a component may
//! import is decided before linking, by [`super::imports::check_imports`].

use crate::audit::Audit;
use crate::limits::MemoryBudget;
use crate::policy::Policy;
use crate::wasi::fs_guard::FsGuard;
use crate::wasi::http::HttpHooks;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Store state of a preview 2 sandbox (opaque outside nanoproc).
pub struct P2State<X = ()> {
    pub(crate) ctx: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) budget: MemoryBudget,
    pub(crate) fs: FsGuard,
    /// Outgoing `wasi:http` state.
    pub(crate) http: WasiHttpCtx,
    /// The policy's HTTP allow-list and limits, with the audit trail.
    pub(crate) http_hooks: HttpHooks,
    /// What the front door keeps per sandbox.
    #[allow(dead_code, reason = "read by component plugins; `run` keeps ()")]
    pub(crate) ext: X,
}

impl<X> P2State<X> {
    /// The state of a new preview 2 sandbox: `ctx` and `fs` from [`super::build`], the memory
    /// `budget`, the `policy` and `audit` trail it runs under (for outgoing HTTP), and the
    /// front door's `ext`.
    pub(crate) fn new(
        ctx: WasiCtx,
        fs: FsGuard,
        budget: MemoryBudget,
        policy: &Policy,
        audit: &Audit,
        ext: X,
    ) -> Self {
        P2State {
            ctx,
            table: ResourceTable::new(),
            budget,
            fs,
            http: WasiHttpCtx::new(),
            http_hooks: HttpHooks::new(policy, audit),
            ext,
        }
    }
}

impl<X: Send + 'static> WasiView for P2State<X> {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

impl<X: Send + 'static> WasiHttpView for P2State<X> {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.http_hooks,
        }
    }
}

/// Links every WASI preview 2 interface nanoproc provides, with its audit and limits in front
/// (`p2_fs`, `http`): the `wasi:cli/command` world's interfaces and outgoing `wasi:http`
/// (`types`, `outgoing-handler`). Which of them a guest may import is decided before linking,
/// from its policy.
pub(crate) fn add_to_linker<X: Send + 'static>(
    linker: &mut Linker<P2State<X>>,
) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    super::p2_fs::add_to_linker(linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(linker)
}
