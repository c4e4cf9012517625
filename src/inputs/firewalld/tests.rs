use super::*;
use crate::layers::{CtState, Family, FwAction, FwRule, Hook, Neg, Verdict};
use crate::net::parse_cidr;

fn read_named(name: &str, text: &str) -> (Option<Firewall>, Vec<Finding>) {
    read(&SourceFile::new(name, text), &Limits::default())
}

/// Reads a zone that must read without errors.
fn zone(text: &str) -> Firewall {
    let (fw, findings) = read_named("zones/public.xml", text);
    assert!(findings.is_empty(), "unexpected findings: {findings:#?}");
    fw.expect("a firewall")
}

/// Reads a file that must give exactly one PM000; returns it and what was read.
fn one_error(text: &str) -> (Option<Firewall>, Finding) {
    let (fw, findings) = read_named("zones/public.xml", text);
    assert_eq!(findings.len(), 1, "findings: {findings:#?}");
    let f = findings.into_iter().next().expect("one finding");
    assert_eq!(f.rule, "PM000");
    (fw, f)
}

fn at(f: &Finding) -> (u32, u32) {
    let loc = f.loc.as_ref().expect("located");
    (loc.line, loc.column)
}

fn rules(fw: &Firewall) -> &[FwRule] {
    assert_eq!(fw.chains.len(), 1);
    &fw.chains[0].rules
}

fn texts(fw: &Firewall) -> Vec<&str> {
    rules(fw).iter().map(|r| r.text.as_str()).collect()
}

/// The rules after firewalld's two built-ins (conntrack, loopback) and before the ICMP tail.
fn zone_rules(fw: &Firewall) -> Vec<&FwRule> {
    rules(fw)
        .iter()
        .filter(|r| !r.text.contains("(firewalld, before every zone)"))
        .filter(|r| !r.text.contains("(zone target"))
        .collect()
}

fn dport(r: &FwRule) -> Option<(u16, u16)> {
    r.matches
        .dport
        .as_ref()
        .and_then(|d| d.value.first().copied())
}

fn proto(r: &FwRule) -> Option<&str> {
    r.matches.protocol.as_ref().map(|p| p.value.as_str())
}

const PUBLIC: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<zone>
  <short>Public</short>
  <description>For use in public areas.</description>
  <service name="ssh"/>
  <service name="dhcpv6-client"/>
  <port port="2049" protocol="tcp"/>
  <port protocol="udp" port="8000-8080"/>
  <source-port port="67" protocol="udp"/>
  <protocol value="gre"/>
  <forward/>
</zone>
"#;

#[test]
fn recognises_zone_and_service_files() {
    assert!(looks_like(PUBLIC));
    assert!(looks_like("\u{feff}<zone target=\"DROP\"/>"));
    assert!(looks_like("<!-- managed by ansible -->\n<zone>\n</zone>"));
    assert!(looks_like(
        "<service>\n<port port=\"3260\" protocol=\"tcp\"/>\n</service>"
    ));
    assert!(looks_like("<?xml version=\"1.0\"?>\n<policy/>"));
    // Any XML document is claimed, so that a wrong root gets a clear error.
    assert!(looks_like("<?xml version=\"1.0\"?><html/>"));
    assert!(!looks_like("<html><body/></html>"));
    assert!(!looks_like("apiVersion: v1\nkind: List\n"));
    assert!(!looks_like("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"));
    assert!(!looks_like("{\"nftables\": []}"));
    assert!(!looks_like(""));
    assert!(!looks_like("<zon"));
}

