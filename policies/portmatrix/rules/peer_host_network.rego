# METADATA
# title: Peer selects host-network pods by label
# description: |
#   A rule on a driver pod names its peer with a pod selector, but every pod that selector
#   matches uses the host network. Their packets carry the node's address, which pod selectors
#   do not match, so the rule never admits them (Trident's node plugin calling the controller is
#   the usual case).
# custom:
#   id: PM205
#   severity: warning
#   remediation: Match host-network peers with an ipBlock of the node CIDR instead of a pod selector.
#   related_resources:
#   - https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods
package portmatrix.rules.peer_host_network

import data.portmatrix.lib.drivers
import data.portmatrix.lib.k8s
import rego.v1

findings contains {
	"rule": "PM205",
	"message": sprintf("NetworkPolicy %s admits %s by pod selector, but they use the host network: their traffic comes from node addresses and this peer never matches it", [
		k8s.policy_name(policy), concat(", ", sort({pod.name | some pod in pods})),
	]),
	"help": "use an ipBlock with the node CIDR (cluster.nodes in the profile) for host-network peers",
	"loc": peer.pod_selector.loc,
} if {
	some [policy, _] in drivers.selecting
	some dir in ["ingress", "egress"]
	k8s.policy_type(dir) in policy.policy_types
	some rule in k8s.rules_of(policy, dir)
	some peer in rule.peers
	peer.pod_selector
	pods := [pod |
		some ns in drivers.peer_namespaces(peer, policy)
		some pod in drivers.pods_matching(ns, peer.pod_selector)
	]
	count(pods) > 0
	every pod in pods {
		pod.host_network
	}
}
