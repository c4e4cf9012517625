# METADATA
# title: Required flow partially allowed
# description: |
#   Rules allow some of a required flow's protocols, ports or addresses but not all of them
#   (for example TCP 2049 to one data LIF but not the others). The missing part fails at run time,
#   often only on some nodes or volumes.
# custom:
#   id: PM102
#   severity: error
#   remediation: Widen the allowing rule to every port, protocol and address the flow lists, or add a rule for the rest.
#   related_resources:
#   - https://kubernetes.io/docs/concepts/services-networking/network-policies/
package portmatrix.rules.flow_partial

import data.portmatrix.rules.flow_blocked
import data.portmatrix.verdicts
import rego.v1

findings contains {
	"rule": "PM102",
	"flow": flow.id,
	"message": sprintf("flow %s (%s -> %s %s) is only partly allowed: %s is not", [
		flow.id, flow.from.role, flow.to.role, flow_blocked.ports_text(flow), missing,
	]),
	"help": flow_blocked.help_for(flow, failing),
	"loc": failing.policies[0].loc,
} if {
	some flow in input.flows
	v := verdicts.by_id[flow.id]
	v.status == "partial"
	failing := v.failing[0]
	missing := concat(", ", [verdicts.describe_atom(a) | some a in array.slice(v.blocked_atoms, 0, 5)])
}

# Every part is allowed (or blocked) by rules that use something portmatrix does not model: the
# verdict is partial, located at the first such thing.
findings contains {
	"rule": "PM102",
	"flow": flow.id,
	"message": sprintf("flow %s (%s -> %s %s) cannot be fully decided: %s", [
		flow.id, flow.from.role, flow.to.role, flow_blocked.ports_text(flow),
		concat("; ", [n.message | some n in v.notes]),
	]),
	"help": "check these rules by hand, or rewrite them with what portmatrix models (addresses, ports, selectors)",
	"loc": v.notes[0].loc,
} if {
	some flow in input.flows
	v := verdicts.by_id[flow.id]
	v.status == "partial"
	count(v.failing) == 0
	count(v.notes) > 0
}
