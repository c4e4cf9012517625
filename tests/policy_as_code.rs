//! Policy as code: custom rules (`--policy`, `--data`), custom matrices (`--matrix`) and
//! suppressions (annotation, profile `ignore:`, comments), through the core's `lint`.

use portmatrix::finding::SuppressionKind;
use portmatrix::{LintRequest, Report, Severity, SourceFile};

const DENY: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny
  namespace: trident
spec:
  podSelector: {}
  policyTypes: [Ingress]
";

fn lint(request: LintRequest) -> Report {
    portmatrix::lint(&request).expect("lint runs")
}

fn request(files: &[(&str, &str)]) -> LintRequest {
    LintRequest {
        files: files.iter().map(|(n, t)| SourceFile::new(*n, *t)).collect(),
        drivers: vec!["trident".into()],
        ..Default::default()
    }
}

fn rules(report: &Report) -> Vec<(&str, u32, bool)> {
    report
        .findings
        .iter()
        .map(|f| {
            (
                f.rule.as_str(),
                f.loc.as_ref().map(|l| l.line).unwrap_or(0),
                f.suppressed.is_some(),
            )
        })
        .collect()
}

#[test]
fn conftest_rules_become_findings_at_the_blamed_node() {
    let policy = r#"package team.naming

import rego.v1

deny contains {"msg": sprintf("policy %s lacks a team prefix", [p.name]), "loc": p.loc} if {
	some ps in input.policies
	some p in ps
	not startswith(p.name, "team-")
}

warn contains "plain message" if true

info contains {"msg": "by path", "path": "policies.trident.0.pod_selector", "rule": "TEAM9"} if true
"#;
    let mut req = request(&[("np.yaml", DENY)]);
    req.policies = vec![
        SourceFile::new("custom/naming.rego", policy),
        SourceFile::new("custom/naming_test.rego", "this is not even rego"),
    ];
    let report = lint(req);
    let find = |rule: &str, sev: Severity| {
        report
            .findings
            .iter()
            .find(|f| f.rule == rule && f.severity == sev)
            .unwrap_or_else(|| panic!("no {rule}: {:?}", rules(&report)))
    };
    let deny = find("team.naming", Severity::Error);
    assert_eq!(deny.message, "policy deny lacks a team prefix");
    assert_eq!(deny.loc.as_ref().unwrap().line, 4);
    let warn = find("team.naming", Severity::Warning);
    assert_eq!(warn.message, "plain message");
    assert_eq!(&*warn.loc.as_ref().unwrap().file, "custom/naming.rego");
    let info = find("TEAM9", Severity::Info);
    assert_eq!(info.loc.as_ref().unwrap().line, 7, "the podSelector's line");
    // Test files are not loaded for linting.
    assert!(!report.has_input_errors(), "{:?}", rules(&report));
}

#[test]
fn a_broken_custom_policy_is_a_located_input_error() {
    let mut req = request(&[("np.yaml", DENY)]);
    req.policies = vec![SourceFile::new(
        "custom/bad.rego",
        "package bad\n\nimport rego.v1\n\ndeny contains msg if {\n\tmsg := \n}\n",
    )];
    let report = lint(req);
    let err = report
        .findings
        .iter()
        .find(|f| f.is_input_error())
        .expect("an input error");
    let loc = err.loc.as_ref().unwrap();
    assert_eq!(&*loc.file, "custom/bad.rego");
    assert!(loc.line >= 6, "{loc:?}");
    // The built-in rules still ran.
    assert!(report.findings.iter().any(|f| f.rule == "PM101"));
}

#[test]
fn an_evaluation_error_in_a_custom_rule_is_an_input_error() {
    let mut req = request(&[("np.yaml", DENY)]);
    req.policies = vec![SourceFile::new(
        "custom/div.rego",
        "package div\n\nimport rego.v1\n\ndeny contains x if {\n\tx := 1 / 0\n}\n",
    )];
    let report = lint(req);
    let err = report.findings.iter().find(|f| f.is_input_error());
    assert!(err.is_some(), "{:?}", rules(&report));
    assert!(report.findings.iter().any(|f| f.rule == "PM101"));
}

#[test]
fn data_files_reach_custom_rules() {
    let mut req = request(&[("np.yaml", DENY)]);
    req.policies = vec![SourceFile::new(
        "custom/d.rego",
        "package d\n\nimport rego.v1\n\nwarn contains data.team.word if true\n",
    )];
    req.data = vec![SourceFile::new("team.yaml", "team:\n  word: hello\n")];
    let report = lint(req);
    assert!(report.findings.iter().any(|f| f.message == "hello"));
}

