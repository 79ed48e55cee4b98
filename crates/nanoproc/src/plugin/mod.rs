//! Plugins: call a plugin's functions with bytes in and bytes out, each call in a fresh
//! sandbox by default. A plugin is a core module following the ABI in `docs/abi.md`, or a
//! component of the `nanoproc:plugin` world (`wit/plugin.wit`, its typed equivalent); both
//! load through [`PluginBuilder`] and are called the same way (`docs/components.md`).
//!
//! ```no_run
//! use nanoproc::plugin::{HostFunctions, Plugin};
//! use nanoproc::{EngineBuilder, Policy, PoolingOptions};
//! # fn main() -> nanoproc::Result<()> {
//! let engine = EngineBuilder::new().pooling(Some(PoolingOptions::default())).build()?;
//! let mut host = HostFunctions::new();
//! host.register_text("host", "greet", |_ctx, name| Ok(format!("hello, {name}")));
//! let mut policy = Policy::builder();
//! policy.allow_host_fn("host::greet").max_memory(16 << 20);
//! let plugin = Plugin::builder(&engine)
//!     .wasm_file("examples/plugins/bin/call_host.wasm")
//!     .policy(policy.build()?)
//!     .host_functions(host)
//!     .build()?;
//! let out = plugin.call("call_host", b"world")?;
//! # Ok(()) }
//! ```

pub mod abi;
pub(crate) mod host_fn;
mod typed;

pub(crate) use host_fn::{CallToken, CancelState};
pub use host_fn::{CancelHandle, HostContext, HostFn, HostFunctions};

use crate::audit::{Audit, AuditSink};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::limits::{MemoryBudget, NestingGuard};
use crate::loader::{Compiled, Loaded, Source, one_line};
use crate::policy::Policy;
use abi::{ABI_VERSION, MAX_MESSAGE_BYTES, checked_range, pack, unpack, violation};
use host_fn::{HostFailure, emit_log, host_error, invoke};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::{
    Caller, Extern, Instance, Linker, Memory, ModuleExport, Store, TypedFunc, UpdateDeadline,
    ValType,
};
use wasmtime_wasi::p1::WasiP1Ctx;

/// Per-call limits; unset fields fall back to the plugin's policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallOptions {
    /// Fuel for this call (needs an engine with fuel metering).
    pub fuel: Option<u64>,
    /// Wall-clock limit for this call, enforced in guest code and (cooperatively, through
    /// [`HostContext`]) inside host functions.
    pub timeout: Option<Duration>,
    /// Budget for all memories and tables during this call. For a fresh sandbox it also
    /// covers the initial memory; for a reused instance it bounds further growth.
    pub max_memory: Option<u64>,
    /// Cancels this call (and only the calls given the same handle) when cancelled, also
    /// if it was cancelled before the call started; the plugin's own
    /// [`Plugin::cancel_handle`] cancels it too.
    pub cancel: Option<CancelHandle>,
}

/// Store state of one plugin sandbox.
pub(crate) struct PluginState {
    wasi: Option<WasiP1Ctx>,
    budget: MemoryBudget,
    shared: Arc<Shared>,
    call: CallState,
    _wasi_parts: Option<crate::wasi::WasiParts>,
}

/// The plugin's WASI p1 calls go through the same audit and filesystem limits as `run`'s.
impl crate::wasi::fs_audit::P1Host for PluginState {
    fn p1_parts(
        &mut self,
    ) -> wasmtime::Result<(&mut WasiP1Ctx, &mut crate::wasi::fs_guard::FsGuard)> {
        match (self.wasi.as_mut(), self._wasi_parts.as_mut()) {
            (Some(wasi), Some(parts)) => Ok((wasi, &mut parts.fs)),
            _ => Err(wasmtime::Error::msg(
                "WASI is linked only for plugins that import it, which always get a context",
            )),
        }
    }
}

#[derive(Default)]
struct CallState {
    error: Option<String>,
    log_bytes: usize,
    deadline: Option<Instant>,
    timeout: Option<Duration>,
    token: CallToken,
    /// The call's own fuel budget, if it has one.
    fuel: Option<u64>,
}

/// What every sandbox of a plugin shares.
struct Shared {
    name: String,
    config: BTreeMap<String, String>,
    cancel: Arc<CancelState>,
    audit: Audit,
}

