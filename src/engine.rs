//! Evaluates the bundle's Rego (with regorus) on the input document, together with the user's
//! own policies (`--policy`) and data (`--data`), which see the same input.
//!
//! User policies follow conftest's convention: rules named `deny`, `warn` and `info`, in any
//! package, become findings of severity error, warning and info.

use crate::finding::{Finding, Severity};
use crate::matrix::Matrix;
use crate::source::{LineIndex, Loc, SourceFile};
use serde::Deserialize;
use std::time::Duration;

/// What `data.portmatrix.report` evaluates to.
#[derive(Debug, Deserialize)]
pub struct EngineReport {
    pub flows: Vec<EngineVerdict>,
    pub findings: Vec<EngineFinding>,
}

#[derive(Debug, Deserialize)]
pub struct EngineVerdict {
    pub id: String,
    pub status: String,
    pub reason: String,
    #[serde(default)]
    pub decided_by: Vec<EngineDecision>,
}

#[derive(Debug, Deserialize, Clone)]
pub struct EngineDecision {
    pub policy: String,
    pub direction: String,
    pub effect: String,
    /// An id from the input's location table.
    pub loc: usize,
    /// The enforcement layer (absent: NetworkPolicy).
    #[serde(default)]
    pub layer: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct EngineFinding {
    pub rule: String,
    pub message: String,
    #[serde(default)]
    pub help: String,
    #[serde(default)]
    pub flow: Option<String>,
    /// An id from the input's location table.
    #[serde(default)]
    pub loc: Option<usize>,
}

/// A finding of a user rule (`deny`, `warn`, `info`).
#[derive(Debug, Clone)]
pub struct CustomFinding {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub help: String,
    pub flow: Option<String>,
    /// A location id taken from the input (`policy.loc`, `rule.loc`, ...).
    pub loc: Option<usize>,
    /// A path into the input document (`["policies", "trident", 0, "ingress", 1]` or
    /// `"policies.trident.0.ingress.1"`): the finding goes to the nearest node with a `loc`.
    pub path: Option<Vec<String>>,
    /// The policy file that produced it (where it is located when nothing else is given).
    pub file: String,
}

/// Everything one evaluation needs.
pub struct EvalRequest<'a> {
    pub input_json: &'a str,
    /// The selected and known matrices, as `data.matrix.<driver>`.
    pub matrices: &'a [Matrix],
    /// The user's Rego files (`*_test.rego` files are skipped).
    pub policies: &'a [SourceFile],
    /// The user's data files (JSON or YAML), merged into `data`.
    pub data: &'a [SourceFile],
    /// A wall-clock limit per evaluation (regorus's execution timer). Native front ends only:
    /// the timer reads `std::time::Instant`, which panics on wasm32-unknown-unknown.
    pub time_limit: Option<Duration>,
}

/// The result: the bundle's report, the user rules' findings, and problems with the user's
/// policies and data as located input errors.
pub struct Evaluation {
    pub report: EngineReport,
    pub custom: Vec<CustomFinding>,
    pub errors: Vec<Finding>,
}

/// The matrices as the bundle sees them: `{"matrix": {"<driver>": {...}}}`.
pub fn matrix_data(matrices: &[Matrix]) -> Result<serde_json::Value, String> {
    let mut out = serde_json::Map::new();
    for m in matrices {
        let value = serde_json::to_value(m).map_err(|e| e.to_string())?;
        out.insert(m.driver.clone(), value);
    }
    Ok(serde_json::json!({ "matrix": out }))
}

/// A regorus engine loaded with the bundle's rules and the given matrices.
pub fn bundle_engine_with(matrices: &[Matrix]) -> Result<regorus::Engine, String> {
    let mut engine = regorus::Engine::new();
    engine.set_rego_v0(false);
    for (path, text) in crate::bundle::POLICIES {
        engine
            .add_policy(path.to_string(), text.to_string())
            .map_err(|e| format!("{path}: {e}"))?;
    }
    engine
        .add_data_json(&matrix_data(matrices)?.to_string())
        .map_err(|e| format!("matrix data: {e}"))?;
    Ok(engine)
}

/// A regorus engine loaded with the bundle's rules and the built-in matrices.
pub fn bundle_engine() -> Result<regorus::Engine, String> {
    bundle_engine_with(&crate::matrix::builtin()?)
}

/// Evaluates `data.portmatrix.report` for one input document (built-in rules only).
pub fn evaluate(input_json: &str) -> Result<EngineReport, String> {
    let matrices = crate::matrix::builtin()?;
    let eval = evaluate_all(&EvalRequest {
        input_json,
        matrices: &matrices,
        policies: &[],
        data: &[],
        time_limit: None,
    })?;
    Ok(eval.report)
}

