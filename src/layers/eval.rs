//! Decides, for each required flow, what every enforcement layer other than NetworkPolicy does
//! with each of its atoms. NetworkPolicy itself is decided by the Rego rules, which combine it
//! with these decisions (`policies/portmatrix/verdicts.rego`):
//!
//! - pod-network endpoints, per direction ([`DirLayers`]): AdminNetworkPolicy, Calico tiers and
//!   Cilium deny rules decide first (`pre`); then NetworkPolicy, Calico default-tier allows and
//!   Cilium allows add up (`allow`, `isolated`); Calico default-tier denies ordered after
//!   NetworkPolicy (`post`); BaselineAdminNetworkPolicy last, only where nothing isolates the pod
//!   (`baseline`);
//! - host enforcement points ([`Point`]): each host firewall, Calico HostEndpoint and Cilium host
//!   policy on the path must allow the atom (and the FORWARD chain for pod traffic).

use super::*;
use crate::flows::{Atom, Endpoint, RequiredFlow};
use crate::net;
use crate::profile::{ClusterProfile, HostBinding};
use std::collections::BTreeMap;

/// Source ports of new connections (Linux's default ephemeral range).
const EPHEMERAL: PortRange = (32768, 60999);

/// Deepest chain of jumps a firewall walk follows (iptables allows far less in practice).
const MAX_JUMPS: usize = 64;

/// Calico's failsafe ports (Felix defaults): always open on host endpoints.
const FAILSAFE_IN: &[(&str, u16)] = &[
    ("TCP", 22),
    ("UDP", 68),
    ("TCP", 179),
    ("TCP", 2379),
    ("TCP", 2380),
    ("TCP", 5473),
    ("TCP", 6443),
    ("TCP", 6666),
    ("TCP", 6667),
];
const FAILSAFE_OUT: &[(&str, u16)] = &[
    ("UDP", 53),
    ("UDP", 67),
    ("TCP", 179),
    ("TCP", 2379),
    ("TCP", 2380),
    ("TCP", 5473),
    ("TCP", 6443),
    ("TCP", 6666),
    ("TCP", 6667),
];

/// Who decided an atom, for `decided_by`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Decider {
    /// `calico`, `cilium`, `admin`, `baseline`, `iptables`, `nftables`, `firewalld`.
    pub layer: String,
    /// The policy (`namespace/name`), or `file chain` for firewalls.
    pub policy: String,
    /// `allow`, `deny` or `isolate`.
    pub effect: String,
    pub loc: Loc,
    /// `file:line` of `loc`, for messages.
    pub at: String,
    /// The rule as written (firewalls), for messages.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// Indices of the atoms this decided.
    pub atoms: Vec<usize>,
}

/// Decisions of the pod-policy layers for one direction of a flow.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DirLayers {
    /// Final decisions before NetworkPolicy (ANP, Calico tiers, Cilium deny).
    pub pre: Vec<Decider>,
    /// Whether a layer other than NetworkPolicy isolates the pod in this direction.
    pub isolated: bool,
    pub isolated_by: Vec<Decider>,
    /// Allows that add up with NetworkPolicy's (Cilium, Calico default tier after NP's order).
    pub allow: Vec<Decider>,
    /// Denies that apply when neither NetworkPolicy nor `allow` allows (Calico default tier).
    pub post: Vec<Decider>,
    /// BaselineAdminNetworkPolicy: only where nothing isolates the pod.
    pub baseline: Vec<Decider>,
}

impl DirLayers {
    fn is_empty(&self) -> bool {
        self.pre.is_empty()
            && !self.isolated
            && self.allow.is_empty()
            && self.post.is_empty()
            && self.baseline.is_empty()
    }
}

/// One host enforcement point on the flow's path: every one must allow.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// `iptables`, `nftables`, `firewalld`, `calico-host`, `cilium-host`.
    pub layer: String,
    /// The file (firewalls) or the host endpoint / policy set.
    pub name: String,
    /// `egress` (the source host's output), `ingress` (the destination's input), `forward`.
    pub direction: String,
    pub allowed: Vec<usize>,
    pub decided_by: Vec<Decider>,
    /// Why the point decides as it does, when no rule decides (set for node-local traffic).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoteOut {
    pub message: String,
    pub loc: Loc,
}

/// Everything the layers say about one flow (serialized as the flow's `layers`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlowLayers {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub egress: Option<DirLayers>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingress: Option<DirLayers>,
    pub points: Vec<Point>,
    /// Things a deciding rule or policy could not model: the verdict is `partial`.
    pub notes: Vec<NoteOut>,
}

impl FlowLayers {
    pub fn is_empty(&self) -> bool {
        self.egress.is_none() && self.ingress.is_none() && self.points.is_empty()
    }
}

/// What the evaluator needs besides the layers.
pub struct Ctx<'a> {
    pub layers: &'a Layers,
    /// Namespace labels (with the implied `kubernetes.io/metadata.name`).
    pub namespaces: &'a BTreeMap<String, Labels>,
    pub cluster: &'a ClusterProfile,
    /// The profile's `hosts:` entries: which firewall files apply to which roles.
    pub hosts: &'a [HostBinding],
}

/// A packet: one atom's representative point.
#[derive(Debug, Clone, Copy)]
struct Packet<'a> {
    protocol: &'a str,
    port: u16,
    src: Option<(bool, u128)>,
    dst: Option<(bool, u128)>,
    /// Over the loopback interface (a node talking to itself).
    local: bool,
}

fn addr_of(s: &Option<String>) -> Option<(bool, u128)> {
    let r = net::parse_cidr(s.as_deref()?)?;
    Some((r.v6, r.lo))
}

fn packet(atom: &Atom, local: bool) -> Packet<'_> {
    Packet {
        protocol: &atom.protocol,
        port: atom.port,
        src: addr_of(&atom.src),
        dst: addr_of(&atom.dst),
        local,
    }
}

/// `TCP`, `UDP`, `SCTP`, ... from a name or an IANA number, as written in any format.
pub fn normalize_protocol(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "tcp" | "6" => "TCP".into(),
        "udp" | "17" => "UDP".into(),
        "sctp" | "132" => "SCTP".into(),
        "icmp" | "1" => "ICMP".into(),
        "icmpv6" | "ipv6-icmp" | "58" => "ICMPV6".into(),
        "all" | "any" | "0" => "ANY".into(),
        other => other.to_ascii_uppercase(),
    }
}

fn protocol_matches(cond: &Option<Neg<Protocol>>, protocol: &str) -> bool {
    match cond {
        None => true,
        Some(n) => {
            let want = normalize_protocol(&n.value);
            let hit = want == "ANY" || want == protocol;
            hit != n.negated
        }
    }
}

fn in_ranges(ranges: &[AddrRange], a: Option<(bool, u128)>) -> Option<bool> {
    let (v6, x) = a?;
    Some(ranges.iter().any(|r| r.v6 == v6 && r.lo <= x && x <= r.hi))
}

