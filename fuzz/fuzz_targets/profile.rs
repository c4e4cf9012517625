//! The profile loader: unknown keys and bad values become located errors, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(matrices) = portmatrix::matrix::builtin() else { return };
    let (_, errors) = portmatrix::profile::parse("p.yaml", text, &matrices);
    for e in errors {
        assert!(e.loc.is_some());
    }
});
