//! Finds and reads input files: directories are searched recursively for manifests.

use portmatrix::{Finding, Loc, SourceFile};
use std::io::Read;
use std::path::{Path, PathBuf};

const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// Host-firewall dumps found in directories: read only when their content is a format
/// portmatrix knows (a `pom.xml` beside the manifests is not a firewalld zone).
const FIREWALL_EXTENSIONS: &[&str] = &["rules", "v4", "v6", "iptables", "ip6tables", "xml", "nft"];

fn is_firewall(text: &str) -> bool {
    use portmatrix::inputs::{firewalld, iptables, nft};
    iptables::looks_like(text) || nft::looks_like(text) || firewalld::looks_like(text)
}

/// The built-in examples: the fixtures, named by file stem.
pub use portmatrix::examples::examples;

/// Collects files under `dir`; the flag marks those kept only if they hold a firewall dump.
fn walk(dir: &Path, out: &mut Vec<(PathBuf, bool)>, errors: &mut Vec<Finding>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(unreadable(&dir.display().to_string(), &e.to_string()));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if name.starts_with('.') && name != ".portmatrix.yaml" {
            continue;
        }
        // Symlinked directories are not followed: they can loop.
        let is_dir = std::fs::symlink_metadata(&path)
            .map(|m| m.is_dir())
            .unwrap_or(false);
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_string())
            .unwrap_or_default();
        if is_dir {
            walk(&path, out, errors);
        } else if name != ".portmatrix.yaml" && EXTENSIONS.contains(&ext.as_str()) {
            out.push((path, false));
        } else if FIREWALL_EXTENSIONS.contains(&ext.as_str()) {
            out.push((path, true));
        }
    }
}

fn unreadable(name: &str, why: &str) -> Finding {
    Finding::input_error(
        format!("cannot read {name}: {why}"),
        "check the path and its permissions",
        Loc::file_start(name),
    )
}

/// Decodes a file's bytes; invalid UTF-8 is an error located at the first bad byte.
fn decode(name: &str, bytes: Vec<u8>) -> Result<String, Box<Finding>> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        let prefix = String::from_utf8_lossy(&bytes[..valid]);
        let index = portmatrix::source::LineIndex::new(&prefix);
        let mut loc = index.loc(name, valid, valid);
        loc.len = 0;
        Box::new(Finding::input_error(
            format!("invalid UTF-8 at byte {valid}"),
            "save the file as UTF-8",
            loc,
        ))
    })
}

fn read_limited(name: &str, reader: impl Read, limit: usize) -> Result<String, Box<Finding>> {
    let mut bytes = Vec::new();
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Box::new(unreadable(name, &e.to_string())))?;
    if bytes.len() > limit {
        return Err(Box::new(portmatrix::inputs::too_large(
            name,
            bytes.len(),
            limit,
        )));
    }
    decode(name, bytes)
}

/// Reads every file the paths name. Unreadable files become findings; the rest are returned.
pub fn collect(paths: &[String], limit: usize) -> (Vec<SourceFile>, Vec<Finding>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for arg in paths {
        if arg == "-" {
            match read_limited("<stdin>", std::io::stdin().lock(), limit) {
                Ok(text) => files.push(SourceFile::new("<stdin>", text)),
                Err(f) => errors.push(*f),
            }
            continue;
        }
        let path = Path::new(arg);
        let mut found = Vec::new();
        if path.is_dir() {
            walk(path, &mut found, &mut errors);
        } else {
            found.push((path.to_path_buf(), false));
        }
        for (p, only_firewall) in found {
            let name = p.display().to_string();
            match std::fs::File::open(&p) {
                Ok(f) => match read_limited(&name, f, limit) {
                    Ok(text) if only_firewall && !is_firewall(&text) => {}
                    Ok(text) => files.push(SourceFile::new(name, text)),
                    Err(e) if only_firewall => drop(e),
                    Err(e) => errors.push(*e),
                },
                Err(e) => errors.push(unreadable(&name, &e.to_string())),
            }
        }
    }
    (files, errors)
}
