//! The sandbox flags shared by every subcommand that runs guest code, and their
//! resolution into one validated `Policy` (policy file first, flags on top).

use clap::Args;
use nanoproc::policy::WasiInterface;
use nanoproc::policy::units::{parse_duration, parse_size};
use nanoproc::{Error, Policy, PolicyFile};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Grants and limits, spelled like wasmtime's CLI where one exists.
#[derive(Args, Debug, Default, Clone)]
pub struct SandboxFlags {
    /// Mount a host directory: HOST[::GUEST][:rw]. Read-only unless `:rw` is given
    /// (unlike wasmtime, whose --dir is read-write). Repeatable.
    #[arg(long = "dir", value_name = "HOST[::GUEST][:rw]")]
    pub dirs: Vec<String>,

    /// Grant one host file, read-only: HOST::GUEST (GUEST is an absolute path). Repeatable.
    #[arg(long = "file", value_name = "HOST::GUEST")]
    pub files: Vec<String>,

    /// Set NAME=VALUE, or pass the host's NAME through with a bare NAME. Repeatable.
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    pub envs: Vec<String>,

    /// Allow outbound connections to HOST:PORT (`*:443`, `10.0.0.0/8:*`, `example.com:80`). Repeatable.
    #[arg(long = "allow-net", value_name = "HOST:PORT")]
    pub allow_net: Vec<String>,

    /// Allow DNS lookups (wasi:sockets/ip-name-lookup).
    #[arg(long)]
    pub allow_dns: bool,

    /// Allow outgoing wasi:http requests to ORIGIN: SCHEME://HOST[:PORT], e.g.
    /// `https://api.example.com`, `http://127.0.0.1:8080`, `https://*.example.com` (port left
    /// out: the scheme's default). The host sends them; --allow-net is not needed. Repeatable.
    #[arg(long = "allow-http", value_name = "ORIGIN")]
    pub allow_http: Vec<String>,

    /// Time limit of one outgoing HTTP request, from sending it to the end of its response
    /// body, e.g. 5s [default: 30s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub http_timeout: Option<Duration>,

    /// Cap on one outgoing HTTP response body, e.g. 1MiB [default: 16MiB].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_http_response: Option<u64>,

    /// Switch a group of WASI preview 2 interfaces off: a component importing one is refused
    /// at load. NAME: environment, exit, stdio, clocks, random, filesystem, tcp, udp,
    /// ip-name-lookup, sockets (tcp + udp + ip-name-lookup), http. Repeatable.
    #[arg(long = "deny-wasi", value_name = "NAME")]
    pub deny_wasi: Vec<String>,

    /// Switch a group of WASI preview 2 interfaces back on (all are on by default; this
    /// overrides `[wasi] NAME = false` in a policy file). Same names as --deny-wasi. Repeatable.
    #[arg(long = "allow-wasi", value_name = "NAME")]
    pub allow_wasi: Vec<String>,

    /// Let the guest create symbolic links in writable mounts (refused by default: a link
    /// left behind that points outside its mount is a trap for host tools that follow it).
    #[arg(long)]
    pub allow_symlinks: bool,

    /// Let plugins import host function NAMESPACE::NAME (or NAMESPACE::*). Repeatable.
    #[arg(long = "allow-host-fn", value_name = "NAMESPACE::NAME")]
    pub allow_host_fn: Vec<String>,

    /// Budget for all linear memories and tables together, e.g. 64MiB [default: 1GiB].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,

    /// Fuel budget (roughly, Wasm instructions); turns on fuel metering.
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,

    /// Wall-clock limit, e.g. 2s or 500ms; interrupts loops and blocked host calls alike.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,

    /// Cap on bytes written to stdout, and separately to stderr, e.g. 1MiB.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_output: Option<u64>,

    /// Cap on bytes the guest may add to files in writable mounts, all files together, e.g.
    /// 64MiB. Growing a file counts; overwriting is free; deleting gives nothing back. A write
    /// past it fails with "no space" and writes nothing [default: unlimited].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub disk_quota: Option<u64>,

    /// Cap on descriptors (files, directories, sockets) the guest may hold open at once;
    /// stdio and --dir mounts do not count. Opening past it fails with "too many open files"
    /// [default: 1024].
    #[arg(long, value_name = "N")]
    pub max_fds: Option<u32>,

    /// Trust this public key (from `nanoproc keygen`): the binary must carry a valid signature
    /// by it (or by another trusted key) or it does not run (exit 126). Repeatable.
    #[arg(long = "trust-key", value_name = "PUB")]
    pub trust_keys: Vec<PathBuf>,

    /// How many trusted keys must have signed: `any` (the default once a key is trusted),
    /// `all`, or `none`.
    #[arg(long, value_name = "any|all|none")]
    pub require_signature: Option<String>,

    /// Run only a binary with this sha256 (64 hex digits; `nanoproc inspect` prints it).
    /// Repeatable: any one of them.
    #[arg(long = "sha256", value_name = "DIGEST")]
    pub sha256: Vec<String>,

