//! The JS API in plain Rust, JSON in and JSON out, so that it is tested natively; `lib.rs` only
//! moves values across the JS boundary. Nothing here analyses anything: each function checks the
//! shape of its arguments, makes one call into the core and serializes the answer.

use portmatrix::report::{json, matrix as matrix_report};
use portmatrix::{LintRequest, Report, SourceFile, UsageError};
use serde::Serialize;
use serde_json::{Map, Value};

/// Why a call failed. Bad input files are never an error: they are findings in the report.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// Arguments of the wrong type or shape: a bug in the caller (a JS `TypeError`).
    Type(String),
    /// A usage error, as the CLI exits 2 for: an unknown driver or format, no driver selected or
    /// detected, an option this build does not support yet.
    Usage(String),
    /// A defect in portmatrix itself (a built-in matrix or rule that does not load).
    Internal(String),
}

impl ApiError {
    pub fn message(&self) -> &str {
        match self {
            ApiError::Type(m) | ApiError::Usage(m) | ApiError::Internal(m) => m,
        }
    }
}

impl From<UsageError> for ApiError {
    fn from(e: UsageError) -> Self {
        match e {
            UsageError::Internal(m) => ApiError::Internal(m),
            other => ApiError::Usage(other.to_string()),
        }
    }
}

/// The keys `lint()` accepts.
const REQUEST_KEYS: &[&str] = &[
    "files",
    "drivers",
    "profile",
    "policies",
    "data",
    "matrices",
    "today",
    "reportUnusedIgnores",
];

/// The profile's display name when the caller gives only its text (the CLI's default file).
pub const DEFAULT_PROFILE_NAME: &str = ".portmatrix.yaml";

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn string_at(v: &Value, path: &str) -> Result<String, ApiError> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| ApiError::Type(format!("{path} must be a string, got {}", type_name(v))))
}

/// A `{name, text}` object.
fn source_file(v: &Value, path: &str) -> Result<SourceFile, ApiError> {
    let obj = v.as_object().ok_or_else(|| {
        ApiError::Type(format!(
            "{path} must be an object {{name, text}}, got {}",
            type_name(v)
        ))
    })?;
    if let Some(k) = obj.keys().find(|k| *k != "name" && *k != "text") {
        return Err(ApiError::Type(format!(
            "{path} has an unknown key `{k}` (expected name, text)"
        )));
    }
    let name = obj
        .get("name")
        .ok_or_else(|| ApiError::Type(format!("{path}.name is missing")))?;
    let text = obj
        .get("text")
        .ok_or_else(|| ApiError::Type(format!("{path}.text is missing")))?;
    Ok(SourceFile::new(
        string_at(name, &format!("{path}.name"))?,
        string_at(text, &format!("{path}.text"))?,
    ))
}

fn present<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn file_list(v: &Value, path: &str) -> Result<Vec<SourceFile>, ApiError> {
    let items = v.as_array().ok_or_else(|| {
        ApiError::Type(format!(
            "{path} must be an array of {{name, text}}, got {}",
            type_name(v)
        ))
    })?;
    items
        .iter()
        .enumerate()
        .map(|(i, f)| source_file(f, &format!("{path}[{i}]")))
        .collect()
}

/// A `YYYY-MM-DD` date.
fn parse_date(v: &Value) -> Result<(i32, u32, u32), ApiError> {
    let bad = || ApiError::Type(format!("today must be a date \"YYYY-MM-DD\", got {v}"));
    let s = v.as_str().ok_or_else(bad)?;
    let mut parts = s.splitn(3, '-');
    let mut next = || parts.next().ok_or_else(bad);
    let (y, m, d) = (next()?, next()?, next()?);
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    let d: u32 = d.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    Ok((y, m, d))
}

