//! Outgoing `wasi:http`: no requests unless an `allowed_http_hosts` entry matches; allowed
//! ones bounded by the per-request timeout and the response size cap.
//!
//! The guest is `examples/components/bin/http_get.wasm` (`http_get URL`: prints the status
//! and body; exits 1 with `GET URL failed: <error-code>` on stderr). The server is a plain
//! TCP responder on 127.0.0.1 started by each test.

use super::*;
use nanoproc::Decision;
use nanoproc::policy::WasiInterface;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// What the test server does once it has read a request head.
#[derive(Clone, Copy)]
enum Reply {
    /// `200` with body `hello` and a `content-length`.
    Hello,
    /// `200` with this many bytes and a `content-length`.
    Sized(usize),
    /// `200` with this many bytes, no `content-length` (ends by closing).
    Unsized(usize),
    /// Never answers (holds the connection for a minute).
    Stall,
    /// Sends the head and a few body bytes of a longer body, then stalls.
    StallInBody,
}

struct Server {
    port: u16,
    hits: Arc<AtomicUsize>,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn serve(reply: Reply) -> Server {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = l.local_addr().expect("addr").port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut conn) = conn else { continue };
            let counter = counter.clone();
            std::thread::spawn(move || {
                if read_head(&mut conn) {
                    counter.fetch_add(1, Ordering::SeqCst);
                    respond(&mut conn, reply);
                }
            });
        }
    });
    Server { port, hits }
}

fn read_head(conn: &mut TcpStream) -> bool {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return false,
        }
    }
    true
}

fn respond(conn: &mut TcpStream, reply: Reply) {
    let _ = match reply {
        Reply::Hello => conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello"),
        Reply::Sized(n) => conn
            .write_all(format!("HTTP/1.1 200 OK\r\ncontent-length: {n}\r\n\r\n").as_bytes())
            .and_then(|()| conn.write_all(&vec![b'x'; n])),
        Reply::Unsized(n) => conn
            .write_all(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n")
            .and_then(|()| conn.write_all(&vec![b'x'; n])),
        Reply::Stall => {
            std::thread::sleep(Duration::from_secs(60));
            Ok(())
        }
        Reply::StallInBody => conn
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nabc")
            .map(|()| std::thread::sleep(Duration::from_secs(60))),
    };
}

fn http_get() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/components/bin/http_get.wasm")
}

fn get(url: &str, b: &mut PolicyBuilder) -> Outcome {
    b.args([url]);
    let loaded = loader::load_file(engine(), &http_get()).expect("http_get loads");
    Prepared::new(engine(), &loaded, b.build().expect("policy"))
        .expect("http_get links")
        .run(vec![])
        .expect("sandbox runs")
}

#[track_caller]
fn assert_denied(o: &Outcome, server: &Server, origin: &str) {
    assert_exit(o, 1);
    assert!(stderr(o).contains("HttpRequestDenied"), "{}", stderr(o));
    assert_eq!(server.hits(), 0, "the server must not have seen a request");
    let denial = o
        .denials()
        .find(|e| e.what == "http.request")
        .expect("an http.request denial");
    assert!(denial.target.starts_with(origin), "{denial:?}");
    assert!(denial.rule.contains("--allow-http"), "{}", denial.rule);
    assert!(
        denial.rule.contains("allowed_http_hosts"),
        "{}",
        denial.rule
    );
}

#[test]
fn requests_are_denied_by_default() {
    let s = serve(Reply::Hello);
    let o = get(&s.url("/secret?token=1"), &mut captured());
    assert_denied(&o, &s, &s.url("/secret"));
    let denial = o
        .denials()
        .find(|e| e.what == "http.request")
        .expect("denial");
    assert!(
        !denial.target.contains("token"),
        "queries stay out of the audit trail"
    );
}

#[test]
fn an_allowed_origin_gets_its_response() {
    let s = serve(Reply::Hello);
    let mut b = captured();
    b.allow_http(&s.url("")).expect("origin");
    let o = get(&s.url("/hi"), &mut b);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "200\nhello");
    assert_eq!(s.hits(), 1);
    let allowed = o
        .events
        .iter()
        .find(|e| e.what == "http.request")
        .expect("an http.request event");
    assert_eq!(allowed.decision, Decision::Allowed);
    assert_eq!(allowed.target, s.url("/hi"));
}

