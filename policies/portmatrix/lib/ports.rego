# METADATA
# title: Port helpers
# description: Port ranges of flows and rules, for the layer rules.
package portmatrix.lib.ports

import rego.v1

# Whether a rule's ports (absent: every port) and protocol (absent: every protocol) cover some
# port of a flow.
rule_touches(rule, protocols, ranges) if {
	protocol_ok(rule, protocols)
	not rule.ports
}

rule_touches(rule, protocols, ranges) if {
	protocol_ok(rule, protocols)
	some p in rule.ports
	some r in ranges
	p[0] <= r[1]
	r[0] <= p[1]
}

protocol_ok(rule, _) if not rule.protocol

protocol_ok(rule, protocols) if rule.protocol in protocols

range_text(r) := sprintf("%d", [r[0]]) if r[0] == r[1]

range_text(r) := sprintf("%d-%d", [r[0], r[1]]) if r[0] != r[1]

ports_text(protocols, ranges) := concat(", ", [sprintf("%s %s", [p, range_text(r)]) |
	some p in protocols
	some r in ranges
])

# Kinds of endpoints that live on a node's own addresses.
on_host(ep) if ep.kind == "host"

# Components that run on the host network, by role.
host_roles contains c.role if {
	some c in input.components
	c.kind == "host"
}
