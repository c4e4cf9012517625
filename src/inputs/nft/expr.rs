//! The statements of one nft rule (`match`, verdicts, `vmap`, ...) into [`FwRule`]s.
//!
//! Conditions are folded into one [`FwMatch`] exactly (two conditions on one field intersect);
//! a condition with several disjoint values the model holds only one of (`meta l4proto { tcp,
//! udp }`, `iifname { "a", "b" }`) and verdict maps expand into one rule per value, all with the
//! rule's location. What cannot be modelled becomes the rule's `partial` note.

use super::combine::{apply, Clash, Cond};
use super::values::{parse_item, port, Bad, Kind, Vals};
use super::{err, render, single_entry, Slot, Table};
use crate::finding::Finding;
use crate::layers::{Family, FwAction, FwMatch, FwRule, Neg, Note};
use crate::source::Loc;
use crate::yaml::{Node, Value};
use std::collections::HashMap;
use std::rc::Rc;

/// Most rules one nft rule may expand into (value sets times verdict-map entries).
const MAX_ALTERNATIVES: usize = 256;

/// Named sets read so far, per set and kind, and the bound on copied values.
pub(super) struct SetState {
    cache: HashMap<(usize, Kind), Rc<Vals>>,
    /// Values that may still be copied into rules (from named sets and expansions); the bound
    /// keeps a few large sets referenced by many rules from costing quadratic memory.
    budget: usize,
}

impl SetState {
    pub(super) fn new(input_bytes: usize) -> Self {
        SetState {
            cache: HashMap::new(),
            budget: 1_000_000 + input_bytes / 8,
        }
    }
}

pub(super) struct Ctx<'r, 'a> {
    /// The family of the rule's chain (its table's).
    pub family: Family,
    pub table: &'r Table<'a>,
    pub sets: &'r mut SetState,
    /// Errors in named sets' elements (reported once, the element skipped).
    pub findings: &'r mut Vec<Finding>,
}

/// The rules one nft rule became, or why it never matches.
pub(super) struct Outcome {
    pub rules: Vec<FwRule>,
    pub never: Option<Note>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Saddr,
    Daddr,
    Sport,
    Dport,
    L4proto,
    Iif,
    Oif,
    Ct,
    Nfproto,
}

/// The left side of a match: a field of the model, or something else; either may imply a
/// family (`ip ...`) or a transport protocol (`tcp ...`).
struct Left<'n> {
    field: Option<Field>,
    family: Option<Family>,
    proto: Option<&'static str>,
    node: &'n Node,
}

impl Left<'_> {
    /// How nft writes it (`tcp flags`), for notes.
    fn what(&self) -> String {
        render::expr_text(self.node)
    }
}

/// One choice among disjoint values: its conditions and, for verdict maps, its verdict.
struct Alt {
    conds: Vec<Cond>,
    action: Option<FwAction>,
}

#[derive(Default)]
struct State {
    m: FwMatch,
    action: Option<FwAction>,
    notes: Vec<Note>,
    alts: Vec<Vec<Alt>>,
    never: Option<(String, Loc)>,
}

impl State {
    fn note(&mut self, message: impl Into<String>, loc: &Loc) {
        self.notes.push(Note {
            message: message.into(),
            loc: loc.clone(),
        });
    }
}

