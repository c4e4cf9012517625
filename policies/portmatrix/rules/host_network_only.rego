# METADATA
# title: Policy selects only host-network pods
# description: |
#   Every pod this NetworkPolicy selects (among the driver's pods and the workloads supplied)
#   uses the host network. CNIs treat such pods' traffic as the node's, so the policy has no
#   effect: the flows it seems to restrict are open, or are decided by the host firewall.
# custom:
#   id: PM204
#   severity: warning
#   remediation: Enforce these pods' flows in the host firewall, a Calico HostEndpoint policy or a Cilium host policy instead.
#   related_resources:
#   - https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods
package portmatrix.rules.host_network_only

import data.portmatrix.lib.drivers
import data.portmatrix.lib.k8s
import rego.v1

findings contains {
	"rule": "PM204",
	"message": sprintf("NetworkPolicy %s selects only host-network pods (%s): it has no effect on them", [
		k8s.policy_name(policy), concat(", ", sort({pod.name | some pod in pods})),
	]),
	"help": "host-network pods are governed by host firewalls (iptables, nftables), Calico HostEndpoint or Cilium host policies",
	"loc": policy.pod_selector.loc,
} if {
	some ns, policies in input.policies
	input.pods[ns]
	some policy in policies
	pods := drivers.pods_matching(ns, policy.pod_selector)
	count(pods) > 0
	every pod in pods {
		pod.host_network
	}
}
