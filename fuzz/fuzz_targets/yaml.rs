//! The spanned YAML/JSON reader: any bytes, no panic; every location within the text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = portmatrix::yaml::Limits::default();
    let (docs, err) = portmatrix::yaml::parse_stream("f.yaml", text, &limits);
    for d in &docs {
        assert!(d.root.loc.offset <= text.len());
    }
    if let Some(e) = err {
        assert!(e.loc.line >= 1 && e.loc.offset <= text.len());
    }
});
