//! firewalld's standard service definitions (`/usr/lib/firewalld/services/*.xml` of firewalld
//! 1.3.3), so that `<service name="nfs3"/>` in a zone expands to the ports firewalld opens for it.
//!
//! Each entry is the service's name and its definition, written as space-separated items:
//! `2049/tcp` (a port or range), `proto:gre` (a protocol), `sport:67/udp` (a source port),
//! `dst4:224.0.0.251` / `dst6:ff02::fb` (the service only matches that destination, and only in
//! that family), `+kubelet` (an included service). Helpers (`<helper>`, `<module>`) are left
//! out: what they admit is RELATED traffic, which the zone's conntrack rule already accepts.

use crate::layers::{Family, PortRange};
use crate::net::{parse_cidr, AddrRange};

/// One thing a service opens.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Opening {
    /// A destination port range of a transport protocol (`tcp`, `udp`, `sctp`, `dccp`).
    Port(String, PortRange),
    /// A whole protocol.
    Protocol(String),
    /// A source port range of a transport protocol.
    SourcePort(String, PortRange),
}

/// A service with its includes expanded.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Expanded {
    pub openings: Vec<Opening>,
    /// Destination per family (`<destination ipv4=... ipv6=...>`); when any is set, the service
    /// applies only to the families listed.
    pub dst4: Option<AddrRange>,
    pub dst6: Option<AddrRange>,
}

impl Expanded {
    /// The families the service applies to, with the destination it requires in each.
    pub fn families(&self) -> Vec<(Option<Family>, Option<AddrRange>)> {
        if self.dst4.is_none() && self.dst6.is_none() {
            return vec![(None, None)];
        }
        let mut out = Vec::new();
        if let Some(d) = self.dst4 {
            out.push((Some(Family::Ip4), Some(d)));
        }
        if let Some(d) = self.dst6 {
            out.push((Some(Family::Ip6), Some(d)));
        }
        out
    }
}

/// Expands a standard service and the services it includes (each once). `None`: not a
/// standard service.
pub(super) fn expand(name: &str) -> Option<Expanded> {
    let mut out = Expanded::default();
    let mut seen: Vec<&str> = Vec::new();
    let mut todo: Vec<&str> = vec![lookup(name)?.0];
    // firewalld applies includes first, then the service's own openings; the order does not
    // change what the service admits.
    while let Some(current) = todo.pop() {
        if seen.contains(&current) {
            continue;
        }
        seen.push(current);
        let Some((_, spec)) = lookup(current) else {
            continue;
        };
        for item in spec.split_whitespace() {
            if let Some(inc) = item.strip_prefix('+') {
                if let Some((n, _)) = lookup(inc) {
                    todo.push(n);
                }
            } else if let Some(p) = item.strip_prefix("proto:") {
                out.openings.push(Opening::Protocol(p.to_string()));
            } else if let Some(sp) = item.strip_prefix("sport:") {
                if let Some((proto, range)) = port_item(sp) {
                    out.openings.push(Opening::SourcePort(proto, range));
                }
            } else if let Some(a) = item.strip_prefix("dst4:") {
                out.dst4 = parse_cidr(a);
            } else if let Some(a) = item.strip_prefix("dst6:") {
                out.dst6 = parse_cidr(a);
            } else if let Some((proto, range)) = port_item(item) {
                out.openings.push(Opening::Port(proto, range));
            }
        }
    }
    Some(out)
}

fn lookup(name: &str) -> Option<(&'static str, &'static str)> {
    SERVICES
        .binary_search_by(|(n, _)| n.cmp(&name))
        .ok()
        .and_then(|i| SERVICES.get(i).copied())
}

/// `2049/tcp`, `7400-7401/udp`.
fn port_item(item: &str) -> Option<(String, PortRange)> {
    let (ports, proto) = item.split_once('/')?;
    let range = match ports.split_once('-') {
        Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
        None => {
            let p = ports.parse().ok()?;
            (p, p)
        }
    };
    Some((proto.to_string(), range))
}

