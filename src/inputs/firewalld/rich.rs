//! Rich rules (`<rule>` in a zone; firewalld.richlanguage(5)) into rules of the zone's chain,
//! each with the sub-chain firewalld puts it in.

use super::values::{family_of, parse_address, port_text, protocol_value};
use super::xml::Elem;
use super::zone::{forward_port, port_and_protocol, service_matches};
use super::{merge, Ctx};
use crate::layers::{Family, FwAction, FwMatch, FwRule, Neg, Note, PortRange};

/// Where firewalld puts a rule (see `read_zone` for the order of these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    Dnat,
    Pre(i32),
    Log,
    Deny,
    Allow,
    Post(i32),
}

/// A rich rule's element (what it matches besides addresses), checked.
enum Element<'e> {
    Any,
    Service(&'e Elem, String),
    Port {
        protocol: String,
        range: PortRange,
        source: bool,
        text: String,
    },
    Protocol(String, String),
    /// `icmp-block` (rejects, no action of its own) or `icmp-type` (with an action).
    Icmp {
        name: String,
        block: bool,
    },
    Masquerade(&'e Elem),
    ForwardPort(&'e Elem),
    TcpMssClamp,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Act {
    Accept,
    Reject,
    Drop,
    Mark,
}

/// Why a rule was not read (a PM000 has been reported).
struct Skipped;

/// Reports a rule firewalld would not apply, and skips it.
fn skip<T>(ctx: &mut Ctx, message: String, loc: crate::source::Loc) -> Result<T, Skipped> {
    ctx.error(
        message,
        "firewalld skips this rich rule (with a warning) or refuses the zone; fix the rule",
        loc,
    );
    Err(Skipped)
}

/// One side (source or destination) of a rule: its condition, text and notes.
#[derive(Default)]
struct Side {
    present: bool,
    cond: Option<Neg<Vec<crate::net::AddrRange>>>,
    text: String,
}

/// Reads a `<rule>`: the rules it adds with their slots, and notes about the file.
pub(super) fn read_rule(ctx: &mut Ctx, e: &Elem) -> RuleOut {
    parse_and_emit(ctx, e).unwrap_or_default()
}

/// The rules a rich rule adds, each with its slot, and notes about the file.
pub(super) type RuleOut = (Vec<(Slot, FwRule)>, Vec<Note>);

fn parse_and_emit(ctx: &mut Ctx, e: &Elem) -> Result<RuleOut, Skipped> {
    let mut notes = ctx.unknown_attrs(e);
    let family = match e.value("family") {
        None => None,
        Some("ipv4") => Some(Family::Ip4),
        Some("ipv6") => Some(Family::Ip6),
        Some(f) => {
            return skip(
                ctx,
                format!("rule family `{f}` is not ipv4 or ipv6"),
                ctx.attr_loc(e, "family"),
            )
        }
    };
    let priority = match e.value("priority") {
        None => 0,
        Some(p) => match p.trim().parse::<i32>() {
            Ok(n) if (-32768..=32767).contains(&n) => n,
            _ => {
                return skip(
                    ctx,
                    format!("rule priority `{p}` is not a number from -32768 to 32767"),
                    ctx.attr_loc(e, "priority"),
                )
            }
        },
    };
    let mut src = Side::default();
    let mut dst = Side::default();
    let mut element: Option<&Elem> = None;
    let mut log: Option<String> = None;
    let mut audit = false;
    let mut action: Option<(Act, &Elem, String)> = None;
    let mut limit: Option<String> = None;
    for c in &e.children {
        notes.extend(ctx.unknown_attrs(c));
        match c.name.as_str() {
            "source" | "destination" => {
                let is_src = c.name == "source";
                if (is_src && src.present) || (!is_src && dst.present) {
                    if is_src {
                        return skip(ctx, "more than one <source> in a rule".into(), ctx.tag(c));
                    }
                    notes
                        .push(ctx.note("a second <destination>: firewalld ignores it", ctx.tag(c)));
                    continue;
                }
                let side = read_side(ctx, c, family, &mut notes)?;
                if is_src {
                    src = side;
                } else {
                    dst = side;
                }
            }
            "service" | "port" | "protocol" | "source-port" | "icmp-block" | "icmp-type"
            | "masquerade" | "forward-port" | "tcp-mss-clamp" => {
                if element.is_some() {
                    return skip(
                        ctx,
                        "more than one element (service, port, protocol, ...) in a rule".into(),
                        ctx.tag(c),
                    );
                }
                element = Some(c);
            }
            "log" | "nflog" => {
                // firewalld ignores a second log.
                if log.is_none() {
                    log = Some(read_log(ctx, c)?);
                }
                limit_of(ctx, c, &mut notes)?;
            }
            "audit" => {
                if audit {
                    return skip(ctx, "more than one <audit> in a rule".into(), ctx.tag(c));
                }
                audit = true;
                limit_of(ctx, c, &mut notes)?;
            }
            "accept" | "reject" | "drop" | "mark" => {
                if action.is_some() {
                    return skip(ctx, "more than one action in a rule".into(), ctx.tag(c));
                }
                let (act, text) = match c.name.as_str() {
                    "accept" => (Act::Accept, "accept".to_string()),
                    "reject" => (Act::Reject, "reject".to_string()),
                    "drop" => (Act::Drop, "drop".to_string()),
                    _ => match ctx.required(c, "set") {
                        Some(v) => (Act::Mark, format!("mark set={v}")),
                        None => return Err(Skipped),
                    },
                };
                limit = limit_of(ctx, c, &mut notes)?;
                action = Some((act, c, text));
            }
            _ => notes.push(ctx.unknown_element(c, "rule")),
        }
    }
    let element = read_element(ctx, element, &mut notes)?;
    let what = Present {
        source: src.present,
        destination: dst.present,
        log: log.is_some(),
        audit,
        action: action.is_some(),
    };
    check(ctx, e, &element, family, priority, &what)?;

    let base = FwMatch {
        family,
        src: src.cond.clone(),
        dst: dst.cond.clone(),
        ..Default::default()
    };
    let mut prefix = "rule".to_string();
    if let Some(f) = e.value("family") {
        prefix.push_str(&format!(" family={f}"));
    }
    if priority != 0 {
        prefix.push_str(&format!(" priority={priority}"));
    }
    for side in [&src, &dst] {
        if side.present {
            prefix.push(' ');
            prefix.push_str(&side.text);
        }
    }
    let mut file_notes = Vec::new();
    let expansions: Vec<(FwMatch, String, Option<Note>)> = match &element {
        Element::Any => vec![(base.clone(), String::new(), None)],
        Element::Service(c, name) => service_matches(ctx, c, name, &base),
        Element::Port {
            protocol,
            range,
            source,
            text,
        } => {
            let mut m = base.clone();
            m.protocol = Some(Neg::is(protocol.clone()));
            let cond = Some(Neg::is(vec![*range]));
            if *source {
                m.sport = cond;
            } else {
                m.dport = cond;
            }
            vec![(m, text.clone(), None)]
        }
        Element::Protocol(p, text) => {
            let mut m = base.clone();
            m.protocol = Some(Neg::is(p.clone()));
            vec![(m, text.clone(), None)]
        }
        Element::Icmp { name, block } => {
            let kinds: &[(&str, Family)] = match family {
                Some(Family::Ip4) => &[("ICMP", Family::Ip4)],
                Some(Family::Ip6) => &[("ICMPv6", Family::Ip6)],
                _ => &[("ICMP", Family::Ip4), ("ICMPv6", Family::Ip6)],
            };
            let word = if *block { "icmp-block" } else { "icmp-type" };
            kinds
                .iter()
                .map(|(p, f)| {
                    let mut m = base.clone();
                    m.protocol = Some(Neg::is(p.to_string()));
                    m.family = Some(*f);
                    let note = ctx.note(
                        format!(
                            "{word} {name}: only this ICMP type is matched; ICMP types are not \
                             modelled"
                        ),
                        ctx.tag(e),
                    );
                    (m, format!("{word} {name}"), Some(note))
                })
                .collect()
        }
        Element::Masquerade(c) => {
            file_notes.push(ctx.note(
                "rich rule masquerade: source NAT of forwarded traffic is not modelled (it does \
                 not change what reaches this host)",
                ctx.tag(c),
            ));
            return Ok((Vec::new(), file_notes));
        }
        Element::ForwardPort(c) => {
            let rule = forward_port(ctx, c, Some(&base), notes);
            return Ok((
                rule.map(|mut r| {
                    r.loc = ctx.tag(e);
                    r.text = format!("{prefix} {}", r.text);
                    (Slot::Dnat, r)
                })
                .into_iter()
                .collect(),
                file_notes,
            ));
        }
        Element::TcpMssClamp => return Ok((Vec::new(), file_notes)),
    };

    let (log_slot, action_slot) = match priority {
        p if p < 0 => (Slot::Pre(p), Slot::Pre(p)),
        p if p > 0 => (Slot::Post(p), Slot::Post(p)),
        _ => {
            let deny = matches!(element, Element::Icmp { block: true, .. })
                || matches!(action, Some((Act::Reject | Act::Drop, _, _)));
            (Slot::Log, if deny { Slot::Deny } else { Slot::Allow })
        }
    };
    let mut out = Vec::new();
    for (matches, elem_text, note) in expansions {
        let head = if elem_text.is_empty() {
            prefix.clone()
        } else {
            format!("{prefix} {elem_text}")
        };
        let partial_notes: Vec<Note> = notes.iter().cloned().chain(note).collect();
        let make = |text: String, action: FwAction, extra: Option<Note>| FwRule {
            loc: ctx.tag(e),
            text,
            matches: matches.clone(),
            action,
            partial: merge(partial_notes.iter().cloned().chain(extra).collect()),
        };
        if let Some(l) = &log {
            out.push((
                log_slot,
                make(format!("{head} {l}"), FwAction::Continue, None),
            ));
        }
        if audit {
            out.push((
                log_slot,
                make(format!("{head} audit"), FwAction::Continue, None),
            ));
        }
        let (act, act_text) = match (&element, &action) {
            (Element::Icmp { block: true, .. }, _) => (FwAction::Reject, "reject".to_string()),
            (_, Some((a, _, t))) => (
                match a {
                    Act::Accept => FwAction::Accept,
                    Act::Reject => FwAction::Reject,
                    Act::Drop => FwAction::Drop,
                    Act::Mark => FwAction::Continue,
                },
                t.clone(),
            ),
            (_, None) => continue,
        };
        let limit_note = match (&limit, &action) {
            (Some(v), Some((a, c, _))) if *a != Act::Mark => Some(ctx.note(
                format!(
                    "{} is rate-limited (limit value=\"{v}\"): packets over the rate fall through \
                     to later rules; not modelled",
                    c.name
                ),
                ctx.tag(c),
            )),
            _ => None,
        };
        let act_text = match &limit {
            Some(v) => format!("{act_text} limit {v}"),
            None => act_text,
        };
        out.push((
            action_slot,
            make(format!("{head} {act_text}"), act, limit_note),
        ));
    }
    Ok((out, file_notes))
}

/// `<source>` / `<destination>`: an address (checked against the rule's family), an ipset or a
/// MAC (noted: their members are unknown), possibly inverted.
fn read_side(
    ctx: &mut Ctx,
    c: &Elem,
    family: Option<Family>,
    notes: &mut Vec<Note>,
) -> Result<Side, Skipped> {
    let negated = c
        .value("invert")
        .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "yes" | "true"));
    let not = if negated { "NOT " } else { "" };
    let word = c.name.as_str();
    let given: Vec<&str> = ["address", "mac", "ipset"]
        .into_iter()
        .filter(|k| c.value(k).is_some() && (*k != "mac" || word == "source"))
        .collect();
    if let [first, second, ..] = given.as_slice() {
        return skip(
            ctx,
            format!("<{word}> has both {first} and {second}"),
            ctx.tag(c),
        );
    }
    if let Some(a) = c.value("address") {
        let Some(range) = parse_address(a) else {
            return skip(
                ctx,
                format!("{word} address `{a}` is not an IPv4 or IPv6 address or network"),
                ctx.attr_loc(c, "address"),
            );
        };
        let fam = family_of(&range);
        match family {
            None => {
                return skip(
                    ctx,
                    format!(
                        "a rule with a {word} address needs family=\"ipv4\" or family=\"ipv6\""
                    ),
                    ctx.tag(c),
                )
            }
            Some(f) if f != fam => {
                return skip(
                    ctx,
                    format!("{word} address `{a}` is not of the rule's family"),
                    ctx.attr_loc(c, "address"),
                )
            }
            _ => {}
        }
        return Ok(Side {
            present: true,
            cond: Some(Neg {
                negated,
                value: vec![range],
            }),
            text: format!("{word} {not}{}", range.display()),
        });
    }
    for key in ["ipset", "mac"] {
        if let Some(v) = c.value(key).filter(|_| given.contains(&key)) {
            notes.push(ctx.note(
                format!(
                    "{word} {not}{key} {v}: its members are not known, so this rule may match \
                     any {word}"
                ),
                ctx.attr_loc(c, key),
            ));
            return Ok(Side {
                present: true,
                cond: None,
                text: format!("{word} {not}{key}={v}"),
            });
        }
    }
    skip(
        ctx,
        format!(
            "<{word}> needs address= or ipset={}",
            if word == "source" { " or mac=" } else { "" }
        ),
        ctx.tag(c),
    )
}

/// `<log>` / `<nflog>`: checked as firewalld checks them; its text.
fn read_log(ctx: &mut Ctx, c: &Elem) -> Result<String, Skipped> {
    if let Some(level) = c.value("level") {
        if !matches!(
            level,
            "emerg" | "alert" | "crit" | "error" | "warning" | "notice" | "info" | "debug"
        ) {
            return skip(
                ctx,
                format!("log level `{level}` is not a syslog level"),
                ctx.attr_loc(c, "level"),
            );
        }
    }
    if let Some(prefix) = c.value("prefix") {
        if prefix.is_empty() || prefix.len() > 127 {
            return skip(
                ctx,
                "log prefix must have 1 to 127 characters".into(),
                ctx.attr_loc(c, "prefix"),
            );
        }
        return Ok(format!("{} prefix=\"{prefix}\"", c.name));
    }
    Ok(c.name.clone())
}

/// The `<limit value=...>` inside a log, audit or action (checked), and notes for anything else
/// inside it.
fn limit_of(ctx: &mut Ctx, c: &Elem, notes: &mut Vec<Note>) -> Result<Option<String>, Skipped> {
    let mut limit = None;
    for l in &c.children {
        if l.name != "limit" {
            notes.push(ctx.unknown_element(l, &c.name));
            continue;
        }
        notes.extend(ctx.unknown_attrs(l));
        if limit.is_some() {
            return skip(
                ctx,
                format!("more than one <limit> in <{}>", c.name),
                ctx.tag(l),
            );
        }
        let Some(v) = ctx.required(l, "value") else {
            return Err(Skipped);
        };
        let ok = v.split_once('/').is_some_and(|(rate, unit)| {
            rate.parse::<u32>().is_ok_and(|r| r >= 1)
                && matches!(
                    unit,
                    "s" | "m" | "h" | "d" | "second" | "minute" | "hour" | "day"
                )
        });
        if !ok {
            return skip(
                ctx,
                format!("limit `{v}` is not a rate such as 5/m (per s, m, h or d)"),
                ctx.attr_loc(l, "value"),
            );
        }
        limit = Some(v.to_string());
    }
    Ok(limit)
}

/// Checks and reads the rule's element.
fn read_element<'e>(
    ctx: &mut Ctx,
    c: Option<&'e Elem>,
    notes: &mut Vec<Note>,
) -> Result<Element<'e>, Skipped> {
    let Some(c) = c else {
        return Ok(Element::Any);
    };
    for child in &c.children {
        notes.push(ctx.unknown_element(child, &c.name));
    }
    Ok(match c.name.as_str() {
        "service" => match ctx.required(c, "name") {
            Some(n) if !n.is_empty() => Element::Service(c, n.to_string()),
            _ => return Err(Skipped),
        },
        "port" | "source-port" => {
            let (Some(p), Some(proto)) = (ctx.required(c, "port"), ctx.required(c, "protocol"))
            else {
                return Err(Skipped);
            };
            let Some((range, protocol)) = port_and_protocol(ctx, c, p, proto) else {
                return Err(Skipped);
            };
            Element::Port {
                protocol,
                range,
                source: c.name == "source-port",
                text: format!("{} {}/{proto}", c.name, port_text(range)),
            }
        }
        "protocol" => {
            let Some(v) = ctx.required(c, "value") else {
                return Err(Skipped);
            };
            match protocol_value(v) {
                Some(p) => Element::Protocol(p, format!("protocol {v}")),
                None => {
                    return skip(
                        ctx,
                        format!("protocol `{v}` is not a protocol name or a number 0-255"),
                        ctx.attr_loc(c, "value"),
                    )
                }
            }
        }
        "icmp-block" | "icmp-type" => match ctx.required(c, "name") {
            Some(n) => Element::Icmp {
                name: n.to_string(),
                block: c.name == "icmp-block",
            },
            None => return Err(Skipped),
        },
        "masquerade" => Element::Masquerade(c),
        "forward-port" => Element::ForwardPort(c),
        _ => Element::TcpMssClamp,
    })
}

