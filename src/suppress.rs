//! Suppressions: the `portmatrix.io/ignore` annotation, `ignore:` entries of the profile, and
//! `# portmatrix:ignore` comments. A suppressed finding stays in the report, marked, and counts
//! for neither the exit code nor the summary's severities.
//!
//! The core has no clock: whether an entry has expired is decided against the date the caller
//! passes (`LintRequest::today`).

use crate::finding::{Finding, Severity, Suppression, SuppressionKind, INPUT_ERROR};
use crate::model::IgnoreAnnotation;
use crate::profile::IgnoreEntry;
use crate::source::{Loc, SourceFile};

/// A suppression without a reason.
pub const NO_REASON: &str = "PM401";
/// A suppression past its `expires` date.
pub const EXPIRED: &str = "PM402";
/// A suppression that matched no finding (`--report-unused-ignores`).
pub const UNUSED: &str = "PM403";

/// The comment that suppresses findings on the next line of a YAML file.
pub const COMMENT_MARKER: &str = "# portmatrix:ignore";

enum Scope {
    /// Findings located inside this object.
    Object(Loc),
    /// Findings located on this line of this file.
    Line { file: String, line: u32 },
    /// Findings whose file and flow match these globs.
    Profile {
        path: Option<String>,
        flow: Option<String>,
    },
}

struct Rule {
    kind: SuppressionKind,
    rules: Vec<String>,
    reason: String,
    expires: Option<(i32, u32, u32)>,
    /// Where the suppression is written.
    loc: Loc,
    /// What it is about, for messages: `NetworkPolicy trident/x`, `profile entry`, ...
    what: String,
    scope: Scope,
    used: bool,
}

/// Splits `"PM101,PM203 reason text"` into rule ids and a reason.
fn split_ids(text: &str) -> (Vec<String>, String) {
    let text = text.trim();
    let (ids, reason) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let ids = ids
        .split(',')
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    (ids, reason.trim().to_string())
}

/// `# portmatrix:ignore PM101 reason` comments of the YAML files: each applies to the next line
/// that is not a comment.
fn comments(files: &[SourceFile]) -> Vec<Rule> {
    let mut out = Vec::new();
    for file in files {
        if !file.text.contains(COMMENT_MARKER) {
            continue;
        }
        let index = crate::source::LineIndex::new(&file.text);
        let lines: Vec<&str> = file.text.lines().collect();
        let mut offset = 0usize;
        for (i, line) in lines.iter().enumerate() {
            let start = offset;
            offset += line.len() + 1;
            let trimmed = line.trim_start();
            let Some(rest) = trimmed.strip_prefix(COMMENT_MARKER) else {
                continue;
            };
            if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
                continue;
            }
            let Some(target) = lines
                .iter()
                .enumerate()
                .skip(i + 1)
                .find(|(_, l)| !l.trim_start().starts_with('#'))
                .map(|(j, _)| j as u32 + 1)
            else {
                continue;
            };
            let (rules, reason) = split_ids(rest);
            let indent = line.len() - trimmed.len();
            out.push(Rule {
                kind: SuppressionKind::Comment,
                rules,
                reason,
                expires: None,
                loc: index.loc(&file.name, start + indent, start + line.len()),
                what: format!("comment at {}:{}", file.name, i + 1),
                scope: Scope::Line {
                    file: file.name.clone(),
                    line: target,
                },
                used: false,
            });
        }
    }
    out
}

fn collect(
    annotations: &[IgnoreAnnotation],
    entries: &[IgnoreEntry],
    files: &[SourceFile],
) -> Vec<Rule> {
    let mut out: Vec<Rule> = annotations
        .iter()
        .map(|a| {
            let (rules, reason) = split_ids(&a.text);
            Rule {
                kind: SuppressionKind::Annotation,
                rules,
                reason,
                expires: None,
                loc: a.loc.clone(),
                what: format!("annotation on NetworkPolicy {}", a.object),
                scope: Scope::Object(a.span.clone()),
                used: false,
            }
        })
        .collect();
    out.extend(entries.iter().map(|e| Rule {
        kind: SuppressionKind::Profile,
        rules: e.rules.clone(),
        reason: e.reason.trim().to_string(),
        expires: e.expires,
        loc: e.loc.clone(),
        what: "profile entry".to_string(),
        scope: Scope::Profile {
            path: e.path.clone(),
            flow: e.flow.clone(),
        },
        used: false,
    }));
    out.extend(comments(files));
    out
}

impl Rule {
    fn matches(&self, f: &Finding) -> bool {
        if !self
            .rules
            .iter()
            .any(|r| r == "*" || r.eq_ignore_ascii_case(&f.rule))
        {
            return false;
        }
        match &self.scope {
            Scope::Object(span) => f.loc.as_ref().is_some_and(|l| {
                l.file == span.file && l.line >= span.line && l.line <= span.end_line
            }),
            Scope::Line { file, line } => f
                .loc
                .as_ref()
                .is_some_and(|l| *l.file == **file && l.line == *line),
            Scope::Profile { path, flow } => {
                let path_ok = match path {
                    None => true,
                    Some(p) => f.loc.as_ref().is_some_and(|l| glob_match(p, &l.file)),
                };
                let flow_ok = match flow {
                    None => true,
                    Some(p) => f.flow.as_deref().is_some_and(|id| glob_match(p, id)),
                };
                path_ok && flow_ok
            }
        }
    }

