//! Enforcement layers other than Kubernetes NetworkPolicy, in one shared model.
//!
//! Two shapes cover every format:
//! - [`Firewall`]: an ordered, chain-based host firewall (iptables-save, ip6tables-save,
//!   `nft -j list ruleset`, firewalld zones). Evaluated first-match per chain, with jumps.
//! - [`LayerPolicy`]: a selector-based policy of a CNI or of the cluster (Calico, Cilium,
//!   AdminNetworkPolicy / BaselineAdminNetworkPolicy / ClusterNetworkPolicy). Each engine has its
//!   own precedence ([`Engine`]), applied by [`eval`].
//!
//! Adapters (`src/inputs/<format>.rs`) fill these types; they never decide verdicts. Everything
//! an adapter cannot model exactly is kept as a [`Note`] on the rule or policy, and makes the
//! verdicts it touches `partial`: never a guess.

pub mod anomaly;
pub mod eval;
pub mod facts;
pub mod selector;

use crate::model::Labels;
use crate::net::AddrRange;
use crate::source::Loc;
use serde::Serialize;

pub use selector::SelExpr;

/// A condition, possibly negated (`! -s 10.0.0.0/8`, `notNets`, `notPorts`, `!=`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Neg<T> {
    pub negated: bool,
    pub value: T,
}

impl<T> Neg<T> {
    pub fn is(value: T) -> Self {
        Neg {
            negated: false,
            value,
        }
    }
    pub fn not(value: T) -> Self {
        Neg {
            negated: true,
            value,
        }
    }
}

/// Transport protocol, upper case as NetworkPolicy writes it: `TCP`, `UDP`, `SCTP`, `ICMP`,
/// `ICMPv6`, or any other name/number as written (which then matches none of the matrix's flows).
pub type Protocol = String;

/// An inclusive port range.
pub type PortRange = (u16, u16);

/// Something an adapter read but cannot model; attached where it applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    pub message: String,
    pub loc: Loc,
}

// ---------------------------------------------------------------------------------------------
// Host firewalls
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FirewallFormat {
    Iptables,
    Ip6tables,
    Nftables,
    Firewalld,
}

impl FirewallFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            FirewallFormat::Iptables => "iptables",
            FirewallFormat::Ip6tables => "ip6tables",
            FirewallFormat::Nftables => "nftables",
            FirewallFormat::Firewalld => "firewalld",
        }
    }
}

/// Address family a chain filters: IPv4 only, IPv6 only, or both (nft `inet`, firewalld).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Ip4,
    Ip6,
    Inet,
}

/// Where a base chain sees packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Hook {
    /// Packets to this host (iptables INPUT).
    Input,
    /// Packets this host sends (iptables OUTPUT).
    Output,
    /// Packets routed through this host, as pod traffic is (iptables FORWARD).
    Forward,
}

/// One host-firewall file: one `iptables-save` dump, one nft ruleset, one firewalld zone set.
#[derive(Debug, Clone, Serialize)]
pub struct Firewall {
    pub format: FirewallFormat,
    /// The file, as the user named it (`hosts:` globs in the profile match this).
    pub file: String,
    /// The whole file (line 1), for findings about it.
    pub loc: Loc,
    pub chains: Vec<Chain>,
    /// Things read but not modelled, file-wide (an unknown table, a module).
    pub notes: Vec<Note>,
    /// firewalld only: the zone this file defines. A packet is judged by exactly one zone: the
    /// zone whose `sources` contain its source address, else the zone bound to its interface,
    /// else the default zone. (iptables and nft files: `None`; all their base chains apply.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<Zone>,
}

/// A firewalld zone's bindings. Its rules are the file's one `Input` chain.
#[derive(Debug, Clone, Serialize)]
pub struct Zone {
    pub name: String,
    /// `<source address=...>` entries (IPv4 and IPv6).
    pub sources: Vec<AddrRange>,
    /// `<interface name=...>` entries.
    pub interfaces: Vec<String>,
    /// The zone's `target`: `default` (reject what no rule accepts, the usual case), `ACCEPT`,
    /// `DROP` or `%%REJECT%%`, already applied as the chain's policy.
    pub target: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Chain {
    pub name: String,
    /// `filter` for iptables; the nft table's name; `firewalld` for firewalld.
    pub table: String,
    pub family: Family,
    /// Set for base chains (iptables INPUT/OUTPUT/FORWARD of the filter table, nft chains with
    /// `hook`); user chains are reached by jump/goto only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hook: Option<Hook>,
    /// nft priority (lower runs first); 0 for iptables.
    pub priority: i32,
    /// What happens to a packet that reaches the end of a base chain (ignored for user chains,
    /// which return to their caller).
    pub policy: Verdict,
    /// Where the policy is written (`:INPUT DROP [0:0]`, the nft chain's `policy`).
    pub policy_loc: Loc,
    pub loc: Loc,
    pub rules: Vec<FwRule>,
}

/// A final verdict of a host firewall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Accept,
    Drop,
    Reject,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "target", rename_all = "lowercase")]
