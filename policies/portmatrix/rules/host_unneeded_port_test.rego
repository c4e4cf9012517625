# METADATA
# title: Tests of PM208
package portmatrix.rules.host_unneeded_port_test

import data.portmatrix.lib.testing_test as t
import data.portmatrix.rules.host_unneeded_port
import rego.v1

nfs := t.flow("t/nfs", t.host("node"), t.external("storage-data", []), "TCP", 2049)

portmapper := {"id": "t/portmapper", "driver": "t", "from": "node", "to": "storage-data", "protocols": ["TCP", "UDP"], "port_ranges": [[111, 111]], "why": "only needed with nfs3"}

rule(unneeded) := {"layer": "nftables", "file": "n.json", "chain": "input", "loc": 4, "text": "tcp dport 111 accept", "protocol": "TCP", "ports": [[111, 111]], "from_anywhere": false, "unneeded": unneeded}

doc(rules) := object.union(t.input_with([nfs], {}), {"inactive_flows": [portmapper], "layer_facts": {"accept_rules": rules}})

test_nfsv3_port_open_is_reported if {
	fs := host_unneeded_port.findings with input as doc([rule(["t/portmapper"])])
	count(fs) == 1
	some f in fs
	contains(f.message, "nfs3")
	f.loc == 4
}

test_a_rule_the_reader_did_not_flag_is_fine if count(host_unneeded_port.findings) == 0 with input as doc([rule([])])

test_only_known_inactive_flows if count(host_unneeded_port.findings) == 0 with input as doc([rule(["t/other"])])
