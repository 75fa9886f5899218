//! Explanations: the trace's figures add up exactly to every line (issue 3), on every
//! example plan and every conformance case; statements are snapshot-tested.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_eval::trace::{ComponentTrace, Part, PayeeTrace};
use payplan_eval::{round, LineKind, Outcome};
use payplan_ir::Plan;
use payplan_tests::{example_data_dir, load_plan_file, workspace_path, workspace_root};
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

fn explain_all(plan_path: &Path, data: &Path) -> (Plan, Outcome, Vec<PayeeTrace>) {
    let (plan, facts) = load_plan_file(plan_path, data).unwrap_or_else(|e| panic!("{plan_path:?}: {e}"));
    let (outcome, traces) = payplan_eval::explain_all(&plan, &facts).unwrap();
    (plan, outcome, traces)
}

/// The sum of a part's figures, step by step, must give its result.
fn check_part(part: &Part, at: &str) {
    for entry in &part.entries {
        if !entry.slices.is_empty() {
            let sum: Decimal = entry.slices.iter().map(|s| s.earned).sum();
            assert_eq!(sum, entry.earned, "{at}: slices of {} add up", entry.booking);
            for s in &entry.slices {
                // A slice earns the difference of the cumulative earnings across its part
                // (docs/language.md section 19): `amount x rate` up to the decimals those
                // are held to, far below a trillionth here.
                assert!(
                    (s.amount * s.rate - s.earned).abs() <= Decimal::new(1, 12),
                    "{at}: slice of {} is amount x rate: {} x {} against {}",
                    entry.booking,
                    s.amount,
                    s.rate,
                    s.earned
                );
            }
            let sliced: Decimal = entry.slices.iter().map(|s| s.amount).sum();
            assert_eq!(sliced, entry.credit, "{at}: slices of {} cover its credit", entry.booking);
        } else if let Some(rate) = entry.rate {
            assert_eq!(entry.credit * rate, entry.earned, "{at}: {} earns credit x rate", entry.booking);
        }
        assert_eq!(entry.original_amount * entry.fx_rate, entry.credit, "{at}: {} converts at its fx rate", entry.booking);
    }
    for booking in &part.bookings {
        let earned: Decimal = part.entries.iter().filter(|e| e.booking == booking.booking).map(|e| e.earned).sum();
        assert_eq!(earned, booking.earned, "{at}: entries of {} add up", booking.booking);
        assert_eq!(booking.kept, part.booking_cap.map_or(booking.earned, |c| booking.earned.min(c)), "{at}: booking cap on {}", booking.booking);
    }
    let subtotal: Decimal = part.bookings.iter().map(|b| b.kept).sum();
    assert_eq!(subtotal, part.subtotal, "{at}: bookings add up to the subtotal");
    let gated = if part.gate == Some(false) { Decimal::ZERO } else { part.subtotal };
    let capped = part.term_cap.as_ref().map_or(gated, |c| {
        assert_eq!(c.before, gated, "{at}: the term cap sees the gated subtotal");
        gated - c.removed
    });
    assert_eq!(capped, part.earned, "{at}: gate and term cap give the part's earnings");
}

