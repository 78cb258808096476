//! Where webhook deliveries may go. A partner chooses the URL, and the server
//! posts to it from inside the operator's network: without a guard, a webhook
//! could reach the cloud metadata service, the database or an admin port
//! (server-side request forgery). Deliveries go to public addresses only; in dev
//! mode loopback is allowed too, for local receivers.
//!
//! Two places enforce it: registration refuses an address literal or a name that
//! resolves only to such addresses, and the delivery client's resolver drops them
//! at connection time, so a name that later re-points inward (DNS rebinding) is
//! still refused.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether `ip` is an ordinary public address (not private, loopback, link-local,
/// shared, multicast, documentation or reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [a, b] = s[6].to_be_bytes();
                let [c, d] = s[7].to_be_bytes();
                return is_public_v4(Ipv4Addr::new(a, b, c, d));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || v6 == Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1))
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local() // 169.254/16, the cloud metadata service among them
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_unspecified()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

/// Whether a delivery may connect to `ip`.
pub fn allowed(ip: IpAddr, allow_loopback: bool) -> bool {
    is_public(ip) || (allow_loopback && ip.is_loopback())
}

/// Why a host is refused, for people.
pub const REFUSED: &str = "must not point at a private, loopback or link-local address";

/// The outcome of looking at a URL's host before registering it.
pub enum HostCheck {
    /// An address literal or a name whose addresses are allowed.
    Fine,
    /// An address literal or a name that resolves only to refused addresses.
    Refused,
    /// A name that does not resolve now; deliveries will try again later.
    Unresolved,
}

/// Looks at the host of `url` (already checked to be http(s)).
pub async fn check_host(url: &str, allow_loopback: bool) -> HostCheck {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return HostCheck::Refused;
    };
    let port = parsed.port_or_known_default().unwrap_or(443);
    let Some(host) = parsed.host_str() else {
        return HostCheck::Refused;
    };
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<IpAddr> = match literal.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => {
            let lookup = tokio::time::timeout(
                std::time::Duration::from_secs(3),
                tokio::net::lookup_host((host, port)),
            )
            .await;
            match lookup {
                Ok(Ok(found)) => found.map(|a| a.ip()).collect(),
                _ => return HostCheck::Unresolved,
            }
        }
    };
    if addrs.is_empty() {
        HostCheck::Unresolved
    } else if addrs.iter().all(|ip| !allowed(*ip, allow_loopback)) {
        HostCheck::Refused
    } else {
        HostCheck::Fine
    }
}

/// The delivery client's resolver: the system's answers without refused ones.
#[derive(Debug, Clone, Copy)]
pub struct PublicOnly {
    pub allow_loopback: bool,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        let fut: Pin<Box<dyn Future<Output = _> + Send>> = Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allowed(a.ip(), allow_loopback))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} {REFUSED}").into());
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        });
        fut
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a failed expectation is the test failing
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn only_public_addresses_are_public() {
        for refused in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(!is_public(ip(refused)), "{refused} is not public");
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip(public)), "{public} is public");
        }
        assert!(allowed(ip("127.0.0.1"), true) && allowed(ip("::1"), true));
        assert!(
            !allowed(ip("10.0.0.1"), true),
            "dev mode opens loopback only"
        );
    }

    #[tokio::test]
    async fn the_resolver_drops_loopback_unless_allowed() {
        let name = || "localhost".parse::<Name>().expect("name");
        let refused = PublicOnly {
            allow_loopback: false,
        }
        .resolve(name())
        .await;
        assert!(refused.is_err());
        let allowed = PublicOnly {
            allow_loopback: true,
        }
        .resolve(name())
        .await
        .expect("loopback in dev mode");
        assert!(allowed.into_iter().all(|a| a.ip().is_loopback()));
    }
}