fn set_time_limit(engine: &mut regorus::Engine, limit: Option<Duration>) {
    if let Some(limit) = limit {
        engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
            limit,
            check_interval: std::num::NonZeroU32::MIN.saturating_add(63),
        });
    }
}

/// Where a regorus error points (`--> file:line:col`), and its one-line message.
pub fn locate_rego_error(error: &str, files: &[SourceFile]) -> (String, Option<Loc>) {
    let message = error
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or_else(|| {
            error
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or(error)
        })
        .trim()
        .to_string();
    let loc = error.lines().find_map(|l| {
        let at = l.trim().strip_prefix("--> ")?;
        let mut parts = at.rsplitn(3, ':');
        let col: usize = parts.next()?.parse().ok()?;
        let line: usize = parts.next()?.parse().ok()?;
        let name = parts.next()?;
        let file = files.iter().find(|f| f.name == name)?;
        let index = LineIndex::new(&file.text);
        let offset = index.byte_offset(line, col.saturating_sub(1));
        Some(index.loc(&file.name, offset, offset))
    });
    (message, loc)
}

/// The package a Rego file declares.
pub fn package_of(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("package "))
        .map(|p| p.trim().to_string())
}

fn load_data(engine: &mut regorus::Engine, file: &SourceFile, errors: &mut Vec<Finding>) {
    let (docs, err) =
        crate::yaml::parse_stream(&file.name, &file.text, &crate::yaml::Limits::default());
    if let Some(e) = err {
        errors.push(Finding::input_error(
            e.message,
            "fix the data file's syntax",
            e.loc,
        ));
        return;
    }
    for doc in docs {
        if doc.root.as_map().is_none() {
            errors.push(Finding::input_error(
                format!("data must be a mapping, found {}", doc.root.type_name()),
                "a data file holds an object, merged into `data`",
                doc.root.loc.clone(),
            ));
            continue;
        }
        if let Err(e) = engine.add_data_json(&doc.root.to_json().to_string()) {
            errors.push(Finding::input_error(
                format!("cannot merge data: {e}"),
                "data files must not redefine keys of other data files (`matrix` is taken)",
                doc.root.loc.clone(),
            ));
        }
    }
}

/// Builds an engine with the bundle, the user's data and policies. User files that do not load
/// become input errors and are left out.
fn user_engine(
    req: &EvalRequest,
    errors: &mut Vec<Finding>,
) -> Result<(regorus::Engine, Vec<(String, String)>), String> {
    let mut engine = bundle_engine_with(req.matrices)?;
    set_time_limit(&mut engine, req.time_limit);
    for file in req.data {
        load_data(&mut engine, file, errors);
    }
    let mut packages = Vec::new();
    for file in req
        .policies
        .iter()
        .filter(|f| !f.name.ends_with("_test.rego"))
    {
        match engine.add_policy(file.name.clone(), file.text.clone()) {
            Ok(_) => {
                if let Some(p) = package_of(&file.text) {
                    packages.push((p, file.name.clone()));
                }
            }
            Err(e) => {
                let (message, loc) = locate_rego_error(&e.to_string(), req.policies);
                errors.push(Finding::input_error(
                    format!("custom policy does not load: {message}"),
                    "fix the Rego (rego.v1: `if`, `contains`); the rest of the run goes on without this file",
                    loc.unwrap_or_else(|| Loc::file_start(&file.name)),
                ));
            }
        }
    }
    Ok((engine, packages))
}

fn eval_report(engine: &mut regorus::Engine, input_json: &str) -> Result<EngineReport, String> {
    engine
        .set_input_json(input_json)
        .map_err(|e| format!("input document: {e}"))?;
    let value = engine
        .eval_rule("data.portmatrix.report".to_string())
        .map_err(|e| format!("evaluating data.portmatrix.report: {e}"))?;
    let json = value.to_json_str().map_err(|e| e.to_string())?;
    serde_json::from_str(&json).map_err(|e| format!("unexpected report shape: {e}"))
}

