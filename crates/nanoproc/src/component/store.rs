//! One component sandbox: a Store with WASI preview 2 built from the policy, the memory
//! budget, fuel and a deadline; and running one call in it under those limits.
//!
//! Shared by the two component front doors: dynamic calls of any world
//! ([`super::Component`]) and typed plugins (`nanoproc:plugin`, [`crate::plugin::Plugin`]).

use crate::audit::Audit;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::limits::{LimitHit, MemoryBudget};
use crate::plugin::{CallOptions, CallToken, CancelHandle, HostFunctions};
use crate::plugin::{CancelState, HostContext};
use crate::policy::Policy;
use crate::wasi::p2::P2State;
use crate::wasi::{self, WasiParts};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::{Instance, InstancePre};
use wasmtime::{Store, UpdateDeadline};

/// The data of a component sandbox's [`Store`]: WASI preview 2 state, the memory budget,
/// and nanoproc's per-call state. Opaque: it is public only so typed calls (see
/// [`super::ComponentInstance::with`]) can name their store.
pub type ComponentState = P2State<Ext>;

/// The store of a component sandbox.
pub type ComponentStore = Store<ComponentState>;

/// The future a typed call returns (see [`super::ComponentInstance::with`]).
pub type CallFuture<'a, R> = Pin<Box<dyn Future<Output = wasmtime::Result<R>> + Send + 'a>>;

/// What every sandbox of one component (or component plugin) shares.
pub(crate) struct Shared {
    pub(crate) name: String,
    pub(crate) engine: Engine,
    pub(crate) policy: Policy,
    pub(crate) config: BTreeMap<String, String>,
    pub(crate) host: HostFunctions,
    pub(crate) cancel: Arc<CancelState>,
    pub(crate) audit: Audit,
}

/// nanoproc's part of a component sandbox's store data.
pub struct Ext {
    pub(crate) shared: Arc<Shared>,
    pub(crate) call: CallState,
    /// Keeps staged single-file grants alive for the sandbox's lifetime.
    _staging: Vec<tempfile::TempDir>,
}

/// The call in progress.
#[derive(Default)]
pub(crate) struct CallState {
    pub(crate) deadline: Option<Instant>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) token: CallToken,
    /// Bytes logged through `host.log` during this call.
    pub(crate) log_bytes: usize,
}

impl Ext {
    /// The context a host function sees for the call in progress.
    pub(crate) fn host_context(&self) -> HostContext<'_> {
        HostContext {
            plugin: &self.shared.name,
            deadline: self.call.deadline,
            cancel: &self.shared.cancel,
            token: &self.call.token,
        }
    }
}

/// A live component sandbox: one store and one instance in it.
pub(crate) struct Live {
    pub(crate) store: ComponentStore,
    pub(crate) instance: Instance,
}

/// Makes a fresh store for `shared`'s component: WASI from the policy, a memory budget of
/// `max_memory` (default: the policy's), fuel, and the epoch callback that enforces each
/// call's deadline and cancellation.
fn new_store(shared: &Arc<Shared>, max_memory: Option<u64>) -> Result<ComponentStore> {
    let WasiParts {
        mut builder,
        fs,
        _staging,
        ..
    } = wasi::build(&shared.policy, &shared.name, &shared.audit)?;
    let limits = &shared.policy.limits;
    let budget = MemoryBudget::new(
        max_memory.unwrap_or(limits.max_memory),
        shared.audit.clone(),
    );
    let ext = Ext {
        shared: shared.clone(),
        call: CallState::default(),
        _staging,
    };
    let mut store = Store::new(
        shared.engine.wasmtime(),
        P2State::new(
            builder.build(),
            fs,
            budget,
            &shared.policy,
            &shared.audit,
            ext,
        ),
    );
    store.limiter(|s| &mut s.budget);
    if shared.engine.fuel_enabled() {
        store
            .set_fuel(limits.fuel.unwrap_or(u64::MAX))
            .map_err(|e| Error::Internal(format!("cannot set fuel: {e}")))?;
    }
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|ctx| {
        let ext = &ctx.data().ext;
        ext.shared
            .cancel
            .check_call(&ext.call.token, ext.call.deadline, ext.call.timeout)?;
        Ok(UpdateDeadline::Continue(1))
    });
    Ok(store)
}

