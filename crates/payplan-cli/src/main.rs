//! `payplan`: check plans and run them against data (cli.md). A thin shell over the
//! library crates: read files, call the pipeline, print.

mod report;

use clap::{Parser, Subcommand};
use payplan_facts::Schema;
use payplan_ir::Plan;
use report::{ErrorFormat, Reporter, SourceFile};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Sales compensation plans as code: exact, explainable, testable.
#[derive(Parser)]
#[command(name = "payplan", version, about)]
struct Cli {
    /// How errors are printed.
    #[arg(long, global = true, value_enum, default_value = "human")]
    error_format: ErrorFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
        format: OutputFormat,
        /// Write the results to this file instead of stdout.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
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
        format: StatementFormat,
        /// Write the statement to this file instead of stdout (with `--format html`: a folder).
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
}

/// The formats of `payplan explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum StatementFormat {
    /// A statement to read top to bottom.
    Text,
    /// The same content for programs.
    Json,
    /// A printable page per payee with a payout curve chart, written into the `-o` folder.
    Html,
}

/// The output formats of `payplan run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutputFormat {
    /// Aligned columns for a terminal.
    Table,
    /// One row per line.
    Csv,
    /// One JSON document.
    Json,
}

/// Stack for the worker thread: plans are walked recursively, and the syntax limits
/// bound the depth (expressions 200 levels, definitions 64) well within this.
const STACK_BYTES: usize = 256 * 1024 * 1024;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let worker = std::thread::Builder::new().stack_size(STACK_BYTES).spawn(move || execute(cli));
    match worker.map(|handle| handle.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("error: internal error: the worker thread failed");
            ExitCode::from(1)
        }
    }
}

fn execute(cli: Cli) -> ExitCode {
    let mut reporter = Reporter::new(cli.error_format);
    let ok = match cli.command {
        Command::Check { plans } => plans.iter().fold(true, |ok, p| check_only(&mut reporter, p) && ok),
        Command::Run { plan, data, period, format, output } => run(&mut reporter, &plan, &data, period.as_deref(), format, output.as_deref()),
        Command::Explain { plan, data, payee, period, format: StatementFormat::Html, output } => match output {
            Some(dir) => explain_html(&mut reporter, &plan, &data, payee.as_deref(), period.as_deref(), &dir),
            None => usage(&mut reporter, "`--format html` writes one page per payee: give a folder with `-o DIR`"),
        },
        Command::Explain { plan, data, payee: Some(payee), period, format, output } => explain(&mut reporter, &plan, &data, &payee, period.as_deref(), format, output.as_deref()),
        Command::Explain { payee: None, .. } => usage(&mut reporter, "`explain` needs `--payee ID` (or `--format html -o DIR` for every payee)"),
    };
    let usage_error = reporter.usage_errors > 0;
    reporter.finish();
    match (ok, usage_error) {
        (_, true) => ExitCode::from(2),
        (true, false) => ExitCode::SUCCESS,
        (false, false) => ExitCode::from(1),
    }
}

/// Reports a usage error (exit status 2).
fn usage(reporter: &mut Reporter, message: &str) -> bool {
    reporter.usage_errors += 1;
    reporter.plain("", "payplan::usage", message, None, None);
    false
}

/// Reads a plan file as UTF-8.
fn read_source(reporter: &mut Reporter, path: &Path) -> Option<SourceFile> {
    let shown = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(SourceFile { path: shown, text: text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text) }),
            Err(e) => {
                let line = e.as_bytes().get(..e.utf8_error().valid_up_to()).map_or(1, |b| b.iter().filter(|c| **c == b'\n').count() + 1);
                reporter.plain(&shown, "payplan::encoding", &format!("{shown}:{line}: the plan is not UTF-8"), Some("save the plan file as UTF-8"), Some(line));
                None
            }
        },
        Err(e) => {
            reporter.plain(&shown, "payplan::io", &format!("cannot read `{shown}`: {e}"), None, None);
            None
        }
    }
}

