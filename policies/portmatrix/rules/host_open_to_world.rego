# METADATA
# title: Host firewall open to the world on a driver port
# description: |
#   A host firewall (iptables, nftables, firewalld) accepts traffic from any source address on a
#   port where a host-network driver component listens. Huawei CSI's pods and Trident's node pods
#   use the host network, so their ports are the node's: anyone who can route to the node can
#   reach them. Every peer of these flows has a known address (nodes, control plane, storage).
# custom:
#   id: PM207
#   severity: warning
#   remediation: Restrict the rule's source to the addresses the matrix names for the flow (node, control-plane or storage CIDRs).
#   related_resources:
#   - https://github.com/Huawei/css-docs
package portmatrix.rules.host_open_to_world

import data.portmatrix.lib.ports
import rego.v1

findings contains {
	"rule": "PM207",
	"message": sprintf("%s %s (%s): `%s` accepts %s from any address; the driver needs it only from its peers (%s)", [
		w.layer, w.file, w.chain, w.text,
		ports.ports_text(flows[0].protocols, flows[0].port_ranges),
		concat(", ", [sprintf("%s: %s -> %s", [f.id, f.from.role, f.to.role]) | some f in flows]),
	]),
	"help": "restrict the source to the addresses of the flow's peers (cluster.nodes, cluster.apiserver, storage addresses in the profile)",
	"loc": w.loc,
} if {
	some w in input.layer_facts.world_open
	flows := [f | some f in input.flows; f.id in w.flows]
	count(flows) > 0
}
