//! AdminNetworkPolicy, BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) and
//! ClusterNetworkPolicy (v1alpha2, also read as v1beta1), into the shared layer model
//! ([`crate::layers`]).
//!
//! The API's own validation (the CRD schema and its CEL rules) is applied: an object the API
//! server would refuse is a located error and is left out of the verdicts. Rules keep their
//! written order, which is their precedence inside a policy; `order` carries the priority.

use crate::finding::Finding;
use crate::inputs::k8s::{opt_map, opt_seq, opt_str, read_selector, type_error, unknown_keys};
use crate::layers::{
    EndpointMatch, Engine, LAction, LRule, LayerPolicy, Layers, Neg, Note, PortItem, SelExpr,
    Subject,
};
use crate::net::{parse_cidr, AddrRange};
use crate::source::Loc;
use crate::yaml::{Node, Value};

type R<T> = Result<T, Box<Finding>>;

/// Whether this adapter reads objects of API group `g` and kind `k`.
pub fn handles(g: &str, k: &str) -> bool {
    g == "policy.networking.k8s.io"
        && matches!(
            k,
            "AdminNetworkPolicy" | "BaselineAdminNetworkPolicy" | "ClusterNetworkPolicy"
        )
}

/// The three kinds, which differ in actions, limits and the shape of their ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    /// v1alpha1 AdminNetworkPolicy.
    Anp,
    /// v1alpha1 BaselineAdminNetworkPolicy.
    Banp,
    /// v1alpha2 (or v1beta1) ClusterNetworkPolicy; `strict_cidr`: v1beta1 also wants CIDRs
    /// without host bits.
    Cnp { strict_cidr: bool },
}

impl Api {
    /// Most rules per direction, peers per rule and port entries per rule.
    fn max_items(self) -> usize {
        match self {
            Api::Anp | Api::Banp => 100,
            Api::Cnp { .. } => 25,
        }
    }
}

/// Reads one object into `layers`. Problems that make the object unusable are the `Err`;
/// problems with a part of it are pushed to `findings` and the rest is kept.
pub fn read(
    node: &Node,
    api_version: &str,
    kind: &str,
    layers: &mut Layers,
    _findings: &mut Vec<Finding>,
) -> R<()> {
    let api = match (kind, api_version) {
        ("AdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1") => Api::Anp,
        ("BaselineAdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1") => Api::Banp,
        ("ClusterNetworkPolicy", "policy.networking.k8s.io/v1alpha2") => {
            Api::Cnp { strict_cidr: false }
        }
        ("ClusterNetworkPolicy", "policy.networking.k8s.io/v1beta1") => {
            Api::Cnp { strict_cidr: true }
        }
        _ => {
            let want = if kind == "ClusterNetworkPolicy" {
                "policy.networking.k8s.io/v1alpha2"
            } else {
                "policy.networking.k8s.io/v1alpha1"
            };
            return Err(err(
                format!("unsupported apiVersion `{api_version}` for {kind}"),
                format!("use {want}"),
                node.get("apiVersion").unwrap_or(node).loc.clone(),
            ));
        }
    };
    let meta = opt_map(node, "metadata")?;
    let name = meta
        .map(|m| opt_str(m, "name"))
        .transpose()?
        .flatten()
        .unwrap_or_default()
        .to_string();
    let loc = meta.and_then(|m| m.get("name")).unwrap_or(node).loc.clone();
    let spec = opt_map(node, "spec")?.ok_or_else(|| {
        err(
            format!("{kind} `{name}` has no `spec`"),
            "add spec.subject and the rules",
            loc.clone(),
        )
    })?;
    let mut notes = Vec::new();
    let known: &[&str] = match api {
        Api::Banp => &["subject", "ingress", "egress"],
        Api::Anp => &["priority", "subject", "ingress", "egress"],
        Api::Cnp { .. } => &["tier", "priority", "subject", "ingress", "egress"],
    };
    for key in unknown_keys(spec, known) {
        notes.push(note(
            format!("unknown field `{key}` in the {kind}: not read"),
            spec.key_node(&key).unwrap_or(spec),
        ));
    }
    let (engine, tier, order) = match api {
        Api::Banp => {
            if name != "default" {
                return Err(err(
                    format!("a BaselineAdminNetworkPolicy must be named `default`, not `{name}`"),
                    "rename it to `default` (there is one per cluster)",
                    loc,
                ));
            }
            (Engine::Baseline, "baseline", None)
        }
        Api::Anp => (Engine::Admin, "admin", Some(read_priority(spec)?)),
        Api::Cnp { .. } => {
            let tier = match spec.get("tier") {
                None => {
                    return Err(err(
                        "a ClusterNetworkPolicy needs a `tier`",
                        "add `tier: Admin` or `tier: Baseline`",
                        spec.loc.clone(),
                    ))
                }
                Some(t) => match t.as_str() {
                    Some("Admin") => (Engine::Admin, "admin"),
                    Some("Baseline") => (Engine::Baseline, "baseline"),
                    _ => {
                        return Err(err(
                            format!("unknown tier {}", describe(t)),
                            "use Admin or Baseline",
                            t.loc.clone(),
                        ))
                    }
                },
            };
            (tier.0, tier.1, Some(read_priority(spec)?))
        }
    };
    let subject = read_subject(spec, api)?;
    let ingress = read_rules(spec, "ingress", api)?;
    let egress = read_rules(spec, "egress", api)?;
    layers.policies.push(LayerPolicy {
        engine,
        kind: kind.to_string(),
        name,
        namespace: None,
        at: format!("{}:{}", loc.file, loc.line),
        loc,
        tier: tier.to_string(),
        order,
        subject,
        // These policies never isolate: what no rule matches goes on to NetworkPolicy (admin
        // tier) or to the default allow (baseline tier). A default deny is an explicit rule.
        types: Vec::new(),
        ingress,
        egress,
        apply_on_forward: false,
        notes,
        span: node.loc.clone(),
    });
    Ok(())
}

