//! `--format github`: GitHub Actions workflow commands (`::error file=...::message`), which
//! GitHub shows as annotations on the pull request's lines, and the job summary text.
//!
//! GitHub shows at most 10 annotations of each level per step, so the front end also writes
//! [`step_summary`] to `$GITHUB_STEP_SUMMARY`: every finding, in Markdown.

use super::paths::RepoPaths;
use super::Report;
use crate::finding::{Finding, Severity};
use crate::rules::RuleMeta;

/// GitHub's limit on one step's summary file.
pub const STEP_SUMMARY_LIMIT: usize = 1024 * 1024;

/// One workflow command per finding, then the summary line.
pub fn render(report: &Report, rules: &[RuleMeta], paths: &RepoPaths) -> String {
    let mut out = String::new();
    // Suppressed findings are left out, as in the human report; the summary line counts them.
    for f in report.findings.iter().filter(|f| f.is_active()) {
        out.push_str(&command(f, rules, paths));
        out.push('\n');
    }
    out.push_str(&super::markdown::summary_line(report));
    out.push('\n');
    out
}

fn command(f: &Finding, rules: &[RuleMeta], paths: &RepoPaths) -> String {
    let name = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut props: Vec<(&str, String)> = Vec::new();
    let mut message = f.message.clone();
    if let Some(loc) = &f.loc {
        match paths.relative(&loc.file) {
            Some(file) => {
                props.push(("file", file));
                if loc.line > 0 {
                    props.push(("line", loc.line.to_string()));
                    props.push(("col", loc.column.to_string()));
                    if (loc.end_line, loc.end_column) >= (loc.line, loc.column) {
                        props.push(("endLine", loc.end_line.to_string()));
                        props.push(("endColumn", loc.end_column.to_string()));
                    }
                }
            }
            None => message.push_str(&format!(" (at {loc})")),
        }
    }
    let title = match rules.iter().find(|r| r.id == f.rule) {
        Some(r) => format!("{} {}", f.rule, r.title),
        None => f.rule.clone(),
    };
    props.push(("title", title));
    if !f.help.is_empty() {
        message.push_str("\nhelp: ");
        message.push_str(&f.help);
    }
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_property(v)))
        .collect();
    format!("::{name} {}::{}", props.join(","), escape_data(&message))
}

/// Escapes a command's message: `%`, CR and LF, as GitHub's runner decodes them.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command's property value: as data, plus `:` and `,`, which end properties.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The Markdown report for `$GITHUB_STEP_SUMMARY`, cut at a line end to fit `limit` bytes (what
/// is left of GitHub's 1 MiB once earlier steps wrote theirs), with a note when cut.
pub fn step_summary(report: &Report, rules: &[RuleMeta], limit: usize) -> String {
    truncate_markdown(super::markdown::render(report, rules), limit)
}

fn truncate_markdown(text: String, limit: usize) -> String {
    if text.len() <= limit {
        return text;
    }
    const NOTE: &str = "\n_The summary was cut here: it exceeds GitHub's 1 MiB limit for job \
                        summaries. The SARIF or JSON report has every finding._\n";
    let Some(budget) = limit.checked_sub(NOTE.len()) else {
        return String::new();
    };
    let mut cut = budget;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let cut = text[..cut].rfind('\n').map_or(0, |i| i + 1);
    let mut out = text[..cut].to_string();
    out.push_str(NOTE);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Loc;

    #[test]
    fn escaping_follows_the_runner() {
        assert_eq!(escape_data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn commands_carry_the_span_and_title() {
        let loc = Loc {
            file: "./k8s/a,b.yaml".into(),
            line: 6,
            column: 9,
            end_line: 6,
            end_column: 21,
            ..Default::default()
        };
        let mut f = Finding::input_error("flow t/a: blocked, 100%", "add a rule", loc);
        f.rule = "PM101".into();
        assert_eq!(
            command(&f, &[], &RepoPaths::default()),
            "::error file=k8s/a%2Cb.yaml,line=6,col=9,endLine=6,endColumn=21,title=PM101::\
             flow t/a: blocked, 100%25%0Ahelp: add a rule"
        );
        let info = Finding {
            severity: Severity::Info,
            loc: None,
            help: String::new(),
            ..f.clone()
        };
        assert_eq!(
            command(&info, &[], &RepoPaths::default()),
            "::notice title=PM101::flow t/a: blocked, 100%25"
        );
    }

    #[test]
    fn summaries_are_cut_at_a_line_end_with_a_note() {
        let text = "line one\nline two é\nline three\n".repeat(50);
        let cut = truncate_markdown(text.clone(), 300);
        assert!(cut.len() <= 300, "{}", cut.len());
        assert!(cut.contains("cut here"));
        assert!(cut.starts_with("line one\n"));
        let body = &cut[..cut.find("\n_The summary").unwrap()];
        assert!(body.ends_with('\n') || body.is_empty());
        assert_eq!(truncate_markdown(text.clone(), 10_000), text);
        assert_eq!(truncate_markdown(text, 10), "");
    }
}
