//! The typed error every front door maps from.
//!
//! Each variant names *what* was violated; [`Error::hint`] names *how* to allow it,
//! and [`Error::exit_code`] gives the stable process exit code the CLI uses.

use std::fmt;

/// A resource limit that can stop a guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// The sandbox-wide budget for linear memories and tables together.
    Memory,
    /// The per-stream cap on bytes written to stdout or stderr.
    Output,
    /// The wall-clock deadline.
    Timeout,
    /// The fuel (instruction) budget.
    Fuel,
}

impl LimitKind {
    /// The CLI flag that raises this limit.
    pub fn flag(self) -> &'static str {
        match self {
            LimitKind::Memory => "--max-memory",
            LimitKind::Output => "--max-output",
            LimitKind::Timeout => "--timeout",
            LimitKind::Fuel => "--fuel",
        }
    }

    /// The policy-file key that raises this limit.
    pub fn policy_key(self) -> &'static str {
        match self {
            LimitKind::Memory => "limits.max_memory",
            LimitKind::Output => "limits.max_output",
            LimitKind::Timeout => "limits.timeout",
            LimitKind::Fuel => "limits.fuel",
        }
    }
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::Memory => "memory limit",
            LimitKind::Output => "output limit",
            LimitKind::Timeout => "time limit",
            LimitKind::Fuel => "fuel limit",
        })
    }
}

/// Why a guest trapped, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrapInfo {
    /// A short machine-readable code such as `unreachable` or `stack_overflow`.
    pub code: String,
    /// The full message, including the guest backtrace when Wasmtime has one.
    pub message: String,
}

/// Everything that can go wrong in nanoproc, by cause.
///
/// Its `Display` is one line, `kind: detail`, with every control character escaped (see
/// [`Error::detail`]): details quote text a guest or a policy file wrote.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The module bytes are not a valid WebAssembly module or component.
    InvalidModule(String),

    /// The policy (builder, file or flags) is not valid.
    InvalidPolicy(String),

    /// The guest hit one of its resource limits and was stopped.
    LimitExceeded {
        /// Which limit.
        kind: LimitKind,
        /// What happened, with the configured value.
        detail: String,
    },

    /// The guest trapped (unreachable, out-of-bounds access, stack overflow, …).
    Trap(TrapInfo),

    /// The guest needs a capability its policy does not grant (detected before it ran).
    Denied {
        /// The capability that was refused.
        what: String,
        /// How to grant it.
        how: String,
    },

    /// A value given for a typed (component) call does not match its WIT type, or a WIT value
    /// cannot be written as JSON (see [`crate::component::json`]).
    InvalidInput {
        /// Where the offending value is, as a JSON path such as `$.args[1].name`.
        path: String,
        /// What was expected there, and what was found.
        message: String,
    },

    /// A plugin broke the ABI: a bad pointer or length, a missing or mistyped export.
    AbiViolation(String),

    /// A host function returned an error or panicked; the call that used it was stopped.
    HostFunction {
        /// `namespace::name` of the host function.
        name: String,
        /// Its error, or the panic message.
        message: String,
    },

    /// The plugin reported a failure itself (through `nanoproc::fail`).
    Guest(String),

    /// The call was cancelled through a [`crate::plugin::CancelHandle`].
    Cancelled,

    /// A host-side I/O failure (reading the module, opening a preopen, …).
    Io {
        /// What nanoproc was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The host ran short of something no sandbox limit covers: native stack for plugin
    /// calls nested through host functions, memory mappings or pool slots for one more
    /// sandbox. The guest did not run (or was stopped); the host process is healthy.
    HostExhausted(String),

    /// The binary failed its integrity check: not signed, signed by no trusted key, modified
    /// after signing, or not one of the pinned sha256 digests. It did not run.
    Integrity(String),

    /// A bug or an unexpected engine failure. Please report it.
    Internal(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let line = match self {
            Error::InvalidModule(m) => format!("invalid module: {m}"),
            Error::InvalidPolicy(m) => format!("invalid policy: {m}"),
            Error::LimitExceeded { kind, detail } => format!("{kind}: {detail}"),
            Error::Trap(t) => format!("guest trap: {}", t.message),
            Error::Denied { what, how } => format!("denied: {what}; {how}"),
            Error::InvalidInput { path, message } => format!("invalid input: {path}: {message}"),
            Error::AbiViolation(m) => format!("ABI violation: {m}"),
            Error::HostFunction { name, message } => {
                format!("host function `{name}` failed: {message}")
            }
            Error::Guest(m) => format!("plugin failed: {m}"),
            Error::Cancelled => "cancelled".to_string(),
            Error::Io { context, source } => format!("{context}: {source}"),
            Error::HostExhausted(m) => format!("host resources exhausted: {m}"),
            Error::Integrity(m) => format!("integrity: {m}"),
            Error::Internal(m) => format!("internal error: {m}"),
        };
        f.write_str(&escape_controls(&line))
    }
}

