use super::*;
use crate::layers::{CtState, FwMatch, FwRule, Neg};
use crate::net::parse_cidr;

fn read_text(text: &str) -> (Option<Firewall>, Vec<Finding>) {
    read(&SourceFile::new("nft.json", text), &Limits::default())
}

/// A ruleset with an inet filter table, an input base chain (line 4) and a user chain `svc`
/// (line 5); `extra` objects follow, one per line from line 6.
fn ruleset(extra: &[String]) -> String {
    let mut out = String::from("{\"nftables\": [\n");
    out.push_str("{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": \"Lester Gooch #5\", \"json_schema_version\": 1}},\n");
    out.push_str("{\"table\": {\"family\": \"inet\", \"name\": \"filter\", \"handle\": 1}},\n");
    out.push_str("{\"chain\": {\"family\": \"inet\", \"table\": \"filter\", \"name\": \"input\", \"handle\": 1, \"type\": \"filter\", \"hook\": \"input\", \"prio\": 0, \"policy\": \"drop\"}},\n");
    out.push_str("{\"chain\": {\"family\": \"inet\", \"table\": \"filter\", \"name\": \"svc\", \"handle\": 2}}");
    for e in extra {
        out.push_str(",\n");
        out.push_str(e);
    }
    out.push_str("\n]}\n");
    out
}

/// A rule of `inet filter input` with these statements.
fn rule(exprs: &str) -> String {
    rule_in("input", exprs)
}

fn rule_in(chain: &str, exprs: &str) -> String {
    format!("{{\"rule\": {{\"family\": \"inet\", \"table\": \"filter\", \"chain\": \"{chain}\", \"handle\": 9, \"expr\": [{exprs}]}}}}")
}

fn pl(protocol: &str, field: &str, right: &str) -> String {
    format!("{{\"match\": {{\"op\": \"==\", \"left\": {{\"payload\": {{\"protocol\": \"{protocol}\", \"field\": \"{field}\"}}}}, \"right\": {right}}}}}")
}

fn meta(key: &str, op: &str, right: &str) -> String {
    format!("{{\"match\": {{\"op\": \"{op}\", \"left\": {{\"meta\": {{\"key\": \"{key}\"}}}}, \"right\": {right}}}}}")
}

const ACCEPT: &str = "{\"accept\": null}";

/// Reads a ruleset that must have no findings; returns the rules of `inet filter input`.
fn input_rules(extra: &[String]) -> Vec<FwRule> {
    let (fw, findings) = read_text(&ruleset(extra));
    assert!(findings.is_empty(), "{findings:#?}");
    chain(&fw.expect("a firewall"), "input").rules.clone()
}

fn chain<'f>(fw: &'f Firewall, name: &str) -> &'f Chain {
    fw.chains
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no chain {name}"))
}

fn cidrs(list: &[&str]) -> Vec<AddrRange> {
    list.iter().map(|c| parse_cidr(c).unwrap()).collect()
}

use crate::net::AddrRange;

fn range4(lo: [u8; 4], hi: [u8; 4]) -> AddrRange {
    AddrRange {
        v6: false,
        lo: u32::from(std::net::Ipv4Addr::from(lo)) as u128,
        hi: u32::from(std::net::Ipv4Addr::from(hi)) as u128,
    }
}

// --- recognition -------------------------------------------------------------------------------

#[test]
fn recognises_nft_json_and_the_text_form_only() {
    assert!(looks_like("{\"nftables\": [{\"metainfo\": {}}]}"));
    assert!(looks_like("\u{feff}\n  {\n  \"nftables\": []}"));
    assert!(looks_like("table inet filter {\n\tchain input {\n"));
    assert!(looks_like(
        "#!/usr/sbin/nft -f\n\nflush ruleset\n\ntable inet filter {\n"
    ));
    assert!(looks_like("table filter {\n}\n"));
    // Kubernetes JSON that mentions nftables, YAML, iptables-save: not this format.
    assert!(!looks_like(
        "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"data\": {\"nftables\": \"x\"}}"
    ));
    assert!(!looks_like("apiVersion: v1\nkind: ConfigMap\n"));
    assert!(!looks_like("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"));
    assert!(!looks_like("# table inet filter {\n"));
    assert!(!looks_like(""));
}

#[test]
fn rejects_the_text_form_with_a_located_error() {
    let text = "#!/usr/sbin/nft -f\nflush ruleset\n\ntable inet filter {\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n\t}\n}\n";
    let (fw, findings) = read_text(text);
    assert!(fw.is_none());
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert!(f.is_input_error());
    assert!(
        f.message.contains("pass `nft -j list ruleset` (JSON)"),
        "{}",
        f.message
    );
    let loc = f.loc.as_ref().unwrap();
    assert_eq!((loc.line, loc.column), (4, 1));
}

// --- tables, chains, sets ----------------------------------------------------------------------

/// `nft -j list ruleset` of a real ruleset (nft 1.0.6), as nft prints it: one line.
const REAL: &str = r#"{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "inet", "name": "filter", "handle": 1}}, {"set": {"family": "inet", "name": "storage", "table": "filter", "type": "ipv4_addr", "handle": 5, "flags": ["interval"], "elem": [{"prefix": {"addr": "10.0.0.0", "len": 24}}, {"range": ["10.1.0.1", "10.1.0.5"]}, "192.168.1.5"]}}, {"chain": {"family": "inet", "table": "filter", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}}, {"chain": {"family": "inet", "table": "filter", "name": "sub", "handle": 2}}, {"chain": {"family": "inet", "table": "filter", "name": "pre", "handle": 4, "type": "filter", "hook": "prerouting", "prio": -150, "policy": "accept"}}, {"rule": {"family": "inet", "table": "filter", "chain": "input", "handle": 6, "expr": [{"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}}, {"accept": null}]}}, {"rule": {"family": "inet", "table": "filter", "chain": "input", "handle": 9, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "10.0.0.0", "len": 24}}}}, {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 2049}}, {"counter": {"packets": 0, "bytes": 0}}, {"accept": null}]}}, {"rule": {"family": "inet", "table": "filter", "chain": "input", "handle": 11, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "@storage"}}, {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": {"set": [111, 2049, {"range": [3000, 3100]}]}}}, {"accept": null}]}}, {"rule": {"family": "inet", "table": "filter", "chain": "input", "handle": 19, "expr": [{"jump": {"target": "sub"}}]}}, {"rule": {"family": "inet", "table": "filter", "chain": "sub", "handle": 23, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 9800}}, {"return": null}]}}, {"table": {"family": "ip", "name": "nat", "handle": 2}}, {"chain": {"family": "ip", "table": "nat", "name": "post", "handle": 1, "type": "nat", "hook": "postrouting", "prio": 100, "policy": "accept"}}, {"rule": {"family": "ip", "table": "nat", "chain": "post", "handle": 2, "expr": [{"masquerade": null}]}}]}"#;

