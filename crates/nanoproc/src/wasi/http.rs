//! Policy → outgoing `wasi:http`: the allow-list, the per-request time limit and the
//! response size cap, enforced in the one place every request passes through (the
//! `send_request` hook of [`WasiHttpHooks`]).
//!
//! * A request whose scheme, host and port match no `allowed_http_hosts` entry fails with
//!   `http-request-denied` before anything leaves the host, and is an `http.request` denial
//!   in the audit trail. Allowed requests are `http.request` allowed events.
//! * The host makes the connection (and resolves the name), so `--allow-net` plays no part;
//!   the guest needs no socket grant, and a socket grant does not allow HTTP.
//! * Each request is bounded by the policy's HTTP timeout: connecting, waiting for the
//!   response head, each gap between body chunks, and the whole exchange up to the end of
//!   the body. The guest may ask for shorter timeouts through `request-options`, never
//!   longer.
//! * A response body larger than the cap fails with `http-response-body-size`: at once when
//!   its `content-length` says so, otherwise when the byte past the cap arrives.
//! * At most `max_fds` requests may be in flight at once (each holds a host socket).
//!
//! Limit hits are `limit.http` audit events.

use crate::audit::{Audit, Decision};
use crate::policy::{HttpPolicy, Policy, normalise_host, units};
use bytes::Bytes;
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// Longest URL recorded in an audit event; longer ones are cut (the guest chooses them).
const MAX_AUDIT_URL: usize = 256;

/// The per-sandbox `wasi:http` hooks: the policy's HTTP rules and the audit trail.
pub(crate) struct HttpHooks {
    rules: Arc<HttpPolicy>,
    audit: Audit,
    in_flight: Arc<AtomicU32>,
    max_in_flight: u32,
}

impl HttpHooks {
    pub(crate) fn new(policy: &Policy, audit: &Audit) -> Self {
        HttpHooks {
            rules: Arc::new(policy.http.clone()),
            audit: audit.clone(),
            in_flight: Arc::new(AtomicU32::new(0)),
            max_in_flight: policy.limits.max_fds.max(1),
        }
    }

    /// `Ok(rule)` if the policy allows a request to `uri`, else `Err(why)`.
    fn check(&self, uri: &http::Uri) -> Result<String, String> {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            other => {
                return Err(format!(
                    "scheme `{}` is not http or https",
                    other.unwrap_or("")
                ));
            }
        };
        let Some(authority) = uri.authority() else {
            return Err("the request has no host".into());
        };
        if authority.as_str().contains('@') {
            return Err("user names and passwords in URLs are not allowed".into());
        }
        let host = authority.host();
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        let origin = format!(
            "{}://{}:{port}",
            if https { "https" } else { "http" },
            bracketed(&normalise_host(host))
        );
        self.rules
            .allowed_hosts
            .iter()
            .find(|o| o.allows(https, host, port))
            .map(|o| format!("allowed by --allow-http {o}"))
            .ok_or_else(|| {
                format!(
                    "{origin} matches no allowed_http_hosts entry; allow it with --allow-http {origin} (policy key `allowed_http_hosts`)"
                )
            })
    }
}

