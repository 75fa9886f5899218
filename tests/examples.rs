//! The example plans in `plans/` (the ones the README tells comp administrators to
//! read and run): every plan checks without a single diagnostic, and its run on
//! `plans/data` is pinned by insta snapshots in CSV and in the terminal table (and in
//! JSON for one plan), so any change to a figure shows up as a reviewed snapshot diff.
//!
//! Update the snapshots after an intended change with
//! `INSTA_UPDATE=always cargo test -p payplan-tests --test examples` and review the diff.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_tests::{describe_diagnostics, example_data_dir, read_text, run_file, workspace_path, Format, EXAMPLE_PLANS};
use std::path::Path;

/// The file name, for messages.
fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn example_plans_check_without_any_diagnostic() {
    let mut seen = 0;
    insta::glob!("../plans", "*.plan", |path| {
        seen += 1;
        let source = read_text(path).unwrap();
        let checked = payplan_check::check_source(&source);
        assert!(
            checked.diagnostics.is_empty(),
            "{} has diagnostics (warnings count too):\n{}",
            name(path),
            describe_diagnostics(&source, &checked.diagnostics)
        );
        assert!(checked.plan.is_some(), "{} did not lower", name(path));
    });
    assert!(seen >= 4, "expected the four example plans, found {seen}");
}

#[test]
fn example_plans_csv() {
    insta::glob!("../plans", "*.plan", |path| {
        let csv = run_file(path, &example_data_dir(), Format::Csv).unwrap_or_else(|e| panic!("{}: {e}", name(path)));
        assert!(csv.starts_with("payee,period,line,amount,currency\n"));
        insta::assert_snapshot!(csv);
    });
}

#[test]
fn example_plans_table() {
    insta::glob!("../plans", "*.plan", |path| {
        let table = run_file(path, &example_data_dir(), Format::Table).unwrap_or_else(|e| panic!("{}: {e}", name(path)));
        insta::assert_snapshot!(table);
    });
}

#[test]
fn sales_manager_json() {
    let path = workspace_path("plans/sales-manager.plan");
    let json = run_file(&path, &example_data_dir(), Format::Json).unwrap();
    // The document parses, and amounts are strings, never JSON numbers (cli.md).
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    for payee in doc["payees"].as_array().unwrap() {
        assert!(payee["balance"].is_string());
        for period in payee["periods"].as_array().unwrap() {
            for line in period["lines"].as_array().unwrap() {
                assert!(line["amount"].is_string(), "{line}");
            }
        }
    }
    assert!(!doc["unpaid_credits"].as_array().unwrap().is_empty(), "the VP's org credit is reported as unpaid");
    insta::assert_snapshot!(json);
}

/// The run is deterministic: the same plan and data give the same bytes twice, and the
/// CSV rows of every payee and period of the term are there.
#[test]
fn example_runs_are_repeatable_and_complete() {
    for plan in EXAMPLE_PLANS {
        let path = workspace_path(&format!("plans/{plan}.plan"));
        let first = run_file(&path, &example_data_dir(), Format::Csv).unwrap();
        let second = run_file(&path, &example_data_dir(), Format::Csv).unwrap();
        assert_eq!(first, second, "{plan}");
        let rows = payplan_tests::parse_output_csv(&first).unwrap();
        let payout_rows = rows.iter().filter(|r| r.line == "payout").count();
        let payees: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.payee.as_str()).collect();
        let periods = if plan == "sdr-partner" { 12 } else { 4 };
        assert_eq!(payout_rows, payees.len() * periods, "{plan}: one payout row per payee and period");
        let _ = read_text(&path).unwrap();
    }
}
