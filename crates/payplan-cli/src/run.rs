//! `payplan run`: evaluate a plan against data and print the lines.

use crate::common::{emit, load, report_eval_error, Inputs};
use crate::report::Reporter;
use std::path::Path;

/// The output formats of `payplan run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for a terminal.
    Table,
    /// One row per line.
    Csv,
    /// One JSON document.
    Json,
}

/// Runs a plan and writes its lines.
pub fn run(reporter: &mut Reporter, plan_path: &Path, data: &Path, period: Option<&str>, format: OutputFormat, output: Option<&Path>) -> bool {
    if output.is_some_and(|path| !Inputs::plan_and_data(plan_path, data).allow(reporter, path, "-o")) {
        return false;
    }
    let bar = crate::progress::Bar::new();
    bar.status("loading data");
    let loaded = load(reporter, plan_path, data, period);
    bar.clear();
    let Some((source, plan, facts)) = loaded else { return false };
    crate::check::data_lints(reporter, &source, &plan, &facts);
    bar.status("crediting");
    let evaluated = payplan_eval::evaluate_with_progress(&plan, &facts, &|done, total| bar.update("evaluating payees", done, total));
    bar.clear();
    let outcome = match evaluated {
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
    let written = emit(reporter, &payplan_output::render(format, &plan, &outcome, period), output);
    // The process ends right after this: freeing a million rows one by one would only
    // add time to every run (the operating system takes the memory back at once).
    std::mem::forget(facts);
    std::mem::forget(outcome);
    written
}
