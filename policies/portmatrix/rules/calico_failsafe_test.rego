# METADATA
# title: Tests of PM210
package portmatrix.rules.calico_failsafe_test

import data.portmatrix.lib.testing_test as t
import data.portmatrix.rules.calico_failsafe
import rego.v1

doc(flows) := object.union(t.input_with(flows, {}), {"layer_facts": {"host_endpoints": [{"name": "node1-eth0", "node": "node1", "loc": 5}]}})

test_unneeded_failsafe_ports_are_listed if {
	fs := calico_failsafe.findings with input as doc([])
	count(fs) == 1
	some f in fs
	contains(f.message, "TCP 22")
	f.loc == 5
}

test_ports_a_host_flow_needs_are_not_listed if {
	ssh := t.flow("t/ssh", t.host("a"), t.host("b"), "TCP", 22)
	some f in calico_failsafe.findings with input as doc([ssh])
	not contains(f.message, "TCP 22,")
	contains(f.message, "TCP 179")
}

test_no_host_endpoints_no_finding if count(calico_failsafe.findings) == 0 with input as t.input_with([], {})