pub enum FwAction {
    Accept,
    Drop,
    Reject,
    /// Evaluate the named chain; come back here if it returns.
    Jump(String),
    /// Evaluate the named chain; do not come back.
    Goto(String),
    /// Leave the current user chain (in a base chain: apply its policy).
    Return,
    /// A non-terminating target (LOG, counter, MARK, ...): evaluation goes on.
    Continue,
}

/// Connection tracking states (`-m conntrack --ctstate`, nft `ct state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CtState {
    New,
    Established,
    Related,
    Invalid,
    Untracked,
}

/// The conditions of one rule; all present conditions must hold (absent: no condition).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FwMatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Neg<Protocol>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src: Option<Neg<Vec<AddrRange>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst: Option<Neg<Vec<AddrRange>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sport: Option<Neg<Vec<PortRange>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dport: Option<Neg<Vec<PortRange>>>,
    /// Input interface; a trailing `+` (iptables) or `*` (nft) is a prefix wildcard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iif: Option<Neg<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oif: Option<Neg<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ct_state: Option<Neg<Vec<CtState>>>,
    /// Address family the rule is restricted to inside an `inet` chain (`ip saddr` implies Ip4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<Family>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FwRule {
    /// The rule's line (iptables-save), its JSON object (nft), its element (firewalld).
    pub loc: Loc,
    /// The rule as written, short (for messages).
    pub text: String,
    pub matches: FwMatch,
    pub action: FwAction,
    /// Set when the rule uses a match the adapter does not model (`-m set`, an unknown nft
    /// expression): a verdict this rule could decide becomes `partial` with this note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial: Option<Note>,
}

// ---------------------------------------------------------------------------------------------
// Selector-based policies (Calico, Cilium, AdminNetworkPolicy)
// ---------------------------------------------------------------------------------------------

/// Which precedence a [`LayerPolicy`] follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// Calico: tiers by order, policies by order, first Allow/Deny wins, Pass to the next tier;
    /// an endpoint selected by a tier's policies that match nothing is denied.
    Calico,
    /// Cilium: allows add up; a matching deny beats every allow; a selected endpoint is
    /// default-deny in each direction it has rules for.
    Cilium,
    /// AdminNetworkPolicy (and ClusterNetworkPolicy tier Admin): by priority, first match wins;
    /// before NetworkPolicy.
    Admin,
    /// BaselineAdminNetworkPolicy (and ClusterNetworkPolicy tier Baseline): after NetworkPolicy,
    /// for what it leaves undecided.
    Baseline,
}

/// What a [`LayerPolicy`] applies to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Subject {
    /// Pods: in namespaces matching `namespace` (absent: the policy's own namespace when it has
    /// one, else every namespace), with labels matching `pods`.
    Pods {
        #[serde(skip_serializing_if = "Option::is_none")]
        namespace: Option<SelExpr>,
        pods: SelExpr,
    },
    /// Pods and host endpoints alike, by their labels (a Calico GlobalNetworkPolicy's
    /// `selector`): pods in namespaces matching `namespace` (absent: every namespace), and
    /// HostEndpoints (which have no namespace, so `namespace` does not restrict them).
    Endpoints {
        #[serde(skip_serializing_if = "Option::is_none")]
        namespace: Option<SelExpr>,
        selector: SelExpr,
    },
    /// Hosts (nodes): Calico HostEndpoints selected by `selector` over their labels, Cilium
    /// `nodeSelector`, ANP `nodes` subjects. Node labels come from HostEndpoints; absent labels
    /// leave a selector that tests them unresolved (a note, `partial`).
    Hosts { selector: SelExpr },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LAction {
    Allow,
    Deny,
    /// Calico `Pass`, ANP `Pass`: skip to the next tier (Calico) or to NetworkPolicy (ANP).
    Pass,
    /// Calico `Log`: no verdict, evaluation goes on.
    Log,
}

/// A Cilium entity or an equivalent (`world`, `host`, `remote-node`, `kube-apiserver`,
/// `cluster`, `all`, `health`, `init`, `ingress`, `unmanaged`).
pub type Entity = String;

