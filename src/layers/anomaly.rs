//! Rule anomalies inside one firewall chain or one Calico/Cilium policy (Al-Shaer and Hamed):
//!
//! - shadowed (PM501, error): an earlier rule matches all of this rule's traffic with another
//!   action, so this rule never takes effect;
//! - redundant (PM502, warning): an earlier rule matches all of this rule's traffic with the same
//!   action, or a later rule with the same action covers it and no rule in between decides any of
//!   its traffic otherwise: removing it changes nothing;
//! - correlated (PM503, info): two rules match some traffic in common, neither all of the other's,
//!   with different actions: their order decides that traffic.
//!
//! Comparisons are bucketed by destination port so that a 50,000-rule chain stays fast; past
//! [`MAX_COMPARISONS`] a chain is reported as too large to analyse completely.

use super::*;
use crate::finding::{Finding, Severity};

/// Most rule pairs compared in one chain or policy.
pub const MAX_COMPARISONS: usize = 1_000_000;

/// A set over one dimension, as sorted disjoint inclusive intervals.
#[derive(Debug, Clone, PartialEq)]
struct Set(Vec<(u128, u128)>);

impl Set {
    fn full(max: u128) -> Set {
        Set(vec![(0, max)])
    }

    fn from(mut v: Vec<(u128, u128)>) -> Set {
        v.sort_unstable();
        let mut out: Vec<(u128, u128)> = Vec::with_capacity(v.len());
        for (lo, hi) in v {
            match out.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => out.push((lo, hi)),
            }
        }
        Set(out)
    }

    fn complement(&self, max: u128) -> Set {
        let mut out = Vec::new();
        let mut next = 0u128;
        for &(lo, hi) in &self.0 {
            if lo > next {
                out.push((next, lo - 1));
            }
            if hi == max {
                return Set(out);
            }
            next = hi + 1;
        }
        out.push((next, max));
        Set(out)
    }

    fn contains(&self, other: &Set) -> bool {
        other
            .0
            .iter()
            .all(|&(lo, hi)| self.0.iter().any(|&(a, b)| a <= lo && hi <= b))
    }

    fn intersects(&self, other: &Set) -> bool {
        let (mut i, mut j) = (0, 0);
        while i < self.0.len() && j < other.0.len() {
            let (a, b) = self.0[i];
            let (c, d) = other.0[j];
            if a <= d && c <= b {
                return true;
            }
            if b < d {
                i += 1;
            } else {
                j += 1;
            }
        }
        false
    }
}

/// Addresses of both families in one space: IPv4 below 2^32, IPv6 shifted above it would
/// overflow, so families are kept as two sets.
#[derive(Debug, Clone, PartialEq)]
struct Addrs {
    v4: Set,
    v6: Set,
}

const V4_MAX: u128 = u32::MAX as u128;

impl Addrs {
    fn of(cond: &Option<Neg<Vec<AddrRange>>>) -> Addrs {
        let full = Addrs {
            v4: Set::full(V4_MAX),
            v6: Set::full(u128::MAX),
        };
        let Some(n) = cond else {
            return full;
        };
        let v4 = Set::from(
            n.value
                .iter()
                .filter(|r| !r.v6)
                .map(|r| (r.lo, r.hi))
                .collect(),
        );
        let v6 = Set::from(
            n.value
                .iter()
                .filter(|r| r.v6)
                .map(|r| (r.lo, r.hi))
                .collect(),
        );
        if n.negated {
            Addrs {
                v4: v4.complement(V4_MAX),
                v6: v6.complement(u128::MAX),
            }
        } else {
            Addrs { v4, v6 }
        }
    }

    fn contains(&self, o: &Addrs) -> bool {
        self.v4.contains(&o.v4) && self.v6.contains(&o.v6)
    }

    fn intersects(&self, o: &Addrs) -> bool {
        self.v4.intersects(&o.v4) || self.v6.intersects(&o.v6)
    }
}

fn ports_set(cond: &Option<Neg<Vec<PortRange>>>) -> Set {
    match cond {
        None => Set::full(65535),
        Some(n) => {
            let s = Set::from(
                n.value
                    .iter()
                    .map(|&(a, b)| (a as u128, b as u128))
                    .collect(),
            );
            if n.negated {
                s.complement(65535)
            } else {
                s
            }
        }
    }
}

