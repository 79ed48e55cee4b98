//! Component plugins: components of the `nanoproc:plugin` world (`wit/plugin.wit`), the typed
//! equivalent of the bytes ABI. Same [`super::Plugin`] API, isolation modes and limits.

use crate::audit::{Audit, AuditSink, Decision};
use crate::component::store::{self, ComponentState, Ext, Live, Shared};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::plugin::host_fn::{HostFailure, emit_log, host_error, invoke};
use crate::plugin::{CallOptions, CancelState, HostFunctions};
use crate::policy::Policy;
use std::collections::BTreeMap;
use std::sync::Arc;
use wasmtime::component::{HasSelf, InstancePre};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit/plugin.wit",
        world: "nanoproc:plugin/plugin",
        imports: { default: trappable },
        exports: { default: async },
    });
}

use bindings::nanoproc::plugin::host::{self, Level};

/// The interface a component plugin must export.
pub(crate) const HANDLER: &str = "nanoproc:plugin/handler@0.1.0";
/// The interface nanoproc provides to component plugins.
pub(crate) const HOST: &str = "nanoproc:plugin/host";

/// At most this many function names are accepted from a plugin's `functions()`.
const MAX_FUNCTIONS: usize = 4096;

/// A loaded component plugin.
pub(crate) struct ComponentPlugin {
    shared: Arc<Shared>,
    pre: InstancePre<ComponentState>,
    indices: bindings::PluginIndices,
    functions: Vec<String>,
}

/// What [`ComponentPlugin::build`] needs from the plugin builder.
pub(crate) struct Parts {
    pub(crate) engine: Engine,
    pub(crate) name: String,
    pub(crate) policy: Policy,
    pub(crate) host: HostFunctions,
    pub(crate) config: BTreeMap<String, String>,
    pub(crate) sinks: Vec<Arc<dyn AuditSink>>,
}

impl ComponentPlugin {
    /// Links the plugin (WASI preview 2 from its policy, plus `nanoproc:plugin/host`), checks
    /// it exports the handler, and asks it for its functions under the policy's limits.
    pub(crate) fn build(
        parts: Parts,
        component: &wasmtime::component::Component,
    ) -> Result<ComponentPlugin> {
        let shared = Arc::new(Shared {
            name: parts.name,
            engine: parts.engine,
            policy: parts.policy,
            config: parts.config,
            host: parts.host,
            cancel: Arc::new(CancelState::default()),
            audit: Audit::forwarding(parts.sinks),
        });
        let pre = crate::component::link(&shared, component, &[HOST], |linker| {
            host::add_to_linker::<ComponentState, HasSelf<Ext>>(linker, |s| &mut s.ext)
        })?;
        let indices = bindings::PluginIndices::new(&pre).map_err(|e| {
            Error::InvalidModule(format!(
                "`{}` is a component but not a nanoproc plugin: it does not export `{HANDLER}` (wit/plugin.wit): {}",
                shared.name,
                crate::loader::one_line(&format!("{e:#}"))
            ))
        })?;
        shared.engine.ensure_ticker();
        let mut plugin = ComponentPlugin {
            shared,
            pre,
            indices,
            functions: Vec::new(),
        };
        let mut live = plugin.instantiate(None, None)?;
        let mut names = live.functions()?;
        if names.len() > MAX_FUNCTIONS {
            return Err(Error::AbiViolation(format!(
                "`{}` lists {} functions; at most {MAX_FUNCTIONS} are accepted",
                plugin.shared.name,
                names.len()
            )));
        }
        names.sort_unstable();
        names.dedup();
        plugin.functions = names;
        Ok(plugin)
    }

    pub(crate) fn name(&self) -> &str {
        &self.shared.name
    }

    pub(crate) fn functions(&self) -> Vec<&str> {
        self.functions.iter().map(String::as_str).collect()
    }

    pub(crate) fn cancel_state(&self) -> Arc<CancelState> {
        self.shared.cancel.clone()
    }

    /// Fails unless the plugin listed `function` in `functions()`.
    pub(crate) fn check_function(&self, function: &str) -> Result<()> {
        if self.functions.iter().any(|f| f == function) {
            return Ok(());
        }
        Err(Error::AbiViolation(format!(
            "`{}` has no function `{function}`; it exports: {}",
            self.shared.name,
            self.functions.join(", ")
        )))
    }