/// Reads `lint()`'s argument (see `wasm/README.md`). `undefined` keys are absent, as after
/// `JSON.stringify`; `null` counts as absent too. `default_today` is the date suppressions expire
/// against when the request names none (the core has no clock).
pub fn parse_request(
    v: &Value,
    default_today: Option<(i32, u32, u32)>,
) -> Result<LintRequest, ApiError> {
    let obj = v.as_object().ok_or_else(|| {
        ApiError::Type(format!(
            "lint() takes one object {{files, drivers?, profile?, ...}}, got {}",
            type_name(v)
        ))
    })?;
    if let Some(k) = obj.keys().find(|k| !REQUEST_KEYS.contains(&k.as_str())) {
        let hint = portmatrix::profile::did_you_mean(k, REQUEST_KEYS.iter().copied())
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_else(|| format!(" (known: {})", REQUEST_KEYS.join(", ")));
        return Err(ApiError::Type(format!("lint(): unknown key `{k}`{hint}")));
    }
    let mut request = LintRequest::default();
    let files = obj
        .get("files")
        .ok_or_else(|| ApiError::Type("lint(): `files` is missing".to_string()))?;
    request.files = file_list(files, "files")?;
    for (key, list) in [
        ("policies", &mut request.policies),
        ("data", &mut request.data),
        ("matrices", &mut request.matrices),
    ] {
        if let Some(v) = present(obj, key) {
            *list = file_list(v, key)?;
        }
    }
    request.today = match present(obj, "today") {
        Some(v) => Some(parse_date(v)?),
        None => default_today,
    };
    if let Some(v) = present(obj, "reportUnusedIgnores") {
        request.report_unused_ignores = v.as_bool().ok_or_else(|| {
            ApiError::Type(format!(
                "reportUnusedIgnores must be a boolean, got {}",
                type_name(v)
            ))
        })?;
    }
    if let Some(drivers) = present(obj, "drivers") {
        let list = drivers.as_array().ok_or_else(|| {
            ApiError::Type(format!(
                "drivers must be an array of driver names, got {}",
                type_name(drivers)
            ))
        })?;
        for (i, d) in list.iter().enumerate() {
            request
                .drivers
                .push(string_at(d, &format!("drivers[{i}]"))?);
        }
    }
    if let Some(profile) = present(obj, "profile") {
        request.profile = Some(match profile {
            Value::String(text) => SourceFile::new(DEFAULT_PROFILE_NAME, text.as_str()),
            other => source_file(other, "profile")?,
        });
    }
    Ok(request)
}

/// `lint()`: the core's report.
pub fn lint(v: &Value, today: Option<(i32, u32, u32)>) -> Result<Report, ApiError> {
    let request = parse_request(v, today)?;
    Ok(portmatrix::lint(&request)?)
}

/// `lint()`: the report as the CLI's `--format json` prints it.
pub fn lint_json(v: &Value, today: Option<(i32, u32, u32)>) -> Result<String, ApiError> {
    Ok(json::render(&lint(v, today)?))
}

pub const MATRIX_FORMATS: &[&str] = &["table", "markdown", "json", "csv"];

/// `matrix()`: a driver's communication matrix, as `portmatrix matrix` prints it.
pub fn matrix(driver: &str, format: &str) -> Result<String, ApiError> {
    let render = match format {
        "table" => matrix_report::table,
        "markdown" => matrix_report::markdown,
        "json" => matrix_report::json,
        "csv" => matrix_report::csv,
        other => {
            return Err(ApiError::Usage(format!(
                "unknown matrix format `{other}`; formats: {}",
                MATRIX_FORMATS.join(", ")
            )))
        }
    };
    let m = portmatrix::matrix::builtin_driver(driver)
        .map_err(ApiError::Internal)?
        .ok_or_else(|| unknown_driver(driver))?;
    Ok(render(&m))
}

fn unknown_driver(driver: &str) -> ApiError {
    let known = portmatrix::matrix::builtin_names();
    ApiError::from(UsageError::UnknownDriver {
        name: driver.to_string(),
        suggestion: portmatrix::profile::did_you_mean(driver, known.iter().map(String::as_str))
            .map(str::to_string),
        known,
    })
}

/// `rules()`: every rule with its documentation, sorted by id.
pub fn rules_json() -> Result<String, ApiError> {
    let rules = portmatrix::rules::registry().map_err(ApiError::Internal)?;
    serde_json::to_string(&rules).map_err(|e| ApiError::Internal(e.to_string()))
}

