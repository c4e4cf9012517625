//! Calico projectcalico.org/v3: NetworkPolicy, GlobalNetworkPolicy, NetworkSet, GlobalNetworkSet, HostEndpoint, Tier, into the shared layer model ([`crate::layers`]).
//!
//! `crd.projectcalico.org/v1` objects (how Calico stores the same resources as CRDs) have the same
//! schema and are read alike. Staged policies are not enforced by Calico and are left to the
//! "unsupported kind" path of [`super::k8s`].
//!
//! An object with a problem Calico would reject (a bad selector, a port without a protocol, a
//! wrong type) is a located error and is left out whole: a policy is never half-applied. What
//! Calico accepts but the model cannot express (serviceAccounts, http, preDNAT, ...) is kept as a
//! [`Note`], which makes the verdicts it touches `partial`.

use crate::finding::Finding;
use crate::inputs::k8s::{read_labels, type_error};
use crate::layers::selector::{parse_calico, SelExpr, SelectorError};
use crate::layers::{
    EndpointMatch, Engine, HostEndpoint, LAction, LRule, LayerPolicy, Layers, Neg, NetworkSet,
    Note, PortItem, PortRange, Protocol, Subject, Tier,
};
use crate::net::{parse_cidr, AddrRange};
use crate::source::Loc;
use crate::yaml::{Node, Value};

type R<T> = Result<T, Box<Finding>>;

/// The API versions of the Calico resources (the aggregated API and its CRD storage).
const API_VERSIONS: &[&str] = &["projectcalico.org/v3", "crd.projectcalico.org/v1"];

/// Calico labels every workload endpoint with its namespace under this key.
const NAMESPACE_LABEL: &str = "projectcalico.org/namespace";

/// Whether this adapter reads objects of API group `g` and kind `k`.
pub fn handles(g: &str, k: &str) -> bool {
    (g == "projectcalico.org" || g == "crd.projectcalico.org")
        && matches!(
            k,
            "NetworkPolicy"
                | "GlobalNetworkPolicy"
                | "NetworkSet"
                | "GlobalNetworkSet"
                | "HostEndpoint"
                | "Tier"
        )
}

/// Reads one object into `layers`. Problems that make the object unusable are the `Err`;
/// problems with a part of it are pushed to `findings` and the rest is kept.
///
/// Every problem this adapter finds is one Calico itself rejects, so the object is left out
/// whole (the `Err`); `findings` is not used.
pub fn read(
    node: &Node,
    api_version: &str,
    kind: &str,
    layers: &mut Layers,
    findings: &mut Vec<Finding>,
) -> Result<(), Box<Finding>> {
    let _ = findings;
    if !API_VERSIONS.contains(&api_version) {
        return Err(input_err(
            format!("unsupported apiVersion `{api_version}` for Calico {kind}"),
            "use projectcalico.org/v3 (or crd.projectcalico.org/v1, the same schema)",
            node.get("apiVersion")
                .map(|n| n.loc.clone())
                .unwrap_or_else(|| node.loc.clone()),
        ));
    }
    match kind {
        "NetworkPolicy" => layers.policies.push(read_policy(node, kind, false)?),
        "GlobalNetworkPolicy" => layers.policies.push(read_policy(node, kind, true)?),
        "NetworkSet" => layers.network_sets.push(read_network_set(node, false)?),
        "GlobalNetworkSet" => layers.network_sets.push(read_network_set(node, true)?),
        "HostEndpoint" => layers.host_endpoints.push(read_host_endpoint(node)?),
        "Tier" => layers.tiers.push(read_tier(node)?),
        _ => {}
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Field helpers
// ---------------------------------------------------------------------------------------------

fn input_err(message: impl Into<String>, help: impl Into<String>, loc: Loc) -> Box<Finding> {
    Box::new(Finding::input_error(message, help, loc))
}

/// `parent.key`, the path of a field in messages (built only when a message needs it).
fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// A present, non-null field.
fn field<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    node.get(key).filter(|n| !n.is_null())
}

fn opt_map<'a>(node: &'a Node, key: &str, path: &str) -> R<Option<&'a Node>> {
    match field(node, key) {
        None => Ok(None),
        Some(n) if n.as_map().is_some() => Ok(Some(n)),
        Some(n) => Err(type_error(n, path, "a mapping")),
    }
}

fn opt_seq<'a>(node: &'a Node, key: &str, path: &str) -> R<Option<&'a [Node]>> {
    match field(node, key) {
        None => Ok(None),
        Some(n) => n
            .as_seq()
            .map(Some)
            .ok_or_else(|| type_error(n, path, "a list")),
    }
}

fn opt_str<'a>(node: &'a Node, key: &str, path: &str) -> R<Option<&'a str>> {
    match field(node, key) {
        None => Ok(None),
        Some(n) => n
            .as_str()
            .map(Some)
            .ok_or_else(|| type_error(n, path, "a string")),
    }
}

fn opt_bool<'a>(node: &'a Node, key: &str, path: &str) -> R<Option<(bool, &'a Node)>> {
    match field(node, key) {
        None => Ok(None),
        Some(n) => n
            .as_bool()
            .map(|b| Some((b, n)))
            .ok_or_else(|| type_error(n, path, "true or false")),
    }
}

/// Calico's `order` fields: a float; absent means "after every ordered one".
fn opt_order(node: &Node, key: &str, path: &str) -> R<Option<f64>> {
    match field(node, key) {
        None => Ok(None),
        Some(n) => match n.value {
            Value::Int(i) => Ok(Some(i as f64)),
            Value::Float(f) if f.is_finite() => Ok(Some(f)),
            _ => Err(type_error(n, path, "a number")),
        },
    }
}

/// The located value of `metadata.name`, else the object.
fn object_loc(node: &Node) -> Loc {
    node.get("metadata")
        .and_then(|m| m.get("name"))
        .map(|n| n.loc.clone())
        .unwrap_or_else(|| node.loc.clone())
}

/// `metadata.name` and `metadata.namespace` (`None` for cluster-wide kinds; `default` when unset).
fn read_meta(node: &Node, namespaced: bool) -> R<(String, Option<String>, Option<&Node>)> {
    let meta = opt_map(node, "metadata", "metadata")?;
    let name = match meta {
        Some(m) => opt_str(m, "name", "metadata.name")?.unwrap_or(""),
        None => "",
    };
    let namespace = if namespaced {
        let ns = match meta {
            Some(m) => opt_str(m, "namespace", "metadata.namespace")?,
            None => None,
        };
        Some(
            ns.filter(|s| !s.is_empty())
                .unwrap_or("default")
                .to_string(),
        )
    } else {
        None
    };
    Ok((name.to_string(), namespace, meta))
}

/// Notes for the keys of `node` that Calico does not define (a typo such as `egres` silently
/// changes what a policy does, so it is not ignored quietly).
fn unknown_keys(node: &Node, known: &[&str], path: impl Fn() -> String, notes: &mut Vec<Note>) {
    for (k, _) in node.as_map().unwrap_or_default() {
        let name = match &k.value {
            Value::Str(s) => s.as_str(),
            _ => k.type_name(),
        };
        if !known.contains(&name) {
            notes.push(Note {
                message: format!("unknown field `{name}` in {} is ignored", path()),
                loc: k.loc.clone(),
            });
        }
    }
}

/// One note from several (a rule has one `partial` slot), in the order they are written.
fn merge_notes(mut notes: Vec<Note>) -> Option<Note> {
    notes.sort_by_key(|n| (n.loc.line, n.loc.column));
    let mut iter = notes.into_iter();
    let first = iter.next()?;
    let mut message = first.message;
    for n in iter {
        message.push_str("; ");
        message.push_str(&n.message);
    }
    Some(Note {
        message,
        loc: first.loc,
    })
}

// ---------------------------------------------------------------------------------------------
// Selectors
// ---------------------------------------------------------------------------------------------

/// A selector field: `None` when absent, null or empty (Calico's "not set"). A parse error is
/// located at the exact character inside the YAML string.
fn opt_selector(node: &Node, parent: &str, key: &str) -> R<Option<SelExpr>> {
    let Some(n) = node.get(key) else {
        return Ok(None);
    };
    let path = || join(parent, key);
    match &n.value {
        // `selector: !has(x)` unquoted: YAML reads `!has(x)` as a tag on an empty value. A real
        // null is written `~`, `null` or nothing, never longer than four characters.
        Value::Null if n.loc.len > 4 && n.loc.line == n.loc.end_line => Err(input_err(
            format!(
                "`{}` is empty: YAML reads an unquoted value that starts with `!` as a tag",
                path()
            ),
            "quote the selector, for example `selector: \"!has(app)\"`",
            n.loc.clone(),
        )),
        Value::Null => Ok(None),
        Value::Str(s) if s.trim_matches([' ', '\t']).is_empty() => Ok(None),
        Value::Str(s) => parse_calico(s)
            .map(Some)
            .map_err(|e| selector_error(n, s, &path(), e)),
        _ => Err(type_error(
            n,
            &path(),
            "a string (a Calico selector such as `app == 'x'`)",
        )),
    }
}

