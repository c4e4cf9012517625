//! nftables rulesets as `nft -j list ruleset` prints them (JSON), into the shared layer model
//! ([`crate::layers::Firewall`]). The walk over tables, chains and sets is here; rule statements
//! are read by [`expr`].
//!
//! Only the `ip`, `ip6` and `inet` families and `filter` chains on the input, output and forward
//! hooks are modelled; everything else is kept as a [`Note`], never guessed.

mod combine;
mod expr;
mod render;
#[cfg(test)]
mod tests;
mod values;

use crate::finding::Finding;
use crate::layers::{Chain, Family, Firewall, FirewallFormat, FwAction, Hook, Note, Verdict};
use crate::source::{LineIndex, Loc, SourceFile};
use crate::yaml::{Limits, Node, Value};
use std::collections::HashMap;

/// How many first bytes and lines [`looks_like`] inspects.
const SNIFF_BYTES: usize = 4096;
const SNIFF_LINES: usize = 64;

const TEXT_FORM: &str =
    "this is the text form of `nft list ruleset`; pass `nft -j list ruleset` (JSON)";

/// Whether the text is in this format (recognised by content, not by file name): a JSON document
/// whose first key is `nftables`, or the text form of `nft list ruleset` (which [`read`] rejects
/// with a located error).
pub fn looks_like(text: &str) -> bool {
    is_json(text) || text_form_start(text).is_some()
}

fn is_json(text: &str) -> bool {
    let head = text.strip_prefix('\u{feff}').unwrap_or(text);
    let head = &head.as_bytes()[..head.len().min(SNIFF_BYTES)];
    let mut rest = skip_ws(head);
    let Some((b'{', after)) = rest.split_first() else {
        return false;
    };
    rest = skip_ws(after);
    rest.starts_with(b"\"nftables\"")
}

fn skip_ws(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
        .count();
    &b[n..]
}

/// The byte range of the first `table ... {` line when the text is an nft script or the text
/// form of `nft list ruleset` (comments, `flush ruleset`, `define` and `include` may come first).
fn text_form_start(text: &str) -> Option<(usize, usize)> {
    let mut offset = 0usize;
    for line in text.split_inclusive('\n').take(SNIFF_LINES) {
        let start = offset;
        offset += line.len();
        if start > SNIFF_BYTES * 4 {
            return None;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = trimmed.split_whitespace().take(6).collect();
        match words.as_slice() {
            ["flush", "ruleset", ..] | ["define", ..] | ["include", ..] => continue,
            ["table", .., "{"] if (3..=4).contains(&words.len()) => {
                let end = start + line.trim_end().len();
                return Some((start, end));
            }
            _ => return None,
        }
    }
    None
}

/// Reads one file. Problems become located findings; what could be read is kept.
pub fn read(file: &SourceFile, limits: &Limits) -> (Option<Firewall>, Vec<Finding>) {
    let mut findings = Vec::new();
    if !is_json(&file.text) {
        if let Some((start, end)) = text_form_start(&file.text) {
            let loc = LineIndex::new(&file.text).loc(&file.name, start, end);
            findings.push(Finding::input_error(
                TEXT_FORM,
                "export the ruleset as JSON with `nft -j list ruleset > FILE` and lint that file",
                loc,
            ));
            return (None, findings);
        }
    }
    // nft prints a 50,000-rule ruleset as one 17 MB line. Two streaming passes keep memory at
    // the declarations plus one rule: the first keeps tables, chains and sets (rules are only
    // checked), the second reads the rules one at a time, so that rules and jumps may refer to
    // anything the file declares.
    let not_rule = |key: &str| key != "rule";
    let mut decls: Vec<Node> = Vec::new();
    let first = crate::json::parse_streaming(
        &file.name,
        &file.text,
        limits,
        "nftables",
        &not_rule,
        &mut |n| decls.push(n),
    );
    let (root, warnings) = match first {
        Ok(x) => x,
        Err(e) => {
            findings.push(Finding::input_error(
                e.message,
                "fix the JSON syntax (is the file truncated?); regenerate it with `nft -j list ruleset`",
                e.loc,
            ));
            return (None, findings);
        }
    };
    for w in warnings {
        findings.push(Finding::input_error(
            w.message,
            "remove the repeated key",
            w.loc,
        ));
    }
    let fw = read_root(
        &file.name,
        file.text.len(),
        &root,
        &decls,
        &mut findings,
        |each| {
            let is_rule = |key: &str| key == "rule";
            // The text parsed once already: it cannot fail now.
            let _ = crate::json::parse_streaming(
                &file.name,
                &file.text,
                limits,
                "nftables",
                &is_rule,
                &mut |n| {
                    if is_rule_item(&n) {
                        each(&n)
                    }
                },
            );
        },
    );
    (fw, findings)
}

/// A table of the ruleset, with its chains and named sets.
struct Table<'a> {
    /// `None` for families that are not modelled (`arp`, `bridge`, `netdev`).
    family: Option<Family>,
    /// `inet filter`, for messages.
    label: String,
    name: String,
    chains: HashMap<String, Slot>,
    sets: HashMap<String, SetDef<'a>>,
}

