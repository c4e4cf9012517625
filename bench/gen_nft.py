#!/usr/bin/env python3
"""Generates an `nft -j list ruleset` JSON document with N rules (deterministic), as nft prints
it: one line. An inet filter table whose input chain (policy drop) accepts established traffic
first, then many `ip saddr PREFIX tcp dport PORT accept` rules with varied prefixes and ports,
some IPv6 rules, rules over a named set and anonymous port sets, and jumps into user chains that
end with `return`; an output chain (policy accept) takes a few rules.

usage: gen_nft.py N OUT [--pretty]"""
import json
import random
import sys

if len(sys.argv) < 3:
    sys.exit(__doc__)
n = int(sys.argv[1])
out_path = sys.argv[2]
pretty = "--pretty" in sys.argv[3:]
rng = random.Random(20240503)

FAMILY, TABLE = "inet", "filter"
PORTS = [22, 53, 80, 111, 443, 635, 2049, 3260, 4420, 4433, 6443, 8001, 8088, 8443, 9090,
         9800, 9808, 10250, 17546, 34571]
USER_CHAINS = 20

objects = [
    {"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}},
    {"table": {"family": FAMILY, "name": TABLE, "handle": 1}},
]
handle = 1


def next_handle():
    global handle
    handle += 1
    return handle


def match(protocol, field, right, op="=="):
    return {"match": {"op": op, "left": {"payload": {"protocol": protocol, "field": field}},
                      "right": right}}


def prefix(addr, length):
    return {"prefix": {"addr": addr, "len": length}}


def rand_v4_prefix():
    length = rng.choice([8, 16, 20, 24, 24, 24, 26, 28, 32])
    value = rng.getrandbits(32) & ~((1 << (32 - length)) - 1) & 0xFFFFFFFF
    addr = ".".join(str((value >> s) & 255) for s in (24, 16, 8, 0))
    return addr if length == 32 else prefix(addr, length)


def rand_v6_prefix():
    length = rng.choice([48, 56, 64, 64, 128])
    groups = [0xfd00 | rng.randrange(256)] + [rng.randrange(65536) for _ in range(3)]
    addr = ":".join(f"{g:x}" for g in groups) + "::"
    if length == 128:
        return addr + "1"
    return prefix(addr, 64 if length > 64 else length)


objects.append({"set": {
    "family": FAMILY, "name": "storage_nets", "table": TABLE, "type": "ipv4_addr",
    "handle": next_handle(), "flags": ["interval"],
    "elem": [prefix("192.168.129.0", 27), prefix("10.30.2.0", 28), "192.168.128.10",
             {"range": ["10.30.1.10", "10.30.1.20"]}]}})
objects.append({"set": {
    "family": FAMILY, "name": "controller_hosts", "table": TABLE, "type": "ipv4_addr",
    "handle": next_handle(), "elem": ["192.168.100.10", "192.168.100.11", "192.168.100.12"]}})

chains = [
    {"name": "input", "type": "filter", "hook": "input", "prio": 0, "policy": "drop"},
    {"name": "output", "type": "filter", "hook": "output", "prio": 0, "policy": "accept"},
] + [{"name": f"svc_{i}"} for i in range(USER_CHAINS)]
for c in chains:
    objects.append({"chain": {"family": FAMILY, "table": TABLE, "handle": next_handle(), **c}})


def rule(chain, expr, comment=None):
    body = {"family": FAMILY, "table": TABLE, "chain": chain, "handle": next_handle(),
            "expr": expr}
    if comment:
        body["comment"] = comment
    return {"rule": body}


def random_rule(chain):
    kind = rng.random()
    if kind < 0.70:
        expr = [match("ip", "saddr", rand_v4_prefix()),
                match(rng.choice(["tcp", "tcp", "udp"]), "dport", rng.choice(PORTS))]
    elif kind < 0.80:
        expr = [match("ip6", "saddr", rand_v6_prefix()), match("tcp", "dport", rng.choice(PORTS))]
    elif kind < 0.88:
        ports = sorted(rng.sample(PORTS, 3))
        expr = [match("ip", "saddr", "@storage_nets"), match("tcp", "dport", {"set": ports})]
    elif kind < 0.94:
        lo = rng.randrange(1024, 60000)
        expr = [match("ip", "daddr", rand_v4_prefix()),
                match("tcp", "dport", {"range": [lo, lo + rng.randrange(1, 500)]})]
    else:
        expr = [match("ip", "saddr", rand_v4_prefix()), match("tcp", "dport", rng.choice(PORTS)),
                {"counter": {"packets": rng.randrange(100000), "bytes": rng.randrange(10**8)}}]
    verdict = rng.random()
    if verdict < 0.85:
        expr.append({"accept": None})
    elif verdict < 0.95:
        expr.append({"drop": None})
    else:
        expr.append({"reject": {"type": "tcp reset"}} if expr[1]["match"]["left"]["payload"]
                    ["protocol"] == "tcp" else {"reject": None})
    return rule(chain, expr)


rules = [
    rule("input", [{"match": {"op": "in", "left": {"ct": {"key": "state"}},
                              "right": ["established", "related"]}}, {"accept": None}]),
    rule("input", [{"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": "invalid"}},
                   {"drop": None}]),
    rule("input", [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "lo"}},
                   {"accept": None}]),
]
# One rule in 50 is in the output chain, one in 20 in a user chain; the input chain jumps to
# each user chain once, early enough for the user chains to be reached.
user_rules = {i: [] for i in range(USER_CHAINS)}
output_rules = []
remaining = max(n - len(rules) - USER_CHAINS - USER_CHAINS, 0)
for i in range(remaining):
    r = rng.random()
    if r < 0.02:
        output_rules.append(random_rule("output"))
    elif r < 0.07:
        c = rng.randrange(USER_CHAINS)
        user_rules[c].append(random_rule(f"svc_{c}"))
    else:
        rules.append(random_rule("input"))
        if len(rules) % 400 == 0 and len(rules) // 400 <= USER_CHAINS:
            c = len(rules) // 400 - 1
            rules.append(rule("input", [match("tcp", "dport", {"range": [30000 + c * 100,
                                                                          30099 + c * 100]}),
                                        {"jump": {"target": f"svc_{c}"}}],
                              comment=f"service group {c}"))
jumped = {r["rule"]["expr"][-1].get("jump", {}).get("target") for r in rules}
for c in range(USER_CHAINS):
    if f"svc_{c}" not in jumped:
        rules.append(rule("input", [match("tcp", "dport", 30000 + c),
                                    {"jump": {"target": f"svc_{c}"}}]))
for c in range(USER_CHAINS):
    user_rules[c].append(rule(f"svc_{c}", [{"return": None}]))
objects.extend(rules)
objects.extend(output_rules)
for c in range(USER_CHAINS):
    objects.extend(user_rules[c])

doc = {"nftables": objects}
with open(out_path, "w") as f:
    if pretty:
        json.dump(doc, f, indent=2)
        f.write("\n")
    else:
        json.dump(doc, f)
        f.write("\n")
count = sum(1 for o in objects if "rule" in o)
print(f"{out_path}: {count} rules", file=sys.stderr)
