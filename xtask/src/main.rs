//! portmatrix's task runner: `cargo xtask <command>` (alias in `.cargo/config.toml`).
//!
//! `cargo xtask test` is THE command that installs what is missing and runs every test suite.
//! Each command is a table of [`Step`]s run in order; the first failure stops the run, names the
//! failing step and exits non-zero. To add a step (npm install, a pinned tool, browser tests), add
//! an entry to the command's table: [`Action::Run`] runs a command, [`Action::EnsureTool`]
//! installs a tool unless the pinned version is already there.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

mod web;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  test [--skip-wasm]   install what is missing, then run every test suite:
                         rustup target wasm32-unknown-unknown (unless --skip-wasm),
                         cargo test --workspace --all-targets --no-fail-fast,
                         cargo test --workspace --doc,
                         cargo build -p portmatrix-wasm --target wasm32-unknown-unknown
                           --profile wasm (unless --skip-wasm),
                         then the `web` steps, chromium (apt-get, if missing) and
                           node --test web/tests/ (unless --skip-wasm)
                       (the OPA portability test first downloads the OPA wheel into
                        target/opa/ with python3: tests/opa/compare.py --setup;
                        the SARIF validator test first runs npm ci in tests/node/)
  lint                 cargo fmt --all --check, cargo clippy --workspace --all-targets -D warnings
  docs                 regenerate docs/rules/ from the rules' METADATA (a test fails when stale)
  bench [ARGS...]      run bench/run.sh (a measurement, not a test)
  web                  build the page (web/dist/) and the npm package (wasm/pkg/):
                         wasm-bindgen-cli 0.2.130 (cargo install, if missing), npm ci in web/,
                         wasm-bindgen, wasm-opt -Oz, and the .wasm size budget
  help                 print this help

options:
  --skip-wasm          (test) skip the wasm32 target and build, for quick local runs
";

/// The WebAssembly target the `wasm/` crate is built for.
const WASM_TARGET: &str = "wasm32-unknown-unknown";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let Some(command) = args.first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    let steps = match command.as_str() {
        "test" => match parse_test_options(rest) {
            Ok(opts) => test_steps(&opts),
            Err(e) => return usage_error(&e),
        },
        "lint" => match rest {
            [] => lint_steps(),
            _ => return usage_error(&format!("`lint` takes no arguments, got {rest:?}")),
        },
        "bench" => bench_steps(rest),
        "docs" => match rest {
            [] => docs_steps(),
            _ => return usage_error(&format!("`docs` takes no arguments, got {rest:?}")),
        },
        "web" => match rest {
            [] => web::build_steps(),
            _ => return usage_error(&format!("`web` takes no arguments, got {rest:?}")),
        },
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => return usage_error(&format!("unknown command `{other}`")),
    };
    run_steps(command, &steps)
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}\n");
    eprint!("{USAGE}");
    ExitCode::from(2)
}

// ---------------------------------------------------------------------------------------------
// Commands: each one is a table of steps.

struct TestOptions {
    skip_wasm: bool,
}

fn parse_test_options(args: &[String]) -> Result<TestOptions, String> {
    let mut opts = TestOptions { skip_wasm: false };
    for a in args {
        match a.as_str() {
            "--skip-wasm" => opts.skip_wasm = true,
            other => return Err(format!("`test`: unknown option `{other}`")),
        }
    }
    Ok(opts)
}

