//! Table-driven tests of the NetworkPolicy semantics (shared/DOMAIN.md, "NetworkPolicy semantics"),
//! each case run through the whole pipeline: YAML in, verdict of one Trident flow out.
//!
//! Flows used: `trident/prometheus-to-controller-metrics` (pod monitoring/prometheus -> pod
//! trident/controller, TCP 8001), `trident/controller-to-storage-management` (pod -> external,
//! TCP 443), `trident/controller-to-cluster-dns-udp` (pod -> pod in kube-system, UDP 53) and
//! `trident/node-to-controller-backchannel` (host network -> pod, TCP 8443).

use portmatrix::{LintRequest, SourceFile};

const METRICS: &str = "trident/prometheus-to-controller-metrics";
const MGMT: &str = "trident/controller-to-storage-management";
const DNS_UDP: &str = "trident/controller-to-cluster-dns-udp";
const BACKCHANNEL: &str = "trident/node-to-controller-backchannel";

const PROFILE: &str = "drivers:
  trident:
    storage:
      management: [\"10.0.0.8/30\"]
cluster:
  nodes: [\"192.168.10.0/24\"]
";

const NAMESPACES: &str = "apiVersion: v1
kind: Namespace
metadata:
  name: monitoring
  labels: {team: obs}
---
";

fn status(policies: &str, flow: &str) -> (String, Vec<String>) {
    let request = LintRequest {
        files: vec![SourceFile::new(
            "case.yaml",
            format!("{NAMESPACES}{policies}"),
        )],
        drivers: vec!["trident".into()],
        profile: Some(SourceFile::new("profile.yaml", PROFILE)),
        ..Default::default()
    };
    let report = portmatrix::lint(&request).expect("lint runs");
    let errors: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.is_input_error())
        .map(|f| f.message.clone())
        .collect();
    assert!(errors.is_empty(), "input errors: {errors:?}");
    let f = report
        .flows
        .iter()
        .find(|f| f.id == flow)
        .expect("flow present");
    let rules = report.findings.iter().map(|f| f.rule.clone()).collect();
    (f.status.clone(), rules)
}

fn np(name: &str, ns: &str, spec: &str) -> String {
    format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n{spec}---\n")
}

const CONTROLLER: &str = "  podSelector: {matchLabels: {app: controller.csi.trident.netapp.io}}\n";

struct Case {
    name: &'static str,
    yaml: String,
    flow: &'static str,
    expect: &'static str,
}

fn case(name: &'static str, yaml: String, flow: &'static str, expect: &'static str) -> Case {
    Case {
        name,
        yaml,
        flow,
        expect,
    }
}

fn ingress_from(peers: &str, ports: &str) -> String {
    np(
        "metrics",
        "trident",
        &format!("{CONTROLLER}  ingress:\n  - from:\n{peers}    ports:\n{ports}"),
    )
}

const PORT_8001: &str = "    - {port: 8001}\n";

#[test]
fn network_policy_semantics() {
    let cases = vec![
        // 2. policyTypes: Ingress is implied; Egress only with an egress section.
        case("no policy: not isolated", String::new(), METRICS, "allowed"),
        case("implied Ingress with no rules denies ingress",
            np("deny", "trident", "  podSelector: {}\n"), METRICS, "blocked"),
        case("implied types do not isolate egress",
            np("deny", "trident", "  podSelector: {}\n"), MGMT, "allowed"),
        case("an egress section implies Egress",
            np("eg", "trident", &format!("{CONTROLLER}  egress:\n  - ports: [{{port: 53, protocol: UDP}}]\n")), MGMT, "blocked"),
        case("listed Egress with no rules denies egress",
            np("deny", "trident", "  podSelector: {}\n  policyTypes: [Egress]\n"), MGMT, "blocked"),
        case("listed Egress only leaves ingress open",
            np("deny", "trident", "  podSelector: {}\n  policyTypes: [Egress]\n"), METRICS, "allowed"),
        // 4. ingress: [{}] allows all; policies add up.
        case("empty rule allows everything",
            np("all", "trident", "  podSelector: {}\n  ingress:\n  - {}\n"), METRICS, "allowed"),
        case("policies add up",
            format!("{}{}", np("deny", "trident", "  podSelector: {}\n"),
                ingress_from("    - namespaceSelector: {matchLabels: {team: obs}}\n", PORT_8001)), METRICS, "allowed"),
        // 3. AND within one peer, OR across peers.
        case("namespace AND pod selector in one peer: both match",
            ingress_from("    - namespaceSelector: {matchLabels: {team: obs}}\n      podSelector: {matchLabels: {app.kubernetes.io/name: prometheus}}\n", PORT_8001), METRICS, "allowed"),
        case("namespace AND pod selector in one peer: pod does not match",
            ingress_from("    - namespaceSelector: {matchLabels: {team: obs}}\n      podSelector: {matchLabels: {app: grafana}}\n", PORT_8001), METRICS, "blocked"),
        case("two peers are OR",
            ingress_from("    - namespaceSelector: {matchLabels: {team: nobody}}\n    - podSelector: {matchLabels: {app: grafana}}\n    - namespaceSelector: {matchLabels: {team: obs}}\n", PORT_8001), METRICS, "allowed"),
        case("podSelector alone means the policy's own namespace",
            ingress_from("    - podSelector: {matchLabels: {app.kubernetes.io/name: prometheus}}\n", PORT_8001), METRICS, "blocked"),
        case("empty namespaceSelector means every namespace",
            ingress_from("    - namespaceSelector: {}\n", PORT_8001), METRICS, "allowed"),
        case("implied kubernetes.io/metadata.name label",
            ingress_from("    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}\n", PORT_8001), METRICS, "allowed"),
        // matchExpressions
        case("In", ingress_from("    - namespaceSelector: {matchExpressions: [{key: team, operator: In, values: [obs, sre]}]}\n", PORT_8001), METRICS, "allowed"),
        case("NotIn excludes", ingress_from("    - namespaceSelector: {matchExpressions: [{key: team, operator: NotIn, values: [obs]}]}\n", PORT_8001), METRICS, "blocked"),
        case("NotIn matches a missing key", ingress_from("    - namespaceSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [x]}]}\n", PORT_8001), METRICS, "allowed"),
        case("Exists", ingress_from("    - namespaceSelector: {matchExpressions: [{key: team, operator: Exists}]}\n", PORT_8001), METRICS, "allowed"),
        case("DoesNotExist", ingress_from("    - namespaceSelector: {matchExpressions: [{key: team, operator: DoesNotExist}]}\n", PORT_8001), METRICS, "blocked"),
        // 6. ports: protocol defaults to TCP; endPort; SCTP is not TCP.
        case("port with default protocol TCP", ingress_from("    - namespaceSelector: {}\n", "    - port: 8001\n"), METRICS, "allowed"),
        case("UDP port does not admit TCP", ingress_from("    - namespaceSelector: {}\n", "    - {port: 8001, protocol: UDP}\n"), METRICS, "blocked"),
        case("SCTP is never TCP", ingress_from("    - namespaceSelector: {}\n", "    - {port: 8001, protocol: SCTP}\n"), METRICS, "blocked"),
        case("endPort range covers the port", ingress_from("    - namespaceSelector: {}\n", "    - {port: 8000, endPort: 8010}\n"), METRICS, "allowed"),
        case("endPort range misses the port", ingress_from("    - namespaceSelector: {}\n", "    - {port: 8002, endPort: 8010}\n"), METRICS, "blocked"),
        case("protocol without port admits every port", ingress_from("    - namespaceSelector: {}\n", "    - protocol: TCP\n"), METRICS, "allowed"),
        // 7. Named ports resolve against the destination pod's container ports.
        case("named port resolves on the destination",
            format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: trident-controller, namespace: trident}}\nspec:\n  template:\n    metadata: {{labels: {{app: controller.csi.trident.netapp.io}}}}\n    spec:\n      containers:\n      - name: trident-main\n        ports:\n        - {{name: metrics, containerPort: 8001}}\n---\n{}",
                ingress_from("    - namespaceSelector: {}\n", "    - port: metrics\n")), METRICS, "allowed"),
        case("unknown named port matches nothing", ingress_from("    - namespaceSelector: {}\n", "    - port: nosuch\n"), METRICS, "blocked"),
        // 5. ipBlock with except.
        case("ipBlock covers the storage CIDR",
            np("eg", "trident", &format!("{CONTROLLER}  egress:\n  - to: [{{ipBlock: {{cidr: 10.0.0.0/24}}}}]\n    ports: [{{port: 443}}]\n")), MGMT, "allowed"),
        case("except carves part of it out: partial",
            np("eg", "trident", &format!("{CONTROLLER}  egress:\n  - to: [{{ipBlock: {{cidr: 10.0.0.0/24, except: [10.0.0.10/32]}}}}]\n    ports: [{{port: 443}}]\n")), MGMT, "partial"),
        case("ipBlock covering half the addresses: partial",
            np("eg", "trident", &format!("{CONTROLLER}  egress:\n  - to: [{{ipBlock: {{cidr: 10.0.0.8/31}}}}]\n    ports: [{{port: 443}}]\n")), MGMT, "partial"),
        case("two ipBlocks that together cover it",
            np("eg", "trident", &format!("{CONTROLLER}  egress:\n  - to: [{{ipBlock: {{cidr: 10.0.0.8/31}}}}, {{ipBlock: {{cidr: 10.0.0.10/31}}}}]\n    ports: [{{port: 443}}]\n")), MGMT, "allowed"),
        // 8. A flow needs egress at the source AND ingress at the destination.
        case("egress allowed, destination ingress closed",
            format!("{}{}", np("dns-out", "trident", &format!("{CONTROLLER}  egress:\n  - ports: [{{port: 53, protocol: UDP}}]\n")),
                np("deny", "kube-system", "  podSelector: {}\n")), DNS_UDP, "blocked"),
        case("egress and destination ingress both allowed",
            format!("{}{}", np("dns-out", "trident", &format!("{CONTROLLER}  egress:\n  - ports: [{{port: 53, protocol: UDP}}]\n")),
                np("dns-in", "kube-system", "  podSelector: {matchLabels: {k8s-app: kube-dns}}\n  ingress:\n  - ports: [{port: 53, protocol: UDP}]\n")), DNS_UDP, "allowed"),
        // 1. Host-network pods send from node addresses; pod selectors do not match them.
        case("host-network peer by pod label never matches",
            ingress_from("    - podSelector: {matchLabels: {app: node.csi.trident.netapp.io}}\n", "    - port: 8443\n"), BACKCHANNEL, "blocked"),
        case("host-network peer by node CIDR",
            ingress_from("    - ipBlock: {cidr: 192.168.10.0/24}\n", "    - port: 8443\n"), BACKCHANNEL, "allowed"),
        case("node CIDR only half covered: partial",
            ingress_from("    - ipBlock: {cidr: 192.168.10.0/25}\n", "    - port: 8443\n"), BACKCHANNEL, "partial"),
    ];
    let mut failures = Vec::new();
    for c in &cases {
        let (got, _) = status(&c.yaml, c.flow);
        if got != c.expect {
            failures.push(format!("{}: expected {}, got {}", c.name, c.expect, got));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn host_network_peer_by_label_is_explained() {
    let yaml = ingress_from(
        "    - podSelector: {matchLabels: {app: node.csi.trident.netapp.io}}\n",
        "    - port: 8443\n",
    );
    let (_, rules) = status(&yaml, BACKCHANNEL);
    assert!(rules.contains(&"PM205".to_string()), "{rules:?}");
}
