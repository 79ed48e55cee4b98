//! The policy file (`--policy FILE`): TOML with exactly the builder's fields.
//!
//! Unknown keys are errors that suggest the nearest valid key. Relative host paths are
//! resolved against the policy file's directory. See `docs/policy.md` for every key.

use super::units::{parse_duration, parse_size};
use super::{ClockMode, OutputMode, PolicyBuilder, StdinMode, WasiInterface};
use crate::error::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// A parsed policy file. Every field is optional; what is absent keeps the builder's value.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// Directory mounts. Example: `dirs = [{ host = "./data", guest = "/data", writable = true }]`
    #[serde(default)]
    pub dirs: Vec<DirEntry>,
    /// Single read-only files (Spin's key). Example: `files = [{ source = "app.toml", destination = "/etc/app.toml" }]`
    #[serde(default)]
    pub files: Vec<FileEntry>,
    /// Environment variables to set (Spin's key). Example: `environment = { LANG = "C" }`
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Host environment variables to pass through by name. Example: `inherit_environment = ["HOME"]`
    #[serde(default)]
    pub inherit_environment: Vec<String>,
    /// Arguments after argv[0]. Example: `args = ["--verbose"]`
    pub args: Option<Vec<String>>,
    /// Network allow-list (Spin's key). Example: `allowed_outbound_hosts = ["127.0.0.1:8080"]`
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    /// Whether DNS lookups are allowed. Example: `allow_dns = true`
    pub allow_dns: Option<bool>,
    /// Origins outgoing `wasi:http` requests may go to (Spin's former key). Example:
    /// `allowed_http_hosts = ["https://api.example.com", "http://127.0.0.1:8080"]`
    #[serde(default)]
    pub allowed_http_hosts: Vec<String>,
    /// WASI preview 2 interface switches, all on by default. Example: `[wasi] sockets = false`
    pub wasi: Option<WasiSection>,
    /// Standard streams. Example: `[stdio] stdout = "capture"`
    pub stdio: Option<StdioSection>,
    /// `"host"` (default) or `"frozen"`.
    pub clocks: Option<String>,
    /// Seed for reproducible random numbers. Example: `random_seed = 42`
    pub random_seed: Option<u64>,
    /// Host functions plugins may import. Example: `host_functions = ["host::greet", "kv::*"]`
    #[serde(default)]
    pub host_functions: Vec<String>,
    /// Lets the guest create symbolic links in writable mounts (off by default: a link left
    /// behind pointing outside its mount is a trap for host tools). Example: `allow_symlinks = true`
    pub allow_symlinks: Option<bool>,
    /// Resource limits. Example: `[limits] max_memory = "64MiB"`
    pub limits: Option<LimitsSection>,
    /// Signatures and pins the binary must carry. Example:
    /// `[integrity] trusted_keys = ["keys/release.pub"]`
    pub integrity: Option<IntegritySection>,
}

/// The `[integrity]` table.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IntegritySection {
    /// Public key files (relative to the policy file) whose signatures count.
    #[serde(default)]
    pub trusted_keys: Vec<String>,
    /// `"any"` (the default when keys are listed), `"all"`, or `false` / `"none"`.
    pub require_signature: Option<RequireValue>,
    /// Allowed sha256 digests of the binary (64 hex digits each).
    #[serde(default)]
    pub sha256: Vec<String>,
}

/// `require_signature = "any" | "all" | "none" | true | false`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum RequireValue {
    /// `true` is `"any"`, `false` is `"none"`.
    Flag(bool),
    /// `"any"`, `"all"` or `"none"`.
    Text(String),
}

/// One `dirs` entry.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DirEntry {
    /// Host directory (relative to the policy file).
    pub host: String,
    /// Guest path; defaults to the host path as written.
    pub guest: Option<String>,
    /// Grants writes. Default false.
    #[serde(default)]
    pub writable: bool,
}

/// One `files` entry.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Host file (relative to the policy file).
    pub source: String,
    /// Absolute guest path.
    pub destination: String,
}

