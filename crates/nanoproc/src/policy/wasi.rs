//! Per-interface switches for WASI preview 2: which groups of interfaces a component may
//! import at all. All are on by default; what an interface can reach still comes only from
//! grants (no mounts: no files; no `--allow-net`: no connections; no `--allow-http`: no
//! requests). A component importing an interface that is switched off is refused at load.
//!
//! `wasi:io` (streams, polling, errors) carries no authority and is always provided.

use std::fmt;

/// A group of WASI preview 2 interfaces that can be switched off on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WasiInterface {
    /// `wasi:cli/environment`: arguments, environment variables, initial directory.
    Environment,
    /// `wasi:cli/exit`.
    Exit,
    /// `wasi:cli/stdin`, `stdout`, `stderr` and the `terminal-*` interfaces.
    Stdio,
    /// `wasi:clocks/*`: wall clock and monotonic clock.
    Clocks,
    /// `wasi:random/*`: secure and insecure random numbers.
    Random,
    /// `wasi:filesystem/*`: preopens and file operations.
    Filesystem,
    /// `wasi:sockets/tcp` and `tcp-create-socket`.
    Tcp,
    /// `wasi:sockets/udp` and `udp-create-socket`.
    Udp,
    /// `wasi:sockets/ip-name-lookup` (DNS).
    IpNameLookup,
    /// `wasi:http/types` and `wasi:http/outgoing-handler`.
    Http,
}

impl WasiInterface {
    /// Every switch, in documentation order.
    pub const ALL: [WasiInterface; 10] = [
        WasiInterface::Environment,
        WasiInterface::Exit,
        WasiInterface::Stdio,
        WasiInterface::Clocks,
        WasiInterface::Random,
        WasiInterface::Filesystem,
        WasiInterface::Tcp,
        WasiInterface::Udp,
        WasiInterface::IpNameLookup,
        WasiInterface::Http,
    ];

    /// The switch's name in `--deny-wasi NAME`, `--allow-wasi NAME` and the `[wasi]` table.
    pub fn name(self) -> &'static str {
        match self {
            WasiInterface::Environment => "environment",
            WasiInterface::Exit => "exit",
            WasiInterface::Stdio => "stdio",
            WasiInterface::Clocks => "clocks",
            WasiInterface::Random => "random",
            WasiInterface::Filesystem => "filesystem",
            WasiInterface::Tcp => "tcp",
            WasiInterface::Udp => "udp",
            WasiInterface::IpNameLookup => "ip-name-lookup",
            WasiInterface::Http => "http",
        }
    }

    /// The switches a name stands for: one of [`WasiInterface::name`], or `sockets` for
    /// `tcp`, `udp` and `ip-name-lookup` together. `None` for an unknown name.
    pub fn parse_group(name: &str) -> Option<Vec<WasiInterface>> {
        let n = name.trim().to_ascii_lowercase().replace('_', "-");
        if n == "sockets" {
            return Some(vec![
                WasiInterface::Tcp,
                WasiInterface::Udp,
                WasiInterface::IpNameLookup,
            ]);
        }
        WasiInterface::ALL
            .into_iter()
            .find(|i| i.name() == n)
            .map(|i| vec![i])
    }

    /// Every name [`WasiInterface::parse_group`] accepts, for error messages.
    pub fn names() -> String {
        let mut names: Vec<&str> = WasiInterface::ALL.iter().map(|i| i.name()).collect();
        names.push("sockets");
        names.join(", ")
    }

    /// The policy-file key that switches this on or off (`[wasi] NAME = BOOL`).
    pub fn policy_key(self) -> String {
        format!("wasi.{}", self.key_name())
    }

    /// The name as a TOML key (`ip_name_lookup`).
    pub(crate) fn key_name(self) -> String {
        self.name().replace('-', "_")
    }
}

impl fmt::Display for WasiInterface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which WASI interface groups are switched on. All are on by default.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WasiSwitches {
    off: Vec<WasiInterface>,
}

impl WasiSwitches {
    /// Whether `iface` is switched on.
    pub fn enabled(&self, iface: WasiInterface) -> bool {
        !self.off.contains(&iface)
    }

    /// The groups switched off.
    pub fn disabled(&self) -> &[WasiInterface] {
        &self.off
    }

    pub(crate) fn set(&mut self, iface: WasiInterface, on: bool) {
        self.off.retain(|i| *i != iface);
        if !on {
            self.off.push(iface);
            self.off.sort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for i in WasiInterface::ALL {
            assert_eq!(WasiInterface::parse_group(i.name()), Some(vec![i]));
        }
        assert_eq!(
            WasiInterface::parse_group("ip_name_lookup"),
            Some(vec![WasiInterface::IpNameLookup])
        );
        assert_eq!(
            WasiInterface::parse_group("sockets").map(|v| v.len()),
            Some(3)
        );
        assert_eq!(WasiInterface::parse_group("keyvalue"), None);
    }

    #[test]
    fn switches() {
        let mut s = WasiSwitches::default();
        assert!(WasiInterface::ALL.iter().all(|i| s.enabled(*i)));
        s.set(WasiInterface::Http, false);
        s.set(WasiInterface::Http, false);
        assert_eq!(s.disabled(), &[WasiInterface::Http]);
        s.set(WasiInterface::Http, true);
        assert!(s.enabled(WasiInterface::Http));
    }
}