    /// Read grants and limits from a TOML policy file; flags given here override it.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

impl SandboxFlags {
    /// Resolves the policy file and flags into one validated `Policy`.
    pub fn resolve(&self, args: &[String], stdin_inherit: bool) -> Result<Policy, Error> {
        let mut b = Policy::builder();
        if stdin_inherit {
            b.stdin(nanoproc::policy::StdinMode::Inherit);
        }
        if let Some(path) = &self.policy {
            let file = PolicyFile::load(path)?;
            let base = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            b.apply_file(&file, base)?;
        }
        for d in &self.dirs {
            let (host, guest, writable) = parse_dir(d)?;
            b.mount(host, guest, writable);
        }
        for f in &self.files {
            let (host, guest) = f.split_once("::").ok_or_else(|| {
                Error::InvalidPolicy(format!(
                    "--file `{f}`: expected HOST::GUEST, e.g. --file ./app.toml::/etc/app.toml"
                ))
            })?;
            b.file(host, guest);
        }
        for e in &self.envs {
            match e.split_once('=') {
                Some((k, v)) => b.env(k, v),
                None => b.inherit_env(e.as_str()),
            };
        }
        for n in &self.allow_net {
            b.allow_net(n)
                .map_err(|e| Error::InvalidPolicy(format!("--allow-net: {}", e.detail())))?;
        }
        for o in &self.allow_http {
            b.allow_http(o)
                .map_err(|e| Error::InvalidPolicy(format!("--allow-http: {}", e.detail())))?;
        }
        if let Some(t) = self.http_timeout {
            b.http_timeout(t);
        }
        if let Some(m) = self.max_http_response {
            b.max_http_response_bytes(m);
        }
        for (flag, names, on) in [
            ("--allow-wasi", &self.allow_wasi, true),
            ("--deny-wasi", &self.deny_wasi, false),
        ] {
            for n in names {
                let groups = WasiInterface::parse_group(n).ok_or_else(|| {
                    Error::InvalidPolicy(format!(
                        "{flag} `{n}`: not a WASI interface group; one of: {}",
                        WasiInterface::names()
                    ))
                })?;
                for g in groups {
                    b.wasi_interface(g, on);
                }
            }
        }
        for h in &self.allow_host_fn {
            b.allow_host_fn(h.clone());
        }
        if self.allow_dns {
            b.allow_dns(true);
        }
        if self.allow_symlinks {
            b.allow_symlinks(true);
        }
        if let Some(m) = self.max_memory {
            b.max_memory(m);
        }
        if self.fuel.is_some() {
            b.fuel(self.fuel);
        }
        if self.timeout.is_some() {
            b.timeout(self.timeout);
        }
        if self.max_output.is_some() {
            b.max_output(self.max_output);
        }
        if self.disk_quota.is_some() {
            b.disk_quota(self.disk_quota);
        }
        if let Some(n) = self.max_fds {
            b.max_fds(n);
        }
        for k in &self.trust_keys {
            b.trust_key(nanoproc::integrity::PublicKey::from_file(k)?);
        }
        if let Some(r) = &self.require_signature {
            use nanoproc::integrity::SignatureRequirement as R;
            b.require_signature(match r.as_str() {
                "any" => R::Any,
                "all" => R::All,
                "none" => R::None,
                other => {
                    return Err(Error::InvalidPolicy(format!(
                        "--require-signature `{other}`: expected any, all or none"
                    )));
                }
            });
        }
        for d in &self.sha256 {
            b.pin_sha256(d)
                .map_err(|e| Error::InvalidPolicy(format!("--sha256: {}", e.detail())))?;
        }
        if !args.is_empty() {
            b.args(args.iter().cloned());
        }
        b.build()
    }
}

/// The engine settings a policy needs: fuel metering only when the policy sets fuel (it
/// costs speed), and the compile cache unless `no_cache`.
pub fn engine_builder(policy: &Policy, no_cache: bool) -> nanoproc::EngineBuilder {
    let mut eb = nanoproc::Engine::builder();
    eb.fuel(policy.limits().fuel.is_some());
    if no_cache {
        eb.cache_dir(None);
    }
    eb
}

/// Parses `HOST[::GUEST][:rw|:ro]`.
fn parse_dir(spec: &str) -> Result<(String, String, bool), Error> {
    let (rest, writable) = if let Some(r) = spec.strip_suffix(":rw") {
        (r, true)
    } else if let Some(r) = spec.strip_suffix(":ro") {
        (r, false)
    } else {
        (spec, false)
    };
    let (host, guest) = match rest.split_once("::") {
        Some((h, g)) => (h, g),
        None => (rest, rest),
    };
    if host.is_empty() || guest.is_empty() {
        return Err(Error::InvalidPolicy(format!(
            "--dir `{spec}`: expected HOST[::GUEST][:rw], e.g. --dir ./data::/data or --dir ./out::/out:rw"
        )));
    }
    Ok((host.to_string(), guest.to_string(), writable))
}

#[cfg(test)]
mod tests {
    use super::parse_dir;

    #[test]
    fn dir_specs() {
        assert_eq!(
            parse_dir("/etc").ok(),
            Some(("/etc".into(), "/etc".into(), false))
        );
        assert_eq!(
            parse_dir("./d::/data").ok(),
            Some(("./d".into(), "/data".into(), false))
        );
        assert_eq!(
            parse_dir("./d::/data:rw").ok(),
            Some(("./d".into(), "/data".into(), true))
        );
        assert_eq!(
            parse_dir("./d:rw").ok(),
            Some(("./d".into(), "./d".into(), true))
        );
        assert!(parse_dir("::/x").is_err());
    }
}