#[test]
fn zone_becomes_one_input_chain_with_firewalld_built_ins_first() {
    let fw = zone(PUBLIC);
    assert_eq!(fw.format, FirewallFormat::Firewalld);
    let z = fw.zone.as_ref().expect("zone");
    assert_eq!(z.name, "public");
    assert_eq!(z.target, "default");
    let chain = &fw.chains[0];
    assert_eq!(chain.hook, Some(Hook::Input));
    assert_eq!(chain.family, Family::Inet);
    assert_eq!(chain.policy, Verdict::Reject);
    assert_eq!(chain.name, "filter_IN_public");
    let r = rules(&fw);
    assert_eq!(
        r[0].matches.ct_state,
        Some(Neg::is(vec![CtState::Established, CtState::Related]))
    );
    assert_eq!(r[0].action, FwAction::Accept);
    assert_eq!(r[1].matches.iif, Some(Neg::is("lo".to_string())));
    assert_eq!(r[1].action, FwAction::Accept);
    // The default target accepts ICMP after the zone's rules.
    let tail: Vec<&str> = r[r.len() - 2..].iter().map(|r| r.text.as_str()).collect();
    assert_eq!(
        tail,
        [
            "icmp accept (zone target default)",
            "icmpv6 accept (zone target default)"
        ]
    );
    assert!(fw.notes.is_empty(), "{:?}", fw.notes);
}

#[test]
fn services_ports_source_ports_and_protocols_in_firewalld_order() {
    let fw = zone(PUBLIC);
    let z = zone_rules(&fw);
    let t: Vec<&str> = z.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(
        t,
        [
            "service ssh (22/tcp)",
            "service dhcpv6-client (546/udp to fe80::/64)",
            "port 2049/tcp",
            "port 8000-8080/udp",
            "source-port 67/udp",
            "protocol gre",
        ]
    );
    assert_eq!((proto(z[0]), dport(z[0])), (Some("TCP"), Some((22, 22))));
    // dhcpv6-client only applies to IPv6, to link-local addresses.
    assert_eq!(z[1].matches.family, Some(Family::Ip6));
    assert_eq!(
        z[1].matches.dst.as_ref().map(|d| d.value[0].display()),
        Some("fe80::/64".to_string())
    );
    assert_eq!(dport(z[3]), Some((8000, 8080)));
    assert_eq!(proto(z[3]), Some("UDP"));
    assert_eq!(
        z[4].matches.sport.as_ref().map(|s| s.value.clone()),
        Some(vec![(67, 67)])
    );
    assert!(z[4].matches.dport.is_none());
    assert_eq!(proto(z[5]), Some("GRE"));
    assert!(z
        .iter()
        .all(|r| r.action == FwAction::Accept && r.partial.is_none()));
}

#[test]
fn every_rule_is_located_at_its_start_tag() {
    let fw = zone(PUBLIC);
    let z = zone_rules(&fw);
    let loc = |i: usize| (z[i].loc.line, z[i].loc.column);
    assert_eq!(loc(0), (5, 3)); // <service name="ssh"/>
    assert_eq!(loc(2), (7, 3)); // <port port="2049" .../>
    assert_eq!(loc(3), (8, 3));
    assert_eq!(loc(5), (10, 3));
    assert_eq!(rules(&fw)[0].loc.line, 2); // built-ins: the <zone> tag
    assert_eq!(fw.chains[0].loc.line, 2);
}

#[test]
fn targets_become_the_chain_policy() {
    for (target, policy, icmp) in [
        ("ACCEPT", Verdict::Accept, false),
        ("DROP", Verdict::Drop, false),
        ("%%REJECT%%", Verdict::Reject, false),
        ("default", Verdict::Reject, true),
    ] {
        let fw = zone(&format!(
            "<zone target=\"{target}\">\n  <port port=\"22\" protocol=\"tcp\"/>\n</zone>\n"
        ));
        assert_eq!(fw.chains[0].policy, policy, "{target}");
        assert_eq!(fw.zone.as_ref().map(|z| z.target.as_str()), Some(target));
        assert_eq!(fw.chains[0].policy_loc.line, 1);
        let has_icmp = texts(&fw).iter().any(|t| t.starts_with("icmp accept"));
        assert_eq!(has_icmp, icmp, "{target}");
    }
    let (fw, err) = one_error("<zone target=\"REJECT\"/>");
    assert!(err.message.contains("REJECT"), "{}", err.message);
    assert_eq!(at(&err), (1, 15));
    assert_eq!(fw.expect("read anyway").chains[0].policy, Verdict::Reject);
}

