//! Components with any world: list their exported functions and call them with dynamic
//! values ([`Val`]) or JSON, each call in a fresh sandbox by default.

use super::json;
use super::store::{self, CallFuture, ComponentState, ComponentStore, Live, Shared};
use crate::audit::{Audit, AuditSink};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::loader::{Compiled, Loaded, Source, one_line};
use crate::plugin::{CallOptions, CancelHandle, CancelState, HostFunctions};
use crate::policy::Policy;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{ComponentExportIndex, Instance, InstancePre, Linker, Type, Val};

/// Builds a [`Component`].
pub struct ComponentBuilder {
    engine: Engine,
    source: Option<Source>,
    name: Option<String>,
    policy: Policy,
    sinks: Vec<Arc<dyn AuditSink>>,
}

impl ComponentBuilder {
    /// Starts a component on `engine` with the default (deny-everything) policy.
    pub fn new(engine: &Engine) -> Self {
        ComponentBuilder {
            engine: engine.clone(),
            source: None,
            name: None,
            policy: Policy::default(),
            sinks: Vec::new(),
        }
    }
    /// The component, from a `.wasm` (or WAT text) file.
    pub fn wasm_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.source = Some(Source::File(path.into()));
        self
    }
    /// The component, from bytes.
    pub fn wasm_bytes(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.source = Some(Source::Bytes(bytes.into()));
        self
    }
    /// The component, already loaded.
    pub fn loaded(mut self, loaded: Loaded) -> Self {
        self.source = Some(Source::Loaded(Box::new(loaded)));
        self
    }
    /// Its name in logs and errors (default: the file name).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// What its sandboxes may do (default: nothing). WASI preview 2 is granted from it.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }
    /// Sends its audit events to `sink` too.
    pub fn audit_sink(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// Loads and links the component: every import must be a WASI preview 2 interface its
    /// policy allows. Fails with [`Error::Denied`] naming the first import that is not.
    pub fn build(self) -> Result<Component> {
        let loaded = Source::load(
            self.source,
            &self.engine,
            self.name.as_deref().unwrap_or("component"),
            "component",
            self.policy.integrity(),
            &Audit::forwarding(self.sinks.clone()),
        )?;
        let name = self.name.unwrap_or_else(|| loaded.name.clone());
        let Compiled::Component(component) = &loaded.compiled else {
            return Err(Error::InvalidModule(format!(
                "`{name}` is a core module, not a component; call its functions with `nanoproc call` / `Plugin` (bytes ABI, docs/abi.md)"
            )));
        };
        self.engine.check_fuel(&self.policy)?;
        let shared = Arc::new(Shared {
            name: name.clone(),
            engine: self.engine.clone(),
            policy: self.policy,
            config: BTreeMap::new(),
            host: HostFunctions::new(),
            cancel: Arc::new(CancelState::default()),
            audit: Audit::forwarding(self.sinks),
        });
        let pre = link(&shared, component, &[], |_| Ok(()))?;
        let functions = exported_functions(&self.engine, component);
        self.engine.ensure_ticker();
        Ok(Component {
            inner: Arc::new(Inner {
                shared,
                pre,
                functions,
            }),
        })
    }
}

/// Links `component` with WASI preview 2 and whatever `extra` adds (interfaces named in
/// `provided`), after checking its imports against the policy.
pub(crate) fn link(
    shared: &Shared,
    component: &wasmtime::component::Component,
    provided: &[&str],
    extra: impl FnOnce(&mut Linker<ComponentState>) -> wasmtime::Result<()>,
) -> Result<InstancePre<ComponentState>> {
    crate::wasi::check_imports(
        shared.engine.wasmtime(),
        component,
        &shared.name,
        &shared.policy,
        provided,
    )?;
    let mut linker = Linker::<ComponentState>::new(shared.engine.wasmtime());
    crate::wasi::p2::add_to_linker(&mut linker)
        .and_then(|()| extra(&mut linker))
        .map_err(|e| Error::Internal(format!("cannot link WASI preview 2: {e:#}")))?;
    linker.instantiate_pre(component).map_err(|e| Error::Denied {
        what: format!(
            "`{}` needs an import nanoproc does not provide: {}",
            shared.name,
            one_line(&format!("{e:#}"))
        ),
        how: "components may import the WASI preview 2 interfaces their policy allows; run `nanoproc inspect` to list the imports".into(),
    })
}

