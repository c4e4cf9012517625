//! `--format junit`: JUnit XML for CI test dashboards. One test case per required flow (fails
//! when the flow is blocked or partly allowed; skipped when no NetworkPolicy can govern it) and
//! one per rule (fails when the rule has findings at or above the `--fail-on` threshold; input
//! errors are `<error>`s).

use super::{FlowReport, Report};
use crate::finding::{Finding, Severity};
use crate::rules::RuleMeta;
use std::fmt::Write;

enum Outcome {
    Pass,
    Failure { kind: String, message: String },
    Error { kind: String, message: String },
    Skipped { message: String },
}

struct Case {
    classname: String,
    name: String,
    outcome: Outcome,
    /// Details: the findings, and for flows the reason and the deciding rules.
    body: String,
}

/// The report as a JUnit XML document. `fail_on` is the lowest severity that fails a rule's
/// test case (`None`: rules never fail; flows still do).
pub fn render(report: &Report, rules: &[RuleMeta], fail_on: Option<Severity>) -> String {
    let mut cases: Vec<Case> = report.flows.iter().map(|f| flow_case(report, f)).collect();
    let mut rule_ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    // A finding of a rule the registry does not know still gets its test case.
    for f in &report.findings {
        if !rule_ids.contains(&f.rule.as_str()) {
            rule_ids.push(&f.rule);
        }
    }
    cases.extend(
        rule_ids
            .iter()
            .map(|id| rule_case(report, rules, id, fail_on)),
    );

    let count = |p: fn(&Outcome) -> bool| cases.iter().filter(|c| p(&c.outcome)).count();
    let failures = count(|o| matches!(o, Outcome::Failure { .. }));
    let errors = count(|o| matches!(o, Outcome::Error { .. }));
    let skipped = count(|o| matches!(o, Outcome::Skipped { .. }));
    let totals = format!(
        "tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"0\"",
        cases.len()
    );
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"portmatrix\" {totals}>");
    let _ = writeln!(out, "  <testsuite name=\"portmatrix\" {totals}>");
    let _ = writeln!(out, "    <properties>");
    let _ = writeln!(
        out,
        "      <property name=\"drivers\" value=\"{}\"/>",
        attr(&report.drivers.join(","))
    );
    let _ = writeln!(
        out,
        "      <property name=\"version\" value=\"{}\"/>",
        attr(crate::version())
    );
    let _ = writeln!(out, "    </properties>");
    for c in &cases {
        write_case(&mut out, c);
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn flow_case(report: &Report, f: &FlowReport) -> Case {
    let mut body = format!("{}\n", f.reason);
    for d in &f.decided_by {
        let _ = writeln!(
            body,
            "decided by: {} {}, {}, {}:{}:{}",
            d.effect, d.policy, d.direction, d.file, d.line, d.column
        );
    }
    for finding in report
        .findings
        .iter()
        .filter(|x| x.flow.as_deref() == Some(&f.id))
    {
        body.push_str(&finding_text(finding));
    }
    let outcome = match f.status.as_str() {
        "blocked" | "partial" => Outcome::Failure {
            kind: f.status.clone(),
            message: format!("{}: {}", f.status, f.reason),
        },
        "ungoverned" => Outcome::Skipped {
            message: format!("ungoverned: {}", f.reason),
        },
        _ => Outcome::Pass,
    };
    Case {
        classname: format!("portmatrix.flows.{}", f.driver),
        name: format!(
            "{} ({} -> {} {} {})",
            f.id,
            f.from,
            f.to,
            f.protocol,
            f.ports.join(",")
        ),
        outcome,
        body,
    }
}

fn rule_case(report: &Report, rules: &[RuleMeta], id: &str, fail_on: Option<Severity>) -> Case {
    let title = rules
        .iter()
        .find(|r| r.id == id)
        .map(|r| format!(" {}", r.title))
        .unwrap_or_default();
    let findings: Vec<&Finding> = report.findings.iter().filter(|f| f.rule == id).collect();
    let body: String = findings.iter().map(|f| finding_text(f)).collect();
    let failing = findings
        .iter()
        .filter(|f| f.is_active() && fail_on.is_some_and(|t| f.severity >= t))
        .count();
    let message = format!(
        "{} finding{} ({failing} at or above the threshold)",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" }
    );
    let outcome = if failing == 0 {
        Outcome::Pass
    } else if id == crate::finding::INPUT_ERROR {
        Outcome::Error {
            kind: "input-error".into(),
            message,
        }
    } else {
        let worst = findings
            .iter()
            .filter(|f| f.is_active())
            .map(|f| f.severity)
            .max();
        Outcome::Failure {
            kind: worst.map(Severity::as_str).unwrap_or("error").into(),
            message,
        }
    };
    Case {
        classname: "portmatrix.rules".into(),
        name: format!("{id}{title}"),
        outcome,
        body,
    }
}

fn finding_text(f: &Finding) -> String {
    let at = f.loc.as_ref().map(|l| format!("{l}: ")).unwrap_or_default();
    let mut s = format!("{at}{} {}: {}\n", f.severity.as_str(), f.rule, f.message);
    if !f.help.is_empty() {
        let _ = writeln!(s, "  help: {}", f.help);
    }
    if let Some(sup) = &f.suppressed {
        let _ = writeln!(s, "  suppressed ({}): {}", sup.kind.as_str(), sup.reason);
    }
    s
}

fn write_case(out: &mut String, c: &Case) {
    let open = format!(
        "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
        attr(&c.classname),
        attr(&c.name)
    );
    let (tag, kind, message) = match &c.outcome {
        Outcome::Pass => {
            if c.body.trim().is_empty() {
                let _ = writeln!(out, "{open}/>");
            } else {
                let _ = writeln!(out, "{open}>");
                let _ = writeln!(out, "      <system-out>{}</system-out>", text(&c.body));
                out.push_str("    </testcase>\n");
            }
            return;
        }
        Outcome::Skipped { message } => ("skipped", None, message),
        Outcome::Failure { kind, message } => ("failure", Some(kind), message),
        Outcome::Error { kind, message } => ("error", Some(kind), message),
    };
    let _ = writeln!(out, "{open}>");
    let kind = kind
        .map(|k| format!(" type=\"{}\"", attr(k)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "      <{tag} message=\"{}\"{kind}>{}</{tag}>",
        attr(message),
        text(&c.body)
    );
    out.push_str("    </testcase>\n");
}

/// Escapes element text; characters XML 1.0 cannot hold become U+FFFD.
pub fn text(s: &str) -> String {
    escape(s, false)
}

/// Escapes an attribute value, keeping line breaks and tabs (which parsers would normalize).
pub fn attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_the_document_well_formed() {
        assert_eq!(
            attr("a<b & \"c\"\n'd'"),
            "a&lt;b &amp; &quot;c&quot;&#10;&apos;d&apos;"
        );
        assert_eq!(
            text("x]]>y\u{1}\u{FFFF}\tz\n"),
            "x]]&gt;y\u{FFFD}\u{FFFD}\tz\n"
        );
    }
}
