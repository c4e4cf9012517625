# METADATA
# title: Tests of PM001
package portmatrix.rules.not_analysed_test

import data.portmatrix.rules.not_analysed
import rego.v1

test_each_unsupported_object_is_reported if {
	objs := [
		{"api_version": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "name": "deny", "loc": 1},
		{"api_version": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "name": "x", "loc": 2},
	]
	fs := not_analysed.findings with input as {"unsupported": objs}
	count(fs) == 2
}

test_nothing_unsupported if count(not_analysed.findings) == 0 with input as {"unsupported": []}
