//! Cilium `cilium.io/v2` CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy, into the shared
//! layer model ([`crate::layers`]): one [`LayerPolicy`] per rule (`spec` and each `specs` item).
//!
//! Semantics follow Cilium's policy reference: a rule's L3 peers (`fromEndpoints`, `fromEntities`,
//! `fromCIDR`, `fromCIDRSet`, `fromNodes`, ...) are ORed; `toPorts` and `icmps` AND with them; a
//! rule without any L3 peer but with ports selects every peer; an empty rule `{}` selects nothing
//! but still puts the endpoint into default deny for its direction. Every [`LRule`] produced is one
//! AND of conditions (one peer x one protocol group).

use crate::finding::Finding;
use crate::inputs::k8s::{
    metadata_name, opt_bool, opt_map, opt_seq, opt_str, read_selector, type_error, unknown_keys,
};
use crate::layers::{
    EndpointMatch, Engine, LAction, LRule, LayerPolicy, Layers, Neg, Note, PortItem, SelExpr,
    Subject,
};
use crate::model::{Requirement, Selector};
use crate::net::{parse_cidr, AddrRange};
use crate::source::Loc;
use crate::yaml::{Node, Value};

type R<T> = Result<T, Box<Finding>>;

/// Whether this adapter reads objects of API group `g` and kind `k`.
pub fn handles(g: &str, k: &str) -> bool {
    g == "cilium.io" && matches!(k, "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy")
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
    if api_version != "cilium.io/v2" {
        return Err(err(
            format!("unsupported apiVersion `{api_version}` for {kind}"),
            "use cilium.io/v2",
            node.get("apiVersion").unwrap_or(node).loc.clone(),
        ));
    }
    let clusterwide = kind == "CiliumClusterwideNetworkPolicy";
    let meta = opt_map(node, "metadata")?;
    let name = match meta.map(|m| opt_str(m, "name")).transpose()?.flatten() {
        Some(n) => n.to_string(),
        None => metadata_name(node).unwrap_or_default(),
    };
    let namespace = if clusterwide {
        None
    } else {
        let ns = meta.map(|m| opt_str(m, "namespace")).transpose()?.flatten();
        Some(ns.unwrap_or("default").to_string())
    };
    let loc = meta.and_then(|m| m.get("name")).unwrap_or(node).loc.clone();
    let ctx = Ctx {
        kind,
        name: &name,
        namespace: namespace.as_deref(),
        loc: &loc,
    };
    let mut rules: Vec<&Node> = Vec::new();
    rules.extend(opt_map(node, "spec")?);
    for item in opt_seq(node, "specs")?.unwrap_or_default() {
        if item.as_map().is_none() {
            return Err(type_error(item, "specs[]", "a mapping (a rule)"));
        }
        rules.push(item);
    }
    if rules.is_empty() {
        return Err(err(
            format!("{kind} `{name}` has no `spec` (nor `specs`)"),
            "add spec.endpointSelector (or spec.nodeSelector) and the rules",
            loc.clone(),
        ));
    }
    // An error anywhere drops the whole object, as the agent refuses to import it.
    let policies = rules
        .into_iter()
        .map(|spec| read_rule(&ctx, spec, node))
        .collect::<R<Vec<_>>>()?;
    layers.policies.extend(policies);
    Ok(())
}

/// What every part of one object needs to know.
struct Ctx<'a> {
    kind: &'a str,
    name: &'a str,
    /// The policy's namespace; `None` for a CiliumClusterwideNetworkPolicy.
    namespace: Option<&'a str>,
    /// The `metadata.name` value.
    loc: &'a Loc,
}

const SPEC_KEYS: &[&str] = &[
    "endpointSelector",
    "nodeSelector",
    "ingress",
    "ingressDeny",
    "egress",
    "egressDeny",
    "enableDefaultDeny",
    "description",
    "labels",
    "log",
];

fn read_rule(ctx: &Ctx, spec: &Node, object: &Node) -> R<LayerPolicy> {
    let mut notes = Vec::new();
    for key in unknown_keys(spec, SPEC_KEYS) {
        notes.push(note(
            format!("unknown field `{key}` in the rule: not read"),
            spec.key_node(&key).unwrap_or(spec),
        ));
    }
    let subject = read_subject(ctx, spec, &mut notes)?;
    let host_policy = matches!(subject, Subject::Hosts { .. });
    let mut ingress = Vec::new();
    let mut egress = Vec::new();
    let mut has = [false; 2];
    for (key, dir, action) in [
        ("ingress", Dir::Ingress, LAction::Allow),
        ("ingressDeny", Dir::Ingress, LAction::Deny),
        ("egress", Dir::Egress, LAction::Allow),
        ("egressDeny", Dir::Egress, LAction::Deny),
    ] {
        let items = opt_seq(spec, key)?.unwrap_or_default();
        has[dir as usize] |= !items.is_empty();
        let out = if dir == Dir::Ingress {
            &mut ingress
        } else {
            &mut egress
        };
        for item in items {
            read_rule_item(ctx, item, key, dir, action, host_policy, out, &mut notes)?;
        }
    }
    // `enableDefaultDeny` defaults, per direction, to whether the rule has (allow or deny) rules
    // for it. A direction with `enableDefaultDeny: false` is left out of `types` ("isolates")
    // while its rules are kept: they still allow and deny what they match.
    let mut types = Vec::new();
    let default_deny = opt_map(spec, "enableDefaultDeny")?;
    for (dir, key, type_name) in [
        (Dir::Ingress, "ingress", "Ingress"),
        (Dir::Egress, "egress", "Egress"),
    ] {
        let explicit = default_deny
            .map(|d| opt_bool(d, key))
            .transpose()?
            .flatten();
        if explicit.unwrap_or(has[dir as usize]) {
            types.push(type_name.to_string());
        }
    }
    Ok(LayerPolicy {
        engine: Engine::Cilium,
        kind: ctx.kind.to_string(),
        name: ctx.name.to_string(),
        namespace: ctx.namespace.map(str::to_string),
        loc: ctx.loc.clone(),
        at: format!("{}:{}", ctx.loc.file, ctx.loc.line),
        tier: String::new(),
        order: None,
        subject,
        types,
        ingress,
        egress,
        apply_on_forward: false,
        notes,
        span: object.loc.clone(),
    })
}

