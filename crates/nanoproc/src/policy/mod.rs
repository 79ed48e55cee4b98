//! `Policy`: everything a sandbox may do, deny by default.
//!
//! A [`Policy`] is built once by a front door (CLI flags, a TOML policy file, an SDK)
//! through [`PolicyBuilder`] and then turned into Wasmtime configuration in exactly one
//! place ([`crate::wasi`] and [`crate::limits`]).

mod file;
mod http;
mod net;
pub mod units;
mod wasi;

pub use file::PolicyFile;
pub(crate) use http::normalise_host;
pub use http::{DEFAULT_HTTP_TIMEOUT, DEFAULT_MAX_HTTP_RESPONSE, HttpOrigin, HttpPolicy};
pub(crate) use net::ResolvedPattern;
pub use net::{HostPattern, Protocol};
pub use wasi::{WasiInterface, WasiSwitches};

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The memory budget used when a policy sets none: 1 GiB for all memories and tables.
pub const DEFAULT_MAX_MEMORY: u64 = 1 << 30;

/// The cap on descriptors a guest may hold open at once when a policy sets none.
///
/// Every file, directory or socket the guest opens is a real descriptor of the host process,
/// so an unlimited guest could exhaust the host's own limit and break every other sandbox in
/// it. 1,024 is the usual per-process soft limit programs are written against, far more than
/// ordinary programs hold at once. Stdio and preopened directories do not count.
pub const DEFAULT_MAX_FDS: u32 = 1024;

/// A host directory visible to the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// The directory on the host (canonicalised when the policy is built).
    pub host: PathBuf,
    /// Where the guest sees it (e.g. `/data`).
    pub guest: String,
    /// Whether the guest may create, modify and delete entries. Read-only by default.
    pub writable: bool,
}

/// A single host file visible to the guest (read-only), at `destination`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileGrant {
    /// The file on the host.
    pub source: PathBuf,
    /// Its absolute path inside the guest, e.g. `/etc/app/config.json`.
    pub destination: String,
}

/// One environment variable grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvGrant {
    /// Set `NAME` to this value.
    Set(String, String),
    /// Pass the host's `NAME` through, if the host has it.
    Inherit(String),
}

/// What a standard input stream reads from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum StdinMode {
    /// End of file straight away (the default).
    #[default]
    Null,
    /// The host process's stdin.
    Inherit,
    /// These bytes.
    Bytes(Vec<u8>),
}

/// Where a standard output stream (stdout or stderr) goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutputMode {
    /// The host process's own stream (the default).
    #[default]
    Inherit,
    /// Collected in memory and returned in the [`crate::Outcome`].
    Capture,
    /// Discarded (still counted against the output cap).
    Null,
}

/// Which clocks the guest sees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClockMode {
    /// The host's wall and monotonic clocks (the default: most programs need time).
    #[default]
    Host,
    /// A wall clock frozen at 2000-01-01T00:00:00Z and a monotonic clock that advances
    /// 1 µs per reading: reproducible runs and no timing source beyond instruction counts.
    Frozen,
}

/// Hard limits on a sandbox's resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// One budget in bytes for all linear memories and tables of the sandbox together.
    pub max_memory: u64,
    /// Fuel (roughly, Wasm instructions) the guest may consume. `None`: unmetered.
    pub fuel: Option<u64>,
    /// Wall-clock limit, enforced even while the guest is blocked in a host call.
    pub timeout: Option<Duration>,
    /// Bytes the guest may write to stdout, and separately to stderr. `None`: unlimited.
    pub max_output: Option<u64>,
    /// Bytes by which the guest may grow files in writable mounts during the run, in all
    /// (writes past a file's end, `set_size`/`ftruncate` growing it). Shrinking or deleting
    /// files gives nothing back. A write that does not fit fails with "no space" and writes
    /// nothing. `None`: unlimited. See `docs/policy.md`, "Disk quota".
    pub disk_quota: Option<u64>,
    /// Descriptors (files, directories, sockets) the guest may hold open at once, counting
    /// only those it opened itself: stdio and preopened directories are free.
    /// Default [`DEFAULT_MAX_FDS`].
    pub max_fds: u32,
}