/// Builds a [`Plugin`].
pub struct PluginBuilder {
    engine: Engine,
    source: Option<Source>,
    name: Option<String>,
    policy: Policy,
    host: HostFunctions,
    config: BTreeMap<String, String>,
    sinks: Vec<Arc<dyn AuditSink>>,
}

impl PluginBuilder {
    /// Starts a plugin on `engine` with the default (deny-everything) policy.
    pub fn new(engine: &Engine) -> Self {
        PluginBuilder {
            engine: engine.clone(),
            source: None,
            name: None,
            policy: Policy::default(),
            host: HostFunctions::new(),
            config: BTreeMap::new(),
            sinks: Vec::new(),
        }
    }
    /// The plugin's code, from a `.wasm` or `.wat` file.
    pub fn wasm_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.source = Some(Source::File(path.into()));
        self
    }
    /// The plugin's code, from bytes (binary or WAT text).
    pub fn wasm_bytes(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.source = Some(Source::Bytes(bytes.into()));
        self
    }
    /// The plugin's code, already loaded.
    pub fn loaded(mut self, loaded: Loaded) -> Self {
        self.source = Some(Source::Loaded(Box::new(loaded)));
        self
    }
    /// Its name in logs and errors (default: the file name).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// What its sandboxes may do (default: nothing).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }
    /// Host functions it may import (each must also be granted by the policy).
    pub fn host_functions(mut self, host: HostFunctions) -> Self {
        self.host = host;
        self
    }
    /// A config value the plugin can read with `config_get`.
    pub fn config(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.insert(key.into(), value.into());
        self
    }
    /// Sends its audit events (host function uses, limit hits, …) to `sink` too.
    pub fn audit_sink(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// Loads, links and checks the plugin: its exports must follow the ABI, and every
    /// import must be WASI, the `nanoproc` module, or a host function the policy grants.
    pub fn build(self) -> Result<Plugin> {
        let loaded = Source::load(
            self.source,
            &self.engine,
            self.name.as_deref().unwrap_or("plugin"),
            "plugin code",
            self.policy.integrity(),
            &Audit::forwarding(self.sinks.clone()),
        )?;
        let name = self
            .name
            .unwrap_or_else(|| loaded.name.trim_end_matches(".wasm").to_string());
        self.engine.check_fuel(&self.policy)?;
        let module = match &loaded.compiled {
            Compiled::Module(module) => module,
            Compiled::Component(component) => {
                let parts = typed::Parts {
                    engine: self.engine,
                    name,
                    policy: self.policy,
                    host: self.host,
                    config: self.config,
                    sinks: self.sinks,
                };
                let plugin = typed::ComponentPlugin::build(parts, component)?;
                return Ok(Plugin {
                    flavor: Flavor::Component(Arc::new(plugin)),
                });
            }
        };
        let exports = check_exports(&name, module)?;
        let needs_wasi = module
            .imports()
            .any(|i| i.module() == "wasi_snapshot_preview1");
        let mut linker = Linker::<PluginState>::new(self.engine.wasmtime());
        if needs_wasi {
            wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s: &mut PluginState| {
                s.wasi.as_mut().expect(
                    "WASI is linked only for plugins that import it, which always get a context",
                )
            })
            .and_then(|()| crate::wasi::fs_audit::add_to_linker_sync(&mut linker))
            .map_err(|e| Error::Internal(format!("cannot link WASI: {e:#}")))?;
        }
        link_nanoproc(&mut linker)
            .map_err(|e| Error::Internal(format!("cannot link the nanoproc module: {e:#}")))?;
        link_host_functions(&name, module, &mut linker, &self.host, &self.policy)?;
        let pre = linker.instantiate_pre(module).map_err(|e| Error::Denied {
            what: format!("plugin `{name}` needs an import nanoproc does not provide: {}", one_line(&format!("{e:#}"))),
            how: "plugins may import WASI preview 1, the `nanoproc` module (docs/abi.md) and granted host functions".into(),
        })?;
        let shared = Arc::new(Shared {
            name: name.clone(),
            config: self.config,
            cancel: Arc::new(CancelState::default()),
            audit: Audit::forwarding(self.sinks),
        });
        // Timeouts and cancel handles fire on epoch ticks.
        self.engine.ensure_ticker();
        let plugin = CorePlugin {
            inner: Arc::new(Inner {
                engine: self.engine,
                name,
                policy: self.policy,
                pre,
                exports,
                needs_wasi,
                shared,
            }),
        };
        plugin.check_version()?;
        Ok(Plugin {
            flavor: Flavor::Core(plugin),
        })
    }
}

