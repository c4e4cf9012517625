//! The settings a driver's workloads carry, read the way the matrix says (`ports.<key>.set_by`,
//! `features.<key>.detect`): which port each configurable port really is, which feature flags
//! are on, and whether a component resolves names through the cluster DNS.
//!
//! Precedence is the same everywhere: the profile, then what the input's workloads show, then
//! the chart's default. A value that cannot be resolved (a variable known only at run time)
//! keeps the default and says so (PM602); sources that disagree are reported (PM601), and the
//! one the process actually uses (the flag) wins.

use crate::argv::{self, PortError};
use crate::finding::{Finding, Severity};
use crate::flows::ResolvedComponent;
use crate::matrix::{ContainerPortRef, Matrix, PortSourceSpec};
use crate::model::{Container, Model, PortValue, Workload};
use crate::profile::Profile;
use crate::source::Loc;
use serde::Serialize;
use std::collections::BTreeMap;

pub const PORTS_DISAGREE: &str = "PM601";
pub const PORT_UNRESOLVED: &str = "PM602";

/// Where a flow's port came from, as the report shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PortSource {
    /// `profile`, `workload` or `chart` (the matrix's default).
    pub from: String,
    /// What set it, such as `--web-hook-port=5443 in container storage-backend-controller of
    /// Deployment huawei-csi/huawei-csi-controller`.
    pub detail: String,
    /// `file:line:column` of what set it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// What else the input says about the port (values the profile overrides, values that could
    /// not be resolved).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl PortSource {
    /// One clause for a flow's reason.
    pub fn describe(&self, port: u16) -> String {
        let mut out = match self.from.as_str() {
            "chart" => format!("port {port} is the chart's default"),
            _ => format!("port {port} set by {}", self.detail),
        };
        if let Some(at) = &self.at {
            out.push_str(&format!(" ({at})"));
        }
        for n in &self.notes {
            out.push_str(&format!("; {n}"));
        }
        out
    }
}

/// A configurable port as resolved for one run.
#[derive(Debug, Clone)]
pub struct PortSetting {
    pub port: u16,
    /// `None`: the chart's default, and nothing in the input says otherwise.
    pub source: Option<PortSource>,
    /// The Service port that leads to it (`name`, `port`), when the input's Service shows it.
    pub service_port: Option<(String, u16)>,
    pub findings: Vec<Finding>,
}

/// A feature switch as resolved for one run, and why when the workload decided it.
#[derive(Debug, Clone)]
pub struct FeatureSetting {
    pub on: bool,
    pub why: Option<String>,
}

/// Everything the workloads decide for one driver.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub ports: BTreeMap<String, PortSetting>,
    pub features: BTreeMap<String, FeatureSetting>,
    /// Per component role: `Some(why)` when it does not use the cluster DNS.
    pub no_cluster_dns: BTreeMap<String, String>,
    /// Findings about feature flags (port findings live with their port).
    pub findings: Vec<Finding>,
}

impl Settings {
    pub fn feature(&self, key: &str) -> bool {
        self.features.get(key).is_some_and(|f| f.on)
    }
}

/// The workload a resolved component was found as, if the input has it.
pub fn workload_of<'m>(c: &ResolvedComponent, model: &'m Model) -> Option<&'m Workload> {
    let loc = c.loc.as_ref()?;
    model.workloads.iter().find(|w| {
        w.kind == c.workload_kind
            && w.name == c.workload_name
            && w.namespace == c.namespace
            && &w.loc == loc
    })
}

fn describe_workload(w: &Workload) -> String {
    format!("{} {}/{}", w.kind, w.namespace, w.name)
}

fn finding(rule: &str, severity: Severity, message: String, help: String, loc: Loc) -> Finding {
    Finding {
        rule: rule.to_string(),
        severity,
        message,
        help,
        flow: None,
        loc: Some(loc),
        suppressed: None,
    }
}

