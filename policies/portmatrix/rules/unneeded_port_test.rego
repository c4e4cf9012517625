# METADATA
# title: Tests of PM203
package portmatrix.rules.unneeded_port_test

import data.portmatrix.lib.testing_test as t
import data.portmatrix.rules.unneeded_port
import rego.v1

controller := t.pod("controller", "t", {"app": "controller"})

backchannel := t.flow("t/back", t.host("node"), controller, "TCP", 8443)

ingress_on(ports) := t.policy("t", "in", {"app": "controller"}, ["Ingress"], [{"loc": 3, "ports": ports}], [])

base := t.input_with([backchannel], {"t": [ingress_on([t.port("TCP", 8443), t.port("TCP", 8001)])]})

test_port_no_flow_needs if {
	fs := unneeded_port.findings with input as base
	count(fs) == 1
	some f in fs
	contains(f.message, "TCP 8001")
	f.loc == 6
}

test_reason_from_an_inactive_flow if {
	inactive := [{"id": "t/metrics", "driver": "t", "from": "prometheus", "to": "controller", "protocols": ["TCP"], "port_ranges": [[8001, 8001]], "why": "only needed with metrics"}]
	fs := unneeded_port.findings with input as object.union(base, {"inactive_flows": inactive})
	some f in fs
	contains(f.message, "only needed with metrics")
}

test_needed_ports_and_ranges_are_fine if {
	ranged := object.union(t.port("TCP", 8000), {"end_port": 9000})
	count(unneeded_port.findings) == 0 with input as t.input_with([backchannel], {"t": [ingress_on([ranged])]})
}

test_protocol_matters if {
	fs := unneeded_port.findings with input as t.input_with([backchannel], {"t": [ingress_on([t.port("UDP", 8443)])]})
	count(fs) == 1
}
