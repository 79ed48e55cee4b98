//! What a case expects, what it got, and the comparison of the two.
//!
//! An expectation is exact: a [`nanoproc::Error`] variant (with a phrase its message must
//! contain), a [`LimitKind`], a trap code, a WASI errno the guest saw, a socket error code,
//! or the guest's own exit status. Every expectation also fixes the process exit code the
//! `nanoproc` CLI would use (`docs/cli.md`), and that is checked too.

use nanoproc::{Error, LimitKind};
use nanoproc_capi::error::nanoproc_error_kind as CKind;

/// The variants of [`nanoproc::Error`] other than limits and traps (which have their own
/// [`Expect`] variants because they carry a kind or a code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// [`Error::InvalidModule`]
    InvalidModule,
    /// [`Error::InvalidPolicy`]
    InvalidPolicy,
    /// [`Error::Denied`]
    Denied,
    /// [`Error::AbiViolation`]
    AbiViolation,
    /// [`Error::HostFunction`]
    HostFunction,
    /// [`Error::Guest`]
    Guest,
    /// [`Error::Cancelled`]
    Cancelled,
    /// [`Error::Integrity`]
    Integrity,
}

impl ErrorKind {
    fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidModule => "InvalidModule",
            ErrorKind::InvalidPolicy => "InvalidPolicy",
            ErrorKind::Denied => "Denied",
            ErrorKind::AbiViolation => "AbiViolation",
            ErrorKind::HostFunction => "HostFunction",
            ErrorKind::Guest => "Guest",
            ErrorKind::Cancelled => "Cancelled",
            ErrorKind::Integrity => "Integrity",
        }
    }

    fn matches(self, e: &Error) -> bool {
        matches!(
            (self, e),
            (ErrorKind::InvalidModule, Error::InvalidModule(_))
                | (ErrorKind::InvalidPolicy, Error::InvalidPolicy(_))
                | (ErrorKind::Denied, Error::Denied { .. })
                | (ErrorKind::AbiViolation, Error::AbiViolation(_))
                | (ErrorKind::HostFunction, Error::HostFunction { .. })
                | (ErrorKind::Guest, Error::Guest(_))
                | (ErrorKind::Cancelled, Error::Cancelled)
                | (ErrorKind::Integrity, Error::Integrity(_))
        )
    }

    /// The CLI exit code documented for this kind in `docs/cli.md`.
    fn exit_code(self) -> i32 {
        match self {
            ErrorKind::InvalidModule | ErrorKind::InvalidPolicy | ErrorKind::Denied => 125,
            ErrorKind::AbiViolation | ErrorKind::HostFunction => 123,
            ErrorKind::Guest => 1,
            ErrorKind::Cancelled => 124,
            ErrorKind::Integrity => 126,
        }
    }
}

/// A WASI preview 1 errno, as the guest sees it (and as our WAT probes exit with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    /// `EBADF`: not an open file descriptor.
    pub const BADF: Errno = Errno(8);
    /// `EEXIST`
    pub const EXIST: Errno = Errno(20);
    /// `EFAULT`: a pointer outside the guest's memory.
    pub const FAULT: Errno = Errno(21);
    /// `EINVAL`
    pub const INVAL: Errno = Errno(28);
    /// `ELOOP`
    pub const LOOP: Errno = Errno(32);
    /// `ENOENT`
    pub const NOENT: Errno = Errno(44);
    /// `ENOMEM`
    pub const NOMEM: Errno = Errno(48);
    /// `ENOTDIR`
    pub const NOTDIR: Errno = Errno(54);
    /// `EPERM`
    pub const PERM: Errno = Errno(63);
    /// `EROFS`
    pub const ROFS: Errno = Errno(69);
    /// `EXDEV`
    pub const XDEV: Errno = Errno(75);
    /// `ENOTCAPABLE`: the capability (preopen, rights) does not allow it.
    pub const NOTCAPABLE: Errno = Errno(76);

    /// The errno's name in `wasi_snapshot_preview1`.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "SUCCESS",
            2 => "ACCES",
            8 => "BADF",
            20 => "EXIST",
            21 => "FAULT",
            28 => "INVAL",
            31 => "ISDIR",
            32 => "LOOP",
            44 => "NOENT",
            48 => "NOMEM",
            54 => "NOTDIR",
            55 => "NOTEMPTY",
            58 => "NOTSUP",
            63 => "PERM",
            69 => "ROFS",
            75 => "XDEV",
            76 => "NOTCAPABLE",
            _ => "(other)",
        }
    }
}