/// An address condition. An address the profile does not give is taken to be inside the set, as
/// for NetworkPolicy's ipBlocks (the verdict's reason says so): the rule is assumed to name the
/// intended peers.
fn addr_matches(cond: &Option<Neg<Vec<AddrRange>>>, a: Option<(bool, u128)>) -> bool {
    match cond {
        None => true,
        Some(n) => in_ranges(&n.value, a).unwrap_or(true) != n.negated,
    }
}

fn port_in(ranges: &[PortRange], p: u16) -> bool {
    ranges.iter().any(|&(lo, hi)| lo <= p && p <= hi)
}

fn dport_matches(cond: &Option<Neg<Vec<PortRange>>>, p: u16) -> bool {
    match cond {
        None => true,
        Some(n) => port_in(&n.value, p) != n.negated,
    }
}

/// Source ports are ephemeral: a condition holds only if it holds for the whole range.
fn sport_matches(cond: &Option<Neg<Vec<PortRange>>>) -> bool {
    match cond {
        None => true,
        Some(n) => {
            let covers = n
                .value
                .iter()
                .any(|&(lo, hi)| lo <= EPHEMERAL.0 && EPHEMERAL.1 <= hi);
            let touches = n
                .value
                .iter()
                .any(|&(lo, hi)| lo <= EPHEMERAL.1 && EPHEMERAL.0 <= hi);
            if n.negated {
                !touches
            } else {
                covers
            }
        }
    }
}

/// Interfaces: `lo` for a node's own traffic; any other named interface is assumed to carry the
/// rest (portmatrix does not know the node's interface names).
fn iface_matches(cond: &Option<Neg<String>>, local: bool) -> bool {
    match cond {
        None => true,
        Some(n) => {
            let name = n.value.trim_end_matches(['+', '*']);
            let wildcard = n.value.len() != name.len();
            let is_lo = if wildcard {
                "lo".starts_with(name)
            } else {
                name == "lo"
            };
            let hit = if local { is_lo } else { !is_lo || wildcard };
            hit != n.negated
        }
    }
}

fn family_of(p: &Packet) -> Family {
    match p.src.or(p.dst) {
        Some((true, _)) => Family::Ip6,
        _ => Family::Ip4,
    }
}

fn family_ok(chain: Family, packet: Family) -> bool {
    chain == Family::Inet || chain == packet
}

fn fw_matches(m: &FwMatch, p: &Packet) -> bool {
    if let Some(f) = m.family {
        if !family_ok(f, family_of(p)) {
            return false;
        }
    }
    protocol_matches(&m.protocol, p.protocol)
        && addr_matches(&m.src, p.src)
        && addr_matches(&m.dst, p.dst)
        && dport_matches(&m.dport, p.port)
        && sport_matches(&m.sport)
        && iface_matches(&m.iif, p.local)
        && iface_matches(&m.oif, p.local)
        && match &m.ct_state {
            None => true,
            Some(n) => n.value.contains(&CtState::New) != n.negated,
        }
}

/// A firewall's answer for one packet at one hook.
struct FwOutcome<'a> {
    verdict: Verdict,
    /// The deciding rule; `None`: the chain's policy.
    rule: Option<&'a FwRule>,
    chain: &'a Chain,
    partial: Vec<&'a Note>,
}

enum Walk<'a> {
    Verdict(Verdict, &'a FwRule),
    /// Fell off the end of the chain (or RETURN).
    End,
}

/// Walks a chain. Rules with unmodelled matches (`partial`) are taken to match as modelled when
/// `uncertain_match` is set, and never to match otherwise: the two walks bound what the rule can
/// do (see [`fw_decide`]).
fn walk<'a>(
    fw: &'a Firewall,
    chain: &'a Chain,
    p: &Packet,
    depth: usize,
    partial: &mut Vec<&'a Note>,
    uncertain_match: bool,
) -> Walk<'a> {
    if depth > MAX_JUMPS {
        return Walk::End;
    }
    for rule in &chain.rules {
        if !fw_matches(&rule.matches, p) {
            continue;
        }
        if let Some(n) = &rule.partial {
            // A rule that cannot change the verdict (LOG, counters) needs no note.
            if matches!(rule.action, FwAction::Continue) {
                continue;
            }
            if !uncertain_match {
                continue;
            }
            partial.push(n);
        }
        match &rule.action {
            FwAction::Accept => return Walk::Verdict(Verdict::Accept, rule),
            FwAction::Drop => return Walk::Verdict(Verdict::Drop, rule),
            FwAction::Reject => return Walk::Verdict(Verdict::Reject, rule),
            FwAction::Return => return Walk::End,
            FwAction::Continue => {}
            FwAction::Jump(target) | FwAction::Goto(target) => {
                let Some(next) = fw.chains.iter().find(|c| {
                    &c.name == target && c.table == chain.table && c.family == chain.family
                }) else {
                    continue;
                };
                match walk(fw, next, p, depth + 1, partial, uncertain_match) {
                    Walk::Verdict(v, r) => return Walk::Verdict(v, r),
                    Walk::End => {
                        if matches!(rule.action, FwAction::Goto(_)) {
                            return Walk::End;
                        }
                    }
                }
            }
        }
    }
    Walk::End
}

/// Runs the base chains of `hook` in priority order: every one must accept. When a rule with
/// unmodelled matches takes part, the walk is redone as if such rules never matched: if both
/// walks agree, the verdict stands without a note (the unknown part cannot change it).
fn fw_decide<'a>(fw: &'a Firewall, hook: Hook, p: &Packet) -> Option<FwOutcome<'a>> {
    let first = fw_decide_with(fw, hook, p, true)?;
    if first.partial.is_empty() {
        return Some(first);
    }
    match fw_decide_with(fw, hook, p, false) {
        Some(other) if other.verdict == first.verdict => Some(FwOutcome {
            partial: Vec::new(),
            ..first
        }),
        _ => Some(first),
    }
}

fn fw_decide_with<'a>(
    fw: &'a Firewall,
    hook: Hook,
    p: &Packet,
    uncertain_match: bool,
) -> Option<FwOutcome<'a>> {
    let family = family_of(p);
    let mut bases: Vec<&Chain> = fw
        .chains
        .iter()
        .filter(|c| c.hook == Some(hook) && family_ok(c.family, family))
        .collect();
    if bases.is_empty() {
        return None;
    }
    bases.sort_by_key(|c| c.priority);
    let mut partial = Vec::new();
    let mut last = None;
    for chain in bases {
        let (verdict, rule) = match walk(fw, chain, p, 0, &mut partial, uncertain_match) {
            Walk::Verdict(v, r) => (v, Some(r)),
            Walk::End => (chain.policy, None),
        };
        let out = FwOutcome {
            verdict,
            rule,
            chain,
            partial: Vec::new(),
        };
        if verdict != Verdict::Accept {
            return Some(FwOutcome { partial, ..out });
        }
        last = Some(out);
    }
    last.map(|o| FwOutcome { partial, ..o })
}

