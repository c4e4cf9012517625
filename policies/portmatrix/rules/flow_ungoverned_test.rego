# METADATA
# title: Tests of PM103
package portmatrix.rules.flow_ungoverned_test

import data.portmatrix.lib.testing_test as t
import data.portmatrix.rules.flow_ungoverned
import rego.v1

test_host_network_flow_is_ungoverned if {
	flow := t.flow("t/mgmt", t.host("controller"), t.external("storage", []), "TCP", 8088)
	fs := flow_ungoverned.findings with input as t.input_with([flow], {})
	count(fs) == 1
	some f in fs
	contains(f.message, "host network")
}

test_pod_network_flow_is_governed if {
	flow := t.flow("t/mgmt", t.pod("controller", "t", {}), t.external("storage", []), "TCP", 443)
	count(flow_ungoverned.findings) == 0 with input as t.input_with([flow], {})
}
