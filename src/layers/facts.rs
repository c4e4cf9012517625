//! Facts about the layers that the Rego rules judge (`input.layer_facts`): the subset of a
//! possibly huge rule set that can touch the drivers' ports, so that a 50,000-rule firewall does
//! not enter the engine whole (as the policies of unrelated namespaces do not).

use super::eval::{self, Ctx};
use super::*;
use crate::flows::{InactiveFlow, RequiredFlow};
use std::collections::BTreeSet;

/// An accepting host-firewall rule in a chain that packets to or from the host reach (INPUT or
/// OUTPUT and the chains they jump to), touching a port that only inactive matrix rows use.
#[derive(Debug, Clone, Serialize)]
pub struct AcceptRule {
    pub layer: &'static str,
    pub file: String,
    pub chain: String,
    pub loc: Loc,
    pub text: String,
    /// Absent: every protocol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Absent: every port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<[u16; 2]>>,
    /// The rule accepts from any source address (no `-s`, or 0.0.0.0/0, ::/0).
    pub from_anywhere: bool,
    /// The inactive matrix rows whose port (on a host) the rule opens, when no required flow
    /// uses that port.
    pub unneeded: Vec<String>,
}

/// A host-firewall rule (or chain policy) that accepts a driver flow's traffic from an arbitrary
/// internet address.
#[derive(Debug, Clone, Serialize)]
pub struct WorldOpen {
    pub layer: &'static str,
    pub file: String,
    pub chain: String,
    pub loc: Loc,
    pub text: String,
    /// The flows it opens to the world.
    pub flows: Vec<String>,
}

/// A host firewall that lets a host which does not run the controller reach the storage
/// management address of a flow.
#[derive(Debug, Clone, Serialize)]
pub struct MgmtExposure {
    pub layer: &'static str,
    pub file: String,
    pub flow: String,
    pub loc: Loc,
    pub text: String,
}

/// A Cilium allow rule whose peer is the `world` (or `all`) entity.
#[derive(Debug, Clone, Serialize)]
pub struct WorldRule {
    pub policy: String,
    pub direction: String,
    pub entities: Vec<String>,
    pub loc: Loc,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<[u16; 2]>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HostEndpointOut {
    pub name: String,
    pub node: String,
    pub loc: Loc,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    pub accept_rules: Vec<AcceptRule>,
    pub world_open: Vec<WorldOpen>,
    pub mgmt_exposed: Vec<MgmtExposure>,
    pub world_rules: Vec<WorldRule>,
    pub host_endpoints: Vec<HostEndpointOut>,
    /// Formats of the layers given (`iptables`, `calico`, ...), for rules that need to know.
    pub formats: Vec<String>,
    /// Those that can govern host-network traffic: host firewalls, Calico host endpoints,
    /// Cilium host policies.
    pub host_formats: Vec<String>,
}

fn is_anywhere(cond: &Option<Neg<Vec<AddrRange>>>) -> bool {
    match cond {
        None => true,
        Some(n) => {
            !n.negated
                && n.value
                    .iter()
                    .any(|r| r.lo == 0 && r.hi == if r.v6 { u128::MAX } else { u32::MAX as u128 })
        }
    }
}

/// Chains reachable from the base chains of `hook`.
fn reachable(fw: &Firewall, hook: Hook) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<usize> = fw
        .chains
        .iter()
        .enumerate()
        .filter(|(_, c)| c.hook == Some(hook))
        .map(|(i, _)| i)
        .collect();
    while let Some(i) = stack.pop() {
        if !seen.insert(i) {
            continue;
        }
        let chain = &fw.chains[i];
        for r in &chain.rules {
            if let FwAction::Jump(t) | FwAction::Goto(t) = &r.action {
                if let Some(j) = fw.chains.iter().position(|c| {
                    &c.name == t && c.table == chain.table && c.family == chain.family
                }) {
                    stack.push(j);
                }
            }
        }
    }
    seen
}

