//! # nanoproc-attacks: the hostile-guest suite
//!
//! A catalogue of attacks a guest (a WASI program, a component or a plugin) can try against
//! its host, each with the exact outcome nanoproc must produce. The driver,
//! `tests/attacks.rs`, runs every case in one process, checks the outcome, checks that the
//! host is still healthy afterwards (a known-good guest and plugin still run, thread and
//! file-descriptor counts are back to the baseline, nothing changed outside the sandbox's
//! directories, memory was given back), and writes the table in `docs/security-tests.md`.
//!
//! ```sh
//! cargo test -p nanoproc-attacks                      # run every case, check the table
//! cargo test -p nanoproc-attacks -- fs. mem.grow      # only cases whose id starts so
//! NANOPROC_BLESS=1 cargo test -p nanoproc-attacks     # rewrite docs/security-tests.md
//! ```
//!
//! Adding a case: write a `fn(&Ctx) -> Result<Got, String>` in the category's module under
//! `src/cases/` (return `Err` for any side assertion that fails, such as a secret in the
//! output or a file changed), and add a [`Case`] entry to that module's `cases()` list.
//!
//! Hostile guests are WAT, assembled at test time (`guests/*.wat` and inline snippets), or
//! the prebuilt examples in `examples/guests/bin` and `examples/plugins/bin`. The `capi.`
//! cases are a hostile *host* instead: misuse of the C ABI (`crates/nanoproc-capi`), whose
//! `extern "C"` functions they call directly.

pub mod cases;
pub mod env;
pub mod expect;
pub mod health;
pub mod logs;
pub mod table;

pub use env::{Dirs, Env};
pub use expect::{End, Errno, ErrorKind, Expect, Got};

/// What part of the sandbox a case attacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// Linear memories and tables: bounds, growth, initial sizes.
    Memory,
    /// CPU and wall time: loops, recursion, blocking host calls.
    Cpu,
    /// Files: escapes from mounts, writes to read-only mounts.
    Filesystem,
    /// Environment variables and arguments.
    Environment,
    /// Sockets, DNS, HTTP.
    Network,
    /// stdout and stderr floods.
    Output,
    /// Malformed and hostile modules and components.
    Module,
    /// The plugin bytes ABI (`docs/abi.md`).
    PluginAbi,
    /// Host functions a plugin may call.
    HostFunction,
    /// Guest traps.
    Trap,
    /// A host misusing the C ABI (`include/nanoproc.h`): handles, strings, lengths, threads.
    CAbi,
    /// Code that is not what the policy trusts: unsigned, tampered, wrongly signed, unpinned.
    Integrity,
}

impl Category {
    /// The heading of the category in the generated table.
    pub fn title(self) -> &'static str {
        match self {
            Category::Memory => "Memory",
            Category::Cpu => "CPU and time",
            Category::Filesystem => "Filesystem",
            Category::Environment => "Environment and arguments",
            Category::Network => "Network",
            Category::Output => "Output floods",
            Category::Module => "Malformed and hostile modules",
            Category::PluginAbi => "Plugin ABI abuse",
            Category::HostFunction => "Host-function abuse",
            Category::Trap => "Guest traps",
            Category::CAbi => "C ABI misuse",
            Category::Integrity => "Module integrity",
        }
    }
}

/// What a case's function gets: the shared engines and a fresh host directory layout.
pub struct Ctx<'a> {
    /// Engines and prebuilt guests.
    pub env: &'a Env,
    /// This case's own host directories.
    pub dirs: &'a Dirs,
}

/// One attack and the defence that must stop it.
pub struct Case {
    /// Unique id, `category.name`.
    pub id: &'static str,
    /// What it attacks.
    pub category: Category,
    /// The attack, in one sentence (what the guest does, under which policy).
    pub attack: &'static str,
    /// What stops it, in one sentence.
    pub defence: &'static str,
    /// The exact outcome.
    pub expect: Expect,
    /// Runs the attack. `Err` is a failed side assertion (a secret leaked, a file changed, a
    /// connection arrived, …) or a setup failure.
    pub run: fn(&Ctx) -> Result<Got, String>,
    /// The attack allocates a lot of memory: check the host's RSS comes back down.
    pub memory_heavy: bool,
    /// Run the case in a child process: the attack may kill the host process (the
    /// child's death is then the case's observed result).
    pub isolated: bool,
    /// A known failure (a gap in nanoproc, reported): the reason. The case still runs and its
    /// result is shown, but it does not fail the suite.
    pub known_failure: Option<&'static str>,
}

impl Case {
    /// A case with no special flags.
    pub const fn new(
        id: &'static str,
        category: Category,
        attack: &'static str,
        defence: &'static str,
        expect: Expect,
        run: fn(&Ctx) -> Result<Got, String>,
    ) -> Self {
        Case {
            id,
            category,
            attack,
            defence,
            expect,
            run,
            memory_heavy: false,
            isolated: false,
            known_failure: None,
        }
    }

    /// Marks the case as allocating a lot of host memory.
    pub const fn memory_heavy(mut self) -> Self {
        self.memory_heavy = true;
        self
    }

    /// Runs the case in a child process of its own.
    pub const fn isolated(mut self) -> Self {
        self.isolated = true;
        self
    }

    /// Marks the case as a known failure, with the reason.
    pub const fn known_failure(mut self, reason: &'static str) -> Self {
        self.known_failure = Some(reason);
        self
    }
}

/// Every case, in table order.
pub fn catalogue() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(cases::memory::cases());
    all.extend(cases::cpu::cases());
    all.extend(cases::fs::cases());
    all.extend(cases::environment::cases());
    all.extend(cases::net::cases());
    all.extend(cases::output::cases());
    all.extend(cases::module::cases());
    all.extend(cases::integrity::cases());
    all.extend(cases::abi::cases());
    all.extend(cases::host_fn::cases());
    all.extend(cases::trap::cases());
    all.extend(cases::component::cases());
    all.extend(cases::c_abi::cases());
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_name_their_category() {
        let all = catalogue();
        assert!(all.len() >= 40, "only {} cases", all.len());
        let mut seen = std::collections::HashSet::new();
        for c in &all {
            assert!(seen.insert(c.id), "duplicate id {}", c.id);
            let prefix = c.id.split('.').next().unwrap_or_default();
            let ok = match c.category {
                Category::Memory => "mem",
                Category::Cpu => "cpu",
                Category::Filesystem => "fs",
                Category::Environment => "env",
                Category::Network => "net",
                Category::Output => "out",
                Category::Module => "module",
                Category::PluginAbi => "abi",
                Category::HostFunction => "hostfn",
                Category::Trap => "trap",
                Category::Integrity => "integrity",
                Category::CAbi => "capi",
            };
            assert_eq!(prefix, ok, "{} is in {:?}", c.id, c.category);
            assert!(
                !c.attack.contains('|') && !c.defence.contains('|'),
                "{}",
                c.id
            );
        }
    }

    #[test]
    fn the_wat_guests_assemble() {
        let sockets = cases::net::SOCKETS
            .replace("OP_NUMBER", "1")
            .replace("PORT_NUMBER", "9");
        for (name, text) in [
            ("fsprobe.wat", cases::fs::FSPROBE),
            ("sockets_p2.wat", sockets.as_str()),
            ("http_import.wat", cases::net::HTTP_IMPORT),
        ] {
            if let Err(e) = nanoproc::loader::to_binary(text.as_bytes().to_vec(), name) {
                panic!("{e}");
            }
        }
    }
}