    fn ids(&self) -> String {
        if self.rules.is_empty() {
            "no rule".to_string()
        } else {
            self.rules.join(",")
        }
    }
}

fn meta(rule: &str, severity: Severity, message: String, help: &str, loc: &Loc) -> Finding {
    Finding {
        rule: rule.to_string(),
        severity,
        message,
        help: help.to_string(),
        flow: None,
        loc: Some(loc.clone()),
        suppressed: None,
    }
}

/// Whether a finding may be suppressed: unreadable input and the suppressions' own findings may
/// not.
fn suppressible(f: &Finding) -> bool {
    f.rule != INPUT_ERROR && ![NO_REASON, EXPIRED, UNUSED].contains(&f.rule.as_str())
}

/// Marks the findings that a suppression matches, and adds findings about the suppressions
/// themselves (no reason, expired, and, with `report_unused`, unused).
pub fn apply(
    findings: &mut Vec<Finding>,
    annotations: &[IgnoreAnnotation],
    entries: &[IgnoreEntry],
    files: &[SourceFile],
    today: Option<(i32, u32, u32)>,
    report_unused: bool,
) {
    let mut rules = collect(annotations, entries, files);
    if rules.is_empty() {
        return;
    }
    let mut extra = Vec::new();
    for r in &rules {
        if r.rules.is_empty() {
            extra.push(meta(
                NO_REASON,
                Severity::Warning,
                format!("suppression ({}) names no rule", r.what),
                "start it with the rule ids, such as `PM203,PM205 reason text`",
                &r.loc,
            ));
        } else if r.reason.is_empty() {
            extra.push(meta(
                NO_REASON,
                Severity::Warning,
                format!("suppression of {} ({}) gives no reason", r.ids(), r.what),
                "add why the finding is acceptable after the rule ids (or as `reason:` in the profile)",
                &r.loc,
            ));
        }
    }
    let expired = |r: &Rule| matches!((r.expires, today), (Some(e), Some(t)) if e < t);
    for r in rules.iter().filter(|r| expired(r)) {
        let (y, m, d) = r.expires.unwrap_or_default();
        extra.push(meta(
            EXPIRED,
            Severity::Warning,
            format!(
                "suppression of {} ({}) expired on {y:04}-{m:02}-{d:02} and no longer applies",
                r.ids(),
                r.what
            ),
            "fix the findings it covered, or renew it with a later `expires`",
            &r.loc,
        ));
    }
    for f in findings.iter_mut().filter(|f| suppressible(f)) {
        if let Some(r) = rules.iter_mut().find(|r| !expired(r) && r.matches(f)) {
            r.used = true;
            f.suppressed = Some(Suppression {
                kind: r.kind,
                reason: r.reason.clone(),
            });
        }
    }
    if report_unused {
        for r in rules.iter().filter(|r| !r.used && !expired(r)) {
            extra.push(meta(
                UNUSED,
                Severity::Info,
                format!("suppression of {} ({}) matched no finding", r.ids(), r.what),
                "remove it, or check its rule ids, path and flow",
                &r.loc,
            ));
        }
    }
    rules.clear();
    findings.extend(extra);
}

/// Matches a glob: `*` and `?` within a path segment, `**` across segments.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p {
            [] => t.is_empty(),
            [b'*', b'*', rest @ ..] => {
                let rest = rest.strip_prefix(b"/").unwrap_or(rest);
                (0..=t.len()).any(|i| go(rest, &t[i..]))
            }
            [b'*', rest @ ..] => {
                let stop = t.iter().position(|&c| c == b'/').unwrap_or(t.len());
                (0..=stop).any(|i| go(rest, &t[i..]))
            }
            [b'?', rest @ ..] => !t.is_empty() && t[0] != b'/' && go(rest, &t[1..]),
            [c, rest @ ..] => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    let text = text.strip_prefix("./").unwrap_or(text);
    let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
    go(pattern.as_bytes(), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("k8s/*.yaml", "k8s/np.yaml"));
        assert!(!glob_match("k8s/*.yaml", "k8s/sub/np.yaml"));
        assert!(glob_match("k8s/**/*.yaml", "k8s/sub/np.yaml"));
        assert!(glob_match("**/np.yaml", "np.yaml"));
        assert!(glob_match(
            "trident/*-metrics",
            "trident/prometheus-to-controller-metrics"
        ));
        assert!(glob_match("./a?.yml", "ab.yml"));
    }

    #[test]
    fn ids_and_reason() {
        assert_eq!(
            split_ids(" PM101,PM203  legacy rule, ticket 42 "),
            (
                vec!["PM101".to_string(), "PM203".to_string()],
                "legacy rule, ticket 42".to_string()
            )
        );
        assert_eq!(
            split_ids("PM101"),
            (vec!["PM101".to_string()], String::new())
        );
    }

    #[test]
    fn comment_applies_to_the_next_non_comment_line() {
        let file = SourceFile::new(
            "a.yaml",
            "a: 1\n# portmatrix:ignore PM205 why\n# more\nb: 2\n",
        );
        let rules = comments(&[file]);
        assert_eq!(rules.len(), 1);
        assert!(matches!(rules[0].scope, Scope::Line { line: 4, .. }));
        assert_eq!(rules[0].loc.line, 2);
    }
}
