//! Kubernetes manifests: NetworkPolicy, Namespace, workloads and `List`s, from YAML or JSON.
//!
//! Turns each object into the shared model. Objects of other kinds are skipped; objects of a policy
//! kind portmatrix cannot analyse yet are recorded so that a rule reports them.

use crate::finding::Finding;
use crate::model::*;
use crate::source::Loc;
use crate::yaml::{Node, Value};

type R<T> = Result<T, Box<Finding>>;

fn input_err(message: impl Into<String>, help: impl Into<String>, loc: Loc) -> Box<Finding> {
    Box::new(Finding::input_error(message, help, loc))
}

/// Policy kinds of other enforcement layers, reported as "not analysed yet".
const OTHER_POLICY_KINDS: &[(&str, &str)] = &[
    ("projectcalico.org", "NetworkPolicy"),
    ("projectcalico.org", "GlobalNetworkPolicy"),
    ("projectcalico.org", "StagedNetworkPolicy"),
    ("projectcalico.org", "StagedGlobalNetworkPolicy"),
    ("projectcalico.org", "HostEndpoint"),
    ("projectcalico.org", "NetworkSet"),
    ("projectcalico.org", "GlobalNetworkSet"),
    ("projectcalico.org", "Tier"),
    ("crd.projectcalico.org", "NetworkPolicy"),
    ("crd.projectcalico.org", "StagedNetworkPolicy"),
    ("crd.projectcalico.org", "StagedGlobalNetworkPolicy"),
    ("crd.projectcalico.org", "GlobalNetworkPolicy"),
    ("cilium.io", "CiliumNetworkPolicy"),
    ("cilium.io", "CiliumClusterwideNetworkPolicy"),
    ("policy.networking.k8s.io", "AdminNetworkPolicy"),
    ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"),
    ("policy.networking.k8s.io", "ClusterNetworkPolicy"),
];

const WORKLOAD_KINDS: &[&str] = &[
    "Deployment",
    "DaemonSet",
    "StatefulSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
];

/// Reads one top-level document (an object or a `List` of objects) into `model`.
pub fn read_document(
    root: &Node,
    model: &mut Model,
    findings: &mut Vec<Finding>,
    keep: super::NamespaceFilter,
) {
    read_object(root, model, findings, 0, keep);
}

fn read_object(
    node: &Node,
    model: &mut Model,
    findings: &mut Vec<Finding>,
    depth: usize,
    keep: super::NamespaceFilter,
) {
    if node.is_null() {
        return;
    }
    if node.as_map().is_none() {
        findings.push(*input_err(
            format!(
                "expected a Kubernetes object (a mapping), found {}",
                node.type_name()
            ),
            "each YAML document must be an object with apiVersion and kind",
            node.loc.clone(),
        ));
        return;
    }
    let (Some(kind), Some(api_version)) = (
        node.get("kind").and_then(Node::as_str),
        node.get("apiVersion").and_then(Node::as_str),
    ) else {
        // Not a Kubernetes object (a Helm values file, a profile, ...): nothing to analyse.
        return;
    };
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    let result = match (group, kind) {
        (_, "List") | (_, "NetworkPolicyList") | (_, "NamespaceList") => {
            if depth > 0 {
                return;
            }
            if let Some(items) = node.get("items") {
                match items.as_seq() {
                    Some(items) => {
                        for item in items {
                            read_object(item, model, findings, depth + 1, keep);
                        }
                    }
                    None if items.is_null() => {}
                    None => findings.push(*type_error(items, "items", "a list")),
                }
            }
            Ok(())
        }
        ("networking.k8s.io", "NetworkPolicy") => {
            if api_version != "networking.k8s.io/v1" {
                Err(input_err(
                    format!("unsupported apiVersion `{api_version}` for NetworkPolicy"),
                    "use networking.k8s.io/v1",
                    node.get("apiVersion")
                        .map(|n| n.loc.clone())
                        .unwrap_or_else(|| node.loc.clone()),
                ))
            } else {
                read_network_policy(node).map(|p| {
                    if let (Some(text), Some(loc)) = (&p.ignore, ignore_loc(node)) {
                        model.ignore_annotations.push(IgnoreAnnotation {
                            object: format!("{}/{}", p.namespace, p.name),
                            text: text.clone(),
                            loc,
                            span: p.span.clone(),
                        });
                    }
                    let rejected = super::validate::check(&p);
                    if !rejected.is_empty() {
                        // The API server would refuse the object: it never takes effect.
                        findings.extend(rejected.into_iter().map(|mut f| {
                            f.message.push_str(
                                "; the API server rejects this policy, so it is left out of the verdicts",
                            );
                            f
                        }));
                        model.rejected_policies += 1;
                    } else if keep.is_none_or(|k| k.contains(&p.namespace)) {
                        model.network_policies.push(p)
                    } else {
                        model.omitted_policies += 1;
                    }
                })
            }
        }
        ("", "Namespace") => read_namespace(node).map(|n| model.namespaces.push(n)),
        (_, k) if WORKLOAD_KINDS.contains(&k) => read_workload(node, k, findings).map(|w| {
            if let Some(w) = w {
                model.workloads.push(w)
            }
        }),
        ("", "Service") => {
            super::workload_ports::read_service(node).map(|s| model.services.push(s))
        }
        (g, k) if super::calico::handles(g, k) => {
            layer_ignore(node, model);
            super::calico::read(node, api_version, k, &mut model.layers, findings)
        }
        (g, k) if super::cilium::handles(g, k) => {
            layer_ignore(node, model);
            super::cilium::read(node, api_version, k, &mut model.layers, findings)
        }
        (g, k) if super::anp::handles(g, k) => {
            layer_ignore(node, model);
            super::anp::read(node, api_version, k, &mut model.layers, findings)
        }
        (g, k)
            if OTHER_POLICY_KINDS
                .iter()
                .any(|(pg, pk)| *pg == g && *pk == k) =>
        {
            let name = metadata_name(node).unwrap_or_default();
            model.unsupported.push(Unsupported {
                api_version: api_version.to_string(),
                kind: k.to_string(),
                name,
                loc: node
                    .get("kind")
                    .map(|n| n.loc.clone())
                    .unwrap_or_else(|| node.loc.clone()),
            });
            Ok(())
        }
        _ => Ok(()),
    };
    if let Err(f) = result {
        findings.push(*f);
    }
}

