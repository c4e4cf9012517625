//! Address and port arithmetic: CIDR parsing, and splitting a flow's address and port ranges at
//! the boundaries of the rules that could match it, so that every piece is matched by a rule
//! entirely or not at all.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An inclusive address range of one family (`v6 == false`: the low 32 bits hold an IPv4 address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AddrRange {
    pub v6: bool,
    pub lo: u128,
    pub hi: u128,
}

/// Parses `a.b.c.d/n`, `x::/n` or a bare address (a host route). Host bits are allowed, as the
/// Kubernetes API allows them; the range is the network's.
pub fn parse_cidr(s: &str) -> Option<AddrRange> {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let (v6, bits, value) = match ip {
        IpAddr::V4(v4) => (false, 32u32, u32::from(v4) as u128),
        IpAddr::V6(v6) => (true, 128u32, u128::from(v6)),
    };
    let prefix: u32 = match prefix {
        None => bits,
        Some(p) => {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 3 {
                return None;
            }
            p.parse().ok()?
        }
    };
    if prefix > bits {
        return None;
    }
    let host_bits = bits - prefix;
    let mask: u128 = if host_bits == 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    let lo = value & !mask;
    let hi = lo | mask;
    let hi = if v6 { hi } else { hi & 0xffff_ffff };
    Some(AddrRange { v6, lo, hi })
}

pub fn format_addr(v6: bool, value: u128) -> String {
    if v6 {
        Ipv6Addr::from(value).to_string()
    } else {
        Ipv4Addr::from(value as u32).to_string()
    }
}

impl AddrRange {
    pub fn contains(&self, other: &AddrRange) -> bool {
        self.v6 == other.v6 && self.lo <= other.lo && other.hi <= self.hi
    }

    /// `a.b.c.d/n` when the range is one prefix, else `first-last`.
    pub fn display(&self) -> String {
        let bits = if self.v6 { 128 } else { 32 };
        let size = self.hi.wrapping_sub(self.lo).wrapping_add(1);
        if size == 0 && self.v6 {
            return "::/0".to_string();
        }
        if size.is_power_of_two() && self.lo & (size - 1) == 0 {
            let prefix = bits - size.trailing_zeros();
            return format!("{}/{}", format_addr(self.v6, self.lo), prefix);
        }
        format!(
            "{}-{}",
            format_addr(self.v6, self.lo),
            format_addr(self.v6, self.hi)
        )
    }
}

/// Serialized as its display text (`10.0.0.0/8`, `10.0.0.1-10.0.0.5`).
impl serde::Serialize for AddrRange {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.display())
    }
}

/// Splits `range` at every start and end of `cuts` that falls inside it.
pub fn split_addr(range: AddrRange, cuts: &[AddrRange]) -> Vec<AddrRange> {
    let mut points: Vec<u128> = Vec::new();
    for c in cuts.iter().filter(|c| c.v6 == range.v6) {
        if c.lo > range.lo && c.lo <= range.hi {
            points.push(c.lo);
        }
        if c.hi < range.hi && c.hi >= range.lo {
            points.push(c.hi + 1);
        }
    }
    points.sort_unstable();
    points.dedup();
    let mut out = Vec::with_capacity(points.len() + 1);
    let mut lo = range.lo;
    for p in points {
        out.push(AddrRange {
            v6: range.v6,
            lo,
            hi: p - 1,
        });
        lo = p;
    }
    out.push(AddrRange {
        v6: range.v6,
        lo,
        hi: range.hi,
    });
    out
}

