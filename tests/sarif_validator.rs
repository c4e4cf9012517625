//! `--format sarif` checked by the real validators: Microsoft's SARIF multitool (`validate`, with
//! its SARIF rules and GitHub's ingestion rules) and the SARIF 2.1.0 JSON schema (with ajv, since
//! the multitool does not report schema violations). Both are npm packages pinned in
//! `tests/node/` (`cargo xtask test` runs `npm ci` there; this test does too when needed).
//!
//! Skipped, loudly, only when node or npm is missing.

mod common;

use common::{exec as run, repo_root, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn node_dir() -> PathBuf {
    repo_root().join("tests/node")
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Installs the pinned packages unless they are there, and makes the validator executable
/// (npm may skip the package's install script that does it).
fn install_validators() {
    let dir = node_dir();
    let modules = dir.join("node_modules");
    let installed = ["@microsoft/sarif-multitool", "ajv", "ajv-formats"]
        .iter()
        .all(|p| modules.join(p).join("package.json").exists());
    if !installed {
        let o = run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir));
        assert!(
            o.status.success(),
            "npm ci in tests/node failed:\n{}",
            text(&o)
        );
    }
    #[cfg(unix)]
    for platform in ["linux", "darwin"] {
        use std::os::unix::fs::PermissionsExt;
        let exe = modules.join(format!(
            "@microsoft/sarif-multitool-{platform}/Sarif.Multitool"
        ));
        if let Ok(meta) = std::fs::metadata(&exe) {
            let mut perms = meta.permissions();
            perms.set_mode(perms.mode() | 0o100);
            std::fs::set_permissions(&exe, perms).unwrap();
        }
    }
}

/// Runs `portmatrix` in `cwd` and returns its exit code; the SARIF goes to `out`.
fn portmatrix_sarif(cwd: &Path, args: &[&str], out: &Path, stdin: Option<&str>) -> i32 {
    use std::io::Write;
    use std::process::Stdio;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portmatrix"));
    cmd.current_dir(cwd)
        .arg("lint")
        .args(args)
        .args(["--format", "sarif", "--output"])
        .arg(out)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("portmatrix runs");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    let o = child.wait_with_output().unwrap();
    assert!(out.exists(), "{args:?}: no SARIF written:\n{}", text(&o));
    o.status.code().unwrap_or(-1)
}

/// The multitool's errors and warnings about `file`, from its output log (its console output
/// leaves some out, and its exit code is 0 either way).
fn multitool(file: &Path, rule_kinds: &str) -> (Vec<String>, Vec<String>) {
    let log = file.with_extension("validation.sarif");
    let o = run(Command::new("npx")
        .current_dir(node_dir())
        .args(["--no-install", "@microsoft/sarif-multitool", "validate"])
        .arg(file)
        .arg("--output")
        .arg(&log)
        .args(["--log", "ForceOverwrite"])
        // The package's launcher runs the tool through a shell: quote the `;`.
        .args(["--rule-kind", &format!("\"{rule_kinds}\"")]));
    assert!(
        o.status.success() && log.exists(),
        "the validator did not run on {}:\n{}",
        file.display(),
        text(&o)
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&log).unwrap()).unwrap();
    let at = |level: &str| -> Vec<String> {
        doc["runs"][0]["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["level"] == level)
            .map(|r| {
                format!(
                    "{} {}",
                    r["ruleId"].as_str().unwrap_or("?"),
                    r["message"]["arguments"]
                )
            })
            .collect()
    };
    (at("error"), at("warning"))
}

fn schema_check(files: &[PathBuf]) -> Output {
    run(Command::new("node")
        .current_dir(node_dir())
        .arg("check-sarif-schema.js")
        .args(files))
}

const SUPPRESSED: &str = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: trident
  annotations:
    portmatrix.io/ignore: PM101 maintenance window
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
";

/// One run of portmatrix: in `cwd`, with `args`, expected to exit with `code`.
struct Case {
    name: &'static str,
    cwd: PathBuf,
    args: Vec<&'static str>,
    code: i32,
}

