# METADATA
# title: Policy kind not analysed yet
# description: |
#   The file holds a policy of another enforcement layer (Calico, Cilium, AdminNetworkPolicy) that
#   this version of portmatrix does not read. Its effect on the flows is not part of the verdicts:
#   a flow reported as allowed may still be blocked by it, and the reverse.
# custom:
#   id: PM001
#   severity: info
#   remediation: Check these policies by hand, or with a portmatrix version that reads them.
#   related_resources:
#   - https://docs.tigera.io/calico/latest/reference/resources/networkpolicy
package portmatrix.rules.not_analysed

import rego.v1

findings contains {
	"rule": "PM001",
	"message": sprintf("%s %s (%s) is not analysed yet: its effect is not in the verdicts", [obj.kind, obj.name, obj.api_version]),
	"help": "verdicts consider NetworkPolicy only; check this policy's effect on the driver's flows by hand",
	"loc": obj.loc,
} if {
	some obj in input.unsupported
}
