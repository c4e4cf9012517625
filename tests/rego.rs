//! Runs every `_test.rego` of the bundle, and checks that every rule file has one.

use portmatrix::bundle::{POLICIES, TESTS};
use portmatrix::regorus;

#[test]
fn every_rego_test_passes() {
    let results = portmatrix::regotest::run_bundle().expect("bundle loads");
    assert!(
        results.len() >= 30,
        "only {} Rego tests found",
        results.len()
    );
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| {
            format!(
                "{}:{} {}: {}",
                r.file,
                r.line,
                r.name,
                r.detail.clone().unwrap_or_default()
            )
        })
        .collect();
    println!(
        "{} passed, {} failed",
        results.len() - failed.len(),
        failed.len()
    );
    assert!(
        failed.is_empty(),
        "failing Rego tests:\n{}",
        failed.join("\n")
    );
}

#[test]
fn every_rule_file_has_a_sibling_test() {
    for (path, _) in POLICIES {
        let test = path.replace(".rego", "_test.rego");
        assert!(
            TESTS.iter().any(|(t, _)| *t == test),
            "{path} has no sibling {test}"
        );
    }
}

#[test]
fn every_rule_file_has_metadata_with_a_unique_id() {
    let mut ids = std::collections::BTreeSet::new();
    for (path, text) in POLICIES {
        assert!(
            text.starts_with("# METADATA"),
            "{path} must open with a # METADATA block"
        );
        if path.contains("/rules/") {
            let meta = portmatrix::rules::parse_rule(path, text)
                .expect("METADATA parses")
                .unwrap_or_else(|| panic!("{path} has no custom.id"));
            assert!(ids.insert(meta.id.clone()), "duplicate rule id {}", meta.id);
            assert!(
                !meta.title.is_empty()
                    && !meta.description.is_empty()
                    && !meta.remediation.is_empty()
            );
            // The id the rule reports is the id its METADATA declares.
            assert!(
                text.contains(&format!("\"rule\": \"{}\"", meta.id)),
                "{path} reports another id than {}",
                meta.id
            );
        }
    }
}

#[test]
fn every_rule_is_rego_v1() {
    for (path, text) in POLICIES.iter().chain(TESTS) {
        assert!(
            text.contains("import rego.v1"),
            "{path} must import rego.v1"
        );
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(false);
        engine
            .add_policy(path.to_string(), text.to_string())
            .unwrap_or_else(|e| panic!("{path} does not parse as rego.v1: {e}"));
    }
}

#[test]
fn a_broken_rule_makes_its_test_fail() {
    // The runner must be able to fail: run a test against a rule that gets it wrong.
    let policy = (
        "p.rego".to_string(),
        "package t\nimport rego.v1\nallow if input.x == 2\n".to_string(),
    );
    let test = (
        "p_test.rego".to_string(),
        "package t_test\nimport rego.v1\nimport data.t\ntest_allow if t.allow with input as {\"x\": 1}\ntest_deny if not t.allow with input as {\"x\": 1}\n".to_string(),
    );
    let results = portmatrix::regotest::run(&[policy], &[test], None).unwrap();
    assert_eq!(results.len(), 2);
    assert!(!results[0].passed, "test_allow must fail");
    assert!(results[1].passed, "test_deny must pass");
    assert_eq!(results[0].line, 4);
}
