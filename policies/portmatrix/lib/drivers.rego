# METADATA
# title: Driver helpers
# description: Which policies touch a driver's pods, and what the profile requires of them.
package portmatrix.lib.drivers

import data.portmatrix.lib.k8s
import rego.v1

# Policies (with the driver component they select) in the namespaces of driver pods.
selecting contains [policy, component] if {
	some component in input.components
	some policy in object.get(input.policies, component.namespace, [])
	k8s.selects(policy, component)
}

# Known pods of a namespace that a selector matches (any network).
pods_matching(ns, sel) := [pod |
	some pod in object.get(input.pods, ns, [])
	k8s.selector_matches(sel, pod.labels)
]

# Namespaces a peer can reach with its selectors.
peer_namespaces(peer, policy) := {policy.namespace} if not peer.namespace_selector

peer_namespaces(peer, _) := {ns |
	some ns, _ in input.namespaces
	k8s.selector_matches(peer.namespace_selector, k8s.namespace_labels(ns))
} if peer.namespace_selector

# Required flows that a component takes part in, in a direction of its policies.
component_flows(component, "ingress") := [f | some f in input.flows; f.to.component == component.id]

component_flows(component, "egress") := [f | some f in input.flows; f.from.component == component.id]

# Matrix rows the profile does not require, for the component's role.
inactive_flows(component, "ingress") := [f |
	some f in input.inactive_flows
	f.driver == component.driver
	f.to == component.role
]

inactive_flows(component, "egress") := [f |
	some f in input.inactive_flows
	f.driver == component.driver
	f.from == component.role
]

ranges_overlap(a, b) if {
	a[0] <= b[1]
	b[0] <= a[1]
}