impl Ctx<'_, '_> {
    pub(super) fn read_rule(
        &mut self,
        rule: &Node,
        exprs: &[Node],
    ) -> Result<Outcome, Box<Finding>> {
        let text = render::rule(exprs);
        let mut st = State::default();
        for stmt in exprs {
            if st.action.is_some() || st.never.is_some() {
                break;
            }
            let Some((kind, body)) = single_entry(stmt) else {
                return Err(err(
                    format!(
                        "a statement must be an object with one key (`match`, `accept`, ...), found {}; the rule is left out",
                        stmt.type_name()
                    ),
                    "write the statement as `nft -j list ruleset` prints it",
                    &stmt.loc,
                ));
            };
            if let Some(action) = self.verdict(&mut st, kind, body, stmt)? {
                st.action = Some(action);
                continue;
            }
            match kind {
                "match" => self.match_stmt(&mut st, body)?,
                "vmap" => self.vmap(&mut st, body)?,
                "queue" => {
                    st.note(
                        "`queue` hands packets to a userspace program, whose verdict is unknown",
                        &stmt.loc,
                    );
                    st.action = Some(FwAction::Continue);
                }
                "snat" | "dnat" | "masquerade" | "redirect" | "tproxy" => st.note(
                    format!("`{kind}` (address translation) is not modelled"),
                    &stmt.loc,
                ),
                // Side effects only: evaluation goes on.
                "counter" | "log" | "limit" | "quota" | "mangle" | "notrack" | "flow" | "set"
                | "map" | "ct helper" | "ct timeout" | "ct expectation" | "secmark" | "last"
                | "dup" | "meter" => {}
                other => st.note(
                    format!("the `{other}` statement is not modelled"),
                    &stmt.loc,
                ),
            }
        }
        let action = st.action.clone().unwrap_or(FwAction::Continue);
        if let Some((reason, _)) = st.never.take() {
            return Ok(never(rule, &text, &reason));
        }
        let base = FwRule {
            loc: rule.loc.clone(),
            text,
            matches: std::mem::take(&mut st.m),
            action,
            partial: merge_notes(&st.notes),
        };
        if st.alts.is_empty() {
            self.charge(&base.matches);
            return Ok(Outcome {
                rules: vec![base],
                never: None,
            });
        }
        Ok(self.expand(base, st.alts, rule))
    }

    /// Takes the values a rule copies from the budget; false when it is spent.
    fn charge(&mut self, m: &FwMatch) -> bool {
        let cost = 1
            + m.src.as_ref().map_or(0, |n| n.value.len())
            + m.dst.as_ref().map_or(0, |n| n.value.len())
            + m.sport.as_ref().map_or(0, |n| n.value.len())
            + m.dport.as_ref().map_or(0, |n| n.value.len());
        if cost > self.sets.budget {
            return false;
        }
        self.sets.budget -= cost;
        true
    }