fn selector_error(node: &Node, text: &str, path: &str, e: SelectorError) -> Box<Finding> {
    let (loc, exact) = offset_loc(node, text, e.offset);
    let mut message = format!("invalid Calico selector in `{path}`: {}", e.message);
    if !exact {
        let at = text.get(..e.offset).map(|s| s.chars().count()).unwrap_or(0) + 1;
        message.push_str(&format!(" (at character {at} of the selector)"));
    }
    input_err(
        message,
        "fix the selector (for example `app == 'x' && has(role)`, `k in {'a', 'b'}`, \
         `!has(k)`, `all()`); Calico rejects this policy, so it is left out of the verdicts",
        loc,
    )
}

/// The location of byte `offset` of a string scalar's value, and whether it is exact. Exact for
/// one-line plain, single-quoted and double-quoted scalars (the node's location starts at the
/// opening quote, and `''`, `\"`, `\\` take two characters in the source); other scalars
/// (folded, literal, multi-line, other escapes) point at the start of the value.
fn offset_loc(node: &Node, text: &str, offset: usize) -> (Loc, bool) {
    let loc = &node.loc;
    let offset = offset.min(text.len());
    let Some(before) = text.get(..offset) else {
        return (loc.clone(), false);
    };
    if loc.line != loc.end_line {
        return (loc.clone(), false);
    }
    let count = |s: &str, set: &[char]| s.chars().filter(|c| set.contains(c)).count();
    // (source bytes, source characters) before the offset.
    let shift = if loc.len == text.len() {
        Some((offset, before.chars().count()))
    } else {
        let single_extra = count(text, &['\'']);
        let double_extra = count(text, &['"', '\\']);
        let single = loc.len == text.len() + 2 + single_extra;
        let double = loc.len == text.len() + 2 + double_extra;
        let extra = match (single, double) {
            (true, false) => Some(count(before, &['\''])),
            (false, true) => Some(count(before, &['"', '\\'])),
            // Neither kind of quote inside: both styles agree.
            (true, true) if single_extra == 0 => Some(0),
            _ => None,
        };
        extra.map(|x| (1 + offset + x, 1 + before.chars().count() + x))
    };
    let Some((bytes, chars)) = shift else {
        return (loc.clone(), false);
    };
    let width = text[offset..].chars().next().map_or(0, char::len_utf8);
    let column = loc.column + chars as u32;
    (
        Loc {
            file: loc.file.clone(),
            line: loc.line,
            column,
            end_line: loc.line,
            end_column: column + u32::from(width > 0),
            offset: loc.offset + bytes,
            len: width,
        },
        true,
    )
}

// ---------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------

const POLICY_KEYS: &[&str] = &[
    "tier",
    "order",
    "selector",
    "serviceAccountSelector",
    "types",
    "ingress",
    "egress",
    "performanceHints",
];
const GLOBAL_POLICY_KEYS: &[&str] = &[
    "namespaceSelector",
    "doNotTrack",
    "preDNAT",
    "applyOnForward",
];

/// What a rule's selectors are scoped to.
struct Scope<'a> {
    /// The namespace of a namespaced NetworkPolicy (`None` for a GlobalNetworkPolicy).
    namespace: Option<&'a str>,
}

fn read_policy(node: &Node, kind: &str, global: bool) -> R<LayerPolicy> {
    let (raw_name, namespace, _) = read_meta(node, !global)?;
    let spec = opt_map(node, "spec", "spec")?;
    let empty = Node {
        value: Value::Map(Vec::new()),
        loc: node.loc.clone(),
    };
    let spec = spec.unwrap_or(&empty);
    let mut notes = Vec::new();
    let known: Vec<&str> = if global {
        POLICY_KEYS
            .iter()
            .chain(GLOBAL_POLICY_KEYS)
            .copied()
            .collect()
    } else {
        POLICY_KEYS.to_vec()
    };
    unknown_keys(spec, &known, || "spec".to_string(), &mut notes);

    let tier = opt_str(spec, "tier", "tier")?
        .filter(|t| !t.is_empty())
        .unwrap_or("default")
        .to_string();
    // Calico names a policy of a tier other than `default` `<tier>.<name>`.
    let name = if tier == "default" || raw_name.starts_with(&format!("{tier}.")) {
        raw_name
    } else {
        format!("{tier}.{raw_name}")
    };
    let order = opt_order(spec, "order", "order")?;
    let selector = opt_selector(spec, "", "selector")?.unwrap_or(SelExpr::All);
    let subject = if global {
        Subject::Endpoints {
            namespace: opt_selector(spec, "", "namespaceSelector")?,
            selector,
        }
    } else {
        Subject::Pods {
            namespace: None,
            pods: selector,
        }
    };
    if let Some(sa) = opt_selector(spec, "", "serviceAccountSelector")? {
        if sa != SelExpr::All {
            notes.push(Note {
                message: "`serviceAccountSelector` (which service accounts the policy applies \
                          to) is not modelled: the policy is taken to apply to every endpoint its \
                          selector matches"
                    .to_string(),
                loc: spec
                    .get("serviceAccountSelector")
                    .map(|n| n.loc.clone())
                    .unwrap_or_else(|| spec.loc.clone()),
            });
        }
    }

    let scope = Scope {
        namespace: namespace.as_deref(),
    };
    let ingress = read_rules(spec, "ingress", &scope)?;
    let egress = read_rules(spec, "egress", &scope)?;
    let types = read_types(spec, ingress.len(), egress.len(), &mut notes)?;

    let mut apply_on_forward = false;
    if global {
        let dnt = opt_bool(spec, "doNotTrack", "doNotTrack")?;
        let pre = opt_bool(spec, "preDNAT", "preDNAT")?;
        let fwd = opt_bool(spec, "applyOnForward", "applyOnForward")?;
        apply_on_forward = fwd.is_some_and(|(b, _)| b);
        if let (Some((true, _)), Some((true, n))) = (dnt, pre) {
            return Err(input_err(
                "`doNotTrack` and `preDNAT` may not both be true",
                "keep one of them; Calico rejects this policy, so it is left out of the verdicts",
                n.loc.clone(),
            ));
        }
        for (flag, field_name, what) in [
            (
                dnt,
                "doNotTrack",
                "the rules apply before connection tracking (return traffic is not allowed \
                 automatically)",
            ),
            (
                pre,
                "preDNAT",
                "the rules see addresses and ports before DNAT (node ports, service IPs)",
            ),
        ] {
            let Some((true, n)) = flag else { continue };
            if !apply_on_forward {
                return Err(input_err(
                    format!("`{field_name}: true` needs `applyOnForward: true`"),
                    "set `applyOnForward: true`; Calico rejects this policy, so it is left out \
                     of the verdicts",
                    n.loc.clone(),
                ));
            }
            notes.push(Note {
                message: format!("`{field_name}`: {what}; not modelled"),
                loc: n.loc.clone(),
            });
        }
    }

    let loc = object_loc(node);
    Ok(LayerPolicy {
        engine: Engine::Calico,
        kind: kind.to_string(),
        name,
        namespace,
        at: format!("{}:{}", loc.file, loc.line),
        loc,
        tier,
        order,
        subject,
        types,
        ingress,
        egress,
        apply_on_forward,
        notes,
        span: node.loc.clone(),
    })
}

/// `types`, or Calico's default: Ingress when there are no egress rules, Egress when there are
/// egress rules and no ingress rules, both when both are present.
fn read_types(spec: &Node, ingress: usize, egress: usize, notes: &mut Vec<Note>) -> R<Vec<String>> {
    let listed = opt_seq(spec, "types", "types")?.unwrap_or_default();
    if listed.is_empty() {
        return Ok(match (ingress, egress) {
            (_, 0) => vec!["Ingress".to_string()],
            (0, _) => vec!["Egress".to_string()],
            _ => vec!["Ingress".to_string(), "Egress".to_string()],
        });
    }
    let mut out: Vec<String> = Vec::new();
    for t in listed {
        match t.as_str() {
            Some(s @ ("Ingress" | "Egress")) => {
                if !out.iter().any(|o| o == s) {
                    out.push(s.to_string());
                }
            }
            _ => {
                return Err(input_err(
                    format!(
                        "unknown policy type {}",
                        match &t.value {
                            Value::Str(s) => format!("`{s}`"),
                            _ => t.type_name().to_string(),
                        }
                    ),
                    "`types` takes Ingress and Egress",
                    t.loc.clone(),
                ))
            }
        }
    }
    for (dir, count) in [("Ingress", ingress), ("Egress", egress)] {
        if count > 0 && !out.iter().any(|o| o == dir) {
            let key = dir.to_ascii_lowercase();
            notes.push(Note {
                message: format!(
                    "`{key}` rules are present but `types` does not list {dir}: Calico does not \
                     apply them"
                ),
                loc: spec
                    .key_node(&key)
                    .map(|n| n.loc.clone())
                    .unwrap_or_else(|| spec.loc.clone()),
            });
        }
    }
    Ok(out)
}

fn read_rules(spec: &Node, key: &str, scope: &Scope) -> R<Vec<LRule>> {
    opt_seq(spec, key, key)?
        .unwrap_or_default()
        .iter()
        .map(|r| read_rule(r, key, scope))
        .collect()
}

