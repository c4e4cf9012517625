//! A `<zone>` into one firewall: its bindings, and its rules in firewalld's order.

use super::rich::{self, Slot};
use super::services::{self, Opening};
use super::values::{
    is_mac, parse_address, parse_port_range, port_text, protocol_value, transport,
};
use super::xml::Elem;
use super::{allowed_attrs, merge, Ctx, ZONE_FLAGS};
use crate::layers::{
    Chain, CtState, Family, Firewall, FirewallFormat, FwAction, FwMatch, FwRule, Hook, Neg, Note,
    PortRange, Verdict, Zone,
};
use crate::source::Loc;

/// Rules of a zone, by the sub-chain firewalld puts them in.
#[derive(Default)]
struct Sections {
    /// `forward-port`s: DNATed packets are accepted by `ct status dnat accept` before the zones.
    dnat: Vec<FwRule>,
    pre: Vec<(i32, FwRule)>,
    log: Vec<FwRule>,
    deny: Vec<FwRule>,
    services: Vec<FwRule>,
    ports: Vec<FwRule>,
    source_ports: Vec<FwRule>,
    rich_allow: Vec<FwRule>,
    protocols: Vec<FwRule>,
    post: Vec<(i32, FwRule)>,
}

/// Reads a `<zone>`. The chain it builds follows firewalld 1.x (its nftables backend; the
/// iptables backend uses the same sub-chains):
///
/// 1. `filter_INPUT`: `ct state established,related accept`, `ct status dnat accept` (packets of
///    the zone's `forward-port`s), `iifname "lo" accept`; then the packet goes to its zone;
/// 2. the zone's sub-chains in this order: `_pre` (rich rules with priority < 0, by priority),
///    `_log` (the log/audit part of priority-0 rich rules), `_deny` (priority-0 rich rules that
///    drop or reject, and icmp-blocks), `_allow` (services, ports, source ports, priority-0 rich
///    rules that accept or mark, protocols: the order firewalld adds them in), `_post` (rich
///    rules with priority > 0, by priority). Rules of equal priority keep the file's order;
/// 3. with target `default`, ICMP is accepted (rejected with `icmp-block-inversion`);
/// 4. the target: `default` and `%%REJECT%%` reject, `DROP` drops, `ACCEPT` accepts (the
///    chain's policy).
pub(super) fn read_zone(ctx: &mut Ctx, root: &Elem, file: &str, text: &str) -> Firewall {
    let name = zone_name(file);
    let zone_loc = ctx.tag(root);
    let mut notes = ctx.unknown_attrs(root);
    let mut target = "default".to_string();
    let mut policy = Verdict::Reject;
    if let Some(t) = root.value("target") {
        match t {
            "default" | "{chain}_{zone}" | "" => {}
            "%%REJECT%%" => (target, policy) = (t.to_string(), Verdict::Reject),
            "DROP" => (target, policy) = (t.to_string(), Verdict::Drop),
            "ACCEPT" => (target, policy) = (t.to_string(), Verdict::Accept),
            other => ctx.error(
                format!("zone target `{other}` is not one of ACCEPT, %%REJECT%%, DROP, default"),
                "firewalld refuses to load the zone; read here as `default`",
                ctx.attr_loc(root, "target"),
            ),
        }
    }
    if root
        .value("ingress-priority")
        .is_some_and(|p| p.trim() != "0")
    {
        notes.push(ctx.note(
            "ingress-priority: the order in which zones claim packets is not modelled",
            ctx.attr_loc(root, "ingress-priority"),
        ));
    }
    let mut zone = Zone {
        name: name.clone(),
        sources: Vec::new(),
        interfaces: Vec::new(),
        target: target.clone(),
    };
    let mut s = Sections::default();
    let mut icmp_blocks: Vec<&str> = Vec::new();
    let mut inversion = false;
    for e in &root.children {
        // Unknown attributes: on the rule an element makes, else on the file.
        let extra = match e.name.as_str() {
            "rule" => Vec::new(),
            _ if allowed_attrs(&e.name).is_empty() && !ZONE_FLAGS.contains(&e.name.as_str()) => {
                Vec::new()
            }
            _ => ctx.unknown_attrs(e),
        };
        match e.name.as_str() {
            "service" => s.services.extend(service_rules(ctx, e, extra)),
            "port" => s.ports.extend(port_rule(ctx, e, false, extra)),
            "source-port" => s.source_ports.extend(port_rule(ctx, e, true, extra)),
            "protocol" => s.protocols.extend(protocol_rule(ctx, e, extra)),
            "forward-port" => s.dnat.extend(forward_port(ctx, e, None, extra)),
            "rule" => {
                let (rules, file_notes) = rich::read_rule(ctx, e);
                notes.extend(file_notes);
                for (slot, rule) in rules {
                    match slot {
                        Slot::Dnat => s.dnat.push(rule),
                        Slot::Pre(p) => s.pre.push((p, rule)),
                        Slot::Log => s.log.push(rule),
                        Slot::Deny => s.deny.push(rule),
                        Slot::Allow => s.rich_allow.push(rule),
                        Slot::Post(p) => s.post.push((p, rule)),
                    }
                }
            }
            // `<forward/>` (intra-zone forwarding, on by default since firewalld 1.0) concerns
            // forwarded traffic only: nothing to note about traffic to this host.
            "short" | "description" | "forward" => notes.extend(extra),
            "interface" => {
                notes.extend(extra);
                let Some(n) = ctx.required(e, "name") else {
                    continue;
                };
                if n.is_empty() || n.len() > 16 || n.contains([' ', '/', '!', '*']) {
                    ctx.error(
                        format!(
                            "interface name `{n}` is invalid (1-16 characters, no space, /, ! or *)"
                        ),
                        "firewalld refuses to load the zone",
                        ctx.attr_loc(e, "name"),
                    );
                } else {
                    zone.interfaces.push(n.to_string());
                }
            }
            "source" => {
                notes.extend(extra);
                zone_source(ctx, e, &mut zone, &mut notes);
            }
            "icmp-block" => {
                notes.extend(extra);
                if let Some(n) = ctx.required(e, "name") {
                    icmp_blocks.push(n);
                }
            }
            "icmp-block-inversion" => {
                notes.extend(extra);
                inversion = true;
            }
            "masquerade" => {
                notes.extend(extra);
                notes.push(ctx.note(
                    "masquerade: source NAT of traffic this zone forwards is not modelled (it \
                     does not change what reaches this host)",
                    ctx.tag(e),
                ));
            }
            _ => notes.push(ctx.unknown_element(e, "zone")),
        }
        for c in &e.children {
            if !matches!(e.name.as_str(), "rule" | "short" | "description") {
                notes.push(ctx.unknown_element(c, &e.name));
            }
        }
    }

    let mut rules = vec![FwRule {
        loc: zone_loc.clone(),
        text: "ct state established,related accept (firewalld, before every zone)".into(),
        matches: FwMatch {
            ct_state: Some(Neg::is(vec![CtState::Established, CtState::Related])),
            ..Default::default()
        },
        action: FwAction::Accept,
        partial: None,
    }];
    rules.append(&mut s.dnat);
    rules.push(FwRule {
        loc: zone_loc.clone(),
        text: "iifname lo accept (firewalld, before every zone)".into(),
        matches: FwMatch {
            iif: Some(Neg::is("lo".to_string())),
            ..Default::default()
        },
        action: FwAction::Accept,
        partial: None,
    });
    // Stable sorts: equal priorities keep the file's order.
    s.pre.sort_by_key(|(p, _)| *p);
    s.post.sort_by_key(|(p, _)| *p);
    rules.extend(s.pre.into_iter().map(|(_, r)| r));
    rules.append(&mut s.log);
    rules.append(&mut s.deny);
    rules.append(&mut s.services);
    rules.append(&mut s.ports);
    rules.append(&mut s.source_ports);
    rules.append(&mut s.rich_allow);
    rules.append(&mut s.protocols);
    rules.extend(s.post.into_iter().map(|(_, r)| r));
    rules.extend(icmp_rules(ctx, &target, inversion, &icmp_blocks, &zone_loc));

    let policy_loc = ctx.attr_loc(root, "target");
    let first_line = text.find('\n').unwrap_or(text.len());
    Firewall {
        format: FirewallFormat::Firewalld,
        file: file.to_string(),
        loc: ctx.span((0, first_line)),
        chains: vec![Chain {
            name: format!("filter_IN_{name}"),
            table: "firewalld".into(),
            family: Family::Inet,
            hook: Some(Hook::Input),
            // filter_INPUT is at `priority filter + 10`.
            priority: 10,
            policy,
            policy_loc,
            loc: zone_loc,
            rules,
        }],
        notes,
        zone: Some(zone),
    }
}