fn read_priority(spec: &Node) -> R<f64> {
    let p = spec.get("priority").ok_or_else(|| {
        err(
            "the policy needs a `priority`",
            "add `priority: <0-1000>` (lower values are evaluated first)",
            spec.loc.clone(),
        )
    })?;
    match p.value {
        Value::Int(v) if (0..=1000).contains(&v) => Ok(v as f64),
        Value::Int(v) => Err(err(
            format!("priority {v} is out of range"),
            "use a priority from 0 to 1000",
            p.loc.clone(),
        )),
        _ => Err(type_error(p, "priority", "a whole number from 0 to 1000")),
    }
}

fn read_subject(spec: &Node, api: Api) -> R<Subject> {
    let s = opt_map(spec, "subject")?.ok_or_else(|| {
        err(
            "the policy needs a `subject`",
            "add `subject: {namespaces: {...}}` or `subject: {pods: {...}}`",
            spec.loc.clone(),
        )
    })?;
    let (key, value) = one_field(s, &["namespaces", "pods"], "subject")?;
    let (namespace, pods) = match key {
        "namespaces" => (selector(value, "namespaces")?, SelExpr::All),
        _ => namespaced_pod(value, api)?,
    };
    Ok(Subject::Pods {
        namespace: Some(namespace),
        pods,
    })
}

/// `pods: {namespaceSelector, podSelector}` as (namespace, pods) selectors.
fn namespaced_pod(node: &Node, api: Api) -> R<(SelExpr, SelExpr)> {
    if node.as_map().is_none() {
        return Err(type_error(
            node,
            "pods",
            "a mapping with namespaceSelector and podSelector",
        ));
    }
    let get = |key: &str, required: bool| -> R<SelExpr> {
        match node.get(key) {
            Some(n) => selector(n, key),
            None if !required => Ok(SelExpr::All),
            None => Err(err(
                format!("`pods` needs a `{key}`"),
                format!("add `{key}: {{}}` to select all"),
                node.loc.clone(),
            )),
        }
    };
    // v1alpha2 made namespaceSelector optional (empty: every namespace).
    let namespace = get("namespaceSelector", !matches!(api, Api::Cnp { .. }))?;
    let pods = get("podSelector", true)?;
    Ok((namespace, pods))
}

fn selector(node: &Node, field: &str) -> R<SelExpr> {
    Ok(SelExpr::from_k8s(&read_selector(node, field)?))
}

fn read_rules(spec: &Node, key: &str, api: Api) -> R<Vec<LRule>> {
    let items = opt_seq(spec, key)?.unwrap_or_default();
    let max = api.max_items();
    if let Some(extra) = items.get(max) {
        return Err(err(
            format!(
                "{} {key} rules, more than the {max} the API accepts",
                items.len()
            ),
            format!(
                "merge rules or split the policy; rule {} is over the limit",
                max + 1
            ),
            extra.loc.clone(),
        ));
    }
    let mut out = Vec::new();
    for rule in items {
        read_rule(rule, key, api, &mut out)?;
    }
    Ok(out)
}

fn read_rule(rule: &Node, key: &str, api: Api, out: &mut Vec<LRule>) -> R<()> {
    if rule.as_map().is_none() {
        return Err(type_error(
            rule,
            &format!("{key}[]"),
            "a mapping with action and peers",
        ));
    }
    let egress = key == "egress";
    let peers_key = if egress { "to" } else { "from" };
    let ports_key = if matches!(api, Api::Cnp { .. }) {
        "protocols"
    } else {
        "ports"
    };
    let mut partial = None;
    if let Some(k) = unknown_keys(rule, &["name", "action", peers_key, ports_key]).next() {
        let n = rule.key_node(&k).unwrap_or(rule);
        if matches!(api, Api::Cnp { .. }) && (k == "ports" || k == "match") {
            return Err(err(
                format!("a v1alpha2 ClusterNetworkPolicy rule has no `{k}`"),
                "match ports under `protocols`: [{tcp: {destinationPort: {number: 443}}}]",
                n.loc.clone(),
            ));
        }
        partial = Some(note(
            format!("unknown field `{k}` in this rule: not read"),
            n,
        ));
    }
    if let Some(name) = rule.get("name") {
        let s = name
            .as_str()
            .ok_or_else(|| type_error(name, "name", "a string"))?;
        if s.chars().count() > 100 {
            return Err(err(
                "a rule name may have at most 100 characters",
                "shorten the name",
                name.loc.clone(),
            ));
        }
    }
    let action = read_action(rule, api)?;
    let peers_node = rule.get(peers_key).filter(|n| !n.is_null());
    let peer_items = match peers_node {
        None => {
            return Err(err(
                format!("a rule needs `{peers_key}` with at least one peer"),
                format!("add `{peers_key}: [{{namespaces: {{}}}}]` to match every pod"),
                rule.loc.clone(),
            ))
        }
        Some(n) => n
            .as_seq()
            .ok_or_else(|| type_error(n, peers_key, "a list of peers"))?,
    };
    let max = api.max_items();
    if peer_items.is_empty() || peer_items.len() > max {
        return Err(err(
            format!(
                "`{peers_key}` has {} peers; the API takes 1 to {max}",
                peer_items.len()
            ),
            "list the peers the rule is about",
            peers_node.unwrap_or(rule).loc.clone(),
        ));
    }
    let mut peers = Vec::with_capacity(peer_items.len());
    for p in peer_items {
        peers.push(read_peer(p, egress, action, api)?);
    }
    let groups = read_ports(rule, ports_key, api)?;
    if let Some(named) = &groups.named_at {
        if peers.iter().any(|p| p.host_or_net) {
            return Err(err(
                "named ports cannot be used with `nodes` or `networks` peers, which have no named ports",
                "use port numbers, or move the nodes/networks peers to another rule",
                named.clone(),
            ));
        }
    }
    for peer in &peers {
        for group in &groups.groups {
            let ports = group.ports.clone().map(Neg::is);
            let (src, dst) = if egress {
                (
                    EndpointMatch::default(),
                    EndpointMatch {
                        ports,
                        ..peer.m.clone()
                    },
                )
            } else {
                (
                    peer.m.clone(),
                    EndpointMatch {
                        ports,
                        ..Default::default()
                    },
                )
            };
            out.push(LRule {
                loc: peer.loc.clone(),
                action,
                protocol: group.protocol.clone().map(Neg::is),
                src,
                dst,
                partial: peer
                    .partial
                    .clone()
                    .or_else(|| group.partial.clone())
                    .or_else(|| partial.clone()),
            });
        }
    }
    Ok(())
}

