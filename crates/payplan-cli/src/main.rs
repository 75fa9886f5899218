//! `payplan`: check plans and run them against data (cli.md). A thin shell over the
//! library crates: read files, call the pipeline, print. Results reach stdout through
//! `Reporter::print` only (a failed write is a diagnostic, a closed pipe ends quietly),
//! and no `-o` path may be one of the inputs (`common::Inputs`).

mod bundle;
mod check;
mod common;
mod diff;
mod explain;
mod fmt;
mod import;
mod progress;
mod report;
mod run;
mod test;

use clap::{Parser, Subcommand};
use report::{ErrorFormat, Reporter};
use std::path::PathBuf;
use std::process::ExitCode;

/// Sales compensation plans as code: exact, explainable, testable.
#[derive(Parser)]
#[command(name = "payplan", version, about)]
struct Cli {
    /// How errors are printed.
    #[arg(long, global = true, value_enum, default_value = "human")]
    error_format: ErrorFormat,
    /// Fail (exit status 1) when any warning is reported, such as a lint.
    #[arg(long, global = true)]
    deny_warnings: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the `test` blocks of plan files and compare each test's statements with its snapshot.
    Test {
        /// Plan files, or folders searched for `*.plan` files with tests. Every file is checked: one that does not check fails the run.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Write the snapshot files (`PLAN.snap`) from this run.
        #[arg(long)]
        update: bool,
        /// Also write the results as JUnit XML to this file (not one of the plan or snapshot files).
        #[arg(long)]
        junit: Option<PathBuf>,
    },
    /// What a plan change does to every payee's payouts on the same data.
    Diff {
        /// The plan as it was.
        old: PathBuf,
        /// The plan as it is now.
        new: PathBuf,
        /// A folder of CSV files or one JSON file (data.md).
        #[arg(long)]
        data: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: diff::DiffFormat,
        /// Write the report to this file instead of stdout (`-o -` is stdout). It may not be one of the inputs.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Lay plan files out canonically, keeping every comment.
    Fmt {
        /// Plan files, or folders of them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Write nothing; list the files that would change and fail if any would.
        #[arg(long, conflicts_with = "write")]
        check: bool,
        /// Rewrite the files in place.
        #[arg(short = 'w', long)]
        write: bool,
    },
    /// Parse and check plans; print every diagnostic.
    Check {
        /// Plan files.
        #[arg(required = true)]
        plans: Vec<PathBuf>,
    },
    /// Evaluate a plan against a data folder or JSON file.
    Run {
        /// The plan file.
        plan: PathBuf,
        /// A folder of CSV files or one JSON file (data.md).
        #[arg(long)]
        data: PathBuf,
        /// Keep one period's rows only, e.g. `Q2`.
        #[arg(long)]
        period: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: run::OutputFormat,
        /// Write the results to this file instead of stdout (`-o -` is stdout). It may not be one of the inputs.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Turn CRM exports into data tables by a column mapping (docs/import.md).
    Import {
        /// The mapping file (TOML).
        #[arg(long = "map", value_name = "MAPPING")]
        map: PathBuf,
        /// The export files, or folders that hold them.
        #[arg(required = true, value_name = "INPUT")]
        inputs: Vec<PathBuf>,
        /// The folder to write the tables to (created; refused when not empty, unless `--force`).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Replace the tables of a folder that is not empty.
        #[arg(long)]
        force: bool,
        /// Fail, writing nothing, when any row is rejected.
        #[arg(long)]
        strict: bool,
        /// How the report is printed: text on stderr, or JSON on stdout.
        #[arg(long, value_enum, default_value = "text")]
        format: import::ReportFormat,
    },
    /// A payee's statement: every line traced to its bookings, tiers, rates, caps and adjustments.
    Explain {
        /// The plan file.
        plan: PathBuf,
        /// A folder of CSV files or one JSON file (data.md).
        #[arg(long)]
        data: PathBuf,
        /// The payee's id (optional with `--format html`: then every eligible payee).
        #[arg(long)]
        payee: Option<String>,
        /// Keep one period only, e.g. `Q2`.
        #[arg(long)]
        period: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: explain::StatementFormat,
        /// Write the statement to this file instead of stdout (`-o -` is stdout; with `--format html`: a folder). It may not be one of the inputs.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// A payee's private preview bundle: what the browser preview needs, nothing about anyone else.
    Bundle {
        /// The plan file.
        plan: PathBuf,
        /// A folder of CSV files or one JSON file (data.md).
        #[arg(long)]
        data: PathBuf,
        /// The payee's id.
        #[arg(long, required_unless_present = "all", conflicts_with = "all")]
        payee: Option<String>,
        /// One bundle per eligible payee, into the `-o` folder.
        #[arg(long)]
        all: bool,
        /// The bundle file (`-o -` is stdout; with `--all`: a folder). It may not be one of the inputs.
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
}

/// Stack for the worker thread: plans are walked recursively, and the syntax limits
/// bound the depth (expressions 200 levels, definitions 64) well within this.
const STACK_BYTES: usize = 256 * 1024 * 1024;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    let worker = std::thread::Builder::new().stack_size(STACK_BYTES).spawn(move || execute(cli));
    match worker.map(|handle| handle.join()) {
        Ok(Ok(code)) => code,
        _ => {
            report::to_stderr("error: internal error: the worker thread failed\n");
            ExitCode::from(1)
        }
    }
}

/// Prints clap's help, version or usage error as `Cli::parse` would, with the write to
/// stdout checked (`payplan --help > /dev/full` fails with status 1, `| head` is quiet).
fn clap_exit(e: &clap::Error) -> ExitCode {
    let code = u8::try_from(e.exit_code()).unwrap_or(2);
    match e.print() {
        // A usage error that cannot reach stderr: nowhere left to say so.
        Err(_) if e.use_stderr() => ExitCode::from(code),
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            report::to_stderr(&format!("error: cannot write to standard output: {error}\n"));
            ExitCode::from(1)
        }
        _ => ExitCode::from(code),
    }
}

fn execute(cli: Cli) -> ExitCode {
    let mut reporter = Reporter::new(cli.error_format);
    let deny_warnings = cli.deny_warnings;
    let ok = match cli.command {
        Command::Test { paths, update, junit } => test::test(&mut reporter, &paths, update, junit.as_deref()),
        Command::Diff { old, new, data, format, output } => diff::diff(&mut reporter, &old, &new, &data, format, common::output_file(output).as_deref()),
        Command::Fmt { paths, check, write } => {
            let mode = if check {
                fmt::Mode::Check
            } else if write {
                fmt::Mode::Write
            } else {
                fmt::Mode::Print
            };
            fmt::fmt(&mut reporter, &paths, mode)
        }
        Command::Check { plans } => {
            // Every file is checked, whatever the ones before it gave.
            let mut ok = true;
            for plan in &plans {
                ok &= check::check_only(&mut reporter, plan);
            }
            ok
        }
        Command::Import { map, inputs, out, force, strict, format } => {
            import::import(&mut reporter, &import::ImportArgs { map: &map, inputs: &inputs, out: &out, force, strict, format })
        }
        Command::Run { plan, data, period, format, output } => {
            run::run(&mut reporter, &plan, &data, period.as_deref(), format, common::output_file(output).as_deref())
        }
        Command::Explain { plan, data, payee, period, format: explain::StatementFormat::Html, output } => match common::output_file(output) {
            Some(dir) => explain::explain_html(&mut reporter, &plan, &data, payee.as_deref(), period.as_deref(), &dir),
            None => common::usage(&mut reporter, "`--format html` writes one page per payee: give a folder with `-o DIR`"),
        },
        Command::Explain { plan, data, payee: Some(payee), period, format, output } => {
            explain::explain(&mut reporter, &plan, &data, &payee, period.as_deref(), format, common::output_file(output).as_deref())
        }
        Command::Bundle { plan, data, payee, all: _, output } => {
            bundle::bundle(&mut reporter, &plan, &data, payee.as_deref(), common::output_file(Some(output)).as_deref())
        }
        Command::Explain { payee: None, .. } => common::usage(&mut reporter, "`explain` needs `--payee ID` (or `--format html -o DIR` for every payee)"),
    };
    let denied = deny_warnings && reporter.warnings > 0;
    if denied {
        let message = format!("{} warning{} reported, and `--deny-warnings` is set", reporter.warnings, if reporter.warnings == 1 { " was" } else { "s were" });
        reporter.plain("", "payplan::deny-warnings", &message, Some("fix the warnings, or run without `--deny-warnings`"), None);
    }
    // A failed write to standard output fails the command, whatever it computed.
    let ok = ok && !denied && !reporter.stdout_failed();
    let usage_error = reporter.usage_errors > 0;
    reporter.finish();
    match (ok, usage_error) {
        (_, true) => ExitCode::from(2),
        (true, false) => ExitCode::SUCCESS,
        (false, false) => ExitCode::from(1),
    }
}
