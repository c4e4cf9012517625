//! OPA portability: the bundle must give the same answers on OPA's own engine as on regorus.
//!
//! For every fixture, this builds the input document the rules see (what `portmatrix input`
//! prints), evaluates `data.portmatrix.report` with regorus, and hands both to
//! `tests/opa/compare.py`, which evaluates the bundle on a real OPA (the
//! `opa-golib-python-bindings` wheel, cached under `target/opa/`) and compares flow statuses and
//! findings. It also runs the bundle's `_test.rego` files on OPA.
//!
//! Skipped, loudly, only when python3 is absent. `cargo xtask test` downloads the wheel first;
//! when it is missing, this test downloads it itself.

use portmatrix::{LintRequest, SourceFile};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> SourceFile {
    let text = std::fs::read_to_string(root().join(rel)).unwrap();
    SourceFile::new(rel, text)
}

/// `(driver, manifest path)` of every fixture: the core's list of built-in examples.
fn fixtures() -> Vec<(String, String)> {
    portmatrix::examples::examples()
        .into_iter()
        .map(|e| (e.driver.to_string(), e.path.to_string()))
        .collect()
}

fn python() -> Option<&'static str> {
    Command::new("python3")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| "python3")
}

#[test]
fn bundle_gives_the_same_report_on_opa() {
    let Some(python) = python() else {
        eprintln!(
            "\n!!! SKIPPED bundle_gives_the_same_report_on_opa: python3 is not installed, so OPA \
             (the opa-golib-python-bindings wheel) cannot run. Install python3 to check OPA \
             portability.\n"
        );
        return;
    };
    let script = root().join("tests/opa/compare.py");
    let cache = root().join("target/opa");
    let status = Command::new(python)
        .arg(&script)
        .arg("--setup")
        .arg(&cache)
        .status()
        .expect("python3 runs");
    assert!(status.success(), "downloading the OPA wheel failed");

    let mut cases = Vec::new();
    for (driver, rel) in fixtures() {
        let profile_rel = rel.replace(".yaml", ".portmatrix.yaml");
        let request = LintRequest {
            files: vec![read(&rel)],
            drivers: vec![driver],
            profile: root()
                .join(&profile_rel)
                .exists()
                .then(|| read(&profile_rel)),
            ..Default::default()
        };
        let view = portmatrix::input_document(&request).expect("input document");
        let input: serde_json::Value = serde_json::from_str(&view.json).unwrap();
        let report = portmatrix::engine::evaluate(&view.json).expect("regorus evaluates");
        let expected = serde_json::json!({
            "flows": report.flows.iter().map(|f| serde_json::json!({"id": f.id, "status": f.status})).collect::<Vec<_>>(),
            "findings": report.findings.iter().map(|f| serde_json::json!({
                "rule": f.rule, "flow": f.flow, "loc": f.loc, "message": f.message, "help": f.help,
            })).collect::<Vec<_>>(),
        });
        cases.push(serde_json::json!({"name": rel, "input": input, "expected": expected}));
    }
    assert!(cases.len() >= 18, "only {} fixtures", cases.len());
    let cases_path = cache.join("cases.json");
    std::fs::write(&cases_path, serde_json::to_string(&cases).unwrap()).unwrap();
    let out = Command::new(python)
        .arg(&script)
        .arg("--cache")
        .arg(&cache)
        .arg(&cases_path)
        .current_dir(Path::new(&root()))
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "OPA and regorus disagree:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains(" 0 mismatches"), "{stdout}");
}
