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
	count(points(flow)) == 0
} else := v if {
	parts := array.concat([combined(flow, "egress"), combined(flow, "ingress")], points(flow))
	ok := intersection({d.allowed | some d in parts})
	failing := [d | some d in parts; d.governed; count(d.allowed) < count(flow.atoms)]
	notes := object.get(flow, ["layers", "notes"], [])
	status := status_of(count(ok), count(flow.atoms))
	v := {
		"id": flow.id,
		"status": with_notes(status, notes),
		"reason": concat("; ", array.concat(
			[d.summary | some d in parts; d.governed],
			[sprintf("not modelled: %s", [n.message]) | some n in notes],
		)),
		"decided_by": [x | some d in parts; some x in d.decided_by],
		"failing": failing,
		"blocked_atoms": [atom | some i, atom in flow.atoms; not i in ok],
		"notes": notes,
	}
}

# A verdict that rests on something portmatrix does not model is partial, never a guess.
with_notes(status, notes) := "partial" if {
	count(notes) > 0
	status in {"allowed", "blocked"}
} else := status

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
	"neither end is a pod-network pod (%s is %s, %s is %s), and none of the host firewalls or host policies given (%s) applies to its hosts (their files describe other hosts, see `hosts:` in the profile, or they filter only the other direction)",
	[flow.from.role, kind_text(flow.from.kind), flow.to.role, kind_text(flow.to.kind), concat(", ", input.layer_facts.host_formats)],
) if {
	count(object.get(input, ["layer_facts", "host_formats"], [])) > 0
} else := sprintf(
	"neither end is a pod-network pod (%s is %s, %s is %s): NetworkPolicy cannot enforce this flow; only a host firewall, Calico HostEndpoint or Cilium host policy can",
	[flow.from.role, kind_text(flow.from.kind), flow.to.role, kind_text(flow.to.kind)],
)

kind_text("host") := "on the host network"

kind_text("external") := "outside the cluster"

kind_text("node-local") := "the node itself"

kind_text("pod") := "a pod"

all_atoms(flow) := {i | some i, _ in flow.atoms}

# ---------------------------------------------------------------------------------------------
# Pod-network directions: NetworkPolicy combined with AdminNetworkPolicy, Calico and Cilium.
# The layers' decisions come precomputed per atom (input.flows[_].layers, see
# docs/input-schema.md); the precedence is decided here:
#   1. `pre`: AdminNetworkPolicy, Calico tiers (and default-tier policies ordered before
#      NetworkPolicy's 1000), Cilium deny rules: final.
#   2. NetworkPolicy allows, Cilium allows and later Calico default-tier allows add up; if any of
#      them allows the atom, it is allowed.
#   3. `post`: Calico default-tier denies ordered after NetworkPolicy.
#   4. If NetworkPolicy, Cilium or the Calico default tier isolates the pod: denied.
#   5. `baseline`: BaselineAdminNetworkPolicy; else allowed.
# ---------------------------------------------------------------------------------------------

combined(flow, dir) := direction(flow, dir) if {
	not flow.layers[dir]
} else := result if {
	l := flow.layers[dir]
	np := direction(flow, dir)
	np_isolated := count(np.policies) > 0
	atoms := all_atoms(flow)
	pre_allow := {i | some d in l.pre; d.effect == "allow"; some i in d.atoms}
	pre := {i | some d in l.pre; some i in d.atoms}
	np_allow := np_allowed(np, np_isolated)
	mid_allow := np_allow | {i | some d in l.allow; some i in d.atoms}
	post_deny := {i | some d in l.post; some i in d.atoms}
	isolated := any_true([np_isolated, l.isolated])
	base_deny := {i | some d in l.baseline; d.effect == "deny"; some i in d.atoms}
	rest := {i | some i in atoms; not i in pre; not i in mid_allow; not i in post_deny}
	tail := tail_allowed(rest, base_deny, isolated)
	allowed := (pre_allow | ((mid_allow - pre) | tail)) & atoms
	deciders := [d |
		some d in array.concat(array.concat(l.pre, l.allow), array.concat(l.post, l.baseline))
	]
	blocked_isolation := [d | some d in l.isolated_by; some i in d.atoms; not i in allowed]
	result := {
		"direction": dir,
		"governed": true,
		"layer": "pod-policy",
		"allowed": allowed,
		"policies": array.concat(np.policies, [{"name": d.policy, "loc": d.loc, "at": d.at} |
			some d in array.concat(deciders, blocked_isolation)
			d.effect != "allow"
		]),
		"decided_by": array.concat(np.decided_by, [layer_decision(d, dir) |
			some d in array.concat(deciders, blocked_isolation)
		]),
		"summary": layered_summary(dir, flow, allowed, np, array.concat(deciders, blocked_isolation)),
	}
}

np_allowed(np, true) := np.allowed

np_allowed(_, false) := set()

any_true(xs) if true in xs

any_true(xs) := false if not true in xs

# Atoms no earlier step decided: allowed unless something isolates the pod or the baseline
# denies them.
tail_allowed(rest, base_deny, false) := rest - base_deny

tail_allowed(_, _, true) := set()

layer_decision(d, dir) := {"policy": d.policy, "direction": dir, "effect": d.effect, "loc": d.loc, "layer": d.layer}

# NetworkPolicy's own summary when it isolates the pod, then what the other layers decided.
layered_summary(dir, flow, allowed, np, deciders) := concat("; ", array.concat(
	[np.summary | count(np.policies) > 0],
	[sprintf("%s at %s: %s (%s)", [
		dir, subject(flow, dir).role, state_text(count(allowed), count(flow.atoms)),
		concat(", ", [sprintf("%s %s by %s (%s)", [d.layer, effect_text(d.effect), d.policy, d.at]) | some d in deciders]),
	]) |
		count(deciders) > 0
	],
))

state_text(k, n) := "allowed" if {
	k == n
} else := "blocked" if {
	k == 0
} else := "partly allowed"

effect_text("allow") := "allowed"

effect_text("deny") := "denied"

effect_text("isolate") := "isolated"

# ---------------------------------------------------------------------------------------------
# Host enforcement points (host firewalls, Calico HostEndpoints, Cilium host policies): each
# must allow.
# ---------------------------------------------------------------------------------------------

points(flow) := [point_result(flow, p) | some p in object.get(flow, ["layers", "points"], [])]

point_result(flow, p) := {
	"direction": p.direction,
	"governed": true,
	"layer": p.layer,
	"allowed": {i | some i in p.allowed},
	"policies": [{"name": d.policy, "loc": d.loc, "at": d.at} | some d in p.decided_by; d.effect != "allow"],
	"decided_by": [layer_decision(d, p.direction) | some d in p.decided_by],
	"summary": sprintf("%s %s (%s at %s): %s: %s", [
		p.layer, p.name, p.direction, point_role(flow, p.direction),
		state_text(count(p.allowed), count(flow.atoms)),
		point_why(p),
	]),
}

point_why(p) := p.reason if p.reason

point_why(p) := concat(", ", {sprintf("%s (%s)", [rule_text(d), d.at]) | some d in p.decided_by}) if not p.reason

point_role(flow, "egress") := flow.from.role

point_role(flow, "ingress") := flow.to.role

point_role(flow, "forward") := sprintf("%s's node", [flow.to.role])

rule_text(d) := d.text if d.text

rule_text(d) := d.policy if not d.text

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
