//! A short rendering of nft JSON statements in nft's own syntax, for messages
//! (`ip saddr 10.0.0.0/24 tcp dport 2049 accept`).

use super::single_entry;
use crate::yaml::{Node, Value};
use std::fmt::Write;

/// Longest rendering, in bytes (then cut with `…`).
const MAX: usize = 200;
/// Deepest nesting rendered.
const DEPTH: usize = 6;

/// The rule's statements, at most [`MAX`] bytes.
pub(super) fn rule(exprs: &[Node]) -> String {
    let mut out = String::new();
    for s in exprs {
        if out.len() > MAX {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        stmt(s, &mut out);
    }
    cut(out)
}

/// One expression (the left of a match, a value), at most [`MAX`] bytes.
pub(super) fn expr_text(node: &Node) -> String {
    let mut out = String::new();
    expr(node, &mut out, 0, false);
    cut(out)
}

fn cut(mut out: String) -> String {
    if out.len() > MAX {
        let mut end = MAX - 1;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push('…');
    }
    out
}

fn stmt(node: &Node, out: &mut String) {
    let Some((kind, body)) = single_entry(node) else {
        out.push('?');
        return;
    };
    match kind {
        "match" => {
            let left = body.get("left");
            if let Some(l) = left {
                expr(l, out, 0, false);
            }
            match body.get("op").and_then(Node::as_str) {
                None | Some("==") | Some("in") => out.push(' '),
                Some(op) => {
                    out.push(' ');
                    out.push_str(op);
                    out.push(' ');
                }
            }
            let quote = left.is_some_and(is_ifname);
            if let Some(r) = body.get("right") {
                expr(r, out, 0, quote);
            }
        }
        "vmap" => {
            if let Some(k) = body.get("key") {
                expr(k, out, 0, false);
            }
            out.push_str(" vmap ");
            if let Some(d) = body.get("data") {
                expr(d, out, 0, false);
            }
        }
        "jump" | "goto" => {
            out.push_str(kind);
            if let Some(t) = body.get("target").and_then(Node::as_str) {
                out.push(' ');
                out.push_str(t);
            }
        }
        "reject" => {
            out.push_str("reject");
            if body.get("type").and_then(Node::as_str) == Some("tcp reset") {
                out.push_str(" with tcp reset");
            }
        }
        "log" => {
            out.push_str("log");
            if let Some(p) = body.get("prefix").and_then(Node::as_str) {
                let _ = write!(out, " prefix \"{p}\"");
            }
        }
        _ => out.push_str(kind),
    }
}

fn is_ifname(left: &Node) -> bool {
    matches!(single_entry(left), Some(("meta", m))
        if matches!(m.get("key").and_then(Node::as_str), Some("iifname" | "oifname")))
}

fn expr(node: &Node, out: &mut String, depth: usize, quote: bool) {
    if depth > DEPTH || out.len() > MAX {
        out.push('…');
        return;
    }
    match &node.value {
        Value::Str(s) if quote && !s.starts_with('@') => {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        Value::Str(s) => out.push_str(s),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => {
            let _ = write!(out, "{f}");
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                expr(item, out, depth + 1, quote);
                if out.len() > MAX {
                    break;
                }
            }
        }
        Value::Map(_) => {
            let Some((kind, body)) = single_entry(node) else {
                out.push_str("{…}");
                return;
            };
            let s = |k: &str| body.get(k).and_then(Node::as_str);
            match kind {
                "payload" => match (s("protocol"), s("field")) {
                    (Some(p), Some(f)) => {
                        let _ = write!(out, "{p} {f}");
                    }
                    _ => {
                        out.push('@');
                        out.push_str(s("base").unwrap_or("?"));
                        for k in ["offset", "len"] {
                            out.push(',');
                            if let Some(v) = body.get(k) {
                                expr(v, out, depth + 1, false);
                            }
                        }
                    }
                },
                "meta" => {
                    let key = s("key").unwrap_or("?");
                    if !matches!(key, "iifname" | "oifname" | "iif" | "oif" | "mark") {
                        out.push_str("meta ");
                    }
                    out.push_str(key);
                }
                "ct" => {
                    out.push_str("ct ");
                    if let Some(d) = s("dir") {
                        out.push_str(d);
                        out.push(' ');
                    }
                    out.push_str(s("key").unwrap_or("?"));
                }
                "prefix" => {
                    if let Some(a) = body.get("addr") {
                        expr(a, out, depth + 1, false);
                    }
                    out.push('/');
                    if let Some(l) = body.get("len") {
                        expr(l, out, depth + 1, false);
                    }
                }
                "range" => {
                    if let Some([lo, hi]) = body.as_seq() {
                        expr(lo, out, depth + 1, quote);
                        out.push('-');
                        expr(hi, out, depth + 1, quote);
                    }
                }
                "set" => {
                    out.push_str("{ ");
                    let items = body.as_seq().unwrap_or(std::slice::from_ref(body));
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        match item.as_seq() {
                            Some([k, v]) => {
                                expr(k, out, depth + 1, quote);
                                out.push_str(" : ");
                                expr(v, out, depth + 1, quote);
                            }
                            _ => expr(item, out, depth + 1, quote),
                        }
                        if out.len() > MAX {
                            break;
                        }
                    }
                    out.push_str(" }");
                }
                "elem" => {
                    if let Some(v) = body.get("val") {
                        expr(v, out, depth + 1, quote);
                    }
                }
                "concat" => {
                    for (i, item) in body.as_seq().unwrap_or_default().iter().enumerate() {
                        if i > 0 {
                            out.push_str(" . ");
                        }
                        expr(item, out, depth + 1, quote);
                    }
                }
                "jump" | "goto" => {
                    out.push_str(kind);
                    out.push(' ');
                    out.push_str(s("target").unwrap_or("?"));
                }
                other => out.push_str(other),
            }
        }
    }
}
