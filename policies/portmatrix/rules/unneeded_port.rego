# METADATA
# title: Port the profile does not need
# description: |
#   A rule on a driver pod allows a port that no required flow uses: an NFSv3 extra under an
#   NFSv4-only profile, the metrics port with metrics off, the REST port 8000 that Trident binds
#   to localhost, or a port the driver never uses. Every open port is attack surface.
# custom:
#   id: PM203
#   severity: warning
#   remediation: Remove the port from the rule, or turn the feature on in the profile if the deployment uses it.
#   related_resources:
#   - https://docs.netapp.com/us-en/trident/trident-reference/ports.html
package portmatrix.rules.unneeded_port

import data.portmatrix.lib.drivers
import data.portmatrix.lib.k8s
import rego.v1

findings contains {
	"rule": "PM203",
	"message": sprintf("NetworkPolicy %s allows %s %s %s %s, but no required flow uses it%s", [
		k8s.policy_name(policy), port.protocol, range_text(range), preposition[dir], component.id,
		why(component, dir, port.protocol, range),
	]),
	"help": sprintf("remove %s %s from this rule, or enable the feature that needs it in the profile", [port.protocol, range_text(range)]),
	"loc": object.get(port, "port_loc", port.loc),
} if {
	some [policy, component] in drivers.selecting
	some dir in ["ingress", "egress"]
	k8s.policy_type(dir) in policy.policy_types
	some rule in k8s.rules_of(policy, dir)
	some port in rule.ports
	range := port_range(port, component, dir)
	valid_range(range)
	not overlaps_needed(component, dir, port.protocol, range)
}

findings contains {
	"rule": "PM203",
	"message": sprintf("NetworkPolicy %s allows %s %s %s %s, wider than the required %s", [
		k8s.policy_name(policy), port.protocol, range_text(range), preposition[dir], component.id,
		concat(", ", sort({range_text(r) | some r in needed_ranges(component, dir, port.protocol, range)})),
	]),
	"help": "narrow the range to the ports the driver's flows use",
	"loc": object.get(port, "end_port_loc", object.get(port, "port_loc", port.loc)),
} if {
	some [policy, component] in drivers.selecting
	some dir in ["ingress", "egress"]
	k8s.policy_type(dir) in policy.policy_types
	some rule in k8s.rules_of(policy, dir)
	some port in rule.ports
	range := port_range(port, component, dir)
	valid_range(range)
	overlaps_needed(component, dir, port.protocol, range)
	not contained_in_needed(component, dir, port.protocol, range)
}

findings contains {
	"rule": "PM203",
	"message": sprintf("named port `%s` in NetworkPolicy %s matches no container port of %s, so this entry allows nothing", [
		port.port, k8s.policy_name(policy), component.id,
	]),
	"help": sprintf("use a port number, or a name that %s's containers declare", [component.id]),
	"loc": object.get(port, "port_loc", port.loc),
} if {
	some [policy, component] in drivers.selecting
	k8s.policy_type("ingress") in policy.policy_types
	some rule in policy.ingress
	some port in rule.ports
	is_string(port.port)
	not component.named_ports[port.port]
}

preposition := {"ingress": "into", "egress": "out of"}

port_range(port, _, _) := [port.port, object.get(port, "end_port", port.port)] if is_number(port.port)

# Named ports resolve against the destination: for ingress, the component itself.
port_range(port, component, "ingress") := [named.port, named.port] if {
	is_string(port.port)
	named := component.named_ports[port.port]
}

# Values the API server rejects are reported by PM301 and PM302, not here.
valid_range(range) if {
	range[0] >= 1
	range[1] <= 65535
	range[0] <= range[1]
}

needed_ranges(component, dir, protocol, range) := [r |
	some flow in drivers.component_flows(component, dir)
	protocol in flow.protocols
	some r in flow.port_ranges
	drivers.ranges_overlap(r, range)
]

overlaps_needed(component, dir, protocol, range) if count(needed_ranges(component, dir, protocol, range)) > 0

# Every port of the range is used by some required flow (ranges of one flow may be adjacent).
contained_in_needed(component, dir, protocol, range) if {
	some r in needed_ranges(component, dir, protocol, range)
	r[0] <= range[0]
	range[1] <= r[1]
}

why(component, dir, protocol, range) := sprintf(" (%s: %s)", [flow.id, flow.why]) if {
	flows := [f |
		some f in drivers.inactive_flows(component, dir)
		protocol in f.protocols
		some r in f.port_ranges
		drivers.ranges_overlap(r, range)
	]
	count(flows) > 0
	flow := flows[0]
} else := ""

range_text(r) := sprintf("%d", [r[0]]) if r[0] == r[1]

range_text(r) := sprintf("%d-%d", [r[0], r[1]]) if r[0] != r[1]