/// The firewalld zone that handles a packet from `src`: by source, else the default zone
/// (`public`, else the only zone without sources).
fn pick_zone<'a>(zones: &[&'a Firewall], src: Option<(bool, u128)>) -> Option<&'a Firewall> {
    if let Some(z) = zones.iter().find(|f| {
        f.zone
            .as_ref()
            .is_some_and(|z| in_ranges(&z.sources, src).unwrap_or(false))
    }) {
        return Some(z);
    }
    zones
        .iter()
        .find(|f| f.zone.as_ref().is_some_and(|z| z.name == "public"))
        .or_else(|| {
            zones
                .iter()
                .find(|f| f.zone.as_ref().is_some_and(|z| z.sources.is_empty()))
        })
        .copied()
}

/// Simple glob: `*` within a path segment, `**` across segments, `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some(b'*') => {
                if p.get(1) == Some(&b'*') {
                    let rest = p[2..].strip_prefix(b"/").unwrap_or(&p[2..]);
                    (0..=t.len()).any(|i| go(rest, &t[i..]) || go(&p[2..], &t[i..]))
                } else {
                    (0..=t.len())
                        .take_while(|&i| i == 0 || t[i - 1] != b'/')
                        .any(|i| go(&p[1..], &t[i..]))
                }
            }
            Some(b'?') => !t.is_empty() && t[0] != b'/' && go(&p[1..], &t[1..]),
            Some(c) => t.first() == Some(c) && go(&p[1..], &t[1..]),
        }
    }
    // Patterns without a slash match the file name in any directory.
    if !pattern.contains('/') {
        let name = text.rsplit('/').next().unwrap_or(text);
        return go(pattern.as_bytes(), name.as_bytes());
    }
    go(pattern.as_bytes(), text.trim_start_matches("./").as_bytes())
}

/// Roles present on every node.
fn node_wide(role: &str) -> bool {
    matches!(role, "kubelet" | "nodes")
}

/// Whether a host firewall file applies to the host of an endpoint with this role.
fn file_applies(hosts: &[HostBinding], file: &str, role: &str, kind: &str) -> bool {
    let bound: Vec<&HostBinding> = hosts
        .iter()
        .filter(|h| h.files.iter().any(|g| glob_match(g, file)))
        .collect();
    if bound.is_empty() {
        // By default a host firewall file applies to every node (not to external addresses).
        return kind != "external";
    }
    bound
        .iter()
        .any(|h| h.roles.iter().any(|r| r == role || r == "all") || node_wide(role))
}

/// The host-side role of an endpoint for choosing firewalls: a node-local endpoint (the
/// kubelet) sits on the other end's host.
fn host_role<'e>(ep: &'e Endpoint, other: &'e Endpoint) -> &'e str {
    if ep.kind == "node-local" {
        &other.role
    } else {
        &ep.role
    }
}

// ---------------------------------------------------------------------------------------------
// Selector-based layers
// ---------------------------------------------------------------------------------------------

/// What a selector sees of an endpoint.
struct View<'a> {
    ep: &'a Endpoint,
    /// The endpoint's labels, with those Calico adds to workload endpoints
    /// (`projectcalico.org/namespace`, `projectcalico.org/orchestrator`).
    labels: Labels,
    ns_labels: Option<Labels>,
    /// Labels of the Calico host endpoints that cover this endpoint (host kinds only).
    hep_labels: Vec<&'a Labels>,
}

impl<'a> View<'a> {
    fn new(ctx: &'a Ctx, ep: &'a Endpoint, addr: Option<(bool, u128)>) -> View<'a> {
        let ns_labels = ep.namespace.as_ref().map(|ns| {
            let mut l = ctx.namespaces.get(ns).cloned().unwrap_or_else(|| {
                [("kubernetes.io/metadata.name".to_string(), ns.clone())].into()
            });
            l.insert("projectcalico.org/name".into(), ns.clone());
            l
        });
        let hep_labels = if matches!(ep.kind.as_str(), "host" | "node-local") {
            heps_for(ctx.layers, addr).map(|h| &h.labels).collect()
        } else {
            Vec::new()
        };
        let mut labels = ep.labels.clone();
        if let (Some(ns), "pod") = (&ep.namespace, ep.kind.as_str()) {
            labels.insert("projectcalico.org/namespace".into(), ns.clone());
            labels.insert("projectcalico.org/orchestrator".into(), "k8s".into());
        }
        View {
            ep,
            labels,
            ns_labels,
            hep_labels,
        }
    }

    fn is_pod(&self) -> bool {
        self.ep.kind == "pod"
    }

    fn is_host(&self) -> bool {
        matches!(self.ep.kind.as_str(), "host" | "node-local")
    }
}

/// The host endpoints that may carry traffic of a host address: those whose expected IPs contain
/// it, or all of them when none lists addresses (or the address is unknown).
fn heps_for(layers: &Layers, addr: Option<(bool, u128)>) -> impl Iterator<Item = &HostEndpoint> {
    let listed: Vec<&HostEndpoint> = layers
        .host_endpoints
        .iter()
        .filter(|h| in_ranges(&h.expected_ips, addr).unwrap_or(false))
        .collect();
    let all = listed.is_empty();
    layers
        .host_endpoints
        .iter()
        .filter(move |h| all || listed.iter().any(|l| std::ptr::eq(*l, *h)))
}

fn entity_matches(entities: &[Entity], v: &View) -> bool {
    entities.iter().any(|e| {
        let e = e.as_str();
        match v.ep.kind.as_str() {
            "pod" => matches!(e, "cluster" | "all"),
            "host" | "node-local" => matches!(e, "host" | "remote-node" | "cluster" | "all"),
            _ if v.ep.role == "apiserver" => {
                matches!(
                    e,
                    "kube-apiserver" | "world" | "world-ipv4" | "world-ipv6" | "all"
                )
            }
            _ => matches!(e, "world" | "world-ipv4" | "world-ipv6" | "all"),
        }
    })
}

/// Whether `m` matches the endpoint `v` (ports checked separately).
fn endpoint_matches(
    engine: Engine,
    m: &EndpointMatch,
    v: &View,
    addr: Option<(bool, u128)>,
    layers: &Layers,
    notes: &mut Vec<String>,
) -> bool {
    let sel_hit = |sel: &SelExpr| -> bool {
        if v.is_pod() {
            return sel.matches(&v.labels, false);
        }
        if engine == Engine::Calico {
            if v.is_host() {
                return v.hep_labels.iter().any(|l| sel.matches(l, true));
            }
            // External addresses: Calico network sets with matching labels.
            return layers.network_sets.iter().any(|s| {
                sel.matches(&s.labels, s.namespace.is_none())
                    && in_ranges(&s.nets, addr).unwrap_or(true)
            });
        }
        false
    };
    if let Some(sel) = &m.selector {
        if !sel_hit(sel) {
            return false;
        }
    }
    if let Some(sel) = &m.not_selector {
        if sel_hit(sel) {
            return false;
        }
    }
    if let Some(ns) = &m.same_namespace {
        if !(v.is_pod() && v.ep.namespace.as_deref() == Some(ns.as_str())) {
            return false;
        }
    }
    if let Some(sel) = &m.namespace_selector {
        let hit = match &v.ns_labels {
            Some(l) if v.is_pod() => sel.matches(l, false),
            _ => sel == &SelExpr::Global && !v.is_pod(),
        };
        if !hit {
            return false;
        }
    }
    if let Some(sel) = &m.node_selector {
        if !v.is_host() {
            return false;
        }
        if sel != &SelExpr::All {
            notes.push(format!(
                "node labels are not known: assumed the node selector ({}) selects the nodes",
                sel.keys().join(", ")
            ));
        }
    }
    if let Some(nets) = &m.nets {
        // Cilium's CIDR rules do not match cluster endpoints (pods, nodes).
        if engine == Engine::Cilium && v.ep.kind != "external" {
            return nets.negated;
        }
        let inside = in_ranges(&nets.value, addr).unwrap_or(true)
            && !in_ranges(&m.except, addr).unwrap_or(false);
        if inside == nets.negated {
            return false;
        }
    } else if !m.except.is_empty() && in_ranges(&m.except, addr).unwrap_or(false) {
        return false;
    }
    if !m.entities.is_empty() && !entity_matches(&m.entities, v) {
        return false;
    }
    true
}

