//! Policy as code in the CLI: custom rules, data and matrices for `lint`, and the `test`,
//! `input`, `schema` and `rules --markdown` commands. Reads files and hands them to the core.

use portmatrix::{LintRequest, SourceFile};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Options of `lint` (and `input`) for the user's own rules, data and matrices.
#[derive(clap::Args, Clone, Default)]
pub struct PolicyArgs {
    /// A folder (or file) of Rego rules (repeatable): `deny`, `warn` and `info` rules in any
    /// package become findings; `*_test.rego` files are tests (`portmatrix test DIR`).
    #[arg(long = "policy", value_name = "DIR")]
    pub policies: Vec<String>,
    /// A JSON or YAML file merged into the Rego `data` (repeatable).
    #[arg(long = "data", value_name = "FILE")]
    pub data: Vec<String>,
    /// A communication matrix file, linted like a built-in driver's (repeatable); select it with
    /// --driver NAME, NAME being its `driver:` key.
    #[arg(long = "matrix", value_name = "FILE")]
    pub matrices: Vec<String>,
    /// List the suppressions (annotations, comments, profile `ignore:` entries) that matched no
    /// finding.
    #[arg(long)]
    pub report_unused_ignores: bool,
    /// Time limit of one Rego evaluation, in seconds (0: none).
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub eval_timeout: u64,
}

impl PolicyArgs {
    /// Reads the files these options name into the request.
    pub fn apply(&self, request: &mut LintRequest) -> Result<(), String> {
        for dir in &self.policies {
            request.policies.extend(rego_files(dir)?);
        }
        request.data = read_all(&self.data, "data file")?;
        request.matrices = read_all(&self.matrices, "matrix")?;
        request.report_unused_ignores = self.report_unused_ignores;
        request.today = Some(today());
        if self.eval_timeout > 0 {
            request.options.eval_time_limit =
                Some(std::time::Duration::from_secs(self.eval_timeout));
        }
        Ok(())
    }
}

fn read_all(paths: &[String], what: &str) -> Result<Vec<SourceFile>, String> {
    paths
        .iter()
        .map(|p| {
            std::fs::read_to_string(p)
                .map(|text| SourceFile::new(p.clone(), text))
                .map_err(|e| format!("cannot read {what} {p}: {e}"))
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let is_dir = std::fs::symlink_metadata(&path)
            .map(|m| m.is_dir())
            .unwrap_or(false);
        if is_dir {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rego") {
            out.push(path);
        }
    }
    Ok(())
}

/// Every `.rego` file under a folder (or the file itself), sorted.
pub fn rego_files(path: &str) -> Result<Vec<SourceFile>, String> {
    let p = Path::new(path);
    let mut found = Vec::new();
    if p.is_dir() {
        walk(p, &mut found)?;
    } else {
        found.push(p.to_path_buf());
    }
    found
        .iter()
        .map(|f| {
            let name = f.display().to_string();
            std::fs::read_to_string(f)
                .map(|text| SourceFile::new(name.clone(), text))
                .map_err(|e| format!("cannot read {name}: {e}"))
        })
        .collect()
}

/// Today's date (UTC) from the system clock: the core has none.
pub fn today() -> (i32, u32, u32) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    civil_from_days((secs / 86_400) as i64)
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (y, m, d)
}

#[derive(clap::Args)]
pub struct TestArgs {
    /// Policy folders whose `*_test.rego` tests to run, with the built-in bundle loaded so that
    /// they can import `data.portmatrix.lib.*`. Default: the built-in bundle's own tests.
    pub dirs: Vec<String>,
    /// A JSON or YAML data file merged into `data` (repeatable).
    #[arg(long = "data", value_name = "FILE")]
    pub data: Vec<String>,
    /// Print the lines of each rule file the tests evaluated (regorus coverage).
    #[arg(long)]
    pub coverage: bool,
}

