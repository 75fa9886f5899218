//! Invariants over generated plans and facts (issue 7), with proptest.
//!
//! The plans and data come from the whole-run fuzz target's generator
//! (`fuzz/src/gen.rs`, included below): a valid plan assembled from building blocks
//! (credit rules with splits, rollups and clawbacks; measures; commissions with flat
//! rates, marginal or retroactive tiers, accelerators, gates and caps; bonuses, curves,
//! spifs, a total cap, draws) and facts consistent with it. Each property asks the
//! generator for the blocks it is about. The properties (those of
//! `tests/properties.rs` — row order, split additivity, statements adding up — are not
//! repeated):
//!
//! - `a_thread_count`: `payplan run` prints the same bytes (and the same errors) with
//!   `RAYON_NUM_THREADS=1` and `4`;
//! - `b_caps`: no cap is ever exceeded: a total cap by the lines to date, a per-term
//!   cap by a component's lines to date, a per-booking cap by any booking's kept
//!   earnings (in the trace), a per-period cap by any period's line (by at most one
//!   minor unit: the line is `round(C(p)) - round(C(p-1))` and the rounding of the two
//!   cumulative values may each move by half a unit when C crosses zero), and by
//!   exactly the cap in the trace's increase of C;
//! - `c_marginal_monotone`: with marginal tiers (never retroactive), no caps, no
//!   clawback and no draw, adding a booking never lowers any payee's payout to date,
//!   in any period;
//! - `d_full_clawback`: when every booking is cancelled within the clawback window and
//!   inside the term, every component's lines add up to zero over the term, so do the
//!   cap lines, and everything paid is owed back (the term-end balance equals the
//!   payouts) — without per-period caps (a decrease passes them in full, language.md
//!   section 8), per-booking caps, `in period` measures (each period is tiered on its
//!   own), draws or standing bonuses (per period, on a curve, without `when`);
//! - `e_explanations_add_up`: the trace's figures add up to every line, as in
//!   `tests/explain.rs`, on generated plans and data;
//! - `f_term_lines_sum_to_rounded_cumulative`: a component's lines over the term sum
//!   to its rounded cumulative earnings after caps at the last evaluated period.
//!
//! `generated_scenarios_cover_the_blocks` checks on a fixed sample that the generator
//! reaches every building block often.
//!
//! 64 cases each, or `PROPTEST_CASES` (read here and passed to `Config::with_cases`).
//! The 10,000-case run of docs/hardening.md:
//! `PROPTEST_CASES=10000 cargo test --release --test invariants`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[allow(dead_code)]
#[path = "../fuzz/src/gen.rs"]
mod gen;

use gen::{Bytes, Options, Scenario};
use payplan_eval::trace::{ComponentTrace, Part, PayeeTrace};
use payplan_eval::{round, LineKind, Outcome};
use payplan_facts::Facts;
use payplan_ir::Plan;
use proptest::prelude::*;
use proptest::test_runner::Config;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// 64 cases, or `PROPTEST_CASES`.
fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64);
    Config::with_cases(cases)
}

/// The generator's input.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 64..2048)
}

fn scenario(input: &[u8], options: &Options) -> Scenario {
    gen::scenario(&mut Bytes::new(input), options)
}

/// Checks and loads a scenario (both must work: the generator makes valid input).
fn load(s: &Scenario) -> (Plan, Facts) {
    let checked = payplan_check::check_source(&s.plan.text);
    assert!(!checked.has_errors(), "a generated plan does not check: {:?}\n{}", checked.diagnostics, s.plan.text);
    let plan = checked.plan.unwrap();
    let facts = payplan_data::load_csv_files(&s.files(), &plan.schema())
        .unwrap_or_else(|e| panic!("generated data does not load: {}", e.0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")));
    (plan, facts)
}

/// The scenario as text, for failure messages: the plan, then every CSV file.
fn describe(s: &Scenario) -> String {
    let mut out = s.plan.text.clone();
    for (name, bytes) in s.files() {
        out.push_str(&format!("\n==> {name} <==\n{}", String::from_utf8_lossy(&bytes)));
    }
    out
}

fn explain(plan: &Plan, facts: &Facts) -> Option<(Outcome, Vec<PayeeTrace>)> {
    payplan_eval::explain_all(plan, facts).ok()
}

fn line(outcome: &Outcome, payee: usize, period: usize, name: &str) -> Decimal {
    outcome.payees[payee].periods[period]
        .lines
        .iter()
        .filter(|l| l.name == name && l.kind != LineKind::Payout || (name == "payout" && l.kind == LineKind::Payout))
        .map(|l| l.amount)
        .sum()
}

fn minor_unit(plan: &Plan) -> Decimal {
    Decimal::new(1, plan.currency.minor_units())
}

// ---------------------------------------------------------------- (a) threads

/// The `payplan` binary of this build: `$PAYPLAN_BIN`, or beside this test's target
/// folder (built first when missing).
fn payplan_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("PAYPLAN_BIN") {
            return PathBuf::from(bin);
        }
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
        let bin = profile_dir.join(format!("payplan{}", std::env::consts::EXE_SUFFIX));
        if !bin.exists() {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let mut build = Command::new(cargo);
            build.current_dir(env!("CARGO_MANIFEST_DIR")).args(["build", "-p", "payplan-cli", "--bin", "payplan"]);
            if profile_dir.file_name().is_some_and(|n| n == "release") {
                build.arg("--release");
            }
            if let Some(target_dir) = profile_dir.parent() {
                build.env("CARGO_TARGET_DIR", target_dir);
            }
            assert!(build.status().unwrap().success(), "could not build payplan");
        }
        bin
    })
}