fn read_action(rule: &Node, api: Api) -> R<LAction> {
    let node = rule.get("action").ok_or_else(|| {
        err(
            "a rule needs an `action`",
            "add `action: Allow`, `Deny` or `Pass`",
            rule.loc.clone(),
        )
    })?;
    let action = match (api, node.as_str()) {
        (Api::Anp | Api::Banp, Some("Allow")) | (Api::Cnp { .. }, Some("Accept")) => LAction::Allow,
        (_, Some("Deny")) => LAction::Deny,
        (Api::Anp | Api::Cnp { .. }, Some("Pass")) => LAction::Pass,
        _ => {
            let valid = match api {
                Api::Anp => "Allow, Deny or Pass",
                Api::Banp => "Allow or Deny",
                Api::Cnp { .. } => "Accept, Deny or Pass",
            };
            return Err(err(
                format!("unknown action {}", describe(node)),
                format!("use {valid}"),
                node.loc.clone(),
            ));
        }
    };
    Ok(action)
}

struct Peer {
    m: EndpointMatch,
    loc: Loc,
    partial: Option<Note>,
    /// A `nodes` or `networks` peer (which has no named ports).
    host_or_net: bool,
}

fn read_peer(p: &Node, egress: bool, action: LAction, api: Api) -> R<Peer> {
    let allowed: &[&str] = if egress {
        &["namespaces", "pods", "nodes", "networks", "domainNames"]
    } else {
        &["namespaces", "pods"]
    };
    let (key, value) = one_field(p, allowed, if egress { "to[]" } else { "from[]" })?;
    let mut peer = Peer {
        m: EndpointMatch::default(),
        loc: p.loc.clone(),
        partial: None,
        host_or_net: false,
    };
    match key {
        "namespaces" => {
            peer.m.selector = Some(SelExpr::All);
            peer.m.namespace_selector = Some(selector(value, "namespaces")?);
        }
        "pods" => {
            let (namespace, pods) = namespaced_pod(value, api)?;
            peer.m.selector = Some(pods);
            peer.m.namespace_selector = Some(namespace);
        }
        "nodes" => {
            peer.m.node_selector = Some(selector(value, "nodes")?);
            peer.host_or_net = true;
        }
        "networks" => {
            let items = value
                .as_seq()
                .ok_or_else(|| type_error(value, "networks", "a list of CIDRs"))?;
            if items.is_empty() || items.len() > 25 {
                return Err(err(
                    format!(
                        "`networks` has {} CIDRs; the API takes 1 to 25",
                        items.len()
                    ),
                    "list the address blocks, at most 25",
                    value.loc.clone(),
                ));
            }
            let nets = items
                .iter()
                .map(|c| read_cidr(c, api))
                .collect::<R<Vec<_>>>()?;
            peer.m.nets = Some(Neg::is(nets));
            peer.host_or_net = true;
        }
        _ => {
            // domainNames: only for Allow (Accept) rules.
            if action != LAction::Allow {
                return Err(err(
                    "`domainNames` peers are only allowed in Allow (Accept) rules",
                    "deny with a lower-precedence rule instead",
                    p.loc.clone(),
                ));
            }
            peer.partial = Some(note(
                "`domainNames`: the addresses these names resolve to are not known",
                value,
            ));
            peer.host_or_net = true;
        }
    }
    Ok(peer)
}

/// The one field an object with "exactly one field" (a subject, a peer, a port) sets.
fn one_field<'a>(node: &'a Node, allowed: &[&str], field: &str) -> R<(&'a str, &'a Node)> {
    let entries = node.as_map().ok_or_else(|| {
        type_error(
            node,
            field,
            &format!("a mapping with one of {}", allowed.join(", ")),
        )
    })?;
    let mut found = None;
    for (k, v) in entries {
        let key = k.as_str().unwrap_or_default();
        if !allowed.contains(&key) {
            return Err(err(
                format!("`{field}` takes {}, not `{key}`", allowed.join(", ")),
                format!("use one of {}", allowed.join(", ")),
                k.loc.clone(),
            ));
        }
        if found.is_some() {
            return Err(err(
                format!("`{field}` must set exactly one of {}", allowed.join(", ")),
                "split it into separate items",
                k.loc.clone(),
            ));
        }
        found = Some((key, v));
    }
    found.ok_or_else(|| {
        err(
            format!(
                "`{field}` is empty: it must set one of {}",
                allowed.join(", ")
            ),
            format!("add one of {}", allowed.join(", ")),
            node.loc.clone(),
        )
    })
}

fn read_cidr(node: &Node, api: Api) -> R<AddrRange> {
    let s = node
        .as_str()
        .ok_or_else(|| type_error(node, "networks[]", "a CIDR string such as 10.0.0.0/8"))?;
    let bad = |why: &str| {
        err(
            format!("`{s}` is not a valid CIDR: {why}"),
            "write an address and a prefix length, such as 10.0.0.0/8 or fd00::/64",
            node.loc.clone(),
        )
    };
    let Some((addr, _)) = s.split_once('/') else {
        return Err(bad("the prefix length is missing"));
    };
    if addr.contains(':') && addr.contains('.') {
        return Err(bad("IPv4 addresses embedded in IPv6 are not supported"));
    }
    let range = parse_cidr(s).ok_or_else(|| bad("it does not parse"))?;
    if matches!(api, Api::Cnp { strict_cidr: true })
        && parse_cidr(addr).is_some_and(|a| a.lo != range.lo)
    {
        return Err(bad("host bits are set"));
    }
    Ok(range)
}