#[test]
fn rich_rules_follow_firewalld_order_not_file_order() {
    let fw = zone(
        r#"<zone>
  <rule family="ipv4">
    <source address="192.168.100.10"/>
    <port port="4433" protocol="tcp"/>
    <accept/>
  </rule>
  <rule family="ipv4">
    <source address="192.168.100.0/24"/>
    <port port="4433" protocol="tcp"/>
    <log prefix="webhook: "/>
    <reject/>
  </rule>
  <port port="9090" protocol="tcp"/>
  <rule family="ipv4" priority="5">
    <source address="10.0.0.0/8"/>
    <drop/>
  </rule>
  <rule family="ipv4" priority="-10">
    <source address="10.1.0.0/16"/>
    <accept/>
  </rule>
  <rule family="ipv4" priority="-20">
    <source address="10.2.0.0/16"/>
    <drop/>
  </rule>
  <service name="ssh"/>
  <protocol value="esp"/>
</zone>"#,
    );
    let t: Vec<&str> = zone_rules(&fw).iter().map(|r| r.text.as_str()).collect();
    assert_eq!(
        t,
        [
            // _pre, by priority
            "rule family=ipv4 priority=-20 source 10.2.0.0/16 drop",
            "rule family=ipv4 priority=-10 source 10.1.0.0/16 accept",
            // _log, _deny
            "rule family=ipv4 source 192.168.100.0/24 port 4433/tcp log prefix=\"webhook: \"",
            "rule family=ipv4 source 192.168.100.0/24 port 4433/tcp reject",
            // _allow: services, ports, rich rules, protocols
            "service ssh (22/tcp)",
            "port 9090/tcp",
            "rule family=ipv4 source 192.168.100.10/32 port 4433/tcp accept",
            "protocol esp",
            // _post
            "rule family=ipv4 priority=5 source 10.0.0.0/8 drop",
        ]
    );
    let z = zone_rules(&fw);
    assert_eq!(z[2].action, FwAction::Continue);
    assert_eq!(z[3].action, FwAction::Reject);
    assert_eq!(z[0].action, FwAction::Drop);
    assert_eq!(z[3].loc.line, 7); // the <rule> tag
    assert_eq!(z[6].loc.line, 2);
    assert_eq!(z[6].matches.family, Some(Family::Ip4));
    assert_eq!(
        z[6].matches.src,
        Some(Neg::is(
            vec![parse_cidr("192.168.100.10/32").expect("cidr")]
        ))
    );
}

