//! `payplan test FILE_OR_DIR... [--update] [--junit FILE]`: runs the `test` blocks of
//! plan files (`payplan_testing`), compares each test's statements with the snapshot
//! file next to the plan (`x.plan.snap`), prints every failure with the expected and
//! actual figure and the statement lines behind it, and ends with `N passed, M failed`.
//!
//! Snapshots: `--update` writes them (and drops the sections of tests that no longer
//! exist). Without it, a snapshot that differs fails the test with a diff; a missing one
//! is written and reported, except when the `CI` environment variable is set (to
//! anything but `false` or `0`): then it fails, so that a new snapshot is never accepted
//! silently in CI.
//!
//! Every file given or found is checked, test blocks or not: one whose plan does not
//! parse or check is a failure, reported with its diagnostics.

use crate::common::{read_source, report_eval_error, Inputs};
use crate::fmt::plan_files;
use crate::report::{Reporter, SourceFile};
use payplan_syntax::{Diagnostic, Span};
use payplan_testing::junit::{Case, CaseResult, Suite};
use payplan_testing::{snapshot, Problem, TestOutcome};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Whether this is a CI run (`CI` set, and not to `false` or `0`).
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len())).map_or(1, |t| t.matches('\n').count() + 1)
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| if l.is_empty() { String::new() } else { format!("{by}{l}") }).collect::<Vec<_>>().join("\n")
}

/// Counts over all files.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    written: Vec<String>,
}

