//! The payplan engine: a lowered plan and facts in, payout lines out.
//!
//! Pure and deterministic: no IO, no clock, no hash-order iteration. Payees are
//! evaluated in id order, each on its own (the evaluation order between payees is
//! explicit: payees depend only on credit entries, computed once before any payee),
//! and every amount is an exact `rust_decimal` with checked arithmetic.

mod credit;
mod error;
mod eval;
mod invariant;
mod payee;
mod round;
pub mod trace;
mod value;

pub use credit::{Credits, Entry};
pub use error::{EvalError, Result};
pub use eval::read_curve;
pub use round::{format_amount, round, round_exact};

use payplan_facts::Facts;
use payplan_ir::Plan;
use rust_decimal::Decimal;

/// What kind of line a statement line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    /// An earnings component (commission, bonus, spif).
    Component,
    /// The `cap total` line.
    Cap,
    /// The draw.
    Draw,
    /// A negative total brought to zero.
    Carry,
    /// A recovery of the balance owed.
    Recovery,
    /// What is paid.
    Payout,
}

/// One line of a period's statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The line name: a component's name, or `cap`, `draw`, `carry`, `recovery`, `payout`.
    pub name: String,
    /// Its kind.
    pub kind: LineKind,
    /// The amount, rounded to the currency's minor unit.
    pub amount: Decimal,
}

/// A payee's lines in one period, in output order (components, cap, draw, carry,
/// recovery, payout; carry and recovery always present, possibly zero).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodLines {
    /// The period label, e.g. `Q1`.
    pub period: String,
    /// The lines.
    pub lines: Vec<Line>,
    /// The balance owed after the period (language.md section 9; after the last period,
    /// [`PayeeResult::balance`]).
    pub balance_after: Decimal,
}

/// One eligible payee's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayeeResult {
    /// Payee id.
    pub id: String,
    /// Payee name, if known.
    pub name: Option<String>,
    /// Every period of the term, in order.
    pub periods: Vec<PeriodLines>,
    /// The balance owed at term end (reported, not paid).
    pub balance: Decimal,
}

/// Credit that this plan does not pay, reported so nothing disappears silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpaidCredit {
    /// Booking id.
    pub booking: String,
    /// Payee id.
    pub payee: String,
    /// Credit rule name.
    pub rule: String,
    /// Credit date.
    pub date: chrono::NaiveDate,
    /// Amount in the plan currency (negative for a reversal).
    pub amount: Decimal,
    /// Why it is not paid: `not eligible`, `before start date`, `after end date`.
    pub reason: String,
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Eligible payees, sorted by id.
    pub payees: Vec<PayeeResult>,
    /// Unpaid credit, in entry order.
    pub unpaid: Vec<UnpaidCredit>,
    /// How many entries were dated outside the term (not paid, only counted).
    pub entries_outside_term: usize,
}

/// Runs the plan's credit rules alone: every credit entry of the term, in processing
/// order (for explanations, bundles and tests of crediting).
pub fn credit_entries(plan: &Plan, facts: &Facts) -> Result<Credits> {
    credit::credit(plan, facts)
}

/// Runs the plan's credit rules as a run does: the entries in parts (runs of bookings,
/// credited in parallel when enabled), not sorted, and the count of entries outside the
/// term. For measuring a run's crediting; [`credit_entries`] gives them in order.
pub fn credit_entries_in_parts(plan: &Plan, facts: &Facts) -> Result<(Vec<Vec<Entry>>, usize)> {
    credit::credit_parts(plan, facts)
}

/// Evaluates a plan against facts.
pub fn evaluate(plan: &Plan, facts: &Facts) -> Result<Outcome> {
    evaluate_payees(plan, facts, Tracing::Off, &|_, _| {}).map(|(outcome, _)| outcome)
}

/// [`evaluate`], calling `progress(payees_done, payees_total)` as payees are evaluated
/// (from any thread; for a progress bar). The result is the same.
pub fn evaluate_with_progress(plan: &Plan, facts: &Facts, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<Outcome> {
    evaluate_payees(plan, facts, Tracing::Off, progress).map(|(outcome, _)| outcome)
}

/// Evaluates a plan and explains every eligible payee's lines (statements for all).
pub fn explain_all(plan: &Plan, facts: &Facts) -> Result<(Outcome, Vec<trace::PayeeTrace>)> {
    evaluate_payees(plan, facts, Tracing::All, &|_, _| {})
}

/// Which payees a run evaluates and traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tracing {
    /// Every payee, none traced: the plain run.
    Off,
    /// One payee (by index) evaluated alone, traced in the detail given (`None`: its
    /// lines only, a quick preview).
    One(usize, Option<trace::Detail>),
    /// Every payee, traced in full.
    All,
}

impl Tracing {
    /// The one payee evaluated, when only one is.
    fn only(self) -> Option<usize> {
        match self {
            Tracing::One(index, _) => Some(index),
            Tracing::Off | Tracing::All => None,
        }
    }

    /// What a payee's trace records.
    fn detail(self) -> Option<trace::Detail> {
        match self {
            Tracing::Off => None,
            Tracing::One(_, detail) => detail,
            Tracing::All => Some(trace::Detail::Full),
        }
    }
}

