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

/// `docs/rules/` is generated from the METADATA blocks and `src/rules.rs`: it must match.
#[test]
fn rule_docs_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    let docs = portmatrix::rules::docs().expect("registry");
    let mut stale = Vec::new();
    for (name, text) in &docs {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(on_disk) if on_disk == *text => {}
            Ok(_) => stale.push(format!("{name} differs")),
            Err(_) => stale.push(format!("{name} is missing")),
        }
    }
    for entry in std::fs::read_dir(&dir).expect("docs/rules exists") {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if !docs.iter().any(|(n, _)| *n == name) {
            stale.push(format!("{name} documents no rule"));
        }
    }
    assert!(
        stale.is_empty(),
        "docs/rules is stale ({}); run `cargo xtask docs`",
        stale.join(", ")
    );
}

/// The layout `opa fmt` produces, as far as it can be checked without OPA's formatter (the OPA
/// wheel the portability test uses does not expose it): tab indentation, no trailing spaces, no
/// runs of blank lines, `package` then sorted imports, a final newline.
#[test]
fn rego_is_laid_out_as_opa_fmt_would() {
    let mut problems = Vec::new();
    for (path, text) in POLICIES.iter().chain(TESTS) {
        if !text.ends_with('\n') || text.ends_with("\n\n") {
            problems.push(format!("{path}: must end with exactly one newline"));
        }
        let mut blank = 0;
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.ends_with(' ') || line.ends_with('\t') {
                problems.push(format!("{path}:{n}: trailing whitespace"));
            }
            if line.starts_with(' ') {
                problems.push(format!("{path}:{n}: indent with tabs"));
            }
            blank = if line.is_empty() { blank + 1 } else { 0 };
            if blank > 1 {
                problems.push(format!("{path}:{n}: more than one blank line"));
            }
        }
        let imports: Vec<&str> = text.lines().filter(|l| l.starts_with("import ")).collect();
        let mut sorted = imports.clone();
        sorted.sort();
        if imports != sorted {
            problems.push(format!(
                "{path}: imports must be sorted as opa fmt sorts them"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
