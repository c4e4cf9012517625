//! Hostile input (tests/hostile/): each file is linted beside a good one. No panic, no hang, a
//! located error where the file is bad, and the good file's results all there.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const GOOD: &str = "fixtures/trident/trident-default-deny.yaml";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `portmatrix lint --format json` with a time limit; returns exit code and report.
fn lint(files: &[&Path]) -> (i32, Value, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_portmatrix"))
        .current_dir(root())
        .args(["lint", "--driver", "trident", "--format", "json"])
        .args(files)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("portmatrix runs");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("portmatrix hung on {files:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let code = out.status.code().unwrap_or(-1);
    assert!(!stderr.contains("panicked"), "panic on {files:?}: {stderr}");
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON report for {files:?} ({e}); exit {code}; {stderr}"));
    (code, report, stderr)
}

fn findings_of<'a>(report: &'a Value, file_suffix: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"].as_str().is_some_and(|n| n.ends_with(file_suffix)))
        .collect()
}

fn key(f: &Value) -> String {
    format!(
        "{} {} {} {}",
        f["rule"], f["line"], f["column"], f["message"]
    )
}

/// What a hostile file must produce.
fn expected(name: &str) -> &'static [&'static str] {
    match name {
        "empty.yaml" | "only-separator.yaml" | "only-separators.yaml" | "bom.yaml" | "crlf.yaml"
        | "cronjob-without-template.yaml" | "many-documents.yaml" | "huge-line.yaml"
        // JSON is read as YAML 1.2, whose flow collections allow a trailing comma.
        | "json-trailing-comma.json" => &[],
        // Read with notes: the unmodelled parts make verdicts partial, never an error.
        "calico-unmodelled-fields.yaml" | "cilium-unmodelled.yaml" | "iptables-unknown-module.rules"
        | "nft-unknown-expressions.json" => &[],
        "port-65536.yaml" | "negative-port.yaml" | "port-zero.yaml" | "string-number-port.yaml" => &["PM301"],
        "endport-below-port.yaml" | "endport-named.yaml" => &["PM302"],
        "cidr-33.yaml" | "ipv6-zone-id.yaml" | "cidr-garbage.yaml" | "except-outside.yaml" => &["PM303"],
        _ => &["PM000"],
    }
}

/// Hostile files that are read (in part) as host firewalls, which apply to every node.
fn changes_verdicts(name: &str) -> bool {
    name == "huge-line.rules" || name.starts_with("iptables-") || name.starts_with("nft-")
}

fn check(path: &Path, good: &Value) {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let (code, report, _) = lint(&[path, Path::new(GOOD)]);
    let mine = findings_of(&report, &name);
    for rule in expected(&name) {
        assert!(
            mine.iter().any(|f| f["rule"] == *rule),
            "{name}: expected {rule}, got {mine:#?}"
        );
    }
    if expected(&name).is_empty() {
        let errors: Vec<_> = mine.iter().filter(|f| f["severity"] == "error").collect();
        assert!(errors.is_empty(), "{name}: unexpected errors {errors:#?}");
    }
    for f in &mine {
        assert!(
            f["line"].as_u64().unwrap_or(0) >= 1 && f["column"].as_u64().unwrap_or(0) >= 1,
            "{name}: unlocated {f}"
        );
        assert!(!f["message"].as_str().unwrap_or("").is_empty());
    }
    let has_input_error = mine.iter().any(|f| f["rule"] == "PM000");
    assert_eq!(
        code,
        if has_input_error { 2 } else { 1 },
        "{name}: exit code"
    );
    if changes_verdicts(&name) {
        // A host firewall applies to every node: it rightly changes host flows' verdicts. The
        // good file's flows must still all be there, each with a verdict.
        let ids = |r: &Value| -> Vec<String> {
            r["flows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            ids(&report),
            ids(good),
            "{name}: the good file's flows changed"
        );
        return;
    }
    // The good file's findings and verdicts are all there, unchanged.
    let good_findings: Vec<String> = findings_of(good, GOOD).into_iter().map(key).collect();
    let now: Vec<String> = findings_of(&report, GOOD).into_iter().map(key).collect();
    assert_eq!(
        now, good_findings,
        "{name}: the good file's findings changed"
    );
    assert_eq!(
        report["flows"], good["flows"],
        "{name}: the good file's verdicts changed"
    );
}

#[test]
fn every_hostile_file_beside_a_good_one() {
    let (_, good, _) = lint(&[Path::new(GOOD)]);
    let dir = root().join("tests/hostile");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| ["yaml", "json", "rules", "xml"].iter().any(|x| e == *x))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 40, "only {} hostile files", files.len());
    for f in &files {
        check(f, &good);
    }
}

#[test]
fn generated_hostile_inputs() {
    let (_, good, _) = lint(&[Path::new(GOOD)]);
    let dir = std::env::temp_dir().join(format!("portmatrix-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A 10 MB single line.
    let huge = dir.join("huge-line.yaml");
    std::fs::write(&huge, format!("note: {}\n", "x".repeat(10 * 1024 * 1024))).unwrap();
    check(&huge, &good);
    // A 10 MB line in an iptables-save dump: over the line-length limit, located, the rest read.
    let huge_rules = dir.join("huge-line.rules");
    std::fs::write(
        &huge_rules,
        format!(
            "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment \"{}\" -j ACCEPT\nCOMMIT\n",
            "x".repeat(10 * 1024 * 1024)
        ),
    )
    .unwrap();
    check(&huge_rules, &good);
    let (_, report, _) = lint(&[&huge_rules]);
    let mine = findings_of(&report, "huge-line.rules");
    let f = mine
        .iter()
        .find(|f| f["rule"] == "PM000")
        .unwrap_or_else(|| panic!("no PM000 for the 10 MB line: {mine:?}"));
    assert_eq!(f["line"].as_u64(), Some(3), "{f}");
    assert!(f["message"].as_str().unwrap().contains("limit"), "{f}");
    // Billion laughs: aliases that would expand to 10^9 nodes.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let path = dir.join("alias-bomb.yaml");
    std::fs::write(&path, bomb).unwrap();
    check(&path, &good);
    let (_, report, _) = lint(&[&path]);
    let msg = findings_of(&report, "alias-bomb.yaml")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("alias"), "{msg}");
}
