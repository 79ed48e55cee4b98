//! Plugins: `nanoproc_plugin_builder` → `nanoproc_plugin` (a fresh sandbox per call) and
//! `nanoproc_instance` (one sandbox reused), plus per-call options and cancellation.

use crate::args::{bytes_arg, out_arg, str_arg, text_arg, write_out};
use crate::audit::{Callback, Kept, nanoproc_audit_fn};
use crate::buf::{give, nanoproc_buf};
use crate::engine::{self, nanoproc_engine};
use crate::error::{CError, guard, guard_value, nanoproc_error};
use crate::handles;
use crate::host_fn::{UserData, nanoproc_free_fn, nanoproc_host_fn};
use crate::policy::{self, nanoproc_policy_builder};
use nanoproc::AuditSink;
use nanoproc::plugin::{
    CallOptions, CancelHandle, HostFunctions, Plugin, PluginBuilder, PluginInstance,
};
use std::cell::UnsafeCell;
use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Opaque plugin builder. Not for concurrent use. Consumed by `nanoproc_plugin_builder_build`
/// (whether it succeeds or not); free it with `nanoproc_plugin_builder_free` only if you do
/// not build.
#[allow(non_camel_case_types)]
pub struct nanoproc_plugin_builder {
    _private: [u8; 0],
}

/// Opaque plugin. Thread-safe: call it from many threads at once; each call runs in a fresh
/// sandbox. Free with `nanoproc_plugin_free` (calls still running finish first).
#[allow(non_camel_case_types)]
pub struct nanoproc_plugin {
    _private: [u8; 0],
}

/// Opaque plugin instance: one sandbox kept between calls, so the plugin's state persists.
/// One call at a time: a second concurrent call (from another thread, or from a host function
/// of the same instance) fails with `NANOPROC_ERROR_INVALID_ARGUMENT`. After a trap or limit the
/// sandbox is replaced by a fresh one on the next call. Free with `nanoproc_instance_free`.
#[allow(non_camel_case_types)]
pub struct nanoproc_instance {
    _private: [u8; 0],
}

/// Opaque cancellation token for `nanoproc_call_options.cancel`. Thread-safe: cancel it from
/// any thread. Free with `nanoproc_cancel_free`.
#[allow(non_camel_case_types)]
pub struct nanoproc_cancel {
    _private: [u8; 0],
}

/// Per-call limits; zero fields fall back to the plugin's policy.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct nanoproc_call_options {
    /// Fuel for this call (needs `NANOPROC_ENGINE_FUEL`); 0: the policy's.
    pub fuel: u64,
    /// Wall-clock limit for this call in microseconds; 0: the policy's.
    pub timeout_us: u64,
    /// Memory budget for this call in bytes; 0: the policy's.
    pub max_memory: u64,
    /// Cancels this call when cancelled (besides `nanoproc_plugin_cancel`); NULL: none.
    pub cancel: *const nanoproc_cancel,
}

const BUILDER: &str = "nanoproc_plugin_builder";
const PLUGIN: &str = "nanoproc_plugin";
const INSTANCE: &str = "nanoproc_instance";
const CANCEL: &str = "nanoproc_cancel";

/// The default number of audit events a plugin keeps for `nanoproc_plugin_audit_take`.
pub const NANOPROC_AUDIT_KEEP_DEFAULT: usize = 1024;

/// The plugin's code, as given.
enum Code {
    File(String),
    Bytes(Vec<u8>),
}

/// What a builder has been told so far.
struct Building {
    engine: Arc<nanoproc::Engine>,
    code: Option<Code>,
    name: Option<String>,
    policy: Option<nanoproc::Policy>,
    config: Vec<(String, String)>,
    host: HostFunctions,
    keep: usize,
    sinks: Vec<Arc<dyn AuditSink>>,
}

type BuilderCell = Mutex<Option<Building>>;

/// A plugin as C holds it.
pub(crate) struct CPlugin {
    plugin: Plugin,
    /// Function names, each followed by a NUL, for `nanoproc_plugin_function`.
    names: Vec<Vec<u8>>,
    kept: Option<Arc<Kept>>,
}