/// What became of a chain.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// Modelled: its index in `Firewall::chains`.
    Filter(usize),
    /// Not a filter chain (nat, route) or unreadable: its rules are skipped without more notes.
    Skipped,
}

/// A named set or map: its elements stay nodes until a rule says what they are.
struct SetDef<'a> {
    id: usize,
    name: String,
    elems: Vec<&'a Node>,
    /// Flags `dynamic` or `timeout`: rules and timers change the elements at run time.
    dynamic: bool,
    /// Elements are concatenations (`type ipv4_addr . inet_service`).
    concat: bool,
}

fn family_of(s: &str) -> Option<Option<Family>> {
    match s {
        "ip" => Some(Some(Family::Ip4)),
        "ip6" => Some(Some(Family::Ip6)),
        "inet" => Some(Some(Family::Inet)),
        "arp" | "bridge" | "netdev" => Some(None),
        _ => None,
    }
}

/// The one key of an object such as `{"rule": {...}}`.
fn single_entry(node: &Node) -> Option<(&str, &Node)> {
    match node.as_map()? {
        [(k, v)] => Some((k.as_str()?, v)),
        _ => None,
    }
}

fn err(message: impl Into<String>, help: impl Into<String>, loc: &Loc) -> Box<Finding> {
    Box::new(Finding::input_error(message, help, loc.clone()))
}

fn req_str<'n>(obj: &'n Node, key: &str, what: &str) -> Result<&'n str, Box<Finding>> {
    match obj.get(key) {
        Some(v) => v.as_str().ok_or_else(|| {
            err(
                format!(
                    "`{key}` of a {what} must be a string, found {}",
                    v.type_name()
                ),
                format!("write the {what}'s `{key}` as a string"),
                &v.loc,
            )
        }),
        None => Err(err(
            format!("this {what} has no `{key}`"),
            format!("give the {what} its `{key}`, as `nft -j list ruleset` prints it"),
            &obj.loc,
        )),
    }
}

struct Reader<'a> {
    fw: Firewall,
    findings: Vec<Finding>,
    tables: Vec<Table<'a>>,
    /// `family\0name` to an index in `tables`.
    index: HashMap<String, usize>,
    /// A reused buffer for `index` keys.
    key: String,
    set_count: usize,
    /// Base chains on hooks that are not evaluated (prerouting, postrouting, ingress, egress).
    unevaluated: Vec<(usize, String)>,
    sets: expr::SetState,
}

/// Whether a list element is a `{"rule": ...}` object.
fn is_rule_item(n: &Node) -> bool {
    n.as_map()
        .is_some_and(|m| m.len() == 1 && m[0].0.as_str() == Some("rule"))
}

