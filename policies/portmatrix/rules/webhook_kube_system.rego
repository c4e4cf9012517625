# METADATA
# title: Webhook rule admits kube-system pods, not the API server
# description: |
#   The API server calls admission webhooks from a control-plane address, not from a pod of
#   kube-system. A rule on the webhook's port that admits `kube-system` by namespaceSelector, and no
#   ipBlock with the API server's addresses, blocks the webhook; with `failurePolicy: Fail` the
#   objects it guards (Huawei's StorageBackendClaims) can no longer change.
# custom:
#   id: PM206
#   severity: error
#   remediation: Admit the API server's addresses (cluster.apiserver in the profile) with an ipBlock on the webhook port.
#   related_resources:
#   - https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/
package portmatrix.rules.webhook_kube_system

import data.portmatrix.lib.k8s
import data.portmatrix.verdicts
import rego.v1

findings contains {
	"rule": "PM206",
	"flow": flow.id,
	"message": sprintf("NetworkPolicy %s admits kube-system pods to the %s webhook port, but the API server calls webhooks from control-plane addresses, which this rule does not admit", [
		k8s.policy_name(policy), flow.to.role,
	]),
	"help": sprintf("add %s to this rule's `from` list", [apiserver_peers]),
	"loc": rule.loc,
} if {
	some flow in input.flows
	flow.kind == "webhook"
	verdicts.by_id[flow.id].status in {"blocked", "partial"}
	some policy in object.get(input.policies, flow.to.namespace, [])
	k8s.selects(policy, flow.to)
	"Ingress" in policy.policy_types
	some rule in policy.ingress
	covers_port(rule, flow)
	some peer in rule.peers
	not peer.ip_block
	k8s.selector_matches(peer.namespace_selector, k8s.namespace_labels("kube-system"))
	not admits_apiserver(rule, flow)
}

covers_port(rule, _) if not rule.ports

covers_port(rule, flow) if {
	some atom in flow.atoms
	k8s.ports_match(rule, atom, flow.to)
}

admits_apiserver(rule, flow) if {
	some peer in rule.peers
	peer.ip_block
	apiserver := object.get(flow.from, "addresses", [])
	every addr in apiserver {
		net.cidr_contains(peer.ip_block.cidr, addr)
	}
}

# One peer per API server address: `- ipBlock: {cidr: 192.168.10.2/32}`.
apiserver_peers := concat(", ", [sprintf("`- ipBlock: {cidr: %s}`", [cidr]) | some cidr in input.profile.cluster.apiserver]) if {
	count(object.get(input.profile.cluster, "apiserver", [])) > 0
} else := "`- ipBlock: {cidr: <control-plane CIDR>}` (set cluster.apiserver in the profile)"