    /// One rule per combination of alternatives (disjoint values, verdict-map entries).
    fn expand(&mut self, base: FwRule, alts: Vec<Vec<Alt>>, rule: &Node) -> Outcome {
        let total = alts
            .iter()
            .try_fold(1usize, |acc, a| acc.checked_mul(a.len()))
            .unwrap_or(usize::MAX);
        let has_vmap = alts.iter().flatten().any(|a| a.action.is_some());
        let unexpanded = |reason: &str| {
            let mut r = base.clone();
            let mut notes: Vec<Note> = r.partial.take().into_iter().collect();
            notes.push(Note {
                message: format!(
                    "{reason}: the condition over several values{} is left out",
                    if has_vmap { " and its verdict map" } else { "" }
                ),
                loc: rule.loc.clone(),
            });
            r.partial = merge_notes(&notes);
            if has_vmap {
                r.action = FwAction::Continue;
            }
            r
        };
        if total == 0 {
            return never(rule, &base.text, "a verdict map or value set is empty");
        }
        if total > MAX_ALTERNATIVES {
            let r = unexpanded(&format!(
                "the rule stands for {total} combinations of values, more than {MAX_ALTERNATIVES}"
            ));
            return Outcome {
                rules: vec![r],
                never: None,
            };
        }
        let mut rules = Vec::new();
        let mut index = vec![0usize; alts.len()];
        'combos: loop {
            let mut r = base.clone();
            let mut notes: Vec<Note> = r.partial.take().into_iter().collect();
            let mut possible = true;
            for (dim, &i) in alts.iter().zip(&index) {
                let Some(alt) = dim.get(i) else { continue };
                for c in &alt.conds {
                    match apply(&mut r.matches, self.family, c.clone()) {
                        Ok(()) => {}
                        Err(Clash::Never(_)) => possible = false,
                        Err(Clash::Unmodelled(m)) => notes.push(Note {
                            message: m,
                            loc: rule.loc.clone(),
                        }),
                    }
                }
                if let Some(a) = &alt.action {
                    r.action = a.clone();
                }
            }
            if possible {
                if !self.charge(&r.matches) {
                    let r = unexpanded("too many values copied into rules for one file");
                    return Outcome {
                        rules: vec![r],
                        never: None,
                    };
                }
                r.partial = merge_notes(&notes);
                rules.push(r);
            }
            // The next combination, odometer style.
            for (d, i) in index.iter_mut().enumerate().rev() {
                *i += 1;
                if *i < alts.get(d).map_or(0, Vec::len) {
                    continue 'combos;
                }
                *i = 0;
            }
            break;
        }
        if rules.is_empty() {
            return never(
                rule,
                &base.text,
                "no value of its sets fits its other conditions",
            );
        }
        Outcome { rules, never: None }
    }

    /// A verdict statement (`accept`, `jump`, ...); `None` for other statements.
    /// A verdict (`accept`, `jump`, ...); `None` for other statements. A jump to a chain that
    /// is not modelled (a nat chain, one left out for an error) continues, with a note.
    fn verdict(
        &self,
        st: &mut State,
        kind: &str,
        body: &Node,
        stmt: &Node,
    ) -> Result<Option<FwAction>, Box<Finding>> {
        Ok(Some(match kind {
            "accept" => FwAction::Accept,
            "drop" => FwAction::Drop,
            "reject" => FwAction::Reject,
            "return" => FwAction::Return,
            "continue" => FwAction::Continue,
            "jump" | "goto" => {
                let target = match body.get("target") {
                    Some(t) => t.as_str().ok_or_else(|| {
                        err(
                            format!(
                                "the target of `{kind}` must be a chain name, found {}; the rule is left out",
                                t.type_name()
                            ),
                            "write the target chain's name as a string",
                            &t.loc,
                        )
                    })?,
                    None => {
                        return Err(err(
                            format!("`{kind}` without a `target`; the rule is left out"),
                            "name the chain to jump to in `target`",
                            &stmt.loc,
                        ))
                    }
                };
                match self.table.chains.get(target) {
                    Some(Slot::Filter(_)) => {}
                    Some(Slot::Skipped) => {
                        st.note(
                            format!("`{kind}` to chain `{target}`, which is not modelled"),
                            &stmt.loc,
                        );
                        return Ok(Some(FwAction::Continue));
                    }
                    None => {
                        return Err(err(
                            format!(
                                "`{kind}` to chain `{target}`, which table `{}` does not define; the rule is left out",
                                self.table.label
                            ),
                            "define the chain, or fix the target's name",
                            &stmt.loc,
                        ))
                    }
                }
                if kind == "jump" {
                    FwAction::Jump(target.to_string())
                } else {
                    FwAction::Goto(target.to_string())
                }
            }
            _ => return Ok(None),
        }))
    }

    fn match_stmt(&mut self, st: &mut State, body: &Node) -> Result<(), Box<Finding>> {
        let (Some(left), Some(right)) = (body.get("left"), body.get("right")) else {
            return Err(err(
                "a `match` needs `left` and `right`; the rule is left out",
                "write the match as `nft -j list ruleset` prints it",
                &body.loc,
            ));
        };
        let op = match body.get("op") {
            None => "==",
            Some(o) => o.as_str().ok_or_else(|| {
                err(
                    format!(
                        "`op` of a match must be a string, found {}; the rule is left out",
                        o.type_name()
                    ),
                    "write the operator as `==`, `!=`, `in`, ...",
                    &o.loc,
                )
            })?,
        };
        let key = left_key(left);
        self.implied(st, &key, &left.loc);
        let Some(field) = key.field else {
            st.note(format!("`{}` is not modelled", key.what()), &left.loc);
            return Ok(());
        };
        let negated = match op {
            "==" | "in" => false,
            "!=" => true,
            "<" | "<=" | ">" | ">=" | "⇐" if matches!(field, Field::Sport | Field::Dport) => {
                return self.port_compare(st, field, op, right);
            }
            _ => {
                st.note(
                    format!("`{} {op} ...` is not modelled", key.what()),
                    &body.loc,
                );
                return Ok(());
            }
        };
        let vals = match self.values(st, kind_of(field, key.family), right) {
            Ok(v) => v,
            Err(Bad::Input(f)) => return Err(left_out(f)),
            Err(Bad::Unmodelled(m, loc)) => {
                st.note(m, &loc);
                return Ok(());
            }
        };
        match conds(field, negated, vals) {
            Ok(Conds::All(cs)) => self.add(st, cs, &right.loc),
            Ok(Conds::Alts(cs)) => st.alts.push(
                cs.into_iter()
                    .map(|c| Alt {
                        conds: vec![c],
                        action: None,
                    })
                    .collect(),
            ),
            Err(Clash::Never(reason)) => st.never = Some((reason, right.loc.clone())),
            Err(Clash::Unmodelled(m)) => st.note(m, &right.loc),
        }
        Ok(())
    }

    /// The family and transport protocol that a header match depends on.
    fn implied(&self, st: &mut State, key: &Left, loc: &Loc) {
        let mut cs = Vec::new();
        if let Some(f) = key.family {
            cs.push(Cond::Family(f));
        }
        if let Some(p) = key.proto {
            cs.push(Cond::Proto(Neg::is(p.to_string())));
        }
        self.add(st, cs, loc);
    }

    fn add(&self, st: &mut State, cs: Vec<Cond>, loc: &Loc) {
        for c in cs {
            match apply(&mut st.m, self.family, c) {
                Ok(()) => {}
                Err(Clash::Never(reason)) => {
                    st.never = Some((reason, loc.clone()));
                    return;
                }
                Err(Clash::Unmodelled(m)) => st.note(m, loc),
            }
        }
    }

    /// `tcp dport < 1024` and its kin.
    fn port_compare(
        &mut self,
        st: &mut State,
        field: Field,
        op: &str,
        right: &Node,
    ) -> Result<(), Box<Finding>> {
        let p = match port(right) {
            Ok(p) => p,
            Err(Bad::Input(f)) => return Err(left_out(f)),
            Err(Bad::Unmodelled(m, loc)) => {
                st.note(m, &loc);
                return Ok(());
            }
        };
        let range = match op {
            "<" if p == 0 => None,
            "<" => Some((0, p - 1)),
            ">" if p == u16::MAX => None,
            ">" => Some((p + 1, u16::MAX)),
            ">=" => Some((p, u16::MAX)),
            _ => Some((0, p)), // `<=`, which older nft writes `⇐`
        };
        let Some(range) = range else {
            st.never = Some((format!("no port is {op} {p}"), right.loc.clone()));
            return Ok(());
        };
        let c = if field == Field::Sport {
            Cond::Sport(Neg::is(vec![range]))
        } else {
            Cond::Dport(Neg::is(vec![range]))
        };
        self.add(st, vec![c], &right.loc);
        Ok(())
    }

    fn vmap(&mut self, st: &mut State, body: &Node) -> Result<(), Box<Finding>> {
        let (Some(key_node), Some(data)) = (body.get("key"), body.get("data")) else {
            return Err(err(
                "a `vmap` needs `key` and `data`; the rule is left out",
                "write the verdict map as `nft -j list ruleset` prints it",
                &body.loc,
            ));
        };
        let key = left_key(key_node);
        self.implied(st, &key, &key_node.loc);
        st.action = Some(FwAction::Continue);
        let Some(field) = key.field else {
            st.note(
                format!("a verdict map over `{}` is not modelled", key.what()),
                &key_node.loc,
            );
            return Ok(());
        };
        let pairs: Vec<&Node> = match (&data.value, single_entry(data)) {
            (Value::Str(s), _) if s.starts_with('@') => {
                let name = &s[1..];
                let Some(def) = self.table.sets.get(name) else {
                    return Err(left_out(undefined_set(name, &self.table.label, &data.loc)));
                };
                if def.dynamic {
                    st.note(dynamic_note(name), &data.loc);
                }
                def.elems.clone()
            }
            (_, Some(("set", items))) => match items.as_seq() {
                Some(items) => items.iter().collect(),
                None => vec![items],
            },
            _ => {
                st.note("a verdict map of this form is not modelled", &data.loc);
                return Ok(());
            }
        };
        let kind = kind_of(field, key.family);
        let mut alts = Vec::with_capacity(pairs.len());
        for pair in pairs {
            let (k, v) = match pair.as_seq() {
                Some([k, v]) => (k, v),
                _ => {
                    return Err(err(
                        format!(
                            "an entry of a verdict map must be a [key, verdict] pair, found {}; the rule is left out",
                            pair.type_name()
                        ),
                        "write each entry as [key, {\"accept\": null}]",
                        &pair.loc,
                    ))
                }
            };
            let action = match single_entry(v) {
                Some((vk, vb)) => self.verdict(st, vk, vb, v)?,
                None => None,
            };
            let Some(action) = action else {
                return Err(err(
                    "the value of a verdict map entry must be a verdict (`accept`, `drop`, `jump`, ...); the rule is left out",
                    "write the verdict as {\"accept\": null} or {\"jump\": {\"target\": \"chain\"}}",
                    &v.loc,
                ));
            };
            let mut vals = Vals::empty(kind);
            match parse_item(kind, k, &mut vals, 0) {
                Ok(()) => {}
                Err(Bad::Input(f)) => return Err(left_out(f)),
                Err(Bad::Unmodelled(m, loc)) => {
                    st.note(m, &loc);
                    return Ok(());
                }
            }
            match conds(field, false, vals) {
                Ok(Conds::All(conds)) => alts.push(Alt {
                    conds,
                    action: Some(action),
                }),
                Ok(Conds::Alts(cs)) => alts.extend(cs.into_iter().map(|c| Alt {
                    conds: vec![c],
                    action: Some(action.clone()),
                })),
                Err(Clash::Never(_)) => {}
                Err(Clash::Unmodelled(m)) => {
                    st.note(m, &k.loc);
                    return Ok(());
                }
            }
        }
        st.alts.push(alts);
        Ok(())
    }

    /// The values on the right of a match: a literal, a prefix, a range, an anonymous set, a
    /// list, or a named set (`@name`).
    fn values(&mut self, st: &mut State, kind: Kind, right: &Node) -> Result<Vals, Bad> {
        if let Value::Str(s) = &right.value {
            if let Some(name) = s.strip_prefix('@') {
                return self.named(st, kind, name, right).map(|v| (*v).clone());
            }
        }
        let items: Vec<&Node> = match (&right.value, single_entry(right)) {
            (Value::Seq(items), _) => items.iter().collect(),
            (_, Some(("set", set))) => match set.as_seq() {
                Some(items) => items.iter().collect(),
                None => vec![set],
            },
            _ => vec![right],
        };
        let mut vals = Vals::empty(kind);
        for item in items {
            parse_item(kind, item, &mut vals, 0)?;
        }
        Ok(vals)
    }

    fn named(
        &mut self,
        st: &mut State,
        kind: Kind,
        name: &str,
        at: &Node,
    ) -> Result<Rc<Vals>, Bad> {
        let Some(def) = self.table.sets.get(name) else {
            return Err(Bad::Input(undefined_set(name, &self.table.label, &at.loc)));
        };
        if def.concat {
            return Err(Bad::Unmodelled(
                format!("set `@{name}` has concatenated elements, which are not modelled"),
                at.loc.clone(),
            ));
        }
        if def.dynamic {
            st.note(dynamic_note(name), &at.loc);
        }
        let vals = match self.sets.cache.get(&(def.id, kind)) {
            Some(v) => v.clone(),
            None => {
                let mut vals = Vals::empty(kind);
                for e in &def.elems {
                    match parse_item(kind, e, &mut vals, 0) {
                        Ok(()) => {}
                        Err(Bad::Input(mut f)) => {
                            f.message = format!(
                                "in set `{}`: {}; the element is left out",
                                def.name, f.message
                            );
                            self.findings.push(*f);
                        }
                        Err(Bad::Unmodelled(m, loc)) => {
                            return Err(Bad::Unmodelled(format!("set `@{name}`: {m}"), loc))
                        }
                    }
                }
                let vals = Rc::new(vals);
                self.sets.cache.insert((def.id, kind), vals.clone());
                vals
            }
        };
        if vals.len() > self.sets.budget {
            return Err(Bad::Unmodelled(
                format!(
                    "set `@{name}` ({} elements) is referenced too often to copy it into every rule",
                    vals.len()
                ),
                at.loc.clone(),
            ));
        }
        self.sets.budget -= vals.len();
        Ok(vals)
    }
}

