//! A strict JSON reader that builds the same located tree as [`crate::yaml`] (every node with
//! its line and column), in one pass with the position tracked as it scans: about ten times
//! faster than going through the YAML event stream, for machine-written dumps of tens of
//! megabytes (`nft -j list ruleset` prints a 50,000-rule ruleset as one 17 MB line).
//!
//! Nesting depth is bounded by [`Limits::max_depth`]; errors carry the line and column where
//! the text stops being JSON.

use crate::source::Loc;
use crate::yaml::{Limits, Node, Value, YamlError};
use std::sync::Arc;

struct Pos {
    offset: usize,
    line: u32,
    column: u32,
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    file: Arc<str>,
    pos: usize,
    line: u32,
    column: u32,
    max_depth: usize,
    /// Repeated keys (the value read last is kept, as most JSON readers do).
    warnings: Vec<YamlError>,
}

/// Parses one JSON document (a leading BOM and surrounding whitespace allowed); the warnings are
/// repeated keys.
pub fn parse(file: &str, text: &str, limits: &Limits) -> Result<(Node, Vec<YamlError>), YamlError> {
    let mut p = Parser::new(file, text, limits);
    let root = p.value(0)?;
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.error("unexpected text after the JSON document"));
    }
    Ok((root, p.warnings))
}

/// Parses a document whose root object holds a large list under `list_key` (nft's `nftables`),
/// handing each element of that list to `each` as it is read instead of keeping it: memory stays
/// at one element's size. Elements whose object's first key `build` rejects are checked for
/// syntax and skipped without building a tree. The returned root has that list empty (with the
/// list's location).
pub fn parse_streaming(
    file: &str,
    text: &str,
    limits: &Limits,
    list_key: &str,
    build: &dyn Fn(&str) -> bool,
    each: &mut dyn FnMut(Node),
) -> Result<(Node, Vec<YamlError>), YamlError> {
    let mut p = Parser::new(file, text, limits);
    let root = if p.bytes.get(p.pos) == Some(&b'{') {
        let start = p.here();
        let value = p.object_streaming(list_key, build, each)?;
        Node {
            value,
            loc: p.loc(&start),
        }
    } else {
        p.value(0)?
    };
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.error("unexpected text after the JSON document"));
    }
    Ok((root, p.warnings))
}

