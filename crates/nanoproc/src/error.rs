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
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The module bytes are not a valid WebAssembly module or component.
    #[error("invalid module: {0}")]
    InvalidModule(String),

    /// The policy (builder, file or flags) is not valid.
    #[error("invalid policy: {0}")]
    InvalidPolicy(String),

    /// The guest hit one of its resource limits and was stopped.
    #[error("{kind}: {detail}")]
    LimitExceeded {
        /// Which limit.
        kind: LimitKind,
        /// What happened, with the configured value.
        detail: String,
    },

    /// The guest trapped (unreachable, out-of-bounds access, stack overflow, …).
    #[error("guest trap: {}", .0.message)]
    Trap(TrapInfo),

    /// The guest needs a capability its policy does not grant (detected before it ran).
    #[error("denied: {what}; {how}")]
    Denied {
        /// The capability that was refused.
        what: String,
        /// How to grant it.
        how: String,
    },

    /// A host-side I/O failure (reading the module, opening a preopen, …).
    #[error("{context}: {source}")]
    Io {
        /// What nanoproc was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A bug or an unexpected engine failure. Please report it.
    #[error("internal error: {0}")]
    Internal(String),
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
            Error::Trap(_) => 123,
            Error::LimitExceeded {
                kind: LimitKind::Timeout | LimitKind::Fuel,
                ..
            } => 124,
            Error::InvalidModule(_) | Error::InvalidPolicy(_) | Error::Denied { .. } => 125,
            Error::Io { .. } => 125,
            Error::Internal(_) => 126,
        }
    }

    /// A short name of the error kind, used in `nanoproc: <kind>: <detail>` lines and JSON.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Error::InvalidModule(_) => "invalid module",
            Error::InvalidPolicy(_) => "invalid policy",
            Error::LimitExceeded { kind, .. } => match kind {
                LimitKind::Memory => "memory limit",
                LimitKind::Output => "output limit",
                LimitKind::Timeout => "time limit",
                LimitKind::Fuel => "fuel limit",
            },
            Error::Trap(_) => "guest trap",
            Error::Denied { .. } => "denied",
            Error::Io { .. } => "io error",
            Error::Internal(_) => "internal error",
        }
    }

    /// The detail after the kind, as printed by the CLI.
    pub fn detail(&self) -> String {
        match self {
            Error::InvalidModule(m) | Error::InvalidPolicy(m) | Error::Internal(m) => m.clone(),
            Error::LimitExceeded { detail, .. } => detail.clone(),
            Error::Trap(t) => t.message.clone(),
            Error::Denied { what, how } => format!("{what}; {how}"),
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
