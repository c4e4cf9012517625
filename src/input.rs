//! Builds the one input document the Rego rules see (`docs/input-schema.md`), and turns the
//! engine's answer back into a [`Report`].

use crate::engine::EngineReport;
use crate::finding::{Finding, Severity};
use crate::flows::{self, InactiveFlow, RequiredFlow, ResolvedComponent};
use crate::matrix::Matrix;
use crate::model::{Labels, Model};
use crate::profile::Profile;
use crate::report::{port_text, Decision, FlowReport, Report, Summary, REPORT_VERSION};
use crate::rules::RuleMeta;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Version of the input document's schema.
pub const INPUT_VERSION: u32 = 1;

pub struct InputDocument {
    /// The document as JSON text (serialized directly, without an intermediate tree).
    pub json: String,
    pub flows: Vec<RequiredFlow>,
    /// Maps the location ids in `json` back to locations.
    pub locations: Vec<crate::source::Loc>,
    /// What the drivers' workloads say about their ports that does not add up (PM601, PM602).
    pub findings: Vec<Finding>,
}

#[derive(Serialize)]
struct Pod<'a> {
    name: String,
    kind: &'a str,
    labels: &'a Labels,
    host_network: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    component: Option<&'a str>,
}

#[derive(Serialize)]
struct ComponentOut<'a> {
    #[serde(flatten)]
    component: &'a ResolvedComponent,
    /// `pod` or `host`, as for flow endpoints.
    kind: &'static str,
}

fn namespaces_of(components: &[ResolvedComponent], flows: &[RequiredFlow]) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = components.iter().map(|c| c.namespace.clone()).collect();
    for f in flows {
        for ep in [&f.from, &f.to] {
            if ep.kind == "pod" {
                if let Some(ns) = &ep.namespace {
                    out.insert(ns.clone());
                }
            }
        }
    }
    out
}

/// The namespaces whose policies can decide the drivers' flows.
pub fn relevant_namespaces(
    matrices: &[&Matrix],
    profile: &Profile,
    model: &Model,
) -> BTreeSet<String> {
    let by_ns = flows::policies_by_namespace(&[]);
    let mut components = Vec::new();
    for m in matrices {
        components.extend(flows::resolve_components(m, profile, model));
    }
    let mut required = Vec::new();
    for m in matrices {
        let settings = crate::workload_settings::resolve(m, profile, &components, model);
        required.extend(
            flows::resolve_flows(
                m,
                profile,
                &components,
                &settings,
                &by_ns,
                &Default::default(),
            )
            .0,
        );
    }
    namespaces_of(&components, &required)
}

#[derive(Serialize)]
struct NamespaceOut {
    labels: Labels,
}

/// The input document (`docs/input-schema.md`).
#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    drivers: Vec<&'a str>,
    profile: &'a Profile,
    components: Vec<ComponentOut<'a>>,
    pods: BTreeMap<&'a str, Vec<Pod<'a>>>,
    namespaces: BTreeMap<String, NamespaceOut>,
    policies: BTreeMap<&'a str, Vec<&'a crate::model::NetworkPolicy>>,
    /// Policies of namespaces no driver flow touches, left out of `policies`.
    policies_omitted: usize,
    /// Policies with values the API server rejects: reported, and left out of `policies`.
    policies_rejected: usize,
    flows: &'a [RequiredFlow],
    inactive_flows: &'a [InactiveFlow],
    unsupported: &'a [crate::model::Unsupported],
    /// What Calico, Cilium, AdminNetworkPolicy and host-firewall rules can do to the drivers'
    /// ports (absent when none of those layers was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    layer_facts: Option<crate::layers::facts::Facts>,
}

