//! Properties that hold for every data set, checked on random small ones.
//!
//! The generator writes CSV bytes (payees whose managers form a forest, bookings in USD
//! and EUR across the 2027 term and a little outside it, an fx table, cancellations,
//! split rows summing to exactly 100%, quotas) and runs a handful of fixed plans on
//! them: conformance plans 03, 09, 12, 18, 21, 22, 24, 28 (skipped when the suite is
//! absent) and one plan written here mixing splits, rollup, clawback, tiers, a gate,
//! caps and a recoverable draw. The properties:
//!
//! - (a) the output is byte-identical when the rows of every CSV file are shuffled;
//! - (b) a `to splits` rule's original entries of a booking in the term sum exactly to
//!   the booking's amount times its fx rate;
//! - (c) every statement adds up: payout = components + cap + draw + carry + recovery,
//!   per period and over the term, with every line in the currency's minor unit;
//! - (d) a booking has reversal entries exactly when it was cancelled within the
//!   clawback window (inside the term), and then all its entries of the rule sum to 0.
//!
//! The case count is 64, or `PROPTEST_CASES` when set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chrono::{Duration, NaiveDate};
use payplan_eval::{Credits, LineKind, Outcome};
use payplan_facts::Facts;
use payplan_ir::{Plan, Recipients};
use payplan_tests::{check_plan, conformance_root, schema_of};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// 64 cases, or `PROPTEST_CASES`.
fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64);
    Config { cases, ..Config::default() }
}

// ---------------------------------------------------------------- plans

const MIX_PLAN: &str = r#"plan "Property mix" {
    currency USD
    term 2027-01-01 to 2027-12-31
    period quarter
    prorate by days

    credit direct {
        when booking.status == "won"
        to splits
        clawback within 90 days
    }
    credit team { rollup direct }
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings")
    measure team_bookings = credited(team)
    commission base {
        on bookings
        rate 10%
        tiers marginal by attainment { below 50%: 0.5x  50% to 100%: 1x  100% and above: 1.5x }
        gate attainment >= 10%
    }
    commission team_commission { on team_bookings  rate 1.25% }
    bonus club { when attainment >= 100%  pay 5_000 USD }
    cap base at 20_000 USD per booking
    cap total at 60_000 USD per term
    draw recoverable 2_000 USD per period for 2 periods
}
"#;

const CONFORMANCE_PLANS: &[&str] = &["03", "09", "12", "18", "21", "22", "24", "28"];

/// The fixed plans, checked once: `(name, plan)`.
fn plans() -> &'static [(String, Plan)] {
    static PLANS: OnceLock<Vec<(String, Plan)>> = OnceLock::new();
    PLANS.get_or_init(|| {
        let mut out = vec![("inline mix".to_string(), check_plan(MIX_PLAN).unwrap())];
        match conformance_root() {
            Some(root) => {
                let mut cases: Vec<_> = std::fs::read_dir(root.join("cases")).unwrap().map(|e| e.unwrap().path()).collect();
                cases.sort();
                for prefix in CONFORMANCE_PLANS {
                    let Some(dir) = cases.iter().find(|p| p.file_name().unwrap().to_string_lossy().starts_with(&format!("{prefix}-"))) else {
                        eprintln!("conformance case {prefix} is absent: skipped");
                        continue;
                    };
                    let source = std::fs::read_to_string(dir.join("plan.plan")).unwrap();
                    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
                    out.push((name.clone(), check_plan(&source).unwrap_or_else(|e| panic!("{name}: {e}"))));
                }
            }
            None => eprintln!("the conformance suite is absent: only the inline plan is used"),
        }
        out
    })
}

// ---------------------------------------------------------------- data

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn term_start() -> NaiveDate {
    day("2027-01-01")
}

fn term_end() -> NaiveDate {
    day("2027-12-31")
}

#[derive(Debug, Clone)]
struct GenPayee {
    manager: Option<usize>,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    target_incentive: i64,
    annual_quota: i64,
    quarter_quotas: [i64; 4],
}