    /// A fresh sandbox of this plugin.
    pub(crate) fn instantiate(
        &self,
        max_memory: Option<u64>,
        cancel: Option<&crate::plugin::CancelHandle>,
    ) -> Result<TypedLive> {
        let live = store::instantiate(&self.shared, &self.pre, max_memory, cancel)?;
        Ok(TypedLive {
            live,
            indices: self.indices.clone(),
        })
    }

    /// Calls `function` in a fresh sandbox.
    pub(crate) fn call(
        &self,
        function: &str,
        input: &[u8],
        options: &CallOptions,
    ) -> Result<Vec<u8>> {
        self.check_function(function)?;
        self.instantiate(options.max_memory, options.cancel.as_ref())?
            .call(function, input, options)
    }
}

/// One live sandbox of a component plugin.
pub(crate) struct TypedLive {
    live: Live,
    indices: bindings::PluginIndices,
}

impl TypedLive {
    fn functions(&mut self) -> Result<Vec<String>> {
        let indices = self.indices.clone();
        self.live
            .run(&CallOptions::default(), move |store, instance| {
                Box::pin(async move {
                    let plugin = indices.load(&mut *store, instance)?;
                    plugin
                        .nanoproc_plugin_handler()
                        .call_functions(&mut *store)
                        .await
                })
            })
    }

    /// Calls `function` in this sandbox.
    pub(crate) fn call(
        &mut self,
        function: &str,
        input: &[u8],
        options: &CallOptions,
    ) -> Result<Vec<u8>> {
        let indices = self.indices.clone();
        let result = self.live.run(options, move |store, instance| {
            Box::pin(async move {
                let plugin = indices.load(&mut *store, instance)?;
                plugin
                    .nanoproc_plugin_handler()
                    .call_call(&mut *store, function, input)
                    .await
            })
        })?;
        result.map_err(Error::Guest)
    }
}

impl host::Host for Ext {
    fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let level = match level {
            Level::Error => 0,
            Level::Warn => 1,
            Level::Info => 2,
            Level::Debug => 3,
            Level::Trace => 4,
        };
        emit_log(&self.shared.name, level, &message, &mut self.call.log_bytes);
        Ok(())
    }

    fn config_get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.shared.config.get(&key).cloned())
    }

    fn call_host(
        &mut self,
        name: String,
        input: Vec<u8>,
    ) -> wasmtime::Result<std::result::Result<Vec<u8>, String>> {
        let shared = self.shared.clone();
        let audit = &shared.audit;
        let shown: String = name
            .chars()
            .take(256)
            .flat_map(char::escape_default)
            .collect();
        let Some((ns, n)) = name.split_once("::") else {
            audit.event(
                "host_fn",
                shown.as_str(),
                Decision::Denied,
                "not a `namespace::function` name",
            );
            return Ok(Err(format!(
                "`{shown}` is not a host function name; names are `namespace::function`"
            )));
        };
        if !shared.policy.grants_host_fn(ns, n) {
            let how = format!(
                "grant it with --allow-host-fn {shown} (policy key host_functions = [\"{shown}\"])"
            );
            audit.event("host_fn", shown.as_str(), Decision::Denied, how.clone());
            return Ok(Err(format!(
                "plugin `{}` may not call host function `{shown}`: its policy does not grant it; {how}",
                shared.name
            )));
        }
        let Some(f) = shared.host.get(ns, n) else {
            audit.event(
                "host_fn",
                shown.as_str(),
                Decision::Denied,
                "granted, but this host does not provide it",
            );
            return Ok(Err(format!(
                "host function `{shown}` is granted but this host does not provide it (register it with HostFunctions::register)"
            )));
        };
        let ctx = self.host_context();
        Ok(
            match invoke(f.as_ref(), &shown, &ctx, &input, self.call.timeout, audit)? {
                Ok(out) => Ok(out),
                // The host function's own error is the guest's to handle (result<_, string>).
                Err(HostFailure::Returned(message)) => Err(message),
                Err(HostFailure::Panicked(message)) => return Err(host_error(shown, message)),
            },
        )
    }
}
