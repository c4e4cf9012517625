//! Value checks on NetworkPolicies that the API server would reject: ports outside 1-65535,
//! bad port names and protocols, endPort errors, invalid CIDRs and `except` outside `cidr`.
//!
//! These rules run in Rust, in the reader, rather than in Rego: they look at every port and
//! ipBlock of every policy in the input, and in regorus that scan cost about half a second per
//! 10,000 policies (see `bench/`). Their documentation lives in [`crate::rules`].

use crate::finding::{Finding, Severity};
use crate::model::{NetworkPolicy, PortValue};
use crate::net;
use crate::source::Loc;

pub const INVALID_PORT: &str = "PM301";
pub const INVALID_END_PORT: &str = "PM302";
pub const INVALID_IP_BLOCK: &str = "PM303";

fn finding(rule: &str, message: String, help: String, loc: &Loc) -> Finding {
    Finding {
        rule: rule.to_string(),
        severity: Severity::Error,
        message,
        help,
        flow: None,
        loc: Some(loc.clone()),
        suppressed: None,
    }
}

/// A port name as Kubernetes accepts it (IANA_SVC_NAME): 1-15 lowercase letters, digits and
/// hyphens, at least one letter, no leading, trailing or double hyphen.
pub fn valid_port_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 15
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.bytes().any(|b| b.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

pub fn check(policy: &NetworkPolicy) -> Vec<Finding> {
    let mut out = Vec::new();
    let name = format!("{}/{}", policy.namespace, policy.name);
    for rule in policy.ingress.iter().chain(&policy.egress) {
        for port in rule.ports.iter().flatten() {
            let port_loc = port.port_loc.as_ref().unwrap_or(&port.loc);
            if !matches!(port.protocol.as_str(), "TCP" | "UDP" | "SCTP") {
                out.push(finding(
                    INVALID_PORT,
                    format!(
                        "protocol `{}` in NetworkPolicy {name} is not TCP, UDP or SCTP",
                        port.protocol
                    ),
                    "protocols are upper case: TCP, UDP or SCTP".into(),
                    &port.loc,
                ));
            }
            match &port.port {
                Some(PortValue::Number(n)) if !(1..=65535).contains(n) => out.push(finding(
                    INVALID_PORT,
                    format!("port {n} in NetworkPolicy {name} is outside 1-65535"),
                    "use a port from 1 to 65535".into(),
                    port_loc,
                )),
                Some(PortValue::Name(s)) if !valid_port_name(s) => out.push(finding(
                    INVALID_PORT,
                    format!("`{s}` in NetworkPolicy {name} is not a valid port name"),
                    "a named port has 1 to 15 lowercase letters, digits and hyphens, with at least one letter, and names a container port".into(),
                    port_loc,
                )),
                _ => {}
            }
            if let Some(end) = port.end_port {
                let end_loc = port.end_port_loc.as_ref().unwrap_or(&port.loc);
                if !(1..=65535).contains(&end) {
                    out.push(finding(
                        INVALID_PORT,
                        format!("endPort {end} in NetworkPolicy {name} is outside 1-65535"),
                        "use an endPort from `port` to 65535".into(),
                        end_loc,
                    ));
                }
                match &port.port {
                    Some(PortValue::Number(p)) if end < *p => out.push(finding(
                        INVALID_END_PORT,
                        format!("endPort {end} is below port {p} in NetworkPolicy {name}"),
                        format!("set endPort to {p} or more, or swap the two"),
                        end_loc,
                    )),
                    Some(PortValue::Number(_)) => {}
                    _ => out.push(finding(
                        INVALID_END_PORT,
                        format!("endPort needs a numeric port in NetworkPolicy {name}"),
                        "give `port` as a number: endPort does not work with named ports or without a port".into(),
                        end_loc,
                    )),
                }
            }
        }
        for peer in rule.peers.iter().flatten() {
            let Some(block) = &peer.ip_block else {
                continue;
            };
            let cidr = parse_strict(&block.cidr);
            if cidr.is_none() {
                out.push(finding(
                    INVALID_IP_BLOCK,
                    format!(
                        "`{}` in NetworkPolicy {name} is not a valid CIDR",
                        block.cidr
                    ),
                    "write an address and a prefix length, such as 10.0.0.0/24 or fd00::/64".into(),
                    &block.cidr_loc,
                ));
            }
            for e in &block.except {
                match (cidr, parse_strict(&e.cidr)) {
                    (_, None) => out.push(finding(
                        INVALID_IP_BLOCK,
                        format!(
                            "except `{}` in NetworkPolicy {name} is not a valid CIDR",
                            e.cidr
                        ),
                        "write an address and a prefix length, such as 10.0.0.0/24".into(),
                        &e.loc,
                    )),
                    (Some(c), Some(x)) if !c.contains(&x) => out.push(finding(
                        INVALID_IP_BLOCK,
                        format!(
                            "except `{}` lies outside cidr `{}` in NetworkPolicy {name}",
                            e.cidr, block.cidr
                        ),
                        format!("every except entry must be inside {}", block.cidr),
                        &e.loc,
                    )),
                    _ => {}
                }
            }
        }
    }
    out
}

/// A CIDR as the API requires it: with a prefix length.
fn parse_strict(s: &str) -> Option<net::AddrRange> {
    if !s.contains('/') {
        return None;
    }
    net::parse_cidr(s)
}