/// Evaluates a plan and explains one payee's lines: the same computation as
/// [`evaluate`], recording every figure it uses. `None` when the payee is not eligible
/// or unknown.
pub fn explain(plan: &Plan, facts: &Facts, payee: &str) -> Result<Option<(Outcome, trace::PayeeTrace)>> {
    let Some(index) = facts.payee_index(payee) else { return Ok(None) };
    let (outcome, traces) = evaluate_payees(plan, facts, Tracing::One(index, Some(trace::Detail::Full)), &|_, _| {})?;
    Ok(traces.into_iter().next().map(|t| (outcome, t)))
}

/// [`explain`] with a trace of every figure but the rows of credit entries and
/// bookings ([`trace::Detail::Figures`]): a preview's figures and payout curve, at a
/// cost that the trace of every booking does not add to.
pub fn explain_figures(plan: &Plan, facts: &Facts, payee: &str) -> Result<Option<(Outcome, trace::PayeeTrace)>> {
    let Some(index) = facts.payee_index(payee) else { return Ok(None) };
    let (outcome, traces) = evaluate_payees(plan, facts, Tracing::One(index, Some(trace::Detail::Figures)), &|_, _| {})?;
    Ok(traces.into_iter().next().map(|t| (outcome, t)))
}

/// One payee's lines alone (no trace), `None` when the payee is unknown or not eligible:
/// what a preview needs after an edit.
pub fn evaluate_one(plan: &Plan, facts: &Facts, payee: &str) -> Result<Option<Outcome>> {
    let Some(index) = facts.payee_index(payee) else { return Ok(None) };
    let (outcome, _) = evaluate_payees(plan, facts, Tracing::One(index, None), &|_, _| {})?;
    Ok((!outcome.payees.is_empty()).then_some(outcome))
}

/// The credit entries this plan pays a payee (eligible, dated within the payee's active
/// dates), in processing order: everything the payee's lines are computed from. Empty
/// when the payee is not eligible.
pub fn paid_entries(plan: &Plan, facts: &Facts, payee: usize) -> Result<Vec<Entry>> {
    let credits = credit::credit(plan, facts)?;
    let eligible = eligibility(plan, facts)?;
    if !eligible.get(payee).copied().unwrap_or(false) {
        return Ok(Vec::new());
    }
    let Some(record) = facts.payees.get(payee) else { return Ok(Vec::new()) };
    Ok(credits.entries.into_iter().filter(|e| e.payee == payee && paid_on(record, e.date)).collect())
}

/// Evaluates one payee from given credit entries (in processing order), skipping
/// crediting: for bundles, whose facts hold only what the payee's lines need. The
/// payee is taken as eligible; the trace is recorded in `detail`, when asked.
pub fn evaluate_entries(
    plan: &Plan,
    facts: &Facts,
    payee: usize,
    entries: &[Entry],
    detail: Option<trace::Detail>,
) -> Result<(PayeeResult, Option<trace::PayeeTrace>)> {
    let record = facts.payees.get(payee).ok_or_else(|| EvalError::new("internal error: no such payee"))?;
    let refs: Vec<&Entry> = entries.iter().filter(|e| e.payee == payee && paid_on(record, e.date)).collect();
    payee::evaluate_payee(plan, facts, record, refs, &payee::component_plans(plan), detail)
}

/// Whether a payee's credit dated `date` falls within their active dates.
fn paid_on(payee: &payplan_facts::Payee, date: chrono::NaiveDate) -> bool {
    payee.start_date.is_none_or(|s| date >= s) && payee.end_date.is_none_or(|e| date <= e)
}