fn read_subject(ctx: &Ctx, spec: &Node, notes: &mut Vec<Note>) -> R<Subject> {
    let endpoint = spec.get("endpointSelector").filter(|n| !n.is_null());
    let nodes = spec.get("nodeSelector").filter(|n| !n.is_null());
    match (endpoint, nodes) {
        (Some(_), Some(n)) => Err(err(
            "a rule cannot have both `endpointSelector` and `nodeSelector`",
            "select pods with endpointSelector or nodes with nodeSelector, in separate rules",
            spec.key_node("nodeSelector").unwrap_or(n).loc.clone(),
        )),
        (None, None) => Err(err(
            "a rule needs an `endpointSelector` (pods) or a `nodeSelector` (nodes)",
            "add `endpointSelector: {}` to select every pod of the namespace",
            spec.loc.clone(),
        )),
        (None, Some(n)) => {
            if ctx.namespace.is_some() {
                return Err(err(
                    "`nodeSelector` (a host policy) is only allowed in a CiliumClusterwideNetworkPolicy",
                    "move this rule to a CiliumClusterwideNetworkPolicy",
                    spec.key_node("nodeSelector").unwrap_or(n).loc.clone(),
                ));
            }
            let split = split_selector(&read_selector(n, "nodeSelector")?);
            if !split.entities.is_empty() || split.namespace.is_some() || !split.ignored.is_empty()
            {
                notes.push(note(
                    "nodeSelector tests labels that are not node labels: not modelled",
                    n,
                ));
            }
            Ok(Subject::Hosts {
                selector: split.pods,
            })
        }
        (Some(e), None) => {
            let split = split_selector(&read_selector(e, "endpointSelector")?);
            if !split.entities.is_empty() || !split.ignored.is_empty() {
                notes.push(note(
                    format!(
                        "endpointSelector tests labels that are not modelled ({})",
                        split
                            .entities
                            .iter()
                            .chain(&split.ignored)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    e,
                ));
            }
            let namespace = match ctx.namespace {
                // Cilium drops a namespace test from a namespaced policy's endpointSelector:
                // the policy always applies in its own namespace.
                Some(own) => {
                    let same = SelExpr::Eq {
                        key: NS_NAME_LABEL.to_string(),
                        value: own.to_string(),
                    };
                    if split.namespace.as_ref().is_some_and(|n| *n != same) {
                        notes.push(note(
                            format!("a CiliumNetworkPolicy always applies in its own namespace (`{own}`): the namespace test in endpointSelector is ignored"),
                            e,
                        ));
                    }
                    None
                }
                None => split.namespace,
            };
            Ok(Subject::Pods {
                namespace,
                pods: split.pods,
            })
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Ingress = 0,
    Egress = 1,
}

/// One alternative peer of a rule: the peer's conditions, where it is written, and what about
/// it is not modelled.
struct Peer {
    m: EndpointMatch,
    loc: Loc,
    partial: Option<Note>,
}

/// One protocol's ports (absent: every port) of a rule.
struct PortGroup {
    protocol: Option<String>,
    ports: Option<Vec<PortItem>>,
    partial: Option<Note>,
}

#[allow(clippy::too_many_arguments)]
fn read_rule_item(
    ctx: &Ctx,
    rule: &Node,
    key: &str,
    dir: Dir,
    action: LAction,
    host_policy: bool,
    out: &mut Vec<LRule>,
    notes: &mut Vec<Note>,
) -> R<()> {
    if rule.is_null() {
        // `- ` alone: an empty rule, which selects nothing.
        return Ok(());
    }
    if rule.as_map().is_none() {
        return Err(type_error(rule, &format!("{key}[]"), "a mapping"));
    }
    let (from, allowed): (&str, &[&str]) = match (dir, action) {
        (Dir::Ingress, LAction::Allow) => ("from", INGRESS_KEYS),
        (Dir::Ingress, _) => ("from", INGRESS_DENY_KEYS),
        (Dir::Egress, LAction::Allow) => ("to", EGRESS_KEYS),
        (Dir::Egress, _) => ("to", EGRESS_DENY_KEYS),
    };
    let mut rule_partial: Option<Note> = None;
    if let Some(k) = unknown_keys(rule, allowed).next() {
        rule_partial = Some(note(
            format!("unknown field `{k}` in this {key} rule: not read"),
            rule.key_node(&k).unwrap_or(rule),
        ));
    }
    for requires in ["fromRequires", "toRequires"] {
        if let Some(n) = rule.get(requires).filter(|n| !n.is_null()) {
            notes.push(note(
                format!("`{requires}` constrains every rule of every policy selecting these endpoints: not modelled"),
                n,
            ));
        }
    }
    if action == LAction::Allow {
        if let Some(auth) = opt_map(rule, "authentication")? {
            let mode = opt_str(auth, "mode")?.unwrap_or("disabled");
            if mode != "disabled" {
                rule_partial.get_or_insert(note(
                    format!("authentication mode `{mode}`: the traffic passes only once mutual authentication succeeds, which is not modelled"),
                    auth,
                ));
            }
        }
    }

    let (peers, l3_written, selects_nothing) = read_peers(ctx, rule, from, dir, action)?;
    let ports = read_ports(rule, action, host_policy)?;
    if selects_nothing || (!l3_written && ports.is_none()) {
        // An explicitly empty peer list, or `{}`: matches no traffic (the rule still counts for
        // default deny, which the caller decides from the list being non-empty).
        return Ok(());
    }
    let peers = if l3_written {
        peers
    } else {
        // Ports without any L3 peer: every peer.
        vec![Peer {
            m: EndpointMatch::default(),
            loc: rule.loc.clone(),
            partial: None,
        }]
    };
    let groups = ports.unwrap_or_else(|| {
        vec![PortGroup {
            protocol: None,
            ports: None,
            partial: None,
        }]
    });
    for peer in &peers {
        for group in &groups {
            let ports = group.ports.clone().map(Neg::is);
            let (src, dst) = match dir {
                Dir::Ingress => (
                    peer.m.clone(),
                    EndpointMatch {
                        ports,
                        ..Default::default()
                    },
                ),
                Dir::Egress => (
                    EndpointMatch::default(),
                    EndpointMatch {
                        ports,
                        ..peer.m.clone()
                    },
                ),
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
                    .or_else(|| rule_partial.clone()),
            });
        }
    }
    Ok(())
}

const INGRESS_KEYS: &[&str] = &[
    "fromEndpoints",
    "fromRequires",
    "fromCIDR",
    "fromCIDRSet",
    "fromEntities",
    "fromGroups",
    "fromNodes",
    "toPorts",
    "icmps",
    "authentication",
];
const INGRESS_DENY_KEYS: &[&str] = &[
    "fromEndpoints",
    "fromRequires",
    "fromCIDR",
    "fromCIDRSet",
    "fromEntities",
    "fromGroups",
    "fromNodes",
    "toPorts",
    "icmps",
];
const EGRESS_KEYS: &[&str] = &[
    "toEndpoints",
    "toRequires",
    "toCIDR",
    "toCIDRSet",
    "toEntities",
    "toServices",
    "toFQDNs",
    "toGroups",
    "toNodes",
    "toPorts",
    "icmps",
    "authentication",
];
const EGRESS_DENY_KEYS: &[&str] = &[
    "toEndpoints",
    "toRequires",
    "toCIDR",
    "toCIDRSet",
    "toEntities",
    "toServices",
    "toGroups",
    "toNodes",
    "toPorts",
    "icmps",
];

/// Entities Cilium accepts in `fromEntities`/`toEntities`.
const ENTITIES: &[&str] = &[
    "all",
    "world",
    "world-ipv4",
    "world-ipv6",
    "cluster",
    "host",
    "remote-node",
    "kube-apiserver",
    "ingress",
    "init",
    "health",
    "unmanaged",
    "none",
];

/// The peers of a rule: `(peers, whether any L3 field is written, whether one is an explicitly
/// empty list)`. Cilium treats an explicitly empty list (`fromEndpoints: []`) as selecting
/// nothing, and the absence of every L3 field as selecting everything.
fn read_peers(
    ctx: &Ctx,
    rule: &Node,
    from: &str,
    dir: Dir,
    action: LAction,
) -> R<(Vec<Peer>, bool, bool)> {
    let mut peers = Vec::new();
    let mut written = false;
    let mut empty = false;
    let field = |suffix: &str| format!("{from}{suffix}");
    let mut list = |suffix: &str| -> R<Option<&[Node]>> {
        let items = opt_seq(rule, &field(suffix))?;
        if let Some(items) = items {
            written = true;
            empty |= items.is_empty();
        }
        Ok(items)
    };

    let endpoints_key = field("Endpoints");
    for item in list("Endpoints")?.unwrap_or_default() {
        peers.push(endpoint_peer(ctx, item, &endpoints_key)?);
    }
    for item in list("Entities")?.unwrap_or_default() {
        let entity = item.as_str().ok_or_else(|| {
            type_error(
                item,
                &format!("{}[]", field("Entities")),
                "an entity name such as host",
            )
        })?;
        if !ENTITIES.contains(&entity) {
            return Err(err(
                format!("unknown entity `{entity}`"),
                format!("use one of {}", ENTITIES.join(", ")),
                item.loc.clone(),
            ));
        }
        if entity != "none" {
            peers.push(Peer {
                m: EndpointMatch {
                    entities: vec![entity.to_string()],
                    ..Default::default()
                },
                loc: item.loc.clone(),
                partial: None,
            });
        }
    }
    for item in list("CIDR")?.unwrap_or_default() {
        let range = read_cidr(item, &format!("{}[]", field("CIDR")), false)?;
        peers.push(Peer {
            m: nets(vec![range], Vec::new()),
            loc: item.loc.clone(),
            partial: None,
        });
    }
    let set_key = format!("{}[]", field("CIDRSet"));
    for item in list("CIDRSet")?.unwrap_or_default() {
        peers.push(cidr_set_peer(item, &set_key)?);
    }
    let nodes_key = field("Nodes");
    for item in list("Nodes")?.unwrap_or_default() {
        let split = split_selector(&read_selector(item, &nodes_key)?);
        peers.push(Peer {
            m: EndpointMatch {
                node_selector: Some(split.pods),
                ..Default::default()
            },
            loc: item.loc.clone(),
            partial: None,
        });
    }
    for item in list("Groups")?.unwrap_or_default() {
        peers.push(unknown_peer(
            item,
            format!(
                "`{}`: the addresses of cloud provider groups are not known",
                field("Groups")
            ),
        ));
    }
    if dir == Dir::Egress {
        for item in list("Services")?.unwrap_or_default() {
            peers.push(unknown_peer(
                item,
                "`toServices`: the Service's endpoints are not known here".to_string(),
            ));
        }
        if action == LAction::Allow {
            for item in list("FQDNs")?.unwrap_or_default() {
                if item.as_map().is_none() {
                    return Err(type_error(
                        item,
                        "toFQDNs[]",
                        "a mapping with `matchName` or `matchPattern`",
                    ));
                }
                let name = item
                    .get("matchName")
                    .or_else(|| item.get("matchPattern"))
                    .and_then(Node::as_str)
                    .unwrap_or("?");
                // The addresses DNS returns are outside the cluster (Cilium ignores in-cluster
                // answers): some part of `world`, which one is unknown.
                peers.push(Peer {
                    m: EndpointMatch {
                        entities: vec!["world".to_string()],
                        ..Default::default()
                    },
                    loc: item.loc.clone(),
                    partial: Some(note(
                        format!("`toFQDNs` `{name}`: the addresses it resolves to are not known"),
                        item,
                    )),
                });
            }
        }
    }
    Ok((peers, written, empty))
}

fn endpoint_peer(ctx: &Ctx, item: &Node, field: &str) -> R<Peer> {
    let split = split_selector(&read_selector(item, field)?);
    let mut partial = None;
    if !split.ignored.is_empty() {
        partial = Some(note(
            format!(
                "the selector tests labels that are not modelled ({})",
                split.ignored.join(", ")
            ),
            item,
        ));
    }
    if ctx.namespace.is_some() && split.namespace_labels {
        partial.get_or_insert(note(
            "Cilium ignores `io.cilium.k8s.namespace.labels` in a CiliumNetworkPolicy: not modelled",
            item,
        ));
    }
    let m = if !split.entities.is_empty() {
        // `reserved:host` and the like select an entity, not pods; Cilium adds no namespace.
        if split.pods != SelExpr::All || split.namespace.is_some() {
            partial.get_or_insert(note(
                "a reserved label combined with other labels: only the entity is modelled",
                item,
            ));
        }
        EndpointMatch {
            entities: split.entities,
            ..Default::default()
        }
    } else {
        // Cilium scopes a peer selector without a namespace to the policy's namespace (a
        // CiliumNetworkPolicy) or to the pods of every namespace (a clusterwide policy).
        EndpointMatch {
            selector: Some(split.pods),
            same_namespace: match (ctx.namespace, split.names_namespace) {
                (Some(ns), false) => Some(ns.to_string()),
                _ => None,
            },
            namespace_selector: split.namespace,
            ..Default::default()
        }
    };
    Ok(Peer {
        m,
        loc: item.loc.clone(),
        partial,
    })
}

fn cidr_set_peer(item: &Node, field: &str) -> R<Peer> {
    if item.as_map().is_none() {
        return Err(type_error(
            item,
            field,
            "a mapping with `cidr` and `except`",
        ));
    }
    let refs = ["cidrGroupRef", "cidrGroupSelector"]
        .into_iter()
        .find(|k| item.get(k).is_some_and(|n| !n.is_null()));
    match (item.get("cidr").filter(|n| !n.is_null()), refs) {
        (Some(_), Some(r)) => Err(err(
            format!("a CIDR set takes exactly one of `cidr` and `{r}`"),
            "split it into two items",
            item.loc.clone(),
        )),
        (None, Some(r)) => Ok(unknown_peer(
            item,
            format!("`{r}`: the addresses of CiliumCIDRGroups are not known here"),
        )),
        (None, None) => Err(err(
            "a CIDR set needs a `cidr`",
            "add `cidr: <address>/<prefix>`",
            item.loc.clone(),
        )),
        (Some(cidr_node), _) => {
            let cidr = read_cidr(cidr_node, "cidr", true)?;
            let mut except = Vec::new();
            for e in opt_seq(item, "except")?.unwrap_or_default() {
                let range = read_cidr(e, "except[]", true)?;
                if !cidr.contains(&range) {
                    return Err(err(
                        format!(
                            "except `{}` is not inside cidr `{}`",
                            e.as_str().unwrap_or_default(),
                            cidr_node.as_str().unwrap_or_default()
                        ),
                        "list only subnets of the cidr under except",
                        e.loc.clone(),
                    ));
                }
                except.push(range);
            }
            Ok(Peer {
                m: nets(vec![cidr], except),
                loc: item.loc.clone(),
                partial: None,
            })
        }
    }
}

/// A peer whose members cannot be known from the files: it may be anything, and every verdict
/// it could decide is partial.
fn unknown_peer(item: &Node, message: String) -> Peer {
    Peer {
        m: EndpointMatch::default(),
        loc: item.loc.clone(),
        partial: Some(note(message, item)),
    }
}

fn nets(ranges: Vec<AddrRange>, except: Vec<AddrRange>) -> EndpointMatch {
    EndpointMatch {
        nets: Some(Neg::is(ranges)),
        except,
        ..Default::default()
    }
}

/// A CIDR string; `prefix_required`: `fromCIDRSet` takes only `<address>/<prefix>`, `fromCIDR`
/// also a bare address.
fn read_cidr(node: &Node, field: &str, prefix_required: bool) -> R<AddrRange> {
    let s = node
        .as_str()
        .ok_or_else(|| type_error(node, field, "a string such as 10.0.0.0/8"))?;
    match parse_cidr(s) {
        Some(r) if !prefix_required || s.contains('/') => Ok(r),
        _ => Err(err(
            format!("`{s}` is not a valid CIDR"),
            "write an address and a prefix length, such as 10.0.0.0/8 or fd00::/64",
            node.loc.clone(),
        )),
    }
}

/// `toPorts` (or `icmps`) of a rule, grouped by protocol; `None` when neither is written (all
/// ports and protocols).
fn read_ports(rule: &Node, action: LAction, host_policy: bool) -> R<Option<Vec<PortGroup>>> {
    let to_ports = opt_seq(rule, "toPorts")?.unwrap_or_default();
    let icmps = opt_seq(rule, "icmps")?.unwrap_or_default();
    if !to_ports.is_empty() && !icmps.is_empty() {
        return Err(err(
            "`icmps` may only be present without `toPorts`",
            "define a separate rule for the ICMP types",
            rule.key_node("icmps").unwrap_or(rule).loc.clone(),
        ));
    }
    if to_ports.is_empty() && icmps.is_empty() {
        return Ok(None);
    }
    let mut groups: Vec<PortGroup> = Vec::new();
    for pr in to_ports {
        if pr.as_map().is_none() {
            return Err(type_error(pr, "toPorts[]", "a mapping with `ports`"));
        }
        let (mut l7, known) = if action == LAction::Allow {
            (l7_note(pr, host_policy)?, PORT_RULE_KEYS)
        } else {
            (None, &["ports"][..])
        };
        if let Some(k) = unknown_keys(pr, known).next() {
            l7.get_or_insert(note(
                format!("unknown field `{k}` in this toPorts entry: not read"),
                pr.key_node(&k).unwrap_or(pr),
            ));
        }
        let entries = opt_seq(pr, "ports")?.unwrap_or_default();
        if entries.len() > 40 {
            return Err(err(
                format!(
                    "{} ports in one toPorts entry, more than the 40 Cilium accepts",
                    entries.len()
                ),
                "split the ports over several toPorts entries",
                pr.key_node("ports").unwrap_or(pr).loc.clone(),
            ));
        }
        if entries.is_empty() {
            // No ports: every port of every protocol (with the entry's L7 rules, if any).
            add_port(&mut groups, None, None, l7.clone());
        }
        for p in entries {
            let (protocol, item, partial) = read_port(p)?;
            add_port(&mut groups, protocol, item, partial.or_else(|| l7.clone()));
        }
    }
    for icmp in icmps {
        if icmp.as_map().is_none() {
            return Err(type_error(icmp, "icmps[]", "a mapping with `fields`"));
        }
        for f in opt_seq(icmp, "fields")?.unwrap_or_default() {
            if f.as_map().is_none() {
                return Err(type_error(
                    f,
                    "fields[]",
                    "a mapping with `family` and `type`",
                ));
            }
            let protocol = match opt_str(f, "family")?.unwrap_or("IPv4") {
                "IPv4" => "ICMP",
                "IPv6" => "ICMPv6",
                other => {
                    return Err(err(
                        format!("unknown ICMP family `{other}`"),
                        "use IPv4 or IPv6",
                        f.get("family").unwrap_or(f).loc.clone(),
                    ))
                }
            };
            let partial = Some(note(
                format!("{protocol} is restricted to some types, which are not modelled"),
                f,
            ));
            add_port(&mut groups, Some(protocol.to_string()), None, partial);
        }
    }
    Ok(Some(groups))
}

const PORT_RULE_KEYS: &[&str] = &[
    "ports",
    "rules",
    "serverNames",
    "terminatingTLS",
    "originatingTLS",
    "listener",
];

/// Adds a port (`None`: every port) to the group of its protocol. Ports with a note (L7 rules,
/// ...) keep a group of their own, so that the note stays with them; the others merge into at
/// most one group per protocol, which keeps the linear search cheap.
fn add_port(
    groups: &mut Vec<PortGroup>,
    protocol: Option<String>,
    item: Option<PortItem>,
    partial: Option<Note>,
) {
    let found = match partial {
        Some(_) => None,
        None => groups
            .iter_mut()
            .find(|g| g.protocol == protocol && g.partial.is_none()),
    };
    match found {
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

/// One `ports` entry: `(protocol, port, note)`; protocol `None` for ANY (TCP, UDP and SCTP: the
/// protocols with ports), port `None` for every port (`0` or absent).
fn read_port(p: &Node) -> R<(Option<String>, Option<PortItem>, Option<Note>)> {
    if p.as_map().is_none() {
        return Err(type_error(
            p,
            "ports[]",
            "a mapping with `port` and `protocol`",
        ));
    }
    let protocol = match opt_str(p, "protocol")? {
        None | Some("ANY") => None,
        Some(s @ ("TCP" | "UDP" | "SCTP" | "ICMP" | "ICMPv6" | "VRRP" | "IGMP")) => {
            Some(s.to_string())
        }
        Some(other) => {
            return Err(err(
                format!("unknown protocol `{other}`"),
                "use TCP, UDP, SCTP or ANY (upper case)",
                p.get("protocol").unwrap_or(p).loc.clone(),
            ))
        }
    };
    let mut partial = None;
    let port = match p.get("port").filter(|n| !n.is_null()) {
        None => None,
        Some(n) => {
            let s = n.as_str().ok_or_else(|| {
                type_error(
                    n,
                    "port",
                    "a string such as \"443\" (the CRD takes a string)",
                )
            })?;
            if s.is_empty() {
                None
            } else if s.bytes().all(|b| b.is_ascii_digit()) {
                match s.parse::<u32>() {
                    Ok(0) => None,
                    Ok(v) if v <= 65535 => Some(PortItem::Range((v as u16, v as u16))),
                    _ => {
                        return Err(err(
                            format!("port `{s}` is out of range"),
                            "write a port from 1 to 65535 (0 means every port)",
                            n.loc.clone(),
                        ))
                    }
                }
            } else if is_service_name(s) {
                Some(PortItem::Named(s.to_ascii_lowercase()))
            } else {
                return Err(err(
                    format!("`{s}` is neither a port number nor a port name"),
                    "write a number from 1 to 65535 or a container port's name",
                    n.loc.clone(),
                ));
            }
        }
    };
    if let Some(e) = p.get("endPort").filter(|n| !n.is_null()) {
        let end = match e.value {
            Value::Int(v) if (0..=65535).contains(&v) => v as u16,
            _ => {
                return Err(err(
                    format!(
                        "`endPort` must be a whole number from 0 to 65535, found {}",
                        describe(e)
                    ),
                    "write the last port of the range",
                    e.loc.clone(),
                ))
            }
        };
        if let Some(PortItem::Range((lo, _))) = port {
            if end > lo {
                return Ok((protocol, Some(PortItem::Range((lo, end))), None));
            }
            if end != 0 && end < lo {
                partial = Some(note(
                    format!("endPort {end} is below port {lo}: only port {lo} is modelled"),
                    e,
                ));
            }
        }
    }
    Ok((protocol, port, partial))
}

/// An IANA service name, as Cilium accepts for named ports: 1 to 15 characters of letters,
/// digits and inner single hyphens, with at least one letter.
fn is_service_name(s: &str) -> bool {
    s.len() <= 15
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_alphabetic())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// A note for what a `toPorts` entry adds above L4 (L7 rules, SNI, a listener), unless it lets
/// everything through (`dns: [{matchPattern: "*"}]`, `http: [{}]`).
fn l7_note(pr: &Node, host_policy: bool) -> R<Option<Note>> {
    if let Some(rules) = opt_map(pr, "rules")? {
        let permissive = |key: &str, all: &dyn Fn(&Node) -> bool| -> R<bool> {
            Ok(opt_seq(rules, key)?.is_some_and(|items| items.iter().any(all)))
        };
        let dns_all = permissive("dns", &|n: &Node| {
            n.get("matchPattern").and_then(Node::as_str) == Some("*")
        })?;
        let http_all = permissive("http", &|n: &Node| n.as_map().is_some_and(|m| m.is_empty()))?;
        if host_policy && rules.get("http").is_some() {
            return Err(err(
                "host policies do not support HTTP rules",
                "remove the L7 rules from this host policy",
                rules.loc.clone(),
            ));
        }
        let kinds: Vec<&str> = ["http", "kafka", "dns", "l7proto"]
            .into_iter()
            .filter(|k| rules.get(k).is_some_and(|n| !n.is_null()))
            .collect();
        if !kinds.is_empty() && !dns_all && !http_all {
            return Ok(Some(note(
                format!(
                    "L7 rules ({}) are not evaluated: the verdict assumes the requests pass",
                    kinds.join(", ")
                ),
                rules,
            )));
        }
    }
    if let Some(n) = pr.get("serverNames").filter(|n| !n.is_null()) {
        return Ok(Some(note(
            "`serverNames` restricts TLS server names, which are not modelled",
            n,
        )));
    }
    if let Some(n) = pr.get("listener").filter(|n| !n.is_null()) {
        return Ok(Some(note(
            "the traffic is redirected to an Envoy listener, whose decisions are not modelled",
            n,
        )));
    }
    Ok(None)
}

/// The label naming a pod's namespace, as portmatrix's namespace labels carry it.
const NS_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A Cilium selector split into what it tests.
#[derive(Debug)]
struct Split {
    /// The pod (or node) labels, source prefixes (`k8s:`, `any:`) removed.
    pods: SelExpr,
    /// The namespace: `io.kubernetes.pod.namespace` as `kubernetes.io/metadata.name`, and
    /// `io.cilium.k8s.namespace.labels.<l>` as `<l>`.
    namespace: Option<SelExpr>,
    /// Whether `io.kubernetes.pod.namespace` is tested (then no implicit namespace applies).
    names_namespace: bool,
    /// Whether namespace labels are tested.
    namespace_labels: bool,
    /// `reserved:<entity>` labels.
    entities: Vec<String>,
    /// Keys that are not modelled (service accounts, cluster names, other sources).
    ignored: Vec<String>,
}

enum KeyKind {
    Pod(String),
    NamespaceName,
    NamespaceLabel(String),
    Reserved(String),
    Ignored,
}

fn classify(raw: &str) -> KeyKind {
    // Kubernetes label keys cannot contain `:`; in Cilium it separates the label's source.
    let key = match raw.split_once(':') {
        Some(("k8s" | "any", rest)) => rest,
        Some(("reserved", rest)) => return KeyKind::Reserved(rest.to_string()),
        Some(_) => return KeyKind::Ignored,
        None => raw,
    };
    if key == "io.kubernetes.pod.namespace" {
        KeyKind::NamespaceName
    } else if let Some(label) = key.strip_prefix("io.cilium.k8s.namespace.labels.") {
        KeyKind::NamespaceLabel(label.to_string())
    } else if key.starts_with("io.cilium.k8s.policy.") {
        KeyKind::Ignored
    } else {
        KeyKind::Pod(key.to_string())
    }
}

fn split_selector(sel: &Selector) -> Split {
    let mut pods = Selector::default();
    let mut ns = Selector::default();
    let mut split = Split {
        pods: SelExpr::All,
        namespace: None,
        names_namespace: false,
        namespace_labels: false,
        entities: Vec::new(),
        ignored: Vec::new(),
    };
    let target = |key: &str, split: &mut Split| -> Option<(bool, String)> {
        match classify(key) {
            KeyKind::Pod(k) => Some((false, k)),
            KeyKind::NamespaceName => {
                split.names_namespace = true;
                Some((true, NS_NAME_LABEL.to_string()))
            }
            KeyKind::NamespaceLabel(l) => {
                split.namespace_labels = true;
                Some((true, l))
            }
            KeyKind::Reserved(_) | KeyKind::Ignored => {
                split.ignored.push(key.to_string());
                None
            }
        }
    };
    for (k, v) in &sel.match_labels {
        if let KeyKind::Reserved(entity) = classify(k) {
            split.entities.push(entity);
            continue;
        }
        if let Some((is_ns, key)) = target(k, &mut split) {
            let dest = if is_ns { &mut ns } else { &mut pods };
            dest.match_labels.insert(key, v.clone());
        }
    }
    for r in &sel.match_expressions {
        if let Some((is_ns, key)) = target(&r.key, &mut split) {
            let dest = if is_ns { &mut ns } else { &mut pods };
            dest.match_expressions.push(Requirement {
                key,
                operator: r.operator.clone(),
                values: r.values.clone(),
            });
        }
    }
    split.pods = SelExpr::from_k8s(&pods);
    if !ns.match_labels.is_empty() || !ns.match_expressions.is_empty() {
        split.namespace = Some(SelExpr::from_k8s(&ns));
    }
    split
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
        Value::Int(i) => i.to_string(),
        Value::Str(s) => format!("\"{s}\""),
        _ => node.type_name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    fn parse(text: &str) -> (Layers, Vec<Finding>) {
        let (docs, error) = parse_stream("c.yaml", text, &Limits::default());
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

    /// The single error `text` produces, with its line and column.
    fn error(text: &str) -> (String, u32, u32) {
        let (layers, findings) = parse(text);
        assert!(
            layers.policies.is_empty(),
            "policy kept: {:#?}",
            layers.policies
        );
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let f = &findings[0];
        assert_eq!(f.rule, "PM000");
        let loc = f.loc.clone().unwrap();
        (f.message.clone(), loc.line, loc.column)
    }

    fn cnp(spec: &str) -> String {
        format!(
            "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: p\n  namespace: trident\nspec:\n{spec}"
        )
    }

    fn ccnp(spec: &str) -> String {
        format!(
            "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata:\n  name: p\nspec:\n{spec}"
        )
    }

    fn eq(key: &str, value: &str) -> SelExpr {
        SelExpr::Eq {
            key: key.into(),
            value: value.into(),
        }
    }

    fn range(lo: u16, hi: u16) -> Option<Neg<Vec<PortItem>>> {
        Some(Neg::is(vec![PortItem::Range((lo, hi))]))
    }

    #[test]
    fn namespaced_policy_header_subject_and_types() {
        let p = one(&cnp(
            "  endpointSelector:\n    matchLabels:\n      app: controller.csi.trident.netapp.io\n  ingress:\n    - fromEntities: [remote-node]\n  egress:\n    - toEntities: [kube-apiserver]\n",
        ));
        assert_eq!(p.engine, Engine::Cilium);
        assert_eq!(p.kind, "CiliumNetworkPolicy");
        assert_eq!(p.name, "p");
        assert_eq!(p.namespace.as_deref(), Some("trident"));
        assert_eq!((p.loc.line, p.loc.column), (4, 9));
        assert_eq!(p.at, "c.yaml:4");
        assert_eq!(p.span.line, 1);
        assert_eq!(p.tier, "");
        assert_eq!(p.order, None);
        assert_eq!(
            p.subject,
            Subject::Pods {
                namespace: None,
                pods: eq("app", "controller.csi.trident.netapp.io")
            }
        );
        assert_eq!(p.types, ["Ingress", "Egress"]);
        assert!(p.notes.is_empty());
        assert_eq!(p.ingress[0].src.entities, ["remote-node"]);
        assert_eq!(p.egress[0].dst.entities, ["kube-apiserver"]);
    }

    #[test]
    fn namespace_defaults_to_default() {
        let p = one("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: p\nspec:\n  endpointSelector: {}\n  ingress: [{}]\n");
        assert_eq!(p.namespace.as_deref(), Some("default"));
        assert_eq!(
            p.subject,
            Subject::Pods {
                namespace: None,
                pods: SelExpr::All
            }
        );
    }

    #[test]
    fn clusterwide_subject_strips_prefixes_and_reads_the_namespace_label() {
        let p = one(&ccnp(
            "  endpointSelector:\n    matchLabels:\n      k8s:io.kubernetes.pod.namespace: kube-system\n      any:k8s-app: kube-dns\n  ingress: [{}]\n",
        ));
        assert_eq!(p.namespace, None);
        assert_eq!(
            p.subject,
            Subject::Pods {
                namespace: Some(eq("kubernetes.io/metadata.name", "kube-system")),
                pods: eq("k8s-app", "kube-dns"),
            }
        );
    }

    #[test]
    fn namespaced_subject_ignores_a_foreign_namespace_with_a_note() {
        let p = one(&cnp(
            "  endpointSelector:\n    matchLabels:\n      io.kubernetes.pod.namespace: other\n  ingress: [{}]\n",
        ));
        assert_eq!(
            p.subject,
            Subject::Pods {
                namespace: None,
                pods: SelExpr::All
            }
        );
        assert_eq!(p.notes.len(), 1);
        assert_eq!(p.notes[0].loc.line, 8);
        // Naming its own namespace is harmless.
        let p = one(&cnp(
            "  endpointSelector:\n    matchLabels:\n      io.kubernetes.pod.namespace: trident\n  ingress: [{}]\n",
        ));
        assert!(p.notes.is_empty());
    }

    #[test]
    fn endpoints_peers_are_scoped_to_the_policy_namespace_unless_they_name_one() {
        let p = one(&cnp(
            "  endpointSelector: {}\n  ingress:\n    - fromEndpoints:\n        - {}\n        - matchLabels:\n            k8s:io.kubernetes.pod.namespace: monitoring\n            app.kubernetes.io/name: prometheus\n        - matchExpressions:\n            - {key: io.kubernetes.pod.namespace, operator: In, values: [a, b]}\n",
        ));
        let [all, prom, expr] = &p.ingress[..] else {
            panic!("{:#?}", p.ingress)
        };
        assert_eq!(all.src.selector, Some(SelExpr::All));
        assert_eq!(all.src.same_namespace.as_deref(), Some("trident"));
        assert_eq!(all.src.namespace_selector, None);
        assert_eq!(all.loc.line, 10);
        assert_eq!(
            prom.src.selector,
            Some(eq("app.kubernetes.io/name", "prometheus"))
        );
        assert_eq!(
            prom.src.namespace_selector,
            Some(eq("kubernetes.io/metadata.name", "monitoring"))
        );
        assert_eq!(prom.src.same_namespace, None);
        assert_eq!(
            expr.src.namespace_selector,
            Some(SelExpr::In {
                key: "kubernetes.io/metadata.name".into(),
                values: vec!["a".into(), "b".into()]
            })
        );
        assert!(p
            .ingress
            .iter()
            .all(|r| r.action == LAction::Allow && r.partial.is_none()));
    }

    #[test]
    fn clusterwide_empty_endpoint_selector_is_every_pod_of_every_namespace() {
        let p = one(&ccnp(
            "  endpointSelector: {}\n  egress:\n    - toEndpoints: [{}]\n",
        ));
        let r = &p.egress[0];
        assert_eq!(r.dst.selector, Some(SelExpr::All));
        assert_eq!(r.dst.same_namespace, None);
        assert_eq!(r.dst.namespace_selector, None);
        assert_eq!(r.src, EndpointMatch::default());
    }

    #[test]
    fn namespace_labels_and_reserved_labels() {
        let p = one(&ccnp(
            "  endpointSelector: {}\n  ingress:\n    - fromEndpoints:\n        - matchLabels:\n            io.cilium.k8s.namespace.labels.team: storage\n        - matchLabels:\n            reserved:host: \"\"\n        - matchLabels:\n            io.cilium.k8s.policy.serviceaccount: trident\n",
        ));
        assert_eq!(
            p.ingress[0].src.namespace_selector,
            Some(eq("team", "storage"))
        );
        assert_eq!(p.ingress[0].src.selector, Some(SelExpr::All));
        assert_eq!(p.ingress[1].src.entities, ["host"]);
        assert_eq!(p.ingress[1].src.selector, None);
        assert!(p.ingress[1].partial.is_none());
        let note = p.ingress[2]
            .partial
            .as_ref()
            .expect("service account not modelled");
        assert!(note.message.contains("serviceaccount"), "{}", note.message);
    }

    #[test]
    fn entities_one_rule_each_and_none_selects_nothing() {
        let p = one(&cnp(
            "  endpointSelector: {}\n  ingress:\n    - fromEntities:\n        - host\n        - remote-node\n        - none\n",
        ));
        assert_eq!(p.ingress.len(), 2);
        assert_eq!(p.ingress[0].src.entities, ["host"]);
        assert_eq!(p.ingress[1].src.entities, ["remote-node"]);
        assert_eq!(p.ingress[1].loc.line, 11);
        let (msg, line, col) = error(&cnp(
            "  endpointSelector: {}\n  ingress:\n    - fromEntities: [host, wrld]\n",
        ));
        assert!(msg.contains("unknown entity `wrld`"), "{msg}");
        assert_eq!((line, col), (9, 28));
    }

    #[test]
    fn cidrs_and_cidr_sets() {
        let p = one(&cnp(
            "  endpointSelector: {}\n  egress:\n    - toCIDR: [10.30.1.10, 10.30.2.0/24]\n    - toCIDRSet:\n        - cidr: 10.0.0.0/8\n          except: [10.96.0.0/12]\n        - cidrGroupRef: storage\n",
        ));
        let nets = |i: usize| p.egress[i].dst.nets.clone().unwrap().value;
        assert_eq!(nets(0), vec![parse_cidr("10.30.1.10/32").unwrap()]);
        assert_eq!(nets(1), vec![parse_cidr("10.30.2.0/24").unwrap()]);
        assert_eq!(nets(2), vec![parse_cidr("10.0.0.0/8").unwrap()]);
        assert_eq!(
            p.egress[2].dst.except,
            vec![parse_cidr("10.96.0.0/12").unwrap()]
        );
        assert_eq!(p.egress[3].dst, EndpointMatch::default());
        assert!(p.egress[3]
            .partial
            .as_ref()
            .unwrap()
            .message
            .contains("cidrGroupRef"));
        assert_eq!(p.egress.len(), 4);
    }

    #[test]
    fn bad_cidrs_are_located_errors() {
        let (msg, line, col) = error(&cnp(
            "  endpointSelector: {}\n  egress:\n    - toCIDR: [10.0.0.0/33]\n",
        ));
        assert!(msg.contains("10.0.0.0/33"), "{msg}");
        assert_eq!((line, col), (9, 16));
        let (msg, line, _) = error(&cnp(
            "  endpointSelector: {}\n  egress:\n    - toCIDRSet:\n        - cidr: 10.0.0.0/16\n          except: [10.1.0.0/24]\n",
        ));
        assert!(msg.contains("not inside"), "{msg}");
        assert_eq!(line, 11);
        // A CIDR set wants a prefix; toCIDR takes a bare address.
        let (msg, _, _) = error(&cnp(
            "  endpointSelector: {}\n  egress:\n    - toCIDRSet: [{cidr: 10.0.0.1}]\n",
        ));
        assert!(msg.contains("not a valid CIDR"), "{msg}");
        let (msg, _, _) = error(&cnp(
            "  endpointSelector: {}\n  egress:\n    - toCIDRSet: [{cidr: 10.0.0.0/8, cidrGroupRef: x}]\n",
        ));
        assert!(msg.contains("exactly one"), "{msg}");
        let (msg, _, _) = error(&cnp(
            "  endpointSelector: {}\n  egress:\n    - toCIDRSet: [{}]\n",
        ));
        assert!(msg.contains("needs a `cidr`"), "{msg}");
    }

    #[test]
    fn ports_protocols_ranges_and_names() {
        let p = one(&cnp(
            "  endpointSelector: {}\n  egress:\n    - toEntities: [world]\n      toPorts:\n        - ports:\n            - {port: \"443\", protocol: TCP}\n            - {port: \"53\", protocol: UDP}\n            - {port: \"6443\", protocol: TCP}\n            - {port: \"8000\", endPort: 8010, protocol: TCP}\n",
        ));
        assert_eq!(p.egress.len(), 2, "one rule per protocol");
        let tcp = &p.egress[0];
        assert_eq!(tcp.protocol, Some(Neg::is("TCP".to_string())));
        assert_eq!(
            tcp.dst.ports,
            Some(Neg::is(vec![
                PortItem::Range((443, 443)),
                PortItem::Range((6443, 6443)),
                PortItem::Range((8000, 8010)),
            ]))
        );
        assert_eq!(tcp.dst.entities, ["world"]);
        assert_eq!(p.egress[1].protocol, Some(Neg::is("UDP".to_string())));
        assert_eq!(p.egress[1].dst.ports, range(53, 53));

        let p = one(&cnp(
            "  endpointSelector: {}\n  ingress:\n    - toPorts:\n        - ports:\n            - port: HTTPS\n            - port: \"0\"\n              protocol: UDP\n",
        ));
        // ANY (absent) protocol: no protocol condition; a named port, lower-cased.
        assert_eq!(p.ingress[0].protocol, None);
        assert_eq!(
            p.ingress[0].dst.ports,
            Some(Neg::is(vec![PortItem::Named("https".into())]))
        );
        // Port 0: every port of UDP.
        assert_eq!(p.ingress[1].protocol, Some(Neg::is("UDP".to_string())));
        assert_eq!(p.ingress[1].dst.ports, None);
        // No L3 peer but ports: every peer, located at the rule.
        assert_eq!(p.ingress[0].src, EndpointMatch::default());
        assert_eq!(p.ingress[0].loc.line, 9);
    }

    #[test]
    fn bad_ports_are_located_errors() {
        let case = |port: &str| {
            error(&cnp(&format!(
                "  endpointSelector: {{}}\n  ingress:\n    - toPorts:\n        - ports:\n            - {port}\n"
            )))
        };
        let (msg, line, col) = case("{port: 443}");
        assert!(msg.contains("must be a string"), "{msg}");
        assert_eq!((line, col), (11, 22));
        assert!(case("{port: \"70000\"}").0.contains("out of range"));
        assert!(case("{port: \"not a name\"}")
            .0
            .contains("neither a port number"));
        assert!(case("{port: \"443\", protocol: tcp}")
            .0
            .contains("unknown protocol `tcp`"));
        assert!(case("{port: \"443\", endPort: 70000}")
            .0
            .contains("endPort"));
        assert!(case("{port: true}").0.contains("must be a string"));
    }

    #[test]
    fn end_port_below_port_keeps_the_port_with_a_note() {
        let p = one(&cnp(
            "  endpointSelector: {}\n  ingress:\n    - toPorts:\n        - ports:\n            - {port: \"8443\", endPort: 80, protocol: TCP}\n",
        ));
        assert_eq!(p.ingress[0].dst.ports, range(8443, 8443));
        assert!(p.ingress[0]
            .partial
            .as_ref()
            .unwrap()
            .message
            .contains("endPort 80"));
    }

    #[test]
    fn peers_times_protocols_ingress_and_egress_sides() {
        let p = one(&cnp(
            "  endpointSelector: {}\n  ingress:\n    - fromEntities: [host, remote-node]\n      toPorts:\n        - ports:\n            - {port: \"8443\", protocol: TCP}\n            - {port: \"8443\", protocol: UDP}\n  egress:\n    - toCIDR: [10.0.0.1]\n      toEntities: [world]\n      toPorts:\n        - ports: [{port: \"443\", protocol: TCP}]\n",
        ));
        assert_eq!(p.ingress.len(), 4);
        for r in &p.ingress {
            assert_eq!(r.dst.ports, range(8443, 8443));
            assert_eq!(r.dst.entities, Vec::<String>::new());
            assert_eq!(r.src.ports, None);
            assert_eq!(r.src.entities.len(), 1);
        }
        // Peer kinds of one rule are alternatives; ports go with the peer on egress.
        assert_eq!(p.egress.len(), 2);
        assert!(p.egress.iter().all(|r| r.dst.ports == range(443, 443)));
        assert_eq!(p.egress[0].dst.entities, ["world"]);
        assert!(p.egress[1].dst.nets.is_some());
        assert!(p.egress.iter().all(|r| r.src == EndpointMatch::default()));
    }

    #[test]
    fn empty_rules_and_default_deny() {
        // `{}` selects nothing but isolates; an empty list does not isolate.
        let p = one(&cnp(
            "  endpointSelector: {}\n  ingress: [{}]\n  egress: []\n",
        ));
        assert!(p.ingress.is_empty() && p.egress.is_empty());
        assert_eq!(p.types, ["Ingress"]);
        // An explicitly empty peer list selects nothing, even with ports.
        let p = one(&cnp(
            "  endpointSelector: {}\n  egress:\n    - toEndpoints: []\n      toPorts: [{ports: [{port: \"53\"}]}]\n",
        ));
        assert!(p.egress.is_empty());
        assert_eq!(p.types, ["Egress"]);
        // A null rule is an empty rule.
        let p = one(&cnp("  endpointSelector: {}\n  egress:\n    -\n"));
        assert!(p.egress.is_empty());
        assert_eq!(p.types, ["Egress"]);
    }

    #[test]
    fn deny_rules_and_their_default_deny() {
        let p = one(&ccnp(
            "  endpointSelector: {}\n  egressDeny:\n    - toCIDRSet: [{cidr: 10.30.1.0/24}]\n      toPorts: [{ports: [{port: \"443\", protocol: TCP}]}]\n  ingressDeny:\n    - fromEntities: [world]\n",
        ));
        assert_eq!(p.egress.len(), 1);
        assert_eq!(p.egress[0].action, LAction::Deny);
        assert_eq!(p.ingress[0].action, LAction::Deny);
        assert_eq!(p.types, ["Ingress", "Egress"]);
    }

    #[test]
    fn enable_default_deny_overrides_per_direction() {
        let p = one(&ccnp(
            "  endpointSelector: {}\n  enableDefaultDeny:\n    ingress: false\n    egress: true\n  ingress:\n    - fromEntities: [cluster]\n",
        ));
        assert_eq!(p.types, ["Egress"]);
        assert_eq!(
            p.ingress.len(),
            1,
            "rules are kept when default deny is off"
        );
        let (msg, line, _) = error(&ccnp(
            "  endpointSelector: {}\n  enableDefaultDeny:\n    ingress: \"no\"\n",
        ));
        assert!(msg.contains("`ingress` must be true or false"), "{msg}");
        assert_eq!(line, 8);
    }

    #[test]
    fn host_policies() {
        let p = one(&ccnp(
            "  nodeSelector:\n    matchLabels:\n      k8s:node-role.kubernetes.io/control-plane: \"\"\n  ingress:\n    - fromEntities: [kube-apiserver]\n      toPorts: [{ports: [{port: \"4433\", protocol: TCP}]}]\n",
        ));
        assert_eq!(
            p.subject,
            Subject::Hosts {
                selector: eq("node-role.kubernetes.io/control-plane", "")
            }
        );
        assert_eq!(p.ingress[0].dst.ports, range(4433, 4433));
        let (msg, line, _) = error(&cnp("  nodeSelector: {}\n  ingress: [{}]\n"));
        assert!(
            msg.contains("only allowed in a CiliumClusterwideNetworkPolicy"),
            "{msg}"
        );
        assert_eq!(line, 7);
        let (msg, _, _) = error(&ccnp("  nodeSelector: {}\n  endpointSelector: {}\n"));
        assert!(msg.contains("both"), "{msg}");
        let (msg, line, _) = error(&ccnp("  ingress: [{}]\n"));
        assert!(msg.contains("needs an `endpointSelector`"), "{msg}");
        assert_eq!(line, 6);
        let (msg, _, _) = error(&ccnp(
            "  nodeSelector: {}\n  ingress:\n    - toPorts: [{ports: [{port: \"80\"}], rules: {http: [{method: GET}]}}]\n",
        ));
        assert!(msg.contains("host policies"), "{msg}");
    }

    #[test]
    fn nodes_peers() {
        let p = one(&ccnp(
            "  endpointSelector: {}\n  egress:\n    - toNodes:\n        - matchLabels: {role: storage}\n",
        ));
        assert_eq!(p.egress[0].dst.node_selector, Some(eq("role", "storage")));
        assert_eq!(p.egress[0].dst.selector, None);
    }

    #[test]
    fn fqdns_services_groups_are_partial() {
        let p = one(&cnp(
            "  endpointSelector: {}\n  egress:\n    - toFQDNs:\n        - matchName: svm1-mgmt.example.com\n      toPorts: [{ports: [{port: \"443\", protocol: TCP}]}]\n    - toServices:\n        - k8sService: {serviceName: kubernetes, namespace: default}\n    - toGroups:\n        - aws: {securityGroupsIds: [sg-1]}\n",
        ));
        let fqdn = &p.egress[0];
        assert_eq!(fqdn.dst.entities, ["world"]);
        assert_eq!(fqdn.dst.ports, range(443, 443));
        let note = fqdn.partial.as_ref().unwrap();
        assert!(note.message.contains("svm1-mgmt.example.com"));
        assert_eq!(note.loc.line, 10);
        assert!(p.egress[1]
            .partial
            .as_ref()
            .unwrap()
            .message
            .contains("toServices"));
        assert!(p.egress[2]
            .partial
            .as_ref()
            .unwrap()
            .message
            .contains("toGroups"));
        assert_eq!(p.egress[1].dst, EndpointMatch::default());
    }

    #[test]
    fn l7_rules_are_notes_unless_they_allow_everything() {
        let p = one(&cnp(
            "  endpointSelector: {}\n  egress:\n    - toPorts:\n        - ports: [{port: \"53\", protocol: UDP}]\n          rules:\n            dns: [{matchPattern: \"*\"}]\n        - ports: [{port: \"80\", protocol: TCP}]\n          rules:\n            http: [{method: GET, path: /healthz}]\n        - ports: [{port: \"443\", protocol: TCP}]\n          serverNames: [svm1.example.com]\n        - ports: [{port: \"8080\", protocol: TCP}]\n",
        ));
        let by_port = |port: u16| {
            p.egress
                .iter()
                .find(|r| {
                    r.dst
                        .ports
                        .as_ref()
                        .is_some_and(|ps| ps.value.contains(&PortItem::Range((port, port))))
                })
                .unwrap()
        };
        assert!(by_port(53).partial.is_none());
        assert!(by_port(80)
            .partial
            .as_ref()
            .unwrap()
            .message
            .contains("L7 rules (http)"));
        assert!(by_port(443)
            .partial
            .as_ref()
            .unwrap()
            .message
            .contains("serverNames"));
        assert!(
            by_port(8080).partial.is_none(),
            "a plain port is not grouped with L7 ports"
        );
    }

    #[test]
    fn authentication_requires_and_unknown_fields() {
        let p = one(&cnp(
            "  endpointSelector: {}\n  bogus: 1\n  ingress:\n    - fromEntities: [cluster]\n      authentication: {mode: required}\n    - fromEntities: [host]\n      fromPort: 80\n    - fromRequires: [{matchLabels: {env: prod}}]\n",
        ));
        assert!(p.ingress[0]
            .partial
            .as_ref()
            .unwrap()
            .message
            .contains("authentication"));
        let unknown = p.ingress[1].partial.as_ref().unwrap();
        assert!(unknown.message.contains("`fromPort`"));
        assert_eq!(unknown.loc.line, 13);
        assert_eq!(p.notes.len(), 2, "{:#?}", p.notes);
        assert!(p.notes[0].message.contains("`bogus`"));
        assert!(p.notes[1].message.contains("fromRequires"));
    }

    #[test]
    fn icmps() {
        let p = one(&cnp(
            "  endpointSelector: {}\n  egress:\n    - toEntities: [world]\n      icmps:\n        - fields:\n            - {type: 8, family: IPv4}\n            - {type: EchoRequest, family: IPv6}\n",
        ));
        assert_eq!(p.egress.len(), 2);
        assert_eq!(p.egress[0].protocol, Some(Neg::is("ICMP".to_string())));
        assert_eq!(p.egress[1].protocol, Some(Neg::is("ICMPv6".to_string())));
        assert!(p
            .egress
            .iter()
            .all(|r| r.partial.is_some() && r.dst.ports.is_none()));
        let (msg, _, _) = error(&cnp(
            "  endpointSelector: {}\n  egress:\n    - toPorts: [{ports: [{port: \"1\"}]}]\n      icmps: [{fields: [{type: 8}]}]\n",
        ));
        assert!(msg.contains("icmps"), "{msg}");
    }

    #[test]
    fn specs_make_one_policy_each() {
        let (layers, findings) = parse(
            "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: two, namespace: trident}\nspecs:\n  - endpointSelector: {matchLabels: {a: b}}\n    ingress: [{}]\n  - endpointSelector: {matchLabels: {c: d}}\n    egress: [{}]\n",
        );
        assert!(findings.is_empty(), "{findings:#?}");
        assert_eq!(layers.policies.len(), 2);
        assert_eq!(layers.policies[0].types, ["Ingress"]);
        assert_eq!(layers.policies[1].types, ["Egress"]);
        assert!(layers.policies.iter().all(|p| p.name == "two"));
    }

    #[test]
    fn wrong_types_are_located_errors() {
        let cases = [
            (
                "  endpointSelector: {}\n  ingress: {fromEntities: [host]}\n",
                "`ingress` must be a list",
                8,
            ),
            (
                "  endpointSelector: {}\n  ingress:\n    - fromEntities: host\n",
                "`fromEntities` must be a list",
                9,
            ),
            (
                "  endpointSelector: app\n  ingress: [{}]\n",
                "`endpointSelector` must be a label selector",
                7,
            ),
            (
                "  endpointSelector: {}\n  ingress:\n    - 42\n",
                "`ingress[]` must be a mapping",
                9,
            ),
            (
                "  endpointSelector: {}\n  ingress:\n    - fromEntities: [1]\n",
                "`fromEntities[]` must be an entity",
                9,
            ),
            (
                "  endpointSelector: {}\n  ingress:\n    - toPorts: [{ports: {port: \"1\"}}]\n",
                "`ports` must be a list",
                9,
            ),
            (
                "  endpointSelector: {matchExpressions: [{key: a, operator: Has}]}\n",
                "unknown matchExpressions operator",
                7,
            ),
        ];
        for (spec, want, line) in cases {
            let (msg, l, _) = error(&cnp(spec));
            assert!(msg.contains(want), "{spec}: {msg}");
            assert_eq!(l, line, "{spec}");
        }
        let (msg, line, _) = error(
            "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: x}\nspec: [1]\n",
        );
        assert!(msg.contains("`spec` must be a mapping"), "{msg}");
        assert_eq!(line, 4);
        let (msg, line, _) =
            error("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: x}\n");
        assert!(msg.contains("has no `spec`"), "{msg}");
        assert_eq!(line, 3);
        let (msg, line, col) = error("apiVersion: cilium.io/v2alpha1\nkind: CiliumNetworkPolicy\nmetadata: {name: x}\nspec: {}\n");
        assert!(msg.contains("unsupported apiVersion"), "{msg}");
        assert_eq!((line, col), (1, 13));
    }

    #[test]
    fn an_error_in_one_object_keeps_the_others() {
        let (layers, findings) = parse(&format!(
            "{}---\n{}",
            cnp("  endpointSelector: {}\n  ingress:\n    - fromEntities: [nope]\n"),
            ccnp("  endpointSelector: {}\n  ingress: [{}]\n")
        ));
        assert_eq!(findings.len(), 1);
        assert_eq!(layers.policies.len(), 1);
        assert_eq!(layers.policies[0].kind, "CiliumClusterwideNetworkPolicy");
    }

    #[test]
    fn split_selector_classifies_keys() {
        let sel = Selector {
            match_labels: [
                ("k8s:app".to_string(), "x".to_string()),
                ("reserved:world".to_string(), String::new()),
                ("container:foo".to_string(), "y".to_string()),
            ]
            .into_iter()
            .collect(),
            ..Default::default()
        };
        let s = split_selector(&sel);
        assert_eq!(s.pods, eq("app", "x"));
        assert_eq!(s.entities, ["world"]);
        assert_eq!(s.ignored, ["container:foo"]);
        assert!(!s.names_namespace && s.namespace.is_none());
    }

    #[test]
    fn service_names() {
        assert!(is_service_name("https"));
        assert!(is_service_name("http-8080"));
        assert!(!is_service_name("8080"));
        assert!(!is_service_name("-http"));
        assert!(!is_service_name("a--b"));
        assert!(!is_service_name("a-very-long-port-name"));
    }
}
