# METADATA
# title: Kubernetes NetworkPolicy semantics
# description: |
#   Label selectors, policy selection, peers and ports, as networking.k8s.io/v1 defines them.
#   Every verdict about NetworkPolicy goes through these helpers.
package portmatrix.lib.k8s

import rego.v1

# A label selector matches when every matchLabels pair and every matchExpression holds.
selector_matches(sel, labels) if {
	every key, value in sel.match_labels {
		labels[key] == value
	}
	every req in sel.match_expressions {
		requirement_matches(req, labels)
	}
}

requirement_matches(req, labels) if {
	req.operator == "In"
	labels[req.key] in req.values
}

# NotIn matches pods without the key, as in Kubernetes. Two bodies rather than
# `not labels[req.key] in req.values`, which OPA and regorus disagree on when the key is absent.
requirement_matches(req, labels) if {
	req.operator == "NotIn"
	not has_key(labels, req.key)
}

requirement_matches(req, labels) if {
	req.operator == "NotIn"
	value := labels[req.key]
	not value in req.values
}

requirement_matches(req, labels) if {
	req.operator == "Exists"
	_ = labels[req.key]
}

requirement_matches(req, labels) if {
	req.operator == "DoesNotExist"
	not has_key(labels, req.key)
}

has_key(obj, key) if _ = obj[key]

# Labels of a namespace; `kubernetes.io/metadata.name` is always set by the API server.
namespace_labels(ns) := input.namespaces[ns].labels

namespace_labels(ns) := {"kubernetes.io/metadata.name": ns} if not input.namespaces[ns]

# A policy selects a pod of the pod network in its own namespace. Host-network pods are node
# traffic to the CNI: NetworkPolicy does not govern them.
selects(policy, ep) if {
	ep.kind == "pod"
	policy.namespace == ep.namespace
	selector_matches(policy.pod_selector, ep.labels)
}

policy_type("egress") := "Egress"

policy_type("ingress") := "Ingress"

rules_of(policy, "egress") := policy.egress

rules_of(policy, "ingress") := policy.ingress

# The policies that isolate an endpoint in a direction: those that select it and list the type.
isolating_policies(ep, dir) := [p |
	some p in object.get(input.policies, object.get(ep, "namespace", ""), [])
	policy_type(dir) in p.policy_types
	selects(p, ep)
]

# The other end of a flow, as seen by a rule: egress rules name the destination, ingress rules
# the source. Named ports always resolve against the destination.
rule_allows(rule, policy, "egress", flow, atom) if {
	peers_match(rule, policy, flow.to, object.get(atom, "dst", null))
	ports_match(rule, atom, flow.to)
}

rule_allows(rule, policy, "ingress", flow, atom) if {
	peers_match(rule, policy, flow.from, object.get(atom, "src", null))
	ports_match(rule, atom, flow.to)
}

# An absent or empty peer list matches every peer.
peers_match(rule, _, _, _) if not rule.peers

peers_match(rule, policy, other, addr) if {
	some peer in rule.peers
	peer_matches(peer, policy, other, addr)
}

# Selector peers match pods of the pod network; namespaceSelector and podSelector together
# are ANDed, and a podSelector alone means the policy's own namespace.
peer_matches(peer, policy, other, _) if {
	not peer.ip_block
	other.kind == "pod"
	peer_namespace_matches(peer, policy, other)
	peer_pod_matches(peer, other)
}

peer_matches(peer, _, other, addr) if {
	peer.ip_block
	ip_block_matches(peer.ip_block, other, addr)
}

peer_namespace_matches(peer, policy, other) if {
	not peer.namespace_selector
	other.namespace == policy.namespace
}

peer_namespace_matches(peer, _, other) if {
	selector_matches(peer.namespace_selector, namespace_labels(other.namespace))
}

peer_pod_matches(peer, _) if not peer.pod_selector

peer_pod_matches(peer, other) if selector_matches(peer.pod_selector, other.labels)

# Where the profile does not give the addresses of a host or external peer, any ipBlock is
# taken to cover them (the verdict then rests on ports alone). Pod addresses are matched only
# when the profile gives the pod CIDR.
ip_block_matches(block, other, null) if {
	other.kind in {"host", "external"}
	net.cidr_is_valid(block.cidr)
}

ip_block_matches(block, _, addr) if {
	addr != null
	net.cidr_is_valid(block.cidr)
	net.cidr_contains(block.cidr, addr)
	not excepted(block, addr)
}

excepted(block, addr) if {
	some e in block.except
	net.cidr_is_valid(e.cidr)
	net.cidr_contains(e.cidr, addr)
}

# An absent or empty port list matches every port and protocol.
ports_match(rule, _, _) if not rule.ports

ports_match(rule, atom, dest) if {
	some p in rule.ports
	port_matches(p, atom, dest)
}

port_matches(p, atom, _) if {
	p.protocol == atom.protocol
	not p.port
}

port_matches(p, atom, _) if {
	p.protocol == atom.protocol
	is_number(p.port)
	atom.port >= p.port
	atom.port_end <= object.get(p, "end_port", p.port)
}

port_matches(p, atom, dest) if {
	p.protocol == atom.protocol
	is_string(p.port)
	named := dest.named_ports[p.port]
	named.protocol == atom.protocol
	atom.port == named.port
	atom.port_end == named.port
}

# "namespace/name", for messages.
policy_name(p) := sprintf("%s/%s", [p.namespace, p.name])

# Describes a selector as `a=b, c in (d)`, or `every pod` when it is empty.
describe_selector(sel) := "every pod" if {
	count(sel.match_labels) == 0
	count(sel.match_expressions) == 0
}

describe_selector(sel) := concat(", ", array.concat(
	[sprintf("%s=%s", [k, v]) | some k, v in sel.match_labels],
	[sprintf("%s %s", [r.key, r.operator]) | some r in sel.match_expressions],
)) if {
	count(sel.match_labels) + count(sel.match_expressions) > 0
}
