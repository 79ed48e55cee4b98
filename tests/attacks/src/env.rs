//! The world the cases run in: engines, the prebuilt guests, a fresh host directory layout
//! per case, and helpers that turn a run or a call into a [`Got`].

use crate::expect::{End, Got};
use nanoproc::plugin::Plugin;
use nanoproc::policy::OutputMode;
use nanoproc::{Engine, Error, Loaded, Policy, PolicyBuilder, PoolingOptions, Prepared, loader};
use std::path::{Path, PathBuf};

/// What every file outside the sandbox holds: if a guest's output ever contains it, a
/// defence failed.
pub const SECRET: &str = "TOP SECRET: the host's private data\n";
/// What the file inside the read-only mount holds.
pub const INSIDE: &str = "inside the mount\n";

/// Engines and prebuilt guests, shared by every case.
pub struct Env {
    /// Default settings, compile cache on: runs of the prebuilt guests.
    pub plain: Engine,
    /// Fuel metering on.
    pub fuel: Engine,
    /// Pooling allocator and fuel, as a plugin host would use: every plugin case.
    pub pool: Engine,
    /// No compile cache: every module the suite generates is compiled for real.
    pub nocache: Engine,
    repo: PathBuf,
}

impl Env {
    /// Builds the engines; `cache_dir` holds compiled prebuilt guests between runs.
    pub fn new(cache_dir: &Path) -> Result<Self, Error> {
        let mut plain = Engine::builder();
        plain
            .cache_dir(Some(cache_dir.to_path_buf()))
            .progress(false);
        let mut fuel = plain.clone();
        fuel.fuel(true);
        let mut pool = fuel.clone();
        pool.pooling(Some(PoolingOptions {
            total_instances: 128,
            max_memory_size: 256 << 20,
            ..Default::default()
        }));
        let mut nocache = plain.clone();
        nocache.cache_dir(None);
        Ok(Env {
            plain: plain.build()?,
            fuel: fuel.build()?,
            pool: pool.build()?,
            nocache: nocache.build()?,
            repo: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."),
        })
    }

    /// Path of a prebuilt example guest (`examples/guests/bin`).
    pub fn guest_path(&self, name: &str) -> PathBuf {
        self.repo.join("examples/guests/bin").join(name)
    }

    /// Path of a prebuilt example plugin (`examples/plugins/bin`).
    pub fn plugin_path(&self, name: &str) -> PathBuf {
        self.repo.join("examples/plugins/bin").join(name)
    }

    /// Path of a prebuilt example component (`examples/components/bin`).
    pub fn component_path(&self, name: &str) -> PathBuf {
        self.repo.join("examples/components/bin").join(name)
    }

    /// Runs prebuilt example component `name` with `args` under `policy` (no fuel).
    pub fn run_component(&self, name: &str, args: &[&str], policy: &mut PolicyBuilder) -> Got {
        policy.args(args.iter().copied());
        match loader::load_file(&self.plain, &self.component_path(name)) {
            Ok(loaded) => run_loaded(&self.plain, &loaded, policy),
            Err(e) => Got::failed(e),
        }
    }

    /// Loads a prebuilt guest on the fuel engine or the plain one (from the compile cache
    /// after the first time). Not kept between cases: a loaded module holds resources (its
    /// memory image) that the health check must see released.
    pub fn load(&self, name: &str, fuel: bool) -> Result<Loaded, Error> {
        let engine = if fuel { &self.fuel } else { &self.plain };
        loader::load_file(engine, &self.guest_path(name))
    }

    /// Runs prebuilt guest `name` with `args` under `policy` (no fuel).
    pub fn run_guest(&self, name: &str, args: &[&str], policy: &mut PolicyBuilder) -> Got {
        self.run_guest_with(false, name, args, policy)
    }

    /// Runs prebuilt guest `name` on the fuel engine or the plain one.
    pub fn run_guest_with(
        &self,
        fuel: bool,
        name: &str,
        args: &[&str],
        policy: &mut PolicyBuilder,
    ) -> Got {
        policy.args(args.iter().copied());
        let engine = if fuel { &self.fuel } else { &self.plain };
        match self.load(name, fuel) {
            Ok(loaded) => run_loaded(engine, &loaded, policy),
            Err(e) => Got::failed(e),
        }
    }

    /// Loads `bytes` (WAT text or a binary) without the cache and runs it as a command.
    pub fn run_bytes(&self, bytes: &[u8], args: &[&str], policy: &mut PolicyBuilder) -> Got {
        self.run_bytes_on(&self.nocache, bytes, args, policy)
    }

    /// Loads `bytes` on `engine` and runs it as a command.
    pub fn run_bytes_on(
        &self,
        engine: &Engine,
        bytes: &[u8],
        args: &[&str],
        policy: &mut PolicyBuilder,
    ) -> Got {
        policy.args(args.iter().copied());
        match loader::load_bytes(engine, bytes, "attack.wasm") {
            Ok(loaded) => run_loaded(engine, &loaded, policy),
            Err(e) => Got::failed(e),
        }
    }

