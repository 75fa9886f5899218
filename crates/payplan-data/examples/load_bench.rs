//! Loads a data folder (or JSON file) with the benchmark plan's schema and prints the
//! time and the row counts: a quick harness for the loader's speed.
//!
//! ```sh
//! python3 ../shared/bench/gen_data.py --out /tmp/bench-1m
//! cargo run --release -p payplan-data --example load_bench -- /tmp/bench-1m [RUNS]
//! ```
//! With RUNS > 1 the data set is loaded that many times and each time is printed.

use chrono::NaiveDate;
use payplan_facts::{Currency, FieldType, Schema};
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: load_bench DATA_FOLDER [RUNS]");
        return ExitCode::from(2);
    };
    let runs: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
    let (Some(term_start), Some(term_end)) = (NaiveDate::from_ymd_opt(2027, 1, 1), NaiveDate::from_ymd_opt(2027, 12, 31)) else {
        return ExitCode::FAILURE;
    };
    // The schema of shared/bench/reference.plan.
    let schema = Schema {
        currency: Currency::USD,
        term_start,
        term_end,
        booking_fields: vec![("product".to_string(), FieldType::Text)],
        payee_fields: Vec::new(),
        needs_quotas: true,
        needs_metrics: false,
    };
    for _ in 0..runs {
        let start = Instant::now();
        let result = payplan_data::load_path(std::path::Path::new(&path), &schema);
        let elapsed = start.elapsed();
        match result {
            Ok(facts) => {
                println!(
                    "loaded in {:.3} s: {} payees, {} bookings, {} splits, {} quotas, {} metrics, {} fx, {} accounts",
                    elapsed.as_secs_f64(),
                    facts.payees.len(),
                    facts.bookings.len(),
                    facts.splits.len(),
                    facts.quotas.len(),
                    facts.metrics.len(),
                    facts.fx.len(),
                    facts.accounts.len()
                );
                if let Some(memory) = memory() {
                    println!("{memory}");
                }
            }
            Err(errors) => {
                println!("failed in {:.3} s with {} errors:", elapsed.as_secs_f64(), errors.0.len());
                println!("{errors}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// Resident memory now (about the size of the facts, once the loader has returned) and
/// at its peak, from /proc/self/status (Linux only).
fn memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| status.lines().find_map(|line| line.strip_prefix(name)).map(|value| value.trim().to_string());
    Some(format!("resident now {}, peak {}", field("VmRSS:")?, field("VmHWM:")?))
}
