//! Network: TCP and UDP to addresses the policy does not allow, DNS without the grant, and
//! outgoing HTTP (`examples/components/bin/http_get.wasm`) to origins the policy does not
//! allow, past its response cap and its timeout, or with `wasi:http` switched off.
//!
//! The UDP and DNS attacks use `guests/sockets_p2.wat`, a component calling `wasi:sockets`
//! directly. Each of those cases also runs the same attack *with* the grant and checks it
//! then gets through, so the denial is known to come from the policy.

use crate::env::captured;
use crate::expect::ErrorKind::Denied;
use crate::{Case, Category::Network, Ctx, Expect, Got};
use nanoproc::Decision;
use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// The wasi:sockets attacker, with `OP_NUMBER` and `PORT_NUMBER` to fill in.
pub const SOCKETS: &str = include_str!("../../guests/sockets_p2.wat");
/// A command importing `wasi:http/outgoing-handler` with a made-up type.
pub const HTTP_IMPORT: &str = include_str!("../../guests/http_import.wat");

/// The network cases.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "net.tcp_connect_denied",
            Network,
            "`net_p2.wasm`: TCP connect to a listener on 127.0.0.1, no network grant",
            "every address is checked against `allowed_outbound_hosts` (empty); the listener sees nothing",
            Expect::Exit(1),
            tcp_denied,
        ),
        Case::new(
            "net.tcp_other_port",
            Network,
            "TCP connect to another port of a host the policy allows one port of",
            "grants are per host and port",
            Expect::Exit(1),
            tcp_other_port,
        ),
        Case::new(
            "net.tcp_other_host",
            Network,
            "TCP connect to 127.0.0.1:P when only 10.255.255.1:P is allowed",
            "grants are per host and port",
            Expect::Exit(1),
            tcp_other_host,
        ),
        Case::new(
            "net.udp_send_denied",
            Network,
            "UDP: bind 0.0.0.0:0, then `send` a datagram to a socket on 127.0.0.1, no grant",
            "every datagram's destination is checked; nothing is sent (and with the grant it is)",
            Expect::SocketError {
                call: "send",
                code: "access-denied",
            },
            udp_send,
        ),
        Case::new(
            "net.udp_connect_denied",
            Network,
            "UDP: `stream` connected to 127.0.0.1, no grant",
            "connecting a UDP socket is checked like sending",
            Expect::SocketError {
                call: "stream",
                code: "access-denied",
            },
            udp_connect,
        ),
        Case::new(
            "net.udp_other_port",
            Network,
            "UDP `send` to another port of the one allowed `udp://127.0.0.1:P`",
            "grants are per host and port for UDP too",
            Expect::SocketError {
                call: "send",
                code: "access-denied",
            },
            udp_other_port,
        ),
        Case::new(
            "net.dns_denied",
            Network,
            "`resolve-addresses(\"localhost\")` without `allow_dns`",
            "name lookups need their own grant (and with it, this one resolves)",
            Expect::SocketError {
                call: "resolve",
                code: "permanent-resolver-failure",
            },
            dns_denied,
        ),
        Case::new(
            "net.dns_denied_std",
            Network,
            "`net_p2.wasm localhost:P` with `*:P` allowed but no DNS grant (Rust std's resolver)",
            "an address grant does not imply name lookups; no connection is made",
            Expect::Exit(1),
            dns_std,
        ),
        Case::new(
            "net.http_denied",
            Network,
            "`http_get.wasm` GETs a server on 127.0.0.1, no HTTP grant",
            "every request is checked against `allowed_http_hosts` (empty): `HttpRequestDenied`, audited, the server sees nothing (and with the grant it answers)",
            Expect::Exit(1),
            http_denied,
        ),
        Case::new(
            "net.http_other_origin",
            Network,
            "GET another port of the host whose one origin `http://127.0.0.1:P` is allowed",
            "origins are per scheme, host and port",
            Expect::Exit(1),
            http_other_origin,
        ),
        Case::new(
            "net.http_via_socket_grant",
            Network,
            "GET a server whose address `--allow-net` allows, without `--allow-http`",
            "the host sends HTTP requests; a socket grant does not allow them",
            Expect::Exit(1),
            http_via_socket_grant,
        ),
        Case::new(
            "net.http_response_flood",
            Network,
            "an allowed server answers with 64 KiB (no content-length) under a 1 KiB response cap",
            "the body is cut off at the cap with `HttpResponseBodySize`, audited as `limit.http`",
            Expect::Exit(1),
            http_response_flood,
        ),
        Case::new(
            "net.http_stall",
            Network,
            "an allowed server never answers; 300 ms HTTP timeout",
            "every request ends by its timeout, audited as `limit.http`; the guest is not stuck",
            Expect::Exit(1),
            http_stall,
        ),
        Case::new(
            "net.http_switched_off",
            Network,
            "`http_get.wasm` under a policy with `[wasi] http = false`",
            "an import of a switched-off interface is refused at load, naming it and the switch",
            Expect::Error(Denied, "--allow-wasi http"),
            http_switched_off,
        ),
        Case::new(
            "net.http_mistyped_import",
            Network,
            "a component importing `wasi:http/outgoing-handler` with a made-up function type",
            "imports are type-checked when linked: refused before it runs, naming the interface",
            Expect::Error(Denied, "wasi:http/outgoing-handler"),
            http_import,
        ),
    ]
}