/// An error in a value of a rule: the rule is not modelled.
fn left_out(mut f: Box<Finding>) -> Box<Finding> {
    f.message.push_str("; the rule is left out");
    f
}

fn never(rule: &Node, text: &str, reason: &str) -> Outcome {
    Outcome {
        rules: Vec::new(),
        never: Some(Note {
            message: format!("rule `{text}` never matches ({reason}); it is left out"),
            loc: rule.loc.clone(),
        }),
    }
}

fn undefined_set(name: &str, table: &str, loc: &Loc) -> Box<Finding> {
    err(
        format!("set `@{name}` is not defined in table `{table}`"),
        "define the set in the rule's table, or fix its name",
        loc,
    )
}

fn dynamic_note(name: &str) -> String {
    format!("set `@{name}` changes at run time (flags dynamic or timeout): its elements as dumped may not be the ones in force")
}

/// One note out of several: the first's location, the messages joined.
fn merge_notes(notes: &[Note]) -> Option<Note> {
    let first = notes.first()?;
    let mut message = String::new();
    for (i, n) in notes.iter().enumerate() {
        if i == 3 {
            message.push_str(&format!("; and {} more", notes.len() - 3));
            break;
        }
        if i > 0 {
            message.push_str("; ");
        }
        message.push_str(&n.message);
    }
    Some(Note {
        message,
        loc: first.loc.clone(),
    })
}

