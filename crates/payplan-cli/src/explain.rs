//! `payplan explain`: a payee's statement (text, JSON) or printable pages (HTML).

use crate::common::{emit, load, report_eval_error, Inputs};
use crate::report::Reporter;
use std::path::Path;

/// The formats of `payplan explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatementFormat {
    /// A statement to read top to bottom.
    Text,
    /// The same content for programs.
    Json,
    /// A printable page per payee with a payout curve chart, written into the `-o` folder.
    Html,
}

/// Writes one payee's statement.
pub fn explain(
    reporter: &mut Reporter,
    plan_path: &Path,
    data: &Path,
    payee: &str,
    period: Option<&str>,
    format: StatementFormat,
    output: Option<&Path>,
) -> bool {
    if output.is_some_and(|path| !Inputs::plan_and_data(plan_path, data).allow(reporter, path, "-o")) {
        return false;
    }
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
pub fn explain_html(reporter: &mut Reporter, plan_path: &Path, data: &Path, payee: Option<&str>, period: Option<&str>, dir: &Path) -> bool {
    let inputs = Inputs::plan_and_data(plan_path, data);
    if !inputs.allow(reporter, dir, "-o") {
        return false;
    }
    let Some((source, plan, facts)) = load(reporter, plan_path, data, period) else { return false };
    let explained = match payee {
        Some(id) => payplan_eval::explain(&plan, &facts, id).map(|e| e.map(|(outcome, trace)| (outcome, vec![trace]))),
        None => payplan_eval::explain_all(&plan, &facts).map(Some),
    };
    let (outcome, traces) = match explained {
        Ok(Some(found)) => found,
        Ok(None) => {
            reporter.plain(
                &source.path,
                "payplan::usage",
                &format!("no statement for payee `{}`", payee.unwrap_or_default()),
                Some("the payee is unknown or not eligible"),
                None,
            );
            return false;
        }
        Err(error) => {
            report_eval_error(reporter, &source, &error);
            return false;
        }
    };
    // Every page's path is checked before the first is written.
    let files: Vec<String> = outcome.payees.iter().map(|result| format!("{}.html", file_name(&result.id))).collect();
    for file in files.iter().map(String::as_str).chain(["index.html"]) {
        if !inputs.allow(reporter, &dir.join(file), "-o") {
            return false;
        }
    }
    if let Err(e) = std::fs::create_dir_all(dir) {
        reporter.plain(&dir.display().to_string(), "payplan::io", &format!("cannot create `{}`: {e}", dir.display()), None, None);
        return false;
    }
    let mut index = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head><body><h1>Statements</h1><ul>\n",
        html_text(&plan.name)
    );
    for ((result, trace), file) in outcome.payees.iter().zip(&traces).zip(&files) {
        let unpaid: Vec<payplan_eval::UnpaidCredit> = outcome.unpaid.iter().filter(|u| u.payee == result.id).cloned().collect();
        let page = payplan_output::html::page(&plan, result, trace, &unpaid);
        if !emit(reporter, &page, Some(&dir.join(file))) {
            return false;
        }
        index.push_str(&format!("<li><a href=\"{file}\">{}</a></li>\n", html_text(&result.id)));
    }
    index.push_str("</ul></body></html>\n");
    emit(reporter, &index, Some(&dir.join("index.html")))
}

/// A payee id made safe as a file name.
pub fn file_name(id: &str) -> String {
    id.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '_' })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

fn html_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