/// The `error-code` enum of `wasi:sockets/network`, by position.
pub const SOCKET_ERROR_CODES: [&str; 21] = [
    "unknown",
    "access-denied",
    "not-supported",
    "invalid-argument",
    "out-of-memory",
    "timeout",
    "concurrency-conflict",
    "not-in-progress",
    "would-block",
    "invalid-state",
    "new-socket-limit",
    "address-not-bindable",
    "address-in-use",
    "remote-unreachable",
    "connection-refused",
    "connection-reset",
    "connection-aborted",
    "datagram-too-large",
    "name-unresolvable",
    "temporary-resolver-failure",
    "permanent-resolver-failure",
];

/// The exact outcome a case expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// The guest ran and exited on its own with this status.
    Exit(i32),
    /// A WAT probe saw this WASI errno from the call under attack (it exits with it).
    Errno(Errno),
    /// A preview 2 probe's call `call` got this `wasi:sockets` `error-code` (the probe
    /// prints `CALL: error-code N` and exits 1).
    SocketError {
        /// The socket call that failed, e.g. `send`.
        call: &'static str,
        /// The error code's name, e.g. `access-denied`.
        code: &'static str,
    },
    /// The plugin call returned normally (its output is checked by the case).
    Returned,
    /// nanoproc stopped the guest: [`Error::LimitExceeded`] of this kind.
    Limit(LimitKind),
    /// nanoproc stopped the guest: [`Error::Trap`] with this code.
    Trap(&'static str),
    /// nanoproc refused or stopped it with this error, whose message contains the phrase.
    Error(ErrorKind, &'static str),
    /// A call through the C ABI (`include/nanoproc.h`) returned an error object of this
    /// `nanoproc_error_kind`, whose message contains the phrase.
    CError(CKind, &'static str),
}

/// The name of a C ABI error kind, as the header spells it.
pub fn c_kind_name(kind: CKind) -> &'static str {
    match kind {
        CKind::NANOPROC_ERROR_INVALID_MODULE => "NANOPROC_ERROR_INVALID_MODULE",
        CKind::NANOPROC_ERROR_INVALID_POLICY => "NANOPROC_ERROR_INVALID_POLICY",
        CKind::NANOPROC_ERROR_INVALID_INPUT => "NANOPROC_ERROR_INVALID_INPUT",
        CKind::NANOPROC_ERROR_MEMORY_LIMIT => "NANOPROC_ERROR_MEMORY_LIMIT",
        CKind::NANOPROC_ERROR_OUTPUT_LIMIT => "NANOPROC_ERROR_OUTPUT_LIMIT",
        CKind::NANOPROC_ERROR_TIME_LIMIT => "NANOPROC_ERROR_TIME_LIMIT",
        CKind::NANOPROC_ERROR_FUEL_LIMIT => "NANOPROC_ERROR_FUEL_LIMIT",
        CKind::NANOPROC_ERROR_TRAP => "NANOPROC_ERROR_TRAP",
        CKind::NANOPROC_ERROR_ABI_VIOLATION => "NANOPROC_ERROR_ABI_VIOLATION",
        CKind::NANOPROC_ERROR_HOST_FUNCTION => "NANOPROC_ERROR_HOST_FUNCTION",
        CKind::NANOPROC_ERROR_PLUGIN => "NANOPROC_ERROR_PLUGIN",
        CKind::NANOPROC_ERROR_CANCELLED => "NANOPROC_ERROR_CANCELLED",
        CKind::NANOPROC_ERROR_DENIED => "NANOPROC_ERROR_DENIED",
        CKind::NANOPROC_ERROR_IO => "NANOPROC_ERROR_IO",
        CKind::NANOPROC_ERROR_HOST_EXHAUSTED => "NANOPROC_ERROR_HOST_EXHAUSTED",
        CKind::NANOPROC_ERROR_INTERNAL => "NANOPROC_ERROR_INTERNAL",
        CKind::NANOPROC_ERROR_INVALID_ARGUMENT => "NANOPROC_ERROR_INVALID_ARGUMENT",
        CKind::NANOPROC_ERROR_INTEGRITY => "NANOPROC_ERROR_INTEGRITY",
    }
}

/// The exit code `nanoproc_error_exit_code` documents for a C ABI error kind: the CLI's code
/// for the same `nanoproc::Error` (`docs/cli.md`), and 2 for a misuse of the ABI.
fn c_kind_exit_code(kind: CKind) -> i32 {
    match kind {
        CKind::NANOPROC_ERROR_MEMORY_LIMIT => 121,
        CKind::NANOPROC_ERROR_OUTPUT_LIMIT => 122,
        CKind::NANOPROC_ERROR_TRAP
        | CKind::NANOPROC_ERROR_ABI_VIOLATION
        | CKind::NANOPROC_ERROR_HOST_FUNCTION => 123,
        CKind::NANOPROC_ERROR_TIME_LIMIT
        | CKind::NANOPROC_ERROR_FUEL_LIMIT
        | CKind::NANOPROC_ERROR_CANCELLED => 124,
        CKind::NANOPROC_ERROR_PLUGIN => 1,
        CKind::NANOPROC_ERROR_INVALID_MODULE
        | CKind::NANOPROC_ERROR_INVALID_POLICY
        | CKind::NANOPROC_ERROR_INVALID_INPUT
        | CKind::NANOPROC_ERROR_DENIED
        | CKind::NANOPROC_ERROR_IO => 125,
        CKind::NANOPROC_ERROR_HOST_EXHAUSTED => 120,
        CKind::NANOPROC_ERROR_INTEGRITY => 126,
        CKind::NANOPROC_ERROR_INTERNAL => 127,
        CKind::NANOPROC_ERROR_INVALID_ARGUMENT => 2,
    }
}

impl Expect {
    /// The `nanoproc` CLI exit code of this outcome.
    pub fn exit_code(&self) -> i32 {
        match self {
            Expect::Exit(c) => *c,
            Expect::Errno(e) => e.0,
            Expect::SocketError { .. } => 1,
            Expect::Returned => 0,
            Expect::Limit(LimitKind::Memory) => 121,
            Expect::Limit(LimitKind::Output) => 122,
            Expect::Limit(LimitKind::Timeout | LimitKind::Fuel) => 124,
            Expect::Trap(_) => 123,
            Expect::Error(kind, _) => kind.exit_code(),
            Expect::CError(kind, _) => c_kind_exit_code(*kind),
        }
    }

    /// The expectation in words, for the table in `docs/security-tests.md`.
    pub fn describe(&self) -> String {
        match self {
            Expect::Exit(c) => format!("the guest exits {c}"),
            Expect::Errno(e) => format!("the guest gets errno `{}` ({})", e.name(), e.0),
            Expect::SocketError { call, code } => {
                format!("the guest's `{call}` gets `error-code::{code}`")
            }
            Expect::Returned => "the call returns".to_string(),
            Expect::Limit(kind) => format!(
                "`LimitExceeded {{ kind: {kind:?} }}`, exit {}",
                self.exit_code()
            ),
            Expect::Trap(code) => format!("`Trap` `{code}`, exit {}", self.exit_code()),
            Expect::Error(kind, phrase) => {
                format!("`{}` (“{phrase}”), exit {}", kind.name(), self.exit_code())
            }
            Expect::CError(kind, phrase) => format!(
                "`{}` (“{phrase}”), exit {}",
                c_kind_name(*kind),
                self.exit_code()
            ),
        }
    }
}

/// How a case's guest ended.
#[derive(Debug)]
pub enum End {
    /// It exited on its own with this status.
    Exited(i32),
    /// A plugin call returned this output.
    Returned(Vec<u8>),
    /// nanoproc refused it (load, link, policy) or stopped it (limit, trap, ABI, …).
    Failed(Error),
    /// A C ABI function returned an error object (read, then freed).
    CFailed {
        /// `nanoproc_error_get_kind`
        kind: CKind,
        /// `nanoproc_error_message`
        message: String,
        /// `nanoproc_error_exit_code`
        exit_code: i32,
    },
}

/// What a case observed.
#[derive(Debug)]
pub struct Got {
    /// How it ended.
    pub end: End,
    /// What the guest wrote to stdout (when captured).
    pub stdout: Vec<u8>,
    /// What the guest wrote to stderr (when captured).
    pub stderr: Vec<u8>,
    /// What a run used (runs only, not refusals or plugin calls).
    pub usage: Option<nanoproc::Usage>,
    /// The run's audit events (runs only).
    pub events: Vec<nanoproc::AuditEvent>,
}

impl Got {
    /// An end with no output.
    pub fn bare(end: End) -> Self {
        Got {
            end,
            stdout: Vec::new(),
            stderr: Vec::new(),
            usage: None,
            events: Vec::new(),
        }
    }

    /// A failure with no output.
    pub fn failed(e: Error) -> Self {
        Got::bare(End::Failed(e))
    }

    /// A plugin call's result.
    pub fn call(r: nanoproc::Result<Vec<u8>>) -> Self {
        Got::bare(match r {
            Ok(out) => End::Returned(out),
            Err(e) => End::Failed(e),
        })
    }

    /// The run's outcome.
    pub fn outcome(o: nanoproc::Outcome) -> Self {
        Got {
            end: match o.status {
                nanoproc::Status::Exited(c) => End::Exited(c),
                nanoproc::Status::Stopped(e) => End::Failed(e),
            },
            stdout: o.stdout,
            stderr: o.stderr,
            usage: Some(o.usage),
            events: o.events,
        }
    }

    /// stdout as text (lossy).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// The exit code the CLI would use for this end.
    pub fn exit_code(&self) -> i32 {
        match &self.end {
            End::Exited(c) => *c,
            End::Returned(_) => 0,
            End::Failed(e) => e.exit_code(),
            End::CFailed { exit_code, .. } => *exit_code,
        }
    }

    /// A short description for failure messages.
    pub fn summary(&self) -> String {
        let end = match &self.end {
            End::Exited(c) => format!("exited {c}"),
            End::Returned(out) => format!("returned {} bytes", out.len()),
            End::Failed(e) => format!("{e:?}"),
            End::CFailed { kind, message, .. } => format!("{}: {message}", c_kind_name(*kind)),
        };
        let clip = |b: &[u8]| {
            let s = String::from_utf8_lossy(&b[..b.len().min(300)]).into_owned();
            if b.len() > 300 {
                format!("{s}… ({} bytes)", b.len())
            } else {
                s
            }
        };
        format!(
            "{end}; stdout: {:?}; stderr: {:?}",
            clip(&self.stdout),
            clip(&self.stderr)
        )
    }
}

/// Checks `got` against `expect`: the exact outcome and the CLI exit code.
pub fn check(expect: &Expect, got: &Got) -> Result<(), String> {
    let ok = match (expect, &got.end) {
        (Expect::Exit(c), End::Exited(g)) => c == g,
        (Expect::Errno(e), End::Exited(g)) => e.0 == *g,
        (Expect::SocketError { call, code }, End::Exited(1)) => {
            let printed = got.stdout_text();
            let seen = printed
                .trim()
                .strip_prefix(call)
                .and_then(|rest| rest.strip_prefix(": error-code "))
                .and_then(|n| n.parse::<usize>().ok());
            seen.and_then(|c| SOCKET_ERROR_CODES.get(c)) == Some(code)
        }
        (Expect::Returned, End::Returned(_)) => true,
        (Expect::Limit(kind), End::Failed(Error::LimitExceeded { kind: k, .. })) => kind == k,
        (Expect::Trap(code), End::Failed(Error::Trap(t))) => t.code == *code,
        (Expect::Error(kind, phrase), End::Failed(e)) => {
            kind.matches(e) && e.to_string().contains(phrase)
        }
        (
            Expect::CError(kind, phrase),
            End::CFailed {
                kind: k, message, ..
            },
        ) => kind == k && message.contains(phrase),
        _ => false,
    };
    if !ok {
        return Err(format!(
            "expected {}, got {}",
            expect.describe(),
            got.summary()
        ));
    }
    if let End::Failed(e) = &got.end {
        let msg = e.to_string();
        if msg.contains('\n') {
            return Err(format!("the error is not one line: {msg:?}"));
        }
    }
    if let End::CFailed { message, .. } = &got.end
        && message.contains(|c: char| c.is_control())
    {
        return Err(format!("the error is not one clean line: {message:?}"));
    }
    if got.exit_code() != expect.exit_code() {
        return Err(format!(
            "the CLI exit code would be {}, not {}",
            got.exit_code(),
            expect.exit_code()
        ));
    }
    Ok(())
}