/// Resolves a driver's settings against the input.
pub fn resolve(
    matrix: &Matrix,
    profile: &Profile,
    components: &[ResolvedComponent],
    model: &Model,
) -> Settings {
    let component = |role: &str| {
        components
            .iter()
            .find(|c| c.driver == matrix.driver && c.role == role)
    };
    let workload = |role: &str| component(role).and_then(|c| workload_of(c, model));
    let mut settings = Settings::default();
    resolve_features(matrix, profile, &workload, &mut settings);
    let dp = profile.driver(&matrix.driver);
    for (key, spec) in &matrix.ports {
        let mut setting = PortSetting {
            port: spec.default,
            source: None,
            service_port: None,
            findings: Vec::new(),
        };
        let set_by = spec.set_by.as_ref();
        let found =
            set_by.and_then(|s| Some((s, component(&s.component)?, workload(&s.component)?)));
        let from_workload = found.map(|(s, c, w)| from_workload(key, &s.sources, c, w, model));
        if let Some(resolved) = &from_workload {
            setting.service_port = resolved.service_port.clone();
        }
        if let Some(&port) = dp.ports.get(key) {
            let mut notes = Vec::new();
            if let Some(Chosen::Port {
                port: wp,
                detail,
                at,
                ..
            }) = from_workload.as_ref().map(|r| &r.chosen)
            {
                if *wp != port {
                    notes.push(format!(
                        "the workload sets {wp} ({detail}, {at}); the profile wins"
                    ));
                }
            }
            setting.port = port;
            setting.source = Some(PortSource {
                from: "profile".into(),
                detail: format!(
                    "drivers.{}.ports.{key} in the profile{}",
                    matrix.driver,
                    profile
                        .file
                        .as_ref()
                        .map(|f| format!(" {f}"))
                        .unwrap_or_default()
                ),
                at: None,
                notes,
            });
        } else if let Some(resolved) = from_workload {
            match resolved.chosen {
                Chosen::Port {
                    port, detail, at, ..
                } => {
                    setting.port = port;
                    setting.source = Some(PortSource {
                        from: "workload".into(),
                        detail,
                        at: Some(at.to_string()),
                        notes: Vec::new(),
                    });
                    setting.findings = resolved.findings;
                }
                Chosen::Unresolved { detail, why, at } => {
                    let note = format!(
                        "{detail} ({at}) cannot be resolved ({why}), so the chart's default {} is checked",
                        spec.default
                    );
                    setting.findings.push(finding(
                        PORT_UNRESOLVED,
                        Severity::Warning,
                        format!("the {key} port is set by {detail}, which cannot be resolved: {why}; portmatrix checks the chart's default {} instead, which may not be the port in use", spec.default),
                        format!("write the port as a literal, or set drivers.{}.ports.{key} in the profile", matrix.driver),
                        at,
                    ));
                    setting.source = Some(PortSource {
                        from: "chart".into(),
                        detail: "the chart's default".into(),
                        at: None,
                        notes: vec![note],
                    });
                }
                Chosen::Nothing => {}
            }
        }
        settings.ports.insert(key.clone(), setting);
    }
    for c in components.iter().filter(|c| c.driver == matrix.driver) {
        let w = workload_of(c, model);
        let (policy, whose) = match w {
            Some(w) => (w.dns_policy.clone(), describe_workload(w)),
            None => (
                matrix
                    .components
                    .get(&c.role)
                    .and_then(|m| m.dns_policy.clone()),
                format!("the chart's {} {}", c.workload_kind, c.workload_name),
            ),
        };
        let shown = policy.clone().unwrap_or_else(|| "ClusterFirst".into());
        let uses = match policy.as_deref() {
            Some("ClusterFirstWithHostNet") => true,
            // `None` takes its nameservers from dnsConfig, which may be the cluster DNS.
            Some("None") => true,
            Some("Default") => false,
            _ => !c.host_network,
        };
        if !uses {
            let net = if c.host_network {
                "on the host network "
            } else {
                ""
            };
            settings.no_cluster_dns.insert(
                c.role.clone(),
                format!("{whose} runs {net}with dnsPolicy {shown}: it uses the node's resolver, not the cluster DNS"),
            );
        }
    }
    settings
}