fn building(
    builder: *mut nanoproc_plugin_builder,
    f: impl FnOnce(&mut Building) -> Result<(), CError>,
) -> *mut nanoproc_error {
    guard(|| {
        let cell = handles::get::<BuilderCell, _>(builder, BUILDER, "builder")?;
        let mut cell = cell.lock().unwrap_or_else(|p| p.into_inner());
        let b = cell
            .as_mut()
            .ok_or_else(|| CError::argument("`builder` was built already".into()))?;
        f(b)
    })
}

/// Starts a plugin on `engine`. Set its code with `nanoproc_plugin_builder_wasm_file` or
/// `_wasm_bytes`, then build. On success `*builder_out` is a new builder the caller owns.
///
/// # Safety
/// Out-pointers are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_plugin_builder_new(
    engine: *const nanoproc_engine,
    builder_out: *mut *mut nanoproc_plugin_builder,
) -> *mut nanoproc_error {
    guard(|| {
        out_arg(builder_out, "builder_out")?;
        let engine = engine::engine(engine, "engine")?;
        let b = Building {
            engine,
            code: None,
            name: None,
            policy: None,
            config: Vec::new(),
            host: HostFunctions::new(),
            keep: NANOPROC_AUDIT_KEEP_DEFAULT,
            sinks: Vec::new(),
        };
        // SAFETY: checked above.
        unsafe {
            write_out(
                builder_out,
                handles::register::<BuilderCell, _>(Mutex::new(Some(b)), BUILDER),
            )
        };
        Ok(())
    })
}

/// Frees a builder that was not built. NULL, and a builder freed or built already, are ignored.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_plugin_builder_free(builder: *mut nanoproc_plugin_builder) {
    guard_value((), || {
        handles::release::<BuilderCell, _>(builder, BUILDER);
    })
}

/// The plugin's code: the `.wasm` file at `path` (a core module following `docs/abi.md`, or a
/// `nanoproc:plugin` component). Read when the plugin is built.
///
/// # Safety
/// `path` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_plugin_builder_wasm_file(
    builder: *mut nanoproc_plugin_builder,
    path: *const c_char,
) -> *mut nanoproc_error {
    building(builder, |b| {
        // SAFETY: forwarded contract.
        b.code = Some(Code::File(unsafe { str_arg(path, "path") }?.to_string()));
        Ok(())
    })
}

/// The plugin's code: `len` bytes of Wasm at `wasm` (copied).
///
/// # Safety
/// `wasm` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_plugin_builder_wasm_bytes(
    builder: *mut nanoproc_plugin_builder,
    wasm: *const u8,
    len: usize,
) -> *mut nanoproc_error {
    building(builder, |b| {
        // SAFETY: forwarded contract.
        b.code = Some(Code::Bytes(
            unsafe { bytes_arg(wasm, len, "wasm") }?.to_vec(),
        ));
        Ok(())
    })
}

/// The plugin's name in errors and the audit trail (default: the file name).
///
/// # Safety
/// `name` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_plugin_builder_name(
    builder: *mut nanoproc_plugin_builder,
    name: *const c_char,
) -> *mut nanoproc_error {
    building(builder, |b| {
        // SAFETY: forwarded contract.
        b.name = Some(unsafe { str_arg(name, "name") }?.to_string());
        Ok(())
    })
}

/// The plugin's policy: a copy of what `policy` describes now (validated here: an invalid
/// policy is `NANOPROC_ERROR_INVALID_POLICY`). Default: deny everything.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_plugin_builder_policy(
    builder: *mut nanoproc_plugin_builder,
    policy: *const nanoproc_policy_builder,
) -> *mut nanoproc_error {
    building(builder, |b| {
        b.policy = Some(policy::build(policy, "policy")?);
        Ok(())
    })
}

