//! portmatrix compiled to WebAssembly.
//!
//! For now a plain Rust API over the core (no wasm-bindgen yet): it proves the core builds for
//! `wasm32-unknown-unknown` and gives the browser front end one entry point to wrap later.

use portmatrix::{LintRequest, SourceFile};

/// Lints `files` (pairs of display name and text) against `drivers` (empty: detect them), with an
/// optional profile text, and returns the JSON report (`--format json`).
///
/// A usage error (an unknown driver, no driver selected or detected, an internal error) is returned
/// as a JSON object `{"error": "..."}` instead of a report.
pub fn lint_json(
    files: &[(String, String)],
    drivers: &[String],
    profile: Option<String>,
) -> String {
    let request = LintRequest {
        files: files
            .iter()
            .map(|(name, text)| SourceFile::new(name.as_str(), text.as_str()))
            .collect(),
        drivers: drivers.to_vec(),
        profile: profile.map(|text| SourceFile::new("profile.yaml", text)),
        options: Default::default(),
    };
    match portmatrix::lint(&request) {
        Ok(report) => portmatrix::report::json::render(&report),
        Err(e) => {
            let mut s = serde_json::json!({ "error": e.to_string() }).to_string();
            s.push('\n');
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT_DENY: &str = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: trident
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
";

    #[test]
    fn default_deny_blocks_trident_flows() {
        let files = vec![("deny.yaml".to_string(), DEFAULT_DENY.to_string())];
        let out = lint_json(&files, &["trident".to_string()], None);
        let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
        assert!(v.get("error").is_none(), "unexpected error: {out}");
        let flows = v["flows"].as_array().expect("a `flows` array");
        assert!(
            flows.iter().any(|f| f["status"] == "blocked"),
            "no blocked flow in: {out}"
        );
    }

    #[test]
    fn unknown_driver_is_an_error_object() {
        let files = vec![("deny.yaml".to_string(), DEFAULT_DENY.to_string())];
        let out = lint_json(&files, &["no-such-driver".to_string()], None);
        let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
        let err = v["error"].as_str().expect("an `error` string");
        assert!(err.contains("no-such-driver"), "{err}");
    }
}