fn resolve_features<'m>(
    matrix: &Matrix,
    profile: &Profile,
    workload: &dyn Fn(&str) -> Option<&'m Workload>,
    settings: &mut Settings,
) {
    let explicit = profile.driver(&matrix.driver).features;
    let mut first: BTreeMap<String, FeatureSetting> = BTreeMap::new();
    for (key, f) in &matrix.features {
        let mut s = FeatureSetting {
            on: f.default,
            why: None,
        };
        if let Some(&on) = explicit.get(key) {
            // The user's own setting needs no explanation.
            s = FeatureSetting { on, why: None };
            first.insert(key.clone(), s);
            continue;
        } else if let Some(d) = &f.detect {
            let container = workload(&d.component).and_then(|w| {
                let c = w
                    .containers
                    .iter()
                    .find(|c| c.name == d.container && c.argv_written)?;
                Some((w, c))
            });
            if let Some((w, c)) = container {
                let whose = format!("container {} of {}", c.name, describe_workload(w));
                match argv::bool_flag(c, &d.flag) {
                    Some(Ok((on, flag))) => {
                        s = FeatureSetting {
                            on,
                            why: Some(format!("{whose} runs with {} ({})", flag.written, flag.loc)),
                        }
                    }
                    Some(Err(flag)) => settings.findings.push(finding(
                        PORT_UNRESOLVED,
                        Severity::Warning,
                        format!(
                            "{} in {whose} is not a boolean portmatrix can read, so the `{key}` feature keeps its default ({})",
                            flag.written,
                            if f.default { "on" } else { "off" }
                        ),
                        format!("write {} or {}=false, or set the feature in the profile", d.flag, d.flag),
                        flag.loc,
                    )),
                    None => {
                        s = FeatureSetting {
                            on: false,
                            why: Some(format!("{whose} runs without {}", d.flag)),
                        }
                    }
                }
            }
        }
        first.insert(key.clone(), s);
    }
    for (key, f) in &matrix.features {
        let Some(mut s) = first.get(key).cloned() else {
            continue;
        };
        if s.why.is_none() && s.on && !explicit.contains_key(key) {
            if let Some(other) = f
                .off_with
                .iter()
                .find(|o| first.get(*o).is_some_and(|x| x.on))
            {
                s = FeatureSetting {
                    on: false,
                    why: Some(format!(
                        "off because `{other}` is on: the chart enables one or the other"
                    )),
                };
            }
        }
        settings.features.insert(key.clone(), s);
    }
}

/// What one source of a port says.
enum Outcome {
    Absent,
    Port {
        port: u16,
        /// Written in the input (not a program default).
        written: bool,
        detail: String,
        at: Loc,
    },
    Unresolved {
        detail: String,
        why: String,
        at: Loc,
    },
}

enum Chosen {
    Nothing,
    Port {
        port: u16,
        detail: String,
        at: Loc,
    },
    Unresolved {
        detail: String,
        why: String,
        at: Loc,
    },
}

struct FromWorkload {
    chosen: Chosen,
    service_port: Option<(String, u16)>,
    findings: Vec<Finding>,
}

fn from_workload(
    key: &str,
    sources: &[PortSourceSpec],
    component: &ResolvedComponent,
    w: &Workload,
    model: &Model,
) -> FromWorkload {
    let mut chosen = Chosen::Nothing;
    let mut service_port = None;
    let mut findings = Vec::new();
    for spec in sources {
        let outcome = source(spec, component, w, model, &mut service_port);
        match (&chosen, outcome) {
            (_, Outcome::Absent) => {}
            (Chosen::Nothing, Outcome::Port { port, detail, at, .. }) => {
                chosen = Chosen::Port { port, detail, at }
            }
            (Chosen::Nothing, Outcome::Unresolved { detail, why, at }) => {
                chosen = Chosen::Unresolved { detail, why, at }
            }
            (
                Chosen::Port { port: used, detail: used_by, at: used_at },
                Outcome::Port { port, written: true, detail, at },
            ) if port != *used => findings.push(finding(
                PORTS_DISAGREE,
                Severity::Warning,
                format!(
                    "{detail} says {port}, but the {key} port in use is {used}: {used_by} ({used_at}) sets it"
                ),
                format!("make {detail} {used}, or change the port everywhere it is set"),
                at,
            )),
            _ => {}
        }
    }
    FromWorkload {
        chosen,
        service_port,
        findings,
    }
}

