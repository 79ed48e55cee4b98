//! `nanoproc_policy_builder`: what a sandbox may do. Deny by default.

use crate::args::{bytes_arg, opt_str_arg, str_arg};
use crate::error::{CError, guard, guard_value, nanoproc_error};
use crate::handles;
use nanoproc::policy::{OutputMode, StdinMode, WasiInterface};
use nanoproc::{Policy, PolicyBuilder, PolicyFile};
use std::ffi::c_char;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// Opaque policy builder. Starts as nanoproc's default policy: no directories, no
/// environment variables, no network, no host functions, 1 GiB memory, no fuel or time
/// limit, stdin empty, stdout and stderr inherited. Not for concurrent use from several
/// threads (calls are serialised; the last setter wins). Reusable: plugins and runs copy it.
/// Free with `nanoproc_policy_builder_free`.
#[allow(non_camel_case_types)]
pub struct nanoproc_policy_builder {
    _private: [u8; 0],
}

pub(crate) const NAME: &str = "nanoproc_policy_builder";

/// Where a guest's stdout or stderr goes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum nanoproc_output_mode {
    /// The host process's own stream (the default).
    NANOPROC_OUTPUT_INHERIT = 0,
    /// Kept in memory and returned in the outcome (`nanoproc_outcome_stdout`).
    NANOPROC_OUTPUT_CAPTURE = 1,
    /// Discarded (still counted against the output limit).
    NANOPROC_OUTPUT_DISCARD = 2,
}

/// The policy `policy` (argument `arg`) describes, validated.
pub(crate) fn build(policy: *const nanoproc_policy_builder, arg: &str) -> Result<Policy, CError> {
    let b = handles::get::<Mutex<PolicyBuilder>, _>(policy, NAME, arg)?;
    let b = b.lock().unwrap_or_else(|p| p.into_inner());
    Ok(b.build()?)
}

/// Applies `f` to the builder behind `policy`.
fn with(
    policy: *mut nanoproc_policy_builder,
    f: impl FnOnce(&mut PolicyBuilder) -> Result<(), CError>,
) -> *mut nanoproc_error {
    guard(|| {
        let b = handles::get::<Mutex<PolicyBuilder>, _>(policy, NAME, "policy")?;
        let mut b = b.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut b)
    })
}

/// A new policy builder with the defaults above. Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_policy_builder_new() -> *mut nanoproc_policy_builder {
    guard_value(std::ptr::null_mut(), || {
        handles::register(Mutex::new(PolicyBuilder::new()), NAME)
    })
}

/// Frees `policy`. NULL, and a builder freed already, are ignored.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_policy_builder_free(policy: *mut nanoproc_policy_builder) {
    guard_value((), || {
        handles::release::<Mutex<PolicyBuilder>, _>(policy, NAME);
    })
}

/// Mounts host directory `host_dir` at guest path `guest_dir`, read-only unless `writable`.
///
/// # Safety
/// Strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_policy_builder_dir(
    policy: *mut nanoproc_policy_builder,
    host_dir: *const c_char,
    guest_dir: *const c_char,
    writable: bool,
) -> *mut nanoproc_error {
    with(policy, |b| {
        // SAFETY: forwarded contract.
        let (host, guest) = unsafe {
            (
                str_arg(host_dir, "host_dir")?,
                str_arg(guest_dir, "guest_dir")?,
            )
        };
        b.mount(host, guest, writable);
        Ok(())
    })
}

/// Sets environment variable `name` to `value` for the guest.
///
/// # Safety
/// Strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_policy_builder_env(
    policy: *mut nanoproc_policy_builder,
    name: *const c_char,
    value: *const c_char,
) -> *mut nanoproc_error {
    with(policy, |b| {
        // SAFETY: forwarded contract.
        let (name, value) = unsafe { (str_arg(name, "name")?, str_arg(value, "value")?) };
        b.env(name, value);
        Ok(())
    })
}

/// Passes the host's environment variable `name` through (if it is set).
///
/// # Safety
/// `name` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_policy_builder_inherit_env(
    policy: *mut nanoproc_policy_builder,
    name: *const c_char,
) -> *mut nanoproc_error {
    with(policy, |b| {
        // SAFETY: forwarded contract.
        b.inherit_env(unsafe { str_arg(name, "name") }?);
        Ok(())
    })
}

/// Appends `arg` to the program's arguments (after its name) for `nanoproc_run_*`.
///
/// # Safety
/// `arg` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_policy_builder_arg(
    policy: *mut nanoproc_policy_builder,
    arg: *const c_char,
) -> *mut nanoproc_error {
    with(policy, |b| {
        // SAFETY: forwarded contract.
        b.arg(unsafe { str_arg(arg, "arg") }?);
        Ok(())
    })
}

