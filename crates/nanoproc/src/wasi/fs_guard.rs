//! The per-sandbox filesystem state that WASI p1 (`fs_audit.rs`) and p2 (`p2_fs.rs`) share:
//! the guest's view of its mounts (for audit targets), the disk quota, the descriptor cap,
//! whether symlinks may be created, and which descriptors the guest opened itself.
//!
//! Rules that hold for both WASI versions (documented in `docs/policy.md`):
//!
//! * **Disk quota:** growing a file (writing past its end, `set_size` to a larger size) is
//!   charged; overwriting is free; shrinking and deleting give nothing back. A write that would
//!   not fit fails as a whole with "no space" and writes nothing.
//! * **Descriptor cap:** only descriptors the guest opened count (files, directories,
//!   sockets); stdio and preopened directories do not. Closing one frees its slot.
//! * **Symlinks:** creating one is refused unless the policy allows it.

use crate::audit::{Audit, Decision};
use crate::limits::{DiskQuota, FdLimit};
use crate::policy::Policy;
use std::collections::{BTreeMap, HashMap};

/// One preopened directory as the guest sees it.
#[derive(Clone)]
pub(crate) struct Preopen {
    pub guest: String,
    pub writable: bool,
}

/// A socket the guest created (WASI p2), for the descriptor count.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SocketKind {
    Tcp,
    Udp,
}

/// Filesystem limits and bookkeeping of one sandbox.
pub(crate) struct FsGuard {
    /// Guest paths of the preopened directories, in preopen order (p1 fd 3, 4, …).
    pub preopens: Vec<Preopen>,
    pub audit: Audit,
    /// `None`: no quota (and no accounting).
    pub quota: Option<DiskQuota>,
    pub fds: FdLimit,
    pub allow_symlinks: bool,
    /// WASI p1: descriptors the guest opened itself, by fd number.
    pub p1_open: BTreeMap<u32, P1Open>,
    /// WASI p2: guest paths of directory and file descriptors, by resource index (preopens
    /// as the guest fetches them, and everything it opens).
    pub p2_paths: HashMap<u32, String>,
    /// WASI p2: the host files and directories the guest opened itself, one handle each.
    /// One is still held while anything but this list shares it: the descriptor, or a stream
    /// made from it (streams outlive their descriptor), so dropping the descriptor but keeping
    /// a stream does not free the slot.
    pub p2_open: Vec<std::sync::Arc<std::fs::File>>,
    /// WASI p2: sockets the guest created (resource indices; pruned when counted).
    pub p2_sockets: Vec<(u32, SocketKind)>,
}

/// A WASI p1 descriptor the guest opened.
pub(crate) struct P1Open {
    /// Its guest path.
    pub path: String,
    /// Whether writes through it are charged against the disk quota: a quota is set and it is
    /// a regular file opened for writing (worked out once, when it is opened).
    pub charged: bool,
    /// Whether it is in append mode (set at open, changed by `fd_fdstat_set_flags`).
    pub append: bool,
}

/// What the audit records for a refused symlink, and how to allow it.
pub(crate) const SYMLINK_RULE: &str = "creating symbolic links is not allowed: a link left in a writable mount can point outside it and trap host tools that later follow it; allow it with --allow-symlinks or allow_symlinks = true";

impl FsGuard {
    pub(crate) fn new(policy: &Policy, audit: &Audit) -> Self {
        FsGuard {
            preopens: Vec::new(),
            audit: audit.clone(),
            quota: policy
                .limits
                .disk_quota
                .map(|q| DiskQuota::new(q, audit.clone())),
            fds: FdLimit::new(policy.limits.max_fds, audit.clone()),
            allow_symlinks: policy.allow_symlinks,
            p1_open: BTreeMap::new(),
            p2_paths: HashMap::new(),
            p2_open: Vec::new(),
            p2_sockets: Vec::new(),
        }
    }

    /// Bytes charged against the disk quota, when there is one.
    pub(crate) fn disk_used(&self) -> Option<u64> {
        self.quota.as_ref().map(DiskQuota::used)
    }

    /// The most descriptors the guest held open at once.
    pub(crate) fn peak_fds(&self) -> u64 {
        self.fds.peak()
    }

    /// Records a refused symlink (`link` is the guest path of the link, `target` what it
    /// would have pointed at).
    pub(crate) fn deny_symlink(&self, link: &str, target: &str) {
        self.audit.event(
            "fs.symlink",
            format!("{link} -> {target}"),
            Decision::Denied,
            SYMLINK_RULE,
        );
    }

    /// The rule recorded for a refused path operation on a descriptor of `mount`
    /// (`None`: unknown or not writable-related).
    pub(crate) fn denial_rule(mount: Option<&Preopen>, writing: bool) -> String {
        match mount {
            Some(m) if writing && !m.writable => format!(
                "mount `{}` is read-only; grant writes with --dir HOST::{}:rw (or writable = true)",
                m.guest, m.guest
            ),
            _ => "the path leads outside its mount (`..`, an absolute symlink, or a symlink pointing out), or the operation is not permitted".to_string(),
        }
    }

    /// The mount whose guest path is the longest prefix of `path` (a guest path).
    pub(crate) fn mount_containing(&self, path: &str) -> Option<&Preopen> {
        self.preopens
            .iter()
            .filter(|m| {
                let g = m.guest.trim_end_matches('/');
                g.is_empty()
                    || path == g
                    || path
                        .strip_prefix(g)
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|m| m.guest.trim_end_matches('/').len())
    }
}

/// Joins a guest directory path and a path relative to it for audit records.
pub(crate) fn join_guest(dir: &str, path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{}/{}", dir.trim_end_matches('/'), path)
    }
}
