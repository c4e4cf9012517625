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

/// Deepest nesting of parentheses a Calico selector may have.
pub const MAX_SELECTOR_DEPTH: usize = 64;

/// Parses Calico's selector language: `==`, `!=`, `in {..}`, `not in {..}`, `has(k)`, `!has(k)`,
/// `starts with`, `ends with`, `contains`, `&&`, `||`, `!`, `all()`, `global()`, parentheses.
/// An empty selector means `all()`.
///
/// Follows Calico's own tokenizer (libcalico-go `selector/tokenizer`): only spaces and tabs
/// separate tokens, quoted values have no escapes, label keys are `[a-zA-Z0-9_./-]+`, and a run
/// of `!` collapses to one negation. Precedence, highest first: match operators, parentheses,
/// `!`, `&&`, `||`. Parentheses nest at most [`MAX_SELECTOR_DEPTH`] deep; the work is linear in
/// the length of the text.
pub fn parse_calico(text: &str) -> Result<SelExpr, SelectorError> {
    let tokens = tokenize(text)?;
    let mut p = Parser {
        text,
        tokens,
        pos: 0,
    };
    if p.peek().kind == Tok::Eof {
        return Ok(SelExpr::All);
    }
    let expr = p.parse_or(0)?;
    let next = p.peek();
    match next.kind {
        Tok::Eof => Ok(expr),
        Tok::RParen => Err(err(
            "unbalanced parentheses: this `)` has no matching `(`",
            next.start,
        )),
        _ => Err(err(
            format!(
                "unexpected {} after a complete expression; join expressions with `&&` or `||`",
                p.describe(next)
            ),
            next.start,
        )),
    }
}

fn err(message: impl Into<String>, offset: usize) -> SelectorError {
    SelectorError {
        message: message.into(),
        offset,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Label(String),
    Str(String),
    LBrace,
    RBrace,
    Comma,
    Eq,
    Ne,
    In,
    NotIn,
    Contains,
    StartsWith,
    EndsWith,
    All,
    Global,
    Has(String),
    LParen,
    RParen,
    And,
    Or,
    Not,
    Eof,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Tok,
    /// Byte offsets of the token in the selector text.
    start: usize,
    end: usize,
}

fn is_label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-')
}

fn skip_blanks(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

fn label_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && is_label_byte(bytes[i]) {
        i += 1;
    }
    i
}

