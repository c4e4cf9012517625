//! nftables rulesets as `nft -j list ruleset` prints them (JSON), into the shared layer model ([`crate::layers::Firewall`]).

use crate::finding::Finding;
use crate::layers::Firewall;
use crate::source::SourceFile;
use crate::yaml::Limits;

/// Whether the text is in this format (recognised by content, not by file name).
pub fn looks_like(text: &str) -> bool {
    let _ = text;
    false
}

/// Reads one file. Problems become located findings; what could be read is kept.
pub fn read(file: &SourceFile, limits: &Limits) -> (Option<Firewall>, Vec<Finding>) {
    let _ = (file, limits);
    (None, Vec::new())
}