fn test_steps(opts: &TestOptions) -> Vec<Step> {
    let mut steps = Vec::new();
    if !opts.skip_wasm {
        steps.push(Step::new(
            format!("rustup target {WASM_TARGET}"),
            Action::EnsureTarget(WASM_TARGET),
        ));
    }
    // The OPA portability test (tests/opa.rs) runs the bundle on a real OPA engine: a PyPI
    // wheel cached under target/opa/. Without python3 the test skips itself, loudly.
    steps.push(Step::new(
        "OPA engine for tests/opa.rs (wheel opa-golib-python-bindings in target/opa/)",
        Action::EnsureOpa,
    ));
    // The SARIF validator test (tests/sarif_validator.rs) runs npm packages pinned in
    // tests/node/. Without npm the test skips itself, loudly.
    if project_root().join("tests/node/package.json").exists() {
        steps.push(Step::new(
            "npm ci in tests/node (SARIF validator for tests/sarif_validator.rs)",
            Action::Call(npm_ci_test_tools),
        ));
    }
    steps.push(Step::new(
        "cargo test (unit, integration, Rego, benches as tests)",
        // --no-fail-fast: run every suite and report all failures; the step still fails.
        Action::Run(cargo(&[
            "test",
            "--workspace",
            "--all-targets",
            "--no-fail-fast",
        ])),
    ));
    steps.push(Step::new(
        "cargo test --doc",
        Action::Run(cargo(&["test", "--workspace", "--doc"])),
    ));
    if !opts.skip_wasm {
        // The `wasm` profile (root Cargo.toml) is the one shipped: size-optimized, panic=abort.
        // The web steps build it (checking the core compiles for wasm32), make the page and the
        // npm package from it, and run the Node and browser tests (see `web.rs`).
        steps.extend(web::test_steps());
    }
    steps
}

fn lint_steps() -> Vec<Step> {
    vec![
        Step::new(
            "rustup components rustfmt, clippy",
            Action::EnsureComponents(&["rustfmt", "clippy"]),
        ),
        Step::new(
            "cargo fmt --check",
            Action::Run(cargo(&["fmt", "--all", "--check"])),
        ),
        Step::new(
            "cargo clippy -D warnings",
            Action::Run(cargo(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])),
        ),
    ]
}

fn docs_steps() -> Vec<Step> {
    vec![Step::new(
        "portmatrix rules --markdown docs/rules",
        Action::Run(cargo(&[
            "run",
            "--quiet",
            "-p",
            "portmatrix",
            "--",
            "rules",
            "--markdown",
            "docs/rules",
        ])),
    )]
}

fn bench_steps(args: &[String]) -> Vec<Step> {
    let mut cmd = Cmd::new("bash").arg("bench/run.sh");
    for a in args {
        cmd = cmd.arg(a);
    }
    vec![Step::new("bench/run.sh", Action::Run(cmd))]
}

// ---------------------------------------------------------------------------------------------
// Steps and their runner.

struct Step {
    name: String,
    action: Action,
}

impl Step {
    fn new(name: impl Into<String>, action: Action) -> Self {
        Step {
            name: name.into(),
            action,
        }
    }
}

enum Action {
    /// Run a command; a non-zero exit fails the step.
    Run(Cmd),
    /// Install a rustup target unless it is installed.
    EnsureTarget(&'static str),
    /// Install rustup components unless they are installed.
    EnsureComponents(&'static [&'static str]),
    /// Download and unpack the OPA wheel into target/opa/ unless it is there; skip (loudly)
    /// without python3.
    EnsureOpa,
    /// Install a tool unless the pinned version is on PATH.
    EnsureTool(Tool),
    /// Run a function of xtask's, for a step that is not one command (see `web.rs`).
    Call(fn() -> Result<(), String>),
}

/// A tool pinned at a version, with how to check it and how to install it.
///
/// For example wasm-bindgen-cli:
/// `Tool { program: "wasm-bindgen", version_args: &["--version"], expect: "wasm-bindgen 0.2.130",
///   install: vec![cargo(&["install", "wasm-bindgen-cli", "--version", "0.2.130"])] }`.
struct Tool {
    program: &'static str,
    version_args: &'static [&'static str],
    /// Text the version output must contain (e.g. `wasm-bindgen 0.2.130`).
    expect: &'static str,
    /// Commands run in order when the tool is missing or at another version.
    install: Vec<Cmd>,
}

