//! Network: no sockets unless an outbound pattern allows the address.

use super::*;
use nanoproc::Decision;
use std::net::TcpListener;

fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    l.set_nonblocking(true).expect("nonblocking");
    let addr = l.local_addr().expect("addr").to_string();
    (l, addr)
}

#[test]
fn connections_are_refused_by_default() {
    let (l, addr) = listener();
    let o = run("net_p2.wasm", &[&addr], &mut captured());
    assert_exit(&o, 1);
    assert!(!stdout(&o).contains("connected"));
    assert!(
        l.accept().is_err(),
        "the listener must not have received a connection"
    );
    let denial = o
        .denials()
        .find(|e| e.what == "net.connect")
        .expect("a net.connect denial");
    assert_eq!(denial.target, addr);
    assert!(denial.rule.contains("--allow-net"), "{}", denial.rule);
}

#[test]
fn an_allowed_address_connects() {
    let (_l, addr) = listener();
    let mut b = captured();
    b.allow_net(&addr).expect("pattern");
    let o = run("net_p2.wasm", &[&addr], &mut b);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("connected"));
    assert!(
        o.events
            .iter()
            .any(|e| e.what == "net.connect" && e.decision == Decision::Allowed)
    );
}

#[test]
fn another_port_on_an_allowed_host_is_refused() {
    let (_l, addr) = listener();
    let (_l2, other) = listener();
    let mut b = captured();
    b.allow_net(&addr).expect("pattern");
    let o = run("net_p2.wasm", &[&other], &mut b);
    assert_exit(&o, 1);
    assert!(
        o.denials()
            .any(|e| e.what == "net.connect" && e.target == other)
    );
}

#[test]
fn dns_is_refused_unless_granted() {
    let mut b = captured();
    b.allow_net("*:80").expect("pattern");
    let o = run("net_p2.wasm", &["localhost:80"], &mut b);
    assert_exit(&o, 1);
    assert!(!stdout(&o).contains("connected"));
}