/// One exported function of a component, with its WIT signature.
#[derive(Clone)]
pub struct ExportedFunction {
    name: String,
    interface: Option<String>,
    function: String,
    params: Vec<(String, Type)>,
    results: Vec<Type>,
    index: ComponentExportIndex,
}

impl std::fmt::Debug for ExportedFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportedFunction")
            .field("name", &self.name)
            .field("signature", &self.signature())
            .finish()
    }
}

impl ExportedFunction {
    /// The name to call it by: `pkg:name/iface@version#func` for a function of an exported
    /// interface, `func` for a function the world exports directly.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The exported interface (`pkg:name/iface@version`), if any.
    pub fn interface(&self) -> Option<&str> {
        self.interface.as_deref()
    }
    /// The function's own name.
    pub fn function(&self) -> &str {
        &self.function
    }
    /// Parameter names and types, in order.
    pub fn params(&self) -> &[(String, Type)] {
        &self.params
    }
    /// Result types (zero or one in WIT today).
    pub fn results(&self) -> &[Type] {
        &self.results
    }
    /// The signature in WIT syntax, e.g. `func(a: u32, b: string) -> option<u8>`.
    pub fn signature(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(n, t)| format!("{n}: {}", json::type_name(t)))
            .collect();
        let mut s = format!("func({})", params.join(", "));
        match self.results.as_slice() {
            [] => {}
            [one] => s.push_str(&format!(" -> {}", json::type_name(one))),
            many => {
                let r: Vec<String> = many.iter().map(json::type_name).collect();
                s.push_str(&format!(" -> ({})", r.join(", ")));
            }
        }
        s
    }
    /// Whether `wanted` names this function: its full name, or the same without the
    /// interface's `@version`.
    fn is_called(&self, wanted: &str) -> bool {
        if self.name == wanted {
            return true;
        }
        match (&self.interface, wanted.split_once('#')) {
            (Some(iface), Some((w_iface, w_func))) => {
                w_func == self.function && unversioned(iface) == unversioned(w_iface)
            }
            _ => false,
        }
    }
}

fn unversioned(iface: &str) -> &str {
    iface.split_once('@').map_or(iface, |(n, _)| n)
}

