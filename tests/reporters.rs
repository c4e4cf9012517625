//! Snapshots of the CI reporters (SARIF, GitHub annotations, JUnit, Markdown) on fixtures that
//! cover blocked and ungoverned flows, input errors with a partly readable file, and a clean
//! least-privilege setup. Review changes with `cargo insta review`.

use portmatrix::report::paths::RepoPaths;
use portmatrix::report::{github, junit, markdown, sarif};
use portmatrix::rules::RuleMeta;
use portmatrix::{LintRequest, Report, Severity, SourceFile};
use std::path::Path;

const FIXTURES: &[(&str, &str)] = &[
    ("default_deny", "fixtures/trident/trident-default-deny.yaml"),
    (
        "syntax_error",
        "fixtures/huawei-csi/huawei-csi-yaml-syntax-error.yaml",
    ),
    (
        "least_privilege",
        "fixtures/trident/trident-least-privilege.yaml",
    ),
];

fn read(rel: &str) -> SourceFile {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"));
    SourceFile::new(rel, text)
}

fn lint(file: &str) -> Report {
    let driver = Path::new(file)
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .unwrap();
    let profile = file.replace(".yaml", ".portmatrix.yaml");
    let profile = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(&profile)
        .exists()
        .then(|| read(&profile));
    let request = LintRequest {
        files: vec![read(file)],
        drivers: vec![driver.to_string()],
        profile,
        ..Default::default()
    };
    portmatrix::lint(&request).expect("lint")
}

fn rules() -> Vec<RuleMeta> {
    portmatrix::rules::registry().expect("registry")
}

/// The SARIF log with the version and the rules (snapshotted once, in `sarif-rules`) taken out,
/// so that a release or a new rule does not touch every snapshot.
fn sarif_run(report: &Report, file: &str) -> serde_json::Value {
    let opts = sarif::SarifOptions {
        paths: RepoPaths::default(),
        anchor: Some(file.to_string()),
    };
    let mut log = sarif::to_value(report, &rules(), &opts);
    let driver = &mut log["runs"][0]["tool"]["driver"];
    assert_eq!(driver["version"], portmatrix::version());
    driver["version"] = "[version]".into();
    driver["semanticVersion"] = "[version]".into();
    let n = driver["rules"].as_array().map_or(0, Vec::len);
    driver["rules"] = format!("[{n} rules]").into();
    log
}

fn without_version(text: String) -> String {
    text.replace(
        &format!("value=\"{}\"", portmatrix::version()),
        "value=\"[version]\"",
    )
}

#[test]
fn sarif() {
    for (name, file) in FIXTURES {
        let report = lint(file);
        insta::assert_json_snapshot!(format!("{name}-sarif"), sarif_run(&report, file));
    }
}

#[test]
fn sarif_rules() {
    let report = lint(FIXTURES[0].1);
    let log = sarif::to_value(&report, &rules(), &sarif::SarifOptions::default());
    insta::assert_json_snapshot!("sarif-rules", log["runs"][0]["tool"]["driver"]["rules"]);
}

#[test]
fn github() {
    for (name, file) in FIXTURES {
        let report = lint(file);
        insta::assert_snapshot!(
            format!("{name}-github"),
            github::render(&report, &rules(), &RepoPaths::default())
        );
    }
}

#[test]
fn junit() {
    for (name, file) in FIXTURES {
        let report = lint(file);
        insta::assert_snapshot!(
            format!("{name}-junit"),
            without_version(junit::render(&report, &rules(), Some(Severity::Error)))
        );
    }
}

#[test]
fn markdown() {
    for (name, file) in FIXTURES {
        let report = lint(file);
        insta::assert_snapshot!(
            format!("{name}-markdown"),
            markdown::render(&report, &rules())
        );
    }
}

/// Every result of every fixture: a rule index that points at its rule, a level that matches
/// the severity, and a location (GitHub rejects a log with a result that has none).
#[test]
fn sarif_results_point_at_their_rules() {
    let rules = rules();
    for (_, file) in FIXTURES {
        let report = lint(file);
        let opts = sarif::SarifOptions {
            anchor: Some(file.to_string()),
            ..Default::default()
        };
        let log = sarif::to_value(&report, &rules, &opts);
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), report.findings.len(), "{file}");
        for (r, f) in results.iter().zip(&report.findings) {
            let i = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i].id, f.rule);
            assert_eq!(r["ruleId"], f.rule.as_str());
            assert_eq!(r["level"], sarif::level(f.severity));
            let uri = &r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
            assert_eq!(uri, *file, "{r}");
        }
    }
}

/// The same problem in a file moved down by ten lines keeps its fingerprints.
#[test]
fn sarif_fingerprints_survive_moving_lines() {
    let file = "fixtures/trident/trident-default-deny.yaml";
    let fingerprints = |report: &Report| -> Vec<String> {
        let log = sarif::to_value(report, &rules(), &sarif::SarifOptions::default());
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"][sarif::FINGERPRINT_KEY].to_string())
            .collect()
    };
    let before = lint(file);
    let mut moved = read(file);
    moved.text = format!("{}{}", "# padding\n".repeat(10), moved.text);
    let after = portmatrix::lint(&LintRequest {
        files: vec![moved],
        drivers: vec!["trident".into()],
        ..Default::default()
    })
    .unwrap();
    assert_ne!(
        before.findings[0].loc.as_ref().unwrap().line,
        after.findings[0].loc.as_ref().unwrap().line
    );
    assert_eq!(fingerprints(&before), fingerprints(&after));
}

/// Nothing to report is an empty `results` array, not a missing one.
#[test]
fn sarif_with_no_findings_has_empty_results() {
    let mut report = lint("fixtures/trident/trident-least-privilege.yaml");
    report.findings.clear();
    report.compute_summary(1);
    let log = sarif::to_value(&report, &rules(), &sarif::SarifOptions::default());
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
    let md = markdown::render(&report, &rules());
    assert!(md.contains("No findings."), "{md}");
}
