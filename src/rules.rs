//! The rule registry, read from the `# METADATA` blocks of the bundle's rule files (regorus does
//! not expose `rego.metadata`), so that ids, severities and docs have one source.

use crate::finding::Severity;
use crate::yaml::{self, Limits};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub description: String,
    pub remediation: String,
    pub related_resources: Vec<String>,
    /// The rule's file in the bundle.
    pub file: String,
}

/// The METADATA block above a file's `package` line, as YAML text.
pub fn metadata_block(rego: &str) -> Option<String> {
    let mut lines = rego.lines().skip_while(|l| l.trim() != "# METADATA");
    lines.next()?;
    let body: Vec<&str> = lines
        .take_while(|l| l.starts_with('#'))
        .map(|l| {
            l.strip_prefix("# ")
                .or_else(|| l.strip_prefix('#'))
                .unwrap_or(l)
        })
        .collect();
    Some(body.join("\n"))
}

/// Parses one rule file's METADATA; `None` for files that are not rules (no `custom.id`).
pub fn parse_rule(file: &str, rego: &str) -> Result<Option<RuleMeta>, String> {
    let Some(block) = metadata_block(rego) else {
        return Ok(None);
    };
    let (docs, err) = yaml::parse_stream(file, &block, &Limits::default());
    if let Some(e) = err {
        return Err(format!("{file}: METADATA: {}", e.message));
    }
    let Some(root) = docs.first().map(|d| &d.root) else {
        return Ok(None);
    };
    let Some(custom) = root.get("custom") else {
        return Ok(None);
    };
    let text = |n: Option<&yaml::Node>| n.and_then(|n| n.as_str()).unwrap_or("").trim().to_string();
    let id = text(custom.get("id"));
    if id.is_empty() {
        return Ok(None);
    }
    let severity = Severity::parse(&text(custom.get("severity"))).ok_or_else(|| {
        format!("{file}: METADATA custom.severity must be error, warning or info")
    })?;
    Ok(Some(RuleMeta {
        id,
        title: text(root.get("title")),
        severity,
        description: text(root.get("description")),
        remediation: text(custom.get("remediation")),
        related_resources: root
            .get("related_resources")
            .or_else(|| custom.get("related_resources"))
            .and_then(|n| n.as_seq())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.as_str().or_else(|| i.get("ref").and_then(|r| r.as_str())))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        file: file.to_string(),
    }))
}

/// The rule for unreadable input, which lives in the readers rather than in Rego.
pub fn input_error_rule() -> RuleMeta {
    RuleMeta {
        id: crate::finding::INPUT_ERROR.to_string(),
        title: "Input could not be read".to_string(),
        severity: Severity::Error,
        description:
            "A file is not valid YAML or JSON, a field has the wrong type, a value is \
                      malformed, or the file exceeds a limit. What could be read is still analysed."
                .to_string(),
        remediation: "Fix the file at the reported line and column.".to_string(),
        related_resources: vec![],
        file: "src/inputs".to_string(),
    }
}

fn rust_rule(id: &str, title: &str, description: &str, remediation: &str) -> RuleMeta {
    RuleMeta {
        id: id.to_string(),
        title: title.to_string(),
        severity: Severity::Error,
        description: description.to_string(),
        remediation: remediation.to_string(),
        related_resources: vec![
            "https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/"
                .to_string(),
        ],
        file: "src/inputs/validate.rs".to_string(),
    }
}

/// Rules implemented in Rust, in the readers (see `src/inputs/validate.rs` for why).
pub fn rust_rules() -> Vec<RuleMeta> {
    vec![
        input_error_rule(),
        rust_rule(
            crate::inputs::validate::INVALID_PORT,
            "Invalid port or protocol",
            "A port outside 1-65535, a named port that is not a valid port name (1-15 lowercase \
             letters, digits and hyphens, with at least one letter), or a protocol other than TCP, \
             UDP or SCTP. The API server rejects the policy, or the rule matches nothing.",
            "Use a port from 1 to 65535 or a container port's name, and TCP, UDP or SCTP.",
        ),
        rust_rule(
            crate::inputs::validate::INVALID_END_PORT,
            "Invalid endPort",
            "`endPort` must come with a numeric `port` and be at least `port`. The API server \
             rejects a policy that breaks this, so the rule never takes effect.",
            "Set endPort to a number from `port` to 65535, with a numeric `port`.",
        ),
        rust_rule(
            crate::inputs::validate::INVALID_IP_BLOCK,
            "Invalid ipBlock",
            "An ipBlock's `cidr` or `except` is not a valid CIDR (such as 10.0.0.0/33, or an \
             address with no prefix length), or an `except` entry lies outside its `cidr`. The \
             API server rejects the policy.",
            "Write each address as a CIDR with a prefix length, and keep every `except` inside its `cidr`.",
        ),
    ]
}

/// Every rule: the Rust-implemented ones and the bundle's, sorted by id.
pub fn registry() -> Result<Vec<RuleMeta>, String> {
    let mut rules = rust_rules();
    for (file, text) in crate::bundle::POLICIES {
        if let Some(rule) = parse_rule(file, text)? {
            rules.push(rule);
        }
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(rules)
}
