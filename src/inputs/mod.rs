//! Input adapters: one per format, each turning a file into the shared [`Model`].
//!
//! Adding a format means adding a module and one entry in [`read_file`]'s dispatch.

pub mod anp;
pub mod calico;
pub mod cilium;
pub mod firewalld;
pub mod iptables;
pub mod k8s;
pub mod nft;
pub mod validate;
pub mod workload_ports;

use crate::finding::Finding;
use crate::model::Model;
use crate::source::{Loc, SourceFile};
use crate::yaml::{self, Limits};

/// Which namespaces' policies to keep (`None`: all). Policies elsewhere are still checked.
pub type NamespaceFilter<'a> = Option<&'a std::collections::BTreeSet<String>>;

/// Reads one file. Problems become located findings; what could be read is kept.
pub fn read_file(file: &SourceFile, limits: &Limits) -> (Model, Vec<Finding>) {
    read_file_filtered(file, limits, None)
}

/// Reads one file, keeping only the NetworkPolicies of the namespaces `keep` names.
pub fn read_file_filtered(
    file: &SourceFile,
    limits: &Limits,
    keep: NamespaceFilter,
) -> (Model, Vec<Finding>) {
    let mut model = Model::default();
    let mut findings = Vec::new();
    if file.text.contains('\0') {
        let offset = file.text.find('\0').unwrap_or(0);
        let index = crate::source::LineIndex::new(&file.text);
        findings.push(Finding::input_error(
            "the file contains NUL bytes: it is binary, not YAML or JSON",
            "pass Kubernetes manifests (YAML or JSON)",
            index.loc(&file.name, offset, offset),
        ));
        return (model, findings);
    }
    // Host firewalls are recognised by content (before YAML: nft's JSON is YAML too).
    type Reader = fn(&SourceFile, &Limits) -> (Option<crate::layers::Firewall>, Vec<Finding>);
    let firewall: Option<Reader> = if iptables::looks_like(&file.text) {
        Some(iptables::read)
    } else if nft::looks_like(&file.text) {
        Some(nft::read)
    } else if firewalld::looks_like(&file.text) {
        Some(firewalld::read)
    } else {
        None
    };
    if let Some(read) = firewall {
        let (fw, errors) = read(file, limits);
        model.layers.firewalls.extend(fw);
        findings.extend(errors);
        return (model, findings);
    }
    let error = yaml::for_each_document(&file.name, &file.text, limits, |doc| {
        for w in &doc.warnings {
            findings.push(Finding::input_error(
                w.message.clone(),
                "remove the repeated key",
                w.loc.clone(),
            ));
        }
        k8s::read_document(&doc.root, &mut model, &mut findings, keep);
    });
    if let Some(e) = error {
        findings.push(Finding::input_error(
            e.message,
            "fix the syntax; the documents before this point were still analysed",
            e.loc,
        ));
    }
    (model, findings)
}

/// Input that exceeds the size limit, reported without reading it.
pub fn too_large(name: &str, size: usize, limit: usize) -> Finding {
    Finding::input_error(
        format!("file is {size} bytes, over the {limit}-byte limit"),
        "raise the limit with --max-file-size, or split the file",
        Loc::file_start(name),
    )
}
