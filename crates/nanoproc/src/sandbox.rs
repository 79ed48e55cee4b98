//! `Prepared` (compiled code + linker + pre-instantiation, built once per module and
//! policy) and `Sandbox` (one short-lived Store made from it: run, then drop).

use crate::audit::{Audit, AuditSink, Decision};
use crate::engine::{EPOCH_TICK, Engine};
use crate::error::{Error, Result};
use crate::limits::MemoryBudget;
use crate::loader::{Compiled, Loaded, one_line};
use crate::outcome::{Outcome, Status, Usage};
use crate::policy::Policy;
use crate::wasi::fs_audit::P1Host;
use crate::wasi::fs_guard::FsGuard;
use crate::wasi::p2::P2State;
use crate::wasi::{self, WasiParts};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::{Store, StoreContextMut};
use wasmtime_wasi::p1::WasiP1Ctx;

/// Store state of a preview 1 sandbox.
pub(crate) struct P1State {
    pub(crate) wasi: WasiP1Ctx,
    pub(crate) budget: MemoryBudget,
    pub(crate) fs: FsGuard,
}

impl P1Host for P1State {
    fn p1_parts(&mut self) -> wasmtime::Result<(&mut WasiP1Ctx, &mut FsGuard)> {
        Ok((&mut self.wasi, &mut self.fs))
    }
}

enum PreparedCode {
    Core(wasmtime::InstancePre<P1State>),
    Component(wasmtime_wasi::p2::bindings::CommandPre<P2State>),
}

/// A module or component linked against what its policy grants and pre-instantiated.
/// Build it once; make as many [`Sandbox`]es from it as you like, from any thread.
#[derive(Clone)]
pub struct Prepared {
    inner: Arc<PreparedInner>,
}

struct PreparedInner {
    engine: Engine,
    name: String,
    policy: Policy,
    code: PreparedCode,
}

impl Prepared {
    /// Links `loaded` with the capabilities `policy` grants and checks every import is
    /// satisfied. Fails with [`Error::Denied`] or [`Error::InvalidModule`] naming the
    /// first import nanoproc cannot provide.
    ///
    /// When the policy has integrity requirements ([`Policy::integrity`]), the binary must
    /// meet them first, or this fails with [`Error::Integrity`] (a binary loaded with
    /// [`crate::loader::load_file_verified`] for the same requirements is not checked twice).
    pub fn new(engine: &Engine, loaded: &Loaded, policy: Policy) -> Result<Self> {
        loaded.ensure_verified(policy.integrity())?;
        engine.check_fuel(&policy)?;
        let code = match &loaded.compiled {
            Compiled::Module(module) => {
                if module.get_export("_start").is_none() {
                    return Err(Error::InvalidModule(format!(
                        "`{}` exports no `_start` function, so it is not a WASI command; exports: {}",
                        loaded.name,
                        export_list(module)
                    )));
                }
                let mut linker = wasmtime::Linker::<P1State>::new(engine.wasmtime());
                wasmtime_wasi::p1::add_to_linker_async(&mut linker, |s| &mut s.wasi)
                    .and_then(|()| crate::wasi::fs_audit::add_to_linker_async(&mut linker))
                    .map_err(|e| Error::Internal(format!("cannot link WASI preview 1: {e:#}")))?;
                let pre = linker
                    .instantiate_pre(module)
                    .map_err(|e| link_error(&loaded.name, &e))?;
                PreparedCode::Core(pre)
            }
            Compiled::Component(component) => {
                crate::wasi::check_imports(
                    engine.wasmtime(),
                    component,
                    &loaded.name,
                    &policy,
                    &[],
                )?;
                let mut linker = wasmtime::component::Linker::<P2State>::new(engine.wasmtime());
                crate::wasi::p2::add_to_linker(&mut linker)
                    .map_err(|e| Error::Internal(format!("cannot link WASI preview 2: {e:#}")))?;
                let pre = linker
                    .instantiate_pre(component)
                    .map_err(|e| link_error(&loaded.name, &e))?;
                let pre = wasmtime_wasi::p2::bindings::CommandPre::new(pre).map_err(|e| {
                    Error::InvalidModule(format!(
                        "`{}` is a component but not a WASI command: it does not export `wasi:cli/run` ({})",
                        loaded.name,
                        one_line(&format!("{e:#}"))
                    ))
                })?;
                PreparedCode::Component(pre)
            }
        };
        Ok(Prepared {
            inner: Arc::new(PreparedInner {
                engine: engine.clone(),
                name: loaded.name.clone(),
                policy,
                code,
            }),
        })
    }

