//! The bodies of payplan's fuzz targets, as plain functions so that the same code runs
//! under libFuzzer (`fuzz_targets/*.rs`), under the stable stand-in
//! (`src/bin/stable_fuzz.rs`) and as a replay of the kept corpus (`tests/replay.rs`).
//!
//! The rule every target checks: any input may be rejected with a diagnostic or an
//! error; nothing may panic, hang or exhaust memory. Some targets check more (the
//! formatter is idempotent; a generated valid plan checks clean; a run is
//! deterministic and its statements add up). A violated expectation is a panic with
//! a message saying which.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

pub mod gen;

use payplan_eval::LineKind;
use payplan_facts::{Facts, Schema};
use payplan_ir::Plan;
use payplan_syntax::Severity;
use rust_decimal::Decimal;
use std::sync::OnceLock;

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// The fuzz targets by name, for the replay and the stable driver.
pub const TARGETS: &[(&str, Target)] =
    &[("parse", parse), ("check", check), ("format", format), ("data_csv", data_csv), ("data_json", data_json), ("whole_run", whole_run)];

/// Plan text from raw bytes: the fuzzers feed bytes, plans are UTF-8.
fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// `parse`: the parser on any text.
pub fn parse(data: &[u8]) {
    if let Some(source) = text(data) {
        let (file, diagnostics) = payplan_syntax::parse(source);
        if file.is_none() {
            assert!(diagnostics.iter().any(|d| d.severity == Severity::Error), "the parser gave no tree and no error");
        }
        for d in &diagnostics {
            // Every label must point inside the text, on character boundaries.
            for label in &d.labels {
                assert!(label.span.start <= label.span.end && label.span.end <= source.len(), "label span {:?} outside the text", label.span);
                assert!(source.is_char_boundary(label.span.start) && source.is_char_boundary(label.span.end), "label span {:?} splits a character", label.span);
            }
        }
    }
}

/// A small data set that loads for most plans without custom fields: evaluating a
/// fuzzed plan that checks clean on it reaches the engine.
const TINY_DATA: &str = r#"{
  "payees": [
    {"id": "a", "name": "A", "role": "AE", "target_incentive": "100000", "start_date": "2020-01-01"},
    {"id": "m", "name": "M", "role": "Manager", "target_incentive": "150000"},
    {"id": "b", "role": "AE", "manager": "m", "target_incentive": "0", "end_date": "2027-06-30"}
  ],
  "bookings": [
    {"id": "b1", "date": "2027-02-10", "amount": "600000", "owner": "a", "status": "won"},
    {"id": "b2", "date": "2027-05-10", "amount": "-1000.50", "currency": "USD", "owner": "b", "status": "won", "cancel_date": "2027-06-01"},
    {"id": "b3", "date": "2027-08-10", "amount": "1000000", "owner": "b", "status": "lost"}
  ],
  "splits": [
    {"booking": "b1", "payee": "a", "share": "60%"},
    {"booking": "b1", "payee": "b", "share": "40%"}
  ]
}"#;

/// `check`: parse and check any text; when a plan checks clean, evaluate it on a tiny
/// data set (when that data set loads for its schema).
pub fn check(data: &[u8]) {
    let Some(source) = text(data) else { return };
    let checked = payplan_check::check_source(source);
    if let (Some(plan), false) = (&checked.plan, checked.has_errors()) {
        let schema = plan.schema();
        if let Ok(facts) = payplan_data::load_json_str("tiny.json", TINY_DATA, &schema) {
            run_all(plan, &facts);
        }
    } else {
        assert!(checked.has_errors() || checked.plan.is_some(), "no plan and no error");
    }
}

/// `format`: the formatter on any text. It either refuses with the parser's
/// diagnostics, or returns text that formats to itself; it must never refuse its own
/// output (`payplan::fmt` "the formatter would change this file" is a formatter bug).
pub fn format(data: &[u8]) {
    let Some(source) = text(data) else { return };
    match payplan_syntax::format::format_source(source) {
        Ok(formatted) => match payplan_syntax::format::format_source(&formatted) {
            Ok(again) => assert_eq!(again, formatted, "the formatter is not idempotent"),
            Err(diagnostics) => panic!("the formatter's output does not format: {:?}", diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>()),
        },
        Err(diagnostics) => {
            if let Some(d) = diagnostics.iter().find(|d| d.code == "payplan::fmt") {
                panic!("formatter bug: {}", d.message);
            }
        }
    }
}

