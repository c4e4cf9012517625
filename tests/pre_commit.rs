//! The `portmatrix-system` pre-commit hook (`.pre-commit-hooks.yaml`), run by the real
//! pre-commit: installed from PyPI into a venv cached under `target/test-tools/`, it runs
//! `pre-commit try-repo <this repository> portmatrix-system --all-files` in a scratch git
//! repository whose manifest blocks Trident's flows (the hook must fail and show PM101), then
//! again once the manifest is fixed (the hook must pass).
//!
//! Skipped, loudly, only when `python3` is missing.

mod common;

use common::{exec as run, repo_root, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The pre-commit release the test installs.
const PRE_COMMIT: &str = "4.3.0";

const DENY_ALL: &str = "\
# Blocks every flow of Trident's pod-network components.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: trident
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
";

/// `target/` (the portmatrix binary lives in `target/<profile>/`).
fn target_dir() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_portmatrix"));
    bin.parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| Path::new("target"))
        .to_path_buf()
}

fn ok(cmd: &mut Command) -> Output {
    let shown = format!("{cmd:?}");
    let o = run(cmd);
    assert!(o.status.success(), "{shown} failed:\n{}", text(&o));
    o
}

/// An identity for commits, and no user or system git configuration that could get in the way
/// (pre-commit runs git too).
fn isolate_git(c: &mut Command) -> &mut Command {
    c.env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "portmatrix test")
        .env("GIT_AUTHOR_EMAIL", "test@portmatrix.invalid")
        .env("GIT_COMMITTER_NAME", "portmatrix test")
        .env("GIT_COMMITTER_EMAIL", "test@portmatrix.invalid")
}

fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    isolate_git(&mut c).current_dir(dir).args([
        "-c",
        "init.defaultBranch=main",
        "-c",
        "commit.gpgsign=false",
    ]);
    c
}

/// The venv's python with pre-commit installed; built once, then reused. It is built under a
/// temporary name and renamed when complete, so an interrupted run leaves no half venv.
fn pre_commit_python() -> PathBuf {
    let tools = target_dir().join("test-tools");
    let venv = tools.join(format!("pre-commit-{PRE_COMMIT}"));
    let python = venv.join("bin").join("python");
    if venv.join(".ready").exists() && python.exists() {
        return python;
    }
    std::fs::create_dir_all(&tools).unwrap();
    let _ = std::fs::remove_dir_all(&venv);
    let tmp = tools.join(format!(
        "pre-commit-{PRE_COMMIT}.tmp-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    ok(Command::new("python3").args(["-m", "venv"]).arg(&tmp));
    ok(Command::new(tmp.join("bin").join("python")).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("pre-commit=={PRE_COMMIT}"),
    ]));
    std::fs::write(tmp.join(".ready"), PRE_COMMIT).unwrap();
    // Another test run may have finished first: then use its venv.
    if std::fs::rename(&tmp, &venv).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    python
}

/// The repository holding the hooks file. try-repo clones the HEAD commit (plus changes to
/// tracked files), so a hooks file that is not committed yet would not be seen: then a scratch
/// repository with a committed copy of it stands in.
fn hook_repo(scratch: &Path) -> PathBuf {
    let root = repo_root();
    let committed =
        run(git(&root).args(["diff", "--quiet", "HEAD", "--", ".pre-commit-hooks.yaml"]))
            .status
            .success()
            && run(git(&root).args(["ls-files", "--error-unmatch", ".pre-commit-hooks.yaml"]))
                .status
                .success();
    if committed {
        return root;
    }
    eprintln!(
        "note: .pre-commit-hooks.yaml is not committed (or {} is not a git checkout): \
         testing a committed copy of it",
        root.display()
    );
    let copy = scratch.join("hook-repo");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(
        root.join(".pre-commit-hooks.yaml"),
        copy.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    ok(git(&copy).args(["init", "-q"]));
    ok(git(&copy).args(["add", "."]));
    ok(git(&copy).args(["commit", "-q", "-m", "hooks"]));
    copy
}

#[test]
fn pre_commit_hook_fails_on_a_blocked_flow_and_passes_once_fixed() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!(
            "\n*** SKIPPED: python3 is not installed: the pre-commit hook is NOT tested ***\n"
        );
        return;
    }
    let python = pre_commit_python();
    let scratch =
        std::env::temp_dir().join(format!("portmatrix-pre-commit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let work = scratch.join("work");
    std::fs::create_dir_all(work.join("k8s")).unwrap();
    std::fs::write(work.join(".portmatrix.yaml"), "drivers:\n  trident: {}\n").unwrap();
    std::fs::write(work.join("k8s/trident-netpol.yaml"), DENY_ALL).unwrap();
    ok(git(&work).args(["init", "-q"]));
    ok(git(&work).args(["add", "."]));
    let hooks = hook_repo(&scratch);

    // The freshly built binary comes first on PATH: that is what `language: system` runs.
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_portmatrix"))
        .parent()
        .unwrap();
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let try_repo = || {
        let mut cmd = Command::new(&python);
        isolate_git(&mut cmd)
            .current_dir(&work)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", scratch.join("pre-commit-home"))
            .env("NO_COLOR", "1")
            .args(["-m", "pre_commit", "try-repo"])
            .arg(&hooks)
            .args(["portmatrix-system", "--all-files", "--color", "never"]);
        run(&mut cmd)
    };

    let blocked = try_repo();
    let out = text(&blocked);
    assert!(!blocked.status.success(), "the hook must fail:\n{out}");
    assert!(out.contains("PM101"), "the finding must show:\n{out}");
    assert!(
        out.contains("k8s/trident-netpol.yaml"),
        "the file must show:\n{out}"
    );

    // The fix: least-privilege policies, with the profile that gives their addresses.
    let fixtures = repo_root().join("fixtures/trident");
    std::fs::copy(
        fixtures.join("trident-least-privilege.yaml"),
        work.join("k8s/trident-netpol.yaml"),
    )
    .unwrap();
    std::fs::copy(
        fixtures.join("trident-least-privilege.portmatrix.yaml"),
        work.join(".portmatrix.yaml"),
    )
    .unwrap();
    ok(git(&work).args(["add", "."]));
    let fixed = try_repo();
    let out = text(&fixed);
    assert!(fixed.status.success(), "the hook must pass:\n{out}");
    assert!(out.contains("Passed"), "{out}");
    let _ = std::fs::remove_dir_all(&scratch);
}
