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

/// Loads `policies` and `tests` into one engine with `data` (JSON documents, merged). A file
/// that does not parse fails the load with `file:line:col: message`.
pub fn load(
    policies: &[(String, String)],
    tests: &[(String, String)],
    data: &[String],
) -> Result<regorus::Engine, String> {
    let mut engine = regorus::Engine::new();
    engine.set_rego_v0(false);
    let files: Vec<crate::SourceFile> = policies
        .iter()
        .chain(tests)
        .map(|(n, t)| crate::SourceFile::new(n.clone(), t.clone()))
        .collect();
    for (path, text) in policies.iter().chain(tests) {
        engine.add_policy(path.clone(), text.clone()).map_err(|e| {
            let (message, loc) = crate::engine::locate_rego_error(&e.to_string(), &files);
            match loc {
                Some(loc) => format!("{loc}: {message}"),
                None => format!("{path}: {message}"),
            }
        })?;
    }
    for d in data {
        engine.add_data_json(d).map_err(|e| format!("data: {e}"))?;
    }
    Ok(engine)
}

/// Runs every test rule of `tests` on a loaded engine.
pub fn run_tests(engine: &mut regorus::Engine, tests: &[(String, String)]) -> Vec<TestResult> {
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
                Err(e) => (
                    false,
                    Some(crate::engine::locate_rego_error(&e.to_string(), &[]).0),
                ),
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
    results
}

/// Loads `policies` and `tests` into one engine with `data`, and runs every test rule.
pub fn run(
    policies: &[(String, String)],
    tests: &[(String, String)],
    data: Option<&str>,
) -> Result<Vec<TestResult>, String> {
    let data: Vec<String> = data.map(str::to_string).into_iter().collect();
    let mut engine = load(policies, tests, &data)?;
    Ok(run_tests(&mut engine, tests))
}

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Rego sources as (file name, text) pairs.
pub type Sources = Vec<(String, String)>;

/// What a test run loads: rule files, the test files to run, and data (JSON).
pub type TestSources = (Sources, Sources, String);

/// The embedded bundle as test sources: its rule files, its test files, and its data (the
/// built-in matrices) as JSON.
pub fn bundle_sources() -> Result<TestSources, String> {
    let data = crate::engine::matrix_data(&crate::matrix::builtin()?)?.to_string();
    Ok((
        owned(crate::bundle::POLICIES),
        owned(crate::bundle::TESTS),
        data,
    ))
}

/// The sources to test the user's policy folders: the bundle's rules and test helpers (so user
/// tests can import `data.portmatrix.lib.*` and `data.portmatrix.lib.testing_test`) plus the
/// user's rule files, and the user's test files, which are the ones run.
pub fn with_user_files(user: &[(String, String)]) -> Result<TestSources, String> {
    let (mut policies, bundle_tests, data) = bundle_sources()?;
    policies.extend(bundle_tests);
    let (tests, rules): (Vec<_>, Vec<_>) = user
        .iter()
        .cloned()
        .partition(|(name, _)| name.ends_with("_test.rego"));
    policies.extend(rules);
    Ok((policies, tests, data))
}

/// Runs the embedded bundle's own tests.
pub fn run_bundle() -> Result<Vec<TestResult>, String> {
    let (policies, tests, data) = bundle_sources()?;
    run(&policies, &tests, Some(&data))
}
