//! The one normalized form every input adapter produces. Serialized as-is into the Rego input
//! document, so field names here are the policy authors' API (see `docs/input-schema.md`).
//!
//! Optional fields are left out when absent (never `null`), because Rego treats a present
//! `null` as a value.

use crate::source::Loc;
use serde::Serialize;
use std::collections::BTreeMap;

pub type Labels = BTreeMap<String, String>;

/// A Kubernetes label selector (`metav1.LabelSelector`).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Selector {
    pub match_labels: Labels,
    pub match_expressions: Vec<Requirement>,
    pub loc: Loc,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Requirement {
    pub key: String,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    pub operator: String,
    pub values: Vec<String>,
}

/// A networking.k8s.io/v1 NetworkPolicy, with defaults applied (`policy_types`).
#[derive(Debug, Clone, Serialize)]
pub struct NetworkPolicy {
    pub kind: String,
    pub name: String,
    pub namespace: String,
    /// The object as a whole (its `metadata.name` line).
    pub loc: Loc,
    /// `file:line` of `loc`, for messages.
    pub at: String,
    pub pod_selector: Selector,
    /// `Ingress`, `Egress`: as written, or defaulted as the API server does.
    pub policy_types: Vec<String>,
    pub ingress: Vec<PolicyRule>,
    pub egress: Vec<PolicyRule>,
    /// Suppressions from the `portmatrix.io/ignore` annotation, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore: Option<String>,
    /// The whole object, from its first key to its last value (not in the input document).
    #[serde(skip)]
    pub span: Loc,
}

/// A `portmatrix.io/ignore` annotation. Kept apart from its policy, because findings about a
/// policy the API server rejects (which leaves the model) can be suppressed too.
#[derive(Debug, Clone)]
pub struct IgnoreAnnotation {
    /// `namespace/name` of the object.
    pub object: String,
    /// The annotation's value: `"PM101,PM203 reason text"`.
    pub text: String,
    /// Where the value is written.
    pub loc: Loc,
    /// The whole object: the annotation applies to findings located inside it.
    pub span: Loc,
}

/// One ingress or egress rule. `peers` and `ports` are absent when the rule does not restrict them
/// (an absent or empty `from`/`to`/`ports` list matches everything).
#[derive(Debug, Clone, Serialize)]
pub struct PolicyRule {
    pub loc: Loc,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peers: Option<Vec<Peer>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<PortSpec>>,
}

/// A `from`/`to` entry. Selectors present together are ANDed.
#[derive(Debug, Clone, Serialize)]
pub struct Peer {
    pub loc: Loc,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_selector: Option<Selector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<Selector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_block: Option<IpBlock>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IpBlock {
    pub cidr: String,
    pub cidr_loc: Loc,
    pub except: Vec<Except>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Except {
    pub cidr: String,
    pub loc: Loc,
}

/// A port entry. `port` is a number or a named port; absent means every port of the protocol.
#[derive(Debug, Clone, Serialize)]
pub struct PortSpec {
    pub loc: Loc,
    /// `TCP`, `UDP` or `SCTP` (defaulted to `TCP`).
    pub protocol: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<PortValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_loc: Option<Loc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_port: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_port_loc: Option<Loc>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum PortValue {
    Number(i64),
    Name(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct Namespace {
    pub name: String,
    /// Including the implied `kubernetes.io/metadata.name`.
    pub labels: Labels,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loc: Option<Loc>,
}

/// A pod template (from a Deployment, DaemonSet, StatefulSet, ...) or a bare Pod.
#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub labels: Labels,
    pub host_network: bool,
    pub container_ports: Vec<ContainerPort>,
    pub loc: Loc,
    /// `spec.dnsPolicy` as written (absent: `ClusterFirst`).
    #[serde(skip)]
    pub dns_policy: Option<String>,
    /// The containers (and init containers), with what they say about their ports.
    #[serde(skip)]
    pub containers: Vec<Container>,
}

/// One container of a pod template: its argv, environment, ports and probes, each located.
#[derive(Debug, Clone, Default)]
pub struct Container {
    pub name: String,
    pub init: bool,
    /// `command` then `args`, as written (before `$(VAR)` expansion).
    pub argv: Vec<Arg>,
    /// Whether `command` or `args` is written at all. When neither is, the image's own
    /// entrypoint and arguments run, which the manifest does not show.
    pub argv_written: bool,
    pub env: Vec<EnvVar>,
    /// `envFrom` is set: variables may come from a ConfigMap or Secret the input does not show.
    pub env_from: bool,
    pub ports: Vec<DeclaredPort>,
    pub probes: Vec<Probe>,
}

#[derive(Debug, Clone)]
pub struct Arg {
    pub text: String,
    pub loc: Loc,
}

/// An `env` entry. `value` is `None` for `valueFrom` (a field, ConfigMap or Secret reference).
#[derive(Debug, Clone)]
pub struct EnvVar {
    pub name: String,
    pub value: Option<String>,
    pub loc: Loc,
}

/// A `containerPort` with where it is written.
#[derive(Debug, Clone)]
pub struct DeclaredPort {
    pub name: Option<String>,
    pub port: i64,
    pub protocol: String,
    pub loc: Loc,
}

/// The port a `livenessProbe`, `readinessProbe` or `startupProbe` checks.
#[derive(Debug, Clone)]
pub struct Probe {
    /// `liveness`, `readiness` or `startup`.
    pub kind: String,
    pub port: PortValue,
    pub loc: Loc,
}

/// A v1 Service: which pods it selects and where its ports lead.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub namespace: String,
    pub selector: Labels,
    pub ports: Vec<ServicePort>,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct ServicePort {
    pub name: Option<String>,
    pub port: i64,
    pub protocol: String,
    /// `targetPort` (absent: the same as `port`).
    pub target_port: Option<PortValue>,
    /// Where `targetPort` is written, else the port entry.
    pub loc: Loc,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ContainerPort {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub port: i64,
    pub protocol: String,
}

/// An object of a policy kind that portmatrix does not analyse yet.
#[derive(Debug, Clone, Serialize)]
pub struct Unsupported {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub loc: Loc,
}

/// Everything the adapters read from the user's files.
#[derive(Debug, Default)]
pub struct Model {
    pub network_policies: Vec<NetworkPolicy>,
    pub namespaces: Vec<Namespace>,
    pub workloads: Vec<Workload>,
    pub services: Vec<Service>,
    pub unsupported: Vec<Unsupported>,
    /// Policies read, checked and then dropped because no flow can reach their namespace.
    pub omitted_policies: usize,
    /// Policies with values the API server rejects (reported, and left out of the verdicts).
    pub rejected_policies: usize,
    pub ignore_annotations: Vec<IgnoreAnnotation>,
    /// Calico, Cilium, AdminNetworkPolicy objects and host firewalls.
    pub layers: crate::layers::Layers,
}

impl Model {
    pub fn extend(&mut self, other: Model) {
        self.network_policies.extend(other.network_policies);
        self.namespaces.extend(other.namespaces);
        self.workloads.extend(other.workloads);
        self.services.extend(other.services);
        self.unsupported.extend(other.unsupported);
        self.omitted_policies += other.omitted_policies;
        self.rejected_policies += other.rejected_policies;
        self.ignore_annotations.extend(other.ignore_annotations);
        self.layers.extend(other.layers);
    }
}
