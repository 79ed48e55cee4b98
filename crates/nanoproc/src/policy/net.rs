//! Network allow-list patterns: `HOST:PORT`, where HOST is `*`, an IP address, a CIDR block
//! (`10.0.0.0/8`, `[fd00::/8]`) or a host name, and PORT is a number, a range (`8000-8999`) or `*`.

use std::fmt;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

/// One `allowed_outbound_hosts` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    text: String,
    host: HostMatch,
    ports: (u16, u16),
    protocol: Option<Protocol>,
}

/// A transport protocol a pattern may be restricted to (`tcp://…`, `udp://…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// TCP connections.
    Tcp,
    /// UDP datagrams.
    Udp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostMatch {
    Any,
    Net { addr: IpAddr, prefix: u8 },
    Name(String),
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl HostPattern {
    /// Parses a pattern such as `127.0.0.1:8080`, `example.com:443`, `*:443` or `10.0.0.0/8:*`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let (protocol, t) = if let Some(rest) = t.strip_prefix("tcp://") {
            (Some(Protocol::Tcp), rest)
        } else if let Some(rest) = t.strip_prefix("udp://") {
            (Some(Protocol::Udp), rest)
        } else {
            (None, t)
        };
        let bad = |why: &str| {
            format!(
                "`{text}` is not a network pattern: {why} (expected HOST:PORT, e.g. `127.0.0.1:8080`, `example.com:443`, `*:443`, `10.0.0.0/8:*`)"
            )
        };
        let (host, port) = if let Some(rest) = t.strip_prefix('[') {
            let end = rest.find(']').ok_or_else(|| bad("missing `]`"))?;
            let port = rest[end + 1..]
                .strip_prefix(':')
                .ok_or_else(|| bad("missing `:PORT`"))?;
            (&rest[..end], port)
        } else {
            t.rsplit_once(':').ok_or_else(|| bad("missing `:PORT`"))?
        };
        let ports = if port == "*" {
            (0, u16::MAX)
        } else if let Some((lo, hi)) = port.split_once('-') {
            let lo: u16 = lo.parse().map_err(|_| bad("bad port range"))?;
            let hi: u16 = hi.parse().map_err(|_| bad("bad port range"))?;
            if lo > hi {
                return Err(bad("port range is backwards"));
            }
            (lo, hi)
        } else {
            let p: u16 = port
                .parse()
                .map_err(|_| bad("port must be 0-65535 or `*`"))?;
            (p, p)
        };
        let host = if host == "*" {
            HostMatch::Any
        } else if let Some((addr, prefix)) = host.split_once('/') {
            let addr: IpAddr = addr.parse().map_err(|_| bad("bad CIDR address"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix: u8 = prefix
                .parse()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| bad("bad CIDR prefix"))?;
            HostMatch::Net { addr, prefix }
        } else if let Ok(addr) = host.parse::<IpAddr>() {
            HostMatch::Net {
                addr,
                prefix: if addr.is_ipv4() { 32 } else { 128 },
            }
        } else if !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            HostMatch::Name(host.to_ascii_lowercase())
        } else {
            return Err(bad("bad host name"));
        };
        Ok(HostPattern {
            text: text.trim().to_string(),
            host,
            ports,
            protocol,
        })
    }

    /// Turns host names into the addresses they resolve to now, so checks on socket
    /// addresses can be made without DNS. Unresolvable names match nothing.
    pub(crate) fn resolve(&self) -> Vec<ResolvedPattern> {
        let protocol = self.protocol;
        match &self.host {
            HostMatch::Any => vec![ResolvedPattern {
                net: None,
                ports: self.ports,
                protocol,
            }],
            HostMatch::Net { addr, prefix } => {
                vec![ResolvedPattern {
                    net: Some((*addr, *prefix)),
                    ports: self.ports,
                    protocol,
                }]
            }
            HostMatch::Name(name) => (name.as_str(), 0u16)
                .to_socket_addrs()
                .map(|addrs| {
                    addrs
                        .map(|a| {
                            let ip = a.ip();
                            let prefix = if ip.is_ipv4() { 32 } else { 128 };
                            ResolvedPattern {
                                net: Some((ip, prefix)),
                                ports: self.ports,
                                protocol,
                            }
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// A pattern with its host resolved to addresses.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedPattern {
    net: Option<(IpAddr, u8)>,
    ports: (u16, u16),
    protocol: Option<Protocol>,
}

impl ResolvedPattern {
    /// Whether this pattern allows `protocol` traffic with `addr`.
    pub(crate) fn allows(&self, protocol: Protocol, addr: &SocketAddr) -> bool {
        self.protocol.is_none_or(|p| p == protocol) && self.matches(addr)
    }

    pub(crate) fn matches(&self, addr: &SocketAddr) -> bool {
        let port = addr.port();
        if port < self.ports.0 || port > self.ports.1 {
            return false;
        }
        match self.net {
            None => true,
            Some((net, prefix)) => ip_in_net(canonical(addr.ip()), canonical(net), prefix),
        }
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

fn ip_in_net(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(pattern: &str, addr: &str) -> bool {
        let addr: SocketAddr = addr.parse().expect("test address");
        HostPattern::parse(pattern)
            .expect("pattern")
            .resolve()
            .iter()
            .any(|r| r.matches(&addr))
    }

    #[test]
    fn exact_and_wildcards() {
        assert!(allows("127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(!allows("127.0.0.1:8080", "127.0.0.1:8081"));
        assert!(!allows("127.0.0.1:8080", "127.0.0.2:8080"));
        assert!(allows("*:443", "93.184.216.34:443"));
        assert!(!allows("*:443", "93.184.216.34:80"));
        assert!(allows("10.0.0.0/8:*", "10.1.2.3:22"));
        assert!(!allows("10.0.0.0/8:*", "11.1.2.3:22"));
        assert!(allows("127.0.0.1:8000-8999", "127.0.0.1:8500"));
        assert!(allows("[::1]:80", "[::1]:80"));
        assert!(allows("127.0.0.1:80", "[::ffff:127.0.0.1]:80"));
        assert!(allows("localhost:80", "127.0.0.1:80") || allows("localhost:80", "[::1]:80"));
    }

    #[test]
    fn protocol_prefixes_restrict() {
        let addr: SocketAddr = "127.0.0.1:53".parse().expect("addr");
        let tcp = HostPattern::parse("tcp://127.0.0.1:53")
            .expect("pattern")
            .resolve();
        assert!(tcp.iter().any(|r| r.allows(Protocol::Tcp, &addr)));
        assert!(!tcp.iter().any(|r| r.allows(Protocol::Udp, &addr)));
        let any = HostPattern::parse("127.0.0.1:53")
            .expect("pattern")
            .resolve();
        assert!(any.iter().any(|r| r.allows(Protocol::Udp, &addr)));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "host",
            "1.2.3.4:99999",
            "a b:1",
            "10.0.0.0/99:1",
            "[::1:80",
            "h:9-1",
        ] {
            assert!(HostPattern::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
