# METADATA
# title: Tests of PM102
package portmatrix.rules.flow_partial_test

import data.portmatrix.lib.testing_test as t
import data.portmatrix.rules.flow_partial
import rego.v1

controller := t.pod("controller", "t", {"app": "controller"})

dns := t.pod("dns", "kube-system", {"k8s-app": "kube-dns"})

# A DNS flow over both protocols, with only UDP allowed.
dns_flow := object.union(t.flow("t/dns", controller, dns, "TCP/UDP", 53), {
	"protocols": ["UDP", "TCP"],
	"atoms": [{"protocol": "UDP", "port": 53, "port_end": 53}, {"protocol": "TCP", "port": 53, "port_end": 53}],
})

udp_only := t.policy("t", "dns", {}, ["Egress"], [], [{"loc": 3, "ports": [t.port("UDP", 53)]}])

test_partly_allowed_flow_names_the_missing_part if {
	fs := flow_partial.findings with input as t.input_with([dns_flow], {"t": [udp_only]})
	count(fs) == 1
	some f in fs
	endswith(f.message, "partly allowed: TCP 53 is not")
}

test_fully_allowed_flow_is_not_partial if {
	both := t.policy("t", "dns", {}, ["Egress"], [], [{"loc": 3, "ports": [t.port("UDP", 53), t.port("TCP", 53)]}])
	count(flow_partial.findings) == 0 with input as t.input_with([dns_flow], {"t": [both]})
}