/// The zone name: the file name without `.xml` (`<short>` is only a display name).
pub(super) fn zone_name(file: &str) -> String {
    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
    base.strip_suffix(".xml").unwrap_or(base).to_string()
}

/// A zone `<source address=.../>` (or `ipset=`/`mac=`, which are noted).
fn zone_source(ctx: &mut Ctx, e: &Elem, zone: &mut Zone, notes: &mut Vec<Note>) {
    if let Some(a) = e.value("address") {
        match parse_address(a) {
            Some(r) => zone.sources.push(r),
            None if is_mac(a) => notes.push(ctx.note(
                format!("zone source MAC {a}: which packets this zone handles is not fully modelled"),
                ctx.attr_loc(e, "address"),
            )),
            None => ctx.error(
                format!("source address `{a}` is not an IPv4 or IPv6 address or network"),
                "write an address such as 10.0.0.0/24 or fd00::/64; firewalld refuses to load the zone",
                ctx.attr_loc(e, "address"),
            ),
        }
    } else if let Some(set) = e.value("ipset").or_else(|| e.value("mac")) {
        notes.push(ctx.note(
            format!(
                "zone source {set} (ipset or MAC): which packets this zone handles is not fully \
                 modelled"
            ),
            ctx.tag(e),
        ));
    } else {
        ctx.error(
            "<source> needs address=, mac= or ipset=",
            "firewalld ignores this source",
            ctx.tag(e),
        );
    }
}

