# METADATA
# title: Tests of PM101
package portmatrix.rules.flow_blocked_test

import data.portmatrix.lib.testing_test as t
import data.portmatrix.rules.flow_blocked
import rego.v1

controller := t.pod("controller", "t", {"app": "controller"})

backchannel := t.flow("t/back", t.host("node"), controller, "TCP", 8443)

deny := t.policy("t", "deny", {}, ["Ingress"], [], [])

test_blocked_flow_is_reported_at_the_isolating_policy if {
	fs := flow_blocked.findings with input as t.input_with([backchannel], {"t": [deny]})
	count(fs) == 1
	some f in fs
	f.flow == "t/back"
	f.loc == 1
	contains(f.message, "t/deny")
	contains(f.help, "ipBlock")
	contains(f.help, "host network")
}

test_allowed_flow_is_not_reported if {
	fs := flow_blocked.findings with input as t.input_with([backchannel], {})
	count(fs) == 0
}

test_help_for_pod_and_external_peers if {
	prom := t.pod("prometheus", "monitoring", {"app": "prom"})
	contains(flow_blocked.help(t.flow("x", prom, controller, "TCP", 8001), "ingress"), "pods app=prom in namespace monitoring")
	ext := t.external("storage", ["10.0.0.10/32"])
	contains(flow_blocked.help(t.flow("x", controller, ext, "TCP", 443), "egress"), "ipBlock 10.0.0.10/32 on TCP 443")
}
