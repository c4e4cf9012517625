//! A focused JSON Schema validator over the located YAML tree, so that a schema violation in a
//! data file (a team's matrix) points at its file and line.
//!
//! It supports the keywords `policies/matrix/schema.json` uses, and rejects schemas that use any
//! other validation keyword, so a schema never claims more than is checked: `type`, `enum`,
//! `properties`, `required`, `additionalProperties`, `items`, `minimum`, `maximum`, `anyOf`,
//! `$ref` (to `#/$defs/...`); annotations (`title`, `description`, `$schema`, `$id`, `$defs`)
//! are ignored.

use crate::profile::did_you_mean;
use crate::source::Loc;
use crate::yaml::{Node, Value};
use serde_json::Value as Json;

/// The JSON Schema of matrix files.
pub const MATRIX_SCHEMA: &str = include_str!("../policies/matrix/schema.json");

/// A schema violation, at the node that breaks it.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Where in the document, such as `flows[3].ports[0]`.
    pub path: String,
    pub message: String,
    pub help: String,
    pub loc: Loc,
}

const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "title",
    "description",
    "$comment",
];
const KEYWORDS: &[&str] = &[
    "type",
    "enum",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minimum",
    "maximum",
    "anyOf",
    "$ref",
];

/// Checks that a schema uses only the keywords this validator implements.
pub fn check_supported(schema: &Json) -> Result<(), String> {
    match schema {
        Json::Object(map) => {
            for (k, v) in map {
                if !KEYWORDS.contains(&k.as_str()) && !ANNOTATIONS.contains(&k.as_str()) {
                    return Err(format!("unsupported schema keyword `{k}`"));
                }
                match k.as_str() {
                    "properties" | "$defs" => {
                        for sub in v.as_object().into_iter().flat_map(|m| m.values()) {
                            check_supported(sub)?;
                        }
                    }
                    "items" | "additionalProperties" => check_supported(v)?,
                    "anyOf" => {
                        for sub in v.as_array().into_iter().flatten() {
                            check_supported(sub)?;
                        }
                    }
                    _ => {}
                }
            }
            Ok(())
        }
        Json::Bool(_) => Ok(()),
        _ => Err("a schema must be an object or a boolean".to_string()),
    }
}

struct Validator<'a> {
    root: &'a Json,
    out: Vec<Violation>,
}

fn type_matches(t: &str, node: &Node) -> bool {
    match (t, &node.value) {
        ("null", Value::Null)
        | ("boolean", Value::Bool(_))
        | ("integer", Value::Int(_))
        | ("number", Value::Int(_) | Value::Float(_))
        | ("string", Value::Str(_))
        | ("array", Value::Seq(_))
        | ("object", Value::Map(_)) => true,
        ("integer", Value::Float(f)) => f.fract() == 0.0,
        _ => false,
    }
}

fn type_text(t: &str) -> &str {
    match t {
        "null" => "null",
        "boolean" => "true or false",
        "integer" => "an integer",
        "number" => "a number",
        "string" => "a string",
        "array" => "a list",
        "object" => "a mapping",
        other => other,
    }
}

fn scalar_text(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => format!("`{s}`"),
        Value::Int(i) => format!("`{i}`"),
        Value::Float(f) => format!("`{f}`"),
        Value::Bool(b) => format!("`{b}`"),
        _ => node.type_name().to_string(),
    }
}

fn json_of(node: &Node) -> Json {
    node.to_json()
}

