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

/// A Rust-implemented rule's metadata (the bundle's come from `# METADATA`).
fn meta(
    id: &str,
    severity: Severity,
    title: &str,
    description: &str,
    remediation: &str,
    file: &str,
) -> RuleMeta {
    RuleMeta {
        id: id.to_string(),
        title: title.to_string(),
        severity,
        description: description.to_string(),
        remediation: remediation.to_string(),
        related_resources: vec![],
        file: file.to_string(),
    }
}

fn anomaly_rule(
    id: &str,
    severity: Severity,
    title: &str,
    description: &str,
    remediation: &str,
) -> RuleMeta {
    RuleMeta {
        related_resources: vec!["https://doi.org/10.1109/INFCOM.2004.1354680".to_string()],
        ..meta(
            id,
            severity,
            title,
            description,
            remediation,
            "src/layers/anomaly.rs",
        )
    }
}

/// Rule anomalies (Al-Shaer and Hamed) inside one firewall chain or one Calico/Cilium policy,
/// found in Rust because a 50,000-rule chain needs indexed pairwise comparison.
pub fn anomaly_rules() -> Vec<RuleMeta> {
    vec![
        anomaly_rule(
            "PM501",
            Severity::Error,
            "Shadowed rule",
            "An earlier rule of the same chain (or policy) matches all of this rule's traffic and \
             does the opposite (accepts what this rule drops, or drops what it accepts). This \
             rule never takes effect: the intent it expresses is not what the firewall does.",
            "Move the narrower rule above the broader one, or delete it.",
        ),
        anomaly_rule(
            "PM502",
            Severity::Warning,
            "Redundant rule",
            "Another rule with the same action already decides all of this rule's traffic (an \
             earlier superset, or a later superset with nothing in between that decides the \
             traffic otherwise). Removing it changes nothing; keeping it hides the real policy.",
            "Delete the redundant rule.",
        ),
        anomaly_rule(
            "PM503",
            Severity::Info,
            "Correlated rules",
            "Two rules of the same chain (or policy) match some traffic in common, neither all \
             of the other's, with different actions: their order decides the common part.",
            "Check that the order is the intended one; split the rules if it is not.",
        ),
    ]
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

fn suppression_rule(
    id: &str,
    severity: Severity,
    title: &str,
    description: &str,
    remediation: &str,
) -> RuleMeta {
    meta(
        id,
        severity,
        title,
        description,
        remediation,
        "src/suppress.rs",
    )
}

/// The suppressions' own rules (see `src/suppress.rs`).
pub fn suppression_rules() -> Vec<RuleMeta> {
    use crate::suppress::{EXPIRED, NO_REASON, UNUSED};
    vec![
        suppression_rule(
            NO_REASON,
            Severity::Warning,
            "Suppression without a reason",
            "A `portmatrix.io/ignore` annotation, a `# portmatrix:ignore` comment or a profile \
             `ignore:` entry silences findings but does not say why (or names no rule). The \
             suppression still applies; the warning asks for the reason, so that a reviewer can \
             tell an accepted risk from a forgotten one.",
            "Write the reason after the rule ids (`portmatrix.io/ignore: \"PM203 metrics scraped \
             from the node, ticket NET-42\"`), or as `reason:` in the profile entry.",
        ),
        suppression_rule(
            EXPIRED,
            Severity::Warning,
            "Expired suppression",
            "A profile `ignore:` entry has an `expires` date in the past: it no longer suppresses \
             anything, and the findings it covered are reported again.",
            "Fix the findings, or renew the entry with a later `expires` date.",
        ),
        suppression_rule(
            UNUSED,
            Severity::Info,
            "Unused suppression",
            "With `--report-unused-ignores`: a suppression that matched no finding. Its rule, \
             path or flow is mistyped, or the problem it silenced is gone.",
            "Remove the suppression, or correct its rule ids, path glob or flow.",
        ),
    ]
}

/// What the drivers' workloads say about their ports (see `src/workload_settings/mod.rs`).
pub fn workload_rules() -> Vec<RuleMeta> {
    use crate::workload_settings::{PORTS_DISAGREE, PORT_UNRESOLVED};
    let file = "src/workload_settings/mod.rs";
    vec![
        meta(
            PORTS_DISAGREE,
            Severity::Warning,
            "Workload's port settings disagree",
            "A driver's workload sets one of the matrix's configurable ports in more than one \
             place (a flag in the container's args, a containerPort, a probe's port, a Service's \
             targetPort) and the places name different ports. The process listens where its \
             flag says, so portmatrix checks that port; the others are stale: a probe that \
             checks the wrong port restarts the pod, a Service that targets it reaches nothing, \
             and a firewall rule written from the containerPort opens the wrong port.",
            "Set the same port in every place, or remove the stale one.",
            file,
        ),
        meta(
            PORT_UNRESOLVED,
            Severity::Warning,
            "Workload's port cannot be resolved",
            "A driver's workload sets a configurable port (or a feature flag) through something \
             portmatrix cannot read: a `$(VAR)` whose value comes from a field, ConfigMap or \
             Secret at run time, or a value that is not a port. portmatrix does not guess: it \
             checks the chart's default port, which may not be the one the process uses, so the \
             verdicts of the flows on that port may be wrong.",
            "Write the port as a literal in the args, or give it in the profile \
             (`drivers.<driver>.ports.<key>`), which takes precedence.",
            file,
        ),
    ]
}

/// Every rule: the Rust-implemented ones and the bundle's, sorted by id.
pub fn registry() -> Result<Vec<RuleMeta>, String> {
    let mut rules = rust_rules();
    rules.extend(workload_rules());
    rules.extend(suppression_rules());
    rules.extend(anomaly_rules());
    for (file, text) in crate::bundle::POLICIES {
        if let Some(rule) = parse_rule(file, text)? {
            rules.push(rule);
        }
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(rules)
}

/// One rule's page of `docs/rules/` (generated: edit the METADATA or `src/rules.rs` instead).
pub fn markdown(rule: &RuleMeta) -> String {
    let mut out = format!(
        "<!-- Generated from {} by `cargo xtask docs`: edit the source, not this file. -->\n\n\
         # {}: {}\n\n\
         Severity: **{}**. Defined in [`{}`](../../{}).\n\n\
         ## What it does\n\n{}\n\n\
         ## How to fix it\n\n{}\n",
        rule.file,
        rule.id,
        rule.title,
        rule.severity.as_str(),
        rule.file,
        rule.file,
        rule.description.trim(),
        rule.remediation.trim(),
    );
    if rule.id != crate::finding::INPUT_ERROR {
        out.push_str(&format!(
            "\n## Suppressing it\n\n\
             On the NetworkPolicy the finding is located in:\n\n\
             ```yaml\nmetadata:\n  annotations:\n    portmatrix.io/ignore: \"{id} reason it is acceptable\"\n```\n\n\
             Or in the profile (`.portmatrix.yaml`):\n\n\
             ```yaml\nignore:\n  - {{rule: {id}, path: \"k8s/**\", reason: \"...\", expires: \"2026-12-31\"}}\n```\n",
            id = rule.id
        ));
    }
    if !rule.related_resources.is_empty() {
        out.push_str("\n## References\n\n");
        for r in &rule.related_resources {
            out.push_str(&format!("- <{r}>\n"));
        }
    }
    out
}

/// The index page of `docs/rules/`.
pub fn index_markdown(rules: &[RuleMeta]) -> String {
    let mut out = String::from(
        "<!-- Generated by `cargo xtask docs` from the rules' METADATA and src/rules.rs. -->\n\n\
         # Rules\n\n\
         Every rule portmatrix reports. `portmatrix rules` lists them, `portmatrix rules ID` shows \
         one. Custom rules (`--policy`) report under their own ids.\n\n\
         | ID | Severity | Title |\n|---|---|---|\n",
    );
    for r in rules {
        out.push_str(&format!(
            "| [{}]({}.md) | {} | {} |\n",
            r.id,
            r.id,
            r.severity.as_str(),
            r.title
        ));
    }
    out
}

/// Every file of `docs/rules/`: `README.md` and one page per rule, as (file name, text).
pub fn docs() -> Result<Vec<(String, String)>, String> {
    let rules = registry()?;
    let mut out = vec![("README.md".to_string(), index_markdown(&rules))];
    out.extend(rules.iter().map(|r| (format!("{}.md", r.id), markdown(r))));
    Ok(out)
}
