# METADATA
# title: Host firewall opens a port the profile does not need
# description: |
#   A host firewall accepts a port that only an inactive matrix row uses: NFSv3's portmapper,
#   mountd, NLM and NSM under an NFSv4-only profile, the metrics port with metrics off, a port
#   the driver binds to localhost. No required flow uses it, so it is attack surface only.
# custom:
#   id: PM208
#   severity: warning
#   remediation: Remove the port from the host firewall, or turn on the feature that needs it in the profile.
#   related_resources:
#   - https://docs.netapp.com/us-en/trident/trident-reference/ports.html
package portmatrix.rules.host_unneeded_port

import data.portmatrix.lib.ports
import rego.v1

findings contains {
	"rule": "PM208",
	"message": sprintf("%s %s (%s): `%s` accepts %s, which no required flow uses (%s: %s)", [
		rule.layer, rule.file, rule.chain, rule.text,
		ports.ports_text(unneeded.protocols, unneeded.port_ranges), unneeded.id, unneeded.why,
	]),
	"help": "remove the port from the host firewall, or enable the feature that needs it in the profile",
	"loc": rule.loc,
} if {
	some rule in input.layer_facts.accept_rules
	some unneeded in input.inactive_flows
	unneeded.id == rule.unneeded[0]
}
