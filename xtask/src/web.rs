//! `cargo xtask web`: builds the static page (`web/dist/`) and the npm package (`wasm/pkg/`) from
//! the wasm32 build of `wasm/`; and the web steps of `cargo xtask test` (that build, Chromium, and
//! the Node and browser tests in `web/tests/`).
//!
//! Every tool is installed when missing, at a pinned version: wasm-bindgen-cli by `cargo install`
//! (its version must equal the `wasm-bindgen` crate's), wasm-opt and playwright-core by `npm ci`
//! from `web/package-lock.json` (Debian's binaryen is too old: its output crashes Node), and
//! Chromium from Debian's packages (Playwright's own browser download cannot work offline).

use crate::{cargo, Action, Cmd, Step, Tool, WASM_TARGET};
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

/// Must equal the `wasm-bindgen` crate's version in `wasm/Cargo.toml` and Cargo.lock.
const WASM_BINDGEN_VERSION: &str = "0.2.130";
const WASM_INPUT: &str = "target/wasm32-unknown-unknown/wasm/portmatrix_wasm.wasm";
const DIST: &str = "web/dist";
const PKG: &str = "wasm/pkg";
/// Output name of the generated files: `portmatrix.js`, `portmatrix_bg.wasm`, `portmatrix.d.ts`.
const OUT_NAME: &str = "portmatrix";
const WASM_FILE: &str = "portmatrix_bg.wasm";
/// The size budget of the optimized `.wasm` (issue #6): raw and gzipped (gzip -9).
const RAW_BUDGET: u64 = 2_500_000;
const GZIP_BUDGET: u64 = 800_000;
const CHROMIUM: &str = "/usr/bin/chromium";

fn wasm_bindgen_tool() -> Tool {
    Tool {
        program: "wasm-bindgen",
        version_args: &["--version"],
        expect: "wasm-bindgen 0.2.130",
        // No --locked: it fails for this version (shared/TOOLCHAIN.md). About 5 minutes, once.
        install: vec![cargo(&[
            "install",
            "wasm-bindgen-cli",
            "--version",
            WASM_BINDGEN_VERSION,
        ])],
    }
}

/// The steps of `cargo xtask web`.
pub fn build_steps() -> Vec<Step> {
    vec![
        Step::new(
            format!("rustup target {WASM_TARGET}"),
            Action::EnsureTarget(WASM_TARGET),
        ),
        Step::new(
            format!("wasm-bindgen-cli {WASM_BINDGEN_VERSION}"),
            Action::EnsureTool(wasm_bindgen_tool()),
        ),
        Step::new(
            "npm ci in web/ (binaryen, playwright-core)",
            Action::Call(npm_ci),
        ),
        Step::new(
            "build portmatrix-wasm (wasm32, profile wasm)",
            Action::Run(cargo(&[
                "build",
                "-p",
                "portmatrix-wasm",
                "--target",
                WASM_TARGET,
                "--profile",
                "wasm",
            ])),
        ),
        Step::new(
            "wasm-bindgen: --target web -> web/dist, --target nodejs -> wasm/pkg",
            Action::Call(bindgen),
        ),
        Step::new("wasm-opt -Oz (npm binaryen)", Action::Call(optimize)),
        Step::new("assemble web/dist and wasm/pkg", Action::Call(assemble)),
        Step::new(
            "wasm size budget (< 2.5 MB raw, < 800 KB gzipped)",
            Action::Call(check_size),
        ),
    ]
}

/// The web steps of `cargo xtask test`: the build, then Chromium, then the Node and browser tests.
/// (The wasm32 target is ensured by the first step of `test`.)
pub fn test_steps() -> Vec<Step> {
    let mut steps: Vec<Step> = build_steps()
        .into_iter()
        .filter(|s| !matches!(s.action, Action::EnsureTarget(_)))
        .collect();
    steps.push(Step::new(
        "chromium (Debian package)",
        Action::Call(ensure_chromium),
    ));
    steps.push(Step::new(
        "node --test web/tests/ (npm package vs CLI, bin exit codes, browser)",
        Action::Run(Cmd::new("node").args(&["--test", "--test-reporter=spec", "web/tests/"])),
    ));
    steps
}

fn npm_ci() -> Result<(), String> {
    let lock = Path::new("web/package-lock.json");
    let installed = Path::new("web/node_modules/.package-lock.json");
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(have), Some(want)) = (modified(installed), modified(lock)) {
        let manifest = modified(Path::new("web/package.json"));
        if have >= want && manifest.is_none_or(|m| have >= m) {
            println!("web/node_modules is up to date with web/package-lock.json");
            return Ok(());
        }
    }
    Cmd::new("npm")
        .args(&[
            "ci",
            "--prefix",
            "web",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
        ])
        .run()
}

fn fresh_dir(dir: &str) -> Result<(), String> {
    if Path::new(dir).exists() {
        fs::remove_dir_all(dir).map_err(|e| format!("cannot remove {dir}: {e}"))?;
    }
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {dir}: {e}"))
}

fn bindgen() -> Result<(), String> {
    for (target, dir) in [("web", DIST), ("nodejs", PKG)] {
        fresh_dir(dir)?;
        Cmd::new("wasm-bindgen")
            .args(&[
                "--target",
                target,
                "--out-dir",
                dir,
                "--out-name",
                OUT_NAME,
                WASM_INPUT,
            ])
            .run()?;
    }
    Ok(())
}

