//! `http_get`: a WASI p2 command that GETs the URL given as its first argument through
//! `wasi:http/outgoing-handler` and prints the response status and body to stdout. For the
//! host's outgoing-HTTP policy tests: the host decides whether the request may leave.
//!
//! ```sh
//! http_get.wasm http://127.0.0.1:8080/path
//! # 200
//! # <body>
//! ```
//!
//! Exits 1 with one line on stderr when the request fails (`GET URL failed: <error-code>`, e.g.
//! `HttpRequestDenied` when the host refuses it) and 2 on a bad argument.

use std::io::{Read as _, Write as _};
use std::process::ExitCode;

use wasip2::http::outgoing_handler;
use wasip2::http::types::{ErrorCode, Fields, Method, OutgoingBody, OutgoingRequest, Scheme};

fn main() -> ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: http_get URL (http:// or https://)");
        return ExitCode::from(2);
    };
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("http://") {
        (Scheme::Http, rest)
    } else if let Some(rest) = url.strip_prefix("https://") {
        (Scheme::Https, rest)
    } else {
        eprintln!("http_get: `{url}` is not an http:// or https:// URL");
        return ExitCode::from(2);
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    match get(scheme, authority, path) {
        Ok((status, body)) => {
            let mut stdout = std::io::stdout();
            // Nothing useful to do when stdout is gone.
            let _ = writeln!(stdout, "{status}");
            let _ = stdout.write_all(&body);
            let _ = stdout.flush();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("GET {url} failed: {e}");
            ExitCode::from(1)
        }
    }
}

/// Sends `GET scheme://authority/path` and reads the whole response.
fn get(scheme: Scheme, authority: &str, path: &str) -> Result<(u16, Vec<u8>), String> {
    let request = OutgoingRequest::new(Fields::new());
    request
        .set_method(&Method::Get)
        .map_err(|()| "the host refused the method".to_string())?;
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| "the host refused the scheme".to_string())?;
    request
        .set_authority(Some(authority))
        .map_err(|()| format!("invalid authority `{authority}`"))?;
    request
        .set_path_with_query(Some(path))
        .map_err(|()| format!("invalid path `{path}`"))?;
    let body = request
        .body()
        .map_err(|()| "the request body was already taken".to_string())?;
    OutgoingBody::finish(body, None).map_err(|e| error(&e))?;

    let future = outgoing_handler::handle(request, None).map_err(|e| error(&e))?;
    future.subscribe().block();
    let response = match future.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(e))) => return Err(error(&e)),
        Some(Err(())) => return Err("the response was already taken".to_string()),
        None => return Err("no response after waiting for it".to_string()),
    };
    let status = response.status();
    let incoming = response
        .consume()
        .map_err(|()| "the response body was already taken".to_string())?;
    let mut body = Vec::new();
    {
        let mut stream = incoming
            .stream()
            .map_err(|()| "the response body stream was already taken".to_string())?;
        stream
            .read_to_end(&mut body)
            .map_err(|e| format!("reading the response body: {e}"))?;
    }
    Ok((status, body))
}

fn error(e: &ErrorCode) -> String {
    format!("{e:?}")
}