fn check_component(c: &ComponentTrace, previous_cumulative: Decimal, digits: u32, plan: &Plan, at: &str) {
    let at = format!("{at} {}", c.name);
    if let Some(part) = &c.part {
        check_part(part, &at);
        // An `in period` commission: the running sum, then its term cap.
        let to_date = c.carried + part.earned;
        let capped = c.term_cap.as_ref().map_or(to_date, |t| {
            assert_eq!(t.before, to_date, "{at}: the term cap sees the running sum");
            to_date - t.removed
        });
        assert_eq!(capped, c.earned_to_date, "{at}: carried + this part, after the term cap = E");
    }
    if let Some(bonus) = &c.bonus {
        let pay = if bonus.when == Some(false) { Decimal::ZERO } else { bonus.pay };
        let earned = if bonus.per_period { c.carried + pay } else { pay };
        assert_eq!(earned, bonus.earned, "{at}: bonus earnings");
        let capped = bonus.term_cap.as_ref().map_or(earned, |t| earned - t.removed);
        assert_eq!(capped, c.earned_to_date, "{at}: bonus after its term cap");
    }
    match &c.period_cap {
        Some(cap) => {
            let change = c.earned_to_date - c.earned_before;
            assert_eq!(cap.change, change, "{at}: period cap sees E(p) - E(p-1)");
            assert_eq!(cap.allowed, change.min(cap.limit), "{at}: period cap");
            assert_eq!(previous_cumulative + cap.allowed, c.cumulative, "{at}: C(p) = C(p-1) + allowed change");
        }
        None => assert_eq!(c.cumulative, c.earned_to_date, "{at}: without a period cap, C(p) = E(p)"),
    }
    assert_eq!(round(c.cumulative, digits, plan.rounding), c.cumulative_rounded, "{at}: the rounding shown");
    assert_eq!(c.cumulative_rounded - c.paid_before, c.line, "{at}: line = round(C(p)) - round(C(p-1))");
}

fn check_additivity(plan: &Plan, outcome: &Outcome, traces: &[PayeeTrace], what: &str) {
    let digits = plan.currency.minor_units();
    assert_eq!(outcome.payees.len(), traces.len());
    for (result, trace) in outcome.payees.iter().zip(traces) {
        let mut cumulative = vec![Decimal::ZERO; plan.components.len()];
        for (lines, period) in result.periods.iter().zip(&trace.periods) {
            let at = format!("{what} {} {}", trace.payee, period.period);
            let mut total = Decimal::ZERO;
            for (index, c) in period.components.iter().enumerate() {
                if period.evaluated {
                    check_component(c, cumulative[index], digits, plan, &at);
                    cumulative[index] = c.cumulative;
                }
                let line = lines.lines.iter().find(|l| l.kind == LineKind::Component && l.name == c.name).unwrap();
                assert_eq!(line.amount, if period.evaluated { c.line } else { Decimal::ZERO }, "{at}: the trace's line is the printed line");
                total += line.amount;
            }
            if let Some(cap) = &period.cap_total {
                assert_eq!(cap.taken_to_date - cap.taken_before, cap.line, "{at}: cap line");
                total += cap.line;
            }
            let l = &period.ledger;
            assert_eq!(total, l.total, "{at}: component lines + cap = total");
            assert_eq!(l.total + l.draw + l.carry + l.recovery, l.payout, "{at}: payout adds up");
            assert_eq!(
                l.balance_after,
                l.balance_before
                    + l.carry
                    + l.recovery
                    + if plan.draw.as_ref().is_some_and(|d| d.kind == payplan_ir::DrawKind::Recoverable) { l.draw } else { Decimal::ZERO },
                "{at}: balance"
            );
            let payout = lines.lines.iter().find(|x| x.kind == LineKind::Payout).unwrap();
            assert_eq!(payout.amount, l.payout, "{at}: printed payout");
        }
    }
}

#[test]
fn traces_add_up_on_the_example_plans() {
    let mut plans: Vec<PathBuf> =
        std::fs::read_dir(workspace_path("plans")).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "plan")).collect();
    plans.sort();
    assert!(!plans.is_empty());
    for plan_path in plans {
        let (plan, outcome, traces) = explain_all(&plan_path, &example_data_dir());
        check_additivity(&plan, &outcome, &traces, &plan_path.display().to_string());
        // The traced run is the run: the same lines as without a trace.
        let plain = {
            let (plan, facts) = load_plan_file(&plan_path, &example_data_dir()).unwrap();
            payplan_eval::evaluate(&plan, &facts).unwrap()
        };
        assert_eq!(plain, outcome);
    }
}