#[test]
fn rich_rule_conditions() {
    let fw = zone(
        r#"<zone>
  <rule family="ipv6">
    <source address="fd00::/64" invert="true"/>
    <destination address="fd00:1::1"/>
    <service name="nfs3"/>
    <accept>
      <limit value="10/m"/>
    </accept>
  </rule>
  <rule family="ipv4">
    <source ipset="storage-lifs"/>
    <port port="1024-65535" protocol="udp"/>
    <accept/>
  </rule>
  <rule family="ipv4">
    <source address="10.0.0.0/255.255.255.0"/>
    <audit/>
    <mark set="0x10"/>
  </rule>
</zone>"#,
    );
    let z = zone_rules(&fw);
    let t: Vec<&str> = z.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(
        t,
        [
            "rule family=ipv4 source 10.0.0.0/24 audit",
            "rule family=ipv6 source NOT fd00::/64 destination fd00:1::1/128 service nfs3 (2049/tcp) accept limit 10/m",
            "rule family=ipv6 source NOT fd00::/64 destination fd00:1::1/128 service nfs3 (2049/udp) accept limit 10/m",
            "rule family=ipv4 source ipset=storage-lifs port 1024-65535/udp accept",
            "rule family=ipv4 source 10.0.0.0/24 mark set=0x10",
        ]
    );
    assert!(z[1].matches.src.as_ref().is_some_and(|s| s.negated));
    assert!(z[1].matches.dst.as_ref().is_some_and(|d| !d.negated));
    assert_eq!(
        (proto(z[2]), dport(z[2])),
        (Some("UDP"), Some((2049, 2049)))
    );
    let limit = z[1].partial.as_ref().expect("rate limit noted");
    assert!(limit.message.contains("rate-limited"), "{}", limit.message);
    // An ipset's members are unknown: no source condition, a note.
    assert!(z[3].matches.src.is_none());
    let ipset = z[3].partial.as_ref().expect("ipset noted");
    assert!(
        ipset.message.contains("ipset storage-lifs"),
        "{}",
        ipset.message
    );
    assert_eq!(ipset.loc.line, 11);
    assert_eq!(z[0].action, FwAction::Continue);
    assert_eq!(z[4].action, FwAction::Continue);
    assert!(z[4].partial.is_none());
}

#[test]
fn standard_services_expand_to_their_ports() {
    let ports = |name: &str| -> Vec<(String, (u16, u16))> {
        let fw = zone(&format!("<zone><service name=\"{name}\"/></zone>"));
        zone_rules(&fw)
            .iter()
            .map(|r| {
                (
                    proto(r).unwrap_or("").to_string(),
                    dport(r).unwrap_or((0, 0)),
                )
            })
            .collect()
    };
    let p = |s: &str, a: u16, b: u16| (s.to_string(), (a, b));
    assert_eq!(ports("nfs"), [p("TCP", 2049, 2049)]);
    assert_eq!(ports("nfs3"), [p("TCP", 2049, 2049), p("UDP", 2049, 2049)]);
    assert_eq!(
        ports("mountd"),
        [p("TCP", 20048, 20048), p("UDP", 20048, 20048)]
    );
    assert_eq!(ports("rpc-bind"), [p("TCP", 111, 111), p("UDP", 111, 111)]);
    assert_eq!(
        ports("iscsi-target"),
        [p("TCP", 3260, 3260), p("UDP", 3260, 3260)]
    );
    assert_eq!(ports("kube-apiserver"), [p("TCP", 6443, 6443)]);
    assert_eq!(ports("kubelet"), [p("TCP", 10250, 10250)]);
    assert_eq!(ports("kubelet-readonly"), [p("TCP", 10255, 10255)]);
    assert_eq!(ports("etcd-client"), [p("TCP", 2379, 2379)]);
    assert_eq!(ports("etcd-server"), [p("TCP", 2380, 2380)]);
    assert_eq!(ports("dns"), [p("TCP", 53, 53), p("UDP", 53, 53)]);
    assert_eq!(ports("prometheus"), [p("TCP", 9090, 9090)]);
    assert_eq!(ports("bgp"), [p("TCP", 179, 179)]);
    assert_eq!(ports("http"), [p("TCP", 80, 80)]);
    assert_eq!(ports("https"), [p("TCP", 443, 443)]);
    let mut cp = ports("kube-control-plane");
    cp.sort();
    assert_eq!(
        cp,
        [
            p("TCP", 2379, 2379),
            p("TCP", 2380, 2380),
            p("TCP", 6443, 6443),
            p("TCP", 10251, 10251),
            p("TCP", 10252, 10252),
        ]
    );
    let mut worker = ports("kube-worker");
    worker.sort();
    assert_eq!(worker, [p("TCP", 10250, 10250), p("TCP", 30000, 32767)]);
    assert_eq!(
        ports("kubelet-worker"),
        worker.iter().rev().cloned().collect::<Vec<_>>()
    );
}

