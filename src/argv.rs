//! A container's command line as its process sees it: Kubernetes' `$(VAR)` expansion of
//! `command`, `args` and `env`, and Go-style flag lookup (`--flag=value`, `--flag value`,
//! `-flag`, last one wins), which is how the drivers' binaries read their flags.
//!
//! What portmatrix cannot know (a `valueFrom` variable, one from `envFrom`, a service link) stays
//! marked as unknown, so that a port written through it is reported as unresolved, never guessed.

use crate::model::{Container, EnvVar};
use crate::source::Loc;
use std::collections::BTreeMap;

/// Stands for the text of a variable whose value portmatrix cannot know. A private-use
/// character: it cannot be confused with digits, `:` or brackets.
const UNKNOWN: char = '\u{E000}';

/// Longest expansion kept. Variables that refer to each other twice per level double in size
/// with every level; past this the rest of the value counts as unknown.
const MAX_EXPANDED: usize = 16 * 1024;

/// A string after expansion, with the names of the variables it could not expand.
#[derive(Debug, Clone, PartialEq)]
pub struct Expanded {
    pub text: String,
    pub unknown: Vec<String>,
    /// The `env` entries whose values went into the text.
    pub used: Vec<(String, Loc)>,
}

impl Expanded {
    /// The text with unknown parts shown as `$(NAME)`, for messages.
    pub fn display(&self) -> String {
        let mut out = String::new();
        let mut names = self.unknown.iter();
        for c in self.text.chars() {
            if c == UNKNOWN {
                out.push_str(&format!(
                    "$({})",
                    names.next().map(String::as_str).unwrap_or("?")
                ));
            } else {
                out.push(c);
            }
        }
        out
    }

    pub fn is_known(&self) -> bool {
        self.unknown.is_empty()
    }
}

/// The container's variables, each expanded against the ones defined before it (as the kubelet
/// does). `None`: known only at run time.
pub fn environment(env: &[EnvVar]) -> BTreeMap<String, Option<Expanded>> {
    let mut vars: BTreeMap<String, Option<Expanded>> = BTreeMap::new();
    for e in env {
        let value = e.value.as_ref().map(|v| {
            let mut x = expand(v, &vars);
            x.used.push((e.name.clone(), e.loc.clone()));
            x
        });
        vars.insert(e.name.clone(), value);
    }
    vars
}

/// Expands `$(VAR)` references in `text`. `$$` is a literal `$`; a reference to a variable the
/// container does not define stays unknown (it may come from `envFrom` or a service link).
pub fn expand(text: &str, vars: &BTreeMap<String, Option<Expanded>>) -> Expanded {
    let mut out = Expanded {
        text: String::new(),
        unknown: Vec::new(),
        used: Vec::new(),
    };
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.text.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.text.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('(') {
            match inner.find(')') {
                Some(end) => {
                    let name = &inner[..end];
                    match vars.get(name) {
                        Some(Some(v)) if out.text.len() + v.text.len() <= MAX_EXPANDED => {
                            out.text.push_str(&v.text);
                            out.unknown.extend(v.unknown.iter().cloned());
                            for u in &v.used {
                                if !out.used.iter().any(|(n, _)| *n == u.0) {
                                    out.used.push(u.clone());
                                }
                            }
                        }
                        _ => {
                            out.text.push(UNKNOWN);
                            out.unknown.push(name.to_string());
                        }
                    }
                    rest = &inner[end + 1..];
                }
                None => {
                    out.text.push_str("$(");
                    rest = inner;
                }
            }
        } else {
            out.text.push('$');
            rest = after;
        }
    }
    out.text.push_str(rest);
    out
}

/// A flag's value as the process reads it, and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagValue {
    /// `None` for a flag written bare (`--metrics`).
    pub value: Option<Expanded>,
    /// The argument as written (before expansion), for messages: `--web-hook-port=5443`.
    pub written: String,
    pub loc: Loc,
}

