//! The whole lint entry point (reader, flow resolution, Rego evaluation) on one input file.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let request = portmatrix::LintRequest {
        files: vec![portmatrix::SourceFile::new("f.yaml", text)],
        drivers: vec!["trident".to_string()],
        ..Default::default()
    };
    let report = portmatrix::lint(&request).expect("lint never fails on file content");
    assert!(!report.flows.is_empty());
});
