//! `--format json`: the report as one JSON document (schema in `docs/report-schema.md`).

use super::Report;
use crate::finding::Finding;
use serde::Serialize;

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: &'static str,
    message: &'a str,
    help: &'a str,
    flow: Option<&'a str>,
    file: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
    end_line: Option<u32>,
    end_column: Option<u32>,
    suppressed: Option<&'a crate::finding::Suppression>,
}

impl<'a> From<&'a Finding> for JsonFinding<'a> {
    fn from(f: &'a Finding) -> Self {
        let loc = f.loc.as_ref();
        JsonFinding {
            rule: &f.rule,
            severity: f.severity.as_str(),
            message: &f.message,
            help: &f.help,
            flow: f.flow.as_deref(),
            file: loc.map(|l| &*l.file),
            line: loc.map(|l| l.line),
            column: loc.map(|l| l.column),
            end_line: loc.map(|l| l.end_line),
            end_column: loc.map(|l| l.end_column),
            suppressed: f.suppressed.as_ref(),
        }
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    drivers: &'a [String],
    flows: &'a [super::FlowReport],
    findings: Vec<JsonFinding<'a>>,
    summary: &'a super::Summary,
}

/// The report as a JSON value.
pub fn to_value(report: &Report) -> serde_json::Value {
    let doc = JsonReport {
        version: report.version,
        drivers: &report.drivers,
        flows: &report.flows,
        findings: report.findings.iter().map(JsonFinding::from).collect(),
        summary: &report.summary,
    };
    serde_json::to_value(doc).unwrap_or(serde_json::Value::Null)
}

/// The report as pretty-printed JSON text.
pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(report)).unwrap_or_default();
    s.push('\n');
    s
}
