//! Module bytes → a checked, compiled [`Loaded`] module or component.
//!
//! Detects the kind (core module or component, binary or WAT text), then compiles through
//! the [`Engine`] with an on-disk cache keyed by the module's sha256, the engine's settings
//! and nanoproc's version.

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::integrity::IntegrityPolicy;
use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// What kind of WebAssembly binary a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModuleKind {
    /// A core module (WASI preview 1 programs, plugins).
    CoreModule,
    /// A component (WASI preview 2 programs, typed WIT interfaces).
    Component,
}

impl std::fmt::Display for ModuleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ModuleKind::CoreModule => "core module",
            ModuleKind::Component => "component",
        })
    }
}

/// Compiled code, ready to be linked.
#[derive(Clone)]
pub enum Compiled {
    /// A compiled core module.
    Module(wasmtime::Module),
    /// A compiled component.
    Component(wasmtime::component::Component),
}

/// A loaded, validated, compiled binary.
#[derive(Clone)]
pub struct Loaded {
    /// Name for messages (the file name, or what the caller passed).
    pub name: String,
    /// Core module or component.
    pub kind: ModuleKind,
    /// sha256 of the binary (after WAT text, if any, was assembled).
    pub sha256: [u8; 32],
    /// Size of the binary in bytes.
    pub size: usize,
    /// Whether the compiled code came from the on-disk cache.
    pub from_cache: bool,
    /// The compiled code.
    pub compiled: Compiled,
    /// The binary itself, kept for integrity checks and receipts.
    pub(crate) bytes: std::sync::Arc<[u8]>,
    /// The integrity requirements the binary was checked against before compiling, if any:
    /// `Prepared::new` and the builders do not check it again for the same requirements.
    pub(crate) verified_for: Option<IntegrityPolicy>,
}

impl Loaded {
    /// The sha256 as lowercase hex.
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }

    /// The binary it was compiled from (WAT text already assembled).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// Where a front door's code comes from: its builder's `wasm_file`, `wasm_bytes` or `loaded`.
pub(crate) enum Source {
    File(PathBuf),
    Bytes(Vec<u8>),
    Loaded(Box<Loaded>),
}

impl Source {
    /// Loads `source` on `engine` after checking it against `integrity` (before it is
    /// compiled; a refusal is recorded in `audit`). `name` names bytes in messages; `what`
    /// says in the error for no source at all what was expected (`plugin code`, `component`).
    pub(crate) fn load(
        source: Option<Source>,
        engine: &Engine,
        name: &str,
        what: &str,
        integrity: &IntegrityPolicy,
        audit: &crate::audit::Audit,
    ) -> Result<Loaded> {
        match source {
            None => Err(Error::InvalidModule(format!(
                "no {what} given (use wasm_file or wasm_bytes)"
            ))),
            Some(Source::File(p)) => load_file_verified(engine, &p, integrity).inspect_err(|e| {
                audit_refusal(audit, &file_name(&p), e);
            }),
            Some(Source::Bytes(b)) => load_bytes_verified(engine, &b, name, integrity)
                .inspect_err(|e| audit_refusal(audit, name, e)),
            Some(Source::Loaded(l)) => match l.ensure_verified(integrity) {
                Ok(()) => Ok(*l),
                Err(e) => {
                    audit_refusal(audit, &l.name, &e);
                    Err(e)
                }
            },
        }
    }
}

/// An integrity refusal is an audit event (other load failures are not).
fn audit_refusal(audit: &crate::audit::Audit, target: &str, e: &Error) {
    if matches!(e, Error::Integrity(_)) {
        audit.event(
            "integrity",
            target,
            crate::audit::Decision::Denied,
            e.detail(),
        );
    }
}

impl Loaded {
    /// Checks the binary against `integrity`, unless it asks for nothing or this binary was
    /// already checked against the same requirements when it was loaded.
    pub(crate) fn ensure_verified(&self, integrity: &IntegrityPolicy) -> Result<()> {
        if !integrity.is_active() || self.verified_for.as_ref() == Some(integrity) {
            return Ok(());
        }
        crate::integrity::check(&self.bytes, &self.name, integrity).map(|_| ())
    }
}

/// [`load_file`] for a policy with integrity requirements: the binary is checked against
/// `integrity` before anything is compiled ([`Error::Integrity`] if it fails).
pub fn load_file_verified(
    engine: &Engine,
    path: &Path,
    integrity: &IntegrityPolicy,
) -> Result<Loaded> {
    load_verified(engine, &read_binary(path)?, &file_name(path), integrity)
}

/// [`load_bytes`] for a policy with integrity requirements: the binary (WAT text is
/// assembled first) is checked against `integrity` before anything is compiled.
pub fn load_bytes_verified(
    engine: &Engine,
    bytes: &[u8],
    name: &str,
    integrity: &IntegrityPolicy,
) -> Result<Loaded> {
    if bytes.starts_with(b"\0asm") && bytes.len() >= 8 {
        load_verified(engine, bytes, name, integrity)
    } else {
        load_verified(engine, &to_binary(bytes.to_vec(), name)?, name, integrity)
    }
}

