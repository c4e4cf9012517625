# METADATA
# title: Tests of the flow verdicts
package portmatrix.verdicts_test

import data.portmatrix.lib.testing_test as t
import data.portmatrix.verdicts
import rego.v1

controller := t.pod("controller", "t", {"app": "controller"})

prometheus := t.pod("prometheus", "monitoring", {"app": "prom"})

storage := t.external("storage", ["10.0.0.10/32"])

scrape := t.flow("t/scrape", prometheus, controller, "TCP", 8001)

deny_all_ingress := t.policy("t", "deny", {}, ["Ingress"], [], [])

allow_prometheus := t.policy("t", "metrics", {"app": "controller"}, ["Ingress"], [{
	"loc": 3,
	"peers": [{"loc": 4, "namespace_selector": t.selector({"team": "obs"}), "pod_selector": t.selector({"app": "prom"})}],
	"ports": [t.port("TCP", 8001)],
}], [])

status(flow, policies) := s if {
	s := verdicts.by_id[flow.id].status with input as t.input_with([flow], policies)
}

test_no_policy_means_allowed if status(scrape, {}) == "allowed"

test_deny_all_blocks if status(scrape, {"t": [deny_all_ingress]}) == "blocked"

test_policies_add_up if status(scrape, {"t": [deny_all_ingress, allow_prometheus]}) == "allowed"

test_wrong_port_stays_blocked if {
	wrong := t.flow("t/scrape", prometheus, controller, "TCP", 9090)
	status(wrong, {"t": [deny_all_ingress, allow_prometheus]}) == "blocked"
}

test_egress_isolation_is_separate_from_ingress if {
	egress_only := t.policy("monitoring", "eg", {}, ["Egress"], [], [])
	status(scrape, {"monitoring": [egress_only]}) == "blocked"
	ingress_only := t.policy("monitoring", "in", {}, ["Ingress"], [], [])
	status(scrape, {"monitoring": [ingress_only]}) == "allowed"
}

test_blocked_names_the_isolating_policy if {
	v := verdicts.by_id["t/scrape"] with input as t.input_with([scrape], {"t": [deny_all_ingress]})
	v.decided_by[0].effect == "isolate"
	v.decided_by[0].policy == "t/deny"
	v.failing[0].direction == "ingress"
}

test_allowed_names_the_allowing_rule if {
	v := verdicts.by_id["t/scrape"] with input as t.input_with([scrape], {"t": [deny_all_ingress, allow_prometheus]})
	[d | some d in v.decided_by; d.effect == "allow"][0].policy == "t/metrics"
}

test_partial_when_only_some_atoms_are_allowed if {
	two := object.union(t.flow("t/mgmt", controller, storage, "TCP", 443), {"atoms": [
		{"protocol": "TCP", "port": 443, "port_end": 443, "dst": "10.0.0.10", "dst_range": "10.0.0.10/32"},
		{"protocol": "TCP", "port": 443, "port_end": 443, "dst": "10.0.0.11", "dst_range": "10.0.0.11/32"},
	]})
	egress := t.policy("t", "eg", {"app": "controller"}, ["Egress"], [], [{
		"loc": 3,
		"peers": [{"loc": 4, "ip_block": {"cidr": "10.0.0.10/32", "cidr_loc": 8, "except": []}}],
		"ports": [t.port("TCP", 443)],
	}])
	v := verdicts.by_id["t/mgmt"] with input as t.input_with([two], {"t": [egress]})
	v.status == "partial"
	v.blocked_atoms[0].dst == "10.0.0.11"
}

test_host_network_ends_are_ungoverned if {
	probe := t.flow("t/probe", t.kubelet, t.host("node"), "TCP", 17546)
	status(probe, {"t": [deny_all_ingress]}) == "ungoverned"
	data_plane := t.flow("t/nfs", t.host("node"), storage, "TCP", 2049)
	status(data_plane, {}) == "ungoverned"
}

test_kubelet_to_pod_network_pod_is_always_allowed if {
	probe := t.flow("t/probe", t.kubelet, controller, "TCP", 9808)
	status(probe, {"t": [deny_all_ingress]}) == "allowed"
}

test_host_network_source_is_not_matched_by_pod_selectors if {
	backchannel := t.flow("t/back", t.host("node"), controller, "TCP", 8443)
	by_label := t.policy("t", "by-label", {"app": "controller"}, ["Ingress"], [{
		"loc": 3,
		"peers": [{"loc": 4, "pod_selector": t.selector({"app": "node"})}],
		"ports": [t.port("TCP", 8443)],
	}], [])
	status(backchannel, {"t": [by_label]}) == "blocked"
	by_cidr := t.policy("t", "by-cidr", {"app": "controller"}, ["Ingress"], [{
		"loc": 3,
		"peers": [{"loc": 4, "ip_block": {"cidr": "192.168.0.0/16", "cidr_loc": 8, "except": []}}],
		"ports": [t.port("TCP", 8443)],
	}], [])
	status(backchannel, {"t": [by_cidr]}) == "allowed"
}

test_describe_atom if {
	verdicts.describe_atom({"protocol": "UDP", "port": 1024, "port_end": 65535, "dst_range": "10.0.1.0/28"}) == "UDP 1024-65535 to 10.0.1.0/28"
}
