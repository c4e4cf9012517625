//! portmatrix: checks Kubernetes NetworkPolicies (and, in time, CNI policies and host firewalls)
//! against the communication matrices of storage CSI drivers.
//!
//! The core does no I/O: front ends (the CLI, the WASM module) hand it [`SourceFile`]s and render
//! the [`Report`] it returns. One call does the work: [`lint`].

pub mod argv;
pub mod bundle;
pub mod engine;
pub mod examples;
pub mod finding;
pub mod flows;
pub mod input;
pub mod inputs;
pub mod json;
pub mod layers;
pub mod matrix;
pub mod model;
pub mod net;
pub mod profile;
pub mod regotest;
pub mod report;
pub mod rules;
pub mod schema;
pub mod source;
pub mod suppress;
pub mod workload_settings;
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

/// Limits on what one run may read and compute.
#[derive(Debug, Clone)]
pub struct Options {
    /// Largest file read, in bytes (default 64 MiB).
    pub max_file_size: usize,
    pub yaml: yaml::Limits,
    /// Wall-clock limit of one Rego evaluation (regorus's execution timer). `None` (the default)
    /// sets none. Native front ends only: the timer panics on wasm32-unknown-unknown.
    pub eval_time_limit: Option<std::time::Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_file_size: 64 * 1024 * 1024,
            yaml: yaml::Limits::default(),
            eval_time_limit: None,
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
    /// The user's Rego files (`--policy`): `deny`, `warn` and `info` rules become findings.
    /// Files named `*_test.rego` are tests, not loaded for linting.
    pub policies: Vec<SourceFile>,
    /// The user's data files (`--data`, JSON or YAML), merged into the Rego `data`.
    pub data: Vec<SourceFile>,
    /// The user's matrices (`--matrix`), linted like a built-in driver's; one with a built-in
    /// driver's name replaces it.
    pub matrices: Vec<SourceFile>,
    /// Today's date (year, month, day), for suppressions that expire. The core has no clock:
    /// `None` treats every suppression as current.
    pub today: Option<(i32, u32, u32)>,
    /// Report suppressions that matched no finding (rule PM403).
    pub report_unused_ignores: bool,
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

/// The input document and what it took to build it.
struct Prepared {
    doc: input::InputDocument,
    findings: Vec<Finding>,
    drivers: Vec<String>,
    matrices: Vec<matrix::Matrix>,
    profile: profile::Profile,
    annotations: Vec<model::IgnoreAnnotation>,
}

/// The built-in matrices and the request's own; problems with the latter are input errors.
fn all_matrices(request: &LintRequest) -> Result<(Vec<matrix::Matrix>, Vec<Finding>), UsageError> {
    let mut matrices = matrix::builtin().map_err(UsageError::Internal)?;
    let mut findings = Vec::new();
    for file in &request.matrices {
        match matrix::parse_located(&file.name, &file.text) {
            Ok(m) => {
                matrices.retain(|b| b.driver != m.driver);
                matrices.push(m);
            }
            Err(errors) => findings.extend(errors),
        }
    }
    Ok((matrices, findings))
}

fn prepare(request: &LintRequest) -> Result<Prepared, UsageError> {
    let (matrices, mut findings) = all_matrices(request)?;

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
    let drivers = match select_drivers(request, &profile, &model, &matrices) {
        Ok(d) => d,
        // The driver is likely the one of a matrix that did not load: report its errors.
        Err(_) if !request.matrices.is_empty() && findings.iter().any(Finding::is_input_error) => {
            Vec::new()
        }
        Err(e) => return Err(e),
    };
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
    for fw in &model.layers.firewalls {
        findings.extend(layers::anomaly::firewall(fw));
    }
    for pol in &model.layers.policies {
        findings.extend(layers::anomaly::policy(pol));
    }
    let mut doc = input::build(&selected, &profile, &model);
    findings.append(&mut doc.findings);
    Ok(Prepared {
        doc,
        findings,
        drivers,
        matrices,
        profile,
        annotations: std::mem::take(&mut model.ignore_annotations),
    })
}

/// The input document the Rego rules see for a request (`portmatrix input`), with the table
/// that maps its location ids back to places, and the problems met while building it.
pub struct InputView {
    /// The document, as JSON text; every `loc` is an id into `locations`.
    pub json: String,
    pub locations: Vec<Loc>,
    pub findings: Vec<Finding>,
    pub drivers: Vec<String>,
}

/// Builds the input document of a request without evaluating any rule.
pub fn input_document(request: &LintRequest) -> Result<InputView, UsageError> {
    let p = prepare(request)?;
    Ok(InputView {
        json: p.doc.json,
        locations: p.doc.locations,
        findings: p.findings,
        drivers: p.drivers,
    })
}

/// Lints the request's files against the selected drivers' matrices.
pub fn lint(request: &LintRequest) -> Result<Report, UsageError> {
    let Prepared {
        doc,
        mut findings,
        drivers,
        matrices,
        profile,
        annotations,
    } = prepare(request)?;
    let eval = engine::evaluate_all(&engine::EvalRequest {
        input_json: &doc.json,
        matrices: &matrices,
        policies: &request.policies,
        data: &request.data,
        time_limit: request.options.eval_time_limit,
    })
    .map_err(UsageError::Internal)?;
    findings.extend(eval.errors);
    let registry = rules::registry().map_err(UsageError::Internal)?;
    let mut report = input::assemble(doc, eval.report, eval.custom, findings, &registry, drivers);
    suppress::apply(
        &mut report.findings,
        &annotations,
        &profile.ignore,
        &request.files,
        request.today,
        request.report_unused_ignores,
    );
    input::sort_findings(&mut report.findings);
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