/// A configuration value the plugin reads with `config_get` (`docs/abi.md`).
///
/// # Safety
/// Strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_plugin_builder_config(
    builder: *mut nanoproc_plugin_builder,
    key: *const c_char,
    value: *const c_char,
) -> *mut nanoproc_error {
    building(builder, |b| {
        // SAFETY: forwarded contract.
        let (k, v) = unsafe {
            (
                str_arg(key, "key")?.to_string(),
                str_arg(value, "value")?.to_string(),
            )
        };
        b.config.push((k, v));
        Ok(())
    })
}

/// Registers host function `namespace::name` as `callback` with `user_data`. The plugin can
/// use it only if its policy grants it (`nanoproc_policy_builder_allow_host_fn`).
/// `free_user_data` (may be NULL) is called once nothing can call `callback` any more — also
/// when this function fails or the builder is freed unbuilt.
///
/// # Safety
/// Strings are NUL-terminated; `callback` and `user_data` are safe to use from any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_plugin_builder_host_fn(
    builder: *mut nanoproc_plugin_builder,
    namespace: *const c_char,
    name: *const c_char,
    callback: nanoproc_host_fn,
    user_data: *mut c_void,
    free_user_data: nanoproc_free_fn,
) -> *mut nanoproc_error {
    let data = UserData {
        ptr: user_data,
        free: free_user_data,
    };
    building(builder, move |b| {
        // SAFETY: forwarded contract.
        let (ns, name) = unsafe { (str_arg(namespace, "namespace")?, str_arg(name, "name")?) };
        let f = callback.ok_or_else(|| CError::argument("`callback` is NULL".into()))?;
        b.host.register(ns, name, move |ctx, input| {
            crate::host_fn::call(f, &data, ctx, input)
        });
        Ok(())
    })
}

/// How many audit events the plugin keeps for `nanoproc_plugin_audit_take` (the most recent;
/// older ones are counted as dropped). Default `NANOPROC_AUDIT_KEEP_DEFAULT`; 0 keeps none.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_plugin_builder_audit_keep(
    builder: *mut nanoproc_plugin_builder,
    max_events: usize,
) -> *mut nanoproc_error {
    building(builder, |b| {
        b.keep = max_events;
        Ok(())
    })
}

/// Also streams every audit event to `callback` (see `nanoproc_audit_fn`).
/// `free_user_data` (may be NULL) is called once the plugin is gone.
///
/// # Safety
/// `callback` and `user_data` are safe to use from any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_plugin_builder_audit_callback(
    builder: *mut nanoproc_plugin_builder,
    callback: nanoproc_audit_fn,
    user_data: *mut c_void,
    free_user_data: nanoproc_free_fn,
) -> *mut nanoproc_error {
    let data = UserData {
        ptr: user_data,
        free: free_user_data,
    };
    building(builder, move |b| {
        let f = callback.ok_or_else(|| CError::argument("`callback` is NULL".into()))?;
        b.sinks.push(Arc::new(Callback { f, data }));
        Ok(())
    })
}

/// Loads, checks and compiles the plugin (imports checked against the policy: an ungranted
/// host function is `NANOPROC_ERROR_DENIED` here). Consumes `builder`, whether it succeeds or
/// not. On success `*plugin_out` is a new plugin the caller owns.
///
/// # Safety
/// Out-pointers are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_plugin_builder_build(
    builder: *mut nanoproc_plugin_builder,
    plugin_out: *mut *mut nanoproc_plugin,
) -> *mut nanoproc_error {
    guard(|| {
        let cell = handles::get::<BuilderCell, _>(builder, BUILDER, "builder")?;
        handles::release::<BuilderCell, _>(builder, BUILDER);
        let b = cell
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or_else(|| CError::argument("`builder` was built already".into()))?;
        // Checked after the builder is consumed: it is consumed whatever happens.
        out_arg(plugin_out, "plugin_out")?;
        let mut pb = PluginBuilder::new(&b.engine).host_functions(b.host);
        pb = match b.code {
            Some(Code::File(path)) => pb.wasm_file(path),
            Some(Code::Bytes(bytes)) => pb.wasm_bytes(bytes),
            None => {
                return Err(CError::argument(
                    "the builder has no code; call nanoproc_plugin_builder_wasm_file or nanoproc_plugin_builder_wasm_bytes first".into(),
                ));
            }
        };
        if let Some(name) = b.name {
            pb = pb.name(name);
        }
        if let Some(policy) = b.policy {
            pb = pb.policy(policy);
        }
        for (k, v) in b.config {
            pb = pb.config(k, v);
        }
        let kept = (b.keep > 0).then(|| Arc::new(Kept::new(b.keep)));
        if let Some(k) = &kept {
            pb = pb.audit_sink(k.clone());
        }
        for s in b.sinks {
            pb = pb.audit_sink(s);
        }
        let plugin = pb.build()?;
        let names = plugin
            .functions()
            .into_iter()
            .map(|n| {
                let mut v = n.as_bytes().to_vec();
                v.push(0);
                v
            })
            .collect();
        let c = CPlugin {
            plugin,
            names,
            kept,
        };
        // SAFETY: checked above.
        unsafe { write_out(plugin_out, handles::register(c, PLUGIN)) };
        Ok(())
    })
}