/// Protocols as a set over a small code space: 0 TCP, 1 UDP, 2 SCTP, 3 ICMP, 4 ICMPv6, 5 other.
fn proto_set(cond: &Option<Neg<Protocol>>) -> Set {
    let code = |p: &str| match super::eval::normalize_protocol(p).as_str() {
        "TCP" => Some(0u128),
        "UDP" => Some(1),
        "SCTP" => Some(2),
        "ICMP" => Some(3),
        "ICMPV6" => Some(4),
        "ANY" => None,
        _ => Some(5),
    };
    match cond {
        None => Set::full(5),
        Some(n) => {
            let s = match code(&n.value) {
                None => Set::full(5),
                Some(c) => Set(vec![(c, c)]),
            };
            if n.negated {
                s.complement(5)
            } else {
                s
            }
        }
    }
}

fn ct_set(cond: &Option<Neg<Vec<CtState>>>) -> Set {
    match cond {
        None => Set::full(4),
        Some(n) => {
            let s = Set::from(
                n.value
                    .iter()
                    .map(|c| {
                        let v = *c as u128;
                        (v, v)
                    })
                    .collect(),
            );
            if n.negated {
                s.complement(4)
            } else {
                s
            }
        }
    }
}

/// Interfaces compare only when equal (or absent): names are not a set portmatrix can reason on.
fn iface_contains(a: &Option<Neg<String>>, b: &Option<Neg<String>>) -> bool {
    a.is_none() || a == b
}

fn iface_intersects(a: &Option<Neg<String>>, b: &Option<Neg<String>>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) if !x.negated && !y.negated => {
            let (p, q) = (
                x.value.trim_end_matches(['+', '*']),
                y.value.trim_end_matches(['+', '*']),
            );
            p.starts_with(q) || q.starts_with(p)
        }
        _ => true,
    }
}

/// One rule, as sets.
struct Shape {
    proto: Set,
    src: Addrs,
    dst: Addrs,
    sport: Set,
    dport: Set,
    ct: Set,
    /// The same, when every dimension is at most one interval (the common case): compared
    /// without walking vectors.
    fast: Option<Fast>,
}

/// An interval, or `None` for the empty set.
type Span = Option<(u128, u128)>;

#[derive(Clone, Copy)]
struct Fast {
    proto: u8,
    ct: u8,
    spans: [Span; 6],
}

fn span(set: &Set) -> Option<Span> {
    match set.0.as_slice() {
        [] => Some(None),
        [one] => Some(Some(*one)),
        _ => None,
    }
}

fn mask(set: &Set) -> u8 {
    let mut m = 0u8;
    for &(lo, hi) in &set.0 {
        for v in lo..=hi.min(7) {
            m |= 1 << v;
        }
    }
    m
}

fn span_contains(a: Span, b: Span) -> bool {
    match (a, b) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some((a0, a1)), Some((b0, b1))) => a0 <= b0 && b1 <= a1,
    }
}

fn span_intersects(a: Span, b: Span) -> bool {
    matches!((a, b), (Some((a0, a1)), Some((b0, b1))) if a0 <= b1 && b0 <= a1)
}

impl Fast {
    fn of(sh: &Shape) -> Option<Fast> {
        Some(Fast {
            proto: mask(&sh.proto),
            ct: mask(&sh.ct),
            spans: [
                span(&sh.src.v4)?,
                span(&sh.src.v6)?,
                span(&sh.dst.v4)?,
                span(&sh.dst.v6)?,
                span(&sh.sport)?,
                span(&sh.dport)?,
            ],
        })
    }

    fn contains(&self, o: &Fast) -> bool {
        o.proto & !self.proto == 0
            && o.ct & !self.ct == 0
            && self
                .spans
                .iter()
                .zip(&o.spans)
                .all(|(a, b)| span_contains(*a, *b))
    }