impl Limits {
    /// The limits as JSON (`null` for unlimited).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "max_memory": self.max_memory,
            "fuel": self.fuel,
            "timeout_ms": self.timeout.map(|t| t.as_millis() as u64),
            "max_output": self.max_output,
            "disk_quota": self.disk_quota,
            "max_fds": self.max_fds,
        })
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_memory: DEFAULT_MAX_MEMORY,
            fuel: None,
            timeout: None,
            max_output: None,
            disk_quota: None,
            max_fds: DEFAULT_MAX_FDS,
        }
    }
}

/// Network grants. Empty means no sockets at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetPolicy {
    /// Addresses the guest may connect to (TCP) or send to (UDP).
    pub allowed_outbound_hosts: Vec<HostPattern>,
    /// Whether `wasi:sockets/ip-name-lookup` (DNS) is allowed.
    pub allow_dns: bool,
}

/// A validated, immutable description of what a sandbox may do. Build one with
/// [`Policy::builder`]; `Policy::default()` denies everything and applies the default limits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub(crate) mounts: Vec<Mount>,
    pub(crate) files: Vec<FileGrant>,
    pub(crate) env: Vec<EnvGrant>,
    pub(crate) args: Vec<String>,
    pub(crate) stdin: StdinMode,
    pub(crate) stdout: OutputMode,
    pub(crate) stderr: OutputMode,
    pub(crate) net: NetPolicy,
    pub(crate) http: HttpPolicy,
    pub(crate) wasi: WasiSwitches,
    pub(crate) clocks: ClockMode,
    pub(crate) random_seed: Option<u64>,
    pub(crate) limits: Limits,
    pub(crate) host_functions: Vec<String>,
    pub(crate) allow_symlinks: bool,
    pub(crate) integrity: crate::integrity::IntegrityPolicy,
}