/// The last setting of `flag` in the container's `command` and `args`. `flag` may be written
/// with one or two dashes either way: Go's flag package reads both. Parsing stops at `--`.
pub fn flag(container: &Container, flag: &str) -> Option<FlagValue> {
    let name = flag.trim_start_matches('-');
    let vars = environment(&container.env);
    let mut found = None;
    let mut i = 0;
    while i < container.argv.len() {
        let arg = &container.argv[i];
        let text = arg.text.as_str();
        if text == "--" {
            break;
        }
        let bare = text
            .strip_prefix("--")
            .or_else(|| text.strip_prefix('-'))
            .filter(|_| text.starts_with('-'));
        if let Some(bare) = bare {
            if let Some(value) = bare.strip_prefix(name).and_then(|v| v.strip_prefix('=')) {
                found = Some(FlagValue {
                    value: Some(expand(value, &vars)),
                    written: text.to_string(),
                    loc: arg.loc.clone(),
                });
            } else if bare == name {
                // `--flag value`, unless the next argument is another flag.
                let next = container
                    .argv
                    .get(i + 1)
                    .filter(|n| !n.text.starts_with('-'));
                found = Some(match next {
                    Some(n) => {
                        i += 1;
                        FlagValue {
                            value: Some(expand(&n.text, &vars)),
                            written: format!("{text} {}", n.text),
                            loc: n.loc.clone(),
                        }
                    }
                    None => FlagValue {
                        value: None,
                        written: text.to_string(),
                        loc: arg.loc.clone(),
                    },
                });
            }
        }
        i += 1;
    }
    found
}

/// A boolean flag's setting: `--flag` and `--flag=true` turn it on, `--flag=false` off (Go's
/// `strconv.ParseBool` spellings). `Err` carries the value when it is not a boolean or not
/// known. Go reads `--flag false` as the flag on and `false` as a positional argument.
pub fn bool_flag(
    container: &Container,
    name: &str,
) -> Option<Result<(bool, FlagValue), FlagValue>> {
    let f = flag(container, name)?;
    let text = f
        .value
        .as_ref()
        .filter(|v| v.is_known())
        .map(|v| v.text.as_str());
    // A bare flag followed by a word took that word as its value above; for a boolean the word
    // is a positional argument instead.
    let bare = f.value.is_none() || !f.written.contains('=');
    let on = if bare {
        Some(true)
    } else {
        match text {
            Some("1" | "t" | "T" | "TRUE" | "true" | "True") => Some(true),
            Some("0" | "f" | "F" | "FALSE" | "false" | "False") => Some(false),
            _ => None,
        }
    };
    Some(match on {
        Some(b) => Ok((b, f)),
        None => Err(f),
    })
}

/// Why a written value gives no port.
#[derive(Debug, Clone, PartialEq)]
pub enum PortError {
    /// It goes through variables known only at run time.
    Unknown(Vec<String>),
    /// It is not a port number from 1 to 65535.
    Invalid(String),
}

