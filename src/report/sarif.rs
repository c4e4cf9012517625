//! `--format sarif`: the report as a SARIF 2.1.0 log, for GitHub code scanning and other SARIF
//! consumers.
//!
//! Locations are repository-relative URIs under the `%SRCROOT%` base. Each result carries a
//! partial fingerprint built from what identifies the problem (rule, file, flow or message), not
//! from line numbers, so that moving a policy within its file keeps its alerts.

use super::paths::{file_uri_of_dir, uri_encode, RepoPaths};
use super::Report;
use crate::finding::{Finding, Severity, Suppression, SuppressionKind};
use crate::rules::RuleMeta;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub const SARIF_VERSION: &str = "2.1.0";
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The `uriBaseId` of every location: the repository root.
pub const SRCROOT: &str = "%SRCROOT%";
/// The key of the fingerprint in `partialFingerprints`; bump the suffix if its recipe changes.
pub const FINGERPRINT_KEY: &str = "portmatrix/v1";

/// How to place files in the repository.
#[derive(Debug, Clone, Default)]
pub struct SarifOptions {
    pub paths: RepoPaths,
    /// A repository-relative file where results that have no location of their own (flows no
    /// file expresses) are anchored, at line 1. SARIF allows results without locations, but
    /// GitHub code scanning rejects a whole log that has one; `None` leaves them unlocated.
    pub anchor: Option<String>,
}

/// The report as a SARIF log.
pub fn to_value(report: &Report, rules: &[RuleMeta], opts: &SarifOptions) -> Value {
    let index: HashMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, &index, opts, &mut seen))
        .collect();
    let version = crate::version();
    let mut run = json!({
        "tool": {
            "driver": {
                "name": "portmatrix",
                "version": version,
                "semanticVersion": version,
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules.iter().map(rule).collect::<Vec<_>>(),
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
    });
    if let Some(uri) = opts.paths.root.as_deref().and_then(file_uri_of_dir) {
        run["originalUriBaseIds"] = json!({ SRCROOT: { "uri": uri } });
    }
    json!({
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [run],
    })
}

/// The report as pretty-printed SARIF text.
pub fn render(report: &Report, rules: &[RuleMeta], opts: &SarifOptions) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(report, rules, opts)).unwrap_or_default();
    s.push('\n');
    s
}

/// SARIF's level for a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn rule(r: &RuleMeta) -> Value {
    let mut help_text = r.remediation.clone();
    let mut help_md = format!("**Remediation:** {}", r.remediation);
    if !r.related_resources.is_empty() {
        help_text.push_str("\n\nReferences:");
        help_md.push_str("\n\n**References:**\n");
        for link in &r.related_resources {
            help_text.push_str(&format!("\n- {link}"));
            help_md.push_str(&format!("\n- <{link}>"));
        }
    }
    let mut v = json!({
        "id": r.id,
        "name": pascal_case(&r.title),
        "shortDescription": { "text": r.title },
        "fullDescription": { "text": r.description },
        "help": { "text": help_text, "markdown": help_md },
        "defaultConfiguration": { "level": level(r.severity) },
        "properties": {
            "tags": ["kubernetes", "networkpolicy", "csi"],
            "precision": "high",
        },
    });
    if let Some(uri) = r
        .related_resources
        .iter()
        .find(|u| u.starts_with("https://") || u.starts_with("http://"))
    {
        v["helpUri"] = json!(uri);
    }
    v
}

/// `Required flow blocked` -> `RequiredFlowBlocked`: SARIF's `rule.name` is a Pascal-case
/// identifier, so acronyms are lowered (`Api`) and one-letter words dropped (no `ADriver`).
fn pascal_case(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() > 1)
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            lower[..1].to_ascii_uppercase() + &lower[1..]
        })
        .collect()
}

