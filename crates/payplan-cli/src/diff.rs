//! `payplan diff OLD.plan NEW.plan --data PATH [--format table|markdown|csv|json]`:
//! both plans on the same data; per payee, period and line the old and new amounts and
//! the delta, totals, the biggest movers, sign changes and cap crossings
//! (`payplan_diff`).

use crate::common::{emit, load, report_eval_error, Inputs};
use crate::report::Reporter;
use std::path::Path;

/// The formats of `payplan diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Aligned columns for a terminal.
    Table,
    /// Markdown, for a pull-request comment.
    Markdown,
    /// One row per payee, period and line: `payee,period,line,old,new,delta,currency`.
    Csv,
    /// One JSON document, amounts as strings.
    Json,
}

/// Compares two plans on the same data and writes the report.
pub fn diff(reporter: &mut Reporter, old_path: &Path, new_path: &Path, data: &Path, format: DiffFormat, output: Option<&Path>) -> bool {
    let inputs = Inputs { files: vec![("the old plan", old_path), ("the new plan", new_path)], data: Some(data) };
    if output.is_some_and(|path| !inputs.allow(reporter, path, "-o")) {
        return false;
    }
    let old = load(reporter, old_path, data, None);
    let new = load(reporter, new_path, data, None);
    let (Some((old_source, old_plan, old_facts)), Some((new_source, new_plan, new_facts))) = (old, new) else { return false };
    if old_plan.currency != new_plan.currency {
        reporter.plain(
            &new_source.path,
            "payplan::diff",
            &format!("the plans pay in different currencies ({} and {}): their amounts cannot be compared", old_plan.currency.code(), new_plan.currency.code()),
            Some("compare two versions of a plan that pay in the same currency"),
            None,
        );
        return false;
    }
    let old_run = match payplan_eval::explain_all(&old_plan, &old_facts) {
        Ok(run) => run,
        Err(e) => {
            report_eval_error(reporter, &old_source, &e);
            return false;
        }
    };
    let new_run = match payplan_eval::explain_all(&new_plan, &new_facts) {
        Ok(run) => run,
        Err(e) => {
            report_eval_error(reporter, &new_source, &e);
            return false;
        }
    };
    let report = payplan_diff::compare(
        &payplan_diff::Side { file: old_source.path.clone(), plan: &old_plan, outcome: &old_run.0, traces: &old_run.1 },
        &payplan_diff::Side { file: new_source.path.clone(), plan: &new_plan, outcome: &new_run.0, traces: &new_run.1 },
    );
    let format = match format {
        DiffFormat::Table => payplan_diff::Format::Table,
        DiffFormat::Markdown => payplan_diff::Format::Markdown,
        DiffFormat::Csv => payplan_diff::Format::Csv,
        DiffFormat::Json => payplan_diff::Format::Json,
    };
    emit(reporter, &payplan_diff::render(&report, format), output)
}
