//! Crediting (language.md section 5): credit rules turn bookings into credit entries,
//! sorted in the one order everything order-dependent follows.

use crate::error::{EvalError, Result};
use crate::eval::{BookingView, Evaluator};
use crate::value;
use chrono::{Datelike, NaiveDate};
use payplan_facts::{Booking, Facts};
use payplan_ir::{Plan, Recipients, RuleId, Value};
use rust_decimal::Decimal;

/// Deepest manager chain a rollup follows.
pub const MAX_MANAGER_LEVELS: usize = 100;

/// One credit entry: an amount of credit for one payee from one booking by one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The rule that produced it.
    pub rule: RuleId,
    /// The credited payee (index into `Facts::payees`).
    pub payee: usize,
    /// The booking (index into `Facts::bookings`).
    pub booking: usize,
    /// Credit date (the cancel date for a reversal).
    pub date: NaiveDate,
    /// Credit in the plan currency, exact; negative for reversals and downsells.
    pub amount: Decimal,
    /// This recipient's share of the booking.
    pub share: Decimal,
    /// Whether this reverses an earlier entry (a clawback).
    pub reversal: bool,
    /// The credit date of the original entry (equal to `date` unless a reversal).
    pub original_date: NaiveDate,
    /// The booking's amount in its own currency times the share (for explanations).
    pub original_amount: Decimal,
    /// The fx rate used (1 in the plan currency).
    pub fx_rate: Decimal,
    /// For rollup entries, the payee whose credit was rolled up.
    pub rolled_up_from: Option<usize>,
}

impl Entry {
    /// The processing order of section 5: credit date, booking id, reversal after
    /// original, recipient id, rule declaration order. Payees and bookings are sorted
    /// by id, so their indices order like their ids.
    pub fn order_key(&self) -> (NaiveDate, usize, bool, usize, RuleId) {
        (self.date, self.booking, self.reversal, self.payee, self.rule)
    }
}

/// All entries of a run, and how many fell outside the term.
#[derive(Debug, Clone, Default)]
pub struct Credits {
    /// Entries dated within the term, in processing order.
    pub entries: Vec<Entry>,
    /// Entries (originals and reversals) dated outside the term: counted, not paid.
    pub outside_term: usize,
}

/// Runs every credit rule over every booking: the entries in processing order.
pub fn credit(plan: &Plan, facts: &Facts) -> Result<Credits> {
    let (mut entries, outside_term) = credit_bookings(plan, facts, 0..facts.bookings.len())?;
    sort_in_processing_order(&mut entries);
    Ok(Credits { entries, outside_term })
}