    /// Builds a plugin from bytes (WAT or binary) on the pooling engine.
    pub fn plugin_bytes(&self, bytes: &[u8], policy: Policy) -> Result<Plugin, Error> {
        Plugin::builder(&self.pool)
            .wasm_bytes(bytes.to_vec())
            .name("attack")
            .policy(policy)
            .build()
    }

    /// Builds a prebuilt example plugin on the pooling engine.
    pub fn plugin_file(&self, name: &str, policy: Policy) -> Result<Plugin, Error> {
        Plugin::builder(&self.pool)
            .wasm_file(self.plugin_path(name))
            .policy(policy)
            .build()
    }
}

/// Links and runs `loaded` under `policy`; every failure becomes part of the [`Got`].
pub fn run_loaded(engine: &Engine, loaded: &Loaded, policy: &PolicyBuilder) -> Got {
    let policy = match policy.build() {
        Ok(p) => p,
        Err(e) => return Got::failed(e),
    };
    match Prepared::new(engine, loaded, policy).and_then(|p| p.run(vec![])) {
        Ok(outcome) => Got::outcome(outcome),
        Err(e) => Got::bare(End::Failed(e)),
    }
}

/// A policy builder that captures stdout and stderr (nothing else granted).
pub fn captured() -> PolicyBuilder {
    let mut b = Policy::builder();
    b.stdout(OutputMode::Capture).stderr(OutputMode::Capture);
    b
}

/// One case's host directories, fresh for every case:
///
/// ```text
/// root/outside/secret.txt      never reachable by a guest
/// root/outside/dir/deeper.txt
/// root/mount/inside.txt        mounted read-only (at /data, fd 3) by the fs cases
/// root/mount/sub/              an ordinary subdirectory
/// root/rw/                     mounted writable (at /rw) by the cases that need writes
/// ```
pub struct Dirs {
    _root: tempfile::TempDir,
    /// The layout's root directory.
    pub root: PathBuf,
    /// Files the guest must never read, change or learn about.
    pub outside: PathBuf,
    /// The read-only mount's host directory.
    pub mount: PathBuf,
    /// The writable mount's host directory.
    pub rw: PathBuf,
}

impl Dirs {
    /// Creates the layout in a new directory under `parent`.
    pub fn new(parent: &Path) -> std::io::Result<Self> {
        let root = tempfile::Builder::new()
            .prefix("case-")
            .tempdir_in(parent)?;
        let path = root.path().to_path_buf();
        let (outside, mount, rw) = (path.join("outside"), path.join("mount"), path.join("rw"));
        std::fs::create_dir_all(outside.join("dir"))?;
        std::fs::create_dir_all(mount.join("sub"))?;
        std::fs::create_dir(&rw)?;
        std::fs::write(outside.join("secret.txt"), SECRET)?;
        std::fs::write(outside.join("dir/deeper.txt"), SECRET)?;
        std::fs::write(mount.join("inside.txt"), INSIDE)?;
        Ok(Dirs {
            _root: root,
            root: path,
            outside,
            mount,
            rw,
        })
    }

    /// The secret file outside every mount.
    pub fn secret(&self) -> PathBuf {
        self.outside.join("secret.txt")
    }

    /// A policy that mounts `mount` read-only at `/data` (fd 3) and, if `rw`, `rw`
    /// writable at `/rw` (fd 4); output captured.
    pub fn policy(&self, rw: bool) -> PolicyBuilder {
        let mut b = captured();
        b.dir(&self.mount, "/data");
        if rw {
            b.mount(&self.rw, "/rw", true);
        }
        b
    }
}

/// Every file under `dir` (recursively) with its contents, or symlink with its target,
/// sorted: equal fingerprints mean nothing was created, changed or removed.
pub fn fingerprint(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn walk(base: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        out.push((dir.to_path_buf(), "<unreadable directory>".into()));
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let rel = path.strip_prefix(base).unwrap_or(&path).to_path_buf();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_symlink() {
            let target = std::fs::read_link(&path).unwrap_or_default();
            out.push((rel, format!("symlink -> {}", target.display())));
        } else if meta.is_dir() {
            out.push((rel, "dir".into()));
            walk(base, &path, out);
        } else {
            let content = std::fs::read(&path).unwrap_or_default();
            out.push((rel, String::from_utf8_lossy(&content).into_owned()));
        }
    }
}

/// `Err` if the guest's output contains the secret.
pub fn no_secret(got: &Got) -> Result<(), String> {
    let leaked = |b: &[u8]| String::from_utf8_lossy(b).contains("TOP SECRET");
    if leaked(&got.stdout) || leaked(&got.stderr) {
        return Err(format!(
            "the guest read a file outside its mounts: {}",
            got.summary()
        ));
    }
    if let End::Returned(out) = &got.end
        && leaked(out)
    {
        return Err("the plugin returned the contents of a file outside its mounts".into());
    }
    Ok(())
}
