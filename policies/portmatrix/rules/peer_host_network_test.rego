# METADATA
# title: Tests of PM205
package portmatrix.rules.peer_host_network_test

import data.portmatrix.lib.testing_test as t
import data.portmatrix.rules.peer_host_network
import rego.v1

controller := t.pod("controller", "t", {"app": "controller"})

flow := t.flow("t/back", t.host("node"), controller, "TCP", 8443)

pods := {"t": [
	{"name": "node", "kind": "DaemonSet", "labels": {"app": "node"}, "host_network": true},
	{"name": "controller", "kind": "Deployment", "labels": {"app": "controller"}, "host_network": false},
]}

admit(selector) := t.policy("t", "in", {"app": "controller"}, ["Ingress"], [{
	"loc": 3,
	"peers": [{"loc": 4, "pod_selector": object.union(t.selector(selector), {"loc": 11})}],
}], [])

test_peer_selecting_host_network_pods if {
	fs := peer_host_network.findings with input as object.union(t.input_with([flow], {"t": [admit({"app": "node"})]}), {"pods": pods})
	count(fs) == 1
	some f in fs
	f.loc == 11
}

test_peer_selecting_pod_network_pods_is_fine if {
	count(peer_host_network.findings) == 0 with input as object.union(t.input_with([flow], {"t": [admit({"app": "controller"})]}), {"pods": pods})
}
