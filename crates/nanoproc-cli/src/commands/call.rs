//! `nanoproc call FILE.wasm FUNCTION [--input TEXT | --input-file F | stdin] [--repeat N]` for
//! plugins (core modules with the bytes ABI, components of the `nanoproc:plugin` world), and
//! `nanoproc call COMPONENT.wasm 'pkg:name/iface#func' --args '<JSON array>'` for any other
//! component function.

use crate::flags::SandboxFlags;
use crate::report;
use clap::Args;
use nanoproc::component::Component;
use nanoproc::plugin::Plugin;
use nanoproc::{JsonLinesSink, Loaded, ModuleKind};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Call a plugin function (bytes in, bytes out) or any component function (JSON arguments and
/// result) in a fresh sandbox; writes its output to stdout.
#[derive(Args)]
pub struct CallCommand {
    #[command(flatten)]
    sandbox: SandboxFlags,

    /// The arguments of a component function, as a JSON array (or an object by parameter
    /// name), e.g. '[1, "two", {"x": 3, "y": 4}]'; the result is printed as JSON. Mapping:
    /// docs/component-json.md [default: [] for components that are not plugins].
    #[arg(long, value_name = "JSON", conflicts_with_all = ["input", "input_file"])]
    args: Option<String>,

    /// The input, as text.
    #[arg(long, short = 'i', value_name = "TEXT", conflicts_with = "input_file")]
    input: Option<String>,

    /// Read the input from FILE (default: stdin when it is not a terminal, else empty).
    #[arg(long, value_name = "FILE")]
    input_file: Option<PathBuf>,

    /// A config value the plugin can read: KEY=VALUE. Repeatable.
    #[arg(long = "config", value_name = "KEY=VALUE")]
    config: Vec<String>,

    /// Call N times, each in a fresh sandbox; prints the last output and a timing summary.
    #[arg(long, value_name = "N", default_value_t = 1)]
    repeat: u32,

    /// Write every audit event to FILE as JSON lines.
    #[arg(long, value_name = "FILE")]
    audit: Option<PathBuf>,

    /// Do not read or write the on-disk compile cache.
    #[arg(long)]
    no_cache: bool,

    /// A plugin (a core module following docs/abi.md, or a `nanoproc:plugin` component), or
    /// any component (.wasm or .wat).
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// The function to call: a plugin function's name, or for a component
    /// `pkg:name/iface#func` (`@version` optional) or a world-level `func`; `nanoproc inspect`
    /// lists them.
    #[arg(value_name = "FUNCTION")]
    function: String,
}

impl CallCommand {
    /// Runs the subcommand; returns the process exit code.
    pub fn execute(self) -> i32 {
        match self.call() {
            Ok(code) => code,
            Err(e) => report::error(&e),
        }
    }

    fn input(&self) -> nanoproc::Result<Vec<u8>> {
        if let Some(text) = &self.input {
            return Ok(text.clone().into_bytes());
        }
        if let Some(path) = &self.input_file {
            return std::fs::read(path).map_err(|e| nanoproc::Error::Io {
                context: format!("cannot read input file `{}`", path.display()),
                source: e,
            });
        }
        let mut buf = Vec::new();
        if !std::io::stdin().is_terminal() {
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| nanoproc::Error::Io {
                    context: "cannot read stdin".into(),
                    source: e,
                })?;
        }
        Ok(buf)
    }

    fn call(&self) -> nanoproc::Result<i32> {
        let policy = self.sandbox.resolve(&[], false)?;
        if self.repeat == 0 {
            return Err(nanoproc::Error::InvalidPolicy(
                "--repeat must be at least 1".into(),
            ));
        }
        let mut eb = crate::flags::engine_builder(&policy, self.no_cache);
        if self.repeat > 1 {
            // Many short-lived sandboxes: the pooling allocator recycles their slots.
            eb.pooling(Some(nanoproc::PoolingOptions {
                total_instances: 4,
                max_memory_size: policy.limits().max_memory.min(4 << 30) as usize,
                ..Default::default()
            }));
        }
        let engine = eb.build()?;
        let loaded = crate::integrity::load(&engine, &self.file, &policy, self.audit.as_deref())?;
        let typed_plugin = nanoproc::plugin::is_plugin_component(&loaded);
        if loaded.kind == ModuleKind::Component && !typed_plugin {
            return self.call_component(&engine, loaded, policy);
        }
        if self.args.is_some() {
            return Err(nanoproc::Error::InvalidInput {
                path: "--args".into(),
                message: format!(
                    "`{}` is a plugin: it takes bytes (--input, --input-file or stdin), not JSON arguments",
                    self.file.display()
                ),
            });
        }
        let mut builder = Plugin::builder(&engine).loaded(loaded).policy(policy);
        for kv in &self.config {
            let (k, v) = kv.split_once('=').ok_or_else(|| {
                nanoproc::Error::InvalidPolicy(format!("--config `{kv}`: expected KEY=VALUE"))
            })?;
            builder = builder.config(k, v);
        }
        if let Some(path) = &self.audit {
            builder = builder.audit_sink(Arc::new(JsonLinesSink::create(path)?));
        }
        let plugin = builder.build()?;
        let input = self.input()?;
        let started = Instant::now();
        let mut output = Vec::new();
        for _ in 0..self.repeat {
            output = plugin.call(&self.function, &input)?;
        }
        let elapsed = started.elapsed();
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&output);
        let _ = out.flush();
        self.report_repeat(elapsed);
        Ok(0)
    }

    fn report_repeat(&self, elapsed: std::time::Duration) {
        if self.repeat > 1 {
            eprintln!(
                "nanoproc: {} calls in {:.1} ms ({:.1} µs per call, each in a fresh sandbox)",
                self.repeat,
                elapsed.as_secs_f64() * 1e3,
                elapsed.as_secs_f64() * 1e6 / f64::from(self.repeat)
            );
        }
    }

    /// Calls a function of a component that is not a plugin: JSON arguments in, JSON out.
    fn call_component(
        &self,
        engine: &nanoproc::Engine,
        loaded: Loaded,
        policy: nanoproc::Policy,
    ) -> nanoproc::Result<i32> {
        if !self.config.is_empty() {
            return Err(nanoproc::Error::InvalidPolicy(
                "--config is for plugins (`nanoproc:plugin` components read it with host.config-get); this component is called through its own world".into(),
            ));
        }
        let args: serde_json::Value = match &self.args {
            None => serde_json::Value::Array(Vec::new()),
            Some(text) => {
                serde_json::from_str(text).map_err(|e| nanoproc::Error::InvalidInput {
                    path: "--args".into(),
                    message: format!("not valid JSON: {e}"),
                })?
            }
        };
        let mut builder = Component::builder(engine).loaded(loaded).policy(policy);
        if let Some(path) = &self.audit {
            builder = builder.audit_sink(Arc::new(JsonLinesSink::create(path)?));
        }
        let component = builder.build()?;
        let started = Instant::now();
        let mut result = serde_json::Value::Null;
        for _ in 0..self.repeat {
            result = component.call_json(&self.function, &args)?;
        }
        let elapsed = started.elapsed();
        let text = serde_json::to_string(&result)
            .map_err(|e| nanoproc::Error::Internal(format!("cannot print the result: {e}")))?;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
        self.report_repeat(elapsed);
        Ok(0)
    }
}