fn ports_match(m: &EndpointMatch, port: u16, named: &BTreeMap<String, u16>, dst: bool) -> bool {
    let Some(ports) = &m.ports else {
        return true;
    };
    if !dst {
        // Source ports are ephemeral.
        let ranges: Vec<PortRange> = ports
            .value
            .iter()
            .filter_map(|p| match p {
                PortItem::Range(r) => Some(*r),
                PortItem::Named(_) => None,
            })
            .collect();
        return sport_matches(&Some(Neg {
            negated: ports.negated,
            value: ranges,
        }));
    }
    let hit = ports.value.iter().any(|p| match p {
        PortItem::Range((lo, hi)) => *lo <= port && port <= *hi,
        PortItem::Named(n) => named.get(n) == Some(&port),
    });
    hit != ports.negated
}

/// The subject of a direction and its peer: egress is decided at the source, ingress at the
/// destination.
struct Dir<'a> {
    ingress: bool,
    subject: View<'a>,
    peer: View<'a>,
}

fn subject_selects(ctx: &Ctx, pol: &LayerPolicy, v: &View) -> bool {
    match &pol.subject {
        Subject::Pods { namespace, pods } => {
            if !v.is_pod() {
                return false;
            }
            let ns_ok = match (namespace, &pol.namespace) {
                (Some(sel), _) => v.ns_labels.as_ref().is_some_and(|l| sel.matches(l, false)),
                (None, Some(ns)) => v.ep.namespace.as_deref() == Some(ns.as_str()),
                (None, None) => true,
            };
            ns_ok && pods.matches(&v.labels, false)
        }
        Subject::Endpoints {
            namespace,
            selector,
        } => {
            if v.is_pod() {
                let ns_ok = namespace
                    .as_ref()
                    .is_none_or(|sel| v.ns_labels.as_ref().is_some_and(|l| sel.matches(l, false)));
                ns_ok && selector.matches(&v.labels, false)
            } else if v.is_host() {
                v.hep_labels.iter().any(|l| selector.matches(l, true))
            } else {
                false
            }
        }
        Subject::Hosts { selector } => {
            let _ = ctx;
            if !v.is_host() {
                return false;
            }
            if pol.engine == Engine::Calico {
                v.hep_labels.iter().any(|l| selector.matches(l, true))
            } else {
                true
            }
        }
    }
}

fn governs(pol: &LayerPolicy, ingress: bool) -> bool {
    let want = if ingress { "Ingress" } else { "Egress" };
    pol.types.iter().any(|t| t == want)
}

/// The rule's verdict on a packet, if it matches.
fn rule_hits(
    pol: &LayerPolicy,
    rule: &LRule,
    d: &Dir,
    p: &Packet,
    named: &BTreeMap<String, u16>,
    layers: &Layers,
    notes: &mut Vec<String>,
) -> bool {
    if !protocol_matches(&rule.protocol, p.protocol) {
        return false;
    }
    let (src, dst) = if d.ingress {
        (&d.peer, &d.subject)
    } else {
        (&d.subject, &d.peer)
    };
    let mut local = Vec::new();
    let hit = endpoint_matches(pol.engine, &rule.src, src, p.src, layers, &mut local)
        && endpoint_matches(pol.engine, &rule.dst, dst, p.dst, layers, &mut local)
        && ports_match(&rule.src, p.port, named, false)
        && ports_match(&rule.dst, p.port, named, true);
    if hit {
        notes.extend(local);
    }
    hit
}

fn policy_label(pol: &LayerPolicy) -> String {
    match &pol.namespace {
        Some(ns) => format!("{} {ns}/{}", pol.kind, pol.name),
        None => format!("{} {}", pol.kind, pol.name),
    }
}

fn layer_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Calico => "calico",
        Engine::Cilium => "cilium",
        Engine::Admin => "admin",
        Engine::Baseline => "baseline",
    }
}

/// Adds atom `i` to the decider for (policy, rule loc, effect), creating it if new.
fn push(list: &mut Vec<Decider>, layer: &str, policy: String, effect: &str, loc: &Loc, i: usize) {
    if let Some(d) = list
        .iter_mut()
        .find(|d| d.loc == *loc && d.effect == effect && d.policy == policy)
    {
        if d.atoms.last() != Some(&i) {
            d.atoms.push(i);
        }
        return;
    }
    list.push(Decider {
        layer: layer.to_string(),
        policy,
        effect: effect.to_string(),
        loc: loc.clone(),
        at: format!("{}:{}", loc.file, loc.line),
        text: String::new(),
        atoms: vec![i],
    });
}

struct Acc<'n> {
    notes: &'n mut Vec<NoteOut>,
}

impl Acc<'_> {
    fn note(&mut self, message: String, loc: &Loc) {
        if !self
            .notes
            .iter()
            .any(|n| n.message == message && n.loc == *loc)
        {
            self.notes.push(NoteOut {
                message,
                loc: loc.clone(),
            });
        }
    }

    fn partial(&mut self, pol: &LayerPolicy, rule: Option<&LRule>, extra: Vec<String>) {
        for n in &pol.notes {
            self.note(n.message.clone(), &n.loc);
        }
        if let Some(n) = rule.and_then(|r| r.partial.as_ref()) {
            self.note(n.message.clone(), &n.loc);
        }
        for e in extra {
            let loc = rule.map(|r| &r.loc).unwrap_or(&pol.loc).clone();
            self.note(e, &loc);
        }
    }
}

fn tier_order(layers: &Layers, name: &str) -> (f64, String) {
    let order = layers
        .tiers
        .iter()
        .find(|t| t.name == name)
        .and_then(|t| t.order)
        .unwrap_or(if name == "default" {
            1_000_000.0
        } else {
            f64::INFINITY
        });
    (order, name.to_string())
}

fn tier_default(layers: &Layers, name: &str) -> LAction {
    layers
        .tiers
        .iter()
        .find(|t| t.name == name)
        .map(|t| t.default_action)
        .unwrap_or(LAction::Deny)
}

