//! Runs Rego unit tests: every `test_*` rule of the test files, as `opa test` would. regorus has
//! no test runner: a test passes when its rule evaluates to `true`, and fails when it is
//! undefined, false, or raises an error.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    pub file: String,
    pub line: u32,
    pub package: String,
    pub name: String,
    pub passed: bool,
    /// Why it failed (an evaluation error, or the value it produced instead of `true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A test rule found in a file: its package, name and line.
pub fn discover(text: &str) -> Vec<(String, String, u32)> {
    let mut package = String::new();
    let mut out: Vec<(String, String, u32)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(p) = line.strip_prefix("package ") {
            package = p.trim().to_string();
            continue;
        }
        let Some(rest) = line.strip_prefix("test_") else {
            continue;
        };
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let name = format!("test_{}", &rest[..name_len]);
        // A rule may have several bodies (incremental definitions): run it once.
        if !out.iter().any(|(p, n, _)| *p == package && *n == name) {
            out.push((package.clone(), name, i as u32 + 1));
        }
    }
    out
}

/// Loads `policies` and `tests` into one engine with `data`, and runs every test rule.
pub fn run(
    policies: &[(String, String)],
    tests: &[(String, String)],
    data: Option<&str>,
) -> Result<Vec<TestResult>, String> {
    let mut engine = regorus::Engine::new();
    engine.set_rego_v0(false);
    for (path, text) in policies.iter().chain(tests) {
        engine
            .add_policy(path.clone(), text.clone())
            .map_err(|e| format!("{path}: {e}"))?;
    }
    if let Some(d) = data {
        engine.add_data_json(d).map_err(|e| format!("data: {e}"))?;
    }
    let mut results = Vec::new();
    for (file, text) in tests {
        for (package, name, line) in discover(text) {
            let query = format!("data.{package}.{name}");
            let (passed, detail) = match engine.eval_rule(query) {
                Ok(regorus::Value::Bool(true)) => (true, None),
                Ok(regorus::Value::Undefined) => (
                    false,
                    Some("undefined (a condition did not hold)".to_string()),
                ),
                Ok(v) => (
                    false,
                    Some(format!(
                        "evaluated to {}",
                        v.to_json_str().unwrap_or_default()
                    )),
                ),
                Err(e) => (false, Some(e.to_string())),
            };
            results.push(TestResult {
                file: file.clone(),
                line,
                package,
                name,
                passed,
                detail,
            });
        }
    }
    Ok(results)
}

/// Runs the embedded bundle's own tests.
pub fn run_bundle() -> Result<Vec<TestResult>, String> {
    let owned = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    let mut matrices = serde_json::Map::new();
    for m in crate::matrix::builtin()? {
        matrices.insert(
            m.driver.clone(),
            serde_json::to_value(&m).map_err(|e| e.to_string())?,
        );
    }
    let data = serde_json::json!({ "matrix": matrices }).to_string();
    run(
        &owned(crate::bundle::POLICIES),
        &owned(crate::bundle::TESTS),
        Some(&data),
    )
}
