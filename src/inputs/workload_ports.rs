//! What a pod template and a Service say about the ports a workload really uses: container
//! `command`/`args`, `env`, `ports` and probes, and Service `targetPort`s, each with its location.
//!
//! Called from the Kubernetes adapter. It only records what is written; which of these sets a
//! driver's port is the matrix's business (`ports.<key>.set_by`, applied by
//! `crate::workload_settings`).

use super::k8s::{opt_map, opt_seq, opt_str, read_labels, type_error};
use crate::finding::Finding;
use crate::model::{Arg, Container, DeclaredPort, EnvVar, PortValue, Probe, Service, ServicePort};
use crate::yaml::{Node, Value};

type R<T> = Result<T, Box<Finding>>;

const PROBES: &[(&str, &str)] = &[
    ("livenessProbe", "liveness"),
    ("readinessProbe", "readiness"),
    ("startupProbe", "startup"),
];

/// The containers and init containers of a pod spec. A `containerPort` that is not a number is
/// an error (the workload is left out, as before); problems in args, env and probes are
/// reported in `findings` and the rest of the container is kept.
pub fn read_containers(pod_spec: &Node, findings: &mut Vec<Finding>) -> R<Vec<Container>> {
    let mut out = Vec::new();
    for (key, init) in [("containers", false), ("initContainers", true)] {
        for c in opt_seq(pod_spec, key)?.unwrap_or_default() {
            if c.as_map().is_none() {
                continue;
            }
            out.push(read_container(c, init, findings)?);
        }
    }
    Ok(out)
}

fn read_container(c: &Node, init: bool, findings: &mut Vec<Finding>) -> R<Container> {
    let mut container = Container {
        name: opt_str(c, "name").ok().flatten().unwrap_or("").to_string(),
        init,
        ..Default::default()
    };
    for key in ["command", "args"] {
        match c.get(key) {
            None => {}
            Some(n) if n.is_null() => {}
            Some(n) => match n.as_seq() {
                Some(items) => {
                    container.argv_written = true;
                    for item in items {
                        match scalar_text(item) {
                            Some(text) => container.argv.push(Arg {
                                text,
                                loc: item.loc.clone(),
                            }),
                            None => {
                                findings.push(*type_error(item, &format!("{key}[]"), "a string"))
                            }
                        }
                    }
                }
                None => findings.push(*type_error(n, key, "a list of strings")),
            },
        }
    }
    match opt_seq(c, "env") {
        Ok(items) => {
            for e in items.unwrap_or_default() {
                match read_env(e) {
                    Ok(v) => container.env.push(v),
                    Err(f) => findings.push(*f),
                }
            }
        }
        Err(f) => findings.push(*f),
    }
    container.env_from = c
        .get("envFrom")
        .and_then(Node::as_seq)
        .is_some_and(|s| !s.is_empty());
    for p in opt_seq(c, "ports")?.unwrap_or_default() {
        let Some(port) = p.get("containerPort") else {
            continue;
        };
        let Value::Int(number) = port.value else {
            return Err(type_error(port, "containerPort", "a whole number"));
        };
        container.ports.push(DeclaredPort {
            name: opt_str(p, "name")?.map(str::to_string),
            port: number,
            protocol: opt_str(p, "protocol")?.unwrap_or("TCP").to_string(),
            loc: port.loc.clone(),
        });
    }
    for (key, kind) in PROBES {
        let Some(probe) = c.get(key).filter(|n| n.as_map().is_some()) else {
            continue;
        };
        for action in ["httpGet", "tcpSocket", "grpc"] {
            let Some(port) = probe.get(action).and_then(|a| a.get("port")) else {
                continue;
            };
            match &port.value {
                Value::Int(n) => container.probes.push(Probe {
                    kind: kind.to_string(),
                    port: PortValue::Number(*n),
                    loc: port.loc.clone(),
                }),
                Value::Str(s) => container.probes.push(Probe {
                    kind: kind.to_string(),
                    port: PortValue::Name(s.clone()),
                    loc: port.loc.clone(),
                }),
                _ => findings.push(*type_error(
                    port,
                    &format!("{key}.{action}.port"),
                    "a port number or a container port's name",
                )),
            }
        }
    }
    Ok(container)
}

fn read_env(e: &Node) -> R<EnvVar> {
    if e.as_map().is_none() {
        return Err(type_error(e, "env[]", "a mapping with name and value"));
    }
    let name_node = e
        .get("name")
        .ok_or_else(|| type_error(e, "env[].name", "a string"))?;
    let name = name_node
        .as_str()
        .ok_or_else(|| type_error(name_node, "env[].name", "a string"))?;
    // `valueFrom` (a field, ConfigMap or Secret reference) is known only at run time.
    let value = if e.get("valueFrom").is_some_and(|v| !v.is_null()) {
        None
    } else {
        match e.get("value").filter(|v| !v.is_null()) {
            None => Some(String::new()),
            Some(v) => {
                Some(scalar_text(v).ok_or_else(|| type_error(v, "env[].value", "a string"))?)
            }
        }
    };
    Ok(EnvVar {
        name: name.to_string(),
        value,
        loc: e.get("value").unwrap_or(name_node).loc.clone(),
    })
}

/// A scalar as the API server would read it into a string field (YAML writes `8080` unquoted).
fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

/// A v1 Service: its selector and ports (with `targetPort`).
pub fn read_service(node: &Node) -> R<Service> {
    let meta = opt_map(node, "metadata")?;
    let field = |key: &str, default: &str| -> R<String> {
        Ok(meta
            .map(|m| opt_str(m, key))
            .transpose()?
            .flatten()
            .unwrap_or(default)
            .to_string())
    };
    let name = field("name", "")?;
    let namespace = field("namespace", "default")?;
    let spec = opt_map(node, "spec")?;
    let selector = read_labels(spec.and_then(|s| s.get("selector")), "selector")?;
    let mut ports = Vec::new();
    if let Some(spec) = spec {
        for p in opt_seq(spec, "ports")?.unwrap_or_default() {
            if p.as_map().is_none() {
                return Err(type_error(
                    p,
                    "ports[]",
                    "a mapping with port and targetPort",
                ));
            }
            let Some(port_node) = p.get("port") else {
                continue;
            };
            let Value::Int(port) = port_node.value else {
                return Err(type_error(port_node, "port", "a whole number"));
            };
            let target = p.get("targetPort").filter(|n| !n.is_null());
            let target_port = match target.map(|t| &t.value) {
                None => None,
                Some(Value::Int(n)) => Some(PortValue::Number(*n)),
                Some(Value::Str(s)) => Some(match s.parse::<i64>() {
                    Ok(n) => PortValue::Number(n),
                    Err(_) => PortValue::Name(s.clone()),
                }),
                Some(_) => {
                    let t = target.unwrap_or(port_node);
                    return Err(type_error(
                        t,
                        "targetPort",
                        "a port number or a container port's name",
                    ));
                }
            };
            ports.push(ServicePort {
                name: opt_str(p, "name")?.map(str::to_string),
                port,
                protocol: opt_str(p, "protocol")?.unwrap_or("TCP").to_string(),
                target_port,
                loc: target.unwrap_or(port_node).loc.clone(),
            });
        }
    }
    Ok(Service {
        name,
        namespace,
        selector,
        ports,
        loc: meta
            .and_then(|m| m.get("name"))
            .map(|n| n.loc.clone())
            .unwrap_or_else(|| node.loc.clone()),
    })
}
