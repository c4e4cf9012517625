//! Reads YAML and JSON into a generic tree that keeps a source location on every node.
//!
//! Built on `saphyr-parser`'s event stream so that this module, not the parser, decides what
//! aliases may expand to, how deep documents may nest and how many there may be: hostile input
//! gets a located error instead of exhausting memory.

use crate::source::{LineIndex, Loc};
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};
use std::collections::HashMap;

/// Limits that bound the work and memory one file can cost.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Deepest nesting of sequences and mappings.
    pub max_depth: usize,
    /// Most documents in one file.
    pub max_documents: usize,
    /// Most nodes that aliases may copy in one file (billion-laughs guard).
    pub max_alias_nodes: usize,
    /// Longest line of a line-based format (iptables-save, nft text, firewalld XML), in bytes.
    pub max_line_length: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 128,
            max_documents: 100_000,
            max_alias_nodes: 100_000,
            max_line_length: 64 * 1024,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub loc: Loc,
}

/// A problem found while reading, with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub message: String,
    pub loc: Loc,
}

/// A document of a stream, with the problems that did not stop it from being read.
#[derive(Debug)]
pub struct Document {
    pub root: Node,
    pub warnings: Vec<YamlError>,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The entry's key node (for pointing at a key rather than its value).
    pub fn key_node(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == key))
                .map(|(k, _)| k),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// A short name of the node's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The node as plain JSON (for data files that need no locations).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Map(entries) => {
                let mut map = serde_json::Map::new();
                for (k, v) in entries {
                    let key = match &k.value {
                        Value::Str(s) => s.clone(),
                        Value::Int(i) => i.to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Float(f) => f.to_string(),
                        _ => continue,
                    };
                    map.insert(key, v.to_json());
                }
                serde_json::Value::Object(map)
            }
        }
    }

    fn size(&self) -> usize {
        match &self.value {
            Value::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Value::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.size() + v.size())
                    .sum::<usize>()
            }
            _ => 1,
        }
    }
}

/// Resolves a plain scalar by the YAML 1.2 core schema.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" => return Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let bytes = text.as_bytes();
    let first = bytes[0];
    if first.is_ascii_digit() || ((first == b'-' || first == b'+') && bytes.len() > 1) {
        if let Some(hex) = text.strip_prefix("0x") {
            if let Ok(i) = i64::from_str_radix(hex, 16) {
                return Value::Int(i);
            }
        } else if let Some(oct) = text.strip_prefix("0o") {
            if let Ok(i) = i64::from_str_radix(oct, 8) {
                return Value::Int(i);
            }
        } else if text[1..].bytes().all(|b| b.is_ascii_digit()) {
            return match text.parse::<i64>() {
                Ok(i) => Value::Int(i),
                // Too large for i64: keep it a number so that callers report a range error.
                Err(_) => text
                    .parse::<f64>()
                    .map(Value::Float)
                    .unwrap_or(Value::Str(text.to_string())),
            };
        } else if text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        {
            if let Ok(f) = text.parse::<f64>() {
                return Value::Float(f);
            }
        }
    }
    Value::Str(text.to_string())
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: usize,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
        start: usize,
        anchor: usize,
    },
}

struct Builder<'a> {
    file: std::sync::Arc<str>,
    index: LineIndex<'a>,
    limits: &'a Limits,
    bom: usize,
    anchors: HashMap<usize, (Node, usize)>,
    alias_nodes: usize,
    warnings: Vec<YamlError>,
}

impl<'a> Builder<'a> {
    fn offset(&self, span: &Span, end: bool) -> usize {
        let m = if end { span.end } else { span.start };
        self.index.byte_offset(m.line(), m.col())
    }

    /// A location straight from the scanner's markers (no search for the line).
    fn span_loc(&self, span: &Span, start: usize, end: usize) -> Loc {
        Loc {
            file: self.file.clone(),
            line: span.start.line() as u32,
            column: span.start.col() as u32 + 1,
            end_line: span.end.line() as u32,
            end_column: span.end.col() as u32 + 1,
            offset: start + self.bom,
            len: end.saturating_sub(start),
        }
    }

    fn loc(&self, start: usize, end: usize) -> Loc {
        let mut loc = self.index.loc_in(&self.file, start, end);
        loc.offset += self.bom;
        loc
    }

    fn error(&self, message: impl Into<String>, offset: usize) -> YamlError {
        YamlError {
            message: message.into(),
            loc: self.loc(offset, offset),
        }
    }

