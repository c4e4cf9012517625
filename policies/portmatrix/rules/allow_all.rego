# METADATA
# title: Allow-all rule on a driver pod
# description: |
#   An ingress or egress rule with no peers and no ports lets every source reach the driver's pod
#   (or the pod reach everything). The driver's matrix lists exactly the peers and ports it needs;
#   an any-to-any rule exposes storage management to the whole cluster or beyond.
# custom:
#   id: PM201
#   severity: warning
#   remediation: Replace the rule with one rule per required flow (peer and port), as `portmatrix matrix` lists them.
#   related_resources:
#   - https://docs.netapp.com/us-en/trident/trident-reference/ports.html
package portmatrix.rules.allow_all

import data.portmatrix.lib.drivers
import data.portmatrix.lib.k8s
import rego.v1

findings contains {
	"rule": "PM201",
	"message": sprintf("NetworkPolicy %s allows all %s %s %s (no peers, no ports)", [
		k8s.policy_name(policy), dir, preposition[dir], component.id,
	]),
	"help": sprintf("list the peers and ports %s needs; `portmatrix matrix --driver %s` shows them", [component.id, component.driver]),
	"loc": rule.loc,
} if {
	some [policy, component] in drivers.selecting
	some dir in ["ingress", "egress"]
	k8s.policy_type(dir) in policy.policy_types
	some rule in k8s.rules_of(policy, dir)
	not rule.peers
	not rule.ports
}

preposition := {"ingress": "to", "egress": "from"}
