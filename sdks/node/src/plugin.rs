//! `Plugin` and `PluginInstance`: bytes-in, bytes-out calls into a plugin, each in a fresh
//! sandbox or in one kept alive, synchronously on the JavaScript thread or as a Promise whose
//! guest code runs on a libuv worker thread.

use crate::audit::{self, KeepSink};
use crate::convert::{opt_count, opt_millis, opt_size};
use crate::engine::{self, NativeEngine};
use crate::errors;
use crate::hostfn::{self, SyncScope};
use crate::policy::{EnvInit, NativePolicy};
use nanoproc::Error;
use nanoproc::plugin::{CallOptions, CancelHandle, HostFunctions};
use napi::bindgen_prelude::{AsyncTask, Buffer, FnArgs, Function, Unknown};
use napi::{Env, Task, sys};
use napi_derive::napi;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, TryLockError};

/// Per-call limits, normalised by index.js.
#[napi(object)]
pub struct CallInit {
    /// Fuel for this call (digits).
    pub fuel: Option<String>,
    /// Wall-clock limit for this call in milliseconds.
    pub timeout_ms: Option<f64>,
    /// Memory budget for this call (size text).
    pub max_memory: Option<String>,
}

/// Cancels the calls it is given (an `AbortSignal` maps to one).
#[napi]
pub struct CancelToken {
    handle: CancelHandle,
}

#[napi]
impl CancelToken {
    /// A token of its own, not cancelled.
    #[napi(constructor, catch_unwind)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        CancelToken {
            handle: CancelHandle::new(),
        }
    }

    /// Cancels every call given this token, now and later.
    #[napi(catch_unwind)]
    pub fn cancel(&self) {
        self.handle.cancel();
    }
}

/// What a plugin and its instances share.
struct Shared {
    name: String,
    audit: Option<Arc<KeepSink>>,
    has_host: bool,
}