/// A figures trace (the browser preview's) is the full trace without the rows of
/// entries, bookings and slices; its parts' credit and base rate are the sums of the
/// full trace's entries.
fn check_figures_trace(plan_path: &Path, data: &Path) -> usize {
    let (plan, facts) = load_plan_file(plan_path, data).unwrap();
    let (outcome, _) = payplan_eval::explain_all(&plan, &facts).unwrap();
    let mut parts = 0;
    for payee in &outcome.payees {
        let (full_outcome, full) = payplan_eval::explain(&plan, &facts, &payee.id).unwrap().unwrap();
        let (figures_outcome, figures) = payplan_eval::explain_figures(&plan, &facts, &payee.id).unwrap().unwrap();
        assert_eq!(full_outcome, figures_outcome, "{plan_path:?} {}: the same lines", payee.id);
        for part in full.periods.iter().flat_map(|p| p.components.iter()).filter_map(|c| c.part.as_ref()) {
            let credit = part.entries.iter().map(|e| e.credit).sum::<Decimal>();
            let weighted = part.entries.iter().filter_map(|e| Some(e.credit * e.rate?)).sum::<Decimal>();
            assert_eq!(part.credit, Some(credit), "{plan_path:?} {}: the part's credit", payee.id);
            assert_eq!(part.base_rate, weighted.checked_div(credit), "{plan_path:?} {}: the part's base rate", payee.id);
            parts += 1;
        }
        assert_eq!(full.figures(), figures, "{plan_path:?} {}: the figures of the full trace", payee.id);
    }
    parts
}

#[test]
fn figures_traces_are_full_traces_without_their_rows() {
    let mut plans: Vec<PathBuf> =
        std::fs::read_dir(workspace_path("plans")).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "plan")).collect();
    plans.sort();
    let parts: usize = plans.iter().map(|plan_path| check_figures_trace(plan_path, &example_data_dir())).sum();
    assert!(parts > 100, "only {parts} parts compared");
    if let Ok(dir) = std::fs::read_dir(workspace_root().join("../shared/conformance/cases")) {
        for case in dir.flatten() {
            let path = case.path();
            if path.join("plan.plan").is_file() && path.join("data").is_dir() {
                check_figures_trace(&path.join("plan.plan"), &path.join("data"));
            }
        }
    }
}

#[test]
fn traces_add_up_on_the_conformance_cases() {
    let cases = workspace_root().join("../shared/conformance/cases");
    let Ok(dir) = std::fs::read_dir(&cases) else {
        eprintln!("skipped: ../shared/conformance is absent");
        return;
    };
    let mut count = 0;
    for case in dir.flatten() {
        let (plan, outcome, traces) = explain_all(&case.path().join("plan.plan"), &case.path().join("data"));
        check_additivity(&plan, &outcome, &traces, &case.file_name().to_string_lossy());
        count += 1;
    }
    assert!(count >= 39);
}

#[test]
fn statements_of_the_example_plans() {
    // One payee per plan whose statement shows the plan's mechanics.
    for (plan_file, payee) in [("enterprise-ae.plan", "E-114"), ("se-overlay.plan", "E-131"), ("sales-manager.plan", "E-105"), ("sdr-partner.plan", "E-142")] {
        let (plan, facts) = load_plan_file(&workspace_path("plans").join(plan_file), &example_data_dir()).unwrap();
        let (outcome, trace) = payplan_eval::explain(&plan, &facts, payee).unwrap().unwrap();
        let result = &outcome.payees[0];
        let text = payplan_output::statement::text(&plan, result, &trace, &outcome.unpaid, None);
        insta::assert_snapshot!(format!("statement_text_{}", plan_file.trim_end_matches(".plan")), text);
        let json = payplan_output::statement::json(&plan, result, &trace, &outcome.unpaid, Some("Q2"));
        let json = if plan.period_kind == payplan_facts::PeriodKind::Month {
            payplan_output::statement::json(&plan, result, &trace, &outcome.unpaid, Some("M6"))
        } else {
            json
        };
        serde_json::from_str::<serde_json::Value>(&json).unwrap();
        insta::assert_snapshot!(format!("statement_json_{}", plan_file.trim_end_matches(".plan")), json);
    }
}