fn load_verified(
    engine: &Engine,
    binary: &[u8],
    name: &str,
    integrity: &IntegrityPolicy,
) -> Result<Loaded> {
    if !integrity.is_active() {
        return load_bytes(engine, binary, name);
    }
    crate::integrity::check(binary, name, integrity)?;
    let mut loaded = load_bytes(engine, binary, name)?;
    loaded.verified_for = Some(integrity.clone());
    Ok(loaded)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Reads a file and returns its binary form: WAT text is assembled, binaries are returned
/// as they are. Errors name the file.
pub fn read_binary(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::io(format!("cannot read `{}`", path.display()), e))?;
    to_binary(bytes, &path.display().to_string())
}

/// Returns the binary form of `bytes` (assembling WAT text), or an `InvalidModule` error.
pub fn to_binary(bytes: Vec<u8>, name: &str) -> Result<Vec<u8>> {
    if bytes.starts_with(b"\0asm") {
        if bytes.len() < 8 {
            return Err(Error::InvalidModule(format!(
                "`{name}` is truncated: {} bytes, not even a full header",
                bytes.len()
            )));
        }
        return Ok(bytes);
    }
    let looks_textual = std::str::from_utf8(&bytes)
        .map(|t| t.trim_start().starts_with('(') || t.trim_start().starts_with(";;"))
        .unwrap_or(false);
    if looks_textual {
        return wat::parse_bytes(&bytes)
            .map(|b| b.into_owned())
            .map_err(|e| {
                Error::InvalidModule(format!(
                    "`{name}` is WAT text that does not assemble: {}",
                    one_line(&e.to_string())
                ))
            });
    }
    let head: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
    Err(Error::InvalidModule(format!(
        "`{name}` is not WebAssembly: it starts with bytes [{}], not the magic `\\0asm`",
        head.join(" ")
    )))
}

/// Detects the kind of a binary from its header.
pub fn detect_kind(bytes: &[u8]) -> Option<ModuleKind> {
    if wasmparser::Parser::is_component(bytes) {
        Some(ModuleKind::Component)
    } else if wasmparser::Parser::is_core_wasm(bytes) {
        Some(ModuleKind::CoreModule)
    } else {
        None
    }
}

/// Loads a module or component from a file.
pub fn load_file(engine: &Engine, path: &Path) -> Result<Loaded> {
    let bytes = read_binary(path)?;
    load_bytes(engine, &bytes, &file_name(path))
}

/// Loads a module or component from bytes (binary or WAT text).
pub fn load_bytes(engine: &Engine, bytes: &[u8], name: &str) -> Result<Loaded> {
    let owned;
    // Headers shorter than 8 bytes go through `to_binary`, which reports them as truncated.
    let bytes = if bytes.starts_with(b"\0asm") && bytes.len() >= 8 {
        bytes
    } else {
        owned = to_binary(bytes.to_vec(), name)?;
        &owned[..]
    };
    let kind = detect_kind(bytes).ok_or_else(|| {
        Error::InvalidModule(format!(
            "`{name}` has an unsupported WebAssembly version or layer in its header"
        ))
    })?;
    let sha256: [u8; 32] = Sha256::digest(bytes).into();
    let cache = engine
        .cache_dir()
        .and_then(|dir| CachePath::new(engine, dir, &sha256));
    if let Some(cache) = &cache
        && let Some(compiled) = cache.read(engine, kind)
    {
        return Ok(Loaded {
            name: name.to_string(),
            kind,
            sha256,
            size: bytes.len(),
            from_cache: true,
            compiled,
            bytes: bytes.into(),
            verified_for: None,
        });
    }
    check_blocks_per_function(bytes, name, engine.max_blocks_per_function())?;
    let spinner = compile_spinner(engine, name, bytes.len());
    let compiled = compile(engine, bytes, kind, name);
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    let compiled = compiled?;
    if let Some(cache) = &cache {
        cache.write(&compiled);
    }
    Ok(Loaded {
        name: name.to_string(),
        kind,
        sha256,
        size: bytes.len(),
        from_cache: false,
        compiled,
        bytes: bytes.into(),
        verified_for: None,
    })
}

fn compile(engine: &Engine, bytes: &[u8], kind: ModuleKind, name: &str) -> Result<Compiled> {
    let bad = |e: wasmtime::Error| {
        Error::InvalidModule(format!("`{name}`: {}", one_line(&format!("{e:#}"))))
    };
    Ok(match kind {
        ModuleKind::CoreModule => {
            Compiled::Module(wasmtime::Module::from_binary(engine.wasmtime(), bytes).map_err(bad)?)
        }
        ModuleKind::Component => Compiled::Component(
            wasmtime::component::Component::from_binary(engine.wasmtime(), bytes).map_err(bad)?,
        ),
    })
}