/// Evaluates the bundle's report and the user's rules.
pub fn evaluate_all(req: &EvalRequest) -> Result<Evaluation, String> {
    let mut errors = Vec::new();
    let (mut engine, packages) = user_engine(req, &mut errors)?;
    let report = match eval_report(&mut engine, req.input_json) {
        Ok(r) => r,
        Err(e) if !packages.is_empty() || !req.data.is_empty() => {
            // A user policy broke the bundle (say, a rule defined twice): report it, and decide
            // the verdicts without the user's files.
            let (message, loc) = locate_rego_error(&e, req.policies);
            errors.push(Finding::input_error(
                format!(
                    "with the custom policies and data loaded, the built-in rules fail: {message}"
                ),
                "custom policies must not redefine rules of the portmatrix packages",
                loc.unwrap_or_else(|| {
                    Loc::file_start(&packages.first().map(|p| p.1.clone()).unwrap_or_default())
                }),
            ));
            let mut plain = bundle_engine_with(req.matrices)?;
            set_time_limit(&mut plain, req.time_limit);
            let report = eval_report(&mut plain, req.input_json)?;
            return Ok(Evaluation {
                report,
                custom: Vec::new(),
                errors,
            });
        }
        Err(e) => return Err(e),
    };
    let mut custom = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (package, file) in &packages {
        if !seen.insert(package.clone()) {
            continue;
        }
        for (name, severity) in [
            ("deny", Severity::Error),
            ("warn", Severity::Warning),
            ("info", Severity::Info),
        ] {
            let query = format!("data.{package}.{name}");
            // A query, not `eval_rule`: a package without this rule is not an error.
            let value = engine.eval_query(query.clone(), false).map(|r| {
                r.result
                    .into_iter()
                    .next()
                    .and_then(|r| r.expressions.into_iter().next())
                    .map(|e| e.value)
                    .unwrap_or(regorus::Value::Undefined)
            });
            match value {
                Ok(regorus::Value::Undefined) => {}
                Ok(value) => {
                    let json: serde_json::Value = value
                        .to_json_str()
                        .ok()
                        .and_then(|s| serde_json::from_str(&s).ok())
                        .unwrap_or(serde_json::Value::Null);
                    custom.extend(custom_findings(package, file, severity, &json));
                }
                Err(e) => {
                    let (message, loc) = locate_rego_error(&e.to_string(), req.policies);
                    errors.push(Finding::input_error(
                        format!("evaluating {query} failed: {message}"),
                        "fix the rule; `portmatrix input --format json` prints the input it sees",
                        loc.unwrap_or_else(|| Loc::file_start(file)),
                    ));
                }
            }
        }
    }
    Ok(Evaluation {
        report,
        custom,
        errors,
    })
}

/// Turns one user rule's value (a set of strings or objects, or `true`) into findings.
fn custom_findings(
    package: &str,
    file: &str,
    severity: Severity,
    value: &serde_json::Value,
) -> Vec<CustomFinding> {
    use serde_json::Value as J;
    let items: Vec<&J> = match value {
        J::Array(items) => items.iter().collect(),
        J::Bool(false) | J::Null => vec![],
        other => vec![other],
    };
    let text = |v: Option<&J>| v.and_then(J::as_str).map(str::to_string);
    items
        .into_iter()
        .map(|item| {
            let base = CustomFinding {
                rule: package.to_string(),
                severity,
                message: String::new(),
                help: String::new(),
                flow: None,
                loc: None,
                path: None,
                file: file.to_string(),
            };
            match item {
                J::String(s) => CustomFinding {
                    message: s.clone(),
                    ..base
                },
                J::Object(o) => CustomFinding {
                    rule: text(o.get("rule"))
                        .or_else(|| text(o.get("id")))
                        .unwrap_or(base.rule.clone()),
                    message: text(o.get("msg"))
                        .or_else(|| text(o.get("message")))
                        .unwrap_or_else(|| item.to_string()),
                    help: text(o.get("help")).unwrap_or_default(),
                    flow: text(o.get("flow")),
                    loc: o.get("loc").and_then(J::as_u64).map(|n| n as usize),
                    path: o.get("path").and_then(|p| match p {
                        J::String(s) => Some(s.split('.').map(str::to_string).collect()),
                        J::Array(a) => Some(
                            a.iter()
                                .map(|s| match s {
                                    J::String(s) => s.clone(),
                                    other => other.to_string(),
                                })
                                .collect(),
                        ),
                        _ => None,
                    }),
                    ..base
                },
                J::Bool(true) => CustomFinding {
                    message: format!("{package}: {}", severity.as_str()),
                    ..base
                },
                other => CustomFinding {
                    message: other.to_string(),
                    ..base
                },
            }
        })
        .collect()
}

/// The location id of the node a path names in the input document: the deepest node along the
/// path that has a `loc`.
pub fn loc_of_path(input: &serde_json::Value, path: &[String]) -> Option<usize> {
    let mut node = input;
    let mut best = node.get("loc").and_then(serde_json::Value::as_u64);
    for key in path {
        node = match node {
            serde_json::Value::Object(o) => o.get(key)?,
            serde_json::Value::Array(a) => a.get(key.parse::<usize>().ok()?)?,
            _ => return best.map(|n| n as usize),
        };
        if let Some(id) = node.get("loc").and_then(serde_json::Value::as_u64) {
            best = Some(id);
        }
    }
    best.map(|n| n as usize)
}
