//! `run()` and `runAsync()`: a WASI program in a fresh sandbox, and the outcome it returns.

use crate::audit::{self, AuditEvent};
use crate::engine::{self, NativeEngine};
use crate::errors;
use crate::policy::NativePolicy;
use nanoproc::integrity::{PublicKey, SecretKey};
use nanoproc::{Loaded, Prepared, Status, loader};
use napi::bindgen_prelude::{AsyncTask, Buffer};
use napi::{Env, Task, sys};
use napi_derive::napi;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::SystemTime;

/// Resources a run used.
#[napi(object)]
pub struct Usage {
    /// Fuel consumed, when the engine meters fuel.
    pub fuel_consumed: Option<f64>,
    /// Peak bytes of all memories and tables together.
    pub peak_memory_bytes: f64,
    /// Wall-clock time from instantiation to exit, in milliseconds.
    pub wall_time_ms: f64,
    /// Bytes written to stdout (captured or not).
    pub stdout_bytes: f64,
    /// Bytes written to stderr (captured or not).
    pub stderr_bytes: f64,
    /// Bytes by which files in writable dirs grew, with a disk quota.
    pub disk_bytes_added: Option<f64>,
    /// The most descriptors the guest held open at once.
    pub peak_fds: f64,
}

/// The error that stopped a guest, for index.js to make the error object of.
#[napi(object)]
pub struct ErrorInfo {
    /// The JavaScript class name.
    pub class_name: String,
    /// `kind_name()`.
    pub kind: String,
    /// `detail()`.
    pub detail: String,
    /// The CLI's exit code for it.
    pub exit_code: i32,
}

/// What a run produced (index.js wraps it in an `Outcome`).
#[napi(object)]
pub struct RawOutcome {
    /// The guest's exit status, or the CLI's exit code for the error that stopped it.
    pub exit_code: i32,
    /// Whether nanoproc stopped the guest (a limit or a trap).
    pub stopped: bool,
    /// Captured stdout.
    pub stdout: Buffer,
    /// Captured stderr.
    pub stderr: Buffer,
    /// Resources used.
    pub usage: Usage,
    /// The audit events, in order.
    pub events: Vec<AuditEvent>,
    /// Events left out because the cap was reached.
    pub events_dropped: f64,
    /// The error that stopped the guest.
    pub error: Option<ErrorInfo>,
    /// The outcome as the JSON `nanoproc run --json` prints.
    pub json: String,
    /// The signed run receipt (JSON), when the run was given a receipt key.
    pub receipt: Option<Buffer>,
}

fn raw_outcome(outcome: nanoproc::Outcome) -> RawOutcome {
    let json = outcome.to_json().to_string();
    let exit_code = outcome.exit_code();
    let error = match &outcome.status {
        Status::Exited(_) => None,
        Status::Stopped(e) => Some(ErrorInfo {
            class_name: errors::class_name(e).to_string(),
            kind: e.kind_name().to_string(),
            detail: e.detail(),
            exit_code: e.exit_code(),
        }),
    };
    let u = &outcome.usage;
    RawOutcome {
        exit_code,
        stopped: error.is_some(),
        usage: Usage {
            fuel_consumed: u.fuel_consumed.map(|f| f as f64),
            peak_memory_bytes: u.peak_memory_bytes as f64,
            wall_time_ms: u.wall_time.as_secs_f64() * 1000.0,
            stdout_bytes: u.stdout_bytes as f64,
            stderr_bytes: u.stderr_bytes as f64,
            disk_bytes_added: u.disk_bytes_added.map(|b| b as f64),
            peak_fds: u.peak_fds as f64,
        },
        stdout: Buffer::from(outcome.stdout),
        stderr: Buffer::from(outcome.stderr),
        events: audit::to_js(outcome.events),
        events_dropped: outcome.events_dropped as f64,
        error,
        json,
        receipt: None,
    }
}

