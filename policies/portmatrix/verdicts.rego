# METADATA
# title: Flow verdicts
# description: |
#   Decides, for every required flow, whether the supplied policies let it through. A flow needs
#   the source's egress AND the destination's ingress. Each flow comes cut into atoms (protocol,
#   port range, source and destination address ranges) that every rule matches entirely or not
#   at all: a flow is allowed when every atom is, blocked when none is, partial otherwise.
package portmatrix.verdicts

import data.portmatrix.lib.k8s
import rego.v1

flows := [verdict(flow) | some flow in input.flows]

by_id[flow.id] := verdict(flow) if some flow in input.flows

verdict(flow) := {
	"id": flow.id,
	"status": "allowed",
	"reason": "traffic from a node to pods on that node is always allowed (NetworkPolicy semantics)",
	"decided_by": [],
	"failing": [],
} if {
	flow.from.kind == "node-local"
	flow.to.kind == "pod"
} else := {
	"id": flow.id,
	"status": "ungoverned",
	"reason": ungoverned_reason(flow),
	"decided_by": [],
	"failing": [],
} if {
	not governed(flow, "egress")
	not governed(flow, "ingress")
} else := v if {
	egress := direction(flow, "egress")
	ingress := direction(flow, "ingress")
	ok := egress.allowed & ingress.allowed
	failing := [d | some d in [egress, ingress]; d.governed; count(d.allowed) < count(flow.atoms)]
	v := {
		"id": flow.id,
		"status": status_of(count(ok), count(flow.atoms)),
		"reason": concat("; ", [d.summary | some d in [egress, ingress]; d.governed]),
		"decided_by": array.concat(egress.decided_by, ingress.decided_by),
		"failing": failing,
		"blocked_atoms": [atom | some i, atom in flow.atoms; not i in ok],
	}
}

status_of(k, n) := "allowed" if {
	n > 0
	k == n
} else := "blocked" if {
	k == 0
} else := "partial"

governed(flow, "egress") if flow.from.kind == "pod"

governed(flow, "ingress") if flow.to.kind == "pod"

# The pod whose policies decide a direction: the source for egress, the destination for ingress.
subject(flow, "egress") := flow.from

subject(flow, "ingress") := flow.to

ungoverned_reason(flow) := sprintf(
	"neither end is a pod-network pod (%s is %s, %s is %s): NetworkPolicy cannot enforce this flow; only a host firewall, Calico HostEndpoint or Cilium host policy can",
	[flow.from.role, kind_text(flow.from.kind), flow.to.role, kind_text(flow.to.kind)],
)

kind_text("host") := "on the host network"

kind_text("external") := "outside the cluster"

kind_text("node-local") := "the node itself"

kind_text("pod") := "a pod"

all_atoms(flow) := {i | some i, _ in flow.atoms}

direction(flow, dir) := {
	"direction": dir,
	"governed": false,
	"allowed": all_atoms(flow),
	"policies": [],
	"decided_by": [],
	"summary": "",
} if {
	not governed(flow, dir)
} else := {
	"direction": dir,
	"governed": true,
	"allowed": all_atoms(flow),
	"policies": [],
	"decided_by": [],
	"summary": sprintf("%s at %s: no NetworkPolicy isolates it", [dir, subject(flow, dir).role]),
} if {
	count(k8s.isolating_policies(subject(flow, dir), dir)) == 0
} else := result if {
	isolating := k8s.isolating_policies(subject(flow, dir), dir)
	matches := {[i, k8s.policy_name(p), p.at, rule.loc] |
		some p in isolating
		some rule in k8s.rules_of(p, dir)
		some i, atom in flow.atoms
		k8s.rule_allows(rule, p, dir, flow, atom)
	}
	allowed := {m[0] | some m in matches}
	allowing := {[m[1], m[2], m[3]] | some m in matches}
	result := {
		"direction": dir,
		"governed": true,
		"allowed": allowed,
		"policies": [{"name": k8s.policy_name(p), "loc": p.loc, "at": p.at} | some p in isolating],
		"decided_by": decided_by(dir, allowed, flow, isolating, allowing),
		"summary": summary(dir, flow, allowed, isolating, allowing),
	}
}

# Allowed atoms are decided by the rules that allow them; blocked ones by the isolating policies.
decided_by(dir, allowed, flow, isolating, allowing) := array.concat(
	[{"policy": a[0], "direction": dir, "effect": "allow", "loc": a[2]} |
		some a in allowing
	],
	[{"policy": k8s.policy_name(p), "direction": dir, "effect": "isolate", "loc": p.loc} |
		count(allowed) < count(flow.atoms)
		some p in isolating
	],
)

summary(dir, flow, allowed, isolating, _) := sprintf("%s at %s: isolated by %s, and no rule allows it", [
	dir, subject(flow, dir).role, names(isolating),
]) if {
	count(allowed) == 0
}

summary(dir, flow, allowed, _, allowing) := sprintf("%s at %s: allowed by %s", [
	dir, subject(flow, dir).role, rule_names(allowing),
]) if {
	count(allowed) == count(flow.atoms)
}

summary(dir, flow, allowed, isolating, allowing) := sprintf(
	"%s at %s: isolated by %s; rules of %s allow only part of it",
	[dir, subject(flow, dir).role, names(isolating), rule_names(allowing)],
) if {
	count(allowed) > 0
	count(allowed) < count(flow.atoms)
}

names(policies) := concat(", ", [sprintf("%s (%s)", [k8s.policy_name(p), p.at]) | some p in policies])

rule_names(allowing) := concat(", ", {sprintf("%s (%s)", [a[0], a[1]]) | some a in allowing})

# "TCP 2049 to 10.0.1.0/29", for messages about the parts of a flow that are blocked.
describe_atom(atom) := concat("", [
	atom.protocol, " ", port_text(atom),
	from_text(atom), to_text(atom),
])

port_text(atom) := sprintf("%d", [atom.port]) if atom.port == atom.port_end

port_text(atom) := sprintf("%d-%d", [atom.port, atom.port_end]) if atom.port != atom.port_end

from_text(atom) := sprintf(" from %s", [atom.src_range]) if atom.src_range

from_text(atom) := "" if not atom.src_range

to_text(atom) := sprintf(" to %s", [atom.dst_range]) if atom.dst_range

to_text(atom) := "" if not atom.dst_range
