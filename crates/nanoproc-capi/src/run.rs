//! Running WASI programs: `nanoproc_run_file` / `nanoproc_run_bytes` → `nanoproc_outcome`.

use crate::args::{bytes_arg, opt_str_arg, out_arg, str_arg, write_out};
use crate::buf::{give, nanoproc_buf};
use crate::engine::{self, nanoproc_engine};
use crate::error::{CError, guard, guard_value, nanoproc_error};
use crate::handles;
use crate::policy::{self, nanoproc_policy_builder};
use nanoproc::outcome::Status;
use nanoproc::{Outcome, Policy, Prepared, loader};
use std::ffi::{CString, c_char};
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

/// Opaque result of a run. Immutable: readable from any thread. Free with
/// `nanoproc_outcome_free`.
#[allow(non_camel_case_types)]
pub struct nanoproc_outcome {
    _private: [u8; 0],
}

/// Resources a run used.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct nanoproc_usage {
    /// Whether fuel was metered (then `fuel_consumed` is meaningful).
    pub fuel_metered: bool,
    /// Fuel consumed.
    pub fuel_consumed: u64,
    /// Peak bytes of all memories and tables together.
    pub peak_memory_bytes: u64,
    /// Wall-clock time from instantiation to exit, in microseconds.
    pub wall_time_us: u64,
    /// Bytes the guest wrote to stdout.
    pub stdout_bytes: u64,
    /// Bytes the guest wrote to stderr.
    pub stderr_bytes: u64,
    /// The most descriptors the guest held open at once, counting those it opened itself
    /// (not stdio or preopened directories).
    pub peak_fds: u64,
}

const NAME: &str = "nanoproc_outcome";

struct COutcome {
    outcome: Outcome,
    stopped: Option<CError>,
    json: CString,
    /// What a receipt records besides the outcome.
    loaded: nanoproc::Loaded,
    policy: Policy,
    started: SystemTime,
    ended: SystemTime,
}

fn policy_or_default(policy: *const nanoproc_policy_builder) -> Result<Policy, CError> {
    if policy.is_null() {
        Ok(Policy::default())
    } else {
        policy::build(policy, "policy")
    }
}

fn finish(
    engine: &nanoproc::Engine,
    loaded: nanoproc::Loaded,
    policy: Policy,
    outcome_out: *mut *mut nanoproc_outcome,
) -> Result<(), CError> {
    let prepared = Prepared::new(engine, &loaded, policy)?;
    let started = SystemTime::now();
    let outcome = prepared.run(Vec::new())?;
    let ended = SystemTime::now();
    let stopped = match &outcome.status {
        Status::Exited(_) => None,
        Status::Stopped(e) => Some(CError::from(e)),
    };
    let json = CString::new(outcome.to_json().to_string()).unwrap_or_default();
    let c = COutcome {
        outcome,
        stopped,
        json,
        loaded,
        policy: prepared.policy().clone(),
        started,
        ended,
    };
    // SAFETY: the callers checked `outcome_out`.
    unsafe { write_out(outcome_out, handles::register(c, NAME)) };
    Ok(())
}

/// Runs the WASI program (preview 1 module or preview 2 component) at `path` once in a fresh
/// sandbox under `policy` (NULL: the default, deny-everything policy; its args, stdin and
/// output modes apply). A program that runs gives an outcome, also when a limit stopped it or
/// it trapped (see `nanoproc_outcome_error`); errors are for what kept it from starting (an
/// invalid module, a denied import, an invalid policy). On success `*outcome_out` is a new
/// outcome the caller owns.
///
/// # Safety
/// `path` is NUL-terminated; `outcome_out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_run_file(
    engine: *const nanoproc_engine,
    path: *const c_char,
    policy: *const nanoproc_policy_builder,
    outcome_out: *mut *mut nanoproc_outcome,
) -> *mut nanoproc_error {
    guard(|| {
        out_arg(outcome_out, "outcome_out")?;
        let engine = engine::engine(engine, "engine")?;
        // SAFETY: forwarded contract.
        let path = unsafe { str_arg(path, "path") }?;
        let policy = policy_or_default(policy)?;
        // Checked against the policy's integrity requirements before anything is compiled.
        let loaded = loader::load_file_verified(&engine, path.as_ref(), policy.integrity())?;
        finish(&engine, loaded, policy, outcome_out)
    })
}