/// Why a call failed.
pub enum Failure {
    /// nanoproc's error.
    Call(Error),
    /// The plugin or instance was closed.
    Closed(&'static str),
    /// A bug: the call panicked (caught before it could cross into Node).
    Panicked,
}

impl Failure {
    fn to_napi(&self, env: sys::napi_env, name: &str) -> napi::Error {
        match self {
            Failure::Call(e) => errors::to_napi(env, e),
            Failure::Closed(what) => errors::closed(env, what, name),
            Failure::Panicked => errors::to_napi(
                env,
                &Error::Internal(format!("a call of plugin `{name}` panicked")),
            ),
        }
    }
}

fn call_options(
    env: sys::napi_env,
    init: Option<CallInit>,
    token: Option<&CancelToken>,
) -> napi::Result<Option<CallOptions>> {
    let Some(init) = init else {
        return Ok(token.map(|t| CallOptions {
            cancel: Some(t.handle.clone()),
            ..CallOptions::default()
        }));
    };
    Ok(Some(CallOptions {
        fuel: opt_count(env, "fuel", init.fuel.as_deref())?,
        timeout: opt_millis(env, "timeoutMs", init.timeout_ms)?,
        max_memory: opt_size(env, "maxMemory", init.max_memory.as_deref())?,
        cancel: token.map(|t| t.handle.clone()),
    }))
}

/// A JavaScript `Buffer` holding `out` (no copy).
fn output(out: Vec<u8>) -> Buffer {
    Buffer::from(out)
}

/// A loaded plugin (the native half of `Plugin`).
#[napi]
pub struct NativePlugin {
    inner: RwLock<Option<nanoproc::plugin::Plugin>>,
    cancel: CancelHandle,
    functions: Vec<String>,
    is_component: bool,
    shared: Arc<Shared>,
}

impl NativePlugin {
    fn live(&self, env: sys::napi_env) -> napi::Result<nanoproc::plugin::Plugin> {
        match self.inner.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
        .ok_or_else(|| errors::closed(env, "plugin", &self.shared.name))
    }
}

#[napi]
impl NativePlugin {
    /// Loads a plugin from `wasm_path` or `wasm_bytes` under `policy` (default: nothing
    /// granted), with host functions `host_names[i]` served by `dispatcher(i, input)`.
    #[napi(constructor, catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        env: Env,
        wasm_path: Option<String>,
        wasm_bytes: Option<&[u8]>,
        policy: Option<&NativePolicy>,
        host_names: Vec<String>,
        dispatcher: Option<Function<'_, FnArgs<(u32, Buffer)>, Unknown<'static>>>,
        config: Vec<EnvInit>,
        name: Option<String>,
        engine: Option<&NativeEngine>,
        keep_audit: bool,
    ) -> napi::Result<Self> {
        let raw = env.raw();
        let policy = match policy {
            Some(p) => p.policy.clone(),
            None => NativePolicy::default_builder()
                .build()
                .map_err(|e| errors::to_napi(raw, &e))?,
        };
        let engine = engine::resolve(engine, policy.limits().fuel.is_some())
            .map_err(|e| errors::to_napi(raw, &e))?;
        let host = match dispatcher {
            Some(d) => hostfn::register(&env, &host_names, d)?,
            None => HostFunctions::new(),
        };
        let has_host = !host_names.is_empty();
        let mut b = nanoproc::plugin::Plugin::builder(&engine)
            .policy(policy)
            .host_functions(host);
        b = match (wasm_path, wasm_bytes) {
            (Some(path), _) => b.wasm_file(path),
            (None, Some(bytes)) => b.wasm_bytes(bytes.to_vec()),
            (None, None) => {
                return Err(errors::type_error(
                    raw,
                    "a plugin needs its code: a path or the module bytes",
                ));
            }
        };
        for c in config {
            b = b.config(c.name, c.value);
        }
        if let Some(n) = name {
            b = b.name(n);
        }
        let sink = keep_audit.then(|| Arc::new(KeepSink::default()));
        if let Some(s) = &sink {
            b = b.audit_sink(s.clone());
        }
        let plugin = b.build().map_err(|e| errors::to_napi(raw, &e))?;
        Ok(NativePlugin {
            cancel: plugin.cancel_handle(),
            functions: plugin.functions().into_iter().map(String::from).collect(),
            is_component: plugin.is_component(),
            shared: Arc::new(Shared {
                name: plugin.name().to_string(),
                audit: sink,
                has_host,
            }),
            inner: RwLock::new(Some(plugin)),
        })
    }

    /// Calls `function` with `input` in a fresh sandbox, on this thread.
    #[napi(catch_unwind)]
    pub fn call_sync(
        &self,
        env: Env,
        function: String,
        input: &[u8],
        options: Option<CallInit>,
    ) -> napi::Result<Buffer> {
        let raw = env.raw();
        let plugin = self.live(raw)?;
        let options = call_options(raw, options, None)?;
        let _scope = self.shared.has_host.then(|| SyncScope::enter(&env));
        let result = match &options {
            None => plugin.call(&function, input),
            Some(o) => plugin.call_with(&function, input, o),
        };
        result.map(output).map_err(|e| errors::to_napi(raw, &e))
    }

    /// Calls `function` with a copy of `input` in a fresh sandbox on a worker thread.
    #[napi(catch_unwind, ts_return_type = "Promise<Buffer>")]
    pub fn call(
        &self,
        env: Env,
        function: String,
        input: &[u8],
        options: Option<CallInit>,
        token: Option<&CancelToken>,
    ) -> napi::Result<AsyncTask<CallTask>> {
        let raw = env.raw();
        let plugin = self.live(raw)?;
        let options = call_options(raw, options, token)?.unwrap_or_default();
        Ok(AsyncTask::new(CallTask {
            target: Target::Plugin(plugin),
            function,
            input: input.to_vec(),
            options,
            name: self.shared.name.clone(),
        }))
    }

    /// A sandbox kept alive between calls.
    #[napi(catch_unwind)]
    pub fn instance(&self, env: Env) -> napi::Result<NativeInstance> {
        let raw = env.raw();
        let plugin = self.live(raw)?;
        let _scope = self.shared.has_host.then(|| SyncScope::enter(&env));
        let live = plugin.instance().map_err(|e| errors::to_napi(raw, &e))?;
        Ok(NativeInstance {
            cell: Arc::new(InstanceCell {
                live: Mutex::new(Some(live)),
                closed: AtomicBool::new(false),
                pending: AtomicUsize::new(0),
                in_sync: AtomicBool::new(false),
            }),
            shared: self.shared.clone(),
        })
    }