/// `payplan check` of one file: clean when it has no error. A file of tests alone
/// (`use "other.plan"`) is checked together with the plan it uses.
fn check_only(reporter: &mut Reporter, path: &Path) -> bool {
    let Some(source) = read_source(reporter, path) else { return false };
    let (file, _) = payplan_syntax::parse(&source.text);
    if let Some(used) = file.as_ref().filter(|f| f.plan.is_none()).and_then(|f| f.use_path.as_ref()) {
        let target = path.parent().unwrap_or(Path::new("")).join(&used.value);
        return check_file(reporter, &target).is_some();
    }
    let checked = payplan_check::check_source(&source.text);
    for diagnostic in &checked.diagnostics {
        reporter.diagnostic(&source, diagnostic);
    }
    !checked.has_errors()
}

/// Parses and checks one plan file, printing its diagnostics.
fn check_file(reporter: &mut Reporter, path: &Path) -> Option<(SourceFile, Plan)> {
    let source = read_source(reporter, path)?;
    let checked = payplan_check::check_source(&source.text);
    for diagnostic in &checked.diagnostics {
        reporter.diagnostic(&source, diagnostic);
    }
    let plan = checked.plan?;
    Some((source, plan))
}

/// What the loader needs to know of a plan.
fn schema(plan: &Plan) -> Schema {
    Schema {
        currency: plan.currency,
        term_start: plan.term_start,
        term_end: plan.term_end,
        booking_fields: plan.booking_fields.clone(),
        payee_fields: plan.payee_fields.clone(),
        needs_quotas: plan.reads_quotas,
        needs_metrics: plan.reads_metrics,
    }
}

/// A checked plan and its facts, or `None` after reporting why not.
fn load(reporter: &mut Reporter, plan_path: &Path, data: &Path, period: Option<&str>) -> Option<(SourceFile, Plan, payplan_facts::Facts)> {
    let (source, plan) = check_file(reporter, plan_path)?;
    if let Some(label) = period {
        if !plan.periods.iter().any(|p| p.label.to_string() == label) {
            let known: Vec<String> = plan.periods.iter().map(|p| p.label.to_string()).collect();
            reporter.plain(&source.path, "payplan::usage", &format!("the plan has no period `{label}`"), Some(&format!("periods are {}", known.join(", "))), None);
            return None;
        }
    }
    match payplan_data::load_path(data, &schema(&plan)) {
        Ok(facts) => Some((source, plan, facts)),
        Err(errors) => {
            for e in &errors.0 {
                reporter.plain(&e.file, "payplan::data", &e.to_string(), None, e.line.map(|l| l as usize));
            }
            None
        }
    }
}

/// Writes results to a file, or stdout.
fn emit(reporter: &mut Reporter, text: &str, output: Option<&Path>) -> bool {
    match output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, text) {
                reporter.plain(&path.display().to_string(), "payplan::io", &format!("cannot write `{}`: {e}", path.display()), None, None);
                return false;
            }
            true
        }
        None => {
            print!("{text}");
            true
        }
    }
}

fn run(reporter: &mut Reporter, plan_path: &Path, data: &Path, period: Option<&str>, format: OutputFormat, output: Option<&Path>) -> bool {
    let Some((source, plan, facts)) = load(reporter, plan_path, data, period) else { return false };
    let outcome = match payplan_eval::evaluate(&plan, &facts) {
        Ok(outcome) => outcome,
        Err(error) => {
            report_eval_error(reporter, &source, &error);
            return false;
        }
    };
    let format = match format {
        OutputFormat::Table => payplan_output::Format::Table,
        OutputFormat::Csv => payplan_output::Format::Csv,
        OutputFormat::Json => payplan_output::Format::Json,
    };
    emit(reporter, &payplan_output::render(format, &plan, &outcome, period), output)
}