#[test]
fn another_port_host_or_scheme_is_denied() {
    let s = serve(Reply::Hello);
    let other = serve(Reply::Hello);
    let mut b = captured();
    b.allow_http(&other.url("")).expect("origin");
    let o = get(&s.url("/"), &mut b);
    assert_denied(&o, &s, &s.url(""));

    let mut b = captured();
    b.allow_http(&format!("http://localhost:{}", s.port))
        .expect("origin");
    let o = get(&s.url("/"), &mut b);
    assert_denied(&o, &s, &s.url(""));

    let mut b = captured();
    b.allow_http(&format!("https://127.0.0.1:{}", s.port))
        .expect("origin");
    let o = get(&s.url("/"), &mut b);
    assert_denied(&o, &s, &s.url(""));
}

#[test]
fn a_socket_grant_does_not_allow_http() {
    let s = serve(Reply::Hello);
    let mut b = captured();
    b.allow_net(&format!("127.0.0.1:{}", s.port))
        .expect("pattern");
    let o = get(&s.url("/"), &mut b);
    assert_denied(&o, &s, &s.url(""));
}

#[track_caller]
fn assert_limit(o: &Outcome, flag: &str) {
    assert_exit(o, 1);
    let hit = o
        .denials()
        .find(|e| e.what == "limit.http")
        .unwrap_or_else(|| panic!("a limit.http event; events: {:?}", o.events));
    assert!(hit.rule.contains(flag), "{}", hit.rule);
}

#[test]
fn a_declared_response_over_the_cap_fails() {
    let s = serve(Reply::Sized(64 << 10));
    let mut b = captured();
    b.allow_http(&s.url("")).expect("origin");
    b.max_http_response_bytes(1024);
    let o = get(&s.url("/big"), &mut b);
    assert_limit(&o, "--max-http-response");
    assert!(
        stderr(&o).contains("HttpResponseBodySize"),
        "{}",
        stderr(&o)
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn a_streamed_response_over_the_cap_is_cut_off() {
    let s = serve(Reply::Unsized(64 << 10));
    let mut b = captured();
    b.allow_http(&s.url("")).expect("origin");
    b.max_http_response_bytes(1024);
    let o = get(&s.url("/big"), &mut b);
    assert_limit(&o, "--max-http-response");
    assert!(
        stderr(&o).contains("response body"),
        "the guest sees the body fail: {}",
        stderr(&o)
    );
    // Under the cap, the same server's response arrives whole.
    let mut b = captured();
    b.allow_http(&s.url("")).expect("origin");
    b.max_http_response_bytes(1 << 20);
    let o = get(&s.url("/big"), &mut b);
    assert_exit(&o, 0);
    assert_eq!(o.stdout.len(), "200\n".len() + (64 << 10));
}

#[test]
fn a_server_that_never_answers_hits_the_timeout() {
    let s = serve(Reply::Stall);
    let mut b = captured();
    b.allow_http(&s.url("")).expect("origin");
    b.http_timeout(Duration::from_millis(300));
    let o = get(&s.url("/slow"), &mut b);
    assert_limit(&o, "--http-timeout");
    assert!(stderr(&o).contains("Timeout"), "{}", stderr(&o));
}

#[test]
fn a_body_that_stalls_hits_the_timeout() {
    let s = serve(Reply::StallInBody);
    let mut b = captured();
    b.allow_http(&s.url("")).expect("origin");
    b.http_timeout(Duration::from_millis(300));
    let o = get(&s.url("/slow"), &mut b);
    assert_limit(&o, "--http-timeout");
    assert!(
        !stdout(&o).contains("abc"),
        "the partial body is not a result"
    );
}

#[test]
fn http_switched_off_is_refused_at_load() {
    let mut b = captured();
    b.wasi_interface(WasiInterface::Http, false);
    let loaded = loader::load_file(engine(), &http_get()).expect("loads");
    let err = Prepared::new(engine(), &loaded, b.build().expect("policy"))
        .err()
        .expect("refused");
    assert!(matches!(err, nanoproc::Error::Denied { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("wasi:http/"), "{msg}");
    assert!(msg.contains("--allow-wasi http"), "{msg}");
    assert!(msg.contains("wasi.http = true"), "{msg}");
}