/// A run's outcome and, with a receipt key, its signed receipt.
fn raw_with_receipt((outcome, receipt): (nanoproc::Outcome, Option<Vec<u8>>)) -> RawOutcome {
    let mut raw = raw_outcome(outcome);
    raw.receipt = receipt.map(Buffer::from);
    raw
}

/// Loads the program, checked against the policy's integrity requirements before it is
/// compiled: an unsigned, tampered or unpinned binary is never compiled.
fn load_checked(
    engine: &nanoproc::Engine,
    path: Option<&str>,
    bytes: &[u8],
    policy: &nanoproc::Policy,
) -> nanoproc::Result<Loaded> {
    match path {
        Some(p) => loader::load_file_verified(engine, Path::new(p), policy.integrity()),
        None => loader::load_bytes_verified(engine, bytes, "module", policy.integrity()),
    }
}

/// A program to run: where its code comes from, and its policy and engine.
pub struct RunTask {
    path: Option<String>,
    bytes: Vec<u8>,
    policy: nanoproc::Policy,
    engine: nanoproc::Engine,
    receipt_key: Option<SecretKey>,
}

impl RunTask {
    #[allow(clippy::too_many_arguments)]
    fn new(
        env: sys::napi_env,
        wasm_path: Option<String>,
        wasm_bytes: Option<&[u8]>,
        policy: Option<&NativePolicy>,
        args: Option<Vec<String>>,
        stdin: Option<&[u8]>,
        engine: Option<&NativeEngine>,
        receipt_key: Option<String>,
    ) -> napi::Result<Self> {
        let receipt_key = receipt_key
            .map(|p| SecretKey::from_file(Path::new(&p)))
            .transpose()
            .map_err(|e| errors::to_napi(env, &e))?;
        let policy = match policy {
            Some(p) => p.with_io(env, args, stdin)?,
            None => {
                let p = NativePolicy {
                    policy: NativePolicy::default_builder()
                        .build()
                        .map_err(|e| errors::to_napi(env, &e))?,
                    builder: NativePolicy::default_builder(),
                };
                p.with_io(env, args, stdin)?
            }
        };
        let engine = engine::resolve(engine, policy.limits().fuel.is_some())
            .map_err(|e| errors::to_napi(env, &e))?;
        if wasm_path.is_none() && wasm_bytes.is_none() {
            return Err(errors::type_error(
                env,
                "run needs the program: a path or the module bytes",
            ));
        }
        Ok(RunTask {
            bytes: if wasm_path.is_none() {
                wasm_bytes.map(<[u8]>::to_vec).unwrap_or_default()
            } else {
                Vec::new()
            },
            path: wasm_path,
            policy,
            engine,
            receipt_key,
        })
    }

    fn run(&self) -> RunResult {
        let work = AssertUnwindSafe(|| {
            let loaded = load_checked(
                &self.engine,
                self.path.as_deref(),
                &self.bytes,
                &self.policy,
            )?;
            let prepared = Prepared::new(&self.engine, &loaded, self.policy.clone())?;
            let started = SystemTime::now();
            let outcome = prepared.run(Vec::new())?;
            let receipt = match &self.receipt_key {
                Some(key) => {
                    let record = nanoproc::receipt::RunRecord {
                        module: &loaded,
                        policy: prepared.policy(),
                        outcome: &outcome,
                        started,
                        ended: SystemTime::now(),
                    };
                    let signed = nanoproc::receipt::sign(nanoproc::receipt::build(&record), key)?;
                    // `{:#}`: serde_json's pretty form, as `nanoproc run --receipt` writes.
                    Some(format!("{signed:#}").into_bytes())
                }
                None => None,
            };
            Ok((outcome, receipt))
        });
        catch_unwind(work)
            .unwrap_or_else(|_| Err(nanoproc::Error::Internal("the run panicked".into())))
    }
}