/// Reads the ruleset: `decls` are the list's elements other than rules, in file order;
/// `rules` hands each `{"rule": ...}` element to its callback, in file order.
fn read_root(
    file: &str,
    size: usize,
    root: &Node,
    decls: &[Node],
    findings: &mut Vec<Finding>,
    rules: impl FnOnce(&mut dyn FnMut(&Node)),
) -> Option<Firewall> {
    let items = match root.get("nftables") {
        Some(n) => match n.as_seq() {
            Some(_) => decls,
            None => {
                findings.push(*err(
                    format!("`nftables` must be a list, found {}", n.type_name()),
                    "pass the output of `nft -j list ruleset` unchanged",
                    &n.loc,
                ));
                return None;
            }
        },
        None => {
            findings.push(*err(
                "this JSON has no `nftables` list",
                "pass the output of `nft -j list ruleset` unchanged",
                &root.loc,
            ));
            return None;
        }
    };
    let mut r = Reader {
        fw: Firewall {
            format: FirewallFormat::Nftables,
            file: file.to_string(),
            loc: root.loc.clone(),
            chains: Vec::new(),
            notes: Vec::new(),
            zone: None,
        },
        findings: Vec::new(),
        tables: Vec::new(),
        index: HashMap::new(),
        key: String::new(),
        set_count: 0,
        unevaluated: Vec::new(),
        sets: expr::SetState::new(size),
    };
    // Tables, chains and sets first, so that rules and jumps may refer to any of them.
    for (i, item) in items.iter().enumerate() {
        let Some((mut kind, mut body)) = single_entry(item) else {
            r.findings.push(*err(
                format!(
                    "an entry of `nftables` must be an object with one key (`table`, `chain`, `rule`, ...), found {}",
                    item.type_name()
                ),
                "pass the output of `nft -j list ruleset` unchanged",
                &item.loc,
            ));
            continue;
        };
        if matches!(kind, "add" | "create") {
            match single_entry(body) {
                Some(inner) => (kind, body) = inner,
                None => {
                    r.note(
                        format!("`{kind}` command without one object: skipped"),
                        item,
                    );
                    continue;
                }
            }
        }
        match kind {
            "metainfo" => {}
            "table" => r.table(body),
            "chain" => r.chain(body),
            "set" | "map" => r.set(body),
            "element" => r.element(body),
            // Rules come in the second pass (an `add rule` command among them too).
            "rule" => r.rule(body),
            "flush" if i <= 1 && body.get("ruleset").is_some() => {}
            "counter" | "quota" | "limit" | "ct helper" | "ct timeout" | "ct expectation"
            | "flowtable" | "secmark" | "synproxy" => {}
            "insert" | "replace" | "delete" | "flush" | "rename" | "reset" | "list" | "destroy" => {
                r.note(
                    format!(
                        "the `{kind}` command is not applied: the file is read as a listed ruleset"
                    ),
                    item,
                )
            }
            other => r.note(format!("`{other}` objects are not modelled"), item),
        }
    }
    rules(&mut |item: &Node| {
        if let Some((_, body)) = single_entry(item) {
            r.rule(body);
        }
    });
    r.hook_notes();
    // In file order: set elements are read when a rule first uses the set.
    r.findings.sort_by_key(|f| f.loc.as_ref().map(|l| l.offset));
    findings.append(&mut r.findings);
    Some(r.fw)
}

impl<'a> Reader<'a> {
    fn note(&mut self, message: String, at: &Node) {
        self.fw.notes.push(Note {
            message,
            loc: at.loc.clone(),
        });
    }

    /// The index of the table a chain, set or rule belongs to, declared when the file never
    /// did. `Err(())` when the object is malformed (reported).
    fn table_of(&mut self, body: &Node, what: &str) -> Result<usize, ()> {
        match (req_str(body, "family", what), req_str(body, "table", what)) {
            (Ok(fam), Ok(table)) => Ok(self.table_index(fam, table, body)),
            (Err(e), _) | (_, Err(e)) => {
                self.findings.push(*e);
                Err(())
            }
        }
    }

    fn table_index(&mut self, fam: &str, name: &str, at: &Node) -> usize {
        self.key.clear();
        self.key.push_str(fam);
        self.key.push('\0');
        self.key.push_str(name);
        if let Some(&i) = self.index.get(self.key.as_str()) {
            return i;
        }
        let family = match family_of(fam) {
            Some(f) => f,
            None => {
                let loc = at.get("family").map_or(&at.loc, |n| &n.loc);
                self.findings.push(*err(
                    format!("unknown nftables family `{fam}`; table `{name}` is left out"),
                    "use one of ip, ip6, inet, arp, bridge, netdev",
                    loc,
                ));
                None
            }
        };
        if family.is_none() && family_of(fam).is_some() {
            self.note(
                format!(
                    "table `{fam} {name}` is not modelled: only the ip, ip6 and inet families are, but a `{fam}` table can still drop the traffic checked here"
                ),
                at,
            );
        }
        self.tables.push(Table {
            family,
            label: format!("{fam} {name}"),
            name: name.to_string(),
            chains: HashMap::new(),
            sets: HashMap::new(),
        });
        self.index.insert(self.key.clone(), self.tables.len() - 1);
        self.tables.len() - 1
    }

    fn table(&mut self, body: &Node) {
        match (
            req_str(body, "family", "table"),
            req_str(body, "name", "table"),
        ) {
            (Ok(fam), Ok(name)) => {
                self.table_index(fam, name, body);
            }
            (Err(e), _) | (_, Err(e)) => self.findings.push(*e),
        }
    }

