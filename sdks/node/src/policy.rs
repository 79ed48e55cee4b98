//! `Policy`: the options object index.js normalises, onto `nanoproc::PolicyBuilder`.

use crate::convert::{opt_count, opt_millis, opt_size};
use crate::errors;
use nanoproc::policy::{ClockMode, EnvGrant, OutputMode, StdinMode, WasiInterface};
use nanoproc::{PolicyBuilder, PolicyFile};
use napi::bindgen_prelude::Buffer;
use napi::{Env, sys};
use napi_derive::napi;
use std::path::{Path, PathBuf};

/// A directory grant (read-only unless `writable`).
#[napi(object)]
pub struct DirInit {
    /// The directory on the host.
    pub host: String,
    /// Where the guest sees it.
    pub guest: String,
    /// Whether the guest may create, change and delete entries.
    pub writable: bool,
}

/// A single read-only file grant.
#[napi(object)]
pub struct FileInit {
    /// The file on the host.
    pub host: String,
    /// Where the guest sees it.
    pub guest: String,
}

/// An environment variable set for the guest.
#[napi(object)]
pub struct EnvInit {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// The policy options, normalised by index.js (sizes and counts as strings, durations in ms).
#[napi(object)]
pub struct PolicyInit {
    /// Directory grants.
    pub dirs: Vec<DirInit>,
    /// Single-file grants.
    pub files: Vec<FileInit>,
    /// Variables set.
    pub env: Vec<EnvInit>,
    /// Host variables passed through.
    pub inherit_env: Vec<String>,
    /// Arguments after argv[0].
    pub args: Vec<String>,
    /// `"null"`, `"inherit"` or `"bytes"` (then `stdin_data`).
    pub stdin: String,
    /// Standard input bytes, for `stdin: "bytes"`.
    pub stdin_data: Option<Buffer>,
    /// `"capture"`, `"inherit"` or `"null"`.
    pub stdout: String,
    /// `"capture"`, `"inherit"` or `"null"`.
    pub stderr: String,
    /// `HOST:PORT` patterns of allowed outbound connections.
    pub allow_net: Vec<String>,
    /// Whether name lookups are allowed.
    pub allow_dns: bool,
    /// Origins of allowed outgoing HTTP requests.
    pub allow_http: Vec<String>,
    /// Granted host functions (`ns::name`, `ns::*`).
    pub allow_host_fns: Vec<String>,
    /// Whether symlinks inside granted directories are followed.
    pub allow_symlinks: bool,
    /// WASI interface groups a component may not import.
    pub deny_wasi: Vec<String>,
    /// Memory budget (size text).
    pub max_memory: Option<String>,
    /// Fuel budget (digits).
    pub fuel: Option<String>,
    /// Wall-clock limit in milliseconds.
    pub timeout_ms: Option<f64>,
    /// Per-stream output cap (size text).
    pub max_output: Option<String>,
    /// Disk quota (size text).
    pub disk_quota: Option<String>,
    /// Most descriptors open at once.
    pub max_fds: Option<String>,
    /// Timeout of outgoing HTTP requests in milliseconds.
    pub http_timeout_ms: Option<f64>,
    /// Cap on an HTTP response body (size text).
    pub max_http_response: Option<String>,
    /// `"host"` or `"frozen"`.
    pub clocks: Option<String>,
    /// Seed of the guest's random numbers (digits).
    pub random_seed: Option<String>,
    /// Public key files (Ed25519, PEM) whose signatures count.
    pub trust_keys: Vec<String>,
    /// `"any"`, `"all"` or `"none"`: how many trusted keys must have signed the binary.
    pub require_signature: Option<String>,
    /// SHA-256 digests of the binaries allowed to run (64 hex digits, `sha256:` allowed).
    pub pin_sha256: Vec<String>,
}

/// What a policy grants and limits, as plain values.
#[napi(object)]
pub struct PolicySummary {
    /// Directory grants (host paths canonical).
    pub dirs: Vec<DirInit>,
    /// File grants.
    pub files: Vec<FileInit>,
    /// Variables set.
    pub env: Vec<EnvInit>,
    /// Host variables passed through.
    pub inherit_env: Vec<String>,
    /// Arguments after argv[0].
    pub args: Vec<String>,
    /// Granted host functions.
    pub allow_host_fns: Vec<String>,
    /// Memory budget in bytes.
    pub max_memory: f64,
    /// Fuel budget, as digits.
    pub fuel: Option<String>,
    /// Wall-clock limit in milliseconds.
    pub timeout_ms: Option<f64>,
    /// Output cap in bytes.
    pub max_output: Option<f64>,
    /// Disk quota in bytes.
    pub disk_quota: Option<f64>,
    /// `"capture"`, `"inherit"` or `"null"`.
    pub stdout: String,
    /// `"capture"`, `"inherit"` or `"null"`.
    pub stderr: String,
}

/// A validated policy (the native half of `Policy`).
#[napi]
pub struct NativePolicy {
    pub(crate) builder: PolicyBuilder,
    pub(crate) policy: nanoproc::Policy,
}

fn output_mode(env: sys::napi_env, key: &str, mode: &str) -> napi::Result<OutputMode> {
    match mode {
        "capture" => Ok(OutputMode::Capture),
        "inherit" => Ok(OutputMode::Inherit),
        "null" => Ok(OutputMode::Null),
        other => Err(errors::policy(
            env,
            format!("{key}: `{other}` is not one of \"capture\", \"inherit\", \"null\""),
        )),
    }
}

fn mode_name(mode: OutputMode) -> String {
    match mode {
        OutputMode::Capture => "capture",
        OutputMode::Inherit => "inherit",
        OutputMode::Null => "null",
    }
    .to_string()
}

impl NativePolicy {
    fn finish(env: sys::napi_env, builder: PolicyBuilder) -> napi::Result<Self> {
        let policy = builder.build().map_err(|e| errors::to_napi(env, &e))?;
        Ok(NativePolicy { builder, policy })
    }