/// One side of a rule: what the peer (or, for a rule's destination in ingress, the selected
/// endpoint itself) must be. Absent fields do not restrict.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EndpointMatch {
    /// Labels of the endpoint (pods, or HostEndpoints / nodes for host selectors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<SelExpr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_selector: Option<SelExpr>,
    /// Labels of the endpoint's namespace (Calico also sets `projectcalico.org/name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<SelExpr>,
    /// Restricts to pods of the policy's own namespace (Calico namespaced policies' `selector`
    /// without `namespaceSelector`, Cilium `fromEndpoints` in a CiliumNetworkPolicy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_namespace: Option<String>,
    /// Node selector (ANP `nodes` peers, Cilium `fromNodes`): the endpoint must be a host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<SelExpr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nets: Option<Neg<Vec<AddrRange>>>,
    /// `except` of a CIDR set: removed from `nets`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<AddrRange>,
    /// Any of these entities (Cilium); empty: no entity condition.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<Entity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ports: Option<Neg<Vec<PortItem>>>,
}

/// A port, a range, or a named port (resolved against the destination's container ports).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PortItem {
    Range(PortRange),
    Named(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct LRule {
    pub loc: Loc,
    pub action: LAction,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Neg<Protocol>>,
    /// The source (for ingress: the peer; for egress: the selected endpoint itself).
    pub src: EndpointMatch,
    /// The destination (for egress: the peer; for ingress: the selected endpoint itself).
    pub dst: EndpointMatch,
    /// Set when part of the rule is not modelled (serviceAccountSelector, toFQDNs, L7 rules...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial: Option<Note>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LayerPolicy {
    pub engine: Engine,
    /// `NetworkPolicy` (Calico), `GlobalNetworkPolicy`, `CiliumNetworkPolicy`, ...
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub loc: Loc,
    /// `file:line` of `loc`.
    pub at: String,
    /// Calico tier (`default` when unset), `admin`/`baseline` for ANP, `` for Cilium.
    pub tier: String,
    /// Calico `order` (absent: after every ordered policy), ANP `priority`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<f64>,
    pub subject: Subject,
    /// Directions the policy governs (`Ingress`, `Egress`).
    pub types: Vec<String>,
    pub ingress: Vec<LRule>,
    pub egress: Vec<LRule>,
    /// Calico `applyOnForward` (host endpoints: also police forwarded traffic).
    pub apply_on_forward: bool,
    /// Not modelled, policy-wide (preDNAT, doNotTrack, ...).
    pub notes: Vec<Note>,
    /// The whole object (for suppression by annotation).
    #[serde(skip)]
    pub span: Loc,
}

/// A Calico tier (`projectcalico.org/v3` Tier): its order and default action.
#[derive(Debug, Clone, Serialize)]
pub struct Tier {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<f64>,
    /// `Deny` (default) or `Pass`.
    pub default_action: LAction,
    pub loc: Loc,
}

/// A Calico HostEndpoint: a node's interface(s) that host policies select by label.
#[derive(Debug, Clone, Serialize)]
pub struct HostEndpoint {
    pub name: String,
    pub node: String,
    /// `*` for all interfaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface_name: Option<String>,
    pub expected_ips: Vec<AddrRange>,
    pub labels: Labels,
    /// `spec.profiles`: applied when no tier decides. `projectcalico-default-allow` (the profile
    /// of automatic host endpoints) allows; other profiles are not modelled (a note).
    pub profiles: Vec<String>,
    pub loc: Loc,
}

/// A Calico NetworkSet / GlobalNetworkSet: labelled addresses that selectors can match.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkSet {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub labels: Labels,
    pub nets: Vec<AddrRange>,
    pub loc: Loc,
}

/// Everything the layer adapters read.
#[derive(Debug, Default, Clone)]
pub struct Layers {
    pub firewalls: Vec<Firewall>,
    pub policies: Vec<LayerPolicy>,
    pub tiers: Vec<Tier>,
    pub host_endpoints: Vec<HostEndpoint>,
    pub network_sets: Vec<NetworkSet>,
}

impl Layers {
    pub fn extend(&mut self, other: Layers) {
        self.firewalls.extend(other.firewalls);
        self.policies.extend(other.policies);
        self.tiers.extend(other.tiers);
        self.host_endpoints.extend(other.host_endpoints);
        self.network_sets.extend(other.network_sets);
    }

    pub fn is_empty(&self) -> bool {
        self.firewalls.is_empty()
            && self.policies.is_empty()
            && self.tiers.is_empty()
            && self.host_endpoints.is_empty()
            && self.network_sets.is_empty()
    }
}