/// The port groups of a rule (one per protocol; absent ports: one group for everything), and
/// where a named port is written, if one is.
struct Ports {
    groups: Vec<PortGroup>,
    named_at: Option<Loc>,
}

struct PortGroup {
    protocol: Option<String>,
    ports: Option<Vec<PortItem>>,
    partial: Option<Note>,
}

fn read_ports(rule: &Node, key: &str, api: Api) -> R<Ports> {
    let mut out = Ports {
        groups: Vec::new(),
        named_at: None,
    };
    let Some(list) = rule.get(key).filter(|n| !n.is_null()) else {
        out.groups.push(PortGroup {
            protocol: None,
            ports: None,
            partial: None,
        });
        return Ok(out);
    };
    let items = list
        .as_seq()
        .ok_or_else(|| type_error(list, key, "a list"))?;
    let max = api.max_items();
    let min = usize::from(matches!(api, Api::Cnp { .. }));
    if items.len() < min || items.len() > max {
        return Err(err(
            format!(
                "`{key}` has {} entries; the API takes {min} to {max}",
                items.len()
            ),
            "list the ports the rule is about, or remove the field to match every port",
            list.loc.clone(),
        ));
    }
    if items.is_empty() {
        // `ports: []`: no port restriction, as when the field is absent.
        out.groups.push(PortGroup {
            protocol: None,
            ports: None,
            partial: None,
        });
    }
    for item in items {
        let (protocol, port) = match api {
            Api::Cnp { .. } => read_protocol_v1alpha2(item)?,
            _ => read_port_v1alpha1(item)?,
        };
        if matches!(port, Some(PortItem::Named(_))) {
            out.named_at.get_or_insert(item.loc.clone());
        }
        let partial = match protocol.as_deref() {
            None | Some("TCP" | "UDP" | "SCTP") => None,
            Some(p) => Some(note(
                format!(
                    "protocol `{p}` is not TCP, UDP or SCTP: implementations may ignore the rule"
                ),
                item,
            )),
        };
        add_port(&mut out.groups, protocol, port, partial);
    }
    Ok(out)
}

fn add_port(
    groups: &mut Vec<PortGroup>,
    protocol: Option<String>,
    item: Option<PortItem>,
    partial: Option<Note>,
) {
    match groups.iter_mut().find(|g| g.protocol == protocol) {
        Some(g) => match (&mut g.ports, item) {
            (Some(list), Some(item)) => {
                if !list.contains(&item) {
                    list.push(item)
                }
            }
            (ports, None) => *ports = None,
            (None, Some(_)) => {}
        },
        None => groups.push(PortGroup {
            protocol,
            ports: item.map(|i| vec![i]),
            partial,
        }),
    }
}

/// A v1alpha1 port: `portNumber {protocol, port}`, `namedPort`, `portRange {protocol, start,
/// end}`. Named ports have no protocol of their own (the container port's applies).
fn read_port_v1alpha1(item: &Node) -> R<(Option<String>, Option<PortItem>)> {
    let (key, value) = one_field(item, &["portNumber", "namedPort", "portRange"], "ports[]")?;
    match key {
        "namedPort" => {
            let name = value
                .as_str()
                .ok_or_else(|| type_error(value, "namedPort", "a port name"))?;
            Ok((None, Some(PortItem::Named(name.to_string()))))
        }
        "portNumber" => {
            let protocol = read_protocol_field(value, key)?;
            let port = required_port(value, "port", key)?;
            Ok((Some(protocol), Some(PortItem::Range((port, port)))))
        }
        _ => {
            let protocol = read_protocol_field(value, key)?;
            let start = required_port(value, "start", key)?;
            let end = required_port(value, "end", key)?;
            if start > end {
                return Err(err(
                    format!("portRange start {start} is above end {end}"),
                    "the start must be less than the end",
                    value.loc.clone(),
                ));
            }
            Ok((Some(protocol), Some(PortItem::Range((start, end)))))
        }
    }
}

/// `protocol` of a v1alpha1 port (default TCP).
fn read_protocol_field(node: &Node, field: &str) -> R<String> {
    if node.as_map().is_none() {
        return Err(type_error(node, field, "a mapping"));
    }
    Ok(opt_str(node, "protocol")?.unwrap_or("TCP").to_string())
}

/// A v1alpha2 protocol entry: `tcp`/`udp`/`sctp` with an optional `destinationPort {number |
/// range}`, or `destinationNamedPort`.
fn read_protocol_v1alpha2(item: &Node) -> R<(Option<String>, Option<PortItem>)> {
    let (key, value) = one_field(
        item,
        &["tcp", "udp", "sctp", "destinationNamedPort"],
        "protocols[]",
    )?;
    if key == "destinationNamedPort" {
        let name = value
            .as_str()
            .ok_or_else(|| type_error(value, key, "a port name"))?;
        return Ok((None, Some(PortItem::Named(name.to_string()))));
    }
    let protocol = key.to_ascii_uppercase();
    let (_, port) = one_field(value, &["destinationPort"], key)?;
    let (which, p) = one_field(port, &["number", "range"], "destinationPort")?;
    let item = if which == "number" {
        let n = port_value(p, "number")?;
        PortItem::Range((n, n))
    } else {
        if p.as_map().is_none() {
            return Err(type_error(p, "range", "a mapping with start and end"));
        }
        let start = required_port(p, "start", "range")?;
        let end = required_port(p, "end", "range")?;
        if start >= end {
            return Err(err(
                format!("range start {start} is not below end {end}"),
                "the start must be less than the end (use `number` for one port)",
                p.loc.clone(),
            ));
        }
        PortItem::Range((start, end))
    };
    Ok((Some(protocol), Some(item)))
}

fn required_port(node: &Node, key: &str, field: &str) -> R<u16> {
    let n = node.get(key).ok_or_else(|| {
        err(
            format!("`{field}` needs `{key}`"),
            format!("add `{key}: <1-65535>`"),
            node.loc.clone(),
        )
    })?;
    port_value(n, key)
}