/// Plans whose schemas the data targets load against (the first input byte picks one).
const DATA_PLANS: &[&str] = &[
    // Every custom field type, quotas, metrics, accounts, splits, rollups, clawback.
    r#"plan "fuzz data: everything" {
    currency USD
    term 2027-01-01 to 2027-12-31
    period quarter
    prorate by days
    field booking.product: text
    field booking.units: number
    field booking.list_price: money
    field booking.signed: date
    field booking.renewal: bool
    field payee.segment: text
    field payee.bonus_base: money
    credit direct { when booking.status == "won"  to splits  clawback within 90 days }
    credit team { rollup direct all levels }
    credit territory { when is_set(booking.account)  to owner_of(booking.account) }
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings")
    measure team_bookings = credited(team)
    measure territory_bookings = credited(territory)
    measure mbo = metric("mbo") in period
    commission base {
        on bookings
        rate 10%
        tiers marginal by attainment { below 50%: 0.5x  50% to 100%: 1x  100% and above: 1.5x }
        gate attainment >= 10%
    }
    commission team_commission { on team_bookings  rate 1% }
    commission territory_commission { on territory_bookings  rate 2% }
    bonus mbo_bonus { when mbo >= 0.5  pay 100 USD per period }
    spif renewals { on direct  window 2027-01-01 to 2027-06-30  when booking.renewal  pay 1% of credit }
    cap base at 50_000 USD per booking
    cap total at 500_000 USD per term
    draw recoverable 1_000 USD per period for 2 periods
}"#,
    // The minimum: no quota, EUR, months, a July term.
    r#"plan "fuzz data: minimal" {
    currency EUR
    term 2027-07-01 to 2028-06-30
    period month
    credit direct { to splits }
    measure bookings = credited(direct)
    commission base { on bookings  rate 5% }
}"#,
    // JPY (no minor unit), money tiers, an in-period quota, retroactive tiers.
    r#"plan "fuzz data: yen" {
    currency JPY
    term 2027-01-01 to 2027-12-31
    period half
    rounding half_even
    credit direct { when booking.status != "lost"  to booking.owner }
    measure bookings = credited(direct) in period
    measure attainment = bookings / quota("bookings") in period
    commission base {
        on bookings
        rate 3%
        tiers retroactive by attainment { below 100%: 1x  100% and above: 2x }
    }
    bonus club { when attainment >= 100%  pay 10_000 JPY per period }
}"#,
];

fn data_plans() -> &'static [(Plan, Schema)] {
    static PLANS: OnceLock<Vec<(Plan, Schema)>> = OnceLock::new();
    PLANS.get_or_init(|| {
        DATA_PLANS
            .iter()
            .map(|source| {
                let checked = payplan_check::check_source(source);
                assert!(!checked.has_errors(), "a data plan of the fuzz crate does not check: {:?}", checked.diagnostics);
                let plan = checked.plan.expect("checked");
                let schema = plan.schema();
                (plan, schema)
            })
            .collect()
    })
}

/// The table file names, in the order the `data_csv` input lists them.
pub const CSV_FILES: &[&str] = &["payees.csv", "bookings.csv", "splits.csv", "quotas.csv", "fx.csv", "metrics.csv", "accounts.csv"];

/// The byte separating the files of a `data_csv` input (ASCII record separator).
pub const FILE_SEPARATOR: u8 = 0x1E;

/// Splits a `data_csv` input: the first byte picks the plan, the rest is the seven
/// files in [`CSV_FILES`] order separated by [`FILE_SEPARATOR`]; a file left empty
/// is absent (so a missing file is reachable too).
pub fn split_csv_input(data: &[u8]) -> (usize, Vec<(String, Vec<u8>)>) {
    let (selector, rest) = data.split_first().map_or((0, &[][..]), |(s, r)| (*s, r));
    let files = rest
        .split(|b| *b == FILE_SEPARATOR)
        .zip(CSV_FILES)
        .filter(|(bytes, _)| !bytes.is_empty())
        .map(|(bytes, name)| ((*name).to_string(), bytes.to_vec()))
        .collect();
    (usize::from(selector) % DATA_PLANS.len(), files)
}

/// Builds a `data_csv` input (for seeding the corpus).
pub fn join_csv_input(selector: u8, files: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![selector];
    for (i, file) in files.iter().enumerate() {
        if i > 0 {
            out.push(FILE_SEPARATOR);
        }
        out.extend_from_slice(file);
    }
    out
}

/// `data_csv`: the CSV loader on any bytes, then (when they load) the engine.
pub fn data_csv(data: &[u8]) {
    let (selector, files) = split_csv_input(data);
    let (plan, schema) = &data_plans()[selector];
    match payplan_data::load_csv_files(&files, schema) {
        Ok(facts) => run_all(plan, &facts),
        Err(errors) => check_errors(&errors),
    }
}

