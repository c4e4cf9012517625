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

test_needed_ports_are_fine if {
	count(unneeded_port.findings) == 0 with input as t.input_with([backchannel], {"t": [ingress_on([t.port("TCP", 8443)])]})
}

test_protocol_matters if {
	fs := unneeded_port.findings with input as t.input_with([backchannel], {"t": [ingress_on([t.port("UDP", 8443)])]})
	count(fs) == 1
}

test_range_wider_than_needed if {
	ranged := object.union(t.port("TCP", 8000), {"end_port": 9000, "end_port_loc": 7})
	fs := unneeded_port.findings with input as t.input_with([backchannel], {"t": [ingress_on([ranged])]})
	count(fs) == 1
	some f in fs
	contains(f.message, "wider than the required 8443")
	f.loc == 7
}

test_exact_range_is_fine if {
	ranged := object.union(t.port("TCP", 8443), {"end_port": 8443})
	count(unneeded_port.findings) == 0 with input as t.input_with([backchannel], {"t": [ingress_on([ranged])]})
}

test_invalid_values_are_left_to_pm301 if {
	count(unneeded_port.findings) == 0 with input as t.input_with([backchannel], {"t": [ingress_on([t.port("TCP", 70000)])]})
}

test_named_port_without_a_container_port if {
	named := {"loc": 5, "protocol": "TCP", "port": "nosuch", "port_loc": 6}
	fs := unneeded_port.findings with input as t.input_with([backchannel], {"t": [ingress_on([named])]})
	some f in fs
	contains(f.message, "named port `nosuch`")
}

test_egress_only_policy_ignores_its_ingress_rules if {
	p := t.policy("t", "eg", {"app": "controller"}, ["Egress"], [{"loc": 3, "ports": [t.port("TCP", 9999)]}], [])
	count(unneeded_port.findings) == 0 with input as t.input_with([backchannel], {"t": [p]})
}