fn thread_count(input: &[u8]) -> Result<(), TestCaseError> {
    let s = scenario(input, &Options::EVERYTHING);
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("payplan-invariants-{}-{n}", std::process::id()));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("plan.plan"), &s.plan.text).unwrap();
    for (name, bytes) in s.files() {
        std::fs::write(dir.join("data").join(name), bytes).unwrap();
    }
    let run = |threads: &str| {
        let out = Command::new(payplan_bin())
            .current_dir(&dir)
            .env("RAYON_NUM_THREADS", threads)
            .env("NO_COLOR", "1")
            .args(["run", "plan.plan", "--data", "data", "--format", "json"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), out.stdout, stderr)
    };
    let one = run("1");
    let four = run("4");
    std::fs::remove_dir_all(&dir).ok();
    prop_assert!(one == four, "1 and 4 threads differ:\n{}\n--- 1 thread: {:?} {}\n--- 4 threads: {:?} {}", s.plan.text, one.0, one.2, four.0, four.2);
    Ok(())
}

// ---------------------------------------------------------------- (b) caps

fn caps(input: &[u8]) -> Result<(), TestCaseError> {
    let options = Options { caps: true, huge: false, ..Options::EVERYTHING };
    let s = scenario(input, &options);
    let (plan, facts) = load(&s);
    let Some((outcome, traces)) = explain(&plan, &facts) else { return Ok(()) };
    let unit = minor_unit(&plan);
    // With an `in period` measure too, a term cap bounds the earnings to date (the
    // running sum): `bug_term_cap_with_in_period_measure`.
    for cap in &s.plan.caps {
        let limit = Decimal::from(cap.amount);
        for (p, payee) in outcome.payees.iter().enumerate() {
            let mut to_date = Decimal::ZERO;
            for (k, period) in payee.periods.iter().enumerate() {
                let at = format!("{} {} cap {} per {} at {}", payee.id, period.period, cap.component, cap.per, cap.amount);
                match (cap.component.as_str(), cap.per) {
                    ("total", _) => {
                        to_date += period.lines.iter().filter(|l| matches!(l.kind, LineKind::Component | LineKind::Cap)).map(|l| l.amount).sum::<Decimal>();
                        prop_assert!(to_date <= limit, "{}: lines to date {} exceed the total cap\n{}", at, to_date, describe(&s));
                    }
                    (component, "term") => {
                        to_date += line(&outcome, p, k, component);
                        prop_assert!(to_date <= limit, "{}: {} to date {} exceeds its term cap\n{}", at, component, to_date, describe(&s));
                    }
                    (component, "period") => {
                        let amount = line(&outcome, p, k, component);
                        prop_assert!(amount <= limit + unit, "{}: line {} exceeds its period cap\n{}", at, amount, s.plan.text);
                        let trace = traces[p].periods[k].components.iter().find(|c| c.name == component).unwrap();
                        if traces[p].periods[k].evaluated {
                            if let Some(pc) = &trace.period_cap {
                                prop_assert!(pc.allowed <= limit, "{}: the trace allows {}", at, pc.allowed);
                            }
                        }
                    }
                    (component, "booking") => {
                        let trace = traces[p].periods[k].components.iter().find(|c| c.name == component).unwrap();
                        if let Some(part) = &trace.part {
                            for b in &part.bookings {
                                prop_assert!(b.kept <= limit, "{}: booking {} keeps {}\n{}", at, b.booking, b.kept, s.plan.text);
                            }
                        }
                    }
                    _ => unreachable!(),
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- (c) marginal monotone

const MONOTONE: Options = Options {
    caps: false,
    period_caps: false,
    booking_caps: false,
    clawback: false,
    always_clawback: false,
    draws: false,
    retroactive: false,
    huge: false,
    ..Options::EVERYTHING
};

fn marginal_monotone(input: &[u8], extra: &[u8]) -> Result<(), TestCaseError> {
    let s = scenario(input, &MONOTONE);
    let (plan, facts) = load(&s);
    let Ok(before) = payplan_eval::evaluate(&plan, &facts) else { return Ok(()) };
    // One more booking: won, positive, not cancelled.
    let mut more = s.clone();
    let foreign: Vec<&'static str> = ["USD", "EUR", "JPY"].into_iter().filter(|c| *c != s.plan.currency).collect();
    let options = Options { negative: false, clawback: false, ..MONOTONE };
    let mut added = gen::booking(&mut Bytes::new(extra), &options, &s.plan, s.data.payees.len(), &foreign);
    added.won = true;
    added.cancel = None;
    more.data.bookings.push(added.clone());
    let facts_after = payplan_data::load_csv_files(&more.files(), &plan.schema()).unwrap();
    let after = payplan_eval::evaluate(&plan, &facts_after);
    let after = match after {
        Ok(after) => after,
        Err(e) => return Err(TestCaseError::fail(format!("adding a booking made the run fail: {e}\n{}", s.plan.text))),
    };
    prop_assert_eq!(before.payees.len(), after.payees.len());
    for (a, b) in before.payees.iter().zip(&after.payees) {
        let (mut paid_a, mut paid_b) = (Decimal::ZERO, Decimal::ZERO);
        let (mut total_a, mut total_b) = (Decimal::ZERO, Decimal::ZERO);
        for (pa, pb) in a.periods.iter().zip(&b.periods) {
            let payout = |p: &payplan_eval::PeriodLines| p.lines.iter().find(|l| l.kind == LineKind::Payout).unwrap().amount;
            let total = |p: &payplan_eval::PeriodLines| p.lines.iter().filter(|l| l.kind == LineKind::Component).map(|l| l.amount).sum::<Decimal>();
            paid_a += payout(pa);
            paid_b += payout(pb);
            total_a += total(pa);
            total_b += total(pb);
            prop_assert!(
                total_b >= total_a && paid_b >= paid_a,
                "{} {}: adding {:?} lowers earnings to date {} -> {} or payout to date {} -> {}\n{}",
                a.id,
                pa.period,
                added,
                total_a,
                total_b,
                paid_a,
                paid_b,
                s.plan.text
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- (d) full clawback

const CLAWBACK: Options = Options {
    caps: true,
    period_caps: false,
    booking_caps: false,
    clawback: true,
    always_clawback: true,
    draws: false,
    in_period: false,
    standing_bonuses: false,
    active_dates: false,
    outside_term: false,
    huge: false,
    // `rounding up` included: C = E (`bug_full_clawback_leaves_a_residue_that_rounds_up`),
    // and marginal earnings telescope, so reversals in any order give back exactly what
    // was earned (`bug_interleaved_reversals_leave_a_residue_in_marginal_tiers`).
    ..Options::EVERYTHING
};

fn full_clawback(input: &[u8], fractions: &[u8]) -> Result<(), TestCaseError> {
    let mut s = scenario(input, &CLAWBACK);
    let window = s.plan.clawback_days.unwrap();
    for (i, b) in s.data.bookings.iter_mut().enumerate() {
        let room = window.min((s.plan.term_end - b.date).num_days());
        let f = i64::from(fractions.get(i).copied().unwrap_or(0));
        b.cancel = Some(b.date + chrono::Duration::days(room * f / 255));
    }
    let (plan, facts) = load(&s);
    let Ok(outcome) = payplan_eval::evaluate(&plan, &facts) else { return Ok(()) };
    for (p, payee) in outcome.payees.iter().enumerate() {
        for name in &s.plan.components {
            let sum: Decimal = (0..payee.periods.len()).map(|k| line(&outcome, p, k, name)).sum();
            prop_assert!(sum.is_zero(), "{}: the lines of {} add up to {}, not 0, after every booking was clawed back\n{}", payee.id, name, sum, describe(&s));
        }
        let cap: Decimal = payee.periods.iter().flat_map(|p| &p.lines).filter(|l| l.kind == LineKind::Cap).map(|l| l.amount).sum();
        prop_assert!(cap.is_zero(), "{}: the cap lines add up to {}", payee.id, cap);
        let paid: Decimal = payee.periods.iter().flat_map(|p| &p.lines).filter(|l| l.kind == LineKind::Payout).map(|l| l.amount).sum();
        prop_assert_eq!(paid, payee.balance, "{}: what was paid is owed back", payee.id);
    }
    Ok(())
}

// ---------------------------------------------------------------- (e) explanations

/// As in `tests/explain.rs`: a part's figures give its result step by step.
fn check_part(part: &Part, at: &str) -> Result<(), TestCaseError> {
    for entry in &part.entries {
        if !entry.slices.is_empty() {
            let sum: Decimal = entry.slices.iter().map(|s| s.earned).sum();
            prop_assert_eq!(sum, entry.earned, "{}: slices of {} add up", at, entry.booking);
            for s in &entry.slices {
                // A slice earns the difference of the cumulative earnings across its part
                // (docs/language.md section 19): `amount x rate` up to the decimals those
                // are held to, far below a trillionth without huge amounts.
                prop_assert!(
                    (s.amount * s.rate - s.earned).abs() <= Decimal::new(1, 12),
                    "{}: slice of {} is amount x rate: {} x {} against {}",
                    at,
                    entry.booking,
                    s.amount,
                    s.rate,
                    s.earned
                );
            }
            // Exactly, even when band edges come from a prorated quota (28 digits):
            // `bug_marginal_slices_do_not_cover_the_credit_exactly`.
            let sliced: Decimal = entry.slices.iter().map(|s| s.amount).sum();
            prop_assert_eq!(sliced, entry.credit, "{}: slices of {} cover its credit", at, entry.booking);
        } else if let Some(rate) = entry.rate {
            prop_assert_eq!(entry.credit * rate, entry.earned, "{}: {} earns credit x rate", at, entry.booking);
        }
        prop_assert_eq!(entry.original_amount * entry.fx_rate, entry.credit, "{}: {} converts at its fx rate", at, entry.booking);
    }
    for booking in &part.bookings {
        let earned: Decimal = part.entries.iter().filter(|e| e.booking == booking.booking).map(|e| e.earned).sum();
        prop_assert_eq!(earned, booking.earned, "{}: entries of {} add up", at, booking.booking);
        prop_assert_eq!(booking.kept, part.booking_cap.map_or(booking.earned, |c| booking.earned.min(c)), "{}: booking cap on {}", at, booking.booking);
    }
    let subtotal: Decimal = part.bookings.iter().map(|b| b.kept).sum();
    prop_assert_eq!(subtotal, part.subtotal, "{}: bookings add up to the subtotal", at);
    let gated = if part.gate == Some(false) { Decimal::ZERO } else { part.subtotal };
    let capped = match &part.term_cap {
        Some(c) => {
            prop_assert_eq!(c.before, gated, "{}: the term cap sees the gated subtotal", at);
            gated - c.removed
        }
        None => gated,
    };
    prop_assert_eq!(capped, part.earned, "{}: gate and term cap give the part's earnings", at);
    Ok(())
}

fn check_component(c: &ComponentTrace, previous_cumulative: Decimal, plan: &Plan, at: &str) -> Result<(), TestCaseError> {
    let at = format!("{at} {}", c.name);
    if let Some(part) = &c.part {
        check_part(part, &at)?;
        // An `in period` commission: the running sum, then its term cap.
        let to_date = c.carried + part.earned;
        let capped = match &c.term_cap {
            Some(t) => {
                prop_assert_eq!(t.before, to_date, "{}: the term cap sees the running sum", at);
                to_date - t.removed
            }
            None => to_date,
        };
        prop_assert_eq!(capped, c.earned_to_date, "{}: carried + this part, after the term cap = E", at);
    }
    if let Some(bonus) = &c.bonus {
        let pay = if bonus.when == Some(false) { Decimal::ZERO } else { bonus.pay };
        let earned = if bonus.per_period { c.carried + pay } else { pay };
        prop_assert_eq!(earned, bonus.earned, "{}: bonus earnings", at);
        let capped = bonus.term_cap.as_ref().map_or(earned, |t| earned - t.removed);
        prop_assert_eq!(capped, c.earned_to_date, "{}: bonus after its term cap", at);
    }
    match &c.period_cap {
        Some(cap) => {
            let change = c.earned_to_date - c.earned_before;
            prop_assert_eq!(cap.change, change, "{}: period cap sees E(p) - E(p-1)", at);
            prop_assert_eq!(cap.allowed, change.min(cap.limit), "{}: period cap", at);
            prop_assert_eq!(previous_cumulative + cap.allowed, c.cumulative, "{}: C(p) = C(p-1) + allowed change", at);
        }
        None => prop_assert_eq!(c.cumulative, c.earned_to_date, "{}: without a period cap, C(p) = E(p)", at),
    }
    prop_assert_eq!(round(c.cumulative, plan.currency.minor_units(), plan.rounding), c.cumulative_rounded, "{}: the rounding shown", at);
    prop_assert_eq!(c.cumulative_rounded - c.paid_before, c.line, "{}: line = round(C(p)) - round(C(p-1))", at);
    Ok(())
}

fn explanations_add_up(input: &[u8]) -> Result<(), TestCaseError> {
    let s = scenario(input, &Options::REALISTIC);
    let (plan, facts) = load(&s);
    let Some((outcome, traces)) = explain(&plan, &facts) else { return Ok(()) };
    prop_assert_eq!(&payplan_eval::evaluate(&plan, &facts).unwrap(), &outcome, "the explained run is the run");
    prop_assert_eq!(outcome.payees.len(), traces.len());
    for (result, trace) in outcome.payees.iter().zip(&traces) {
        let mut cumulative = vec![Decimal::ZERO; plan.components.len()];
        for (lines, period) in result.periods.iter().zip(&trace.periods) {
            let at = format!("{} {}", trace.payee, period.period);
            let mut total = Decimal::ZERO;
            for (index, c) in period.components.iter().enumerate() {
                if period.evaluated {
                    check_component(c, cumulative[index], &plan, &at).map_err(|e| TestCaseError::fail(format!("{e}\n{}", describe(&s))))?;
                    cumulative[index] = c.cumulative;
                }
                let l = lines.lines.iter().find(|l| l.kind == LineKind::Component && l.name == c.name).unwrap();
                prop_assert_eq!(l.amount, if period.evaluated { c.line } else { Decimal::ZERO }, "{}: the trace's line is the printed line", at);
                total += l.amount;
            }
            if let Some(cap) = &period.cap_total {
                prop_assert_eq!(cap.taken_to_date - cap.taken_before, cap.line, "{}: cap line", at);
                total += cap.line;
            }
            let l = &period.ledger;
            prop_assert_eq!(total, l.total, "{}: component lines + cap = total", at);
            prop_assert_eq!(l.total + l.draw + l.carry + l.recovery, l.payout, "{}: payout adds up", at);
            let recoverable = plan.draw.as_ref().is_some_and(|d| d.kind == payplan_ir::DrawKind::Recoverable);
            prop_assert_eq!(l.balance_after, l.balance_before + l.carry + l.recovery + if recoverable { l.draw } else { Decimal::ZERO }, "{}: balance", at);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- (f) term lines

fn term_lines_sum_to_rounded_cumulative(input: &[u8]) -> Result<(), TestCaseError> {
    let s = scenario(input, &Options::REALISTIC);
    let (plan, facts) = load(&s);
    let Some((outcome, traces)) = explain(&plan, &facts) else { return Ok(()) };
    for (p, (result, trace)) in outcome.payees.iter().zip(&traces).enumerate() {
        for (c, component) in plan.components.iter().enumerate() {
            let sum: Decimal = (0..result.periods.len()).map(|k| line(&outcome, p, k, &component.name)).sum();
            let last = trace.periods.iter().rev().find(|period| period.evaluated);
            let expected = last.map_or(Decimal::ZERO, |period| period.components[c].cumulative_rounded);
            prop_assert_eq!(
                sum,
                expected,
                "{} {}: the lines add up to {}, the rounded cumulative earnings are {}\n{}",
                result.id,
                component.name,
                sum,
                expected,
                s.plan.text
            );
            if let Some(period) = last {
                let cumulative = period.components[c].cumulative;
                prop_assert_eq!(expected, round(cumulative, plan.currency.minor_units(), plan.rounding));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_thread_count(input in bytes()) {
        thread_count(&input)?;
    }

    #[test]
    fn b_caps(input in bytes()) {
        caps(&input)?;
    }

    #[test]
    fn c_marginal_monotone(input in bytes(), extra in prop::collection::vec(any::<u8>(), 32)) {
        marginal_monotone(&input, &extra)?;
    }

    #[test]
    fn d_full_clawback(input in bytes(), fractions in prop::collection::vec(any::<u8>(), 32)) {
        full_clawback(&input, &fractions)?;
    }

    #[test]
    fn e_explanations_add_up(input in bytes()) {
        explanations_add_up(&input)?;
    }

    #[test]
    fn f_term_lines_sum_to_rounded_cumulative(input in bytes()) {
        term_lines_sum_to_rounded_cumulative(&input)?;
    }
}

// ---------------------------------------------------------------- bugs found here (fixed)

/// Loads a plan and CSV files given inline and evaluates; the outcome and traces.
fn run_inline(plan: &str, files: &[(&str, &str)]) -> (Plan, Outcome, Vec<PayeeTrace>) {
    let checked = payplan_check::check_source(plan);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let plan = checked.plan.unwrap();
    let files: Vec<(String, Vec<u8>)> = files.iter().map(|(n, t)| ((*n).to_string(), t.as_bytes().to_vec())).collect();
    let facts = payplan_data::load_csv_files(&files, &plan.schema()).unwrap_or_else(|e| panic!("{:?}", e.0));
    let (outcome, traces) = payplan_eval::explain_all(&plan, &facts).unwrap();
    (plan, outcome, traces)
}

fn term_total(outcome: &Outcome, payee: &str, name: &str) -> Decimal {
    outcome.payees.iter().find(|p| p.id == payee).unwrap().periods.iter().flat_map(|p| &p.lines).filter(|l| l.name == name).map(|l| l.amount).sum()
}

/// Found by `d_full_clawback`: every booking is clawed back, yet the rep kept 1 JPY.
/// C(p) was built as C(p-1) + (E(p) - E(p-1)) even without a period cap (where
/// language.md says C = E), and the 28-digit rounding of those sums left
/// C(Q4) = 0.000000000000000000000258 while E(Q4) = 0; `rounding up` paid it. Fixed:
/// without a period cap C(p) is E(p).
#[test]
fn bug_full_clawback_leaves_a_residue_that_rounds_up() {
    let plan = r#"plan "Residue" {
    currency JPY
    term 2027-01-01 to 2027-12-31
    period quarter
    rounding up
    credit direct { to booking.owner  clawback within 90 days }
    measure bookings = credited(direct)
    let bcr = payee.target_incentive / quota("bookings")
    commission base { on bookings  rate bcr }
}"#;
    let (_, outcome, traces) = run_inline(
        plan,
        &[
            ("payees.csv", "id,target_incentive\np00,147000\n"),
            ("quotas.csv", "payee,quota,period,amount\np00,bookings,Q1,170000\np00,bookings,Q2,140000\np00,bookings,Q3,10000\np00,bookings,Q4,10000\n"),
            ("bookings.csv", "id,date,amount,owner,cancel_date\nb1,2027-02-25,10061719.91783,p00,2027-05-19\nb2,2027-06-06,86743,p00,2027-08-01\n"),
        ],
    );
    let last = &traces[0].periods[3].components[0];
    assert_eq!(last.earned_to_date, Decimal::ZERO, "E(Q4) is zero");
    assert_eq!(last.cumulative, last.earned_to_date, "without a period cap, C = E");
    assert_eq!(term_total(&outcome, "p00", "base"), Decimal::ZERO, "the lines (were 8700429, -8659296, -41132, 0) add up to 0 JPY");
}

/// Found by `b_caps`: `cap base at 1_000 USD per term` with an `in period` measure
/// paid 1,000 in each of two quarters: each period was capped alone. language.md
/// section 8 (and a comp administrator) reads `per term` as "earnings to date never
/// exceed it", and section 7 makes E the running sum of the periods: the term cap now
/// bounds that sum (docs/language.md section 19).
#[test]
fn bug_term_cap_with_in_period_measure() {
    let plan = r#"plan "Term cap" {
    currency USD
    term 2027-01-01 to 2027-12-31
    period quarter
    credit direct { to booking.owner }
    measure bookings = credited(direct) in period
    commission base { on bookings  rate 10% }
    cap base at 1_000 USD per term
}"#;
    let (_, outcome, traces) =
        run_inline(plan, &[("payees.csv", "id\nalice\n"), ("bookings.csv", "id,date,amount,owner\nb1,2027-02-01,20000,alice\nb2,2027-05-01,20000,alice\n")]);
    assert_eq!(term_total(&outcome, "alice", "base"), Decimal::from(1000), "lines were 1000.00 in Q1 and 1000.00 in Q2");
    let q2 = &traces[0].periods[1].components[0];
    assert_eq!(q2.part.as_ref().unwrap().earned, Decimal::from(2000), "Q2 alone earns 2,000");
    assert_eq!(q2.carried, Decimal::from(2000), "Q1 earned 2,000 before the cap");
    let cap = q2.term_cap.as_ref().unwrap();
    assert_eq!((cap.limit, cap.before, cap.removed), (Decimal::from(1000), Decimal::from(4000), Decimal::from(3000)), "the cap takes the running sum to 1,000");
    assert_eq!(q2.earned_to_date, Decimal::from(1000));
}

/// Found by `e_explanations_add_up`: the marginal slices of an entry did not add up to
/// its credit when the band edges come from a prorated quota (85 of 91 days):
/// 44835.164835164835164835164835 + 403516.48351648351648351648352 +
/// 31870.97164835164835164835165 = 480222.62000000000000000000001, not 480222.62.
/// Fixed: the last slice is what the others leave of the credit.
#[test]
fn bug_marginal_slices_do_not_cover_the_credit_exactly() {
    let plan = r#"plan "Slices" {
    currency USD
    term 2027-07-01 to 2028-06-30
    period quarter
    prorate by days
    credit direct { to booking.owner }
    measure bookings = credited(direct) in period
    measure attainment = bookings / quota("bookings") in period
    commission base {
        on bookings
        rate 1%
        tiers marginal by attainment { below 10%: 1x  10% to 100%: 2x  100% and above: 3x }
    }
}"#;
    let (_, _, traces) = run_inline(
        plan,
        &[
            ("payees.csv", "id,end_date\nalice,2028-03-25\n"),
            ("quotas.csv", "payee,quota,period,amount\nalice,bookings,Q1,10000\nalice,bookings,Q2,10000\nalice,bookings,Q3,480000\nalice,bookings,Q4,10000\n"),
            ("bookings.csv", "id,date,amount,owner\nb1,2028-01-12,480222.62,alice\n"),
        ],
    );
    let part = traces[0].periods[2].components[0].part.as_ref().unwrap();
    let entry = &part.entries[0];
    let sliced: Decimal = entry.slices.iter().map(|s| s.amount).sum();
    assert_eq!(sliced, entry.credit);
}

/// Found by `d_full_clawback` once C = E: a booking credited and clawed back the same
/// day across five marginal bands at an inexact rate (141,000 / 1,590,000 x 0.75) left
/// E(Q3) = -1e-23, and `rounding up` made it lines of -1 and +1 JPY. The reversal's
/// slices were added up from the top band down, the original's from the bottom up;
/// both are now added up in band order, so the reversal gives back exactly what the
/// booking earned.
#[test]
fn a_booking_clawed_back_across_bands_cancels_exactly() {
    let plan = r#"plan "Unwind" {
    currency JPY
    term 2027-01-01 to 2027-12-31
    period quarter
    rounding up
    credit direct { to booking.owner  clawback within 90 days }
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings")
    let bcr = payee.target_incentive / quota("bookings")
    commission base {
        on bookings
        rate bcr
        tiers marginal by attainment { below 10%: 0.75x  10% to 75%: 0.75x  75% to 100%: 0.5x  100% to 125%: 1x  125% and above: 0x }
    }
}"#;
    let (_, outcome, traces) = run_inline(
        plan,
        &[
            ("payees.csv", "id,target_incentive\np05,141000\n"),
            ("quotas.csv", "payee,quota,period,amount\np05,bookings,Q1,860000\np05,bookings,Q2,480000\np05,bookings,Q3,250000\np05,bookings,Q4,10000\n"),
            ("bookings.csv", "id,date,amount,owner,cancel_date\nb1,2027-01-01,26658835.5,p05,2027-01-01\n"),
        ],
    );
    for period in &traces[0].periods {
        let c = &period.components[0];
        assert_eq!(c.earned_to_date, Decimal::ZERO, "{}: E is zero", period.period);
        let entries = &c.part.as_ref().unwrap().entries;
        assert_eq!(entries[0].earned, -entries[1].earned, "{}: the reversal gives back what the booking earned", period.period);
    }
    for period in &outcome.payees[0].periods {
        assert!(period.lines.iter().all(|l| l.amount.is_zero()), "{}: every line is zero (was -1 JPY in Q3, +1 in Q4)", period.period);
    }
}

/// Found by `d_full_clawback` with `rounding up` (bug 8, fixed): three bookings in Q1,
/// each clawed back within Q1, but not in the reverse order of their crediting, across
/// the 100% edge of a marginal table at an inexact rate (10,000 / 530,000 x 3). Each
/// reversal unwinds the bands where it stands (language.md section 7), so the slices
/// given back are not the slices earned; mathematically they cancel, but each slice was
/// `amount x rate` rounded to 28 digits, and E(Q1) = -2e-25, E(Q4) = -3e-25: `rounding
/// up` paid lines -0.01, 0.02, 0, -0.02 (the term -0.01) for no booking at all. Now an
/// entry earns `G(after) - G(before)`, the cumulative earnings of the tier position
/// (the integral of the rate, as the conformance oracle computes it) held to decimals
/// fixed for the term, so the moves telescope exactly.
#[test]
fn bug_interleaved_reversals_leave_a_residue_in_marginal_tiers() {
    let plan = r#"plan "Residue" {
    currency USD
    term 2027-01-01 to 2027-12-31
    period quarter
    rounding up
    credit direct { to booking.owner  clawback within 90 days }
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings")
    let bcr = payee.target_incentive / quota("bookings")
    commission base {
        on bookings
        rate bcr
        tiers marginal by attainment { below 100%: 3x  100% and above: 0x }
    }
}"#;
    let (_, outcome, traces) = run_inline(
        plan,
        &[
            ("payees.csv", "id,target_incentive\nalice,10000\n"),
            ("quotas.csv", "payee,quota,period,amount\nalice,bookings,Q1,530000\nalice,bookings,Q2,10000\nalice,bookings,Q3,10000\nalice,bookings,Q4,10000\n"),
            (
                "bookings.csv",
                "id,date,amount,owner,cancel_date\nb1,2027-01-10,82937.75,alice,2027-02-01\nb2,2027-01-12,193227.4224,alice,2027-02-10\nb3,2027-01-20,368720.02,alice,2027-02-01\n",
            ),
        ],
    );
    for period in &traces[0].periods {
        assert_eq!(period.components[0].earned_to_date, Decimal::ZERO, "{}: E is zero", period.period);
    }
    assert_eq!(term_total(&outcome, "alice", "base"), Decimal::ZERO);
}

/// The generator reaches every building block often enough for the properties to
/// mean something (a fixed sample of 600 inputs).
#[test]
fn generated_scenarios_cover_the_blocks() {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    let blocks = [
        "tiers marginal",
        "tiers retroactive",
        "accelerator",
        "decelerator",
        "gate",
        "per booking\n",
        "per period\n",
        "per term\n",
        "cap total",
        "draw guaranteed",
        "draw recoverable",
        "rollup direct",
        "all levels",
        "clawback within",
        "spif",
        "curve",
        "bonus",
        " in period",
        "prorate by days",
        "eligible",
        "currency JPY",
        "currency EUR",
        "period month",
        "rounding up",
    ];
    let runs = 600;
    for _ in 0..runs {
        let input: Vec<u8> = (0..2048)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 32) as u8
            })
            .collect();
        let s = scenario(&input, &Options::EVERYTHING);
        for block in blocks {
            if s.plan.text.contains(block) {
                *counts.entry(block).or_default() += 1;
            }
        }
        let data = &s.data;
        let has = |yes: bool, name: &'static str, counts: &mut std::collections::BTreeMap<&str, usize>| {
            if yes {
                *counts.entry(name).or_default() += 1;
            }
        };
        has(data.bookings.iter().any(|b| b.amount < 0), "negative amount", &mut counts);
        has(data.bookings.iter().any(|b| b.currency != s.plan.currency), "foreign currency", &mut counts);
        has(data.bookings.iter().any(|b| !b.splits.is_empty()), "split rows", &mut counts);
        has(data.bookings.iter().any(|b| b.cancel.is_some()), "cancel date", &mut counts);
        has(data.bookings.iter().any(|b| b.amount.abs() > 10i128.pow(20)), "huge amount", &mut counts);
        has(data.payees.iter().any(|p| p.manager.is_some()), "manager", &mut counts);
        let (plan, facts) = load(&s);
        match payplan_eval::evaluate(&plan, &facts) {
            Ok(outcome) => has(
                outcome.payees.iter().flat_map(|p| &p.periods).flat_map(|p| &p.lines).any(|l| l.kind == LineKind::Payout && !l.amount.is_zero()),
                "a payout",
                &mut counts,
            ),
            Err(_) => has(true, "an evaluation error", &mut counts),
        }
    }
    eprintln!("{counts:#?}");
    for block in blocks.iter().copied().chain([
        "negative amount",
        "foreign currency",
        "split rows",
        "cancel date",
        "huge amount",
        "manager",
        "a payout",
        "an evaluation error",
    ]) {
        let n = counts.get(block).copied().unwrap_or(0);
        // Overflow needs several huge amounts together: rare, but it must happen.
        let at_least = if block == "an evaluation error" { 1 } else { 10 };
        assert!(n >= at_least, "{block}: only {n} of {runs} generated scenarios");
    }
}
