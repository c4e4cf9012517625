//! The `portmatrix` binary: exit codes, inputs (files, directories, stdin), profiles, formats.

mod common;

use common::{portmatrix as bin, stdout, temp_dir};
use std::io::Write;
use std::process::{Output, Stdio};

fn run(args: &[&str]) -> Output {
    common::exec(bin().args(args))
}

fn run_stdin(args: &[&str], input: &str) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("portmatrix runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

const DENY: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: trident}
spec: {podSelector: {}}
";

#[test]
fn blocked_flow_exits_1_and_names_file_and_line() {
    let o = run(&[
        "lint",
        "--driver",
        "trident",
        "fixtures/trident/trident-default-deny.yaml",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("PM101"), "{out}");
    assert!(
        out.contains("fixtures/trident/trident-default-deny.yaml:"),
        "{out}"
    );
    assert!(out.contains("help:"), "{out}");
    assert!(out.contains("FLOW"), "flow table missing: {out}");
}

#[test]
fn fail_on_never_and_warning() {
    let o = run(&[
        "lint",
        "-d",
        "trident",
        "--fail-on",
        "never",
        "fixtures/trident/trident-default-deny.yaml",
    ]);
    assert_eq!(o.status.code(), Some(0));
    // Only info findings: exit 0 at the default threshold, 1 with --fail-on info.
    let o = run(&["lint", "--example", "trident-least-privilege"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = run(&[
        "lint",
        "--example",
        "trident-least-privilege",
        "--fail-on",
        "info",
    ]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn stdin_and_json_format() {
    let o = run_stdin(&["lint", "-d", "trident", "--format", "json", "-"], DENY);
    assert_eq!(o.status.code(), Some(1));
    let doc = json(&o);
    assert_eq!(doc["version"], 1);
    let blocked: Vec<&str> = doc["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "blocked")
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(
        blocked.contains(&"trident/node-to-controller-backchannel"),
        "{blocked:?}"
    );
    let f = &doc["findings"][0];
    assert_eq!(f["file"], "<stdin>");
    assert_eq!(f["line"], 3);
    assert!(f["column"].as_u64().unwrap() > 0);
}

#[test]
fn directories_are_searched_and_a_bad_file_does_not_hide_good_ones() {
    let dir = temp_dir("dir");
    std::fs::create_dir_all(dir.join("nested")).unwrap();
    std::fs::write(dir.join("nested/deny.yaml"), DENY).unwrap();
    std::fs::write(dir.join("broken.yml"), "a: [1, 2\nb: 3\n").unwrap();
    std::fs::write(dir.join("notes.txt"), "not a manifest").unwrap();
    std::fs::write(dir.join("bad-utf8.json"), b"{\"a\": \"\xff\"}").unwrap();
    let o = run(&[
        "lint",
        "-d",
        "trident",
        "--format",
        "json",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "input errors exit 2");
    let doc = json(&o);
    let findings = doc["findings"].as_array().unwrap();
    let input_errors: Vec<&serde_json::Value> =
        findings.iter().filter(|f| f["rule"] == "PM000").collect();
    assert_eq!(input_errors.len(), 2, "{input_errors:#?}");
    assert!(input_errors
        .iter()
        .any(|f| f["file"].as_str().unwrap().ends_with("broken.yml")
            && f["line"].as_u64() >= Some(2)));
    assert!(input_errors
        .iter()
        .any(|f| f["file"].as_str().unwrap().ends_with("bad-utf8.json")
            && f["message"].as_str().unwrap().contains("UTF-8")));
    // The good file's findings are all there.
    assert!(findings
        .iter()
        .any(|f| f["rule"] == "PM101" && f["file"].as_str().unwrap().ends_with("deny.yaml")));
}

#[test]
fn unknown_driver_is_a_usage_error_with_a_suggestion() {
    let o = run(&[
        "lint",
        "-d",
        "tridnet",
        "fixtures/trident/trident-default-deny.yaml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("did you mean `trident`"), "{err}");
}

#[test]
fn no_driver_detected_is_a_usage_error() {
    let o = run_stdin(
        &["lint", "-"],
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--driver"));
}

#[test]
fn drivers_are_detected_from_namespaces() {
    let o = run_stdin(&["lint", "--format", "json", "-"], DENY);
    let doc = json(&o);
    assert_eq!(doc["drivers"], serde_json::json!(["trident"]));
}

#[test]
fn profile_errors_name_the_key_and_line() {
    let dir = temp_dir("profile");
    let profile = dir.join("p.yaml");
    std::fs::write(&profile, "drivers:\n  trident:\n    protocol: [nfsv4]\n").unwrap();
    let o = run(&[
        "lint",
        "-d",
        "trident",
        "--format",
        "json",
        "--profile",
        profile.to_str().unwrap(),
        "fixtures/trident/trident-default-deny.yaml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let doc = json(&o);
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "PM000")
        .expect("profile error");
    assert_eq!(f["line"], 3);
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("unknown key `protocol`"));
    assert!(f["help"]
        .as_str()
        .unwrap()
        .contains("did you mean `protocols`"));
}

#[test]
fn profile_is_read_from_the_current_directory() {
    let dir = temp_dir("cwd");
    std::fs::write(dir.join(".portmatrix.yaml"), "drivers:\n  huawei-csi: {}\n").unwrap();
    std::fs::write(dir.join("np.yaml"), DENY).unwrap();
    let o = bin()
        .current_dir(&dir)
        .args(["lint", "--format", "json", "np.yaml"])
        .output()
        .unwrap();
    assert_eq!(json(&o)["drivers"], serde_json::json!(["huawei-csi"]));
}

#[test]
fn matrix_formats() {
    for (format, needle) in [
        ("table", "trident/node-to-controller-backchannel"),
        ("markdown", "| ID |"),
        ("csv", "id,from,to"),
        ("json", "\"driver\""),
    ] {
        let o = run(&["matrix", "--driver", "trident", "--format", format]);
        assert_eq!(o.status.code(), Some(0));
        assert!(stdout(&o).contains(needle), "{format}");
    }
    let doc = json(&run(&["matrix", "-d", "huawei-csi", "--format", "json"]));
    let flows = doc["flows"].as_array().unwrap();
    let mgmt = flows
        .iter()
        .find(|f| f["id"] == "huawei-csi/controller-to-storage-management")
        .unwrap();
    assert_eq!(mgmt["protocol"], "TCP");
    assert_eq!(mgmt["ports"], serde_json::json!(["8088"]));
    let o = run(&["matrix", "-d", "huawei"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn rules_list_and_detail() {
    let out = stdout(&run(&["rules"]));
    for id in ["PM000", "PM101", "PM205", "PM301"] {
        assert!(out.contains(id), "{id} missing from {out}");
    }
    let one = stdout(&run(&["rules", "PM205"]));
    assert!(one.contains("host network"), "{one}");
}

#[test]
fn oversized_file_is_an_input_error() {
    let dir = temp_dir("size");
    std::fs::write(dir.join("big.yaml"), "a: 1\n".repeat(100)).unwrap();
    std::fs::write(dir.join("deny.yaml"), DENY).unwrap();
    let o = run(&[
        "lint",
        "-d",
        "trident",
        "--format",
        "json",
        "--max-file-size",
        "200",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let doc = json(&o);
    let findings = doc["findings"].as_array().unwrap();
    assert!(findings
        .iter()
        .any(|f| f["rule"] == "PM000" && f["message"].as_str().unwrap().contains("limit")));
    assert!(findings.iter().any(|f| f["rule"] == "PM101"));
}