fn kind_of(field: Field, family: Option<Family>) -> Kind {
    match field {
        Field::Saddr | Field::Daddr => Kind::Addr(family),
        Field::Sport | Field::Dport => Kind::Port,
        Field::L4proto => Kind::Proto,
        Field::Iif | Field::Oif => Kind::Iface,
        Field::Ct => Kind::Ct,
        Field::Nfproto => Kind::Nfproto,
    }
}

fn transport(p: &str) -> Option<&'static str> {
    Some(match p {
        "tcp" => "TCP",
        "udp" => "UDP",
        "sctp" => "SCTP",
        "udplite" => "udplite",
        "dccp" => "dccp",
        "icmp" => "ICMP",
        "icmpv6" => "ICMPv6",
        _ => return None,
    })
}

fn left_key(node: &Node) -> Left<'_> {
    let other = |family, proto| Left {
        field: None,
        family,
        proto,
        node,
    };
    let Some((kind, body)) = single_entry(node) else {
        return other(None, None);
    };
    let str_of = |k: &str| body.get(k).and_then(Node::as_str);
    let known = |field, family, proto| Left {
        field: Some(field),
        family,
        proto,
        node,
    };
    match kind {
        "payload" => {
            if let Some(base) = str_of("base") {
                let int = |k: &str| match body.get(k).map(|n| &n.value) {
                    Some(Value::Int(i)) => Some(*i),
                    _ => None,
                };
                return match (base, int("offset"), int("len")) {
                    ("th", Some(0), Some(16)) => known(Field::Sport, None, None),
                    ("th", Some(16), Some(16)) => known(Field::Dport, None, None),
                    _ => other(None, None),
                };
            }
            let (Some(proto), Some(field)) = (str_of("protocol"), str_of("field")) else {
                return other(None, None);
            };
            match (proto, field) {
                ("ip", "saddr") => known(Field::Saddr, Some(Family::Ip4), None),
                ("ip", "daddr") => known(Field::Daddr, Some(Family::Ip4), None),
                ("ip", "protocol") => known(Field::L4proto, Some(Family::Ip4), None),
                ("ip", _) => other(Some(Family::Ip4), None),
                ("ip6", "saddr") => known(Field::Saddr, Some(Family::Ip6), None),
                ("ip6", "daddr") => known(Field::Daddr, Some(Family::Ip6), None),
                ("ip6", "nexthdr") => known(Field::L4proto, Some(Family::Ip6), None),
                ("ip6", _) => other(Some(Family::Ip6), None),
                ("th", "sport") => known(Field::Sport, None, None),
                ("th", "dport") => known(Field::Dport, None, None),
                ("icmp", _) => other(Some(Family::Ip4), transport(proto)),
                ("icmpv6", _) => other(Some(Family::Ip6), transport(proto)),
                (p, "sport") if transport(p).is_some() => known(Field::Sport, None, transport(p)),
                (p, "dport") if transport(p).is_some() => known(Field::Dport, None, transport(p)),
                (p, _) => other(None, transport(p)),
            }
        }
        "meta" => match str_of("key") {
            Some("l4proto") => known(Field::L4proto, None, None),
            Some("iifname") | Some("iif") => known(Field::Iif, None, None),
            Some("oifname") | Some("oif") => known(Field::Oif, None, None),
            Some("nfproto") | Some("protocol") => known(Field::Nfproto, None, None),
            _ => other(None, None),
        },
        "ct" if str_of("key") == Some("state") && body.get("dir").is_none() => {
            known(Field::Ct, None, None)
        }
        _ => other(None, None),
    }
}

