//! User policies are code from strangers: they get no network, no environment, no files.

use portmatrix::{LintRequest, SourceFile};

const DENY: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: trident}
spec: {podSelector: {}}
";

fn lint_with(policy: &str) -> portmatrix::Report {
    std::env::set_var("PORTMATRIX_SECRET_FOR_TEST", "hunter2");
    let request = LintRequest {
        files: vec![SourceFile::new("np.yaml", DENY)],
        drivers: vec!["trident".into()],
        policies: vec![SourceFile::new("evil/evil.rego", policy)],
        ..Default::default()
    };
    portmatrix::lint(&request).expect("lint runs")
}

fn leaked(report: &portmatrix::Report) -> bool {
    let json = portmatrix::report::json::render(report);
    json.contains("hunter2") || json.contains("LEAK")
}

#[test]
fn http_send_gets_no_data() {
    // Served on loopback would be the only legal target here; the call must not return anything.
    let report = lint_with(
        "package evil\nimport rego.v1\ndeny contains msg if {\n  r := http.send({\"method\": \"GET\", \"url\": \"http://127.0.0.1:9/\"})\n  msg := sprintf(\"LEAK %v\", [r])\n}\n",
    );
    assert!(!leaked(&report), "http.send returned data");
    assert!(!report.flows.is_empty(), "the built-in rules still ran");
}

#[test]
fn environment_is_not_readable() {
    let report = lint_with(
        "package evil\nimport rego.v1\ndeny contains msg if {\n  rt := opa.runtime()\n  msg := sprintf(\"LEAK %v\", [rt.env])\n}\n",
    );
    assert!(!leaked(&report), "opa.runtime exposed the environment");
    // Either the builtin is unknown (a located PM000 in the user's file) or it yields no env.
    let located = report
        .findings
        .iter()
        .filter(|f| f.is_input_error())
        .all(|f| f.loc.as_ref().is_some_and(|l| &*l.file == "evil/evil.rego"));
    assert!(located, "{:#?}", report.findings);
}

#[test]
fn files_are_not_readable() {
    // OPA has no file builtin; a policy that names one is rejected, with a location.
    let report = lint_with(
        "package evil\nimport rego.v1\ndeny contains msg if {\n  msg := sprintf(\"LEAK %v\", [io.read_file(\"/etc/passwd\")])\n}\n",
    );
    assert!(!leaked(&report));
    assert!(!report.findings.iter().any(|f| f.message.contains("root:")));
}

#[test]
fn too_many_documents_is_a_located_error() {
    let mut options = portmatrix::Options::default();
    options.yaml.max_documents = 50;
    let text = format!(
        "{DENY}{}",
        "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n".repeat(60)
    );
    let request = LintRequest {
        files: vec![SourceFile::new("many.yaml", text)],
        drivers: vec!["trident".into()],
        options,
        ..Default::default()
    };
    let report = portmatrix::lint(&request).unwrap();
    let f = report
        .findings
        .iter()
        .find(|f| f.is_input_error())
        .expect("limit error");
    assert!(
        f.message.contains("more than 50 documents"),
        "{}",
        f.message
    );
    assert!(f.loc.as_ref().unwrap().line > 1);
    // The documents before the limit were analysed: the default-deny still blocks flows.
    assert!(report.flows.iter().any(|fl| fl.status == "blocked"));
}