fn plugin(p: *const nanoproc_plugin) -> Result<Arc<CPlugin>, CError> {
    handles::get(p, PLUGIN, "plugin")
}

/// Frees `plugin`. NULL, and a plugin freed already, are ignored. Calls running on other
/// threads finish first; instances made from it stay usable until freed.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_plugin_free(plugin: *mut nanoproc_plugin) {
    guard_value((), || {
        handles::release::<CPlugin, _>(plugin, PLUGIN);
    })
}

/// Reads `options` (NULL: none) into nanoproc's per-call options.
///
/// # Safety
/// `options` is NULL or points to a readable `nanoproc_call_options`.
unsafe fn call_options(options: *const nanoproc_call_options) -> Result<CallOptions, CError> {
    if options.is_null() {
        return Ok(CallOptions::default());
    }
    // SAFETY: non-NULL, readable by the caller's contract.
    let o = unsafe { &*options };
    let cancel = if o.cancel.is_null() {
        None
    } else {
        Some(CancelHandle::clone(&*handles::get::<CancelHandle, _>(
            o.cancel,
            CANCEL,
            "options.cancel",
        )?))
    };
    Ok(CallOptions {
        fuel: (o.fuel > 0).then_some(o.fuel),
        timeout: (o.timeout_us > 0).then(|| Duration::from_micros(o.timeout_us)),
        max_memory: (o.max_memory > 0).then_some(o.max_memory),
        cancel,
    })
}

/// Calls plugin function `function` (`function_len` bytes of UTF-8, no NUL needed) with
/// `input_len` bytes of `input`, in a fresh sandbox. On success `*output` holds the result
/// (free it with `nanoproc_buf_free`); on failure it is `{NULL, 0}`.
///
/// # Safety
/// `function` and `input` point to that many readable bytes; `options` is NULL or readable;
/// `output` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_plugin_call(
    plugin: *const nanoproc_plugin,
    function: *const c_char,
    function_len: usize,
    input: *const u8,
    input_len: usize,
    options: *const nanoproc_call_options,
    output: *mut nanoproc_buf,
) -> *mut nanoproc_error {
    // SAFETY: forwarded contract.
    unsafe {
        call_into(
            function,
            function_len,
            input,
            input_len,
            options,
            output,
            || self::plugin(plugin),
            |p, name, input, options| Ok(p.plugin.call_with(name, input, options)?),
        )
    }
}

/// What both call entry points do around the call itself: check and clear `output`, look
/// up the handle (`target`), read the name, input and options, run `call`, and hand its
/// output to the caller.
///
/// # Safety
/// As `nanoproc_plugin_call`.
#[allow(clippy::too_many_arguments)]
unsafe fn call_into<T>(
    function: *const c_char,
    function_len: usize,
    input: *const u8,
    input_len: usize,
    options: *const nanoproc_call_options,
    output: *mut nanoproc_buf,
    target: impl FnOnce() -> Result<T, CError>,
    call: impl FnOnce(&T, &str, &[u8], &CallOptions) -> Result<Vec<u8>, CError>,
) -> *mut nanoproc_error {
    guard(|| {
        out_arg(output, "output")?;
        // SAFETY: checked above.
        unsafe { write_out(output, give(Vec::new())) };
        let target = target()?;
        // SAFETY: forwarded contract.
        let (name, input, options) = unsafe {
            (
                text_arg(function, function_len, "function")?,
                bytes_arg(input, input_len, "input")?,
                call_options(options)?,
            )
        };
        let out = call(&target, name, input, &options)?;
        // SAFETY: checked above.
        unsafe { write_out(output, give(out)) };
        Ok(())
    })
}

