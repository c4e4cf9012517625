# METADATA
# title: Flow not governed by the supplied inputs
# description: |
#   Neither end of the flow is a pod of the pod network (host-network pods, nodes, storage), so no
#   NetworkPolicy can allow or block it. Only a host firewall, Calico HostEndpoint policy or
#   Cilium host policy enforces it: supply those to check it.
# custom:
#   id: PM103
#   severity: info
#   remediation: Supply the host firewall rules (iptables-save, nft -j list ruleset) or the CNI's host policies for the nodes.
#   related_resources:
#   - https://kubernetes.io/docs/concepts/services-networking/network-policies/#what-you-can-t-do-with-network-policies-at-least-not-yet
package portmatrix.rules.flow_ungoverned

import data.portmatrix.rules.flow_blocked
import data.portmatrix.verdicts
import rego.v1

findings contains {
	"rule": "PM103",
	"flow": flow.id,
	"message": sprintf("flow %s (%s -> %s %s) is not governed by any input given: %s", [
		flow.id, flow.from.role, flow.to.role, flow_blocked.ports_text(flow), v.reason,
	]),
	"help": "pass the nodes' firewall rules or host-endpoint policies so that this flow can be checked",
} if {
	some flow in input.flows
	v := verdicts.by_id[flow.id]
	v.status == "ungoverned"
}