impl<'a> Parser<'a> {
    /// At the start of `text`, past a BOM and leading whitespace.
    fn new(file: &str, text: &'a str, limits: &Limits) -> Parser<'a> {
        let mut p = Parser {
            text,
            bytes: text.as_bytes(),
            file: Arc::from(file),
            pos: if text.starts_with('\u{feff}') { 3 } else { 0 },
            line: 1,
            column: 1,
            max_depth: limits.max_depth,
            warnings: Vec::new(),
        };
        p.skip_ws();
        p
    }

    /// A key and its colon: `"name" :`, leaving the position at the value.
    fn key(&mut self) -> Result<Node, YamlError> {
        self.skip_ws();
        if self.bytes.get(self.pos) != Some(&b'"') {
            return Err(self.error("expected a string key"));
        }
        let start = self.here();
        let key = self.string()?;
        let key = Node {
            value: Value::Str(key),
            loc: self.loc(&start),
        };
        self.skip_ws();
        if self.bytes.get(self.pos) != Some(&b':') {
            return Err(self.error("expected `:` after the key"));
        }
        self.bump(1);
        self.skip_ws();
        Ok(key)
    }

    /// After an entry: `,` (another follows: `false`) or the closing bracket (`true`).
    fn next_or_end(&mut self, close: u8) -> Result<bool, YamlError> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b',') => {
                self.bump(1);
                Ok(false)
            }
            Some(&b) if b == close => {
                self.bump(1);
                Ok(true)
            }
            _ => Err(self.error(if close == b'}' {
                "expected `,` or `}`"
            } else {
                "expected `,` or `]`"
            })),
        }
    }

    /// An empty `{}` or `[]` after the opening bracket.
    fn empty(&mut self, close: u8) -> bool {
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&close) {
            self.bump(1);
            return true;
        }
        false
    }

    fn here(&self) -> Pos {
        Pos {
            offset: self.pos,
            line: self.line,
            column: self.column,
        }
    }

    fn loc(&self, start: &Pos) -> Loc {
        Loc {
            file: self.file.clone(),
            line: start.line,
            column: start.column,
            end_line: self.line,
            end_column: self.column,
            offset: start.offset,
            len: self.pos - start.offset,
        }
    }

    fn error(&self, message: &str) -> YamlError {
        let start = self.here();
        let found = match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            Some(c) => format!("; found `{}`", c.escape_default()),
            None => "; found the end of the file".to_string(),
        };
        YamlError {
            message: format!("invalid JSON: {message}{found}"),
            loc: self.loc(&start),
        }
    }

    /// Advances over ASCII bytes that are not newlines.
    fn bump(&mut self, n: usize) {
        self.pos += n;
        self.column += n as u32;
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b' ' | b'\t' | b'\r' => self.bump(1),
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    self.column = 1;
                }
                _ => break,
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, YamlError> {
        if depth > self.max_depth {
            return Err(self.error(&format!("nesting deeper than {} levels", self.max_depth)));
        }
        let start = self.here();
        let value = match self.bytes.get(self.pos) {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Value::Str(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return Err(self.error("expected a value")),
        };
        Ok(Node {
            value,
            loc: self.loc(&start),
        })
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, YamlError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.bump(word.len());
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn number(&mut self) -> Result<Value, YamlError> {
        let start = self.pos;
        let mut end = self.pos;
        let mut float = false;
        while let Some(&b) = self.bytes.get(end) {
            match b {
                b'0'..=b'9' | b'-' | b'+' => {}
                b'.' | b'e' | b'E' => float = true,
                _ => break,
            }
            end += 1;
        }
        let s = &self.text[start..end];
        let value = if !float {
            s.parse::<i64>()
                .map(Value::Int)
                .or_else(|_| s.parse::<f64>().map(Value::Float))
        } else {
            s.parse::<f64>().map(Value::Float)
        };
        match value {
            Ok(v) if valid_number(s) => {
                self.bump(end - start);
                Ok(v)
            }
            _ => Err(self.error("malformed number")),
        }
    }

    fn string(&mut self) -> Result<String, YamlError> {
        let open = self.here();
        self.bump(1);
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, backslash or control character.
            let rest = &self.bytes[self.pos..];
            let run = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(rest.len());
            let chunk = &self.text[self.pos..self.pos + run];
            out.push_str(chunk);
            self.pos += run;
            self.column += chunk.chars().count() as u32;
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.bump(1);
                    return Ok(out);
                }
                Some(b'\\') => {
                    let c = self.escape()?;
                    out.push(c);
                }
                Some(_) => return Err(self.error("control character in a string")),
                None => {
                    return Err(YamlError {
                        message: "invalid JSON: unterminated string".into(),
                        loc: self.loc(&open),
                    })
                }
            }
        }
    }

    fn escape(&mut self) -> Result<char, YamlError> {
        let c = match self.bytes.get(self.pos + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let hi = self.hex4(self.pos + 2)?;
                self.bump(6);
                if (0xD800..0xDC00).contains(&hi) {
                    if self.bytes.get(self.pos) == Some(&b'\\')
                        && self.bytes.get(self.pos + 1) == Some(&b'u')
                    {
                        let lo = self.hex4(self.pos + 2)?;
                        if (0xDC00..0xE000).contains(&lo) {
                            self.bump(6);
                            let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                            return char::from_u32(c)
                                .ok_or_else(|| self.error("invalid \\u escape"));
                        }
                    }
                    return Err(self.error("unpaired surrogate in a \\u escape"));
                }
                return char::from_u32(hi).ok_or_else(|| self.error("invalid \\u escape"));
            }
            _ => return Err(self.error("invalid escape")),
        };
        self.bump(2);
        Ok(c)
    }

    fn hex4(&self, at: usize) -> Result<u32, YamlError> {
        self.text
            .get(at..at + 4)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| self.error("invalid \\u escape"))
    }

    fn object(&mut self, depth: usize) -> Result<Value, YamlError> {
        self.bump(1);
        let mut entries: Vec<(Node, Node)> = Vec::new();
        let mut seen: Option<std::collections::HashSet<String>> = None;
        if self.empty(b'}') {
            return Ok(Value::Map(entries));
        }
        loop {
            let key = self.key()?;
            let value = self.value(depth + 1)?;
            let name = key.as_str().unwrap_or_default();
            let repeated = if entries.len() < 16 {
                entries
                    .iter()
                    .any(|(k, _): &(Node, Node)| k.as_str() == Some(name))
            } else {
                seen.get_or_insert_with(|| {
                    entries
                        .iter()
                        .filter_map(|(k, _): &(Node, Node)| k.as_str().map(String::from))
                        .collect()
                })
                .contains(name)
            };
            if repeated {
                self.warnings.push(YamlError {
                    message: format!("duplicate key `{name}`"),
                    loc: key.loc.clone(),
                });
            }
            if let Some(seen) = seen.as_mut() {
                seen.insert(name.to_string());
            }
            entries.push((key, value));
            if self.next_or_end(b'}')? {
                return Ok(Value::Map(entries));
            }
        }
    }

    /// The root object, streaming the elements of `list_key`'s array.
    fn object_streaming(
        &mut self,
        list_key: &str,
        build: &dyn Fn(&str) -> bool,
        each: &mut dyn FnMut(Node),
    ) -> Result<Value, YamlError> {
        self.bump(1);
        let mut entries: Vec<(Node, Node)> = Vec::new();
        if self.empty(b'}') {
            return Ok(Value::Map(entries));
        }
        loop {
            let key = self.key()?;
            let value = if key.as_str() == Some(list_key) && self.bytes.get(self.pos) == Some(&b'[')
            {
                let start = self.here();
                self.array_streaming(build, each)?;
                Node {
                    value: Value::Seq(Vec::new()),
                    loc: self.loc(&start),
                }
            } else {
                self.value(1)?
            };
            let name = key.as_str().unwrap_or_default();
            if entries.iter().any(|(k, _)| k.as_str() == Some(name)) {
                self.warnings.push(YamlError {
                    message: format!("duplicate key `{name}`"),
                    loc: key.loc.clone(),
                });
            }
            entries.push((key, value));
            if self.next_or_end(b'}')? {
                return Ok(Value::Map(entries));
            }
        }
    }

    fn array_streaming(
        &mut self,
        build: &dyn Fn(&str) -> bool,
        each: &mut dyn FnMut(Node),
    ) -> Result<(), YamlError> {
        self.bump(1);
        if self.empty(b']') {
            return Ok(());
        }
        loop {
            self.skip_ws();
            if self.wanted(build) {
                each(self.value(2)?);
            } else {
                self.skip_value(2)?;
            }
            if self.next_or_end(b']')? {
                return Ok(());
            }
        }
    }

    /// Whether the element here is to be built: not an object, or an object whose first key
    /// `build` accepts. Looks ahead without moving.
    fn wanted(&self, build: &dyn Fn(&str) -> bool) -> bool {
        if self.bytes.get(self.pos) != Some(&b'{') {
            return true;
        }
        let rest = &self.text[self.pos + 1..];
        let rest = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        let Some(body) = rest.strip_prefix('"') else {
            return true;
        };
        match body.find(['"', '\\']) {
            Some(end) if body.as_bytes()[end] == b'"' => build(&body[..end]),
            _ => true,
        }
    }

    /// Checks and passes over one value without building it (strings, numbers and literals are
    /// checked as [`Parser::value`] checks them).
    fn skip_value(&mut self, depth: usize) -> Result<(), YamlError> {
        if depth > self.max_depth {
            return Err(self.error(&format!("nesting deeper than {} levels", self.max_depth)));
        }
        match self.bytes.get(self.pos) {
            Some(b'{') => {
                self.bump(1);
                if self.empty(b'}') {
                    return Ok(());
                }
                loop {
                    self.key()?;
                    self.skip_value(depth + 1)?;
                    if self.next_or_end(b'}')? {
                        return Ok(());
                    }
                }
            }
            Some(b'[') => {
                self.bump(1);
                if self.empty(b']') {
                    return Ok(());
                }
                loop {
                    self.skip_ws();
                    self.skip_value(depth + 1)?;
                    if self.next_or_end(b']')? {
                        return Ok(());
                    }
                }
            }
            _ => self.value(depth).map(|_| ()),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, YamlError> {
        self.bump(1);
        let mut items = Vec::new();
        if self.empty(b']') {
            return Ok(Value::Seq(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            if self.next_or_end(b']')? {
                return Ok(Value::Seq(items));
            }
        }
    }
}

/// JSON's number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn valid_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Node, YamlError> {
        parse("f.json", s, &Limits::default()).map(|(n, _)| n)
    }

    #[test]
    fn repeated_keys_are_warnings() {
        let (_, w) = parse("x", "{\"a\": 1, \"a\": 2}", &Limits::default())
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].loc.column, 10);
    }

    #[test]
    fn values_and_locations() {
        let n = p("{\n  \"a\": [1, -2.5e3, true, null],\n  \"é\": \"x\\u00e9\\ud83d\\ude00\"\n}")
            .unwrap();
        let a = n.get("a").unwrap();
        assert_eq!((a.loc.line, a.loc.column), (2, 8));
        let items = a.as_seq().unwrap();
        assert_eq!(items[0].value, Value::Int(1));
        assert_eq!(items[1].value, Value::Float(-2500.0));
        assert_eq!((items[2].loc.line, items[2].loc.column), (2, 20));
        let e = n.get("é").unwrap();
        assert_eq!(e.as_str(), Some("xé😀"));
        assert_eq!((e.loc.line, e.loc.column), (3, 8));
    }

    #[test]
    fn errors_are_located() {
        let e = p("{\"a\": [1, 2,]}").unwrap_err();
        assert_eq!((e.loc.line, e.loc.column), (1, 13));
        let e = p("{\"a\": 1").unwrap_err();
        assert!(e.message.contains("end of the file"), "{}", e.message);
        let e = p("{\"a\": \"x").unwrap_err();
        assert_eq!((e.loc.line, e.loc.column), (1, 7));
        assert!(p("[01]").is_err());
        assert!(p("[1.]").is_err());
        assert!(p("{} x").is_err());
        assert!(p("\"a\tb\"").is_err());
    }

    #[test]
    fn streaming_hands_out_elements_and_skips_unwanted_ones() {
        let text = "{\"n\": [{\"a\": 1}, {\"rule\": {\"x\": [1, 2]}}, {\"b\": \"s\"}], \"m\": 2}";
        let mut got = Vec::new();
        let (root, _) = parse_streaming(
            "f",
            text,
            &Limits::default(),
            "n",
            &|k| k != "rule",
            &mut |n| {
                got.push(
                    n.as_map()
                        .map(|m| m[0].0.as_str().unwrap_or("").to_string()),
                )
            },
        )
        .unwrap();
        assert_eq!(got, vec![Some("a".to_string()), Some("b".to_string())]);
        assert_eq!(root.get("m").unwrap().value, Value::Int(2));
        assert_eq!(root.get("n").unwrap().as_seq().map(|s| s.len()), Some(0));
        // A syntax error inside a skipped element is still located.
        let bad = "{\"n\": [{\"rule\": {\"x\": [1, }}]}";
        let e = parse_streaming(
            "f",
            bad,
            &Limits::default(),
            "n",
            &|k| k != "rule",
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!((e.loc.line, e.loc.column), (1, 27));
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(100_000);
        let e = p(&deep).unwrap_err();
        assert!(e.message.contains("nesting"), "{}", e.message);
    }
}
