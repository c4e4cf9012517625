# METADATA
# title: Storage management reachable from more than the controller hosts
# description: |
#   Only the driver's controller talks to the storage system's management interface (REST API).
#   A host firewall that filters outgoing traffic, and describes hosts that do not run the
#   controller (or every node, when the profile's `hosts:` does not bind it to controller hosts),
#   still lets those hosts reach the management address and port: a compromised node can drive
#   the storage array's API.
# custom:
#   id: PM209
#   severity: warning
#   remediation: Allow the management port only in the firewall of the controller hosts (bind per-host files with `hosts:` in the profile), and drop it elsewhere.
#   related_resources:
#   - https://github.com/Huawei/css-docs
package portmatrix.rules.mgmt_beyond_controller

import data.portmatrix.lib.ports
import rego.v1

findings contains {
	"rule": "PM209",
	"flow": e.flow,
	"message": sprintf("%s %s: `%s` lets hosts that do not run %s reach the storage management interface (%s %s)", [
		e.layer, e.file, e.text, flow.from.role, flow.to.role,
		ports.ports_text(flow.protocols, flow.port_ranges),
	]),
	"help": "allow this port only on the controller hosts: bind their firewall files with `hosts: [{files: [...], roles: [controller]}]` in the profile and drop it in the others",
	"loc": e.loc,
} if {
	some e in input.layer_facts.mgmt_exposed
	some flow in input.flows
	flow.id == e.flow
}