const RULE_KEYS: &[&str] = &[
    "action",
    "protocol",
    "notProtocol",
    "icmp",
    "notICMP",
    "ipVersion",
    "source",
    "destination",
    "http",
    "metadata",
];

fn read_rule(node: &Node, key: &str, scope: &Scope) -> R<LRule> {
    if node.as_map().is_none() {
        return Err(type_error(
            node,
            &format!("{key}[]"),
            "a mapping (a Calico rule with an `action`)",
        ));
    }
    let mut notes = Vec::new();
    unknown_keys(node, RULE_KEYS, || format!("an {key} rule"), &mut notes);

    let action_node = field(node, "action").ok_or_else(|| {
        input_err(
            "a Calico rule needs an `action`",
            "add `action: Allow` (or Deny, Pass, Log)",
            node.loc.clone(),
        )
    })?;
    let action = match action_node.as_str() {
        Some("Allow") => LAction::Allow,
        Some("Deny") => LAction::Deny,
        Some("Pass") => LAction::Pass,
        Some("Log") => LAction::Log,
        Some(other) => {
            return Err(input_err(
                format!("unknown action `{other}`"),
                "use Allow, Deny, Pass or Log (with this capitalisation)",
                action_node.loc.clone(),
            ))
        }
        None => return Err(type_error(action_node, "action", "a string")),
    };

    let protocol = read_protocol(node, "protocol")?;
    let not_protocol = read_protocol(node, "notProtocol")?;
    let positive = protocol.as_ref().map(|(p, _)| p.as_str());
    let ports_ok = matches!(positive, Some("TCP" | "UDP" | "SCTP" | "UDPLite"));
    let icmp_ok = matches!(positive, Some("ICMP" | "ICMPv6"));
    let protocol = match (protocol, not_protocol) {
        (Some((p, _)), Some((np, n))) => {
            if p == np {
                notes.push(Note {
                    message: format!(
                        "`protocol` and `notProtocol` are both {p}: the rule matches nothing"
                    ),
                    loc: n.loc.clone(),
                });
            }
            Some(Neg::is(p))
        }
        (Some((p, _)), None) => Some(Neg::is(p)),
        (None, Some((np, _))) => Some(Neg::not(np)),
        (None, None) => None,
    };

    for k in ["icmp", "notICMP"] {
        let Some(n) = field(node, k) else { continue };
        if n.as_map().is_none() {
            return Err(type_error(n, k, "a mapping with `type` and `code`"));
        }
        for (sub, max) in [("type", 254), ("code", 255)] {
            if let Some(v) = field(n, sub) {
                match v.value {
                    Value::Int(i) if (0..=max).contains(&i) => {}
                    _ => {
                        return Err(input_err(
                            format!(
                                "`{k}.{sub}` must be a whole number from 0 to {max}, found {}",
                                describe(v)
                            ),
                            format!("write the ICMP {sub} as a number"),
                            v.loc.clone(),
                        ))
                    }
                }
            }
        }
        if field(n, "code").is_some() && field(n, "type").is_none() {
            return Err(input_err(
                format!("`{k}.code` needs `{k}.type`"),
                "add the ICMP type",
                n.loc.clone(),
            ));
        }
        if !icmp_ok {
            return Err(input_err(
                format!("`{k}` needs `protocol: ICMP` or `protocol: ICMPv6` on the rule"),
                "set the protocol; Calico rejects this policy, so it is left out of the verdicts",
                n.loc.clone(),
            ));
        }
        notes.push(Note {
            message: format!(
                "`{k}` (ICMP type and code) is not modelled; the rule matches only ICMP, never \
                 a TCP or UDP flow"
            ),
            loc: n.loc.clone(),
        });
    }

    let ip_version = match field(node, "ipVersion") {
        None => None,
        Some(n) => match n.value {
            Value::Int(v @ (4 | 6)) => Some((v, n)),
            _ => {
                return Err(input_err(
                    format!("`ipVersion` must be 4 or 6, found {}", describe(n)),
                    "write `ipVersion: 4` or `ipVersion: 6`",
                    n.loc.clone(),
                ))
            }
        },
    };

    let src = read_entity(node, "source", scope, ports_ok, &mut notes)?;
    let dst = read_entity(node, "destination", scope, ports_ok, &mut notes)?;

    if let Some((v, n)) = ip_version {
        // The restriction is already implied when the rule lists networks of that family only.
        let lists: Vec<&AddrRange> = [&src, &dst]
            .iter()
            .flat_map(|m| {
                m.nets
                    .iter()
                    .flat_map(|n| n.value.iter())
                    .chain(m.except.iter())
            })
            .collect();
        let positive_nets = [&src, &dst].iter().any(|m| {
            m.nets
                .as_ref()
                .is_some_and(|n| !n.negated && !n.value.is_empty())
        });
        let implied = positive_nets && lists.iter().all(|r| r.v6 == (v == 6));
        if !implied {
            notes.push(Note {
                message: format!(
                    "`ipVersion: {v}` restricts the rule to IPv{v} traffic; not modelled, the \
                     rule is taken to match both address families"
                ),
                loc: n.loc.clone(),
            });
        }
    }

    if let Some(n) = field(node, "http") {
        notes.push(Note {
            message: "`http` (application layer policy: methods, paths) is not modelled; the \
                      rule is taken to match every request"
                .to_string(),
            loc: n.loc.clone(),
        });
    }

    Ok(LRule {
        loc: node.loc.clone(),
        action,
        protocol,
        src,
        dst,
        partial: merge_notes(notes),
    })
}

/// A value as it is written, for messages.
fn describe(n: &Node) -> String {
    match &n.value {
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Str(s) => format!("\"{s}\""),
        _ => n.type_name().to_string(),
    }
}

/// `protocol` / `notProtocol`: a name (any case) or a number 1-255, in the model's spelling.
fn read_protocol<'a>(rule: &'a Node, key: &str) -> R<Option<(Protocol, &'a Node)>> {
    let Some(n) = field(rule, key) else {
        return Ok(None);
    };
    let number = match &n.value {
        Value::Int(i) => Some(*i),
        Value::Str(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            Some(s.parse::<i64>().unwrap_or(i64::MAX))
        }
        Value::Str(s) => {
            let name = match s.to_ascii_lowercase().as_str() {
                "tcp" => "TCP",
                "udp" => "UDP",
                "icmp" => "ICMP",
                "icmpv6" => "ICMPv6",
                "sctp" => "SCTP",
                "udplite" => "UDPLite",
                _ => {
                    return Err(input_err(
                        format!("unknown protocol `{s}` in `{key}`"),
                        "use TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a protocol number 1-255",
                        n.loc.clone(),
                    ))
                }
            };
            return Ok(Some((name.to_string(), n)));
        }
        _ => None,
    };
    match number {
        Some(p @ 1..=255) => Ok(Some((
            match p {
                1 => "ICMP".to_string(),
                6 => "TCP".to_string(),
                17 => "UDP".to_string(),
                58 => "ICMPv6".to_string(),
                132 => "SCTP".to_string(),
                136 => "UDPLite".to_string(),
                other => other.to_string(),
            },
            n,
        ))),
        Some(_) => Err(input_err(
            format!("protocol number {} in `{key}` is out of range", describe(n)),
            "protocol numbers go from 1 to 255",
            n.loc.clone(),
        )),
        None => Err(type_error(n, key, "a protocol name or number")),
    }
}

const ENTITY_KEYS: &[&str] = &[
    "nets",
    "notNets",
    "selector",
    "notSelector",
    "namespaceSelector",
    "ports",
    "notPorts",
    "serviceAccounts",
    "services",
];

