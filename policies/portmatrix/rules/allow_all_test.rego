# METADATA
# title: Tests of PM201
package portmatrix.rules.allow_all_test

import data.portmatrix.lib.testing_test as t
import data.portmatrix.rules.allow_all
import rego.v1

controller := t.pod("controller", "t", {"app": "controller"})

flow := t.flow("t/x", t.host("node"), controller, "TCP", 8443)

test_empty_ingress_rule_on_a_driver_pod if {
	p := t.policy("t", "open", {"app": "controller"}, ["Ingress"], [{"loc": 3}], [])
	fs := allow_all.findings with input as t.input_with([flow], {"t": [p]})
	count(fs) == 1
	some f in fs
	f.loc == 3
	contains(f.message, "allows all ingress to t/controller")
}

test_rule_with_ports_is_not_allow_all if {
	p := t.policy("t", "ok", {"app": "controller"}, ["Ingress"], [{"loc": 3, "ports": [t.port("TCP", 8443)]}], [])
	count(allow_all.findings) == 0 with input as t.input_with([flow], {"t": [p]})
}

test_policy_on_other_pods_is_ignored if {
	p := t.policy("t", "other", {"app": "else"}, ["Ingress"], [{"loc": 3}], [])
	count(allow_all.findings) == 0 with input as t.input_with([flow], {"t": [p]})
}
