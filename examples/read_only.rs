//! Peak memory of reading alone: `/usr/bin/time -f %M cargo run --release --example read_only FILE`.
fn main() {
    let path = std::env::args().nth(1).expect("usage: read_only FILE");
    let text = std::fs::read_to_string(&path).unwrap();
    let file = portmatrix::SourceFile::new(path, text);
    let (model, findings) = portmatrix::inputs::read_file(&file, &Default::default());
    eprintln!(
        "{} policies, {} findings",
        model.network_policies.len(),
        findings.len()
    );
}