#[derive(Debug, Clone)]
struct GenBooking {
    date: NaiveDate,
    /// In the booking's currency, with cents.
    amount: Decimal,
    eur: bool,
    /// The amount cell carries its own code (`500.00 EUR`) and the currency cell is empty.
    own_code: bool,
    owner: usize,
    won: bool,
    cancel: Option<NaiveDate>,
    /// `(payee, share text, share)`; empty: the owner gets 100%.
    splits: Vec<(usize, &'static str, Decimal)>,
}

#[derive(Debug, Clone)]
struct GenData {
    payees: Vec<GenPayee>,
    bookings: Vec<GenBooking>,
    /// EUR rates on the 1st of each month from 2026-11-01.
    fx: Vec<(NaiveDate, Decimal)>,
}

fn payee_id(i: usize) -> String {
    format!("p{i:02}")
}

fn booking_id(i: usize) -> String {
    // Not zero-padded on purpose: `b10` sorts before `b9`, as ids compare as strings.
    format!("b{i}")
}

/// Share templates: `(text, value)` per recipient, summing to exactly 100%.
const SPLIT_TEMPLATES: &[&[(&str, &str)]] = &[
    &[("100%", "1")],
    &[("50%", "0.5"), ("0.5", "0.5")],
    &[("60%", "0.6"), ("40%", "0.4")],
    &[("0.7", "0.7"), ("30%", "0.3")],
    &[("33.33%", "0.3333"), ("33.33%", "0.3333"), ("33.34%", "0.3334")],
];

fn raw_payee() -> impl Strategy<Value = (u16, u8, u16, u8, u16, i64, i64, [i64; 4])> {
    (any::<u16>(), 0u8..10, 0u16..300, 0u8..10, 30u16..360, 10i64..100, 1i64..200, [1i64..50, 1i64..50, 1i64..50, 1i64..50])
}

fn raw_booking() -> impl Strategy<Value = (i64, i64, u8, u8, u16, u8, u8, u16, usize, [u16; 3])> {
    (
        -45i64..410,        // day offset from 2027-01-01
        100i64..40_000_000, // cents
        0u8..100,           // sign / currency / own code selector
        0u8..100,           // status selector
        any::<u16>(),       // owner pick
        0u8..100,           // cancel selector
        0u8..150,           // cancel days after
        any::<u16>(),       // split selector
        0usize..SPLIT_TEMPLATES.len(),
        [any::<u16>(), any::<u16>(), any::<u16>()],
    )
}

fn data_strategy() -> impl Strategy<Value = GenData> {
    (
        (5usize..=15).prop_flat_map(|n| prop::collection::vec(raw_payee(), n)),
        prop::collection::vec(raw_booking(), 0..=60),
        prop::collection::vec(10_500i64..11_500, 15),
    )
        .prop_map(|(raw_payees, raw_bookings, rates)| {
            let n = raw_payees.len();
            let payees: Vec<GenPayee> = raw_payees
                .into_iter()
                .enumerate()
                .map(|(i, (manager, start_sel, start_days, end_sel, end_days, ti, quota, quarters))| {
                    // A forest: each payee reports to an earlier one, or to nobody.
                    let pick = usize::from(manager) % (i + 1);
                    let start = (start_sel < 2).then(|| term_start() + Duration::days(i64::from(start_days)));
                    let end = (end_sel < 2).then(|| start.unwrap_or(term_start()) + Duration::days(i64::from(end_days)));
                    GenPayee {
                        manager: (pick < i).then_some(pick),
                        start,
                        end,
                        target_incentive: ti * 1_000,
                        annual_quota: quota * 10_000,
                        quarter_quotas: quarters.map(|q| q * 5_000),
                    }
                })
                .collect();
            let bookings = raw_bookings
                .into_iter()
                .map(|(offset, cents, money_sel, status_sel, owner, cancel_sel, cancel_days, split_sel, template, picks)| {
                    let date = term_start() + Duration::days(offset);
                    let negative = money_sel < 5;
                    let amount = Decimal::new(if negative { -(cents / 10) } else { cents }, 2);
                    let owner = usize::from(owner) % n;
                    let splits = if split_sel % 4 == 0 {
                        let template = SPLIT_TEMPLATES[template];
                        let mut chosen: Vec<usize> = Vec::new();
                        for (k, (text, value)) in template.iter().enumerate() {
                            let candidates: Vec<usize> = (0..n).filter(|p| !chosen.contains(p)).collect();
                            let p = candidates[usize::from(picks[k]) % candidates.len()];
                            chosen.push(p);
                            let _ = text;
                            let _ = value;
                        }
                        template.iter().zip(chosen).map(|((text, value), p)| (p, *text, value.parse().unwrap())).collect()
                    } else {
                        Vec::new()
                    };
                    GenBooking {
                        date,
                        amount,
                        eur: (60..90).contains(&money_sel),
                        own_code: (80..90).contains(&money_sel),
                        owner,
                        won: status_sel < 85,
                        cancel: (cancel_sel < 25).then(|| date + Duration::days(i64::from(cancel_days))),
                        splits,
                    }
                })
                .collect();
            let fx = rates
                .into_iter()
                .enumerate()
                .map(|(m, rate)| {
                    let m = i32::try_from(m).unwrap();
                    let (year, month) = (2026 + (10 + m) / 12, (10 + m) % 12 + 1);
                    (NaiveDate::from_ymd_opt(year, u32::try_from(month).unwrap(), 1).unwrap(), Decimal::new(rate, 4))
                })
                .collect();
            GenData { payees, bookings, fx }
        })
}

impl GenData {
    /// The CSV files of the data set.
    fn files(&self) -> Vec<(String, Vec<u8>)> {
        let mut payees = String::from("id,name,role,manager,start_date,end_date,target_incentive\n");
        for (i, p) in self.payees.iter().enumerate() {
            let name = if i % 4 == 1 { format!("\"Rep {i}, Jr.\"") } else { format!("Rep {i}") };
            let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
            payees.push_str(&format!(
                "{},{name},AE,{},{},{},{}\n",
                payee_id(i),
                p.manager.map(payee_id).unwrap_or_default(),
                date(p.start),
                date(p.end),
                p.target_incentive
            ));
        }
        let mut bookings = String::from("id,date,amount,currency,owner,status,cancel_date\n");
        let mut splits = String::from("booking,payee,share\n");
        for (i, b) in self.bookings.iter().enumerate() {
            let (amount, currency) = match (b.eur, b.own_code) {
                (true, true) => (format!("{} EUR", b.amount), ""),
                (true, false) => (b.amount.to_string(), "EUR"),
                (false, _) => (b.amount.to_string(), if i % 2 == 0 { "USD" } else { "" }),
            };
            bookings.push_str(&format!(
                "{},{},{amount},{currency},{},{},{}\n",
                booking_id(i),
                b.date,
                payee_id(b.owner),
                if b.won { "won" } else { "lost" },
                b.cancel.map(|d| d.to_string()).unwrap_or_default()
            ));
            for (p, text, _) in &b.splits {
                splits.push_str(&format!("{},{},{text}\n", booking_id(i), payee_id(*p)));
            }
        }
        let mut quotas = String::from("payee,quota,period,amount\n");
        for (i, p) in self.payees.iter().enumerate() {
            quotas.push_str(&format!("{},bookings,Y1,{}\n", payee_id(i), p.annual_quota));
            for (q, amount) in p.quarter_quotas.iter().enumerate() {
                quotas.push_str(&format!("{},bookings,Q{},{amount}\n", payee_id(i), q + 1));
            }
        }
        let mut fx = String::from("currency,date,rate\n");
        for (date, rate) in &self.fx {
            fx.push_str(&format!("EUR,{date},{rate}\n"));
        }
        vec![
            ("payees.csv".to_string(), payees.into_bytes()),
            ("bookings.csv".to_string(), bookings.into_bytes()),
            ("splits.csv".to_string(), splits.into_bytes()),
            ("quotas.csv".to_string(), quotas.into_bytes()),
            ("fx.csv".to_string(), fx.into_bytes()),
        ]
    }

