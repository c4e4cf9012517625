# METADATA
# title: Test helpers
# description: Builders for small input documents, shared by the bundle's tests.
package portmatrix.lib.testing_test

import rego.v1

pod(role, ns, labels) := {
	"role": role, "kind": "pod", "component": sprintf("t/%s", [role]),
	"namespace": ns, "labels": labels, "host_network": false, "named_ports": {},
}

host(role) := {"role": role, "kind": "host", "labels": {}, "host_network": true, "named_ports": {}}

external(role, addresses) := {
	"role": role, "kind": "external", "labels": {}, "host_network": false,
	"named_ports": {}, "addresses": addresses,
}

kubelet := {"role": "kubelet", "kind": "node-local", "labels": {}, "host_network": false, "named_ports": {}}

selector(labels) := {"match_labels": labels, "match_expressions": [], "loc": 2}

policy(ns, name, labels, types, ingress, egress) := {
	"kind": "NetworkPolicy", "name": name, "namespace": ns, "loc": 1, "at": sprintf("%s.yaml:1", [name]),
	"pod_selector": selector(labels), "policy_types": types, "ingress": ingress, "egress": egress,
}

# A flow of one protocol and port, not cut into pieces.
flow(id, from, to, protocol, port) := {
	"id": id, "driver": "t", "from": from, "to": to, "protocol": protocol, "protocols": [protocol],
	"port_ranges": [[port, port]], "purpose": "test", "approximate": false,
	"atoms": [{"protocol": protocol, "port": port, "port_end": port}],
}

port(protocol, number) := {"loc": 5, "protocol": protocol, "port": number, "port_loc": 6}

input_with(flows, policies) := {
	"flows": flows,
	"policies": policies,
	"namespaces": {
		"t": {"labels": {"kubernetes.io/metadata.name": "t"}},
		"kube-system": {"labels": {"kubernetes.io/metadata.name": "kube-system"}},
		"monitoring": {"labels": {"kubernetes.io/metadata.name": "monitoring", "team": "obs"}},
	},
	"components": [c |
		some f in flows
		some ep in [f.from, f.to]
		ep.component
		c := object.union(ep, {"id": ep.component, "driver": "t", "kind": ep.kind})
	],
	"pods": {},
	"inactive_flows": [],
	"unsupported": [],
	"profile": {"cluster": {}},
}
