//! The IP address a booking was made from.
//!
//! Every syntactically valid address a booking could come from is
//! accepted, but only a public one becomes an identifier. A private
//! (`192.168.1.10`), shared (`100.64.0.0/10`, carrier-grade NAT),
//! link-local or documentation address is what a home router or a carrier's
//! network hands out to thousands of customers: refusing it would reject a
//! carrier's whole manifest line for a field the shipper never saw, and
//! keying it would link unrelated shipments. Addresses that cannot be a
//! booking's source at all (unspecified, loopback, multicast, broadcast)
//! are refused: they mean the carrier recorded the wrong field.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BookingIp(IpAddr);

impl BookingIp {
    /// Reads IPv4 (`203.0.113.7`) and IPv6 (`2001:DB8::1`, `[2001:db8::1]`)
    /// and gives the canonical form: IPv6 in RFC 5952 (lower case, longest
    /// zero run compressed), an IPv4-mapped IPv6 address as the IPv4 it is.
    pub fn parse(value: &str) -> Result<Self, String> {
        let text = value.trim();
        let text = text
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .unwrap_or(text);
        if text.len() > 45 {
            return Err(format!("`{value}` is not an IP address"));
        }
        let ip = text
            .parse::<IpAddr>()
            .map_err(|_| match text.rsplit_once(':') {
                Some((host, port))
                    if host.parse::<Ipv4Addr>().is_ok() && port.parse::<u16>().is_ok() =>
                {
                    format!("`{value}` has a port: give the address alone")
                }
                _ => format!("`{value}` is not an IPv4 or IPv6 address"),
            })?
            .to_canonical();
        let impossible = ip.is_unspecified()
            || ip.is_loopback()
            || ip.is_multicast()
            || ip == IpAddr::V4(Ipv4Addr::BROADCAST);
        if impossible {
            return Err(format!(
                "`{value}` cannot be where a booking came from (unspecified, loopback, multicast or broadcast)"
            ));
        }
        Ok(Self(ip))
    }

    pub fn addr(&self) -> IpAddr {
        self.0
    }

    /// Reachable across the internet, by the IANA IPv4 and IPv6
    /// Special-Purpose Address Registries (RFC 6890 and its updates).
    pub fn is_public(&self) -> bool {
        match self.0 {
            IpAddr::V4(ip) => public_v4(ip),
            IpAddr::V6(ip) => public_v6(ip),
        }
    }

    /// The identifier key: the canonical address, for public addresses only.
    pub fn key(&self) -> Option<String> {
        self.is_public().then(|| self.to_string())
    }
}

impl fmt::Display for BookingIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The identifier key of an address as written; `None` when it is not an
/// address or not a public one.
pub fn ip_address_key(value: &str) -> Option<String> {
    BookingIp::parse(value).ok()?.key()
}

fn in_v4(ip: Ipv4Addr, network: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(network)) & mask
}

fn public_v4(ip: Ipv4Addr) -> bool {
    // 192.0.0.9 and .10 (PCP and TURN anycast) are the registry's
    // globally reachable exceptions inside 192.0.0.0/24.
    if ip.octets()[..3] == [192, 0, 0] && matches!(ip.octets()[3], 9 | 10) {
        return true;
    }
    const NOT_PUBLIC: &[([u8; 4], u32)] = &[
        ([0, 0, 0, 0], 8),       // "this network" (RFC 791)
        ([10, 0, 0, 0], 8),      // private (RFC 1918)
        ([100, 64, 0, 0], 10),   // shared, carrier-grade NAT (RFC 6598)
        ([127, 0, 0, 0], 8),     // loopback (RFC 1122)
        ([169, 254, 0, 0], 16),  // link-local (RFC 3927)
        ([172, 16, 0, 0], 12),   // private (RFC 1918)
        ([192, 0, 0, 0], 24),    // IETF protocol assignments (RFC 6890)
        ([192, 0, 2, 0], 24),    // documentation, TEST-NET-1 (RFC 5737)
        ([192, 88, 99, 0], 24),  // deprecated 6to4 relay anycast (RFC 7526)
        ([192, 168, 0, 0], 16),  // private (RFC 1918)
        ([198, 18, 0, 0], 15),   // benchmarking (RFC 2544)
        ([198, 51, 100, 0], 24), // documentation, TEST-NET-2 (RFC 5737)
        ([203, 0, 113, 0], 24),  // documentation, TEST-NET-3 (RFC 5737)
        ([224, 0, 0, 0], 4),     // multicast (RFC 5771)
        ([240, 0, 0, 0], 4),     // reserved, and the broadcast address (RFC 1112, 919)
    ];
    !NOT_PUBLIC
        .iter()
        .any(|(net, prefix)| in_v4(ip, *net, *prefix))
}