pub fn collect(ctx: &Ctx, required: &[RequiredFlow], inactive: &[InactiveFlow]) -> Facts {
    let layers = ctx.layers;
    let mut facts = Facts::default();
    let mut formats = BTreeSet::new();
    // Ports of interest: every matrix port, needed or not.
    let mut ports: Vec<(u16, u16)> = Vec::new();
    for f in required {
        ports.extend(f.port_ranges.iter().map(|r| (r[0], r[1])));
    }
    for f in inactive {
        ports.extend(f.port_ranges.iter().map(|r| (r[0], r[1])));
    }
    // Ports that only inactive matrix rows use, listening on a host (a host-network component
    // or the nodes): (protocol, range, flow id). Wide ranges (NFSv3 callbacks over 1024-65535)
    // are not "a port": opening one port inside them is not what they are about.
    let host_roles: BTreeSet<&str> = required
        .iter()
        .flat_map(|f| [&f.from, &f.to])
        .filter(|e| e.kind == "host")
        .map(|e| e.role.as_str())
        .chain(["nodes", "node"])
        .collect();
    let needed = |proto: &str, lo: u16, hi: u16| {
        required.iter().any(|f| {
            f.protocols.iter().any(|p| p == proto)
                && f.port_ranges.iter().any(|r| r[0] <= hi && lo <= r[1])
        })
    };
    // Ports of inactive rows with a host at one end: a host firewall that opens one of them, in
    // either direction, opens a driver port the profile does not need (NFSv3's rpcbind on a
    // node that mounts NFSv4 only). Ports some required flow uses are left out.
    let mut unneeded: Vec<(String, u16, u16, String)> = Vec::new();
    // Rows whose other end is a cluster service (DNS, the API, the kubelet, Prometheus) are
    // left out: a host opens those ports for its own reasons, not for the driver.
    let generic =
        |role: &str| matches!(role, "cluster-dns" | "apiserver" | "kubelet" | "prometheus");
    for f in inactive.iter().filter(|f| {
        (host_roles.contains(f.to.as_str()) || host_roles.contains(f.from.as_str()))
            && !generic(&f.to)
            && !generic(&f.from)
    }) {
        for r in &f.port_ranges {
            if r[1] - r[0] >= 16 {
                continue;
            }
            for proto in &f.protocols {
                if !needed(proto, r[0], r[1]) {
                    unneeded.push((proto.clone(), r[0], r[1], f.id.clone()));
                }
            }
        }
    }
    // The inactive flows whose ports an accepting rule opens.
    let unneeded_for = |m: &FwMatch| -> Vec<String> {
        let Some(d) = m.dport.as_ref().filter(|d| !d.negated) else {
            return Vec::new();
        };
        let proto = m
            .protocol
            .as_ref()
            .filter(|p| !p.negated)
            .map(|p| eval::normalize_protocol(&p.value));
        let mut ids: Vec<String> = unneeded
            .iter()
            .filter(|(p, _, _, _)| proto.as_ref().is_none_or(|q| q == p || q == "ANY"))
            .filter(|(_, a, b, _)| d.value.iter().any(|&(lo, hi)| lo <= *b && *a <= hi))
            .map(|(_, _, _, id)| id.clone())
            .collect();
        ids.dedup();
        ids
    };
    let touches = |d: &Option<Neg<Vec<PortRange>>>| match d {
        None => true,
        Some(n) if n.negated => true,
        Some(n) => n
            .value
            .iter()
            .any(|&(lo, hi)| ports.iter().any(|&(a, b)| lo <= b && a <= hi)),
    };
    for fw in &layers.firewalls {
        formats.insert(fw.format.as_str().to_string());
        let inbound = reachable(fw, Hook::Input);
        let outbound = reachable(fw, Hook::Output);
        let chains: BTreeSet<usize> = inbound.union(&outbound).copied().collect();
        for i in chains {
            let chain = &fw.chains[i];
            for r in &chain.rules {
                if r.action != FwAction::Accept || r.partial.is_some() || !touches(&r.matches.dport)
                {
                    continue;
                }
                let m = &r.matches;
                // Rules for established traffic or loopback do not open a port.
                if m.ct_state
                    .as_ref()
                    .is_some_and(|c| !c.negated && !c.value.contains(&CtState::New))
                {
                    continue;
                }
                if m.iif
                    .as_ref()
                    .is_some_and(|i| !i.negated && i.value == "lo")
                {
                    continue;
                }
                let from_anywhere = is_anywhere(&m.src);
                let flows = unneeded_for(m);
                if flows.is_empty() {
                    continue;
                }
                facts.accept_rules.push(AcceptRule {
                    layer: fw.format.as_str(),
                    file: fw.file.clone(),
                    chain: chain.name.clone(),
                    loc: r.loc.clone(),
                    text: r.text.clone(),
                    protocol: m
                        .protocol
                        .as_ref()
                        .filter(|p| !p.negated)
                        .map(|p| eval::normalize_protocol(&p.value))
                        .filter(|p| p != "ANY"),
                    ports: m
                        .dport
                        .as_ref()
                        .filter(|d| !d.negated)
                        .map(|d| d.value.iter().map(|&(a, b)| [a, b]).collect()),
                    from_anywhere,
                    unneeded: flows,
                });
            }
        }
    }
    // Host firewalls that admit the whole world to a driver port (walked, so rule order, jumps
    // and chain policies count).
    for f in required {
        for w in eval::world_open(ctx, f) {
            match facts.world_open.iter_mut().find(|x| x.loc == w.loc) {
                Some(x) => x.flows.push(f.id.clone()),
                None => facts.world_open.push(WorldOpen {
                    layer: w.fw.format.as_str(),
                    file: w.fw.file.clone(),
                    chain: w.chain,
                    loc: w.loc,
                    text: w.text,
                    flows: vec![f.id.clone()],
                }),
            }
        }
    }
    // Storage management reachable from hosts that do not run the controller.
    for f in required
        .iter()
        .filter(|f| f.to.role == "storage-management" && f.from.kind == "host")
    {
        for fw in &layers.firewalls {
            if fw.zone.is_some() || !eval::file_exposes_beyond(ctx, &fw.file, &f.from.role) {
                continue;
            }
            // Only firewalls that filter outgoing traffic at all say anything about this.
            let filters_output = fw.chains.iter().any(|c| {
                c.hook == Some(Hook::Output) && (c.policy != Verdict::Accept || !c.rules.is_empty())
            });
            if !filters_output {
                continue;
            }
            if let Some((loc, text)) = eval::output_accepts(fw, f) {
                facts.mgmt_exposed.push(MgmtExposure {
                    layer: fw.format.as_str(),
                    file: fw.file.clone(),
                    flow: f.id.clone(),
                    loc,
                    text,
                });
            }
        }
    }
    // The same through Calico host endpoints: when every host endpoint (two or more) may reach
    // the management interface, hosts that do not run the controller can.
    if layers.host_endpoints.len() >= 2 {
        for f in required
            .iter()
            .filter(|f| f.to.role == "storage-management" && f.from.kind == "host")
        {
            let allowed: Vec<(Loc, String)> = layers
                .host_endpoints
                .iter()
                .filter_map(|h| eval::calico_host_egress(ctx, f, h))
                .collect();
            if allowed.len() == layers.host_endpoints.len() {
                if let Some((loc, policy)) = allowed.into_iter().next() {
                    facts.mgmt_exposed.push(MgmtExposure {
                        layer: "calico-host",
                        file: loc.file.to_string(),
                        flow: f.id.clone(),
                        loc,
                        text: format!("{policy} (every host endpoint)"),
                    });
                }
            }
        }
    }
    for pol in &layers.policies {
        formats.insert(
            match pol.engine {
                Engine::Calico => "calico",
                Engine::Cilium => "cilium",
                Engine::Admin | Engine::Baseline => "adminnetworkpolicy",
            }
            .to_string(),
        );
        if pol.engine != Engine::Cilium {
            continue;
        }
        for (dir, rules) in [("ingress", &pol.ingress), ("egress", &pol.egress)] {
            // Rules with unmodelled peers (toFQDNs stands for a part of `world`) are left to
            // their notes.
            for r in rules
                .iter()
                .filter(|r| r.action == LAction::Allow && r.partial.is_none())
            {
                let peer = if dir == "ingress" { &r.src } else { &r.dst };
                let entities: Vec<String> = peer
                    .entities
                    .iter()
                    .filter(|e| matches!(e.as_str(), "world" | "world-ipv4" | "world-ipv6" | "all"))
                    .cloned()
                    .collect();
                if entities.is_empty() {
                    continue;
                }
                let ports = r.dst.ports.as_ref().filter(|p| !p.negated).map(|p| {
                    p.value
                        .iter()
                        .filter_map(|x| match x {
                            PortItem::Range((a, b)) => Some([*a, *b]),
                            PortItem::Named(_) => None,
                        })
                        .collect()
                });
                facts.world_rules.push(WorldRule {
                    policy: match &pol.namespace {
                        Some(ns) => format!("{ns}/{}", pol.name),
                        None => pol.name.clone(),
                    },
                    direction: dir.to_string(),
                    entities,
                    loc: r.loc.clone(),
                    ports,
                });
            }
        }
    }
    if !layers.host_endpoints.is_empty() {
        formats.insert("calico".into());
    }
    facts.host_endpoints = layers
        .host_endpoints
        .iter()
        .map(|h| HostEndpointOut {
            name: h.name.clone(),
            node: h.node.clone(),
            loc: h.loc.clone(),
        })
        .collect();
    facts.formats = formats.into_iter().collect();
    let mut host: BTreeSet<String> = layers
        .firewalls
        .iter()
        .map(|f| f.format.as_str().to_string())
        .collect();
    if !layers.host_endpoints.is_empty() {
        host.insert("calico host endpoints".into());
    }
    if layers
        .policies
        .iter()
        .any(|p| matches!(p.subject, Subject::Hosts { .. }))
    {
        host.insert("cilium host policies".into());
    }
    facts.host_formats = host.into_iter().collect();
    facts
}