pub fn type_error(node: &Node, field: &str, expected: &str) -> Box<Finding> {
    input_err(
        format!("`{field}` must be {expected}, found {}", node.type_name()),
        format!("write `{field}` as {expected}"),
        node.loc.clone(),
    )
}

pub fn metadata_name(node: &Node) -> Option<String> {
    node.get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
        .map(str::to_string)
}

/// Where the `portmatrix.io/ignore` annotation's value is written.
/// The `portmatrix.io/ignore` annotation of a Calico, Cilium or AdminNetworkPolicy object: it
/// suppresses findings located in the object, as on a NetworkPolicy.
fn layer_ignore(node: &Node, model: &mut Model) {
    let Some(value) = node
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(IGNORE_ANNOTATION))
    else {
        return;
    };
    let Some(text) = value.as_str() else {
        return;
    };
    let meta = node.get("metadata");
    let name = metadata_name(node).unwrap_or_default();
    let object = match meta.and_then(|m| m.get("namespace")).and_then(Node::as_str) {
        Some(ns) => format!("{ns}/{name}"),
        None => name,
    };
    model.ignore_annotations.push(IgnoreAnnotation {
        object,
        text: text.to_string(),
        loc: value.loc.clone(),
        span: node.loc.clone(),
    });
}

fn ignore_loc(node: &Node) -> Option<Loc> {
    node.get("metadata")?
        .get("annotations")?
        .get(IGNORE_ANNOTATION)
        .map(|n| n.loc.clone())
}

/// The annotation that suppresses findings located in its object.
pub const IGNORE_ANNOTATION: &str = "portmatrix.io/ignore";

/// Where to point for the object as a whole: its `metadata.name` value, else the object.
fn object_loc(node: &Node) -> Loc {
    node.get("metadata")
        .and_then(|m| m.get("name"))
        .map(|n| n.loc.clone())
        .unwrap_or_else(|| node.loc.clone())
}

// Optional fields of an object: absent or `null` is `None`; the wrong type is a located error.
// Shared with the Cilium and AdminNetworkPolicy adapters.

pub fn opt_map<'a>(node: &'a Node, key: &str) -> R<Option<&'a Node>> {
    match node.get(key) {
        None => Ok(None),
        Some(n) if n.is_null() => Ok(None),
        Some(n) if n.as_map().is_some() => Ok(Some(n)),
        Some(n) => Err(type_error(n, key, "a mapping")),
    }
}

pub fn opt_seq<'a>(node: &'a Node, key: &str) -> R<Option<&'a [Node]>> {
    match node.get(key) {
        None => Ok(None),
        Some(n) if n.is_null() => Ok(None),
        Some(n) => n
            .as_seq()
            .map(Some)
            .ok_or_else(|| type_error(n, key, "a list")),
    }
}