fn result(
    f: &Finding,
    index: &HashMap<&str, usize>,
    opts: &SarifOptions,
    seen: &mut HashMap<String, usize>,
) -> Value {
    let path = f.loc.as_ref().and_then(|l| opts.paths.relative(&l.file));
    let mut text = f.message.clone();
    // A finding in a file that has no place in the repository (stdin) keeps its position in
    // the text, since it cannot have a location.
    if let (Some(loc), None) = (&f.loc, &path) {
        text.push_str(&format!(" (at {loc})"));
    }
    if !f.help.is_empty() {
        text.push_str("\nHelp: ");
        text.push_str(&f.help);
    }
    let mut v = Map::new();
    v.insert("ruleId".into(), json!(f.rule));
    if let Some(i) = index.get(f.rule.as_str()) {
        v.insert("ruleIndex".into(), json!(i));
    }
    v.insert("level".into(), json!(level(f.severity)));
    v.insert("message".into(), json!({ "text": text }));
    match (&f.loc, &path, &opts.anchor) {
        (Some(loc), Some(path), _) => {
            let mut region = Map::new();
            if loc.line > 0 {
                region.insert("startLine".into(), json!(loc.line));
                if loc.column > 0 {
                    region.insert("startColumn".into(), json!(loc.column));
                }
                let end_ok = (loc.end_line, loc.end_column) >= (loc.line, loc.column);
                if end_ok && loc.end_column > 0 {
                    region.insert("endLine".into(), json!(loc.end_line));
                    region.insert("endColumn".into(), json!(loc.end_column));
                }
            }
            let mut physical = json!({
                "artifactLocation": { "uri": uri_encode(path), "uriBaseId": SRCROOT },
            });
            if !region.is_empty() {
                physical["region"] = Value::Object(region);
            }
            v.insert(
                "locations".into(),
                json!([{ "physicalLocation": physical }]),
            );
        }
        (None, _, Some(anchor)) => {
            v.insert(
                "locations".into(),
                json!([{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri_encode(anchor), "uriBaseId": SRCROOT },
                        "region": { "startLine": 1 },
                    },
                    "message": { "text": "no file expresses this finding: shown at the top of this input" },
                }]),
            );
        }
        _ => {}
    }
    if let Some(s) = &f.suppressed {
        v.insert("suppressions".into(), json!([suppression(s)]));
    }
    let key = fingerprint_source(f, path.as_deref());
    let n = seen.entry(key.clone()).or_insert(0);
    *n += 1;
    v.insert(
        "partialFingerprints".into(),
        json!({ FINGERPRINT_KEY: format!("{:016x}:{n}", fnv1a64(key.as_bytes())) }),
    );
    Value::Object(v)
}

/// What identifies a finding across runs: its rule, its file, and its flow (or, for findings
/// about no flow, its message without `:line:column` references). Findings with the same source
/// are told apart by their order (`:1`, `:2`), as GitHub does for its own line hashes.
fn fingerprint_source(f: &Finding, path: Option<&str>) -> String {
    let file = path
        .map(str::to_string)
        .or_else(|| f.loc.as_ref().map(|l| l.file.to_string()))
        .unwrap_or_default();
    let what = match &f.flow {
        Some(flow) => format!("flow {flow}"),
        None => strip_positions(&f.message),
    };
    format!("{}\0{file}\0{what}", f.rule)
}

