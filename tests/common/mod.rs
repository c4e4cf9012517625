//! Helpers shared by the integration tests that run the `portmatrix` binary (each test file uses
//! some of them).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (the root package's directory).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The freshly built `portmatrix`, run from the repository root without colour.
pub fn portmatrix() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_portmatrix"));
    c.current_dir(repo_root());
    c.env("NO_COLOR", "1");
    c
}

/// Runs a command to completion; a command that cannot start fails the test.
pub fn exec(cmd: &mut Command) -> Output {
    let shown = format!("{cmd:?}");
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"))
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Both streams, for messages.
pub fn text(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// A fresh, empty directory unique to this test binary, process and `name`.
pub fn temp_dir(name: &str) -> PathBuf {
    let exe = std::env::current_exe().ok();
    let stem = exe
        .as_deref()
        .and_then(Path::file_stem)
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("portmatrix-{stem}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