fn port_value(n: &Node, key: &str) -> R<u16> {
    match n.value {
        Value::Int(v) if (1..=65535).contains(&v) => Ok(v as u16),
        Value::Int(v) => Err(err(
            format!("port {v} is out of range"),
            "write a port from 1 to 65535",
            n.loc.clone(),
        )),
        _ => Err(type_error(n, key, "a whole number from 1 to 65535")),
    }
}

// ---------------------------------------------------------------------------------------------
// Small helpers (the optional-field readers are the k8s adapter's).
// ---------------------------------------------------------------------------------------------

fn err(message: impl Into<String>, help: impl Into<String>, loc: Loc) -> Box<Finding> {
    Box::new(Finding::input_error(message, help, loc))
}

fn note(message: impl Into<String>, at: &Node) -> Note {
    Note {
        message: message.into(),
        loc: at.loc.clone(),
    }
}

fn describe(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => format!("`{s}`"),
        Value::Int(i) => format!("`{i}`"),
        _ => node.type_name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    fn parse(text: &str) -> (Layers, Vec<Finding>) {
        let (docs, error) = parse_stream("a.yaml", text, &Limits::default());
        assert!(error.is_none(), "{error:?}");
        let mut layers = Layers::default();
        let mut findings = Vec::new();
        for doc in docs {
            let root = &doc.root;
            let kind = root.get("kind").and_then(Node::as_str).unwrap_or_default();
            let api = root
                .get("apiVersion")
                .and_then(Node::as_str)
                .unwrap_or_default();
            if let Err(f) = read(root, api, kind, &mut layers, &mut findings) {
                findings.push(*f);
            }
        }
        (layers, findings)
    }

    fn one(text: &str) -> LayerPolicy {
        let (layers, findings) = parse(text);
        assert!(findings.is_empty(), "{findings:#?}");
        assert_eq!(layers.policies.len(), 1);
        layers.policies.into_iter().next().unwrap()
    }

    fn error(text: &str) -> (String, u32, u32) {
        let (layers, findings) = parse(text);
        assert!(
            layers.policies.is_empty(),
            "policy kept: {:#?}",
            layers.policies
        );
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].rule, "PM000");
        let loc = findings[0].loc.clone().unwrap();
        // The message, then the help.
        let text = format!("{} | {}", findings[0].message, findings[0].help);
        (text, loc.line, loc.column)
    }

    const SUBJECT: &str = "  subject:\n    namespaces:\n      matchLabels:\n        kubernetes.io/metadata.name: trident\n";

    /// An AdminNetworkPolicy (line 6 starts `spec`'s body).
    fn anp(body: &str) -> String {
        format!("apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata:\n  name: storage\nspec:\n{body}")
    }

    fn cnp(body: &str) -> String {
        format!("apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata:\n  name: storage\nspec:\n{body}")
    }

    fn eq(key: &str, value: &str) -> SelExpr {
        SelExpr::Eq {
            key: key.into(),
            value: value.into(),
        }
    }

    fn ports(items: &[PortItem]) -> Option<Neg<Vec<PortItem>>> {
        Some(Neg::is(items.to_vec()))
    }

    #[test]
    fn admin_policy_header_subject_and_priority() {
        let p = one(&anp(&format!(
            "  priority: 10\n{SUBJECT}  ingress:\n    - action: Deny\n      from: [{{namespaces: {{}}}}]\n"
        )));
        assert_eq!(p.engine, Engine::Admin);
        assert_eq!(p.kind, "AdminNetworkPolicy");
        assert_eq!(p.name, "storage");
        assert_eq!(p.namespace, None);
        assert_eq!(p.tier, "admin");
        assert_eq!(p.order, Some(10.0));
        assert_eq!((p.loc.line, p.loc.column), (4, 9));
        assert_eq!(p.at, "a.yaml:4");
        assert_eq!(p.span.line, 1);
        assert!(p.types.is_empty(), "admin policies never isolate");
        assert_eq!(
            p.subject,
            Subject::Pods {
                namespace: Some(eq("kubernetes.io/metadata.name", "trident")),
                pods: SelExpr::All
            }
        );
        let r = &p.ingress[0];
        assert_eq!(r.action, LAction::Deny);
        assert_eq!(r.src.selector, Some(SelExpr::All));
        assert_eq!(r.src.namespace_selector, Some(SelExpr::All));
        assert_eq!(r.dst, EndpointMatch::default());
        assert_eq!(r.protocol, None);
        assert_eq!(r.loc.line, 13);
    }

    #[test]
    fn pods_subject_and_peers() {
        let p = one(&anp(
            "  priority: 0\n  subject:\n    pods:\n      namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: trident}}\n      podSelector: {matchLabels: {app: controller.csi.trident.netapp.io}}\n  egress:\n    - name: dns\n      action: Allow\n      to:\n        - pods:\n            namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}\n            podSelector: {matchLabels: {k8s-app: kube-dns}}\n",
        ));
        assert_eq!(
            p.subject,
            Subject::Pods {
                namespace: Some(eq("kubernetes.io/metadata.name", "trident")),
                pods: eq("app", "controller.csi.trident.netapp.io"),
            }
        );
        assert_eq!(p.order, Some(0.0));
        let r = &p.egress[0];
        assert_eq!(r.src, EndpointMatch::default());
        assert_eq!(r.dst.selector, Some(eq("k8s-app", "kube-dns")));
        assert_eq!(
            r.dst.namespace_selector,
            Some(eq("kubernetes.io/metadata.name", "kube-system"))
        );
        assert_eq!(r.action, LAction::Allow);
    }

    #[test]
    fn rules_keep_their_order_and_actions() {
        let p = one(&anp(&format!(
            "  priority: 5\n{SUBJECT}  ingress:\n    - {{action: Pass, from: [{{namespaces: {{matchLabels: {{a: b}}}}}}]}}\n    - {{action: Allow, from: [{{namespaces: {{}}}}]}}\n    - {{action: Deny, from: [{{namespaces: {{}}}}]}}\n"
        )));
        let actions: Vec<LAction> = p.ingress.iter().map(|r| r.action).collect();
        assert_eq!(actions, [LAction::Pass, LAction::Allow, LAction::Deny]);
        assert_eq!(p.ingress[0].src.namespace_selector, Some(eq("a", "b")));
    }

    #[test]
    fn egress_nodes_and_networks() {
        let p = one(&anp(&format!(
            "  priority: 20\n{SUBJECT}  egress:\n    - action: Allow\n      to:\n        - nodes: {{matchLabels: {{node-role.kubernetes.io/control-plane: \"\"}}}}\n        - networks: [10.30.1.10/32, \"fd00::/64\"]\n      ports:\n        - portNumber: {{port: 443}}\n"
        )));
        assert_eq!(p.egress.len(), 2);
        assert_eq!(
            p.egress[0].dst.node_selector,
            Some(eq("node-role.kubernetes.io/control-plane", ""))
        );
        assert_eq!(p.egress[0].dst.selector, None);
        assert_eq!(
            p.egress[1].dst.nets,
            Some(Neg::is(vec![
                parse_cidr("10.30.1.10/32").unwrap(),
                parse_cidr("fd00::/64").unwrap()
            ]))
        );
        assert!(p
            .egress
            .iter()
            .all(|r| r.protocol == Some(Neg::is("TCP".to_string()))));
        assert!(p
            .egress
            .iter()
            .all(|r| r.dst.ports == ports(&[PortItem::Range((443, 443))])));
        assert_eq!(p.egress[1].loc.line, 15);
    }

    #[test]
    fn v1alpha1_ports() {
        let p = one(&anp(&format!(
            "  priority: 1\n{SUBJECT}  ingress:\n    - action: Allow\n      from: [{{namespaces: {{}}}}]\n      ports:\n        - portNumber: {{protocol: UDP, port: 53}}\n        - portNumber: {{port: 8443}}\n        - portRange: {{start: 1024, end: 65535}}\n        - namedPort: https\n"
        )));
        assert_eq!(p.ingress.len(), 3);
        assert_eq!(p.ingress[0].protocol, Some(Neg::is("UDP".to_string())));
        assert_eq!(p.ingress[0].dst.ports, ports(&[PortItem::Range((53, 53))]));
        assert_eq!(p.ingress[1].protocol, Some(Neg::is("TCP".to_string())));
        assert_eq!(
            p.ingress[1].dst.ports,
            ports(&[
                PortItem::Range((8443, 8443)),
                PortItem::Range((1024, 65535))
            ])
        );
        assert_eq!(p.ingress[2].protocol, None);
        assert_eq!(
            p.ingress[2].dst.ports,
            ports(&[PortItem::Named("https".into())])
        );
        // No ports: every port and protocol.
        let p = one(&anp(&format!(
            "  priority: 1\n{SUBJECT}  ingress:\n    - {{action: Allow, from: [{{namespaces: {{}}}}]}}\n"
        )));
        assert_eq!(
            (
                p.ingress[0].protocol.clone(),
                p.ingress[0].dst.ports.clone()
            ),
            (None, None)
        );
    }

    #[test]
    fn unusual_protocols_are_kept_with_a_note() {
        let p = one(&anp(&format!(
            "  priority: 1\n{SUBJECT}  ingress:\n    - action: Allow\n      from: [{{namespaces: {{}}}}]\n      ports: [{{portNumber: {{protocol: tcp, port: 80}}}}]\n"
        )));
        assert_eq!(p.ingress[0].protocol, Some(Neg::is("tcp".to_string())));
        assert!(p.ingress[0]
            .partial
            .as_ref()
            .unwrap()
            .message
            .contains("`tcp`"));
    }

    #[test]
    fn validation_errors_are_located_and_drop_the_policy() {
        let rule = |extra: &str| {
            anp(&format!(
                "  priority: 1\n{SUBJECT}  egress:\n    - action: Allow\n      to: [{{namespaces: {{}}}}]\n{extra}"
            ))
        };
        let cases: Vec<(String, &str, u32)> = vec![
            (
                anp(&format!("  priority: 1001\n{SUBJECT}")),
                "priority 1001 is out of range",
                6,
            ),
            (anp(&format!("  priority: -1\n{SUBJECT}")), "priority -1", 6),
            (
                anp(&format!("  priority: high\n{SUBJECT}")),
                "`priority` must be a whole number",
                6,
            ),
            (anp(SUBJECT), "needs a `priority`", 6),
            (anp("  priority: 1\n"), "needs a `subject`", 6),
            (
                rule("      ports: [{portNumber: {port: 0}}]\n"),
                "port 0 is out of range",
                14,
            ),
            (
                rule("      ports: [{portNumber: {port: 70000}}]\n"),
                "port 70000",
                14,
            ),
            (
                rule("      ports: [{portNumber: {port: \"443\"}}]\n"),
                "`port` must be a whole number",
                14,
            ),
            (
                rule("      ports: [{portRange: {start: 9000, end: 8000}}]\n"),
                "start 9000 is above end 8000",
                14,
            ),
            (
                rule("      ports: [{portNumber: {port: 1}, namedPort: x}]\n"),
                "exactly one",
                14,
            ),
            (rule("      ports: [{}]\n"), "is empty", 14),
            (
                rule("      ports: [{portRange: {start: 1}}]\n"),
                "needs `end`",
                14,
            ),
        ];
        for (text, want, line) in cases {
            let (msg, l, _) = error(&text);
            assert!(msg.contains(want), "{want}: {msg}");
            assert_eq!(l, line, "{want}");
        }
    }

    #[test]
    fn actions_per_kind() {
        let (msg, line, col) = error(&anp(&format!(
            "  priority: 1\n{SUBJECT}  ingress:\n    - action: Accept\n      from: [{{namespaces: {{}}}}]\n"
        )));
        assert!(msg.contains("unknown action `Accept`"), "{msg}");
        assert_eq!((line, col), (12, 15));
        let (msg, _, _) = error(&anp(&format!(
            "  priority: 1\n{SUBJECT}  ingress:\n    - from: [{{namespaces: {{}}}}]\n"
        )));
        assert!(msg.contains("needs an `action`"), "{msg}");
        let (msg, _, _) = error(&format!(
            "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata:\n  name: default\nspec:\n{SUBJECT}  ingress:\n    - {{action: Pass, from: [{{namespaces: {{}}}}]}}\n"
        ));
        assert!(msg.contains("use Allow or Deny"), "{msg}");
    }

    #[test]
    fn baseline_policy() {
        let p = one(&format!(
            "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata:\n  name: default\nspec:\n{SUBJECT}  ingress:\n    - {{name: default-deny, action: Deny, from: [{{namespaces: {{}}}}]}}\n"
        ));
        assert_eq!(p.engine, Engine::Baseline);
        assert_eq!(p.tier, "baseline");
        assert_eq!(p.order, None);
        assert!(p.types.is_empty());
        assert_eq!(p.ingress[0].action, LAction::Deny);
        let (msg, line, _) = error(&format!(
            "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata:\n  name: baseline\nspec:\n{SUBJECT}"
        ));
        assert!(msg.contains("must be named `default`"), "{msg}");
        assert_eq!(line, 4);
        // A priority means nothing to a baseline policy: a note, not an error.
        let p = one(&format!(
            "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata:\n  name: default\nspec:\n  priority: 3\n{SUBJECT}"
        ));
        assert!(p.notes[0].message.contains("`priority`"));
    }

    #[test]
    fn limits_on_rules_and_peers() {
        let mut rules = String::from("  priority: 1\n  subject: {namespaces: {}}\n  egress:\n");
        for _ in 0..101 {
            rules.push_str("    - {action: Deny, to: [{namespaces: {}}]}\n");
        }
        let (msg, line, _) = error(&anp(&rules));
        assert!(msg.contains("101 egress rules, more than the 100"), "{msg}");
        assert_eq!(line, 9 + 100, "located at the 101st rule");
        let (msg, _, _) = error(&anp(
            "  priority: 1\n  subject: {namespaces: {}}\n  egress:\n    - {action: Deny, to: []}\n",
        ));
        assert!(msg.contains("has 0 peers"), "{msg}");
        let (msg, _, _) = error(&anp(
            "  priority: 1\n  subject: {namespaces: {}}\n  egress:\n    - {action: Deny}\n",
        ));
        assert!(msg.contains("needs `to`"), "{msg}");
    }

    #[test]
    fn peers_need_exactly_one_known_field() {
        let case = |peer: &str, dir: &str| {
            let key = if dir == "ingress" { "from" } else { "to" };
            error(&anp(&format!(
                "  priority: 1\n  subject: {{namespaces: {{}}}}\n  {dir}:\n    - action: Deny\n      {key}:\n        - {peer}\n"
            )))
        };
        let (msg, line, col) = case("{networks: [10.0.0.0/8]}", "ingress");
        assert!(
            msg.contains("takes namespaces, pods, not `networks`"),
            "{msg}"
        );
        assert_eq!((line, col), (11, 12));
        assert!(case("{}", "egress").0.contains("is empty"));
        assert!(case("{namespaces: {}, nodes: {}}", "egress")
            .0
            .contains("exactly one"));
        assert!(case("{pods: {podSelector: {}}}", "egress")
            .0
            .contains("needs a `namespaceSelector`"));
        assert!(case("{networks: [10.0.0.1]}", "egress")
            .0
            .contains("prefix length is missing"));
        assert!(case("{networks: [10.0.0.0/40]}", "egress")
            .0
            .contains("not a valid CIDR"));
        assert!(case("{networks: []}", "egress").0.contains("1 to 25"));
        assert!(case("{domainNames: [x.example.com]}", "egress")
            .0
            .contains("only allowed in Allow"));
    }

    #[test]
    fn named_ports_and_host_peers_do_not_mix() {
        let (msg, line, _) = error(&anp(
            "  priority: 1\n  subject: {namespaces: {}}\n  egress:\n    - action: Allow\n      to: [{networks: [10.0.0.0/8]}]\n      ports: [{namedPort: https}]\n",
        ));
        assert!(msg.contains("named ports"), "{msg}");
        assert_eq!(line, 11);
    }

    #[test]
    fn domain_names_are_partial() {
        let p = one(&anp(
            "  priority: 1\n  subject: {namespaces: {}}\n  egress:\n    - action: Allow\n      to: [{domainNames: [svm1.example.com]}]\n",
        ));
        assert_eq!(p.egress[0].dst, EndpointMatch::default());
        assert!(p.egress[0]
            .partial
            .as_ref()
            .unwrap()
            .message
            .contains("domainNames"));
    }

    #[test]
    fn wrong_types_are_located_errors() {
        let cases = [
            ("  priority: 1\n  subject: trident\n", "`subject` must be a mapping", 7),
            ("  priority: 1\n  subject: {namespaces: {}}\n  ingress: {action: Deny}\n", "`ingress` must be a list", 8),
            ("  priority: 1\n  subject: {namespaces: {}}\n  ingress: [Deny]\n", "`ingress[]` must be a mapping", 8),
            ("  priority: 1\n  subject: {namespaces: {}}\n  ingress: [{action: Deny, from: {namespaces: {}}}]\n", "`from` must be a list", 8),
            ("  priority: 1\n  subject: {namespaces: {}}\n  ingress: [{action: Deny, from: [{namespaces: x}]}]\n", "`namespaces` must be a label selector", 8),
            ("  priority: 1\n  subject: {namespaces: {}}\n  egress: [{action: Deny, to: [{networks: 10.0.0.0/8}]}]\n", "`networks` must be a list", 8),
            ("  priority: 1\n  subject: {namespaces: {}}\n  egress: [{action: Deny, to: [{networks: [1]}]}]\n", "`networks[]` must be a CIDR", 8),
            ("  priority: 1\n  subject: {namespaces: {}}\n  egress: [{action: 1, to: [{nodes: {}}]}]\n", "unknown action `1`", 8),
        ];
        for (body, want, line) in cases {
            let (msg, l, _) = error(&anp(body));
            assert!(msg.contains(want), "{body}: {msg}");
            assert_eq!(l, line, "{body}");
        }
        let (msg, line, col) = error("apiVersion: policy.networking.k8s.io/v1\nkind: AdminNetworkPolicy\nmetadata: {name: x}\nspec: {}\n");
        assert!(
            msg.contains("use policy.networking.k8s.io/v1alpha1"),
            "{msg}"
        );
        assert_eq!((line, col), (1, 13));
        let (msg, line, _) = error("apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: x}\n");
        assert!(msg.contains("has no `spec`"), "{msg}");
        assert_eq!(line, 3);
    }

    #[test]
    fn cluster_network_policy_tiers_actions_and_protocols() {
        let p = one(&cnp(
            "  tier: Admin\n  priority: 30\n  subject: {namespaces: {}}\n  egress:\n    - action: Accept\n      to: [{networks: [10.30.1.0/24]}]\n      protocols:\n        - tcp: {destinationPort: {number: 443}}\n        - udp: {destinationPort: {range: {start: 2049, end: 2050}}}\n        - tcp: {destinationPort: {range: {start: 8000, end: 8010}}}\n",
        ));
        assert_eq!(
            (p.engine, p.tier.as_str(), p.order),
            (Engine::Admin, "admin", Some(30.0))
        );
        assert_eq!(p.kind, "ClusterNetworkPolicy");
        assert_eq!(p.egress.len(), 2);
        assert_eq!(p.egress[0].action, LAction::Allow);
        assert_eq!(p.egress[0].protocol, Some(Neg::is("TCP".to_string())));
        assert_eq!(
            p.egress[0].dst.ports,
            ports(&[PortItem::Range((443, 443)), PortItem::Range((8000, 8010))])
        );
        assert_eq!(p.egress[1].protocol, Some(Neg::is("UDP".to_string())));
        let p = one(&cnp(
            "  tier: Baseline\n  priority: 0\n  subject: {pods: {podSelector: {matchLabels: {a: b}}}}\n  ingress:\n    - {action: Pass, from: [{namespaces: {}}], protocols: [{destinationNamedPort: metrics}]}\n",
        ));
        assert_eq!((p.engine, p.tier.as_str()), (Engine::Baseline, "baseline"));
        assert_eq!(
            p.subject,
            Subject::Pods {
                namespace: Some(SelExpr::All),
                pods: eq("a", "b")
            }
        );
        assert_eq!(p.ingress[0].action, LAction::Pass);
        assert_eq!(
            p.ingress[0].dst.ports,
            ports(&[PortItem::Named("metrics".into())])
        );
    }

    #[test]
    fn cluster_network_policy_validation() {
        let rule = |protocols: &str| {
            cnp(&format!(
                "  tier: Admin\n  priority: 1\n  subject: {{namespaces: {{}}}}\n  ingress:\n    - action: Accept\n      from: [{{namespaces: {{}}}}]\n      protocols: {protocols}\n"
            ))
        };
        let cases: Vec<(String, &str)> = vec![
            (rule("[{tcp: {}}]"), "`tcp` is empty"),
            (rule("[{tcp: {destinationPort: {number: 0}}}]"), "port 0 is out of range"),
            (rule("[{tcp: {destinationPort: {range: {start: 80, end: 80}}}}]"), "not below end"),
            (rule("[{icmp: {}}]"), "not `icmp`"),
            (rule("[]"), "takes 1 to 25"),
            (cnp("  priority: 1\n  subject: {namespaces: {}}\n"), "needs a `tier`"),
            (cnp("  tier: admin\n  priority: 1\n  subject: {namespaces: {}}\n"), "unknown tier `admin`"),
            (cnp("  tier: Admin\n  priority: 1\n  subject: {namespaces: {}}\n  ingress: [{action: Allow, from: [{namespaces: {}}]}]\n"), "unknown action `Allow`"),
            (cnp("  tier: Admin\n  priority: 1\n  subject: {namespaces: {}}\n  ingress: [{action: Deny, from: [{namespaces: {}}], ports: [{portNumber: {port: 1}}]}]\n"), "has no `ports`"),
        ];
        for (text, want) in cases {
            let (msg, _, _) = error(&text);
            assert!(msg.contains(want), "{want}: {msg}");
        }
        let mut many =
            String::from("  tier: Admin\n  priority: 1\n  subject: {namespaces: {}}\n  ingress:\n");
        for _ in 0..26 {
            many.push_str("    - {action: Deny, from: [{namespaces: {}}]}\n");
        }
        assert!(error(&cnp(&many)).0.contains("more than the 25"));
    }

    #[test]
    fn v1beta1_wants_masked_cidrs() {
        let text = |cidr: &str| {
            format!("apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {{name: x}}\nspec:\n  tier: Admin\n  priority: 1\n  subject: {{namespaces: {{}}}}\n  egress: [{{action: Deny, to: [{{networks: [{cidr}]}}]}}]\n")
        };
        assert_eq!(one(&text("10.0.0.0/8")).egress.len(), 1);
        assert!(error(&text("10.0.0.1/8")).0.contains("host bits"));
        // v1alpha2 accepts host bits (isCIDR).
        let p = one(&cnp("  tier: Admin\n  priority: 1\n  subject: {namespaces: {}}\n  egress: [{action: Deny, to: [{networks: [10.0.0.1/8]}]}]\n"));
        assert_eq!(
            p.egress[0].dst.nets,
            Some(Neg::is(vec![parse_cidr("10.0.0.0/8").unwrap()]))
        );
    }

    #[test]
    fn unknown_rule_fields_are_partial() {
        let p = one(&anp(
            "  priority: 1\n  subject: {namespaces: {}}\n  ingress:\n    - {action: Allow, from: [{namespaces: {}}], port: [{portNumber: {port: 1}}]}\n",
        ));
        assert!(p.ingress[0]
            .partial
            .as_ref()
            .unwrap()
            .message
            .contains("`port`"));
    }
}