pub fn opt_str<'a>(node: &'a Node, key: &str) -> R<Option<&'a str>> {
    match node.get(key) {
        None => Ok(None),
        Some(n) if n.is_null() => Ok(None),
        Some(n) => n
            .as_str()
            .map(Some)
            .ok_or_else(|| type_error(n, key, "a string")),
    }
}

pub fn opt_bool(node: &Node, key: &str) -> R<Option<bool>> {
    match node.get(key) {
        None => Ok(None),
        Some(n) if n.is_null() => Ok(None),
        Some(n) => n
            .as_bool()
            .map(Some)
            .ok_or_else(|| type_error(n, key, "true or false")),
    }
}

/// The keys of a mapping that are not in `known`, for "not modelled" notes.
pub fn unknown_keys<'a>(node: &'a Node, known: &'a [&str]) -> impl Iterator<Item = String> + 'a {
    node.as_map()
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, _)| k.as_str())
        .filter(|k| !known.contains(k))
        .map(str::to_string)
}

/// Reads a string-to-string map such as `labels` or `matchLabels`.
pub fn read_labels(node: Option<&Node>, field: &str) -> R<Labels> {
    let mut labels = Labels::new();
    let Some(node) = node else { return Ok(labels) };
    if node.is_null() {
        return Ok(labels);
    }
    let entries = node
        .as_map()
        .ok_or_else(|| type_error(node, field, "a mapping"))?;
    for (k, v) in entries {
        let key = scalar_string(k).ok_or_else(|| type_error(k, field, "a mapping of strings"))?;
        let value = match &v.value {
            Value::Null => String::new(),
            _ => scalar_string(v)
                .ok_or_else(|| type_error(v, &format!("{field}.{key}"), "a string"))?,
        };
        labels.insert(key, value);
    }
    Ok(labels)
}

/// Label values are strings, but YAML writes `tier: 1` and `enabled: true` unquoted.
fn scalar_string(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

pub fn read_selector(node: &Node, field: &str) -> R<Selector> {
    if node.is_null() {
        return Ok(Selector {
            loc: node.loc.clone(),
            ..Default::default()
        });
    }
    if node.as_map().is_none() {
        return Err(type_error(node, field, "a label selector (a mapping)"));
    }
    let match_labels = read_labels(node.get("matchLabels"), "matchLabels")?;
    let mut match_expressions = Vec::new();
    for expr in opt_seq(node, "matchExpressions")?.unwrap_or_default() {
        if expr.as_map().is_none() {
            return Err(type_error(expr, "matchExpressions[]", "a mapping"));
        }
        let key = opt_str(expr, "key")?.ok_or_else(|| {
            input_err(
                "a matchExpression needs a `key`",
                "add `key: <label>`",
                expr.loc.clone(),
            )
        })?;
        let op_node = expr.get("operator");
        let operator = opt_str(expr, "operator")?.unwrap_or_default();
        let values: Vec<String> = opt_seq(expr, "values")?
            .unwrap_or_default()
            .iter()
            .map(|v| scalar_string(v).ok_or_else(|| type_error(v, "values[]", "a string")))
            .collect::<R<_>>()?;
        let at = op_node
            .map(|n| n.loc.clone())
            .unwrap_or_else(|| expr.loc.clone());
        match operator {
            "In" | "NotIn" if values.is_empty() => {
                return Err(input_err(
                    format!("operator `{operator}` needs a non-empty `values` list"),
                    "list the label values to match",
                    at,
                ))
            }
            "Exists" | "DoesNotExist" if !values.is_empty() => {
                return Err(input_err(
                    format!("operator `{operator}` takes no `values`"),
                    "remove `values`",
                    at,
                ))
            }
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            other => {
                return Err(input_err(
                    format!("unknown matchExpressions operator `{other}`"),
                    "use In, NotIn, Exists or DoesNotExist",
                    at,
                ))
            }
        }
        match_expressions.push(Requirement {
            key: key.to_string(),
            operator: operator.to_string(),
            values,
        });
    }
    Ok(Selector {
        match_labels,
        match_expressions,
        loc: node.loc.clone(),
    })
}

/// A string field of `metadata`, or `default` when it is absent.
fn meta_str(meta: Option<&Node>, key: &str, default: &str) -> R<String> {
    Ok(meta
        .map(|m| opt_str(m, key))
        .transpose()?
        .flatten()
        .unwrap_or(default)
        .to_string())
}

fn read_network_policy(node: &Node) -> R<NetworkPolicy> {
    let meta = opt_map(node, "metadata")?;
    let name = meta_str(meta, "name", "")?;
    let namespace = meta_str(meta, "namespace", "default")?;
    let ignore = meta
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(IGNORE_ANNOTATION))
        .and_then(Node::as_str)
        .map(str::to_string);
    let spec = opt_map(node, "spec")?.ok_or_else(|| {
        input_err(
            format!("NetworkPolicy `{name}` has no `spec`"),
            "add spec.podSelector (use `{}` to select every pod of the namespace)",
            object_loc(node),
        )
    })?;
    let pod_selector = match spec.get("podSelector") {
        Some(sel) => read_selector(sel, "podSelector")?,
        None => Selector {
            loc: spec.loc.clone(),
            ..Default::default()
        },
    };
    let ingress = read_rules(spec, "ingress", "from")?;
    let egress = read_rules(spec, "egress", "to")?;
    let policy_types = match opt_seq(spec, "policyTypes")? {
        Some(types) => {
            let mut out = Vec::new();
            for t in types {
                match t.as_str() {
                    Some(s @ ("Ingress" | "Egress")) => out.push(s.to_string()),
                    _ => {
                        return Err(input_err(
                            format!(
                                "unknown policy type {}",
                                scalar_string(t)
                                    .map(|s| format!("`{s}`"))
                                    .unwrap_or_else(|| t.type_name().to_string())
                            ),
                            "policyTypes takes Ingress and Egress",
                            t.loc.clone(),
                        ))
                    }
                }
            }
            out
        }
        // The API server's defaulting: Ingress always, Egress when egress rules exist.
        None => {
            let mut out = vec!["Ingress".to_string()];
            if spec.get("egress").is_some_and(|e| !e.is_null()) {
                out.push("Egress".to_string());
            }
            out
        }
    };
    let loc = object_loc(node);
    Ok(NetworkPolicy {
        kind: "NetworkPolicy".to_string(),
        name,
        namespace,
        at: format!("{}:{}", loc.file, loc.line),
        loc,
        pod_selector,
        policy_types,
        ingress,
        egress,
        ignore,
        span: node.loc.clone(),
    })
}

