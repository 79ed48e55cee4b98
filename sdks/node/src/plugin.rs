//! `Plugin` and `PluginInstance`: bytes-in, bytes-out calls into a plugin, each in a fresh
//! sandbox or in one kept alive, synchronously on the JavaScript thread or as a Promise whose
//! guest code runs on a libuv worker thread.

use crate::audit::{self, KeepSink};
use crate::convert::{opt_count, opt_millis, opt_size};
use crate::engine::{self, NativeEngine};
use crate::errors;
use crate::hostfn::{self, SyncScope};
use crate::policy::{EnvInit, NativePolicy};
pub(crate) use fast::register as register_fast;
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
pub struct Shared {
    name: String,
    audit: Option<Arc<KeepSink>>,
    has_host: bool,
    /// Whether the plugin is a component (its guest code runs on a fiber stack).
    is_component: bool,
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
    inner: Arc<RwLock<Option<nanoproc::plugin::Plugin>>>,
    cancel: CancelHandle,
    functions: Vec<String>,
    is_component: bool,
    shared: Arc<Shared>,
}

impl NativePlugin {
    fn live(&self, env: sys::napi_env) -> napi::Result<nanoproc::plugin::Plugin> {
        live(env, &self.inner, &self.shared)
    }
}

/// The plugin in `cell`, unless closed.
fn live(
    env: sys::napi_env,
    cell: &RwLock<Option<nanoproc::plugin::Plugin>>,
    shared: &Shared,
) -> napi::Result<nanoproc::plugin::Plugin> {
    match cell.read() {
        Ok(g) => g.clone(),
        Err(p) => p.into_inner().clone(),
    }
    .ok_or_else(|| errors::closed(env, "plugin", &shared.name))
}

/// The error when the helper thread of a synchronous component call could not run it.
fn helper_failed() -> nanoproc::Error {
    nanoproc::Error::HostExhausted(
        "could not run the call on a helper thread (a thread could not be started, or the call panicked)"
            .into(),
    )
}

/// A synchronous call in a fresh sandbox of the plugin in `cell`.
fn plugin_call_sync(
    env: sys::napi_env,
    cell: &RwLock<Option<nanoproc::plugin::Plugin>>,
    shared: &Shared,
    function: &str,
    input: &[u8],
    options: Option<&CallOptions>,
) -> napi::Result<Vec<u8>> {
    let plugin = live(env, cell, shared)?;
    let call = || match options {
        None => plugin.call(function, input),
        Some(o) => plugin.call_with(function, input, o),
    };
    let result = if shared.has_host && shared.is_component {
        hostfn::run_pumped(env, call).unwrap_or_else(|| Err(helper_failed()))
    } else {
        let _scope = shared.has_host.then(|| SyncScope::enter_raw(env));
        call()
    };
    result.map_err(|e| errors::to_napi(env, &e))
}