/// Removes `:12` and `:12:5` suffixes (positions in `file:line` references) from a message.
pub fn strip_positions(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// 64-bit FNV-1a: small, stable across platforms and releases (unlike `std`'s hasher).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The SARIF `suppression` object of a suppressed finding: `inSource` for the annotation and
/// comments written beside the finding, `external` for profile entries; the reason, if given,
/// is the justification.
pub fn suppression(s: &Suppression) -> Value {
    let kind = match s.kind {
        SuppressionKind::Annotation | SuppressionKind::Comment => "inSource",
        SuppressionKind::Profile => "external",
    };
    let mut v = json!({ "kind": kind, "status": "accepted" });
    let reason = s.reason.trim();
    if !reason.is_empty() {
        v["justification"] = json!(reason);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Loc;

    fn finding(rule: &str, flow: Option<&str>, message: &str, line: u32) -> Finding {
        let loc = Loc {
            file: "./k8s/np.yaml".into(),
            line,
            column: 3,
            end_line: line,
            end_column: 9,
            ..Default::default()
        };
        let mut f = Finding::input_error(message, "", loc);
        f.rule = rule.into();
        f.flow = flow.map(str::to_string);
        f
    }

    fn fingerprint(v: &Value) -> &str {
        v["partialFingerprints"][FINGERPRINT_KEY].as_str().unwrap()
    }

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn fingerprints_ignore_lines_and_count_repeats() {
        let opts = SarifOptions::default();
        let run = |findings: &[Finding]| {
            let mut seen = HashMap::new();
            findings
                .iter()
                .map(|f| result(f, &HashMap::new(), &opts, &mut seen))
                .collect::<Vec<_>>()
        };
        let moved = |line| {
            finding(
                "PM201",
                None,
                &format!("policy trident/x (k8s/np.yaml:{line}) allows all"),
                line,
            )
        };
        let a = run(&[moved(4)]);
        let b = run(&[moved(40)]);
        assert_eq!(fingerprint(&a[0]), fingerprint(&b[0]));
        assert!(fingerprint(&a[0]).ends_with(":1"));
        let twice = run(&[moved(4), moved(9)]);
        assert_ne!(fingerprint(&twice[0]), fingerprint(&twice[1]));
        assert!(fingerprint(&twice[1]).ends_with(":2"));
        let flow_a = run(&[finding(
            "PM101",
            Some("t/a"),
            "blocked by p (k8s/np.yaml:4)",
            4,
        )]);
        let flow_b = run(&[finding(
            "PM101",
            Some("t/b"),
            "blocked by p (k8s/np.yaml:4)",
            4,
        )]);
        assert_ne!(fingerprint(&flow_a[0]), fingerprint(&flow_b[0]));
    }

    #[test]
    fn positions_are_stripped_from_messages() {
        assert_eq!(
            strip_positions("isolated by a/b (k8s/x.yaml:12), TCP 8443, at y.yaml:3:7"),
            "isolated by a/b (k8s/x.yaml), TCP 8443, at y.yaml"
        );
    }

    #[test]
    fn stdin_findings_have_no_location_but_keep_their_position() {
        let mut f = finding("PM101", None, "blocked", 3);
        if let Some(loc) = f.loc.as_mut() {
            loc.file = "<stdin>".into();
        }
        let opts = SarifOptions {
            anchor: Some("k8s/np.yaml".into()),
            ..Default::default()
        };
        let v = result(&f, &HashMap::new(), &opts, &mut HashMap::new());
        assert!(v.get("locations").is_none(), "{v}");
        assert!(v["message"]["text"]
            .as_str()
            .unwrap()
            .contains("<stdin>:3:3"));
    }

    #[test]
    fn suppressions_carry_their_justification() {
        let of = |kind, reason: &str| {
            suppression(&Suppression {
                kind,
                reason: reason.to_string(),
            })
        };
        assert_eq!(
            of(
                SuppressionKind::Annotation,
                " metrics scraped by the node agent "
            ),
            json!({"kind": "inSource", "status": "accepted",
                   "justification": "metrics scraped by the node agent"})
        );
        assert_eq!(
            of(SuppressionKind::Comment, ""),
            json!({"kind": "inSource", "status": "accepted"})
        );
        assert_eq!(of(SuppressionKind::Profile, "x")["kind"], "external");
        let mut f = finding("PM203", None, "port 8001", 4);
        f.suppressed = Some(Suppression {
            kind: SuppressionKind::Profile,
            reason: "x".into(),
        });
        let v = result(
            &f,
            &HashMap::new(),
            &SarifOptions::default(),
            &mut HashMap::new(),
        );
        assert_eq!(
            v["suppressions"],
            json!([of(SuppressionKind::Profile, "x")])
        );
    }

    #[test]
    fn rule_names_are_identifiers() {
        assert_eq!(
            pascal_case("Peer selects host-network pods by label"),
            "PeerSelectsHostNetworkPodsByLabel"
        );
        assert_eq!(
            pascal_case("Webhook rule admits kube-system pods, not the API server"),
            "WebhookRuleAdmitsKubeSystemPodsNotTheApiServer"
        );
        assert_eq!(
            pascal_case("Allow-all rule on a driver pod"),
            "AllowAllRuleOnDriverPod"
        );
    }
}