fn read_rules(spec: &Node, key: &str, peers_key: &str) -> R<Vec<PolicyRule>> {
    let mut rules = Vec::new();
    for rule in opt_seq(spec, key)?.unwrap_or_default() {
        if rule.is_null() {
            // `- ` alone is an empty rule: it matches everything.
            rules.push(PolicyRule {
                loc: rule.loc.clone(),
                peers: None,
                ports: None,
            });
            continue;
        }
        if rule.as_map().is_none() {
            return Err(type_error(rule, &format!("{key}[]"), "a mapping"));
        }
        let peers = match opt_seq(rule, peers_key)? {
            None | Some([]) => None,
            Some(items) => Some(items.iter().map(read_peer).collect::<R<Vec<_>>>()?),
        };
        let ports = match opt_seq(rule, "ports")? {
            None | Some([]) => None,
            Some(items) => Some(items.iter().map(read_port).collect::<R<Vec<_>>>()?),
        };
        rules.push(PolicyRule {
            loc: rule.loc.clone(),
            peers,
            ports,
        });
    }
    Ok(rules)
}

fn read_peer(node: &Node) -> R<Peer> {
    if node.as_map().is_none() {
        return Err(type_error(node, "peer", "a mapping"));
    }
    let pod_selector = node
        .get("podSelector")
        .map(|n| read_selector(n, "podSelector"))
        .transpose()?;
    let namespace_selector = node
        .get("namespaceSelector")
        .map(|n| read_selector(n, "namespaceSelector"))
        .transpose()?;
    let ip_block = match opt_map(node, "ipBlock")? {
        None => None,
        Some(b) => {
            let cidr_node = b.get("cidr").ok_or_else(|| {
                input_err(
                    "ipBlock needs a `cidr`",
                    "add `cidr: <address>/<prefix>`",
                    b.loc.clone(),
                )
            })?;
            let cidr = cidr_node
                .as_str()
                .ok_or_else(|| type_error(cidr_node, "cidr", "a string such as 10.0.0.0/8"))?;
            let mut except = Vec::new();
            for e in opt_seq(b, "except")?.unwrap_or_default() {
                let s = e
                    .as_str()
                    .ok_or_else(|| type_error(e, "except[]", "a string such as 10.0.0.0/24"))?;
                except.push(Except {
                    cidr: s.to_string(),
                    loc: e.loc.clone(),
                });
            }
            Some(IpBlock {
                cidr: cidr.to_string(),
                cidr_loc: cidr_node.loc.clone(),
                except,
            })
        }
    };
    if ip_block.is_some() && (pod_selector.is_some() || namespace_selector.is_some()) {
        return Err(input_err(
            "a peer with `ipBlock` may not also have podSelector or namespaceSelector",
            "split it into two peers (two list items)",
            node.loc.clone(),
        ));
    }
    if ip_block.is_none() && pod_selector.is_none() && namespace_selector.is_none() {
        return Err(input_err(
            "an empty peer matches nothing the API accepts",
            "give the peer a podSelector, a namespaceSelector or an ipBlock",
            node.loc.clone(),
        ));
    }
    Ok(Peer {
        loc: node.loc.clone(),
        pod_selector,
        namespace_selector,
        ip_block,
    })
}