#[test]
fn the_example_custom_policy_flags_world_egress() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/custom-policy");
    let read = |rel: &str| {
        SourceFile::new(
            format!("examples/custom-policy/{rel}"),
            std::fs::read_to_string(format!("{dir}/{rel}")).unwrap(),
        )
    };
    let manifest = SourceFile::new(
        "world.yaml",
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/trident/trident-egress-open-to-world.yaml"
        ))
        .unwrap(),
    );
    let req = LintRequest {
        files: vec![manifest],
        drivers: vec!["trident".into()],
        policies: vec![
            read("policies/approved_cidrs.rego"),
            read("policies/open_ingress.rego"),
        ],
        data: vec![read("approved.yaml")],
        ..Default::default()
    };
    let report = lint(req);
    let acme: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "ACME001")
        .collect();
    assert_eq!(acme.len(), 1, "{:?}", rules(&report));
    assert_eq!(acme[0].loc.as_ref().unwrap().line, 21);
}

#[test]
fn the_example_custom_policy_tests_pass() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/custom-policy/policies"
    );
    let mut user = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        user.push((
            path.display().to_string(),
            std::fs::read_to_string(&path).unwrap(),
        ));
    }
    let (policies, tests, data) = portmatrix::regotest::with_user_files(&user).unwrap();
    assert_eq!(tests.len(), 2);
    let results = portmatrix::regotest::run(&policies, &tests, Some(&data)).unwrap();
    assert!(results.len() >= 4);
    let failed: Vec<_> = results.iter().filter(|r| !r.passed).collect();
    assert!(failed.is_empty(), "{failed:?}");
}

const TEAM_MATRIX: &str = "driver: orders-db
title: Orders database
namespace: orders
components:
  db:
    workload: {kind: StatefulSet, name: orders-db}
    labels: {app: orders-db}
  api:
    workload: {kind: Deployment, name: orders-api}
    labels: {app: orders-api}
flows:
  - id: orders-db/api-to-db
    from: api
    to: db
    protocol: TCP
    ports: [5432]
    purpose: queries
";

const ORDERS_DENY: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: orders}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
";

#[test]
fn a_team_matrix_is_linted_like_a_driver() {
    let req = LintRequest {
        files: vec![SourceFile::new("orders.yaml", ORDERS_DENY)],
        drivers: vec!["orders-db".into()],
        matrices: vec![SourceFile::new("orders.matrix.yaml", TEAM_MATRIX)],
        ..Default::default()
    };
    let report = lint(req);
    let flow = report
        .flows
        .iter()
        .find(|f| f.id == "orders-db/api-to-db")
        .expect("the team's flow");
    assert_eq!(flow.status, "blocked");
    assert!(report
        .findings
        .iter()
        .any(|f| f.rule == "PM101" && f.flow.as_deref() == Some("orders-db/api-to-db")));
    // Detected from the namespace, without --driver.
    let req = LintRequest {
        files: vec![SourceFile::new("orders.yaml", ORDERS_DENY)],
        matrices: vec![SourceFile::new("orders.matrix.yaml", TEAM_MATRIX)],
        ..Default::default()
    };
    assert_eq!(lint(req).drivers, vec!["orders-db".to_string()]);
}

#[test]
fn a_bad_matrix_gets_located_errors() {
    let bad = TEAM_MATRIX
        .replace("protocol: TCP", "protocol: TPC")
        .replace("ports: [5432]", "ports: [70000]")
        .replace("purpose: queries", "purpose: queries\n    whn: [x]")
        .replace("to: db", "to: dbase");
    let req = LintRequest {
        files: vec![SourceFile::new("orders.yaml", ORDERS_DENY)],
        drivers: vec!["orders-db".into()],
        matrices: vec![SourceFile::new("orders.matrix.yaml", bad)],
        ..Default::default()
    };
    let report = portmatrix::lint(&req).expect("the errors are a report, not a usage error");
    let errors: Vec<(u32, &str)> = report
        .findings
        .iter()
        .filter(|f| f.is_input_error())
        .map(|f| (f.loc.as_ref().unwrap().line, f.message.as_str()))
        .collect();
    let lines: Vec<u32> = errors.iter().map(|e| e.0).collect();
    assert!(lines.contains(&15), "protocol TPC at line 15: {errors:?}");
    assert!(lines.contains(&16), "port 70000 at line 16: {errors:?}");
    assert!(
        lines.contains(&18),
        "unknown key `whn` at line 18: {errors:?}"
    );
    let help = &report
        .findings
        .iter()
        .find(|f| f.message.contains("whn"))
        .unwrap()
        .help;
    assert_eq!(help, "did you mean `when`?");
    // Once the schema passes, consistency errors are located too.
    let req = LintRequest {
        matrices: vec![SourceFile::new(
            "orders.matrix.yaml",
            TEAM_MATRIX.replace("to: db", "to: dbase"),
        )],
        ..req
    };
    let report = portmatrix::lint(&req).unwrap();
    let err = report.findings.iter().find(|f| f.is_input_error()).unwrap();
    assert!(
        err.message.contains("unknown role `dbase`"),
        "{}",
        err.message
    );
    assert_eq!(err.loc.as_ref().unwrap().line, 14);
}

#[test]
fn built_in_matrices_follow_the_schema() {
    let schema = portmatrix::schema::matrix_schema().unwrap();
    portmatrix::schema::check_supported(&schema).expect("the validator implements every keyword");
    for (name, text) in portmatrix::matrix::BUILTIN {
        let (docs, err) =
            portmatrix::yaml::parse_stream(name, text, &portmatrix::yaml::Limits::default());
        assert!(err.is_none());
        let violations = portmatrix::schema::validate(&schema, &docs[0].root);
        assert!(violations.is_empty(), "{name}: {violations:#?}");
    }
}