    /// The SDK's default policy: nothing granted, output captured.
    pub(crate) fn default_builder() -> PolicyBuilder {
        let mut b = PolicyBuilder::new();
        b.stdout(OutputMode::Capture).stderr(OutputMode::Capture);
        b
    }

    /// The policy with `args` and `stdin` replaced (for `run(..., {args, stdin})`).
    pub(crate) fn with_io(
        &self,
        env: sys::napi_env,
        args: Option<Vec<String>>,
        stdin: Option<&[u8]>,
    ) -> napi::Result<nanoproc::Policy> {
        if args.is_none() && stdin.is_none() {
            return Ok(self.policy.clone());
        }
        let mut b = self.builder.clone();
        if let Some(args) = args {
            b.args(args);
        }
        if let Some(s) = stdin {
            b.stdin(StdinMode::Bytes(s.to_vec()));
        }
        b.build().map_err(|e| errors::to_napi(env, &e))
    }
}

#[napi]
impl NativePolicy {
    /// Builds and validates a policy (throws `PolicyError`).
    #[napi(constructor, catch_unwind)]
    pub fn new(env: Env, init: PolicyInit) -> napi::Result<Self> {
        let env = env.raw();
        let mut b = PolicyBuilder::new();
        b.stdout(output_mode(env, "stdout", &init.stdout)?);
        b.stderr(output_mode(env, "stderr", &init.stderr)?);
        match init.stdin.as_str() {
            "null" => {}
            "inherit" => {
                b.stdin(StdinMode::Inherit);
            }
            _ => {
                let data = init.stdin_data.as_deref().unwrap_or_default();
                b.stdin(StdinMode::Bytes(data.to_vec()));
            }
        }
        for d in init.dirs {
            b.mount(d.host, d.guest, d.writable);
        }
        for f in init.files {
            b.file(f.host, f.guest);
        }
        for e in init.env {
            b.env(e.name, e.value);
        }
        for name in init.inherit_env {
            b.inherit_env(name);
        }
        b.args(init.args);
        for p in &init.allow_net {
            b.allow_net(p)
                .map_err(|e| errors::policy(env, format!("allowNet: {}", e.detail())))?;
        }
        b.allow_dns(init.allow_dns);
        for o in &init.allow_http {
            b.allow_http(o)
                .map_err(|e| errors::policy(env, format!("allowHttp: {}", e.detail())))?;
        }
        for g in init.allow_host_fns {
            b.allow_host_fn(g);
        }
        b.allow_symlinks(init.allow_symlinks);
        for name in &init.deny_wasi {
            let group = WasiInterface::parse_group(name).ok_or_else(|| {
                errors::policy(
                    env,
                    format!(
                        "denyWasi: unknown WASI interface group `{name}`; known: {}",
                        WasiInterface::names()
                    ),
                )
            })?;
            for iface in group {
                b.wasi_interface(iface, false);
            }
        }
        if let Some(m) = opt_size(env, "maxMemory", init.max_memory.as_deref())? {
            b.max_memory(m);
        }
        b.fuel(opt_count(env, "fuel", init.fuel.as_deref())?);
        b.timeout(opt_millis(env, "timeoutMs", init.timeout_ms)?);
        b.max_output(opt_size(env, "maxOutput", init.max_output.as_deref())?);
        b.disk_quota(opt_size(env, "diskQuota", init.disk_quota.as_deref())?);
        if let Some(n) = opt_count(env, "maxFds", init.max_fds.as_deref())? {
            let n = u32::try_from(n)
                .map_err(|_| errors::policy(env, format!("maxFds: {n} is over {}", u32::MAX)))?;
            b.max_fds(n);
        }
        if let Some(t) = opt_millis(env, "httpTimeoutMs", init.http_timeout_ms)? {
            b.http_timeout(t);
        }
        if let Some(m) = opt_size(env, "maxHttpResponse", init.max_http_response.as_deref())? {
            b.max_http_response_bytes(m);
        }
        match init.clocks.as_deref() {
            None | Some("host") => {}
            Some("frozen") => {
                b.clocks(ClockMode::Frozen);
            }
            Some(other) => {
                return Err(errors::policy(
                    env,
                    format!("clocks: `{other}` is not one of \"host\", \"frozen\""),
                ));
            }
        }
        b.random_seed(opt_count(env, "randomSeed", init.random_seed.as_deref())?);
        for path in &init.trust_keys {
            let key = nanoproc::integrity::PublicKey::from_file(Path::new(path))
                .map_err(|e| errors::to_napi(env, &e))?;
            b.trust_key(key);
        }
        if let Some(r) = init.require_signature.as_deref() {
            use nanoproc::integrity::SignatureRequirement as R;
            b.require_signature(match r {
                "any" => R::Any,
                "all" => R::All,
                "none" => R::None,
                other => {
                    return Err(errors::policy(
                        env,
                        format!(
                            "requireSignature: `{other}` is not one of \"any\", \"all\", \"none\""
                        ),
                    ));
                }
            });
        }
        for d in &init.pin_sha256 {
            b.pin_sha256(d).map_err(|e| errors::to_napi(env, &e))?;
        }
        NativePolicy::finish(env, b)
    }