#[test]
fn reads_a_real_one_line_dump() {
    let (fw, findings) = read_text(REAL);
    assert!(findings.is_empty(), "{findings:#?}");
    let fw = fw.unwrap();
    assert_eq!(fw.format, FirewallFormat::Nftables);
    assert_eq!(fw.file, "nft.json");
    let names: Vec<&str> = fw.chains.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["input", "sub", "pre"],
        "the nat chain is not a filter chain"
    );
    let input = chain(&fw, "input");
    assert_eq!(
        (input.hook, input.policy, input.priority, input.family),
        (Some(Hook::Input), Verdict::Drop, 0, Family::Inet)
    );
    assert_eq!(input.table, "filter");
    // The policy is located at its value, on the one line.
    let at = &REAL[input.policy_loc.offset..input.policy_loc.offset + input.policy_loc.len];
    assert_eq!(at, "\"drop\"");
    assert_eq!(input.policy_loc.line, 1);
    assert_eq!(input.rules.len(), 4);
    let r = &input.rules[1];
    assert_eq!(r.text, "ip saddr 10.0.0.0/24 tcp dport 2049 counter accept");
    assert!(REAL[r.loc.offset..].starts_with(
        "{\"family\": \"inet\", \"table\": \"filter\", \"chain\": \"input\", \"handle\": 9,"
    ));
    assert_eq!(r.loc.column as usize, r.loc.offset + 1, "one ASCII line");
    assert_eq!(r.matches.src, Some(Neg::is(cidrs(&["10.0.0.0/24"]))));
    assert_eq!(r.matches.dport, Some(Neg::is(vec![(2049, 2049)])));
    assert_eq!(r.matches.protocol, Some(Neg::is("TCP".to_string())));
    assert_eq!(r.matches.family, Some(Family::Ip4));
    assert_eq!(r.action, FwAction::Accept);
    assert!(r.partial.is_none());
    // The named set, merged and sorted; the anonymous port set with its range.
    let r = &input.rules[2];
    assert_eq!(
        r.matches.src,
        Some(Neg::is(vec![
            parse_cidr("10.0.0.0/24").unwrap(),
            range4([10, 1, 0, 1], [10, 1, 0, 5]),
            parse_cidr("192.168.1.5").unwrap(),
        ]))
    );
    assert_eq!(
        r.matches.dport,
        Some(Neg::is(vec![(111, 111), (2049, 2049), (3000, 3100)]))
    );
    assert_eq!(input.rules[3].action, FwAction::Jump("sub".to_string()));
    let sub = chain(&fw, "sub");
    assert_eq!(sub.hook, None);
    assert_eq!(sub.rules[0].action, FwAction::Return);
    // Prerouting is kept but never entered; with policy accept and no rules it needs no note.
    assert_eq!(chain(&fw, "pre").hook, None);
    assert_eq!(fw.notes.len(), 1, "{:#?}", fw.notes);
    assert!(fw.notes[0].message.contains("`nat` chain"));
}

#[test]
fn reads_hooks_priorities_policies_and_families() {
    let text = r#"{"nftables": [
{"table": {"family": "ip", "name": "v4", "handle": 1}},
{"table": {"family": "ip6", "name": "v6", "handle": 2}},
{"chain": {"family": "ip", "table": "v4", "name": "out", "type": "filter", "hook": "output", "prio": 10, "policy": "accept"}},
{"chain": {"family": "ip6", "table": "v6", "name": "fwd", "type": "filter", "hook": "forward", "prio": "filter"}},
{"chain": {"family": "ip6", "table": "v6", "name": "early", "type": "filter", "hook": "input", "prio": -300, "policy": "drop"}},
{"chain": {"family": "ip6", "table": "v6", "name": "pre", "type": "filter", "hook": "prerouting", "prio": -150, "policy": "drop"}},
{"chain": {"family": "ip6", "table": "v6", "name": "rt", "type": "route", "hook": "output", "prio": -150, "policy": "accept"}},
{"table": {"family": "arp", "name": "a", "handle": 3}},
{"chain": {"family": "arp", "table": "a", "name": "in", "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}},
{"rule": {"family": "arp", "table": "a", "chain": "in", "expr": [{"accept": null}]}},
{"rule": {"family": "ip", "table": "v4", "chain": "out", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "10.0.0.1"}}, {"drop": null}]}}
]}"#;
    let (fw, findings) = read_text(text);
    assert!(findings.is_empty(), "{findings:#?}");
    let fw = fw.unwrap();
    let out = chain(&fw, "out");
    assert_eq!(
        (out.hook, out.priority, out.policy, out.family),
        (Some(Hook::Output), 10, Verdict::Accept, Family::Ip4)
    );
    // In an ip table, `ip daddr` needs no family restriction.
    assert_eq!(out.rules[0].matches.family, None);
    assert_eq!(out.rules[0].action, FwAction::Drop);
    let fwd = chain(&fw, "fwd");
    assert_eq!(
        (fwd.hook, fwd.priority, fwd.policy, fwd.family),
        (Some(Hook::Forward), 0, Verdict::Accept, Family::Ip6)
    );
    assert_eq!(fwd.policy_loc, fwd.loc, "no policy: located at the chain");
    assert_eq!(fwd.loc.line, 5);
    assert_eq!(chain(&fw, "early").priority, -300);
    assert_eq!(chain(&fw, "pre").hook, None);
    assert!(fw.chains.iter().all(|c| c.name != "rt" && c.name != "in"));
    let notes: Vec<(u32, &str)> = fw
        .notes
        .iter()
        .map(|n| (n.loc.line, n.message.as_str()))
        .collect();
    assert_eq!(notes.len(), 3, "{notes:#?}");
    assert!(notes[0].1.contains("`route` chain") && notes[0].0 == 8);
    assert!(notes[1].1.contains("table `arp a` is not modelled") && notes[1].0 == 9);
    assert!(notes[2].1.contains("`prerouting` hook") && notes[2].0 == 7);
}