fn read_port(node: &Node) -> R<PortSpec> {
    if node.as_map().is_none() {
        return Err(type_error(
            node,
            "ports[]",
            "a mapping with port and protocol",
        ));
    }
    let protocol = opt_str(node, "protocol")?.unwrap_or("TCP").to_string();
    let port_node = node.get("port").filter(|n| !n.is_null());
    let port = match port_node {
        None => None,
        Some(n) => Some(match &n.value {
            Value::Int(i) => PortValue::Number(*i),
            Value::Str(s) => PortValue::Name(s.clone()),
            _ => {
                return Err(input_err(
                    format!(
                        "`port` must be a whole number or a port name, found {}",
                        n.type_name()
                    ),
                    "write a port number from 1 to 65535, or a named container port",
                    n.loc.clone(),
                ))
            }
        }),
    };
    let end_node = node.get("endPort").filter(|n| !n.is_null());
    let end_port = match end_node {
        None => None,
        Some(n) => match &n.value {
            Value::Int(i) => Some(*i),
            _ => {
                return Err(input_err(
                    format!("`endPort` must be a whole number, found {}", n.type_name()),
                    "write the last port of the range, from `port` to 65535",
                    n.loc.clone(),
                ))
            }
        },
    };
    Ok(PortSpec {
        loc: node.loc.clone(),
        protocol,
        port,
        port_loc: port_node.map(|n| n.loc.clone()),
        end_port,
        end_port_loc: end_node.map(|n| n.loc.clone()),
    })
}

fn read_namespace(node: &Node) -> R<Namespace> {
    let meta = opt_map(node, "metadata")?;
    let name = meta_str(meta, "name", "")?;
    let mut labels = read_labels(meta.and_then(|m| m.get("labels")), "labels")?;
    labels.insert("kubernetes.io/metadata.name".to_string(), name.clone());
    Ok(Namespace {
        name,
        labels,
        loc: Some(object_loc(node)),
    })
}

fn read_workload(node: &Node, kind: &str, findings: &mut Vec<Finding>) -> R<Option<Workload>> {
    let meta = opt_map(node, "metadata")?;
    let name = meta_str(meta, "name", "")?;
    let namespace = meta_str(meta, "namespace", "default")?;
    let Some(spec) = opt_map(node, "spec")? else {
        return Ok(None);
    };
    // The pod template: spec (Pod), spec.template (Deployment, ...), spec.jobTemplate.spec.template.
    let (pod_meta, pod_spec) = if kind == "Pod" {
        (meta, Some(spec))
    } else {
        let template = if kind == "CronJob" {
            opt_map(spec, "jobTemplate")?
                .map(|j| opt_map(j, "spec"))
                .transpose()?
                .flatten()
                .map(|s| opt_map(s, "template"))
                .transpose()?
                .flatten()
        } else {
            opt_map(spec, "template")?
        };
        let Some(template) = template else {
            return Ok(None);
        };
        (opt_map(template, "metadata")?, opt_map(template, "spec")?)
    };
    let labels = read_labels(pod_meta.and_then(|m| m.get("labels")), "labels")?;
    let host_network = match pod_spec {
        Some(s) => opt_bool(s, "hostNetwork")?.unwrap_or(false),
        None => false,
    };
    let containers = match pod_spec {
        Some(s) => super::workload_ports::read_containers(s, findings)?,
        None => Vec::new(),
    };
    let container_ports = containers
        .iter()
        .flat_map(|c| &c.ports)
        .map(|p| ContainerPort {
            name: p.name.clone(),
            port: p.port,
            protocol: p.protocol.clone(),
        })
        .collect();
    let dns_policy = match pod_spec {
        Some(s) => opt_str(s, "dnsPolicy")?.map(str::to_string),
        None => None,
    };
    Ok(Some(Workload {
        kind: kind.to_string(),
        name,
        namespace,
        labels,
        host_network,
        container_ports,
        loc: object_loc(node),
        dns_policy,
        containers,
    }))
}