/// What a run produced: its outcome and, with a receipt key, the signed receipt (JSON).
type RunResult = Result<(nanoproc::Outcome, Option<Vec<u8>>), nanoproc::Error>;

impl Task for RunTask {
    type Output = RunResult;
    type JsValue = RawOutcome;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.run())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<RawOutcome> {
        output
            .map(raw_with_receipt)
            .map_err(|e| errors::to_napi(env.raw(), &e))
    }
}

/// Runs a WASI program on this thread and returns its outcome.
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn run_sync(
    env: Env,
    wasm_path: Option<String>,
    wasm_bytes: Option<&[u8]>,
    policy: Option<&NativePolicy>,
    args: Option<Vec<String>>,
    stdin: Option<&[u8]>,
    engine: Option<&NativeEngine>,
    receipt_key: Option<String>,
) -> napi::Result<RawOutcome> {
    let raw = env.raw();
    let task = RunTask::new(
        raw,
        wasm_path,
        wasm_bytes,
        policy,
        args,
        stdin,
        engine,
        receipt_key,
    )?;
    task.run()
        .map(raw_with_receipt)
        .map_err(|e| errors::to_napi(raw, &e))
}

/// Runs a WASI program on a worker thread.
#[napi(catch_unwind, ts_return_type = "Promise<RawOutcome>")]
#[allow(clippy::too_many_arguments)]
pub fn run_async(
    env: Env,
    wasm_path: Option<String>,
    wasm_bytes: Option<&[u8]>,
    policy: Option<&NativePolicy>,
    args: Option<Vec<String>>,
    stdin: Option<&[u8]>,
    engine: Option<&NativeEngine>,
    receipt_key: Option<String>,
) -> napi::Result<AsyncTask<RunTask>> {
    let task = RunTask::new(
        env.raw(),
        wasm_path,
        wasm_bytes,
        policy,
        args,
        stdin,
        engine,
        receipt_key,
    )?;
    Ok(AsyncTask::new(task))
}

/// A WASI program loaded and linked once, to run many times (the native half of `Program`).
#[napi]
pub struct NativeProgram {
    engine: nanoproc::Engine,
    loaded: nanoproc::Loaded,
    builder: nanoproc::PolicyBuilder,
    prepared: Prepared,
}

/// One run of a [`NativeProgram`] on a worker thread.
pub struct ProgramTask {
    prepared: Prepared,
}

impl Task for ProgramTask {
    type Output = Result<nanoproc::Outcome, nanoproc::Error>;
    type JsValue = RawOutcome;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let prepared = &self.prepared;
        Ok(catch_unwind(AssertUnwindSafe(|| prepared.run(Vec::new())))
            .unwrap_or_else(|_| Err(nanoproc::Error::Internal("the run panicked".into()))))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<RawOutcome> {
        output
            .map(raw_outcome)
            .map_err(|e| errors::to_napi(env.raw(), &e))
    }
}

impl NativeProgram {
    /// The prepared program, with `args` and `stdin` replaced for one run.
    fn prepared(
        &self,
        env: sys::napi_env,
        args: Option<Vec<String>>,
        stdin: Option<&[u8]>,
    ) -> napi::Result<Prepared> {
        if args.is_none() && stdin.is_none() {
            return Ok(self.prepared.clone());
        }
        let mut b = self.builder.clone();
        if let Some(args) = args {
            b.args(args);
        }
        if let Some(s) = stdin {
            b.stdin(nanoproc::policy::StdinMode::Bytes(s.to_vec()));
        }
        let policy = b.build().map_err(|e| errors::to_napi(env, &e))?;
        Prepared::new(&self.engine, &self.loaded, policy).map_err(|e| errors::to_napi(env, &e))
    }
}

