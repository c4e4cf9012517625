# METADATA
# title: Required flow blocked
# description: |
#   A flow that the driver needs, under this profile, is denied by a NetworkPolicy that isolates
#   one of its ends, and no rule of that policy (or any other selecting the pod) allows it.
#   Provisioning, probes or webhooks that use the flow fail.
# custom:
#   id: PM101
#   severity: error
#   remediation: Add an ingress or egress rule for the flow's peer and port to a policy that selects the pod.
#   related_resources:
#   - https://kubernetes.io/docs/concepts/services-networking/network-policies/
package portmatrix.rules.flow_blocked

import data.portmatrix.lib.k8s
import data.portmatrix.verdicts
import rego.v1

findings contains {
	"rule": "PM101",
	"flow": flow.id,
	"message": sprintf("flow %s (%s -> %s %s) is blocked: %s", [
		flow.id, flow.from.role, flow.to.role, ports_text(flow), v.reason,
	]),
	"help": help_for(flow, failing),
	"loc": failing.policies[0].loc,
} if {
	some flow in input.flows
	v := verdicts.by_id[flow.id]
	v.status == "blocked"
	failing := v.failing[0]
}

# What to change: a NetworkPolicy rule for pod-network directions, else the deciding layer.
help_for(flow, failing) := help(flow, failing.direction) if {
	object.get(failing, "layer", "pod-policy") == "pod-policy"
} else := sprintf("allow %s from %s to %s in %s (%s)", [
	ports_text(flow), flow.from.role, flow.to.role, failing.layer,
	concat(", ", [p.at | some p in failing.policies]),
])

# The rule to add, written for the peer's kind.
help(flow, "ingress") := sprintf("add an ingress rule to a policy selecting %s: from %s on %s", [
	k8s.describe_selector({"match_labels": flow.to.labels, "match_expressions": []}),
	peer_text(flow.from), ports_text(flow),
])

help(flow, "egress") := sprintf("add an egress rule to a policy selecting %s: to %s on %s", [
	k8s.describe_selector({"match_labels": flow.from.labels, "match_expressions": []}),
	peer_text(flow.to), ports_text(flow),
])

peer_text(ep) := sprintf("pods %s in namespace %s", [
	k8s.describe_selector({"match_labels": ep.labels, "match_expressions": []}), ep.namespace,
]) if ep.kind == "pod"

peer_text(ep) := sprintf("ipBlock %s (%s runs on the host network: its traffic comes from node addresses)", [
	addresses_text(ep, "<node CIDR>"), ep.role,
]) if ep.kind == "host"

peer_text(ep) := sprintf("ipBlock %s", [addresses_text(ep, sprintf("<%s CIDR>", [ep.role]))]) if ep.kind == "external"

peer_text(ep) := "the node itself (node-local traffic)" if ep.kind == "node-local"

addresses_text(ep, _) := concat(", ", ep.addresses) if count(object.get(ep, "addresses", [])) > 0

addresses_text(ep, fallback) := fallback if count(object.get(ep, "addresses", [])) == 0

ports_text(flow) := concat(", ", [sprintf("%s %s", [proto, range_text(r)]) |
	some proto in flow.protocols
	some r in flow.port_ranges
])

range_text(r) := sprintf("%d", [r[0]]) if r[0] == r[1]

range_text(r) := sprintf("%d-%d", [r[0], r[1]]) if r[0] != r[1]