/// Runs the `len` bytes of Wasm at `wasm`, named `name` in messages (NULL: `program`), like
/// `nanoproc_run_file`.
///
/// # Safety
/// `wasm` points to `len` readable bytes; `name` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_run_bytes(
    engine: *const nanoproc_engine,
    wasm: *const u8,
    len: usize,
    name: *const c_char,
    policy: *const nanoproc_policy_builder,
    outcome_out: *mut *mut nanoproc_outcome,
) -> *mut nanoproc_error {
    guard(|| {
        out_arg(outcome_out, "outcome_out")?;
        let engine = engine::engine(engine, "engine")?;
        // SAFETY: forwarded contract.
        let (wasm, name) = unsafe { (bytes_arg(wasm, len, "wasm")?, opt_str_arg(name, "name")?) };
        let policy = policy_or_default(policy)?;
        let name = name.unwrap_or("program");
        let loaded = loader::load_bytes_verified(&engine, wasm, name, policy.integrity())?;
        finish(&engine, loaded, policy, outcome_out)
    })
}

fn outcome(o: *const nanoproc_outcome) -> Result<Arc<COutcome>, CError> {
    handles::get(o, NAME, "outcome")
}

/// The exit code: the guest's own status, or nanoproc's code for what stopped it (121 memory,
/// 122 output, 123 trap, 124 time or fuel; `docs/cli.md`). 2 for an invalid `outcome`.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_outcome_exit_code(outcome: *const nanoproc_outcome) -> i32 {
    guard_value(2, || {
        self::outcome(outcome).map_or(2, |o| o.outcome.exit_code())
    })
}

/// Why nanoproc stopped the guest (a limit, a trap) as a new error object the caller frees;
/// NULL if the guest exited on its own (with any status). An invalid `outcome` gives an
/// `NANOPROC_ERROR_INVALID_ARGUMENT` error.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_outcome_error(outcome: *const nanoproc_outcome) -> *mut nanoproc_error {
    guard(|| match &self::outcome(outcome)?.stopped {
        Some(e) => Err(e.clone()),
        None => Ok(()),
    })
}

fn stream(
    outcome: *const nanoproc_outcome,
    data_out: *mut *const u8,
    len_out: *mut usize,
    pick: fn(&Outcome) -> &[u8],
) -> *mut nanoproc_error {
    guard(|| {
        out_arg(data_out, "data_out")?;
        out_arg(len_out, "len_out")?;
        let o = self::outcome(outcome)?;
        let bytes = pick(&o.outcome);
        // The registry keeps the outcome (and so `bytes`) alive until it is freed.
        // SAFETY: both checked above.
        unsafe {
            write_out(data_out, bytes.as_ptr());
            write_out(len_out, bytes.len());
        }
        Ok(())
    })
}

/// The captured stdout (empty unless the policy captures it: `NANOPROC_OUTPUT_CAPTURE`).
/// Borrowed: valid until `outcome` is freed.
///
/// # Safety
/// Out-pointers are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_outcome_stdout(
    outcome: *const nanoproc_outcome,
    data_out: *mut *const u8,
    len_out: *mut usize,
) -> *mut nanoproc_error {
    stream(outcome, data_out, len_out, |o| &o.stdout)
}

/// The captured stderr, like `nanoproc_outcome_stdout`.
///
/// # Safety
/// Out-pointers are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_outcome_stderr(
    outcome: *const nanoproc_outcome,
    data_out: *mut *const u8,
    len_out: *mut usize,
) -> *mut nanoproc_error {
    stream(outcome, data_out, len_out, |o| &o.stderr)
}