fn run_steps(command: &str, steps: &[Step]) -> ExitCode {
    let root = project_root();
    if let Err(e) = env::set_current_dir(&root) {
        eprintln!("error: cannot enter {}: {e}", root.display());
        return ExitCode::FAILURE;
    }
    let total = Instant::now();
    let mut done: Vec<(&str, Duration)> = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        println!();
        println!("==> [{}/{}] {}", i + 1, steps.len(), step.name);
        let started = Instant::now();
        let result = run_action(&step.action);
        let took = started.elapsed();
        match result {
            Ok(()) => {
                println!("<== ok: {} ({})", step.name, fmt_duration(took));
                done.push((&step.name, took));
            }
            Err(e) => {
                eprintln!("<== FAILED: {} ({}): {e}", step.name, fmt_duration(took));
                print_summary(
                    command,
                    steps,
                    &done,
                    Some((&step.name, took)),
                    total.elapsed(),
                );
                return ExitCode::FAILURE;
            }
        }
    }
    print_summary(command, steps, &done, None, total.elapsed());
    ExitCode::SUCCESS
}

fn print_summary(
    command: &str,
    steps: &[Step],
    done: &[(&str, Duration)],
    failed: Option<(&str, Duration)>,
    total: Duration,
) {
    println!();
    println!("==> summary: cargo xtask {command}");
    for (name, took) in done {
        println!("  ok      {:>8}  {name}", fmt_duration(*took));
    }
    if let Some((name, took)) = failed {
        println!("  FAILED  {:>8}  {name}", fmt_duration(took));
    }
    for step in steps
        .iter()
        .skip(done.len() + usize::from(failed.is_some()))
    {
        println!("  skipped {:>8}  {}", "-", step.name);
    }
    match failed {
        None => println!(
            "cargo xtask {command}: all {} steps passed in {}",
            steps.len(),
            fmt_duration(total)
        ),
        Some((name, _)) => eprintln!(
            "cargo xtask {command}: FAILED at step `{name}` after {}",
            fmt_duration(total)
        ),
    }
}

fn run_action(action: &Action) -> Result<(), String> {
    match action {
        Action::Run(cmd) => cmd.run(),
        Action::EnsureTarget(target) => ensure_rustup_target(target),
        Action::EnsureComponents(components) => ensure_rustup_components(components),
        Action::EnsureOpa => ensure_opa(),
        Action::EnsureTool(tool) => ensure_tool(tool),
        Action::Call(f) => f(),
    }
}

fn ensure_rustup_target(target: &str) -> Result<(), String> {
    let installed = Cmd::new("rustup")
        .args(&["target", "list", "--installed"])
        .output()?;
    if installed.lines().any(|l| l.trim() == target) {
        println!("{target} is installed");
        return Ok(());
    }
    println!("{target} is missing: installing it");
    Cmd::new("rustup").args(&["target", "add", target]).run()
}

fn ensure_rustup_components(components: &[&str]) -> Result<(), String> {
    let installed = Cmd::new("rustup")
        .args(&["component", "list", "--installed"])
        .output()?;
    // Installed components are listed with the host triple: `clippy-x86_64-unknown-linux-gnu`.
    let missing: Vec<&str> = components
        .iter()
        .copied()
        .filter(|c| {
            !installed
                .lines()
                .any(|l| l.trim() == *c || l.trim().starts_with(&format!("{c}-")))
        })
        .collect();
    if missing.is_empty() {
        println!("installed: {}", components.join(", "));
        return Ok(());
    }
    println!("missing: {}: installing", missing.join(", "));
    Cmd::new("rustup")
        .args(&["component", "add"])
        .args(&missing)
        .run()
}

fn npm_ci_test_tools() -> Result<(), String> {
    if Cmd::new("npm").arg("--version").output().is_err() {
        println!("!!! npm is not installed: the SARIF validator test will be SKIPPED");
        return Ok(());
    }
    Cmd::new("npm")
        .args(&["ci", "--no-audit", "--no-fund", "--prefix", "tests/node"])
        .run()
}

fn ensure_opa() -> Result<(), String> {
    if Cmd::new("python3").arg("--version").output().is_err() {
        println!("!!! python3 is not installed: the OPA portability test will be SKIPPED");
        return Ok(());
    }
    Cmd::new("python3")
        .args(&["tests/opa/compare.py", "--setup", "target/opa"])
        .run()
}

