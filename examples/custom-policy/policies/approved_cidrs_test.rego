package acme.approved_cidrs_test

import data.acme.approved_cidrs
import data.portmatrix.lib.testing_test as t
import rego.v1

world := {"loc": 3, "peers": [{"loc": 4, "ip_block": {"cidr": "0.0.0.0/0", "cidr_loc": 7, "except": []}}]}

storage := {"loc": 3, "peers": [{"loc": 4, "ip_block": {"cidr": "10.0.0.10/32", "cidr_loc": 8, "except": []}}]}

test_world_egress_is_denied_at_the_cidr if {
	p := t.policy("trident", "egress", {}, ["Egress"], [], [world])
	fs := approved_cidrs.deny with input as t.input_with([], {"trident": [p]})
		with data.acme.approved_networks as ["10.0.0.10/32"]
	count(fs) == 1
	some f in fs
	f.rule == "ACME001"
	f.loc == 7
	contains(f.msg, "0.0.0.0/0")
}

test_approved_network_passes if {
	p := t.policy("trident", "egress", {}, ["Egress"], [], [storage])
	count(approved_cidrs.deny) == 0 with input as t.input_with([], {"trident": [p]})
		with data.acme.approved_networks as ["10.0.0.10/32"]
}
