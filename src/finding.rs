//! Findings: what the rules (and the readers, for bad input) report.

use crate::source::Loc;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The rule id used for input that could not be read (syntax, types, limits).
pub const INPUT_ERROR: &str = "PM000";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub help: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loc: Option<Loc>,
    /// Set when a suppression (annotation, profile entry or comment) silences the finding: it
    /// stays in the report but counts for neither the exit code nor the summary's severities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
}

/// Where a suppression came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionKind {
    /// The `portmatrix.io/ignore` annotation on the object the finding is located in.
    Annotation,
    /// An `ignore:` entry of the profile.
    Profile,
    /// A `# portmatrix:ignore` comment on the line above the finding.
    Comment,
}

impl SuppressionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::Annotation => "annotation",
            SuppressionKind::Profile => "profile",
            SuppressionKind::Comment => "comment",
        }
    }
}

/// Why a finding is suppressed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Suppression {
    pub kind: SuppressionKind,
    /// The reason the suppression gives (empty when it gives none, which is itself a warning).
    pub reason: String,
}

impl Finding {
    /// An input error: the file could not be read as intended.
    pub fn input_error(message: impl Into<String>, help: impl Into<String>, loc: Loc) -> Self {
        Finding {
            rule: INPUT_ERROR.to_string(),
            severity: Severity::Error,
            message: message.into(),
            help: help.into(),
            flow: None,
            loc: Some(loc),
            suppressed: None,
        }
    }

    /// Whether the finding counts (for the exit code and the summary): not suppressed.
    pub fn is_active(&self) -> bool {
        self.suppressed.is_none()
    }

    pub fn is_input_error(&self) -> bool {
        self.rule == INPUT_ERROR
    }
}