    /// Cancels every call of this plugin in flight.
    #[napi(catch_unwind)]
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// The audit trail kept since the last drain, oldest first; `clear` empties it.
    #[napi(catch_unwind)]
    pub fn audit_events(&self, env: Env, clear: bool) -> napi::Result<Vec<audit::AuditEvent>> {
        match &self.shared.audit {
            Some(sink) => Ok(audit::to_js(sink.events(clear))),
            None => Err(errors::type_error(
                env.raw(),
                format!(
                    "plugin `{}` keeps no audit trail: it was created with audit: false",
                    self.shared.name
                ),
            )),
        }
    }

    /// Audit events dropped because more than the cap were kept.
    #[napi(getter, catch_unwind)]
    pub fn audit_dropped(&self) -> f64 {
        self.shared.audit.as_ref().map_or(0, |s| s.dropped()) as f64
    }

    /// The plugin's name.
    #[napi(getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.shared.name.clone()
    }

    /// Its functions, sorted.
    #[napi(getter, catch_unwind)]
    pub fn functions(&self) -> Vec<String> {
        self.functions.clone()
    }

    /// Whether it is a component.
    #[napi(getter, catch_unwind)]
    pub fn is_component(&self) -> bool {
        self.is_component
    }

    /// Whether `close()` was called.
    #[napi(getter, catch_unwind)]
    pub fn closed(&self) -> bool {
        match self.inner.read() {
            Ok(g) => g.is_none(),
            Err(p) => p.into_inner().is_none(),
        }
    }

    /// Frees the plugin; calls in flight finish, later calls throw.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        let old = match self.inner.write() {
            Ok(mut g) => g.take(),
            Err(p) => p.into_inner().take(),
        };
        drop(old);
    }
}

/// The sandbox of an instance, shared with its async calls in flight.
pub struct InstanceCell {
    live: Mutex<Option<nanoproc::plugin::PluginInstance>>,
    /// Set by `close()`: no new calls; the sandbox is freed once the calls already started
    /// (`pending`) have run.
    closed: AtomicBool,
    /// Async calls made and not yet run.
    pending: AtomicUsize,
    /// A synchronous call is running (on the JavaScript thread; `close()` from one of its host
    /// functions leaves the freeing to it).
    in_sync: AtomicBool,
}

impl InstanceCell {
    /// Runs an async call on a worker thread (after another call in flight on it).
    fn call(
        &self,
        function: &str,
        input: &[u8],
        options: &CallOptions,
    ) -> Result<Vec<u8>, Failure> {
        let mut guard = self.live.lock().unwrap_or_else(|p| p.into_inner());
        let result = match guard.as_mut() {
            None => Err(Failure::Closed("instance of plugin")),
            Some(live) => live
                .call_with(function, input, options)
                .map_err(Failure::Call),
        };
        // The last call made before `close()` frees the sandbox.
        if self.pending.fetch_sub(1, Ordering::AcqRel) == 1 && self.closed.load(Ordering::Acquire) {
            drop(guard.take());
        }
        result
    }
}

/// A plugin sandbox kept alive between calls (the native half of `PluginInstance`).
#[napi]
pub struct NativeInstance {
    cell: Arc<InstanceCell>,
    shared: Arc<Shared>,
}

