//! Required flows: the matrix rows that apply under the profile, with both endpoints resolved to
//! pods, hosts or external addresses, and cut into pieces ("atoms") that every rule of the
//! relevant namespaces matches entirely or not at all. The Rego rules decide on atoms.

use crate::matrix::{Component, Flow, Matrix};
use crate::model::{Labels, Model, NetworkPolicy, PortValue, Workload};
use crate::net::{self, AddrRange};
use crate::profile::Profile;
use crate::source::Loc;
use crate::workload_settings::{PortSetting, Settings};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Most atoms one flow may be cut into; past this, addresses are no longer split and the verdict
/// says it is approximate.
pub const MAX_ATOMS: usize = 4096;

#[derive(Debug, Clone, Serialize)]
pub struct NamedPortOut {
    pub port: u16,
    pub protocol: String,
}

/// A pod of a driver, with the facts that decide which policies select it.
#[derive(Debug, Clone, Serialize)]
pub struct ResolvedComponent {
    pub id: String,
    pub driver: String,
    pub role: String,
    pub namespace: String,
    pub labels: Labels,
    pub host_network: bool,
    pub named_ports: BTreeMap<String, NamedPortOut>,
    pub workload_kind: String,
    pub workload_name: String,
    /// Where the workload was found in the input, when it was (else the chart's defaults apply).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loc: Option<Loc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    pub role: String,
    /// `pod` (pod network), `host` (a node's address, incl. host-network pods), `external`,
    /// or `node-local` (the kubelet on the same node).
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub labels: Labels,
    pub host_network: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addresses: Option<Vec<String>>,
    pub named_ports: BTreeMap<String, NamedPortOut>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Atom {
    pub protocol: String,
    pub port: u16,
    pub port_end: u16,
    /// Representative source address of the piece (absent: unknown or node-local).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_range: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst_range: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequiredFlow {
    pub id: String,
    pub driver: String,
    pub from: Endpoint,
    pub to: Endpoint,
    pub protocol: String,
    pub protocols: Vec<String>,
    /// Port ranges as `[low, high]`, as the destination sees them.
    pub port_ranges: Vec<[u16; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub purpose: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_note: Option<String>,
    /// Where the port came from, when the profile or a workload set it (absent: the chart's
    /// default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_source: Option<crate::workload_settings::PortSource>,
    pub atoms: Vec<Atom>,
    pub approximate: bool,
    /// What Calico, Cilium, AdminNetworkPolicy and host firewalls decide (absent: none given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layers: Option<crate::layers::eval::FlowLayers>,
}

/// A matrix row that the profile does not require, and why: rules use these to explain why a
/// port is not needed.
#[derive(Debug, Clone, Serialize)]
pub struct InactiveFlow {
    pub id: String,
    pub driver: String,
    pub from: String,
    pub to: String,
    pub protocols: Vec<String>,
    pub port_ranges: Vec<[u16; 2]>,
    pub why: String,
}

/// Resolves a driver's components against the workloads found in the input.
pub fn resolve_components(
    matrix: &Matrix,
    profile: &Profile,
    model: &Model,
) -> Vec<ResolvedComponent> {
    let dp = profile.driver(&matrix.driver);
    let chart_ns = matrix
        .namespace
        .clone()
        .unwrap_or_else(|| matrix.driver.clone());
    let default_ns = dp.namespace.clone().unwrap_or_else(|| chart_ns.clone());
    let resolved: Vec<ResolvedComponent> = matrix
        .components
        .iter()
        .map(|(role, c)| resolve_component(matrix, role, c, &default_ns, &model.workloads))
        .collect();
    if dp.namespace.is_some() {
        return resolved;
    }
    // The driver installs into one namespace: when the input shows some of its workloads in
    // another one, the components the input does not show live there too.
    let moved = resolved
        .iter()
        .find(|c| c.loc.is_some() && c.namespace != chart_ns)
        .map(|c| c.namespace.clone());
    match moved {
        Some(ns) => resolved
            .into_iter()
            .map(|mut c| {
                if c.loc.is_none() {
                    c.namespace = ns.clone();
                }
                c
            })
            .collect(),
        None => resolved,
    }
}

fn resolve_component(
    matrix: &Matrix,
    role: &str,
    c: &Component,
    default_ns: &str,
    workloads: &[Workload],
) -> ResolvedComponent {
    let same = |w: &&Workload| w.kind == c.workload.kind && w.name == c.workload.name;
    let found = workloads
        .iter()
        .filter(same)
        .find(|w| w.namespace == default_ns)
        .or_else(|| workloads.iter().find(same));
    let mut named_ports: BTreeMap<String, NamedPortOut> = c
        .container_ports
        .iter()
        .filter_map(|p| {
            Some((
                p.name.clone()?,
                NamedPortOut {
                    port: p.port,
                    protocol: p.protocol.clone(),
                },
            ))
        })
        .collect();
    let (namespace, labels, host_network, loc) = match found {
        Some(w) => {
            for p in &w.container_ports {
                if let (Some(name), Ok(port)) = (&p.name, u16::try_from(p.port)) {
                    named_ports.insert(
                        name.clone(),
                        NamedPortOut {
                            port,
                            protocol: p.protocol.clone(),
                        },
                    );
                }
            }
            let labels = if w.labels.is_empty() {
                c.labels.clone()
            } else {
                w.labels.clone()
            };
            (
                w.namespace.clone(),
                labels,
                w.host_network,
                Some(w.loc.clone()),
            )
        }
        None => (
            default_ns.to_string(),
            c.labels.clone(),
            c.host_network,
            None,
        ),
    };
    ResolvedComponent {
        id: format!("{}/{}", matrix.driver, role),
        driver: matrix.driver.clone(),
        role: role.to_string(),
        namespace,
        labels,
        host_network,
        named_ports,
        workload_kind: c.workload.kind.clone(),
        workload_name: c.workload.name.clone(),
        loc,
    }
}

fn endpoint(
    role: &str,
    matrix: &Matrix,
    components: &[ResolvedComponent],
    profile: &Profile,
) -> Endpoint {
    let dp = profile.driver(&matrix.driver);
    let cluster = &profile.cluster;
    let blank = |kind: &str, addresses: Option<Vec<String>>| Endpoint {
        role: role.to_string(),
        kind: kind.to_string(),
        component: None,
        namespace: None,
        labels: Labels::new(),
        host_network: kind == "host",
        addresses,
        named_ports: BTreeMap::new(),
    };
    if let Some(c) = components
        .iter()
        .find(|c| c.driver == matrix.driver && c.role == role)
    {
        return Endpoint {
            role: role.to_string(),
            kind: if c.host_network { "host" } else { "pod" }.to_string(),
            component: Some(c.id.clone()),
            namespace: Some(c.namespace.clone()),
            labels: c.labels.clone(),
            host_network: c.host_network,
            addresses: if c.host_network {
                host_addresses(profile, role).or_else(|| cluster.nodes.clone())
            } else {
                cluster.pods.clone()
            },
            named_ports: c.named_ports.clone(),
        };
    }
    let pod = |r: &crate::profile::PodRef, named: &[(&str, u16, &str)]| Endpoint {
        role: role.to_string(),
        kind: "pod".to_string(),
        component: None,
        namespace: Some(r.namespace.clone()),
        labels: r.labels.clone(),
        host_network: false,
        addresses: cluster.pods.clone(),
        named_ports: named
            .iter()
            .map(|(n, p, proto)| {
                (
                    n.to_string(),
                    NamedPortOut {
                        port: *p,
                        protocol: proto.to_string(),
                    },
                )
            })
            .collect(),
    };
    match role {
        "kubelet" => blank("node-local", None),
        "apiserver" => blank("external", cluster.apiserver.clone()),
        "nodes" => blank("host", cluster.nodes.clone()),
        "storage-management" => blank("external", dp.storage.management.clone()),
        "storage-data" => blank("external", dp.storage.data.clone()),
        "directory-servers" => blank("external", dp.storage.directory.clone()),
        // CoreDNS's container ports, as its manifests name them.
        "cluster-dns" => pod(
            &cluster.dns,
            &[
                ("dns", 53, "UDP"),
                ("dns-tcp", 53, "TCP"),
                ("metrics", 9153, "TCP"),
            ],
        ),
        "prometheus" => pod(&cluster.prometheus, &[]),
        _ => blank("external", None),
    }
}

/// The addresses the profile's `hosts:` entries give for the hosts running `role`.
fn host_addresses(profile: &Profile, role: &str) -> Option<Vec<String>> {
    let list: Vec<String> = profile
        .hosts
        .iter()
        .filter(|h| h.roles.iter().any(|r| r == role))
        .filter_map(|h| h.addresses.clone())
        .flatten()
        .collect();
    (!list.is_empty()).then_some(list)
}

/// A flow's ports: the configurable port it names, as the profile, the workload or the chart
/// sets it (see `crate::workload_settings`), else the matrix's own ports.
fn port_ranges<'s>(
    flow: &Flow,
    settings: &'s Settings,
) -> (Vec<(u16, u16)>, Option<&'s PortSetting>) {
    if let Some(setting) = flow.port_key.as_ref().and_then(|k| settings.ports.get(k)) {
        return (vec![(setting.port, setting.port)], Some(setting));
    }
    (flow.port_ranges(), None)
}

/// Why a matrix row is not required under the profile and the input, or `None` when it is.
fn inactive_reason(flow: &Flow, settings: &Settings) -> Option<String> {
    match flow.status.as_str() {
        "stale" => {
            return Some("kept from the vendor's table, but gone from the driver's code".into())
        }
        "local-only" => return Some("bound to localhost: no network flow needs it".into()),
        _ => {}
    }
    if flow.when.is_empty() {
        // A source that resolves names elsewhere needs no cluster-DNS flow. Rows with a `when`
        // are switched by their feature instead.
        if flow.to == "cluster-dns" {
            if let Some(why) = settings.no_cluster_dns.get(&flow.from) {
                return Some(why.clone());
            }
        }
        return None;
    }
    if flow.when.iter().any(|w| settings.feature(w)) {
        return None;
    }
    let mut out = format!("only needed with {}", flow.when.join(" or "));
    for w in &flow.when {
        if let Some(why) = settings.features.get(w).and_then(|f| f.why.as_ref()) {
            out.push_str(&format!("; {w} is off: {why}"));
        }
    }
    Some(out)
}

/// Policies indexed by namespace.
pub fn policies_by_namespace(policies: &[NetworkPolicy]) -> HashMap<&str, Vec<&NetworkPolicy>> {
    let mut map: HashMap<&str, Vec<&NetworkPolicy>> = HashMap::new();
    for p in policies {
        map.entry(p.namespace.as_str()).or_default().push(p);
    }
    map
}

/// Builds the required and inactive flows of one driver.
pub fn resolve_flows(
    matrix: &Matrix,
    profile: &Profile,
    components: &[ResolvedComponent],
    settings: &Settings,
    by_ns: &HashMap<&str, Vec<&NetworkPolicy>>,
    layers: &crate::layers::Layers,
) -> (Vec<RequiredFlow>, Vec<InactiveFlow>) {
    let mut required = Vec::new();
    let mut inactive = Vec::new();
    for flow in &matrix.flows {
        let (ranges, setting) = port_ranges(flow, settings);
        if let Some(why) = inactive_reason(flow, settings) {
            inactive.push(InactiveFlow {
                id: flow.id.clone(),
                driver: matrix.driver.clone(),
                from: flow.from.clone(),
                to: flow.to.clone(),
                protocols: flow.protocols(),
                port_ranges: ranges.iter().map(|&(a, b)| [a, b]).collect(),
                why,
            });
            continue;
        }
        let from = endpoint(&flow.from, matrix, components, profile);
        let to = endpoint(&flow.to, matrix, components, profile);
        let (atoms, approximate) = atoms(flow, &ranges, &from, &to, by_ns, layers);
        required.push(RequiredFlow {
            id: flow.id.clone(),
            driver: matrix.driver.clone(),
            protocol: flow.protocol.to_uppercase(),
            protocols: flow.protocols(),
            port_ranges: ranges.iter().map(|&(a, b)| [a, b]).collect(),
            service: flow.service.as_ref().map(|s| {
                // The input's Service may map another port to the one the workload uses.
                let port = setting
                    .and_then(|p| p.service_port.as_ref())
                    .filter(|(name, _)| *name == s.name)
                    .map_or(s.port, |(_, p)| *p);
                format!("{}:{port}", s.name)
            }),
            purpose: flow.purpose.clone(),
            kind: flow.kind.clone(),
            security_note: flow.security_note.clone(),
            port_source: setting.and_then(|p| p.source.clone()),
            from,
            to,
            atoms,
            approximate,
            layers: None,
        });
    }
    (required, inactive)
}

/// Port and address boundaries of every rule that could decide this flow.
fn cuts(
    from: &Endpoint,
    to: &Endpoint,
    by_ns: &HashMap<&str, Vec<&NetworkPolicy>>,
) -> (Vec<(u16, u16)>, Vec<AddrRange>) {
    let mut ports = Vec::new();
    let mut addrs = Vec::new();
    let mut namespaces = Vec::new();
    for ep in [from, to] {
        if ep.kind == "pod" {
            if let Some(ns) = &ep.namespace {
                namespaces.push(ns.as_str());
            }
        }
    }
    namespaces.dedup();
    for ns in namespaces {
        for policy in by_ns.get(ns).map(Vec::as_slice).unwrap_or_default() {
            for rule in policy.ingress.iter().chain(&policy.egress) {
                for p in rule.ports.iter().flatten() {
                    match &p.port {
                        Some(PortValue::Number(n)) => {
                            let lo = (*n).clamp(1, 65535) as u16;
                            let hi = p.end_port.unwrap_or(*n).clamp(1, 65535) as u16;
                            ports.push((lo, hi.max(lo)));
                        }
                        Some(PortValue::Name(name)) => {
                            if let Some(np) = to.named_ports.get(name) {
                                ports.push((np.port, np.port));
                            }
                        }
                        None => {}
                    }
                }
                for peer in rule.peers.iter().flatten() {
                    if let Some(b) = &peer.ip_block {
                        addrs.extend(net::parse_cidr(&b.cidr));
                        addrs.extend(b.except.iter().filter_map(|e| net::parse_cidr(&e.cidr)));
                    }
                }
            }
        }
    }
    (ports, addrs)
}

fn address_pieces(ep: &Endpoint, cuts: &[AddrRange], split: bool) -> Vec<Option<AddrRange>> {
    match &ep.addresses {
        Some(list) if ep.kind != "node-local" => {
            let ranges: Vec<AddrRange> = list.iter().filter_map(|c| net::parse_cidr(c)).collect();
            if ranges.is_empty() {
                return vec![None];
            }
            if split {
                ranges
                    .into_iter()
                    .flat_map(|r| net::split_addr(r, cuts))
                    .map(Some)
                    .collect()
            } else {
                ranges.into_iter().map(Some).collect()
            }
        }
        _ => vec![None],
    }
}

fn atoms(
    flow: &Flow,
    ranges: &[(u16, u16)],
    from: &Endpoint,
    to: &Endpoint,
    by_ns: &HashMap<&str, Vec<&NetworkPolicy>>,
    layers: &crate::layers::Layers,
) -> (Vec<Atom>, bool) {
    let (mut port_cuts, mut addr_cuts) = cuts(from, to, by_ns);
    if !layers.is_empty() {
        let (p, a) = crate::layers::eval::cuts(layers, &flow.protocols(), ranges);
        port_cuts.extend(p);
        addr_cuts.extend(a);
    }
    let port_pieces: Vec<(u16, u16)> = ranges
        .iter()
        .flat_map(|&(lo, hi)| net::split_ports(lo, hi, &port_cuts))
        .collect();
    let protocols = flow.protocols();
    let build = |split: bool| {
        let srcs = address_pieces(from, &addr_cuts, split);
        let dsts = address_pieces(to, &addr_cuts, split);
        let total = protocols.len() * port_pieces.len() * srcs.len() * dsts.len();
        if total > MAX_ATOMS && split {
            return None;
        }
        let mut out = Vec::with_capacity(total.min(MAX_ATOMS));
        for proto in &protocols {
            for &(plo, phi) in &port_pieces {
                for s in &srcs {
                    for d in &dsts {
                        out.push(Atom {
                            protocol: proto.clone(),
                            port: plo,
                            port_end: phi,
                            src: s.map(|r| net::format_addr(r.v6, r.lo)),
                            src_range: s.map(|r| r.display()),
                            dst: d.map(|r| net::format_addr(r.v6, r.lo)),
                            dst_range: d.map(|r| r.display()),
                        });
                    }
                }
            }
        }
        Some(out)
    };
    match build(true) {
        Some(a) => (a, false),
        None => (build(false).unwrap_or_default(), true),
    }
}
