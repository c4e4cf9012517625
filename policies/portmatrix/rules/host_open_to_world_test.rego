# METADATA
# title: Tests of PM207
package portmatrix.rules.host_open_to_world_test

import data.portmatrix.lib.testing_test as t
import data.portmatrix.rules.host_open_to_world
import rego.v1

node := t.host("node")

flow := t.flow("t/iscsi", t.host("controller"), node, "TCP", 3260)

rule(from_anywhere, ports) := {
	"layer": "iptables", "file": "n.rules", "chain": "INPUT", "loc": 7, "text": "-A INPUT ...",
	"protocol": "TCP", "ports": ports, "from_anywhere": from_anywhere,
}

with_rules(rules) := object.union(t.input_with([flow], {}), {"layer_facts": {"accept_rules": rules}})

test_open_rule_on_a_driver_port_is_reported if {
	fs := host_open_to_world.findings with input as with_rules([rule(true, [[3260, 3260]])])
	count(fs) == 1
	some f in fs
	f.loc == 7
	contains(f.message, "t/iscsi")
}

test_any_port_counts if count(host_open_to_world.findings) == 1 with input as with_rules([object.remove(rule(true, []), ["ports"])])

test_restricted_source_is_fine if count(host_open_to_world.findings) == 0 with input as with_rules([rule(false, [[3260, 3260]])])

test_other_port_is_fine if count(host_open_to_world.findings) == 0 with input as with_rules([rule(true, [[22, 22]])])

test_other_protocol_is_fine if {
	udp := object.union(rule(true, [[3260, 3260]]), {"protocol": "UDP"})
	count(host_open_to_world.findings) == 0 with input as with_rules([udp])
}
