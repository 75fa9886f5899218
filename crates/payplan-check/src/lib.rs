//! The payplan checker: resolves names, infers types (money per currency), validates
//! tier tables, curves, caps, gates, splits and references, and lowers the plan into
//! the form the engine runs (`payplan-ir`).
//!
//! Every problem is collected, not just the first: a plan with errors yields all of
//! them and no lowered plan.

mod context;
mod expr;
mod items;
pub mod lints;
mod settings;
mod tiers;
mod types;

use payplan_syntax::ast;
pub use payplan_syntax::{Diagnostic, Severity};

/// The outcome of checking a file.
#[derive(Debug)]
pub struct Checked {
    /// The lowered plan, when there is no error.
    pub plan: Option<payplan_ir::Plan>,
    /// Every error and warning, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }
}

/// Parses and checks a plan file's text.
pub fn check_source(source: &str) -> Checked {
    let (file, mut diagnostics) = payplan_syntax::parse(source);
    let Some(file) = file else {
        return Checked { plan: None, diagnostics };
    };
    let mut checked = check(&file, source);
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        checked.diagnostics.retain(|d| !lints::is_lint(d));
    }
    diagnostics.append(&mut checked.diagnostics);
    diagnostics.sort_by_key(|d| (d.span().start, d.span().end));
    let has_errors = diagnostics.iter().any(|d| d.severity == Severity::Error);
    Checked { plan: if has_errors { None } else { checked.plan }, diagnostics }
}

/// Checks a parsed file and lowers its plan.
pub fn check(file: &ast::File, source: &str) -> Checked {
    let Some(plan) = &file.plan else {
        let diagnostics = if file.use_path.is_some() {
            Vec::new()
        } else {
            vec![Diagnostic::error("payplan::plan", "the file holds no plan", payplan_syntax::Span::new(0, 0), "expected `plan \"Name\" { ... }`")
                .with_help("a plan file starts with `plan \"Name\" {` (or `use \"other.plan\"` for tests alone)")]
        };
        return Checked { plan: None, diagnostics };
    };
    let mut checker = context::Checker::new(source, plan);
    let lowered = checker.run();
    let mut diagnostics = checker.into_diagnostics();
    // Lints (warnings) only on a plan that checks clean: no noise on top of errors.
    if let Some(plan_ir) = lowered.as_ref().filter(|_| !diagnostics.iter().any(|d| d.severity == Severity::Error)) {
        diagnostics.extend(lints::lint(plan, (plan_ir.term_start, plan_ir.term_end)));
    }
    diagnostics.sort_by_key(|d| (d.span().start, d.span().end));
    let has_errors = diagnostics.iter().any(|d| d.severity == Severity::Error);
    Checked { plan: if has_errors { None } else { lowered }, diagnostics }
}