impl Policy {
    /// A builder that starts from nothing granted.
    pub fn builder() -> PolicyBuilder {
        PolicyBuilder::new()
    }
    /// Directory mounts.
    pub fn mounts(&self) -> &[Mount] {
        &self.mounts
    }
    /// Single-file grants.
    pub fn files(&self) -> &[FileGrant] {
        &self.files
    }
    /// Environment grants.
    pub fn env(&self) -> &[EnvGrant] {
        &self.env
    }
    /// Arguments passed after `argv[0]`.
    pub fn args(&self) -> &[String] {
        &self.args
    }
    /// Network grants.
    pub fn net(&self) -> &NetPolicy {
        &self.net
    }
    /// Outgoing HTTP grants and limits.
    pub fn http(&self) -> &HttpPolicy {
        &self.http
    }
    /// Which WASI preview 2 interface groups a component may import.
    pub fn wasi(&self) -> &WasiSwitches {
        &self.wasi
    }
    /// Resource limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
    /// Stdin mode.
    pub fn stdin(&self) -> &StdinMode {
        &self.stdin
    }
    /// Stdout mode.
    pub fn stdout(&self) -> OutputMode {
        self.stdout
    }
    /// Stderr mode.
    pub fn stderr(&self) -> OutputMode {
        self.stderr
    }
    /// Clock mode.
    pub fn clocks(&self) -> ClockMode {
        self.clocks
    }
    /// Seed of the guest's random numbers, when they are made reproducible.
    pub fn random_seed(&self) -> Option<u64> {
        self.random_seed
    }
    /// Granted host functions: `namespace::name`, or `namespace::*` for a whole namespace.
    pub fn host_functions(&self) -> &[String] {
        &self.host_functions
    }
    /// Whether the guest may create symbolic links in writable mounts (off by default; see
    /// [`PolicyBuilder::allow_symlinks`]).
    pub fn allow_symlinks(&self) -> bool {
        self.allow_symlinks
    }
    /// What the binary must prove before it runs: signatures by trusted keys, sha256 pins.
    pub fn integrity(&self) -> &crate::integrity::IntegrityPolicy {
        &self.integrity
    }
    /// The policy as JSON, as run receipts record it. Environment values appear only as their
    /// sha256 (`sha256:…`), so a receipt never carries a secret passed to the guest.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        use sha2::{Digest, Sha256};
        let env: Vec<_> = self
            .env
            .iter()
            .map(|g| match g {
                EnvGrant::Set(n, v) => {
                    json!({"name": n, "value_sha256": hex::encode(Sha256::digest(v.as_bytes()))})
                }
                EnvGrant::Inherit(n) => json!({"name": n, "inherit": true}),
            })
            .collect();
        let output = |m: OutputMode| match m {
            OutputMode::Inherit => "inherit",
            OutputMode::Capture => "capture",
            OutputMode::Null => "null",
        };
        json!({
            "dirs": self.mounts.iter().map(|m| json!({
                "host": m.host.display().to_string(), "guest": m.guest, "writable": m.writable,
            })).collect::<Vec<_>>(),
            "files": self.files.iter().map(|f| json!({
                "source": f.source.display().to_string(), "destination": f.destination,
            })).collect::<Vec<_>>(),
            "environment": env,
            "args": self.args,
            "stdin": match &self.stdin {
                StdinMode::Null => json!("null"),
                StdinMode::Inherit => json!("inherit"),
                StdinMode::Bytes(b) => json!({"bytes": b.len()}),
            },
            "stdout": output(self.stdout),
            "stderr": output(self.stderr),
            "allowed_outbound_hosts": self.net.allowed_outbound_hosts.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "allow_dns": self.net.allow_dns,
            "allowed_http_hosts": self.http.allowed_hosts.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "wasi_disabled": self.wasi.disabled().iter().map(|w| w.name()).collect::<Vec<_>>(),
            "clocks": match self.clocks { ClockMode::Host => "host", ClockMode::Frozen => "frozen" },
            "random_seed": self.random_seed,
            "host_functions": self.host_functions,
            "allow_symlinks": self.allow_symlinks,
            "limits": self.limits.to_json(),
            "http_limits": {
                "timeout_ms": self.http.timeout.as_millis() as u64,
                "max_response_bytes": self.http.max_response_bytes,
            },
            "integrity": self.integrity.to_json(),
        })
    }

    /// Whether the policy grants host function `namespace::name`.
    pub fn grants_host_fn(&self, namespace: &str, name: &str) -> bool {
        self.host_functions
            .iter()
            .any(|g| match g.split_once("::") {
                Some((ns, "*")) => ns == namespace,
                Some((ns, n)) => ns == namespace && n == name,
                None => false,
            })
    }
}

fn check_integrity(i: &crate::integrity::IntegrityPolicy) -> Result<()> {
    if i.require != crate::integrity::SignatureRequirement::None && i.trusted_keys.is_empty() {
        return Err(Error::InvalidPolicy(
            "require_signature needs at least one trusted key (--trust-key FILE, or \
             `trusted_keys` under [integrity])"
                .into(),
        ));
    }
    Ok(())
}

/// Builds a [`Policy`]. Mirrors Wasmtime's `WasiCtxBuilder`: `&mut self` setters, then
/// [`PolicyBuilder::build`].
///
/// The defaults deny everything:
/// * no directories or files, no environment variables, no arguments;
/// * stdin is empty, stdout and stderr go to the host's streams;
/// * no sockets and no DNS;
/// * no outgoing HTTP requests; when some are allowed, each is limited to
///   [`DEFAULT_HTTP_TIMEOUT`] and a response body of [`DEFAULT_MAX_HTTP_RESPONSE`];
/// * every WASI preview 2 interface may be imported (what it reaches still needs a grant
///   above); [`PolicyBuilder::wasi_interface`] switches groups off;
/// * host clocks and secure random numbers (nearly every runtime reads both at start-up,
///   and neither reaches any other resource; use [`ClockMode::Frozen`] and
///   [`PolicyBuilder::random_seed`] for reproducible runs);
/// * no symbolic links created by the guest;
/// * limits: 1 GiB of memory and tables in all, no fuel metering, no timeout, no output cap,
///   no disk quota, at most [`DEFAULT_MAX_FDS`] descriptors opened by the guest at once.
#[derive(Debug, Clone, Default)]
pub struct PolicyBuilder {
    policy: Policy,
}