    fn chain(&mut self, body: &'a Node) {
        let Ok(key) = self.table_of(body, "chain") else {
            return;
        };
        let name = match req_str(body, "name", "chain") {
            Ok(n) => n.to_string(),
            Err(e) => return self.findings.push(*e),
        };
        let Some(table) = self.tables.get(key) else {
            return;
        };
        if table.chains.contains_key(&name) {
            return; // `add chain` of an existing chain changes nothing
        }
        let Some(family) = table.family else {
            self.insert_chain(key, name, Slot::Skipped);
            return;
        };
        let label = format!("{} {name}", table.label);
        let table_name = table.name.clone();
        let slot = match self.chain_model(&label, table_name, &name, family, body) {
            Ok(Some((chain, unevaluated))) => {
                self.fw.chains.push(chain);
                let index = self.fw.chains.len() - 1;
                if let Some(hook) = unevaluated {
                    self.unevaluated.push((index, hook));
                }
                Slot::Filter(index)
            }
            Ok(None) => Slot::Skipped,
            Err(e) => {
                self.findings.push(*e);
                Slot::Skipped
            }
        };
        self.insert_chain(key, name, slot);
    }

    fn insert_chain(&mut self, key: usize, name: String, slot: Slot) {
        if let Some(t) = self.tables.get_mut(key) {
            t.chains.insert(name, slot);
        }
    }

    /// The chain as modelled, with the name of its hook when that hook is not evaluated; `None`
    /// for a chain that is not a filter chain (noted).
    fn chain_model(
        &mut self,
        label: &str,
        table: String,
        name: &str,
        family: Family,
        body: &Node,
    ) -> Result<Option<(Chain, Option<String>)>, Box<Finding>> {
        let mut chain = Chain {
            name: name.to_string(),
            table,
            family,
            hook: None,
            priority: 0,
            policy: Verdict::Accept,
            policy_loc: body.loc.clone(),
            loc: body.loc.clone(),
            rules: Vec::new(),
        };
        if body.get("hook").is_none() {
            return Ok(Some((chain, None))); // a user chain, reached by jump and goto
        }
        let hook = req_str(body, "hook", "chain")?;
        let kind = match body.get("type") {
            Some(_) => req_str(body, "type", "chain")?,
            None => "filter",
        };
        if kind != "filter" {
            self.note(
                format!(
                    "chain `{label}` is a `{kind}` chain, not a filter chain: not modelled (it may translate addresses or reroute packets before the filter chains see them)"
                ),
                body,
            );
            return Ok(None);
        }
        chain.priority = match body.get("prio") {
            None => 0,
            Some(p) => priority(p).ok_or_else(|| {
                err(
                    format!(
                        "`prio` of chain `{label}` must be an integer or a standard priority name, found {}",
                        describe(p)
                    ),
                    "write the priority as `nft -j list ruleset` prints it (an integer)",
                    &p.loc,
                )
            })?,
        };
        if let Some(p) = body.get("policy") {
            chain.policy = match p.as_str() {
                Some("accept") => Verdict::Accept,
                Some("drop") => Verdict::Drop,
                _ => {
                    return Err(err(
                        format!(
                            "`policy` of chain `{label}` must be `accept` or `drop`, found {}; the chain and its rules are left out",
                            describe(p)
                        ),
                        "write the policy as `accept` or `drop`",
                        &p.loc,
                    ))
                }
            };
            chain.policy_loc = p.loc.clone();
        }
        let unevaluated = match hook {
            "input" => {
                chain.hook = Some(Hook::Input);
                None
            }
            "output" => {
                chain.hook = Some(Hook::Output);
                None
            }
            "forward" => {
                chain.hook = Some(Hook::Forward);
                None
            }
            // Kept as a chain that is never entered; `hook_notes` says so when it can drop.
            other => Some(other.to_string()),
        };
        Ok(Some((chain, unevaluated)))
    }

