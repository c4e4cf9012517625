//! `portmatrix test`, `input`, `schema`, `rules --markdown`, and the lint options for custom
//! rules, matrices and suppressions.

mod common;

use common::{stdout, temp_dir};
use std::process::Output;

fn run(args: &[&str]) -> Output {
    common::exec(common::portmatrix().args(args))
}

#[test]
fn test_runs_the_bundle_and_prints_a_count() {
    let o = run(&["test"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    let last = out.lines().last().unwrap();
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
    let passed: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert!(passed >= 30, "{last}");
}

#[test]
fn test_runs_user_tests_and_fails_with_file_and_line() {
    let o = run(&["test", "--coverage", "examples/custom-policy"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("PASS acme.approved_cidrs_test."), "{out}");
    assert!(
        out.contains("examples/custom-policy/policies/approved_cidrs.rego"),
        "coverage: {out}"
    );
    assert!(out.ends_with("4 passed, 0 failed\n"), "{out}");

    let dir = temp_dir("failing");
    std::fs::write(
        dir.join("r_test.rego"),
        "package r_test\n\nimport rego.v1\n\ntest_ok if true\n\ntest_wrong if 1 == 2\n",
    )
    .unwrap();
    let o = run(&["test", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("FAIL r_test.test_wrong at ") && out.contains("r_test.rego:7"),
        "{out}"
    );
    assert!(out.ends_with("1 passed, 1 failed\n"), "{out}");
}

#[test]
fn input_prints_the_document_and_its_locations() {
    let o = run(&[
        "input",
        "--format",
        "json",
        "--example",
        "trident-default-deny",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let policy = &v["input"]["policies"]["trident"][0];
    let id = policy["loc"].as_u64().unwrap() as usize;
    assert_eq!(v["locations"][id]["line"], 6);
    assert_eq!(v["input"]["drivers"][0], "trident");
}

#[test]
fn schema_matrix_prints_json_schema() {
    let o = run(&["schema", "matrix"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["required"][0], "driver");
}

#[test]
fn rules_markdown_writes_the_docs() {
    let dir = temp_dir("docs");
    let o = run(&["rules", "--markdown", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let page = std::fs::read_to_string(dir.join("PM101.md")).unwrap();
    assert!(page.starts_with("<!-- Generated"), "{page}");
    assert!(dir.join("README.md").exists());
    // The plain listing still works.
    assert!(stdout(&run(&["rules"])).contains("PM401"));
    assert!(stdout(&run(&["rules", "pm101"])).contains("Required flow blocked"));
}

#[test]
fn lint_with_custom_policy_data_and_unused_ignores() {
    let o = run(&[
        "lint",
        "-d",
        "trident",
        "--format",
        "json",
        "--policy",
        "examples/custom-policy/policies",
        "--data",
        "examples/custom-policy/approved.yaml",
        "--report-unused-ignores",
        "fixtures/trident/trident-egress-open-to-world.yaml",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let acme = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "ACME001")
        .expect("the example's rule fires");
    assert_eq!(acme["line"], 21);
    assert_eq!(v["summary"]["suppressed"], 0);
}

#[test]
fn lint_a_team_matrix_and_a_broken_one() {
    let dir = temp_dir("matrix");
    let matrix = "driver: orders-db\ntitle: Orders\nnamespace: orders\ncomponents:\n  db:\n    workload: {kind: StatefulSet, name: db}\n    labels: {app: db}\nflows:\n  - {id: orders-db/clients-to-db, from: nodes, to: db, protocol: TCP, ports: [5432], purpose: queries}\n";
    std::fs::write(dir.join("m.yaml"), matrix).unwrap();
    std::fs::write(
        dir.join("np.yaml"),
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: orders}\nspec: {podSelector: {}}\n",
    )
    .unwrap();
    let m = dir.join("m.yaml");
    let np = dir.join("np.yaml");
    let o = run(&[
        "lint",
        "--matrix",
        m.to_str().unwrap(),
        "-d",
        "orders-db",
        np.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("orders-db/clients-to-db"));

    std::fs::write(
        &m,
        matrix.replace("ports: [5432]", "ports: [5432], prots: [1]"),
    )
    .unwrap();
    let o = run(&[
        "lint",
        "--matrix",
        m.to_str().unwrap(),
        "-d",
        "orders-db",
        np.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(
        out.contains("unknown key `prots`") && out.contains("m.yaml:9"),
        "{out}"
    );
}

#[test]
fn a_slow_custom_rule_hits_the_time_limit_and_the_run_goes_on() {
    let dir = temp_dir("slow");
    std::fs::write(
        dir.join("slow.rego"),
        "package slow\n\nimport rego.v1\n\nwarn contains sprintf(\"%d\", [n]) if {\n\tn := count([1 | some i in numbers.range(1, 5000); some j in numbers.range(1, 5000)])\n}\n",
    )
    .unwrap();
    let o = run(&[
        "lint",
        "-d",
        "trident",
        "--eval-timeout",
        "1",
        "--policy",
        dir.to_str().unwrap(),
        "--example",
        "trident-default-deny",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(2), "an input error");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let err = findings.iter().find(|f| f["rule"] == "PM000").unwrap();
    assert!(
        err["message"].as_str().unwrap().contains("time limit"),
        "{err}"
    );
    assert!(err["file"].as_str().unwrap().ends_with("slow.rego"));
    assert!(
        findings.iter().any(|f| f["rule"] == "PM101"),
        "built-in rules ran"
    );
}
