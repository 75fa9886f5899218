//! What `payplan check` tells a comp administrator about a broken plan.
//!
//! Each file in `tests/diagnostics/` is a small plan seeded with mistakes. The expected
//! diagnostics are written inline, as comment lines directly under the offending line:
//!
//! ```text
//!     bonus big { when bookings + 5 >= 100_000 USD  pay 500 USD }
//! #                    ^^^^^^^^^^^^ cannot add a number to money
//! ```
//!
//! An annotation is a line that starts with `#` in column 0, then spaces, then a run of
//! `^`, a space and a fragment of the message; it may end with ` help: FRAGMENT` for the
//! help text. The `^` run marks the byte columns of the diagnostic's primary span on
//! the line above (the nearest line that is not an annotation; the `#` occupies column
//! 0 like any other character). Several annotations may follow one line.
//!
//! For every file the test requires:
//! - each annotation is matched by its own diagnostic whose primary span is exactly
//!   those bytes (same line, same start, same end), whose message contains the
//!   fragment, and whose help contains the help fragment when one is given;
//! - no error diagnostic is left unannotated: the checker must report every seeded
//!   mistake (not just the first) and nothing else (no cascades).
//!
//! Parse errors stop at the first one (the grammar cannot recover), so a file seeded
//! with a syntax mistake holds just that one.
//!
//! Where the checker's span or message is poor, the annotation says what a comp
//! administrator should see, and the file is listed in [`KNOWN_POOR`]: its test then
//! passes only while the mismatch persists (so a fix is noticed and the entry removed),
//! and `cargo test --test diagnostics -- --ignored` shows the details.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_check::{Diagnostic, Severity};
use payplan_tests::{describe_diagnostic, workspace_path};
use std::path::PathBuf;

/// Files whose annotations say what the checker should report, but does not yet.
const KNOWN_POOR: &[(&str, &str)] = &[];

fn dir() -> PathBuf {
    workspace_path("tests/diagnostics")
}

/// One expected diagnostic, as written in a plan file.
#[derive(Debug)]
struct Annotation {
    /// 1-based line of the annotation itself (for messages).
    line: usize,
    /// 1-based line it points into.
    target_line: usize,
    /// Byte range in the file.
    start: usize,
    end: usize,
    message: String,
    help: Option<String>,
}

/// Parses `#   ^^^^ fragment [help: fragment]`; `None` for any other line.
fn parse_annotation(text: &str) -> Option<(usize, usize, String, Option<String>)> {
    let rest = text.strip_prefix('#')?;
    let spaces = rest.len() - rest.trim_start_matches(' ').len();
    let after_spaces = &rest[spaces..];
    let carets = after_spaces.len() - after_spaces.trim_start_matches('^').len();
    if carets == 0 {
        return None;
    }
    let start = 1 + spaces;
    let tail = after_spaces[carets..].strip_prefix(' ').unwrap_or(&after_spaces[carets..]);
    let (message, help) = match tail.split_once(" help: ") {
        Some((m, h)) => (m.trim().to_string(), Some(h.trim().to_string())),
        None => (tail.trim().to_string(), None),
    };
    Some((start, start + carets, message, help))
}

/// Every annotation of a file, with its byte span.
fn annotations(source: &str) -> Vec<Annotation> {
    let mut out = Vec::new();
    let mut offset = 0;
    // (1-based line number, byte offset of its start) of the last non-annotation line.
    let mut target: Option<(usize, usize, usize)> = None;
    for (index, line) in source.split('\n').enumerate() {
        match parse_annotation(line) {
            Some((start, end, message, help)) => {
                let (target_line, line_start, line_len) = target.unwrap_or_else(|| panic!("line {}: an annotation with no line above it", index + 1));
                assert!(end <= line_len, "line {}: the carets run past the end of line {target_line}", index + 1);
                out.push(Annotation { line: index + 1, target_line, start: line_start + start, end: line_start + end, message, help });
            }
            None => target = Some((index + 1, offset, line.len())),
        }
        offset += line.len() + 1;
    }
    out
}

