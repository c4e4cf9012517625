//! firewalld zone (and service) XML files, into the shared layer model ([`crate::layers::Firewall`]).
//!
//! A zone file (`/etc/firewalld/zones/NAME.xml`) becomes one `Firewall` with the zone's bindings
//! and one `Input` chain holding what firewalld runs for a packet this zone handles, in
//! firewalld's order (see `zone::read_zone`). A service file is recognised and checked, but defines
//! no rules. What is not modelled becomes a [`Note`]; input firewalld itself would refuse becomes
//! a located PM000.

mod rich;
mod services;
#[cfg(test)]
mod tests;
mod values;
mod xml;
mod zone;

use crate::finding::Finding;
use crate::layers::{Firewall, FirewallFormat, Note};
use crate::source::{LineIndex, Loc, SourceFile};
use crate::yaml::Limits;
use std::sync::Arc;
use xml::Elem;

/// Root elements of firewalld's XML files (`firewalld.zone(5)`, `firewalld.service(5)`, ...).
const ROOTS: &[&str] = &[
    "zone",
    "service",
    "policy",
    "ipset",
    "icmptype",
    "helper",
    "direct",
    "whitelist",
];

/// Whether the text is in this format (recognised by content, not by file name): an XML
/// document (a `<?xml ...?>` declaration), or one whose root element is one of firewalld's,
/// after an optional BOM, whitespace, comments and DOCTYPE.
pub fn looks_like(text: &str) -> bool {
    let mut rest = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    let mut declared = false;
    loop {
        if let Some(r) = rest.strip_prefix("<?") {
            declared |= r.starts_with("xml");
            match r.find("?>") {
                Some(i) => rest = r.get(i + 2..).unwrap_or("").trim_start(),
                None => return declared,
            }
        } else if let Some(r) = rest.strip_prefix("<!--") {
            match r.find("-->") {
                Some(i) => rest = r.get(i + 3..).unwrap_or("").trim_start(),
                None => return declared,
            }
        } else if let Some(r) = rest.strip_prefix("<!DOCTYPE") {
            match r.find('>') {
                Some(i) => rest = r.get(i + 1..).unwrap_or("").trim_start(),
                None => return declared,
            }
        } else {
            break;
        }
    }
    let Some(r) = rest.strip_prefix('<') else {
        return declared;
    };
    let name: &str = r
        .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .next()
        .unwrap_or("");
    declared || ROOTS.contains(&name)
}

/// Reads one file. Problems become located findings; what could be read is kept.
pub fn read(file: &SourceFile, limits: &Limits) -> (Option<Firewall>, Vec<Finding>) {
    let mut ctx = Ctx {
        file: Arc::from(file.name.as_str()),
        index: LineIndex::new(&file.text),
        findings: Vec::new(),
    };
    if let Some((start, len)) = long_line(&file.text, limits.max_line_length) {
        ctx.error(
            format!(
                "line is {len} bytes, over the {}-byte limit",
                limits.max_line_length
            ),
            "firewalld writes one element per line; check that this is a zone file",
            ctx.span((start, start)),
        );
        return (None, ctx.findings);
    }
    let root = match xml::parse(&file.text, limits.max_depth) {
        Ok(root) => root,
        Err(e) => {
            let opened = e
                .opened
                .map(|o| format!(" (it opens at line {})", ctx.index.line_col(o).0))
                .unwrap_or_default();
            ctx.error(
                format!("not well-formed XML: {}{opened}", e.message),
                "fix the XML: firewalld refuses to load a file it cannot parse",
                ctx.span((e.offset, e.offset)),
            );
            return (None, ctx.findings);
        }
    };
    let fw = match root.name.as_str() {
        "zone" => Some(zone::read_zone(&mut ctx, &root, &file.name, &file.text)),
        "service" => Some(read_service(&mut ctx, &root, &file.name, &file.text)),
        other => {
            ctx.error(
                format!(
                    "root element <{other}>: portmatrix reads firewalld zone files (<zone>) and \
                     service files (<service>)"
                ),
                "pass the zone files (/etc/firewalld/zones/*.xml) of the nodes",
                ctx.tag(&root),
            );
            None
        }
    };
    (fw, ctx.findings)
}

/// The first line longer than `max` bytes: its start and length.
fn long_line(text: &str, max: usize) -> Option<(usize, usize)> {
    let mut start = 0;
    for line in text.split('\n') {
        if line.len() > max {
            return Some((start, line.len()));
        }
        start += line.len() + 1;
    }
    None
}

/// What the reader shares: the file's name and line index, and the findings so far.
pub(super) struct Ctx<'a> {
    file: Arc<str>,
    index: LineIndex<'a>,
    findings: Vec<Finding>,
}

