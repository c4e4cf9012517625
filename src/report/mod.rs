//! The report every front end renders, and its renderers (one module per format).

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod matrix;
pub mod paths;
pub mod sarif;

use crate::finding::{Finding, Severity};
use serde::Serialize;

/// Version of the JSON report schema (`docs/report-schema.md`).
pub const REPORT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    pub drivers: Vec<String>,
    pub flows: Vec<FlowReport>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlowReport {
    pub id: String,
    pub driver: String,
    pub from: String,
    pub to: String,
    pub protocol: String,
    pub ports: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub purpose: String,
    /// `allowed`, `blocked`, `partial` or `ungoverned`.
    pub status: String,
    pub reason: String,
    pub decided_by: Vec<Decision>,
    /// Where the port came from, when the profile or a driver's workload set it (absent: the
    /// chart's default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_source: Option<crate::workload_settings::PortSource>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub policy: String,
    pub direction: String,
    /// `allow` (a rule that lets the flow through), `deny` (a rule that drops it) or `isolate`
    /// (a policy that denies by default).
    pub effect: String,
    /// The enforcement layer: `networkpolicy`, `calico`, `cilium`, `admin`, `baseline`,
    /// `iptables`, `nftables`, `firewalld`, `calico-host`, `cilium-host`.
    pub layer: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub files: usize,
    pub flows: usize,
    pub allowed: usize,
    pub blocked: usize,
    pub partial: usize,
    pub ungoverned: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub input_errors: usize,
    /// Findings silenced by a suppression (not counted in `errors`, `warnings`, `infos`).
    pub suppressed: usize,
}

impl Report {
    pub fn compute_summary(&mut self, files: usize) {
        let mut s = Summary {
            files,
            flows: self.flows.len(),
            ..Default::default()
        };
        for f in &self.flows {
            match f.status.as_str() {
                "allowed" => s.allowed += 1,
                "blocked" => s.blocked += 1,
                "partial" => s.partial += 1,
                _ => s.ungoverned += 1,
            }
        }
        for f in &self.findings {
            if !f.is_active() {
                s.suppressed += 1;
                continue;
            }
            match f.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
            if f.is_input_error() {
                s.input_errors += 1;
            }
        }
        self.summary = s;
    }

    /// The most severe finding that is not suppressed, if any.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings
            .iter()
            .filter(|f| f.is_active())
            .map(|f| f.severity)
            .max()
    }

    pub fn has_input_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_input_error)
    }
}

/// Formats port ranges as the report shows them (`2049`, `1024-65535`).
pub fn port_text(range: [u16; 2]) -> String {
    if range[0] == range[1] {
        range[0].to_string()
    } else {
        format!("{}-{}", range[0], range[1])
    }
}