/// The exports a plugin has, checked against the ABI.
struct Exports {
    memory: ModuleExport,
    alloc: ModuleExport,
    version: ModuleExport,
    initialize: Option<ModuleExport>,
    /// Callable functions: `(i32, i32) -> i64`. Looked up on every call: a fast hasher,
    /// randomly seeded (the names are the guest's).
    functions: foldhash::HashMap<String, ModuleExport>,
    /// Other function exports, with their actual types, for clear errors.
    others: HashMap<String, String>,
}

fn check_exports(name: &str, module: &wasmtime::Module) -> Result<Exports> {
    let missing = |what: &str, ty: &str| {
        Error::InvalidModule(format!(
            "`{name}` is not a nanoproc plugin: it lacks the export `{what}` of type {ty} (see docs/abi.md)"
        ))
    };
    let func_sig = |n: &str| -> Option<(Vec<ValType>, Vec<ValType>)> {
        module.get_export(n).and_then(|e| {
            e.func()
                .map(|f| (f.params().collect(), f.results().collect()))
        })
    };
    let is =
        |sig: &Option<(Vec<ValType>, Vec<ValType>)>, params: &[ValType], results: &[ValType]| {
            sig.as_ref().is_some_and(|(p, r)| {
                p.len() == params.len()
                    && r.len() == results.len()
                    && p.iter().zip(params).all(|(a, b)| ValType::eq(a, b))
                    && r.iter().zip(results).all(|(a, b)| ValType::eq(a, b))
            })
        };
    if module
        .get_export("memory")
        .and_then(|e| e.memory().cloned())
        .is_none_or(|m| m.is_64() || m.is_shared())
    {
        return Err(missing("memory", "32-bit, unshared memory"));
    }
    if !is(
        &func_sig("nanoproc_alloc"),
        &[ValType::I32],
        &[ValType::I32],
    ) {
        return Err(missing("nanoproc_alloc", "(i32) -> i32"));
    }
    if !is(&func_sig("nanoproc_abi_version"), &[], &[ValType::I32]) {
        return Err(missing("nanoproc_abi_version", "() -> i32"));
    }
    let idx = |n: &str| {
        module
            .get_export_index(n)
            .ok_or_else(|| missing(n, "an export"))
    };
    let mut functions = foldhash::HashMap::default();
    let mut others = HashMap::new();
    for e in module.exports() {
        let n = e.name();
        if matches!(
            n,
            "nanoproc_alloc" | "nanoproc_abi_version" | "_initialize" | "_start"
        ) {
            continue;
        }
        if let Some(f) = e.ty().func() {
            let sig = Some((f.params().collect(), f.results().collect()));
            if is(&sig, &[ValType::I32, ValType::I32], &[ValType::I64]) {
                functions.insert(n.to_string(), idx(n)?);
            } else {
                others.insert(n.to_string(), f.to_string());
            }
        }
    }
    let initialize = if is(&func_sig("_initialize"), &[], &[]) {
        Some(idx("_initialize")?)
    } else {
        None
    };
    Ok(Exports {
        memory: idx("memory")?,
        alloc: idx("nanoproc_alloc")?,
        version: idx("nanoproc_abi_version")?,
        initialize,
        functions,
        others,
    })
}

/// Reads guest memory `ptr .. ptr + len` as UTF-8 (lossy), capped at `MAX_MESSAGE_BYTES`.
fn guest_text(data: &[u8], ptr: i32, len: i32, what: &str) -> wasmtime::Result<String> {
    let range = checked_range(data.len(), ptr as u32, len as u32, what).map_err(violation)?;
    let bytes = &data[range];
    let bytes = &bytes[..bytes.len().min(MAX_MESSAGE_BYTES)];
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

fn memory_of(caller: &mut Caller<'_, PluginState>) -> wasmtime::Result<Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(m)) => Ok(m),
        _ => Err(violation(Error::AbiViolation(
            "the plugin exports no `memory`".into(),
        ))),
    }
}