    fn set(&mut self, body: &'a Node) {
        let Ok(key) = self.table_of(body, "set") else {
            return;
        };
        let name = match req_str(body, "name", "set") {
            Ok(n) => n.to_string(),
            Err(e) => return self.findings.push(*e),
        };
        let flags: Vec<&str> = match body.get("flags") {
            Some(f) => match &f.value {
                Value::Str(s) => vec![s.as_str()],
                Value::Seq(items) => items.iter().filter_map(Node::as_str).collect(),
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        let dynamic = flags.iter().any(|f| matches!(*f, "dynamic" | "timeout"))
            || body.get("timeout").is_some();
        let concat = matches!(body.get("type").map(|t| &t.value), Some(Value::Seq(_)))
            || body
                .get("type")
                .and_then(Node::as_str)
                .is_some_and(|t| t.contains(" . "));
        let id = self.set_count;
        self.set_count += 1;
        let mut def = SetDef {
            id,
            name: name.clone(),
            elems: Vec::new(),
            dynamic,
            concat,
        };
        if let Some(e) = body.get("elem") {
            push_elems(&mut def.elems, e);
        }
        if let Some(t) = self.tables.get_mut(key) {
            t.sets.entry(name).or_insert(def);
        }
    }

    fn element(&mut self, body: &'a Node) {
        let Ok(key) = self.table_of(body, "element") else {
            return;
        };
        let name = match req_str(body, "name", "element") {
            Ok(n) => n,
            Err(e) => return self.findings.push(*e),
        };
        let Some(table) = self.tables.get_mut(key) else {
            return;
        };
        if table.family.is_none() {
            return;
        }
        match table.sets.get_mut(name) {
            Some(def) => {
                if let Some(e) = body.get("elem") {
                    push_elems(&mut def.elems, e);
                }
            }
            None => self.findings.push(*err(
                format!(
                    "elements for set `{name}`, which table `{}` does not define",
                    table.label
                ),
                "define the set before adding elements to it",
                &body.loc,
            )),
        }
    }

    fn rule(&mut self, body: &Node) {
        let Ok(key) = self.table_of(body, "rule") else {
            return;
        };
        let chain_name = match req_str(body, "chain", "rule") {
            Ok(n) => n,
            Err(e) => return self.findings.push(*e),
        };
        let Some(table) = self.tables.get(key) else {
            return;
        };
        let Some(family) = table.family else {
            return;
        };
        let index = match table.chains.get(chain_name) {
            Some(Slot::Filter(i)) => *i,
            Some(Slot::Skipped) => return,
            None => {
                let loc = body.get("chain").map_or(&body.loc, |n| &n.loc);
                return self.findings.push(*err(
                    format!(
                        "rule for chain `{chain_name}`, which table `{}` does not define; the rule is left out",
                        table.label
                    ),
                    "list the chain before its rules, as `nft -j list ruleset` does",
                    loc,
                ));
            }
        };
        let exprs = match body.get("expr") {
            Some(e) => match e.as_seq() {
                Some(items) => items,
                None => {
                    return self.findings.push(*err(
                        format!(
                            "`expr` of a rule must be a list of statements, found {}; the rule is left out",
                            e.type_name()
                        ),
                        "write the rule's statements as a list",
                        &e.loc,
                    ))
                }
            },
            None => {
                return self.findings.push(*err(
                    "this rule has no `expr`; the rule is left out",
                    "give the rule its statements in `expr`",
                    &body.loc,
                ))
            }
        };
        let mut ctx = expr::Ctx {
            family,
            table,
            sets: &mut self.sets,
            findings: &mut self.findings,
        };
        match ctx.read_rule(body, exprs) {
            Ok(out) => {
                if let Some(n) = out.never {
                    self.fw.notes.push(n);
                }
                if let Some(chain) = self.fw.chains.get_mut(index) {
                    chain.rules.extend(out.rules);
                }
            }
            Err(e) => self.findings.push(*e),
        }
    }

    /// Filter chains on hooks portmatrix does not evaluate (prerouting, postrouting, ingress)
    /// that can drop traffic make the file's verdicts uncertain: say so.
    fn hook_notes(&mut self) {
        for (index, hook) in std::mem::take(&mut self.unevaluated) {
            let Some(chain) = self.fw.chains.get(index) else {
                continue;
            };
            let can_drop = chain.policy == Verdict::Drop
                || chain.rules.iter().any(|r| {
                    !matches!(r.action, FwAction::Accept | FwAction::Continue)
                        || r.partial.is_some()
                });
            if can_drop {
                let note = Note {
                    message: format!(
                        "chain `{} {}` filters on the `{hook}` hook, which portmatrix does not evaluate, and can drop packets there",
                        chain.table, chain.name
                    ),
                    loc: chain.loc.clone(),
                };
                self.fw.notes.push(note);
            }
        }
    }
}

fn push_elems<'a>(out: &mut Vec<&'a Node>, e: &'a Node) {
    match e.as_seq() {
        Some(items) => out.extend(items.iter()),
        None => out.push(e),
    }
}

/// A chain priority: an integer, or one of the standard names of the ip/inet families.
fn priority(p: &Node) -> Option<i32> {
    match &p.value {
        Value::Int(i) => i32::try_from(*i).ok(),
        Value::Str(s) => match s.as_str() {
            "raw" => Some(-300),
            "mangle" => Some(-150),
            "dstnat" => Some(-100),
            "filter" => Some(0),
            "security" => Some(50),
            "srcnat" => Some(100),
            _ => None,
        },
        _ => None,
    }
}

fn describe(n: &Node) -> String {
    match &n.value {
        Value::Str(s) => format!("`{s}`"),
        Value::Int(i) => format!("`{i}`"),
        _ => n.type_name().to_string(),
    }
}
