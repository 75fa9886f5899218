//! Shared helpers for the integration tests of the workspace (`tests/` and
//! `crates/payplan-cli/tests/`):
//!
//! - the plan-to-output pipeline of `payplan run` (check, load, evaluate, render) as
//!   plain functions that return `Result`s, so each test can assert on text instead of
//!   shelling out. Everything here mirrors what the command line does
//!   (`crates/payplan-cli`), so a test that passes through these helpers sees the same
//!   bytes `payplan run` prints;
//! - scratch folders, copies of the example plans and data, files written from inline
//!   text ([`scratch_dir`], [`copy_dir_all`], [`copy_example_plans`], [`write_file`],
//!   [`files_below`]);
//! - the `payplan` binary run in a folder, with its exit status, stdout and stderr
//!   ([`payplan_binary`], [`run_payplan`], [`exit_code`], [`stdout_text`],
//!   [`stderr_text`]).
//!
//! The file-system and process helpers panic with a message naming what failed (a test
//! cannot go on without them); the pipeline helpers return the failing stage's errors,
//! which some tests assert on.

mod files;
mod process;

pub use files::{copy_dir_all, copy_example_plans, example_data_dir, files_below, scratch_dir, write_file, FileState, EXAMPLE_PLANS};
pub use process::{exit_code, payplan_binary, payplan_command, run_payplan, stderr_text, stdout_text};

use payplan_eval::Outcome;
use payplan_facts::{Facts, Schema};
use payplan_ir::Plan;
use payplan_syntax::{Diagnostic, Severity};
use std::path::{Path, PathBuf};

pub use payplan_output::Format;

/// The workspace root (the folder holding the root `Cargo.toml`, `plans/`, `crates/`).
///
/// The root package `payplan-tests` lives at the workspace root, so this is its
/// `CARGO_MANIFEST_DIR` (also when the tests of `crates/payplan-cli` call it).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path inside the workspace, e.g. `workspace_path("plans/data")`.
pub fn workspace_path(relative: &str) -> PathBuf {
    workspace_root().join(relative)
}

/// The shared conformance suite (`shared/conformance` beside the repository, or
/// `/work/shared/conformance`), when it is present on this machine.
pub fn conformance_root() -> Option<PathBuf> {
    let beside = workspace_root().join("../shared/conformance");
    [beside, PathBuf::from("/work/shared/conformance")].into_iter().find(|p| p.is_dir())
}

/// What the data loader needs to know of a plan: the same schema `payplan run` builds
/// (`crates/payplan-cli/src/main.rs`, fn `schema`).
pub fn schema_of(plan: &Plan) -> Schema {
    plan.schema()
}

/// One diagnostic as a single line: `error payplan::type 123..130 `text`: message
/// (help: ...)`, for assertion messages.
pub fn describe_diagnostic(source: &str, diagnostic: &Diagnostic) -> String {
    let span = diagnostic.span();
    let severity = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let line = source.get(..span.start).map_or(0, |before| before.matches('\n').count() + 1);
    let mut text = format!("{severity} {} line {line} bytes {}..{} `{}`: {}", diagnostic.code, span.start, span.end, span.text(source), diagnostic.message);
    if let Some(help) = &diagnostic.help {
        text.push_str(&format!(" (help: {help})"));
    }
    text
}

/// Every diagnostic of a check, one per line.
pub fn describe_diagnostics(source: &str, diagnostics: &[Diagnostic]) -> String {
    diagnostics.iter().map(|d| describe_diagnostic(source, d)).collect::<Vec<_>>().join("\n")
}

/// Parses and checks plan text; the lowered plan, or every diagnostic as text.
///
/// Warnings alone do not make this fail (use [`payplan_check::check_source`] directly
/// to see them).
pub fn check_plan(source: &str) -> Result<Plan, String> {
    let checked = payplan_check::check_source(source);
    match checked.plan {
        Some(plan) if !checked.has_errors() => Ok(plan),
        _ => Err(format!("the plan does not check:\n{}", describe_diagnostics(source, &checked.diagnostics))),
    }
}

