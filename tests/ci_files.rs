//! The files CI systems read from this repository: `action.yml` (its lint step is run here with
//! bash, as the runner would), `examples/github-workflow.yml` and `.pre-commit-hooks.yaml`.

use portmatrix::yaml::{self, Limits, Node};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (the root package's directory).
fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(rel: &str) -> Node {
    let text = std::fs::read_to_string(repo_root().join(rel)).unwrap();
    let (docs, err) = yaml::parse_stream(rel, &text, &Limits::default());
    assert!(err.is_none(), "{rel}: {err:?}");
    docs.into_iter().next().expect("one document").root
}

fn str_at<'a>(node: &'a Node, key: &str) -> &'a str {
    node.get(key)
        .and_then(Node::as_str)
        .unwrap_or_else(|| panic!("no `{key}`"))
}

/// Every `uses:` names a first-party action (actions/*, github/*) pinned to a full commit SHA.
/// The example's own `portmatrix/portmatrix@<sha>` line is a placeholder for the reader.
#[test]
fn actions_are_first_party_and_pinned_by_sha() {
    for rel in ["action.yml", "examples/github-workflow.yml"] {
        let text = std::fs::read_to_string(repo_root().join(rel)).unwrap();
        let mut seen = 0;
        for line in text.lines() {
            let Some(rest) = line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses:")
            else {
                continue;
            };
            let target = rest.split('#').next().unwrap().trim();
            if target.starts_with("portmatrix/portmatrix@") {
                continue;
            }
            seen += 1;
            let (name, rev) = target.split_once('@').expect("name@rev");
            assert!(
                name.starts_with("actions/") || name.starts_with("github/"),
                "{rel}: third-party action {name}"
            );
            assert!(
                rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()),
                "{rel}: {name} is not pinned by commit SHA: {rev}"
            );
        }
        assert!(seen > 0, "{rel}: no action found");
    }
    let example = load("examples/github-workflow.yml");
    let job = example
        .get("jobs")
        .and_then(|j| j.as_map())
        .and_then(|m| m.first())
        .map(|(_, job)| job)
        .unwrap();
    let permissions = job.get("permissions").unwrap();
    assert_eq!(str_at(permissions, "security-events"), "write");
}

#[test]
fn pre_commit_hooks_are_declared() {
    let hooks = load(".pre-commit-hooks.yaml");
    let hooks = hooks.as_seq().unwrap();
    let find = |id: &str| {
        hooks
            .iter()
            .find(|h| str_at(h, "id") == id)
            .unwrap_or_else(|| panic!("hook {id}"))
    };
    for (id, language) in [("portmatrix", "rust"), ("portmatrix-system", "system")] {
        let hook = find(id);
        assert_eq!(str_at(hook, "language"), language);
        assert_eq!(str_at(hook, "entry"), "portmatrix lint");
        assert_eq!(
            hook.get("require_serial").and_then(Node::as_bool),
            Some(true)
        );
        let types: Vec<&str> = hook
            .get("types_or")
            .and_then(Node::as_seq)
            .unwrap()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        assert_eq!(types, ["yaml", "json"]);
    }
}

/// The action's lint step, run by bash the way the runner runs `shell: bash` steps, with the
/// inputs in the environment: the exit code passes through, the outputs and SARIF are written.
#[test]
fn action_lint_step_passes_the_exit_code_through() {
    if Command::new("bash").arg("--version").output().is_err() {
        eprintln!("\n*** SKIPPED: bash is not installed: action.yml's script is NOT tested ***\n");
        return;
    }
    let action = load("action.yml");
    let steps = action
        .get("runs")
        .and_then(|r| r.get("steps"))
        .and_then(Node::as_seq)
        .unwrap();
    let lint = steps
        .iter()
        .find(|s| s.get("id").and_then(Node::as_str) == Some("lint"))
        .expect("a step with id lint");
    assert_eq!(str_at(lint, "shell"), "bash");
    let script = str_at(lint, "run");

    let dir = std::env::temp_dir().join(format!("portmatrix-action-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_portmatrix"))
        .parent()
        .unwrap();
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let run = |paths: &str, driver: &str, sarif: &str| {
        let outputs = dir.join("outputs");
        let summary = dir.join("summary.md");
        let _ = std::fs::remove_file(&outputs);
        let o = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(repo_root())
            .env("PATH", &path)
            .env("GITHUB_OUTPUT", &outputs)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("INPUT_PATHS", paths)
            .env("INPUT_DRIVER", driver)
            .env("INPUT_PROFILE", "")
            .env("INPUT_FAIL_ON", "error")
            .env("INPUT_SARIF_FILE", sarif)
            .output()
            .unwrap();
        let written = std::fs::read_to_string(&outputs).unwrap_or_default();
        (o, written)
    };

    let sarif = dir.join("out.sarif");
    let (o, outputs) = run(
        "fixtures/trident/trident-default-deny.yaml\n  fixtures/trident/trident-named-ports.yaml",
        "trident",
        sarif.to_str().unwrap(),
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.contains("::error file=fixtures/trident/trident-default-deny.yaml"));
    assert!(outputs.contains("exit-code=1\n"), "{outputs}");
    assert!(outputs.contains(&format!("sarif-file={}\n", sarif.display())));
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert!(std::fs::read_to_string(dir.join("summary.md"))
        .unwrap()
        .contains("## portmatrix"));

    let (o, outputs) = run(
        "fixtures/trident/trident-least-privilege.yaml",
        "trident, huawei-csi",
        "",
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(outputs.contains("exit-code=0\nsarif-file=\n"), "{outputs}");

    let (o, outputs) = run("fixtures/trident/trident-default-deny.yaml", "tridnet", "");
    assert_eq!(o.status.code(), Some(2));
    assert!(outputs.contains("exit-code=2\n"), "{outputs}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The action's first step (the cache key: a hash of the sources) run by bash as the runner
/// would, with `pipefail`: every path it hashes must exist. Its install step builds the root
/// package, the one that holds the `portmatrix` binary.
#[test]
fn action_build_step_hashes_the_sources_and_installs_the_root_package() {
    if Command::new("bash").arg("--version").output().is_err() {
        eprintln!("\n*** SKIPPED: bash is not installed: action.yml's script is NOT tested ***\n");
        return;
    }
    let action = load("action.yml");
    let steps = action
        .get("runs")
        .and_then(|r| r.get("steps"))
        .and_then(Node::as_seq)
        .unwrap();
    let build = steps
        .iter()
        .find(|s| s.get("id").and_then(Node::as_str) == Some("build"))
        .expect("a step with id build");
    let dir = std::env::temp_dir().join(format!("portmatrix-action-build-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let outputs = dir.join("outputs");
    let o = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
        .arg(str_at(build, "run"))
        .current_dir(&dir)
        .env("ACTION_PATH", repo_root())
        .env("GITHUB_OUTPUT", &outputs)
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env("RUNNER_TOOL_CACHE", &dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let written = std::fs::read_to_string(&outputs).unwrap();
    assert!(
        written.starts_with("key=portmatrix-Linux-X64-"),
        "{written}"
    );
    assert!(written.contains("\nroot="), "{written}");
    let _ = std::fs::remove_dir_all(&dir);

    let install = steps
        .iter()
        .find(|s| s.get("name").and_then(Node::as_str) == Some("Install portmatrix"))
        .expect("a step named Install portmatrix");
    let script = str_at(install, "run");
    assert!(
        script.contains(r#"cargo install --locked --path "$ACTION_PATH" "#),
        "{script}"
    );
}
