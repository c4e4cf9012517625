//! Label selector expressions: Calico's selector language, and Kubernetes `LabelSelector`s
//! (Cilium, AdminNetworkPolicy) converted to the same form.

use crate::model::{Labels, Selector};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum SelExpr {
    /// `all()`, or an empty Kubernetes selector: every endpoint.
    All,
    /// `global()` (Calico): only non-namespaced resources (HostEndpoints, GlobalNetworkSets).
    Global,
    Eq {
        key: String,
        value: String,
    },
    Ne {
        key: String,
        value: String,
    },
    In {
        key: String,
        values: Vec<String>,
    },
    NotIn {
        key: String,
        values: Vec<String>,
    },
    Has {
        key: String,
    },
    NotHas {
        key: String,
    },
    /// `key starts with 'x'`, `ends with`, `contains` (Calico).
    StartsWith {
        key: String,
        value: String,
    },
    EndsWith {
        key: String,
        value: String,
    },
    Contains {
        key: String,
        value: String,
    },
    And {
        all: Vec<SelExpr>,
    },
    Or {
        any: Vec<SelExpr>,
    },
    Not {
        expr: Box<SelExpr>,
    },
}

impl SelExpr {
    /// Whether labels satisfy the expression. `global` is true only when `global` is set.
    pub fn matches(&self, labels: &Labels, global: bool) -> bool {
        match self {
            SelExpr::All => true,
            SelExpr::Global => global,
            SelExpr::Eq { key, value } => labels.get(key) == Some(value),
            // Calico: `a != 'x'` is true when `a` is absent (as Kubernetes' NotIn is).
            SelExpr::Ne { key, value } => labels.get(key) != Some(value),
            SelExpr::In { key, values } => labels.get(key).is_some_and(|v| values.contains(v)),
            SelExpr::NotIn { key, values } => labels.get(key).is_none_or(|v| !values.contains(v)),
            SelExpr::Has { key } => labels.contains_key(key),
            SelExpr::NotHas { key } => !labels.contains_key(key),
            SelExpr::StartsWith { key, value } => labels
                .get(key)
                .is_some_and(|v| v.starts_with(value.as_str())),
            SelExpr::EndsWith { key, value } => {
                labels.get(key).is_some_and(|v| v.ends_with(value.as_str()))
            }
            SelExpr::Contains { key, value } => {
                labels.get(key).is_some_and(|v| v.contains(value.as_str()))
            }
            SelExpr::And { all } => all.iter().all(|e| e.matches(labels, global)),
            SelExpr::Or { any } => any.iter().any(|e| e.matches(labels, global)),
            SelExpr::Not { expr } => !expr.matches(labels, global),
        }
    }

    /// A Kubernetes `LabelSelector` (matchLabels AND matchExpressions); empty matches all.
    pub fn from_k8s(sel: &Selector) -> SelExpr {
        let mut all: Vec<SelExpr> = sel
            .match_labels
            .iter()
            .map(|(k, v)| SelExpr::Eq {
                key: k.clone(),
                value: v.clone(),
            })
            .collect();
        for r in &sel.match_expressions {
            let key = r.key.clone();
            all.push(match r.operator.as_str() {
                "In" => SelExpr::In {
                    key,
                    values: r.values.clone(),
                },
                "NotIn" => SelExpr::NotIn {
                    key,
                    values: r.values.clone(),
                },
                "Exists" => SelExpr::Has { key },
                // `DoesNotExist`; the reader rejects other operators before this point.
                _ => SelExpr::NotHas { key },
            });
        }
        match all.len() {
            0 => SelExpr::All,
            1 => all.pop().unwrap_or(SelExpr::All),
            _ => SelExpr::And { all },
        }
    }

    /// The label keys the expression tests (for "node labels unknown" notes).
    pub fn keys(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_keys(&mut out);
        out
    }

    fn collect_keys<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            SelExpr::All | SelExpr::Global => {}
            SelExpr::Eq { key, .. }
            | SelExpr::Ne { key, .. }
            | SelExpr::In { key, .. }
            | SelExpr::NotIn { key, .. }
            | SelExpr::Has { key }
            | SelExpr::NotHas { key }
            | SelExpr::StartsWith { key, .. }
            | SelExpr::EndsWith { key, .. }
            | SelExpr::Contains { key, .. } => out.push(key),
            SelExpr::And { all: v } | SelExpr::Or { any: v } => {
                for e in v {
                    e.collect_keys(out);
                }
            }
            SelExpr::Not { expr } => expr.collect_keys(out),
        }
    }
}

/// A located error in a Calico selector: `offset` is a byte offset into the selector text.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectorError {
    pub message: String,
    pub offset: usize,
}

/// Parses Calico's selector language: `==`, `!=`, `in {..}`, `not in {..}`, `has(k)`, `!has(k)`,
/// `starts with`, `ends with`, `contains`, `&&`, `||`, `!`, `all()`, `global()`, parentheses.
/// An empty selector means `all()`.
pub fn parse_calico(text: &str) -> Result<SelExpr, SelectorError> {
    // Implemented with the Calico adapter.
    if text.trim().is_empty() || text.trim() == "all()" {
        return Ok(SelExpr::All);
    }
    Err(SelectorError {
        message: "Calico selectors are not parsed yet".into(),
        offset: 0,
    })
}
