//! Times each phase of a lint run on one file:
//! `cargo run --release --example phases -- FILE [DRIVER]` (default driver: trident).
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).expect("usage: phases FILE");
    let text = std::fs::read_to_string(&path).unwrap();
    let file = portmatrix::SourceFile::new(path, text);
    let t = Instant::now();
    let (model, _) = portmatrix::inputs::read_file(&file, &Default::default());
    eprintln!("read      {:>8.1?}", t.elapsed());
    let t = Instant::now();
    let matrices = portmatrix::matrix::builtin().unwrap();
    let driver = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "trident".to_string());
    let selected: Vec<_> = matrices.iter().filter(|m| m.driver == driver).collect();
    let profile = portmatrix::profile::Profile::default();
    let doc = portmatrix::input::build(&selected, &profile, &model);
    eprintln!("build     {:>8.1?}", t.elapsed());
    let t = Instant::now();
    let anomalies: usize = model
        .layers
        .firewalls
        .iter()
        .map(|f| portmatrix::layers::anomaly::firewall(f).len())
        .sum();
    eprintln!("anomalies {:>8.1?} ({anomalies} findings)", t.elapsed());
    let t = Instant::now();
    let json = doc.json.clone();
    eprintln!("to_string {:>8.1?} ({} bytes)", t.elapsed(), json.len());
    let t = Instant::now();
    let mut engine = portmatrix::engine::bundle_engine().unwrap();
    engine.set_input_json(&json).unwrap();
    eprintln!("set_input {:>8.1?}", t.elapsed());
    for rule in [
        "data.portmatrix.verdicts.flows",
        "data.portmatrix.rules.host_network_only.findings",
        "data.portmatrix.report",
    ] {
        let t = Instant::now();
        engine.eval_rule(rule.to_string()).unwrap();
        eprintln!("{rule:<50} {:>8.1?}", t.elapsed());
    }
}
