//! WASI preview 2 interface switches: a component importing a group its policy switches off
//! is refused when it is prepared, naming the interface and how to switch it on; with the
//! group on (the default) the same component loads. Components importing interfaces nothing
//! provides are refused too. (What each interface may reach at run time is tested per
//! capability: `env.rs`, `fs.rs`, `net.rs`, `http.rs`.)

use super::*;
use nanoproc::Error;
use nanoproc::loader::Loaded;
use nanoproc::policy::WasiInterface;

fn component(path: PathBuf) -> Loaded {
    loader::load_file(engine(), &path).expect("component loads")
}

fn example_component(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/components/bin")
        .join(name)
}

/// A command component that imports `wasi:random/random` and calls `get-random-u64`.
const RANDOM_WAT: &str = r#"
(component
  (import "wasi:random/random@0.2.0" (instance $r (export "get-random-u64" (func (result u64)))))
  (core func $get (canon lower (func $r "get-random-u64")))
  (core module $M
    (import "r" "get" (func $get (result i64)))
    (func (export "run") (result i32) (drop (call $get)) (i32.const 0)))
  (core instance $m (instantiate $M (with "r" (instance (export "get" (func $get))))))
  (func $run (result (result)) (canon lift (core func $m "run")))
  (instance $ri (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $ri)))
"#;

/// A command component that imports `wasi:clocks/monotonic-clock` and calls `now`.
const CLOCK_WAT: &str = r#"
(component
  (import "wasi:clocks/monotonic-clock@0.2.0" (instance $c (export "now" (func (result u64)))))
  (core func $now (canon lower (func $c "now")))
  (core module $M
    (import "c" "now" (func $now (result i64)))
    (func (export "run") (result i32) (drop (call $now)) (i32.const 0)))
  (core instance $m (instantiate $M (with "c" (instance (export "now" (func $now))))))
  (func $run (result (result)) (canon lift (core func $m "run")))
  (instance $ri (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $ri)))
"#;

enum Guest {
    File(PathBuf),
    Wat(&'static str),
}

impl Guest {
    fn load(&self) -> Loaded {
        match self {
            Guest::File(p) => component(p.clone()),
            Guest::Wat(w) => loader::load_bytes(engine(), w.as_bytes(), "inline.wat")
                .expect("wat component loads"),
        }
    }
}

/// For every switch: a component that imports that group, and the interface name the
/// refusal must mention.
fn cases() -> Vec<(WasiInterface, Guest, &'static str)> {
    use WasiInterface as W;
    vec![
        (
            W::Environment,
            Guest::File(guest("hello_p2.wasm")),
            "wasi:cli/environment@",
        ),
        (
            W::Exit,
            Guest::File(guest("hello_p2.wasm")),
            "wasi:cli/exit@",
        ),
        (
            W::Stdio,
            Guest::File(guest("hello_p2.wasm")),
            "wasi:cli/stdin@",
        ),
        (
            W::Clocks,
            Guest::File(guest("fs_p2.wasm")),
            "wasi:clocks/wall-clock@",
        ),
        (
            W::Clocks,
            Guest::Wat(CLOCK_WAT),
            "wasi:clocks/monotonic-clock@",
        ),
        (W::Random, Guest::Wat(RANDOM_WAT), "wasi:random/random@"),
        (
            W::Filesystem,
            Guest::File(guest("fs_p2.wasm")),
            "wasi:filesystem/types@",
        ),
        (
            W::Tcp,
            Guest::File(guest("net_p2.wasm")),
            "wasi:sockets/tcp@",
        ),
        (
            W::Udp,
            Guest::File(guest("net_p2.wasm")),
            "wasi:sockets/udp@",
        ),
        (
            W::IpNameLookup,
            Guest::File(guest("net_p2.wasm")),
            "wasi:sockets/ip-name-lookup@",
        ),
        (
            W::Http,
            Guest::File(example_component("http_get.wasm")),
            "wasi:http/types@",
        ),
    ]
}

#[test]
fn every_interface_group_switched_off_is_refused_at_load() {
    let cases = cases();
    for iface in WasiInterface::ALL {
        assert!(
            cases.iter().any(|(i, _, _)| *i == iface),
            "no case for {iface}"
        );
    }
    for (iface, g, import) in cases {
        let loaded = g.load();
        let mut b = captured();
        b.wasi_interface(iface, false);
        let err = Prepared::new(engine(), &loaded, b.build().expect("policy"))
            .err()
            .unwrap_or_else(|| panic!("{iface} off: {import} must be refused"));
        assert!(matches!(err, Error::Denied { .. }), "{iface}: {err}");
        let msg = err.to_string();
        assert!(msg.contains(import), "{iface}: {msg}");
        assert!(
            msg.contains(&format!("--allow-wasi {}", iface.name())),
            "{iface}: {msg}"
        );
        assert!(msg.contains(&iface.policy_key()), "{iface}: {msg}");
        assert!(msg.contains("switches off"), "{iface}: {msg}");

        // On (the default), the same component is prepared.
        Prepared::new(engine(), &loaded, captured().build().expect("policy"))
            .unwrap_or_else(|e| panic!("{iface} on: {import} must load: {e}"));
    }
}

#[test]
fn switched_on_components_run() {
    for (name, args) in [("hello_p2.wasm", &[][..]), ("env_p2.wasm", &[][..])] {
        let o = run(name, args, &mut captured());
        assert_exit(&o, 0);
    }
    for wat in [RANDOM_WAT, CLOCK_WAT] {
        let loaded = Guest::Wat(wat).load();
        let o = Prepared::new(engine(), &loaded, captured().build().expect("policy"))
            .expect("prepared")
            .run(vec![])
            .expect("runs");
        assert_exit(&o, 0);
    }
}

#[test]
fn switching_off_an_unused_group_changes_nothing() {
    let mut b = captured();
    b.wasi_interface(WasiInterface::Http, false)
        .wasi_interface(WasiInterface::Tcp, false)
        .wasi_interface(WasiInterface::Random, false);
    let o = run("hello_p2.wasm", &[], &mut b);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "hello from a nano-process\n");
}