/// `portmatrix test`: runs every `test_*` rule, prints pass or fail per test and a count.
pub fn test(args: TestArgs) -> Result<ExitCode, String> {
    let (policies, tests, data) = if args.dirs.is_empty() {
        portmatrix::regotest::bundle_sources()?
    } else {
        let mut user = Vec::new();
        for dir in &args.dirs {
            user.extend(rego_files(dir)?.into_iter().map(|f| (f.name, f.text)));
        }
        portmatrix::regotest::with_user_files(&user)?
    };
    let mut data = vec![data];
    for file in read_all(&args.data, "data file")? {
        let (docs, err) = portmatrix::yaml::parse_stream(
            &file.name,
            &file.text,
            &portmatrix::yaml::Limits::default(),
        );
        if let Some(e) = err {
            return Err(format!("{}: {}", e.loc, e.message));
        }
        data.extend(docs.iter().map(|d| d.root.to_json().to_string()));
    }
    let mut engine = match portmatrix::regotest::load(&policies, &tests, &data) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if args.coverage {
        engine.set_enable_coverage(true);
    }
    let results = portmatrix::regotest::run_tests(&mut engine, &tests);
    let mut out = String::new();
    for r in &results {
        if r.passed {
            out.push_str(&format!("PASS {}.{}\n", r.package, r.name));
        } else {
            out.push_str(&format!(
                "FAIL {}.{} at {}:{}: {}\n",
                r.package,
                r.name,
                r.file,
                r.line,
                r.detail.clone().unwrap_or_default()
            ));
        }
    }
    if args.coverage {
        out.push_str(&coverage(&engine, &tests)?);
    }
    let failed = results.iter().filter(|r| !r.passed).count();
    out.push_str(&format!(
        "{} passed, {failed} failed\n",
        results.len() - failed
    ));
    crate::print(&out);
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Coverage per rule file (test files left out): evaluated lines over lines with code.
fn coverage(
    engine: &portmatrix::regorus::Engine,
    tests: &[(String, String)],
) -> Result<String, String> {
    let report = engine.get_coverage_report().map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for file in &report.files {
        if file.path.ends_with("_test.rego") || tests.iter().any(|(n, _)| *n == file.path) {
            continue;
        }
        let covered = file.covered.len();
        let total = covered + file.not_covered.len();
        let percent = if total == 0 {
            100.0
        } else {
            100.0 * covered as f64 / total as f64
        };
        let missed: Vec<String> = file.not_covered.iter().map(u32::to_string).collect();
        rows.push([
            file.path.clone(),
            format!("{covered}/{total}"),
            format!("{percent:.0}%"),
            if missed.is_empty() {
                "-".to_string()
            } else {
                missed.join(",")
            },
        ]);
    }
    rows.sort();
    Ok(format!(
        "\ncoverage:\n{}\n",
        portmatrix::report::matrix::text_table(&["FILE", "LINES", "COVERED", "NOT COVERED"], &rows)
    ))
}

#[derive(clap::Args)]
pub struct InputArgs {
    /// Files and directories (searched for *.yaml, *.yml, *.json); `-` reads stdin.
    pub paths: Vec<String>,
    /// Output format (JSON only).
    #[arg(long, value_enum, default_value_t = InputFormat::Json)]
    pub format: InputFormat,
    #[arg(long = "driver", short = 'd')]
    pub drivers: Vec<String>,
    /// Profile file. Default: .portmatrix.yaml in the current directory, if present.
    #[arg(long)]
    pub profile: Option<String>,
    /// A communication matrix file (repeatable), as for `lint`.
    #[arg(long = "matrix", value_name = "FILE")]
    pub matrices: Vec<String>,
    /// Lint a built-in example instead of files.
    #[arg(long, conflicts_with = "paths")]
    pub example: Option<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum InputFormat {
    Json,
}

/// `portmatrix input`: the input document the rules see, and the table of its locations.
pub fn input(args: InputArgs) -> Result<ExitCode, String> {
    let mut request = LintRequest {
        drivers: args.drivers.clone(),
        matrices: read_all(&args.matrices, "matrix")?,
        ..Default::default()
    };
    if let Some(name) = &args.example {
        let examples = crate::files::examples();
        let e = examples
            .iter()
            .find(|e| e.name == name.as_str())
            .ok_or_else(|| {
                format!("unknown example `{name}`; `portmatrix lint --example list` lists them")
            })?;
        request.files.push(SourceFile::new(e.path, e.text));
        if let Some((path, text)) = e.profile {
            request.profile = Some(SourceFile::new(path, text));
        }
    } else {
        if args.paths.is_empty() {
            return Err(
                "no input: pass files or directories, `-` for stdin, or --example NAME".into(),
            );
        }
        let (files, errors) = crate::files::collect(&args.paths, request.options.max_file_size);
        if let Some(e) = errors.first() {
            return Err(e.message.clone());
        }
        request.files = files;
    }
    if request.profile.is_none() {
        let path = args.profile.clone().or_else(|| {
            Path::new(".portmatrix.yaml")
                .exists()
                .then(|| ".portmatrix.yaml".to_string())
        });
        if let Some(path) = path {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read profile {path}: {e}"))?;
            request.profile = Some(SourceFile::new(path, text));
        }
    }
    let view = portmatrix::input_document(&request).map_err(|e| e.to_string())?;
    let input: serde_json::Value =
        serde_json::from_str(&view.json).map_err(|e| format!("input document: {e}"))?;
    let out = serde_json::json!({
        "input": input,
        "locations": view.locations,
        "errors": view.findings.iter().filter(|f| f.is_input_error()).map(|f| {
            serde_json::json!({"message": f.message, "location": f.loc})
        }).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?;
    text.push('\n');
    crate::print(&text);
    Ok(if view.findings.iter().any(|f| f.is_input_error()) {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum SchemaKind {
    /// The communication matrix (`--matrix FILE`, policies/matrix/*/data.yaml).
    Matrix,
}

/// `portmatrix schema matrix`: prints a JSON Schema.
pub fn schema(kind: SchemaKind) -> Result<ExitCode, String> {
    match kind {
        SchemaKind::Matrix => crate::print(portmatrix::schema::MATRIX_SCHEMA),
    }
    Ok(ExitCode::SUCCESS)
}

/// `portmatrix rules --markdown DIR`: writes the rule docs (`docs/rules/`).
pub fn write_rule_docs(dir: &str) -> Result<ExitCode, String> {
    let dir = Path::new(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let docs = portmatrix::rules::docs()?;
    // Pages of rules that no longer exist go too.
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.ends_with(".md") && !docs.iter().any(|(n, _)| *n == name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    for (name, text) in &docs {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    eprintln!("wrote {} files to {}", docs.len(), dir.display());
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(super::civil_from_days(20_454), (2026, 1, 1));
    }
}