fn wasm_opt(file: &str) -> Result<(), String> {
    Cmd::new("web/node_modules/.bin/wasm-opt")
        .args(&[
            "-Oz",
            "--strip-debug",
            "--strip-producers",
            file,
            "-o",
            file,
        ])
        .run()
}

fn read(path: &str) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))
}

/// Optimizes the page's `.wasm`; the package's is the same module (wasm-bindgen emits identical
/// bytes for both targets), so it is copied rather than optimized twice, unless it differs.
fn optimize() -> Result<(), String> {
    let web = format!("{DIST}/{WASM_FILE}");
    let node = format!("{PKG}/{WASM_FILE}");
    let same = read(&web)? == read(&node)?;
    wasm_opt(&web)?;
    if same {
        fs::copy(&web, &node).map_err(|e| format!("cannot copy {web} to {node}: {e}"))?;
        println!("{node}: same module as {web}, copied");
        Ok(())
    } else {
        wasm_opt(&node)
    }
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries = fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries.flatten() {
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            fs::copy(&src, &dst).map_err(|e| format!("cannot copy {}: {e}", src.display()))?;
        }
    }
    Ok(())
}

/// The workspace version (`[workspace.package] version` in the root Cargo.toml).
fn workspace_version() -> Result<String, String> {
    let toml = fs::read_to_string("Cargo.toml").map_err(|e| format!("Cargo.toml: {e}"))?;
    toml.lines()
        .skip_while(|l| l.trim() != "[workspace.package]")
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .find_map(|l| {
            let v = l.trim().strip_prefix("version")?.trim_start();
            Some(v.strip_prefix('=')?.trim().trim_matches('"').to_string())
        })
        .ok_or_else(|| "no version in [workspace.package] of Cargo.toml".to_string())
}

/// The page's sources next to the generated module, and the package's manifest, bin and README.
fn assemble() -> Result<(), String> {
    copy_dir(Path::new("web/src"), Path::new(DIST))?;
    // GitHub Pages: serve the files as they are (no Jekyll).
    fs::write(format!("{DIST}/.nojekyll"), "").map_err(|e| e.to_string())?;

    let manifest = fs::read_to_string("wasm/npm/package.json")
        .map_err(|e| format!("wasm/npm/package.json: {e}"))?;
    let manifest = manifest.replace("\"0.0.0-dev\"", &format!("\"{}\"", workspace_version()?));
    fs::write(format!("{PKG}/package.json"), manifest).map_err(|e| e.to_string())?;
    copy_dir(Path::new("wasm/npm/bin"), &Path::new(PKG).join("bin"))?;
    fs::copy("wasm/README.md", format!("{PKG}/README.md"))
        .map_err(|e| format!("wasm/README.md: {e}"))?;
    println!("web/dist: {}", list(DIST)?);
    println!("wasm/pkg: {}", list(PKG)?);
    Ok(())
}

fn list(dir: &str) -> Result<String, String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(|e| format!("{dir}: {e}"))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names.join(" "))
}

fn gzip_size(path: &str) -> Result<u64, String> {
    let out = Command::new("gzip")
        .args(["-9", "-c", path])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run gzip: {e}"))?;
    if !out.status.success() {
        return Err(format!("gzip -9 -c {path} failed ({})", out.status));
    }
    Ok(out.stdout.len() as u64)
}

fn kb(bytes: u64) -> String {
    format!("{:.0} KB", bytes as f64 / 1000.0)
}

fn check_size() -> Result<(), String> {
    let path = format!("{DIST}/{WASM_FILE}");
    let raw = fs::metadata(&path)
        .map_err(|e| format!("{path}: {e}"))?
        .len();
    let gz = gzip_size(&path)?;
    println!(
        "{path}: {raw} bytes raw ({}, budget {}), {gz} bytes gzipped ({}, budget {})",
        kb(raw),
        kb(RAW_BUDGET),
        kb(gz),
        kb(GZIP_BUDGET)
    );
    if raw > RAW_BUDGET || gz > GZIP_BUDGET {
        return Err(format!(
            "{path} is over its size budget: {} raw (max {}), {} gzipped (max {})",
            kb(raw),
            kb(RAW_BUDGET),
            kb(gz),
            kb(GZIP_BUDGET)
        ));
    }
    Ok(())
}

/// Debian's Chromium for the browser tests, installed only when missing.
fn ensure_chromium() -> Result<(), String> {
    if Path::new(CHROMIUM).exists() {
        let v = Cmd::new(CHROMIUM)
            .arg("--version")
            .output()
            .unwrap_or_default();
        println!("{CHROMIUM} is installed: {}", v.trim());
        return Ok(());
    }
    println!("{CHROMIUM} is missing: installing Debian's chromium");
    Cmd::new("apt-get").arg("update").run()?;
    Cmd::new("apt-get")
        .args(&["install", "-y", "chromium"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()?;
    if Path::new(CHROMIUM).exists() {
        Ok(())
    } else {
        Err(format!(
            "apt-get installed chromium but {CHROMIUM} is missing"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_versions_agree() {
        let crate_toml = include_str!("../../wasm/Cargo.toml");
        assert!(
            crate_toml.contains(&format!("wasm-bindgen = \"={WASM_BINDGEN_VERSION}\"")),
            "wasm/Cargo.toml must pin wasm-bindgen to ={WASM_BINDGEN_VERSION}"
        );
        assert_eq!(
            wasm_bindgen_tool().expect,
            format!("wasm-bindgen {WASM_BINDGEN_VERSION}")
        );
    }

    #[test]
    fn sizes_read_as_kilobytes() {
        assert_eq!(kb(1_867_322), "1867 KB");
    }
}
