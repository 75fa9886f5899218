//! `payplan bundle`: a payee's private preview bundle (or one per eligible payee).

use crate::common::{emit, load, report_eval_error, Inputs};
use crate::report::Reporter;
use std::path::{Path, PathBuf};

/// Writes the bundle of `payee` to `output` (standard output when `None`), or with no
/// payee one bundle per eligible payee into the folder `output` (`<id>.bundle.json`).
pub fn bundle(reporter: &mut Reporter, plan_path: &Path, data: &Path, payee: Option<&str>, output: Option<&Path>) -> bool {
    let inputs = Inputs::plan_and_data(plan_path, data);
    let folder = match (payee, output) {
        (None, None) => return crate::common::usage(reporter, "`--all` writes one bundle per payee: give a folder with `-o DIR`, not `-o -`"),
        (None, Some(dir)) => Some(dir),
        (Some(_), _) => None,
    };
    if output.is_some_and(|path| !inputs.allow(reporter, path, "-o")) {
        return false;
    }
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
    // Every bundle's path is checked before the first is written.
    let targets: Vec<Option<PathBuf>> = match folder {
        Some(dir) => payees.iter().map(|id| Some(dir.join(format!("{}.bundle.json", crate::explain::file_name(id))))).collect(),
        None => vec![output.map(Path::to_path_buf)],
    };
    if targets.iter().flatten().any(|target| !inputs.allow(reporter, target, "-o")) {
        return false;
    }
    if let Some(dir) = folder {
        if let Err(e) = std::fs::create_dir_all(dir) {
            reporter.plain(&dir.display().to_string(), "payplan::io", &format!("cannot create `{}`: {e}", dir.display()), None, None);
            return false;
        }
    }
    for (id, target) in payees.iter().zip(&targets) {
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
        if !emit(reporter, &payplan_bundle::to_json(&bundle), target.as_deref()) {
            return false;
        }
    }
    true
}
