//! `inspect`: what a module is, what it imports (grouped by capability), what it exports,
//! and which policy grants it would need to do what its imports suggest; for a component also
//! its WIT world ([`wit`]) and the names of the functions `nanoproc call` can run.

pub mod wit;

use crate::error::{Error, Result};
use crate::loader::{ModuleKind, detect_kind, one_line};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use wasmparser::{Parser, Payload, Validator, WasmFeatures};

/// A capability class an import belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Files and directories.
    Filesystem,
    /// Environment variables.
    Env,
    /// Command-line arguments.
    Args,
    /// Wall and monotonic clocks, sleeping.
    Clocks,
    /// Random numbers.
    Random,
    /// TCP/UDP sockets and DNS.
    Sockets,
    /// Outgoing HTTP.
    Http,
    /// stdin, stdout, stderr, streams and terminals.
    Stdio,
    /// Exiting, yielding.
    Process,
    /// Functions from outside WASI (plugin host functions).
    Other,
}

impl Capability {
    /// Human name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Filesystem => "filesystem",
            Capability::Env => "env",
            Capability::Args => "args",
            Capability::Clocks => "clocks",
            Capability::Random => "random",
            Capability::Sockets => "sockets",
            Capability::Http => "http",
            Capability::Stdio => "stdio",
            Capability::Process => "process",
            Capability::Other => "other host functions",
        }
    }
}

/// A memory or table declared by the binary.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Declared {
    /// Initial size (pages of 64 KiB for memories, elements for tables).
    pub initial: u64,
    /// Maximum size, if declared.
    pub maximum: Option<u64>,
    /// Whether the memory is 64-bit or shared, or the table's element type.
    pub note: String,
}

/// The report `nanoproc inspect` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Core module or component.
    pub kind: ModuleKind,
    /// Size in bytes.
    pub size: usize,
    /// sha256 hex.
    pub sha256: String,
    /// Imports by capability: `module::name` (core) or interface names (component).
    pub imports: BTreeMap<Capability, Vec<String>>,
    /// Export names.
    pub exports: Vec<String>,
    /// Declared linear memories (all core modules inside, for components).
    pub memories: Vec<Declared>,
    /// Declared tables.
    pub tables: Vec<Declared>,
    /// Policy flags the module would need to use what it imports.
    pub needs: Vec<String>,
    /// A component's WIT world (`None` for a core module, or when it cannot be decoded).
    pub wit: Option<wit::WitWorld>,
    /// Why a component's WIT world could not be decoded: one line (`None` otherwise).
    pub wit_error: Option<String>,
    /// The key ids of the signatures embedded in the binary (`ed25519:…`), not verified:
    /// `nanoproc verify --pubkey KEY FILE` checks them.
    pub signatures: Vec<String>,
}