    fn intersects(&self, o: &Fast) -> bool {
        self.proto & o.proto != 0
            && self.ct & o.ct != 0
            // Addresses: a family in common (v4 or v6) for the source and for the destination.
            && (span_intersects(self.spans[0], o.spans[0]) || span_intersects(self.spans[1], o.spans[1]))
            && (span_intersects(self.spans[2], o.spans[2]) || span_intersects(self.spans[3], o.spans[3]))
            && span_intersects(self.spans[4], o.spans[4])
            && span_intersects(self.spans[5], o.spans[5])
    }
}

impl Shape {
    fn of(m: &FwMatch) -> Shape {
        let mut src = Addrs::of(&m.src);
        let mut dst = Addrs::of(&m.dst);
        match m.family {
            Some(Family::Ip4) => {
                src.v6 = Set(Vec::new());
                dst.v6 = Set(Vec::new());
            }
            Some(Family::Ip6) => {
                src.v4 = Set(Vec::new());
                dst.v4 = Set(Vec::new());
            }
            _ => {}
        }
        let mut shape = Shape {
            proto: proto_set(&m.protocol),
            src,
            dst,
            sport: ports_set(&m.sport),
            dport: ports_set(&m.dport),
            ct: ct_set(&m.ct_state),
            fast: None,
        };
        shape.fast = Fast::of(&shape);
        shape
    }

    fn contains(&self, o: &Shape) -> bool {
        if let (Some(a), Some(b)) = (&self.fast, &o.fast) {
            return a.contains(b);
        }
        self.proto.contains(&o.proto)
            && self.src.contains(&o.src)
            && self.dst.contains(&o.dst)
            && self.sport.contains(&o.sport)
            && self.dport.contains(&o.dport)
            && self.ct.contains(&o.ct)
    }

    fn intersects(&self, o: &Shape) -> bool {
        if let (Some(a), Some(b)) = (&self.fast, &o.fast) {
            return a.intersects(b);
        }
        self.proto.intersects(&o.proto)
            && self.src.intersects(&o.src)
            && self.dst.intersects(&o.dst)
            && self.sport.intersects(&o.sport)
            && self.dport.intersects(&o.dport)
            && self.ct.intersects(&o.ct)
    }
}

/// A rule reduced to what the analysis needs.
struct Item<'a> {
    shape: Shape,
    iif: &'a Option<Neg<String>>,
    oif: &'a Option<Neg<String>>,
    /// `accept`, `drop` (drop and reject are one action here), or `None` for rules that do not
    /// end evaluation (jumps, logs), which are left out.
    action: &'static str,
    loc: &'a Loc,
    text: String,
}

fn action_of(a: &FwAction) -> Option<&'static str> {
    match a {
        FwAction::Accept => Some("accept"),
        FwAction::Drop | FwAction::Reject => Some("drop"),
        _ => None,
    }
}

fn contains(a: &Item, b: &Item) -> bool {
    iface_contains(a.iif, b.iif) && iface_contains(a.oif, b.oif) && a.shape.contains(&b.shape)
}

fn intersects(a: &Item, b: &Item) -> bool {
    iface_intersects(a.iif, b.iif) && iface_intersects(a.oif, b.oif) && a.shape.intersects(&b.shape)
}

fn finding(rule: &str, severity: Severity, message: String, help: &str, loc: &Loc) -> Finding {
    Finding {
        rule: rule.to_string(),
        severity,
        message,
        help: help.to_string(),
        flow: None,
        loc: Some(loc.clone()),
        suppressed: None,
    }
}

fn line_of(loc: &Loc) -> String {
    format!("line {}", loc.line)
}