    /// A policy from TOML (the format of `nanoproc run --policy FILE`): `text` is the TOML
    /// itself when `is_text`, else the path of a policy file. Relative host paths resolve
    /// against the file's directory, or `base_dir` (default: the current directory).
    #[napi(factory, catch_unwind)]
    pub fn from_toml(
        env: Env,
        source: String,
        is_text: bool,
        base_dir: Option<String>,
    ) -> napi::Result<Self> {
        let env = env.raw();
        let (file, base) = if is_text {
            (
                PolicyFile::parse(&source, "<policy text>")
                    .map_err(|e| errors::to_napi(env, &e))?,
                base_dir.map_or_else(|| PathBuf::from("."), PathBuf::from),
            )
        } else {
            let path = PathBuf::from(&source);
            let file = PolicyFile::load(&path).map_err(|e| errors::to_napi(env, &e))?;
            let base = base_dir.map(PathBuf::from).unwrap_or_else(|| {
                path.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| PathBuf::from("."))
            });
            (file, base)
        };
        let mut b = NativePolicy::default_builder();
        b.apply_file(&file, &base)
            .map_err(|e| errors::to_napi(env, &e))?;
        NativePolicy::finish(env, b)
    }

    /// What the policy grants and limits.
    #[napi(catch_unwind)]
    pub fn summary(&self) -> PolicySummary {
        let p = &self.policy;
        let l = p.limits();
        PolicySummary {
            dirs: p
                .mounts()
                .iter()
                .map(|m| DirInit {
                    host: m.host.to_string_lossy().into_owned(),
                    guest: m.guest.clone(),
                    writable: m.writable,
                })
                .collect(),
            files: p
                .files()
                .iter()
                .map(|f| FileInit {
                    host: f.source.to_string_lossy().into_owned(),
                    guest: f.destination.clone(),
                })
                .collect(),
            env: p
                .env()
                .iter()
                .filter_map(|g| match g {
                    EnvGrant::Set(k, v) => Some(EnvInit {
                        name: k.clone(),
                        value: v.clone(),
                    }),
                    EnvGrant::Inherit(_) => None,
                })
                .collect(),
            inherit_env: p
                .env()
                .iter()
                .filter_map(|g| match g {
                    EnvGrant::Inherit(n) => Some(n.clone()),
                    EnvGrant::Set(..) => None,
                })
                .collect(),
            args: p.args().to_vec(),
            allow_host_fns: p.host_functions().to_vec(),
            max_memory: l.max_memory as f64,
            fuel: l.fuel.map(|f| f.to_string()),
            timeout_ms: l.timeout.map(|d| d.as_secs_f64() * 1000.0),
            max_output: l.max_output.map(|o| o as f64),
            disk_quota: l.disk_quota.map(|o| o as f64),
            stdout: mode_name(p.stdout()),
            stderr: mode_name(p.stderr()),
        }
    }
}
