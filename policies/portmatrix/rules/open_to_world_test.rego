# METADATA
# title: Tests of PM202
package portmatrix.rules.open_to_world_test

import data.portmatrix.lib.testing_test as t
import data.portmatrix.rules.open_to_world
import rego.v1

controller := t.pod("controller", "t", {"app": "controller"})

flow := t.flow("t/x", controller, t.external("storage", []), "TCP", 443)

egress_to(cidr) := t.policy("t", "eg", {"app": "controller"}, ["Egress"], [], [{
	"loc": 3,
	"peers": [{"loc": 4, "ip_block": {"cidr": cidr, "cidr_loc": 9, "except": []}}],
	"ports": [t.port("TCP", 443)],
}])

test_zero_prefix_is_reported_at_the_cidr if {
	fs := open_to_world.findings with input as t.input_with([flow], {"t": [egress_to("0.0.0.0/0")]})
	count(fs) == 1
	some f in fs
	f.loc == 9
}

test_ipv6_zero_prefix if count(open_to_world.findings) == 1 with input as t.input_with([flow], {"t": [egress_to("::/0")]})

test_narrow_cidr_is_fine if count(open_to_world.findings) == 0 with input as t.input_with([flow], {"t": [egress_to("10.0.0.10/32")]})

test_rules_of_a_direction_the_policy_does_not_enforce_are_inert if {
	p := t.policy("t", "in", {"app": "controller"}, ["Ingress"], [], [{
		"loc": 3,
		"peers": [{"loc": 4, "ip_block": {"cidr": "0.0.0.0/0", "cidr_loc": 9, "except": []}}],
	}])
	count(open_to_world.findings) == 0 with input as t.input_with([flow], {"t": [p]})
}