fn in_v6(ip: Ipv6Addr, network: [u16; 8], prefix: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(network)) & mask
}

fn public_v6(ip: Ipv6Addr) -> bool {
    // Global unicast is allocated from 2000::/3 only (RFC 4291 §2.4, IANA
    // IPv6 Address Space); that leaves out unique-local fc00::/7,
    // link-local fe80::/10, multicast, the translation prefixes and the
    // rest of the reserved space.
    if !in_v6(ip, [0x2000, 0, 0, 0, 0, 0, 0, 0], 3) {
        return false;
    }
    // Inside 2001::/23 (IETF protocol assignments, RFC 2928) only these
    // are globally reachable in the registry.
    const GLOBAL_IN_IETF: &[([u16; 8], u32)] = &[
        ([0x2001, 0x1, 0, 0, 0, 0, 0, 0x1], 128), // port control anycast (RFC 7723)
        ([0x2001, 0x1, 0, 0, 0, 0, 0, 0x2], 128), // TURN anycast (RFC 8155)
        ([0x2001, 0x3, 0, 0, 0, 0, 0, 0], 32),    // AMT (RFC 7450)
        ([0x2001, 0x4, 0x112, 0, 0, 0, 0, 0], 48), // AS112-v6 (RFC 7535)
        ([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28),   // ORCHIDv2 (RFC 7343)
    ];
    if in_v6(ip, [0x2001, 0, 0, 0, 0, 0, 0, 0], 23) {
        return GLOBAL_IN_IETF
            .iter()
            .any(|(net, prefix)| in_v6(ip, *net, *prefix));
    }
    const NOT_PUBLIC: &[([u16; 8], u32)] = &[
        ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation (RFC 3849)
        ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20),     // documentation (RFC 9637)
    ];
    !NOT_PUBLIC
        .iter()
        .any(|(net, prefix)| in_v6(ip, *net, *prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(value: &str) -> Result<String, String> {
        BookingIp::parse(value).map(|ip| ip.to_string())
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(canonical(" 8.8.8.8 "), Ok("8.8.8.8".into()));
        assert_eq!(
            canonical("2A00:1450:4001:0811:0000:0000:0000:200E"),
            Ok("2a00:1450:4001:811::200e".into())
        );
        assert_eq!(canonical("[2a00:1450::1]"), Ok("2a00:1450::1".into()));
        assert_eq!(canonical("::ffff:8.8.4.4"), Ok("8.8.4.4".into()));
        assert_eq!(canonical("::FFFF:808:404"), Ok("8.8.4.4".into()));
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "8.8.8",
            "8.8.8.256",
            "08.8.8.8",
            "8.8.8.8/32",
            "2001:db8::g",
            "fe80::1%eth0",
            "localhost",
            "1::2::3",
        ] {
            let error = BookingIp::parse(bad).unwrap_err();
            assert!(error.contains("not an IP"), "{bad}: {error}");
        }
        let error = BookingIp::parse("8.8.8.8:443").unwrap_err();
        assert!(error.contains("port"), "{error}");
        assert!(BookingIp::parse(&"1".repeat(1000)).is_err());
    }

    #[test]
    fn addresses_no_booking_comes_from_are_refused() {
        for bad in [
            "0.0.0.0",
            "127.0.0.1",
            "127.8.8.8",
            "255.255.255.255",
            "224.0.0.251",
            "::",
            "::1",
            "ff02::1",
        ] {
            let error = BookingIp::parse(bad).unwrap_err();
            assert!(error.contains("cannot be where"), "{bad}: {error}");
        }
    }

    #[test]
    fn only_public_addresses_are_keyed() {
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "192.0.0.9",
            "100.63.255.255",
            "172.32.0.1",
            "2a00:1450:4001:811::200e",
            "2001:4:112::1",
            "2002:808:808::1",
        ] {
            let ip = BookingIp::parse(public).unwrap();
            assert!(ip.is_public(), "{public}");
            assert_eq!(ip_address_key(public), Some(ip.to_string()));
        }
        for private in [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.10",
            "100.64.0.1",
            "169.254.1.1",
            "192.0.2.7",
            "198.51.100.7",
            "203.0.113.7",
            "198.19.0.1",
            "240.0.0.1",
            "192.0.0.8",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "2001:db8::1",
            "3fff::1",
            "2001::1",
            "64:ff9b::808:808",
        ] {
            let ip = BookingIp::parse(private).unwrap_or_else(|e| panic!("{private}: {e}"));
            assert!(!ip.is_public(), "{private}");
            assert_eq!(ip.key(), None, "{private}");
        }
    }
}