/// The `[stdio]` table.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StdioSection {
    /// `"null"` or `"inherit"`.
    pub stdin: Option<String>,
    /// `"inherit"`, `"capture"` or `"null"`.
    pub stdout: Option<String>,
    /// `"inherit"`, `"capture"` or `"null"`.
    pub stderr: Option<String>,
}

/// The `[limits]` table. Sizes take a number of bytes or a string with a unit (`"64MiB"`);
/// durations a number of seconds or a string (`"2s"`, `"500ms"`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    /// Budget for all memories and tables together.
    pub max_memory: Option<SizeValue>,
    /// Fuel budget.
    pub fuel: Option<u64>,
    /// Wall-clock limit.
    pub timeout: Option<SizeValue>,
    /// Per-stream output cap.
    pub max_output: Option<SizeValue>,
    /// Bytes the guest may add to files in writable mounts. Example: `disk_quota = "64MiB"`
    pub disk_quota: Option<SizeValue>,
    /// Descriptors the guest may hold open at once (default 1024). Example: `max_fds = 256`
    pub max_fds: Option<u32>,
    /// Time limit of one outgoing HTTP request (default 30 s). Example: `http_timeout = "5s"`
    pub http_timeout: Option<SizeValue>,
    /// Cap on one outgoing HTTP response body (default 16 MiB). Example: `max_http_response = "1MiB"`
    pub max_http_response: Option<SizeValue>,
}

/// The `[wasi]` table: `NAME = false` switches a group of WASI preview 2 interfaces off
/// (a component importing one is refused at load). All default to `true`. `sockets` sets
/// `tcp`, `udp` and `ip_name_lookup` together; the finer keys win over it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WasiSection {
    /// `wasi:cli/environment` (arguments and environment variables).
    pub environment: Option<bool>,
    /// `wasi:cli/exit`.
    pub exit: Option<bool>,
    /// `wasi:cli/stdin`, `stdout`, `stderr`, `terminal-*`.
    pub stdio: Option<bool>,
    /// `wasi:clocks/*`.
    pub clocks: Option<bool>,
    /// `wasi:random/*`.
    pub random: Option<bool>,
    /// `wasi:filesystem/*`.
    pub filesystem: Option<bool>,
    /// `tcp`, `udp` and `ip_name_lookup` together.
    pub sockets: Option<bool>,
    /// `wasi:sockets/tcp`, `tcp-create-socket`.
    pub tcp: Option<bool>,
    /// `wasi:sockets/udp`, `udp-create-socket`.
    pub udp: Option<bool>,
    /// `wasi:sockets/ip-name-lookup`.
    pub ip_name_lookup: Option<bool>,
    /// `wasi:http/types`, `wasi:http/outgoing-handler`.
    pub http: Option<bool>,
}

impl WasiSection {
    fn apply(&self, b: &mut PolicyBuilder) {
        use WasiInterface as W;
        if let Some(on) = self.sockets {
            for i in [W::Tcp, W::Udp, W::IpNameLookup] {
                b.wasi_interface(i, on);
            }
        }
        for (iface, value) in [
            (W::Environment, self.environment),
            (W::Exit, self.exit),
            (W::Stdio, self.stdio),
            (W::Clocks, self.clocks),
            (W::Random, self.random),
            (W::Filesystem, self.filesystem),
            (W::Tcp, self.tcp),
            (W::Udp, self.udp),
            (W::IpNameLookup, self.ip_name_lookup),
            (W::Http, self.http),
        ] {
            if let Some(on) = value {
                b.wasi_interface(iface, on);
            }
        }
    }
}

/// A number, or a string with a unit.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum SizeValue {
    /// A plain number (bytes or seconds).
    Number(u64),
    /// A fractional number (seconds, for durations).
    Float(f64),
    /// A string with a unit.
    Text(String),
}