#[napi]
impl NativeInstance {
    /// Calls `function` in this instance, on this thread. Throws `BusyError` instead of
    /// waiting when another call is in flight on it (waiting could deadlock on a host
    /// function that needs this thread).
    #[napi(catch_unwind)]
    pub fn call_sync(
        &self,
        env: Env,
        function: String,
        input: &[u8],
        options: Option<CallInit>,
    ) -> napi::Result<Buffer> {
        let raw = env.raw();
        let name = &self.shared.name;
        if self.cell.closed.load(Ordering::Acquire) {
            return Err(errors::closed(raw, "instance of plugin", name));
        }
        let options = call_options(raw, options, None)?;
        let mut guard = match self.cell.live.try_lock() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return Err(errors::busy(raw, name)),
        };
        let Some(live) = guard.as_mut() else {
            return Err(errors::closed(raw, "instance of plugin", name));
        };
        let result = {
            let _scope = self.shared.has_host.then(|| SyncScope::enter(&env));
            self.cell.in_sync.store(true, Ordering::Release);
            let r = match &options {
                None => live.call(&function, input),
                Some(o) => live.call_with(&function, input, o),
            };
            self.cell.in_sync.store(false, Ordering::Release);
            r
        };
        // Closed by one of its own host functions meanwhile: free the sandbox now.
        if self.cell.closed.load(Ordering::Acquire)
            && self.cell.pending.load(Ordering::Acquire) == 0
        {
            drop(guard.take());
        }
        result.map(output).map_err(|e| errors::to_napi(raw, &e))
    }

    /// Calls `function` with a copy of `input` in this instance on a worker thread (after
    /// any call in flight on it).
    #[napi(catch_unwind, ts_return_type = "Promise<Buffer>")]
    pub fn call(
        &self,
        env: Env,
        function: String,
        input: &[u8],
        options: Option<CallInit>,
        token: Option<&CancelToken>,
    ) -> napi::Result<AsyncTask<CallTask>> {
        let raw = env.raw();
        if self.cell.closed.load(Ordering::Acquire) {
            return Err(errors::closed(raw, "instance of plugin", &self.shared.name));
        }
        let options = call_options(raw, options, token)?.unwrap_or_default();
        self.cell.pending.fetch_add(1, Ordering::AcqRel);
        Ok(AsyncTask::new(CallTask {
            target: Target::Instance(self.cell.clone()),
            function,
            input: input.to_vec(),
            options,
            name: self.shared.name.clone(),
        }))
    }

    /// The plugin's name.
    #[napi(getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.shared.name.clone()
    }

    /// Whether `close()` was called.
    #[napi(getter, catch_unwind)]
    pub fn closed(&self) -> bool {
        self.cell.closed.load(Ordering::Acquire)
    }

    /// Frees the sandbox (once the async calls already made have run); later calls throw.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        self.cell.closed.store(true, Ordering::Release);
        if self.cell.pending.load(Ordering::Acquire) == 0 {
            // No async call is queued or running (a finishing one may hold the lock for a
            // moment), and no sync call can be running: this is the JavaScript thread.
            match self.cell.live.try_lock() {
                Ok(mut g) => drop(g.take()),
                Err(TryLockError::Poisoned(p)) => drop(p.into_inner().take()),
                // A sync call up this thread's stack: it frees the sandbox when it returns.
                Err(TryLockError::WouldBlock) if self.cell.in_sync.load(Ordering::Acquire) => {}
                Err(TryLockError::WouldBlock) => {
                    let mut g = self.cell.live.lock().unwrap_or_else(|p| p.into_inner());
                    drop(g.take());
                }
            }
        }
    }
}

/// What an async call runs on.
pub enum Target {
    /// A fresh sandbox of this plugin.
    Plugin(nanoproc::plugin::Plugin),
    /// This instance.
    Instance(Arc<InstanceCell>),
}

/// An async plugin call: the guest runs in `compute`, on a libuv worker thread.
pub struct CallTask {
    target: Target,
    function: String,
    input: Vec<u8>,
    options: CallOptions,
    name: String,
}

impl Task for CallTask {
    type Output = Result<Vec<u8>, Failure>;
    type JsValue = Buffer;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let run = AssertUnwindSafe(|| match &self.target {
            Target::Plugin(p) => p
                .call_with(&self.function, &self.input, &self.options)
                .map_err(Failure::Call),
            Target::Instance(cell) => cell.call(&self.function, &self.input, &self.options),
        });
        Ok(catch_unwind(run).unwrap_or(Err(Failure::Panicked)))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Buffer> {
        match output {
            Ok(out) => Ok(self::output(out)),
            Err(f) => Err(f.to_napi(env.raw(), &self.name)),
        }
    }
}
