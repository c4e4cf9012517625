//! Values of firewalld's XML attributes: ports, protocols, addresses.

use crate::layers::{Family, PortRange};
use crate::net::{parse_cidr, AddrRange};

/// `22`, `8000-8080` (firewalld also takes a reversed range); every port 0-65535.
pub(super) fn parse_port_range(s: &str) -> Result<PortRange, String> {
    let s = s.trim();
    let one = |p: &str| -> Result<u16, String> {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "port `{s}` is not a number or a range (`8000-8080`)"
            ));
        }
        p.parse::<u32>()
            .ok()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| format!("port `{s}` is over 65535"))
    };
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (one(a)?, one(b)?);
            Ok((a.min(b), a.max(b)))
        }
        None => one(s).map(|p| (p, p)),
    }
}

pub(super) fn port_text((lo, hi): PortRange) -> String {
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}-{hi}")
    }
}

/// A transport protocol of `<port>`/`<source-port>` (firewalld takes these four, lower case).
pub(super) fn transport(s: &str) -> Option<String> {
    matches!(s, "tcp" | "udp" | "sctp" | "dccp").then(|| s.to_ascii_uppercase())
}

/// A `<protocol value=...>`: a name from /etc/protocols or a number 0-255, in the model's
/// spelling (`TCP`, `ICMP`, `ICMPv6`, other names upper case).
pub(super) fn protocol_value(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        let n: u32 = s.parse().ok()?;
        return match n {
            1 => Some("ICMP".into()),
            6 => Some("TCP".into()),
            17 => Some("UDP".into()),
            58 => Some("ICMPv6".into()),
            132 => Some("SCTP".into()),
            0..=255 => Some(n.to_string()),
            _ => None,
        };
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+'))
    {
        return None;
    }
    Some(match s.to_ascii_lowercase().as_str() {
        "ipv6-icmp" | "icmpv6" | "icmp6" => "ICMPv6".into(),
        other => other.to_ascii_uppercase(),
    })
}

/// An address with an optional prefix length or (IPv4) dotted netmask, as firewalld takes it.
pub(super) fn parse_address(s: &str) -> Option<AddrRange> {
    let s = s.trim();
    if let Some((addr, mask)) = s.split_once('/') {
        if mask.contains('.') {
            let bits = u32::from(mask.parse::<std::net::Ipv4Addr>().ok()?);
            let prefix = bits.leading_ones();
            if bits.checked_shl(prefix).unwrap_or(0) != 0 {
                return None; // not a contiguous mask
            }
            return parse_cidr(&format!("{addr}/{prefix}")).filter(|r| !r.v6);
        }
    }
    parse_cidr(s)
}

pub(super) fn family_of(r: &AddrRange) -> Family {
    if r.v6 {
        Family::Ip6
    } else {
        Family::Ip4
    }
}

/// A MAC address (`00:11:22:33:44:55`).
pub(super) fn is_mac(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}