/// Every credit entry of the run in parts, each part the entries of a run of bookings
/// in the order they were made (not sorted), and the count of entries outside the
/// term. The parts are credited in parallel when enabled; the first error in booking
/// order wins, as in one pass.
pub fn credit_parts(plan: &Plan, facts: &Facts) -> Result<(Vec<Vec<Entry>>, usize)> {
    #[cfg(feature = "parallel")]
    let results: Vec<Result<(Vec<Entry>, usize)>> = {
        use rayon::prelude::*;
        let parts = rayon::current_num_threads().max(1) * 4;
        let size = facts.bookings.len().div_ceil(parts).max(1);
        let ranges: Vec<std::ops::Range<usize>> =
            (0..facts.bookings.len()).step_by(size).map(|start| start..(start + size).min(facts.bookings.len())).collect();
        ranges.into_par_iter().map(|range| credit_bookings(plan, facts, range)).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let results = vec![credit_bookings(plan, facts, 0..facts.bookings.len())];
    let mut parts = Vec::with_capacity(results.len());
    let mut outside_term = 0usize;
    for result in results {
        let (entries, outside) = result?;
        parts.push(entries);
        outside_term += outside;
    }
    Ok((parts, outside_term))
}

/// Credits the bookings at `bookings`, one after the other, each by every rule in rule
/// order (a rollup right after its base rule's entries of the same booking): the
/// entries in the order made, and how many fell outside the term.
fn credit_bookings(plan: &Plan, facts: &Facts, bookings: std::ops::Range<usize>) -> Result<(Vec<Entry>, usize)> {
    // Sized for a booking credited once per split row: no growing, no second copy.
    let room = bookings.len().saturating_mul(facts.bookings.len().saturating_add(facts.splits.len())) / facts.bookings.len().max(1);
    let mut entries: Vec<Entry> = Vec::with_capacity(room);
    // This booking's entries of each rule (positions in `entries`), for rollups.
    let mut by_rule: Vec<std::ops::Range<usize>> = vec![0..0; plan.rules.len()];
    let mut outside_term = 0usize;
    let mut evaluator = Evaluator::for_crediting(plan, facts);
    let mut recipients = Vec::new();
    for index in bookings {
        let Some(booking) = facts.bookings.get(index) else { continue };
        let mut booking_fx = None;
        for &rule_id in &plan.rule_order {
            let Some(rule) = plan.rules.get(rule_id) else { continue };
            let first = entries.len();
            if let Recipients::Rollup { rule: base, all_levels } = &rule.recipients {
                for position in by_rule.get(*base).cloned().unwrap_or(0..0) {
                    let Some(entry) = entries.get(position).copied() else { continue };
                    let mut manager = facts.manager_index(entry.payee);
                    // INVARIANT: the loader rejects manager cycles, so this chain ends; the
                    // depth limit keeps a pathological org chart from multiplying entries.
                    let mut hops = 0usize;
                    while let Some(m) = manager {
                        hops += 1;
                        if hops > MAX_MANAGER_LEVELS {
                            let who = facts.payees.get(entry.payee).map_or("", |p| p.id.as_str());
                            return Err(EvalError::new(format!("the manager chain above `{who}` is more than {MAX_MANAGER_LEVELS} levels deep"))
                                .help("check the `manager` column of payees.csv"));
                        }
                        entries.push(Entry { rule: rule_id, payee: m, rolled_up_from: Some(entry.payee), ..entry });
                        if !*all_levels {
                            break;
                        }
                        manager = facts.manager_index(m);
                    }
                }
            } else {
                let fx_rate = match booking_fx {
                    Some(rate) => rate,
                    None => *booking_fx.insert(fx_rate(plan, facts, booking)?),
                };
                let view = BookingView { booking, index, fx_rate };
                let name = |e: EvalError| e.booking(describe(booking));
                let passes = match &rule.when {
                    Some(when) => evaluator.eval_bool(when, Some(&view)).map_err(name)?,
                    None => true,
                };
                if passes {
                    let date = match &rule.date {
                        Some(d) => match evaluator.eval(d, Some(&view)).map_err(name)? {
                            Value::Date(d) => d,
                            _ => return Err(EvalError::new("internal error: a credit date that is not a date").at(d.span)),
                        },
                        None => booking.date,
                    };
                    if date < plan.term_start || date > plan.term_end {
                        // Not this plan's business (language.md section 5): neither the
                        // entry nor its reversal, and nothing about it can stop the run (a
                        // prior year's booking on an account whose owner starts with this
                        // year); only counted, once per recipient when they can be told.
                        outside_term += match recipients_into(&mut recipients, &mut evaluator, facts, &rule.recipients, &view) {
                            Ok(()) => recipients.len(),
                            Err(_) => 1,
                        };
                    } else {
                        let amount = match &rule.amount {
                            Some(a) => match evaluator.eval(a, Some(&view)).map_err(name)? {
                                Value::Money(m) => m,
                                _ => return Err(EvalError::new("internal error: a credit amount that is not money").at(a.span)),
                            },
                            None => value::mul(booking.amount, fx_rate).map_err(|_| {
                                let (amount, currency, to) = (booking.amount, &booking.currency, plan.currency.code());
                                name(EvalError::new(format!("arithmetic overflow converting {amount} {currency} to {to} at the fx rate {fx_rate}"))
                                    .at(rule.span)
                                    .help("the converted amount exceeds the 28 significant digits payplan computes with; check the booking's amount and the rate in fx.csv"))
                            })?,
                        };
                        recipients_into(&mut recipients, &mut evaluator, facts, &rule.recipients, &view).map_err(name)?;
                        for &(payee, share) in &recipients {
                            let share_of = |e: EvalError| name(e.at(rule.span)).payee(facts.payees.get(payee).map_or("", |p| p.id.as_str()));
                            let original_amount = value::mul(booking.amount, share).map_err(share_of)?;
                            let entry_amount = value::mul(amount, share).map_err(share_of)?;
                            let entry = Entry {
                                rule: rule_id,
                                payee,
                                booking: index,
                                date,
                                amount: entry_amount,
                                share,
                                reversal: false,
                                original_date: date,
                                original_amount,
                                fx_rate,
                                rolled_up_from: None,
                            };
                            if let (Some(days), Some(cancel)) = (rule.clawback_days, booking.cancel_date) {
                                if cancel.signed_duration_since(date).num_days() <= days {
                                    if cancel >= plan.term_start && cancel <= plan.term_end {
                                        entries.push(Entry {
                                            date: cancel,
                                            amount: -entry.amount,
                                            original_amount: -entry.original_amount,
                                            reversal: true,
                                            ..entry
                                        });
                                    } else {
                                        outside_term += 1;
                                    }
                                }
                            }
                            entries.push(entry);
                        }
                    }
                }
            }
            if let Some(range) = by_rule.get_mut(rule_id) {
                *range = first..entries.len();
            }
        }
    }
    Ok((entries, outside_term))
}

/// Sorts entries by [`Entry::order_key`], keeping the generation order of equal keys
/// (as a stable sort would), without a second copy of the entries: the keys are packed
/// into integers, sorted (in parallel when enabled), and the entries moved into place
/// along the cycles of the permutation.
fn sort_in_processing_order(entries: &mut [Entry]) {
    // The key and the generation position in 128 bits. Dates are days from 0001-01-01
    // (under 2^22 up to year 9999); the indices fit their fields for any data set that
    // fits in memory (checked: otherwise a plain stable sort).
    let fits = |n: usize, bits: u32| n < (1usize << bits);
    let packable =
        fits(entries.len(), 32) && entries.iter().all(|e| fits(e.booking, 32) && fits(e.payee, 24) && fits(e.rule, 16) && e.date.num_days_from_ce() >= 0);
    if !packable {
        entries.sort_by_key(Entry::order_key);
        return;
    }
    let mut keys: Vec<u128> = entries
        .iter()
        .enumerate()
        .map(|(position, e)| {
            let day = u128::from(e.date.num_days_from_ce().unsigned_abs());
            let (booking, payee, rule) = (e.booking as u128, e.payee as u128, e.rule as u128);
            let reversal = u128::from(e.reversal);
            day << 105 | booking << 73 | reversal << 72 | payee << 48 | rule << 32 | position as u128
        })
        .collect();
    #[cfg(feature = "parallel")]
    {
        use rayon::slice::ParallelSliceMut;
        keys.par_sort_unstable();
    }
    #[cfg(not(feature = "parallel"))]
    keys.sort_unstable();
    // keys[i]'s low 32 bits: the position of the entry that belongs at i.
    let source = |i: usize| keys.get(i).map_or(i, |k| (*k & 0xFFFF_FFFF) as usize);
    let mut placed = vec![false; entries.len()];
    for start in 0..entries.len() {
        if placed.get(start).copied().unwrap_or(true) {
            continue;
        }
        let Some(held) = entries.get(start).copied() else { continue };
        let mut at = start;
        loop {
            if let Some(p) = placed.get_mut(at) {
                *p = true;
            }
            let from = source(at);
            if from == start {
                if let Some(slot) = entries.get_mut(at) {
                    *slot = held;
                }
                break;
            }
            let Some(moved) = entries.get(from).copied() else { break };
            if let Some(slot) = entries.get_mut(at) {
                *slot = moved;
            }
            at = from;
        }
    }
}

/// `b3 (bookings.csv:4)`.
pub fn describe(booking: &Booking) -> String {
    if booking.origin.file.is_empty() {
        format!("`{}`", booking.id)
    } else {
        format!("`{}`, {}", booking.id, booking.origin)
    }
}

/// The rate converting the booking's currency into the plan currency on its date.
pub fn fx_rate(plan: &Plan, facts: &Facts, booking: &Booking) -> Result<Decimal> {
    if booking.currency == plan.currency {
        return Ok(Decimal::ONE);
    }
    facts.fx_rate(booking.currency, booking.date).map(|r| r.rate).ok_or_else(|| {
        EvalError::new(format!("no fx rate for `{}` on {}", booking.currency, booking.date))
            .booking(describe(booking))
            .help(format!("add a row to fx.csv for {} dated on or before {}", booking.currency, booking.date))
    })
}

/// Puts the booking's recipients and their shares into `out` (cleared first; reused
/// from booking to booking, so crediting allocates nothing per booking).
fn recipients_into<'a>(out: &mut Vec<(usize, Decimal)>, evaluator: &mut Evaluator<'a>, facts: &Facts, form: &Recipients, view: &BookingView<'a>) -> Result<()> {
    out.clear();
    let booking = view.booking;
    let resolve = |id: &str, span: Option<payplan_ir::Span>| {
        facts.payee_index(id).ok_or_else(|| {
            let mut e = EvalError::new(format!("recipient `{id}` is not in payees")).help("add the payee to payees.csv, or fix the id in the booking");
            if let Some(s) = span {
                e = e.at(s);
            }
            e
        })
    };
    let text = |evaluator: &mut Evaluator<'a>, expr: &payplan_ir::Expr| -> Result<String> {
        match evaluator.eval(expr, Some(view))? {
            Value::Text(t) if !t.is_empty() => Ok(t.to_string()),
            _ => Err(EvalError::new("the recipient is empty").at(expr.span).help("filter such bookings out, e.g. `when is_set(booking.specialist)`")),
        }
    };
    match form {
        Recipients::Splits => {
            for (split, payee) in facts.splits_at(view.index) {
                out.push((payee.map_or_else(|| resolve(&split.payee, None), Ok)?, split.share));
            }
            if out.is_empty() {
                out.push((facts.owner_index(view.index).map_or_else(|| resolve(&booking.owner, None), Ok)?, Decimal::ONE));
            }
        }
        Recipients::To(expr) => {
            let id = text(evaluator, expr)?;
            out.push((resolve(&id, Some(expr.span))?, Decimal::ONE));
        }
        Recipients::Split(shares) => {
            for (expr, share) in shares {
                let id = text(evaluator, expr)?;
                out.push((resolve(&id, Some(expr.span))?, *share));
            }
        }
        Recipients::Rollup { .. } => {}
    }
    Ok(())
}