/// A short excerpt of the text at `at`, for messages about an unknown operator.
fn word_at(text: &str, at: usize) -> &str {
    let rest = text.get(at..).unwrap_or("");
    let end = rest
        .char_indices()
        .find(|&(_, c)| c.is_whitespace() || matches!(c, '\'' | '"' | '(' | ')' | '{' | '}'))
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    let word = &rest[..end];
    match word.char_indices().nth(20) {
        Some((i, _)) => &word[..i],
        None => word,
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, SelectorError> {
    let bytes = text.as_bytes();
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    loop {
        i = skip_blanks(bytes, i);
        let start = i;
        let Some(&b) = bytes.get(i) else {
            out.push(Token {
                kind: Tok::Eof,
                start: text.len(),
                end: text.len(),
            });
            return Ok(out);
        };
        let after_label = matches!(
            out.last(),
            Some(Token {
                kind: Tok::Label(_),
                ..
            })
        );
        let (kind, end) = match b {
            b'(' => (Tok::LParen, i + 1),
            b')' => (Tok::RParen, i + 1),
            b'{' => (Tok::LBrace, i + 1),
            b'}' => (Tok::RBrace, i + 1),
            b',' => (Tok::Comma, i + 1),
            b'\'' | b'"' => {
                let quote = b as char;
                let Some(len) = text[i + 1..].find(quote) else {
                    return Err(err(
                        format!("unterminated quoted value: this {quote} is never closed"),
                        i,
                    ));
                };
                let value = text[i + 1..i + 1 + len].to_string();
                (Tok::Str(value), i + len + 2)
            }
            b'=' if bytes.get(i + 1) == Some(&b'=') => (Tok::Eq, i + 2),
            b'=' => {
                return Err(err(
                    format!("unknown operator `{}`: write `==`", word_at(text, i)),
                    i,
                ))
            }
            b'!' if bytes.get(i + 1) == Some(&b'=') => (Tok::Ne, i + 2),
            b'!' => (Tok::Not, i + 1),
            b'&' if bytes.get(i + 1) == Some(&b'&') => (Tok::And, i + 2),
            b'|' if bytes.get(i + 1) == Some(&b'|') => (Tok::Or, i + 2),
            b'&' | b'|' => {
                let op = if b == b'&' { "&&" } else { "||" };
                return Err(err(
                    format!("unknown operator `{}`: write `{op}`", b as char),
                    i,
                ));
            }
            b'\n' | b'\r' => {
                return Err(err(
                    "line break inside the selector: Calico separates tokens with spaces and \
                     tabs only",
                    i,
                ))
            }
            _ if after_label => {
                // After a label only a word operator may follow (Calico matches these as
                // prefixes: `a in{'x'}` and `a startswith 'x'` are accepted).
                let rest = &text[i..];
                if rest.starts_with("contains") {
                    (Tok::Contains, i + "contains".len())
                } else if let Some(end) = two_words(bytes, i, "starts", "with") {
                    (Tok::StartsWith, end)
                } else if let Some(end) = two_words(bytes, i, "ends", "with") {
                    (Tok::EndsWith, end)
                } else if let Some(end) = two_words(bytes, i, "not", "in") {
                    (Tok::NotIn, end)
                } else if rest.starts_with("in") {
                    (Tok::In, i + 2)
                } else {
                    return Err(err(
                        format!(
                            "unknown operator `{}`: use ==, !=, in, not in, contains, \
                             starts with or ends with",
                            word_at(text, i)
                        ),
                        i,
                    ));
                }
            }
            _ if text[i..].starts_with("has(") => {
                let name_at = skip_blanks(bytes, i + 4);
                let name_end = label_end(bytes, name_at);
                if name_end == name_at {
                    return Err(err("`has(` needs a label key", name_at));
                }
                let close = skip_blanks(bytes, name_end);
                if bytes.get(close) != Some(&b')') {
                    return Err(err(
                        "unbalanced parentheses: `has(` is never closed by `)`",
                        close,
                    ));
                }
                (Tok::Has(text[name_at..name_end].to_string()), close + 1)
            }
            _ if text[i..].starts_with("all(") || text[i..].starts_with("global(") => {
                let (kind, open) = if text[i..].starts_with("all(") {
                    (Tok::All, 4)
                } else {
                    (Tok::Global, 7)
                };
                let close = skip_blanks(bytes, i + open);
                if bytes.get(close) != Some(&b')') {
                    let name = if kind == Tok::All { "all" } else { "global" };
                    return Err(err(
                        format!("`{name}(` takes no argument and must be closed by `)`"),
                        close,
                    ));
                }
                (kind, close + 1)
            }
            _ if is_label_byte(b) => {
                let end = label_end(bytes, i);
                (Tok::Label(text[i..end].to_string()), end)
            }
            _ => {
                let c = text[i..].chars().next().unwrap_or('?');
                return Err(err(format!("unexpected character `{c}`"), i));
            }
        };
        out.push(Token { kind, start, end });
        i = end;
    }
}

/// `first`, optional blanks, `second`, as Calico's tokenizer matches them: returns the end.
fn two_words(bytes: &[u8], at: usize, first: &str, second: &str) -> Option<usize> {
    let rest = bytes.get(at..)?;
    if !rest.starts_with(first.as_bytes()) {
        return None;
    }
    let next = skip_blanks(bytes, at + first.len());
    bytes
        .get(next..)?
        .starts_with(second.as_bytes())
        .then_some(next + second.len())
}

struct Parser<'a> {
    text: &'a str,
    /// Ends with `Eof`; tokens before `pos` have been taken.
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        // The token list always ends with Eof, and `pos` never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    /// Takes the next token (its value moves out; the parser never looks back).
    fn bump(&mut self) -> Token {
        let i = self.pos.min(self.tokens.len() - 1);
        let t = &mut self.tokens[i];
        if t.kind == Tok::Eof {
            return t.clone();
        }
        self.pos += 1;
        Token {
            kind: std::mem::replace(&mut t.kind, Tok::Eof),
            start: t.start,
            end: t.end,
        }
    }

    fn describe(&self, t: &Token) -> String {
        match &t.kind {
            Tok::Eof => "the end of the selector".to_string(),
            _ => format!("`{}`", self.text.get(t.start..t.end).unwrap_or("")),
        }
    }

    fn parse_or(&mut self, depth: usize) -> Result<SelExpr, SelectorError> {
        let mut any = vec![self.parse_and(depth)?];
        while self.peek().kind == Tok::Or {
            self.bump();
            any.push(self.parse_and(depth)?);
        }
        Ok(if any.len() == 1 {
            any.pop().unwrap_or(SelExpr::All)
        } else {
            SelExpr::Or { any }
        })
    }

    fn parse_and(&mut self, depth: usize) -> Result<SelExpr, SelectorError> {
        let mut all = vec![self.parse_operation(depth)?];
        while self.peek().kind == Tok::And {
            self.bump();
            all.push(self.parse_operation(depth)?);
        }
        Ok(if all.len() == 1 {
            all.pop().unwrap_or(SelExpr::All)
        } else {
            SelExpr::And { all }
        })
    }

    /// One match operation or parenthesized expression, after any number of `!`.
    fn parse_operation(&mut self, depth: usize) -> Result<SelExpr, SelectorError> {
        let mut negated = false;
        while self.peek().kind == Tok::Not {
            self.bump();
            negated = !negated;
        }
        let t = self.bump();
        let expr = match t.kind {
            Tok::Has(key) if negated => return Ok(SelExpr::NotHas { key }),
            Tok::Has(key) => SelExpr::Has { key },
            Tok::All => SelExpr::All,
            Tok::Global => SelExpr::Global,
            Tok::Label(key) => self.parse_match(key, (t.start, t.end))?,
            Tok::LParen => {
                if depth >= MAX_SELECTOR_DEPTH {
                    return Err(err(
                        format!("parentheses nested deeper than {MAX_SELECTOR_DEPTH} levels"),
                        t.start,
                    ));
                }
                let inner = self.parse_or(depth + 1)?;
                let close = self.bump();
                match close.kind {
                    Tok::RParen => inner,
                    Tok::Eof => {
                        return Err(err(
                            "unbalanced parentheses: this `(` is never closed",
                            t.start,
                        ))
                    }
                    _ => {
                        return Err(err(
                            format!(
                                "expected `&&`, `||` or `)`, found {}",
                                self.describe(&close)
                            ),
                            close.start,
                        ))
                    }
                }
            }
            Tok::RParen => return Err(err("expected an expression before `)`", t.start)),
            Tok::Eof => {
                return Err(err(
                    "the selector ends where an expression is expected",
                    t.start,
                ))
            }
            Tok::Str(_) => {
                return Err(err(
                    "a quoted value must follow a label and an operator, as in `app == 'x'`",
                    t.start,
                ))
            }
            _ => {
                return Err(err(
                    format!(
                        "unexpected {}: expected a label, has(), all(), global(), `!` or `(`",
                        self.describe(&t)
                    ),
                    t.start,
                ))
            }
        };
        Ok(if negated {
            SelExpr::Not {
                expr: Box::new(expr),
            }
        } else {
            expr
        })
    }

    /// `key <op> 'value'` or `key [not] in {..}`, after the label `key`.
    fn parse_match(
        &mut self,
        key: String,
        label: (usize, usize),
    ) -> Result<SelExpr, SelectorError> {
        let op = self.bump();
        let name = self.text.get(op.start..op.end).unwrap_or("").to_string();
        match op.kind {
            Tok::Eq | Tok::Ne | Tok::Contains | Tok::StartsWith | Tok::EndsWith => {
                let v = self.bump();
                let Tok::Str(value) = v.kind else {
                    return Err(err(
                        format!(
                            "expected a quoted value after `{name}`, found {}",
                            self.describe(&v)
                        ),
                        v.start,
                    ));
                };
                Ok(match op.kind {
                    Tok::Eq => SelExpr::Eq { key, value },
                    Tok::Ne => SelExpr::Ne { key, value },
                    Tok::Contains => SelExpr::Contains { key, value },
                    Tok::StartsWith => SelExpr::StartsWith { key, value },
                    _ => SelExpr::EndsWith { key, value },
                })
            }
            Tok::In | Tok::NotIn => {
                let open = self.bump();
                if open.kind != Tok::LBrace {
                    return Err(err(
                        format!(
                            "expected a set `{{'a', 'b'}}` after `{name}`, found {}",
                            self.describe(&open)
                        ),
                        open.start,
                    ));
                }
                let mut values = Vec::new();
                // Calico accepts `{}` and a trailing comma.
                while matches!(self.peek().kind, Tok::Str(_)) {
                    if let Tok::Str(v) = self.bump().kind {
                        values.push(v);
                    }
                    if self.peek().kind == Tok::Comma {
                        self.bump();
                    } else {
                        break;
                    }
                }
                let close = self.bump();
                match close.kind {
                    Tok::RBrace => {}
                    Tok::Eof => {
                        return Err(err(
                            "unbalanced braces: this `{` is never closed",
                            open.start,
                        ))
                    }
                    _ => {
                        return Err(err(
                            format!(
                                "expected a quoted value, `,` or `}}` in the set, found {}",
                                self.describe(&close)
                            ),
                            close.start,
                        ))
                    }
                }
                Ok(if op.kind == Tok::In {
                    SelExpr::In { key, values }
                } else {
                    SelExpr::NotIn { key, values }
                })
            }
            _ => Err(err(
                format!(
                    "expected an operator after the label `{}` (==, !=, in, not in, contains, \
                     starts with, ends with), found {}",
                    self.text.get(label.0..label.1).unwrap_or(""),
                    self.describe(&op)
                ),
                op.start,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> SelExpr {
        parse_calico(text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"))
    }

    fn e(text: &str) -> SelectorError {
        match parse_calico(text) {
            Ok(x) => panic!("{text:?} should not parse, got {x:?}"),
            Err(e) => e,
        }
    }

    fn eq(k: &str, v: &str) -> SelExpr {
        SelExpr::Eq {
            key: k.into(),
            value: v.into(),
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_match_operator() {
        assert_eq!(p("app == 'x'"), eq("app", "x"));
        assert_eq!(p("app == \"x\""), eq("app", "x"));
        assert_eq!(
            p("app != 'x'"),
            SelExpr::Ne {
                key: "app".into(),
                value: "x".into()
            }
        );
        assert_eq!(
            p("role in {'a', \"b\"}"),
            SelExpr::In {
                key: "role".into(),
                values: vec!["a".into(), "b".into()]
            }
        );
        assert_eq!(
            p("role not in {'a'}"),
            SelExpr::NotIn {
                key: "role".into(),
                values: vec!["a".into()]
            }
        );
        assert_eq!(p("has(app)"), SelExpr::Has { key: "app".into() });
        assert_eq!(p("!has(app)"), SelExpr::NotHas { key: "app".into() });
        assert_eq!(p("! has( app )"), SelExpr::NotHas { key: "app".into() });
        assert_eq!(
            p("env starts with 'prod'"),
            SelExpr::StartsWith {
                key: "env".into(),
                value: "prod".into()
            }
        );
        assert_eq!(
            p("env ends with 'prod'"),
            SelExpr::EndsWith {
                key: "env".into(),
                value: "prod".into()
            }
        );
        assert_eq!(
            p("env contains 'ro'"),
            SelExpr::Contains {
                key: "env".into(),
                value: "ro".into()
            }
        );
        assert_eq!(p("all()"), SelExpr::All);
        assert_eq!(p("all( )"), SelExpr::All);
        assert_eq!(p("global()"), SelExpr::Global);
        assert_eq!(p(""), SelExpr::All);
        assert_eq!(p(" \t "), SelExpr::All);
        assert_eq!(
            p("!all()"),
            SelExpr::Not {
                expr: Box::new(SelExpr::All)
            }
        );
    }

    #[test]
    fn keys_take_slashes_dots_dashes_and_underscores() {
        assert_eq!(
            p("app.kubernetes.io/name == 'trident'"),
            eq("app.kubernetes.io/name", "trident")
        );
        assert_eq!(p("my_key-1 == ''"), eq("my_key-1", ""));
        assert_eq!(
            p("has(projectcalico.org/name)"),
            SelExpr::Has {
                key: "projectcalico.org/name".into()
            }
        );
        // `has`, `all` and `in` are only keywords where Calico's tokenizer treats them so.
        assert_eq!(p("has == 'x'"), eq("has", "x"));
        assert_eq!(p("all == 'x'"), eq("all", "x"));
    }

    #[test]
    fn values_keep_what_is_inside_the_quotes() {
        assert_eq!(p("a == 'x y && z'"), eq("a", "x y && z"));
        assert_eq!(p("a == \"it's\""), eq("a", "it's"));
        assert_eq!(p("a == 'é'"), eq("a", "é"));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        assert_eq!(
            p("a == '1' || b == '2' && c == '3'"),
            SelExpr::Or {
                any: vec![
                    eq("a", "1"),
                    SelExpr::And {
                        all: vec![eq("b", "2"), eq("c", "3")]
                    }
                ]
            }
        );
        assert_eq!(
            p("a == '1' && b == '2' || c == '3'"),
            SelExpr::Or {
                any: vec![
                    SelExpr::And {
                        all: vec![eq("a", "1"), eq("b", "2")]
                    },
                    eq("c", "3")
                ]
            }
        );
        assert_eq!(
            p("a == '1' && b == '2' && c == '3'"),
            SelExpr::And {
                all: vec![eq("a", "1"), eq("b", "2"), eq("c", "3")]
            }
        );
    }

    #[test]
    fn not_binds_tighter_than_and_and_collapses() {
        assert_eq!(
            p("!a == '1' && b == '2'"),
            SelExpr::And {
                all: vec![
                    SelExpr::Not {
                        expr: Box::new(eq("a", "1"))
                    },
                    eq("b", "2")
                ]
            }
        );
        assert_eq!(
            p("!(a == '1' || b == '2')"),
            SelExpr::Not {
                expr: Box::new(SelExpr::Or {
                    any: vec![eq("a", "1"), eq("b", "2")]
                })
            }
        );
        assert_eq!(p("!!has(a)"), SelExpr::Has { key: "a".into() });
        assert_eq!(p("!!!has(a)"), SelExpr::NotHas { key: "a".into() });
        assert_eq!(p("!!a == '1'"), eq("a", "1"));
    }

    #[test]
    fn parentheses_group_and_nest() {
        assert_eq!(p("((a == '1'))"), eq("a", "1"));
        assert_eq!(
            p("(a == '1' || b == '2') && c == '3'"),
            SelExpr::And {
                all: vec![
                    SelExpr::Or {
                        any: vec![eq("a", "1"), eq("b", "2")]
                    },
                    eq("c", "3")
                ]
            }
        );
        let ok = "(".repeat(MAX_SELECTOR_DEPTH) + "a == '1'" + &")".repeat(MAX_SELECTOR_DEPTH);
        assert_eq!(p(&ok), eq("a", "1"));
        let deep = "(".repeat(MAX_SELECTOR_DEPTH + 1) + "a == '1'" + &")".repeat(70);
        let err = e(&deep);
        assert!(err.message.contains("nested deeper"), "{err:?}");
        assert_eq!(err.offset, MAX_SELECTOR_DEPTH);
    }

    #[test]
    fn the_documentation_example_brackets_as_documented() {
        let s =
            p("! has(my-label) || my-label starts with 'prod' && role in {'frontend','business'}");
        assert_eq!(
            s,
            SelExpr::Or {
                any: vec![
                    SelExpr::NotHas {
                        key: "my-label".into()
                    },
                    SelExpr::And {
                        all: vec![
                            SelExpr::StartsWith {
                                key: "my-label".into(),
                                value: "prod".into()
                            },
                            SelExpr::In {
                                key: "role".into(),
                                values: vec!["frontend".into(), "business".into()]
                            }
                        ]
                    }
                ]
            }
        );
        assert!(s.matches(&labels(&[]), false));
        assert!(s.matches(
            &labels(&[("my-label", "prod-1"), ("role", "business")]),
            false
        ));
        assert!(!s.matches(&labels(&[("my-label", "prod-1"), ("role", "db")]), false));
        assert!(!s.matches(&labels(&[("my-label", "dev"), ("role", "frontend")]), false));
    }

    #[test]
    fn sets_accept_what_calico_accepts() {
        assert_eq!(
            p("a in {}"),
            SelExpr::In {
                key: "a".into(),
                values: vec![]
            }
        );
        assert_eq!(
            p("a in {'x',}"),
            SelExpr::In {
                key: "a".into(),
                values: vec!["x".into()]
            }
        );
        // Calico matches word operators as prefixes.
        assert_eq!(
            p("a in{'x'}"),
            SelExpr::In {
                key: "a".into(),
                values: vec!["x".into()]
            }
        );
        assert_eq!(
            p("a startswith 'x'"),
            SelExpr::StartsWith {
                key: "a".into(),
                value: "x".into()
            }
        );
        assert_eq!(
            p("a notin {'x'}"),
            SelExpr::NotIn {
                key: "a".into(),
                values: vec!["x".into()]
            }
        );
    }

    #[test]
    fn global_matches_only_non_namespaced_resources() {
        let g = p("global()");
        assert!(g.matches(&labels(&[]), true));
        assert!(!g.matches(&labels(&[]), false));
    }

    #[test]
    fn errors_carry_the_offset_of_the_problem() {
        let cases: &[(&str, usize, &str)] = &[
            // Unbalanced parentheses: the `(` that is never closed, the `)` without a `(`.
            ("app == 'x' && (has(y)", 14, "never closed"),
            ("a == 'b')", 8, "no matching `(`"),
            ("(a == 'b'", 0, "never closed"),
            ("(a == 'b' c == 'd')", 10, "expected `&&`, `||` or `)`"),
            ("()", 1, "expression before `)`"),
            ("has(a", 5, "never closed"),
            ("has(", 4, "needs a label key"),
            ("all(x)", 4, "takes no argument"),
            // Unterminated quotes.
            ("a == 'b", 5, "unterminated"),
            ("a in {\"b}", 6, "unterminated"),
            // Unknown operators.
            ("a = 'b'", 2, "unknown operator `=`"),
            ("a ~= 'b'", 2, "unknown operator `~=`"),
            ("a like 'b'", 2, "unknown operator `like`"),
            ("a == 'x' & b == 'y'", 9, "unknown operator `&`"),
            ("a == 'x' | b == 'y'", 9, "unknown operator `|`"),
            ("a", 1, "expected an operator"),
            ("a && b == 'c'", 2, "expected an operator"),
            ("has (x)", 4, "expected an operator"),
            // Trailing garbage.
            ("a == 'b' c == 'd'", 9, "after a complete expression"),
            ("a == 'b' 'c'", 9, "after a complete expression"),
            // Missing pieces.
            ("a == b", 5, "expected a quoted value"),
            ("a in 'b'", 5, "expected a set"),
            ("a in {'b'", 5, "never closed"),
            ("a in {'b' 'c'}", 10, "in the set"),
            ("a == 'b' &&", 11, "ends where an expression"),
            ("a == 'b' || !", 13, "ends where an expression"),
            ("'x'", 0, "quoted value must follow"),
            ("== 'x'", 0, "unexpected `==`"),
            // Characters Calico's tokenizer does not know.
            ("a == 'b'\n", 8, "line break"),
            ("é == 'x'", 0, "unexpected character `é`"),
        ];
        for (text, offset, message) in cases {
            let err = e(text);
            assert_eq!(err.offset, *offset, "{text:?}: {err:?}");
            assert!(err.message.contains(message), "{text:?}: {err:?}");
        }
    }

    #[test]
    fn long_and_hostile_selectors_stay_linear_and_never_overflow() {
        let n = 50_000;
        let long = vec!["a == 'x'"; n].join(" && ");
        match p(&long) {
            SelExpr::And { all } => assert_eq!(all.len(), n),
            other => panic!("{other:?}"),
        }
        let ors = vec!["(a == 'x' && b == 'y')"; n].join(" || ");
        assert!(matches!(p(&ors), SelExpr::Or { any } if any.len() == n));
        assert_eq!(
            p(&("!".repeat(100_001) + "has(a)")),
            SelExpr::NotHas { key: "a".into() }
        );
        assert_eq!(e(&"(".repeat(1_000_000)).offset, MAX_SELECTOR_DEPTH);
        assert_eq!(e(&")".repeat(1_000)).offset, 0);
        assert_eq!(e("a == \"x").offset, 5);
    }
}
