//! `nanoproc call FILE.wasm FUNCTION [--input TEXT | --input-file F | stdin] [--repeat N]`.

use crate::flags::SandboxFlags;
use crate::report;
use clap::Args;
use nanoproc::plugin::Plugin;
use nanoproc::{JsonLinesSink, loader};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Call a plugin function (bytes in, bytes out) in a fresh sandbox; writes its output to stdout.
#[derive(Args)]
pub struct CallCommand {
    #[command(flatten)]
    sandbox: SandboxFlags,

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

    /// The plugin: a core module following docs/abi.md (.wasm or .wat).
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// The exported function to call.
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
        let loaded = loader::load_file(&engine, &self.file)?;
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
        if self.repeat > 1 {
            eprintln!(
                "nanoproc: {} calls in {:.1} ms ({:.1} µs per call, each in a fresh sandbox)",
                self.repeat,
                elapsed.as_secs_f64() * 1e3,
                elapsed.as_secs_f64() * 1e6 / f64::from(self.repeat)
            );
        }
        Ok(0)
    }
}
