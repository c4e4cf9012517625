# METADATA
# title: Tests of the report entry point
package portmatrix_test

import data.portmatrix
import data.portmatrix.lib.testing_test as t
import rego.v1

test_report_holds_verdicts_and_findings if {
	flow := t.flow("t/x", t.pod("a", "t", {"app": "a"}), t.external("s", []), "TCP", 443)
	deny := t.policy("t", "deny", {}, ["Egress"], [], [])
	r := portmatrix.report with input as t.input_with([flow], {"t": [deny]})
	r.flows[0].status == "blocked"
	"PM101" in {f.rule | some f in r.findings}
}
