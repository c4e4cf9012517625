//! The `portmatrix` command: reads files, hands them to the core, renders the report.

mod files;
mod output;
mod policy;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand, ValueEnum};
use portmatrix::report::matrix as matrix_report;
use portmatrix::{LintRequest, Severity, SourceFile};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "portmatrix",
    version,
    about = "Check NetworkPolicies and firewalls against storage CSI drivers' communication matrices"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lint manifests (files, directories, or - for stdin) against the drivers' matrices.
    Lint(LintArgs),
    /// Print a driver's communication matrix.
    Matrix(MatrixArgs),
    /// List the rules, or show one in full.
    Rules {
        /// A rule id, such as PM101.
        id: Option<String>,
        /// Write the rule docs (one Markdown page per rule and an index) into DIR.
        #[arg(long, value_name = "DIR", hide = true)]
        markdown: Option<String>,
    },
    /// Run the Rego tests (`test_*` rules) of policy folders; default: the built-in bundle's.
    Test(policy::TestArgs),
    /// Print the input document the Rego rules see, with its location table.
    Input(policy::InputArgs),
    /// Print a JSON Schema (`matrix`: the schema of --matrix files).
    Schema {
        #[arg(value_enum)]
        kind: policy::SchemaKind,
    },
}

#[derive(clap::Args)]
struct LintArgs {
    /// Files and directories (searched for *.yaml, *.yml, *.json); `-` reads stdin.
    paths: Vec<String>,
    /// Driver to check (repeatable). Default: the profile's drivers, else those found in the input.
    #[arg(long = "driver", short = 'd')]
    drivers: Vec<String>,
    /// Profile file. Default: .portmatrix.yaml in the current directory, if present.
    #[arg(long)]
    profile: Option<String>,
    /// Output format (repeatable: each --format goes to the --output after it, or to stdout).
    /// Default: human.
    #[arg(long, short = 'f', value_enum)]
    format: Vec<Format>,
    /// File for the --format before it (`-`: stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Vec<String>,
    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// Print findings only: no flow table, no summary.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Lint a built-in example instead of files (`--example list` lists them).
    #[arg(long, conflicts_with = "paths")]
    example: Option<String>,
    /// Largest file to read, in bytes.
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    max_file_size: usize,
    #[command(flatten)]
    policy: policy::PolicyArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
enum Format {
    /// Diagnostics with the offending line, then the flow table.
    Human,
    /// The report as JSON (docs/report-schema.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions annotations; also appends a summary to $GITHUB_STEP_SUMMARY.
    Github,
    /// JUnit XML: a test case per required flow and per rule.
    Junit,
    /// Markdown for a pull-request comment.
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(clap::Args)]
struct MatrixArgs {
    #[arg(long, short = 'd')]
    driver: String,
    #[arg(long, value_enum, default_value_t = MatrixFormat::Table)]
    format: MatrixFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum MatrixFormat {
    Table,
    Markdown,
    Json,
    Csv,
}

const EXIT_FINDINGS: u8 = 1;
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Lint(args) => lint(args),
        Command::Matrix(args) => matrix(args),
        Command::Rules {
            markdown: Some(dir),
            ..
        } => policy::write_rule_docs(&dir),
        Command::Rules { id, .. } => rules(id),
        Command::Test(args) => policy::test(args),
        Command::Input(args) => policy::input(args),
        Command::Schema { kind } => policy::schema(kind),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

fn lint(args: LintArgs) -> Result<ExitCode, String> {
    let mut request = LintRequest {
        drivers: args.drivers.clone(),
        ..Default::default()
    };
    request.options.max_file_size = args.max_file_size;
    args.policy.apply(&mut request)?;
    let targets = output::targets(&args.format, &args.output)?;
    let mut read_errors = Vec::new();
    if let Some(name) = &args.example {
        let examples = files::examples();
        match examples.iter().find(|e| e.name == name.as_str()) {
            Some(e) => {
                request.files.push(SourceFile::new(e.path, e.text));
                // A host firewall names no namespace to detect the driver by.
                if request.drivers.is_empty() && e.path.starts_with("fixtures/layers/") {
                    request.drivers.push(e.driver.to_string());
                }
                if let Some((path, text)) = e.profile {
                    request.profile = Some(SourceFile::new(path, text));
                }
            }
            None => {
                let list: Vec<&str> = examples.iter().map(|e| e.name).collect();
                if name == "list" {
                    print(&format!("{}\n", list.join("\n")));
                    return Ok(ExitCode::SUCCESS);
                }
                return Err(format!(
                    "unknown example `{name}`; examples: {}",
                    list.join(", ")
                ));
            }
        }
    } else {
        if args.paths.is_empty() {
            return Err(
                "no input: pass files or directories, `-` for stdin, or --example NAME".into(),
            );
        }
        let (files, errors) = files::collect(&args.paths, args.max_file_size);
        request.files = files;
        read_errors = errors;
    }
    match &args.profile {
        _ if request.profile.is_some() => {}
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read profile {path}: {e}"))?;
            request.profile = Some(SourceFile::new(path.clone(), text));
        }
        None => {
            if let Ok(text) = std::fs::read_to_string(".portmatrix.yaml") {
                request.profile = Some(SourceFile::new(".portmatrix.yaml", text));
            }
        }
    }
    let mut report = portmatrix::lint(&request).map_err(|e| e.to_string())?;
    if !read_errors.is_empty() {
        report.findings.extend(read_errors);
        portmatrix::input::sort_findings(&mut report.findings);
        report.compute_summary(request.files.len() + report.summary.input_errors);
    }
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    let mut sources = request.files.clone();
    sources.extend(request.profile.clone());
    output::write_all(
        &targets,
        &output::Context {
            report: &report,
            sources: &sources,
            profile: request.profile.as_ref().map(|p| p.name.as_str()),
            quiet: args.quiet,
            color: use_color(),
            fail_on: threshold,
        },
    )?;
    if report.has_input_errors() {
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    let failing = match (threshold, report.max_severity()) {
        (Some(t), Some(max)) => max >= t,
        _ => false,
    };
    Ok(if failing {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

fn matrix(args: MatrixArgs) -> Result<ExitCode, String> {
    let matrix = portmatrix::matrix::builtin_driver(&args.driver)?.ok_or_else(|| {
        let known = portmatrix::matrix::builtin_names();
        match portmatrix::profile::did_you_mean(&args.driver, known.iter().map(String::as_str)) {
            Some(s) => format!("unknown driver `{}`; did you mean `{s}`?", args.driver),
            None => format!(
                "unknown driver `{}`; known drivers: {}",
                args.driver,
                known.join(", ")
            ),
        }
    })?;
    print(&match args.format {
        MatrixFormat::Table => matrix_report::table(&matrix),
        MatrixFormat::Markdown => matrix_report::markdown(&matrix),
        MatrixFormat::Json => matrix_report::json(&matrix),
        MatrixFormat::Csv => matrix_report::csv(&matrix),
    });
    Ok(ExitCode::SUCCESS)
}

fn rules(id: Option<String>) -> Result<ExitCode, String> {
    let registry = portmatrix::rules::registry()?;
    match id {
        None => {
            let rows: Vec<[String; 3]> = registry
                .iter()
                .map(|r| {
                    [
                        r.id.clone(),
                        r.severity.as_str().to_string(),
                        r.title.clone(),
                    ]
                })
                .collect();
            print(&matrix_report::text_table(
                &["ID", "SEVERITY", "TITLE"],
                &rows,
            ));
        }
        Some(id) => {
            let rule = registry
                .iter()
                .find(|r| r.id.eq_ignore_ascii_case(&id))
                .ok_or_else(|| format!("unknown rule `{id}`; `portmatrix rules` lists them"))?;
            let mut text = format!(
                "{} {} ({})\n\n{}\n\nRemediation: {}\n",
                rule.id,
                rule.title,
                rule.severity.as_str(),
                rule.description,
                rule.remediation
            );
            for r in &rule.related_resources {
                text.push_str(&format!("See: {r}\n"));
            }
            text.push_str(&format!("Defined in: {}\n", rule.file));
            print(&text);
        }
    }
    Ok(ExitCode::SUCCESS)
}