/// What the run used.
///
/// # Safety
/// Out-pointers are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_outcome_usage(
    outcome: *const nanoproc_outcome,
    usage_out: *mut nanoproc_usage,
) -> *mut nanoproc_error {
    guard(|| {
        out_arg(usage_out, "usage_out")?;
        let o = self::outcome(outcome)?;
        let u = &o.outcome.usage;
        let usage = nanoproc_usage {
            fuel_metered: u.fuel_consumed.is_some(),
            fuel_consumed: u.fuel_consumed.unwrap_or(0),
            peak_memory_bytes: u.peak_memory_bytes,
            wall_time_us: u64::try_from(u.wall_time.as_micros()).unwrap_or(u64::MAX),
            stdout_bytes: u.stdout_bytes,
            stderr_bytes: u.stderr_bytes,
            peak_fds: u.peak_fds,
        };
        // SAFETY: checked above.
        unsafe { write_out(usage_out, usage) };
        Ok(())
    })
}

/// The whole outcome as one JSON object, NUL-terminated (what `nanoproc run --json`
/// prints: status, exit code, error, usage, the audit events and denials). Borrowed: valid
/// until `outcome` is freed. NULL for an invalid `outcome`.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_outcome_json(outcome: *const nanoproc_outcome) -> *const c_char {
    guard_value(std::ptr::null(), || {
        self::outcome(outcome).map_or(std::ptr::null(), |o| o.json.as_ptr())
    })
}

/// Frees `outcome`. NULL, and an outcome freed already, are ignored.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_outcome_free(outcome: *mut nanoproc_outcome) {
    guard_value((), || {
        handles::release::<COutcome, _>(outcome, NAME);
    })
}

/// A signed run receipt of this run (`docs/integrity.md`): JSON recording the binary's sha256
/// and signers, the policy and its digest, versions, limits, capabilities used, denials, the
/// outcome and the start and end times, signed with the Ed25519 secret key at
/// `secret_key_path` (from `nanoproc keygen`). `nanoproc verify-receipt` or
/// `nanoproc_receipt_verify` checks it. Free `*json_out` with `nanoproc_buf_free`.
///
/// # Safety
/// `secret_key_path` is NUL-terminated; `json_out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_outcome_receipt(
    outcome: *const nanoproc_outcome,
    secret_key_path: *const c_char,
    json_out: *mut nanoproc_buf,
) -> *mut nanoproc_error {
    guard(|| {
        out_arg(json_out, "json_out")?;
        let c = self::outcome(outcome)?;
        // SAFETY: forwarded contract.
        let path = unsafe { str_arg(secret_key_path, "secret_key_path") }?;
        let key = nanoproc::integrity::SecretKey::from_file(Path::new(path))?;
        let record = nanoproc::receipt::RunRecord {
            module: &c.loaded,
            policy: &c.policy,
            outcome: &c.outcome,
            started: c.started,
            ended: c.ended,
        };
        let signed = nanoproc::receipt::sign(nanoproc::receipt::build(&record), &key)?;
        let text = serde_json::to_vec_pretty(&signed)
            .map_err(|e| CError::from(nanoproc::Error::Internal(format!("receipt JSON: {e}"))))?;
        // SAFETY: checked above.
        unsafe { write_out(json_out, give(text)) };
        Ok(())
    })
}

/// Checks a run receipt (`len` bytes of JSON at `receipt`) against the host public key at
/// `pubkey_path`: NULL if it was signed by that key and not edited since, else an error of
/// kind `NANOPROC_ERROR_INTEGRITY` saying why.
///
/// # Safety
/// `receipt` points to `len` readable bytes; `pubkey_path` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_receipt_verify(
    receipt: *const u8,
    len: usize,
    pubkey_path: *const c_char,
) -> *mut nanoproc_error {
    guard(|| {
        // SAFETY: forwarded contract.
        let (bytes, path) = unsafe {
            (
                bytes_arg(receipt, len, "receipt")?,
                str_arg(pubkey_path, "pubkey_path")?,
            )
        };
        let key = nanoproc::integrity::PublicKey::from_file(Path::new(path))?;
        let text = std::str::from_utf8(bytes).map_err(|_| {
            CError::from(nanoproc::Error::Integrity(
                "the receipt is not UTF-8 JSON".into(),
            ))
        })?;
        nanoproc::receipt::verify(text, &[key])?;
        Ok(())
    })
}
