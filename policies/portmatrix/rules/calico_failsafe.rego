# METADATA
# title: Calico failsafe ports wider than the matrix needs
# description: |
#   Calico keeps failsafe ports open on every host endpoint whatever the policies say (inbound
#   TCP 22, UDP 68, TCP 179, 2379, 2380, 5473, 6443, 6666, 6667 by default), so that a bad policy
#   cannot cut a node off. The drivers' matrices need none of those that are listed here: they
#   stay reachable on every node.
# custom:
#   id: PM210
#   severity: info
#   remediation: Narrow Felix's FailsafeInboundHostPorts to the ports the cluster needs (and allowed sources), once host-endpoint policies are known to be right.
#   related_resources:
#   - https://docs.tigera.io/calico/latest/reference/host-endpoints/failsafe
package portmatrix.rules.calico_failsafe

import rego.v1

failsafe_inbound := [["TCP", 22], ["UDP", 68], ["TCP", 179], ["TCP", 2379], ["TCP", 2380], ["TCP", 5473], ["TCP", 6443], ["TCP", 6666], ["TCP", 6667]]

findings contains {
	"rule": "PM210",
	"message": sprintf("HostEndpoint %s: Calico's failsafe ports %s stay open to any source whatever the policies say; the drivers need none of them", [
		hep.name, concat(", ", [sprintf("%s %d", [p[0], p[1]]) | some p in unneeded]),
	]),
	"help": "set Felix's FailsafeInboundHostPorts to the ports the cluster needs",
	"loc": hep.loc,
} if {
	some hep in input.layer_facts.host_endpoints
	unneeded := [p | some p in failsafe_inbound; not needed(p)]
	count(unneeded) > 0
}

needed(p) if {
	some f in input.flows
	f.to.kind == "host"
	p[0] in f.protocols
	some r in f.port_ranges
	r[0] <= p[1]
	p[1] <= r[1]
}