/// Every function the component exports, directly or in an exported interface, sorted.
fn exported_functions(
    engine: &Engine,
    component: &wasmtime::component::Component,
) -> Vec<ExportedFunction> {
    let e = engine.wasmtime();
    let mut out = Vec::new();
    for (name, item) in component.component_type().exports(e) {
        match item.ty {
            ComponentItem::ComponentFunc(f) => {
                if let Some(index) = component.get_export_index(None, name) {
                    out.push(ExportedFunction {
                        name: name.to_string(),
                        interface: None,
                        function: name.to_string(),
                        params: f.params().map(|(n, t)| (n.to_string(), t)).collect(),
                        results: f.results().collect(),
                        index,
                    });
                }
            }
            ComponentItem::ComponentInstance(inst) => {
                let Some(iface_index) = component.get_export_index(None, name) else {
                    continue;
                };
                for (fname, fitem) in inst.exports(e) {
                    if let ComponentItem::ComponentFunc(f) = fitem.ty
                        && let Some(index) = component.get_export_index(Some(&iface_index), fname)
                    {
                        out.push(ExportedFunction {
                            name: format!("{name}#{fname}"),
                            interface: Some(name.to_string()),
                            function: fname.to_string(),
                            params: f.params().map(|(n, t)| (n.to_string(), t)).collect(),
                            results: f.results().collect(),
                            index,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

struct Inner {
    shared: Arc<Shared>,
    pre: InstancePre<ComponentState>,
    functions: Vec<ExportedFunction>,
}

/// A loaded component of any world, linked with the WASI preview 2 its policy grants.
/// Cheap to clone, `Send + Sync`; every [`Component::call`] runs in a fresh sandbox (its own
/// instance, memory and limits). For state across calls use [`Component::instance`].
///
/// ```no_run
/// use nanoproc::component::Component;
/// use nanoproc::{Engine, Policy};
/// use nanoproc::wasmtime::component::Val;
/// # fn main() -> nanoproc::Result<()> {
/// let engine = Engine::new()?;
/// let component = Component::builder(&engine)
///     .wasm_file("examples/components/bin/types.wasm")
///     .policy(Policy::default())
///     .build()?;
/// let out = component.call("nanoproc:examples/all-types#echo-u8", &[Val::U8(7)])?;
/// let json = component.call_json(
///     "nanoproc:examples/all-types#echo-string",
///     &serde_json::json!(["hello"]),
/// )?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Component {
    inner: Arc<Inner>,
}

impl Component {
    /// Starts a [`ComponentBuilder`].
    pub fn builder(engine: &Engine) -> ComponentBuilder {
        ComponentBuilder::new(engine)
    }

    /// The component's name.
    pub fn name(&self) -> &str {
        &self.inner.shared.name
    }

    /// Every exported function, sorted by name.
    pub fn functions(&self) -> &[ExportedFunction] {
        &self.inner.functions
    }

    /// The exported function called `name` (`pkg:name/iface#func`, with or without the
    /// interface's `@version`, or a world-level `func`).
    pub fn function(&self, name: &str) -> Result<&ExportedFunction> {
        if let Some(f) = self.inner.functions.iter().find(|f| f.is_called(name)) {
            return Ok(f);
        }
        let names: Vec<&str> = self.inner.functions.iter().map(|f| f.name()).collect();
        let same_function: Vec<&str> = self
            .inner
            .functions
            .iter()
            .filter(|f| f.interface.is_some() && f.function == name)
            .map(|f| f.name())
            .collect();
        let hint = if !same_function.is_empty() {
            format!(
                " (functions of exported interfaces are named `interface#function`: did you mean `{}`?)",
                same_function.join("` or `")
            )
        } else {
            String::new()
        };
        Err(Error::InvalidInput {
            path: "function".into(),
            message: format!(
                "`{}` exports no function `{name}`{hint}; it exports: {}",
                self.name(),
                if names.is_empty() {
                    "no functions".to_string()
                } else {
                    names.join(", ")
                }
            ),
        })
    }

    /// A handle that cancels the calls in flight.
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle {
            state: self.inner.shared.cancel.clone(),
        }
    }

    /// Calls `function` with `args` in a fresh sandbox; returns its results.
    pub fn call(&self, function: &str, args: &[Val]) -> Result<Vec<Val>> {
        self.call_with(function, args, &CallOptions::default())
    }

    /// Calls `function` in a fresh sandbox with per-call limits.
    pub fn call_with(
        &self,
        function: &str,
        args: &[Val],
        options: &CallOptions,
    ) -> Result<Vec<Val>> {
        let f = self.function(function)?.clone();
        let mut live = store::instantiate(
            &self.inner.shared,
            &self.inner.pre,
            options.max_memory,
            options.cancel.as_ref(),
        )?;
        call_val(&mut live, &f, args, options)
    }

    /// Calls `function` with its arguments as a JSON array (or an object by parameter name);
    /// returns its result as JSON (`null` for none). The mapping is in `docs/component-json.md`.
    pub fn call_json(&self, function: &str, args: &serde_json::Value) -> Result<serde_json::Value> {
        let f = self.function(function)?;
        check_results(f)?;
        let vals = json::args_to_vals(f.params.iter().cloned(), args, "$")?;
        let out = self.call(function, &vals)?;
        json::results_to_json(&out, "$")
    }

    /// A sandbox that stays alive between calls, so the component's state persists.
    pub fn instance(&self) -> Result<ComponentInstance> {
        Ok(ComponentInstance {
            live: Some(store::instantiate(
                &self.inner.shared,
                &self.inner.pre,
                None,
                None,
            )?),
            component: self.clone(),
        })
    }
}

/// Refuses, before running anything, a function whose results JSON cannot carry.
fn check_results(f: &ExportedFunction) -> Result<()> {
    f.results
        .iter()
        .try_for_each(|t| json::check_type(t, "$.result"))
}

fn call_val(
    live: &mut Live,
    f: &ExportedFunction,
    args: &[Val],
    options: &CallOptions,
) -> Result<Vec<Val>> {
    if args.len() != f.params.len() {
        return Err(Error::InvalidInput {
            path: "args".into(),
            message: format!(
                "`{}` takes {} argument(s), {} given: {}",
                f.name,
                f.params.len(),
                args.len(),
                f.signature()
            ),
        });
    }
    let index = f.index;
    let n_results = f.results.len();
    let name = f.name.clone();
    live.run(options, move |store, instance| {
        Box::pin(async move {
            let func = instance.get_func(&mut *store, index).ok_or_else(|| {
                wasmtime::Error::new(Error::Internal(format!(
                    "the export `{name}` vanished from its instance"
                )))
            })?;
            let mut results = vec![Val::Bool(false); n_results];
            func.call_async(&mut *store, args, &mut results).await?;
            Ok(results)
        })
    })
}

/// A component sandbox kept alive between calls (state persists). Not `Sync`: use one per
/// thread. After a trap or limit hit it is replaced by a fresh one on the next call.
pub struct ComponentInstance {
    live: Option<Live>,
    component: Component,
}

impl ComponentInstance {
    fn live(&mut self) -> Result<&mut Live> {
        if self.live.is_none() {
            let inner = &self.component.inner;
            self.live = Some(store::instantiate(&inner.shared, &inner.pre, None, None)?);
        }
        self.live
            .as_mut()
            .ok_or_else(|| Error::Internal("the component sandbox vanished".into()))
    }

    fn after(&mut self, failed: bool) {
        if failed {
            self.live = None;
        }
    }

    /// Calls `function` in this instance.
    pub fn call(&mut self, function: &str, args: &[Val]) -> Result<Vec<Val>> {
        self.call_with(function, args, &CallOptions::default())
    }

    /// Calls `function` in this instance with per-call limits.
    pub fn call_with(
        &mut self,
        function: &str,
        args: &[Val],
        options: &CallOptions,
    ) -> Result<Vec<Val>> {
        let f = self.component.function(function)?.clone();
        let result = call_val(self.live()?, &f, args, options);
        self.after(
            result
                .as_ref()
                .is_err_and(|e| !matches!(e, Error::InvalidInput { .. })),
        );
        result
    }

    /// [`Component::call_json`], in this instance.
    pub fn call_json(
        &mut self,
        function: &str,
        args: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        let f = self.component.function(function)?;
        check_results(f)?;
        let vals = json::args_to_vals(f.params.iter().cloned(), args, "$")?;
        let out = self.call(function, &vals)?;
        json::results_to_json(&out, "$")
    }

    /// Runs `f` with this sandbox's store and instance under the policy's limits, for typed
    /// calls through bindings that `wasmtime::component::bindgen!` generated for your world
    /// (with `exports: { default: async }`, since WASI preview 2 is async). See
    /// `docs/components.md` and `crates/nanoproc/examples/typed_component.rs`.
    pub fn with<R, F>(&mut self, f: F) -> Result<R>
    where
        R: Send,
        F: for<'a> FnOnce(&'a mut ComponentStore, &'a Instance) -> CallFuture<'a, R> + Send,
    {
        let result = self.live()?.run_any(&CallOptions::default(), f);
        self.after(result.is_err());
        result
    }
}