/// Anomalies among an ordered list of rules (one chain).
fn analyse(items: &[Item], scope: &str, out: &mut Vec<Finding>, limit_loc: &Loc) {
    // Candidate pairs: two rules can only overlap if their destination ports and source
    // addresses intersect. Rules are bucketed by port (rules whose port set is not one small
    // range join every bucket), and within a bucket swept by source interval, so that 50,000
    // per-host rules cost about as many comparisons as they have overlaps.
    let mut buckets: std::collections::HashMap<u128, Vec<usize>> = std::collections::HashMap::new();
    let mut wide: Vec<usize> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        match it.shape.dport.0.as_slice() {
            [(lo, hi)] if hi - lo < 16 => {
                for p in *lo..=*hi {
                    buckets.entry(p).or_default().push(i);
                }
            }
            _ => wide.push(i),
        }
    }
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut budget = MAX_COMPARISONS;
    let mut truncated = false;
    let mut keys: Vec<&u128> = buckets.keys().collect();
    keys.sort_unstable();
    for k in keys {
        sweep(
            items,
            &buckets[k],
            &|_, _| true,
            &mut pairs,
            &mut budget,
            &mut truncated,
        );
    }
    if !wide.is_empty() {
        let mut is_wide = vec![false; items.len()];
        for &w in &wide {
            is_wide[w] = true;
        }
        let all: Vec<usize> = (0..items.len()).collect();
        let keep = |a: usize, b: usize| is_wide[a] || is_wide[b];
        sweep(items, &all, &keep, &mut pairs, &mut budget, &mut truncated);
    }
    pairs.sort_unstable();
    pairs.dedup();
    // One written rule may stand for several items (an nft set of protocols): a rule is reported
    // shadowed or redundant only when every item of it is; pairs within one rule are skipped.
    let mut flagged: Vec<Option<Finding>> = vec![None; items.len()];
    let mut correlated: Vec<((u32, u32), Finding)> = Vec::new();
    // For the pairs of one rule `i` (in order of `j`): whether a rule between `i` and `j` decides
    // some of `i`'s traffic otherwise. Such a rule overlaps `i`, so it is one of `i`'s pairs.
    let mut run: Option<usize> = None;
    let mut conflict_before = false;
    for &(i, j) in &pairs {
        if run != Some(i) {
            run = Some(i);
            conflict_before = false;
        }
        let (a, b) = (&items[i], &items[j]);
        let between = conflict_before;
        conflict_before |= b.action != a.action && intersects(b, a);
        if a.loc == b.loc {
            continue;
        }
        if contains(a, b) {
            if flagged[j].is_some() {
                continue;
            }
            flagged[j] = Some(if a.action != b.action {
                finding(
                    "PM501",
                    Severity::Error,
                    format!(
                        "{scope}: rule `{}` never matches: the earlier rule at {} (`{}`) matches all of its traffic and does the opposite ({})",
                        b.text, line_of(a.loc), a.text, a.action
                    ),
                    "move the narrower rule above the broader one, or delete it",
                    b.loc,
                )
            } else {
                finding(
                    "PM502",
                    Severity::Warning,
                    format!(
                        "{scope}: rule `{}` is redundant: the earlier rule at {} (`{}`) already {}s all of its traffic",
                        b.text, line_of(a.loc), a.text, a.action
                    ),
                    "delete the redundant rule",
                    b.loc,
                )
            });
        } else if !truncated && b.action == a.action && contains(b, a) {
            // (Skipped when pairs were cut short: a rule in between might be missing.)
            // A later superset with the same action: `a` is redundant unless a rule in between
            // decides some of its traffic otherwise.
            if !between && flagged[i].is_none() {
                flagged[i] = Some(finding(
                    "PM502",
                    Severity::Warning,
                    format!(
                        "{scope}: rule `{}` is redundant: the later rule at {} (`{}`) {}s all of its traffic and nothing in between decides it otherwise",
                        a.text, line_of(b.loc), b.text, a.action
                    ),
                    "delete the redundant rule",
                    a.loc,
                ));
            }
        } else if a.action != b.action && !contains(b, a) && intersects(a, b) {
            let key = (a.loc.line, b.loc.line);
            if !correlated.iter().any(|(k, _)| *k == key) {
                correlated.push((
                    key,
                    finding(
                        "PM503",
                        Severity::Info,
                        format!(
                            "{scope}: rules at {} (`{}`, {}) and {} (`{}`, {}) overlap in part with different actions: their order decides the common traffic",
                            line_of(a.loc), a.text, a.action, line_of(b.loc), b.text, b.action
                        ),
                        "check that the order is the one intended",
                        b.loc,
                    ),
                ));
            }
        }
    }
    let mut parts: std::collections::HashMap<&Loc, Vec<usize>> = std::collections::HashMap::new();
    for (k, it) in items.iter().enumerate() {
        parts.entry(it.loc).or_default().push(k);
    }
    let mut groups: Vec<&Vec<usize>> = parts.values().collect();
    groups.sort_by_key(|g| g[0]);
    for g in groups {
        if g.iter().all(|&x| flagged[x].is_some()) {
            if let Some(f) = flagged[g[0]].take() {
                out.push(f);
            }
        }
    }
    out.extend(correlated.into_iter().map(|(_, f)| f));
    if truncated {
        out.push(finding(
            "PM503",
            Severity::Info,
            format!("{scope}: too many overlapping rules to compare every pair (limit {MAX_COMPARISONS}); anomalies may be missing"),
            "split the chain",
            limit_loc,
        ));
    }
}