/// What is wrong with the checker's output for this file, one problem per entry.
fn problems(source: &str, diagnostics: &[Diagnostic]) -> Vec<String> {
    let expected = annotations(source);
    let mut used = vec![false; diagnostics.len()];
    let mut problems = Vec::new();
    if expected.is_empty() {
        problems.push("the file has no annotation: every seeded mistake needs one".to_string());
    }
    for a in &expected {
        let found = diagnostics.iter().enumerate().position(|(i, d)| {
            !used[i]
                && d.span().start == a.start
                && d.span().end == a.end
                && d.message.contains(&a.message)
                && a.help.as_ref().is_none_or(|h| d.help.as_deref().is_some_and(|dh| dh.contains(h.as_str())))
        });
        match found {
            Some(i) => used[i] = true,
            None => {
                let marked = source.get(a.start..a.end).unwrap_or("");
                let mut text = format!(
                    "annotation at line {} expects, at line {} bytes {}..{} `{marked}`: message containing {:?}",
                    a.line, a.target_line, a.start, a.end, a.message
                );
                if let Some(h) = &a.help {
                    text.push_str(&format!(" and help containing {h:?}"));
                }
                problems.push(text);
            }
        }
    }
    for (i, d) in diagnostics.iter().enumerate() {
        if !used[i] && d.severity == Severity::Error {
            problems.push(format!("unannotated {}", describe_diagnostic(source, d)));
        }
    }
    problems
}

/// Checks one file and returns its problems, with every diagnostic listed for context.
fn case_problems(file: &str) -> (Vec<String>, String) {
    let source = std::fs::read_to_string(dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let checked = payplan_check::check_source(&source);
    let all = checked.diagnostics.iter().map(|d| format!("  {}", describe_diagnostic(&source, d))).collect::<Vec<_>>().join("\n");
    let mut problems = problems(&source, &checked.diagnostics);
    if checked.plan.is_some() {
        problems.push("the plan was accepted (lowered), but it is seeded with mistakes".to_string());
    }
    (problems, all)
}

fn run_case(file: &str) {
    let (problems, all) = case_problems(file);
    match KNOWN_POOR.iter().find(|(f, _)| *f == file) {
        None => assert!(problems.is_empty(), "{file}:\n- {}\nthe checker reported:\n{all}", problems.join("\n- ")),
        Some((_, why)) => {
            assert!(!problems.is_empty(), "{file} now gets the diagnostics its annotations ask for: remove it from KNOWN_POOR ({why})");
            eprintln!("{file}: known poor diagnostic ({why}):\n- {}", problems.join("\n- "));
        }
    }
}

macro_rules! cases {
    ($($name:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $name() {
                run_case($file);
            }
        )*
        /// Every case file, as listed above.
        const CASES: &[&str] = &[$($file),*];
    };
}

cases! {
    eq_for_eqeq => "01-eq-for-eqeq.plan",
    thousands_comma => "02-thousands-comma.plan",
    misspelt_keyword => "03-misspelt-keyword.plan",
    misspelt_field => "04-misspelt-field.plan",
    undeclared_field => "05-undeclared-field.plan",
    unknown_name => "06-unknown-name.plan",
    money_plus_number => "07-money-plus-number.plan",
    usd_plus_eur => "08-usd-plus-eur.plan",
    not_bool => "09-not-bool.plan",
    pay_and_rate_types => "10-pay-and-rate-types.plan",
    tier_gap_and_overlap => "11-tier-gap-and-overlap.plan",
    bands_start_and_end => "12-bands-start-and-end.plan",
    band_values_and_rate => "13-band-values-and-rate.plan",
    tiers_not_linear => "14-tiers-not-linear.plan",
    curves => "15-curves.plan",
    names => "16-names.plan",
    reserved_word => "17-reserved-word.plan",
    split_not_100 => "18-split-not-100.plan",
    caps => "19-caps.plan",
    clause_twice => "20-clause-twice.plan",
    setting_twice => "21-setting-twice.plan",
    missing_settings => "22-missing-settings.plan",
    term_periods => "23-term-periods.plan",
    date_literals => "24-date-literals.plan",
    credited_outside_measures => "25-credited-outside-measures.plan",
    record_scope => "26-record-scope.plan",
    cycles => "27-cycles.plan",
    chained_comparison => "28-chained-comparison.plan",
    unknown_function => "29-unknown-function.plan",
    table_key_type => "30-table-key-type.plan",
    in_without_list => "31-in-without-list.plan",
    term_start => "32-term-start.plan",
    if_branches => "33-if-branches.plan",
    spif_incomplete => "34-spif-incomplete.plan",
    commission_on => "35-commission-on.plan",
    rollup => "36-rollup.plan",
    empty_list => "37-empty-list.plan",
    accelerator_with_tiers => "38-accelerator-with-tiers.plan",
    unknown_currency => "39-unknown-currency.plan",
    curve_and_quota_arguments => "40-curve-and-quota-arguments.plan",
    unknown_currency_setting => "41-unknown-currency-setting.plan",
    reserved_word_as_reference => "42-reserved-word-as-reference.plan",
    clawback_and_draw => "43-clawback-and-draw.plan",
    when_gate_date_compare => "44-when-gate-date-compare.plan",
    misspelt_function => "45-misspelt-function.plan",
    band_bound_types => "46-band-bound-types.plan",
    what_may_read_what => "47-what-may-read-what.plan",
    tables => "48-tables.plan",
    field_declarations => "49-field-declarations.plan",
    string_escape => "50-string-escape.plan",
    rounding_mode => "51-rounding-mode.plan",
    empty_tier_table => "52-empty-tier-table.plan",
}

#[test]
fn every_file_is_a_case() {
    let mut on_disk: Vec<String> =
        std::fs::read_dir(dir()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".plan")).collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|s| (*s).to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "list every file of tests/diagnostics in `cases!`");
    assert!(CASES.len() >= 25);
    for (file, _) in KNOWN_POOR {
        assert!(CASES.contains(file), "KNOWN_POOR names {file}, which is not a case");
    }
}