/// A zone `<service name=.../>`: one accept rule per port, protocol and source port the
/// standard service opens; an unknown service, one partial rule that may match anything.
fn service_rules(ctx: &mut Ctx, e: &Elem, extra: Vec<Note>) -> Vec<FwRule> {
    let Some(name) = ctx.required(e, "name") else {
        return Vec::new();
    };
    service_matches(ctx, e, name, &FwMatch::default())
        .into_iter()
        .map(|(matches, text, note)| FwRule {
            loc: ctx.tag(e),
            text,
            matches,
            action: FwAction::Accept,
            partial: merge(extra.iter().cloned().chain(note).collect()),
        })
        .collect()
}

/// A zone `<protocol value=...>`.
fn protocol_rule(ctx: &mut Ctx, e: &Elem, extra: Vec<Note>) -> Option<FwRule> {
    let v = ctx.required(e, "value")?;
    let Some(p) = protocol_value(v) else {
        ctx.error(
            format!("protocol `{v}` is not a protocol name or a number 0-255"),
            "use a name from /etc/protocols (gre, esp, ...) or its number",
            ctx.attr_loc(e, "value"),
        );
        return None;
    };
    Some(FwRule {
        loc: ctx.tag(e),
        text: format!("protocol {v}"),
        matches: FwMatch {
            protocol: Some(Neg::is(p)),
            ..Default::default()
        },
        action: FwAction::Accept,
        partial: merge(extra),
    })
}

/// A zone `<port>` or `<source-port>`.
fn port_rule(ctx: &mut Ctx, e: &Elem, source: bool, extra: Vec<Note>) -> Option<FwRule> {
    let (ports, protocol) = (ctx.required(e, "port")?, ctx.required(e, "protocol")?);
    let (range, proto) = port_and_protocol(ctx, e, ports, protocol)?;
    let mut matches = FwMatch {
        protocol: Some(Neg::is(proto)),
        ..Default::default()
    };
    let cond = Some(Neg::is(vec![range]));
    if source {
        matches.sport = cond;
    } else {
        matches.dport = cond;
    }
    Some(FwRule {
        loc: ctx.tag(e),
        text: format!("{} {}/{protocol}", e.name, port_text(range)),
        matches,
        action: FwAction::Accept,
        partial: merge(extra),
    })
}

/// A `<forward-port>` (zone-wide, or the element of a rich rule with `base` conditions): the
/// packet is DNATed in prerouting and then accepted by `ct status dnat accept` (or forwarded
/// elsewhere): the listener on the port itself is never reached.
pub(super) fn forward_port(
    ctx: &mut Ctx,
    e: &Elem,
    base: Option<&FwMatch>,
    extra: Vec<Note>,
) -> Option<FwRule> {
    let (ports, protocol) = (ctx.required(e, "port")?, ctx.required(e, "protocol")?);
    let (range, proto) = port_and_protocol(ctx, e, ports, protocol)?;
    let to_port = e.value("to-port").unwrap_or("");
    let to_addr = e.value("to-addr").unwrap_or("");
    let target = match (to_port, to_addr) {
        ("", "") => "itself".to_string(),
        (p, "") => format!("local port {p}"),
        ("", a) => format!("{a}, same port"),
        (p, a) => format!("{a} port {p}"),
    };
    let mut matches = base.cloned().unwrap_or_default();
    matches.protocol = Some(Neg::is(proto));
    matches.dport = Some(Neg::is(vec![range]));
    let mut notes = extra;
    notes.push(ctx.note(
        format!(
            "forward-port {}/{protocol} to {target}: the packet is redirected (DNAT) before the \
             zone's rules, so it never reaches a listener on this port; not modelled",
            port_text(range)
        ),
        ctx.tag(e),
    ));
    Some(FwRule {
        loc: ctx.tag(e),
        text: format!("forward-port {}/{protocol} to {target}", port_text(range)),
        matches,
        action: FwAction::Accept,
        partial: merge(notes),
    })
}