/// A rule's `source` or `destination` (Calico EntityRule).
fn read_entity(
    rule: &Node,
    key: &str,
    scope: &Scope,
    ports_ok: bool,
    notes: &mut Vec<Note>,
) -> R<EndpointMatch> {
    let mut m = EndpointMatch::default();
    let Some(e) = opt_map(rule, key, key)? else {
        return Ok(m);
    };
    unknown_keys(e, ENTITY_KEYS, || format!("`{key}`"), notes);

    let nets = read_nets(e, key, "nets")?;
    let not_nets = read_nets(e, key, "notNets")?;
    match (nets, not_nets) {
        (Some(nets), Some(not_nets)) => {
            m.nets = Some(Neg::is(nets));
            m.except = not_nets;
        }
        (Some(nets), None) => m.nets = Some(Neg::is(nets)),
        (None, Some(not_nets)) => m.nets = Some(Neg::not(not_nets)),
        (None, None) => {}
    }

    m.selector = opt_selector(e, key, "selector")?;
    m.not_selector = opt_selector(e, key, "notSelector")?;
    m.namespace_selector = opt_selector(e, key, "namespaceSelector")?;
    if let (Some(ns), None) = (scope.namespace, &m.namespace_selector) {
        // Without a namespaceSelector, a namespaced policy's selectors match in its own
        // namespace only (Calico appends `projectcalico.org/namespace == '<ns>'`).
        if m.selector.is_some() {
            m.same_namespace = Some(ns.to_string());
        }
        if let Some(not) = m.not_selector.take() {
            m.not_selector = Some(SelExpr::And {
                all: vec![
                    not,
                    SelExpr::Eq {
                        key: NAMESPACE_LABEL.to_string(),
                        value: ns.to_string(),
                    },
                ],
            });
        }
    }

    let ports = read_ports(e, key, "ports")?;
    let not_ports = read_ports(e, key, "notPorts")?;
    if !ports_ok {
        if let Some((_, n)) = ports.as_ref().or(not_ports.as_ref()) {
            return Err(input_err(
                format!("`{key}` matches ports, but the rule's `protocol` is not TCP, UDP or SCTP"),
                "add `protocol: TCP` (or UDP, SCTP, UDPLite) to the rule; Calico rejects this \
                 policy, so it is left out of the verdicts",
                n.loc.clone(),
            ));
        }
    }
    m.ports = match (ports, not_ports) {
        (Some((p, _)), Some((np, n))) => Some(Neg::is(subtract_ports(p, np, n, notes))),
        (Some((p, _)), None) => Some(Neg::is(p)),
        (None, Some((np, _))) => Some(Neg::not(np)),
        (None, None) => None,
    };

    if let Some(sa) = field(e, "serviceAccounts") {
        if sa.as_map().is_none() {
            return Err(type_error(
                sa,
                &format!("{key}.serviceAccounts"),
                "a mapping with `names` and/or `selector`",
            ));
        }
        for name in
            opt_seq(sa, "names", &format!("{key}.serviceAccounts.names"))?.unwrap_or_default()
        {
            if name.as_str().is_none() {
                return Err(type_error(
                    name,
                    &format!("{key}.serviceAccounts.names[]"),
                    "a string",
                ));
            }
        }
        opt_selector(sa, &join(key, "serviceAccounts"), "selector")?;
        notes.push(Note {
            message: format!(
                "`{key}.serviceAccounts` (match by service account) is not modelled; the rule is \
                 taken to match every service account"
            ),
            loc: sa.loc.clone(),
        });
    }
    if let Some(svc) = field(e, "services") {
        if svc.as_map().is_none() {
            return Err(type_error(
                svc,
                &format!("{key}.services"),
                "a mapping with `name` and `namespace`",
            ));
        }
        opt_str(svc, "name", &format!("{key}.services.name"))?;
        opt_str(svc, "namespace", &format!("{key}.services.namespace"))?;
        notes.push(Note {
            message: format!(
                "`{key}.services` (match a Kubernetes Service's endpoints) is not modelled; the \
                 rule is taken to match any endpoint"
            ),
            loc: svc.loc.clone(),
        });
    }
    Ok(m)
}

/// A list of CIDRs; `None` when absent or empty (no condition).
fn read_nets(e: &Node, parent: &str, key: &str) -> R<Option<Vec<AddrRange>>> {
    let Some(list) = field(e, key) else {
        return Ok(None);
    };
    let path = join(parent, key);
    let items = list
        .as_seq()
        .ok_or_else(|| type_error(list, &path, "a list"))?;
    if items.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let s = item
            .as_str()
            .ok_or_else(|| type_error(item, &format!("{path}[]"), "a CIDR such as 10.0.0.0/8"))?;
        out.push(parse_cidr(s.trim()).ok_or_else(|| {
            input_err(
                format!("`{s}` in `{path}` is not an IP address or CIDR"),
                "write an address with a prefix length, such as 10.0.0.0/8 or fd00::/64",
                item.loc.clone(),
            )
        })?);
    }
    Ok(Some(out))
}

/// `ports` / `notPorts`: numbers, `"a:b"` ranges and port names; `None` when absent or empty.
fn read_ports<'a>(e: &'a Node, parent: &str, key: &str) -> R<Option<(Vec<PortItem>, &'a Node)>> {
    let Some(list) = field(e, key) else {
        return Ok(None);
    };
    let items = list
        .as_seq()
        .ok_or_else(|| type_error(list, &join(parent, key), "a list"))?;
    if items.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(read_port(item, parent, key)?);
    }
    Ok(Some((out, list)))
}

fn read_port(item: &Node, parent: &str, key: &str) -> R<PortItem> {
    let bad = |what: String| {
        input_err(
            format!("{what} in `{}`", join(parent, key)),
            "write a port number from 0 to 65535, a range such as \"8000:8080\" or a port name",
            item.loc.clone(),
        )
    };
    let number = |s: &str| -> Option<u16> {
        if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse::<u16>().ok()
    };
    match &item.value {
        Value::Int(i) => u16::try_from(*i)
            .map(|p| PortItem::Range((p, p)))
            .map_err(|_| bad(format!("port {i} is out of range"))),
        Value::Str(s) => {
            let s = s.trim();
            if let Some((lo, hi)) = s.split_once(':') {
                match (number(lo.trim()), number(hi.trim())) {
                    (Some(lo), Some(hi)) if lo <= hi => Ok(PortItem::Range((lo, hi))),
                    (Some(_), Some(_)) => {
                        Err(bad(format!("port range \"{s}\" ends before it starts")))
                    }
                    _ => Err(bad(format!("\"{s}\" is not a port range"))),
                }
            } else if let Some(p) = number(s) {
                Ok(PortItem::Range((p, p)))
            } else if s.bytes().any(|b| b.is_ascii_alphabetic())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            {
                Ok(PortItem::Named(s.to_string()))
            } else {
                Err(bad(format!(
                    "\"{s}\" is neither a port, a range \"a:b\" nor a port name"
                )))
            }
        }
        _ => Err(type_error(
            item,
            &format!("{}[]", join(parent, key)),
            "a port number, a range such as \"8000:8080\" or a port name",
        )),
    }
}

