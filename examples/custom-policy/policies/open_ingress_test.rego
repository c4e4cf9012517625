package acme.open_ingress_test

import data.acme.open_ingress
import data.portmatrix.lib.testing_test as t
import rego.v1

any_namespace := {"loc": 3, "peers": [{"loc": 4, "namespace_selector": t.selector({})}]}

one_namespace := {"loc": 3, "peers": [{"loc": 4, "namespace_selector": t.selector({"team": "obs"})}]}

test_empty_namespace_selector_warns_at_the_peer if {
	p := t.policy("trident", "metrics", {}, ["Ingress"], [any_namespace], [])
	ws := open_ingress.warn with input as t.input_with([], {"trident": [p]})
	ws == {{
		"msg": "NetworkPolicy trident/metrics admits pods of every namespace",
		"path": ["policies", "trident", 0, "ingress", 0, "peers", 0],
	}}
}

test_labelled_namespace_selector_is_fine if {
	p := t.policy("trident", "metrics", {}, ["Ingress"], [one_namespace], [])
	count(open_ingress.warn) == 0 with input as t.input_with([], {"trident": [p]})
}