#[test]
fn reads_add_commands_and_element_objects() {
    let text = r#"{"nftables": [
{"add": {"table": {"family": "inet", "name": "f"}}},
{"add": {"chain": {"family": "inet", "table": "f", "name": "in", "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}}},
{"add": {"set": {"family": "inet", "table": "f", "name": "ok", "type": "ipv4_addr", "flags": ["interval"]}}},
{"add": {"element": {"family": "inet", "table": "f", "name": "ok", "elem": [{"prefix": {"addr": "10.1.0.0", "len": 16}}]}}},
{"element": {"family": "inet", "table": "f", "name": "ok", "elem": {"elem": {"val": "10.2.0.1", "timeout": 60}}}},
{"add": {"rule": {"family": "inet", "table": "f", "chain": "in", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "@ok"}}, {"accept": null}]}}}
]}"#;
    let (fw, findings) = read_text(text);
    assert!(findings.is_empty(), "{findings:#?}");
    let fw = fw.unwrap();
    let r = &chain(&fw, "in").rules[0];
    assert_eq!(
        r.matches.src,
        Some(Neg::is(cidrs(&["10.1.0.0/16", "10.2.0.1/32"])))
    );
}

// --- matches -----------------------------------------------------------------------------------

#[test]
fn reads_ip6_ports_interfaces_and_ct_state() {
    let rules = input_rules(&[
        rule(&format!(
            "{}, {}, {ACCEPT}",
            pl(
                "ip6",
                "saddr",
                r#"{"prefix": {"addr": "fd00:20::", "len": 64}}"#
            ),
            pl("udp", "sport", r#"{"range": [1024, 65535]}"#)
        )),
        rule(&format!(
            "{}, {}, {ACCEPT}",
            meta("iifname", "==", r#""eth*""#),
            meta("oifname", "!=", r#""lo""#)
        )),
        rule(
            r#"{"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": "invalid"}}, {"log": {"prefix": "bad "}}, {"drop": null}"#,
        ),
        rule(&format!(
            r#"{{"match": {{"op": "!=", "left": {{"ct": {{"key": "state"}}}}, "right": ["established", "related"]}}}}, {}, {{"reject": {{"type": "tcp reset"}}}}"#,
            pl("th", "dport", "22")
        )),
    ]);
    let m = &rules[0].matches;
    assert_eq!(m.family, Some(Family::Ip6));
    assert_eq!(m.src, Some(Neg::is(cidrs(&["fd00:20::/64"]))));
    assert_eq!(m.sport, Some(Neg::is(vec![(1024, 65535)])));
    assert_eq!(m.protocol, Some(Neg::is("UDP".to_string())));
    let m = &rules[1].matches;
    assert_eq!(m.iif, Some(Neg::is("eth*".to_string())));
    assert_eq!(m.oif, Some(Neg::not("lo".to_string())));
    assert_eq!(rules[1].text, r#"iifname "eth*" oifname != "lo" accept"#);
    assert_eq!(
        rules[2].matches.ct_state,
        Some(Neg::is(vec![CtState::Invalid]))
    );
    assert_eq!(rules[2].action, FwAction::Drop);
    assert_eq!(rules[2].text, "ct state invalid log prefix \"bad \" drop");
    let r = &rules[3];
    assert_eq!(
        r.matches.ct_state,
        Some(Neg::not(vec![CtState::Established, CtState::Related]))
    );
    assert_eq!(r.matches.dport, Some(Neg::is(vec![(22, 22)])));
    assert_eq!(r.matches.protocol, None, "th dport implies no protocol");
    assert_eq!(r.action, FwAction::Reject);
    assert_eq!(
        r.text,
        "ct state != established,related th dport 22 reject with tcp reset"
    );
}

#[test]
fn reads_negations_comparisons_and_raw_payloads() {
    let rules = input_rules(&[
        rule(
            r#"{"match": {"op": "!=", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "10.0.0.0", "len": 8}}}}, {"match": {"op": "<", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 1024}}, {"reject": null}"#,
        ),
        rule(
            r#"{"match": {"op": ">=", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": 30000}}, {"accept": null}"#,
        ),
        rule(
            r#"{"match": {"op": "==", "left": {"payload": {"base": "th", "offset": 16, "len": 16}}, "right": 8088}}, {"accept": null}"#,
        ),
        rule(
            r#"{"match": {"left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": "ssh"}}, {"accept": null}"#,
        ),
    ]);
    let m = &rules[0].matches;
    assert_eq!(m.src, Some(Neg::not(cidrs(&["10.0.0.0/8"]))));
    assert_eq!(
        m.family,
        Some(Family::Ip4),
        "a negated `ip saddr` still needs IPv4"
    );
    assert_eq!(m.dport, Some(Neg::is(vec![(0, 1023)])));
    assert_eq!(
        rules[0].text,
        "ip saddr != 10.0.0.0/8 tcp dport < 1024 reject"
    );
    assert_eq!(rules[1].matches.dport, Some(Neg::is(vec![(30000, 65535)])));
    assert_eq!(rules[2].matches.dport, Some(Neg::is(vec![(8088, 8088)])));
    assert_eq!(rules[3].matches.dport, Some(Neg::is(vec![(22, 22)])));
}

#[test]
fn protocols_and_families_from_meta() {
    let rules = input_rules(&[
        rule(&format!("{}, {ACCEPT}", meta("l4proto", "==", "6"))),
        rule(&format!("{}, {ACCEPT}", meta("l4proto", "!=", r#""udp""#))),
        rule(&format!("{}, {ACCEPT}", meta("nfproto", "==", r#""ipv6""#))),
        rule(&format!("{}, {ACCEPT}", pl("ip", "protocol", r#""sctp""#))),
        rule(&format!("{}, {ACCEPT}", meta("nfproto", "!=", r#""ipv6""#))),
    ]);
    assert_eq!(rules[0].matches.protocol, Some(Neg::is("TCP".to_string())));
    assert_eq!(rules[1].matches.protocol, Some(Neg::not("UDP".to_string())));
    assert_eq!(rules[2].matches.family, Some(Family::Ip6));
    assert_eq!(rules[3].matches.protocol, Some(Neg::is("SCTP".to_string())));
    assert_eq!(rules[3].matches.family, Some(Family::Ip4));
    assert_eq!(rules[4].matches.family, Some(Family::Ip4));
}

#[test]
fn intersects_two_conditions_on_one_field() {
    let rules = input_rules(&[
        rule(&format!(
            "{}, {}, {ACCEPT}",
            pl("tcp", "dport", r#"{"range": [1000, 2000]}"#),
            pl("tcp", "dport", r#"{"set": [{"range": [1500, 2500]}, 80]}"#)
        )),
        rule(&format!(
            r#"{}, {{"match": {{"op": "!=", "left": {{"payload": {{"protocol": "ip", "field": "saddr"}}}}, "right": "10.1.2.3"}}}}, {ACCEPT}"#,
            pl(
                "ip",
                "saddr",
                r#"{"prefix": {"addr": "10.1.2.0", "len": 30}}"#
            )
        )),
    ]);
    assert_eq!(rules[0].matches.dport, Some(Neg::is(vec![(1500, 2000)])));
    // 10.1.2.0/30 without 10.1.2.3: 10.1.2.0-10.1.2.2.
    assert_eq!(
        rules[1].matches.src,
        Some(Neg::is(vec![range4([10, 1, 2, 0], [10, 1, 2, 2])]))
    );
}

#[test]
fn rules_that_never_match_are_left_out_with_a_note() {
    let text = ruleset(&[
        rule(&format!(
            "{}, {}, {ACCEPT}",
            pl("ip", "saddr", r#""10.0.0.1""#),
            pl("ip6", "daddr", r#""::1""#)
        )),
        rule(&format!(
            "{}, {}, {ACCEPT}",
            meta("l4proto", "==", r#""udp""#),
            pl("tcp", "dport", "22")
        )),
        rule(&format!("{}, {ACCEPT}", pl("tcp", "dport", "80"))),
    ]);
    let (fw, findings) = read_text(&text);
    assert!(findings.is_empty(), "{findings:#?}");
    let fw = fw.unwrap();
    assert_eq!(chain(&fw, "input").rules.len(), 1);
    let lines: Vec<u32> = fw.notes.iter().map(|n| n.loc.line).collect();
    assert_eq!(lines, [6, 7]);
    assert!(
        fw.notes[0].message.contains("never matches"),
        "{}",
        fw.notes[0].message
    );
}

#[test]
fn expands_disjoint_value_sets_and_verdict_maps() {
    let rules = input_rules(&[
        rule(&format!(
            "{}, {}, {ACCEPT}",
            meta("l4proto", "==", r#"{"set": ["tcp", "udp"]}"#),
            pl("th", "dport", "53")
        )),
        rule(
            r#"{"vmap": {"key": {"ct": {"key": "state"}}, "data": {"set": [["invalid", {"drop": null}], ["established", {"accept": null}], ["related", {"accept": null}]]}}}"#,
        ),
        rule(
            r#"{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "10.0.0.1"}}, {"vmap": {"key": {"payload": {"protocol": "tcp", "field": "dport"}}, "data": {"set": [[22, {"accept": null}], [{"range": [8000, 8100]}, {"jump": {"target": "svc"}}]]}}}"#,
        ),
        rule(&format!(
            "{}, {ACCEPT}",
            meta("iifname", "==", r#"{"set": ["eth0", "eth1"]}"#)
        )),
    ]);
    assert_eq!(rules.len(), 2 + 3 + 2 + 2);
    let dns: Vec<_> = rules[..2]
        .iter()
        .map(|r| r.matches.protocol.clone().unwrap().value)
        .collect();
    assert_eq!(dns, ["TCP", "UDP"]);
    assert_eq!(
        rules[0].loc, rules[1].loc,
        "expansions share the rule's location"
    );
    assert_eq!(
        rules[0].text,
        "meta l4proto { tcp, udp } th dport 53 accept"
    );
    let ct: Vec<_> = rules[2..5]
        .iter()
        .map(|r| (r.matches.ct_state.clone().unwrap().value, r.action.clone()))
        .collect();
    assert_eq!(
        ct,
        [
            (vec![CtState::Invalid], FwAction::Drop),
            (vec![CtState::Established], FwAction::Accept),
            (vec![CtState::Related], FwAction::Accept)
        ]
    );
    assert_eq!(
        rules[2].text,
        "ct state vmap { invalid : drop, established : accept, related : accept }"
    );
    assert_eq!(rules[5].matches.dport, Some(Neg::is(vec![(22, 22)])));
    assert_eq!(rules[5].matches.src, Some(Neg::is(cidrs(&["10.0.0.1"]))));
    assert_eq!(rules[5].action, FwAction::Accept);
    assert_eq!(rules[6].matches.dport, Some(Neg::is(vec![(8000, 8100)])));
    assert_eq!(rules[6].action, FwAction::Jump("svc".to_string()));
    let ifs: Vec<_> = rules[7..]
        .iter()
        .map(|r| r.matches.iif.clone().unwrap().value)
        .collect();
    assert_eq!(ifs, ["eth0", "eth1"]);
}

#[test]
fn a_named_verdict_map_expands_too() {
    let (fw, findings) = read_text(&ruleset(&[
        r#"{"map": {"family": "inet", "table": "filter", "name": "ports", "type": "inet_service", "map": "verdict", "elem": [[2049, {"accept": null}], [3260, {"drop": null}]]}}"#.to_string(),
        rule(r#"{"vmap": {"key": {"payload": {"protocol": "tcp", "field": "dport"}}, "data": "@ports"}}"#),
    ]));
    assert!(findings.is_empty(), "{findings:#?}");
    let fw = fw.unwrap();
    let rules = &chain(&fw, "input").rules;
    let got: Vec<_> = rules
        .iter()
        .map(|r| (r.matches.dport.clone().unwrap().value, r.action.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (vec![(2049, 2049)], FwAction::Accept),
            (vec![(3260, 3260)], FwAction::Drop)
        ]
    );
}

#[test]
fn verdicts_and_statements() {
    let rules = input_rules(&[
        rule(r#"{"jump": {"target": "svc"}}"#),
        rule(r#"{"goto": {"target": "svc"}}"#),
        rule(
            r#"{"counter": {"packets": 1, "bytes": 2}}, {"limit": {"rate": 10, "per": "second"}}, {"continue": null}"#,
        ),
        rule(r#"{"counter": null}"#),
        rule(
            r#"{"mangle": {"key": {"meta": {"key": "mark"}}, "value": 1}}, {"notrack": null}, {"return": null}"#,
        ),
        rule(r#"{"drop": null}, {"accept": null}"#),
        rule(""),
    ]);
    let actions: Vec<_> = rules.iter().map(|r| r.action.clone()).collect();
    assert_eq!(
        actions,
        [
            FwAction::Jump("svc".to_string()),
            FwAction::Goto("svc".to_string()),
            FwAction::Continue,
            FwAction::Continue,
            FwAction::Return,
            FwAction::Drop,
            FwAction::Continue,
        ]
    );
    assert!(rules.iter().all(|r| r.partial.is_none()));
    assert!(rules.iter().all(|r| r.matches == FwMatch::default()));
}

// --- not modelled: partial ---------------------------------------------------------------------

#[test]
fn unknown_expressions_make_the_rule_partial_at_that_expression() {
    let text = r#"{"nftables": [
{"table": {"family": "inet", "name": "filter"}},
{"chain": {"family": "inet", "table": "filter", "name": "input", "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}},
{"rule": {"family": "inet", "table": "filter", "chain": "input", "expr": [
  {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "flags"}}, "right": "syn"}},
  {"accept": null}]}},
{"rule": {"family": "inet", "table": "filter", "chain": "input", "expr": [
  {"match": {"op": "==", "left": {"fib": {"flags": ["daddr"], "result": "type"}}, "right": "local"}},
  {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 22}},
  {"accept": null}]}},
{"rule": {"family": "inet", "table": "filter", "chain": "input", "expr": [
  {"xt": {"type": "match", "name": "conntrack"}},
  {"frobnicate": {"level": 3}},
  {"drop": null}]}},
{"rule": {"family": "inet", "table": "filter", "chain": "input", "expr": [
  {"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": 5353}},
  {"queue": {"num": 3, "flags": ["bypass"]}}]}},
{"rule": {"family": "inet", "table": "filter", "chain": "input", "expr": [
  {"dnat": {"addr": "10.0.0.1"}}]}},
{"rule": {"family": "inet", "table": "filter", "chain": "input", "expr": [
  {"match": {"op": "==", "left": {"concat": [{"payload": {"protocol": "ip", "field": "saddr"}}, {"payload": {"protocol": "tcp", "field": "dport"}}]}, "right": "@pairs"}},
  {"accept": null}]}},
{"rule": {"family": "inet", "table": "filter", "chain": "input", "expr": [
  {"match": {"op": "==", "left": {"ct": {"key": "status"}}, "right": "dnat"}},
  {"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": {"set": ["tcp", "udp"]}}},
  {"match": {"op": "!=", "left": {"meta": {"key": "iifname"}}, "right": {"set": ["a", "b"]}}},
  {"accept": null}]}}
]}"#;
    let (fw, findings) = read_text(text);
    assert!(findings.is_empty(), "{findings:#?}");
    let fw = fw.unwrap();
    let rules = &chain(&fw, "input").rules;
    let partial: Vec<(u32, u32, &str)> = rules
        .iter()
        .map(|r| {
            let n = r.partial.as_ref().expect("partial");
            (n.loc.line, n.loc.column, n.message.as_str())
        })
        .collect();
    // tcp flags: still TCP, the flags condition left out.
    assert_eq!(rules[0].matches.protocol, Some(Neg::is("TCP".to_string())));
    assert_eq!(rules[0].action, FwAction::Accept);
    assert_eq!((partial[0].0, partial[0].1), (5, 34));
    assert!(
        partial[0].2.contains("`tcp flags` is not modelled"),
        "{}",
        partial[0].2
    );
    assert_eq!(partial[1].0, 8);
    assert!(
        partial[1].2.contains("`fib` is not modelled"),
        "{}",
        partial[1].2
    );
    assert_eq!(rules[1].matches.dport, Some(Neg::is(vec![(22, 22)])));
    assert_eq!((partial[2].0, partial[2].1), (12, 3));
    assert!(partial[2].2.contains("`xt`") && partial[2].2.contains("`frobnicate`"));
    assert_eq!(rules[2].action, FwAction::Drop);
    assert!(partial[3].2.contains("`queue`"));
    assert_eq!(rules[3].action, FwAction::Continue);
    assert!(partial[4].2.contains("`dnat`"));
    assert!(
        partial[5].2.contains("ip saddr . tcp dport"),
        "{}",
        partial[5].2
    );
    // ct status: partial; {tcp, udp} still expands; `!= {a, b}` cannot be held: partial.
    assert_eq!(rules.len(), 8);
    assert!(rules[6..].iter().all(|r| r
        .partial
        .as_ref()
        .is_some_and(
            |n| n.message.contains("ct status") && n.message.contains("excluding several")
        )));
}

#[test]
fn dynamic_sets_make_rules_partial() {
    let (fw, findings) = read_text(&ruleset(&[
        r#"{"set": {"family": "inet", "table": "filter", "name": "banned", "type": "ipv4_addr", "flags": ["dynamic", "timeout"], "elem": ["10.9.9.9"]}}"#.to_string(),
        rule(&format!("{}, {{\"drop\": null}}", pl("ip", "saddr", r#""@banned""#))),
    ]));
    assert!(findings.is_empty(), "{findings:#?}");
    let fw = fw.unwrap();
    let r = &chain(&fw, "input").rules[0];
    assert_eq!(r.matches.src, Some(Neg::is(cidrs(&["10.9.9.9"]))));
    assert!(r
        .partial
        .as_ref()
        .unwrap()
        .message
        .contains("changes at run time"));
    assert_eq!(r.partial.as_ref().unwrap().loc.line, 7);
}

#[test]
fn too_many_combinations_are_not_expanded() {
    let many: Vec<String> = (1..=20).map(|i| format!("\"if{i}\"")).collect();
    let set = format!("{{\"set\": [{}]}}", many.join(", "));
    let rules = input_rules(&[rule(&format!(
        "{}, {}, {ACCEPT}",
        meta("iifname", "==", &set),
        meta("oifname", "==", &set)
    ))]);
    assert_eq!(rules.len(), 1);
    assert!(rules[0]
        .partial
        .as_ref()
        .unwrap()
        .message
        .contains("400 combinations"));
    assert_eq!(rules[0].matches.iif, None);
}

// --- malformed input ---------------------------------------------------------------------------

#[test]
fn truncated_json_is_a_located_error() {
    let text = ruleset(&[rule(ACCEPT)]);
    let cut = &text[..text.len() - 40];
    let (fw, findings) = read_text(cut);
    assert!(fw.is_none());
    assert_eq!(findings.len(), 1);
    assert!(findings[0].is_input_error());
    assert!(
        findings[0].message.starts_with("invalid JSON"),
        "{}",
        findings[0].message
    );
    assert!(findings[0].loc.as_ref().unwrap().line >= 6);
}

#[test]
fn bad_rules_are_left_out_with_located_errors_and_the_rest_read() {
    let text = ruleset(&[
        r#"{"rule": {"family": "inet", "table": "filter", "chain": "input", "expr": 5}}"#
            .to_string(),
        rule_in("nope", ACCEPT),
        rule(r#"{"jump": {"target": "missing"}}"#),
        rule(&format!(
            "{}, {ACCEPT}",
            pl(
                "ip",
                "saddr",
                r#"{"prefix": {"addr": "10.0.0.0", "len": 33}}"#
            )
        )),
        rule(&format!("{}, {ACCEPT}", pl("ip", "saddr", r#""fd00::1""#))),
        rule(&format!("{}, {ACCEPT}", pl("tcp", "dport", "70000"))),
        rule(&format!(
            "{}, {ACCEPT}",
            pl("tcp", "dport", r#""gopher-ish""#)
        )),
        rule(&format!(
            "{}, {ACCEPT}",
            pl("ip", "saddr", r#""@nosuchset""#)
        )),
        rule("5, {\"accept\": null}"),
        r#"{"rule": {"family": "inet", "table": "filter", "expr": []}}"#.to_string(),
        rule(&format!("{}, {ACCEPT}", pl("tcp", "dport", "2049"))),
    ]);
    let (fw, findings) = read_text(&text);
    let got: Vec<(u32, &str)> = findings
        .iter()
        .map(|f| (f.loc.as_ref().unwrap().line, f.message.as_str()))
        .collect();
    assert!(findings.iter().all(|f| f.is_input_error()));
    assert_eq!(got.len(), 10, "{got:#?}");
    let expect = [
        (6, "`expr` of a rule must be a list"),
        (7, "rule for chain `nope`"),
        (
            8,
            "`jump` to chain `missing`, which table `inet filter` does not define",
        ),
        (9, "prefix length 33 is out of range for an IPv4 address"),
        (10, "an IPv6 address where IPv4 is matched"),
        (11, "port 70000 is out of range"),
        (12, "expected a port number, found `gopher-ish`"),
        (13, "set `@nosuchset` is not defined"),
        (14, "a statement must be an object"),
        (15, "this rule has no `chain`"),
    ];
    for ((line, msg), (el, em)) in got.iter().zip(expect) {
        assert_eq!(*line, el, "{msg}");
        assert!(msg.contains(em), "line {line}: {msg} (expected {em})");
    }
    // Errors point at the offending value, not the rule.
    let prefix = findings[3].loc.as_ref().unwrap();
    assert_eq!(&text[prefix.offset..prefix.offset + prefix.len], "33");
    let input = chain(fw.as_ref().unwrap(), "input");
    assert_eq!(input.rules.len(), 1);
    assert_eq!(
        input.rules[0].matches.dport,
        Some(Neg::is(vec![(2049, 2049)]))
    );
}

#[test]
fn bad_chains_and_sets_are_reported_once() {
    let text = r#"{"nftables": [
{"table": {"family": "inet", "name": "filter"}},
{"chain": {"family": "inet", "table": "filter", "name": "input", "type": "filter", "hook": "input", "prio": 0, "policy": "maybe"}},
{"rule": {"family": "inet", "table": "filter", "chain": "input", "expr": [{"accept": null}]}},
{"chain": {"family": "inet", "table": "filter", "name": "output", "type": "filter", "hook": "output", "prio": [1], "policy": "accept"}},
{"chain": {"family": "inet", "table": "filter", "name": "forward", "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"}},
{"set": {"family": "inet", "table": "filter", "name": "s", "type": "ipv4_addr", "elem": ["10.0.0.1", "not-an-ip", {"prefix": {"addr": "10.2.0.0", "len": 40}}]}},
{"rule": {"family": "inet", "table": "filter", "chain": "forward", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "@s"}}, {"drop": null}]}},
{"rule": {"family": "inet", "table": "filter", "chain": "forward", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "@s"}}, {"drop": null}]}},
{"table": {"family": "decnet", "name": "x"}},
{"chain": {"family": "decnet", "table": "x", "name": "c"}},
{"frobnicator": {"family": "inet"}},
"just a string"
]}"#;
    let (fw, findings) = read_text(text);
    let got: Vec<(u32, &str)> = findings
        .iter()
        .map(|f| (f.loc.as_ref().unwrap().line, f.message.as_str()))
        .collect();
    assert_eq!(got.len(), 6, "{got:#?}");
    assert!(
        got[0].0 == 3
            && got[0].1.contains(
                "`policy` of chain `inet filter input` must be `accept` or `drop`, found `maybe`"
            )
    );
    assert!(got[1].0 == 5 && got[1].1.contains("`prio`"));
    // The set's bad elements: once each, though two rules use the set; in file order.
    assert!(
        got[2].0 == 7
            && got[2].1.contains(
                "in set `s`: expected an IP address, found `not-an-ip`; the element is left out"
            ),
        "{}",
        got[2].1
    );
    assert!(got[3].0 == 7 && got[3].1.contains("prefix length 40"));
    assert!(got[4].0 == 10 && got[4].1.contains("unknown nftables family `decnet`"));
    assert!(
        got[5].0 == 13
            && got[5]
                .1
                .contains("an entry of `nftables` must be an object")
    );
    let fw = fw.unwrap();
    assert!(fw.chains.iter().all(|c| c.name == "forward"));
    let fwd = chain(&fw, "forward");
    assert_eq!(fwd.rules.len(), 2);
    assert_eq!(
        fwd.rules[0].matches.src,
        Some(Neg::is(cidrs(&["10.0.0.1"])))
    );
    assert!(fw
        .notes
        .iter()
        .any(|n| n.message.contains("`frobnicator`") && n.loc.line == 12));
}

#[test]
fn wrong_roots_are_located_errors() {
    for (text, msg) in [
        ("{\"nftables\": 5}", "`nftables` must be a list"),
        (
            "{\"nftables\": {\"table\": {}}}",
            "`nftables` must be a list",
        ),
    ] {
        let (fw, findings) = read_text(text);
        assert!(fw.is_none());
        assert!(findings[0].message.contains(msg), "{}", findings[0].message);
        assert_eq!(findings[0].loc.as_ref().unwrap().column, 14);
    }
    let (fw, findings) = read_text("{\"nftables\": [], \"nftables\": []}");
    assert!(fw.is_some());
    assert!(findings[0].message.contains("duplicate key"));
    let (_, findings) = read_text("{\"nftables\": []}\n---\n{\"nftables\": []}\n");
    assert!(findings[0].message.contains("after the JSON document"));
    assert_eq!(findings[0].loc.as_ref().unwrap().line, 2);
}

#[test]
fn deep_nesting_is_bounded() {
    let deep = format!(
        "{{\"nftables\": [{{\"rule\": {{\"family\": \"inet\", \"table\": \"t\", \"chain\": \"c\", \"expr\": {}{}}}}}]}}",
        "[".repeat(1000),
        "]".repeat(1000)
    );
    let (fw, findings) = read_text(&deep);
    assert!(fw.is_none());
    let m = &findings[0].message;
    assert!(m.contains("nesting") || m.contains("recursion"), "{m}");
    assert!(findings[0].loc.as_ref().unwrap().column > 1);
}

#[test]
fn rule_text_is_short() {
    let ports: Vec<String> = (1000..1400).map(|p| p.to_string()).collect();
    let rules = input_rules(&[rule(&format!(
        "{}, {ACCEPT}",
        pl(
            "tcp",
            "dport",
            &format!("{{\"set\": [{}]}}", ports.join(", "))
        )
    ))]);
    assert!(rules[0].text.chars().count() <= 200, "{}", rules[0].text);
    assert!(rules[0].text.starts_with("tcp dport { 1000, 1001,"));
    assert!(rules[0].text.ends_with('…'));
    assert_eq!(rules[0].matches.dport, Some(Neg::is(vec![(1000, 1399)])));
}

// --- fixtures ----------------------------------------------------------------------------------

#[test]
fn every_fixture_reads_without_errors() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/layers/nftables");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(looks_like(&text), "{path:?}");
        let (fw, findings) = read_text(&text);
        assert!(findings.is_empty(), "{path:?}: {findings:#?}");
        let fw = fw.unwrap();
        assert!(fw.chains.iter().any(|c| c.hook.is_some()), "{path:?}");
        count += 1;
    }
    assert!(count >= 6);
}

#[test]
fn the_named_sets_fixture_models_jumps_and_maps() {
    let text = include_str!("../../../fixtures/layers/nftables/huawei-csi-named-sets-jumps.json");
    let (fw, findings) = read_text(text);
    assert!(findings.is_empty(), "{findings:#?}");
    let fw = fw.unwrap();
    let input = chain(&fw, "input");
    // ct state vmap: three rules; lo; two jumps; log (a rule with no verdict).
    let actions: Vec<_> = input.rules.iter().map(|r| r.action.clone()).collect();
    assert_eq!(
        actions,
        [
            FwAction::Drop,
            FwAction::Accept,
            FwAction::Accept,
            FwAction::Accept,
            FwAction::Jump("from_control_plane".to_string()),
            FwAction::Jump("from_nodes".to_string()),
            FwAction::Continue,
        ]
    );
    assert_eq!(
        input.rules[4].matches.src,
        Some(Neg::is(vec![range4(
            [192, 168, 100, 10],
            [192, 168, 100, 12]
        )]))
    );
    assert_eq!(
        input.rules[4].text,
        "ip saddr @control_plane jump from_control_plane"
    );
    // Located at the rule object: the line of `"rule": {` in the pretty-printed file.
    for r in &input.rules {
        let line = text.lines().nth(r.loc.line as usize - 1).unwrap();
        assert_eq!(line.trim(), "\"rule\": {", "{}", r.text);
        assert_eq!(&text[r.loc.offset..r.loc.offset + 1], "{");
    }
    let output = chain(&fw, "output");
    assert_eq!(
        output.rules[4].action,
        FwAction::Goto("to_storage_mgmt".to_string())
    );
    let data = chain(&fw, "to_storage_data");
    let got: Vec<_> = data
        .rules
        .iter()
        .map(|r| (r.matches.dport.clone().map(|d| d.value), r.action.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (Some(vec![(2049, 2049)]), FwAction::Accept),
            (Some(vec![(3260, 3260)]), FwAction::Accept),
            (Some(vec![(4420, 4420)]), FwAction::Drop),
            (None, FwAction::Return),
        ]
    );
    assert_eq!(output.policy, Verdict::Drop);
    assert!(fw.notes.is_empty(), "{:#?}", fw.notes);
}

#[test]
fn hostile_files_give_located_errors_or_notes() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/hostile");
    let read_file = |name: &str| {
        let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
        assert!(looks_like(&text), "{name}");
        read(&SourceFile::new(name, text), &Limits::default())
    };
    for name in ["nft-truncated.json", "nft-text-form.json"] {
        let (fw, findings) = read_file(name);
        assert!(fw.is_none(), "{name}");
        assert_eq!(findings.len(), 1, "{name}: {findings:#?}");
        assert!(findings[0].is_input_error());
        assert!(findings[0].loc.as_ref().unwrap().line > 1 || name == "nft-text-form.json");
    }
    let (fw, findings) = read_file("nft-wrong-types.json");
    assert!(findings
        .iter()
        .all(|f| f.is_input_error() && f.loc.as_ref().unwrap().line > 1));
    assert_eq!(findings.len(), 23, "{findings:#?}");
    let lines: Vec<u32> = findings
        .iter()
        .map(|f| f.loc.as_ref().unwrap().line)
        .collect();
    assert!(
        lines.windows(2).all(|w| w[0] <= w[1]),
        "in file order: {lines:?}"
    );
    assert!(findings.iter().any(|f| f
        .message
        .contains("expected a prefix length (an integer), found `64`")));
    let fw = fw.unwrap();
    assert!(
        fw.chains.iter().all(|c| c.hook.is_none()),
        "nothing is evaluated"
    );
    let svc = chain(&fw, "svc");
    let dports: Vec<_> = svc.rules.iter().map(|r| r.matches.dport.clone()).collect();
    assert_eq!(
        dports,
        [None, Some(Neg::is(vec![(2049, 2049)]))],
        "{:#?}",
        svc.rules
    );
    let (fw, findings) = read_file("nft-unknown-expressions.json");
    assert!(findings.is_empty(), "{findings:#?}");
    let fw = fw.unwrap();
    assert!(
        fw.chains.iter().all(|c| c.hook.is_none()),
        "nothing is evaluated"
    );
    let svc = chain(&fw, "svc");
    assert_eq!(svc.rules.len(), 9);
    assert!(
        svc.rules.iter().all(|r| r.partial.is_some()),
        "{:#?}",
        svc.rules
    );
}

#[test]
fn a_jump_to_a_chain_left_out_continues_with_a_note() {
    let (fw, findings) = read_text(&ruleset(&[
        r#"{"chain": {"family": "inet", "table": "filter", "name": "bad", "type": "filter", "hook": "output", "prio": 0, "policy": "reject"}}"#.to_string(),
        r#"{"chain": {"family": "inet", "table": "filter", "name": "dnat", "type": "nat", "hook": "prerouting", "prio": -100, "policy": "accept"}}"#.to_string(),
        rule(r#"{"jump": {"target": "bad"}}"#),
        rule(r#"{"goto": {"target": "dnat"}}"#),
        rule_in("bad", ACCEPT),
    ]));
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].loc.as_ref().unwrap().line, 6);
    let fw = fw.unwrap();
    let rules = &chain(&fw, "input").rules;
    assert_eq!(rules.len(), 2);
    for (r, line) in rules.iter().zip([8, 9]) {
        assert_eq!(r.action, FwAction::Continue);
        let n = r.partial.as_ref().unwrap();
        assert!(n.message.contains("which is not modelled"), "{}", n.message);
        assert_eq!(n.loc.line, line);
    }
    assert!(fw
        .chains
        .iter()
        .all(|c| c.name != "bad" && c.name != "dnat"));
}

#[test]
fn mutated_fixtures_never_panic_and_errors_are_located() {
    let text = include_str!("../../../fixtures/layers/nftables/huawei-csi-named-sets-jumps.json");
    let check = |t: &str| {
        let (_, findings) = read_text(t);
        for f in findings {
            let loc = f.loc.expect("located");
            assert!(loc.line >= 1 && loc.column >= 1, "{}", f.message);
        }
    };
    // Every truncation point (on char boundaries), in steps.
    for cut in (0..text.len()).step_by(37) {
        if text.is_char_boundary(cut) {
            check(&text[..cut]);
        }
    }
    // Values swapped for values of other types, one kind at a time.
    for (from, to) in [
        ("\"accept\": null", "\"accept\": [1]"),
        ("\"expr\": [", "\"expr\": {\"x\": ["),
        ("\"len\": 27", "\"len\": -1"),
        ("\"right\": 4433", "\"right\": \"x\""),
        ("\"target\": ", "\"target\": 1, \"t\": "),
        ("\"key\": \"state\"", "\"key\": 7"),
        ("\"elem\": [", "\"elem\": [{\"range\": 5}, "),
        ("\"set\": [", "\"set\": [[], "),
        ("\"family\": \"inet\"", "\"family\": \"bridge\""),
        (
            "\"payload\": {",
            "\"payload\": {\"base\": \"th\", \"offset\": \"x\", ",
        ),
        ("\"match\": {", "\"match\": {\"op\": 5, "),
    ] {
        check(&text.replace(from, to));
        check(&text.replacen(from, to, 1));
    }
}