    /// The EUR rate in force on `date`.
    fn eur_rate(&self, date: NaiveDate) -> Decimal {
        self.fx.iter().rev().find(|(d, _)| *d <= date).map(|(_, r)| *r).unwrap()
    }
}

/// The same files with the rows (not the header) of each in another order.
fn shuffled(files: &[(String, Vec<u8>)], seed: u64) -> Vec<(String, Vec<u8>)> {
    let mut state = seed | 1;
    let mut next = move || {
        // xorshift64
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    files
        .iter()
        .map(|(name, bytes)| {
            let text = String::from_utf8(bytes.clone()).unwrap();
            let mut lines: Vec<&str> = text.lines().collect();
            let header = lines.remove(0);
            for i in (1..lines.len()).rev() {
                let j = usize::try_from(next() % (i as u64 + 1)).unwrap();
                lines.swap(i, j);
            }
            let mut out = String::from(header);
            out.push('\n');
            for line in lines {
                out.push_str(line);
                out.push('\n');
            }
            (name.clone(), out.into_bytes())
        })
        .collect()
}

/// Loads and evaluates; `Err` with the reason when the loader or the engine refuses.
fn run(plan: &Plan, files: &[(String, Vec<u8>)]) -> Result<(Facts, Outcome, Credits), String> {
    let facts = payplan_data::load_csv_files(files, &schema_of(plan))
        .map_err(|e| format!("data: {}", e.0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")))?;
    let outcome = payplan_eval::evaluate(plan, &facts).map_err(|e| format!("eval: {e}"))?;
    let credits = payplan_eval::credit_entries(plan, &facts).map_err(|e| format!("credit: {e}"))?;
    Ok((facts, outcome, credits))
}

/// [`run`], or the case rejected (`prop_assume!`, with the reason) when the loader or
/// the engine refuses the generated data for this plan.
fn run_or_reject(name: &str, plan: &Plan, files: &[(String, Vec<u8>)]) -> Result<(Facts, Outcome, Credits), TestCaseError> {
    let result = run(plan, files);
    prop_assume!(result.is_ok(), "{}", format!("{name}: {}", result.as_ref().err().unwrap()));
    Ok(result.unwrap())
}

fn in_term(date: NaiveDate) -> bool {
    date >= term_start() && date <= term_end()
}

// ---------------------------------------------------------------- properties

/// (a) Row order never matters.
fn shuffle_invariance(data: &GenData, seed: u64) -> Result<(), TestCaseError> {
    let files = data.files();
    let other = shuffled(&files, seed);
    for (name, plan) in plans() {
        let (_, a, _) = run_or_reject(name, plan, &files)?;
        let (_, b, _) = run(plan, &other).map_err(|e| TestCaseError::fail(format!("{name}: shuffled rows fail: {e}")))?;
        for format in [payplan_output::Format::Csv, payplan_output::Format::Json] {
            let x = payplan_output::render(format, plan, &a, None);
            let y = payplan_output::render(format, plan, &b, None);
            prop_assert_eq!(x, y, "{}: output differs after shuffling rows", name);
        }
    }
    Ok(())
}

/// (b) Split credit adds up to the converted booking.
fn split_credit_adds_up(data: &GenData) -> Result<(), TestCaseError> {
    let files = data.files();
    for (name, plan) in plans() {
        let (facts, _, credits) = run_or_reject(name, plan, &files)?;
        for (rule_id, rule) in plan.rules.iter().enumerate() {
            if !matches!(rule.recipients, Recipients::Splits) || rule.amount.is_some() || rule.date.is_some() {
                continue;
            }
            for (index, booking) in data.bookings.iter().enumerate() {
                let id = booking_id(index);
                let facts_index = facts.bookings.iter().position(|b| b.id == id).unwrap();
                let originals: Vec<_> =
                    credits.entries.iter().filter(|e| e.rule == rule_id && e.booking == facts_index && !e.reversal && e.rolled_up_from.is_none()).collect();
                let rate = if booking.eur { data.eur_rate(booking.date) } else { Decimal::ONE };
                let converted = booking.amount * rate;
                if !in_term(booking.date) {
                    prop_assert!(originals.is_empty(), "{}: {} is outside the term but has entries", name, id);
                    continue;
                }
                if rule.when.is_none() {
                    prop_assert!(!originals.is_empty(), "{}: {} has no entry", name, id);
                }
                if originals.is_empty() {
                    continue;
                }
                let sum: Decimal = originals.iter().map(|e| e.amount).sum();
                prop_assert_eq!(sum, converted, "{}: entries of {} do not sum to {} x {}", name, id, booking.amount, rate);
                let shares: Decimal = originals.iter().map(|e| e.share).sum();
                prop_assert_eq!(shares, Decimal::ONE, "{}: shares of {}", name, id);
                let expected_recipients = if booking.splits.is_empty() { 1 } else { booking.splits.len() };
                prop_assert_eq!(originals.len(), expected_recipients, "{}: recipients of {}", name, id);
            }
        }
    }
    Ok(())
}

/// (c) Every statement adds up, in minor units.
fn statements_add_up(data: &GenData) -> Result<(), TestCaseError> {
    let files = data.files();
    for (name, plan) in plans() {
        let (_, outcome, _) = run_or_reject(name, plan, &files)?;
        let digits = plan.currency.minor_units();
        let mut payout_total = Decimal::ZERO;
        let mut parts_total = Decimal::ZERO;
        for payee in &outcome.payees {
            let mut per_component: BTreeMap<&str, Decimal> = BTreeMap::new();
            let mut payee_payout = Decimal::ZERO;
            let mut payee_parts = Decimal::ZERO;
            for period in &payee.periods {
                let mut parts = Decimal::ZERO;
                let mut payout = None;
                for line in &period.lines {
                    prop_assert_eq!(
                        line.amount,
                        line.amount.round_dp(digits),
                        "{}: {} {} {} has more than {} digits",
                        name,
                        payee.id,
                        period.period,
                        line.name,
                        digits
                    );
                    match line.kind {
                        LineKind::Payout => payout = Some(line.amount),
                        LineKind::Component => {
                            *per_component.entry(line.name.as_str()).or_default() += line.amount;
                            parts += line.amount;
                        }
                        LineKind::Cap | LineKind::Draw | LineKind::Carry | LineKind::Recovery => parts += line.amount,
                    }
                }
                let payout = payout.unwrap();
                prop_assert_eq!(payout, parts, "{}: {} {}: payout is not the sum of its lines", name, payee.id, period.period);
                prop_assert!(payout >= Decimal::ZERO, "{}: {} {}: negative payout {}", name, payee.id, period.period, payout);
                payee_payout += payout;
                payee_parts += parts;
            }
            prop_assert_eq!(payee_payout, payee_parts);
            prop_assert!(payee.balance >= Decimal::ZERO, "{}: {} owes a negative balance", name, payee.id);
            for (component, sum) in per_component {
                prop_assert_eq!(sum, sum.round_dp(digits), "{}: {} {}", name, payee.id, component);
            }
            payout_total += payee_payout;
            parts_total += payee_parts;
        }
        prop_assert_eq!(payout_total, parts_total);
        // The CSV prints exactly the minor digits.
        let csv = payplan_output::render(payplan_output::Format::Csv, plan, &outcome, None);
        for row in csv.lines().skip(1) {
            let amount = row.rsplit(',').nth(1).unwrap();
            let decimals = amount.split_once('.').map_or(0, |(_, f)| f.len());
            prop_assert_eq!(u32::try_from(decimals).unwrap(), digits, "{}: {}", name, row);
        }
    }
    Ok(())
}

/// (d) Reversals exist exactly for bookings cancelled within the window, and cancel out.
fn clawbacks_reverse_exactly(data: &GenData) -> Result<(), TestCaseError> {
    let files = data.files();
    for (name, plan) in plans() {
        let (facts, _, credits) = run_or_reject(name, plan, &files)?;
        for (rule_id, rule) in plan.rules.iter().enumerate() {
            // A rollup reverses what the rule it rolls up reverses.
            let window = match rule.recipients {
                Recipients::Rollup { rule: base, .. } => plan.rules[base].clawback_days,
                _ => rule.clawback_days,
            };
            for (index, booking) in data.bookings.iter().enumerate() {
                let id = booking_id(index);
                let facts_index = facts.bookings.iter().position(|b| b.id == id).unwrap();
                let entries: Vec<_> = credits.entries.iter().filter(|e| e.rule == rule_id && e.booking == facts_index).collect();
                let originals = entries.iter().filter(|e| !e.reversal).count();
                let reversals: Vec<_> = entries.iter().filter(|e| e.reversal).collect();
                let expected = originals > 0
                    && match (window, booking.cancel) {
                        (Some(days), Some(cancel)) => (cancel - booking.date).num_days() <= days && in_term(cancel),
                        _ => false,
                    };
                prop_assert_eq!(
                    !reversals.is_empty(),
                    expected,
                    "{}: rule {} booking {} (date {}, cancel {:?})",
                    name,
                    rule.name,
                    id,
                    booking.date,
                    booking.cancel
                );
                if expected {
                    prop_assert_eq!(reversals.len(), originals, "{}: one reversal per entry of {}", name, id);
                    let sum: Decimal = entries.iter().map(|e| e.amount).sum();
                    prop_assert_eq!(sum, Decimal::ZERO, "{}: entries of the reversed {} sum to {}", name, id, sum);
                    for r in &reversals {
                        prop_assert_eq!(Some(r.date), booking.cancel);
                    }
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_output_is_independent_of_row_order(data in data_strategy(), seed in any::<u64>()) {
        shuffle_invariance(&data, seed)?;
    }

    #[test]
    fn b_split_credit_sums_to_the_converted_booking(data in data_strategy()) {
        split_credit_adds_up(&data)?;
    }

    #[test]
    fn c_statements_add_up_in_minor_units(data in data_strategy()) {
        statements_add_up(&data)?;
    }

    #[test]
    fn d_reversals_exactly_within_the_clawback_window(data in data_strategy()) {
        clawbacks_reverse_exactly(&data)?;
    }
}

/// The generator makes data the loader accepts and the plans evaluate almost always,
/// so `prop_assume!` above skips few cases (the properties would test little
/// otherwise).
#[test]
fn generated_data_is_almost_always_valid() {
    let mut runner = TestRunner::deterministic();
    let strategy = data_strategy();
    let samples = 100;
    let mut failures = Vec::new();
    let mut runs = 0;
    for _ in 0..samples {
        let data = strategy.new_tree(&mut runner).unwrap().current();
        let files = data.files();
        for (name, plan) in plans() {
            runs += 1;
            if let Err(e) = run(plan, &files) {
                failures.push(format!("{name}: {e}"));
            }
        }
    }
    eprintln!("{} plans, {runs} runs, {} refused", plans().len(), failures.len());
    assert!(failures.len() * 100 <= runs * 2, "{} of {runs} runs fail:\n{}", failures.len(), failures.join("\n"));
}

/// The data has what the properties need: EUR bookings, splits of every template,
/// cancellations inside and outside the window, bookings outside the term.
#[test]
fn generated_data_covers_the_interesting_cases() {
    let mut runner = TestRunner::deterministic();
    let strategy = data_strategy();
    let (mut eur, mut split3, mut cancelled, mut outside, mut negative) = (0, 0, 0, 0, 0);
    for _ in 0..50 {
        let data = strategy.new_tree(&mut runner).unwrap().current();
        for b in &data.bookings {
            eur += usize::from(b.eur);
            split3 += usize::from(b.splits.len() == 3);
            cancelled += usize::from(b.cancel.is_some());
            outside += usize::from(!in_term(b.date));
            negative += usize::from(b.amount.is_sign_negative());
        }
    }
    assert!(eur > 0 && split3 > 0 && cancelled > 0 && outside > 0 && negative > 0, "{eur} {split3} {cancelled} {outside} {negative}");
}
