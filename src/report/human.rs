//! `--format human`: rustc-style diagnostics (via miette) with the offending line, then the flow
//! table.

use super::Report;
use crate::finding::{Finding, Severity};
use crate::source::SourceFile;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use std::fmt::Write;

#[derive(Debug)]
struct Diag<'a> {
    finding: &'a Finding,
    source: Option<NamedSource<String>>,
}

impl std::fmt::Display for Diag<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl std::error::Error for Diag<'_> {}

impl miette::Diagnostic for Diag<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new(self.finding.rule.clone()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        if self.finding.help.is_empty() {
            None
        } else {
            Some(Box::new(self.finding.help.clone()))
        }
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let loc = self.finding.loc.as_ref()?;
        self.source.as_ref()?;
        let len = loc.len.max(1);
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some(self.finding.severity.as_str().to_string()),
            loc.offset,
            len,
        ))))
    }
}

pub struct HumanOptions {
    pub color: bool,
    pub width: usize,
    /// Show only findings (no flow table, no summary line).
    pub quiet: bool,
}

/// Renders findings as diagnostics against their sources, then the flow table and a summary.
pub fn render(report: &Report, sources: &[SourceFile], opts: &HumanOptions) -> String {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(false);
    let mut out = String::new();
    // Suppressed findings stay in the JSON report; here the summary line counts them.
    for finding in report.findings.iter().filter(|f| f.is_active()) {
        let source = finding.loc.as_ref().and_then(|loc| {
            let file = sources.iter().find(|s| *s.name == *loc.file)?;
            // A span past the text (a file cut short) is shown without source rather than panic.
            if loc.offset > file.text.len() {
                return None;
            }
            Some(NamedSource::new(&file.name, file.text.clone()))
        });
        let diag = Diag { finding, source };
        let mut buf = String::new();
        if handler.render_report(&mut buf, &diag).is_err() {
            buf = format!("{}: {}\n", finding.rule, finding.message);
        }
        if finding.loc.is_some() && diag.source.is_none() {
            if let Some(loc) = &finding.loc {
                let _ = writeln!(buf, "  at {loc}");
            }
        }
        out.push_str(&buf);
        out.push('\n');
    }
    if !opts.quiet {
        out.push_str(&flow_table(report));
        out.push_str(&port_sources(report));
        let s = &report.summary;
        let _ = writeln!(
            out,
            "\n{} flows: {} allowed, {} blocked, {} partial, {} ungoverned. Findings: {} errors, {} warnings, {} info.",
            s.flows, s.allowed, s.blocked, s.partial, s.ungoverned, s.errors, s.warnings, s.infos
        );
        if s.suppressed > 0 {
            // Appended to the summary line, which ends with "info.\n".
            out.pop();
            let _ = writeln!(out, " {} suppressed.", s.suppressed);
        }
    }
    out
}

/// The flows and their verdicts, as a plain-text table.
pub fn flow_table(report: &Report) -> String {
    let header = ["FLOW", "FROM", "TO", "PORTS", "STATUS", "DECIDED BY"];
    let rows: Vec<[String; 6]> = report
        .flows
        .iter()
        .map(|f| {
            let decided = f
                .decided_by
                .iter()
                .map(|d| format!("{}:{}", d.file, d.line))
                .collect::<Vec<_>>()
                .join(", ");
            [
                f.id.clone(),
                f.from.clone(),
                f.to.clone(),
                format!("{} {}", f.protocol, f.ports.join(",")),
                f.status.clone(),
                if decided.is_empty() {
                    "-".to_string()
                } else {
                    decided
                },
            ]
        })
        .collect();
    super::matrix::text_table(&header, &rows)
}

/// Where the ports that the profile or a driver's workloads set came from (the rest are the
/// charts' defaults).
pub fn port_sources(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.flows {
        let Some(source) = &f.port_source else {
            continue;
        };
        if out.is_empty() {
            out.push_str("\nPorts set by the profile or the workloads (the others are the charts' defaults):\n");
        }
        let _ = write!(out, "  {} {} {}: ", f.id, f.protocol, f.ports.join(","));
        match source.from.as_str() {
            "chart" => out.push_str("the chart's default"),
            _ => out.push_str(&source.detail),
        }
        if let Some(at) = &source.at {
            let _ = write!(out, " ({at})");
        }
        out.push('\n');
        for n in &source.notes {
            let _ = writeln!(out, "    note: {n}");
        }
    }
    out
}
