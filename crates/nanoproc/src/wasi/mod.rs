//! Policy → WASI context. Nothing else in nanoproc builds one.
//!
//! The same [`WasiCtxBuilder`] settings serve preview 1 modules (`build_p1`) and
//! preview 2 components (`build`).

use crate::audit::{Audit, Decision};
use crate::error::{Error, Result};
use crate::limits::{CappedOutput, OutputSink};
use crate::policy::{ClockMode, EnvGrant, OutputMode, Policy, Protocol, StdinMode, guest_parent};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi::{FsPerms, HostMonotonicClock, HostWallClock, WasiCtxBuilder};

pub(crate) mod fs_audit;
pub(crate) mod fs_guard;
pub(crate) mod http;
pub(crate) mod imports;
pub(crate) mod p2;
pub(crate) mod p2_fs;
use fs_guard::{FsGuard, Preopen};
pub(crate) use imports::check_imports;

/// The host-side handles a running sandbox keeps next to its WASI context.
pub struct WasiParts {
    pub builder: WasiCtxBuilder,
    pub stdout: CappedOutput,
    pub stderr: CappedOutput,
    pub stdout_buf: Arc<Mutex<Vec<u8>>>,
    pub stderr_buf: Arc<Mutex<Vec<u8>>>,
    /// The guest's view of its mounts and the filesystem limits (audit, disk quota,
    /// descriptor cap, symlinks).
    pub fs: FsGuard,
    /// Keeps staged single-file grants alive for the sandbox's lifetime.
    pub _staging: Vec<tempfile::TempDir>,
}

/// Builds the WASI context for one sandbox from `policy`, recording grants in `audit`.
pub(crate) fn build(policy: &Policy, argv0: &str, audit: &Audit) -> Result<WasiParts> {
    let mut b = WasiCtxBuilder::new();
    b.arg(argv0);
    for a in &policy.args {
        b.arg(a);
    }

    for g in &policy.env {
        match g {
            EnvGrant::Set(k, v) => {
                b.env(k, v);
                audit.event("env", k.as_str(), Decision::Allowed, "set by policy");
            }
            EnvGrant::Inherit(k) => match std::env::var(k) {
                Ok(v) => {
                    b.env(k, v);
                    audit.event(
                        "env",
                        k.as_str(),
                        Decision::Allowed,
                        "passed through from the host",
                    );
                }
                Err(_) => audit.event(
                    "env",
                    k.as_str(),
                    Decision::Denied,
                    "granted, but the host does not have this variable (or it is not UTF-8)",
                ),
            },
        }
    }

    let mut fs = FsGuard::new(policy, audit);
    for m in &policy.mounts {
        fs.preopens.push(Preopen {
            guest: m.guest.clone(),
            writable: m.writable,
        });
        let perms = if m.writable {
            FsPerms::ReadWrite
        } else {
            FsPerms::ReadOnly
        };
        b.preopened_dir(&m.host, &m.guest, perms).map_err(|e| {
            Error::InvalidPolicy(format!(
                "cannot open `{}` to mount it: {e}",
                m.host.display()
            ))
        })?;
        let mode = if m.writable {
            "read-write"
        } else {
            "read-only"
        };
        audit.event(
            "fs.mount",
            format!("{} -> {}", m.host.display(), m.guest),
            Decision::Allowed,
            format!("{mode} mount"),
        );
    }
    let staging = stage_files(policy, &mut b, audit, &mut fs)?;
    if policy.allow_symlinks {
        audit.event(
            "fs.symlinks",
            "*",
            Decision::Allowed,
            "allow_symlinks: the guest may create symbolic links in writable mounts",
        );
    }

    match &policy.stdin {
        StdinMode::Null => {}
        StdinMode::Inherit => {
            b.stdin(wasmtime_wasi::cli::stdin());
        }
        StdinMode::Bytes(bytes) => {
            b.stdin(wasmtime_wasi::p2::pipe::MemoryInputPipe::new(bytes.clone()));
        }
    }
    let stdout_buf = Arc::new(Mutex::new(Vec::new()));
    let stderr_buf = Arc::new(Mutex::new(Vec::new()));
    let cap = policy.limits.max_output;
    let stdout = CappedOutput::new(
        sink(policy.stdout, OutputSink::Stdout, &stdout_buf),
        "stdout",
        cap,
        audit.clone(),
    );
    let stderr = CappedOutput::new(
        sink(policy.stderr, OutputSink::Stderr, &stderr_buf),
        "stderr",
        cap,
        audit.clone(),
    );
    b.stdout(stdout.clone());
    b.stderr(stderr.clone());

    network(policy, &mut b, audit);

    if policy.clocks == ClockMode::Frozen {
        b.wall_clock(FrozenWall);
        b.monotonic_clock(SteppingMonotonic::default());
    }
    if let Some(seed) = policy.random_seed {
        b.secure_random(seeded_rng(seed));
        b.insecure_random(seeded_rng(seed.wrapping_add(1)));
        b.insecure_random_seed(u128::from(seed));
    }

    Ok(WasiParts {
        builder: b,
        stdout,
        stderr,
        stdout_buf,
        stderr_buf,
        fs,
        _staging: staging,
    })
}

fn sink(mode: OutputMode, inherit: OutputSink, buf: &Arc<Mutex<Vec<u8>>>) -> OutputSink {
    match mode {
        OutputMode::Inherit => inherit,
        OutputMode::Capture => OutputSink::Capture(buf.clone()),
        OutputMode::Null => OutputSink::Null,
    }
}