fn sorted(mut v: Vec<&LayerPolicy>) -> Vec<&LayerPolicy> {
    v.sort_by(|a, b| {
        let ka = a.order.unwrap_or(f64::INFINITY);
        let kb = b.order.unwrap_or(f64::INFINITY);
        ka.total_cmp(&kb).then_with(|| a.name.cmp(&b.name))
    });
    v
}

/// The order at which Calico places Kubernetes NetworkPolicies in the default tier.
const NP_ORDER: f64 = 1000.0;

/// Calico for a pod (tiers, NetworkPolicy's place in the default tier) or a host endpoint.
fn calico_dir(
    ctx: &Ctx,
    d: &Dir,
    atoms: &[Atom],
    named: &BTreeMap<String, u16>,
    out: &mut DirLayers,
    acc: &mut Acc,
    host: bool,
) {
    let pols: Vec<&LayerPolicy> = ctx
        .layers
        .policies
        .iter()
        .filter(|p| p.engine == Engine::Calico && governs(p, d.ingress))
        .filter(|p| subject_selects(ctx, p, &d.subject))
        .collect();
    if pols.is_empty() {
        return;
    }
    let mut tiers: Vec<(f64, String)> = pols
        .iter()
        .map(|p| tier_order(ctx.layers, &p.tier))
        .collect();
    tiers.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    tiers.dedup_by(|a, b| a.1 == b.1);
    let dir = if d.ingress { "ingress" } else { "egress" };
    for (i, atom) in atoms.iter().enumerate() {
        let p = packet(
            atom,
            d.subject.ep.kind == "node-local" || d.peer.ep.kind == "node-local",
        );
        'tiers: for (_, tier) in &tiers {
            let in_tier = sorted(pols.iter().copied().filter(|p| &p.tier == tier).collect());
            let default_tier = tier == "default" && !host;
            for pol in &in_tier {
                let rules = if d.ingress { &pol.ingress } else { &pol.egress };
                for rule in rules {
                    let mut extra = Vec::new();
                    if !rule_hits(pol, rule, d, &p, named, ctx.layers, &mut extra) {
                        continue;
                    }
                    let after_np = default_tier && pol.order.is_none_or(|o| o > NP_ORDER);
                    match rule.action {
                        LAction::Log => continue,
                        LAction::Pass => continue 'tiers,
                        LAction::Allow | LAction::Deny => {
                            acc.partial(pol, Some(rule), extra);
                            // After NetworkPolicy's order, allows add up with its allows and
                            // denies apply only where nothing allowed.
                            let (effect, list) = match (rule.action, after_np) {
                                (LAction::Allow, true) => ("allow", &mut out.allow),
                                (LAction::Allow, false) => ("allow", &mut out.pre),
                                (_, true) => ("deny", &mut out.post),
                                (_, false) => ("deny", &mut out.pre),
                            };
                            push(list, "calico", policy_label(pol), effect, &rule.loc, i);
                        }
                    }
                    break 'tiers;
                }
            }
            // Policies of this tier selected the endpoint and none matched.
            if default_tier {
                out.isolated = true;
                for pol in &in_tier {
                    push(
                        &mut out.isolated_by,
                        "calico",
                        policy_label(pol),
                        "isolate",
                        &pol.loc,
                        i,
                    );
                }
                break;
            }
            if tier_default(ctx.layers, tier) == LAction::Pass {
                continue;
            }
            if let Some(pol) = in_tier.first() {
                push(
                    &mut out.pre,
                    "calico",
                    policy_label(pol),
                    "deny",
                    &pol.loc,
                    i,
                );
            }
            break;
        }
    }
    let _ = dir;
}

/// Cilium for a pod: denies first, allows add up, selection isolates.
fn cilium_dir(
    ctx: &Ctx,
    d: &Dir,
    atoms: &[Atom],
    named: &BTreeMap<String, u16>,
    out: &mut DirLayers,
    acc: &mut Acc,
) {
    let pols: Vec<&LayerPolicy> = ctx
        .layers
        .policies
        .iter()
        .filter(|p| p.engine == Engine::Cilium && subject_selects(ctx, p, &d.subject))
        .collect();
    for pol in &pols {
        if governs(pol, d.ingress) {
            out.isolated = true;
            for i in 0..atoms.len() {
                push(
                    &mut out.isolated_by,
                    "cilium",
                    policy_label(pol),
                    "isolate",
                    &pol.loc,
                    i,
                );
            }
        }
    }
    for (i, atom) in atoms.iter().enumerate() {
        let p = packet(atom, false);
        for pol in &pols {
            let rules = if d.ingress { &pol.ingress } else { &pol.egress };
            for rule in rules {
                let mut extra = Vec::new();
                if !rule_hits(pol, rule, d, &p, named, ctx.layers, &mut extra) {
                    continue;
                }
                acc.partial(pol, Some(rule), extra);
                match rule.action {
                    LAction::Deny => push(
                        &mut out.pre,
                        "cilium",
                        policy_label(pol),
                        "deny",
                        &rule.loc,
                        i,
                    ),
                    LAction::Allow => push(
                        &mut out.allow,
                        "cilium",
                        policy_label(pol),
                        "allow",
                        &rule.loc,
                        i,
                    ),
                    _ => {}
                }
            }
        }
    }
    // A deny beats every allow: keep allows only for atoms no deny decided.
    let denied: Vec<usize> = out
        .pre
        .iter()
        .filter(|d| d.layer == "cilium")
        .flat_map(|d| d.atoms.clone())
        .collect();
    for a in &mut out.allow {
        if a.layer == "cilium" {
            a.atoms.retain(|i| !denied.contains(i));
        }
    }
    out.allow.retain(|a| !a.atoms.is_empty());
}

/// AdminNetworkPolicy (before NetworkPolicy) or BaselineAdminNetworkPolicy (after).
fn anp_dir(
    ctx: &Ctx,
    d: &Dir,
    atoms: &[Atom],
    named: &BTreeMap<String, u16>,
    engine: Engine,
    list: &mut Vec<Decider>,
    acc: &mut Acc,
) {
    let pols = sorted(
        ctx.layers
            .policies
            .iter()
            .filter(|p| p.engine == engine && subject_selects(ctx, p, &d.subject))
            .collect(),
    );
    if pols.is_empty() {
        return;
    }
    for (i, atom) in atoms.iter().enumerate() {
        let p = packet(atom, false);
        'pols: for pol in &pols {
            let rules = if d.ingress { &pol.ingress } else { &pol.egress };
            for rule in rules {
                let mut extra = Vec::new();
                if !rule_hits(pol, rule, d, &p, named, ctx.layers, &mut extra) {
                    continue;
                }
                let effect = match rule.action {
                    LAction::Allow => "allow",
                    LAction::Deny => "deny",
                    LAction::Pass => break 'pols,
                    LAction::Log => continue,
                };
                acc.partial(pol, Some(rule), extra);
                push(
                    list,
                    layer_name(engine),
                    policy_label(pol),
                    effect,
                    &rule.loc,
                    i,
                );
                break 'pols;
            }
        }
    }
}