fn source(
    spec: &PortSourceSpec,
    component: &ResolvedComponent,
    w: &Workload,
    model: &Model,
    service_port: &mut Option<(String, u16)>,
) -> Outcome {
    let whose = describe_workload(w);
    let container = spec
        .container
        .as_ref()
        .and_then(|name| w.containers.iter().find(|c| &c.name == name));
    if let Some(flag) = &spec.arg {
        let Some(c) = container else {
            return Outcome::Absent;
        };
        let detail_of = |written: &str| format!("{written} in container {} of {whose}", c.name);
        return match argv::flag(c, flag) {
            Some(f) => match &f.value {
                None => Outcome::Unresolved {
                    detail: detail_of(&f.written),
                    why: "the flag has no value".into(),
                    at: f.loc,
                },
                Some(v) => {
                    let address = spec.value.as_deref() == Some("address");
                    let mut detail = detail_of(&f.written);
                    if !v.used.is_empty() {
                        let env: Vec<String> = v
                            .used
                            .iter()
                            .map(|(n, loc)| format!("{n} at {}:{}", loc.file, loc.line))
                            .collect();
                        detail.push_str(&format!(" = {} (env {})", v.display(), env.join(", ")));
                    }
                    match argv::port_of(v, address) {
                        Ok(port) => Outcome::Port {
                            port,
                            written: true,
                            detail,
                            at: f.loc,
                        },
                        Err(PortError::Unknown(names)) => Outcome::Unresolved {
                            detail,
                            why: format!(
                                "{} known only at run time",
                                names
                                    .iter()
                                    .map(|n| format!("$({n}) is"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                            at: f.loc,
                        },
                        Err(PortError::Invalid(text)) => Outcome::Unresolved {
                            detail,
                            why: format!("`{text}` is not a port"),
                            at: f.loc,
                        },
                    }
                }
            },
            None => match spec.flag_default {
                Some(port) if c.argv_written => Outcome::Port {
                    port,
                    written: false,
                    detail: format!(
                        "the program's default {port}: container {} of {whose} runs without {flag}",
                        c.name
                    ),
                    at: c
                        .argv
                        .first()
                        .map(|a| a.loc.clone())
                        .unwrap_or_else(|| w.loc.clone()),
                },
                _ => Outcome::Absent,
            },
        };
    }
    if let Some(r) = &spec.container_port {
        let Some(c) = container else {
            return Outcome::Absent;
        };
        let found = match r {
            ContainerPortRef::Name(n) => c.ports.iter().find(|p| p.name.as_deref() == Some(n)),
            ContainerPortRef::Index(i) => c.ports.get(*i),
        };
        return match found {
            Some(p) => match u16::try_from(p.port).ok().filter(|&p| p > 0) {
                Some(port) => Outcome::Port {
                    port,
                    written: true,
                    detail: format!(
                        "containerPort {} of container {} of {whose}",
                        p.port, c.name
                    ),
                    at: p.loc.clone(),
                },
                None => Outcome::Absent,
            },
            None => Outcome::Absent,
        };
    }
    if let Some(kind) = &spec.probe {
        let Some(c) = container else {
            return Outcome::Absent;
        };
        let Some(probe) = c.probes.iter().find(|p| &p.kind == kind) else {
            return Outcome::Absent;
        };
        let port = match &probe.port {
            PortValue::Number(n) => u16::try_from(*n).ok(),
            PortValue::Name(n) => named_port(c, n),
        };
        let written = match &probe.port {
            PortValue::Number(n) => n.to_string(),
            PortValue::Name(n) => n.clone(),
        };
        return match port.filter(|&p| p > 0) {
            Some(port) => Outcome::Port {
                port,
                written: true,
                detail: format!(
                    "the {kind} probe's port {written} in container {} of {whose}",
                    c.name
                ),
                at: probe.loc.clone(),
            },
            None => Outcome::Absent,
        };
    }
    if let (Some(name), Some(port_name)) = (&spec.service, &spec.service_port) {
        let Some(svc) = model
            .services
            .iter()
            .find(|s| &s.name == name && s.namespace == component.namespace)
        else {
            return Outcome::Absent;
        };
        let Some(sp) = svc
            .ports
            .iter()
            .find(|p| p.name.as_deref() == Some(port_name))
        else {
            return Outcome::Absent;
        };
        if let Ok(p) = u16::try_from(sp.port) {
            *service_port = Some((svc.name.clone(), p));
        }
        let target = match &sp.target_port {
            None => u16::try_from(sp.port).ok(),
            Some(PortValue::Number(n)) => u16::try_from(*n).ok(),
            Some(PortValue::Name(n)) => w.containers.iter().find_map(|c| named_port(c, n)),
        };
        return match target.filter(|&p| p > 0) {
            Some(port) => Outcome::Port {
                port,
                written: true,
                detail: format!(
                    "targetPort {port} of port {port_name} of Service {}/{}",
                    svc.namespace, svc.name
                ),
                at: sp.loc.clone(),
            },
            None => Outcome::Absent,
        };
    }
    Outcome::Absent
}

fn named_port(c: &Container, name: &str) -> Option<u16> {
    c.ports
        .iter()
        .find(|p| p.name.as_deref() == Some(name))
        .and_then(|p| u16::try_from(p.port).ok())
}

#[cfg(test)]
mod tests;