/// Splits the inclusive port range `lo..=hi` at the starts and ends of `cuts`.
pub fn split_ports(lo: u16, hi: u16, cuts: &[(u16, u16)]) -> Vec<(u16, u16)> {
    let mut points: Vec<u32> = Vec::new();
    for &(a, b) in cuts {
        if a > lo && a <= hi {
            points.push(a as u32);
        }
        if b < hi && b >= lo {
            points.push(b as u32 + 1);
        }
    }
    points.sort_unstable();
    points.dedup();
    let mut out = Vec::with_capacity(points.len() + 1);
    let mut start = lo as u32;
    for p in points {
        out.push((start as u16, (p - 1) as u16));
        start = p;
    }
    out.push((start as u16, hi));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_cidrs() {
        let r = parse_cidr("10.0.1.0/28").unwrap();
        assert_eq!(format_addr(false, r.lo), "10.0.1.0");
        assert_eq!(format_addr(false, r.hi), "10.0.1.15");
        assert_eq!(parse_cidr("10.0.0.10").unwrap().display(), "10.0.0.10/32");
        assert_eq!(parse_cidr("0.0.0.0/0").unwrap().display(), "0.0.0.0/0");
        assert_eq!(parse_cidr("::/0").unwrap().display(), "::/0");
        assert_eq!(parse_cidr("fd00::/8").unwrap().display(), "fd00::/8");
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert!(parse_cidr("10.0.0.0/").is_none());
        assert!(parse_cidr("10.0.0.256/8").is_none());
        assert!(parse_cidr("fe80::1%eth0/64").is_none());
        assert!(parse_cidr("10.0.0.0/-1").is_none());
    }

    fn v4() -> impl Strategy<Value = AddrRange> {
        (any::<u32>(), 0u32..=32)
            .prop_map(|(a, p)| parse_cidr(&format!("{}/{}", Ipv4Addr::from(a), p)).unwrap())
    }

    proptest! {
        #[test]
        fn cidr_contains_its_own_network_address(a in any::<u32>(), p in 0u32..=32) {
            let r = parse_cidr(&format!("{}/{}", Ipv4Addr::from(a), p)).unwrap();
            let host = parse_cidr(&Ipv4Addr::from(a).to_string()).unwrap();
            prop_assert!(r.contains(&host));
            prop_assert_eq!(r.hi - r.lo + 1, 1u128 << (32 - p));
            // A range re-parsed from its display is the same range.
            prop_assert_eq!(parse_cidr(&r.display()), Some(r));
        }

        #[test]
        fn address_pieces_tile_the_range_and_never_straddle_a_cut(
            range in v4(), cuts in proptest::collection::vec(v4(), 0..6)
        ) {
            let pieces = split_addr(range, &cuts);
            prop_assert_eq!(pieces[0].lo, range.lo);
            prop_assert_eq!(pieces[pieces.len() - 1].hi, range.hi);
            for w in pieces.windows(2) {
                prop_assert_eq!(w[0].hi + 1, w[1].lo);
            }
            for piece in &pieces {
                for cut in &cuts {
                    let inside = cut.contains(piece);
                    let outside = piece.hi < cut.lo || piece.lo > cut.hi;
                    prop_assert!(inside || outside, "{piece:?} straddles {cut:?}");
                }
            }
        }

        #[test]
        fn port_pieces_tile_the_range_and_never_straddle_a_cut(
            lo in 1u16..=65535, len in 0u16..2000,
            cuts in proptest::collection::vec((1u16..=65535, 0u16..3000), 0..6)
        ) {
            let hi = lo.saturating_add(len);
            let cuts: Vec<(u16, u16)> = cuts.into_iter().map(|(a, l)| (a, a.saturating_add(l))).collect();
            let pieces = split_ports(lo, hi, &cuts);
            prop_assert_eq!(pieces[0].0, lo);
            prop_assert_eq!(pieces[pieces.len() - 1].1, hi);
            for w in pieces.windows(2) {
                prop_assert_eq!(w[0].1 as u32 + 1, w[1].0 as u32);
            }
            for &(a, b) in &pieces {
                for &(c, d) in &cuts {
                    prop_assert!((c <= a && b <= d) || b < c || a > d);
                }
            }
        }
    }
}
