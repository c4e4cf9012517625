//! The pre-commit hooks (`.pre-commit-hooks.yaml`), run by the real pre-commit: installed from
//! PyPI into a venv cached under `target/test-tools/`, it runs `pre-commit try-repo <this
//! repository> <hook> --all-files` in a scratch git repository whose manifest blocks Trident's
//! flows (the hook must fail and show PM101), then again once the manifest is fixed (the hook must
//! pass). Two hooks:
//!
//! - `portmatrix-system` (`language: system`) runs the freshly built binary, put first on PATH;
//! - `portmatrix` (`language: rust`): pre-commit runs `cargo install --bins --root <env> --path .`
//!   in its clone of this repository (so the root package must build the `portmatrix` binary),
//!   then the installed binary. That build is cold in every fresh clone, so it gets a target dir
//!   kept under `target/test-tools/` (dependencies compile once, then only portmatrix does) and a
//!   cheap release profile through cargo's environment (pre-commit passes the environment on).
//!
//! try-repo sees committed files, tracked changes and staged files, not untracked ones, so the
//! hooks are tried from a committed snapshot of the working tree (tracked and untracked files
//! that `.gitignore` does not exclude): what is tested is what is on disk.
//!
//! Skipped, loudly, only when `python3` is missing (and the `portmatrix` hook when `cargo` is
//! not on PATH: pre-commit would then download a Rust toolchain).

mod common;

use common::{exec as run, repo_root, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Instant, SystemTime};

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
    // The tests of this file run in parallel threads of one process: one builds the venv, the
    // others wait for it (the temporary name below is per process, not per thread).
    static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
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

/// Directories never copied into the snapshot when the source is not a git checkout.
const NOT_SOURCES: &[&str] = &[".git", "target", "node_modules", "pkg", "dist"];

