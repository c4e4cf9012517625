# METADATA
# title: Tests of PM209
package portmatrix.rules.mgmt_beyond_controller_test

import data.portmatrix.lib.testing_test as t
import data.portmatrix.rules.mgmt_beyond_controller
import rego.v1

mgmt := t.flow("t/mgmt", t.host("controller"), t.external("storage-management", ["10.9.0.1/32"]), "TCP", 8088)

doc(exposed) := object.union(t.input_with([mgmt], {}), {"layer_facts": {"mgmt_exposed": exposed}})

test_exposure_is_reported_at_the_rule if {
	fs := mgmt_beyond_controller.findings with input as doc([{"layer": "iptables", "file": "all.rules", "flow": "t/mgmt", "loc": 3, "text": "-A OUTPUT -p tcp --dport 8088 -j ACCEPT"}])
	count(fs) == 1
	some f in fs
	f.loc == 3
	f.flow == "t/mgmt"
}

test_nothing_exposed if count(mgmt_beyond_controller.findings) == 0 with input as doc([])