#[test]
fn services_table_is_sorted_and_every_entry_parses() {
    let names: Vec<&str> = services::SERVICES.iter().map(|(n, _)| *n).collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]), "not sorted");
    assert!(names.len() > 200);
    for (name, spec) in services::SERVICES {
        let exp = services::expand(name).expect("found");
        let items = spec
            .split_whitespace()
            .filter(|i| !i.starts_with('+'))
            .count();
        let dsts = spec
            .split_whitespace()
            .filter(|i| i.starts_with("dst"))
            .count();
        assert!(exp.openings.len() >= items - dsts, "{name}: {spec}");
    }
}

#[test]
fn unknown_service_is_kept_as_a_partial_rule() {
    let fw = zone("<zone>\n  <service name=\"huawei-csi\"/>\n</zone>");
    let z = zone_rules(&fw);
    assert_eq!(z.len(), 1);
    assert_eq!(z[0].action, FwAction::Accept);
    assert!(z[0].matches.dport.is_none() && z[0].matches.protocol.is_none());
    let note = z[0].partial.as_ref().expect("noted");
    assert!(note
        .message
        .contains("service huawei-csi is not a standard firewalld service"));
    assert_eq!((note.loc.line, note.loc.column), (2, 3));
}

#[test]
fn zone_bindings_sources_and_interfaces() {
    let fw = zone(
        r#"<zone target="ACCEPT">
  <interface name="ens192"/>
  <source address="10.30.2.0/28"/>
  <source address="fd00:30::/64"/>
  <source ipset="nodes"/>
</zone>"#,
    );
    let z = fw.zone.as_ref().expect("zone");
    assert_eq!(z.interfaces, ["ens192"]);
    let s: Vec<String> = z.sources.iter().map(|r| r.display()).collect();
    assert_eq!(s, ["10.30.2.0/28", "fd00:30::/64"]);
    assert_eq!(fw.notes.len(), 1);
    assert!(fw.notes[0].message.contains("nodes"));
    assert_eq!(fw.notes[0].loc.line, 5);
}

#[test]
fn zone_name_is_the_file_name_not_short() {
    let (fw, _) = read_named(
        "nodes/ctrl-1/trusted.xml",
        "<zone><short>Kubernetes nodes</short></zone>",
    );
    assert_eq!(
        fw.and_then(|f| f.zone).map(|z| z.name),
        Some("trusted".into())
    );
}

#[test]
fn icmp_blocks_inversion_masquerade_and_forward_ports() {
    let fw = zone(
        r#"<zone>
  <icmp-block name="echo-request"/>
  <icmp-block-inversion/>
  <masquerade/>
  <forward-port port="80" protocol="tcp" to-port="8080"/>
  <rule family="ipv4">
    <source address="10.0.0.0/8"/>
    <icmp-block name="timestamp-request"/>
  </rule>
</zone>"#,
    );
    let r = rules(&fw);
    // ct, the DNATed forward-port, lo ...
    assert!(r[1]
        .text
        .starts_with("forward-port 80/tcp to local port 8080"));
    assert_eq!(dport(&r[1]), Some((80, 80)));
    assert!(r[1]
        .partial
        .as_ref()
        .is_some_and(|n| n.message.contains("DNAT")));
    assert!(r[2].text.starts_with("iifname lo"));
    assert_eq!(
        r[3].text,
        "rule family=ipv4 source 10.0.0.0/8 icmp-block timestamp-request reject"
    );
    assert_eq!(proto(&r[3]), Some("ICMP"));
    assert_eq!(r[3].action, FwAction::Reject);
    // With inversion, the zone's ICMP tail rejects; the blocks make it partial.
    let tail = &r[r.len() - 1];
    assert_eq!(tail.text, "icmpv6 reject (zone target default)");
    assert_eq!(tail.action, FwAction::Reject);
    assert!(tail
        .partial
        .as_ref()
        .is_some_and(|n| n.message.contains("echo-request")));
    assert!(fw.notes.iter().any(|n| n.message.starts_with("masquerade")));
}

