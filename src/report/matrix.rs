//! `portmatrix matrix`: a driver's communication matrix as a table, Markdown, JSON or CSV: the
//! table a user pastes into a design document.

use crate::matrix::{Flow, Matrix};
use serde_json::json;

fn ports(flow: &Flow, matrix: &Matrix) -> String {
    if let Some(p) = flow.port_key.as_ref().and_then(|k| matrix.ports.get(k)) {
        return p.default.to_string();
    }
    flow.port_ranges()
        .iter()
        .map(|&(a, b)| super::port_text([a, b]))
        .collect::<Vec<_>>()
        .join(",")
}

fn when(flow: &Flow) -> String {
    let base = if flow.when.is_empty() {
        "always".to_string()
    } else {
        flow.when.join(" or ")
    };
    match flow.status.as_str() {
        "current" => base,
        other => format!("{base} ({other})"),
    }
}

fn sources(flow: &Flow) -> String {
    flow.sources
        .iter()
        .map(|s| format!("{} [{}]", s.reference, s.kind))
        .collect::<Vec<_>>()
        .join(", ")
}

fn configurable(flow: &Flow, matrix: &Matrix) -> String {
    match flow.port_key.as_ref().and_then(|k| matrix.ports.get(k)) {
        Some(p) if p.configurable => p.how.clone().unwrap_or_else(|| "yes".to_string()),
        _ => "no".to_string(),
    }
}

const COLUMNS: [&str; 9] = [
    "ID",
    "FROM",
    "TO",
    "PROTOCOL",
    "PORTS",
    "WHEN",
    "PURPOSE",
    "CONFIGURABLE",
    "SOURCES",
];

fn rows(matrix: &Matrix) -> Vec<[String; 9]> {
    matrix
        .flows
        .iter()
        .map(|f| {
            let mut port = ports(f, matrix);
            if let Some(s) = &f.service {
                port = format!("{port} (Service {}:{})", s.name, s.port);
            }
            [
                f.id.clone(),
                f.from.clone(),
                f.to.clone(),
                f.protocol.clone(),
                port,
                when(f),
                f.purpose.clone(),
                configurable(f, matrix),
                sources(f),
            ]
        })
        .collect()
}

/// Aligned plain-text columns.
pub fn text_table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == N {
                l.push_str(c);
            } else {
                l.push_str(&format!("{:<w$}  ", c, w = widths[i]));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

pub fn table(matrix: &Matrix) -> String {
    let cols: [&str; 7] = ["ID", "FROM", "TO", "PROTOCOL", "PORTS", "WHEN", "PURPOSE"];
    let rows: Vec<[String; 7]> = rows(matrix)
        .into_iter()
        .map(|r| {
            [
                r[0].clone(),
                r[1].clone(),
                r[2].clone(),
                r[3].clone(),
                r[4].clone(),
                r[5].clone(),
                r[6].clone(),
            ]
        })
        .collect();
    format!(
        "{} ({} flows)\n\n{}",
        matrix.title,
        matrix.flows.len(),
        text_table(&cols, &rows)
    )
}

pub fn markdown(matrix: &Matrix) -> String {
    let esc = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = format!("## {}: communication matrix\n\n", matrix.title);
    out.push_str(&format!("| {} |\n", COLUMNS.join(" | ")));
    out.push_str(&format!("|{}\n", "---|".repeat(COLUMNS.len())));
    for r in rows(matrix) {
        let cells: Vec<String> = r.iter().map(|c| esc(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

pub fn csv(matrix: &Matrix) -> String {
    let field = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut out = COLUMNS
        .iter()
        .map(|c| c.to_lowercase())
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    for r in rows(matrix) {
        out.push_str(&r.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

pub fn json(matrix: &Matrix) -> String {
    let flows: Vec<serde_json::Value> = matrix
        .flows
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            if let Some(obj) = v.as_object_mut() {
                obj.insert(
                    "ports".into(),
                    json!(ports(f, matrix).split(',').collect::<Vec<_>>()),
                );
                obj.insert("protocols".into(), json!(f.protocols()));
            }
            v
        })
        .collect();
    let doc = json!({
        "driver": matrix.driver,
        "title": matrix.title,
        "version": matrix.version,
        "components": matrix.components,
        "ports": matrix.ports,
        "features": matrix.features,
        "sources": matrix.sources,
        "flows": flows,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