/// Calico host endpoint policy at one end of a flow: failsafe ports, then tiers; an endpoint no
/// policy selects is denied.
fn calico_host_point(
    ctx: &Ctx,
    d: &Dir,
    atoms: &[Atom],
    named: &BTreeMap<String, u16>,
    acc: &mut Acc,
) -> Option<Point> {
    if d.subject.hep_labels.is_empty() {
        return None;
    }
    let dir = if d.ingress { "ingress" } else { "egress" };
    let mut layers_out = DirLayers::default();
    calico_dir(ctx, d, atoms, named, &mut layers_out, acc, true);
    let failsafe = if d.ingress { FAILSAFE_IN } else { FAILSAFE_OUT };
    let hep = ctx.layers.host_endpoints.iter().find(|h| {
        d.subject
            .hep_labels
            .iter()
            .any(|l| std::ptr::eq(*l, &h.labels))
    })?;
    let mut point = Point {
        layer: "calico-host".into(),
        name: format!("HostEndpoint {}", hep.name),
        direction: dir.into(),
        allowed: Vec::new(),
        decided_by: Vec::new(),
        reason: None,
    };
    for (i, atom) in atoms.iter().enumerate() {
        if failsafe
            .iter()
            .any(|(proto, port)| *proto == atom.protocol && *port == atom.port)
        {
            point.allowed.push(i);
            push(
                &mut point.decided_by,
                "calico-host",
                format!("HostEndpoint {} failsafe port", hep.name),
                "allow",
                &hep.loc,
                i,
            );
            continue;
        }
        let decided = layers_out.pre.iter().find(|x| x.atoms.contains(&i));
        match decided {
            Some(x) if x.effect == "allow" => {
                point.allowed.push(i);
                push(
                    &mut point.decided_by,
                    "calico-host",
                    x.policy.clone(),
                    "allow",
                    &x.loc,
                    i,
                );
            }
            Some(x) => push(
                &mut point.decided_by,
                "calico-host",
                x.policy.clone(),
                "deny",
                &x.loc,
                i,
            ),
            None if hep
                .profiles
                .iter()
                .any(|p| p == "projectcalico-default-allow") =>
            {
                point.allowed.push(i);
                push(
                    &mut point.decided_by,
                    "calico-host",
                    format!(
                        "HostEndpoint {} profile projectcalico-default-allow",
                        hep.name
                    ),
                    "allow",
                    &hep.loc,
                    i,
                );
            }
            None => {
                if !hep.profiles.is_empty() {
                    acc.note(
                        format!(
                            "HostEndpoint {} profiles ({}) are not modelled: assumed to allow nothing",
                            hep.name,
                            hep.profiles.join(", ")
                        ),
                        &hep.loc,
                    );
                }
                push(
                    &mut point.decided_by,
                    "calico-host",
                    format!("HostEndpoint {}", hep.name),
                    "isolate",
                    &hep.loc,
                    i,
                )
            }
        }
    }
    Some(point)
}

/// Cilium host policies (nodeSelector) at one end of a flow.
fn cilium_host_point(
    ctx: &Ctx,
    d: &Dir,
    atoms: &[Atom],
    named: &BTreeMap<String, u16>,
    acc: &mut Acc,
) -> Option<Point> {
    let pols: Vec<&LayerPolicy> = ctx
        .layers
        .policies
        .iter()
        .filter(|p| p.engine == Engine::Cilium && matches!(p.subject, Subject::Hosts { .. }))
        .filter(|p| governs(p, d.ingress))
        .collect();
    if pols.is_empty() || !d.subject.is_host() {
        return None;
    }
    for pol in &pols {
        if let Subject::Hosts { selector } = &pol.subject {
            if selector != &SelExpr::All {
                acc.note(
                    format!(
                        "node labels are not known: assumed {} selects this node",
                        policy_label(pol)
                    ),
                    &pol.loc,
                );
            }
        }
    }
    let mut out = DirLayers::default();
    cilium_dir(ctx, d, atoms, named, &mut out, acc);
    let dir = if d.ingress { "ingress" } else { "egress" };
    let mut point = Point {
        layer: "cilium-host".into(),
        name: "Cilium host policy".into(),
        direction: dir.into(),
        allowed: Vec::new(),
        decided_by: Vec::new(),
        reason: None,
    };
    for i in 0..atoms.len() {
        if let Some(x) = out.pre.iter().find(|x| x.atoms.contains(&i)) {
            push(
                &mut point.decided_by,
                "cilium-host",
                x.policy.clone(),
                "deny",
                &x.loc,
                i,
            );
        } else if let Some(x) = out.allow.iter().find(|x| x.atoms.contains(&i)) {
            point.allowed.push(i);
            push(
                &mut point.decided_by,
                "cilium-host",
                x.policy.clone(),
                "allow",
                &x.loc,
                i,
            );
        } else {
            for pol in &pols {
                push(
                    &mut point.decided_by,
                    "cilium-host",
                    policy_label(pol),
                    "isolate",
                    &pol.loc,
                    i,
                );
            }
        }
    }
    Some(point)
}