/// The guest's stdin: these `len` bytes (copied), then end of file.
///
/// # Safety
/// `data` points to `len` readable bytes (any pointer when `len` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_policy_builder_stdin(
    policy: *mut nanoproc_policy_builder,
    data: *const u8,
    len: usize,
) -> *mut nanoproc_error {
    with(policy, |b| {
        // SAFETY: forwarded contract.
        let data = unsafe { bytes_arg(data, len, "data") }?;
        b.stdin(StdinMode::Bytes(data.to_vec()));
        Ok(())
    })
}

fn output_mode(mode: nanoproc_output_mode) -> OutputMode {
    match mode {
        nanoproc_output_mode::NANOPROC_OUTPUT_INHERIT => OutputMode::Inherit,
        nanoproc_output_mode::NANOPROC_OUTPUT_CAPTURE => OutputMode::Capture,
        nanoproc_output_mode::NANOPROC_OUTPUT_DISCARD => OutputMode::Null,
    }
}

/// Checks a mode number from C (an enum value out of range would be undefined behaviour if
/// taken as the enum type, so the ABI takes an integer).
fn mode(mode: i32) -> Result<nanoproc_output_mode, CError> {
    use nanoproc_output_mode::*;
    [
        NANOPROC_OUTPUT_INHERIT,
        NANOPROC_OUTPUT_CAPTURE,
        NANOPROC_OUTPUT_DISCARD,
    ]
    .into_iter()
    .find(|m| *m as i32 == mode)
    .ok_or_else(|| {
        CError::argument(format!(
            "output mode {mode} is not a nanoproc_output_mode (0 inherit, 1 capture, 2 discard)"
        ))
    })
}

/// Where the guest's stdout goes: a `nanoproc_output_mode` value.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_policy_builder_stdout(
    policy: *mut nanoproc_policy_builder,
    mode: i32,
) -> *mut nanoproc_error {
    with(policy, |b| {
        b.stdout(output_mode(self::mode(mode)?));
        Ok(())
    })
}

/// Where the guest's stderr goes: a `nanoproc_output_mode` value.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_policy_builder_stderr(
    policy: *mut nanoproc_policy_builder,
    mode: i32,
) -> *mut nanoproc_error {
    with(policy, |b| {
        b.stderr(output_mode(self::mode(mode)?));
        Ok(())
    })
}

/// Allows outgoing connections matching `pattern` (`host:port`, `*:443`, `10.0.0.0/8:*`;
/// see `docs/policy.md`).
///
/// # Safety
/// `pattern` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_policy_builder_allow_net(
    policy: *mut nanoproc_policy_builder,
    pattern: *const c_char,
) -> *mut nanoproc_error {
    with(policy, |b| {
        // SAFETY: forwarded contract.
        b.allow_net(unsafe { str_arg(pattern, "pattern") }?)?;
        Ok(())
    })
}

/// Allows outgoing HTTP requests (components' `wasi:http`) to `origin`
/// (`https://api.example.com`, `http://localhost:8080`, `https://*.example.com`).
///
/// # Safety
/// `origin` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_policy_builder_allow_http(
    policy: *mut nanoproc_policy_builder,
    origin: *const c_char,
) -> *mut nanoproc_error {
    with(policy, |b| {
        // SAFETY: forwarded contract.
        b.allow_http(unsafe { str_arg(origin, "origin") }?)?;
        Ok(())
    })
}

/// Grants host function `grant` to plugins: `namespace::name`, or `namespace::*`.
///
/// # Safety
/// `grant` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_policy_builder_allow_host_fn(
    policy: *mut nanoproc_policy_builder,
    grant: *const c_char,
) -> *mut nanoproc_error {
    with(policy, |b| {
        // SAFETY: forwarded contract.
        b.allow_host_fn(unsafe { str_arg(grant, "grant") }?);
        Ok(())
    })
}

/// Switches a WASI preview 2 interface group on or off: `environment`, `exit`, `stdio`,
/// `clocks`, `random`, `filesystem`, `tcp`, `udp`, `ip-name-lookup`, `http`, or `sockets`.
///
/// # Safety
/// `name` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_policy_builder_wasi_interface(
    policy: *mut nanoproc_policy_builder,
    name: *const c_char,
    on: bool,
) -> *mut nanoproc_error {
    with(policy, |b| {
        // SAFETY: forwarded contract.
        let name = unsafe { str_arg(name, "name") }?;
        let group = WasiInterface::parse_group(name).ok_or_else(|| {
            CError::from(nanoproc::Error::InvalidPolicy(format!(
                "unknown WASI interface `{name}`; known: {}",
                WasiInterface::names()
            )))
        })?;
        for iface in group {
            b.wasi_interface(iface, on);
        }
        Ok(())
    })
}

/// The budget for all linear memories and tables together, in bytes.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_policy_builder_max_memory(
    policy: *mut nanoproc_policy_builder,
    bytes: u64,
) -> *mut nanoproc_error {
    with(policy, |b| {
        b.max_memory(bytes);
        Ok(())
    })
}