pub fn build(matrices: &[&Matrix], profile: &Profile, model: &Model) -> InputDocument {
    let by_ns = flows::policies_by_namespace(&model.network_policies);
    let mut components: Vec<ResolvedComponent> = Vec::new();
    for m in matrices {
        components.extend(flows::resolve_components(m, profile, model));
    }
    let mut required: Vec<RequiredFlow> = Vec::new();
    let mut inactive: Vec<InactiveFlow> = Vec::new();
    let mut findings = Vec::new();
    for m in matrices {
        let mut settings = crate::workload_settings::resolve(m, profile, &components, model);
        let (r, i) =
            flows::resolve_flows(m, profile, &components, &settings, &by_ns, &model.layers);
        // What the workloads say about a port matters only where a required flow uses it.
        for f in m.flows.iter().filter(|f| r.iter().any(|x| x.id == f.id)) {
            if let Some(p) = f.port_key.as_ref().and_then(|k| settings.ports.get_mut(k)) {
                findings.append(&mut p.findings);
            }
        }
        findings.append(&mut settings.findings);
        required.extend(r);
        inactive.extend(i);
    }

    // Known pods per namespace: the drivers' components and the workloads supplied.
    let mut pods: BTreeMap<&str, Vec<Pod>> = BTreeMap::new();
    for c in &components {
        pods.entry(c.namespace.as_str()).or_default().push(Pod {
            name: c.workload_name.clone(),
            kind: &c.workload_kind,
            labels: &c.labels,
            host_network: c.host_network,
            component: Some(&c.id),
        });
    }
    for w in &model.workloads {
        let known = components.iter().any(|c| {
            c.workload_kind == w.kind && c.workload_name == w.name && c.namespace == w.namespace
        });
        if !known {
            pods.entry(w.namespace.as_str()).or_default().push(Pod {
                name: w.name.clone(),
                kind: &w.kind,
                labels: &w.labels,
                host_network: w.host_network,
                component: None,
            });
        }
    }

    // Every namespace anything refers to, with its labels (the implied name label at least).
    let mut namespaces: BTreeMap<String, Labels> = BTreeMap::new();
    let mut mention = |ns: &str| {
        namespaces.entry(ns.to_string()).or_insert_with(|| {
            [("kubernetes.io/metadata.name".to_string(), ns.to_string())].into()
        });
    };
    for p in &model.network_policies {
        mention(&p.namespace);
    }
    for w in &model.workloads {
        mention(&w.namespace);
    }
    for c in &components {
        mention(&c.namespace);
    }
    mention(&profile.cluster.dns.namespace);
    mention(&profile.cluster.prometheus.namespace);
    mention("kube-system");
    for n in &model.namespaces {
        namespaces.insert(n.name.clone(), n.labels.clone());
    }

    // What the other enforcement layers decide, atom by atom.
    let mut layer_facts = None;
    if !model.layers.is_empty() {
        let ctx = crate::layers::eval::Ctx {
            layers: &model.layers,
            namespaces: &namespaces,
            cluster: &profile.cluster,
            hosts: &profile.hosts,
        };
        for f in &mut required {
            let l = crate::layers::eval::evaluate(&ctx, f);
            if !l.is_empty() || !l.notes.is_empty() {
                f.layers = Some(l);
            }
        }
        layer_facts = Some(crate::layers::facts::collect(&ctx, &required, &inactive));
    }

    // Only namespaces where a driver's pods or a flow's pod endpoints live can hold a policy that
    // selects them: the rest of a cluster dump stays out of the engine (it was validated by the
    // reader already). This keeps a 10,000-policy dump fast and small.
    let relevant = namespaces_of(&components, &required);
    let mut policies: BTreeMap<&str, Vec<&crate::model::NetworkPolicy>> = BTreeMap::new();
    let mut omitted = 0usize;
    for p in &model.network_policies {
        if relevant.contains(&p.namespace) {
            policies.entry(p.namespace.as_str()).or_default().push(p);
        } else {
            omitted += 1;
        }
    }

    let doc = Doc {
        version: INPUT_VERSION,
        drivers: matrices.iter().map(|m| m.driver.as_str()).collect(),
        profile,
        components: components
            .iter()
            .map(|c| ComponentOut {
                component: c,
                kind: if c.host_network { "host" } else { "pod" },
            })
            .collect(),
        pods,
        namespaces: namespaces
            .into_iter()
            .map(|(k, labels)| (k, NamespaceOut { labels }))
            .collect(),
        policies,
        policies_omitted: omitted + model.omitted_policies,
        policies_rejected: model.rejected_policies,
        flows: &required,
        inactive_flows: &inactive,
        unsupported: &model.unsupported,
        layer_facts,
    };
    let (json, locations) =
        crate::source::with_loc_ids(|| serde_json::to_string(&doc).unwrap_or_default());
    InputDocument {
        json,
        flows: required,
        locations,
        findings,
    }
}

