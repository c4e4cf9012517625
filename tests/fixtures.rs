//! Scenario fixtures (`fixtures/<driver>/*.yaml`): each manifest is linted against its folder's
//! driver, with the sibling `<name>.portmatrix.yaml` as profile when there is one. Every fixture
//! gets a snapshot of the human and JSON reports, and plain assertions from the table below: the
//! verdicts of the flows that matter, the rules that must (or must not) fire, and where.
//!
//! Adding a fixture without a row in the table fails `every_fixture_is_in_the_table`.

use portmatrix::report::human::{self, HumanOptions};
use portmatrix::{LintRequest, Report, Severity, SourceFile};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What one fixture must show.
struct Expect {
    /// Path relative to the crate root; the driver is the folder's name.
    file: &'static str,
    /// `(flow id, status)` pairs, looked up in `report.flows`.
    flows: &'static [(&'static str, &'static str)],
    /// Flows the matrix has that must not be required here (not in `report.flows`).
    not_required: &'static [&'static str],
    /// Rule ids that must appear among the findings.
    rules: &'static [&'static str],
    /// Rule ids that must not appear.
    absent: &'static [&'static str],
    /// `(rule, line)`: a finding of `rule` located at `line` of the manifest.
    at: &'static [(&'static str, u32)],
    /// `(flow id, line)`: the flow's `decided_by` names that line of the manifest.
    decided: &'static [(&'static str, u32)],
    /// `(flow id, port, line)`: the flow checks `port`, which the manifest sets at `line`
    /// (the report's `port_source.at`).
    ports: &'static [(&'static str, u16, u32)],
    /// No finding of severity error or warning.
    clean: bool,
    /// Where the tool's answer disagrees with DOMAIN.md. Asserted as it is today, so that a fix
    /// fails here and the row gets updated (move the rule to `rules` or `absent`).
    known: &'static [Known],
}

struct Known {
    rule: &'static str,
    /// Whether the tool currently reports `rule` for this fixture.
    reported: bool,
    why: &'static str,
}

const E: Expect = Expect {
    file: "",
    flows: &[],
    not_required: &[],
    rules: &[],
    absent: &[],
    at: &[],
    decided: &[],
    ports: &[],
    clean: false,
    known: &[],
};

macro_rules! fixtures {
    ($($name:ident => $expect:expr,)*) => {
        $(
            #[test]
            fn $name() {
                check(&$expect, stringify!($name));
            }
        )*

        fn table() -> Vec<Expect> {
            vec![$($expect),*]
        }
    };
}