/// `Result` with nanoproc's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The stable exit code `nanoproc` uses for this error (see `docs/cli.md`).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::LimitExceeded {
                kind: LimitKind::Memory,
                ..
            } => 121,
            Error::LimitExceeded {
                kind: LimitKind::Output,
                ..
            } => 122,
            Error::Trap(_) | Error::AbiViolation(_) | Error::HostFunction { .. } => 123,
            Error::Cancelled => 124,
            Error::Guest(_) => 1,
            Error::LimitExceeded {
                kind: LimitKind::Timeout | LimitKind::Fuel,
                ..
            } => 124,
            Error::InvalidModule(_) | Error::InvalidPolicy(_) | Error::Denied { .. } => 125,
            Error::InvalidInput { .. } => 125,
            Error::Io { .. } => 125,
            Error::HostExhausted(_) => 120,
            Error::Integrity(_) => 126,
            Error::Internal(_) => 127,
        }
    }

    /// A short name of the error kind, used in `nanoproc: <kind>: <detail>` lines and JSON.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Error::InvalidModule(_) => "invalid module",
            Error::InvalidPolicy(_) => "invalid policy",
            Error::InvalidInput { .. } => "invalid input",
            Error::LimitExceeded { kind, .. } => match kind {
                LimitKind::Memory => "memory limit",
                LimitKind::Output => "output limit",
                LimitKind::Timeout => "time limit",
                LimitKind::Fuel => "fuel limit",
            },
            Error::Trap(_) => "guest trap",
            Error::AbiViolation(_) => "abi violation",
            Error::HostFunction { .. } => "host function error",
            Error::Guest(_) => "plugin error",
            Error::Cancelled => "cancelled",
            Error::Denied { .. } => "denied",
            Error::Io { .. } => "io error",
            Error::HostExhausted(_) => "host resources exhausted",
            Error::Integrity(_) => "integrity",
            Error::Internal(_) => "internal error",
        }
    }

    /// The detail after the kind, as printed by the CLI: one line, with every control
    /// character escaped (`\u{1b}`), since details may quote what a guest or a policy file
    /// wrote (a plugin's own error, an unknown key) and must not reach a terminal raw.
    pub fn detail(&self) -> String {
        escape_controls(&self.raw_detail())
    }

    fn raw_detail(&self) -> String {
        match self {
            Error::InvalidModule(m)
            | Error::InvalidPolicy(m)
            | Error::Internal(m)
            | Error::HostExhausted(m)
            | Error::Integrity(m)
            | Error::AbiViolation(m)
            | Error::Guest(m) => m.clone(),
            Error::HostFunction { name, message } => format!("`{name}`: {message}"),
            Error::Cancelled => "the call was cancelled by the host".to_string(),
            Error::LimitExceeded { detail, .. } => detail.clone(),
            Error::Trap(t) => t.message.clone(),
            Error::Denied { what, how } => format!("{what}; {how}"),
            Error::InvalidInput { path, message } => format!("{path}: {message}"),
            Error::Io { context, source } => format!("{context}: {source}"),
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// `text` with every control character (C0, DEL, C1) escaped as `\u{..}`: safe to print on
/// a terminal, and always one line.
pub fn escape_controls(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Turns whatever stopped a guest into its exit status (`Ok`) or a typed error, recording
/// limit hits in the audit trail. Shared by commands and plugin calls.
pub(crate) fn classify(
    e: wasmtime::Error,
    limits: &crate::policy::Limits,
    audit: &crate::audit::Audit,
) -> std::result::Result<i32, Error> {
    use crate::audit::Decision;
    if let Some(exit) = e.downcast_ref::<wasmtime_wasi::I32Exit>() {
        return Ok(exit.0);
    }
    if let Some(hit) = e.downcast_ref::<crate::limits::LimitHit>() {
        return Err(Error::LimitExceeded {
            kind: hit.kind,
            detail: hit.detail.clone(),
        });
    }
    if e.downcast_ref::<Error>().is_some() {
        return match e.downcast::<Error>() {
            Ok(err) => Err(err),
            Err(e) => Err(Error::Internal(crate::loader::one_line(&format!("{e:#}")))),
        };
    }
    if let Some(trap) = e.downcast_ref::<wasmtime::Trap>() {
        return Err(match trap {
            wasmtime::Trap::OutOfFuel => {
                let fuel = limits.fuel.unwrap_or_default();
                let detail = format!(
                    "the guest used all {fuel} units of fuel; raise the budget with --fuel or limits.fuel"
                );
                audit.event(
                    "limit.fuel",
                    fuel.to_string(),
                    Decision::Denied,
                    detail.clone(),
                );
                Error::LimitExceeded {
                    kind: LimitKind::Fuel,
                    detail,
                }
            }
            wasmtime::Trap::Interrupt => timeout_error(limits.timeout.unwrap_or_default(), audit),
            other => {
                let code = trap_code(other);
                let message = format!("{other} ({})", crate::loader::one_line(&format!("{e:#}")));
                Error::Trap(TrapInfo { code, message })
            }
        });
    }
    if let Some(full) = e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>() {
        return Err(Error::HostExhausted(format!(
            "{full}; every slot of the engine's pooling allocator is in use: drop live sandboxes, or build the engine with more `PoolingOptions::total_instances`"
        )));
    }
    if e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.raw_os_error() == Some(12))
    }) {
        return Err(Error::HostExhausted(format!(
            "the OS refused memory for a new sandbox ({}); too many live sandboxes for the host's RAM or its memory-mapping limit (vm.max_map_count): drop live sandboxes or raise the limit",
            crate::loader::one_line(&format!("{e:#}"))
        )));
    }
    Err(Error::Trap(TrapInfo {
        code: "host_error".into(),
        message: crate::loader::one_line(&format!("{e:#}")),
    }))
}