/// Ensures `tool.program` is on PATH at the pinned version, installing it otherwise.
fn ensure_tool(tool: &Tool) -> Result<(), String> {
    let check = || {
        Cmd::new(tool.program)
            .args(tool.version_args)
            .output()
            .map(|out| out.trim().to_string())
    };
    match check() {
        Ok(v) if v.contains(tool.expect) => {
            println!("{} is at the pinned version: {v}", tool.program);
            return Ok(());
        }
        Ok(v) => println!(
            "{}: found `{v}`, want `{}`: installing",
            tool.program, tool.expect
        ),
        Err(_) => println!("{} is missing: installing {}", tool.program, tool.expect),
    }
    for cmd in &tool.install {
        cmd.run()?;
    }
    match check() {
        Ok(v) if v.contains(tool.expect) => {
            println!("installed {}: {v}", tool.program);
            Ok(())
        }
        Ok(v) => Err(format!(
            "after installing, `{}` reports `{v}`, not `{}` (is another one earlier on PATH?)",
            tool.program, tool.expect
        )),
        Err(e) => Err(format!("after installing, {e}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Commands to run.

/// A command line, printed before it runs.
struct Cmd {
    program: OsString,
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
}

/// `cargo` with arguments: the cargo that runs xtask (`$CARGO`), else the one on PATH.
fn cargo(args: &[&str]) -> Cmd {
    let program = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Cmd::new(program).args(args)
}

impl Cmd {
    fn new(program: impl Into<OsString>) -> Self {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            envs: Vec::new(),
        }
    }

    fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(OsString::from));
        self
    }

    #[allow(dead_code)] // for steps that need one (e.g. a browser path for the e2e tests)
    fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }

    fn display(&self) -> String {
        let program = Path::new(&self.program)
            .file_name()
            .unwrap_or(&self.program)
            .to_string_lossy()
            .into_owned();
        let mut s: Vec<String> = self
            .envs
            .iter()
            .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
            .collect();
        s.push(program);
        s.extend(self.args.iter().map(|a| a.to_string_lossy().into_owned()));
        s.join(" ")
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(&self.args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)));
        c.stdin(Stdio::null());
        c
    }

    /// Runs the command with inherited output; fails unless it exits 0.
    fn run(&self) -> Result<(), String> {
        println!("$ {}", self.display());
        let status = self
            .command()
            .status()
            .map_err(|e| format!("cannot run `{}`: {e}", self.display()))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{}` failed ({status})", self.display()))
        }
    }

    /// Runs the command quietly and returns its stdout; fails unless it exits 0.
    fn output(&self) -> Result<String, String> {
        let out = self
            .command()
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot run `{}`: {e}", self.display()))?;
        if !out.status.success() {
            return Err(format!(
                "`{}` failed ({}): {}",
                self.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// The workspace root: xtask lives one level below it.
fn project_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

fn fmt_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let whole = d.as_secs();
        format!("{}m{:02}s", whole / 60, whole % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(program: &'static str, expect: &'static str) -> Tool {
        Tool {
            program,
            version_args: &["--version"],
            expect,
            install: Vec::new(),
        }
    }

    // rustc is a tool that is surely installed.
    #[test]
    fn ensure_tool_accepts_the_pinned_version() {
        assert!(ensure_tool(&tool("rustc", "rustc ")).is_ok());
    }

    #[test]
    fn ensure_tool_fails_when_install_does_not_fix_the_version() {
        let err = ensure_tool(&tool("rustc", "rustc 0.0.0-not-this")).unwrap_err();
        assert!(err.contains("not `rustc 0.0.0-not-this`"), "{err}");
        assert!(ensure_tool(&tool("no-such-tool-xtask", "1.0")).is_err());
    }

    #[test]
    fn durations_are_short() {
        assert_eq!(fmt_duration(Duration::from_millis(1234)), "1.2s");
        assert_eq!(fmt_duration(Duration::from_secs(125)), "2m05s");
    }
}