#[test]
fn sarif_output_passes_the_sarif_validator() {
    if !have("node") || !have("npm") {
        eprintln!(
            "\n*** SKIPPED: node or npm is not installed: the SARIF output is NOT validated ***\n"
        );
        return;
    }
    install_validators();
    let out = std::env::temp_dir().join(format!("portmatrix-sarif-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let root = repo_root();

    let case = |name, cwd: &Path, args: &[&'static str], code| Case {
        name,
        cwd: cwd.to_path_buf(),
        args: args.to_vec(),
        code,
    };
    let mut cases = vec![
        case(
            "blocked",
            &root,
            &[
                "-d",
                "trident",
                "fixtures/trident/trident-default-deny.yaml",
            ],
            1,
        ),
        case(
            "input-errors",
            &root,
            &[
                "-d",
                "huawei-csi",
                "fixtures/huawei-csi/huawei-csi-yaml-syntax-error.yaml",
                "fixtures/trident/trident-invalid-values.yaml",
            ],
            2,
        ),
        case(
            "partial-with-profile",
            &root,
            &[
                "-d",
                "trident",
                "--profile",
                "fixtures/trident/trident-partial-storage-and-dns.portmatrix.yaml",
                "fixtures/trident/trident-partial-storage-and-dns.yaml",
            ],
            1,
        ),
        case(
            "least-privilege",
            &root,
            &["--example", "trident-least-privilege"],
            0,
        ),
    ];
    // Run from a subdirectory of a repository, with `./` and spaces in the names.
    let repo = out.join("repo");
    let sub = repo.join("k8s dir");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::copy(
        root.join("fixtures/trident/trident-default-deny.yaml"),
        sub.join("deny all.yaml"),
    )
    .unwrap();
    cases.push(case(
        "subdirectory",
        &sub,
        &["-d", "trident", "./deny all.yaml"],
        1,
    ));

    // Suppressed findings stay in the log, with `suppressions`.
    std::fs::write(sub.join("suppressed.yaml"), SUPPRESSED).unwrap();
    cases.push(case(
        "suppressed",
        &sub,
        &["-d", "trident", "suppressed.yaml"],
        0,
    ));

    let mut files = Vec::new();
    for c in &cases {
        let file = out.join(format!("{}.sarif", c.name));
        let got = portmatrix_sarif(&c.cwd, &c.args, &file, None);
        assert_eq!(got, c.code, "{}: exit code", c.name);
        files.push(file);
    }
    let suppressed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("suppressed.sarif")).unwrap())
            .unwrap();
    assert_eq!(
        suppressed["runs"][0]["results"][0]["suppressions"][0]["justification"],
        "maintenance window"
    );
    let sub_log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("subdirectory.sarif")).unwrap())
            .unwrap();
    assert_eq!(
        sub_log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
            ["uri"],
        "k8s%20dir/deny%20all.yaml"
    );

    // Nothing to report: `results: []` (no fixture is free of findings, so the core renders it).
    let mut report = portmatrix::lint(&portmatrix::LintRequest {
        files: vec![portmatrix::SourceFile::new("np.yaml", "")],
        drivers: vec!["trident".into()],
        ..Default::default()
    })
    .expect("lint");
    report.findings.clear();
    report.compute_summary(1);
    let rules = portmatrix::rules::registry().unwrap();
    let empty = out.join("no-findings.sarif");
    let opts = portmatrix::report::sarif::SarifOptions::default();
    std::fs::write(
        &empty,
        portmatrix::report::sarif::render(&report, &rules, &opts),
    )
    .unwrap();
    files.push(empty);

    for file in &files {
        let (errors, warnings) = multitool(file, "Sarif;Gh");
        assert!(
            errors.is_empty(),
            "{}: the SARIF validator reports errors:\n{}",
            file.display(),
            errors.join("\n")
        );
        eprintln!(
            "validated {}: 0 errors, {} warnings {warnings:?}",
            file.display(),
            warnings.len()
        );
    }

    // stdin has no place in the repository, so its results have no locations: valid SARIF,
    // though GitHub's rules want a location (use files for code scanning).
    let deny =
        std::fs::read_to_string(root.join("fixtures/trident/trident-default-deny.yaml")).unwrap();
    let stdin = out.join("stdin.sarif");
    assert_eq!(
        portmatrix_sarif(&root, &["-d", "trident", "-"], &stdin, Some(&deny)),
        1
    );
    let (errors, _) = multitool(&stdin, "Sarif");
    assert!(errors.is_empty(), "stdin: {}", errors.join("\n"));
    files.push(stdin);

    let schema = schema_check(&files);
    assert!(
        schema.status.success(),
        "SARIF 2.1.0 schema:\n{}",
        text(&schema)
    );
    eprint!("{}", text(&schema));

    // The checks can fail: a log GitHub would reject, and one the schema rejects.
    let bad = out.join("bad.sarif");
    let mut log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    log["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("locations");
    std::fs::write(&bad, log.to_string()).unwrap();
    assert!(
        !multitool(&bad, "Sarif;Gh").0.is_empty(),
        "the validator must reject a result without locations under GitHub's rules"
    );
    log["runs"][0]["results"][0]["level"] = "fatal".into();
    std::fs::write(&bad, log.to_string()).unwrap();
    assert!(!schema_check(&[bad]).status.success());

    let _ = std::fs::remove_dir_all(&out);
}
