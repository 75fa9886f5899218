//! What every command shares: reading plan files, checking, loading data, writing
//! results, reporting evaluation errors.

use crate::report::{Reporter, SourceFile};
use payplan_facts::Facts;
use payplan_ir::Plan;
use std::path::Path;

/// Reports a usage error (exit status 2).
pub fn usage(reporter: &mut Reporter, message: &str) -> bool {
    reporter.usage_errors += 1;
    reporter.plain("", "payplan::usage", message, None, None);
    false
}

/// Reads a plan file as UTF-8.
pub fn read_source(reporter: &mut Reporter, path: &Path) -> Option<SourceFile> {
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

/// Parses and checks one plan file, printing its diagnostics.
pub fn check_file(reporter: &mut Reporter, path: &Path) -> Option<(SourceFile, Plan)> {
    let source = read_source(reporter, path)?;
    let checked = payplan_check::check_source(&source.text);
    for diagnostic in &checked.diagnostics {
        reporter.diagnostic(&source, diagnostic);
    }
    let plan = checked.plan?;
    Some((source, plan))
}

/// A checked plan and its facts, or `None` after reporting why not.
pub fn load(reporter: &mut Reporter, plan_path: &Path, data: &Path, period: Option<&str>) -> Option<(SourceFile, Plan, Facts)> {
    let (source, plan) = check_file(reporter, plan_path)?;
    if let Some(label) = period {
        if !plan.periods.iter().any(|p| p.label.to_string() == label) {
            let known: Vec<String> = plan.periods.iter().map(|p| p.label.to_string()).collect();
            reporter.usage_errors += 1;
            reporter.plain(
                &source.path,
                "payplan::usage",
                &format!("the plan has no period `{label}`"),
                Some(&format!("periods are {}", known.join(", "))),
                None,
            );
            return None;
        }
    }
    match payplan_data::load_path(data, &plan.schema()) {
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
pub fn emit(reporter: &mut Reporter, text: &str, output: Option<&Path>) -> bool {
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

/// Reports an evaluation error, pointing at the plan expression when it has one.
pub fn report_eval_error(reporter: &mut Reporter, source: &SourceFile, error: &payplan_eval::EvalError) {
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
