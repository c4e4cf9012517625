//! The profile: the user's deployment facts (`.portmatrix.yaml`). Every key has a default from
//! the driver's chart, so linting works without one.

use crate::finding::Finding;
use crate::matrix::Matrix;
use crate::model::Labels;
use crate::net;
use crate::source::Loc;
use crate::yaml::{self, Limits, Node, Value};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Profile {
    pub drivers: BTreeMap<String, DriverProfile>,
    pub cluster: ClusterProfile,
    /// The file it came from, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Suppressions (`ignore:`); not part of the input document.
    #[serde(skip)]
    pub ignore: Vec<IgnoreEntry>,
    /// Which host firewall files describe which hosts (`hosts:`). Empty: every host-firewall
    /// file applies to every node.
    pub hosts: Vec<HostBinding>,
}

/// One `hosts:` entry: the host-firewall files (globs over file names) that describe the hosts
/// running `roles` (component roles of the matrices, such as `controller`), and optionally those
/// hosts' addresses.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HostBinding {
    pub files: Vec<String>,
    pub roles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addresses: Option<Vec<String>>,
    pub loc: Loc,
}

/// One `ignore:` entry of the profile: findings of `rules` matching `path` and `flow` are
/// suppressed, until `expires`.
#[derive(Debug, Clone, Default)]
pub struct IgnoreEntry {
    /// Rule ids; `*` matches every rule.
    pub rules: Vec<String>,
    /// A glob over the finding's file (`*` within a path segment, `**` across segments).
    pub path: Option<String>,
    /// A glob over the finding's flow id.
    pub flow: Option<String>,
    pub reason: String,
    /// Year, month, day.
    pub expires: Option<(i32, u32, u32)>,
    /// The entry in the profile.
    pub loc: Loc,
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let mut parts = s.trim().splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DriverProfile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Feature switches: protocols listed under `protocols`, and `metrics`, `https_metrics`, ...
    pub features: BTreeMap<String, bool>,
    pub ports: BTreeMap<String, u16>,
    pub storage: StorageProfile,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct StorageProfile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub management: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterProfile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apiserver: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pods: Option<Vec<String>>,
    pub prometheus: PodRef,
    pub dns: PodRef,
}

#[derive(Debug, Clone, Serialize)]
pub struct PodRef {
    pub namespace: String,
    pub labels: Labels,
}

impl Default for ClusterProfile {
    fn default() -> Self {
        ClusterProfile {
            apiserver: None,
            nodes: None,
            pods: None,
            prometheus: PodRef {
                namespace: "monitoring".to_string(),
                labels: [(
                    "app.kubernetes.io/name".to_string(),
                    "prometheus".to_string(),
                )]
                .into(),
            },
            dns: PodRef {
                namespace: "kube-system".to_string(),
                labels: [("k8s-app".to_string(), "kube-dns".to_string())].into(),
            },
        }
    }
}

impl Profile {
    /// The matrix's defaults, then the profile's switches. The flows use
    /// `workload_settings::resolve`, which also reads the switches the workloads show.
    pub fn features(&self, matrix: &Matrix) -> BTreeMap<String, bool> {
        let mut out: BTreeMap<String, bool> = matrix
            .features
            .iter()
            .map(|(k, f)| (k.clone(), f.default))
            .collect();
        if let Some(d) = self.drivers.get(&matrix.driver) {
            for (k, v) in &d.features {
                out.insert(k.clone(), *v);
            }
        }
        out
    }

    pub fn driver(&self, driver: &str) -> DriverProfile {
        self.drivers.get(driver).cloned().unwrap_or_default()
    }
}

/// Suggests the closest of `candidates` to `word`, if one is close.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

struct Reader<'a> {
    errors: Vec<Finding>,
    matrices: &'a [Matrix],
}