fn listener() -> Result<(TcpListener, u16), String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot listen: {e}"))?;
    l.set_nonblocking(true).map_err(|e| e.to_string())?;
    let port = l.local_addr().map_err(|e| e.to_string())?.port();
    Ok((l, port))
}

/// `Err` if the listener has a connection waiting.
fn untouched(l: &TcpListener) -> Result<(), String> {
    match l.accept() {
        Ok((_, from)) => Err(format!("the listener received a connection from {from}")),
        Err(_) => Ok(()),
    }
}

/// `Err` unless the run audited a denial of `what` for `target`.
fn denial_audited(got: &Got, what: &str, target: &str) -> Result<(), String> {
    if got
        .events
        .iter()
        .any(|e| e.what == what && e.target == target && e.decision == Decision::Denied)
    {
        Ok(())
    } else {
        Err(format!("no `{what}` denial of {target} in the audit trail"))
    }
}

fn tcp_denied(cx: &Ctx) -> Result<Got, String> {
    let (l, port) = listener()?;
    let addr = format!("127.0.0.1:{port}");
    let got = cx.env.run_guest("net_p2.wasm", &[&addr], &mut captured());
    untouched(&l)?;
    denial_audited(&got, "net.connect", &addr)?;
    Ok(got)
}

fn tcp_other_port(cx: &Ctx) -> Result<Got, String> {
    let (_allowed, allowed_port) = listener()?;
    let (l, port) = listener()?;
    let mut b = captured();
    b.allow_net(&format!("127.0.0.1:{allowed_port}"))
        .map_err(|e| e.to_string())?;
    let addr = format!("127.0.0.1:{port}");
    let got = cx.env.run_guest("net_p2.wasm", &[&addr], &mut b);
    untouched(&l)?;
    denial_audited(&got, "net.connect", &addr)?;
    Ok(got)
}

fn tcp_other_host(cx: &Ctx) -> Result<Got, String> {
    let (l, port) = listener()?;
    let mut b = captured();
    b.allow_net(&format!("10.255.255.1:{port}"))
        .map_err(|e| e.to_string())?;
    let addr = format!("127.0.0.1:{port}");
    let got = cx.env.run_guest("net_p2.wasm", &[&addr], &mut b);
    untouched(&l)?;
    denial_audited(&got, "net.connect", &addr)?;
    Ok(got)
}

fn sockets(op: u32, port: u16) -> String {
    SOCKETS
        .replace("OP_NUMBER", &op.to_string())
        .replace("PORT_NUMBER", &port.to_string())
}

fn udp_socket() -> Result<(UdpSocket, u16), String> {
    let s = UdpSocket::bind("127.0.0.1:0").map_err(|e| format!("cannot bind: {e}"))?;
    s.set_nonblocking(true).map_err(|e| e.to_string())?;
    let port = s.local_addr().map_err(|e| e.to_string())?.port();
    Ok((s, port))
}

