//! Where the report goes: each `--format` pairs with the `--output FILE` that follows it (a
//! format without one goes to stdout, and only one may), and `--format github` also appends the
//! job summary to `$GITHUB_STEP_SUMMARY`.

use crate::Format;
use clap::CommandFactory;
use portmatrix::report::paths::RepoPaths;
use portmatrix::report::{github, human, json, junit, markdown, sarif};
use portmatrix::rules::RuleMeta;
use portmatrix::{Report, Severity, SourceFile};
use std::path::{Path, PathBuf};

/// One rendering of the report and where it goes (`None`: stdout).
#[derive(Debug, PartialEq)]
pub struct Target {
    pub format: Format,
    pub path: Option<String>,
}

/// The argv positions of the `lint` subcommand's `--format` and `--output` values. Clap's derive
/// API keeps only the values, so the command line is matched again for their order.
fn positions() -> (Vec<usize>, Vec<usize>) {
    let matches = crate::Cli::command().try_get_matches_from(std::env::args_os());
    let Some(lint) = matches
        .as_ref()
        .ok()
        .and_then(|m| m.subcommand_matches("lint"))
    else {
        return (Vec::new(), Vec::new());
    };
    let of = |id: &str| lint.indices_of(id).map(|i| i.collect()).unwrap_or_default();
    (of("format"), of("output"))
}

/// Pairs the formats with the outputs given on the command line.
pub fn targets(formats: &[Format], outputs: &[String]) -> Result<Vec<Target>, String> {
    let (format_at, output_at) = positions();
    pair(formats, &format_at, outputs, &output_at)
}

/// Pairs formats and outputs by their argv positions: an output belongs to the closest format
/// before it. With one of each, order does not matter (`--output r.sarif --format sarif`).
pub fn pair(
    formats: &[Format],
    format_at: &[usize],
    outputs: &[String],
    output_at: &[usize],
) -> Result<Vec<Target>, String> {
    let formats: Vec<Format> = if formats.is_empty() {
        vec![Format::Human]
    } else {
        formats.to_vec()
    };
    let mut targets: Vec<Target> = formats
        .iter()
        .map(|&format| Target { format, path: None })
        .collect();
    if targets.len() == 1 && outputs.len() <= 1 {
        targets[0].path = outputs.first().cloned();
    } else {
        if format_at.len() != formats.len() || output_at.len() != outputs.len() {
            return Err("cannot tell which --output goes with which --format".into());
        }
        for (output, at) in outputs.iter().zip(output_at) {
            let Some(i) = format_at.iter().rposition(|f| f < at) else {
                return Err(format!(
                    "--output {output} comes before any --format: put it after the --format it is for"
                ));
            };
            if let Some(first) = &targets[i].path {
                return Err(format!(
                    "two --output files ({first}, {output}) for one --format {}",
                    name(targets[i].format)
                ));
            }
            targets[i].path = Some(output.clone());
        }
    }
    for t in &mut targets {
        if t.path.as_deref() == Some("-") {
            t.path = None;
        }
    }
    let stdout: Vec<&str> = targets
        .iter()
        .filter(|t| t.path.is_none())
        .map(|t| name(t.format))
        .collect();
    if stdout.len() > 1 {
        return Err(format!(
            "formats {} would all go to stdout: give all but one an --output FILE after it",
            stdout.join(", ")
        ));
    }
    let mut paths: Vec<&str> = targets.iter().filter_map(|t| t.path.as_deref()).collect();
    paths.sort_unstable();
    if let Some(w) = paths.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("--output {} is given twice", w[0]));
    }
    Ok(targets)
}

fn name(format: Format) -> &'static str {
    match format {
        Format::Human => "human",
        Format::Json => "json",
        Format::Sarif => "sarif",
        Format::Github => "github",
        Format::Junit => "junit",
        Format::Markdown => "markdown",
    }
}

/// What the renderers need besides the report.
pub struct Context<'a> {
    pub report: &'a Report,
    pub sources: &'a [SourceFile],
    pub profile: Option<&'a str>,
    pub quiet: bool,
    pub color: bool,
    pub fail_on: Option<Severity>,
}

/// Renders and writes every target, then the GitHub job summary when asked for.
pub fn write_all(targets: &[Target], cx: &Context) -> Result<(), String> {
    let needs_rules = targets
        .iter()
        .any(|t| !matches!(t.format, Format::Human | Format::Json));
    let rules = if needs_rules {
        portmatrix::rules::registry()?
    } else {
        Vec::new()
    };
    let paths = repo_paths();
    for t in targets {
        let text = render(t, cx, &rules, &paths);
        match &t.path {
            None => crate::print(&text),
            Some(path) => {
                std::fs::write(path, text).map_err(|e| format!("cannot write {path}: {e}"))?
            }
        }
    }
    if targets.iter().any(|t| t.format == Format::Github) {
        if let Some(file) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|f| !f.is_empty()) {
            append_step_summary(Path::new(&file), cx.report, &rules);
        }
    }
    Ok(())
}

