//! The public conformance suite's data sets, through the public API: every case's data
//! loads, and every data-error case fails with its expected fragments.
//!
//! The suite lives in `shared/conformance`, beside the repository (or at
//! `/work/shared/conformance`); without it these tests print a note and pass.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use chrono::NaiveDate;
use payplan_data::load_path;
use payplan_facts::{Currency, FieldType, Schema};
use std::path::PathBuf;

/// The data-error cases of `errors/` (the others are plan or evaluation errors).
const DATA_ERROR_CASES: &[&str] = &["12", "13", "14", "15", "16", "17", "18", "23", "24", "25", "26", "27", "29"];

/// Cases whose plan reads `quota(...)` or `metric(...)`.
const READS_QUOTAS: &[&str] = &[
    "03-tiers-marginal-attainment",
    "04-tiers-retroactive",
    "05-boundary-100pct",
    "06-gate-release",
    "07-accelerator-decelerator",
    "18-cap-total",
    "19-bonus-term-and-period",
    "20-todate-trueup",
    "25-prorate-by-days",
    "28-in-period-quotas",
    "33-jpy-plan",
    "38-curve-linear-todate",
    "39-curve-step-in-period",
    "27-duplicate-quota-row",
];
const READS_METRICS: &[&str] = &["37-mbo-metric", "29-metric-not-a-number"];

fn suite() -> Option<PathBuf> {
    let beside_repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance");
    [beside_repo, PathBuf::from("/work/shared/conformance")].into_iter().find(|path| path.is_dir())
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// The schema each case's `plan.plan` implies, written out by hand.
fn schema_for(case: &str) -> Schema {
    let (currency, start, end) = match case {
        "33-jpy-plan" => ("JPY", "2027-04-01", "2028-03-31"),
        "35-monthly-july-fy" => ("USD", "2027-07-01", "2028-06-30"),
        _ => ("USD", "2027-01-01", "2027-12-31"),
    };
    let text = |name: &str| (name.to_string(), FieldType::Text);
    let booking_fields = match case {
        "08-let-table-rates" | "13-spif-per-booking" | "14-spif-of-credit-window" => {
            vec![text("product")]
        }
        "10-plan-split" => vec![text("se")],
        "11-overlay-to-field" => vec![text("product"), text("specialist")],
        "26-field-type-mismatch" => vec![("seats".to_string(), FieldType::Number)],
        _ => Vec::new(),
    };
    Schema {
        currency: Currency::parse(currency).unwrap(),
        term_start: day(start),
        term_end: day(end),
        booking_fields,
        payee_fields: Vec::new(),
        needs_quotas: READS_QUOTAS.contains(&case),
        needs_metrics: READS_METRICS.contains(&case),
    }
}

fn case_folders(folder: PathBuf) -> Vec<(String, PathBuf)> {
    let mut cases: Vec<(String, PathBuf)> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| (entry.file_name().into_string().unwrap(), entry.path()))
        .collect();
    cases.sort();
    cases
}

#[test]
fn every_case_data_set_loads() {
    let Some(suite) = suite() else {
        println!("note: shared/conformance not found; skipping");
        return;
    };
    let cases = case_folders(suite.join("cases"));
    assert!(cases.len() >= 39, "found only {} cases", cases.len());
    for (name, folder) in cases {
        match load_path(&folder.join("data"), &schema_for(&name)) {
            Ok(facts) => assert!(!facts.bookings.is_empty(), "{name}: no bookings"),
            Err(errors) => panic!("{name} should load:\n{errors}"),
        }
    }
}

#[test]
fn every_data_error_case_reports_its_fragments() {
    let Some(suite) = suite() else {
        println!("note: shared/conformance not found; skipping");
        return;
    };
    let cases = case_folders(suite.join("errors"));
    let mut checked = 0;
    for (name, folder) in cases {
        if !DATA_ERROR_CASES.iter().any(|number| name.starts_with(&format!("{number}-"))) {
            continue;
        }
        checked += 1;
        let expect = std::fs::read_to_string(folder.join("expect.txt")).unwrap();
        let shown = match load_path(&folder.join("data"), &schema_for(&name)) {
            Ok(_) => panic!("{name}: loaded, but should fail"),
            Err(errors) => errors.to_string(),
        };
        for fragment in expect.lines().skip(1).map(str::trim).filter(|line| !line.is_empty()) {
            assert!(shown.to_lowercase().contains(&fragment.to_lowercase()), "{name}: {fragment:?} not in:\n{shown}");
        }
        println!("{name}:\n{shown}\n");
    }
    assert_eq!(checked, DATA_ERROR_CASES.len());
}
