//! The values on the right of nft matches and in sets: addresses, ports, protocols, interface
//! names, connection states, families.

use super::{err, render, single_entry};
use crate::finding::Finding;
use crate::layers::{CtState, Family, PortRange, Protocol};
use crate::net::{self, AddrRange};
use crate::source::Loc;
use crate::yaml::{Node, Value};

/// What the values on the right of a match are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Kind {
    Addr(Option<Family>),
    Port,
    Proto,
    Iface,
    Ct,
    Nfproto,
}

#[derive(Debug, Clone)]
pub(super) enum Vals {
    Addrs(Vec<AddrRange>),
    Ports(Vec<PortRange>),
    Names(Vec<String>),
    Ct(Vec<CtState>),
    Fams(Vec<Family>),
}

impl Vals {
    pub(super) fn empty(kind: Kind) -> Vals {
        match kind {
            Kind::Addr(_) => Vals::Addrs(Vec::new()),
            Kind::Port => Vals::Ports(Vec::new()),
            Kind::Proto | Kind::Iface => Vals::Names(Vec::new()),
            Kind::Ct => Vals::Ct(Vec::new()),
            Kind::Nfproto => Vals::Fams(Vec::new()),
        }
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Vals::Addrs(v) => v.len(),
            Vals::Ports(v) => v.len(),
            Vals::Names(v) => v.len(),
            Vals::Ct(v) => v.len(),
            Vals::Fams(v) => v.len(),
        }
    }
}

/// Why a value could not be read: bad input (the rule is left out) or something the model
/// does not hold (the rule is kept, partial).
pub(super) enum Bad {
    Input(Box<Finding>),
    Unmodelled(String, Loc),
}

impl From<Box<Finding>> for Bad {
    fn from(f: Box<Finding>) -> Self {
        Bad::Input(f)
    }
}

/// Reads one element into `out`. `depth` bounds the unwrapping of `elem` objects and ranges.
pub(super) fn parse_item(kind: Kind, node: &Node, out: &mut Vals, depth: usize) -> Result<(), Bad> {
    if depth > 4 {
        return Err(Bad::Input(err(
            "set element nested too deeply",
            "write set elements as values, prefixes or ranges",
            &node.loc,
        )));
    }
    if let Some(("elem", e)) = single_entry(node) {
        let Some(val) = e.get("val") else {
            return Err(Bad::Input(err(
                "an `elem` object needs a `val`",
                "write the element's value in `val`",
                &e.loc,
            )));
        };
        return parse_item(kind, val, out, depth + 1);
    }
    if let Some(("concat", _)) = single_entry(node) {
        return Err(Bad::Unmodelled(
            "concatenated values are not modelled".to_string(),
            node.loc.clone(),
        ));
    }
    match out {
        Vals::Addrs(v) => {
            let family = match kind {
                Kind::Addr(f) => f,
                _ => None,
            };
            v.push(addr_range(node, family)?);
        }
        Vals::Ports(v) => v.push(port_range(node)?),
        Vals::Names(v) => match kind {
            Kind::Proto => v.push(protocol(node)?),
            _ => match &node.value {
                Value::Str(s) => v.push(s.clone()),
                Value::Int(i) => {
                    return Err(Bad::Unmodelled(
                        format!("interface index {i} (rather than a name) is not modelled"),
                        node.loc.clone(),
                    ))
                }
                _ => return Err(type_bad(node, "an interface name")),
            },
        },
        Vals::Ct(v) => match node.as_str() {
            Some(s) => v.push(match s {
                "new" => CtState::New,
                "established" => CtState::Established,
                "related" => CtState::Related,
                "invalid" => CtState::Invalid,
                "untracked" => CtState::Untracked,
                other => {
                    return Err(Bad::Unmodelled(
                        format!("ct state `{other}` is not modelled"),
                        node.loc.clone(),
                    ))
                }
            }),
            None => return Err(type_bad(node, "a connection state name")),
        },
        Vals::Fams(v) => v.push(match &node.value {
            Value::Str(s) if s == "ipv4" || s == "ip" => Family::Ip4,
            Value::Str(s) if s == "ipv6" || s == "ip6" => Family::Ip6,
            Value::Int(2) => Family::Ip4,
            Value::Int(10) => Family::Ip6,
            _ => {
                return Err(Bad::Unmodelled(
                    format!(
                        "protocol family `{}` is not modelled",
                        render::expr_text(node)
                    ),
                    node.loc.clone(),
                ))
            }
        }),
    }
    Ok(())
}

fn type_bad(node: &Node, expected: &str) -> Bad {
    Bad::Input(err(
        format!(
            "expected {expected}, found {}",
            match &node.value {
                Value::Str(s) => format!("`{s}`"),
                _ => node.type_name().to_string(),
            }
        ),
        format!("write {expected} here"),
        &node.loc,
    ))
}