/// The `nanoproc` import module: `fail`, `log`, `config_get`.
fn link_nanoproc(linker: &mut Linker<PluginState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        "nanoproc",
        "fail",
        |mut caller: Caller<'_, PluginState>, ptr: i32, len: i32| -> wasmtime::Result<()> {
            let mem = memory_of(&mut caller)?;
            let msg = guest_text(mem.data(&caller), ptr, len, "nanoproc::fail message")?;
            caller.data_mut().call.error = Some(msg);
            Ok(())
        },
    )?;
    linker.func_wrap(
        "nanoproc",
        "log",
        |mut caller: Caller<'_, PluginState>,
         level: i32,
         ptr: i32,
         len: i32|
         -> wasmtime::Result<()> {
            let mem = memory_of(&mut caller)?;
            let msg = guest_text(mem.data(&caller), ptr, len, "nanoproc::log message")?;
            let state = caller.data_mut();
            emit_log(&state.shared.name, level, &msg, &mut state.call.log_bytes);
            Ok(())
        },
    )?;
    linker.func_wrap(
        "nanoproc",
        "config_get",
        |mut caller: Caller<'_, PluginState>,
         kptr: i32,
         klen: i32,
         bptr: i32,
         bcap: i32|
         -> wasmtime::Result<i64> {
            let mem = memory_of(&mut caller)?;
            let (data, state) = mem.data_and_store_mut(&mut caller);
            let key = guest_text(data, kptr, klen, "nanoproc::config_get key")?;
            let Some(value) = state.shared.config.get(&key) else {
                return Ok(-1);
            };
            let range = checked_range(
                data.len(),
                bptr as u32,
                bcap as u32,
                "nanoproc::config_get buffer",
            )
            .map_err(violation)?;
            let n = value.len().min(range.len());
            data[range.start..range.start + n].copy_from_slice(&value.as_bytes()[..n]);
            Ok(value.len() as i64)
        },
    )?;
    Ok(())
}

/// Links the host functions the module imports, if registered and granted.
fn link_host_functions(
    plugin: &str,
    module: &wasmtime::Module,
    linker: &mut Linker<PluginState>,
    host: &HostFunctions,
    policy: &Policy,
) -> Result<()> {
    for import in module.imports() {
        let (ns, n) = (import.module(), import.name());
        if ns == "wasi_snapshot_preview1" {
            continue;
        }
        if ns == "nanoproc" {
            if !matches!(n, "fail" | "log" | "config_get") {
                return Err(Error::InvalidModule(format!(
                    "plugin `{plugin}` imports `nanoproc::{n}`, which ABI version {ABI_VERSION} does not define (docs/abi.md)"
                )));
            }
            continue;
        }
        let full = format!("{ns}::{n}");
        let Some(f) = host.get(ns, n) else {
            return Err(Error::Denied {
                what: format!(
                    "plugin `{plugin}` imports host function `{full}`, which this host does not provide"
                ),
                how: "register it with HostFunctions::register, or remove the import".into(),
            });
        };
        if !policy.grants_host_fn(ns, n) {
            return Err(Error::Denied {
                what: format!(
                    "plugin `{plugin}` imports host function `{full}`, which its policy does not grant"
                ),
                how: format!(
                    "grant it with --allow-host-fn {full} (policy key host_functions = [\"{full}\"])"
                ),
            });
        }
        let ok_sig = import.ty().func().is_some_and(|t| {
            let p: Vec<ValType> = t.params().collect();
            let r: Vec<ValType> = t.results().collect();
            p.len() == 2
                && p.iter().all(|v| matches!(v, ValType::I32))
                && r.len() == 1
                && matches!(r[0], ValType::I64)
        });
        if !ok_sig {
            return Err(Error::InvalidModule(format!(
                "plugin `{plugin}` imports host function `{full}` with the wrong type; host functions are (i32, i32) -> i64 (docs/abi.md)"
            )));
        }
        let f = f.clone();
        let name = full.clone();
        linker
            .func_wrap(
                ns,
                n,
                move |mut caller: Caller<'_, PluginState>,
                      ptr: i32,
                      len: i32|
                      -> wasmtime::Result<i64> {
                    let mem = memory_of(&mut caller)?;
                    let (data, state) = mem.data_and_store_mut(&mut caller);
                    let range = checked_range(
                        data.len(),
                        ptr as u32,
                        len as u32,
                        &format!("input of host function `{name}`"),
                    )
                    .map_err(violation)?;
                    let ctx = HostContext {
                        plugin: &state.shared.name,
                        deadline: state.call.deadline,
                        cancel: &state.shared.cancel,
                        token: &state.call.token,
                    };
                    let result = invoke(
                        f.as_ref(),
                        &name,
                        &ctx,
                        &data[range],
                        state.call.timeout,
                        &state.shared.audit,
                    )?;
                    let out = match result {
                        Ok(out) => out,
                        Err(HostFailure::Returned(message) | HostFailure::Panicked(message)) => {
                            return Err(host_error(name.clone(), message));
                        }
                    };
                    let out_ptr = guest_alloc(&mut caller, out.len())?;
                    let data = mem.data_mut(&mut caller);
                    let range = checked_range(
                        data.len(),
                        out_ptr,
                        out.len() as u32,
                        "nanoproc_alloc result for a host function output",
                    )
                    .map_err(violation)?;
                    data[range].copy_from_slice(&out);
                    Ok(pack(out_ptr, out.len() as u32))
                },
            )
            .map_err(|e| Error::Internal(format!("cannot link `{full}`: {e:#}")))?;
    }
    Ok(())
}