fn firewall_points(ctx: &Ctx, flow: &RequiredFlow, acc: &mut Acc) -> Vec<Point> {
    let local = flow.from.kind == "node-local" || flow.to.kind == "node-local";
    let mut points = Vec::new();
    // (endpoint, other end, hook, direction name)
    let mut sides: Vec<(&Endpoint, &Endpoint, Hook, &str)> = Vec::new();
    match flow.from.kind.as_str() {
        "host" | "node-local" => sides.push((&flow.from, &flow.to, Hook::Output, "egress")),
        "pod" => sides.push((&flow.from, &flow.to, Hook::Forward, "forward")),
        _ => sides.push((&flow.from, &flow.to, Hook::Output, "egress")),
    }
    match flow.to.kind.as_str() {
        "host" | "node-local" => sides.push((&flow.to, &flow.from, Hook::Input, "ingress")),
        "pod" => sides.push((&flow.to, &flow.from, Hook::Forward, "forward")),
        _ => sides.push((&flow.to, &flow.from, Hook::Input, "ingress")),
    }
    // A node talking to itself over `lo` passes its OUTPUT and then its INPUT; both ends are
    // the same host, judged once per hook.
    for (ep, other, hook, dir) in sides {
        let role = host_role(ep, other);
        let applies: Vec<&Firewall> = ctx
            .layers
            .firewalls
            .iter()
            .filter(|f| file_applies(ctx.hosts, &f.file, role, &ep.kind))
            .collect();
        // Forwarded pod traffic between two pods of one node passes FORWARD once.
        if hook == Hook::Forward
            && dir == "forward"
            && points.iter().any(|p: &Point| p.direction == "forward")
        {
            continue;
        }
        let (zones, plain): (Vec<&Firewall>, Vec<&Firewall>) =
            applies.into_iter().partition(|f| f.zone.is_some());
        for fw in plain {
            if let Some(point) = fw_point(flow, fw, hook, dir, local, |_| Some(fw), acc) {
                points.push(point);
            }
        }
        if !zones.is_empty() && hook == Hook::Input {
            let name = zones
                .iter()
                .map(|z| z.file.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let first = zones[0];
            if let Some(mut point) = fw_point(
                flow,
                first,
                hook,
                dir,
                local,
                |p| pick_zone(&zones, p.src),
                acc,
            ) {
                point.name = name;
                points.push(point);
            }
        }
    }
    points
}

fn fw_point<'a>(
    flow: &RequiredFlow,
    fw: &'a Firewall,
    hook: Hook,
    dir: &str,
    local: bool,
    choose: impl Fn(&Packet) -> Option<&'a Firewall>,
    acc: &mut Acc,
) -> Option<Point> {
    let mut point = Point {
        layer: fw.format.as_str().into(),
        name: fw.file.clone(),
        direction: dir.into(),
        allowed: Vec::new(),
        decided_by: Vec::new(),
        reason: None,
    };
    let mut judged = false;
    for (i, atom) in flow.atoms.iter().enumerate() {
        let p = packet(atom, local);
        let Some(chosen) = choose(&p) else {
            point.allowed.push(i);
            continue;
        };
        let Some(out) = fw_decide(chosen, hook, &p) else {
            point.allowed.push(i);
            continue;
        };
        judged = true;
        for n in &out.partial {
            acc.note(n.message.clone(), &n.loc);
        }
        let (effect, loc, text) = match (out.verdict, out.rule) {
            (Verdict::Accept, Some(r)) => ("allow", &r.loc, r.text.clone()),
            (_, Some(r)) => ("deny", &r.loc, r.text.clone()),
            (Verdict::Accept, None) => (
                "allow",
                &out.chain.policy_loc,
                format!("chain {} policy ACCEPT", out.chain.name),
            ),
            (v, None) => (
                "deny",
                &out.chain.policy_loc,
                format!(
                    "chain {} policy {}",
                    out.chain.name,
                    if v == Verdict::Drop { "DROP" } else { "REJECT" }
                ),
            ),
        };
        if effect == "allow" {
            point.allowed.push(i);
        }
        let policy = format!("{} {}", chosen.file, out.chain.name);
        push(
            &mut point.decided_by,
            chosen.format.as_str(),
            policy,
            effect,
            loc,
            i,
        );
        if let Some(d) = point.decided_by.iter_mut().find(|d| d.loc == *loc) {
            d.text = text;
        }
    }
    judged.then_some(point)
}

/// Whether a host-firewall file describes hosts that do not run `role` (an unbound file
/// describes every node).
pub fn file_exposes_beyond(ctx: &Ctx, file: &str, role: &str) -> bool {
    let bound: Vec<&HostBinding> = ctx
        .hosts
        .iter()
        .filter(|h| h.files.iter().any(|g| glob_match(g, file)))
        .collect();
    bound.is_empty() || bound.iter().any(|h| h.roles.iter().any(|r| r != role))
}

/// The rule (or chain policy) of `fw`'s OUTPUT that accepts some atom of `flow`, if any.
pub fn output_accepts(fw: &Firewall, flow: &RequiredFlow) -> Option<(Loc, String)> {
    for atom in &flow.atoms {
        let p = packet(atom, false);
        let Some(out) = fw_decide(fw, Hook::Output, &p) else {
            continue;
        };
        if out.verdict == Verdict::Accept {
            return Some(match out.rule {
                Some(r) => (r.loc.clone(), r.text.clone()),
                None => (
                    out.chain.policy_loc.clone(),
                    format!("chain {} policy ACCEPT", out.chain.name),
                ),
            });
        }
    }
    None
}

/// Whether Calico host-endpoint policy lets `hep` send `flow` (egress, the flow's source being
/// a host); returns the allowing rule.
pub fn calico_host_egress(
    ctx: &Ctx,
    flow: &RequiredFlow,
    hep: &HostEndpoint,
) -> Option<(Loc, String)> {
    let ns_none = None;
    let subject = View {
        ep: &flow.from,
        labels: flow.from.labels.clone(),
        ns_labels: ns_none.clone(),
        hep_labels: vec![&hep.labels],
    };
    let peer = View {
        ep: &flow.to,
        labels: flow.to.labels.clone(),
        ns_labels: ns_none,
        hep_labels: Vec::new(),
    };
    let d = Dir {
        ingress: false,
        subject,
        peer,
    };
    let named = BTreeMap::new();
    let mut notes = Vec::new();
    let mut acc = Acc { notes: &mut notes };
    let mut out = DirLayers::default();
    calico_dir(ctx, &d, &flow.atoms, &named, &mut out, &mut acc, true);
    out.pre
        .iter()
        .find(|x| x.effect == "allow")
        .map(|x| (x.loc.clone(), x.policy.clone()))
}

/// An address outside every cluster (TEST-NET-3 / the IPv6 documentation prefix), for asking
/// whether a host firewall admits the whole world.
const WORLD_V4: u128 = 0xCB00_7107; // 203.0.113.7
const WORLD_V6: u128 = 0x2001_0db8_0000_0000_0000_0000_0000_0007;

/// A host firewall that accepts a flow's packets from an arbitrary internet address.
pub struct WorldOpen<'a> {
    pub fw: &'a Firewall,
    pub chain: String,
    pub loc: Loc,
    pub text: String,
}

/// The host firewalls applying to a flow's destination host that accept its traffic from an
/// arbitrary internet address, with the deciding rule (or chain policy).
pub fn world_open<'a>(ctx: &'a Ctx, flow: &RequiredFlow) -> Vec<WorldOpen<'a>> {
    let mut out = Vec::new();
    if flow.to.kind != "host" {
        return out;
    }
    let applies: Vec<&Firewall> = ctx
        .layers
        .firewalls
        .iter()
        .filter(|f| file_applies(ctx.hosts, &f.file, &flow.to.role, &flow.to.kind))
        .collect();
    let (zones, plain): (Vec<&Firewall>, Vec<&Firewall>) =
        applies.into_iter().partition(|f| f.zone.is_some());
    for atom in &flow.atoms {
        let dst = addr_of(&atom.dst);
        let v6 = dst.is_some_and(|(v6, _)| v6);
        let p = Packet {
            protocol: &atom.protocol,
            port: atom.port,
            src: Some((v6, if v6 { WORLD_V6 } else { WORLD_V4 })),
            dst,
            local: false,
        };
        let chosen = pick_zone(&zones, p.src);
        for fw in plain.iter().copied().chain(chosen) {
            if out.iter().any(|w: &WorldOpen| std::ptr::eq(w.fw, fw)) {
                continue;
            }
            let Some(o) = fw_decide(fw, Hook::Input, &p) else {
                continue;
            };
            if o.verdict != Verdict::Accept || !o.partial.is_empty() {
                continue;
            }
            let (loc, text) = match o.rule {
                Some(r) => (r.loc.clone(), r.text.clone()),
                None => (
                    o.chain.policy_loc.clone(),
                    format!("chain {} policy ACCEPT", o.chain.name),
                ),
            };
            out.push(WorldOpen {
                fw,
                chain: o.chain.name.clone(),
                loc,
                text,
            });
        }
    }
    out
}

