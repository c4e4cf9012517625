# METADATA
# title: Egress only to approved networks
# description: |
#   ACME's rule: an egress ipBlock must be one of the networks the security team approved
#   (data.acme.approved_networks, from `--data approved.yaml`). `0.0.0.0/0` is never approved.
package acme.approved_cidrs

import rego.v1

# `deny` makes errors. A result is a message or an object: `msg`, and optionally `loc` (a
# location id taken from the input, here the CIDR's), `rule` (the id to report) and `help`.
deny contains {
	"rule": "ACME001",
	"msg": sprintf("NetworkPolicy %s/%s allows egress to %s, which is not an approved network", [
		policy.namespace, policy.name, peer.ip_block.cidr,
	]),
	"help": sprintf("use one of %s, or ask security to approve the network", [concat(", ", sort(approved))]),
	"loc": peer.ip_block.cidr_loc,
} if {
	some policies in input.policies
	some policy in policies
	some rule in policy.egress
	some peer in rule.peers
	peer.ip_block
	not peer.ip_block.cidr in approved
}

approved contains cidr if some cidr in data.acme.approved_networks