/// Which parts a rule has.
struct Present {
    source: bool,
    destination: bool,
    log: bool,
    audit: bool,
    action: bool,
}

/// The checks of firewalld's `Rich_Rule.check()` that decide whether the rule is applied.
fn check(
    ctx: &mut Ctx,
    e: &Elem,
    element: &Element,
    family: Option<Family>,
    priority: i32,
    has: &Present,
) -> Result<(), Skipped> {
    let here = ctx.tag(e);
    let has_action = has.action;
    if matches!(element, Element::Any) && (!has.log || priority == 0) {
        if !has_action {
            return skip(
                ctx,
                "a rich rule with neither an element nor an action".into(),
                here,
            );
        }
        if !has.source && !has.destination && priority == 0 {
            return skip(
                ctx,
                "a rich rule with no element, source or destination (use the zone's target to \
                 act on everything)"
                    .into(),
                here,
            );
        }
    }
    let special = matches!(
        element,
        Element::Icmp { block: true, .. }
            | Element::ForwardPort(_)
            | Element::Masquerade(_)
            | Element::TcpMssClamp
    );
    if !special && !has.log && !has.audit && !has_action {
        return skip(ctx, "a rich rule with no action, log or audit".into(), here);
    }
    if special && has_action {
        return skip(
            ctx,
            "icmp-block, masquerade, forward-port and tcp-mss-clamp take no action".into(),
            here,
        );
    }
    if matches!(element, Element::ForwardPort(_)) && family.is_none() {
        return skip(
            ctx,
            "a rich rule with forward-port needs family=".into(),
            here,
        );
    }
    Ok(())
}