/// `data_json`: the JSON loader on any text (the first byte picks the plan), then
/// (when it loads) the engine.
pub fn data_json(data: &[u8]) {
    let Some((selector, rest)) = data.split_first() else { return };
    let Some(source) = text(rest) else { return };
    let (plan, schema) = &data_plans()[usize::from(*selector) % DATA_PLANS.len()];
    match payplan_data::load_json_str("data.json", source, schema) {
        Ok(facts) => run_all(plan, &facts),
        Err(errors) => check_errors(&errors),
    }
}

/// Load errors are never empty, never more than the limit (plus the line saying how
/// many more), and each names its file.
fn check_errors(errors: &payplan_data::DataErrors) {
    assert!(!errors.0.is_empty(), "a failed load with no error");
    assert!(errors.0.len() <= payplan_data::MAX_ERRORS + 1, "{} errors, more than the limit", errors.0.len());
    for e in &errors.0 {
        assert!(!e.file.is_empty(), "an error without a file: {e}");
        let _ = e.to_string();
    }
}

/// Evaluates, explains and renders; evaluation may fail with an `EvalError`, but a
/// run must be deterministic, the explained run must be the run, and every statement
/// must add up.
fn run_all(plan: &Plan, facts: &Facts) {
    let outcome = payplan_eval::evaluate(plan, facts);
    let again = payplan_eval::evaluate(plan, facts);
    assert_eq!(outcome, again, "two runs of the same plan and facts differ");
    let _ = payplan_eval::credit_entries(plan, facts);
    let Ok(outcome) = outcome else { return };
    let traces = match payplan_eval::explain_all(plan, facts) {
        Ok((explained, traces)) => {
            assert_eq!(explained, outcome, "the explained run is not the run");
            traces
        }
        Err(e) => panic!("the run succeeded but its explanation failed: {e}"),
    };
    // The browser preview's trace: the same figures, without the rows.
    if let Some(full) = traces.first() {
        match payplan_eval::explain_figures(plan, facts, &full.payee) {
            Ok(Some((_, figures))) => assert_eq!(figures, full.figures(), "{}: the figures trace is not the full trace's figures", full.payee),
            Ok(None) => panic!("{}: explained in the run, but no figures trace", full.payee),
            Err(e) => panic!("{}: the run succeeded but its figures trace failed: {e}", full.payee),
        }
    }
    for result in &outcome.payees {
        for period in &result.periods {
            let sum: Decimal = period.lines.iter().filter(|l| l.kind != LineKind::Payout).map(|l| l.amount).sum();
            let payout = period.lines.iter().find(|l| l.kind == LineKind::Payout).map(|l| l.amount);
            assert_eq!(Some(sum), payout, "{} {}: the lines do not add up to the payout", result.id, period.period);
        }
    }
    // The table's `balance owed` with `--period` is read back from the lines: it must be
    // the ledger's own balance after every period.
    for (result, trace) in outcome.payees.iter().zip(&traces) {
        for (index, period) in trace.periods.iter().enumerate() {
            let shown = payplan_output::balance_after(result, index);
            assert_eq!(shown, period.ledger.balance_after, "{} {}: the table's balance is not the ledger's", result.id, period.period);
        }
    }
    for format in [payplan_output::Format::Table, payplan_output::Format::Csv, payplan_output::Format::Json] {
        let _ = payplan_output::render(format, plan, &outcome, None);
    }
    if let Some(first) = plan.periods.first() {
        for format in [payplan_output::Format::Table, payplan_output::Format::Csv] {
            let _ = payplan_output::render(format, plan, &outcome, Some(&first.label.to_string()));
        }
    }
}

/// `whole_run`: a valid plan generated from building blocks, with facts consistent
/// with it ([`gen`]). The plan must check clean and format to a plan that means the
/// same; the data must load; the run may stop with an `EvalError` (a decimal
/// overflow on huge amounts) but never panic, and must pass [`run_all`].
pub fn whole_run(data: &[u8]) {
    let mut bytes = gen::Bytes::new(data);
    let scenario = gen::scenario(&mut bytes, &gen::Options::EVERYTHING);
    let checked = payplan_check::check_source(&scenario.plan.text);
    let errors: Vec<&str> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).map(|d| d.message.as_str()).collect();
    assert!(errors.is_empty(), "a generated plan does not check: {errors:?}\n{}", scenario.plan.text);
    let plan = checked.plan.expect("a plan that checks clean");
    if let Err(d) = payplan_syntax::format::format_source(&scenario.plan.text) {
        panic!("a generated plan does not format: {:?}", d.iter().map(|d| &d.message).collect::<Vec<_>>());
    }
    let facts = match payplan_data::load_csv_files(&scenario.files(), &plan.schema()) {
        Ok(facts) => facts,
        Err(errors) => {
            panic!("generated data does not load: {}\n{}", errors.0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"), scenario.plan.text)
        }
    };
    run_all(&plan, &facts);
}
