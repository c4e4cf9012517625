//! Enforcement-layer fixtures (`fixtures/layers/<format>/*`): each fixture `F` has a sibling
//! `F.expect.yaml` that says which driver it is for, which other files are linted with it, the
//! profile, the verdict each listed flow must get and the rules that must fire. One test per
//! format runs all of that format's fixtures and reports every mismatch at once.
//!
//! `same_intent_*`: a fixture named `same-intent-<stem>.yaml` writes the intent of
//! `fixtures/trident/<stem>.yaml` (NetworkPolicy) in another format; both must give every flow
//! the same verdict.

use portmatrix::yaml::{self, Limits, Node};
use portmatrix::{LintRequest, Report, SourceFile};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> SourceFile {
    let text = std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    SourceFile::new(rel, text)
}

struct Expect {
    fixture: String,
    driver: String,
    profile: Option<String>,
    files: Vec<String>,
    flows: BTreeMap<String, String>,
    findings: Vec<String>,
    /// The NetworkPolicy fixture this one restates (`same_intent:`, or the file name
    /// `same-intent-<stem>.yaml` for `fixtures/<driver>/<stem>.yaml`).
    same_intent: Option<String>,
}

fn strings(node: Option<&Node>) -> Vec<String> {
    node.and_then(Node::as_seq)
        .map(|s| {
            s.iter()
                .filter_map(|n| n.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn expectation(expect_file: &Path) -> Expect {
    let rel = expect_file
        .strip_prefix(root())
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/");
    let text = std::fs::read_to_string(expect_file).unwrap();
    let (docs, err) = yaml::parse_stream(&rel, &text, &Limits::default());
    assert!(err.is_none(), "{rel}: {err:?}");
    let doc = &docs[0].root;
    // `F.expect.yaml` beside `F`, or `stem.expect.yaml` beside `stem.<ext>`.
    let mut fixture = rel.trim_end_matches(".expect.yaml").to_string();
    if !root().join(&fixture).is_file() {
        let dir = expect_file.parent().unwrap();
        let stem = Path::new(&fixture)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let found = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|d| d.ok())
            .map(|d| d.file_name().to_string_lossy().to_string())
            .find(|n| {
                n.strip_prefix(&stem)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|ext| !ext.contains('.'))
            })
            .unwrap_or_else(|| panic!("{rel}: no fixture named {stem}.*"));
        fixture = format!(
            "{}/{found}",
            Path::new(&fixture).parent().unwrap().display()
        );
    }
    let same_intent = doc
        .get("same_intent")
        .and_then(Node::as_str)
        .map(String::from);
    let flows = doc
        .get("flows")
        .and_then(Node::as_map)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.as_str().unwrap().to_string(),
                        v.as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Expect {
        fixture,
        driver: doc
            .get("driver")
            .and_then(Node::as_str)
            .unwrap_or_else(|| panic!("{rel}: no driver"))
            .to_string(),
        profile: doc.get("profile").and_then(Node::as_str).map(String::from),
        files: strings(doc.get("files")),
        flows,
        findings: strings(doc.get("findings")),
        same_intent,
    }
}

fn lint(e: &Expect) -> Report {
    let mut files = vec![read(&e.fixture)];
    files.extend(e.files.iter().map(|f| read(f)));
    let request = LintRequest {
        files,
        drivers: vec![e.driver.clone()],
        profile: e.profile.as_deref().map(read),
        ..Default::default()
    };
    portmatrix::lint(&request).unwrap_or_else(|err| panic!("{}: {err}", e.fixture))
}

/// Mismatches between a fixture's report and its expectations.
fn check(e: &Expect) -> Vec<String> {
    let report = lint(e);
    let mut problems = Vec::new();
    for (id, want) in &e.flows {
        match report.flows.iter().find(|f| &f.id == id) {
            None => problems.push(format!("{}: no flow {id} in the report", e.fixture)),
            Some(f) if &f.status != want => problems.push(format!(
                "{}: flow {id} is {} (want {want}): {}",
                e.fixture, f.status, f.reason
            )),
            Some(_) => {}
        }
    }
    for rule in &e.findings {
        if !report.findings.iter().any(|f| &f.rule == rule) {
            problems.push(format!(
                "{}: no {rule} finding; got {:?}",
                e.fixture,
                report
                    .findings
                    .iter()
                    .map(|f| format!("{} {}", f.rule, f.message))
                    .collect::<Vec<_>>()
            ));
        }
    }
    // An unexpected input error means the fixture was not read as intended.
    if !e.findings.iter().any(|r| r == "PM000") {
        for f in report.findings.iter().filter(|f| f.rule == "PM000") {
            problems.push(format!("{}: unexpected PM000: {}", e.fixture, f.message));
        }
    }
    problems
}

fn expect_files(format: &str) -> Vec<PathBuf> {
    let dir = root().join("fixtures/layers").join(format);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|d| d.ok().map(|d| d.path()))
        .filter(|p| p.to_string_lossy().ends_with(".expect.yaml"))
        .collect();
    out.sort();
    out
}

fn run_format(format: &str) {
    let files = expect_files(format);
    assert!(
        files.len() >= 6,
        "fixtures/layers/{format}: {} fixtures, want at least 6",
        files.len()
    );
    let problems: Vec<String> = files.iter().flat_map(|f| check(&expectation(f))).collect();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn iptables() {
    run_format("iptables");
}

#[test]
fn nftables() {
    run_format("nftables");
}

#[test]
fn firewalld() {
    run_format("firewalld");
}

#[test]
fn calico() {
    run_format("calico");
}

#[test]
fn cilium() {
    run_format("cilium");
}

#[test]
fn anp() {
    run_format("anp");
}

/// The same intent written as NetworkPolicy and in another format gets the same verdicts.
#[test]
fn same_intent_same_verdicts() {
    let mut compared = 0;
    for format in ["calico", "cilium", "anp"] {
        for path in expect_files(format) {
            let e = expectation(&path);
            let name = Path::new(&e.fixture)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            let original = match (&e.same_intent, name.strip_prefix("same-intent-")) {
                (Some(o), _) => o.clone(),
                (None, Some(stem)) => format!("fixtures/{}/{stem}", e.driver),
                (None, None) => continue,
            };
            let np = Expect {
                fixture: original.clone(),
                files: e.files.clone(),
                flows: BTreeMap::new(),
                findings: vec![],
                driver: e.driver.clone(),
                profile: e.profile.clone(),
                same_intent: None,
            };
            let a = lint(&np);
            let b = lint(&e);
            let verdicts = |r: &Report| -> BTreeMap<String, String> {
                r.flows
                    .iter()
                    .map(|f| (f.id.clone(), f.status.clone()))
                    .collect()
            };
            assert_eq!(
                verdicts(&a),
                verdicts(&b),
                "{original} (NetworkPolicy) and {} disagree",
                e.fixture
            );
            compared += 1;
        }
    }
    assert!(compared >= 2, "only {compared} same-intent pairs found");
}

/// `portmatrix.io/ignore` on a Cilium object suppresses the findings located in it, as on a
/// NetworkPolicy.
#[test]
fn ignore_annotation_on_a_layer_object() {
    let path = "fixtures/layers/cilium/trident-world-entity-on-driver-port.yaml";
    let original = read(path);
    let lint_text = |text: String| {
        let request = LintRequest {
            files: vec![SourceFile::new(path, text)],
            drivers: vec!["trident".into()],
            ..Default::default()
        };
        portmatrix::lint(&request).unwrap()
    };
    let pm211 = |r: &Report| {
        r.findings
            .iter()
            .find(|f| f.rule == "PM211")
            .map(|f| f.suppressed.is_some())
    };
    assert_eq!(pm211(&lint_text(original.text.clone())), Some(false));
    let annotated = original.text.replace(
        "  namespace: trident\n",
        "  namespace: trident\n  annotations:\n    portmatrix.io/ignore: \"PM211 partner monitoring, ticket NET-7\"\n",
    );
    assert_ne!(annotated, original.text);
    assert_eq!(pm211(&lint_text(annotated)), Some(true));
}

/// A `# portmatrix:ignore` comment above a rule of an iptables-save dump suppresses the finding
/// located on that rule (iptables-restore reads `#` lines as comments).
#[test]
fn ignore_comment_in_a_firewall_dump() {
    let path = "fixtures/layers/iptables/huawei-csi-webhook-open-to-world.rules";
    let original = read(path);
    let lint_text = |text: String| {
        let request = LintRequest {
            files: vec![SourceFile::new(path, text)],
            drivers: vec!["huawei-csi".into()],
            ..Default::default()
        };
        portmatrix::lint(&request).unwrap()
    };
    let pm207 = |r: &Report| -> Vec<(u32, bool)> {
        r.findings
            .iter()
            .filter(|f| f.rule == "PM207")
            .map(|f| (f.loc.as_ref().unwrap().line, f.suppressed.is_some()))
            .collect()
    };
    let before = pm207(&lint_text(original.text.clone()));
    assert!(before.iter().any(|&(_, s)| !s), "{before:?}");
    let (line, _) = before[0];
    let mut lines: Vec<&str> = original.text.lines().collect();
    lines.insert(
        line as usize - 1,
        "# portmatrix:ignore PM207 lab cluster, no external route",
    );
    let after = pm207(&lint_text(lines.join("\n") + "\n"));
    assert!(after.contains(&(line + 1, true)), "{after:?}");
}