/// Asks the plugin for `len` bytes through its `nanoproc_alloc` (from inside a host call).
fn guest_alloc(caller: &mut Caller<'_, PluginState>, len: usize) -> wasmtime::Result<u32> {
    if len == 0 {
        return Ok(0);
    }
    let len32 = i32::try_from(len).map_err(|_| {
        violation(Error::AbiViolation(format!(
            "{len} bytes do not fit a wasm32 plugin"
        )))
    })?;
    let alloc = match caller.get_export("nanoproc_alloc") {
        Some(Extern::Func(f)) => f.typed::<i32, i32>(&caller)?,
        _ => {
            return Err(violation(Error::AbiViolation(
                "the plugin exports no `nanoproc_alloc`".into(),
            )));
        }
    };
    let ptr = alloc.call(&mut *caller, len32)? as u32;
    if ptr == 0 {
        return Err(violation(Error::AbiViolation(format!(
            "nanoproc_alloc({len}) returned 0 (the plugin is out of memory)"
        ))));
    }
    Ok(ptr)
}

struct Inner {
    engine: Engine,
    name: String,
    policy: Policy,
    pre: wasmtime::InstancePre<PluginState>,
    exports: Exports,
    needs_wasi: bool,
    shared: Arc<Shared>,
}

/// Whether `loaded` is a component of the `nanoproc:plugin` world (it exports the
/// `nanoproc:plugin/handler` interface), i.e. a plugin rather than a component called through
/// its own world.
pub fn is_plugin_component(loaded: &Loaded) -> bool {
    match &loaded.compiled {
        Compiled::Module(_) => false,
        Compiled::Component(c) => {
            let engine = c.engine();
            c.component_type()
                .exports(engine)
                .any(|(name, _)| name.split('@').next() == Some("nanoproc:plugin/handler"))
        }
    }
}

/// A loaded plugin: a core module speaking the bytes ABI (docs/abi.md), or a component of the
/// `nanoproc:plugin` world (wit/plugin.wit). Cheap to clone, `Send + Sync`: call it from many
/// threads at once; by default every call runs in a fresh sandbox (its own instance, memory
/// and limits).
#[derive(Clone)]
pub struct Plugin {
    flavor: Flavor,
}

#[derive(Clone)]
enum Flavor {
    Core(CorePlugin),
    Component(Arc<typed::ComponentPlugin>),
}

impl Plugin {
    /// Starts a [`PluginBuilder`].
    pub fn builder(engine: &Engine) -> PluginBuilder {
        PluginBuilder::new(engine)
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        match &self.flavor {
            Flavor::Core(p) => p.name(),
            Flavor::Component(p) => p.name(),
        }
    }

    /// Whether this plugin is a component (`nanoproc:plugin` world) rather than a core module.
    pub fn is_component(&self) -> bool {
        matches!(self.flavor, Flavor::Component(_))
    }

    /// The callable functions, sorted: exports of type `(i32, i32) -> i64` for a core module,
    /// what `handler.functions()` listed for a component.
    pub fn functions(&self) -> Vec<&str> {
        match &self.flavor {
            Flavor::Core(p) => p.functions(),
            Flavor::Component(p) => p.functions(),
        }
    }

    /// A handle that cancels the calls in flight.
    pub fn cancel_handle(&self) -> CancelHandle {
        match &self.flavor {
            Flavor::Core(p) => p.cancel_handle(),
            Flavor::Component(p) => CancelHandle {
                state: p.cancel_state(),
            },
        }
    }

    /// Calls `function` with `input` in a fresh sandbox, under the policy's limits.
    pub fn call(&self, function: &str, input: &[u8]) -> Result<Vec<u8>> {
        self.call_with(function, input, &CallOptions::default())
    }