fixtures! {
    // ---------------------------------------------------------------- trident
    trident_default_deny => Expect {
        file: "fixtures/trident/trident-default-deny.yaml",
        flows: &[
            ("trident/node-to-controller-backchannel", "blocked"),
            ("trident/prometheus-to-controller-metrics", "blocked"),
            ("trident/controller-to-storage-management", "blocked"),
            ("trident/controller-to-apiserver-api", "blocked"),
            ("trident/operator-to-apiserver-api", "blocked"),
            ("trident/controller-to-cluster-dns-udp", "blocked"),
            ("trident/operator-to-cluster-dns-tcp", "blocked"),
            // Host-network source, CoreDNS not isolated.
            ("trident/node-to-cluster-dns-udp", "allowed"),
            ("trident/kubelet-to-node-probe", "ungoverned"),
            ("trident/node-to-storage-management", "ungoverned"),
        ],
        rules: &["PM101", "PM103"],
        absent: &["PM102", "PM201", "PM204"],
        at: &[("PM101", 6)],
        decided: &[("trident/node-to-controller-backchannel", 6)],
        ..E
    },
    trident_least_privilege => Expect {
        file: "fixtures/trident/trident-least-privilege.yaml",
        flows: &[
            ("trident/node-to-controller-backchannel", "allowed"),
            ("trident/prometheus-to-controller-metrics", "allowed"),
            ("trident/controller-to-storage-management", "allowed"),
            ("trident/controller-to-apiserver-api", "allowed"),
            ("trident/operator-to-apiserver-api", "allowed"),
            ("trident/controller-to-cluster-dns-udp", "allowed"),
            ("trident/controller-to-cluster-dns-tcp", "allowed"),
            ("trident/operator-to-cluster-dns-udp", "allowed"),
            ("trident/operator-to-cluster-dns-tcp", "allowed"),
            ("trident/node-to-cluster-dns-tcp", "allowed"),
            // NFSv4 data to the LIFs leaves from node IPs: only a host firewall governs it.
            ("trident/node-to-storage-nfs", "ungoverned"),
        ],
        rules: &["PM103"],
        absent: &["PM101", "PM102", "PM201", "PM202", "PM203", "PM204", "PM205"],
        decided: &[
            ("trident/node-to-controller-backchannel", 31),
            ("trident/prometheus-to-controller-metrics", 37),
            ("trident/controller-to-apiserver-api", 59),
            ("trident/controller-to-storage-management", 66),
        ],
        clean: true,
        ..E
    },
    trident_backchannel_missing => Expect {
        file: "fixtures/trident/trident-backchannel-missing.yaml",
        flows: &[
            ("trident/node-to-controller-backchannel", "blocked"),
            ("trident/prometheus-to-controller-metrics", "allowed"),
            ("trident/controller-to-apiserver-api", "allowed"),
        ],
        rules: &["PM101"],
        absent: &["PM102", "PM205"],
        at: &[("PM101", 6)],
        decided: &[("trident/prometheus-to-controller-metrics", 14)],
        ..E
    },
    trident_backchannel_by_node_pod_label => Expect {
        file: "fixtures/trident/trident-backchannel-by-node-pod-label.yaml",
        flows: &[
            ("trident/node-to-controller-backchannel", "blocked"),
            ("trident/prometheus-to-controller-metrics", "allowed"),
        ],
        rules: &["PM101", "PM205"],
        at: &[("PM101", 6), ("PM205", 16)],
        ..E
    },
    trident_partial_storage_and_dns => Expect {
        file: "fixtures/trident/trident-partial-storage-and-dns.yaml",
        flows: &[
            ("trident/controller-to-storage-management", "partial"),
            ("trident/node-to-controller-backchannel", "partial"),
            ("trident/controller-to-cluster-dns-udp", "allowed"),
            ("trident/controller-to-cluster-dns-tcp", "blocked"),
            ("trident/controller-to-apiserver-api", "allowed"),
            ("trident/prometheus-to-controller-metrics", "allowed"),
        ],
        rules: &["PM101", "PM102"],
        at: &[("PM102", 7), ("PM102", 41), ("PM101", 7)],
        decided: &[("trident/controller-to-storage-management", 21)],
        ..E
    },
    trident_controller_allow_all_ingress => Expect {
        file: "fixtures/trident/trident-controller-allow-all-ingress.yaml",
        flows: &[
            ("trident/node-to-controller-backchannel", "allowed"),
            ("trident/prometheus-to-controller-metrics", "allowed"),
        ],
        rules: &["PM201"],
        absent: &["PM101", "PM102"],
        at: &[("PM201", 17)],
        decided: &[("trident/node-to-controller-backchannel", 17)],
        ..E
    },
    trident_egress_open_to_world => Expect {
        file: "fixtures/trident/trident-egress-open-to-world.yaml",
        flows: &[
            ("trident/controller-to-storage-management", "allowed"),
            ("trident/controller-to-apiserver-api", "allowed"),
            ("trident/operator-to-apiserver-api", "allowed"),
            ("trident/controller-to-cluster-dns-tcp", "allowed"),
        ],
        rules: &["PM202", "PM203"],
        absent: &["PM101", "PM102"],
        at: &[("PM202", 21), ("PM203", 24)],
        decided: &[("trident/controller-to-storage-management", 19)],
        ..E
    },
    trident_metrics_off_rest_port_open => Expect {
        file: "fixtures/trident/trident-metrics-off-rest-port-open.yaml",
        flows: &[("trident/node-to-controller-backchannel", "allowed")],
        rules: &["PM203"],
        absent: &["PM101"],
        // 8001 (metrics off in the profile) and 8000 (REST, bound to localhost).
        at: &[("PM203", 26), ("PM203", 31)],
        ..E
    },
    trident_nfsv3_extras_under_nfsv4 => Expect {
        file: "fixtures/trident/trident-nfsv3-extras-under-nfsv4.yaml",
        flows: &[
            ("trident/node-to-storage-nfs", "ungoverned"),
            ("trident/controller-to-storage-management", "allowed"),
            ("trident/controller-to-apiserver-api", "allowed"),
            ("trident/controller-to-cluster-dns-udp", "allowed"),
        ],
        rules: &["PM203", "PM204"],
        absent: &["PM101"],
        // TCP 111 first, UDP 4045-4049 last; the node plugin's policy selector.
        at: &[("PM203", 39), ("PM203", 45), ("PM204", 54)],
        ..E
    },
    trident_custom_namespace_labels => Expect {
        file: "fixtures/trident/trident-custom-namespace-labels.yaml",
        flows: &[
            ("trident/node-to-controller-backchannel", "blocked"),
            ("trident/prometheus-to-controller-metrics", "blocked"),
            ("trident/controller-to-apiserver-api", "allowed"),
        ],
        rules: &["PM101"],
        at: &[("PM101", 41)],
        decided: &[("trident/node-to-controller-backchannel", 41)],
        ..E
    },
    trident_named_ports => Expect {
        file: "fixtures/trident/trident-named-ports.yaml",
        flows: &[
            ("trident/node-to-controller-backchannel", "allowed"),
            ("trident/prometheus-to-controller-metrics", "allowed"),
            ("trident/controller-to-cluster-dns-udp", "allowed"),
            ("trident/controller-to-cluster-dns-tcp", "allowed"),
            ("trident/controller-to-storage-management", "allowed"),
        ],
        absent: &["PM101", "PM203", "PM301"],
        decided: &[
            ("trident/node-to-controller-backchannel", 39),
            ("trident/prometheus-to-controller-metrics", 44),
            ("trident/controller-to-cluster-dns-udp", 64),
        ],
        clean: true,
        ..E
    },
    trident_match_expressions => Expect {
        file: "fixtures/trident/trident-match-expressions.yaml",
        flows: &[
            ("trident/node-to-controller-backchannel", "allowed"),
            ("trident/prometheus-to-controller-metrics", "allowed"),
            ("trident/controller-to-apiserver-api", "allowed"),
            ("trident/operator-to-apiserver-api", "allowed"),
            ("trident/operator-to-cluster-dns-udp", "allowed"),
            ("trident/controller-to-cluster-dns-tcp", "allowed"),
            ("trident/controller-to-storage-management", "allowed"),
        ],
        rules: &["PM203"],
        absent: &["PM101", "PM102", "PM204"],
        at: &[("PM203", 61)],
        decided: &[
            ("trident/prometheus-to-controller-metrics", 82),
            ("trident/operator-to-cluster-dns-udp", 43),
        ],
        ..E
    },
    trident_endport_ranges => Expect {
        file: "fixtures/trident/trident-endport-ranges.yaml",
        flows: &[
            ("trident/node-to-controller-backchannel", "blocked"),
            ("trident/prometheus-to-controller-metrics", "allowed"),
            ("trident/controller-to-apiserver-api", "allowed"),
            ("trident/controller-to-storage-management", "allowed"),
            ("trident/controller-to-cluster-dns-tcp", "allowed"),
        ],
        rules: &["PM101", "PM203"],
        absent: &["PM302"],
        // 8440-8442 and SCTP 8443 open nothing the driver uses.
        at: &[("PM101", 7), ("PM203", 20), ("PM203", 23)],
        decided: &[
            ("trident/controller-to-apiserver-api", 33),
            ("trident/controller-to-storage-management", 40),
        ],
        ..E
    },
    trident_calico_cilium_alongside => Expect {
        file: "fixtures/trident/trident-calico-cilium-alongside.yaml",
        flows: &[
            ("trident/node-to-controller-backchannel", "allowed"),
            ("trident/prometheus-to-controller-metrics", "blocked"),
            ("trident/controller-to-apiserver-api", "blocked"),
            ("trident/controller-to-storage-management", "allowed"),
            ("trident/operator-to-apiserver-api", "allowed"),
            ("trident/operator-to-cluster-dns-udp", "blocked"),
        ],
        rules: &["PM101"],
        absent: &["PM001"],
        at: &[("PM101", 8)],
        decided: &[
            ("trident/controller-to-apiserver-api", 36),
            ("trident/controller-to-storage-management", 31),
            ("trident/operator-to-apiserver-api", 48),
        ],
        ..E
    },
    trident_invalid_values => Expect {
        file: "fixtures/trident/trident-invalid-values.yaml",
        flows: &[
            ("trident/node-to-controller-backchannel", "allowed"),
            // The API server rejects the policy with invalid values: it isolates nothing.
            ("trident/prometheus-to-controller-metrics", "allowed"),
            ("trident/controller-to-storage-management", "allowed"),
            ("trident/controller-to-apiserver-api", "allowed"),
            ("trident/controller-to-cluster-dns-udp", "allowed"),
        ],
        rules: &["PM301", "PM302", "PM303"],
        absent: &["PM000", "PM203", "PM101"],
        at: &[("PM303", 19), ("PM301", 29), ("PM303", 33), ("PM302", 43)],
        ..E
    },
    trident_policy_types_implied_ingress => Expect {
        file: "fixtures/trident/trident-policy-types-implied-ingress.yaml",
        flows: &[
            ("trident/node-to-controller-backchannel", "blocked"),
            ("trident/prometheus-to-controller-metrics", "blocked"),
            ("trident/controller-to-apiserver-api", "allowed"),
            ("trident/controller-to-cluster-dns-tcp", "allowed"),
        ],
        rules: &["PM101"],
        at: &[("PM101", 7)],
        ..E
    },
    trident_policy_types_egress_only_ignores_ingress => Expect {
        file: "fixtures/trident/trident-policy-types-egress-only-ignores-ingress.yaml",
        flows: &[
            ("trident/node-to-controller-backchannel", "allowed"),
            ("trident/prometheus-to-controller-metrics", "allowed"),
            ("trident/controller-to-apiserver-api", "allowed"),
        ],
        // The ingress section is inert under policyTypes [Egress]: nothing in it is reported.
        absent: &["PM101", "PM201", "PM202", "PM205"],
        decided: &[("trident/controller-to-apiserver-api", 25)],
        ..E
    },
    trident_node_probe_port_changed => Expect {
        file: "fixtures/trident/trident-node-probe-port-changed.yaml",
        // The iptables layer fixture `trident-node-probe-port-changed` adds the node's firewall.
        flows: &[("trident/kubelet-to-node-probe", "ungoverned")],
        absent: &["PM601", "PM602"],
        ports: &[("trident/kubelet-to-node-probe", 17600, 58)],
        ..E
    },
    trident_controller_https_metrics => Expect {
        file: "fixtures/trident/trident-controller-https-metrics.yaml",
        flows: &[
            ("trident/prometheus-to-controller-https-metrics", "allowed"),
            ("trident/node-to-controller-backchannel", "allowed"),
        ],
        // --https_metrics in the args: 8444 is required, 8001 is not (no PM101 for it).
        not_required: &["trident/prometheus-to-controller-metrics"],
        absent: &["PM101", "PM203", "PM601", "PM602"],
        decided: &[("trident/prometheus-to-controller-https-metrics", 126)],
        ports: &[("trident/node-to-controller-backchannel", 8443, 47)],
        ..E
    },
    trident_https_metrics_profile => Expect {
        file: "fixtures/trident/trident-https-metrics-profile.yaml",
        flows: &[
            ("trident/prometheus-to-controller-https-metrics", "allowed"),
            ("trident/node-to-controller-backchannel", "allowed"),
        ],
        not_required: &["trident/prometheus-to-controller-metrics"],
        absent: &["PM101", "PM203"],
        decided: &[("trident/prometheus-to-controller-https-metrics", 20)],
        ..E
    },
    trident_controller_host_network_node_resolver => Expect {
        file: "fixtures/trident/trident-controller-host-network-node-resolver.yaml",
        flows: &[
            ("trident/node-to-cluster-dns-udp", "blocked"),
            ("trident/node-to-cluster-dns-tcp", "blocked"),
            ("trident/operator-to-cluster-dns-udp", "allowed"),
        ],
        // Host network without ClusterFirstWithHostNet: the node's resolver, no CoreDNS flow.
        not_required: &[
            "trident/controller-to-cluster-dns-udp",
            "trident/controller-to-cluster-dns-tcp",
        ],
        rules: &["PM101"],
        at: &[("PM101", 47)],
        ..E
    },
    // ------------------------------------------------------------- huawei-csi
    huawei_csi_networkpolicies_ungoverned => Expect {
        file: "fixtures/huawei-csi/huawei-csi-networkpolicies-ungoverned.yaml",
        flows: &[
            ("huawei-csi/apiserver-to-controller-webhook", "ungoverned"),
            ("huawei-csi/controller-to-storage-management", "ungoverned"),
            ("huawei-csi/kubelet-to-controller-liveness", "ungoverned"),
            ("huawei-csi/node-to-storage-iscsi", "ungoverned"),
            ("huawei-csi/node-to-storage-nfs", "ungoverned"),
            ("huawei-csi/controller-to-apiserver-api", "ungoverned"),
        ],
        rules: &["PM103", "PM204"],
        absent: &["PM101", "PM102", "PM206"],
        at: &[("PM204", 17), ("PM204", 48)],
        ..E
    },
    huawei_csi_default_deny_host_network => Expect {
        file: "fixtures/huawei-csi/huawei-csi-default-deny-host-network.yaml",
        flows: &[
            ("huawei-csi/apiserver-to-controller-webhook", "ungoverned"),
            ("huawei-csi/controller-to-storage-management", "ungoverned"),
            ("huawei-csi/kubelet-to-node-liveness", "ungoverned"),
        ],
        rules: &["PM204", "PM103"],
        absent: &["PM101"],
        at: &[("PM204", 9)],
        ..E
    },
    huawei_csi_webhook_kube_system => Expect {
        file: "fixtures/huawei-csi/huawei-csi-webhook-kube-system.yaml",
        flows: &[
            ("huawei-csi/apiserver-to-controller-webhook", "blocked"),
            // Probes from the local kubelet need no rule.
            ("huawei-csi/kubelet-to-controller-liveness", "allowed"),
            // Ingress-only policy: egress is not isolated.
            ("huawei-csi/controller-to-storage-management", "allowed"),
            ("huawei-csi/controller-to-apiserver-api", "allowed"),
            ("huawei-csi/kubelet-to-node-liveness", "ungoverned"),
        ],
        rules: &["PM101", "PM206"],
        absent: &["PM204"],
        at: &[("PM101", 43), ("PM206", 51)],
        decided: &[("huawei-csi/apiserver-to-controller-webhook", 43)],
        ..E
    },
    huawei_csi_webhook_apiserver_ipblock => Expect {
        file: "fixtures/huawei-csi/huawei-csi-webhook-apiserver-ipblock.yaml",
        flows: &[
            ("huawei-csi/apiserver-to-controller-webhook", "allowed"),
            ("huawei-csi/kubelet-to-controller-liveness", "allowed"),
        ],
        absent: &["PM101", "PM206", "PM204"],
        decided: &[("huawei-csi/apiserver-to-controller-webhook", 50)],
        clean: true,
        ..E
    },
    huawei_csi_webhook_apiserver_separate_rule => Expect {
        file: "fixtures/huawei-csi/huawei-csi-webhook-apiserver-separate-rule.yaml",
        flows: &[("huawei-csi/apiserver-to-controller-webhook", "allowed")],
        // A second rule admits the API server: the kube-system rule breaks nothing.
        absent: &["PM101", "PM206"],
        decided: &[("huawei-csi/apiserver-to-controller-webhook", 57)],
        ..E
    },
    huawei_csi_webhook_kube_system_host_network => Expect {
        file: "fixtures/huawei-csi/huawei-csi-webhook-kube-system-host-network.yaml",
        flows: &[("huawei-csi/apiserver-to-controller-webhook", "ungoverned")],
        rules: &["PM204", "PM103"],
        // The policy has no effect on a host-network controller (PM204), so no PM206.
        absent: &["PM101", "PM206"],
        at: &[("PM204", 11)],
        ..E
    },
    huawei_csi_liveness_pod_network => Expect {
        file: "fixtures/huawei-csi/huawei-csi-liveness-pod-network.yaml",
        flows: &[
            ("huawei-csi/kubelet-to-controller-liveness", "allowed"),
            ("huawei-csi/apiserver-to-controller-webhook", "blocked"),
            ("huawei-csi/kubelet-to-node-liveness", "ungoverned"),
            ("huawei-csi/controller-to-storage-management", "allowed"),
        ],
        rules: &["PM101"],
        absent: &["PM204"],
        at: &[("PM101", 43)],
        ..E
    },
    huawei_csi_custom_webhook_port => Expect {
        file: "fixtures/huawei-csi/huawei-csi-custom-webhook-port.yaml",
        flows: &[
            ("huawei-csi/apiserver-to-controller-webhook", "allowed"),
            ("huawei-csi/kubelet-to-controller-liveness", "allowed"),
        ],
        rules: &["PM203"],
        absent: &["PM101", "PM206"],
        at: &[("PM203", 61)],
        decided: &[("huawei-csi/apiserver-to-controller-webhook", 50)],
        ..E
    },
    huawei_csi_export_csi_service => Expect {
        file: "fixtures/huawei-csi/huawei-csi-export-csi-service.yaml",
        flows: &[
            ("huawei-csi/nodes-to-controller-csi-grpc", "partial"),
            ("huawei-csi/apiserver-to-controller-webhook", "allowed"),
        ],
        rules: &["PM102"],
        absent: &["PM101", "PM203"],
        at: &[("PM102", 47)],
        decided: &[("huawei-csi/nodes-to-controller-csi-grpc", 61)],
        ..E
    },
    huawei_csi_yaml_syntax_error => Expect {
        file: "fixtures/huawei-csi/huawei-csi-yaml-syntax-error.yaml",
        flows: &[("huawei-csi/apiserver-to-controller-webhook", "ungoverned")],
        // PM204 comes from the good first document.
        rules: &["PM000", "PM204"],
        at: &[("PM000", 22), ("PM204", 9)],
        ..E
    },
    huawei_csi_storage_egress_open_to_world => Expect {
        file: "fixtures/huawei-csi/huawei-csi-storage-egress-open-to-world.yaml",
        flows: &[
            ("huawei-csi/controller-to-storage-management", "allowed"),
            ("huawei-csi/controller-to-apiserver-api", "allowed"),
            ("huawei-csi/apiserver-to-controller-webhook", "allowed"),
        ],
        rules: &["PM202"],
        absent: &["PM101", "PM203"],
        at: &[("PM202", 52), ("PM202", 54)],
        decided: &[("huawei-csi/controller-to-storage-management", 50)],
        ..E
    },
    huawei_csi_helm_custom_ports => Expect {
        file: "fixtures/huawei-csi/huawei-csi-helm-custom-ports.yaml",
        flows: &[
            // No host firewall in this run: only the ports change. The iptables layer fixture
            // `huawei-csi-controller-helm-custom-ports` lints this file with one.
            ("huawei-csi/apiserver-to-controller-webhook", "ungoverned"),
            ("huawei-csi/kubelet-to-controller-liveness", "ungoverned"),
            ("huawei-csi/kubelet-to-node-liveness", "ungoverned"),
        ],
        absent: &["PM601", "PM602"],
        ports: &[
            ("huawei-csi/apiserver-to-controller-webhook", 5443, 96),
            ("huawei-csi/kubelet-to-controller-liveness", 9818, 34),
            ("huawei-csi/kubelet-to-node-liveness", 9800, 248),
        ],
        ..E
    },
    huawei_csi_manual_deploy_ports_disagree => Expect {
        file: "fixtures/huawei-csi/huawei-csi-manual-deploy-ports-disagree.yaml",
        flows: &[
            ("huawei-csi/apiserver-to-controller-webhook", "ungoverned"),
            ("huawei-csi/kubelet-to-controller-liveness", "ungoverned"),
        ],
        rules: &["PM601"],
        absent: &["PM602"],
        // The flags win; the stale containerPorts, probe port and Service targetPort are PM601.
        ports: &[
            ("huawei-csi/apiserver-to-controller-webhook", 5443, 56),
            ("huawei-csi/kubelet-to-controller-liveness", 9818, 31),
        ],
        at: &[("PM601", 62), ("PM601", 80), ("PM601", 85), ("PM601", 107)],
        ..E
    },
    huawei_csi_webhook_port_from_configmap => Expect {
        file: "fixtures/huawei-csi/huawei-csi-webhook-port-from-configmap.yaml",
        // Not resolvable: the chart's default stays, never the containerPort's 5443.
        flows: &[("huawei-csi/apiserver-to-controller-webhook", "ungoverned")],
        rules: &["PM602"],
        absent: &["PM601"],
        at: &[("PM602", 39)],
        ..E
    },
    huawei_csi_cluster_dns_admits_pods_only => Expect {
        file: "fixtures/huawei-csi/huawei-csi-cluster-dns-admits-pods-only.yaml",
        flows: &[
            ("huawei-csi/controller-to-cluster-dns-udp", "blocked"),
            ("huawei-csi/controller-to-cluster-dns-tcp", "blocked"),
            ("huawei-csi/node-to-cluster-dns-udp", "blocked"),
            ("huawei-csi/node-to-cluster-dns-tcp", "blocked"),
            ("huawei-csi/controller-to-storage-management", "ungoverned"),
        ],
        rules: &["PM101", "PM103"],
        at: &[("PM101", 7)],
        ..E
    },
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> SourceFile {
    let text =
        std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"));
    SourceFile::new(rel, text)
}

/// The sibling profile of a manifest, `<name>.portmatrix.yaml`, as a relative path.
fn profile_path(file: &str) -> String {
    format!("{}.portmatrix.yaml", file.trim_end_matches(".yaml"))
}

fn driver_of(file: &str) -> String {
    Path::new(file)
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .expect("fixtures/<driver>/<name>.yaml")
        .to_string()
}

fn lint(e: &Expect) -> (Report, Vec<SourceFile>) {
    let manifest = read(e.file);
    let profile_rel = profile_path(e.file);
    let profile = root()
        .join(&profile_rel)
        .exists()
        .then(|| read(&profile_rel));
    let req = LintRequest {
        files: vec![manifest.clone()],
        drivers: vec![driver_of(e.file)],
        profile: profile.clone(),
        ..Default::default()
    };
    let report = portmatrix::lint(&req).expect("lint");
    let mut sources = vec![manifest];
    sources.extend(profile);
    (report, sources)
}

fn check(e: &Expect, name: &str) {
    let (report, sources) = lint(e);
    let file = e.file;
    let manifest = &sources[0].text;
    assert!(
        manifest.starts_with("# "),
        "{file}: start the manifest with a `#` comment saying what it shows"
    );
    assert_eq!(report.drivers, vec![driver_of(file)], "{file}: drivers");

    // Snapshots (tests/snapshots/fixtures__<name>-{human,json}.snap).
    let text = human::render(
        &report,
        &sources,
        &HumanOptions {
            color: false,
            width: 100,
            quiet: false,
        },
    );
    insta::assert_snapshot!(format!("{name}-human"), text);
    insta::assert_json_snapshot!(
        format!("{name}-json"),
        portmatrix::report::json::to_value(&report)
    );

    let summary: Vec<String> = report
        .findings
        .iter()
        .map(|f| {
            let line = f.loc.as_ref().map(|l| l.line.to_string());
            format!("{}@{}", f.rule, line.unwrap_or_else(|| "-".into()))
        })
        .collect();
    let fired: BTreeSet<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();

    for (id, status) in e.flows {
        let flow = report
            .flows
            .iter()
            .find(|f| f.id == *id)
            .unwrap_or_else(|| panic!("{file}: flow {id} not in the report"));
        assert_eq!(
            flow.status, *status,
            "{file}: flow {id} is {} ({}), expected {status}",
            flow.status, flow.reason
        );
    }
    for id in e.not_required {
        assert!(
            report.flows.iter().all(|f| f.id != *id),
            "{file}: flow {id} should not be required"
        );
    }
    for rule in e.rules {
        assert!(
            fired.contains(rule),
            "{file}: {rule} expected; findings: {summary:?}"
        );
    }
    for rule in e.absent {
        assert!(
            !fired.contains(rule),
            "{file}: {rule} must not fire; findings: {summary:?}"
        );
    }
    for (rule, line) in e.at {
        let found = report.findings.iter().any(|f| {
            f.rule == *rule
                && f.loc
                    .as_ref()
                    .is_some_and(|l| l.line == *line && *l.file == *file)
        });
        assert!(
            found,
            "{file}: expected {rule} at line {line}; findings: {summary:?}"
        );
    }
    for (id, line) in e.decided {
        let flow = report.flows.iter().find(|f| f.id == *id).unwrap();
        assert!(
            flow.decided_by
                .iter()
                .any(|d| d.line == *line && d.file == file),
            "{file}: flow {id} should be decided at line {line}: {:?}",
            flow.decided_by
        );
    }
    if e.rules.contains(&"PM602") {
        // The unresolved port keeps the chart's default, and the flow says so.
        let noted: Vec<&str> = report
            .flows
            .iter()
            .filter(|f| f.port_source.as_ref().is_some_and(|s| s.from == "chart"))
            .map(|f| f.reason.as_str())
            .collect();
        assert!(
            noted.iter().any(|r| r.contains("cannot be resolved")),
            "{file}: a flow should note the unresolved port: {noted:?}"
        );
    }
    for (id, port, line) in e.ports {
        let flow = report
            .flows
            .iter()
            .find(|f| f.id == *id)
            .unwrap_or_else(|| panic!("{file}: flow {id} not in the report"));
        assert_eq!(flow.ports, vec![port.to_string()], "{file}: ports of {id}");
        let at = flow.port_source.as_ref().and_then(|s| s.at.clone());
        let want = format!("{file}:{line}:");
        assert!(
            at.as_deref().is_some_and(|a| a.starts_with(&want)),
            "{file}: flow {id} should take its port from line {line}, not {at:?}"
        );
        assert!(
            flow.reason.contains(&want),
            "{file}: the reason of {id} should name {want}: {}",
            flow.reason
        );
    }
    if e.clean {
        let loud: Vec<&String> = report
            .findings
            .iter()
            .zip(&summary)
            .filter(|(f, _)| f.severity >= Severity::Warning)
            .map(|(_, s)| s)
            .collect();
        assert!(
            loud.is_empty(),
            "{file}: expected no error or warning, got {loud:?}"
        );
    }
    // A fixture with a typo would silently test less: input errors only where expected.
    if !e.rules.contains(&"PM000") {
        let input_errors: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.is_input_error())
            .map(|f| &f.message)
            .collect();
        assert!(
            input_errors.is_empty(),
            "{file}: unexpected input errors {input_errors:?}"
        );
    }
    for k in e.known {
        assert_eq!(
            fired.contains(k.rule),
            k.reported,
            "{file}: known issue changed: {} {} now {}. {} Update this row of the table.",
            k.rule,
            if k.reported {
                "was reported, is"
            } else {
                "was missing, is"
            },
            if k.reported { "absent" } else { "reported" },
            k.why
        );
    }
}