impl PolicyBuilder {
    /// A builder with nothing granted.
    pub fn new() -> Self {
        Self::default()
    }

    /// Mounts host directory `host` at `guest`, read-only.
    pub fn dir(&mut self, host: impl Into<PathBuf>, guest: impl Into<String>) -> &mut Self {
        self.mount(host, guest, false)
    }

    /// Mounts host directory `host` at `guest`, read-only unless `writable`.
    pub fn mount(
        &mut self,
        host: impl Into<PathBuf>,
        guest: impl Into<String>,
        writable: bool,
    ) -> &mut Self {
        let guest = guest.into();
        self.policy
            .mounts
            .retain(|m| normalise_guest(&m.guest) != normalise_guest(&guest));
        self.policy.mounts.push(Mount {
            host: host.into(),
            guest,
            writable,
        });
        self
    }

    /// Makes one host file readable at `destination` (an absolute guest path).
    pub fn file(
        &mut self,
        source: impl Into<PathBuf>,
        destination: impl Into<String>,
    ) -> &mut Self {
        let destination = destination.into();
        self.policy.files.retain(|f| f.destination != destination);
        self.policy.files.push(FileGrant {
            source: source.into(),
            destination,
        });
        self
    }

    /// Sets environment variable `name` to `value` (replacing an earlier grant of `name`).
    pub fn env(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        let name = name.into();
        self.remove_env(&name);
        self.policy.env.push(EnvGrant::Set(name, value.into()));
        self
    }

    /// Passes the host's variable `name` through, if the host has it.
    pub fn inherit_env(&mut self, name: impl Into<String>) -> &mut Self {
        let name = name.into();
        self.remove_env(&name);
        self.policy.env.push(EnvGrant::Inherit(name));
        self
    }

    fn remove_env(&mut self, name: &str) {
        self.policy.env.retain(|g| match g {
            EnvGrant::Set(n, _) | EnvGrant::Inherit(n) => n != name,
        });
    }

    /// Appends one argument (after `argv[0]`).
    pub fn arg(&mut self, arg: impl Into<String>) -> &mut Self {
        self.policy.args.push(arg.into());
        self
    }

    /// Replaces the arguments (after `argv[0]`).
    pub fn args<S: Into<String>>(&mut self, args: impl IntoIterator<Item = S>) -> &mut Self {
        self.policy.args = args.into_iter().map(Into::into).collect();
        self
    }

    /// Sets what stdin reads.
    pub fn stdin(&mut self, mode: StdinMode) -> &mut Self {
        self.policy.stdin = mode;
        self
    }

    /// Sets where stdout goes.
    pub fn stdout(&mut self, mode: OutputMode) -> &mut Self {
        self.policy.stdout = mode;
        self
    }

    /// Sets where stderr goes.
    pub fn stderr(&mut self, mode: OutputMode) -> &mut Self {
        self.policy.stderr = mode;
        self
    }

    /// Allows outbound connections matching `pattern` (see [`HostPattern::parse`]).
    pub fn allow_net(&mut self, pattern: &str) -> Result<&mut Self> {
        let p = HostPattern::parse(pattern).map_err(Error::InvalidPolicy)?;
        if !self.policy.net.allowed_outbound_hosts.contains(&p) {
            self.policy.net.allowed_outbound_hosts.push(p);
        }
        Ok(self)
    }

    /// Allows DNS lookups (`wasi:sockets/ip-name-lookup`). Off by default.
    pub fn allow_dns(&mut self, allow: bool) -> &mut Self {
        self.policy.net.allow_dns = allow;
        self
    }

    /// Allows outgoing `wasi:http` requests to `origin` (see [`HttpOrigin::parse`]):
    /// `https://api.example.com`, `http://127.0.0.1:8080`, `https://*.example.com`. A port
    /// left out means the scheme's default. The host sends the request (and resolves the
    /// name), so no `allow_net` grant is needed or used for it.
    pub fn allow_http(&mut self, origin: &str) -> Result<&mut Self> {
        let o = HttpOrigin::parse(origin).map_err(Error::InvalidPolicy)?;
        if !self.policy.http.allowed_hosts.contains(&o) {
            self.policy.http.allowed_hosts.push(o);
        }
        Ok(self)
    }