/// Validates and inspects a binary (WAT text is assembled first).
pub fn inspect(bytes: &[u8], name: &str) -> Result<Report> {
    let bytes = crate::loader::to_binary(bytes.to_vec(), name)?;
    let kind = detect_kind(&bytes).ok_or_else(|| {
        Error::InvalidModule(format!(
            "`{name}` has an unsupported WebAssembly version or layer"
        ))
    })?;
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(&bytes)
        .map_err(|e| Error::InvalidModule(format!("`{name}`: {}", one_line(&e.to_string()))))?;

    let mut imports: BTreeMap<Capability, Vec<String>> = BTreeMap::new();
    let mut exports = Vec::new();
    let mut memories = Vec::new();
    let mut tables = Vec::new();
    let mut depth = 0usize;
    let bad = |e: wasmparser::BinaryReaderError| {
        Error::InvalidModule(format!("`{name}`: {}", one_line(&e.to_string())))
    };
    for payload in Parser::new(0).parse_all(&bytes) {
        match payload.map_err(bad)? {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ImportSection(reader) if depth == 0 => {
                for imp in reader.into_imports() {
                    let imp = imp.map_err(bad)?;
                    let cap = classify_core(imp.module, imp.name);
                    imports
                        .entry(cap)
                        .or_default()
                        .push(format!("{}::{}", imp.module, imp.name));
                }
            }
            Payload::ExportSection(reader) if depth == 0 => {
                for exp in reader {
                    exports.push(exp.map_err(bad)?.name.to_string());
                }
            }
            Payload::ComponentImportSection(reader) if depth == 0 => {
                for imp in reader {
                    let imp = imp.map_err(bad)?;
                    let n = imp.name.name.to_string();
                    imports.entry(classify_interface(&n)).or_default().push(n);
                }
            }
            Payload::ComponentExportSection(reader) if depth == 0 => {
                for exp in reader {
                    exports.push(exp.map_err(bad)?.name.name.to_string());
                }
            }
            Payload::MemorySection(reader) => {
                for m in reader {
                    let m = m.map_err(bad)?;
                    let mut note = Vec::new();
                    if m.memory64 {
                        note.push("64-bit");
                    }
                    if m.shared {
                        note.push("shared");
                    }
                    memories.push(Declared {
                        initial: m.initial,
                        maximum: m.maximum,
                        note: note.join(", "),
                    });
                }
            }
            Payload::TableSection(reader) => {
                for t in reader {
                    let t = t.map_err(bad)?;
                    tables.push(Declared {
                        initial: t.ty.initial,
                        maximum: t.ty.maximum,
                        note: format!("{}", t.ty.element_type),
                    });
                }
            }
            _ => {}
        }
    }
    for list in imports.values_mut() {
        list.sort();
        list.dedup();
    }
    let needs = needs(&imports);
    let (wit, wit_error) = match kind {
        ModuleKind::Component => match wit::decode(&bytes) {
            Ok(w) => (Some(w), None),
            Err(e) => (None, Some(e)),
        },
        ModuleKind::CoreModule => (None, None),
    };
    Ok(Report {
        kind,
        size: bytes.len(),
        sha256: hex::encode(Sha256::digest(&bytes)),
        imports,
        exports,
        memories,
        tables,
        needs,
        wit,
        wit_error,
        signatures: crate::integrity::signature_info(&bytes, name)
            .map(|i| i.key_ids)
            .unwrap_or_else(|e| vec![format!("(unreadable: {})", e.detail())]),
    })
}

fn classify_core(module: &str, name: &str) -> Capability {
    if module != "wasi_snapshot_preview1" && module != "wasi_unstable" {
        return Capability::Other;
    }
    match name {
        "environ_get" | "environ_sizes_get" => Capability::Env,
        "args_get" | "args_sizes_get" => Capability::Args,
        "clock_time_get" | "clock_res_get" | "poll_oneoff" => Capability::Clocks,
        "random_get" => Capability::Random,
        "fd_read" | "fd_write" | "fd_close" | "fd_fdstat_get" | "fd_fdstat_set_flags" => {
            Capability::Stdio
        }
        "proc_exit" | "proc_raise" | "sched_yield" => Capability::Process,
        n if n.starts_with("sock_") => Capability::Sockets,
        n if n.starts_with("path_") || n.starts_with("fd_") => Capability::Filesystem,
        _ => Capability::Other,
    }
}

fn classify_interface(name: &str) -> Capability {
    let iface = name.split('@').next().unwrap_or(name);
    match iface {
        i if i.starts_with("wasi:filesystem/") => Capability::Filesystem,
        "wasi:cli/environment" => Capability::Env,
        i if i.starts_with("wasi:clocks/") => Capability::Clocks,
        i if i.starts_with("wasi:random/") => Capability::Random,
        i if i.starts_with("wasi:sockets/") => Capability::Sockets,
        i if i.starts_with("wasi:http/") => Capability::Http,
        "wasi:cli/exit" => Capability::Process,
        i if i.starts_with("wasi:cli/") || i.starts_with("wasi:io/") => Capability::Stdio,
        _ => Capability::Other,
    }
}

fn needs(imports: &BTreeMap<Capability, Vec<String>>) -> Vec<String> {
    let mut out = Vec::new();
    let has = |c| imports.contains_key(&c);
    if has(Capability::Filesystem) {
        out.push(
            "--dir HOST::GUEST (add :rw to allow writes) or --file HOST::GUEST to reach files"
                .to_string(),
        );
    }
    if has(Capability::Env) {
        out.push("--env NAME[=VALUE] for each environment variable it should see".to_string());
    }
    if has(Capability::Sockets) {
        out.push("--allow-net HOST:PORT for each destination it should reach".to_string());
        if imports[&Capability::Sockets]
            .iter()
            .any(|i| i.contains("ip-name-lookup"))
        {
            out.push("--allow-dns if it resolves host names".to_string());
        }
    }
    if has(Capability::Http) {
        out.push(
            "--allow-http SCHEME://HOST[:PORT] for each origin it sends HTTP requests to"
                .to_string(),
        );
    }
    if has(Capability::Other) {
        out.push("host functions outside WASI: `nanoproc run` does not provide them (they are for plugins)".to_string());
    }
    out
}