/// Every manifest under fixtures/ has a row, every row a manifest, every profile a manifest.
#[test]
fn every_fixture_is_in_the_table() {
    let mut on_disk = BTreeSet::new();
    let mut profiles = BTreeSet::new();
    for driver in std::fs::read_dir(root().join("fixtures")).unwrap() {
        let driver = driver.unwrap();
        if !driver.file_type().unwrap().is_dir() {
            continue;
        }
        let dname = driver.file_name().into_string().unwrap();
        for f in std::fs::read_dir(driver.path()).unwrap() {
            let fname = f.unwrap().file_name().into_string().unwrap();
            let rel = format!("fixtures/{dname}/{fname}");
            if fname.ends_with(".portmatrix.yaml") {
                profiles.insert(rel);
            } else if fname.ends_with(".yaml") || fname.ends_with(".yml") {
                on_disk.insert(rel);
            }
        }
    }
    let table = table();
    let in_table: BTreeSet<String> = table.iter().map(|e| e.file.to_string()).collect();
    assert_eq!(
        in_table.len(),
        table.len(),
        "a fixture appears twice in the table"
    );
    let missing: Vec<_> = on_disk.difference(&in_table).collect();
    assert!(
        missing.is_empty(),
        "fixtures without a row in the table: {missing:?}"
    );
    let stale: Vec<_> = in_table.difference(&on_disk).collect();
    assert!(stale.is_empty(), "rows without a fixture: {stale:?}");
    let orphans: Vec<_> = profiles
        .iter()
        .filter(|p| !on_disk.contains(&p.replace(".portmatrix.yaml", ".yaml")))
        .collect();
    assert!(
        orphans.is_empty(),
        "profiles without a manifest: {orphans:?}"
    );
    for e in &table {
        let located = !e.at.is_empty() || !e.decided.is_empty() || !e.ports.is_empty();
        assert!(located, "{}: assert at least one line", e.file);
    }
}

/// The scenarios the suite promises per driver.
#[test]
fn at_least_nine_scenarios_per_driver() {
    for driver in ["trident", "huawei-csi"] {
        let n = table()
            .iter()
            .filter(|e| driver_of(e.file) == driver)
            .count();
        assert!(n >= 9, "{driver}: {n} fixtures");
    }
}