#[test]
fn unknown_elements_and_attributes_are_notes() {
    let fw = zone(
        r#"<zone>
  <port port="2049" protocol="tcp" comment="nfs"/>
  <frobnicate/>
  <rule family="ipv4">
    <source address="10.0.0.0/8"/>
    <port port="3260" protocol="tcp"/>
    <accept/>
    <expire in="1d"/>
  </rule>
</zone>"#,
    );
    let z = zone_rules(&fw);
    let port = z[0].partial.as_ref().expect("attribute noted");
    assert!(port.message.contains("comment=\"nfs\""), "{}", port.message);
    assert_eq!(port.loc.line, 2);
    let rich = z[1].partial.as_ref().expect("element noted on the rule");
    assert!(rich.message.contains("<expire>"), "{}", rich.message);
    assert_eq!(fw.notes.len(), 1);
    assert!(fw.notes[0].message.contains("<frobnicate>"));
    assert_eq!(fw.notes[0].loc.line, 3);
}

#[test]
fn truncated_file_is_a_located_error() {
    let (fw, err) =
        one_error("<zone>\n  <port port=\"22\" protocol=\"tcp\"/>\n  <rule family=\"ipv4\">\n");
    assert!(fw.is_none());
    assert!(
        err.message.contains("<rule> is not closed"),
        "{}",
        err.message
    );
    assert!(err.message.contains("line 3"), "{}", err.message);
    let (_, err) = one_error("<zone>\n  <port port=\"22\" protocol=");
    assert!(
        err.message.starts_with("not well-formed XML"),
        "{}",
        err.message
    );
    assert_eq!(at(&err), (2, 3));
}

#[test]
fn mismatched_tags_and_wrong_root() {
    let (fw, err) = one_error("<zone>\n  <rule>\n    <accept/>\n</zone>\n");
    assert!(fw.is_none());
    assert!(err.message.contains("</rule>"), "{}", err.message);
    assert_eq!(at(&err), (4, 1));
    let (fw, err) = one_error("<?xml version=\"1.0\"?>\n<policy target=\"ACCEPT\"/>\n");
    assert!(fw.is_none());
    assert!(
        err.message.contains("root element <policy>"),
        "{}",
        err.message
    );
    assert_eq!(at(&err), (2, 1));
    let (_, err) = one_error("<zone/>\n<zone/>\n");
    assert!(err.message.contains("second root"), "{}", err.message);
    assert_eq!(at(&err), (2, 1));
    let (_, err) = one_error("<zone a=\"1\" a=\"2\"/>");
    assert!(
        err.message.contains("duplicated attribute"),
        "{}",
        err.message
    );
    let (_, err) = one_error("<zone>\n<port port=\"&bogus;\" protocol=\"tcp\"/></zone>");
    assert_eq!(at(&err), (2, 13));
}