impl Report {
    /// A human-readable multi-line rendering.
    pub fn render(&self, name: &str) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "{name}");
        let _ = writeln!(s, "  kind:    {}", self.kind);
        let _ = writeln!(
            s,
            "  size:    {} ({} bytes)",
            crate::policy::units::format_size(self.size as u64),
            self.size
        );
        let _ = writeln!(s, "  sha256:  {}", self.sha256);
        let _ = writeln!(
            s,
            "  signed:  {}",
            if self.signatures.is_empty() {
                "no".to_string()
            } else {
                format!(
                    "{} signature{} by {} (check with `nanoproc verify --pubkey KEY`)",
                    self.signatures.len(),
                    if self.signatures.len() == 1 { "" } else { "s" },
                    self.signatures.join(", ")
                )
            }
        );
        let _ = writeln!(
            s,
            "  imports:{}",
            if self.imports.is_empty() { " none" } else { "" }
        );
        for (cap, list) in &self.imports {
            let _ = writeln!(s, "    {} ({}):", cap.name(), list.len());
            for i in list {
                let _ = writeln!(s, "      {i}");
            }
        }
        let _ = writeln!(
            s,
            "  exports: {}",
            if self.exports.is_empty() {
                "none".into()
            } else {
                self.exports.join(", ")
            }
        );
        for (label, list, unit) in [
            ("memories", &self.memories, "pages"),
            ("tables", &self.tables, "elements"),
        ] {
            let _ = write!(
                s,
                "  {label}:{}",
                if list.is_empty() { " none\n" } else { "\n" }
            );
            for d in list {
                let max = d
                    .maximum
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| "unbounded".into());
                let note = if d.note.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", d.note)
                };
                let _ = writeln!(s, "    initial {} {unit}, maximum {max}{note}", d.initial);
            }
        }
        let _ = writeln!(
            s,
            "  needs:{}",
            if self.needs.is_empty() {
                " no grants (runs with the default policy)"
            } else {
                ""
            }
        );
        for n in &self.needs {
            let _ = writeln!(s, "    {n}");
        }
        if let Some(e) = &self.wit_error {
            let _ = writeln!(s, "  wit:     {e}");
        }
        if let Some(w) = &self.wit {
            render_wit(&mut s, w);
        }
        s
    }
}

/// The component part of [`Report::render`]: callable functions, then the WIT world.
fn render_wit(s: &mut String, w: &wit::WitWorld) {
    use std::fmt::Write;
    let callable = w.callable();
    let is_plugin = w
        .exports
        .iter()
        .any(|e| e.name.split('@').next() == Some("nanoproc:plugin/handler"));
    if is_plugin {
        let _ = writeln!(
            s,
            "  plugin:  a `nanoproc:plugin` component; call the functions its `handler.functions()` lists with `nanoproc call FILE FUNCTION --input TEXT` (bytes in, bytes out)"
        );
    } else if callable.is_empty() {
        let _ = writeln!(s, "  callable functions: none");
    } else {
        let _ = writeln!(
            s,
            "  callable functions ({}; run one with `nanoproc call FILE NAME --args JSON`):",
            callable.len()
        );
        // Names longer than this are not padded: the signature follows after two spaces.
        const MAX_PAD: usize = 56;
        let width = callable
            .iter()
            .map(|(n, _)| n.chars().count())
            .filter(|&n| n <= MAX_PAD)
            .max()
            .unwrap_or(0);
        for (name, sig) in callable {
            let _ = writeln!(s, "    {name:<width$}  {sig}");
        }
    }
    let _ = writeln!(s, "  wit world:");
    for line in w.text.lines() {
        if line.is_empty() {
            s.push('\n');
        } else {
            let _ = writeln!(s, "    {line}");
        }
    }
}
