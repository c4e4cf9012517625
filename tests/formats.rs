//! `--format`/`--output` pairs, the CI formats end to end, and the GitHub job summary.

mod common;

use common::{exec as run, stderr, stdout, temp_dir};
use std::path::Path;
use std::process::Command;

const DENY: &str = "fixtures/trident/trident-default-deny.yaml";

fn bin() -> Command {
    let mut c = common::portmatrix();
    c.env_remove("GITHUB_STEP_SUMMARY");
    c
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn sarif_to_a_file_and_human_to_the_terminal() {
    let dir = temp_dir("pairs");
    let sarif = dir.join("out.sarif");
    let json = dir.join("out.json");
    let o = run(bin()
        .args(["lint", "-d", "trident", "--format", "sarif", "--output"])
        .arg(&sarif)
        .args(["--format", "human", "-f", "json", "-o"])
        .arg(&json)
        .arg(DENY));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("FLOW"),
        "human on stdout: {}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("PM101"));
    let log = read_json(&sarif);
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["runs"][0]["tool"]["driver"]["name"], "portmatrix");
    assert_eq!(read_json(&json)["version"], 1);
    // `--output` before its only `--format` works too; exit codes do not change.
    let md = dir.join("report.md");
    let o = run(bin()
        .args(["lint", "--example", "trident-least-privilege", "--output"])
        .arg(&md)
        .args(["--format", "markdown"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    assert!(std::fs::read_to_string(&md).unwrap().contains("| Status |"));
}

#[test]
fn two_formats_on_stdout_is_a_usage_error() {
    let o = run(bin().args(["lint", "-d", "trident", "-f", "json", "-f", "sarif", DENY]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("stdout"), "{}", stderr(&o));
    let o = run(bin().args([
        "lint", "-d", "trident", "-o", "a.json", "-f", "json", "-f", "sarif", DENY,
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("before any --format"), "{}", stderr(&o));
}

#[test]
fn github_annotations_and_job_summary() {
    let dir = temp_dir("github");
    let summary = dir.join("summary.md");
    std::fs::write(&summary, "# Earlier step\n").unwrap();
    let o = run(bin()
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["lint", "-d", "trident", "--format", "github", DENY]));
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "::error file={DENY},line=6,col=9,endLine=6,endColumn=21,title=PM101 Required flow blocked::"
        )),
        "{out}"
    );
    assert!(out.contains("::notice title=PM103"), "{out}");
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(
        written.starts_with("# Earlier step\n## portmatrix"),
        "{written}"
    );
    assert!(written.contains("**BLOCKED**"), "{written}");

    // Near GitHub's 1 MiB limit, the summary is cut to fit, with a note.
    let limit = 1024 * 1024;
    std::fs::write(&summary, "x".repeat(limit - 3000)).unwrap();
    let o = run(bin()
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["lint", "-d", "trident", "--format", "github", DENY]));
    assert_eq!(o.status.code(), Some(1));
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(written.len() <= limit, "{}", written.len());
    assert!(written.contains("The summary was cut here"));
    // Without --format github, the summary file is left alone.
    std::fs::write(&summary, "").unwrap();
    run(bin()
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["lint", "-d", "trident", DENY]));
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), "");
}

#[test]
fn junit_is_well_formed_xml() {
    let dir = temp_dir("junit");
    let xml = dir.join("junit.xml");
    let o = run(bin()
        .args(["lint", "-d", "huawei-csi", "--format", "junit", "--output"])
        .arg(&xml)
        .args([
            "fixtures/huawei-csi/huawei-csi-yaml-syntax-error.yaml",
            DENY,
        ]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let text = std::fs::read_to_string(&xml).unwrap();
    assert!(text.contains("<error message="), "{text}");
    // A real XML parser, when there is one.
    match Command::new("python3")
        .args([
            "-c",
            "import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); \
             print(len(d.getElementsByTagName('testcase')))",
        ])
        .arg(&xml)
        .output()
    {
        Ok(p) => assert!(
            p.status.success(),
            "not well-formed XML: {}",
            String::from_utf8_lossy(&p.stderr)
        ),
        Err(_) => eprintln!("*** python3 missing: junit.xml not parsed by an XML parser ***"),
    }
}
