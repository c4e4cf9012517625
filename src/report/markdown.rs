//! `--format markdown`: the flow table and the findings by severity, as GitHub-flavoured
//! Markdown for a pull-request comment or a job summary.
//!
//! Statuses are words (`BLOCKED`, `PARTIAL`, `allowed`, `ungoverned`), not emoji, so the text
//! reads the same in a terminal, an e-mail notification and a screen reader.

use super::Report;
use crate::finding::{Finding, Severity};
use crate::rules::RuleMeta;
use std::fmt::Write;

/// The whole report: a summary line, the flow table, then the findings grouped by severity.
pub fn render(report: &Report, rules: &[RuleMeta]) -> String {
    let mut out = String::from("## portmatrix\n\n");
    let drivers = if report.drivers.is_empty() {
        "none".to_string()
    } else {
        report.drivers.join(", ")
    };
    let _ = writeln!(
        out,
        "Drivers: {}. {}\n",
        text(&drivers),
        text(&summary_line(report))
    );
    out.push_str(&flow_table(report));
    out.push('\n');
    out.push_str(&findings(report, rules));
    out
}

/// `14 flows: 2 allowed, ... Findings: 9 errors, 0 warnings, 3 info.` (plain text).
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let mut line = format!(
        "{} flows: {} allowed, {} blocked, {} partial, {} ungoverned. \
         Findings: {} errors, {} warnings, {} info.",
        s.flows, s.allowed, s.blocked, s.partial, s.ungoverned, s.errors, s.warnings, s.infos
    );
    if s.suppressed > 0 {
        line.push_str(&format!(" {} suppressed.", s.suppressed));
    }
    line
}

/// The required flows and their verdicts, as a Markdown table.
pub fn flow_table(report: &Report) -> String {
    let mut out = String::from("### Flows\n\n");
    if report.flows.is_empty() {
        out.push_str("No required flow.\n");
        return out;
    }
    out.push_str("| Status | Flow | From | To | Ports | Decided by |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for f in &report.flows {
        let decided: Vec<String> = f
            .decided_by
            .iter()
            .map(|d| code(&format!("{}:{}", d.file, d.line)))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            status(&f.status),
            code(&f.id),
            text(&f.from),
            text(&f.to),
            text(&format!("{} {}", f.protocol, f.ports.join(", "))),
            if decided.is_empty() {
                "-".to_string()
            } else {
                decided.join(", ")
            }
        );
    }
    out
}

/// The findings under one heading per severity, most severe first; suppressed ones last.
pub fn findings(report: &Report, rules: &[RuleMeta]) -> String {
    let mut out = String::from("### Findings\n\n");
    if report.findings.is_empty() {
        out.push_str("No findings.\n");
        return out;
    }
    let groups = [
        ("Errors", Some(Severity::Error)),
        ("Warnings", Some(Severity::Warning)),
        ("Info", Some(Severity::Info)),
        ("Suppressed", None),
    ];
    for (heading, severity) in groups {
        let group: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| match severity {
                Some(s) => f.is_active() && f.severity == s,
                None => !f.is_active(),
            })
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(out, "#### {heading} ({})\n", group.len());
        for f in group {
            out.push_str(&finding_item(f, rules));
        }
        out.push('\n');
    }
    out
}

fn finding_item(f: &Finding, rules: &[RuleMeta]) -> String {
    let title = rules
        .iter()
        .find(|r| r.id == f.rule)
        .map(|r| format!(" {}", text(&r.title)))
        .unwrap_or_default();
    let at = f
        .loc
        .as_ref()
        .map(|l| {
            format!(
                " at {}",
                code(&format!("{}:{}:{}", l.file, l.line, l.column))
            )
        })
        .unwrap_or_default();
    let mut item = format!("- **{}**{title}{at}: {}\n", text(&f.rule), text(&f.message));
    if !f.help.is_empty() {
        let _ = writeln!(item, "  Help: {}", text(&f.help));
    }
    if let Some(s) = &f.suppressed {
        let reason = if s.reason.trim().is_empty() {
            "no reason given".to_string()
        } else {
            text(s.reason.trim())
        };
        let _ = writeln!(item, "  Suppressed ({}): {reason}", s.kind.as_str());
    }
    item
}

fn status(s: &str) -> String {
    match s {
        "blocked" | "partial" => format!("**{}**", s.to_ascii_uppercase()),
        other => text(other),
    }
}

/// Escapes text for Markdown outside code spans, keeping the message's own `code spans`
/// (balanced backticks); line breaks become spaces, so an item stays one item.
pub fn text(s: &str) -> String {
    let s = s.replace(['\r', '\n'], " ");
    let balanced = s.matches('`').count() % 2 == 0;
    let mut out = String::with_capacity(s.len());
    for (i, part) in s.split('`').enumerate() {
        if i > 0 {
            out.push_str(if balanced { "`" } else { "\\`" });
        }
        if balanced && i % 2 == 1 {
            // Inside a code span nothing is interpreted, except `|` that ends a table cell.
            out.push_str(&part.replace('|', "\\|"));
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

/// Text as a code span, unless it holds a backtick (then as escaped text).
fn code(s: &str) -> String {
    if s.contains('`') || s.contains('\n') {
        text(s)
    } else {
        format!("`{}`", s.replace('|', "\\|"))
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            // `<` opens HTML and autolinks; `>` only matters at a line start, where this text
            // never is (items start with `- `).
            '<' => out.push_str("&lt;"),
            '\\' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_markup_but_keeps_code_spans() {
        assert_eq!(
            text("`10.0.0.0/33` in a_b <stdin> | x"),
            "`10.0.0.0/33` in a\\_b &lt;stdin> \\| x"
        );
        assert_eq!(text("a `b|c` d"), "a `b\\|c` d");
        assert_eq!(text("odd ` tick *x*"), "odd \\` tick \\*x\\*");
        assert_eq!(text("two\nlines"), "two lines");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("a`b"), "a\\`b");
    }
}
