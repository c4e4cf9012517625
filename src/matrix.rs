//! The drivers' communication matrices: data files in `policies/matrix/<driver>/data.yaml`,
//! embedded at build time, and their renderings (table, Markdown, JSON, CSV).

use crate::finding::Finding;
use crate::source::Loc;
use crate::yaml::{self, Limits};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matrix {
    pub driver: String,
    pub title: String,
    /// The namespace the chart installs into (defaults to the driver's name).
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub sources: BTreeMap<String, SourceRef>,
    #[serde(default)]
    pub features: BTreeMap<String, Feature>,
    #[serde(default)]
    pub ports: BTreeMap<String, ConfigurablePort>,
    #[serde(default)]
    pub components: BTreeMap<String, Component>,
    pub flows: Vec<Flow>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceRef {
    pub title: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Feature {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub default: bool,
    /// Read the switch from a boolean flag of a component's container, when the input shows it.
    #[serde(default)]
    pub detect: Option<FlagRef>,
    /// The chart turns this feature off when any of these is on (unless the profile or the
    /// workload says otherwise): Trident's `--metrics` gives way to `--https_metrics`.
    #[serde(default)]
    pub off_with: Vec<String>,
}

/// A boolean flag of one container of a component's workload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FlagRef {
    pub component: String,
    pub container: String,
    pub flag: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConfigurablePort {
    pub default: u16,
    #[serde(default)]
    pub configurable: bool,
    #[serde(default)]
    pub how: Option<String>,
    #[serde(default)]
    pub source: Option<Citation>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub sources: Vec<Citation>,
    /// Where a component's workload sets the port, strongest first.
    #[serde(default)]
    pub set_by: Option<SetBy>,
}

/// The places in one component's workload that set a configurable port.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetBy {
    pub component: String,
    pub sources: Vec<PortSourceSpec>,
}

/// One place that sets a port: a flag in a container's `command`/`args`, a `containerPort`, a
/// probe's port, or a Service port's `targetPort`. Exactly one of `arg`, `container_port`,
/// `probe` and `service` is set (the schema checks it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PortSourceSpec {
    #[serde(default)]
    pub container: Option<String>,
    /// A flag, such as `--web-hook-port` (one or two dashes match either).
    #[serde(default)]
    pub arg: Option<String>,
    /// `port` (the flag's value is the port) or `address` (`host:port`).
    #[serde(default)]
    pub value: Option<String>,
    /// The port the program listens on when its container runs without the flag.
    #[serde(default)]
    pub flag_default: Option<u16>,
    /// A container port by name, or by its index in the container's `ports`.
    #[serde(default)]
    pub container_port: Option<ContainerPortRef>,
    /// `liveness`, `readiness` or `startup`.
    #[serde(default)]
    pub probe: Option<String>,
    /// A Service (in the component's namespace) whose port `service_port` targets the port.
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub service_port: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ContainerPortRef {
    Index(usize),
    Name(String),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Citation {
    #[serde(rename = "ref")]
    pub reference: String,
    pub kind: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Component {
    #[serde(default)]
    pub description: String,
    pub workload: WorkloadRef,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub host_network: bool,
    #[serde(default)]
    pub dns_policy: Option<String>,
    #[serde(default)]
    pub container_ports: Vec<NamedPort>,
    #[serde(default)]
    pub services: Vec<Service>,
    #[serde(default)]
    pub source: Option<Citation>,
    #[serde(default)]
    pub sources: Vec<Citation>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkloadRef {
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NamedPort {
    #[serde(default)]
    pub name: Option<String>,
    pub port: u16,
    #[serde(default = "tcp")]
    pub protocol: String,
}

fn tcp() -> String {
    "TCP".to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    pub ports: Vec<ServicePort>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServicePort {
    #[serde(default)]
    pub name: Option<String>,
    pub port: u16,
    pub target_port: u16,
    #[serde(default = "tcp")]
    pub protocol: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flow {
    pub id: String,
    pub from: String,
    pub to: String,
    pub protocol: String,
    #[serde(default)]
    pub ports: Vec<PortEntry>,
    #[serde(default)]
    pub port_key: Option<String>,
    #[serde(default)]
    pub service: Option<ServiceRef>,
    pub purpose: String,
    #[serde(default)]
    pub when: Vec<String>,
    #[serde(default)]
    pub plane: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub authentication: Option<String>,
    #[serde(default)]
    pub encryption: Option<String>,
    #[serde(default)]
    pub security_note: Option<String>,
    #[serde(default = "current")]
    pub status: String,
    #[serde(default)]
    pub source_ports: Option<String>,
    #[serde(default)]
    pub sources: Vec<Citation>,
    #[serde(default)]
    pub note: Option<String>,
}

fn current() -> String {
    "current".to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceRef {
    pub name: String,
    pub port: u16,
}

/// A port as written in the data: a number or `"low-high"`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum PortEntry {
    Number(u16),
    Range(String),
}

impl PortEntry {
    pub fn range(&self) -> Option<(u16, u16)> {
        match self {
            PortEntry::Number(p) => Some((*p, *p)),
            PortEntry::Range(s) => {
                let (a, b) = s.split_once('-')?;
                Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
            }
        }
    }
}

/// The roles a flow may name that are not components of the driver.
pub const EXTERNAL_ROLES: &[&str] = &[
    "kubelet",
    "apiserver",
    "cluster-dns",
    "prometheus",
    "storage-management",
    "storage-data",
    "directory-servers",
    "nodes",
];

impl Flow {
    /// The protocols this flow uses (`TCP/UDP` is both).
    pub fn protocols(&self) -> Vec<String> {
        self.protocol
            .split('/')
            .map(|p| p.trim().to_uppercase())
            .collect()
    }

    pub fn port_ranges(&self) -> Vec<(u16, u16)> {
        self.ports.iter().filter_map(PortEntry::range).collect()
    }
}

/// The built-in matrices' sources, embedded from `policies/matrix/`.
pub const BUILTIN: &[(&str, &str)] = crate::bundle::MATRICES;

/// Parses a matrix data file (YAML or JSON) and checks it for consistency.
pub fn parse(name: &str, text: &str) -> Result<Matrix, String> {
    parse_located(name, text).map_err(|errors| {
        errors
            .iter()
            .map(|f| match &f.loc {
                Some(loc) => format!("{loc}: {}", f.message),
                None => format!("{name}: {}", f.message),
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Parses a matrix file; every problem is an input error located at the node it is about:
/// syntax, the JSON Schema (`policies/matrix/schema.json`), then consistency (unknown roles,
/// features and port keys, duplicate ids, bad port ranges).
pub fn parse_located(name: &str, text: &str) -> Result<Matrix, Vec<Finding>> {
    let error = |message: String, help: &str, loc: Loc| Finding::input_error(message, help, loc);
    let (docs, err) = yaml::parse_stream(name, text, &Limits::default());
    if let Some(e) = err {
        return Err(vec![error(e.message, "fix the matrix's syntax", e.loc)]);
    }
    let Some(doc) = docs.into_iter().next() else {
        return Err(vec![error(
            "empty matrix file".to_string(),
            "see policies/matrix/SCHEMA.md",
            Loc::file_start(name),
        )]);
    };
    let root = doc.root;
    let schema =
        crate::schema::matrix_schema().map_err(|e| vec![error(e, "", Loc::file_start(name))])?;
    let violations = crate::schema::validate(&schema, &root);
    if !violations.is_empty() {
        return Err(violations
            .into_iter()
            .map(|v| {
                let help = if v.help.is_empty() {
                    "see `portmatrix schema matrix` and policies/matrix/SCHEMA.md".to_string()
                } else {
                    v.help
                };
                error(format!("invalid matrix: {}", v.message), &help, v.loc)
            })
            .collect());
    }
    // The schema accepted it, so this only fails where the schema is looser than the types.
    let matrix: Matrix = serde_json::from_value(root.to_json()).map_err(|e| {
        vec![error(
            format!("invalid matrix: {e}"),
            "see policies/matrix/SCHEMA.md",
            root.loc.clone(),
        )]
    })?;
    let references = validate_references(&matrix);
    if !references.is_empty() {
        return Err(references
            .into_iter()
            .map(|(path, message)| {
                let node = path
                    .iter()
                    .try_fold(&root, |n, k| n.get(k))
                    .unwrap_or(&root);
                error(
                    message,
                    "name a key of `components` or `features`",
                    node.loc.clone(),
                )
            })
            .collect());
    }
    validate(&matrix).map_err(|problems| {
        problems
            .into_iter()
            .map(|p| {
                let flow = root
                    .get("flows")
                    .and_then(|f| f.as_seq())
                    .and_then(|items| items.get(p.flow));
                let node = flow.and_then(|f| f.get(p.field)).or(flow).unwrap_or(&root);
                error(p.message, p.help, node.loc.clone())
            })
            .collect::<Vec<_>>()
    })?;
    Ok(matrix)
}

/// An inconsistency in a matrix's flow: the flow's index and the field at fault.
struct Problem {
    flow: usize,
    field: &'static str,
    message: String,
    help: &'static str,
}

fn validate(m: &Matrix) -> Result<(), Vec<Problem>> {
    let mut out = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    let roles: Vec<&str> = m
        .components
        .keys()
        .map(String::as_str)
        .chain(EXTERNAL_ROLES.iter().copied())
        .collect();
    for (i, f) in m.flows.iter().enumerate() {
        let mut problem = |field, message: String, help| {
            out.push(Problem {
                flow: i,
                field,
                message,
                help,
            })
        };
        if !ids.insert(&f.id) {
            problem(
                "id",
                format!("duplicate flow id `{}`", f.id),
                "give every flow its own id",
            );
        }
        for (field, role) in [("from", &f.from), ("to", &f.to)] {
            if !roles.contains(&role.as_str()) {
                problem(
                    field,
                    format!("flow `{}` names unknown role `{role}`", f.id),
                    "name a key of `components` or an external role (see policies/matrix/SCHEMA.md)",
                );
            }
        }
        for w in &f.when {
            if !m.features.contains_key(w) {
                problem(
                    "when",
                    format!("flow `{}` names unknown feature `{w}`", f.id),
                    "declare it under `features`",
                );
            }
        }
        if let Some(k) = &f.port_key {
            if !m.ports.contains_key(k) {
                problem(
                    "port_key",
                    format!("flow `{}` names unknown port key `{k}`", f.id),
                    "declare it under `ports`",
                );
            }
        }
        if f.ports.is_empty() && f.port_key.is_none() {
            problem(
                "ports",
                format!("flow `{}` has no ports", f.id),
                "add `ports: [N]` or a `port_key`",
            );
        }
        for p in &f.ports {
            match p.range() {
                Some((a, b)) if a >= 1 && a <= b => {}
                _ => problem(
                    "ports",
                    format!("flow `{}` has an invalid port {p:?}", f.id),
                    "write a port from 1 to 65535, or a range \"low-high\"",
                ),
            }
        }
        for proto in f.protocols() {
            if !matches!(proto.as_str(), "TCP" | "UDP" | "SCTP") {
                problem(
                    "protocol",
                    format!("flow `{}` has unknown protocol `{proto}`", f.id),
                    "use TCP, UDP, SCTP or TCP/UDP",
                );
            }
        }
        if !matches!(f.status.as_str(), "current" | "stale" | "local-only") {
            problem(
                "status",
                format!("flow `{}` has unknown status `{}`", f.id, f.status),
                "use current, stale or local-only",
            );
        }
    }
    if out.is_empty() {
        Ok(())
    } else {
        Err(out)
    }
}

/// Checks the references of `ports.*.set_by` and `features.*.{detect,off_with}`; each problem
/// is `(path of the node at fault, message)`.
fn validate_references(m: &Matrix) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    let component = |c: &str| m.components.contains_key(c);
    for (key, p) in &m.ports {
        if let Some(set_by) = &p.set_by {
            if !component(&set_by.component) {
                out.push((
                    vec![
                        "ports".into(),
                        key.clone(),
                        "set_by".into(),
                        "component".into(),
                    ],
                    format!(
                        "port `{key}` is set by unknown component `{}`",
                        set_by.component
                    ),
                ));
            }
        }
    }
    for (key, f) in &m.features {
        if let Some(d) = &f.detect {
            if !component(&d.component) {
                out.push((
                    vec![
                        "features".into(),
                        key.clone(),
                        "detect".into(),
                        "component".into(),
                    ],
                    format!(
                        "feature `{key}` is detected on unknown component `{}`",
                        d.component
                    ),
                ));
            }
        }
        for other in &f.off_with {
            if !m.features.contains_key(other) || other == key {
                out.push((
                    vec!["features".into(), key.clone(), "off_with".into()],
                    format!("feature `{key}` is turned off with unknown feature `{other}`"),
                ));
            }
        }
    }
    out
}

/// Loads every built-in matrix. They are checked by tests, so failure here is a build defect.
pub fn builtin() -> Result<Vec<Matrix>, String> {
    BUILTIN
        .iter()
        .map(|(name, text)| parse(name, text))
        .collect()
}

pub fn builtin_driver(driver: &str) -> Result<Option<Matrix>, String> {
    Ok(builtin()?.into_iter().find(|m| m.driver == driver))
}

pub fn builtin_names() -> Vec<String> {
    BUILTIN
        .iter()
        .filter_map(|(path, _)| path.split('/').rev().nth(1).map(str::to_string))
        .collect()
}
