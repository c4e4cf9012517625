# METADATA
# title: Tests of the port helpers
package portmatrix.lib.ports_test

import data.portmatrix.lib.ports
import rego.v1

test_rule_without_ports_touches_every_port if ports.rule_touches({"protocol": "TCP"}, ["TCP"], [[2049, 2049]])

test_rule_ports_must_overlap if {
	ports.rule_touches({"ports": [[2000, 2100]]}, ["TCP"], [[2049, 2049]])
	not ports.rule_touches({"ports": [[22, 22]]}, ["TCP"], [[2049, 2049]])
}

test_protocol_must_match if not ports.rule_touches({"protocol": "UDP", "ports": [[2049, 2049]]}, ["TCP"], [[2049, 2049]])

test_texts if {
	ports.range_text([8000, 8100]) == "8000-8100"
	ports.ports_text(["TCP", "UDP"], [[53, 53]]) == "TCP 53, UDP 53"
}
