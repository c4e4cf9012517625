# METADATA
# title: Tests of PM206
package portmatrix.rules.webhook_kube_system_test

import data.portmatrix.lib.testing_test as t
import data.portmatrix.rules.webhook_kube_system
import rego.v1

controller := t.pod("controller", "csi", {"app": "controller"})

webhook := object.union(
	t.flow("t/webhook", t.external("apiserver", ["192.168.10.2/32"]), controller, "TCP", 4433),
	{"kind": "webhook"},
)

kube_system := {"loc": 4, "namespace_selector": t.selector({"kubernetes.io/metadata.name": "kube-system"})}

apiserver := {"loc": 5, "ip_block": {"cidr": "192.168.10.0/24", "cidr_loc": 9, "except": []}}

rule_with(peers) := t.policy("csi", "webhook", {"app": "controller"}, ["Ingress"], [{
	"loc": 3, "peers": peers, "ports": [t.port("TCP", 4433)],
}], [])

test_kube_system_only_is_an_error if {
	fs := webhook_kube_system.findings with input as t.input_with([webhook], {"csi": [rule_with([kube_system])]})
	count(fs) == 1
	some f in fs
	f.loc == 3
}

test_apiserver_ip_block_fixes_it if {
	count(webhook_kube_system.findings) == 0 with input as t.input_with([webhook], {"csi": [rule_with([kube_system, apiserver])]})
}

test_other_flows_are_not_webhooks if {
	plain := object.remove(webhook, ["kind"])
	count(webhook_kube_system.findings) == 0 with input as t.input_with([plain], {"csi": [rule_with([kube_system])]})
}

test_a_separate_rule_that_admits_the_apiserver_is_enough if {
	p := t.policy("csi", "webhook", {"app": "controller"}, ["Ingress"], [
		{"loc": 3, "peers": [kube_system], "ports": [t.port("TCP", 4433)]},
		{"loc": 6, "peers": [apiserver], "ports": [t.port("TCP", 4433)]},
	], [])
	count(webhook_kube_system.findings) == 0 with input as t.input_with([webhook], {"csi": [p]})
}

test_host_network_webhook_is_not_governed_by_the_rule if {
	on_host := object.union(webhook, {"to": object.union(controller, {"kind": "host", "host_network": true})})
	count(webhook_kube_system.findings) == 0 with input as t.input_with([on_host], {"csi": [rule_with([kube_system])]})
}

test_help_gives_one_ip_block_per_address if {
	fs := webhook_kube_system.findings with input as object.union(
		t.input_with([webhook], {"csi": [rule_with([kube_system])]}),
		{"profile": {"cluster": {"apiserver": ["192.168.10.2/32", "192.168.10.3/32"]}}},
	)
	some f in fs
	contains(f.help, "`- ipBlock: {cidr: 192.168.10.2/32}`, `- ipBlock: {cidr: 192.168.10.3/32}`")
}