enum Conds {
    /// All of these hold.
    All(Vec<Cond>),
    /// One of these holds (disjoint values of a field the model holds one of).
    Alts(Vec<Cond>),
}

fn conds(field: Field, negated: bool, vals: Vals) -> Result<Conds, Clash> {
    fn neg<T>(negated: bool, value: T) -> Neg<T> {
        Neg { negated, value }
    }
    if vals.len() == 0 {
        return if negated {
            Ok(Conds::All(Vec::new()))
        } else {
            Err(Clash::Never("it matches an empty set".to_string()))
        };
    }
    Ok(Conds::All(vec![match (field, vals) {
        (Field::Saddr, Vals::Addrs(a)) => Cond::Src(neg(negated, a)),
        (Field::Daddr, Vals::Addrs(a)) => Cond::Dst(neg(negated, a)),
        (Field::Sport, Vals::Ports(p)) => Cond::Sport(neg(negated, p)),
        (Field::Dport, Vals::Ports(p)) => Cond::Dport(neg(negated, p)),
        (Field::Ct, Vals::Ct(c)) => Cond::Ct(neg(negated, c)),
        (Field::L4proto | Field::Iif | Field::Oif, Vals::Names(mut names)) => {
            names.sort();
            names.dedup();
            let make = |n: String| match field {
                Field::L4proto => Cond::Proto(Neg { negated, value: n }),
                Field::Iif => Cond::Iif(Neg { negated, value: n }),
                _ => Cond::Oif(Neg { negated, value: n }),
            };
            if let [one] = names.as_slice() {
                make(one.clone())
            } else if negated {
                return Err(Clash::Unmodelled(format!(
                    "excluding several values at once (`!= {{ {} }}`) is not modelled",
                    names.join(", ")
                )));
            } else if field != Field::L4proto && names.iter().any(|n| n.ends_with('*')) {
                // Wildcards may overlap: the alternatives would not be disjoint.
                return Err(Clash::Unmodelled(format!(
                    "a set of interface names with wildcards (`{{ {} }}`) is not modelled",
                    names.join(", ")
                )));
            } else {
                return Ok(Conds::Alts(names.into_iter().map(make).collect()));
            }
        }
        (Field::Nfproto, Vals::Fams(mut fams)) => {
            fams.sort_by_key(|f| *f as u8);
            fams.dedup();
            return match (fams.as_slice(), negated) {
                ([f], false) => Ok(Conds::All(vec![Cond::Family(*f)])),
                ([Family::Ip4], true) => Ok(Conds::All(vec![Cond::Family(Family::Ip6)])),
                ([Family::Ip6], true) => Ok(Conds::All(vec![Cond::Family(Family::Ip4)])),
                (_, false) => Ok(Conds::All(Vec::new())),
                (_, true) => Err(Clash::Never("it excludes both IPv4 and IPv6".to_string())),
            };
        }
        _ => {
            return Err(Clash::Unmodelled(
                "values of an unexpected type".to_string(),
            ))
        }
    }]))
}
