//! portmatrix: checks Kubernetes NetworkPolicies (and, in time, CNI policies and host firewalls)
//! against the communication matrices of storage CSI drivers.
//!
//! The core does no I/O: front ends (the CLI, the WASM module) hand it [`SourceFile`]s and render
//! the [`Report`] it returns. One call does the work: [`lint`].

pub mod bundle;
pub mod engine;
pub mod finding;
pub mod flows;
pub mod input;
pub mod inputs;
pub mod matrix;
pub mod model;
pub mod net;
pub mod profile;
pub mod regotest;
pub mod report;
pub mod rules;
pub mod source;
pub mod yaml;

pub use finding::{Finding, Severity};
/// The Rego engine, for front ends that run user policies and tests.
pub use regorus;
pub use report::Report;
pub use source::{Loc, SourceFile};

/// The crate's version, as the tools print it.
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// Limits on what one run may read.
#[derive(Debug, Clone)]
pub struct Options {
    /// Largest file read, in bytes (default 64 MiB).
    pub max_file_size: usize,
    pub yaml: yaml::Limits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_file_size: 64 * 1024 * 1024,
            yaml: yaml::Limits::default(),
        }
    }
}

/// Everything one lint run needs.
#[derive(Debug, Clone, Default)]
pub struct LintRequest {
    pub files: Vec<SourceFile>,
    /// Drivers to check. Empty: the profile's drivers, else those detected in the input.
    pub drivers: Vec<String>,
    pub profile: Option<SourceFile>,
    pub options: Options,
}

/// A problem with the request itself (not with an input file): the front end exits with usage.
#[derive(Debug, Clone, PartialEq)]
pub enum UsageError {
    UnknownDriver {
        name: String,
        suggestion: Option<String>,
        known: Vec<String>,
    },
    NoDriver {
        known: Vec<String>,
    },
    Internal(String),
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UsageError::UnknownDriver { name, suggestion, known } => {
                write!(f, "unknown driver `{name}`")?;
                match suggestion {
                    Some(s) => write!(f, "; did you mean `{s}`?"),
                    None => write!(f, "; known drivers: {}", known.join(", ")),
                }
            }
            UsageError::NoDriver { known } => write!(
                f,
                "no driver selected and none detected in the input; pass --driver ({}) or list drivers in the profile",
                known.join(", ")
            ),
            UsageError::Internal(e) => write!(f, "internal error: {e}"),
        }
    }
}

impl std::error::Error for UsageError {}

/// Lints the request's files against the selected drivers' matrices.
pub fn lint(request: &LintRequest) -> Result<Report, UsageError> {
    let matrices = matrix::builtin().map_err(UsageError::Internal)?;
    let mut findings = Vec::new();

    let profile = match &request.profile {
        Some(file) => {
            let (p, errors) = profile::parse(&file.name, &file.text, &matrices);
            findings.extend(errors);
            p
        }
        None => profile::Profile::default(),
    };

    // With the drivers known up front, policies of namespaces no flow can reach are checked and
    // dropped while reading, which bounds memory on whole-cluster dumps.
    let early = early_drivers(request, &profile);
    let keep = early
        .as_ref()
        .map(|d| candidate_namespaces(d, &profile, &matrices));
    let (mut model, read_findings) = read_all(request, keep.as_ref());
    let drivers = select_drivers(request, &profile, &model, &matrices)?;
    let selected: Vec<&matrix::Matrix> = drivers
        .iter()
        .filter_map(|d| matrices.iter().find(|m| &m.driver == d))
        .collect();
    let mut read_findings = read_findings;
    if let Some(kept) = &keep {
        // A workload in the input can move a component to another namespace: read again in full.
        let needed = input::relevant_namespaces(&selected, &profile, &model);
        if !needed.iter().all(|ns| kept.contains(ns)) {
            (model, read_findings) = read_all(request, None);
        }
    }
    findings.extend(read_findings);
    let doc = input::build(&selected, &profile, &model);
    let result = engine::evaluate(&doc.json).map_err(UsageError::Internal)?;
    let registry = rules::registry().map_err(UsageError::Internal)?;
    let mut report = input::assemble(doc, result, findings, &registry, drivers);
    report.compute_summary(request.files.len());
    Ok(report)
}

fn read_all(
    request: &LintRequest,
    keep: Option<&std::collections::BTreeSet<String>>,
) -> (model::Model, Vec<Finding>) {
    let mut model = model::Model::default();
    let mut findings = Vec::new();
    for file in &request.files {
        if file.text.len() > request.options.max_file_size {
            findings.push(inputs::too_large(
                &file.name,
                file.text.len(),
                request.options.max_file_size,
            ));
            continue;
        }
        let (m, errors) = inputs::read_file_filtered(file, &request.options.yaml, keep);
        model.extend(m);
        findings.extend(errors);
    }
    (model, findings)
}

/// The drivers, when the request or the profile names them (no need to look at the input).
fn early_drivers(request: &LintRequest, profile: &profile::Profile) -> Option<Vec<String>> {
    if !request.drivers.is_empty() {
        Some(request.drivers.clone())
    } else if !profile.drivers.is_empty() {
        Some(profile.drivers.keys().cloned().collect())
    } else {
        None
    }
}

/// Namespaces where the drivers' pods and their flows' pod peers live by default.
fn candidate_namespaces(
    drivers: &[String],
    profile: &profile::Profile,
    matrices: &[matrix::Matrix],
) -> std::collections::BTreeSet<String> {
    let mut out: std::collections::BTreeSet<String> = drivers
        .iter()
        .filter_map(|d| matrices.iter().find(|m| &m.driver == d))
        .map(|m| {
            profile
                .driver(&m.driver)
                .namespace
                .or_else(|| m.namespace.clone())
                .unwrap_or_else(|| m.driver.clone())
        })
        .collect();
    out.insert(profile.cluster.dns.namespace.clone());
    out.insert(profile.cluster.prometheus.namespace.clone());
    out
}

fn select_drivers(
    request: &LintRequest,
    profile: &profile::Profile,
    model: &model::Model,
    matrices: &[matrix::Matrix],
) -> Result<Vec<String>, UsageError> {
    let known: Vec<String> = matrices.iter().map(|m| m.driver.clone()).collect();
    if !request.drivers.is_empty() {
        for d in &request.drivers {
            if !known.contains(d) {
                return Err(UsageError::UnknownDriver {
                    name: d.clone(),
                    suggestion: profile::did_you_mean(d, known.iter().map(String::as_str))
                        .map(str::to_string),
                    known,
                });
            }
        }
        let mut out = request.drivers.clone();
        out.dedup();
        return Ok(out);
    }
    if !profile.drivers.is_empty() {
        return Ok(profile.drivers.keys().cloned().collect());
    }
    let detected: Vec<String> = matrices
        .iter()
        .filter(|m| detect(m, model))
        .map(|m| m.driver.clone())
        .collect();
    if detected.is_empty() {
        return Err(UsageError::NoDriver { known });
    }
    Ok(detected)
}

/// A driver is present when the input has its namespace or one of its workloads.
fn detect(m: &matrix::Matrix, model: &model::Model) -> bool {
    let ns = m.namespace.clone().unwrap_or_else(|| m.driver.clone());
    model.namespaces.iter().any(|n| n.name == ns)
        || model.network_policies.iter().any(|p| p.namespace == ns)
        || model.workloads.iter().any(|w| {
            m.components
                .values()
                .any(|c| c.workload.kind == w.kind && c.workload.name == w.name)
        })
}
