//! Which WASI preview 2 interfaces nanoproc provides, and the load-time check that a
//! component imports only those its policy switches on (plus what its front door links
//! itself).
//!
//! Versions are ignored here (`wasi:cli/exit@0.2.3` is `wasi:cli/exit`): the linker reports
//! real version mismatches when the component is linked.

use crate::error::{Error, Result};
use crate::policy::{Policy, WasiInterface};
use wasmtime::component::Component;

/// What nanoproc provides to components, by interface name without version; `None` means
/// always provided (no authority).
pub(crate) const PROVIDED: &[(&str, Option<WasiInterface>)] = {
    use WasiInterface as W;
    &[
        ("wasi:io/error", None),
        ("wasi:io/poll", None),
        ("wasi:io/streams", None),
        ("wasi:cli/environment", Some(W::Environment)),
        ("wasi:cli/exit", Some(W::Exit)),
        ("wasi:cli/stdin", Some(W::Stdio)),
        ("wasi:cli/stdout", Some(W::Stdio)),
        ("wasi:cli/stderr", Some(W::Stdio)),
        ("wasi:cli/terminal-input", Some(W::Stdio)),
        ("wasi:cli/terminal-output", Some(W::Stdio)),
        ("wasi:cli/terminal-stdin", Some(W::Stdio)),
        ("wasi:cli/terminal-stdout", Some(W::Stdio)),
        ("wasi:cli/terminal-stderr", Some(W::Stdio)),
        ("wasi:clocks/monotonic-clock", Some(W::Clocks)),
        ("wasi:clocks/wall-clock", Some(W::Clocks)),
        ("wasi:random/random", Some(W::Random)),
        ("wasi:random/insecure", Some(W::Random)),
        ("wasi:random/insecure-seed", Some(W::Random)),
        ("wasi:filesystem/types", Some(W::Filesystem)),
        ("wasi:filesystem/preopens", Some(W::Filesystem)),
        ("wasi:sockets/tcp", Some(W::Tcp)),
        ("wasi:sockets/tcp-create-socket", Some(W::Tcp)),
        ("wasi:sockets/udp", Some(W::Udp)),
        ("wasi:sockets/udp-create-socket", Some(W::Udp)),
        ("wasi:sockets/ip-name-lookup", Some(W::IpNameLookup)),
        ("wasi:http/types", Some(W::Http)),
        ("wasi:http/outgoing-handler", Some(W::Http)),
    ]
};

/// `wasi:sockets/network` and `instance-network` serve all three socket groups: provided
/// while any of them is on.
const SOCKET_BASE: &[&str] = &["wasi:sockets/network", "wasi:sockets/instance-network"];
const SOCKET_GROUPS: [WasiInterface; 3] = [
    WasiInterface::Tcp,
    WasiInterface::Udp,
    WasiInterface::IpNameLookup,
];

/// Checks every import of `component` (called `name` in messages) against `policy`'s
/// interface switches. `provided` lists prefixes of the non-WASI interfaces the caller links
/// itself (e.g. `nanoproc:plugin/host`).
///
/// Fails with [`Error::Denied`] on the first import of an interface that is switched off
/// (naming the switch, its flag and policy key) or that nothing provides (naming what is).
pub(crate) fn check_imports(
    engine: &wasmtime::Engine,
    component: &Component,
    name: &str,
    policy: &Policy,
    provided: &[&str],
) -> Result<()> {
    let ty = component.component_type();
    for (import, _) in ty.imports(engine) {
        check_one(import, name, policy, provided)?;
    }
    Ok(())
}

