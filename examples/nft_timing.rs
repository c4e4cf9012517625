//! Scratch timing (not committed): the YAML/JSON tree reader and the nft adapter on a big file.
use portmatrix::source::SourceFile;
use portmatrix::yaml::{self, Limits};
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: nft_timing FILE");
    let text = std::fs::read_to_string(&path).expect("read");
    let limits = Limits::default();
    if std::env::args().nth(2).as_deref() == Some("--once") {
        let file = SourceFile::new(path.clone(), text.clone());
        let t = Instant::now();
        let (fw, findings) = portmatrix::inputs::nft::read(&file, &limits);
        let rules: usize = fw
            .as_ref()
            .map(|f| f.chains.iter().map(|c| c.rules.len()).sum())
            .unwrap_or(0);
        println!(
            "nft::read once: {:?} ({} rules, {} findings)",
            t.elapsed(),
            rules,
            findings.len()
        );
        return;
    }
    for _ in 0..3 {
        let t = Instant::now();
        let mut parser = saphyr_parser::Parser::new_from_str(&text);
        let mut events = 0usize;
        while let Some(Ok(_)) = parser.next_event() {
            events += 1;
        }
        println!("saphyr events only: {:?} ({events} events)", t.elapsed());
        let t = Instant::now();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        println!("serde_json::Value: {:?} ({})", t.elapsed(), v.is_object());
        let t = Instant::now();
        let mut nodes = 0usize;
        let err = yaml::for_each_document(&path, &text, &limits, |d| {
            nodes += d.root.as_map().map(|m| m.len()).unwrap_or(0);
        });
        println!(
            "tree: {:?} (err {:?}, {} top keys)",
            t.elapsed(),
            err.map(|e| e.message),
            nodes
        );
        let file = SourceFile::new(path.clone(), text.clone());
        let t = Instant::now();
        let (fw, findings) = portmatrix::inputs::nft::read(&file, &limits);
        let rules: usize = fw
            .as_ref()
            .map(|f| f.chains.iter().map(|c| c.rules.len()).sum())
            .unwrap_or(0);
        println!(
            "nft::read: {:?} ({} rules, {} findings)",
            t.elapsed(),
            rules,
            findings.len()
        );
    }
}