/// The files of the working tree, relative to the root: tracked and untracked files that
/// `.gitignore` does not exclude (deleted files left out); without git, every file outside
/// build outputs.
fn working_tree_files(root: &Path) -> Vec<PathBuf> {
    let listed = run(git(root).args([
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
    ]));
    if listed.status.success() {
        return listed
            .stdout
            .split(|b| *b == 0)
            .filter(|f| !f.is_empty())
            .map(|f| PathBuf::from(String::from_utf8_lossy(f).into_owned()))
            .filter(|f| root.join(f).is_file())
            .collect();
    }
    fn walk(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(root.join(rel)).unwrap().flatten() {
            let name = entry.file_name();
            let path = rel.join(&name);
            let kind = entry.file_type().unwrap();
            if kind.is_dir() && !NOT_SOURCES.contains(&name.to_string_lossy().as_ref()) {
                walk(root, &path, out);
            } else if kind.is_file() {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, Path::new(""), &mut out);
    out
}

/// The repository pre-commit tries the hooks from: a scratch git repository holding one commit,
/// a copy of this repository's working tree.
fn hook_repo(scratch: &Path) -> PathBuf {
    let root = repo_root();
    let copy = scratch.join("hook-repo");
    for rel in working_tree_files(&root) {
        let to = copy.join(&rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root.join(&rel), &to)
            .unwrap_or_else(|e| panic!("cannot copy {}: {e}", rel.display()));
    }
    assert!(
        copy.join(".pre-commit-hooks.yaml").is_file(),
        "no .pre-commit-hooks.yaml in {}",
        root.display()
    );
    ok(git(&copy).args(["init", "-q"]));
    ok(git(&copy).args(["add", "."]));
    ok(git(&copy).args(["commit", "-q", "-m", "snapshot of the working tree"]));
    copy
}

/// A scratch directory for one test: a git repository `work/` whose manifest blocks Trident's
/// flows, and the hook repository.
struct Scenario {
    scratch: PathBuf,
    work: PathBuf,
    hooks: PathBuf,
}

impl Scenario {
    fn new(name: &str) -> Self {
        let scratch = std::env::temp_dir().join(format!(
            "portmatrix-pre-commit-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&scratch);
        let work = scratch.join("work");
        std::fs::create_dir_all(work.join("k8s")).unwrap();
        std::fs::write(work.join(".portmatrix.yaml"), "drivers:\n  trident: {}\n").unwrap();
        std::fs::write(work.join("k8s/trident-netpol.yaml"), DENY_ALL).unwrap();
        ok(git(&work).args(["init", "-q"]));
        ok(git(&work).args(["add", "."]));
        let hooks = hook_repo(&scratch);
        Scenario {
            scratch,
            work,
            hooks,
        }
    }

    /// `pre-commit try-repo <hooks> <hook> --all-files` in `work/`, with `env` on top of an
    /// isolated git; prints how long it took.
    fn try_repo(&self, python: &Path, hook: &str, env: &[(&str, &std::ffi::OsStr)]) -> Output {
        let mut cmd = Command::new(python);
        isolate_git(&mut cmd)
            .current_dir(&self.work)
            // try-repo clones into a store of its own in a temporary directory, and removes it
            // after: every run installs the hook's environment afresh.
            .env("PRE_COMMIT_HOME", self.scratch.join("pre-commit-home"))
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .args(["-m", "pre_commit", "try-repo"])
            .arg(&self.hooks)
            .args([hook, "--all-files", "--color", "never"]);
        let started = Instant::now();
        let out = run(&mut cmd);
        eprintln!(
            "pre-commit try-repo {hook}: {:.1}s (exit {:?})",
            started.elapsed().as_secs_f64(),
            out.status.code()
        );
        out
    }

    /// The fix: least-privilege policies, with the profile that gives their addresses.
    fn fix_manifest(&self) {
        let fixtures = repo_root().join("fixtures/trident");
        std::fs::copy(
            fixtures.join("trident-least-privilege.yaml"),
            self.work.join("k8s/trident-netpol.yaml"),
        )
        .unwrap();
        std::fs::copy(
            fixtures.join("trident-least-privilege.portmatrix.yaml"),
            self.work.join(".portmatrix.yaml"),
        )
        .unwrap();
        ok(git(&self.work).args(["add", "."]));
    }

    /// Runs `hook` on the blocking manifest (it must fail, showing PM101 and the file), then on
    /// the fixed one (it must pass). Returns pre-commit's output of the first run.
    fn check_hook(&self, python: &Path, hook: &str, env: &[(&str, &std::ffi::OsStr)]) -> String {
        let blocked = self.try_repo(python, hook, env);
        let first = text(&blocked);
        assert!(!blocked.status.success(), "the hook must fail:\n{first}");
        assert!(first.contains("PM101"), "the finding must show:\n{first}");
        assert!(
            first.contains("k8s/trident-netpol.yaml"),
            "the file must show:\n{first}"
        );

        self.fix_manifest();
        let fixed = self.try_repo(python, hook, env);
        let out = text(&fixed);
        assert!(fixed.status.success(), "the hook must pass:\n{out}");
        assert!(out.contains("Passed"), "{out}");
        first
    }
}

impl Drop for Scenario {
    fn drop(&mut self) {
        // Kept when the test failed, for a look at pre-commit's log and clone.
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.scratch);
        }
    }
}

fn python3_missing() -> bool {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!(
            "\n*** SKIPPED: python3 is not installed: the pre-commit hook is NOT tested ***\n"
        );
        return true;
    }
    false
}

#[test]
fn system_hook_fails_on_a_blocked_flow_and_passes_once_fixed() {
    if python3_missing() {
        return;
    }
    let python = pre_commit_python();
    let scenario = Scenario::new("system");
    // The freshly built binary comes first on PATH: that is what `language: system` runs.
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_portmatrix"))
        .parent()
        .unwrap();
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    scenario.check_hook(&python, "portmatrix-system", &[("PATH", path.as_os_str())]);
}

/// The `language: rust` hook: pre-commit builds and installs portmatrix with cargo from its clone
/// of the repository, then runs it.
#[test]
fn rust_hook_builds_with_cargo_then_fails_on_a_blocked_flow_and_passes_once_fixed() {
    if python3_missing() {
        return;
    }
    // With a working `cargo` on PATH pre-commit uses it (language_version `system`); without
    // one it would download rustup and a toolchain.
    let cargo_works = Command::new("cargo")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !cargo_works {
        eprintln!("\n*** SKIPPED: cargo is not on PATH: the `portmatrix` hook is NOT tested ***\n");
        return;
    }
    let python = pre_commit_python();
    let scenario = Scenario::new("rust");

    // The cargo that pre-commit runs inherits the environment. With a target dir kept across
    // runs, every build after the first compiles only portmatrix itself, in place (cargo names
    // its artifacts the same whatever the clone's path, so the cache does not grow), and a cheap
    // release profile keeps that short: about 10 s a run, against 1.5 to 2.5 minutes cold.
    let cache = target_dir().join("test-tools").join("pre-commit-cargo");
    let env: &[(&str, &std::ffi::OsStr)] = &[
        ("CARGO_TARGET_DIR", cache.as_os_str()),
        ("CARGO_PROFILE_RELEASE_LTO", "false".as_ref()),
        ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16".as_ref()),
        ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0".as_ref()),
        ("CARGO_PROFILE_RELEASE_DEBUG", "false".as_ref()),
        ("CARGO_TERM_COLOR", "never".as_ref()),
    ];
    let started = SystemTime::now();
    let out = scenario.check_hook(&python, "portmatrix", env);

    // What ran is the binary pre-commit had cargo build and install for the hook.
    assert!(
        out.contains("Installing environment for"),
        "pre-commit must install the hook's environment:\n{out}"
    );
    let built = cache.join("release").join("portmatrix");
    let modified = std::fs::metadata(&built)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("cargo built no {}: {e}", built.display()));
    assert!(
        modified >= started,
        "{} is older than this test: cargo did not build it",
        built.display()
    );
}