/// Reads a file as UTF-8, naming it in the error.
pub fn read_text(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Turns the loader's errors into one message, one error per line.
fn data_errors(errors: &payplan_data::DataErrors) -> String {
    let lines: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
    format!("data errors:\n{}", lines.join("\n"))
}

/// Evaluates a plan against facts, turning an evaluation error into its message (with
/// the payee, period and booking it names).
pub fn evaluate(plan: &Plan, facts: &Facts) -> Result<Outcome, String> {
    payplan_eval::evaluate(plan, facts).map_err(|e| format!("evaluation error: {e}"))
}

/// Checks plan text and loads a data folder or JSON file for it.
pub fn load_for(source: &str, data: &Path) -> Result<(Plan, Facts), String> {
    let plan = check_plan(source)?;
    let facts = payplan_data::load_path(data, &schema_of(&plan)).map_err(|e| data_errors(&e))?;
    Ok((plan, facts))
}

/// Reads and checks a plan file and loads a data folder or JSON file for it.
pub fn load_plan_file(plan_path: &Path, data: &Path) -> Result<(Plan, Facts), String> {
    load_for(&read_text(plan_path)?, data)
}

/// Checks plan text and loads inline JSON data (`{ "payees": [...], ... }`) for it.
pub fn load_json_for(source: &str, json: &str) -> Result<(Plan, Facts), String> {
    let plan = check_plan(source)?;
    let facts = payplan_data::load_json_str("data.json", json, &schema_of(&plan)).map_err(|e| data_errors(&e))?;
    Ok((plan, facts))
}

/// Checks plan text and loads in-memory CSV files (`("payees.csv", bytes)`, ...) for it.
pub fn load_csv_for(source: &str, files: &[(String, Vec<u8>)]) -> Result<(Plan, Facts), String> {
    let plan = check_plan(source)?;
    let facts = payplan_data::load_csv_files(files, &schema_of(&plan)).map_err(|e| data_errors(&e))?;
    Ok((plan, facts))
}

/// Checks, loads, evaluates and renders: what `payplan run PLAN --data DATA --format F
/// [--period P]` prints, or the first stage's errors as text.
pub fn run_source(source: &str, data: &Path, format: Format, period: Option<&str>) -> Result<String, String> {
    let (plan, facts) = load_for(source, data)?;
    let outcome = evaluate(&plan, &facts)?;
    Ok(payplan_output::render(format, &plan, &outcome, period))
}

/// [`run_source`] on a plan file.
pub fn run_file(plan_path: &Path, data: &Path, format: Format) -> Result<String, String> {
    run_source(&read_text(plan_path)?, data, format, None)
}

/// The CSV output of a plan file run against a data folder (or JSON file).
pub fn run_csv(plan_path: &Path, data: &Path) -> Result<String, String> {
    run_file(plan_path, data, Format::Csv)
}

/// Checks, loads inline JSON and evaluates: the outcome of a plan written in a test.
pub fn run_json_outcome(source: &str, json: &str) -> Result<(Plan, Outcome), String> {
    let (plan, facts) = load_json_for(source, json)?;
    let outcome = evaluate(&plan, &facts)?;
    Ok((plan, outcome))
}

/// Checks, loads inline JSON, evaluates and renders as CSV.
pub fn run_json_csv(source: &str, json: &str) -> Result<String, String> {
    let (plan, outcome) = run_json_outcome(source, json)?;
    Ok(payplan_output::render(Format::Csv, &plan, &outcome, None))
}

/// Checks, loads in-memory CSV files, evaluates and renders as CSV.
pub fn run_csv_files(source: &str, files: &[(String, Vec<u8>)]) -> Result<String, String> {
    let (plan, facts) = load_csv_for(source, files)?;
    let outcome = evaluate(&plan, &facts)?;
    Ok(payplan_output::render(Format::Csv, &plan, &outcome, None))
}

/// One row of `payplan run --format csv` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvLine {
    /// Payee id.
    pub payee: String,
    /// Period label, e.g. `Q1`.
    pub period: String,
    /// Line name: a component, `cap`, `draw`, `carry`, `recovery` or `payout`.
    pub line: String,
    /// The amount as printed, e.g. `1234.50`.
    pub amount: String,
    /// Currency code.
    pub currency: String,
}

/// Parses the CSV output (payee ids here never need quoting, which the helper checks:
/// a row that does not have exactly five cells is an error).
pub fn parse_output_csv(text: &str) -> Result<Vec<CsvLine>, String> {
    let mut lines = text.lines();
    match lines.next() {
        Some("payee,period,line,amount,currency") => {}
        other => return Err(format!("unexpected header {other:?}")),
    }
    lines
        .map(|row| {
            let cells: Vec<&str> = row.split(',').collect();
            match cells.as_slice() {
                [payee, period, line, amount, currency] => Ok(CsvLine {
                    payee: (*payee).to_string(),
                    period: (*period).to_string(),
                    line: (*line).to_string(),
                    amount: (*amount).to_string(),
                    currency: (*currency).to_string(),
                }),
                _ => Err(format!("a row without five cells: {row:?}")),
            }
        })
        .collect()
}

/// The amount of one output line (`payee`, `period`, `line`), as printed; `None` when
/// the row is absent (a zero `carry`/`recovery` is not printed).
pub fn amount_of<'a>(rows: &'a [CsvLine], payee: &str, period: &str, line: &str) -> Option<&'a str> {
    rows.iter().find(|r| r.payee == payee && r.period == period && r.line == line).map(|r| r.amount.as_str())
}