#[derive(Serialize)]
struct FileOut<'a> {
    name: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
struct Example<'a> {
    name: String,
    driver: String,
    /// The fixture's leading comment: what the scenario shows.
    description: String,
    file: FileOut<'a>,
    profile: Option<FileOut<'a>>,
}

fn leading_comment(text: &str) -> String {
    text.lines()
        .map_while(|l| l.strip_prefix('#'))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `examples()`: the built-in fixtures (`fixtures/<driver>/<name>.yaml`), each with its sibling
/// `<name>.portmatrix.yaml` profile when it has one; the same list as `portmatrix lint --example`.
pub fn examples_json() -> String {
    let examples: Vec<Example> = portmatrix::examples::examples()
        .into_iter()
        .map(|e| Example {
            name: e.name.to_string(),
            driver: e.driver.to_string(),
            description: leading_comment(e.text),
            file: FileOut {
                name: e.path,
                text: e.text,
            },
            profile: e.profile.map(|(name, text)| FileOut { name, text }),
        })
        .collect();
    serde_json::to_string(&examples).unwrap_or_else(|_| "[]".to_string())
}

#[derive(Serialize)]
struct DriverInfo<'a> {
    name: &'a str,
    title: &'a str,
    namespace: String,
    version: Option<&'a str>,
    /// Features that name a transport: what a profile's `protocols:` lists.
    protocols: Vec<String>,
    features: &'a std::collections::BTreeMap<String, portmatrix::matrix::Feature>,
    /// Configurable ports by key, with their defaults.
    ports: std::collections::BTreeMap<&'a str, u16>,
}

