//! The cilium adapter (through the Kubernetes reader's dispatch), seeded with its fixtures, and the
//! anomaly analysis of what it read.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let file = portmatrix::SourceFile::new("f.yaml", text);
    let (model, findings) = portmatrix::inputs::read_file(&file, &Default::default());
    for f in findings {
        let loc = f.loc.expect("reader findings are located");
        assert!(loc.line >= 1 && loc.column >= 1);
    }
    for p in &model.layers.policies {
        let _ = portmatrix::layers::anomaly::policy(p);
    }
});