impl SizeValue {
    fn bytes(&self, key: &str) -> Result<u64> {
        match self {
            SizeValue::Number(n) => Ok(*n),
            SizeValue::Float(f) => Err(Error::InvalidPolicy(format!(
                "{key}: {f} is not a whole number of bytes; write a string with a unit such as \"1.5MiB\""
            ))),
            SizeValue::Text(t) => {
                parse_size(t).map_err(|e| Error::InvalidPolicy(format!("{key}: {e}")))
            }
        }
    }
    fn duration(&self, key: &str) -> Result<std::time::Duration> {
        match self {
            SizeValue::Number(n) => Ok(std::time::Duration::from_secs(*n)),
            SizeValue::Float(f) => std::time::Duration::try_from_secs_f64(*f).map_err(|_| {
                Error::InvalidPolicy(format!("{key}: {f} is not a valid number of seconds"))
            }),
            SizeValue::Text(t) => {
                parse_duration(t).map_err(|e| Error::InvalidPolicy(format!("{key}: {e}")))
            }
        }
    }
}

impl PolicyFile {
    /// Parses policy TOML. `origin` names the file in error messages.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        toml::from_str(text)
            .map_err(|e| Error::InvalidPolicy(describe_toml_error(&e, origin, text)))
    }

    /// Reads and parses a policy file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("cannot read policy file `{}`", path.display()), e))?;
        Self::parse(&text, &path.display().to_string())
    }

    pub(super) fn apply(&self, b: &mut PolicyBuilder, base: &Path) -> Result<()> {
        let resolve = |p: &str| {
            let path = Path::new(p);
            if path.is_absolute() {
                path.to_path_buf()
            } else {
                base.join(path)
            }
        };
        for d in &self.dirs {
            let guest = d.guest.clone().unwrap_or_else(|| d.host.clone());
            b.mount(resolve(&d.host), guest, d.writable);
        }
        for f in &self.files {
            b.file(resolve(&f.source), f.destination.clone());
        }
        for (k, v) in &self.environment {
            b.env(k.clone(), v.clone());
        }
        for k in &self.inherit_environment {
            b.inherit_env(k.clone());
        }
        if let Some(args) = &self.args {
            b.args(args.clone());
        }
        for h in &self.allowed_outbound_hosts {
            b.allow_net(h).map_err(|e| {
                Error::InvalidPolicy(format!("allowed_outbound_hosts: {}", e.detail()))
            })?;
        }
        for h in &self.allowed_http_hosts {
            b.allow_http(h)
                .map_err(|e| Error::InvalidPolicy(format!("allowed_http_hosts: {}", e.detail())))?;
        }
        if let Some(w) = &self.wasi {
            w.apply(b);
        }
        for h in &self.host_functions {
            b.allow_host_fn(h.clone());
        }
        if let Some(dns) = self.allow_dns {
            b.allow_dns(dns);
        }
        if let Some(allow) = self.allow_symlinks {
            b.allow_symlinks(allow);
        }
        if let Some(stdio) = &self.stdio {
            if let Some(s) = &stdio.stdin {
                b.stdin(match s.as_str() {
                    "null" => StdinMode::Null,
                    "inherit" => StdinMode::Inherit,
                    other => return Err(bad_choice("stdio.stdin", other, &["null", "inherit"])),
                });
            }
            if let Some(s) = &stdio.stdout {
                b.stdout(output_mode("stdio.stdout", s)?);
            }
            if let Some(s) = &stdio.stderr {
                b.stderr(output_mode("stdio.stderr", s)?);
            }
        }
        if let Some(c) = &self.clocks {
            b.clocks(match c.as_str() {
                "host" => ClockMode::Host,
                "frozen" => ClockMode::Frozen,
                other => return Err(bad_choice("clocks", other, &["host", "frozen"])),
            });
        }
        if self.random_seed.is_some() {
            b.random_seed(self.random_seed);
        }
        if let Some(i) = &self.integrity {
            use crate::integrity::SignatureRequirement as R;
            for k in &i.trusted_keys {
                let key = crate::integrity::PublicKey::from_file(&resolve(k)).map_err(|e| {
                    Error::InvalidPolicy(format!("integrity.trusted_keys: {}", e.detail()))
                })?;
                b.trust_key(key);
            }
            if let Some(r) = &i.require_signature {
                b.require_signature(match r {
                    RequireValue::Flag(true) => R::Any,
                    RequireValue::Flag(false) => R::None,
                    RequireValue::Text(t) => match t.as_str() {
                        "any" => R::Any,
                        "all" => R::All,
                        "none" => R::None,
                        other => {
                            return Err(bad_choice(
                                "integrity.require_signature",
                                other,
                                &["any", "all", "none"],
                            ));
                        }
                    },
                });
            }
            for d in &i.sha256 {
                b.pin_sha256(d).map_err(|e| {
                    Error::InvalidPolicy(format!("integrity.sha256: {}", e.detail()))
                })?;
            }
        }
        if let Some(l) = &self.limits {
            if let Some(m) = &l.max_memory {
                b.max_memory(m.bytes("limits.max_memory")?);
            }
            if let Some(f) = l.fuel {
                b.fuel(Some(f));
            }
            if let Some(t) = &l.timeout {
                b.timeout(Some(t.duration("limits.timeout")?));
            }
            if let Some(o) = &l.max_output {
                b.max_output(Some(o.bytes("limits.max_output")?));
            }
            if let Some(q) = &l.disk_quota {
                b.disk_quota(Some(q.bytes("limits.disk_quota")?));
            }
            if let Some(n) = l.max_fds {
                b.max_fds(n);
            }
            if let Some(t) = &l.http_timeout {
                b.http_timeout(t.duration("limits.http_timeout")?);
            }
            if let Some(m) = &l.max_http_response {
                b.max_http_response_bytes(m.bytes("limits.max_http_response")?);
            }
        }
        Ok(())
    }
}