/// The port of a value: the whole value (`port`), or the part after the last colon of
/// `host:port`, `[v6]:port` or `:port` (`address`).
pub fn port_of(value: &Expanded, address: bool) -> Result<u16, PortError> {
    let part = if address {
        match value.text.rfind(':') {
            Some(i) => &value.text[i + 1..],
            None if !value.is_known() => return Err(PortError::Unknown(value.unknown.clone())),
            None => return Err(PortError::Invalid(value.display())),
        }
    } else {
        value.text.as_str()
    };
    if part.contains(UNKNOWN) {
        return Err(PortError::Unknown(value.unknown.clone()));
    }
    match part.trim().parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(PortError::Invalid(value.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Arg;

    fn container(args: &[&str], env: &[(&str, Option<&str>)]) -> Container {
        Container {
            name: "c".into(),
            argv: args
                .iter()
                .map(|a| Arg {
                    text: a.to_string(),
                    loc: Loc::default(),
                })
                .collect(),
            argv_written: true,
            env: env
                .iter()
                .map(|(n, v)| EnvVar {
                    name: n.to_string(),
                    value: v.map(str::to_string),
                    loc: Loc::default(),
                })
                .collect(),
            ..Default::default()
        }
    }

    fn port(c: &Container, name: &str, address: bool) -> Result<u16, PortError> {
        port_of(flag(c, name).unwrap().value.as_ref().unwrap(), address)
    }

    #[test]
    fn equals_and_separate_forms_single_or_double_dash() {
        let c = container(&["--a=1", "-b=2", "--c", "3", "-d", "4"], &[]);
        assert_eq!(port(&c, "--a", false), Ok(1));
        assert_eq!(port(&c, "--b", false), Ok(2));
        assert_eq!(port(&c, "-c", false), Ok(3));
        assert_eq!(port(&c, "d", false), Ok(4));
        assert_eq!(flag(&c, "--ab"), None);
    }

    #[test]
    fn last_setting_wins_and_double_dash_ends_flags() {
        let c = container(&["--port=1", "--port=2", "--", "--port=3"], &[]);
        assert_eq!(port(&c, "--port", false), Ok(2));
    }

    #[test]
    fn prefix_of_another_flag_is_not_the_flag() {
        let c = container(&["--https_port_x=1", "--https=on"], &[]);
        assert_eq!(flag(&c, "--https_port"), None);
    }

    #[test]
    fn variables_expand_in_order_and_unknowns_are_kept() {
        let env = [
            ("POD_IP", None),
            ("EP", Some("[$(POD_IP)]:9818")),
            ("LATER_REF", Some("$(DEFINED_AFTER)")),
            ("DEFINED_AFTER", Some("1")),
        ];
        let c = container(
            &[
                "--http-endpoint=$(EP)",
                "--p=$(LATER_REF)",
                "--q=$$(EP)",
                "--r=$(NOPE)",
            ],
            &env,
        );
        assert_eq!(port(&c, "--http-endpoint", true), Ok(9818));
        let ep = flag(&c, "--http-endpoint").unwrap().value.unwrap();
        assert_eq!(ep.display(), "[$(POD_IP)]:9818");
        assert_eq!(
            ep.used.iter().map(|u| u.0.as_str()).collect::<Vec<_>>(),
            ["EP"]
        );
        // Defined after the variable that refers to it: not expanded there.
        assert_eq!(
            port(&c, "--p", false),
            Err(PortError::Unknown(vec!["DEFINED_AFTER".into()]))
        );
        assert_eq!(
            port(&c, "--q", false),
            Err(PortError::Invalid("$(EP)".into()))
        );
        assert_eq!(
            port(&c, "--r", false),
            Err(PortError::Unknown(vec!["NOPE".into()]))
        );
    }

    #[test]
    fn self_doubling_variables_stay_bounded() {
        let mut env = vec![("V0".to_string(), Some("1".to_string()))];
        for i in 1..64 {
            env.push((format!("V{i}"), Some(format!("$(V{})$(V{})", i - 1, i - 1))));
        }
        let refs: Vec<(&str, Option<&str>)> = env
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_deref()))
            .collect();
        let c = container(&["--port=$(V63)"], &refs);
        let v = flag(&c, "--port").unwrap().value.unwrap();
        assert!(v.text.len() <= MAX_EXPANDED + 4, "{}", v.text.len());
        assert!(!v.is_known());
        assert!(v.used.len() <= 64);
    }

    #[test]
    fn address_forms() {
        let vars = BTreeMap::new();
        for (text, want) in [
            (":8080", Ok(8080)),
            ("0.0.0.0:9808", Ok(9808)),
            ("[::1]:9808", Ok(9808)),
            ("127.0.0.1", Err(PortError::Invalid("127.0.0.1".into()))),
            ("host:0", Err(PortError::Invalid("host:0".into()))),
            ("host:70000", Err(PortError::Invalid("host:70000".into()))),
        ] {
            assert_eq!(port_of(&expand(text, &vars), true), want, "{text}");
        }
        let unknown_host_only = expand("$(POD_IP)", &vars);
        assert_eq!(
            port_of(&unknown_host_only, true),
            Err(PortError::Unknown(vec!["POD_IP".into()]))
        );
    }

    #[test]
    fn booleans_as_go_reads_them() {
        let c = container(
            &[
                "--metrics",
                "--a=false",
                "--b=T",
                "--c=maybe",
                "--d",
                "false",
            ],
            &[],
        );
        assert!(matches!(bool_flag(&c, "--metrics"), Some(Ok((true, _)))));
        assert!(matches!(bool_flag(&c, "--a"), Some(Ok((false, _)))));
        assert!(matches!(bool_flag(&c, "--b"), Some(Ok((true, _)))));
        assert!(matches!(bool_flag(&c, "--c"), Some(Err(_))));
        // `--d false`: the flag is on; `false` is a positional argument.
        assert!(matches!(bool_flag(&c, "--d"), Some(Ok((true, _)))));
        assert!(bool_flag(&c, "--https_metrics").is_none());
    }
}