/// `ports` minus `notPorts` for numeric ports; with named ports on either side the difference
/// cannot be computed here, so `ports` is kept and a note says so.
fn subtract_ports(
    ports: Vec<PortItem>,
    minus: Vec<PortItem>,
    at: &Node,
    notes: &mut Vec<Note>,
) -> Vec<PortItem> {
    let ranges = |items: &[PortItem]| -> Option<Vec<PortRange>> {
        items
            .iter()
            .map(|p| match p {
                PortItem::Range(r) => Some(*r),
                PortItem::Named(_) => None,
            })
            .collect()
    };
    let (Some(mut keep), Some(mut cut)) = (ranges(&ports), ranges(&minus)) else {
        notes.push(Note {
            message: "`notPorts` together with `ports` that name ports is not modelled: only \
                      `ports` is applied"
                .to_string(),
            loc: at.loc.clone(),
        });
        return ports;
    };
    keep.sort_unstable();
    cut.sort_unstable();
    let mut out = Vec::new();
    let mut j = 0;
    for (lo, hi) in keep {
        let mut lo = u32::from(lo);
        let hi = u32::from(hi);
        // Cuts that end before this range cannot touch the later ones either.
        while j < cut.len() && u32::from(cut[j].1) < lo {
            j += 1;
        }
        let mut k = j;
        while lo <= hi {
            match cut.get(k) {
                Some(&(clo, chi)) if u32::from(clo) <= hi => {
                    let (clo, chi) = (u32::from(clo), u32::from(chi));
                    if clo > lo {
                        out.push((lo, clo - 1));
                    }
                    lo = lo.max(chi + 1);
                    k += 1;
                }
                _ => {
                    out.push((lo, hi));
                    break;
                }
            }
        }
    }
    out.into_iter()
        .filter_map(|(lo, hi)| {
            Some(PortItem::Range((
                u16::try_from(lo).ok()?,
                u16::try_from(hi).ok()?,
            )))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Tiers, host endpoints, network sets
// ---------------------------------------------------------------------------------------------

fn read_tier(node: &Node) -> R<Tier> {
    let (name, _, _) = read_meta(node, false)?;
    let spec = opt_map(node, "spec", "spec")?;
    let (order, default_action) = match spec {
        None => (None, LAction::Deny),
        Some(spec) => {
            let order = opt_order(spec, "order", "order")?;
            let action = match field(spec, "defaultAction") {
                None => LAction::Deny,
                Some(n) => match n.as_str() {
                    Some("Deny") => LAction::Deny,
                    Some("Pass") => LAction::Pass,
                    Some(other) => {
                        return Err(input_err(
                            format!("unknown tier defaultAction `{other}`"),
                            "use Deny (the default) or Pass",
                            n.loc.clone(),
                        ))
                    }
                    None => return Err(type_error(n, "defaultAction", "a string")),
                },
            };
            (order, action)
        }
    };
    Ok(Tier {
        name,
        order,
        default_action,
        loc: object_loc(node),
    })
}

fn read_host_endpoint(node: &Node) -> R<HostEndpoint> {
    let (name, _, meta) = read_meta(node, false)?;
    let labels = read_labels(meta.and_then(|m| m.get("labels")), "labels")?;
    let spec = opt_map(node, "spec", "spec")?.ok_or_else(|| {
        input_err(
            format!("HostEndpoint `{name}` has no `spec`"),
            "add spec.node and spec.interfaceName (or spec.expectedIPs)",
            object_loc(node),
        )
    })?;
    let node_name = opt_str(spec, "node", "node")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            input_err(
                format!("HostEndpoint `{name}` has no `spec.node`"),
                "name the node the interface belongs to",
                spec.loc.clone(),
            )
        })?;
    let interface_name = opt_str(spec, "interfaceName", "interfaceName")?
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let mut expected_ips = Vec::new();
    for item in opt_seq(spec, "expectedIPs", "expectedIPs")?.unwrap_or_default() {
        let s = item
            .as_str()
            .ok_or_else(|| type_error(item, "expectedIPs[]", "an IP address"))?;
        let ip = (!s.contains('/'))
            .then(|| parse_cidr(s.trim()))
            .flatten()
            .ok_or_else(|| {
                input_err(
                    format!("`{s}` in `expectedIPs` is not an IP address"),
                    "list the interface's addresses, without prefix lengths",
                    item.loc.clone(),
                )
            })?;
        expected_ips.push(ip);
    }
    // Profiles apply when no tier decides (auto host endpoints carry
    // `projectcalico-default-allow`, which then allows instead of the default deny).
    let mut profiles = Vec::new();
    for item in opt_seq(spec, "profiles", "profiles")?.unwrap_or_default() {
        let s = item
            .as_str()
            .ok_or_else(|| type_error(item, "profiles[]", "a profile name"))?;
        profiles.push(s.to_string());
    }
    if interface_name.is_none() && expected_ips.is_empty() {
        return Err(input_err(
            format!("HostEndpoint `{name}` has neither `interfaceName` nor `expectedIPs`"),
            "set `interfaceName` (`*` for every interface) or list `expectedIPs`",
            spec.loc.clone(),
        ));
    }
    Ok(HostEndpoint {
        name,
        node: node_name.to_string(),
        interface_name,
        expected_ips,
        labels,
        profiles,
        loc: object_loc(node),
    })
}

fn read_network_set(node: &Node, global: bool) -> R<NetworkSet> {
    let (name, namespace, meta) = read_meta(node, !global)?;
    let labels = read_labels(meta.and_then(|m| m.get("labels")), "labels")?;
    let nets = match opt_map(node, "spec", "spec")? {
        Some(spec) => read_nets(spec, "", "nets")?.unwrap_or_default(),
        None => Vec::new(),
    };
    Ok(NetworkSet {
        name,
        namespace,
        labels,
        nets,
        loc: object_loc(node),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;
    use crate::yaml::Limits;

    fn read_text(text: &str) -> (crate::model::Model, Vec<Finding>) {
        crate::inputs::read_file(&SourceFile::new("c.yaml", text), &Limits::default())
    }

    /// The layers of a file that must read without findings.
    fn ok(text: &str) -> Layers {
        let (model, findings) = read_text(text);
        assert!(findings.is_empty(), "{findings:#?}");
        model.layers
    }

    /// The one PM000 finding of a file: (line, column, message).
    fn one_error(text: &str) -> (u32, u32, String, Layers) {
        let (model, findings) = read_text(text);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let f = &findings[0];
        assert_eq!(f.rule, "PM000");
        let loc = f.loc.clone().expect("located");
        (loc.line, loc.column, f.message.clone(), model.layers)
    }

    fn policy(layers: &Layers) -> &LayerPolicy {
        assert_eq!(layers.policies.len(), 1, "{:#?}", layers.policies);
        &layers.policies[0]
    }

    fn cidr(s: &str) -> AddrRange {
        parse_cidr(s).unwrap()
    }

    fn sel(s: &str) -> SelExpr {
        parse_calico(s).unwrap()
    }

    const GNP: &str = r#"apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: huawei-csi-host
spec:
  tier: security
  order: 10.5
  selector: "hep == 'k8s-node' && !has(skip)"
  namespaceSelector: projectcalico.org/name == 'huawei-csi'
  types: [Ingress, Egress]
  applyOnForward: true
  ingress:
    - action: Allow
      protocol: TCP
      source:
        nets: [192.168.100.10/32]
        notNets: [192.168.100.10/32]
      destination:
        ports: [4433, "9800:9808", healthz]
    - action: Deny
      protocol: 17
      notProtocol: TCP
      source:
        selector: role == 'storage'
        notSelector: has(quarantine)
      destination:
        notPorts: ["1:1023"]
  egress:
    - action: Pass
      notProtocol: udplite
      destination:
        notNets: [10.0.0.0/8, "fd00::/8"]
    - action: Log
"#;

    #[test]
    fn reads_a_global_network_policy() {
        let layers = ok(GNP);
        let p = policy(&layers);
        assert_eq!(p.engine, Engine::Calico);
        assert_eq!(p.kind, "GlobalNetworkPolicy");
        assert_eq!(p.name, "security.huawei-csi-host");
        assert_eq!(p.namespace, None);
        assert_eq!(p.tier, "security");
        assert_eq!(p.order, Some(10.5));
        assert_eq!(
            p.subject,
            Subject::Endpoints {
                namespace: Some(sel("projectcalico.org/name == 'huawei-csi'")),
                selector: sel("hep == 'k8s-node' && !has(skip)"),
            }
        );
        assert_eq!(p.types, ["Ingress", "Egress"]);
        assert!(p.apply_on_forward);
        assert!(p.notes.is_empty(), "{:?}", p.notes);
        assert_eq!((p.loc.line, p.loc.column), (4, 9));
        assert_eq!(p.at, "c.yaml:4");
        assert_eq!((p.span.line, p.span.column), (1, 1));

        let [allow, deny] = &p.ingress[..] else {
            panic!("{:?}", p.ingress)
        };
        assert_eq!((allow.loc.line, allow.loc.column), (13, 7));
        assert_eq!(allow.action, LAction::Allow);
        assert_eq!(allow.protocol, Some(Neg::is("TCP".to_string())));
        assert_eq!(
            allow.src.nets,
            Some(Neg::is(vec![cidr("192.168.100.10/32")]))
        );
        assert_eq!(allow.src.except, vec![cidr("192.168.100.10/32")]);
        assert_eq!(
            allow.dst.ports,
            Some(Neg::is(vec![
                PortItem::Range((4433, 4433)),
                PortItem::Range((9800, 9808)),
                PortItem::Named("healthz".into()),
            ]))
        );
        assert!(allow.partial.is_none());

        assert_eq!(deny.loc.line, 20);
        assert_eq!(deny.action, LAction::Deny);
        // 17 is UDP; a notProtocol other than the protocol adds nothing.
        assert_eq!(deny.protocol, Some(Neg::is("UDP".to_string())));
        // A GlobalNetworkPolicy's rule selectors match in every namespace.
        assert_eq!(deny.src.selector, Some(sel("role == 'storage'")));
        assert_eq!(deny.src.not_selector, Some(sel("has(quarantine)")));
        assert_eq!(deny.src.same_namespace, None);
        assert_eq!(
            deny.dst.ports,
            Some(Neg::not(vec![PortItem::Range((1, 1023))]))
        );

        let [pass, log] = &p.egress[..] else {
            panic!("{:?}", p.egress)
        };
        assert_eq!(pass.action, LAction::Pass);
        assert_eq!(pass.protocol, Some(Neg::not("UDPLite".to_string())));
        assert_eq!(
            pass.dst.nets,
            Some(Neg::not(vec![cidr("10.0.0.0/8"), cidr("fd00::/8")]))
        );
        assert_eq!(log.action, LAction::Log);
        assert_eq!(log.protocol, None);
        assert_eq!(log.src, EndpointMatch::default());
        assert_eq!(log.dst, EndpointMatch::default());
    }

    #[test]
    fn reads_a_namespaced_network_policy_with_its_scope() {
        let layers = ok(r#"
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: trident-controller
spec:
  selector: app == 'controller.csi.trident.netapp.io'
  ingress:
    - action: Allow
      protocol: TCP
      source:
        selector: app == 'node.csi.trident.netapp.io'
    - action: Allow
      protocol: TCP
      source:
        namespaceSelector: projectcalico.org/name == 'monitoring'
        selector: app.kubernetes.io/name == 'prometheus'
    - action: Deny
      source:
        notSelector: role == 'debug'
    - action: Allow
      source:
        namespaceSelector: global()
        selector: role == 'storage'
"#);
        let p = policy(&layers);
        assert_eq!(p.kind, "NetworkPolicy");
        // Unset namespace and tier: Calico's defaults.
        assert_eq!(p.namespace.as_deref(), Some("default"));
        assert_eq!(p.tier, "default");
        assert_eq!(p.name, "trident-controller");
        assert_eq!(p.order, None);
        assert!(!p.apply_on_forward);
        assert_eq!(
            p.subject,
            Subject::Pods {
                namespace: None,
                pods: sel("app == 'controller.csi.trident.netapp.io'"),
            }
        );
        let r = &p.ingress;
        // A selector without namespaceSelector: the policy's own namespace.
        assert_eq!(r[0].src.same_namespace.as_deref(), Some("default"));
        assert_eq!(r[0].src.namespace_selector, None);
        // With a namespaceSelector: the namespaces it selects.
        assert_eq!(r[1].src.same_namespace, None);
        assert_eq!(
            r[1].src.namespace_selector,
            Some(sel("projectcalico.org/name == 'monitoring'"))
        );
        // notSelector is scoped to the namespace too.
        assert_eq!(r[2].src.same_namespace, None);
        assert_eq!(
            r[2].src.not_selector,
            Some(sel(
                "role == 'debug' && projectcalico.org/namespace == 'default'"
            ))
        );
        assert_eq!(r[3].src.namespace_selector, Some(SelExpr::Global));
        assert_eq!(r[3].src.same_namespace, None);
    }

    #[test]
    fn types_default_as_calico_does() {
        let cases = [
            ("", vec!["Ingress"]),
            ("  ingress: [{action: Allow}]\n", vec!["Ingress"]),
            ("  egress: [{action: Allow}]\n", vec!["Egress"]),
            (
                "  ingress: [{action: Allow}]\n  egress: [{action: Allow}]\n",
                vec!["Ingress", "Egress"],
            ),
            ("  types: []\n  egress: [{action: Allow}]\n", vec!["Egress"]),
            ("  types: [Egress]\n", vec!["Egress"]),
        ];
        for (rules, types) in cases {
            let text = format!(
                "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: t}}\nspec:\n  selector: all()\n{rules}"
            );
            let layers = ok(&text);
            assert_eq!(policy(&layers).types, types, "{rules}");
        }
        // No spec at all: selector all(), Ingress only, no rules (deny all ingress).
        let layers = ok(
            "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: t}\n",
        );
        let p = policy(&layers);
        assert_eq!(p.types, ["Ingress"]);
        assert_eq!(
            p.subject,
            Subject::Endpoints {
                namespace: None,
                selector: SelExpr::All
            }
        );
    }

    #[test]
    fn rules_a_direction_does_not_list_are_noted() {
        let layers = ok("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: t}\nspec:\n  types: [Ingress]\n  egress: [{action: Deny}]\n");
        let p = policy(&layers);
        assert_eq!(p.types, ["Ingress"]);
        assert_eq!(p.notes.len(), 1);
        assert!(p.notes[0].message.contains("does not list Egress"));
        assert_eq!(p.notes[0].loc.line, 6);
    }

    #[test]
    fn tiered_names_and_orders() {
        let doc = |tier: &str, name: &str, order: &str| {
            format!("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: {name}}}\nspec:\n  {tier}\n  {order}\n")
        };
        let p = ok(&doc("tier: platform", "platform.allow-dns", "order: 100"));
        assert_eq!(policy(&p).name, "platform.allow-dns");
        assert_eq!(policy(&p).order, Some(100.0));
        let p = ok(&doc("tier: platform", "allow-dns", "order: 0.25"));
        assert_eq!(policy(&p).name, "platform.allow-dns");
        assert_eq!(policy(&p).order, Some(0.25));
        let p = ok(&doc("tier: ''", "allow-dns", "order: ~"));
        assert_eq!(policy(&p).tier, "default");
        assert_eq!(policy(&p).name, "allow-dns");
        assert_eq!(policy(&p).order, None);
        let (line, col, msg, layers) = one_error(&doc("tier: platform", "x", "order: high"));
        assert_eq!((line, col), (6, 10));
        assert!(msg.contains("`order` must be a number"), "{msg}");
        assert!(layers.policies.is_empty());
    }

    #[test]
    fn protocols_by_name_and_number() {
        let rule = |proto: &str| {
            format!("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: t}}\nspec:\n  ingress:\n    - action: Allow\n      {proto}\n")
        };
        for (written, model) in [
            ("protocol: tcp", Neg::is("TCP")),
            ("protocol: Udp", Neg::is("UDP")),
            ("protocol: 6", Neg::is("TCP")),
            ("protocol: \"17\"", Neg::is("UDP")),
            ("protocol: 132", Neg::is("SCTP")),
            ("protocol: ICMPv6", Neg::is("ICMPv6")),
            ("protocol: 58", Neg::is("ICMPv6")),
            ("protocol: 47", Neg::is("47")),
            ("notProtocol: 1", Neg::not("ICMP")),
        ] {
            let layers = ok(&rule(written));
            let got = policy(&layers).ingress[0].protocol.clone().unwrap();
            assert_eq!(got.negated, model.negated, "{written}");
            assert_eq!(got.value, model.value, "{written}");
        }
        for (written, col, message) in [
            ("protocol: 0", 17, "out of range"),
            ("protocol: 256", 17, "out of range"),
            ("protocol: GRE", 17, "unknown protocol `GRE`"),
            (
                "protocol: [TCP]",
                17,
                "`protocol` must be a protocol name or number",
            ),
        ] {
            let (line, c, msg, layers) = one_error(&rule(written));
            assert_eq!((line, c), (7, col), "{written}");
            assert!(msg.contains(message), "{written}: {msg}");
            assert!(layers.policies.is_empty());
        }
        // The same protocol included and excluded: matches nothing, noted.
        let layers = ok(&rule("protocol: TCP\n      notProtocol: 6"));
        let note = policy(&layers).ingress[0].partial.clone().unwrap();
        assert!(note.message.contains("matches nothing"), "{note:?}");
        assert_eq!(note.loc.line, 8);
    }

    fn rule_doc(body: &str) -> String {
        format!(
            "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: t}}\nspec:\n  egress:\n    - action: Allow\n{body}"
        )
    }

    #[test]
    fn ports_ranges_names_and_not_ports() {
        let layers = ok(&rule_doc(
            "      protocol: TCP\n      destination:\n        ports: [\"1000:2000\", 443, \"8443\"]\n        notPorts: [1500, \"1600:1700\", 2000, 9]\n      source:\n        notPorts: [\"0:1023\"]\n",
        ));
        let r = &policy(&layers).egress[0];
        assert_eq!(
            r.dst.ports,
            Some(Neg::is(vec![
                PortItem::Range((443, 443)),
                PortItem::Range((1000, 1499)),
                PortItem::Range((1501, 1599)),
                PortItem::Range((1701, 1999)),
                PortItem::Range((8443, 8443)),
            ]))
        );
        assert_eq!(
            r.src.ports,
            Some(Neg::not(vec![PortItem::Range((0, 1023))]))
        );
        assert!(r.partial.is_none());

        // Everything cut away: the rule matches no port.
        let layers = ok(&rule_doc(
            "      protocol: TCP\n      destination:\n        ports: [80]\n        notPorts: [\"1:100\"]\n",
        ));
        assert_eq!(policy(&layers).egress[0].dst.ports, Some(Neg::is(vec![])));

        // Named ports cannot be subtracted: ports kept, noted.
        let layers = ok(&rule_doc(
            "      protocol: TCP\n      destination:\n        ports: [https]\n        notPorts: [443]\n",
        ));
        let r = &policy(&layers).egress[0];
        assert_eq!(
            r.dst.ports,
            Some(Neg::is(vec![PortItem::Named("https".into())]))
        );
        assert!(r.partial.as_ref().unwrap().message.contains("notPorts"));

        for (body, line, col, message) in [
            (
                "      destination:\n        ports: [443]\n",
                8,
                16,
                "protocol` is not TCP",
            ),
            (
                "      protocol: ICMP\n      source:\n        notPorts: [443]\n",
                9,
                19,
                "protocol` is not TCP",
            ),
            (
                "      protocol: TCP\n      destination:\n        ports: [70000]\n",
                9,
                17,
                "port 70000 is out of range",
            ),
            (
                "      protocol: TCP\n      destination:\n        ports: [\"9000:8000\"]\n",
                9,
                17,
                "ends before it starts",
            ),
            (
                "      protocol: TCP\n      destination:\n        ports: [\"80-90\"]\n",
                9,
                17,
                "neither a port",
            ),
            (
                "      protocol: TCP\n      destination:\n        ports: [\"80:x\"]\n",
                9,
                17,
                "not a port range",
            ),
            (
                "      protocol: TCP\n      destination:\n        ports: [1.5]\n",
                9,
                17,
                "must be a port number",
            ),
            (
                "      protocol: TCP\n      destination:\n        ports: 443\n",
                9,
                16,
                "must be a list",
            ),
        ] {
            let (l, c, msg, layers) = one_error(&rule_doc(body));
            assert_eq!((l, c), (line, col), "{body}: {msg}");
            assert!(msg.contains(message), "{body}: {msg}");
            assert!(layers.policies.is_empty());
        }
    }

    #[test]
    fn nets_and_bad_nets() {
        let layers = ok(&rule_doc(
            "      destination:\n        nets: [192.168.128.0/24]\n        notNets: [192.168.128.1]\n",
        ));
        let r = &policy(&layers).egress[0];
        assert_eq!(r.dst.nets, Some(Neg::is(vec![cidr("192.168.128.0/24")])));
        assert_eq!(r.dst.except, vec![cidr("192.168.128.1/32")]);
        // Empty lists are no condition.
        let layers = ok(&rule_doc("      destination:\n        nets: []\n"));
        assert_eq!(policy(&layers).egress[0].dst.nets, None);

        let (l, c, msg, _) = one_error(&rule_doc(
            "      destination:\n        nets: [10.0.0.0/8, 10.0.0.0/33]\n",
        ));
        assert_eq!((l, c), (8, 28));
        assert!(msg.contains("`10.0.0.0/33` in `destination.nets`"), "{msg}");
        let (l, c, msg, _) = one_error(&rule_doc("      source:\n        notNets: [8]\n"));
        assert_eq!((l, c), (8, 19));
        assert!(msg.contains("`source.notNets[]` must be a CIDR"), "{msg}");
    }

    #[test]
    fn unmodelled_matches_are_partial_notes() {
        let layers = ok(&rule_doc(
            "      protocol: TCP\n      http:\n        methods: [GET]\n      destination:\n        serviceAccounts:\n          names: [trident-controller]\n          selector: app == 'x'\n        services:\n          name: kubernetes\n          namespace: default\n",
        ));
        let note = policy(&layers).egress[0].partial.clone().unwrap();
        assert_eq!(note.loc.line, 9, "the first note's place: {note:?}");
        for part in ["`http`", "serviceAccounts", "services"] {
            assert!(note.message.contains(part), "{part}: {}", note.message);
        }
        // ICMP fields: fine with an ICMP protocol (noted), an error without.
        let layers = ok(&rule_doc(
            "      protocol: ICMP\n      icmp: {type: 8, code: 0}\n      notICMP: {type: 3}\n",
        ));
        let note = policy(&layers).egress[0].partial.clone().unwrap();
        assert!(note.message.contains("`icmp`") && note.message.contains("`notICMP`"));
        let (l, c, msg, _) = one_error(&rule_doc("      protocol: TCP\n      icmp: {type: 8}\n"));
        assert_eq!((l, c), (8, 13));
        assert!(msg.contains("needs `protocol: ICMP`"), "{msg}");
        let (l, c, msg, _) =
            one_error(&rule_doc("      protocol: ICMP\n      icmp: {type: 300}\n"));
        assert_eq!((l, c), (8, 20));
        assert!(msg.contains("from 0 to 254"), "{msg}");
        // Unknown fields are noted where they are written.
        let layers = ok(&rule_doc("      destinaton:\n        nets: [10.0.0.0/8]\n"));
        let note = policy(&layers).egress[0].partial.clone().unwrap();
        assert_eq!((note.loc.line, note.loc.column), (7, 7));
        assert!(
            note.message.contains("unknown field `destinaton`"),
            "{note:?}"
        );
    }

    #[test]
    fn ip_version_is_noted_unless_the_nets_imply_it() {
        let layers = ok(&rule_doc(
            "      ipVersion: 4\n      destination:\n        nets: [10.0.0.0/8]\n",
        ));
        assert!(policy(&layers).egress[0].partial.is_none());
        let layers = ok(&rule_doc("      ipVersion: 6\n"));
        let note = policy(&layers).egress[0].partial.clone().unwrap();
        assert!(note.message.contains("ipVersion: 6"), "{note:?}");
        assert_eq!(note.loc.line, 7);
        let layers = ok(&rule_doc(
            "      ipVersion: 6\n      destination:\n        nets: [10.0.0.0/8]\n",
        ));
        assert!(policy(&layers).egress[0].partial.is_some());
        let (l, c, msg, _) = one_error(&rule_doc("      ipVersion: 5\n"));
        assert_eq!((l, c), (7, 18));
        assert!(msg.contains("must be 4 or 6"), "{msg}");
    }

    #[test]
    fn actions_and_their_errors() {
        let (l, c, msg, _) = one_error(
            "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: t}\nspec:\n  ingress:\n    - action: allow\n",
        );
        assert_eq!((l, c), (6, 15));
        assert!(msg.contains("unknown action `allow`"), "{msg}");
        let (l, c, msg, _) = one_error(
            "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: t}\nspec:\n  ingress:\n    - protocol: TCP\n",
        );
        assert_eq!((l, c), (6, 7));
        assert!(msg.contains("needs an `action`"), "{msg}");
        let (l, c, msg, _) = one_error(
            "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: t}\nspec:\n  ingress:\n    - Allow\n",
        );
        assert_eq!((l, c), (6, 7));
        assert!(msg.contains("`ingress[]` must be a mapping"), "{msg}");
    }

    #[test]
    fn host_policy_flags() {
        let doc = |flags: &str| {
            format!("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: t}}\nspec:\n  selector: has(host-endpoint)\n{flags}")
        };
        let layers = ok(&doc("  preDNAT: true\n  applyOnForward: true\n"));
        let p = policy(&layers);
        assert!(p.apply_on_forward);
        assert_eq!(p.notes.len(), 1);
        assert!(p.notes[0].message.contains("preDNAT"));
        assert_eq!(p.notes[0].loc.line, 6);
        let layers = ok(&doc("  doNotTrack: true\n  applyOnForward: true\n"));
        assert!(policy(&layers).notes[0].message.contains("doNotTrack"));
        let layers = ok(&doc("  doNotTrack: false\n  preDNAT: false\n"));
        assert!(policy(&layers).notes.is_empty());
        assert!(!policy(&layers).apply_on_forward);

        let (l, c, msg, _) = one_error(&doc("  preDNAT: true\n"));
        assert_eq!((l, c), (6, 12));
        assert!(msg.contains("needs `applyOnForward: true`"), "{msg}");
        let (l, _, msg, _) = one_error(&doc(
            "  preDNAT: true\n  doNotTrack: true\n  applyOnForward: true\n",
        ));
        assert_eq!(l, 6);
        assert!(msg.contains("may not both be true"), "{msg}");
        let (l, c, msg, _) = one_error(&doc("  applyOnForward: yes\n"));
        assert_eq!((l, c), (6, 19));
        assert!(msg.contains("true or false"), "{msg}");
        // A namespaced policy has no such fields: noted as unknown.
        let layers = ok("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: t, namespace: x}\nspec:\n  preDNAT: true\n");
        assert!(policy(&layers).notes[0]
            .message
            .contains("unknown field `preDNAT`"));
    }

    #[test]
    fn service_account_selector_is_noted() {
        let layers = ok("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: t, namespace: trident}\nspec:\n  serviceAccountSelector: projectcalico.org/name == 'trident-controller'\n");
        let p = policy(&layers);
        assert_eq!(p.namespace.as_deref(), Some("trident"));
        assert_eq!(p.notes.len(), 1);
        assert!(p.notes[0].message.contains("serviceAccountSelector"));
        let layers = ok("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: t}\nspec:\n  serviceAccountSelector: all()\n");
        assert!(policy(&layers).notes.is_empty());
    }

    #[test]
    fn selector_errors_point_inside_the_string_and_drop_only_that_policy() {
        let head = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: bad}\nspec:\n";
        let good = "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: good}\nspec:\n  selector: all()\n";
        // (selector line, expected column of the problem)
        let cases = [
            // plain: `(` at offset 14, value starts at column 13
            ("  selector: app == 'x' && (has(y)\n", 27),
            // double-quoted: one more for the opening quote
            ("  selector: \"app == 'x' && (has(y)\"\n", 28),
            // single-quoted: `''` takes two characters
            ("  selector: 'app == ''x'' && (has(y)'\n", 30),
            // double-quoted with an escaped quote
            ("  selector: \"app == \\\"x\\\" && (has(y)\"\n", 30),
        ];
        for (line, col) in cases {
            let text = format!("{head}{line}{good}");
            let (l, c, msg, layers) = one_error(&text);
            assert_eq!((l, c), (5, col), "{line}: {msg}");
            assert!(msg.contains("unbalanced parentheses"), "{msg}");
            assert!(!msg.contains("at character"), "{msg}");
            // The bad policy is left out, the next one is read.
            assert_eq!(policy(&layers).name, "good");
        }
        // Rule selectors, JSON input and a folded scalar (not exact: the start, with the offset).
        let (l, c, msg, _) = one_error(&rule_doc(
            "      destination:\n        namespaceSelector: name == 'a' || || b\n",
        ));
        assert_eq!((l, c), (8, 43));
        assert!(msg.contains("`destination.namespaceSelector`"), "{msg}");
        let json = r#"{"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
 "metadata": {"name": "j"}, "spec": {"selector": "a ~= 'b'"}}"#;
        let (l, c, msg, _) = one_error(json);
        assert_eq!((l, c), (2, 53));
        assert!(msg.contains("unknown operator `~=`"), "{msg}");
        let (l, c, msg, _) = one_error(&format!("{head}  selector: >-\n    a == 'b'\n    && c\n"));
        assert_eq!((l, c), (6, 5));
        assert!(msg.contains("at character 14 of the selector"), "{msg}");
    }

    #[test]
    fn unquoted_bang_selectors_and_wrong_selector_types() {
        let head = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: t}\nspec:\n";
        let (l, c, msg, _) = one_error(&format!("{head}  selector: !has(skip)\n"));
        assert_eq!((l, c), (5, 13));
        assert!(msg.contains("YAML reads an unquoted value"), "{msg}");
        let (l, c, msg, _) = one_error(&format!("{head}  selector: {{app: x}}\n"));
        assert_eq!((l, c), (5, 13));
        assert!(msg.contains("`selector` must be a string"), "{msg}");
        // Null and empty selectors are Calico's "not set".
        let layers = ok(&format!("{head}  selector: ~\n  namespaceSelector: ''\n"));
        assert_eq!(
            policy(&layers).subject,
            Subject::Endpoints {
                namespace: None,
                selector: SelExpr::All
            }
        );
    }

    #[test]
    fn wrong_types_are_located() {
        let head =
            "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: t}\n";
        for (body, line, col, message) in [
            ("spec: [a]\n", 4, 7, "`spec` must be a mapping"),
            ("spec:\n  ingress: {action: Allow}\n", 5, 12, "`ingress` must be a list"),
            ("spec:\n  types: Ingress\n", 5, 10, "`types` must be a list"),
            ("spec:\n  types: [Inbound]\n", 5, 11, "unknown policy type `Inbound`"),
            ("spec:\n  tier: 3\n", 5, 9, "`tier` must be a string"),
            (
                "spec:\n  egress:\n    - action: Allow\n      source: [a]\n",
                7,
                15,
                "`source` must be a mapping",
            ),
            (
                "spec:\n  egress:\n    - action: Allow\n      source:\n        serviceAccounts: [a]\n",
                8,
                26,
                "`source.serviceAccounts` must be a mapping",
            ),
        ] {
            let (l, c, msg, layers) = one_error(&format!("{head}{body}"));
            assert_eq!((l, c), (line, col), "{body}: {msg}");
            assert!(msg.contains(message), "{body}: {msg}");
            assert!(layers.policies.is_empty());
        }
        let (l, c, msg, _) = one_error(
            "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: [t]\n",
        );
        assert_eq!((l, c), (4, 9));
        assert!(msg.contains("`metadata.name` must be a string"), "{msg}");
    }

    #[test]
    fn tiers() {
        let layers = ok("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: security\nspec:\n  order: 300\n  defaultAction: Pass\n---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: platform}\n");
        let [security, platform] = &layers.tiers[..] else {
            panic!("{:?}", layers.tiers)
        };
        assert_eq!(security.name, "security");
        assert_eq!(security.order, Some(300.0));
        assert_eq!(security.default_action, LAction::Pass);
        assert_eq!((security.loc.line, security.loc.column), (4, 9));
        assert_eq!(platform.order, None);
        assert_eq!(platform.default_action, LAction::Deny);
        let (l, c, msg, layers) = one_error(
            "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t}\nspec:\n  defaultAction: Allow\n",
        );
        assert_eq!((l, c), (5, 18));
        assert!(msg.contains("defaultAction `Allow`"), "{msg}");
        assert!(layers.tiers.is_empty());
    }

    #[test]
    fn host_endpoints() {
        let layers = ok(r#"apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: node1-eth0
  labels:
    hep: k8s-node
    role: controller
spec:
  node: node1
  interfaceName: eth0
  expectedIPs: [192.168.100.21, "fd00::21"]
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node2-all}
spec: {node: node2, interfaceName: "*"}
"#);
        let [a, b] = &layers.host_endpoints[..] else {
            panic!("{:?}", layers.host_endpoints)
        };
        assert_eq!(a.name, "node1-eth0");
        assert_eq!(a.node, "node1");
        assert_eq!(a.interface_name.as_deref(), Some("eth0"));
        assert_eq!(
            a.expected_ips,
            vec![cidr("192.168.100.21/32"), cidr("fd00::21/128")]
        );
        assert_eq!(a.labels.get("role").map(String::as_str), Some("controller"));
        assert_eq!((a.loc.line, a.loc.column), (4, 9));
        assert_eq!(b.interface_name.as_deref(), Some("*"));
        assert!(b.expected_ips.is_empty() && b.labels.is_empty());

        let head = "apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata: {name: h}\n";
        for (body, line, col, message) in [
            ("spec: {interfaceName: eth0}\n", 4, 7, "no `spec.node`"),
            (
                "spec: {node: n}\n",
                4,
                7,
                "neither `interfaceName` nor `expectedIPs`",
            ),
            (
                "spec: {node: n, expectedIPs: [10.0.0.1/24]}\n",
                4,
                31,
                "not an IP address",
            ),
            ("", 3, 18, "has no `spec`"),
        ] {
            let (l, c, msg, layers) = one_error(&format!("{head}{body}"));
            assert_eq!((l, c), (line, col), "{body}: {msg}");
            assert!(msg.contains(message), "{body}: {msg}");
            assert!(layers.host_endpoints.is_empty());
        }
        let (l, c, msg, _) = one_error(
            "apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata:\n  name: h\n  labels: [a]\nspec: {node: n, interfaceName: eth0}\n",
        );
        assert_eq!((l, c), (5, 11));
        assert!(msg.contains("`labels` must be a mapping"), "{msg}");
    }

    #[test]
    fn network_sets() {
        let layers = ok(r#"apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata:
  name: oceanstor-mgmt
  labels: {role: huawei-storage-mgmt}
spec:
  nets: [192.168.128.10/32, 192.168.128.11/32]
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {name: svm, namespace: trident, labels: {role: ontap}}
spec: {nets: ["10.30.1.0/24"]}
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {name: empty}
"#);
        let [g, n, e] = &layers.network_sets[..] else {
            panic!("{:?}", layers.network_sets)
        };
        assert_eq!(g.name, "oceanstor-mgmt");
        assert_eq!(g.namespace, None);
        assert_eq!(
            g.nets,
            vec![cidr("192.168.128.10/32"), cidr("192.168.128.11/32")]
        );
        assert_eq!(
            g.labels.get("role").map(String::as_str),
            Some("huawei-storage-mgmt")
        );
        assert_eq!(g.loc.line, 4);
        assert_eq!(n.namespace.as_deref(), Some("trident"));
        assert_eq!(n.nets, vec![cidr("10.30.1.0/24")]);
        assert_eq!(e.namespace.as_deref(), Some("default"));
        assert!(e.nets.is_empty());
        let (l, c, msg, layers) = one_error(
            "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: s}\nspec: {nets: [storage]}\n",
        );
        assert_eq!((l, c), (4, 15));
        assert!(msg.contains("`storage` in `nets`"), "{msg}");
        assert!(layers.network_sets.is_empty());
    }

    #[test]
    fn api_versions_and_kinds() {
        // The CRD form has the same schema.
        let layers = ok("apiVersion: crd.projectcalico.org/v1\nkind: GlobalNetworkPolicy\nmetadata: {name: default.x}\nspec:\n  selector: has(a)\n");
        assert_eq!(policy(&layers).name, "default.x");
        let (l, c, msg, layers) = one_error(
            "apiVersion: projectcalico.org/v2\nkind: NetworkPolicy\nmetadata: {name: x}\n",
        );
        assert_eq!((l, c), (1, 13));
        assert!(
            msg.contains("unsupported apiVersion `projectcalico.org/v2`"),
            "{msg}"
        );
        assert!(layers.is_empty());
        // Staged policies are not enforced: not read here, reported as not analysed.
        assert!(!handles("projectcalico.org", "StagedNetworkPolicy"));
        assert!(!handles("projectcalico.org", "StagedGlobalNetworkPolicy"));
        assert!(!handles("cilium.io", "NetworkPolicy"));
        assert!(handles("crd.projectcalico.org", "HostEndpoint"));
        let (model, findings) = read_text(
            "apiVersion: projectcalico.org/v3\nkind: StagedNetworkPolicy\nmetadata: {name: s}\n",
        );
        assert!(findings.is_empty());
        assert!(model.layers.is_empty());
        assert_eq!(model.unsupported.len(), 1);
    }

    #[test]
    fn a_list_of_calico_objects_is_read() {
        let layers = ok(r#"apiVersion: v1
kind: List
items:
  - apiVersion: projectcalico.org/v3
    kind: Tier
    metadata: {name: security}
    spec: {order: 100}
  - apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: security.deny-all}
    spec:
      tier: security
      selector: all()
      types: [Ingress, Egress]
"#);
        assert_eq!(layers.tiers.len(), 1);
        assert_eq!(policy(&layers).name, "security.deny-all");
        assert_eq!(policy(&layers).types, ["Ingress", "Egress"]);
        assert!(policy(&layers).ingress.is_empty());
    }

    #[test]
    fn subtracting_ports_handles_edges() {
        let node = Node {
            value: Value::Null,
            loc: Loc::file_start("x"),
        };
        let r = |v: &[(u16, u16)]| v.iter().map(|r| PortItem::Range(*r)).collect::<Vec<_>>();
        let mut notes = Vec::new();
        assert_eq!(
            subtract_ports(
                r(&[(0, 65535)]),
                r(&[(0, 0), (65535, 65535)]),
                &node,
                &mut notes
            ),
            r(&[(1, 65534)])
        );
        assert_eq!(
            subtract_ports(r(&[(10, 20), (30, 40)]), r(&[(15, 35)]), &node, &mut notes),
            r(&[(10, 14), (36, 40)])
        );
        assert_eq!(
            subtract_ports(r(&[(10, 20)]), r(&[(1, 5), (25, 30)]), &node, &mut notes),
            r(&[(10, 20)])
        );
        assert!(notes.is_empty());
    }
}