/// Runs the tests; true when every test passed.
pub fn test(reporter: &mut Reporter, paths: &[PathBuf], update: bool, junit: Option<&Path>) -> bool {
    let explicit: Vec<&PathBuf> = paths.iter().filter(|p| !p.is_dir()).collect();
    let mut tally = Tally::default();
    let mut suites = Vec::new();
    let mut io_ok = true;
    let files = plan_files(reporter, paths);
    if let Some(junit) = junit {
        // The report may not overwrite a plan or a snapshot.
        let snapshots: Vec<PathBuf> = files.iter().map(|path| snapshot::path_for(path)).collect();
        let mut read: Vec<(&'static str, &Path)> = files.iter().map(|path| ("a plan file", path.as_path())).collect();
        read.extend(snapshots.iter().map(|path| ("a snapshot file", path.as_path())));
        let inputs = Inputs { files: read, data: None };
        if !inputs.allow(reporter, junit, "--junit") {
            return false;
        }
    }
    for path in files {
        let Some(source) = read_source(reporter, &path) else {
            tally.failed += 1;
            suites.push(Suite {
                file: path.display().to_string(),
                cases: vec![Case { name: "(file)".into(), result: CaseResult::Error("cannot read the file".into(), String::new()) }],
            });
            continue;
        };
        let (file, diagnostics) = payplan_syntax::parse(&source.text);
        let Some(file) = file.filter(|_| !diagnostics.iter().any(|d| d.severity == payplan_syntax::Severity::Error)) else {
            for d in &diagnostics {
                reporter.diagnostic(&source, d);
            }
            tally.failed += 1;
            reporter.println(&format!("{}: does not parse", source.path));
            suites.push(Suite {
                file: source.path.clone(),
                cases: vec![Case { name: "(file)".into(), result: CaseResult::Error("the file does not parse".into(), String::new()) }],
            });
            continue;
        };
        if file.tests.is_empty() {
            // No tests to run, but a plan that does not check fails the run all the same.
            if !checks_untested(reporter, &path, &source, &file) {
                tally.failed += 1;
                reporter.println(&format!("{}: does not check (see the diagnostics)", source.path));
                suites.push(Suite {
                    file: source.path.clone(),
                    cases: vec![Case { name: "(file)".into(), result: CaseResult::Error("the plan does not check".into(), String::new()) }],
                });
            } else if explicit.contains(&&path) {
                reporter.println(&format!("note: {} has no test blocks", source.path));
            }
            continue;
        }
        let suite = test_file(reporter, &path, &source, &file, update, &mut tally, &mut io_ok);
        suites.push(suite);
    }
    if !tally.written.is_empty() {
        reporter.println(&format!("\nwrote {}", tally.written.join(", ")));
    }
    if let Some(junit) = junit {
        if let Err(e) = std::fs::write(junit, payplan_testing::junit::render(&suites)) {
            reporter.plain(&junit.display().to_string(), "payplan::io", &format!("cannot write `{}`: {e}", junit.display()), None, None);
            io_ok = false;
        }
    }
    reporter.println(&format!("\n{} passed, {} failed", tally.passed, tally.failed));
    tally.failed == 0 && io_ok
}

/// The source of the plan a file's tests run against: its own, or the one it `use`s.
fn plan_source_of(reporter: &mut Reporter, path: &Path, source: &SourceFile, file: &payplan_syntax::ast::File) -> Option<SourceFile> {
    match &file.use_path {
        Some(used) if file.plan.is_none() => read_source(reporter, &used_path(path, &used.value)),
        _ => Some(SourceFile { path: source.path.clone(), text: source.text.clone() }),
    }
}

/// A `use "..."` path, relative to the file that holds it.
fn used_path(path: &Path, used: &str) -> PathBuf {
    path.parent().unwrap_or(Path::new("")).join(used)
}

/// Whether the plan of a file without test blocks checks; when it does not, its
/// diagnostics are reported (a clean file prints nothing, as before: lints are for
/// `payplan check`).
fn checks_untested(reporter: &mut Reporter, path: &Path, source: &SourceFile, file: &payplan_syntax::ast::File) -> bool {
    if file.plan.is_none() && file.use_path.is_none() {
        return true;
    }
    let Some(plan_source) = plan_source_of(reporter, path, source, file) else { return false };
    let checked = payplan_check::check_source(&plan_source.text);
    if checked.has_errors() {
        for d in &checked.diagnostics {
            reporter.diagnostic(&plan_source, d);
        }
        return false;
    }
    true
}

/// The plan a file's tests run against: its own, or the one it `use`s.
fn plan_of(reporter: &mut Reporter, path: &Path, source: &SourceFile, file: &payplan_syntax::ast::File) -> Option<(SourceFile, payplan_ir::Plan)> {
    let plan_source = plan_source_of(reporter, path, source, file)?;
    let checked = payplan_check::check_source(&plan_source.text);
    for d in &checked.diagnostics {
        reporter.diagnostic(&plan_source, d);
    }
    let plan = checked.plan?;
    Some((plan_source, plan))
}

fn test_file(
    reporter: &mut Reporter,
    path: &Path,
    source: &SourceFile,
    file: &payplan_syntax::ast::File,
    update: bool,
    tally: &mut Tally,
    io_ok: &mut bool,
) -> Suite {
    reporter.println(&format!("{} ({} test{})", source.path, file.tests.len(), if file.tests.len() == 1 { "" } else { "s" }));
    let mut suite = Suite { file: source.path.clone(), cases: Vec::new() };
    let Some((plan_source, plan)) = plan_of(reporter, path, source, file) else {
        for test in &file.tests {
            reporter.println(&format!("  ERROR {}: the plan does not check (see the diagnostics)", test.name.value));
            suite.cases.push(Case { name: test.name.value.clone(), result: CaseResult::Error("the plan does not check".into(), String::new()) });
            tally.failed += 1;
        }
        return suite;
    };
    let mut outcomes = payplan_testing::run_tests(&plan, &file.tests, &source.text);
    // Two tests of one name would share a snapshot section.
    for (i, test) in file.tests.iter().enumerate() {
        if file.tests.iter().take(i).any(|t| t.name.value == test.name.value) {
            if let Some(outcome) = outcomes.get_mut(i) {
                outcome.problems.push(Problem::Test(
                    Diagnostic::error("payplan::test", format!("two tests are named \"{}\"", test.name.value), test.name.span, "the second")
                        .with_help("give each test of a file its own name"),
                ));
                outcome.statement = None;
            }
        }
    }

    let snap_path = snapshot::path_for(path);
    let existing = std::fs::read_to_string(&snap_path).ok();
    let old_sections = existing.as_deref().map(snapshot::parse).unwrap_or_default();
    let ci = in_ci();
    let mut new_sections: Vec<(String, String)> = Vec::new();
    let mut wrote_new = false;
    for (test, outcome) in file.tests.iter().zip(&outcomes) {
        let old = old_sections.iter().find(|(name, _)| *name == outcome.name).map(|(_, body)| body.as_str());
        let mut snapshot_failure = None;
        match (&outcome.statement, old) {
            (Some(now), Some(old)) if now == old => new_sections.push((outcome.name.clone(), now.clone())),
            (Some(now), Some(old)) => {
                if update {
                    new_sections.push((outcome.name.clone(), now.clone()));
                } else {
                    snapshot_failure = Some(format!("the statement differs from the snapshot in {}:\n{}", snap_path.display(), snapshot::diff(old, now)));
                    new_sections.push((outcome.name.clone(), old.to_string()));
                }
            }
            (Some(now), None) => {
                if ci && !update {
                    snapshot_failure = Some(format!(
                        "no snapshot in {} (with CI set, a new snapshot is never accepted silently: run `payplan test --update` and commit the file)",
                        snap_path.display()
                    ));
                } else {
                    new_sections.push((outcome.name.clone(), now.clone()));
                    wrote_new = true;
                }
            }
            (None, Some(old)) => new_sections.push((outcome.name.clone(), old.to_string())),
            (None, None) => {}
        }
        suite.cases.push(report_test(reporter, source, &plan_source, test.span, outcome, snapshot_failure.as_deref(), tally));
    }
    if !update {
        // Sections of tests that are gone stay until `--update`.
        for (name, body) in &old_sections {
            if !new_sections.iter().any(|(n, _)| n == name) {
                reporter.println(&format!(
                    "note: {} holds a snapshot of test \"{name}\", which no longer exists (`payplan test --update` removes it)",
                    snap_path.display()
                ));
                new_sections.push((name.clone(), body.clone()));
            }
        }
    }
    let file_name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let text = snapshot::render(&file_name, &new_sections);
    if (update || wrote_new) && existing.as_deref() != Some(text.as_str()) {
        match std::fs::write(&snap_path, &text) {
            Ok(()) => tally.written.push(snap_path.display().to_string()),
            Err(e) => {
                reporter.plain(&snap_path.display().to_string(), "payplan::io", &format!("cannot write `{}`: {e}", snap_path.display()), None, None);
                *io_ok = false;
            }
        }
    }
    suite
}

/// Prints one test's result (stdout), reports its problems (stderr), and in JSON mode
/// its failures as diagnostics too, for CI annotations.
fn report_test(
    reporter: &mut Reporter,
    source: &SourceFile,
    plan_source: &SourceFile,
    span: Span,
    outcome: &TestOutcome,
    snapshot_failure: Option<&str>,
    tally: &mut Tally,
) -> Case {
    for problem in &outcome.problems {
        match problem {
            Problem::Test(d) => reporter.diagnostic(source, d),
            Problem::Eval(e) => report_eval_error(reporter, plan_source, e),
        }
    }
    if !outcome.problems.is_empty() {
        tally.failed += 1;
        reporter.println(&format!(
            "  ERROR {} ({}:{}): the test cannot run (see the diagnostics)",
            outcome.name,
            source.path,
            line_of(&source.text, span.start)
        ));
        let messages: Vec<String> = outcome
            .problems
            .iter()
            .map(|p| match p {
                Problem::Test(d) => format!("{}:{}: {}", source.path, line_of(&source.text, d.span().start), d.message),
                Problem::Eval(e) => format!("{}{}", e.message, e.context()),
            })
            .collect();
        return Case { name: outcome.name.clone(), result: CaseResult::Error(messages.first().cloned().unwrap_or_default(), messages.join("\n")) };
    }
    if outcome.passed() && snapshot_failure.is_none() {
        tally.passed += 1;
        reporter.println(&format!("  ok    {}", outcome.name));
        return Case { name: outcome.name.clone(), result: CaseResult::Passed };
    }
    tally.failed += 1;
    reporter.println(&format!("  FAIL  {}", outcome.name));
    let mut details = String::new();
    for f in &outcome.failures {
        let at = format!("{}:{}", source.path, line_of(&source.text, f.span.start));
        let _ = writeln!(details, "{}  ({at})", f.expectation);
        let _ = writeln!(details, "  expected: {}", f.expected);
        let _ = writeln!(details, "  actual:   {}", f.actual);
        if !f.explanation.is_empty() {
            let _ = writeln!(details, "  how the actual figure was reached:\n{}", indent(&f.explanation, "    "));
        }
        if reporter.is_json() {
            let d = Diagnostic::error("payplan::test-failed", format!("expected {}, actual {}", f.expected, f.actual), f.span, "this expectation fails")
                .with_help(format!("how the actual figure was reached:\n{}", f.explanation));
            reporter.diagnostic(source, &d);
        }
    }
    if let Some(why) = snapshot_failure {
        let _ = writeln!(details, "{why}");
        if reporter.is_json() {
            let d = Diagnostic::error(
                "payplan::snapshot",
                format!("the statements of test \"{}\" differ from the snapshot, or it has none", outcome.name),
                outcome.span,
                "this test",
            )
            .with_help(why.to_string());
            reporter.diagnostic(source, &d);
        }
    }
    reporter.println(&indent(details.trim_end(), "        "));
    let message = match (outcome.failures.first(), snapshot_failure) {
        (Some(f), _) => format!("{}: expected {}, actual {}", f.expectation, f.expected, f.actual),
        (None, Some(_)) => "the statement differs from the snapshot".to_string(),
        (None, None) => "failed".to_string(),
    };
    Case { name: outcome.name.clone(), result: CaseResult::Failed(message, details) }
}