/// A synchronous call in the instance `cell`: throws `BusyError` instead of waiting when
/// another call is in flight on it (waiting could deadlock on a host function that needs
/// this thread).
fn instance_call_sync(
    env: sys::napi_env,
    cell: &InstanceCell,
    shared: &Shared,
    function: &str,
    input: &[u8],
    options: Option<&CallOptions>,
) -> napi::Result<Vec<u8>> {
    let name = &shared.name;
    if cell.closed.load(Ordering::Acquire) {
        return Err(errors::closed(env, "instance of plugin", name));
    }
    let mut guard = match cell.live.try_lock() {
        Ok(g) => g,
        Err(TryLockError::Poisoned(p)) => p.into_inner(),
        Err(TryLockError::WouldBlock) => return Err(errors::busy(env, name)),
    };
    let Some(live) = guard.as_mut() else {
        return Err(errors::closed(env, "instance of plugin", name));
    };
    let result = {
        cell.in_sync.store(true, Ordering::Release);
        let mut call = || match options {
            None => live.call(function, input),
            Some(o) => live.call_with(function, input, o),
        };
        let r = if shared.has_host && shared.is_component {
            hostfn::run_pumped(env, call).unwrap_or_else(|| Err(helper_failed()))
        } else {
            let _scope = shared.has_host.then(|| SyncScope::enter_raw(env));
            call()
        };
        cell.in_sync.store(false, Ordering::Release);
        r
    };
    // Closed by one of its own host functions meanwhile: free the sandbox now.
    if cell.closed.load(Ordering::Acquire) && cell.pending.load(Ordering::Acquire) == 0 {
        drop(guard.take());
    }
    result.map_err(|e| errors::to_napi(env, &e))
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
                is_component: plugin.is_component(),
            }),
            inner: Arc::new(RwLock::new(Some(plugin))),
        })
    }

    /// Calls `function` with `input` in a fresh sandbox, on this thread.
    #[napi(catch_unwind)]
    pub fn call_sync(
        &self,
        env: Env,
        func: String,
        input: &[u8],
        options: Option<CallInit>,
    ) -> napi::Result<Buffer> {
        let raw = env.raw();
        let options = call_options(raw, options, None)?;
        plugin_call_sync(
            raw,
            &self.inner,
            &self.shared,
            &func,
            input,
            options.as_ref(),
        )
        .map(output)
    }

    /// The handle of the fast synchronous path (`callSyncFast(handle, function, input)`).
    #[napi(catch_unwind, ts_return_type = "unknown")]
    pub fn handle(&self, env: Env) -> napi::Result<Unknown<'static>> {
        fast::make_handle(
            env.raw(),
            fast::Handle::Plugin(self.inner.clone(), self.shared.clone()),
        )
    }

    /// Calls `function` with a copy of `input` in a fresh sandbox on a worker thread.
    #[napi(catch_unwind, ts_return_type = "Promise<Buffer>")]
    pub fn call(
        &self,
        env: Env,
        func: String,
        input: &[u8],
        options: Option<CallInit>,
        token: Option<&CancelToken>,
    ) -> napi::Result<AsyncTask<CallTask>> {
        let raw = env.raw();
        let plugin = self.live(raw)?;
        let options = call_options(raw, options, token)?.unwrap_or_default();
        Ok(AsyncTask::new(CallTask {
            target: Target::Plugin(plugin),
            function: func,
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
        let _scope = self.shared.has_host.then(|| SyncScope::enter_raw(raw));
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
    /// waiting when another call is in flight on it.
    #[napi(catch_unwind)]
    pub fn call_sync(
        &self,
        env: Env,
        func: String,
        input: &[u8],
        options: Option<CallInit>,
    ) -> napi::Result<Buffer> {
        let raw = env.raw();
        let options = call_options(raw, options, None)?;
        instance_call_sync(
            raw,
            &self.cell,
            &self.shared,
            &func,
            input,
            options.as_ref(),
        )
        .map(output)
    }

    /// The handle of the fast synchronous path (`callSyncFast(handle, function, input)`).
    #[napi(catch_unwind, ts_return_type = "unknown")]
    pub fn handle(&self, env: Env) -> napi::Result<Unknown<'static>> {
        fast::make_handle(
            env.raw(),
            fast::Handle::Instance(self.cell.clone(), self.shared.clone()),
        )
    }

    /// Calls `function` with a copy of `input` in this instance on a worker thread (after
    /// any call in flight on it).
    #[napi(catch_unwind, ts_return_type = "Promise<Buffer>")]
    pub fn call(
        &self,
        env: Env,
        func: String,
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
            function: func,
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

/// The fast synchronous call path: a plain N-API function instead of a napi-rs class method.
///
/// napi-rs 3 wraps every class method call in borrow bookkeeping (a reference to `this`
/// created and deleted, a borrow registered in a scope) that costs about half a microsecond,
/// more than the rest of a warm call. `callSyncFast(handle, function, input)` reaches the same
/// code through an external value made once per plugin or instance: a type-tag check, the
/// function name read into a stack buffer, the input borrowed, the output copied into a
/// `Buffer`.
mod fast {
    use super::{InstanceCell, Shared, instance_call_sync, plugin_call_sync};
    use crate::errors;
    use napi::bindgen_prelude::{FromNapiValue, Unknown};
    use napi::{JsError, sys};
    use std::ffi::c_void;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::ptr;
    use std::sync::{Arc, RwLock};

    /// Marks the external values made here, so a forged one is refused.
    const TAG: sys::napi_type_tag = sys::napi_type_tag {
        lower: 0x6e61_6e6f_7072_6f63,
        upper: 0x6661_7374_6361_6c6c,
    };

    /// What a handle calls.
    pub(crate) enum Handle {
        /// Fresh sandboxes of a plugin.
        Plugin(Arc<RwLock<Option<nanoproc::plugin::Plugin>>>, Arc<Shared>),
        /// An instance.
        Instance(Arc<InstanceCell>, Arc<Shared>),
    }

    /// A tagged external value owning `handle` (freed when the value is collected).
    pub(crate) fn make_handle(
        env: sys::napi_env,
        handle: Handle,
    ) -> napi::Result<Unknown<'static>> {
        let data = Box::into_raw(Box::new(handle));
        let mut value = ptr::null_mut();
        // SAFETY: `env` is the live environment of this call; `data` is owned by the external
        // from here on and freed by `finalize`, once.
        unsafe {
            if sys::napi_create_external(
                env,
                data.cast(),
                Some(finalize),
                ptr::null_mut(),
                &mut value,
            ) != sys::Status::napi_ok
            {
                drop(Box::from_raw(data));
                return Err(napi::Error::from_reason("could not make a call handle"));
            }
            if sys::napi_type_tag_object(env, value, &TAG) != sys::Status::napi_ok {
                return Err(napi::Error::from_reason("could not tag a call handle"));
            }
            Unknown::from_napi_value(env, value)
        }
    }

    unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
        if !data.is_null() {
            // SAFETY: `data` is the box `make_handle` leaked, finalised once by Node.
            drop(unsafe { Box::from_raw(data.cast::<Handle>()) });
        }
    }

    /// Registers `callSyncFast` on the module's exports.
    pub(crate) fn register(env: sys::napi_env, exports: sys::napi_value) -> napi::Result<()> {
        let name = "callSyncFast";
        let mut f = ptr::null_mut();
        // SAFETY: `env` and `exports` are the module's, during its initialisation.
        unsafe {
            if sys::napi_create_function(
                env,
                name.as_ptr().cast(),
                name.len() as isize,
                Some(call_sync_fast),
                ptr::null_mut(),
                &mut f,
            ) != sys::Status::napi_ok
                || sys::napi_set_named_property(env, exports, c"callSyncFast".as_ptr(), f)
                    != sys::Status::napi_ok
            {
                return Err(napi::Error::from_reason("could not register callSyncFast"));
            }
        }
        Ok(())
    }

    unsafe extern "C" fn call_sync_fast(
        env: sys::napi_env,
        info: sys::napi_callback_info,
    ) -> sys::napi_value {
        // SAFETY: Node calls this with its live environment and the call's info.
        let result = catch_unwind(AssertUnwindSafe(|| unsafe { call(env, info) }));
        let error = match result {
            Ok(Ok(v)) => return v,
            Ok(Err(e)) => e,
            Err(_) => errors::to_napi(
                env,
                &nanoproc::Error::Internal("a plugin call panicked".into()),
            ),
        };
        // SAFETY: `env` is live; throwing leaves the exception pending for the caller.
        unsafe { JsError::from(error).throw_into(env) };
        ptr::null_mut()
    }

    thread_local! {
        /// One empty `Buffer` per JavaScript environment (thread), returned for every empty
        /// output: making a `Buffer` from native code costs more than a whole warm call, and a
        /// zero-length one cannot be changed.
        static EMPTY: std::cell::Cell<Option<(sys::napi_env, sys::napi_ref)>> =
            const { std::cell::Cell::new(None) };
    }

    /// The environment's shared empty `Buffer`.
    ///
    /// # Safety
    /// `env` must be the live environment of the current thread, inside a native call.
    unsafe fn empty_buffer(env: sys::napi_env) -> Option<sys::napi_value> {
        // SAFETY: as the caller guarantees; every status is checked.
        unsafe {
            let mut value = ptr::null_mut();
            if let Some((e, r)) = EMPTY.with(|c| c.get())
                && e == env
                && sys::napi_get_reference_value(env, r, &mut value) == sys::Status::napi_ok
                && !value.is_null()
            {
                return Some(value);
            }
            let mut data = ptr::null_mut();
            if sys::napi_create_buffer(env, 0, &mut data, &mut value) != sys::Status::napi_ok {
                return None;
            }
            let mut r = ptr::null_mut();
            if sys::napi_create_reference(env, value, 1, &mut r) == sys::Status::napi_ok {
                EMPTY.with(|c| c.set(Some((env, r))));
            }
            Some(value)
        }
    }

    /// # Safety
    /// `env` and `info` must be those of a live call of `callSyncFast`.
    unsafe fn call(
        env: sys::napi_env,
        info: sys::napi_callback_info,
    ) -> napi::Result<sys::napi_value> {
        let bad = |what: &str| errors::type_error(env, format!("callSyncFast: {what}"));
        let mut argc = 3usize;
        let mut argv = [ptr::null_mut(); 3];
        // SAFETY (whole block): every N-API call gets `env` and values of this call, and its
        // status is checked before its outputs are used.
        unsafe {
            if sys::napi_get_cb_info(
                env,
                info,
                &mut argc,
                argv.as_mut_ptr(),
                ptr::null_mut(),
                ptr::null_mut(),
            ) != sys::Status::napi_ok
                || argc < 3
            {
                return Err(bad("takes (handle, function, input)"));
            }
            // Only externals (checked first: the tag check throws on null and undefined).
            let mut kind = 0;
            if sys::napi_typeof(env, argv[0], &mut kind) != sys::Status::napi_ok
                || kind != sys::ValueType::napi_external
            {
                return Err(bad("the handle is not a call handle"));
            }
            let mut tagged = false;
            if sys::napi_check_object_type_tag(env, argv[0], &TAG, &mut tagged)
                != sys::Status::napi_ok
                || !tagged
            {
                return Err(bad("the handle is not a call handle"));
            }
            let mut data = ptr::null_mut();
            if sys::napi_get_value_external(env, argv[0], &mut data) != sys::Status::napi_ok
                || data.is_null()
            {
                return Err(bad("the handle is not a call handle"));
            }
            // The external owns the handle while it is alive, which it is during this call.
            let handle = &*data.cast::<Handle>();

            let mut stack = [0u8; 256];
            let mut len = 0usize;
            if sys::napi_get_value_string_utf8(
                env,
                argv[1],
                stack.as_mut_ptr().cast(),
                stack.len(),
                &mut len,
            ) != sys::Status::napi_ok
            {
                return Err(bad("the function name is not a string"));
            }
            let heap;
            let name_bytes: &[u8] = if len + 1 < stack.len() {
                &stack[..len]
            } else {
                // Possibly cut short: read it whole.
                let mut full = 0usize;
                sys::napi_get_value_string_utf8(env, argv[1], ptr::null_mut(), 0, &mut full);
                let mut v = vec![0u8; full + 1];
                sys::napi_get_value_string_utf8(
                    env,
                    argv[1],
                    v.as_mut_ptr().cast(),
                    v.len(),
                    &mut len,
                );
                v.truncate(len);
                heap = v;
                &heap
            };
            let Ok(function) = std::str::from_utf8(name_bytes) else {
                return Err(bad("the function name is not valid UTF-8"));
            };

            let mut kind = 0;
            let mut ilen = 0usize;
            let mut idata = ptr::null_mut();
            let mut buffer = ptr::null_mut();
            let mut offset = 0usize;
            if sys::napi_get_typedarray_info(
                env,
                argv[2],
                &mut kind,
                &mut ilen,
                &mut idata,
                &mut buffer,
                &mut offset,
            ) != sys::Status::napi_ok
                || kind != sys::TypedarrayType::uint8_array
            {
                return Err(bad("the input is not a Uint8Array"));
            }
            let input: &[u8] = if ilen == 0 || idata.is_null() {
                &[]
            } else {
                std::slice::from_raw_parts(idata.cast::<u8>(), ilen)
            };

            let out = match handle {
                Handle::Plugin(cell, shared) => {
                    plugin_call_sync(env, cell, shared, function, input, None)
                }
                Handle::Instance(cell, shared) => {
                    instance_call_sync(env, cell, shared, function, input, None)
                }
            }?;
            if out.is_empty()
                && let Some(empty) = empty_buffer(env)
            {
                return Ok(empty);
            }
            let mut result = ptr::null_mut();
            let mut copied = ptr::null_mut();
            if sys::napi_create_buffer_copy(
                env,
                out.len(),
                out.as_ptr().cast(),
                &mut copied,
                &mut result,
            ) != sys::Status::napi_ok
            {
                return Err(errors::to_napi(
                    env,
                    &nanoproc::Error::HostExhausted("could not allocate the output Buffer".into()),
                ));
            }
            Ok(result)
        }
    }
}