/// Cancels every call running on `plugin` (from any thread); later calls run normally.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_plugin_cancel(plugin: *const nanoproc_plugin) -> *mut nanoproc_error {
    guard(|| {
        self::plugin(plugin)?.plugin.cancel_handle().cancel();
        Ok(())
    })
}

/// How many functions the plugin exports.
///
/// # Safety
/// Out-pointers are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_plugin_function_count(
    plugin: *const nanoproc_plugin,
    count_out: *mut usize,
) -> *mut nanoproc_error {
    guard(|| {
        out_arg(count_out, "count_out")?;
        let n = self::plugin(plugin)?.names.len();
        // SAFETY: checked above.
        unsafe { write_out(count_out, n) };
        Ok(())
    })
}

/// The name of function `index` (0-based), NUL-terminated; borrowed: valid until the plugin
/// is freed. `name_len_out` (may be NULL) receives its length without the NUL.
///
/// # Safety
/// `name_out` is writable; `name_len_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_plugin_function(
    plugin: *const nanoproc_plugin,
    index: usize,
    name_out: *mut *const c_char,
    name_len_out: *mut usize,
) -> *mut nanoproc_error {
    guard(|| {
        out_arg(name_out, "name_out")?;
        let p = self::plugin(plugin)?;
        let name = p.names.get(index).ok_or_else(|| {
            CError::argument(format!(
                "function index {index} is out of range: the plugin has {} functions",
                p.names.len()
            ))
        })?;
        // The registry keeps the plugin (and so `name`) alive until it is freed.
        // SAFETY: checked above; `name_len_out` checked for NULL here.
        unsafe {
            write_out(name_out, name.as_ptr().cast());
            if !name_len_out.is_null() {
                write_out(name_len_out, name.len() - 1);
            }
        }
        Ok(())
    })
}

/// Whether the plugin is a `nanoproc:plugin` component (else a core module).
///
/// # Safety
/// Out-pointers are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_plugin_is_component(
    plugin: *const nanoproc_plugin,
    out: *mut bool,
) -> *mut nanoproc_error {
    guard(|| {
        out_arg(out, "out")?;
        let c = self::plugin(plugin)?.plugin.is_component();
        // SAFETY: checked above.
        unsafe { write_out(out, c) };
        Ok(())
    })
}

/// The audit events the plugin kept since the last take, as UTF-8 JSON
/// `{"events":[{"time_ms":..,"what":..,"target":..,"decision":..,"rule":..},...],"dropped":N}`
/// (`dropped`: events left out because more than the keep limit happened). Empties the store.
/// Free `*json_out` with `nanoproc_buf_free`.
///
/// # Safety
/// Out-pointers are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_plugin_audit_take(
    plugin: *const nanoproc_plugin,
    json_out: *mut nanoproc_buf,
) -> *mut nanoproc_error {
    guard(|| {
        out_arg(json_out, "json_out")?;
        let p = self::plugin(plugin)?;
        let json = match &p.kept {
            Some(k) => k.take_json(),
            None => b"{\"events\":[],\"dropped\":0}".to_vec(),
        };
        // SAFETY: checked above.
        unsafe { write_out(json_out, give(json)) };
        Ok(())
    })
}

/// An instance as C holds it: one call at a time, a second one refused rather than queued.
/// (A flag rather than a `Mutex`: a refused call must not wait, and releasing the flag is a
/// plain store where unlocking a mutex is an atomic swap, on every warm call.)
pub(crate) struct InstanceCell {
    busy: AtomicBool,
    instance: UnsafeCell<PluginInstance>,
}