/// Everything the layers decide about one flow.
pub fn evaluate(ctx: &Ctx, flow: &RequiredFlow) -> FlowLayers {
    let mut out = FlowLayers::default();
    if ctx.layers.is_empty() {
        return out;
    }
    let mut notes = Vec::new();
    let mut acc = Acc { notes: &mut notes };
    let named: BTreeMap<String, u16> = flow
        .to
        .named_ports
        .iter()
        .map(|(k, v)| (k.clone(), v.port))
        .collect();
    let sample = flow.atoms.first();
    let src_addr = sample.and_then(|a| addr_of(&a.src));
    let dst_addr = sample.and_then(|a| addr_of(&a.dst));
    for ingress in [false, true] {
        let (subject, peer, sa, pa) = if ingress {
            (&flow.to, &flow.from, dst_addr, src_addr)
        } else {
            (&flow.from, &flow.to, src_addr, dst_addr)
        };
        let d = Dir {
            ingress,
            subject: View::new(ctx, subject, sa),
            peer: View::new(ctx, peer, pa),
        };
        if subject.kind == "pod" {
            let mut dl = DirLayers::default();
            anp_dir(
                ctx,
                &d,
                &flow.atoms,
                &named,
                Engine::Admin,
                &mut dl.pre,
                &mut acc,
            );
            calico_dir(ctx, &d, &flow.atoms, &named, &mut dl, &mut acc, false);
            cilium_dir(ctx, &d, &flow.atoms, &named, &mut dl, &mut acc);
            let mut baseline = Vec::new();
            anp_dir(
                ctx,
                &d,
                &flow.atoms,
                &named,
                Engine::Baseline,
                &mut baseline,
                &mut acc,
            );
            dl.baseline = baseline;
            // The first final decision per atom wins (ANP, then Calico, then Cilium deny).
            let mut seen = std::collections::BTreeSet::new();
            for x in &mut dl.pre {
                x.atoms.retain(|i| seen.insert(*i));
            }
            dl.pre.retain(|x| !x.atoms.is_empty());
            if !dl.is_empty() {
                if ingress {
                    out.ingress = Some(dl);
                } else {
                    out.egress = Some(dl);
                }
            }
        } else if subject.kind == "host" && peer.kind == "node-local" {
            // A node's own traffic (kubelet probes over `lo`) is not policed by Calico host
            // endpoints or Cilium's host firewall; host firewalls still see it (below).
            if !d.subject.hep_labels.is_empty() {
                out.points.push(Point {
                    layer: "calico-host".into(),
                    name: "host endpoints".into(),
                    direction: if ingress { "ingress" } else { "egress" }.into(),
                    allowed: (0..flow.atoms.len()).collect(),
                    decided_by: Vec::new(),
                    reason: Some(
                        "a node's traffic to itself (over lo) is not policed by host endpoints"
                            .into(),
                    ),
                });
            }
        } else if subject.kind == "host" {
            if let Some(p) = calico_host_point(ctx, &d, &flow.atoms, &named, &mut acc) {
                out.points.push(p);
            }
            if let Some(p) = cilium_host_point(ctx, &d, &flow.atoms, &named, &mut acc) {
                out.points.push(p);
            }
        }
    }
    out.points.extend(firewall_points(ctx, flow, &mut acc));
    out.notes = notes;
    out
}

/// Port and address boundaries of the layer rules that could decide a flow with these
/// protocols and ports, for cutting the flow into atoms.
pub fn cuts(
    layers: &Layers,
    protocols: &[String],
    ports: &[(u16, u16)],
) -> (Vec<(u16, u16)>, Vec<AddrRange>) {
    let mut port_cuts = Vec::new();
    let mut addr_cuts = Vec::new();
    let overlaps = |rs: &[PortRange]| {
        rs.iter()
            .any(|&(lo, hi)| ports.iter().any(|&(a, b)| lo <= b && a <= hi))
    };
    for fw in &layers.firewalls {
        for chain in &fw.chains {
            for rule in &chain.rules {
                let m = &rule.matches;
                if !protocols.iter().any(|p| protocol_matches(&m.protocol, p)) {
                    continue;
                }
                if let Some(d) = &m.dport {
                    if !d.negated && !overlaps(&d.value) {
                        continue;
                    }
                    port_cuts.extend(d.value.iter().copied());
                }
                for a in [&m.src, &m.dst].into_iter().flatten() {
                    addr_cuts.extend(a.value.iter().copied());
                }
            }
        }
        if let Some(z) = &fw.zone {
            addr_cuts.extend(z.sources.iter().copied());
        }
    }
    for pol in &layers.policies {
        for rule in pol.ingress.iter().chain(&pol.egress) {
            for m in [&rule.src, &rule.dst] {
                if let Some(ps) = &m.ports {
                    for p in &ps.value {
                        if let PortItem::Range(r) = p {
                            port_cuts.push(*r);
                        }
                    }
                }
                if let Some(n) = &m.nets {
                    addr_cuts.extend(n.value.iter().copied());
                }
                addr_cuts.extend(m.except.iter().copied());
            }
        }
    }
    for s in &layers.network_sets {
        addr_cuts.extend(s.nets.iter().copied());
    }
    for h in &layers.host_endpoints {
        addr_cuts.extend(h.expected_ips.iter().copied());
    }
    port_cuts.sort_unstable();
    port_cuts.dedup();
    addr_cuts.sort_unstable();
    addr_cuts.dedup();
    (port_cuts, addr_cuts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("nodes/ctrl-*.rules", "nodes/ctrl-1.rules"));
        assert!(!glob_match("nodes/ctrl-*.rules", "nodes/work-1.rules"));
        assert!(glob_match("*.rules", "a/b/ctrl.rules"));
        assert!(glob_match("**/ctrl-*", "x/y/ctrl-2"));
        assert!(!glob_match("nodes/*", "nodes/a/b"));
    }

    #[test]
    fn interfaces() {
        let lo = Some(Neg::is("lo".to_string()));
        assert!(iface_matches(&lo, true));
        assert!(!iface_matches(&lo, false));
        let not_lo = Some(Neg::not("lo".to_string()));
        assert!(iface_matches(&not_lo, false));
        assert!(iface_matches(&Some(Neg::is("eth+".to_string())), false));
    }

    #[test]
    fn source_ports_are_ephemeral() {
        assert!(sport_matches(&Some(Neg::is(vec![(1024, 65535)]))));
        assert!(!sport_matches(&Some(Neg::is(vec![(2049, 2049)]))));
        assert!(sport_matches(&Some(Neg::not(vec![(0, 1023)]))));
    }

    #[test]
    fn protocols() {
        assert_eq!(normalize_protocol("6"), "TCP");
        assert!(protocol_matches(&Some(Neg::is("all".into())), "UDP"));
        assert!(!protocol_matches(&Some(Neg::not("tcp".into())), "TCP"));
    }
}
