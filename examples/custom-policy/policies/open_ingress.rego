# METADATA
# title: Ingress from every namespace
# description: |
#   ACME's rule: a peer `namespaceSelector: {}` admits pods of every namespace. Allowed, but
#   each one must be reviewed: a warning.
package acme.open_ingress

import rego.v1

# `warn` makes warnings. This rule blames a node by its `path` in the input document;
# portmatrix points at the nearest node on that path that has a location (the peer).
warn contains {
	"msg": sprintf("NetworkPolicy %s/%s admits pods of every namespace", [policy.namespace, policy.name]),
	"path": ["policies", ns, i, "ingress", j, "peers", k],
} if {
	some ns, policies in input.policies
	some i, policy in policies
	some j, rule in policy.ingress
	some k, peer in rule.peers
	count(peer.namespace_selector.match_labels) == 0
	count(peer.namespace_selector.match_expressions) == 0
}
