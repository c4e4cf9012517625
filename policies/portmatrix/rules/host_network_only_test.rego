# METADATA
# title: Tests of PM204
package portmatrix.rules.host_network_only_test

import data.portmatrix.lib.testing_test as t
import data.portmatrix.rules.host_network_only
import rego.v1

pods := {"csi": [
	{"name": "controller", "kind": "Deployment", "labels": {"app": "controller"}, "host_network": true},
	{"name": "node", "kind": "DaemonSet", "labels": {"app": "node"}, "host_network": true},
]}

test_default_deny_over_host_network_pods_has_no_effect if {
	p := t.policy("csi", "deny", {}, ["Ingress"], [], [])
	fs := host_network_only.findings with input as object.union(t.input_with([], {"csi": [p]}), {"pods": pods})
	count(fs) == 1
	some f in fs
	contains(f.message, "controller, node")
	f.loc == 2
}

test_a_pod_network_pod_makes_the_policy_effective if {
	mixed := {"csi": array.concat(pods.csi, [{"name": "web", "kind": "Pod", "labels": {"app": "web"}, "host_network": false}])}
	p := t.policy("csi", "deny", {}, ["Ingress"], [], [])
	count(host_network_only.findings) == 0 with input as object.union(t.input_with([], {"csi": [p]}), {"pods": mixed})
}

test_selecting_no_known_pod_is_not_reported if {
	p := t.policy("csi", "x", {"app": "unknown"}, ["Ingress"], [], [])
	count(host_network_only.findings) == 0 with input as object.union(t.input_with([], {"csi": [p]}), {"pods": pods})
}
