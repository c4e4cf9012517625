//! Precedence of the profile, the workloads' flags and the chart, on the built-in Trident matrix.

use super::*;
use crate::source::SourceFile;

fn settings(manifest: &str, profile: &str) -> Settings {
    let matrices = crate::matrix::builtin().unwrap();
    let matrix = matrices.iter().find(|m| m.driver == "trident").unwrap();
    let (model, errors) = crate::inputs::read_file(
        &SourceFile::new("m.yaml", manifest),
        &crate::yaml::Limits::default(),
    );
    assert!(errors.is_empty(), "{errors:?}");
    let (profile, errors) = crate::profile::parse("p.yaml", profile, &matrices);
    assert!(errors.is_empty(), "{errors:?}");
    let components = crate::flows::resolve_components(matrix, &profile, &model);
    resolve(matrix, &profile, &components, &model)
}

fn controller(args: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: trident-controller, namespace: trident}}\n\
         spec:\n  template:\n    metadata: {{labels: {{app: controller.csi.trident.netapp.io}}}}\n    spec:\n      \
         containers:\n        - name: trident-main\n          args: [{args}]\n"
    )
}

fn on(s: &Settings, key: &str) -> bool {
    s.feature(key)
}

#[test]
fn metrics_switches_profile_then_flags_then_chart() {
    // Chart: --metrics, no HTTPS metrics.
    let s = settings("", "");
    assert!(on(&s, "metrics") && !on(&s, "https-metrics"));
    // The profile's https_metrics turns the plain endpoint's default off.
    let s = settings("", "drivers: {trident: {https_metrics: true}}");
    assert!(!on(&s, "metrics") && on(&s, "https-metrics"));
    // Both written in the profile: both, as the user says.
    let s = settings(
        "",
        "drivers: {trident: {https_metrics: true, metrics: true}}",
    );
    assert!(on(&s, "metrics") && on(&s, "https-metrics"));
    // The controller's args decide when the profile does not.
    let s = settings(&controller("\"--https_metrics\""), "");
    assert!(!on(&s, "metrics") && on(&s, "https-metrics"));
    let s = settings(&controller("\"--metrics\", \"--https_metrics=false\""), "");
    assert!(on(&s, "metrics") && !on(&s, "https-metrics"));
    // ... and the profile beats the args.
    let s = settings(
        &controller("\"--https_metrics\""),
        "drivers: {trident: {https_metrics: false}}",
    );
    assert!(!on(&s, "https-metrics"));
}

#[test]
fn flag_value_beats_service_and_disagreement_is_reported() {
    let manifest = format!(
        "{}---\napiVersion: v1\nkind: Service\nmetadata: {{name: trident-csi, namespace: trident}}\n\
         spec:\n  ports:\n    - {{name: metrics, port: 9220, targetPort: 8001}}\n",
        controller("\"--metrics\", \"--metrics_port\", \"9001\"")
    );
    let s = settings(&manifest, "");
    let m = &s.ports["metrics"];
    assert_eq!(m.port, 9001);
    assert_eq!(m.service_port, Some(("trident-csi".to_string(), 9220)));
    let source = m.source.as_ref().unwrap();
    assert_eq!(source.from, "workload");
    assert!(
        source.detail.starts_with("--metrics_port 9001"),
        "{}",
        source.detail
    );
    assert_eq!(m.findings.len(), 1);
    assert_eq!(m.findings[0].rule, PORTS_DISAGREE);
    // The profile wins, and says what the workload had.
    let s = settings(&manifest, "drivers: {trident: {ports: {metrics: 8001}}}");
    let m = &s.ports["metrics"];
    assert_eq!(m.port, 8001);
    assert_eq!(m.source.as_ref().unwrap().from, "profile");
    assert!(m.source.as_ref().unwrap().notes[0].contains("the workload sets 9001"));
}

#[test]
fn program_default_when_the_flag_is_absent_but_not_without_args() {
    let s = settings(&controller("\"--metrics\""), "");
    let m = &s.ports["metrics"];
    assert_eq!(m.port, 8001);
    assert!(m
        .source
        .as_ref()
        .unwrap()
        .detail
        .contains("runs without --metrics_port"));
    // No args at all: the image's own command line is unknown; the chart's default, silently.
    let bare = controller("").replace("          args: []\n", "");
    let s = settings(&bare, "");
    assert!(s.ports["metrics"].source.is_none());
    assert!(on(&s, "metrics"), "no args: no detection");
}

#[test]
fn host_network_without_cluster_first_with_host_net_uses_the_node_resolver() {
    let host = controller("\"--metrics\"").replace(
        "    spec:\n      containers",
        "    spec:\n      hostNetwork: true\n      containers",
    );
    let s = settings(&host, "");
    assert!(s.no_cluster_dns.contains_key("controller"));
    assert!(
        !s.no_cluster_dns.contains_key("node"),
        "the chart's node has ClusterFirstWithHostNet"
    );
    let with = host.replace(
        "hostNetwork: true",
        "hostNetwork: true\n      dnsPolicy: ClusterFirstWithHostNet",
    );
    assert!(!settings(&with, "")
        .no_cluster_dns
        .contains_key("controller"));
    assert!(!settings(&controller(""), "")
        .no_cluster_dns
        .contains_key("controller"));
}