// SAFETY: the instance is reached only through `enter`, which lets one thread at a time in.
unsafe impl Sync for InstanceCell {}

/// The instance of an [`InstanceCell`], held by one call; released on drop (also when a
/// panic unwinds through the call).
struct Entered<'a>(&'a InstanceCell);

impl InstanceCell {
    fn new(instance: PluginInstance) -> Self {
        InstanceCell {
            busy: AtomicBool::new(false),
            instance: UnsafeCell::new(instance),
        }
    }

    /// The instance, unless a call is using it.
    fn enter(&self) -> Option<Entered<'_>> {
        self.busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| Entered(self))
    }
}

impl std::ops::Deref for Entered<'_> {
    type Target = PluginInstance;
    fn deref(&self) -> &PluginInstance {
        // SAFETY: `busy` is ours until this guard drops, so no other reference exists.
        unsafe { &*self.0.instance.get() }
    }
}

impl std::ops::DerefMut for Entered<'_> {
    fn deref_mut(&mut self) -> &mut PluginInstance {
        // SAFETY: as in `deref`; `&mut self` makes this the only reference from this guard.
        unsafe { &mut *self.0.instance.get() }
    }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.0.busy.store(false, Ordering::Release);
    }
}

/// Makes a sandbox of `plugin` that is kept between calls. On success `*instance_out` is a
/// new instance the caller owns.
///
/// # Safety
/// Out-pointers are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_plugin_instance(
    plugin: *const nanoproc_plugin,
    instance_out: *mut *mut nanoproc_instance,
) -> *mut nanoproc_error {
    guard(|| {
        out_arg(instance_out, "instance_out")?;
        let inst = self::plugin(plugin)?.plugin.instance()?;
        // SAFETY: checked above.
        unsafe {
            write_out(
                instance_out,
                handles::register::<InstanceCell, _>(InstanceCell::new(inst), INSTANCE),
            )
        };
        Ok(())
    })
}

/// Calls `function` in `instance`, like `nanoproc_plugin_call`.
///
/// # Safety
/// As `nanoproc_plugin_call`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_instance_call(
    instance: *const nanoproc_instance,
    function: *const c_char,
    function_len: usize,
    input: *const u8,
    input_len: usize,
    options: *const nanoproc_call_options,
    output: *mut nanoproc_buf,
) -> *mut nanoproc_error {
    // SAFETY: forwarded contract.
    unsafe {
        call_into(
            function,
            function_len,
            input,
            input_len,
            options,
            output,
            || handles::get::<InstanceCell, _>(instance, INSTANCE, "instance"),
            |cell, name, input, options| {
                let mut inst = cell.enter().ok_or_else(|| {
                    CError::argument(
                        "`instance` is busy with another call (an instance runs one call at a time; use one per thread, or nanoproc_plugin_call for a fresh sandbox per call)".into(),
                    )
                })?;
                Ok(inst.call_with(name, input, options)?)
            },
        )
    }
}

/// Frees `instance`. NULL, and an instance freed already, are ignored.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_instance_free(instance: *mut nanoproc_instance) {
    guard_value((), || {
        handles::release::<InstanceCell, _>(instance, INSTANCE);
    })
}

/// A new cancellation token for `nanoproc_call_options.cancel`. Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_cancel_new() -> *mut nanoproc_cancel {
    guard_value(std::ptr::null_mut(), || {
        handles::register(CancelHandle::new(), CANCEL)
    })
}

/// Cancels every call given `cancel` (from any thread): those running now, and any started
/// with it later (a token stays cancelled, so a cancel just before a call starts is not lost;
/// use a new token for new calls).
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_cancel_cancel(cancel: *const nanoproc_cancel) -> *mut nanoproc_error {
    guard(|| {
        handles::get::<CancelHandle, _>(cancel, CANCEL, "cancel")?.cancel();
        Ok(())
    })
}

/// Frees `cancel`. NULL, and a token freed already, are ignored.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_cancel_free(cancel: *mut nanoproc_cancel) {
    guard_value((), || {
        handles::release::<CancelHandle, _>(cancel, CANCEL);
    })
}