    /// Calls `function` in a fresh sandbox with per-call limits.
    pub fn call_with(
        &self,
        function: &str,
        input: &[u8],
        options: &CallOptions,
    ) -> Result<Vec<u8>> {
        match &self.flavor {
            Flavor::Core(p) => p.call_with(function, input, options),
            Flavor::Component(p) => p.call(function, input, options),
        }
    }

    /// A sandbox that stays alive between calls, so the plugin's state persists (the
    /// "reuse" isolation mode). After a trap or limit hit it is replaced by a fresh one.
    pub fn instance(&self) -> Result<PluginInstance> {
        Ok(PluginInstance {
            kind: match &self.flavor {
                Flavor::Core(p) => InstanceKind::Core {
                    live: Some(p.instantiate()?),
                    plugin: p.clone(),
                },
                Flavor::Component(p) => InstanceKind::Component {
                    live: Some(p.instantiate(None, None)?),
                    plugin: p.clone(),
                },
            },
        })
    }
}

/// A core-module plugin (bytes ABI).
#[derive(Clone)]
struct CorePlugin {
    inner: Arc<Inner>,
}

impl CorePlugin {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn functions(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .inner
            .exports
            .functions
            .keys()
            .map(String::as_str)
            .collect();
        v.sort_unstable();
        v
    }

    fn cancel_handle(&self) -> CancelHandle {
        CancelHandle {
            state: self.inner.shared.cancel.clone(),
        }
    }

    fn call_with(&self, function: &str, input: &[u8], options: &CallOptions) -> Result<Vec<u8>> {
        let export = self.export(function)?;
        let mut live = self.instantiate_with(options.max_memory, options.cancel.as_ref())?;
        let f = live.resolve(function, || Ok(export), false)?;
        live.call_func(f, input, options)
    }

    fn export(&self, function: &str) -> Result<ModuleExport> {
        if let Some(e) = self.inner.exports.functions.get(function) {
            return Ok(*e);
        }
        Err(Error::AbiViolation(
            match self.inner.exports.others.get(function) {
                Some(ty) => format!(
                    "`{}` exports `{function}` as {ty}, but plugin functions must be (i32, i32) -> i64 (docs/abi.md)",
                    self.inner.name
                ),
                None => format!(
                    "`{}` has no function `{function}`; it exports: {}",
                    self.inner.name,
                    self.functions().join(", ")
                ),
            },
        ))
    }

    fn check_version(&self) -> Result<()> {
        let mut live = self.instantiate()?;
        let version: TypedFunc<(), i32> = live.typed(&self.inner.exports.version)?;
        let v = version
            .call(&mut live.store, ())
            .map_err(|e| live.classify(e))?;
        if v != ABI_VERSION {
            return Err(Error::InvalidModule(format!(
                "`{}` speaks plugin ABI version {v}; this host speaks version {ABI_VERSION}",
                self.inner.name
            )));
        }
        Ok(())
    }

