# METADATA
# title: Rule open to every address
# description: |
#   An ipBlock of 0.0.0.0/0 or ::/0 in a policy selecting a driver pod admits (or reaches) every
#   address. No flow of a storage driver needs that: storage management and data addresses,
#   node and control-plane addresses are all known.
# custom:
#   id: PM202
#   severity: warning
#   remediation: Narrow the ipBlock to the addresses the flow needs (storage management or data LIFs, node or control-plane CIDRs).
#   related_resources:
#   - https://docs.netapp.com/us-en/trident/trident-reference/ports.html
package portmatrix.rules.open_to_world

import data.portmatrix.lib.drivers
import data.portmatrix.lib.k8s
import rego.v1

findings contains {
	"rule": "PM202",
	"message": sprintf("NetworkPolicy %s %s %s %s every address (%s)", [
		k8s.policy_name(policy), verb[dir], component.id, preposition[dir], peer.ip_block.cidr,
	]),
	"help": "narrow the ipBlock to the storage, node or control-plane addresses the driver talks to",
	"loc": peer.ip_block.cidr_loc,
} if {
	some [policy, component] in drivers.selecting
	some dir in ["ingress", "egress"]
	k8s.policy_type(dir) in policy.policy_types
	some rule in k8s.rules_of(policy, dir)
	some peer in rule.peers
	endswith(peer.ip_block.cidr, "/0")
}

verb := {"ingress": "opens", "egress": "lets"}

preposition := {"ingress": "to", "egress": "reach"}
