//! The drivers' communication matrices: data files in `policies/matrix/<driver>/data.yaml`,
//! embedded at build time, and their renderings (table, Markdown, JSON, CSV).

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
    let (docs, err) = yaml::parse_stream(name, text, &Limits::default());
    if let Some(e) = err {
        return Err(format!("{}: {}", e.loc, e.message));
    }
    let doc = docs
        .into_iter()
        .next()
        .ok_or_else(|| format!("{name}: empty matrix file"))?;
    let matrix: Matrix = serde_json::from_value(doc.root.to_json())
        .map_err(|e| format!("{name}: invalid matrix: {e}"))?;
    validate(&matrix).map_err(|e| format!("{name}: {e}"))?;
    Ok(matrix)
}

fn validate(m: &Matrix) -> Result<(), String> {
    let mut ids = std::collections::BTreeSet::new();
    for f in &m.flows {
        if !ids.insert(&f.id) {
            return Err(format!("duplicate flow id `{}`", f.id));
        }
        for role in [&f.from, &f.to] {
            if !m.components.contains_key(role) && !EXTERNAL_ROLES.contains(&role.as_str()) {
                return Err(format!("flow `{}` names unknown role `{role}`", f.id));
            }
        }
        for w in &f.when {
            if !m.features.contains_key(w) {
                return Err(format!("flow `{}` names unknown feature `{w}`", f.id));
            }
        }
        if let Some(k) = &f.port_key {
            if !m.ports.contains_key(k) {
                return Err(format!("flow `{}` names unknown port key `{k}`", f.id));
            }
        }
        if f.ports.is_empty() && f.port_key.is_none() {
            return Err(format!("flow `{}` has no ports", f.id));
        }
        for p in &f.ports {
            match p.range() {
                Some((a, b)) if a >= 1 && a <= b => {}
                _ => return Err(format!("flow `{}` has an invalid port {p:?}", f.id)),
            }
        }
        for proto in f.protocols() {
            if !matches!(proto.as_str(), "TCP" | "UDP" | "SCTP") {
                return Err(format!("flow `{}` has unknown protocol `{proto}`", f.id));
            }
        }
        if !matches!(f.status.as_str(), "current" | "stale" | "local-only") {
            return Err(format!("flow `{}` has unknown status `{}`", f.id, f.status));
        }
    }
    Ok(())
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