    fn new_store(&self, max_memory: Option<u64>) -> Result<Store<PluginState>> {
        let inner = &self.inner;
        let (wasi, parts) = if inner.needs_wasi {
            let mut parts = crate::wasi::build(&inner.policy, &inner.name, &inner.shared.audit)?;
            (Some(parts.builder.build_p1()), Some(parts))
        } else {
            (None, None)
        };
        let state = PluginState {
            wasi,
            budget: MemoryBudget::new(
                max_memory.unwrap_or(inner.policy.limits.max_memory),
                inner.shared.audit.clone(),
            ),
            shared: inner.shared.clone(),
            call: CallState::default(),
            _wasi_parts: parts,
        };
        let mut store = Store::new(inner.engine.wasmtime(), state);
        store.limiter(|s| &mut s.budget);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|ctx| {
            let s = ctx.data();
            s.shared
                .cancel
                .check_call(&s.call.token, s.call.deadline, s.call.timeout)?;
            Ok(UpdateDeadline::Continue(1))
        });
        Ok(store)
    }

    fn instantiate(&self) -> Result<Live> {
        self.instantiate_with(None, None)
    }

    /// A fresh sandbox; `cancel` also stops its start-up (a `start` function, `_initialize`).
    fn instantiate_with(
        &self,
        max_memory: Option<u64>,
        cancel: Option<&CancelHandle>,
    ) -> Result<Live> {
        let _nesting = NestingGuard::enter(self.inner.engine.max_wasm_stack())?;
        let mut store = self.new_store(max_memory)?;
        let limits = self.inner.policy.limits.clone();
        store.data_mut().call.token = CallToken::start(&self.inner.shared.cancel, cancel);
        // A `start` function, `_initialize` and the version check run under the policy's
        // deadline too (each call then sets its own).
        store.data_mut().call.timeout = limits.timeout;
        store.data_mut().call.deadline = limits.timeout.map(|t| Instant::now() + t);
        if self.inner.engine.fuel_enabled() {
            let _ = store.set_fuel(limits.fuel.unwrap_or(u64::MAX));
        }
        let instance = match self.inner.pre.instantiate(&mut store) {
            Ok(i) => i,
            Err(e) => {
                return Err(crate::error::classify(e, &limits, &self.inner.shared.audit)
                    .err()
                    .unwrap_or_else(|| Error::Guest("the plugin exited while starting".into())));
            }
        };
        let memory = match instance.get_module_export(&mut store, &self.inner.exports.memory) {
            Some(Extern::Memory(m)) => m,
            _ => {
                return Err(Error::AbiViolation(
                    "the plugin's `memory` export is not a memory".into(),
                ));
            }
        };
        let mut live = Live {
            store,
            instance,
            memory,
            plugin: self.clone(),
            alloc: None,
            funcs: foldhash::HashMap::default(),
        };
        if let Some(init) = &self.inner.exports.initialize {
            let f: TypedFunc<(), ()> = live.typed(init)?;
            f.call(&mut live.store, ()).map_err(|e| live.classify(e))?;
        }
        Ok(live)
    }
}

/// One live sandbox of a plugin.
struct Live {
    store: Store<PluginState>,
    instance: Instance,
    memory: Memory,
    plugin: CorePlugin,
    /// `nanoproc_alloc`, resolved on first use.
    alloc: Option<TypedFunc<i32, i32>>,
    /// Functions already resolved in this instance (reused instances only).
    funcs: foldhash::HashMap<String, TypedFunc<(i32, i32), i64>>,
}

impl Live {
    fn typed<P: wasmtime::WasmParams, R: wasmtime::WasmResults>(
        &mut self,
        e: &ModuleExport,
    ) -> Result<TypedFunc<P, R>> {
        match self.instance.get_module_export(&mut self.store, e) {
            Some(Extern::Func(f)) => f
                .typed::<P, R>(&self.store)
                .map_err(|err| Error::AbiViolation(one_line(&format!("{err:#}")))),
            _ => Err(Error::AbiViolation(
                "an export the ABI needs is not a function".into(),
            )),
        }
    }

    /// The error for what stopped a call; a per-call fuel budget is named instead of the
    /// policy's.
    fn classify(&self, e: wasmtime::Error) -> Error {
        let inner = &self.plugin.inner;
        let mut limits = inner.policy.limits.clone();
        limits.fuel = self.store.data().call.fuel.or(limits.fuel);
        crate::error::classify_call(e, &limits, &inner.shared.audit, &inner.name)
    }

    /// The plugin function `name`: cached in this instance, else found by `export` (and
    /// cached if `cache`: reused instances). A warm call makes this one lookup.
    fn resolve(
        &mut self,
        name: &str,
        export: impl FnOnce() -> Result<ModuleExport>,
        cache: bool,
    ) -> Result<TypedFunc<(i32, i32), i64>> {
        if let Some(f) = self.funcs.get(name) {
            return Ok(f.clone());
        }
        let f: TypedFunc<(i32, i32), i64> = self.typed(&export()?)?;
        if cache {
            self.funcs.insert(name.to_string(), f.clone());
        }
        Ok(f)
    }