    fn scan_error(&self, e: &ScanError) -> YamlError {
        let m = e.marker();
        let offset = self.index.byte_offset(m.line(), m.col());
        let info = e.info();
        YamlError {
            message: format!("invalid YAML: {info}"),
            loc: self.loc(offset, offset),
        }
    }
}

/// Parses every document of a YAML (or JSON) stream. A syntax error ends the stream: the documents
/// read before it are returned with the error.
pub fn parse_stream(file: &str, text: &str, limits: &Limits) -> (Vec<Document>, Option<YamlError>) {
    let mut docs = Vec::new();
    let err = for_each_document(file, text, limits, |d| docs.push(d));
    (docs, err)
}

/// Parses a stream and hands each document to `visit` as soon as it is complete, so that only
/// one document's tree is in memory at a time. Returns the syntax error that ended the stream.
pub fn for_each_document(
    file: &str,
    text: &str,
    limits: &Limits,
    mut visit: impl FnMut(Document),
) -> Option<YamlError> {
    // A byte-order mark is legal at the start of a stream; the scanner does not skip it.
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut b = Builder {
        file: std::sync::Arc::from(file),
        index: LineIndex::new(body),
        bom: text.len() - body.len(),
        limits,
        anchors: HashMap::new(),
        alias_nodes: 0,
        warnings: Vec::new(),
    };
    let mut parser = Parser::new_from_str(body);
    let mut count = 0usize;
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;

    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(ev)) => ev,
            Some(Err(e)) => return Some(b.scan_error(&e)),
        };
        let start = b.offset(&span, false);
        let end = b.offset(&span, true);
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => continue,
            Event::DocumentStart(_) => {
                if count >= b.limits.max_documents {
                    return Some(b.error(
                        format!(
                            "more than {} documents in one file; split the file",
                            b.limits.max_documents
                        ),
                        start,
                    ));
                }
                count += 1;
                b.anchors.clear();
                continue;
            }
            Event::DocumentEnd => {
                if let Some(r) = root.take() {
                    visit(Document {
                        root: r,
                        warnings: std::mem::take(&mut b.warnings),
                    });
                }
                continue;
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= b.limits.max_depth {
                    return Some(b.error(
                        format!("nesting deeper than {} levels", b.limits.max_depth),
                        start,
                    ));
                }
                if matches!(event, Event::SequenceStart(..)) {
                    stack.push(Frame::Seq {
                        items: Vec::new(),
                        start,
                        anchor,
                    });
                } else {
                    stack.push(Frame::Map {
                        entries: Vec::new(),
                        pending_key: None,
                        start,
                        anchor,
                    });
                }
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = stack.pop() else { continue };
                let (value, fstart, anchor) = match frame {
                    Frame::Seq {
                        items,
                        start,
                        anchor,
                    } => (Value::Seq(items), start, anchor),
                    Frame::Map {
                        entries,
                        start,
                        anchor,
                        ..
                    } => (Value::Map(entries), start, anchor),
                };
                let fend = end.max(fstart);
                // A block collection ends where its last child ends, not at the next token (where
                // the parser puts its empty end event).
                let last = match &value {
                    Value::Seq(items) => items.last().map(|n| n.loc.clone()),
                    Value::Map(entries) => entries.last().map(|(_, v)| v.loc.clone()),
                    _ => None,
                };
                let mut loc = b.loc(fstart, fend);
                if let (true, Some(last)) = (span.start == span.end, last) {
                    loc.end_line = last.end_line;
                    loc.end_column = last.end_column;
                    loc.len = (last.offset + last.len).saturating_sub(loc.offset);
                }
                let node = Node { value, loc };
                if anchor > 0 {
                    let size = node.size();
                    b.anchors.insert(anchor, (node.clone(), size));
                }
                node
            }
            Event::Scalar(text, style, anchor, _tag) => {
                let value = match style {
                    ScalarStyle::Plain => resolve_plain(&text),
                    _ => Value::Str(text.into_owned()),
                };
                let node = Node {
                    value,
                    loc: b.span_loc(&span, start, end),
                };
                if anchor > 0 {
                    b.anchors.insert(anchor, (node.clone(), 1));
                }
                node
            }
            Event::Alias(id) => {
                let Some((target, size)) = b.anchors.get(&id) else {
                    return Some(b.error("alias to an unknown anchor", start));
                };
                b.alias_nodes += size;
                if b.alias_nodes > b.limits.max_alias_nodes {
                    return Some(b.error(
                        format!(
                            "aliases expand to more than {} nodes (a YAML alias bomb?)",
                            b.limits.max_alias_nodes
                        ),
                        start,
                    ));
                }
                let mut node = target.clone();
                node.loc = b.loc(start, end);
                node
            }
        };
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => {
                    if let Value::Str(k) = &key.value {
                        if entries
                            .iter()
                            .any(|(ek, _)| matches!(&ek.value, Value::Str(s) if s == k))
                        {
                            b.warnings.push(YamlError {
                                message: format!("duplicate key `{k}`; the last value wins"),
                                loc: key.loc.clone(),
                            });
                        }
                    }
                    entries.push((key, node));
                }
            },
        }
    }
    if let Some(r) = root.take() {
        visit(Document {
            root: r,
            warnings: std::mem::take(&mut b.warnings),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Vec<Document>, Option<YamlError>) {
        parse_stream("t.yaml", text, &Limits::default())
    }

    #[test]
    fn keeps_locations_of_nested_values() {
        let (docs, err) = parse("a:\n  b: [1, two]\n");
        assert!(err.is_none());
        let b = docs[0].root.get("a").and_then(|a| a.get("b")).unwrap();
        let items = b.as_seq().unwrap();
        assert_eq!(items[0].value, Value::Int(1));
        assert_eq!((items[1].loc.line, items[1].loc.column), (2, 10));
        assert_eq!(items[1].as_str(), Some("two"));
    }

    #[test]
    fn block_collections_end_at_their_last_child() {
        let (docs, _) = parse("spec:\n  podSelector:\n    app: x\n  policyTypes: [Ingress]\n");
        let sel = docs[0]
            .root
            .get("spec")
            .and_then(|s| s.get("podSelector"))
            .unwrap();
        assert_eq!(
            (sel.loc.line, sel.loc.end_line, sel.loc.end_column),
            (3, 3, 11)
        );
        let types = docs[0]
            .root
            .get("spec")
            .and_then(|s| s.get("policyTypes"))
            .unwrap();
        assert_eq!(
            (types.loc.line, types.loc.column, types.loc.end_column),
            (4, 16, 25)
        );
    }

    #[test]
    fn reads_multi_document_streams_and_json() {
        let (docs, err) = parse("a: 1\n---\nb: 2\n---\n{\"c\": [3]}\n");
        assert!(err.is_none());
        assert_eq!(docs.len(), 3);
        assert_eq!(
            docs[2].root.get("c").unwrap().as_seq().unwrap()[0].loc.line,
            5
        );
    }

    #[test]
    fn resolves_core_schema_scalars() {
        assert_eq!(resolve_plain("8443"), Value::Int(8443));
        assert_eq!(resolve_plain("-1"), Value::Int(-1));
        assert_eq!(resolve_plain("0x1F"), Value::Int(31));
        assert_eq!(resolve_plain("1.5"), Value::Float(1.5));
        assert_eq!(resolve_plain("true"), Value::Bool(true));
        assert_eq!(resolve_plain("~"), Value::Null);
        assert_eq!(resolve_plain("10.0.0.0/8"), Value::Str("10.0.0.0/8".into()));
        assert!(matches!(
            resolve_plain("99999999999999999999999"),
            Value::Float(_)
        ));
    }

    #[test]
    fn rejects_alias_bombs_with_a_location() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let (_, err) = parse(&text);
        let err = err.expect("alias bomb must fail");
        assert!(err.message.contains("alias"), "{}", err.message);
        assert!(err.loc.line > 1);
    }

    #[test]
    fn rejects_deep_nesting() {
        let text = "[".repeat(500) + &"]".repeat(500);
        let (_, err) = parse(&text);
        let err = err.expect("deep nesting must fail");
        assert!(
            err.message.contains("nest") || err.message.contains("recursion"),
            "{}",
            err.message
        );
    }

    #[test]
    fn reports_syntax_errors_with_line_and_column() {
        let (_, err) = parse("a: 1\nb: [1, 2\nc: 3\n");
        let err = err.unwrap();
        assert!(err.message.starts_with("invalid YAML"));
        assert!(err.loc.line >= 2, "{:?}", err.loc);
    }

    #[test]
    fn warns_on_duplicate_keys() {
        let (docs, err) = parse("a: 1\na: 2\n");
        assert!(err.is_none());
        assert_eq!(docs[0].warnings.len(), 1);
        assert_eq!(docs[0].warnings[0].loc.line, 2);
        assert_eq!(docs[0].root.get("a").unwrap().value, Value::Int(2));
    }

    #[test]
    fn skips_a_byte_order_mark() {
        let (docs, err) = parse("\u{feff}a: 1\n");
        assert!(err.is_none());
        assert_eq!(docs[0].root.get("a").unwrap().value, Value::Int(1));
    }
}
