//! Scratch: evaluate a query against the bundle with an input file. `rego_eval QUERY INPUT.json`
fn main() {
    let q = std::env::args().nth(1).unwrap();
    let input = std::fs::read_to_string(std::env::args().nth(2).unwrap()).unwrap();
    let mut e = portmatrix::engine::bundle_engine().unwrap();
    for (p, t) in portmatrix::bundle::TESTS {
        e.add_policy(p.to_string(), t.to_string()).unwrap();
    }
    e.set_input_json(&input).unwrap();
    match e.eval_rule(q) {
        Ok(v) => println!("{}", v.to_json_str().unwrap()),
        Err(err) => println!("ERR {err}"),
    }
}
