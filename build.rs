//! Embeds the policy bundle (`policies/`: Rego rules and matrix data) into the library, so the
//! CLI and the WASM module carry the same rules without reading files at run time.

use std::fs;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let policies = root.join("policies");
    println!("cargo:rerun-if-changed=policies");
    let mut files = Vec::new();
    collect(&policies, &mut files);
    files.sort();
    let (mut rules, mut tests, mut matrices) = (String::new(), String::new(), String::new());
    for path in &files {
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        println!("cargo:rerun-if-changed={}", path.display());
        let entry = format!(
            "    ({rel:?}, include_str!({:?})),\n",
            path.display().to_string()
        );
        let name = path.file_name().unwrap().to_string_lossy();
        if name.ends_with("_test.rego") {
            tests.push_str(&entry);
        } else if name.ends_with(".rego") {
            rules.push_str(&entry);
        } else if rel.starts_with("policies/matrix/") && name == "data.yaml" {
            matrices.push_str(&entry);
        }
    }
    // Fixtures double as built-in examples (`portmatrix lint --example NAME`, the web page).
    let mut fixtures = String::new();
    let mut fixture_files = Vec::new();
    collect(&root.join("fixtures"), &mut fixture_files);
    fixture_files.sort();
    println!("cargo:rerun-if-changed=fixtures");
    for path in &fixture_files {
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let known = [".yaml", ".yml", ".json", ".rules", ".xml"];
        if known.iter().any(|ext| rel.ends_with(ext)) {
            println!("cargo:rerun-if-changed={}", path.display());
            fixtures.push_str(&format!(
                "    ({rel:?}, include_str!({:?})),\n",
                path.display().to_string()
            ));
        }
    }
    let code = format!(
        "/// The bundle's rule files.\npub const POLICIES: &[(&str, &str)] = &[\n{rules}];\n\
         /// The bundle's `_test.rego` files.\npub const TESTS: &[(&str, &str)] = &[\n{tests}];\n\
         /// The built-in matrices.\npub const MATRICES: &[(&str, &str)] = &[\n{matrices}];\n\
         /// The fixtures, which are also the built-in examples.\npub const FIXTURES: &[(&str, &str)] = &[\n{fixtures}];\n"
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("bundle.rs");
    fs::write(out, code).unwrap();
}