fn addr_range(node: &Node, family: Option<Family>) -> Result<AddrRange, Bad> {
    let check = |a: AddrRange, loc: &Loc| -> Result<AddrRange, Bad> {
        match (family, a.v6) {
            (Some(Family::Ip4), true) | (Some(Family::Ip6), false) => Err(Bad::Input(err(
                format!(
                    "an IPv{} address where IPv{} is matched",
                    if a.v6 { 6 } else { 4 },
                    if a.v6 { 4 } else { 6 }
                ),
                "match IPv6 addresses with `ip6`, IPv4 addresses with `ip`",
                loc,
            ))),
            _ => Ok(a),
        }
    };
    match (&node.value, single_entry(node)) {
        (Value::Str(s), _) => match net::parse_cidr(s) {
            Some(a) => check(a, &node.loc),
            None => Err(type_bad(node, "an IP address")),
        },
        (_, Some(("prefix", p))) => {
            let addr = p.get("addr").and_then(Node::as_str);
            let len = p.get("len");
            let (Some(addr), Some(len)) = (addr, len) else {
                return Err(Bad::Input(err(
                    "a `prefix` needs `addr` (a string) and `len`",
                    "write the prefix as {\"prefix\": {\"addr\": \"10.0.0.0\", \"len\": 8}}",
                    &p.loc,
                )));
            };
            let bits = if addr.contains(':') { 128 } else { 32 };
            let n = match len.value {
                Value::Int(n) if (0..=bits).contains(&n) => n,
                Value::Int(_) => {
                    return Err(Bad::Input(err(
                        format!(
                            "prefix length {} is out of range for an IPv{} address (0 to {bits})",
                            render::expr_text(len),
                            if bits == 32 { 4 } else { 6 }
                        ),
                        format!("write a prefix length from 0 to {bits}"),
                        &len.loc,
                    )))
                }
                _ => return Err(type_bad(len, "a prefix length (an integer)")),
            };
            match net::parse_cidr(&format!("{addr}/{n}")) {
                Some(a) => check(a, &node.loc),
                None => Err(type_bad(p.get("addr").unwrap_or(node), "an IP address")),
            }
        }
        (_, Some(("range", r))) => {
            let (lo, hi) = match r.as_seq() {
                Some([lo, hi]) => (addr_range(lo, family)?, addr_range(hi, family)?),
                _ => return Err(type_bad(r, "a [low, high] pair")),
            };
            if lo.v6 != hi.v6 || lo.lo > hi.hi {
                return Err(Bad::Input(err(
                    "an address range whose ends are reversed or of two families",
                    "write the lower address first",
                    &r.loc,
                )));
            }
            Ok(AddrRange {
                v6: lo.v6,
                lo: lo.lo,
                hi: hi.hi,
            })
        }
        _ => Err(type_bad(node, "an IP address, prefix or range")),
    }
}

/// Well-known service names nft accepts for ports (it prints numbers in JSON).
const SERVICES: &[(&str, u16)] = &[
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("domain", 53),
    ("bootps", 67),
    ("bootpc", 68),
    ("http", 80),
    ("kerberos", 88),
    ("sunrpc", 111),
    ("ntp", 123),
    ("bgp", 179),
    ("ldap", 389),
    ("https", 443),
    ("microsoft-ds", 445),
    ("ldaps", 636),
    ("nfs", 2049),
    ("iscsi-target", 3260),
];

pub(super) fn port(node: &Node) -> Result<u16, Bad> {
    match &node.value {
        Value::Int(i) => u16::try_from(*i).map_err(|_| {
            Bad::Input(err(
                format!("port {i} is out of range (0 to 65535)"),
                "write a port from 0 to 65535",
                &node.loc,
            ))
        }),
        Value::Str(s) => {
            if let Ok(p) = s.parse::<u16>() {
                return Ok(p);
            }
            SERVICES
                .iter()
                .find(|(n, _)| n == s)
                .map(|(_, p)| *p)
                .ok_or_else(|| type_bad(node, "a port number"))
        }
        _ => Err(type_bad(node, "a port number")),
    }
}

fn port_range(node: &Node) -> Result<PortRange, Bad> {
    if let Some(("range", r)) = single_entry(node) {
        return match r.as_seq() {
            Some([lo, hi]) => {
                let (lo, hi) = (port(lo)?, port(hi)?);
                if lo > hi {
                    return Err(Bad::Input(err(
                        format!("port range {lo}-{hi} is reversed"),
                        "write the lower port first",
                        &r.loc,
                    )));
                }
                Ok((lo, hi))
            }
            _ => Err(type_bad(r, "a [low, high] pair")),
        };
    }
    let p = port(node)?;
    Ok((p, p))
}

fn protocol(node: &Node) -> Result<Protocol, Bad> {
    let name = match &node.value {
        Value::Str(s) => s.to_ascii_lowercase(),
        Value::Int(i) => i.to_string(),
        _ => return Err(type_bad(node, "a protocol name or number")),
    };
    Ok(match name.as_str() {
        "tcp" | "6" => "TCP".to_string(),
        "udp" | "17" => "UDP".to_string(),
        "sctp" | "132" => "SCTP".to_string(),
        "icmp" | "1" => "ICMP".to_string(),
        "icmpv6" | "ipv6-icmp" | "58" => "ICMPv6".to_string(),
        _ => name,
    })
}