#[napi]
impl NativeProgram {
    /// Loads, checks and links a program: refusals (an invalid module, a denied import, a bad
    /// policy) throw here, not when it runs.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: Env,
        wasm_path: Option<String>,
        wasm_bytes: Option<&[u8]>,
        policy: Option<&NativePolicy>,
        engine: Option<&NativeEngine>,
    ) -> napi::Result<Self> {
        let raw = env.raw();
        let (builder, policy) = match policy {
            Some(p) => (p.builder.clone(), p.policy.clone()),
            None => {
                let b = NativePolicy::default_builder();
                let p = b.build().map_err(|e| errors::to_napi(raw, &e))?;
                (b, p)
            }
        };
        let engine = engine::resolve(engine, policy.limits().fuel.is_some())
            .map_err(|e| errors::to_napi(raw, &e))?;
        if wasm_path.is_none() && wasm_bytes.is_none() {
            return Err(errors::type_error(
                raw,
                "a program needs its code: a path or the module bytes",
            ));
        }
        let loaded = load_checked(
            &engine,
            wasm_path.as_deref(),
            wasm_bytes.unwrap_or_default(),
            &policy,
        )
        .map_err(|e| errors::to_napi(raw, &e))?;
        let prepared =
            Prepared::new(&engine, &loaded, policy).map_err(|e| errors::to_napi(raw, &e))?;
        Ok(NativeProgram {
            engine,
            loaded,
            builder,
            prepared,
        })
    }

    /// Runs the program once on this thread, in a fresh sandbox.
    #[napi(catch_unwind)]
    pub fn run_sync(
        &self,
        env: Env,
        args: Option<Vec<String>>,
        stdin: Option<&[u8]>,
    ) -> napi::Result<RawOutcome> {
        let raw = env.raw();
        let prepared = self.prepared(raw, args, stdin)?;
        let outcome = catch_unwind(AssertUnwindSafe(|| prepared.run(Vec::new())))
            .unwrap_or_else(|_| Err(nanoproc::Error::Internal("the run panicked".into())));
        outcome
            .map(raw_outcome)
            .map_err(|e| errors::to_napi(raw, &e))
    }

    /// Runs the program once on a worker thread, in a fresh sandbox.
    #[napi(catch_unwind, ts_return_type = "Promise<RawOutcome>")]
    pub fn run(
        &self,
        env: Env,
        args: Option<Vec<String>>,
        stdin: Option<&[u8]>,
    ) -> napi::Result<AsyncTask<ProgramTask>> {
        let prepared = self.prepared(env.raw(), args, stdin)?;
        Ok(AsyncTask::new(ProgramTask { prepared }))
    }

    /// The program's name (its file name, or `module` for bytes).
    #[napi(getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.loaded.name.clone()
    }

    /// `"module"` (WASI preview 1) or `"component"` (preview 2).
    #[napi(getter, catch_unwind)]
    pub fn kind(&self) -> String {
        match self.loaded.kind {
            nanoproc::ModuleKind::CoreModule => "module",
            nanoproc::ModuleKind::Component => "component",
        }
        .to_string()
    }

    /// The SHA-256 of the binary, in hex.
    #[napi(getter, catch_unwind)]
    pub fn sha256(&self) -> String {
        self.loaded.sha256_hex()
    }
}

/// Checks a run receipt (`run(..., {receiptKey})`, `nanoproc run --receipt`) against the host
/// public key file `host_pub_key`: returns if that key signed it and nothing changed since;
/// throws `IntegrityError` saying why otherwise.
#[napi(catch_unwind)]
pub fn verify_receipt(env: Env, receipt: &[u8], host_pub_key: String) -> napi::Result<()> {
    let raw = env.raw();
    let key =
        PublicKey::from_file(Path::new(&host_pub_key)).map_err(|e| errors::to_napi(raw, &e))?;
    let text = std::str::from_utf8(receipt).map_err(|_| {
        errors::to_napi(
            raw,
            &nanoproc::Error::Integrity("the receipt is not UTF-8 JSON".into()),
        )
    })?;
    nanoproc::receipt::verify(text, &[key]).map_err(|e| errors::to_napi(raw, &e))?;
    Ok(())
}