impl Reader<'_> {
    fn error(&mut self, message: String, help: String, loc: &Loc) {
        self.errors
            .push(Finding::input_error(message, help, loc.clone()));
    }

    /// Checks that a mapping has only `allowed` keys; returns its entries.
    fn keys<'n>(&mut self, node: &'n Node, path: &str, allowed: &[&str]) -> &'n [(Node, Node)] {
        let Some(entries) = node.as_map() else {
            if !node.is_null() {
                self.error(
                    format!("`{path}` must be a mapping, found {}", node.type_name()),
                    format!("see the profile reference for `{path}`"),
                    &node.loc,
                );
            }
            return &[];
        };
        for (k, _) in entries {
            let key = k.as_str().unwrap_or("");
            if !allowed.contains(&key) {
                let help = match did_you_mean(key, allowed.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("`{path}` takes: {}", allowed.join(", ")),
                };
                self.error(format!("unknown key `{key}` in `{path}`"), help, &k.loc);
            }
        }
        entries
    }

    fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.error(
                    format!("`{path}` must be a string, found {}", node.type_name()),
                    String::new(),
                    &node.loc,
                );
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        let b = node.as_bool();
        if b.is_none() {
            self.error(
                format!("`{path}` must be true or false, found {}", node.type_name()),
                String::new(),
                &node.loc,
            );
        }
        b
    }

    fn cidrs(&mut self, node: &Node, path: &str) -> Option<Vec<String>> {
        let items: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Str(_) => vec![node],
            _ => {
                self.error(
                    format!(
                        "`{path}` must be a list of CIDRs, found {}",
                        node.type_name()
                    ),
                    "write addresses as a list, such as [\"10.0.0.10/32\"]".to_string(),
                    &node.loc,
                );
                return None;
            }
        };
        let mut out = Vec::new();
        for item in items {
            match item.as_str() {
                Some(s) if net::parse_cidr(s).is_some() => out.push(s.to_string()),
                _ => self.error(
                    format!("`{path}`: invalid CIDR {}", describe(item)),
                    "write an address with a prefix length, such as 10.0.0.0/24 or fd00::/64"
                        .to_string(),
                    &item.loc,
                ),
            }
        }
        Some(out)
    }

    fn string_list(&mut self, node: &Node, path: &str) -> Vec<String> {
        let items: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Str(_) => vec![node],
            _ => {
                self.error(
                    format!(
                        "`{path}` must be a list of strings, found {}",
                        node.type_name()
                    ),
                    String::new(),
                    &node.loc,
                );
                return Vec::new();
            }
        };
        items
            .into_iter()
            .filter_map(|i| self.string(i, path))
            .collect()
    }

    fn hosts(&mut self, node: &Node) -> Vec<HostBinding> {
        let Some(items) = node.as_seq() else {
            if !node.is_null() {
                self.error(
                    format!("`hosts` must be a list, found {}", node.type_name()),
                    "for example: [{files: [\"nodes/ctrl-*.rules\"], roles: [controller]}]"
                        .to_string(),
                    &node.loc,
                );
            }
            return Vec::new();
        };
        let roles: Vec<String> = self
            .matrices
            .iter()
            .flat_map(|m| m.components.keys().cloned())
            .chain(["nodes", "all", "apiserver"].map(String::from))
            .collect();
        let mut out = Vec::new();
        for item in items {
            let mut h = HostBinding {
                loc: item.loc.clone(),
                ..Default::default()
            };
            for (k, v) in self.keys(item, "hosts[]", &["files", "roles", "addresses"]) {
                match k.as_str() {
                    Some("files") => h.files = self.string_list(v, "hosts[].files"),
                    Some("roles") => {
                        h.roles = self.string_list(v, "hosts[].roles");
                        for r in &h.roles {
                            if !roles.contains(r) {
                                let help = match did_you_mean(r, roles.iter().map(String::as_str)) {
                                    Some(s) => format!("did you mean `{s}`?"),
                                    None => format!("roles: {}", roles.join(", ")),
                                };
                                self.error(
                                    format!("unknown role `{r}` in `hosts[].roles`"),
                                    help,
                                    &v.loc,
                                );
                            }
                        }
                    }
                    Some("addresses") => h.addresses = self.cidrs(v, "hosts[].addresses"),
                    _ => {}
                }
            }
            if h.files.is_empty() && h.addresses.is_none() {
                self.error(
                    "a `hosts` entry needs `files` or `addresses`".to_string(),
                    "for example: {files: [\"nodes/ctrl-*.rules\"], roles: [controller]}"
                        .to_string(),
                    &item.loc,
                );
            }
            out.push(h);
        }
        out
    }

    fn pod_ref(&mut self, node: &Node, path: &str, target: &mut PodRef) {
        for (k, v) in self.keys(node, path, &["namespace", "labels"]) {
            match k.as_str() {
                Some("namespace") => {
                    if let Some(s) = self.string(v, &format!("{path}.namespace")) {
                        target.namespace = s;
                    }
                }
                Some("labels") => match crate::inputs::k8s::read_labels(Some(v), "labels") {
                    Ok(l) => target.labels = l,
                    Err(f) => self.errors.push(*f),
                },
                _ => {}
            }
        }
    }

    fn ignore_entries(&mut self, node: &Node) -> Vec<IgnoreEntry> {
        let Some(items) = node.as_seq() else {
            if !node.is_null() {
                self.error(
                    format!("`ignore` must be a list, found {}", node.type_name()),
                    "for example: [{rule: PM203, path: \"k8s/*.yaml\", reason: \"...\"}]"
                        .to_string(),
                    &node.loc,
                );
            }
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let mut entry = IgnoreEntry {
                loc: item.loc.clone(),
                ..Default::default()
            };
            let keys = ["rule", "path", "flow", "reason", "expires"];
            for (k, v) in self.keys(item, "ignore[]", &keys) {
                let key = k.as_str().unwrap_or("");
                let path = format!("ignore[].{key}");
                match key {
                    "rule" => {
                        if let Some(s) = self.string(v, &path) {
                            entry.rules = s
                                .split(',')
                                .map(|r| r.trim().to_string())
                                .filter(|r| !r.is_empty())
                                .collect();
                        }
                    }
                    "path" => entry.path = self.string(v, &path),
                    "flow" => entry.flow = self.string(v, &path),
                    "reason" => entry.reason = self.string(v, &path).unwrap_or_default(),
                    "expires" => match v.as_str().and_then(parse_date) {
                        Some(d) => entry.expires = Some(d),
                        None => self.error(
                            format!("`{path}` must be a date YYYY-MM-DD, found {}", describe(v)),
                            "for example: expires: \"2026-06-30\"".to_string(),
                            &v.loc,
                        ),
                    },
                    _ => {}
                }
            }
            if item.as_map().is_none() {
                continue;
            }
            if entry.rules.is_empty() {
                self.error(
                    "an `ignore` entry needs a `rule` (an id such as PM203, or `*`)".to_string(),
                    "add `rule: PM203`".to_string(),
                    &item.loc,
                );
                continue;
            }
            out.push(entry);
        }
        out
    }

    fn driver(&mut self, name: &str, node: &Node, matrix: &Matrix) -> DriverProfile {
        let path = format!("drivers.{name}");
        let mut out = DriverProfile::default();
        let allowed = [
            "namespace",
            "protocols",
            "metrics",
            "https_metrics",
            "features",
            "ports",
            "storage",
        ];
        let feature_names: Vec<&str> = matrix.features.keys().map(String::as_str).collect();
        for (k, v) in self.keys(node, &path, &allowed) {
            match k.as_str().unwrap_or("") {
                "namespace" => out.namespace = self.string(v, &format!("{path}.namespace")),
                "protocols" => {
                    let Some(items) = v.as_seq() else {
                        self.error(
                            format!("`{path}.protocols` must be a list"),
                            "for example: [nfsv4, iscsi]".to_string(),
                            &v.loc,
                        );
                        continue;
                    };
                    // Listing protocols turns off the protocol defaults not listed.
                    for p in protocol_features(matrix) {
                        out.features.insert(p, false);
                    }
                    for item in items {
                        let Some(p) = item.as_str() else { continue };
                        let p = p.to_lowercase().replace('_', "-");
                        if matrix.features.contains_key(&p) {
                            out.features.insert(p, true);
                        } else {
                            let help = match did_you_mean(&p, feature_names.iter().copied()) {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => format!(
                                    "{name} supports: {}",
                                    protocol_features(matrix).join(", ")
                                ),
                            };
                            self.error(
                                format!("unknown protocol `{p}` for driver {name}"),
                                help,
                                &item.loc,
                            );
                        }
                    }
                }
                key @ ("metrics" | "https_metrics") => {
                    let feature = key.replace('_', "-");
                    if let Some(b) = self.boolean(v, &format!("{path}.{key}")) {
                        if matrix.features.contains_key(&feature) {
                            out.features.insert(feature, b);
                        } else {
                            self.error(
                                format!("driver {name} has no `{key}` switch"),
                                format!("{name}'s switches: {}", feature_names.join(", ")),
                                &k.loc,
                            );
                        }
                    }
                }
                "features" => {
                    let entries = self.keys(v, &format!("{path}.features"), &feature_names);
                    for (fk, fv) in entries {
                        if let (Some(f), Some(b)) = (fk.as_str(), fv.as_bool()) {
                            out.features.insert(f.to_string(), b);
                        }
                    }
                }
                "ports" => {
                    let port_names: Vec<&str> = matrix.ports.keys().map(String::as_str).collect();
                    let entries = self.keys(v, &format!("{path}.ports"), &port_names);
                    for (pk, pv) in entries {
                        let Some(key) = pk.as_str() else { continue };
                        match pv.value {
                            Value::Int(p) if (1..=65535).contains(&p) => {
                                out.ports.insert(key.to_string(), p as u16);
                            }
                            _ => self.error(
                                format!(
                                    "`{path}.ports.{key}` must be a port from 1 to 65535, found {}",
                                    describe(pv)
                                ),
                                String::new(),
                                &pv.loc,
                            ),
                        }
                    }
                }
                "storage" => {
                    for (sk, sv) in self.keys(
                        v,
                        &format!("{path}.storage"),
                        &["management", "data", "directory"],
                    ) {
                        let key = sk.as_str().unwrap_or("");
                        let cidrs = self.cidrs(sv, &format!("{path}.storage.{key}"));
                        match key {
                            "management" => out.storage.management = cidrs,
                            "data" => out.storage.data = cidrs,
                            "directory" => out.storage.directory = cidrs,
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }
}

fn describe(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => format!("`{s}`"),
        Value::Int(i) => format!("`{i}`"),
        _ => node.type_name().to_string(),
    }
}

/// Features that name a transport (what `protocols:` lists).
pub fn protocol_features(matrix: &Matrix) -> Vec<String> {
    const PROTOCOLS: &[&str] = &[
        "nfs",
        "nfsv3",
        "nfsv4",
        "iscsi",
        "nvme-tcp",
        "nvme-roce",
        "nvme-fc",
        "fc",
        "smb",
    ];
    matrix
        .features
        .keys()
        .filter(|k| PROTOCOLS.contains(&k.as_str()))
        .cloned()
        .collect()
}

/// Parses a profile. `matrices` are the known drivers (built-in and custom).
pub fn parse(name: &str, text: &str, matrices: &[Matrix]) -> (Profile, Vec<Finding>) {
    let mut profile = Profile {
        file: Some(name.to_string()),
        ..Default::default()
    };
    let (docs, err) = yaml::parse_stream(name, text, &Limits::default());
    let mut r = Reader {
        errors: Vec::new(),
        matrices,
    };
    if let Some(e) = err {
        r.error(e.message, "fix the profile's syntax".to_string(), &e.loc);
        return (profile, r.errors);
    }
    let Some(doc) = docs.first() else {
        return (profile, r.errors);
    };
    let root = &doc.root;
    for (k, v) in r.keys(root, "profile", &["drivers", "cluster", "ignore", "hosts"]) {
        match k.as_str().unwrap_or("") {
            "hosts" => profile.hosts = r.hosts(v),
            "ignore" => profile.ignore = r.ignore_entries(v),
            "drivers" => {
                let names: Vec<&str> = r.matrices.iter().map(|m| m.driver.as_str()).collect();
                let Some(entries) = v.as_map() else {
                    r.error(
                        "`drivers` must be a mapping of driver names".to_string(),
                        String::new(),
                        &v.loc,
                    );
                    continue;
                };
                for (dk, dv) in entries {
                    let dname = dk.as_str().unwrap_or("");
                    let Some(matrix) = r.matrices.iter().find(|m| m.driver == dname) else {
                        let help = match did_you_mean(dname, names.iter().copied()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("known drivers: {}", names.join(", ")),
                        };
                        r.error(format!("unknown driver `{dname}`"), help, &dk.loc);
                        continue;
                    };
                    let d = r.driver(dname, dv, matrix);
                    profile.drivers.insert(dname.to_string(), d);
                }
            }
            "cluster" => {
                let keys = ["apiserver", "nodes", "pods", "prometheus", "dns"];
                for (ck, cv) in r.keys(v, "cluster", &keys) {
                    let key = ck.as_str().unwrap_or("");
                    let path = format!("cluster.{key}");
                    match key {
                        "apiserver" => profile.cluster.apiserver = r.cidrs(cv, &path),
                        "nodes" => profile.cluster.nodes = r.cidrs(cv, &path),
                        "pods" => profile.cluster.pods = r.cidrs(cv, &path),
                        "prometheus" => r.pod_ref(cv, &path, &mut profile.cluster.prometheus),
                        "dns" => r.pod_ref(cv, &path, &mut profile.cluster.dns),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    (profile, r.errors)
}