/// The fuel budget (roughly, Wasm instructions) per run or call; needs an engine made with
/// `NANOPROC_ENGINE_FUEL`. 0 removes the budget.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_policy_builder_fuel(
    policy: *mut nanoproc_policy_builder,
    fuel: u64,
) -> *mut nanoproc_error {
    with(policy, |b| {
        b.fuel((fuel > 0).then_some(fuel));
        Ok(())
    })
}

/// The wall-clock limit per run or call, in milliseconds. 0 removes it.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_policy_builder_timeout_ms(
    policy: *mut nanoproc_policy_builder,
    ms: u64,
) -> *mut nanoproc_error {
    with(policy, |b| {
        b.timeout((ms > 0).then(|| Duration::from_millis(ms)));
        Ok(())
    })
}

/// The cap on bytes written to stdout, and separately to stderr. 0 removes it.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_policy_builder_max_output(
    policy: *mut nanoproc_policy_builder,
    bytes: u64,
) -> *mut nanoproc_error {
    with(policy, |b| {
        b.max_output((bytes > 0).then_some(bytes));
        Ok(())
    })
}

/// The bytes by which the guest may grow files in writable directories. 0 removes it.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_policy_builder_disk_quota(
    policy: *mut nanoproc_policy_builder,
    bytes: u64,
) -> *mut nanoproc_error {
    with(policy, |b| {
        b.disk_quota((bytes > 0).then_some(bytes));
        Ok(())
    })
}

/// How many trusted keys must have signed a binary (`nanoproc_policy_builder_require_signature`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum nanoproc_signature_requirement {
    /// No signature needed.
    NANOPROC_SIGNATURE_NONE = 0,
    /// A valid signature by at least one trusted key (the default once a key is trusted).
    NANOPROC_SIGNATURE_ANY = 1,
    /// A valid signature by every trusted key.
    NANOPROC_SIGNATURE_ALL = 2,
}

/// Trusts the Ed25519 public key in the file at `pubkey_path` (PEM, from `nanoproc keygen`):
/// binaries must carry a valid signature by a trusted key or they do not run
/// (`NANOPROC_ERROR_INTEGRITY`). Trusting a key requires "any" unless
/// `nanoproc_policy_builder_require_signature` says otherwise.
///
/// # Safety
/// `pubkey_path` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_policy_builder_trust_key(
    policy: *mut nanoproc_policy_builder,
    pubkey_path: *const c_char,
) -> *mut nanoproc_error {
    with(policy, |b| {
        // SAFETY: forwarded contract.
        let path = unsafe { str_arg(pubkey_path, "pubkey_path") }?;
        b.trust_key(nanoproc::integrity::PublicKey::from_file(Path::new(path))?);
        Ok(())
    })
}

/// How many trusted keys must have signed: a `nanoproc_signature_requirement` value (none,
/// any one, or all). A requirement without a
/// trusted key makes the policy invalid.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_policy_builder_require_signature(
    policy: *mut nanoproc_policy_builder,
    requirement: i32,
) -> *mut nanoproc_error {
    use nanoproc::integrity::SignatureRequirement as R;
    with(policy, |b| {
        b.require_signature(match requirement {
            0 => R::None,
            1 => R::Any,
            2 => R::All,
            other => {
                return Err(CError::argument(format!(
                    "requirement {other} is not a nanoproc_signature_requirement (0, 1 or 2)"
                )));
            }
        });
        Ok(())
    })
}

/// Pins the binary's sha256 (64 hex digits, optionally `sha256:`-prefixed): with pins, only a
/// binary with one of the pinned digests runs.
///
/// # Safety
/// `digest` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_policy_builder_pin_sha256(
    policy: *mut nanoproc_policy_builder,
    digest: *const c_char,
) -> *mut nanoproc_error {
    with(policy, |b| {
        // SAFETY: forwarded contract.
        b.pin_sha256(unsafe { str_arg(digest, "digest") }?)?;
        Ok(())
    })
}

/// Applies a policy file's TOML text (`docs/policy.md`) on top of what is set; relative
/// paths in it are resolved against `base_dir` (NULL: the current directory).
///
/// # Safety
/// Strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_policy_builder_apply_toml(
    policy: *mut nanoproc_policy_builder,
    toml: *const c_char,
    base_dir: *const c_char,
) -> *mut nanoproc_error {
    with(policy, |b| {
        // SAFETY: forwarded contract.
        let (text, base) = unsafe { (str_arg(toml, "toml")?, opt_str_arg(base_dir, "base_dir")?) };
        let file = PolicyFile::parse(text, "policy TOML")?;
        b.apply_file(&file, Path::new(base.unwrap_or(".")))?;
        Ok(())
    })
}

/// Checks that `policy` is valid now (the checks plugins and runs make), without using it.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_policy_builder_validate(
    policy: *const nanoproc_policy_builder,
) -> *mut nanoproc_error {
    guard(|| build(policy, "policy").map(|_| ()))
}