/// WASI can only preopen directories, so each single-file grant is copied into a private
/// staging directory that is mounted read-only at the file's guest parent directory.
/// Copies (not links) mean the guest can never reach the host file's siblings.
fn stage_files(
    policy: &Policy,
    b: &mut WasiCtxBuilder,
    audit: &Audit,
    fs: &mut FsGuard,
) -> Result<Vec<tempfile::TempDir>> {
    let mut by_dir: BTreeMap<String, Vec<&crate::policy::FileGrant>> = BTreeMap::new();
    for f in &policy.files {
        by_dir
            .entry(guest_parent(&f.destination))
            .or_default()
            .push(f);
    }
    let mut dirs = Vec::new();
    for (guest_dir, files) in by_dir {
        let tmp = tempfile::Builder::new()
            .prefix("nanoproc-files-")
            .tempdir()
            .map_err(|e| Error::io("cannot create a staging directory for granted files", e))?;
        for f in files {
            let name = f.destination.rsplit('/').next().unwrap_or_default();
            std::fs::copy(&f.source, tmp.path().join(name)).map_err(|e| {
                Error::io(
                    format!("cannot stage granted file `{}`", f.source.display()),
                    e,
                )
            })?;
            audit.event(
                "fs.file",
                format!("{} -> {}", f.source.display(), f.destination),
                Decision::Allowed,
                "read-only file grant (a private copy)",
            );
        }
        b.preopened_dir(tmp.path(), &guest_dir, FsPerms::ReadOnly)
            .map_err(|e| {
                Error::InvalidPolicy(format!("cannot mount staged files at `{guest_dir}`: {e}"))
            })?;
        fs.preopens.push(Preopen {
            guest: guest_dir,
            writable: false,
        });
        dirs.push(tmp);
    }
    Ok(dirs)
}

fn network(policy: &Policy, b: &mut WasiCtxBuilder, audit: &Audit) {
    let net = &policy.net;
    b.allow_ip_name_lookup(net.allow_dns);
    if net.allow_dns {
        audit.event("net.dns", "*", Decision::Allowed, "allow_dns");
    }
    let any_outbound = !net.allowed_outbound_hosts.is_empty();
    b.allow_tcp(true);
    b.allow_udp(true);
    let rules: Vec<(String, Vec<crate::policy::ResolvedPattern>)> = net
        .allowed_outbound_hosts
        .iter()
        .map(|p| (p.to_string(), p.resolve()))
        .collect();
    let rules = Arc::new(rules);
    let audit = audit.clone();
    b.socket_addr_check(move |addr: SocketAddr, use_: SocketAddrUse| {
        let decision = check_socket(&rules, any_outbound, &addr, use_);
        let what = match use_ {
            SocketAddrUse::TcpBind | SocketAddrUse::UdpBind => "net.bind",
            SocketAddrUse::TcpListen | SocketAddrUse::TcpAccept => "net.listen",
            SocketAddrUse::TcpConnect => "net.connect",
            SocketAddrUse::UdpSend => "net.send",
            SocketAddrUse::UdpReceive => "net.receive",
        };
        match &decision {
            Ok(_) if what == "net.bind" => {}
            Ok(rule) => audit.event(what, addr.to_string(), Decision::Allowed, rule.clone()),
            Err(why) => audit.event(what, addr.to_string(), Decision::Denied, why.clone()),
        }
        let ok = decision.is_ok();
        Box::pin(async move { ok })
    });
}

fn check_socket(
    rules: &[(String, Vec<crate::policy::ResolvedPattern>)],
    any_outbound: bool,
    addr: &SocketAddr,
    use_: SocketAddrUse,
) -> std::result::Result<String, String> {
    match use_ {
        SocketAddrUse::TcpListen | SocketAddrUse::TcpAccept => Err(
            "inbound connections are not supported; --allow-net grants outbound connections only"
                .into(),
        ),
        SocketAddrUse::TcpBind | SocketAddrUse::UdpBind => {
            if addr.ip().is_unspecified() && addr.port() == 0 {
                // The implicit bind before a connect or send: harmless on its own, and letting
                // it through means the connect is checked (and audited) with its real target.
                Ok("ephemeral local bind; the destination is checked separately".into())
            } else if !any_outbound {
                Err("no network access granted; binding or listening needs a grant nanoproc does not offer yet".into())
            } else {
                Err("binding a specific local address is not allowed; --allow-net grants outbound connections only".into())
            }
        }
        SocketAddrUse::TcpConnect | SocketAddrUse::UdpSend | SocketAddrUse::UdpReceive => {
            let protocol = if matches!(use_, SocketAddrUse::TcpConnect) {
                Protocol::Tcp
            } else {
                Protocol::Udp
            };
            rules
                .iter()
                .find(|(_, resolved)| resolved.iter().any(|r| r.allows(protocol, addr)))
                .map(|(text, _)| format!("allowed by --allow-net {text}"))
                .ok_or_else(|| {
                    format!(
                        "{addr} matches no allowed_outbound_hosts entry; allow it with --allow-net {addr}"
                    )
                })
        }
    }
}

struct FrozenWall;

impl HostWallClock for FrozenWall {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        // 2000-01-01T00:00:00Z
        Duration::from_secs(946_684_800)
    }
}

#[derive(Default)]
struct SteppingMonotonic {
    ticks: std::sync::atomic::AtomicU64,
}

impl HostMonotonicClock for SteppingMonotonic {
    fn resolution(&self) -> u64 {
        1_000
    }
    fn now(&self) -> u64 {
        self.ticks
            .fetch_add(1_000, std::sync::atomic::Ordering::Relaxed)
    }
}

fn seeded_rng(seed: u64) -> impl wasmtime_wasi::Rng + Send + 'static {
    use rand::SeedableRng;
    rand::rngs::StdRng::seed_from_u64(seed)
}