#[test]
fn bad_ports_addresses_and_protocols_are_located_errors() {
    let (fw, err) = one_error("<zone>\n  <port port=\"70000\" protocol=\"tcp\"/>\n  <port port=\"22\" protocol=\"tcp\"/>\n</zone>");
    assert!(err.message.contains("over 65535"), "{}", err.message);
    assert_eq!(at(&err), (2, 15));
    // The rest of the zone is read; the bad port is left out.
    let fw = fw.expect("read");
    assert_eq!(zone_rules(&fw).len(), 1);
    let (_, err) = one_error("<zone><port port=\"a-b\" protocol=\"tcp\"/></zone>");
    assert!(err.message.contains("not a number"), "{}", err.message);
    let (_, err) = one_error("<zone><port port=\"22\" protocol=\"TCP\"/></zone>");
    assert!(
        err.message.contains("tcp, udp, sctp or dccp"),
        "{}",
        err.message
    );
    let (_, err) = one_error("<zone><port port=\"22\"/></zone>");
    assert!(err.message.contains("protocol="), "{}", err.message);
    let (_, err) = one_error("<zone>\n<source address=\"10.0.0.300/24\"/></zone>");
    assert_eq!(at(&err), (2, 18));
    let (fw, err) = one_error(
        "<zone>\n <rule family=\"ipv4\">\n  <source address=\"fd00::/64\"/>\n  <accept/>\n </rule>\n</zone>",
    );
    assert!(
        err.message.contains("not of the rule's family"),
        "{}",
        err.message
    );
    assert_eq!(at(&err), (3, 20));
    assert!(zone_rules(&fw.expect("read")).is_empty());
    let (_, err) = one_error("<zone><rule><source address=\"10.0.0.0/8\"/><accept/></rule></zone>");
    assert!(err.message.contains("needs family="), "{}", err.message);
    let (_, err) = one_error("<zone><rule family=\"ipv4\" priority=\"high\"><source address=\"10.0.0.0/8\"/><accept/></rule></zone>");
    assert!(err.message.contains("priority"), "{}", err.message);
    let (_, err) = one_error("<zone><rule family=\"ipv4\"><port port=\"22\" protocol=\"tcp\"/><service name=\"ssh\"/><accept/></rule></zone>");
    assert!(
        err.message.contains("more than one element"),
        "{}",
        err.message
    );
    let (_, err) =
        one_error("<zone><rule family=\"ipv4\"><port port=\"22\" protocol=\"tcp\"/></rule></zone>");
    assert!(err.message.contains("no action"), "{}", err.message);
}

#[test]
fn limits_bound_lines_and_nesting() {
    let limits = Limits {
        max_line_length: 40,
        ..Limits::default()
    };
    let text = "<zone>\n  <description>a very long description line</description>\n</zone>";
    let (fw, findings) = read(&SourceFile::new("z.xml", text), &limits);
    assert!(fw.is_none());
    assert_eq!(findings.len(), 1);
    assert_eq!(at(&findings[0]), (2, 1));
    assert!(findings[0].message.contains("over the 40-byte limit"));
    let deep = format!("<zone>{}{}</zone>", "<a>".repeat(500), "</a>".repeat(500));
    let (fw, err) = one_error(&deep);
    assert!(fw.is_none());
    assert!(err.message.contains("deeper than 128"), "{}", err.message);
}

#[test]
fn bom_and_crlf() {
    let fw = zone("\u{feff}<?xml version=\"1.0\"?>\r\n<zone>\r\n  <port port=\"22\" protocol=\"tcp\"/>\r\n</zone>\r\n");
    let z = zone_rules(&fw);
    assert_eq!((z[0].loc.line, z[0].loc.column), (3, 3));
}

#[test]
fn service_file_is_read_without_rules() {
    let (fw, findings) = read_named(
        "services/huawei-csi.xml",
        "<?xml version=\"1.0\"?>\n<service>\n  <short>Huawei CSI</short>\n  <port port=\"4433\" protocol=\"tcp\"/>\n  <port port=\"9800-9808\" protocol=\"tcp\"/>\n</service>\n",
    );
    assert!(findings.is_empty(), "{findings:?}");
    let fw = fw.expect("read");
    assert!(fw.chains.is_empty() && fw.zone.is_none());
    assert_eq!(fw.notes.len(), 1);
    assert!(
        fw.notes[0]
            .message
            .contains("`huawei-csi` (4433/tcp, 9800-9808/tcp)"),
        "{}",
        fw.notes[0].message
    );
    let (_, err) = one_error("<service><port port=\"99999\" protocol=\"tcp\"/></service>");
    assert!(err.message.contains("over 65535"));
}