/// The source addresses of an item as one interval of one family, when they are that.
fn src_interval(it: &Item) -> Option<(bool, u128, u128)> {
    match (it.shape.src.v4.0.as_slice(), it.shape.src.v6.0.as_slice()) {
        ([(lo, hi)], []) => Some((false, *lo, *hi)),
        ([], [(lo, hi)]) => Some((true, *lo, *hi)),
        _ => None,
    }
}

/// Adds the pairs of `list` whose source intervals overlap and that `keep` accepts. Items
/// without one source interval pair with every other.
fn sweep(
    items: &[Item],
    list: &[usize],
    keep: &dyn Fn(usize, usize) -> bool,
    pairs: &mut Vec<(usize, usize)>,
    budget: &mut usize,
    truncated: &mut bool,
) {
    // Returns false once the budget is spent.
    let mut add = |a: usize, b: usize| -> bool {
        if a == b || !keep(a, b) {
            return true;
        }
        if *budget == 0 {
            *truncated = true;
            return false;
        }
        *budget -= 1;
        pairs.push((a.min(b), a.max(b)));
        true
    };
    let mut narrow: Vec<(bool, u128, u128, usize)> = Vec::new();
    let mut other: Vec<usize> = Vec::new();
    for &i in list {
        match src_interval(&items[i]) {
            Some((v6, lo, hi)) => narrow.push((v6, lo, hi, i)),
            None => other.push(i),
        }
    }
    narrow.sort_unstable();
    for (x, &(v6, _, hi, a)) in narrow.iter().enumerate() {
        for &(v6b, lo_b, _, b) in &narrow[x + 1..] {
            if v6b != v6 || lo_b > hi {
                break;
            }
            if !add(a, b) {
                return;
            }
        }
    }
    for &o in &other {
        for &i in list {
            if !add(o, i) {
                return;
            }
        }
    }
}

/// Rules every firewall starts with, which never decide a new connection between hosts:
/// loopback (`-i lo`), and conntrack states without NEW (`ESTABLISHED,RELATED`, `INVALID`).
/// Comparing them with the rest would only report that they overlap everything.
fn housekeeping(m: &FwMatch) -> bool {
    let lo = |i: &Option<Neg<String>>| i.as_ref().is_some_and(|i| !i.negated && i.value == "lo");
    let not_new = m
        .ct_state
        .as_ref()
        .is_some_and(|c| !c.negated && !c.value.contains(&CtState::New));
    lo(&m.iif) || lo(&m.oif) || not_new
}

/// Anomalies in every chain of a host firewall.
pub fn firewall(fw: &Firewall) -> Vec<Finding> {
    let mut out = Vec::new();
    for chain in &fw.chains {
        let items: Vec<Item> = chain
            .rules
            .iter()
            .filter(|r| r.partial.is_none() && !housekeeping(&r.matches))
            .filter_map(|r| {
                Some(Item {
                    shape: Shape::of(&r.matches),
                    iif: &r.matches.iif,
                    oif: &r.matches.oif,
                    action: action_of(&r.action)?,
                    loc: &r.loc,
                    text: r.text.clone(),
                })
            })
            .collect();
        let scope = format!("{} chain {}", fw.format.as_str(), chain.name);
        analyse(&items, &scope, &mut out, &chain.loc);
    }
    out
}