fn explain(reporter: &mut Reporter, plan_path: &Path, data: &Path, payee: &str, period: Option<&str>, format: StatementFormat, output: Option<&Path>) -> bool {
    let Some((source, plan, facts)) = load(reporter, plan_path, data, period) else { return false };
    let explained = match payplan_eval::explain(&plan, &facts, payee) {
        Ok(explained) => explained,
        Err(error) => {
            report_eval_error(reporter, &source, &error);
            return false;
        }
    };
    let Some((outcome, trace)) = explained else {
        let help = if facts.payee(payee).is_some() {
            "this payee is not eligible for the plan (see `eligible`)".to_string()
        } else {
            match payplan_syntax::closest(payee, facts.payees.iter().map(|p| p.id.as_str())) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "use an id from payees.csv".to_string(),
            }
        };
        reporter.plain(&source.path, "payplan::usage", &format!("no statement for payee `{payee}`"), Some(&help), None);
        return false;
    };
    let Some(result) = outcome.payees.first() else { return false };
    let text = match format {
        StatementFormat::Json => payplan_output::statement::json(&plan, result, &trace, &outcome.unpaid, period),
        _ => payplan_output::statement::text(&plan, result, &trace, &outcome.unpaid, period),
    };
    emit(reporter, &text, output)
}

/// Writes `DIR/<payee>.html` for one or every eligible payee, and `DIR/index.html`.
fn explain_html(reporter: &mut Reporter, plan_path: &Path, data: &Path, payee: Option<&str>, period: Option<&str>, dir: &Path) -> bool {
    let Some((source, plan, facts)) = load(reporter, plan_path, data, period) else { return false };
    let explained = match payee {
        Some(id) => payplan_eval::explain(&plan, &facts, id).map(|e| e.map(|(outcome, trace)| (outcome, vec![trace]))),
        None => payplan_eval::explain_all(&plan, &facts).map(Some),
    };
    let (outcome, traces) = match explained {
        Ok(Some(found)) => found,
        Ok(None) => {
            reporter.plain(&source.path, "payplan::usage", &format!("no statement for payee `{}`", payee.unwrap_or_default()), Some("the payee is unknown or not eligible"), None);
            return false;
        }
        Err(error) => {
            report_eval_error(reporter, &source, &error);
            return false;
        }
    };
    if let Err(e) = std::fs::create_dir_all(dir) {
        reporter.plain(&dir.display().to_string(), "payplan::io", &format!("cannot create `{}`: {e}", dir.display()), None, None);
        return false;
    }
    let mut index = format!("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head><body><h1>Statements</h1><ul>\n", html_text(&plan.name));
    for (result, trace) in outcome.payees.iter().zip(&traces) {
        let unpaid: Vec<payplan_eval::UnpaidCredit> = outcome.unpaid.iter().filter(|u| u.payee == result.id).cloned().collect();
        let page = payplan_output::html::page(&plan, result, trace, &unpaid);
        let file = format!("{}.html", file_name(&result.id));
        if !emit(reporter, &page, Some(&dir.join(&file))) {
            return false;
        }
        index.push_str(&format!("<li><a href=\"{file}\">{}</a></li>\n", html_text(&result.id)));
    }
    index.push_str("</ul></body></html>\n");
    emit(reporter, &index, Some(&dir.join("index.html")))
}

/// A payee id made safe as a file name.
fn file_name(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '_' }).collect::<String>().trim_start_matches('.').to_string()
}

fn html_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn report_eval_error(reporter: &mut Reporter, source: &SourceFile, error: &payplan_eval::EvalError) {
    let message = format!("{}{}", error.message, error.context());
    match error.span {
        Some(span) => {
            let mut d = payplan_syntax::Diagnostic::error("payplan::eval", message, span, "while evaluating this");
            d.help = error.help.clone();
            reporter.diagnostic(source, &d);
        }
        None => reporter.plain(&source.path, "payplan::eval", &message, error.help.as_deref(), None),
    }
}