fn fixture(name: &str) -> Firewall {
    let path = format!(
        "{}/fixtures/layers/firewalld/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("fixture");
    assert!(looks_like(&text), "{name}");
    let (fw, findings) = read_named(&format!("fixtures/layers/firewalld/{name}"), &text);
    assert!(findings.is_empty(), "{name}: {findings:#?}");
    fw.expect("read")
}

#[test]
fn fixtures_read_cleanly() {
    let dir = format!("{}/fixtures/layers/firewalld", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("fixtures") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .to_string();
        if let Some(stem) = name.strip_suffix(".xml") {
            let fw = fixture(&name);
            assert_eq!(fw.zone.as_ref().map(|z| z.name.as_str()), Some(stem));
            n += 1;
        }
    }
    assert!(n >= 6, "{n} fixtures");
}

#[test]
fn anomalies_fixture_puts_the_deny_rules_first() {
    let fw = fixture("huawei-csi-rich-rule-anomalies.xml");
    let t: Vec<&str> = zone_rules(&fw).iter().map(|r| r.text.as_str()).collect();
    assert_eq!(
        t,
        [
            "rule family=ipv4 source 192.168.100.0/24 port 4433/tcp reject",
            "rule family=ipv4 source 192.168.100.128/25 port 9000-9100/tcp drop",
            "service ssh (22/tcp)",
            "service kubelet (10250/tcp)",
            "port 9090/tcp",
            "rule family=ipv4 source 192.168.100.10/32 port 4433/tcp accept",
            "rule family=ipv4 source 192.168.100.0/24 port 9090/tcp accept",
        ]
    );
    let lines: Vec<u32> = zone_rules(&fw).iter().map(|r| r.loc.line).collect();
    assert_eq!(lines, [12, 23, 5, 6, 17, 7, 18]);
}

#[test]
fn hostile_files_give_one_located_error_and_no_firewall() {
    let dir = format!("{}/tests/hostile", env!("CARGO_MANIFEST_DIR"));
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(dir).expect("hostile dir") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .to_string();
        if !name.starts_with("firewalld-") {
            continue;
        }
        let text = std::fs::read_to_string(format!(
            "{}/tests/hostile/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("read");
        assert!(looks_like(&text), "{name}");
        let (fw, findings) = read_named(&name, &text);
        assert!(fw.is_none(), "{name}");
        assert_eq!(findings.len(), 1, "{name}: {findings:#?}");
        assert_eq!(findings[0].rule, "PM000");
        let (line, _) = at(&findings[0]);
        seen.push((name, line, findings[0].message.clone()));
    }
    seen.sort();
    let lines: Vec<(&str, u32)> = seen.iter().map(|(n, l, _)| (n.as_str(), *l)).collect();
    assert_eq!(
        lines,
        [
            ("firewalld-deep-nesting.xml", 130),
            ("firewalld-mismatched-tags.xml", 8),
            ("firewalld-truncated.xml", 8),
            ("firewalld-wrong-root.xml", 2),
        ],
        "{seen:#?}"
    );
}

#[test]
fn large_zone_is_read_whole() {
    let mut text = String::from("<zone>\n");
    for i in 0..20_000u32 {
        text.push_str(&format!(
            "  <rule family=\"ipv4\" priority=\"{}\"><source address=\"10.{}.{}.0/24\"/><port port=\"{}\" protocol=\"tcp\"/><accept/></rule>\n",
            i % 7,
            i / 256 % 256,
            i % 256,
            1024 + i % 60_000
        ));
    }
    text.push_str("</zone>\n");
    let started = std::time::Instant::now();
    let fw = zone(&text);
    let elapsed = started.elapsed();
    assert_eq!(zone_rules(&fw).len(), 20_000);
    // _allow (priority 0) first, then _post by priority.
    assert_eq!(zone_rules(&fw)[0].loc.line, 2);
    assert!(zone_rules(&fw)[19_999].text.contains("priority=6"));
    assert!(elapsed.as_secs() < 10, "{elapsed:?}");
}