/// Refuses a module (or any core module inside a component) with a function holding more
/// than `limit` structured control blocks (`block`, `loop`, `if`, `try_table`). Cranelift's
/// optimiser takes time quadratic in that number (10,000 blocks compile in about 0.3 s,
/// 40,000 in 3.6 s, 80,000 in 10 s), so without this cap a 200 KB module could hold a host
/// thread for minutes. Malformed code is left for Wasmtime's validator to report.
fn check_blocks_per_function(bytes: &[u8], name: &str, limit: u32) -> Result<()> {
    use wasmparser::{Operator, Payload};
    let mut function = 0u32;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let Ok(payload) = payload else { return Ok(()) };
        match payload {
            Payload::Version { .. } => function = 0,
            Payload::CodeSectionEntry(body) => {
                let Ok(mut ops) = body.get_operators_reader() else {
                    return Ok(());
                };
                let mut blocks = 0u32;
                while !ops.eof() {
                    match ops.read() {
                        Ok(
                            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. },
                        )
                        | Ok(Operator::TryTable { .. }) => blocks += 1,
                        Ok(_) => {}
                        Err(_) => return Ok(()),
                    }
                }
                if blocks > limit {
                    return Err(Error::InvalidModule(format!(
                        "`{name}`: function {function} (in code order) has {blocks} control blocks; nanoproc compiles at most {limit} per function, because compile time grows with their square. If you trust this module, raise the cap with EngineBuilder::max_blocks_per_function"
                    )));
                }
                function += 1;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Large modules take a while to compile: show a spinner on a terminal.
fn compile_spinner(engine: &Engine, name: &str, size: usize) -> Option<indicatif::ProgressBar> {
    const LARGE: usize = 2 << 20;
    if !engine.progress() || size < LARGE || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(format!(
        "compiling {name} ({}, cached for next time)",
        crate::policy::units::format_size(size as u64)
    ));
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    Some(bar)
}

pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where one module's compiled code lives in the cache.
struct CachePath {
    file: PathBuf,
}

impl CachePath {
    fn new(engine: &Engine, dir: &Path, sha256: &[u8; 32]) -> Option<Self> {
        let dir = dir.join(concat!("v", env!("CARGO_PKG_VERSION")));
        if let Err(e) = ensure_private_dir(&dir) {
            tracing::warn!("compile cache disabled: {e}");
            return None;
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine
            .wasmtime()
            .precompile_compatibility_hash()
            .hash(&mut h);
        engine.fuel_enabled().hash(&mut h);
        let key = format!("{}-{:016x}.cwasm", hex::encode(sha256), h.finish());
        Some(CachePath {
            file: dir.join(key),
        })
    }

    fn read(&self, engine: &Engine, kind: ModuleKind) -> Option<Compiled> {
        // Read into memory rather than mmap the file: a cache file truncated or rewritten
        // by someone else while a module is in use must not be able to crash the host.
        let bytes = std::fs::read(&self.file).ok()?;
        // SAFETY: the bytes were written by `write` below from code Wasmtime compiled, into a
        // directory only this user can write (checked by `ensure_private_dir`); Wasmtime
        // also checks the header and the engine compatibility before using them.
        let loaded = match kind {
            ModuleKind::CoreModule => {
                unsafe { wasmtime::Module::deserialize(engine.wasmtime(), &bytes) }
                    .map(Compiled::Module)
            }
            ModuleKind::Component => {
                unsafe { wasmtime::component::Component::deserialize(engine.wasmtime(), &bytes) }
                    .map(Compiled::Component)
            }
        };
        match loaded {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(
                    "ignoring unusable cache entry `{}`: {e}",
                    self.file.display()
                );
                let _ = std::fs::remove_file(&self.file);
                None
            }
        }
    }

    fn write(&self, compiled: &Compiled) {
        let bytes = match compiled {
            Compiled::Module(m) => m.serialize(),
            Compiled::Component(c) => c.serialize(),
        };
        let Ok(bytes) = bytes else { return };
        let tmp = self
            .file
            .with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, &bytes)
            .and_then(|_| std::fs::rename(&tmp, &self.file))
            .is_err()
        {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

/// Creates `dir` (mode 0700) and refuses it if another user could write into it: the
/// cache holds native code that is loaded without recompiling.
fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let meta = std::fs::metadata(dir)?;
        // SAFETY: geteuid has no preconditions.
        let uid = unsafe { libc_geteuid() };
        if meta.uid() != uid || meta.mode() & 0o022 != 0 {
            return Err(std::io::Error::other(format!(
                "`{}` is writable by other users or owned by another user",
                dir.display()
            )));
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

#[cfg(unix)]
unsafe extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}