/// Sorted by name (byte order), for binary search.
#[rustfmt::skip]
pub(super) const SERVICES: &[(&str, &str)] = &[
    ("RH-Satellite-6", "+foreman 5000/tcp 5646-5647/tcp 5671/tcp 8000/tcp 8080/tcp 9090/tcp"),
    ("RH-Satellite-6-capsule", "+RH-Satellite-6 8443/tcp"),
    ("afp", "548/tcp"),
    ("amanda-client", "10080/udp 10080/tcp"),
    ("amanda-k5-client", "10082/tcp"),
    ("amqp", "5672/tcp"),
    ("amqps", "5671/tcp"),
    ("apcupsd", "3551/tcp"),
    ("audit", "60/tcp"),
    ("ausweisapp2", "24727/udp"),
    ("bacula", "9101/tcp 9102/tcp 9103/tcp"),
    ("bacula-client", "9102/tcp"),
    ("bareos-director", "9101/tcp"),
    ("bareos-filedaemon", "9102/tcp"),
    ("bareos-storage", "9103/tcp"),
    ("bb", "1984/tcp 1984/udp"),
    ("bgp", "179/tcp"),
    ("bitcoin", "8333/tcp"),
    ("bitcoin-rpc", "8332/tcp"),
    ("bitcoin-testnet", "18333/tcp"),
    ("bitcoin-testnet-rpc", "18332/tcp"),
    ("bittorrent-lsd", "6771/udp dst4:239.192.152.143 dst6:ff15::efc0:988f"),
    ("ceph", "6800-7300/tcp"),
    ("ceph-exporter", "9283/tcp"),
    ("ceph-mon", "3300/tcp 6789/tcp"),
    ("cfengine", "5308/tcp"),
    ("checkmk-agent", "6556/tcp"),
    ("cockpit", "9090/tcp"),
    ("collectd", "25826/udp"),
    ("condor-collector", "9618/tcp"),
    ("cratedb", "4200/tcp 4300/tcp +postgresql"),
    ("ctdb", "4379/tcp 4379/udp"),
    ("dds", "+dds-multicast +dds-unicast"),
    ("dds-multicast", "7400-7401/udp 7650-7651/udp 7900-7901/udp 8150-8151/udp 8400-8401/udp 8650-8651/udp 8900-8901/udp 9150-9151/udp 9400-9401/udp 9650-9651/udp 9900-9901/udp dst4:239.255.0.1"),
    ("dds-unicast", "7402-7649/udp 7652-7899/udp 7902-8149/udp 8152-8339/udp 8402-8649/udp 8652-8899/udp 8902-9149/udp 9152-9339/udp 9402-9649/udp 9652-9899/udp 9902-10149/udp"),
    ("dhcp", "67/udp"),
    ("dhcpv6", "547/udp"),
    ("dhcpv6-client", "546/udp dst6:fe80::/64"),
    ("distcc", "3632/tcp"),
    ("dns", "53/tcp 53/udp"),
    ("dns-over-tls", "853/tcp"),
    ("docker-registry", "5000/tcp"),
    ("docker-swarm", "2377/tcp 7946/tcp 7946/udp 4789/udp proto:esp"),
    ("dropbox-lansync", "17500/udp 17500/tcp"),
    ("elasticsearch", "9300/tcp 9200/tcp"),
    ("etcd-client", "2379/tcp"),
    ("etcd-server", "2380/tcp"),
    ("finger", "79/tcp"),
    ("foreman", "+dns +http +https +dhcp +tftp 68/udp 8140/tcp"),
    ("foreman-proxy", "+foreman 8443/tcp"),
    ("freeipa-4", "+http +https +kerberos +kpasswd +ldap +ldaps"),
    ("freeipa-ldap", "80/tcp 443/tcp 88/tcp 88/udp 464/tcp 464/udp 123/udp 389/tcp"),
    ("freeipa-ldaps", "80/tcp 443/tcp 88/tcp 88/udp 464/tcp 464/udp 123/udp 636/tcp"),
    ("freeipa-replication", "7389/tcp"),
    ("freeipa-trust", "135/tcp 138-139/tcp 138-139/udp 389/tcp 389/udp 445/tcp 445/udp 49152-65535/tcp 3268/tcp"),
    ("ftp", "21/tcp"),
    ("galera", "3306/tcp 4567/tcp 4568/tcp 4444/tcp"),
    ("ganglia-client", "8660/tcp"),
    ("ganglia-master", "8651/tcp"),
    ("git", "9418/tcp"),
    ("gpsd", "2947/tcp"),
    ("grafana", "3000/tcp"),
    ("gre", "proto:gre"),
    ("high-availability", "2224/tcp 3121/tcp 5403/tcp 5404/udp 5405-5412/udp 9929/tcp 9929/udp 21064/tcp"),
    ("http", "80/tcp"),
    ("http3", "443/udp"),
    ("https", "443/tcp"),
    ("ident", "113/tcp"),
    ("imap", "143/tcp"),
    ("imaps", "993/tcp"),
    ("ipfs", "4001/tcp 4001/udp"),
    ("ipp", "631/tcp 631/udp"),
    ("ipp-client", "631/udp"),
    ("ipsec", "proto:ah proto:esp 500/udp 4500/udp 4500/tcp"),
    ("irc", "6667/tcp"),
    ("ircs", "6697/tcp"),
    ("iscsi-target", "3260/tcp 3260/udp"),
    ("isns", "3205/tcp 3205/udp"),
    ("jenkins", "8080/tcp"),
    ("kadmin", "749/tcp"),
    ("kdeconnect", "1714-1764/tcp 1714-1764/udp"),
    ("kerberos", "88/tcp 88/udp"),
    ("kibana", "5601/tcp"),
    ("klogin", "543/tcp"),
    ("kpasswd", "464/tcp 464/udp"),
    ("kprop", "754/tcp"),
    ("kshell", "544/tcp"),
    ("kube-api", "+kubelet"),
    ("kube-apiserver", "6443/tcp"),
    ("kube-control-plane", "+etcd-client +etcd-server +kube-apiserver +kube-controller-manager +kube-scheduler"),
    ("kube-control-plane-secure", "+etcd-client +etcd-server +kube-apiserver +kube-controller-manager-secure +kube-scheduler-secure"),
    ("kube-controller-manager", "10252/tcp"),
    ("kube-controller-manager-secure", "10257/tcp"),
    ("kube-nodeport-services", "30000-32767/tcp"),
    ("kube-scheduler", "10251/tcp"),
    ("kube-scheduler-secure", "10259/tcp"),
    ("kube-worker", "+kubelet +kube-nodeport-services"),
    ("kubelet", "10250/tcp"),
    ("kubelet-readonly", "10255/tcp"),
    ("kubelet-worker", "+kube-worker"),
    ("ldap", "389/tcp"),
    ("ldaps", "636/tcp"),
    ("libvirt", "16509/tcp"),
    ("libvirt-tls", "16514/tcp"),
    ("lightning-network", "9735/tcp"),
    ("llmnr", "+llmnr-tcp +llmnr-udp"),
    ("llmnr-client", "sport:5355/udp"),
    ("llmnr-tcp", "5355/tcp"),
    ("llmnr-udp", "5355/udp dst4:224.0.0.252 dst6:ff02::1:3"),
    ("managesieve", "4190/tcp"),
    ("matrix", "+https 8448/tcp"),
    ("mdns", "5353/udp dst4:224.0.0.251 dst6:ff02::fb"),
    ("memcache", "11211/tcp 11211/udp"),
    ("minidlna", "8200/tcp +ssdp"),
    ("mongodb", "27017/tcp"),
    ("mosh", "60000-61000/udp"),
    ("mountd", "20048/tcp 20048/udp"),
    ("mqtt", "1883/tcp"),
    ("mqtt-tls", "8883/tcp"),
    ("ms-wbt", "+rdp"),
    ("mssql", "1433/tcp"),
    ("murmur", "64738/tcp 64738/udp"),
    ("mysql", "3306/tcp"),
    ("nbd", "10809/tcp"),
    ("nebula", "4242/udp"),
    ("netbios-ns", "137/udp"),
    ("netdata-dashboard", "19999/tcp"),
    ("nfs", "2049/tcp"),
    ("nfs3", "2049/tcp 2049/udp"),
    ("nmea-0183", "10110/tcp 10110/udp"),
    ("nrpe", "5666/tcp"),
    ("ntp", "123/udp"),
    ("nut", "3493/tcp"),
    ("openvpn", "1194/udp"),
    ("ovirt-imageio", "54322/tcp"),
    ("ovirt-storageconsole", "55863/tcp 39543/tcp"),
    ("ovirt-vmconsole", "2223/tcp"),
    ("plex", "32400/tcp 32400/udp 32469/tcp +ssdp 3005/tcp 8324/tcp 32410/udp 32412/udp 32413/udp 32414/udp"),
    ("pmcd", "44321/tcp"),
    ("pmproxy", "44322/tcp"),
    ("pmwebapi", "44323/tcp"),
    ("pmwebapis", "44324/tcp"),
    ("pop3", "110/tcp"),
    ("pop3s", "995/tcp"),
    ("postgresql", "5432/tcp"),
    ("privoxy", "8118/tcp"),
    ("prometheus", "9090/tcp"),
    ("prometheus-node-exporter", "9100/tcp"),
    ("proxy-dhcp", "4011/udp"),
    ("ps2link", "18194/udp 18193/tcp"),
    ("ps3netsrv", "38008/tcp"),
    ("ptp", "319/udp 320/udp"),
    ("pulseaudio", "4713/tcp"),
    ("puppetmaster", "8140/tcp"),
    ("quassel", "4242/tcp"),
    ("radius", "1812/tcp 1812/udp 1813/tcp 1813/udp"),
    ("rdp", "3389/tcp"),
    ("redis", "6379/tcp"),
    ("redis-sentinel", "26379/tcp"),
    ("rpc-bind", "111/tcp 111/udp"),
    ("rquotad", "875/tcp 875/udp"),
    ("rsh", "514/tcp"),
    ("rsyncd", "873/tcp 873/udp"),
    ("rtsp", "554/tcp 554/udp"),
    ("salt-master", "4505/tcp 4506/tcp"),
    ("samba", "+samba-client 139/tcp 445/tcp"),
    ("samba-client", "+netbios-ns 138/udp"),
    ("samba-dc", "+samba +dns +kerberos +ldap +ldaps +kpasswd 135/tcp 389/udp 49152-65535/tcp 3268/tcp 3269/tcp"),
    ("sane", "6566/tcp"),
    ("sip", "5060/tcp 5060/udp"),
    ("sips", "5061/tcp 5061/udp"),
    ("slp", "427/tcp 427/udp"),
    ("smtp", "25/tcp"),
    ("smtp-submission", "587/tcp"),
    ("smtps", "465/tcp"),
    ("snmp", "161/tcp 161/udp"),
    ("snmptls", "10161/tcp 10161/udp"),
    ("snmptls-trap", "10162/tcp 10162/udp"),
    ("snmptrap", "162/tcp 162/udp"),
    ("spideroak-lansync", "21327/udp 21328/udp"),
    ("spotify-sync", "57621/udp 57621/tcp"),
    ("squid", "3128/tcp"),
    ("ssdp", "1900/udp dst4:239.255.255.250 dst6:ff02::c"),
    ("ssh", "22/tcp"),
    ("steam-streaming", "27036/tcp 27037/tcp 27031-27036/udp"),
    ("svdrp", "6419/tcp 6419/udp"),
    ("svn", "3690/tcp"),
    ("syncthing", "22000/tcp 22000/udp 21027/udp"),
    ("syncthing-gui", "8384/tcp"),
    ("syncthing-relay", "22067/tcp 22070/tcp"),
    ("synergy", "24800/tcp"),
    ("syslog", "514/udp"),
    ("syslog-tls", "6514/tcp 6514/udp"),
    ("telnet", "23/tcp"),
    ("tentacle", "41121/tcp"),
    ("tftp", "69/udp"),
    ("tile38", "9851/tcp"),
    ("tinc", "655/tcp 655/udp"),
    ("tor-socks", "9050/tcp"),
    ("transmission-client", "51413/tcp 51413/udp"),
    ("upnp-client", "sport:1900/udp"),
    ("vdsm", "54321/tcp 5900-6923/tcp 49152-49216/tcp"),
    ("vnc-server", "5900-5903/tcp"),
    ("warpinator", "42000/tcp 42000/udp 42001/tcp"),
    ("wbem-http", "5988/tcp"),
    ("wbem-https", "5989/tcp"),
    ("wireguard", "51820/udp"),
    ("ws-discovery", "+ws-discovery-tcp +ws-discovery-udp"),
    ("ws-discovery-client", "sport:3702/udp"),
    ("ws-discovery-tcp", "3702/tcp"),
    ("ws-discovery-udp", "3702/udp dst4:239.255.255.250 dst6:ff02::c"),
    ("wsman", "5985/tcp"),
    ("wsmans", "5986/tcp"),
    ("xdmcp", "177/tcp 177/udp"),
    ("xmpp-bosh", "5280/tcp"),
    ("xmpp-client", "5222/tcp"),
    ("xmpp-local", "5298/tcp"),
    ("xmpp-server", "5269/tcp"),
    ("zabbix-agent", "10050/tcp"),
    ("zabbix-server", "10051/tcp"),
    ("zerotier", "9993/udp"),
];
