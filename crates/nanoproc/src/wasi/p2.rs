//! The store state and linker every WASI preview 2 guest gets: `run`'s commands, component
//! plugins and components called through their own worlds.
//!
//! One linker recipe ([`add_to_linker`]) serves them all, so a component sees the same WASI
//! whichever front door it came through; `X` is what the front door keeps next to WASI (`()`
//! for `run`, plugin call state for component plugins).

use crate::limits::MemoryBudget;
use crate::wasi::fs_guard::FsGuard;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Store state of a preview 2 sandbox (opaque outside nanoproc).
pub struct P2State<X = ()> {
    pub(crate) ctx: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) budget: MemoryBudget,
    pub(crate) fs: FsGuard,
    /// What the front door keeps per sandbox.
    pub(crate) ext: X,
}

impl<X> P2State<X> {
    /// The state of a new preview 2 sandbox: `ctx` and `fs` from [`super::build`], the memory
    /// `budget`, and the front door's `ext`.
    pub(crate) fn new(ctx: WasiCtx, fs: FsGuard, budget: MemoryBudget, ext: X) -> Self {
        P2State {
            ctx,
            table: ResourceTable::new(),
            budget,
            fs,
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

/// Links every WASI preview 2 interface nanoproc provides, with its audit and limits in front
/// (`p2_fs`). Which of them a guest may import is decided before linking, from its policy.
pub(crate) fn add_to_linker<X: Send + 'static>(
    linker: &mut Linker<P2State<X>>,
) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    super::p2_fs::add_to_linker(linker)
}