/// The ICMP rules at the end of a zone with target `default` (or `ACCEPT` with inversion).
fn icmp_rules(ctx: &Ctx, target: &str, inversion: bool, blocks: &[&str], loc: &Loc) -> Vec<FwRule> {
    let applies = match target {
        "default" => true,
        "ACCEPT" => inversion,
        _ => false,
    };
    if !applies {
        return Vec::new();
    }
    let (action, verb) = if inversion {
        (FwAction::Reject, "reject")
    } else {
        (FwAction::Accept, "accept")
    };
    let partial = (!blocks.is_empty()).then(|| {
        ctx.note(
            format!(
                "icmp-block {}: ICMP types are not modelled, so ICMP verdicts are partial{}",
                blocks.join(", "),
                if inversion {
                    " (icmp-block-inversion: only these types are accepted)"
                } else {
                    ""
                }
            ),
            loc.clone(),
        )
    });
    ["ICMP", "ICMPv6"]
        .into_iter()
        .map(|p| FwRule {
            loc: loc.clone(),
            text: format!("{} {verb} (zone target {target})", p.to_ascii_lowercase()),
            matches: FwMatch {
                protocol: Some(Neg::is(p.to_string())),
                ..Default::default()
            },
            action: action.clone(),
            partial: partial.clone(),
        })
        .collect()
}

/// Checks a port (or range) and its transport protocol; a located error for either.
pub(super) fn port_and_protocol(
    ctx: &mut Ctx,
    e: &Elem,
    ports: &str,
    protocol: &str,
) -> Option<(PortRange, String)> {
    let range = match parse_port_range(ports) {
        Ok(r) => r,
        Err(message) => {
            ctx.error(
                message,
                "write a port 0-65535 or a range such as 8000-8080; firewalld does not load it",
                ctx.attr_loc(e, "port"),
            );
            return None;
        }
    };
    let Some(proto) = transport(protocol) else {
        ctx.error(
            format!(
                "protocol `{protocol}` of <{}> must be tcp, udp, sctp or dccp",
                e.name
            ),
            "write the protocol in lower case; firewalld does not load it",
            ctx.attr_loc(e, "protocol"),
        );
        return None;
    };
    Some((range, proto))
}

/// What `<service name=...>` matches inside `base` (the rule's family and addresses): one match
/// per port, protocol and source port of the standard service, in each family it applies to.
/// An unknown service gives one match of anything, with a note.
pub(super) fn service_matches(
    ctx: &Ctx,
    e: &Elem,
    name: &str,
    base: &FwMatch,
) -> Vec<(FwMatch, String, Option<Note>)> {
    let Some(service) = services::expand(name) else {
        let note = ctx.note(
            format!(
                "service {name} is not a standard firewalld service; pass its XML to see its ports \
                 (custom services are not resolved into zones), so this rule may match any port"
            ),
            ctx.tag(e),
        );
        return vec![(base.clone(), format!("service {name}"), Some(note))];
    };
    let mut out = Vec::new();
    for (fam, dst) in service.families() {
        let family = match (base.family, fam) {
            (Some(a), Some(b)) if a != b => continue,
            (Some(a), _) => Some(a),
            (None, b) => b,
        };
        let mut note = None;
        let dst_cond = match (dst, &base.dst) {
            (Some(_), Some(rule_dst)) => {
                note = Some(ctx.note(
                    format!(
                        "service {name} has its own destination; combined with the rule's, which \
                         firewalld rejects: not modelled"
                    ),
                    ctx.tag(e),
                ));
                Some(rule_dst.clone())
            }
            (Some(d), None) => Some(Neg::is(vec![d])),
            (None, d) => d.clone(),
        };
        let to = dst
            .map(|d| format!(" to {}", d.display()))
            .unwrap_or_default();
        for opening in &service.openings {
            let mut m = FwMatch {
                family,
                dst: dst_cond.clone(),
                ..base.clone()
            };
            let what = match opening {
                Opening::Port(proto, range) => {
                    m.protocol = transport(proto).map(Neg::is);
                    m.dport = Some(Neg::is(vec![*range]));
                    format!("{}/{proto}", port_text(*range))
                }
                Opening::SourcePort(proto, range) => {
                    m.protocol = transport(proto).map(Neg::is);
                    m.sport = Some(Neg::is(vec![*range]));
                    format!("source port {}/{proto}", port_text(*range))
                }
                Opening::Protocol(p) => {
                    m.protocol = protocol_value(p).map(Neg::is);
                    format!("protocol {p}")
                }
            };
            out.push((m, format!("service {name} ({what}{to})"), note.clone()));
        }
    }
    out
}