    /// The policy this was prepared with.
    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    /// Makes a fresh sandbox. `sinks` receive its audit events as they happen.
    pub fn sandbox(&self, sinks: Vec<Arc<dyn AuditSink>>) -> Sandbox {
        Sandbox {
            prepared: self.clone(),
            audit: Audit::new(sinks),
        }
    }

    /// Runs the program once in a fresh sandbox (shorthand for `sandbox(sinks).run()`).
    pub fn run(&self, sinks: Vec<Arc<dyn AuditSink>>) -> Result<Outcome> {
        self.sandbox(sinks).run()
    }
}

fn export_list(module: &wasmtime::Module) -> String {
    let names: Vec<&str> = module.exports().map(|e| e.name()).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn link_error(name: &str, e: &wasmtime::Error) -> Error {
    let msg = one_line(&format!("{e:#}"));
    Error::Denied {
        what: format!("`{name}` needs an import nanoproc does not provide: {msg}"),
        how: "only WASI imports (preview 1 for modules, preview 2 for components) are available to `run`; run `nanoproc inspect` to list the module's imports".into(),
    }
}

/// One nano-process: a fresh Store with its own memory, WASI context and limits.
/// Running consumes it; isolation is "make a new one".
pub struct Sandbox {
    prepared: Prepared,
    audit: Audit,
}

/// Store-independent view of the limits in a running sandbox.
trait HasBudget {
    fn budget(&mut self) -> &mut MemoryBudget;
}
impl HasBudget for P1State {
    fn budget(&mut self) -> &mut MemoryBudget {
        &mut self.budget
    }
}
impl HasBudget for P2State {
    fn budget(&mut self) -> &mut MemoryBudget {
        &mut self.budget
    }
}

impl Sandbox {
    /// The audit trail of this sandbox (events so far).
    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    /// Runs the program to completion, or until a limit stops it. `Err` means the sandbox
    /// could not be set up (bad policy, unreadable grant); everything the guest does ends
    /// in an [`Outcome`].
    pub fn run(self) -> Result<Outcome> {
        let inner = &self.prepared.inner;
        let _nesting = crate::limits::NestingGuard::enter(inner.engine.max_wasm_stack())?;
        let policy = &inner.policy;
        let WasiParts {
            builder: mut wasi,
            stdout,
            stderr,
            stdout_buf,
            stderr_buf,
            fs,
            _staging,
        } = wasi::build(policy, &inner.name, &self.audit)?;
        let budget = MemoryBudget::new(policy.limits.max_memory, self.audit.clone());
        let started = Instant::now();
        let (result, fuel_consumed, peak, disk, fds) = match &inner.code {
            PreparedCode::Core(pre) => {
                let mut store = Store::new(
                    inner.engine.wasmtime(),
                    P1State {
                        wasi: wasi.build_p1(),
                        budget,
                        fs,
                    },
                );
                let fuel = configure_store(&inner.engine, &mut store, policy)?;
                let pre = pre.clone();
                let result = drive(policy.limits.timeout, async {
                    let instance = pre
                        .instantiate_async(&mut store)
                        .await
                        .map_err(setup_error)?;
                    let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
                    start.call_async(&mut store, ()).await
                });
                let used = fuel_used(&store, fuel);
                let s = store.data();
                (
                    result.map(|r| r.map(|()| 0)),
                    used,
                    s.budget.peak(),
                    s.fs.disk_used(),
                    s.fs.peak_fds(),
                )
            }
            PreparedCode::Component(pre) => {
                let state = P2State::new(wasi.build(), fs, budget, policy, &self.audit, ());
                let mut store = Store::new(inner.engine.wasmtime(), state);
                let fuel = configure_store(&inner.engine, &mut store, policy)?;
                let pre = pre.clone();
                let result = drive(policy.limits.timeout, async {
                    let command = pre
                        .instantiate_async(&mut store)
                        .await
                        .map_err(setup_error)?;
                    let ran = command.wasi_cli_run().call_run(&mut store).await?;
                    Ok(if ran.is_ok() { 0 } else { 1 })
                });
                let used = fuel_used(&store, fuel);
                let s = store.data();
                (
                    result,
                    used,
                    s.budget.peak(),
                    s.fs.disk_used(),
                    s.fs.peak_fds(),
                )
            }
        };
        let wall_time = started.elapsed();
        let status = match result {
            None => {
                let limit = policy.limits.timeout.unwrap_or_default();
                Status::Stopped(crate::error::timeout_error(limit, &self.audit))
            }
            Some(Ok(code)) => Status::Exited(code),
            Some(Err(e)) => self.classify(e, policy),
        };
        match &status {
            Status::Exited(code) => self.audit.event(
                "exit",
                code.to_string(),
                Decision::Allowed,
                "the guest exited",
            ),
            Status::Stopped(Error::Trap(t)) => {
                self.audit
                    .event("trap", t.code.clone(), Decision::Denied, t.message.clone())
            }
            Status::Stopped(_) => {}
        }
        let take = |b: &Arc<std::sync::Mutex<Vec<u8>>>| {
            b.lock()
                .map(|mut v| std::mem::take(&mut *v))
                .unwrap_or_default()
        };
        Ok(Outcome {
            status,
            stdout: take(&stdout_buf),
            stderr: take(&stderr_buf),
            usage: Usage {
                fuel_consumed,
                peak_memory_bytes: peak,
                wall_time,
                stdout_bytes: stdout.written(),
                stderr_bytes: stderr.written(),
                disk_bytes_added: disk,
                peak_fds: fds,
            },
            events: self.audit.events(),
            events_dropped: self.audit.dropped(),
        })
    }

    /// Turns whatever stopped the guest into a status.
    fn classify(&self, e: wasmtime::Error, policy: &Policy) -> Status {
        match crate::error::classify(e, &policy.limits, &self.audit) {
            Ok(code) => Status::Exited(code),
            Err(e) => Status::Stopped(e),
        }
    }
}

/// Instantiation failures that are neither a trap (in a start function) nor a limit, nor
/// the host running out of something, are problems with the module itself (e.g. it needs
/// shared memory): invalid input. Shared by every front door that instantiates.
pub(crate) fn setup_error(e: wasmtime::Error) -> wasmtime::Error {
    if e.is::<wasmtime::Trap>()
        || e.is::<crate::limits::LimitHit>()
        || e.is::<Error>()
        || crate::error::is_host_exhaustion(&e)
    {
        e
    } else {
        wasmtime::Error::new(Error::InvalidModule(format!(
            "cannot instantiate: {}",
            one_line(&format!("{e:#}"))
        )))
    }
}

/// Applies the limiter, fuel and epoch deadline to a new store. Returns the fuel it started with.
fn configure_store<T: HasBudget + 'static>(
    engine: &Engine,
    store: &mut Store<T>,
    policy: &Policy,
) -> Result<Option<u64>> {
    store.limiter(|s| s.budget());
    let fuel = if engine.fuel_enabled() {
        let f = policy.limits.fuel.unwrap_or(u64::MAX);
        store
            .set_fuel(f)
            .map_err(|e| Error::Internal(format!("cannot set fuel: {e}")))?;
        Some(f)
    } else {
        None
    };
    if policy.limits.timeout.is_some() {
        engine.ensure_ticker();
    }
    let ticks = match policy.limits.timeout {
        Some(t) => (t.as_nanos() / EPOCH_TICK.as_nanos()).max(1) as u64 + 1,
        None => u64::MAX / 2,
    };
    store.set_epoch_deadline(ticks);
    store.epoch_deadline_trap();
    Ok(fuel)
}

fn fuel_used<T>(store: &Store<T>, start: Option<u64>) -> Option<u64> {
    let start = start?;
    let left = store.get_fuel().ok()?;
    Some(start.saturating_sub(left))
}

/// Runs a guest future to completion, giving up after `timeout`. The epoch deadline stops
/// guests that compute; this stops guests blocked inside a host call.
///
/// Outside any Tokio runtime (the CLI, plain threads) each run gets a small current-thread
/// runtime of its own: far cheaper to start than a multi-thread one. Inside a runtime, WASI's
/// shared one is used, as Wasmtime's own sync wrappers do.
fn drive<F, R>(timeout: Option<Duration>, fut: F) -> Option<R>
where
    F: std::future::Future<Output = R>,
{
    let guarded = async move {
        match timeout {
            Some(t) => tokio::time::timeout(t + EPOCH_TICK * 4, fut).await.ok(),
            None => Some(fut.await),
        }
    };
    if tokio::runtime::Handle::try_current().is_err()
        && let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    {
        return rt.block_on(guarded);
    }
    wasmtime_wasi::runtime::in_tokio(guarded)
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Prepared>();
    is::<Engine>();
    let _ = |_: StoreContextMut<'_, P1State>| {};
}