/// The run, with the traces asked for.
fn evaluate_payees(plan: &Plan, facts: &Facts, tracing: Tracing, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<(Outcome, Vec<trace::PayeeTrace>)> {
    // Entries in parts, as made (each payee sorts its own below, in parallel).
    let (parts, outside_term) = credit::credit_parts(plan, facts)?;
    let eligible = eligibility(plan, facts)?;

    let mut per_payee: Vec<Vec<&Entry>> = vec![Vec::new(); facts.payees.len()];
    let mut unpaid = Vec::new();
    for entry in parts.iter().flatten() {
        let Some(payee) = facts.payees.get(entry.payee) else { continue };
        let is_eligible = eligible.get(entry.payee).copied().unwrap_or(false);
        let reason = if !is_eligible {
            Some("not eligible")
        } else if paid_on(payee, entry.date) {
            None
        } else if payee.start_date.is_some_and(|s| entry.date < s) {
            Some("before start date")
        } else {
            Some("after end date")
        };
        match reason {
            None => {
                if let Some(list) = per_payee.get_mut(entry.payee) {
                    list.push(entry);
                }
            }
            Some(reason) => {
                let reported = plan.rules.get(entry.rule).is_some_and(|r| r.reported);
                if reported {
                    let booking = facts.bookings.get(entry.booking);
                    // Shown rounded to the minor unit, as lines are: an amount too large
                    // to keep its minor digits is an error, never shown with fewer.
                    let shown = tracing.only().is_none_or(|t| t == entry.payee);
                    if shown && round::round_exact(entry.amount, plan.currency.minor_units(), plan.rounding).is_none() {
                        // Pointing at the rule's `amount`, else at `eligible` when that is the reason.
                        let rule_amount = plan.rules.get(entry.rule).and_then(|r| r.amount.as_ref());
                        let span = rule_amount.or(plan.eligible.as_ref().filter(|_| !is_eligible)).map(|e| e.span);
                        let mut error = payee::too_large("unpaid credit", entry.amount, plan).payee(&payee.id);
                        if let Some(span) = span {
                            error = error.at(span);
                        }
                        if let Some(b) = booking {
                            error = error.booking(credit::describe(b));
                        }
                        return Err(error);
                    }
                    unpaid.push((
                        entry.order_key(),
                        UnpaidCredit {
                            booking: booking.map(|b| b.id.clone()).unwrap_or_default(),
                            payee: payee.id.clone(),
                            rule: plan.rules.get(entry.rule).map(|r| r.name.clone()).unwrap_or_default(),
                            date: entry.date,
                            amount: entry.amount,
                            reason: reason.to_string(),
                        },
                    ));
                }
            }
        }
    }

    // Reported in processing order (a stable sort: equal keys keep their generation order).
    unpaid.sort_by_key(|(key, _)| *key);
    let mut unpaid: Vec<UnpaidCredit> = unpaid.into_iter().map(|(_, u)| u).collect();
    let component_plans = payee::component_plans(plan);
    // Payees are independent once credit is known: evaluate them in any order (in
    // parallel when enabled) and merge in payee order, so the output never depends on
    // the thread count; the first error in payee order wins.
    let work: Vec<(usize, Vec<&Entry>)> = per_payee
        .into_iter()
        .enumerate()
        .filter(|(index, _)| eligible.get(*index).copied().unwrap_or(false) && tracing.only().is_none_or(|t| t == *index))
        .collect();
    let total = work.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let evaluate_one = |(index, mut entries): (usize, Vec<&Entry>)| -> Result<(PayeeResult, Option<trace::PayeeTrace>)> {
        let payee = facts.payees.get(index).ok_or_else(|| EvalError::new("internal error: no such payee"))?;
        // The payee's entries in processing order (a stable sort: entries with equal
        // keys keep the order they were made in), copied side by side: they are read
        // again and again.
        entries.sort_by_key(|e| e.order_key());
        let own: Vec<Entry> = entries.iter().map(|e| **e).collect();
        // Their bookings are scattered in memory: reading them all first, in one tight
        // loop, overlaps the waits that the evaluation's reads, one after another,
        // would each make in turn.
        let touched: usize = own.iter().filter_map(|e| facts.bookings.get(e.booking)).map(|b| b.fields.len()).sum();
        std::hint::black_box(touched);
        let entries: Vec<&Entry> = own.iter().collect();
        let result = payee::evaluate_payee(plan, facts, payee, entries, &component_plans, tracing.detail());
        let finished = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if finished.is_multiple_of(256) || finished == total {
            progress(finished, total);
        }
        result
    };
    #[cfg(feature = "parallel")]
    let results: Vec<Result<(PayeeResult, Option<trace::PayeeTrace>)>> = {
        use rayon::prelude::*;
        work.into_par_iter().map(evaluate_one).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let results: Vec<Result<(PayeeResult, Option<trace::PayeeTrace>)>> = work.into_iter().map(evaluate_one).collect();
    let mut payees = Vec::with_capacity(results.len());
    let mut traces = Vec::new();
    for result in results {
        let (result, trace) = result?;
        payees.push(result);
        traces.extend(trace);
    }
    if let Some(t) = tracing.only() {
        let id = facts.payees.get(t).map(|p| p.id.as_str()).unwrap_or_default();
        unpaid.retain(|u| u.payee == id);
    }
    Ok((Outcome { payees, unpaid, entries_outside_term: outside_term }, traces))
}

/// Whether the payee at `payee` is eligible for the plan.
pub fn is_eligible(plan: &Plan, facts: &Facts, payee: usize) -> Result<bool> {
    let Some(record) = facts.payees.get(payee) else { return Ok(false) };
    let Some(rule) = &plan.eligible else { return Ok(true) };
    let mut ev = eval::Evaluator::for_payee(plan, facts, eval::PayeeScope::new(plan, record, Vec::new()));
    ev.eval_bool(rule, None).map_err(|e| e.payee(&record.id))
}

/// Whether each payee (by index) is eligible for the plan.
fn eligibility(plan: &Plan, facts: &Facts) -> Result<Vec<bool>> {
    let Some(rule) = &plan.eligible else {
        return Ok(vec![true; facts.payees.len()]);
    };
    facts
        .payees
        .iter()
        .map(|payee| {
            let mut ev = eval::Evaluator::for_payee(plan, facts, eval::PayeeScope::new(plan, payee, Vec::new()));
            ev.eval_bool(rule, None).map_err(|e| e.payee(&payee.id))
        })
        .collect()
}
