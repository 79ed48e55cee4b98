//! Outgoing HTTP allow-list entries: `SCHEME://HOST[:PORT]`, where SCHEME is `http` or
//! `https`, HOST is a name, `*.` followed by a name (any subdomain of it, not the name itself),
//! an IPv4 address, a bracketed IPv6 address or `*` (any host), and PORT is a number or `*`
//! (absent: the scheme's default, 80 or 443).
//!
//! Requests are matched on the host *as the guest wrote it* (lower-cased, one trailing dot
//! dropped): `127.0.0.1` does not match `localhost` or `2130706433`. The host resolves and
//! connects to exactly that name, so a request that matches goes where the entry says.

use std::fmt;
use std::time::Duration;

/// The per-request time limit when a policy sets none: 30 seconds.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The cap on one response body when a policy sets none: 16 MiB.
pub const DEFAULT_MAX_HTTP_RESPONSE: u64 = 16 << 20;

/// One `allowed_http_hosts` entry (see the module docs for the syntax).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOrigin {
    text: String,
    https: bool,
    host: HostRule,
    /// `None`: any port.
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostRule {
    Any,
    Exact(String),
    /// `*.suffix`: stored as `.suffix`.
    Subdomains(String),
}

impl fmt::Display for HttpOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl HttpOrigin {
    /// Parses an entry such as `https://api.example.com`, `http://127.0.0.1:8080`,
    /// `https://*.example.com` or `http://[::1]:*`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let bad = |why: &str| {
            format!(
                "`{text}` is not an HTTP origin: {why} (expected SCHEME://HOST[:PORT], e.g. `https://api.example.com`, `http://127.0.0.1:8080`, `https://*.example.com`)"
            )
        };
        let (https, rest) = if let Some(r) = t.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = t.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(bad("the scheme must be `http://` or `https://`"));
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') || rest.contains('?') || rest.contains('#') {
            return Err(bad("an origin has no path, query or fragment"));
        }
        if rest.contains('@') {
            return Err(bad("an origin has no user name or password"));
        }
        let (host, port) = split_host_port(rest).ok_or_else(|| bad("bad `[IPv6]` host"))?;
        let port = match port {
            None => Some(if https { 443 } else { 80 }),
            Some("*") => None,
            Some(p) => Some(
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| bad("the port must be 1-65535 or `*`"))?,
            ),
        };
        let wildcard = host.starts_with('*') && host != "*";
        let host = normalise_host(host);
        let valid_name = |h: &str| {
            !h.is_empty()
                && h.split('.').all(|label| {
                    !label.is_empty()
                        && label
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                })
        };
        let rule = if host == "*" && !wildcard {
            HostRule::Any
        } else if wildcard {
            let suffix = host
                .strip_prefix("*.")
                .ok_or_else(|| bad("`*` must be the whole host or come before `.NAME`"))?;
            if !valid_name(suffix) {
                return Err(bad("bad host name after `*.`"));
            }
            HostRule::Subdomains(format!(".{suffix}"))
        } else if host.parse::<std::net::IpAddr>().is_ok() || valid_name(&host) {
            HostRule::Exact(host)
        } else {
            return Err(bad(
                "bad host name (letters, digits, `-`, `.`; `*` or `*.NAME` for wildcards)",
            ));
        };
        Ok(HttpOrigin {
            text: t.to_string(),
            https,
            host: rule,
            port,
        })
    }

    /// Whether a request to `host`:`port` over `https` (or plain http) matches this entry.
    /// `host` is the request's host as written (an IPv6 address with or without brackets).
    pub(crate) fn allows(&self, https: bool, host: &str, port: u16) -> bool {
        if self.https != https || self.port.is_some_and(|p| p != port) {
            return false;
        }
        let host = normalise_host(host);
        match &self.host {
            HostRule::Any => true,
            HostRule::Exact(h) => *h == host,
            HostRule::Subdomains(suffix) => host.len() > suffix.len() && host.ends_with(suffix),
        }
    }
}

/// Splits `host[:port]` / `[v6][:port]`. `None` on an unclosed bracket or junk after it.
fn split_host_port(s: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = s.strip_prefix('[') {
        let end = rest.find(']')?;
        let after = &rest[end + 1..];
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        return Some((&rest[..end], port));
    }
    Some(match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    })
}

/// Lower case, no brackets around IPv6 addresses, no trailing dot.
pub(crate) fn normalise_host(host: &str) -> String {
    let h = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let h = h.strip_suffix('.').unwrap_or(h);
    h.to_ascii_lowercase()
}

/// Outgoing HTTP (`wasi:http/outgoing-handler`) grants and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpPolicy {
    /// Origins the guest may send requests to. Empty (the default): none.
    pub allowed_hosts: Vec<HttpOrigin>,
    /// Time limit of one request, from sending it to the end of the response body: connect,
    /// first byte, the gap between two body chunks, and the whole exchange are each bounded
    /// by it. Default [`DEFAULT_HTTP_TIMEOUT`].
    pub timeout: Duration,
    /// Cap on one response body, in bytes. Default [`DEFAULT_MAX_HTTP_RESPONSE`].
    pub max_response_bytes: u64,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        HttpPolicy {
            allowed_hosts: Vec::new(),
            timeout: DEFAULT_HTTP_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_HTTP_RESPONSE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(pattern: &str, https: bool, host: &str, port: u16) -> bool {
        HttpOrigin::parse(pattern)
            .expect("pattern")
            .allows(https, host, port)
    }

    #[test]
    fn exact_origins() {
        assert!(allows("http://127.0.0.1:8080", false, "127.0.0.1", 8080));
        assert!(!allows("http://127.0.0.1:8080", false, "127.0.0.1", 8081));
        assert!(!allows("http://127.0.0.1:8080", true, "127.0.0.1", 8080));
        assert!(!allows("http://127.0.0.1:8080", false, "localhost", 8080));
        assert!(allows(
            "https://API.example.com",
            true,
            "api.example.com",
            443
        ));
        assert!(allows(
            "https://api.example.com/",
            true,
            "api.example.com.",
            443
        ));
        assert!(!allows(
            "https://api.example.com",
            true,
            "api.example.com",
            8443
        ));
        assert!(allows("http://example.com", false, "example.com", 80));
        assert!(allows("http://[::1]:80", false, "[::1]", 80));
        assert!(allows("http://[::1]:*", false, "::1", 1234));
    }

    #[test]
    fn wildcards() {
        assert!(allows("https://*.example.com", true, "a.example.com", 443));
        assert!(allows(
            "https://*.example.com",
            true,
            "a.b.example.com",
            443
        ));
        assert!(!allows("https://*.example.com", true, "example.com", 443));
        assert!(!allows(
            "https://*.example.com",
            true,
            "evilexample.com",
            443
        ));
        assert!(!allows(
            "https://*.example.com",
            true,
            "example.com.evil.net",
            443
        ));
        assert!(allows("http://*:*", false, "anything", 9));
        assert!(!allows("http://*:*", true, "anything", 9));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "example.com",
            "ftp://example.com",
            "https://example.com/path",
            "https://user@example.com",
            "https://example.com:0",
            "https://example.com:99999",
            "https://exa mple.com",
            "https://[::1",
            "https://*.",
            "https://a..b",
        ] {
            assert!(HttpOrigin::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