/// Starts a call's deadline, fuel and memory budget in `store`.
fn arm(store: &mut ComponentStore, options: &CallOptions) -> Result<()> {
    let shared = store.data().ext.shared.clone();
    let limits = &shared.policy.limits;
    let timeout = options.timeout.or(limits.timeout);
    {
        let call = &mut store.data_mut().ext.call;
        call.token = CallToken::start(&shared.cancel, options.cancel.as_ref());
        call.timeout = timeout;
        call.deadline = timeout.map(|t| Instant::now() + t);
        call.log_bytes = 0;
    }
    // A token cancelled before the call started stops it before any guest code runs.
    if options
        .cancel
        .as_ref()
        .is_some_and(CancelHandle::cancels_new_calls)
    {
        return Err(Error::Cancelled);
    }
    if let Some(fuel) = options.fuel {
        if !shared.engine.fuel_enabled() {
            return Err(Error::InvalidPolicy(format!(
                "per-call fuel needs an engine with fuel metering; {}",
                crate::engine::HOW_FUEL
            )));
        }
        store
            .set_fuel(fuel)
            .map_err(|e| Error::Internal(format!("cannot set fuel: {e}")))?;
    }
    let budget = options.max_memory.unwrap_or(limits.max_memory);
    store.data_mut().budget.set_limit(budget);
    Ok(())
}

/// Runs `fut` (which uses `store`) under the store's deadline: the epoch callback stops guest
/// code, and this stops a guest blocked in an async host call (a WASI sleep, a slow socket).
async fn with_deadline<R>(
    deadline: Option<Instant>,
    fut: impl Future<Output = wasmtime::Result<R>>,
    timeout: Option<Duration>,
) -> wasmtime::Result<R> {
    match deadline {
        None => fut.await,
        Some(d) => {
            let grace = crate::engine::EPOCH_TICK * 4;
            let until = tokio::time::Instant::from_std(d + grace);
            match tokio::time::timeout_at(until, fut).await {
                Ok(r) => r,
                Err(_) => Err(wasmtime::Error::new(LimitHit::call_timeout(
                    timeout.unwrap_or_default(),
                ))),
            }
        }
    }
}

/// Turns whatever stopped a call into an error (see [`crate::error::classify_call`]);
/// `fuel` is the call's own budget, if it had one (named instead of the policy's).
pub(crate) fn classify(shared: &Shared, e: wasmtime::Error, fuel: Option<u64>) -> Error {
    let mut limits = shared.policy.limits.clone();
    limits.fuel = fuel.or(limits.fuel);
    crate::error::classify_call(e, &limits, &shared.audit, &shared.name)
}

/// Instantiates `pre` in a fresh store. Instantiation (start functions, a language runtime's
/// initialisation) runs under the policy's limits, and stops when `cancel` is cancelled.
pub(crate) fn instantiate(
    shared: &Arc<Shared>,
    pre: &InstancePre<ComponentState>,
    max_memory: Option<u64>,
    cancel: Option<&CancelHandle>,
) -> Result<Live> {
    let mut store = new_store(shared, max_memory)?;
    arm(
        &mut store,
        &CallOptions {
            max_memory,
            cancel: cancel.cloned(),
            ..Default::default()
        },
    )?;
    let deadline = store.data().ext.call.deadline;
    let timeout = store.data().ext.call.timeout;
    let pre = pre.clone();
    let instance = super::runtime::block_on(shared.engine.max_wasm_stack(), async {
        with_deadline(deadline, pre.instantiate_async(&mut store), timeout).await
    })?
    .map_err(|e| classify(shared, crate::sandbox::setup_error(e), None))?;
    Ok(Live { store, instance })
}

impl Live {
    /// [`Live::run`] for a closure that works with a store of any lifetime.
    pub(crate) fn run_any<R, F>(&mut self, options: &CallOptions, f: F) -> Result<R>
    where
        R: Send,
        F: for<'a> FnOnce(&'a mut ComponentStore, &'a Instance) -> CallFuture<'a, R> + Send,
    {
        self.run(options, f)
    }

    /// Runs one call in this sandbox under `options` (falling back to the policy's limits).
    pub(crate) fn run<'a, R, F>(&'a mut self, options: &CallOptions, f: F) -> Result<R>
    where
        R: Send,
        F: FnOnce(&'a mut ComponentStore, &'a Instance) -> CallFuture<'a, R> + Send,
    {
        let shared = self.store.data().ext.shared.clone();
        arm(&mut self.store, options)?;
        let deadline = self.store.data().ext.call.deadline;
        let timeout = self.store.data().ext.call.timeout;
        let fuel = options.fuel;
        let Live { store, instance } = self;
        let result = super::runtime::block_on(shared.engine.max_wasm_stack(), async move {
            with_deadline(deadline, f(store, instance), timeout).await
        })?;
        result.map_err(|e| classify(&shared, e, fuel))
    }
}