/// A Calico or Cilium rule as a firewall match, when its peers are addresses and ports only
/// (selector peers are compared only when identical).
fn lrule_shape(r: &LRule, ingress: bool) -> Option<(FwMatch, String)> {
    let (peer, own) = if ingress {
        (&r.src, &r.dst)
    } else {
        (&r.dst, &r.src)
    };
    let plain = |m: &EndpointMatch| {
        m.not_selector.is_none()
            && m.node_selector.is_none()
            && m.except.is_empty()
            && m.ports
                .as_ref()
                .is_none_or(|p| p.value.iter().all(|x| matches!(x, PortItem::Range(_))))
    };
    if !plain(peer) || !plain(own) || r.partial.is_some() {
        return None;
    }
    let ports = |m: &EndpointMatch| {
        m.ports.as_ref().map(|p| Neg {
            negated: p.negated,
            value: p
                .value
                .iter()
                .filter_map(|x| match x {
                    PortItem::Range(r) => Some(*r),
                    PortItem::Named(_) => None,
                })
                .collect(),
        })
    };
    let key = format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}",
        peer.selector, peer.namespace_selector, peer.same_namespace, peer.entities, own.selector
    );
    let m = FwMatch {
        protocol: r.protocol.clone(),
        src: if ingress {
            peer.nets.clone()
        } else {
            own.nets.clone()
        },
        dst: if ingress {
            own.nets.clone()
        } else {
            peer.nets.clone()
        },
        dport: ports(&r.dst),
        sport: ports(&r.src),
        ..Default::default()
    };
    Some((m, key))
}

