# METADATA
# title: Tests of the driver helpers
package portmatrix.lib.drivers_test

import data.portmatrix.lib.drivers
import data.portmatrix.lib.testing_test as t
import rego.v1

test_ranges_overlap if {
	drivers.ranges_overlap([1, 10], [10, 20])
	not drivers.ranges_overlap([1, 9], [10, 20])
}

test_selecting_pairs_policies_with_the_components_they_select if {
	c := t.pod("controller", "t", {"app": "controller"})
	flow := t.flow("t/x", c, t.external("s", []), "TCP", 443)
	p := t.policy("t", "p", {"app": "controller"}, ["Egress"], [], [])
	other := t.policy("t", "other", {"app": "else"}, ["Egress"], [], [])
	pairs := drivers.selecting with input as t.input_with([flow], {"t": [p, other]})
	count(pairs) == 1
	some [policy, _] in pairs
	policy.name == "p"
}