/// `drivers()`: the built-in drivers with their features and ports, to build a profile.
pub fn drivers_json() -> Result<String, ApiError> {
    let matrices = portmatrix::matrix::builtin().map_err(ApiError::Internal)?;
    let out: Vec<DriverInfo> = matrices
        .iter()
        .map(|m| DriverInfo {
            name: &m.driver,
            title: &m.title,
            namespace: m.namespace.clone().unwrap_or_else(|| m.driver.clone()),
            version: m.version.as_deref(),
            protocols: portmatrix::profile::protocol_features(m),
            features: &m.features,
            ports: m
                .ports
                .iter()
                .map(|(k, p)| (k.as_str(), p.default))
                .collect(),
        })
        .collect();
    serde_json::to_string(&out).map_err(|e| ApiError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DEFAULT_DENY: &str = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: trident
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
";

    fn report(v: Value) -> Value {
        serde_json::from_str(&lint_json(&v, None).expect("a report")).expect("valid JSON")
    }

    #[test]
    fn default_deny_blocks_trident_flows() {
        let v = report(
            json!({"files": [{"name": "deny.yaml", "text": DEFAULT_DENY}],
                              "drivers": ["trident"]}),
        );
        let flows = v["flows"].as_array().expect("a `flows` array");
        assert!(flows.iter().any(|f| f["status"] == "blocked"), "{v}");
        let f = &v["findings"][0];
        assert_eq!(f["file"], "deny.yaml");
        assert!(f["line"].as_u64().is_some(), "{f}");
    }

    #[test]
    fn same_json_as_the_core() {
        let request = json!({"files": [{"name": "deny.yaml", "text": DEFAULT_DENY}],
                             "drivers": ["trident"], "profile": null});
        let core = portmatrix::lint(&LintRequest {
            files: vec![SourceFile::new("deny.yaml", DEFAULT_DENY)],
            drivers: vec!["trident".into()],
            ..Default::default()
        })
        .expect("report");
        assert_eq!(lint_json(&request, None).unwrap(), json::render(&core));
    }

    #[test]
    fn user_policies_become_findings() {
        let rego = "package acme.always\nimport rego.v1\ndeny contains \"always wrong\" if true\n";
        let v = report(
            json!({"files": [{"name": "deny.yaml", "text": DEFAULT_DENY}],
                              "drivers": ["trident"],
                              "policies": [{"name": "always.rego", "text": rego}],
                              "today": "2026-01-31"}),
        );
        let findings = v["findings"].as_array().unwrap();
        assert!(
            findings.iter().any(|f| f["message"] == "always wrong"),
            "{v}"
        );
    }

    #[test]
    fn bad_input_is_a_located_finding() {
        let v = report(json!({"files": [{"name": "x.yaml", "text": "a: [1, 2\n"}],
                              "drivers": ["trident"]}));
        let f = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "PM000")
            .expect("a PM000 finding");
        assert_eq!(f["file"], "x.yaml");
        assert!(f["line"].as_u64().unwrap() >= 1);
    }

    #[test]
    fn profile_text_or_file() {
        let text = "drivers:\n  trident:\n    protocols: [nfsv9]\n";
        for profile in [json!(text), json!({"name": "p.yaml", "text": text})] {
            let v = report(json!({"files": [], "profile": profile}));
            let f = v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["rule"] == "PM000")
                .expect("the unknown protocol is a finding");
            assert_eq!(f["line"], 3);
        }
    }

    #[test]
    fn misuse_is_a_type_error() {
        let cases = [
            (json!("deny.yaml"), "lint() takes one object"),
            (json!({}), "`files` is missing"),
            (json!({"files": "x"}), "files must be an array"),
            (
                json!({"files": [{"name": "a"}]}),
                "files[0].text is missing",
            ),
            (
                json!({"files": [{"name": 1, "text": ""}]}),
                "files[0].name must be a string",
            ),
            (
                json!({"files": [], "driver": ["trident"]}),
                "did you mean `drivers`?",
            ),
            (
                json!({"files": [], "drivers": "trident"}),
                "drivers must be an array",
            ),
            (
                json!({"files": [], "profile": 3}),
                "profile must be an object",
            ),
            (
                json!({"files": [], "policies": {}}),
                "policies must be an array",
            ),
            (
                json!({"files": [], "today": "tomorrow"}),
                "today must be a date",
            ),
            (
                json!({"files": [], "reportUnusedIgnores": 1}),
                "must be a boolean",
            ),
        ];
        for (v, want) in cases {
            match lint(&v, None) {
                Err(ApiError::Type(m)) => assert!(m.contains(want), "{m:?} lacks {want:?}"),
                other => panic!("{v}: expected a type error, got {other:?}"),
            }
        }
    }

    #[test]
    fn usage_errors() {
        let unknown = lint(&json!({"files": [], "drivers": ["tridnet"]}), None).unwrap_err();
        assert!(
            matches!(&unknown, ApiError::Usage(m) if m.contains("did you mean `trident`")),
            "{unknown:?}"
        );
        let none = lint(&json!({"files": []}), None).unwrap_err();
        assert!(matches!(none, ApiError::Usage(_)), "{none:?}");
        assert!(matches!(matrix("trident", "xml"), Err(ApiError::Usage(_))));
        assert!(matches!(matrix("nope", "json"), Err(ApiError::Usage(_))));
    }

    #[test]
    fn examples_carry_their_profiles() {
        let v: Value = serde_json::from_str(&examples_json()).unwrap();
        let list = v.as_array().unwrap();
        assert!(list.len() >= 10);
        let lp = list
            .iter()
            .find(|e| e["name"] == "trident-least-privilege")
            .expect("trident-least-privilege");
        assert_eq!(lp["driver"], "trident");
        assert_eq!(
            lp["profile"]["name"],
            "fixtures/trident/trident-least-privilege.portmatrix.yaml"
        );
        assert!(!lp["description"].as_str().unwrap().is_empty());
        assert!(list
            .iter()
            .all(|e| !e["name"].as_str().unwrap().ends_with(".portmatrix")));
    }

    #[test]
    fn rules_drivers_and_matrices() {
        let rules: Value = serde_json::from_str(&rules_json().unwrap()).unwrap();
        assert!(rules.as_array().unwrap().iter().any(|r| r["id"] == "PM000"));
        let drivers: Value = serde_json::from_str(&drivers_json().unwrap()).unwrap();
        let trident = drivers
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == "trident")
            .unwrap();
        assert!(trident["protocols"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "nfsv4"));
        for format in MATRIX_FORMATS {
            assert!(!matrix("trident", format).unwrap().is_empty());
        }
    }
}
