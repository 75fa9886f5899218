//! `payplan bundle`: a payee's private preview bundle (or one per eligible payee).

use crate::common::{emit, load, report_eval_error};
use crate::report::Reporter;
use std::path::Path;

/// Writes the bundle of `payee` to `output`, or with no payee one bundle per eligible
/// payee into the folder `output` (`<id>.bundle.json`).
pub fn bundle(reporter: &mut Reporter, plan_path: &Path, data: &Path, payee: Option<&str>, output: &Path) -> bool {
    let Some((source, plan, facts)) = load(reporter, plan_path, data, None) else { return false };
    let payees: Vec<String> = match payee {
        Some(id) => vec![id.to_string()],
        None => match payplan_eval::evaluate(&plan, &facts) {
            Ok(outcome) => outcome.payees.into_iter().map(|p| p.id).collect(),
            Err(error) => {
                report_eval_error(reporter, &source, &error);
                return false;
            }
        },
    };
    if payee.is_none() {
        if let Err(e) = std::fs::create_dir_all(output) {
            reporter.plain(&output.display().to_string(), "payplan::io", &format!("cannot create `{}`: {e}", output.display()), None, None);
            return false;
        }
    }
    for id in &payees {
        let bundle = match payplan_bundle::make(&source.text, &plan, &facts, id) {
            Ok(bundle) => bundle,
            Err(payplan_bundle::BundleError::Eval(error)) => {
                report_eval_error(reporter, &source, &error);
                return false;
            }
            Err(error) => {
                reporter.plain(&source.path, "payplan::bundle", &error.to_string(), None, None);
                return false;
            }
        };
        let target = match payee {
            Some(_) => output.to_path_buf(),
            None => output.join(format!("{}.bundle.json", crate::explain::file_name(id))),
        };
        if !emit(reporter, &payplan_bundle::to_json(&bundle), Some(&target)) {
            return false;
        }
    }
    true
}