fn output_mode(key: &str, s: &str) -> Result<OutputMode> {
    match s {
        "inherit" => Ok(OutputMode::Inherit),
        "capture" => Ok(OutputMode::Capture),
        "null" => Ok(OutputMode::Null),
        other => Err(bad_choice(key, other, &["inherit", "capture", "null"])),
    }
}

fn bad_choice(key: &str, got: &str, choices: &[&str]) -> Error {
    Error::InvalidPolicy(format!(
        "{key} = \"{got}\" is not one of: {}",
        choices.join(", ")
    ))
}

/// Turns a TOML/serde error into one line, with a "did you mean" for unknown keys.
fn describe_toml_error(e: &toml::de::Error, origin: &str, text: &str) -> String {
    let msg = e.message().trim().replace('\n', " ");
    let origin = match e.span() {
        Some(span) => {
            let line = text
                .get(..span.start)
                .map(|t| t.matches('\n').count() + 1)
                .unwrap_or(1);
            format!("{origin}:{line}")
        }
        None => origin.to_string(),
    };
    let mut out = format!("{origin}: {msg}");
    if let Some(rest) = msg.strip_prefix("unknown field `")
        && let Some((field, tail)) = rest.split_once('`')
    {
        let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
        out = format!("{origin}: unknown key `{field}`");
        if let Some(best) = nearest(field, &expected) {
            out.push_str(&format!("; did you mean `{best}`?"));
        } else if !expected.is_empty() {
            out.push_str(&format!("; valid keys here: {}", expected.join(", ")));
        }
    }
    out
}

fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score > 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_file_parses_and_applies() {
        let text = r#"
            dirs = [{ host = ".", guest = "/work", writable = true }]
            environment = { GREETING = "hi" }
            inherit_environment = ["HOME"]
            allowed_outbound_hosts = ["127.0.0.1:8080"]
            allow_dns = false
            clocks = "frozen"
            random_seed = 7
            allow_symlinks = true
            allowed_http_hosts = ["http://127.0.0.1:8080", "https://*.example.com"]
            [wasi]
            sockets = false
            udp = true
            [stdio]
            stdout = "capture"
            [limits]
            max_memory = "64MiB"
            fuel = 30000
            timeout = "2s"
            max_output = 1024
            disk_quota = "64MiB"
            max_fds = 256
            http_timeout = "5s"
            max_http_response = "1MiB"
        "#;
        let f = PolicyFile::parse(text, "p.toml").expect("parses");
        let mut b = PolicyBuilder::new();
        b.apply_file(&f, Path::new("/tmp")).expect("applies");
        let p = b.build().expect("valid");
        assert_eq!(p.limits.max_memory, 64 << 20);
        assert_eq!(p.limits.fuel, Some(30000));
        assert_eq!(p.limits.max_output, Some(1024));
        assert_eq!(p.limits.disk_quota, Some(64 << 20));
        assert_eq!(p.limits.max_fds, 256);
        assert!(p.allow_symlinks());
        assert_eq!(p.stdout, OutputMode::Capture);
        assert_eq!(p.clocks, ClockMode::Frozen);
        assert!(p.mounts[0].writable);
        assert_eq!(p.http.allowed_hosts.len(), 2);
        assert_eq!(p.http.timeout, std::time::Duration::from_secs(5));
        assert_eq!(p.http.max_response_bytes, 1 << 20);
        assert_eq!(
            p.wasi.disabled(),
            &[WasiInterface::Tcp, WasiInterface::IpNameLookup]
        );
    }

    #[test]
    fn unknown_key_suggests_nearest() {
        let err = PolicyFile::parse("[limits]\nmax_memroy = \"1MiB\"\n", "p.toml")
            .expect_err("unknown key");
        let msg = err.to_string();
        assert!(msg.contains("unknown key `max_memroy`"), "{msg}");
        assert!(msg.contains("did you mean `max_memory`?"), "{msg}");
        let err =
            PolicyFile::parse("enviroment = { A = \"b\" }\n", "p.toml").expect_err("unknown key");
        assert!(
            err.to_string().contains("did you mean `environment`?"),
            "{err}"
        );
    }

    #[test]
    fn bad_values_are_named() {
        let err = PolicyFile::parse("[limits]\nmax_memory = \"lots\"\n", "p.toml")
            .and_then(|f| f.apply(&mut PolicyBuilder::new(), Path::new(".")))
            .expect_err("bad size");
        assert!(err.to_string().contains("limits.max_memory"), "{err}");
        let err = PolicyFile::parse("[limits]\ndisk_quota = \"a lot\"\n", "p.toml")
            .and_then(|f| f.apply(&mut PolicyBuilder::new(), Path::new(".")))
            .expect_err("bad quota");
        assert!(err.to_string().contains("limits.disk_quota"), "{err}");
        let err = PolicyFile::parse("[limits]\nmax_fds = -1\n", "p.toml").expect_err("negative");
        assert!(err.to_string().contains("p.toml:2"), "{err}");
        let err = PolicyFile::parse("allow_symlink = true\n", "p.toml").expect_err("typo");
        assert!(
            err.to_string().contains("did you mean `allow_symlinks`?"),
            "{err}"
        );
        let err = PolicyFile::parse("[stdio]\nstdout = \"printer\"\n", "p.toml")
            .and_then(|f| f.apply(&mut PolicyBuilder::new(), Path::new(".")))
            .expect_err("bad choice");
        assert!(err.to_string().contains("stdio.stdout"), "{err}");
        let err = PolicyFile::parse("allowed_http_hosts = [\"ftp://x\"]\n", "p.toml")
            .and_then(|f| f.apply(&mut PolicyBuilder::new(), Path::new(".")))
            .expect_err("bad origin");
        assert!(err.to_string().contains("allowed_http_hosts"), "{err}");
        let err = PolicyFile::parse("[wasi]\nsocket = false\n", "p.toml").expect_err("typo");
        assert!(err.to_string().contains("did you mean `sockets`?"), "{err}");
    }

    /// Regression (fuzz/regressions/policy_toml/newline-in-dir): a host path holding a
    /// newline made "cannot mount" a two-line error. Every failure stays one escaped line.
    #[test]
    fn errors_stay_on_one_line_whatever_the_file_holds() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/regressions/policy_toml");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("regression inputs") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("utf-8");
            let result = PolicyFile::parse(&text, "p.toml").and_then(|file| {
                let mut b = crate::PolicyBuilder::new();
                b.apply_file(&file, std::path::Path::new("/nonexistent/nanoproc"))?;
                b.build()
            });
            if let Err(e) = result {
                seen += 1;
                let line = e.to_string();
                assert!(!line.chars().any(char::is_control), "{text:?}: {line:?}");
            }
        }
        assert!(seen >= 2, "the regression inputs should fail to apply");
        let err = crate::PolicyBuilder::new()
            .dir("/a\nb", "/x")
            .build()
            .expect_err("no such directory");
        assert!(err.to_string().contains("/a\\u{a}b"), "{err}");
    }
}
