#!/usr/bin/env python3
"""Generates a cluster dump with N NetworkPolicies spread over namespaces, plus Trident's own
policies, as one multi-document YAML stream on stdout.

usage: gen_cluster.py N [NAMESPACES]"""
import random
import sys

n = int(sys.argv[1])
namespaces = int(sys.argv[2]) if len(sys.argv) > 2 else 300
rng = random.Random(42)
out = sys.stdout
for i in range(namespaces):
    out.write(f"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-{i}\n  labels:\n    team: t{i % 17}\n")
trident = """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: trident
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: controller
  namespace: trident
spec:
  podSelector:
    matchLabels: {app: controller.csi.trident.netapp.io}
  ingress:
    - from: [{ipBlock: {cidr: 192.168.10.0/24}}]
      ports: [{port: 8443}]
  egress:
    - to: [{ipBlock: {cidr: 10.0.0.10/32}}]
      ports: [{port: 443}]
"""
out.write(trident)
for i in range(n):
    ns = f"team-{rng.randrange(namespaces)}"
    app = f"app-{rng.randrange(50)}"
    port = rng.choice([80, 443, 5432, 6379, 8080, 9090])
    cidr = f"10.{rng.randrange(256)}.{rng.randrange(256)}.0/24"
    out.write(f"""---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: policy-{i}
  namespace: {ns}
spec:
  podSelector:
    matchLabels:
      app: {app}
    matchExpressions:
      - {{key: tier, operator: In, values: [web, api]}}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels: {{team: t{rng.randrange(17)}}}
          podSelector:
            matchLabels: {{role: client}}
        - ipBlock:
            cidr: {cidr}
            except: [{cidr.rsplit('.', 1)[0]}.128/25]
      ports:
        - {{protocol: TCP, port: {port}}}
        - {{protocol: TCP, port: 30000, endPort: 32767}}
  egress:
    - to:
        - podSelector: {{matchLabels: {{app: db}}}}
      ports:
        - {{port: 5432}}
""")