fn render(t: &Target, cx: &Context, rules: &[RuleMeta], paths: &RepoPaths) -> String {
    match t.format {
        Format::Human => {
            let opts = human::HumanOptions {
                color: cx.color && t.path.is_none(),
                width: 100,
                quiet: cx.quiet,
            };
            human::render(cx.report, cx.sources, &opts)
        }
        Format::Json => json::render(cx.report),
        Format::Sarif => {
            let anchor = cx
                .profile
                .into_iter()
                .chain(cx.sources.iter().map(|s| s.name.as_str()))
                .find_map(|name| paths.relative(name));
            let opts = sarif::SarifOptions {
                paths: paths.clone(),
                anchor,
            };
            sarif::render(cx.report, rules, &opts)
        }
        Format::Github => github::render(cx.report, rules, paths),
        Format::Junit => junit::render(cx.report, rules, cx.fail_on),
        Format::Markdown => markdown::render(cx.report, rules),
    }
}

/// Appends the Markdown report to the job summary, within what is left of GitHub's 1 MiB.
/// A failure here is a warning: the annotations are already out.
fn append_step_summary(file: &Path, report: &Report, rules: &[RuleMeta]) {
    use std::io::Write;
    let used = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let room = (github::STEP_SUMMARY_LIMIT as u64).saturating_sub(used) as usize;
    let text = github::step_summary(report, rules, room);
    if text.is_empty() {
        eprintln!(
            "warning: GITHUB_STEP_SUMMARY ({}) is full: no job summary written",
            file.display()
        );
        return;
    }
    let result = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    if let Err(e) = result {
        eprintln!(
            "warning: cannot write the job summary to {}: {e}",
            file.display()
        );
    }
}

/// The repository around the current directory: the nearest ancestor holding `.git`, else the
/// current directory itself.
fn repo_paths() -> RepoPaths {
    let Ok(cwd) = std::env::current_dir() else {
        return RepoPaths::default();
    };
    let root: PathBuf = cwd
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .unwrap_or(&cwd)
        .to_path_buf();
    let cwd_in_repo = cwd
        .strip_prefix(&root)
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
        })
        .unwrap_or_default();
    RepoPaths {
        cwd_in_repo,
        root: Some(root.to_string_lossy().into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(format: Format, path: Option<&str>) -> Target {
        Target {
            format,
            path: path.map(str::to_string),
        }
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn each_output_follows_its_format() {
        // lint --format sarif --output out.sarif --format human x.yaml
        let got = pair(
            &[Format::Sarif, Format::Human],
            &[3, 7],
            &s(&["out.sarif"]),
            &[5],
        );
        assert_eq!(
            got,
            Ok(vec![
                t(Format::Sarif, Some("out.sarif")),
                t(Format::Human, None)
            ])
        );
        // One of each pairs in either order; no format means human.
        assert_eq!(
            pair(&[Format::Json], &[5], &s(&["r.json"]), &[3]),
            Ok(vec![t(Format::Json, Some("r.json"))])
        );
        assert_eq!(
            pair(&[], &[], &s(&["r.txt"]), &[3]),
            Ok(vec![t(Format::Human, Some("r.txt"))])
        );
        assert_eq!(pair(&[], &[], &[], &[]), Ok(vec![t(Format::Human, None)]));
        assert_eq!(
            pair(&[Format::Json], &[3], &s(&["-"]), &[5]),
            Ok(vec![t(Format::Json, None)])
        );
    }

    #[test]
    fn ambiguous_pairings_are_usage_errors() {
        let two_stdout = pair(&[Format::Json, Format::Human], &[3, 5], &[], &[]);
        assert!(two_stdout.unwrap_err().contains("stdout"));
        let early = pair(&[Format::Json, Format::Sarif], &[5, 7], &s(&["a"]), &[3]);
        assert!(early.unwrap_err().contains("before any --format"));
        let twice = pair(
            &[Format::Json, Format::Sarif],
            &[3, 9],
            &s(&["a", "b"]),
            &[5, 7],
        );
        assert!(twice.unwrap_err().contains("two --output"));
        let same = pair(
            &[Format::Json, Format::Sarif],
            &[3, 7],
            &s(&["a", "a"]),
            &[5, 9],
        );
        assert!(same.unwrap_err().contains("given twice"));
    }
}