fn check_one(import: &str, name: &str, policy: &Policy, provided: &[&str]) -> Result<()> {
    let bare = import.split('@').next().unwrap_or(import);
    if provided
        .iter()
        .any(|p| bare.starts_with(p.split('@').next().unwrap_or(p)))
    {
        return Ok(());
    }
    let switches = policy.wasi();
    if let Some((_, group)) = PROVIDED.iter().find(|(i, _)| *i == bare) {
        return match group {
            Some(g) if !switches.enabled(*g) => Err(switched_off(import, name, &[*g])),
            _ => Ok(()),
        };
    }
    if SOCKET_BASE.contains(&bare) {
        return if SOCKET_GROUPS.iter().any(|g| switches.enabled(*g)) {
            Ok(())
        } else {
            Err(switched_off(import, name, &SOCKET_GROUPS))
        };
    }
    Err(unknown(import, name, provided))
}

fn switched_off(import: &str, name: &str, groups: &[WasiInterface]) -> Error {
    let group = match groups {
        [g] => g.name().to_string(),
        _ => "sockets".to_string(),
    };
    Error::Denied {
        what: format!(
            "`{name}` imports `{import}`, which its policy switches off (WASI interface group `{group}`)"
        ),
        how: format!(
            "switch it on with --allow-wasi {group} or `wasi.{} = true` in the policy file",
            group.replace('-', "_")
        ),
    }
}

fn unknown(import: &str, name: &str, provided: &[&str]) -> Error {
    let mut packages: Vec<&str> = PROVIDED
        .iter()
        .map(|(i, _)| i.split('/').next().unwrap_or(i))
        .collect();
    packages.dedup();
    let mut list = packages
        .iter()
        .map(|p| {
            if *p == "wasi:http" {
                "wasi:http (outgoing requests)".to_string()
            } else {
                p.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    for p in provided {
        list.push_str(", ");
        list.push_str(p);
    }
    Error::Denied {
        what: format!("`{name}` imports `{import}`, which nanoproc does not provide"),
        how: format!(
            "no flag or policy key can allow it; provided here: {list}; run `nanoproc inspect {name}` to list its imports"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(import: &str, b: &mut crate::PolicyBuilder, provided: &[&str]) -> Result<()> {
        check_one(import, "x.wasm", &b.build().expect("policy"), provided)
    }

    #[test]
    fn every_group_can_be_switched_off() {
        for (iface, group) in PROVIDED {
            let versioned = format!("{iface}@0.2.3");
            assert!(check(&versioned, &mut crate::Policy::builder(), &[]).is_ok());
            let Some(g) = group else { continue };
            let mut b = crate::Policy::builder();
            b.wasi_interface(*g, false);
            let err = check(&versioned, &mut b, &[]).expect_err("switched off");
            let msg = err.to_string();
            assert!(msg.contains(&versioned), "{msg}");
            assert!(msg.contains(&format!("--allow-wasi {}", g.name())), "{msg}");
            assert!(msg.contains(&g.policy_key()), "{msg}");
        }
    }

    #[test]
    fn socket_base_needs_one_socket_group() {
        let mut b = crate::Policy::builder();
        b.wasi_interface(WasiInterface::Tcp, false)
            .wasi_interface(WasiInterface::Udp, false);
        assert!(check("wasi:sockets/network@0.2.0", &mut b, &[]).is_ok());
        b.wasi_interface(WasiInterface::IpNameLookup, false);
        let err = check("wasi:sockets/network@0.2.0", &mut b, &[]).expect_err("all off");
        assert!(err.to_string().contains("--allow-wasi sockets"), "{err}");
    }

    #[test]
    fn unknown_and_provided() {
        let mut b = crate::Policy::builder();
        for import in [
            "acme:missiles/launch",
            "wasi:keyvalue/store@0.2.0",
            "wasi:http/incoming-handler@0.2.0",
            "plain-func",
        ] {
            let err = check(import, &mut b, &[]).expect_err("unknown");
            let msg = err.to_string();
            assert!(msg.contains("does not provide"), "{msg}");
            assert!(msg.contains("nanoproc inspect"), "{msg}");
        }
        assert!(
            check(
                "nanoproc:plugin/host@0.1.0",
                &mut b,
                &["nanoproc:plugin/host"]
            )
            .is_ok()
        );
    }
}
