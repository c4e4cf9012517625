//! The built-in examples: the embedded fixtures (`fixtures/<driver>/<name>.yaml`), each with its
//! sibling `<name>.portmatrix.yaml` profile when it has one. The CLI (`lint --example`) and the
//! WASM module (`examples()`) list the same ones.

use std::path::Path;

#[derive(Debug, Clone, Copy)]
pub struct Example {
    /// The file stem, such as `trident-default-deny`.
    pub name: &'static str,
    /// The fixture's folder: the driver it is written for.
    pub driver: &'static str,
    pub path: &'static str,
    pub text: &'static str,
    /// `(path, text)` of its profile.
    pub profile: Option<(&'static str, &'static str)>,
}

pub fn examples() -> Vec<Example> {
    let fixtures = crate::bundle::FIXTURES;
    let text_of = |path: &str| fixtures.iter().find(|(p, _)| *p == path).copied();
    let mut out: Vec<Example> = fixtures
        .iter()
        .filter(|(path, _)| path.matches('/').count() == 2 && path.ends_with(".yaml"))
        .filter(|(path, _)| !path.ends_with(".portmatrix.yaml"))
        .filter_map(|&(path, text)| {
            let p = Path::new(path);
            let name = p.file_stem()?.to_str()?;
            let driver = p.parent()?.file_name()?.to_str()?;
            let profile_path = format!("{}.portmatrix.yaml", path.rsplit_once('.')?.0);
            Some(Example {
                name: leak(name.to_string()),
                driver,
                path,
                text,
                profile: text_of(&profile_path),
            })
        })
        .collect();
    // Enforcement-layer fixtures (`fixtures/layers/<format>/F` with `F.expect.yaml` or
    // `stem.expect.yaml`): the expectation names the driver and the profile. Those linted
    // together with other files (`files:`) are not single-file examples.
    for &(path, text) in fixtures {
        let Some(rest) = path.strip_prefix("fixtures/layers/") else {
            continue;
        };
        let Some((format, file)) = rest.split_once('/') else {
            continue;
        };
        if file.ends_with(".expect.yaml") || file.ends_with(".portmatrix.yaml") {
            continue;
        }
        let stem = file.rsplit_once('.').map(|(s, _)| s).unwrap_or(file);
        let expect = text_of(&format!("{path}.expect.yaml"))
            .or_else(|| text_of(&format!("fixtures/layers/{format}/{stem}.expect.yaml")));
        let Some((_, expect)) = expect else {
            continue;
        };
        let field = |key: &str| {
            expect.lines().find_map(|l| {
                let v = l.strip_prefix(key)?.trim();
                Some(v.split(" #").next().unwrap_or(v).trim())
            })
        };
        if field("files:").is_some() {
            continue;
        }
        let Some(driver) = field("driver:") else {
            continue;
        };
        let Some(driver) = fixtures
            .iter()
            .find(|(p, _)| p.starts_with(&format!("fixtures/{driver}/")))
            .and_then(|(p, _)| p.split('/').nth(1))
        else {
            continue;
        };
        out.push(Example {
            name: leak(format!("{format}-{stem}")),
            driver,
            path,
            text,
            profile: field("profile:").and_then(text_of),
        });
    }
    out
}

/// Example names built at run time live for the program's life (a few dozen short strings).
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[cfg(test)]
mod tests {
    #[test]
    fn examples_carry_their_profiles_and_drivers() {
        let all = super::examples();
        assert!(all.len() >= 16);
        let lp = all
            .iter()
            .find(|e| e.name == "trident-least-privilege")
            .unwrap();
        assert_eq!(lp.driver, "trident");
        assert_eq!(
            lp.profile.unwrap().0,
            "fixtures/trident/trident-least-privilege.portmatrix.yaml"
        );
        assert!(all.iter().all(|e| !e.name.ends_with(".portmatrix")));
    }
}