/// The known-poor cases, strictly: fails until the checker says what the annotations
/// ask for. Run with `--ignored` to see each mismatch.
#[test]
#[ignore = "known poor diagnostics (see KNOWN_POOR); run with --ignored for the details"]
fn known_poor_diagnostics_strict() {
    let mut report = Vec::new();
    for (file, why) in KNOWN_POOR {
        let (problems, all) = case_problems(file);
        if !problems.is_empty() {
            report.push(format!("{file} ({why}):\n- {}\nthe checker reported:\n{all}", problems.join("\n- ")));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n\n"));
}

/// The annotation reader itself: columns count from the `#`, a span may be followed
/// by several annotations, and `help:` splits off the help fragment.
#[test]
fn annotation_format() {
    let source = "plan\n    bonus big { when x }\n#                    ^ first\n#               ^^^^ second help: try this\n";
    let a = annotations(source);
    assert_eq!(a.len(), 2);
    let line2 = "plan\n".len();
    assert_eq!((a[0].start, a[0].end), (line2 + 21, line2 + 22));
    assert_eq!(&source[a[0].start..a[0].end], "x");
    assert_eq!(a[0].target_line, 2);
    assert_eq!(a[0].message, "first");
    assert_eq!(a[1].target_line, 2);
    assert_eq!(a[1].message, "second");
    assert_eq!(a[1].help.as_deref(), Some("try this"));
    assert_eq!(&source[a[1].start..a[1].end], "when");
    // Ordinary comments are not annotations.
    assert!(parse_annotation("# Seeded mistakes: a ^ in prose").is_none());
    assert!(parse_annotation("    # ^^^ indented").is_none());
}