fn bracketed(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// The URL as an audit target: no query (it often carries secrets), bounded length.
fn audit_target(uri: &http::Uri) -> String {
    let mut s = format!(
        "{}://{}{}",
        uri.scheme_str().unwrap_or(""),
        uri.authority().map(|a| a.as_str()).unwrap_or(""),
        uri.path()
    );
    if s.len() > MAX_AUDIT_URL {
        let mut end = MAX_AUDIT_URL;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

/// The smaller of the policy's limit and what the guest asked for.
fn bounded(guest: Option<Duration>, policy: Duration) -> Option<Duration> {
    Some(guest.map_or(policy, |g| g.min(policy)))
}

type SendFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

impl WasiHttpHooks for HttpHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        drop(fut);
        let target = audit_target(request.uri());
        let rule = match self.check(request.uri()) {
            Ok(rule) => rule,
            Err(why) => {
                self.audit
                    .event("http.request", target, Decision::Denied, why);
                return Box::new(async { Err(HttpError::HttpRequestDenied) });
            }
        };
        let Some(slot) = InFlight::take(&self.in_flight, self.max_in_flight) else {
            self.audit.event(
                "limit.fds",
                target,
                Decision::Denied,
                format!(
                    "{} HTTP requests are already in flight (each holds a host socket); raise the cap with --max-fds or limits.max_fds",
                    self.max_in_flight
                ),
            );
            return Box::new(async { Err(HttpError::ConnectionLimitReached) });
        };
        self.audit.event(
            "http.request",
            target.clone(),
            Decision::Allowed,
            format!("{rule}; {}", request.method()),
        );
        let rules = self.rules.clone();
        let audit = self.audit.clone();
        Box::new(async move {
            let limit = rules.timeout;
            let deadline = Instant::now() + limit;
            let opts = RequestOptions {
                connect_timeout: bounded(options.and_then(|o| o.connect_timeout), limit),
                first_byte_timeout: bounded(options.and_then(|o| o.first_byte_timeout), limit),
                between_bytes_timeout: bounded(
                    options.and_then(|o| o.between_bytes_timeout),
                    limit,
                ),
            };
            let timed_out = |audit: &Audit, target: &str| {
                audit.event("limit.http", target, Decision::Denied, timeout_rule(limit));
            };
            let sent = tokio::time::timeout_at(
                deadline,
                wasmtime_wasi_http::default_send_request(request, Some(opts)),
            )
            .await;
            let (response, io) = match sent {
                Err(_) => {
                    timed_out(&audit, &target);
                    return Err(HttpError::HttpResponseTimeout);
                }
                Ok(Err(e)) => {
                    if matches!(
                        e,
                        HttpError::ConnectionTimeout | HttpError::ConnectionReadTimeout
                    ) {
                        timed_out(&audit, &target);
                    }
                    return Err(e);
                }
                Ok(Ok(sent)) => sent,
            };
            let max = rules.max_response_bytes;
            let declared = response
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if let Some(len) = declared.filter(|len| *len > max) {
                audit.event(
                    "limit.http",
                    target,
                    Decision::Denied,
                    size_rule(max, &format!("the response declares {len} bytes")),
                );
                return Err(HttpError::HttpResponseBodySize(Some(len)));
            }
            let response = response.map(|body| {
                CappedBody {
                    inner: body.map_err(HttpError::from).boxed_unsync(),
                    seen: 0,
                    max,
                    deadline: Box::pin(tokio::time::sleep_until(deadline)),
                    limit,
                    audit: audit.clone(),
                    target: target.clone(),
                    done: false,
                }
                .boxed_unsync()
            });
            let io = async move {
                let _slot = slot;
                match tokio::time::timeout_at(deadline, io).await {
                    Ok(r) => r,
                    Err(_) => Err(HttpError::HttpResponseTimeout),
                }
            };
            Ok((
                response,
                Box::new(io) as Box<dyn Future<Output = Result<(), HttpError>> + Send>,
            ))
        })
    }
}

fn timeout_rule(limit: Duration) -> String {
    format!(
        "the request took longer than {}; raise the limit with --http-timeout or limits.http_timeout",
        units::format_duration(limit)
    )
}

fn size_rule(max: u64, what: &str) -> String {
    format!(
        "{what}, over the {} cap on one response body; raise it with --max-http-response or limits.max_http_response",
        units::format_size(max)
    )
}

/// One in-flight request's slot; released when the connection ends.
struct InFlight(Arc<AtomicU32>);

impl InFlight {
    fn take(count: &Arc<AtomicU32>, max: u32) -> Option<Self> {
        count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| InFlight(count.clone()))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that fails once it passes `max` bytes or the request's deadline.
struct CappedBody {
    inner: WasiBody,
    seen: u64,
    max: u64,
    deadline: Pin<Box<Sleep>>,
    limit: Duration,
    audit: Audit,
    target: String,
    done: bool,
}

impl Body for CappedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        if self.done {
            return Poll::Ready(None);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.done = true;
            self.audit.event(
                "limit.http",
                self.target.clone(),
                Decision::Denied,
                timeout_rule(self.limit),
            );
            return Poll::Ready(Some(Err(HttpError::HttpResponseTimeout)));
        }
        let frame = match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(f) => f,
        };
        match frame {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    self.seen = self.seen.saturating_add(data.len() as u64);
                    if self.seen > self.max {
                        self.done = true;
                        let rule = size_rule(self.max, "the response body went past it");
                        self.audit
                            .event("limit.http", self.target.clone(), Decision::Denied, rule);
                        return Poll::Ready(Some(Err(HttpError::HttpResponseBodySize(Some(
                            self.max,
                        )))));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Some(Err(e)) => {
                self.done = true;
                if matches!(e, HttpError::ConnectionReadTimeout) {
                    self.audit.event(
                        "limit.http",
                        self.target.clone(),
                        Decision::Denied,
                        timeout_rule(self.limit),
                    );
                }
                Poll::Ready(Some(Err(e)))
            }
            None => {
                self.done = true;
                Poll::Ready(None)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }
}