#[test]
fn all_socket_groups_off_refuses_the_shared_network_interface() {
    let mut b = captured();
    for g in WasiInterface::parse_group("sockets").expect("sockets") {
        b.wasi_interface(g, false);
    }
    let loaded = component(guest("net_p2.wasm"));
    let err = Prepared::new(engine(), &loaded, b.build().expect("policy"))
        .err()
        .expect("refused");
    let msg = err.to_string();
    assert!(msg.contains("wasi:sockets/"), "{msg}");
    assert!(msg.contains("--allow-wasi"), "{msg}");
}

/// Every interface nanoproc provides, as a bare import (the check runs before linking).
#[test]
fn bare_imports_of_switched_off_interfaces_are_refused() {
    use WasiInterface as W;
    for (import, iface) in [
        ("wasi:cli/environment@0.2.0", W::Environment),
        ("wasi:cli/exit@0.2.0", W::Exit),
        ("wasi:cli/stdout@0.2.0", W::Stdio),
        ("wasi:cli/terminal-stderr@0.2.0", W::Stdio),
        ("wasi:clocks/wall-clock@0.2.0", W::Clocks),
        ("wasi:random/insecure-seed@0.2.0", W::Random),
        ("wasi:filesystem/preopens@0.2.0", W::Filesystem),
        ("wasi:sockets/tcp-create-socket@0.2.0", W::Tcp),
        ("wasi:sockets/udp-create-socket@0.2.0", W::Udp),
        ("wasi:sockets/ip-name-lookup@0.2.0", W::IpNameLookup),
        ("wasi:http/outgoing-handler@0.2.0", W::Http),
    ] {
        let wat = format!(r#"(component (import "{import}" (instance)))"#);
        let loaded = loader::load_bytes(engine(), wat.as_bytes(), "bare.wat").expect("loads");
        let mut b = captured();
        b.wasi_interface(iface, false);
        let err = Prepared::new(engine(), &loaded, b.build().expect("policy"))
            .err()
            .expect("refused");
        let msg = err.to_string();
        assert!(msg.contains(import), "{msg}");
        assert!(msg.contains("switches off"), "{msg}");
    }
}

#[test]
fn unknown_interfaces_are_refused_at_load() {
    let loaded = component(example_component("missiles.wasm"));
    let err = Prepared::new(engine(), &loaded, captured().build().expect("policy"))
        .err()
        .expect("refused");
    assert!(matches!(err, Error::Denied { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("acme:missiles/launch"), "{msg}");
    assert!(msg.contains("does not provide"), "{msg}");
    assert!(msg.contains("no flag or policy key can allow it"), "{msg}");
    assert!(msg.contains("nanoproc inspect"), "{msg}");

    for import in [
        "wasi:keyvalue/store@0.2.0",
        "wasi:http/incoming-handler@0.2.0",
    ] {
        let wat = format!(r#"(component (import "{import}" (instance)))"#);
        let loaded = loader::load_bytes(engine(), wat.as_bytes(), "kv.wat").expect("loads");
        let err = Prepared::new(engine(), &loaded, captured().build().expect("policy"))
            .err()
            .expect("refused");
        let msg = err.to_string();
        assert!(
            msg.contains(import) && msg.contains("does not provide"),
            "{msg}"
        );
    }
}
