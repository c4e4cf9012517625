//! The Rego verdicts against a brute-force oracle. Random NetworkPolicy sets over a small world of
//! pods, namespaces and ports; the oracle decides every (source, destination, protocol, port) by
//! the definitions in shared/DOMAIN.md, written independently here in Rust; the engine's verdicts
//! must match exactly.
//!
//! `PORTMATRIX_ORACLE_CASES=5000 cargo test --release --test oracle` runs a longer search.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};
use std::collections::BTreeMap;

type Labels = BTreeMap<String, String>;

#[derive(Debug, Clone)]
struct Pod {
    name: &'static str,
    ns: &'static str,
    labels: Labels,
    /// Named container ports: name -> (port, protocol).
    named: BTreeMap<String, (u16, &'static str)>,
}

const NAMESPACES: [(&str, &str); 3] = [("ns-a", "red"), ("ns-b", "blue"), ("ns-c", "red")];
const PROTOCOLS: [&str; 3] = ["TCP", "UDP", "SCTP"];
const PORTS: [u16; 3] = [53, 80, 443];
const KEYS: [&str; 2] = ["app", "tier"];
const VALUES: [&str; 2] = ["x", "y"];

fn ns_labels(ns: &str) -> Labels {
    let team = NAMESPACES
        .iter()
        .find(|(n, _)| *n == ns)
        .map(|(_, t)| *t)
        .unwrap_or("none");
    [
        ("kubernetes.io/metadata.name".to_string(), ns.to_string()),
        ("team".to_string(), team.to_string()),
    ]
    .into()
}

#[derive(Debug, Clone)]
struct Req {
    key: &'static str,
    op: &'static str,
    values: Vec<&'static str>,
}

#[derive(Debug, Clone)]
struct Sel {
    labels: Labels,
    exprs: Vec<Req>,
}

#[derive(Debug, Clone)]
enum PortSpec {
    Any(&'static str),
    Number(&'static str, u16, Option<u16>),
    Named(&'static str, &'static str),
}

#[derive(Debug, Clone)]
enum Peer {
    Pods(Sel),
    Namespaces(Sel),
    Both(Sel, Sel),
    /// ipBlocks never match pod-network pods when the pod CIDR is unknown.
    IpBlock,
}

#[derive(Debug, Clone)]
struct Rule {
    peers: Option<Vec<Peer>>,
    ports: Option<Vec<PortSpec>>,
}

#[derive(Debug, Clone)]
struct Policy {
    ns: &'static str,
    selector: Sel,
    types: Vec<&'static str>,
    ingress: Vec<Rule>,
    egress: Vec<Rule>,
}

// ---- the oracle ---------------------------------------------------------------------------

fn sel_matches(sel: &Sel, labels: &Labels) -> bool {
    sel.labels.iter().all(|(k, v)| labels.get(k) == Some(v))
        && sel.exprs.iter().all(|r| {
            let value = labels.get(r.key);
            match r.op {
                "In" => value.is_some_and(|v| r.values.contains(&v.as_str())),
                "NotIn" => !value.is_some_and(|v| r.values.contains(&v.as_str())),
                "Exists" => value.is_some(),
                _ => value.is_none(),
            }
        })
}

fn peer_matches(peer: &Peer, policy_ns: &str, other: &Pod) -> bool {
    match peer {
        Peer::Pods(s) => other.ns == policy_ns && sel_matches(s, &other.labels),
        Peer::Namespaces(n) => sel_matches(n, &ns_labels(other.ns)),
        Peer::Both(n, s) => sel_matches(n, &ns_labels(other.ns)) && sel_matches(s, &other.labels),
        Peer::IpBlock => false,
    }
}

fn port_matches(spec: &PortSpec, proto: &str, port: u16, dst: &Pod) -> bool {
    match spec {
        PortSpec::Any(p) => *p == proto,
        PortSpec::Number(p, n, end) => *p == proto && port >= *n && port <= end.unwrap_or(*n),
        PortSpec::Named(p, name) => {
            *p == proto
                && dst
                    .named
                    .get(*name)
                    .is_some_and(|(np, nproto)| *np == port && *nproto == proto)
        }
    }
}

fn rule_allows(
    rule: &Rule,
    policy_ns: &str,
    other: &Pod,
    proto: &str,
    port: u16,
    dst: &Pod,
) -> bool {
    let peers_ok = match &rule.peers {
        None => true,
        Some(ps) => ps.iter().any(|p| peer_matches(p, policy_ns, other)),
    };
    let ports_ok = match &rule.ports {
        None => true,
        Some(ps) => ps.iter().any(|p| port_matches(p, proto, port, dst)),
    };
    peers_ok && ports_ok
}

fn direction_allows(
    policies: &[Policy],
    subject: &Pod,
    other: &Pod,
    egress: bool,
    proto: &str,
    port: u16,
    dst: &Pod,
) -> bool {
    let ty = if egress { "Egress" } else { "Ingress" };
    let isolating: Vec<&Policy> = policies
        .iter()
        .filter(|p| {
            p.ns == subject.ns && p.types.contains(&ty) && sel_matches(&p.selector, &subject.labels)
        })
        .collect();
    if isolating.is_empty() {
        return true;
    }
    isolating.iter().any(|p| {
        let rules = if egress { &p.egress } else { &p.ingress };
        rules
            .iter()
            .any(|r| rule_allows(r, p.ns, other, proto, port, dst))
    })
}

fn oracle(policies: &[Policy], src: &Pod, dst: &Pod, proto: &str, port: u16) -> bool {
    direction_allows(policies, src, dst, true, proto, port, dst)
        && direction_allows(policies, dst, src, false, proto, port, dst)
}

// ---- the input document, as src/input.rs builds it ------------------------------------------

fn sel_json(s: &Sel) -> Value {
    json!({
        "match_labels": s.labels,
        "match_expressions": s.exprs.iter().map(|r| json!({"key": r.key, "operator": r.op, "values": r.values})).collect::<Vec<_>>(),
        "loc": 0,
    })
}

fn rule_json(r: &Rule) -> Value {
    let mut v = json!({"loc": 0});
    if let Some(peers) = &r.peers {
        v["peers"] = peers
            .iter()
            .map(|p| match p {
                Peer::Pods(s) => json!({"loc": 0, "pod_selector": sel_json(s)}),
                Peer::Namespaces(n) => json!({"loc": 0, "namespace_selector": sel_json(n)}),
                Peer::Both(n, s) => json!({"loc": 0, "namespace_selector": sel_json(n), "pod_selector": sel_json(s)}),
                Peer::IpBlock => json!({"loc": 0, "ip_block": {"cidr": "10.0.0.0/8", "cidr_loc": 0, "except": []}}),
            })
            .collect();
    }
    if let Some(ports) = &r.ports {
        v["ports"] = ports
            .iter()
            .map(|p| match p {
                PortSpec::Any(proto) => json!({"loc": 0, "protocol": proto}),
                PortSpec::Number(proto, n, None) => json!({"loc": 0, "protocol": proto, "port": n}),
                PortSpec::Number(proto, n, Some(e)) => {
                    json!({"loc": 0, "protocol": proto, "port": n, "end_port": e})
                }
                PortSpec::Named(proto, name) => json!({"loc": 0, "protocol": proto, "port": name}),
            })
            .collect();
    }
    v
}

fn endpoint(p: &Pod) -> Value {
    let named: BTreeMap<&String, Value> = p
        .named
        .iter()
        .map(|(k, (port, proto))| (k, json!({"port": port, "protocol": proto})))
        .collect();
    json!({"role": p.name, "kind": "pod", "namespace": p.ns, "labels": p.labels, "host_network": false, "named_ports": named})
}

fn input(pods: &[Pod], policies: &[Policy]) -> (Value, Vec<(String, bool)>) {
    let mut flows = Vec::new();
    let mut expected = Vec::new();
    for src in pods {
        for dst in pods {
            for proto in PROTOCOLS {
                for port in PORTS {
                    let id = format!("{}->{}/{proto}/{port}", src.name, dst.name);
                    expected.push((id.clone(), oracle(policies, src, dst, proto, port)));
                    flows.push(json!({
                        "id": id, "driver": "t", "from": endpoint(src), "to": endpoint(dst),
                        "protocol": proto, "protocols": [proto], "port_ranges": [[port, port]],
                        "purpose": "oracle", "approximate": false,
                        "atoms": [{"protocol": proto, "port": port, "port_end": port}],
                    }));
                }
            }
        }
    }
    let mut by_ns: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for (i, p) in policies.iter().enumerate() {
        by_ns.entry(p.ns).or_default().push(json!({
            "kind": "NetworkPolicy", "name": format!("p{i}"), "namespace": p.ns, "loc": 0, "at": format!("p{i}.yaml:1"),
            "pod_selector": sel_json(&p.selector), "policy_types": p.types,
            "ingress": p.ingress.iter().map(rule_json).collect::<Vec<_>>(),
            "egress": p.egress.iter().map(rule_json).collect::<Vec<_>>(),
        }));
    }
    let namespaces: BTreeMap<&str, Value> = NAMESPACES
        .iter()
        .map(|(n, _)| (*n, json!({"labels": ns_labels(n)})))
        .collect();
    let doc = json!({
        "version": 1, "drivers": ["t"], "profile": {"drivers": {}, "cluster": {}},
        "components": [], "pods": {}, "namespaces": namespaces, "policies": by_ns,
        "policies_omitted": 0, "flows": flows, "inactive_flows": [], "unsupported": [],
    });
    (doc, expected)
}

// ---- generators ----------------------------------------------------------------------------

fn labels() -> impl Strategy<Value = Labels> {
    proptest::collection::btree_map(
        prop::sample::select(KEYS.to_vec()),
        prop::sample::select(VALUES.to_vec()),
        0..=2,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    })
}

fn selector(keys: Vec<&'static str>, values: Vec<&'static str>) -> impl Strategy<Value = Sel> {
    let req = (
        prop::sample::select(keys.clone()),
        prop::sample::select(vec!["In", "NotIn", "Exists", "DoesNotExist"]),
        proptest::collection::vec(prop::sample::select(values.clone()), 1..=2),
    )
        .prop_map(|(key, op, values)| Req {
            key,
            op,
            values: if matches!(op, "In" | "NotIn") {
                values
            } else {
                vec![]
            },
        });
    let ml = proptest::collection::btree_map(
        prop::sample::select(keys),
        prop::sample::select(values),
        0..=1,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Labels>()
    });
    (ml, proptest::collection::vec(req, 0..=1)).prop_map(|(labels, exprs)| Sel { labels, exprs })
}

fn pod_sel() -> impl Strategy<Value = Sel> {
    selector(KEYS.to_vec(), VALUES.to_vec())
}

fn ns_sel() -> impl Strategy<Value = Sel> {
    selector(
        vec!["team", "kubernetes.io/metadata.name"],
        vec!["red", "blue", "ns-a", "ns-b"],
    )
}

fn peer() -> impl Strategy<Value = Peer> {
    prop_oneof![
        pod_sel().prop_map(Peer::Pods),
        ns_sel().prop_map(Peer::Namespaces),
        (ns_sel(), pod_sel()).prop_map(|(n, s)| Peer::Both(n, s)),
        Just(Peer::IpBlock),
    ]
}

fn port_spec() -> impl Strategy<Value = PortSpec> {
    let proto = prop::sample::select(PROTOCOLS.to_vec());
    prop_oneof![
        proto.clone().prop_map(PortSpec::Any),
        (
            proto.clone(),
            prop::sample::select(PORTS.to_vec()),
            prop::option::of(prop::sample::select(vec![79u16, 80, 100, 500]))
        )
            .prop_map(|(p, n, e)| PortSpec::Number(p, n, e.filter(|e| *e >= n))),
        (proto, prop::sample::select(vec!["http", "dns", "nosuch"]))
            .prop_map(|(p, n)| PortSpec::Named(p, n)),
    ]
}

fn rule() -> impl Strategy<Value = Rule> {
    (
        prop::option::of(proptest::collection::vec(peer(), 1..=2)),
        prop::option::of(proptest::collection::vec(port_spec(), 1..=2)),
    )
        .prop_map(|(peers, ports)| Rule { peers, ports })
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        prop::sample::select(NAMESPACES.iter().map(|(n, _)| *n).collect::<Vec<_>>()),
        pod_sel(),
        prop::sample::select(vec![
            vec!["Ingress"],
            vec!["Egress"],
            vec!["Ingress", "Egress"],
        ]),
        proptest::collection::vec(rule(), 0..=2),
        proptest::collection::vec(rule(), 0..=2),
    )
        .prop_map(|(ns, selector, types, ingress, egress)| Policy {
            ns,
            selector,
            types,
            ingress,
            egress,
        })
}