const ANNOTATED: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny
  namespace: trident
  annotations:
    portmatrix.io/ignore: \"PM101 the backchannel is proxied, ticket NET-7\"
spec:
  podSelector: {}
  policyTypes: [Ingress]
";

#[test]
fn the_annotation_suppresses_findings_in_its_object() {
    let report = lint(request(&[("np.yaml", ANNOTATED)]));
    let pm101: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "PM101")
        .collect();
    assert!(!pm101.is_empty());
    for f in &pm101 {
        let s = f.suppressed.as_ref().expect("suppressed");
        assert_eq!(s.kind, SuppressionKind::Annotation);
        assert_eq!(s.reason, "the backchannel is proxied, ticket NET-7");
    }
    assert_eq!(report.summary.suppressed, pm101.len());
    assert_eq!(report.summary.errors, 0, "{:?}", rules(&report));
    assert!(report.max_severity() < Some(Severity::Error));
    let json = portmatrix::report::json::to_value(&report);
    let first = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "PM101")
        .unwrap();
    assert_eq!(first["suppressed"]["kind"], "annotation");
}

#[test]
fn a_suppression_without_reason_warns_and_still_applies() {
    let text = ANNOTATED.replace("PM101 the backchannel is proxied, ticket NET-7", "PM101");
    let report = lint(request(&[("np.yaml", &text)]));
    assert!(report
        .findings
        .iter()
        .filter(|f| f.rule == "PM101")
        .all(|f| f.suppressed.is_some()));
    let warn = report.findings.iter().find(|f| f.rule == "PM401").unwrap();
    assert_eq!(warn.severity, Severity::Warning);
    assert_eq!(warn.loc.as_ref().unwrap().line, 7);
}

const PROFILE_IGNORE: &str = "ignore:
  - rule: PM101
    path: \"k8s/*.yaml\"
    flow: \"trident/node-to-controller-*\"
    reason: accepted until the proxy lands
    expires: \"2030-01-31\"
  - rule: PM205
    reason: never matches
";

#[test]
fn profile_entries_match_rule_path_and_flow_and_expire() {
    let mut req = request(&[("k8s/np.yaml", DENY)]);
    req.profile = Some(SourceFile::new("p.yaml", PROFILE_IGNORE));
    req.today = Some((2029, 12, 31));
    req.report_unused_ignores = true;
    let report = lint(req.clone());
    let suppressed: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_some())
        .collect();
    assert_eq!(suppressed.len(), 1, "{:?}", rules(&report));
    assert_eq!(
        suppressed[0].flow.as_deref(),
        Some("trident/node-to-controller-backchannel")
    );
    assert_eq!(
        suppressed[0].suppressed.as_ref().unwrap().kind,
        SuppressionKind::Profile
    );
    let unused: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "PM403")
        .collect();
    assert_eq!(unused.len(), 1, "{:?}", rules(&report));
    assert_eq!(unused[0].loc.as_ref().unwrap().line, 7);

    req.today = Some((2030, 2, 1));
    let report = lint(req);
    assert!(report.findings.iter().all(|f| f.suppressed.is_none()));
    let expired = report.findings.iter().find(|f| f.rule == "PM402").unwrap();
    assert!(
        expired.message.contains("expired on 2030-01-31"),
        "{}",
        expired.message
    );
}

#[test]
fn profile_ignore_keys_are_checked() {
    let mut req = request(&[("np.yaml", DENY)]);
    req.profile = Some(SourceFile::new(
        "p.yaml",
        "ignore:\n  - rule: PM101\n    reasn: typo\n    expires: soon\n",
    ));
    let report = lint(req);
    let errors: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.is_input_error())
        .map(|f| (f.loc.as_ref().unwrap().line, f.help.clone()))
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0], (3, "did you mean `reason`?".to_string()));
    assert_eq!(errors[1].0, 4);
}

#[test]
fn a_comment_suppresses_the_finding_on_the_next_line() {
    let text = DENY.replace(
        "metadata:\n  name: deny",
        "metadata:\n  # portmatrix:ignore PM101 reviewed with the storage team\n  name: deny",
    );
    let report = lint(request(&[("np.yaml", &text)]));
    let pm101: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "PM101")
        .collect();
    assert!(!pm101.is_empty());
    assert!(pm101.iter().all(|f| f.loc.as_ref().unwrap().line == 5));
    assert!(pm101
        .iter()
        .all(|f| f.suppressed.as_ref().map(|s| s.kind) == Some(SuppressionKind::Comment)));
}

#[test]
fn input_errors_are_never_suppressed() {
    let text = format!("{ANNOTATED}---\nkind: [\n").replace("PM101 ", "* ");
    let report = lint(request(&[("np.yaml", &text)]));
    let err = report.findings.iter().find(|f| f.is_input_error()).unwrap();
    assert!(err.suppressed.is_none());
}
