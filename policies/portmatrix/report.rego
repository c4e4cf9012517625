# METADATA
# title: portmatrix report
# description: |
#   The bundle's entry point, `data.portmatrix.report`: every required flow's verdict, and the
#   findings of every rule under `data.portmatrix.rules`.
# entrypoint: true
package portmatrix

import rego.v1

report := {
	"flows": data.portmatrix.verdicts.flows,
	"findings": findings,
}

findings contains finding if {
	some name
	some finding in data.portmatrix.rules[name].findings
}