    /// Limits each outgoing HTTP request to `timeout`, from sending it to the end of its
    /// response body (connect, first byte, each gap between body chunks, and the whole).
    /// Default [`DEFAULT_HTTP_TIMEOUT`]. A request over it fails with `connection-timeout`,
    /// `connection-read-timeout` or `http-response-timeout` and is a `limit.http` audit event.
    pub fn http_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.policy.http.timeout = timeout;
        self
    }

    /// Caps each outgoing HTTP response body at `bytes`. Default
    /// [`DEFAULT_MAX_HTTP_RESPONSE`]. A response over it fails with
    /// `http-response-body-size` and is a `limit.http` audit event.
    pub fn max_http_response_bytes(&mut self, bytes: u64) -> &mut Self {
        self.policy.http.max_response_bytes = bytes;
        self
    }

    /// Switches a group of WASI preview 2 interfaces on or off (all are on by default). A
    /// component importing an interface that is off is refused when it is prepared, with
    /// [`Error::Denied`] naming the interface.
    pub fn wasi_interface(&mut self, iface: WasiInterface, on: bool) -> &mut Self {
        self.policy.wasi.set(iface, on);
        self
    }

    /// Grants a host function to plugins: `namespace::name`, or `namespace::*`.
    pub fn allow_host_fn(&mut self, grant: impl Into<String>) -> &mut Self {
        let grant = grant.into();
        if !self.policy.host_functions.contains(&grant) {
            self.policy.host_functions.push(grant);
        }
        self
    }

    /// Sets the clocks the guest sees.
    pub fn clocks(&mut self, mode: ClockMode) -> &mut Self {
        self.policy.clocks = mode;
        self
    }

    /// Makes the guest's random numbers reproducible from `seed` (not for secrets!).
    pub fn random_seed(&mut self, seed: Option<u64>) -> &mut Self {
        self.policy.random_seed = seed;
        self
    }

    /// Sets the budget for all linear memories and tables together, in bytes.
    pub fn max_memory(&mut self, bytes: u64) -> &mut Self {
        self.policy.limits.max_memory = bytes;
        self
    }

    /// Meters the guest with this much fuel. Needs an engine built with fuel.
    pub fn fuel(&mut self, fuel: Option<u64>) -> &mut Self {
        self.policy.limits.fuel = fuel;
        self
    }

    /// Stops the guest after this much wall-clock time.
    pub fn timeout(&mut self, timeout: Option<Duration>) -> &mut Self {
        self.policy.limits.timeout = timeout;
        self
    }

    /// Caps bytes written to stdout, and separately to stderr.
    pub fn max_output(&mut self, bytes: Option<u64>) -> &mut Self {
        self.policy.limits.max_output = bytes;
        self
    }

    /// Caps the bytes by which the guest may grow files in writable mounts during the run,
    /// all files together; `None` (the default) is unlimited.
    ///
    /// Growing a file (writing past its end, or `set_size`/`ftruncate` to a larger size) is
    /// charged; overwriting existing bytes is free; shrinking, truncating or deleting files
    /// gives nothing back. A write that would take the total past the quota fails with WASI
    /// `nospc` (p1) / `insufficient-space` (p2) and writes nothing; smaller writes that still fit
    /// succeed. Each refusal is a `limit.disk` audit event.
    pub fn disk_quota(&mut self, bytes: Option<u64>) -> &mut Self {
        self.policy.limits.disk_quota = bytes;
        self
    }

    /// Caps the descriptors (files, directories, sockets) the guest may hold open at once.
    /// Only descriptors the guest opens count, not stdio or preopened directories; closing
    /// one frees its slot. Opening past the cap fails with WASI `mfile` (p1) /
    /// `insufficient-memory` (p2 files; wasi:filesystem has no "too many open files") /
    /// `new-socket-limit` (p2 sockets), and is a `limit.fds` audit event.
    /// Default [`DEFAULT_MAX_FDS`].
    pub fn max_fds(&mut self, n: u32) -> &mut Self {
        self.policy.limits.max_fds = n;
        self
    }

    /// Lets the guest create symbolic links in writable mounts. Off by default.
    ///
    /// Inside the sandbox a symlink cannot lead out of its mount, but the link stays on the
    /// host after the run: one pointing outside the mount (`/out/x -> /etc/shadow`) is a trap
    /// for host tools that later read, copy, serve or `chmod -R` that directory with their full
    /// authority. Refused links fail with WASI `perm` / `not-permitted` and are `fs.symlink`
    /// audit denials.
    pub fn allow_symlinks(&mut self, allow: bool) -> &mut Self {
        self.policy.allow_symlinks = allow;
        self
    }

    /// Trusts `key`: its signatures count for [`PolicyBuilder::require_signature`]. Trusting a
    /// key turns on `require_signature(Any)` unless a requirement was set.
    pub fn trust_key(&mut self, key: crate::integrity::PublicKey) -> &mut Self {
        let integrity = &mut self.policy.integrity;
        if !integrity.trusted_keys.contains(&key) {
            integrity.trusted_keys.push(key);
        }
        if integrity.require == crate::integrity::SignatureRequirement::None {
            integrity.require = crate::integrity::SignatureRequirement::Any;
        }
        self
    }

    /// How many trusted keys must have signed the binary: any one, all, or none (no
    /// signature needed). A requirement without trusted keys is refused by `build`.
    pub fn require_signature(
        &mut self,
        requirement: crate::integrity::SignatureRequirement,
    ) -> &mut Self {
        self.policy.integrity.require = requirement;
        self
    }

    /// Pins the binary's sha256 (64 hex digits, optionally `sha256:`-prefixed): with one or
    /// more pins, only a binary with one of these digests runs.
    pub fn pin_sha256(&mut self, digest: &str) -> Result<&mut Self> {
        let d = crate::integrity::parse_sha256(digest).map_err(Error::InvalidPolicy)?;
        if !self.policy.integrity.sha256.contains(&d) {
            self.policy.integrity.sha256.push(d);
        }
        Ok(self)
    }

    /// Applies a parsed policy file on top of what is set so far.
    pub fn apply_file(&mut self, file: &PolicyFile, base_dir: &Path) -> Result<&mut Self> {
        file.apply(self, base_dir)?;
        Ok(self)
    }

    /// Validates and returns the policy: host paths must exist (directories for mounts,
    /// regular files for file grants), guest paths must be unique, names must be valid.
    pub fn build(&self) -> Result<Policy> {
        let mut p = self.policy.clone();
        check_integrity(&p.integrity)?;
        for m in &mut p.mounts {
            let meta = std::fs::metadata(&m.host).map_err(|e| {
                Error::InvalidPolicy(format!("cannot mount `{}`: {e}", m.host.display()))
            })?;
            if !meta.is_dir() {
                return Err(Error::InvalidPolicy(format!(
                    "cannot mount `{}`: not a directory (grant a single file with `files` / --file instead)",
                    m.host.display()
                )));
            }
            m.host = m.host.canonicalize().map_err(|e| {
                Error::InvalidPolicy(format!("cannot mount `{}`: {e}", m.host.display()))
            })?;
            check_guest_path(&m.guest)?;
        }
        for f in &mut p.files {
            let meta = std::fs::metadata(&f.source).map_err(|e| {
                Error::InvalidPolicy(format!("cannot grant file `{}`: {e}", f.source.display()))
            })?;
            if !meta.is_file() {
                return Err(Error::InvalidPolicy(format!(
                    "cannot grant file `{}`: not a regular file (mount directories with `dirs` / --dir)",
                    f.source.display()
                )));
            }
            if !f.destination.starts_with('/') || f.destination.ends_with('/') {
                return Err(Error::InvalidPolicy(format!(
                    "file destination `{}` must be an absolute guest file path such as `/etc/app.toml`",
                    f.destination
                )));
            }
            check_guest_path(&f.destination)?;
            let parent = guest_parent(&f.destination);
            if p.mounts.iter().any(|m| normalise_guest(&m.guest) == parent) {
                return Err(Error::InvalidPolicy(format!(
                    "file destination `{}` is inside the mounted directory `{parent}`; put the file in that host directory or choose another destination",
                    f.destination
                )));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for m in &p.mounts {
            if !seen.insert(normalise_guest(&m.guest)) {
                return Err(Error::InvalidPolicy(format!(
                    "guest path `{}` is mounted twice",
                    m.guest
                )));
            }
        }
        for g in &p.env {
            let name = match g {
                EnvGrant::Set(n, _) | EnvGrant::Inherit(n) => n,
            };
            if name.is_empty() || name.contains('=') || name.contains('\0') {
                return Err(Error::InvalidPolicy(format!(
                    "`{name}` is not a valid environment variable name"
                )));
            }
            if let EnvGrant::Set(_, v) = g
                && v.contains('\0')
            {
                return Err(Error::InvalidPolicy(format!(
                    "environment variable `{name}` contains a NUL byte"
                )));
            }
        }
        for g in &p.host_functions {
            match g.split_once("::") {
                Some((ns, n)) if !ns.is_empty() && !n.is_empty() && !n.contains("::") => {}
                _ => {
                    return Err(Error::InvalidPolicy(format!(
                        "host function grant `{g}` must be `namespace::name` or `namespace::*`"
                    )));
                }
            }
        }
        if p.limits.max_memory == 0 {
            return Err(Error::InvalidPolicy(
                "max_memory must be greater than zero".into(),
            ));
        }
        if p.http.timeout == Duration::ZERO {
            return Err(Error::InvalidPolicy(
                "http_timeout must be greater than zero".into(),
            ));
        }
        if p.limits.timeout == Some(Duration::ZERO) {
            return Err(Error::InvalidPolicy(
                "timeout must be greater than zero".into(),
            ));
        }
        Ok(p)
    }
}

fn check_guest_path(path: &str) -> Result<()> {
    if path.is_empty() || path.contains('\0') {
        return Err(Error::InvalidPolicy(format!(
            "`{path}` is not a valid guest path"
        )));
    }
    if path.split('/').any(|c| c == "..") {
        return Err(Error::InvalidPolicy(format!(
            "guest path `{path}` must not contain `..`"
        )));
    }
    Ok(())
}

pub(crate) fn normalise_guest(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_string()
    } else {
        trimmed.to_string()
    }
}

