//! The iptables adapter: any text it claims is read without a panic, with located findings.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let file = portmatrix::SourceFile::new("f", text);
    let limits = portmatrix::yaml::Limits::default();
    let (fw, findings) = portmatrix::inputs::iptables::read(&file, &limits);
    for f in findings {
        let loc = f.loc.expect("reader findings are located");
        assert!(loc.line >= 1 && loc.column >= 1);
    }
    if let Some(fw) = fw {
        // The anomaly analysis runs on whatever the adapter produced.
        let _ = portmatrix::layers::anomaly::firewall(&fw);
    }
});