impl<'a> Validator<'a> {
    fn resolve(&self, schema: &'a Json) -> &'a Json {
        let mut s = schema;
        // `$ref` chains are short; a bound keeps a cyclic schema from looping.
        for _ in 0..16 {
            let Some(r) = s.get("$ref").and_then(Json::as_str) else {
                return s;
            };
            let Some(name) = r.strip_prefix("#/$defs/") else {
                return s;
            };
            match self.root.get("$defs").and_then(|d| d.get(name)) {
                Some(target) => s = target,
                None => return s,
            }
        }
        s
    }

    fn violation(&mut self, path: &str, message: String, help: String, loc: &Loc) {
        self.out.push(Violation {
            path: path.to_string(),
            message,
            help,
            loc: loc.clone(),
        });
    }

    /// Whether `node` is valid, without recording anything (for `anyOf`).
    fn is_valid(&self, schema: &'a Json, node: &Node) -> bool {
        let mut probe = Validator {
            root: self.root,
            out: Vec::new(),
        };
        probe.check(schema, node, "");
        probe.out.is_empty()
    }

    fn check(&mut self, schema: &'a Json, node: &Node, path: &str) {
        let schema = self.resolve(schema);
        if schema == &Json::Bool(false) {
            self.violation(
                path,
                format!("`{path}` is not allowed"),
                String::new(),
                &node.loc,
            );
            return;
        }
        let here = if path.is_empty() {
            "the document"
        } else {
            path
        };
        if let Some(t) = schema.get("type") {
            let types: Vec<&str> = match t {
                Json::String(s) => vec![s.as_str()],
                Json::Array(a) => a.iter().filter_map(Json::as_str).collect(),
                _ => vec![],
            };
            if !types.iter().any(|t| type_matches(t, node)) {
                let want: Vec<&str> = types.iter().map(|t| type_text(t)).collect();
                self.violation(
                    path,
                    format!(
                        "`{here}` must be {}, found {}",
                        want.join(" or "),
                        node.type_name()
                    ),
                    String::new(),
                    &node.loc,
                );
                return;
            }
        }
        if let Some(values) = schema.get("enum").and_then(Json::as_array) {
            if !values.contains(&json_of(node)) {
                let list: Vec<String> = values.iter().map(|v| v.to_string()).collect();
                let words: Vec<&str> = values.iter().filter_map(Json::as_str).collect();
                let help = match node
                    .as_str()
                    .and_then(|s| did_you_mean(s, words.iter().copied()))
                {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("use one of {}", list.join(", ")),
                };
                self.violation(
                    path,
                    format!("`{here}` has unknown value {}", scalar_text(node)),
                    help,
                    &node.loc,
                );
            }
        }
        if let Value::Int(i) = node.value {
            if let Some(min) = schema.get("minimum").and_then(Json::as_i64) {
                if i < min {
                    self.violation(
                        path,
                        format!("`{here}` is {i}, below the minimum {min}"),
                        String::new(),
                        &node.loc,
                    );
                }
            }
            if let Some(max) = schema.get("maximum").and_then(Json::as_i64) {
                if i > max {
                    self.violation(
                        path,
                        format!("`{here}` is {i}, above the maximum {max}"),
                        String::new(),
                        &node.loc,
                    );
                }
            }
        }
        if let Some(options) = schema.get("anyOf").and_then(Json::as_array) {
            if !options.iter().any(|o| self.is_valid(o, node)) {
                self.violation(
                    path,
                    format!(
                        "`{here}` matches none of the allowed forms ({})",
                        scalar_text(node)
                    ),
                    String::new(),
                    &node.loc,
                );
            }
        }
        if let Value::Map(entries) = &node.value {
            self.check_object(schema, node, entries, path);
        }
        if let (Value::Seq(items), Some(item_schema)) = (&node.value, schema.get("items")) {
            for (i, item) in items.iter().enumerate() {
                self.check(item_schema, item, &format!("{path}[{i}]"));
            }
        }
    }

    fn check_object(
        &mut self,
        schema: &'a Json,
        node: &Node,
        entries: &[(Node, Node)],
        path: &str,
    ) {
        let props = schema.get("properties").and_then(Json::as_object);
        let here = if path.is_empty() {
            "the document"
        } else {
            path
        };
        for name in schema
            .get("required")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
        {
            if node.get(name).is_none() {
                self.violation(
                    path,
                    format!("{here} lacks the required key `{name}`"),
                    format!("add `{name}:`"),
                    &node.loc,
                );
            }
        }
        for (k, v) in entries {
            let key = match &k.value {
                Value::Str(s) => s.clone(),
                _ => scalar_text(k),
            };
            let child = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            if let Some(sub) = props.and_then(|p| p.get(&key)) {
                self.check(sub, v, &child);
                continue;
            }
            match schema.get("additionalProperties") {
                Some(Json::Bool(false)) => {
                    let known: Vec<&str> = props
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    let help = match did_you_mean(&key, known.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("{here} takes: {}", known.join(", ")),
                    };
                    self.violation(
                        &child,
                        format!("unknown key `{key}` in {here}"),
                        help,
                        &k.loc,
                    );
                }
                Some(sub) => self.check(sub, v, &child),
                None => {}
            }
        }
    }
}

/// Validates a located document against a JSON Schema.
pub fn validate(schema: &Json, node: &Node) -> Vec<Violation> {
    let mut v = Validator {
        root: schema,
        out: Vec::new(),
    };
    v.check(schema, node, "");
    v.out
}

/// The matrix schema, parsed.
pub fn matrix_schema() -> Result<Json, String> {
    serde_json::from_str(MATRIX_SCHEMA).map_err(|e| format!("policies/matrix/schema.json: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    fn check(schema: &str, doc: &str) -> Vec<Violation> {
        let schema: Json = serde_json::from_str(schema).unwrap();
        check_supported(&schema).unwrap();
        let (docs, _) = parse_stream("t.yaml", doc, &Limits::default());
        validate(&schema, &docs[0].root)
    }

    #[test]
    fn locates_unknown_keys_wrong_types_and_missing_keys() {
        let schema = r##"{"type": "object", "required": ["a"], "additionalProperties": false,
            "properties": {"a": {"type": "integer", "maximum": 10}, "b": {"type": "array", "items": {"$ref": "#/$defs/p"}}},
            "$defs": {"p": {"enum": ["TCP", "UDP"]}}}"##;
        let v = check(schema, "a: 11\nb: [TCP, UDPX]\nc: 1\n");
        let got: Vec<(String, u32)> = v.iter().map(|v| (v.path.clone(), v.loc.line)).collect();
        assert_eq!(
            got,
            vec![("a".into(), 1), ("b[1]".into(), 2), ("c".into(), 3)]
        );
        assert_eq!(v[1].help, "did you mean `UDP`?");
        let v = check(schema, "b: []\n");
        assert!(v[0].message.contains("required key `a`"), "{v:?}");
    }

    #[test]
    fn rejects_unsupported_keywords() {
        let schema: Json =
            serde_json::from_str(r#"{"properties": {"a": {"pattern": "x"}}}"#).unwrap();
        assert!(check_supported(&schema).is_err());
    }
}
