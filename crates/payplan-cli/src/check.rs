//! `payplan check PLAN...`: parse and check, print every diagnostic.

use crate::common::{check_file, read_source};
use crate::report::Reporter;
use std::path::Path;

/// `payplan check` of one file: clean when it has no error. A file of tests alone
/// (`use "other.plan"`) is checked together with the plan it uses.
pub fn check_only(reporter: &mut Reporter, path: &Path) -> bool {
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

/// The lints that need data (a table key that never occurs in it), reported as warnings
/// after a plan's facts are loaded.
pub fn data_lints(reporter: &mut Reporter, source: &crate::report::SourceFile, plan: &payplan_ir::Plan, facts: &payplan_facts::Facts) {
    let (file, _) = payplan_syntax::parse(&source.text);
    let Some(ast_plan) = file.as_ref().and_then(|f| f.plan.as_ref()) else { return };
    for d in payplan_check::lints::lint_data(ast_plan, plan, facts) {
        reporter.diagnostic(source, &d);
    }
}