fn world() -> impl Strategy<Value = Vec<Pod>> {
    let names = ["p0", "p1", "p2", "p3"];
    proptest::collection::vec(
        (
            prop::sample::select(NAMESPACES.iter().map(|(n, _)| *n).collect::<Vec<_>>()),
            labels(),
            any::<bool>(),
        ),
        4,
    )
    .prop_map(move |specs| {
        specs
            .into_iter()
            .enumerate()
            .map(|(i, (ns, labels, named))| Pod {
                name: names[i],
                ns,
                labels,
                named: if named {
                    [
                        ("http".to_string(), (80, "TCP")),
                        ("dns".to_string(), (53, "UDP")),
                    ]
                    .into()
                } else {
                    BTreeMap::new()
                },
            })
            .collect()
    })
}

#[test]
fn engine_matches_the_brute_force_oracle() {
    let cases: u32 = std::env::var("PORTMATRIX_ORACLE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(48);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    // One engine, loaded once: each case only swaps the input.
    let engine =
        std::cell::RefCell::new(portmatrix::engine::bundle_engine().expect("bundle loads"));
    let checked = std::cell::Cell::new(0usize);
    runner
        .run(
            &(world(), proptest::collection::vec(policy(), 0..=4)),
            |(pods, policies)| {
                let (doc, expected) = input(&pods, &policies);
                let mut engine = engine.borrow_mut();
                engine
                    .set_input_json(&doc.to_string())
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let v = engine
                    .eval_rule("data.portmatrix.verdicts.flows".to_string())
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let got: Vec<Value> = serde_json::from_str(&v.to_json_str().unwrap()).unwrap();
                let statuses: BTreeMap<String, String> = got
                    .iter()
                    .map(|f| {
                        (
                            f["id"].as_str().unwrap().to_string(),
                            f["status"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect();
                for (id, allowed) in &expected {
                    let want = if *allowed { "allowed" } else { "blocked" };
                    prop_assert_eq!(
                        statuses.get(id).map(String::as_str),
                        Some(want),
                        "flow {} with policies {:#?} and pods {:#?}",
                        id,
                        policies,
                        pods
                    );
                }
                checked.set(checked.get() + expected.len());
                Ok(())
            },
        )
        .unwrap();
    let checked = checked.get();
    println!("{checked} flow verdicts matched the oracle over {cases} random policy sets");
    assert!(checked >= cases as usize * 100);
}
