# METADATA
# title: Cilium rule open to the world entity on a driver port
# description: |
#   A Cilium policy allows the `world` (or `all`) entity, every address outside the cluster, on a
#   port a driver flow uses (or on every port). The drivers' external peers (storage management
#   and data addresses, directory servers) are known: a CIDR rule for them is enough.
# custom:
#   id: PM211
#   severity: warning
#   remediation: Replace the world entity with toCIDR/toCIDRSet (or fromCIDR) rules for the storage or control-plane addresses.
#   related_resources:
#   - https://docs.cilium.io/en/stable/security/policy/language/#entities-based
package portmatrix.rules.cilium_world

import data.portmatrix.lib.ports
import rego.v1

findings contains {
	"rule": "PM211",
	"message": sprintf("CiliumNetworkPolicy %s allows %s the %s entity on %s, used by %s", [
		w.policy, preposition[w.direction], concat(", ", w.entities), ports_of(w),
		concat(", ", [f.id | some f in flows]),
	]),
	"help": "use toCIDR/toCIDRSet (or fromCIDR) with the storage or control-plane addresses instead of the world entity",
	"loc": w.loc,
} if {
	some w in input.layer_facts.world_rules
	flows := [f |
		some f in input.flows
		ports.rule_touches(w, f.protocols, f.port_ranges)
	]
	count(flows) > 0
}

preposition := {"ingress": "from", "egress": "to"}

ports_of(w) := concat(", ", [ports.range_text(r) | some r in w.ports]) if w.ports

ports_of(w) := "every port" if not w.ports