impl Ctx<'_> {
    fn span(&self, (start, end): (usize, usize)) -> Loc {
        self.index.loc_in(&self.file, start, end)
    }

    /// The element's start tag.
    fn tag(&self, e: &Elem) -> Loc {
        self.span(e.tag)
    }

    /// The attribute's value, else the element's start tag.
    fn attr_loc(&self, e: &Elem, name: &str) -> Loc {
        e.attr(name)
            .map_or_else(|| self.tag(e), |a| self.span(a.span))
    }

    fn note(&self, message: impl Into<String>, loc: Loc) -> Note {
        Note {
            message: message.into(),
            loc,
        }
    }

    fn error(&mut self, message: impl Into<String>, help: impl Into<String>, loc: Loc) {
        self.findings.push(Finding::input_error(message, help, loc));
    }

    /// Notes for attributes firewalld does not define on this element.
    fn unknown_attrs(&self, e: &Elem) -> Vec<Note> {
        let allowed = allowed_attrs(&e.name);
        e.attrs
            .iter()
            .filter(|a| !allowed.contains(&a.name.as_str()))
            .map(|a| {
                self.note(
                    format!(
                        "<{}> has an attribute firewalld does not define ({}=\"{}\"): not \
                         modelled, and firewalld refuses to load a file with an unexpected \
                         attribute",
                        e.name, a.name, a.value
                    ),
                    self.span(a.span),
                )
            })
            .collect()
    }

    /// A note for an element firewalld does not define here.
    fn unknown_element(&self, e: &Elem, within: &str) -> Note {
        self.note(
            format!(
                "unknown element <{}> in <{within}>: not modelled, and firewalld refuses to load a \
                 file with an unexpected element (check it with `firewall-cmd --check-config`)",
                e.name
            ),
            self.tag(e),
        )
    }

    /// A required attribute, or a located error naming it.
    fn required<'e>(&mut self, e: &'e Elem, name: &str) -> Option<&'e str> {
        let value = e.value(name);
        if value.is_none() {
            self.error(
                format!("<{}> needs the attribute {name}=", e.name),
                "firewalld refuses to load a file with an incomplete element",
                self.tag(e),
            );
        }
        value
    }
}

/// Zone elements without attributes of their own.
pub(super) const ZONE_FLAGS: &[&str] = &["short", "description", "forward", "icmp-block-inversion"];

/// The attributes firewalld's parser accepts on each element (`PARSER_*_ELEMENT_ATTRS`).
pub(super) fn allowed_attrs(element: &str) -> &'static [&'static str] {
    match element {
        "zone" => &[
            "name",
            "immutable",
            "target",
            "version",
            "ingress-priority",
            "egress-priority",
        ],
        "service" | "interface" | "icmp-block" | "icmp-type" => &["name"],
        "port" | "source-port" => &["port", "protocol"],
        "protocol" => &["value"],
        "forward-port" => &["port", "protocol", "to-port", "to-addr"],
        "masquerade" => &["enabled"],
        "rule" => &["family", "priority"],
        "source" => &["address", "mac", "invert", "family", "ipset"],
        "destination" => &["address", "invert", "ipset"],
        "log" => &["prefix", "level"],
        "nflog" => &["group", "prefix", "queue-size"],
        "reject" => &["type"],
        "mark" => &["set"],
        "limit" | "tcp-mss-clamp" => &["value"],
        _ => &[],
    }
}

/// Joins notes into one (a rule carries at most one).
pub(super) fn merge(notes: Vec<Note>) -> Option<Note> {
    let mut it = notes.into_iter();
    let first = it.next()?;
    Some(it.fold(first, |mut acc, n| {
        acc.message.push_str("; ");
        acc.message.push_str(&n.message);
        acc
    }))
}

/// A `<service>` definition file: checked, and kept as a firewall without rules.
fn read_service(ctx: &mut Ctx, root: &Elem, file: &str, text: &str) -> Firewall {
    let mut notes = ctx.unknown_attrs(root);
    let mut opens: Vec<String> = Vec::new();
    for e in &root.children {
        notes.extend(ctx.unknown_attrs(e));
        match e.name.as_str() {
            "short" | "description" | "module" | "helper" | "include" | "destination" => {}
            "port" | "source-port" => {
                let (Some(p), Some(proto)) = (ctx.required(e, "port"), ctx.required(e, "protocol"))
                else {
                    continue;
                };
                if p.is_empty() {
                    // Old style: a protocol without a port.
                    opens.push(format!("protocol {proto}"));
                } else if let Some((range, _)) = zone::port_and_protocol(ctx, e, p, proto) {
                    let prefix = if e.name == "source-port" {
                        "source port "
                    } else {
                        ""
                    };
                    opens.push(format!("{prefix}{}/{proto}", values::port_text(range)));
                }
            }
            "protocol" => {
                if let Some(v) = ctx.required(e, "value") {
                    opens.push(format!("protocol {v}"));
                }
            }
            _ => notes.push(ctx.unknown_element(e, "service")),
        }
    }
    let name = zone::zone_name(file);
    notes.push(ctx.note(
        format!(
            "firewalld service definition `{name}` ({}): it defines no rules of its own, and zones \
             that name it are resolved only through firewalld's standard services",
            if opens.is_empty() {
                "nothing opened".to_string()
            } else {
                opens.join(", ")
            }
        ),
        ctx.tag(root),
    ));
    let first_line = text.find('\n').unwrap_or(text.len());
    Firewall {
        format: FirewallFormat::Firewalld,
        file: file.to_string(),
        loc: ctx.span((0, first_line)),
        chains: Vec::new(),
        notes,
        zone: None,
    }
}
