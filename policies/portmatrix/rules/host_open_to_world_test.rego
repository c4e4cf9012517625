# METADATA
# title: Tests of PM207
package portmatrix.rules.host_open_to_world_test

import data.portmatrix.lib.testing_test as t
import data.portmatrix.rules.host_open_to_world
import rego.v1

flow := t.flow("t/iscsi", t.host("controller"), t.host("node"), "TCP", 3260)

open_rule(flows) := {"layer": "iptables", "file": "n.rules", "chain": "INPUT", "loc": 7, "text": "-A INPUT -p tcp --dport 3260 -j ACCEPT", "flows": flows}

doc(world_open) := object.union(t.input_with([flow], {}), {"layer_facts": {"world_open": world_open}})

test_open_rule_is_reported_at_the_deciding_rule if {
	fs := host_open_to_world.findings with input as doc([open_rule(["t/iscsi"])])
	count(fs) == 1
	some f in fs
	f.loc == 7
	contains(f.message, "t/iscsi")
	contains(f.message, "TCP 3260")
}

test_nothing_open_nothing_reported if count(host_open_to_world.findings) == 0 with input as doc([])

test_flows_of_other_drivers_are_ignored if count(host_open_to_world.findings) == 0 with input as doc([open_rule(["other/flow"])])