    /// Runs one call of `f`: input in (one copy), call, output out (one copy).
    fn call_func(
        &mut self,
        f: TypedFunc<(i32, i32), i64>,
        input: &[u8],
        options: &CallOptions,
    ) -> Result<Vec<u8>> {
        let _nesting = NestingGuard::enter(self.plugin.inner.engine.max_wasm_stack())?;
        let timeout = options.timeout.or(self.plugin.inner.policy.limits.timeout);
        {
            let call = &mut self.store.data_mut().call;
            call.error = None;
            call.log_bytes = 0;
            call.token =
                CallToken::start(&self.plugin.inner.shared.cancel, options.cancel.as_ref());
            call.fuel = options.fuel;
            call.timeout = timeout;
            call.deadline = timeout.map(|t| Instant::now() + t);
        }
        // A token cancelled before the call started stops it before any guest code runs (a
        // short call would otherwise finish before the next epoch tick looks at the token).
        if options
            .cancel
            .as_ref()
            .is_some_and(CancelHandle::cancels_new_calls)
        {
            return Err(Error::Cancelled);
        }
        if let Some(fuel) = options.fuel {
            if !self.plugin.inner.engine.fuel_enabled() {
                return Err(Error::InvalidPolicy(format!(
                    "per-call fuel needs an engine with fuel metering; {}",
                    crate::engine::HOW_FUEL
                )));
            }
            let _ = self.store.set_fuel(fuel);
        }
        let budget = options
            .max_memory
            .unwrap_or(self.plugin.inner.policy.limits.max_memory);
        self.store.data_mut().budget.set_limit(budget);
        let len = u32::try_from(input.len())
            .ok()
            .filter(|l| *l <= i32::MAX as u32)
            .ok_or_else(|| {
                Error::AbiViolation(format!(
                    "{} bytes of input do not fit a wasm32 plugin",
                    input.len()
                ))
            })?;
        let ptr = if len == 0 {
            0
        } else {
            let alloc = match &self.alloc {
                Some(a) => a.clone(),
                None => {
                    let e = self.plugin.inner.exports.alloc;
                    let a: TypedFunc<i32, i32> = self.typed(&e)?;
                    self.alloc = Some(a.clone());
                    a
                }
            };
            let p = alloc
                .call(&mut self.store, len as i32)
                .map_err(|e| self.classify(e))? as u32;
            if p == 0 {
                return Err(Error::AbiViolation(format!(
                    "nanoproc_alloc({len}) returned 0 (the plugin is out of memory)"
                )));
            }
            let data = self.memory.data_mut(&mut self.store);
            let range = checked_range(data.len(), p, len, "nanoproc_alloc result for the input")?;
            data[range].copy_from_slice(input);
            p
        };
        let packed = f
            .call(&mut self.store, (ptr as i32, len as i32))
            .map_err(|e| self.classify(e))?;
        if let Some(msg) = self.store.data_mut().call.error.take() {
            return Err(Error::Guest(msg));
        }
        let (out_ptr, out_len) = unpack(packed);
        let data = self.memory.data(&self.store);
        let range = checked_range(data.len(), out_ptr, out_len, "the function's output")?;
        Ok(data[range].to_vec())
    }
}

/// A plugin sandbox kept alive between calls (state persists). Not `Sync`: use one per
/// thread, or [`Plugin::call`] for fresh sandboxes from any thread.
pub struct PluginInstance {
    kind: InstanceKind,
}

enum InstanceKind {
    Core {
        live: Option<Live>,
        plugin: CorePlugin,
    },
    Component {
        live: Option<typed::TypedLive>,
        plugin: Arc<typed::ComponentPlugin>,
    },
}

impl PluginInstance {
    /// Calls `function` in this instance.
    pub fn call(&mut self, function: &str, input: &[u8]) -> Result<Vec<u8>> {
        self.call_with(function, input, &CallOptions::default())
    }

    /// Calls `function` in this instance with per-call limits. If the call traps or hits a
    /// limit, the instance is discarded and the next call starts from a fresh one (an error
    /// the plugin returned itself, [`Error::Guest`], keeps it).
    pub fn call_with(
        &mut self,
        function: &str,
        input: &[u8],
        options: &CallOptions,
    ) -> Result<Vec<u8>> {
        let keep = |r: &Result<Vec<u8>>| !matches!(r, Err(e) if !matches!(e, Error::Guest(_)));
        match &mut self.kind {
            InstanceKind::Core { live, plugin } => {
                let l = match live {
                    Some(l) => l,
                    None => {
                        // A wrong name fails before a sandbox is made for it.
                        plugin.export(function)?;
                        live.insert(plugin.instantiate()?)
                    }
                };
                // A wrong name fails here without discarding the instance.
                let f = l.resolve(function, || plugin.export(function), true)?;
                let result = l.call_func(f, input, options);
                if !keep(&result) {
                    *live = None;
                }
                result
            }
            InstanceKind::Component { live, plugin } => {
                plugin.check_function(function)?;
                let l = match live {
                    Some(l) => l,
                    None => live.insert(plugin.instantiate(None, None)?),
                };
                let result = l.call(function, input, options);
                if !keep(&result) {
                    *live = None;
                }
                result
            }
        }
    }
}