/// Anomalies inside each Calico policy (rules in order) and each Cilium policy (a deny covering
/// an allow shadows it; an allow covered by another is redundant).
pub fn policy(pol: &LayerPolicy) -> Vec<Finding> {
    let mut out = Vec::new();
    for (ingress, rules) in [(true, &pol.ingress), (false, &pol.egress)] {
        let shaped: Vec<(&LRule, FwMatch, String)> = rules
            .iter()
            .filter(|r| matches!(r.action, LAction::Allow | LAction::Deny))
            .filter_map(|r| lrule_shape(r, ingress).map(|(m, k)| (r, m, k)))
            .collect();
        // Rules compare only within the same selector peers.
        let mut keys: Vec<&String> = shaped.iter().map(|s| &s.2).collect();
        keys.sort();
        keys.dedup();
        let dir = if ingress { "ingress" } else { "egress" };
        for key in keys {
            let mut group: Vec<(&LRule, &FwMatch)> = shaped
                .iter()
                .filter(|s| &s.2 == key)
                .map(|s| (s.0, &s.1))
                .collect();
            if pol.engine == Engine::Cilium {
                // No order in Cilium: denies come first in effect.
                group.sort_by_key(|(r, _)| r.action != LAction::Deny);
            }
            let items: Vec<Item> = group
                .iter()
                .map(|(r, m)| Item {
                    shape: Shape::of(m),
                    iif: &None,
                    oif: &None,
                    action: if r.action == LAction::Allow {
                        "accept"
                    } else {
                        "drop"
                    },
                    loc: &r.loc,
                    text: format!("{} rule at line {}", dir, r.loc.line),
                })
                .collect();
            let scope = format!("{} {}", pol.kind, pol.name);
            analyse(&items, &scope, &mut out, &pol.loc);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::parse_cidr;

    fn rule(line: u32, src: Option<&str>, dport: Option<(u16, u16)>, action: FwAction) -> FwRule {
        FwRule {
            loc: Loc {
                line,
                ..Loc::file_start("fw.rules")
            },
            text: format!("rule {line}"),
            matches: FwMatch {
                protocol: Some(Neg::is("tcp".into())),
                src: src.map(|s| Neg::is(vec![parse_cidr(s).unwrap()])),
                dport: dport.map(|d| Neg::is(vec![d])),
                ..Default::default()
            },
            action,
            partial: None,
        }
    }

    fn fw(rules: Vec<FwRule>) -> Firewall {
        Firewall {
            format: FirewallFormat::Iptables,
            file: "fw.rules".into(),
            loc: Loc::file_start("fw.rules"),
            chains: vec![Chain {
                name: "INPUT".into(),
                table: "filter".into(),
                family: Family::Ip4,
                hook: Some(Hook::Input),
                priority: 0,
                policy: Verdict::Drop,
                policy_loc: Loc::file_start("fw.rules"),
                loc: Loc::file_start("fw.rules"),
                rules,
            }],
            notes: vec![],
            zone: None,
        }
    }

    fn rules_of(f: &[Finding]) -> Vec<(String, u32)> {
        f.iter()
            .map(|x| (x.rule.clone(), x.loc.as_ref().map(|l| l.line).unwrap_or(0)))
            .collect()
    }

    #[test]
    fn shadowed_redundant_correlated() {
        let f = firewall(&fw(vec![
            rule(1, Some("10.0.0.0/8"), Some((2049, 2049)), FwAction::Drop),
            rule(2, Some("10.1.0.0/16"), Some((2049, 2049)), FwAction::Accept),
            rule(3, Some("10.0.0.0/8"), Some((3260, 3260)), FwAction::Accept),
            rule(4, Some("10.2.0.0/16"), Some((3260, 3260)), FwAction::Accept),
            rule(
                5,
                Some("192.168.0.0/16"),
                Some((8000, 8100)),
                FwAction::Accept,
            ),
            rule(6, Some("192.168.1.0/24"), None, FwAction::Drop),
        ]));
        let got = rules_of(&f);
        assert!(got.contains(&("PM501".into(), 2)), "{got:?}");
        assert!(got.contains(&("PM502".into(), 4)), "{got:?}");
        assert!(got.contains(&("PM503".into(), 6)), "{got:?}");
        assert_eq!(got.len(), 3, "{got:?}");
    }

    #[test]
    fn earlier_subset_redundant_unless_something_in_between() {
        let f = firewall(&fw(vec![
            rule(1, Some("10.1.0.0/16"), Some((22, 22)), FwAction::Accept),
            rule(2, Some("10.0.0.0/8"), Some((22, 22)), FwAction::Accept),
        ]));
        assert_eq!(rules_of(&f), vec![("PM502".into(), 1)]);
        let f = firewall(&fw(vec![
            rule(1, Some("10.1.0.0/16"), Some((22, 22)), FwAction::Accept),
            rule(2, Some("10.1.2.0/24"), Some((22, 22)), FwAction::Drop),
            rule(3, Some("10.0.0.0/8"), Some((22, 22)), FwAction::Accept),
        ]));
        // Rule 2 is shadowed by rule 1; rule 1 is not redundant (rule 2 sits in between).
        assert_eq!(rules_of(&f), vec![("PM501".into(), 2)]);
    }

    #[test]
    fn loopback_and_established_rules_are_not_compared() {
        let mut lo = rule(1, None, None, FwAction::Accept);
        lo.matches.protocol = None;
        lo.matches.iif = Some(Neg::is("lo".to_string()));
        let mut established = rule(2, None, None, FwAction::Accept);
        established.matches.protocol = None;
        established.matches.ct_state = Some(Neg::is(vec![CtState::Established, CtState::Related]));
        let f = firewall(&fw(vec![
            lo,
            established,
            rule(3, Some("10.0.0.0/8"), Some((22, 22)), FwAction::Drop),
        ]));
        assert_eq!(rules_of(&f), vec![]);
        // The same broad ACCEPT without the loopback condition does shadow the DROP.
        let f = firewall(&fw(vec![
            rule(1, None, None, FwAction::Accept),
            rule(3, Some("10.0.0.0/8"), Some((22, 22)), FwAction::Drop),
        ]));
        assert_eq!(rules_of(&f), vec![("PM501".into(), 3)]);
    }

    #[test]
    fn negation_and_sets() {
        let all = Set::full(65535);
        let s = Set::from(vec![(10, 20), (21, 30), (40, 50)]);
        assert_eq!(s.0, vec![(10, 30), (40, 50)]);
        let c = s.complement(65535);
        assert!(!c.intersects(&s));
        assert!(all.contains(&c));
        assert_eq!(Set::full(65535).complement(65535).0, vec![]);
    }
}
