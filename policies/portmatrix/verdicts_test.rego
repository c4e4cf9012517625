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

# ---------------------------------------------------------------------------------------------
# Other layers: decisions come precomputed per atom (flow.layers); these tests check precedence.
# ---------------------------------------------------------------------------------------------

decider(layer, effect, atoms) := {"layer": layer, "policy": sprintf("%s-policy", [layer]), "effect": effect, "loc": 9, "at": "x.yaml:1", "atoms": atoms}

layered(flow, ingress) := object.union(flow, {"layers": {"ingress": object.union(
	{"pre": [], "isolated": false, "isolated_by": [], "allow": [], "post": [], "baseline": []},
	ingress,
), "points": [], "notes": []}})

test_admin_deny_beats_networkpolicy_allow if {
	f := layered(scrape, {"pre": [decider("admin", "deny", [0])]})
	status(f, {"t": [deny_all_ingress, allow_prometheus]}) == "blocked"
}

test_admin_allow_beats_networkpolicy_isolation if {
	f := layered(scrape, {"pre": [decider("admin", "allow", [0])]})
	status(f, {"t": [deny_all_ingress]}) == "allowed"
}

test_cilium_allow_adds_to_networkpolicy if {
	f := layered(scrape, {"isolated": true, "allow": [decider("cilium", "allow", [0])]})
	status(f, {"t": [deny_all_ingress]}) == "allowed"
}

test_cilium_isolation_without_allow_blocks if {
	f := layered(scrape, {"isolated": true, "isolated_by": [decider("cilium", "isolate", [0])]})
	status(f, {}) == "blocked"
}

test_calico_post_deny_loses_to_networkpolicy_allow if {
	f := layered(scrape, {"post": [decider("calico", "deny", [0])]})
	status(f, {"t": [deny_all_ingress, allow_prometheus]}) == "allowed"
	status(f, {}) == "blocked"
}

test_baseline_applies_only_where_nothing_isolates if {
	f := layered(scrape, {"baseline": [decider("baseline", "deny", [0])]})
	status(f, {}) == "blocked"
	status(f, {"t": [deny_all_ingress, allow_prometheus]}) == "allowed"
	g := layered(scrape, {"baseline": [decider("baseline", "allow", [0])]})
	status(g, {"t": [deny_all_ingress]}) == "blocked"
}

test_every_host_point_must_allow if {
	host_to_host := t.flow("t/host", t.external("a", ["10.0.0.1/32"]), t.external("b", ["10.0.0.2/32"]), "TCP", 22)
	allow := {"layer": "iptables", "name": "a.rules", "direction": "ingress", "allowed": [0], "decided_by": [decider("iptables", "allow", [0])]}
	deny := {"layer": "nftables", "name": "b.json", "direction": "egress", "allowed": [], "decided_by": [decider("nftables", "deny", [0])]}
	one := object.union(host_to_host, {"layers": {"points": [allow], "notes": []}})
	status(one, {}) == "allowed"
	two := object.union(host_to_host, {"layers": {"points": [allow, deny], "notes": []}})
	status(two, {}) == "blocked"
	v := verdicts.by_id["t/host"] with input as t.input_with([two], {})
	v.failing[0].layer == "nftables"
}

test_notes_make_the_verdict_partial if {
	f := object.union(layered(scrape, {"isolated": true, "allow": [decider("cilium", "allow", [0])]}), {"layers": {"notes": [{"message": "toFQDNs", "loc": 7}]}})
	status(f, {}) == "partial"
}
