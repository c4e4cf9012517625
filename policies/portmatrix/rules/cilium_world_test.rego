# METADATA
# title: Tests of PM211
package portmatrix.rules.cilium_world_test

import data.portmatrix.lib.testing_test as t
import data.portmatrix.rules.cilium_world
import rego.v1

mgmt := t.flow("t/mgmt", t.pod("controller", "t", {}), t.external("storage-management", []), "TCP", 443)

doc(rules) := object.union(t.input_with([mgmt], {}), {"layer_facts": {"world_rules": rules}})

test_world_on_a_driver_port if {
	fs := cilium_world.findings with input as doc([{"policy": "t/p", "direction": "egress", "entities": ["world"], "loc": 8, "ports": [[443, 443]]}])
	count(fs) == 1
	some f in fs
	f.loc == 8
}

test_world_on_every_port if count(cilium_world.findings) == 1 with input as doc([{"policy": "t/p", "direction": "egress", "entities": ["all"], "loc": 8}])

test_world_on_another_port_is_fine if count(cilium_world.findings) == 0 with input as doc([{"policy": "t/p", "direction": "egress", "entities": ["world"], "loc": 8, "ports": [[53, 53]]}])