/// The datagram waiting on `s`, if any (after giving it a moment to arrive).
fn received(s: &UdpSocket) -> Option<Vec<u8>> {
    let mut buf = [0u8; 64];
    for _ in 0..50 {
        if let Ok((n, _)) = s.recv_from(&mut buf) {
            return Some(buf[..n].to_vec());
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    None
}

fn udp_send(cx: &Ctx) -> Result<Got, String> {
    let (s, port) = udp_socket()?;
    let wat = sockets(1, port);
    let got = cx.env.run_bytes(wat.as_bytes(), &[], &mut captured());
    if let Some(d) = received(&s) {
        return Err(format!("a datagram arrived: {d:?}"));
    }
    denial_audited(&got, "net.send", &format!("127.0.0.1:{port}"))?;
    // The control: with the grant the same guest gets through.
    let mut b = captured();
    b.allow_net(&format!("udp://127.0.0.1:{port}"))
        .map_err(|e| e.to_string())?;
    let allowed = cx.env.run_bytes(wat.as_bytes(), &[], &mut b);
    if received(&s).as_deref() != Some(b"leaked") || allowed.stdout != b"done\n" {
        return Err(format!(
            "with the grant the datagram should arrive: {}",
            allowed.summary()
        ));
    }
    Ok(got)
}

fn udp_connect(cx: &Ctx) -> Result<Got, String> {
    let (_s, port) = udp_socket()?;
    let got = cx
        .env
        .run_bytes(sockets(2, port).as_bytes(), &[], &mut captured());
    let mut b = captured();
    b.allow_net(&format!("udp://127.0.0.1:{port}"))
        .map_err(|e| e.to_string())?;
    let allowed = cx.env.run_bytes(sockets(2, port).as_bytes(), &[], &mut b);
    if allowed.stdout != b"done\n" {
        return Err(format!(
            "with the grant the connect should work: {}",
            allowed.summary()
        ));
    }
    Ok(got)
}

fn udp_other_port(cx: &Ctx) -> Result<Got, String> {
    let (_allowed, allowed_port) = udp_socket()?;
    let (s, port) = udp_socket()?;
    let mut b = captured();
    b.allow_net(&format!("udp://127.0.0.1:{allowed_port}"))
        .map_err(|e| e.to_string())?;
    let got = cx.env.run_bytes(sockets(1, port).as_bytes(), &[], &mut b);
    if let Some(d) = received(&s) {
        return Err(format!("a datagram arrived: {d:?}"));
    }
    Ok(got)
}

fn dns_denied(cx: &Ctx) -> Result<Got, String> {
    let wat = sockets(3, 0);
    let got = cx.env.run_bytes(wat.as_bytes(), &[], &mut captured());
    let mut b = captured();
    b.allow_dns(true);
    let allowed = cx.env.run_bytes(wat.as_bytes(), &[], &mut b);
    if allowed.stdout != b"done\n" {
        return Err(format!(
            "with allow_dns the lookup should work: {}",
            allowed.summary()
        ));
    }
    Ok(got)
}

fn dns_std(cx: &Ctx) -> Result<Got, String> {
    let (l, port) = listener()?;
    let mut b = captured();
    b.allow_net(&format!("*:{port}"))
        .map_err(|e| e.to_string())?;
    let got = cx
        .env
        .run_guest("net_p2.wasm", &[&format!("localhost:{port}")], &mut b);
    untouched(&l)?;
    Ok(got)
}

/// A server on 127.0.0.1 that answers every request with `reply` (`None`: never answers,
/// holding the connection open), one connection at a time, counting the requests it read.
/// Dropping it stops its thread and closes its sockets, so the health check sees no leak.
struct HttpServer {
    port: u16,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn http_server(reply: Option<Vec<u8>>) -> Result<HttpServer, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot listen: {e}"))?;
    l.set_nonblocking(true).map_err(|e| e.to_string())?;
    let port = l.local_addr().map_err(|e| e.to_string())?.port();
    let hits = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (counter, stopped) = (hits.clone(), stop.clone());
    let thread = std::thread::spawn(move || {
        let tick = Duration::from_millis(5);
        while !stopped.load(Ordering::SeqCst) {
            let Ok((mut conn, _)) = l.accept() else {
                std::thread::sleep(tick);
                continue;
            };
            let _ = conn.set_nonblocking(false);
            let _ = conn.set_read_timeout(Some(tick));
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && !stopped.load(Ordering::SeqCst) {
                match conn.read(&mut byte) {
                    Ok(1) => head.push(byte[0]),
                    Ok(_) => break,
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) => {}
                    Err(_) => break,
                }
            }
            if !head.ends_with(b"\r\n\r\n") {
                continue;
            }
            counter.fetch_add(1, Ordering::SeqCst);
            match &reply {
                Some(r) => {
                    let _ = conn.write_all(r);
                }
                None => {
                    while !stopped.load(Ordering::SeqCst) {
                        std::thread::sleep(tick);
                    }
                }
            }
        }
    });
    Ok(HttpServer {
        port,
        hits,
        stop,
        thread: Some(thread),
    })
}

const HELLO: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";

/// `Err` unless the server saw no request and the run audited an `http.request` denial.
fn http_refused(got: &Got, hits: &AtomicUsize, url: &str) -> Result<(), String> {
    if hits.load(Ordering::SeqCst) != 0 {
        return Err("the server received a request".into());
    }
    if !String::from_utf8_lossy(&got.stderr).contains("HttpRequestDenied") {
        return Err(format!(
            "the guest did not see HttpRequestDenied: {}",
            got.summary()
        ));
    }
    if !got.events.iter().any(|e| {
        e.what == "http.request" && e.decision == Decision::Denied && e.target.starts_with(url)
    }) {
        return Err(format!(
            "no `http.request` denial of {url} in the audit trail"
        ));
    }
    Ok(())
}

fn limit_audited(got: &Got) -> Result<(), String> {
    if got
        .events
        .iter()
        .any(|e| e.what == "limit.http" && e.decision == Decision::Denied)
    {
        Ok(())
    } else {
        Err("no `limit.http` event in the audit trail".into())
    }
}

fn http_denied(cx: &Ctx) -> Result<Got, String> {
    let server = http_server(Some(HELLO.to_vec()))?;
    let port = server.port;
    let url = format!("http://127.0.0.1:{port}/");
    let got = cx
        .env
        .run_component("http_get.wasm", &[&url], &mut captured());
    http_refused(&got, &server.hits, &url)?;
    // The control: with the grant the same request is answered.
    let mut b = captured();
    b.allow_http(&format!("http://127.0.0.1:{port}"))
        .map_err(|e| e.to_string())?;
    let allowed = cx.env.run_component("http_get.wasm", &[&url], &mut b);
    if allowed.stdout != b"200\nhello" {
        return Err(format!(
            "with the grant the request should be answered: {}",
            allowed.summary()
        ));
    }
    Ok(got)
}

fn http_other_origin(cx: &Ctx) -> Result<Got, String> {
    let allowed = http_server(Some(HELLO.to_vec()))?;
    let server = http_server(Some(HELLO.to_vec()))?;
    let port = server.port;
    let mut b = captured();
    b.allow_http(&format!("http://127.0.0.1:{}", allowed.port))
        .map_err(|e| e.to_string())?;
    let url = format!("http://127.0.0.1:{port}/");
    let got = cx.env.run_component("http_get.wasm", &[&url], &mut b);
    http_refused(&got, &server.hits, &url)?;
    Ok(got)
}

fn http_via_socket_grant(cx: &Ctx) -> Result<Got, String> {
    let server = http_server(Some(HELLO.to_vec()))?;
    let port = server.port;
    let mut b = captured();
    b.allow_net(&format!("127.0.0.1:{port}"))
        .map_err(|e| e.to_string())?;
    let url = format!("http://127.0.0.1:{port}/");
    let got = cx.env.run_component("http_get.wasm", &[&url], &mut b);
    http_refused(&got, &server.hits, &url)?;
    Ok(got)
}

fn http_response_flood(cx: &Ctx) -> Result<Got, String> {
    let mut reply = b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n".to_vec();
    reply.extend(std::iter::repeat_n(b'x', 64 << 10));
    let server = http_server(Some(reply))?;
    let port = server.port;
    let mut b = captured();
    b.allow_http(&format!("http://127.0.0.1:{port}"))
        .map_err(|e| e.to_string())?
        .max_http_response_bytes(1024);
    let url = format!("http://127.0.0.1:{port}/");
    let got = cx.env.run_component("http_get.wasm", &[&url], &mut b);
    limit_audited(&got)?;
    if !got.stdout.is_empty() {
        return Err(format!("the guest printed a response: {}", got.summary()));
    }
    Ok(got)
}

fn http_stall(cx: &Ctx) -> Result<Got, String> {
    let server = http_server(None)?;
    let port = server.port;
    let mut b = captured();
    b.allow_http(&format!("http://127.0.0.1:{port}"))
        .map_err(|e| e.to_string())?
        .http_timeout(Duration::from_millis(300));
    let url = format!("http://127.0.0.1:{port}/");
    let got = cx.env.run_component("http_get.wasm", &[&url], &mut b);
    limit_audited(&got)?;
    Ok(got)
}

fn http_switched_off(cx: &Ctx) -> Result<Got, String> {
    let mut b = captured();
    b.wasi_interface(nanoproc::policy::WasiInterface::Http, false);
    Ok(cx
        .env
        .run_component("http_get.wasm", &["http://127.0.0.1:9/"], &mut b))
}

fn http_import(cx: &Ctx) -> Result<Got, String> {
    Ok(cx
        .env
        .run_bytes(HTTP_IMPORT.as_bytes(), &[], &mut captured()))
}
