# METADATA
# title: Tests of the NetworkPolicy semantics helpers
package portmatrix.lib.k8s_test

import data.portmatrix.lib.k8s
import data.portmatrix.lib.testing_test as t
import rego.v1

labels := {"app": "web", "tier": "front"}

test_empty_selector_matches_everything if k8s.selector_matches(t.selector({}), labels)

test_match_labels_all_must_hold if {
	k8s.selector_matches(t.selector({"app": "web"}), labels)
	not k8s.selector_matches(t.selector({"app": "web", "tier": "back"}), labels)
}

expr(key, op, values) := {"match_labels": {}, "match_expressions": [{"key": key, "operator": op, "values": values}]}

test_in if {
	k8s.selector_matches(expr("tier", "In", ["front", "x"]), labels)
	not k8s.selector_matches(expr("tier", "In", ["back"]), labels)
	not k8s.selector_matches(expr("zone", "In", ["a"]), labels)
}

test_not_in_matches_absent_keys if {
	k8s.selector_matches(expr("tier", "NotIn", ["back"]), labels)
	k8s.selector_matches(expr("zone", "NotIn", ["a"]), labels)
	not k8s.selector_matches(expr("tier", "NotIn", ["front"]), labels)
}

test_exists_and_does_not_exist if {
	k8s.selector_matches(expr("app", "Exists", []), labels)
	not k8s.selector_matches(expr("zone", "Exists", []), labels)
	k8s.selector_matches(expr("zone", "DoesNotExist", []), labels)
	not k8s.selector_matches(expr("app", "DoesNotExist", []), labels)
}

test_exists_matches_an_empty_value if k8s.selector_matches(expr("flag", "Exists", []), {"flag": ""})

test_policy_selects_pods_of_its_namespace_only if {
	p := t.policy("t", "p", {"app": "web"}, ["Ingress"], [], [])
	k8s.selects(p, t.pod("web", "t", labels))
	not k8s.selects(p, t.pod("web", "other", labels))
}

test_policy_never_selects_host_network_pods if {
	p := t.policy("t", "p", {}, ["Ingress"], [], [])
	not k8s.selects(p, object.union(t.host("node"), {"namespace": "t"}))
}

test_namespace_and_pod_selector_in_one_peer_are_anded if {
	peer := {"loc": 4, "namespace_selector": t.selector({"team": "obs"}), "pod_selector": t.selector({"app": "prom"})}
	policy := t.policy("t", "p", {}, ["Ingress"], [], [])
	k8s.peer_matches(peer, policy, t.pod("prom", "monitoring", {"app": "prom"}), null) with input as t.input_with([], {})
	not k8s.peer_matches(peer, policy, t.pod("x", "monitoring", {"app": "other"}), null) with input as t.input_with([], {})
	not k8s.peer_matches(peer, policy, t.pod("prom", "t", {"app": "prom"}), null) with input as t.input_with([], {})
}

test_pod_selector_alone_means_the_policy_namespace if {
	peer := {"loc": 4, "pod_selector": t.selector({"app": "prom"})}
	policy := t.policy("t", "p", {}, ["Ingress"], [], [])
	k8s.peer_matches(peer, policy, t.pod("prom", "t", {"app": "prom"}), null)
	not k8s.peer_matches(peer, policy, t.pod("prom", "monitoring", {"app": "prom"}), null)
}

test_empty_namespace_selector_means_every_namespace if {
	peer := {"loc": 4, "namespace_selector": t.selector({})}
	policy := t.policy("t", "p", {}, ["Ingress"], [], [])
	k8s.peer_matches(peer, policy, t.pod("x", "monitoring", {}), null) with input as t.input_with([], {})
}

test_ip_block_with_except if {
	block := {"cidr": "10.0.0.0/24", "except": [{"cidr": "10.0.0.128/25", "loc": 7}]}
	k8s.ip_block_matches(block, t.external("s", ["10.0.0.0/24"]), "10.0.0.10")
	not k8s.ip_block_matches(block, t.external("s", ["10.0.0.0/24"]), "10.0.0.200")
	not k8s.ip_block_matches(block, t.external("s", ["10.0.1.0/24"]), "10.0.1.1")
}

test_ip_block_covers_unknown_host_addresses_but_not_pods if {
	block := {"cidr": "10.0.0.0/24", "except": []}
	k8s.ip_block_matches(block, t.host("node"), null)
	not k8s.ip_block_matches(block, t.pod("x", "t", {}), null)
}

atom(protocol, port) := {"protocol": protocol, "port": port, "port_end": port}

test_port_protocol_must_match if {
	k8s.port_matches(t.port("TCP", 443), atom("TCP", 443), {})
	not k8s.port_matches(t.port("UDP", 443), atom("TCP", 443), {})
	not k8s.port_matches(t.port("TCP", 443), atom("SCTP", 443), {})
}

test_port_without_number_matches_every_port_of_its_protocol if {
	k8s.port_matches({"loc": 5, "protocol": "UDP"}, atom("UDP", 53), {})
	not k8s.port_matches({"loc": 5, "protocol": "UDP"}, atom("TCP", 53), {})
}

test_end_port_range if {
	ranged := object.union(t.port("TCP", 30000), {"end_port": 32767})
	k8s.port_matches(ranged, atom("TCP", 31000), {})
	not k8s.port_matches(ranged, atom("TCP", 32768), {})
}

test_named_port_resolves_against_the_destination if {
	named := {"loc": 5, "protocol": "TCP", "port": "https"}
	dest := {"named_ports": {"https": {"port": 8443, "protocol": "TCP"}}}
	k8s.port_matches(named, atom("TCP", 8443), dest)
	not k8s.port_matches(named, atom("TCP", 443), dest)
	not k8s.port_matches(named, atom("TCP", 8443), {"named_ports": {}})
}

test_absent_peers_and_ports_match_everything if {
	k8s.peers_match({"loc": 3}, {}, t.external("s", []), "1.2.3.4")
	k8s.ports_match({"loc": 3}, atom("UDP", 9), {})
}

test_describe_selector if {
	k8s.describe_selector(t.selector({})) == "every pod"
	k8s.describe_selector(t.selector({"app": "x"})) == "app=x"
}