/// Merges the engine's verdicts and findings with the reader findings into a report.
pub fn assemble(
    doc: InputDocument,
    result: EngineReport,
    custom: Vec<crate::engine::CustomFinding>,
    mut findings: Vec<Finding>,
    registry: &[RuleMeta],
    drivers: Vec<String>,
) -> Report {
    let verdicts: BTreeMap<&str, &crate::engine::EngineVerdict> =
        result.flows.iter().map(|v| (v.id.as_str(), v)).collect();
    let mut flows = Vec::new();
    for f in &doc.flows {
        let Some(v) = verdicts.get(f.id.as_str()) else {
            continue;
        };
        let mut seen = BTreeSet::new();
        let decided_by = v
            .decided_by
            .iter()
            .filter_map(|d| Some((d, doc.locations.get(d.loc)?)))
            .filter(|(d, loc)| {
                seen.insert((
                    loc.file.clone(),
                    loc.line,
                    d.effect.clone(),
                    d.direction.clone(),
                ))
            })
            .map(|(d, loc)| Decision {
                file: loc.file.to_string(),
                line: loc.line,
                column: loc.column,
                policy: d.policy.clone(),
                direction: d.direction.clone(),
                effect: d.effect.clone(),
                layer: d
                    .layer
                    .clone()
                    .unwrap_or_else(|| "networkpolicy".to_string()),
            })
            .collect();
        let mut reason = v.reason.clone();
        for (dir, other) in [("egress", &f.to), ("ingress", &f.from)] {
            let allowed_here = v
                .decided_by
                .iter()
                .any(|d| d.direction == dir && d.effect == "allow");
            if allowed_here
                && other.addresses.is_none()
                && matches!(other.kind.as_str(), "host" | "external")
            {
                reason.push_str(&format!(
                    "; assumes the {dir} rule's ipBlock covers the {} addresses, which the profile does not give (set {})",
                    other.role,
                    address_key(&other.role, other.kind.as_str(), &f.driver)
                ));
            }
        }
        if f.approximate {
            reason.push_str(" (approximate: too many address pieces to check each one)");
        }
        if let (Some(source), [[port, _]]) = (&f.port_source, f.port_ranges.as_slice()) {
            reason.push_str(&format!("; {}", source.describe(*port)));
        }
        flows.push(FlowReport {
            id: f.id.clone(),
            driver: f.driver.clone(),
            from: f.from.role.clone(),
            to: f.to.role.clone(),
            protocol: f.protocol.clone(),
            ports: f.port_ranges.iter().map(|r| port_text(*r)).collect(),
            service: f.service.clone(),
            purpose: f.purpose.clone(),
            status: v.status.clone(),
            reason,
            decided_by,
            port_source: f.port_source.clone(),
        });
    }
    for ef in result.findings {
        let severity = registry
            .iter()
            .find(|r| r.id == ef.rule)
            .map(|r| r.severity)
            .unwrap_or(Severity::Error);
        findings.push(Finding {
            rule: ef.rule,
            severity,
            message: ef.message,
            help: ef.help,
            flow: ef.flow,
            loc: ef.loc.and_then(|id| doc.locations.get(id).cloned()),
            suppressed: None,
        });
    }
    // User rules blame a location id, or a path into the input document, or nothing (then the
    // finding points at the rule's file).
    let tree: Option<serde_json::Value> = custom
        .iter()
        .any(|c| c.loc.is_none() && c.path.is_some())
        .then(|| serde_json::from_str(&doc.json).ok())
        .flatten();
    for c in custom {
        let id = c.loc.or_else(|| {
            let path = c.path.as_ref()?;
            crate::engine::loc_of_path(tree.as_ref()?, path)
        });
        let loc = id
            .and_then(|id| doc.locations.get(id).cloned())
            .unwrap_or_else(|| crate::source::Loc::file_start(&c.file));
        findings.push(Finding {
            rule: c.rule,
            severity: c.severity,
            message: c.message,
            help: c.help,
            flow: c.flow,
            loc: Some(loc),
            suppressed: None,
        });
    }
    sort_findings(&mut findings);
    findings.dedup();
    Report {
        version: REPORT_VERSION,
        drivers,
        flows,
        findings,
        summary: Summary::default(),
    }
}

/// The profile key that gives an endpoint's addresses.
fn address_key(role: &str, kind: &str, driver: &str) -> String {
    match role {
        "apiserver" => "cluster.apiserver".to_string(),
        "storage-management" => format!("drivers.{driver}.storage.management"),
        "storage-data" => format!("drivers.{driver}.storage.data"),
        "directory-servers" => format!("drivers.{driver}.storage.directory"),
        _ if kind == "host" => "cluster.nodes".to_string(),
        _ => "the profile's addresses".to_string(),
    }
}

/// Located findings first, by file and position; then the rest by rule and flow.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let key = |f: &Finding| {
            (
                f.loc.is_none(),
                f.loc.as_ref().map(|l| (l.file.clone(), l.line, l.column)),
                f.rule.clone(),
                f.flow.clone(),
                f.message.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
}