/// Whether `e` says the host ran out of something (a full instance pool, memory the OS
/// refused) rather than anything being wrong with the guest.
pub(crate) fn is_host_exhaustion(e: &wasmtime::Error) -> bool {
    e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
        .is_some()
        || e.chain().any(|c| {
            c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.raw_os_error() == Some(12))
        })
}

/// [`classify`] for a plugin or component call, which must return: exiting is an error too
/// (naming `name`), and a call's timeout, raised by the call's own deadline check (which
/// does not audit), is audited here. Memory, output and fuel hits are audited where they
/// are detected.
pub(crate) fn classify_call(
    e: wasmtime::Error,
    limits: &crate::policy::Limits,
    audit: &crate::audit::Audit,
    name: &str,
) -> Error {
    match classify(e, limits, audit) {
        Ok(code) => Error::Guest(format!(
            "`{name}` exited with status {code} instead of returning"
        )),
        Err(err) => {
            if let Error::LimitExceeded {
                kind: LimitKind::Timeout,
                detail,
            } = &err
            {
                audit.event(
                    "limit.timeout",
                    name,
                    crate::audit::Decision::Denied,
                    detail.clone(),
                );
            }
            err
        }
    }
}

/// The error for a wall-clock limit hit, recorded in the audit trail.
pub(crate) fn timeout_error(limit: std::time::Duration, audit: &crate::audit::Audit) -> Error {
    let detail = format!(
        "the guest ran longer than {}; raise the limit with --timeout or limits.timeout",
        crate::policy::units::format_duration(limit)
    );
    audit.event(
        "limit.timeout",
        crate::policy::units::format_duration(limit),
        crate::audit::Decision::Denied,
        detail.clone(),
    );
    Error::LimitExceeded {
        kind: LimitKind::Timeout,
        detail,
    }
}

fn trap_code(trap: &wasmtime::Trap) -> String {
    let name = format!("{trap:?}");
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_never_carry_control_characters() {
        let e = Error::Guest("red \u{1b}[31m alert\r\nforged line\u{9b}".into());
        let d = e.detail();
        assert!(!d.chars().any(char::is_control), "{d:?}");
        assert!(d.contains("\\u{1b}[31m"), "{d}");
        let e = Error::InvalidPolicy("unknown key `max\u{1b}[2J`".into());
        assert_eq!(e.detail(), "unknown key `max\\u{1b}[2J`");
        assert_eq!(
            Error::Cancelled.detail(),
            "the call was cancelled by the host"
        );
    }

    #[test]
    fn display_is_one_escaped_line() {
        // A quoted TOML key may hold a newline; the whole error line must stay one line.
        let e = Error::InvalidPolicy("unknown key `a\nb\u{1b}`".into());
        assert_eq!(
            e.to_string(),
            "invalid policy: unknown key `a\\u{a}b\\u{1b}`"
        );
        let e = Error::Guest("line one\nline two".into());
        assert!(!e.to_string().contains('\n'), "{e}");
    }
}
