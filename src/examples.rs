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
    fixtures
        .iter()
        .filter(|(path, _)| !path.ends_with(".portmatrix.yaml"))
        .filter_map(|&(path, text)| {
            let p = Path::new(path);
            let name = p.file_stem()?.to_str()?;
            let driver = p.parent()?.file_name()?.to_str()?;
            let profile_path = format!("{}.portmatrix.yaml", path.rsplit_once('.')?.0);
            let profile = fixtures.iter().find(|(p, _)| *p == profile_path).copied();
            Some(Example {
                name,
                driver,
                path,
                text,
                profile,
            })
        })
        .collect()
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