pub(crate) fn guest_parent(path: &str) -> String {
    match path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => path[..i].to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_denies_everything() {
        let p = Policy::builder().build().expect("default policy");
        assert!(p.mounts.is_empty() && p.files.is_empty() && p.env.is_empty());
        assert!(p.net.allowed_outbound_hosts.is_empty() && !p.net.allow_dns);
        assert_eq!(p.stdin, StdinMode::Null);
        assert_eq!(p.limits.max_memory, DEFAULT_MAX_MEMORY);
        assert_eq!(p.limits.disk_quota, None);
        assert_eq!(p.limits.max_fds, DEFAULT_MAX_FDS);
        assert!(!p.allow_symlinks());
    }

    #[test]
    fn rejects_missing_dir_and_bad_names() {
        let mut b = Policy::builder();
        b.dir("/definitely/not/here", "/x");
        assert!(matches!(b.build(), Err(Error::InvalidPolicy(_))));
        let mut b = Policy::builder();
        b.env("A=B", "c");
        assert!(matches!(b.build(), Err(Error::InvalidPolicy(_))));
        let mut b = Policy::builder();
        b.dir("/tmp", "/a/../b");
        assert!(matches!(b.build(), Err(Error::InvalidPolicy(_))));
    }

    #[test]
    fn later_grants_replace_earlier_ones() {
        let mut b = Policy::builder();
        b.env("A", "1")
            .inherit_env("A")
            .dir("/tmp", "/t")
            .mount("/tmp", "/t", true);
        let p = b.build().expect("policy");
        assert_eq!(p.env, vec![EnvGrant::Inherit("A".into())]);
        assert_eq!(p.mounts.len(), 1);
        assert!(p.mounts[0].writable);
    }
}
