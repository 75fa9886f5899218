//! Crediting (language.md section 5): credit rules turn bookings into credit entries,
//! sorted in the one order everything order-dependent follows.

use crate::error::{EvalError, Result};
use crate::eval::{BookingView, Evaluator};
use crate::value;
use chrono::NaiveDate;
use payplan_facts::{Booking, Facts};
use payplan_ir::{Plan, Recipients, RuleId, Value};
use rust_decimal::Decimal;

/// Deepest manager chain a rollup follows.
pub const MAX_MANAGER_LEVELS: usize = 100;

/// One credit entry: an amount of credit for one payee from one booking by one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Runs every credit rule over every booking.
pub fn credit(plan: &Plan, facts: &Facts) -> Result<Credits> {
    let mut by_rule: Vec<Vec<Entry>> = vec![Vec::new(); plan.rules.len()];
    let mut outside_term = 0usize;
    let mut evaluator = Evaluator::for_crediting(plan, facts);
    for &rule_id in &plan.rule_order {
        let Some(rule) = plan.rules.get(rule_id) else { continue };
        let mut out = Vec::new();
        if let Recipients::Rollup { rule: base, all_levels } = &rule.recipients {
            for entry in by_rule.get(*base).map(Vec::as_slice).unwrap_or(&[]) {
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
                    out.push(Entry { rule: rule_id, payee: m, rolled_up_from: Some(entry.payee), ..entry.clone() });
                    if !*all_levels {
                        break;
                    }
                    manager = facts.manager_index(m);
                }
            }
        } else {
            for (index, booking) in facts.bookings.iter().enumerate() {
                let fx_rate = fx_rate(plan, facts, booking)?;
                let view = BookingView { booking, index, fx_rate };
                let name = |e: EvalError| e.booking(describe(booking));
                if let Some(when) = &rule.when {
                    if !evaluator.eval_bool(when, Some(&view)).map_err(name)? {
                        continue;
                    }
                }
                let date = match &rule.date {
                    Some(d) => match evaluator.eval(d, Some(&view)).map_err(name)? {
                        Value::Date(d) => d,
                        _ => return Err(EvalError::new("internal error: a credit date that is not a date").at(d.span)),
                    },
                    None => booking.date,
                };
                let amount = match &rule.amount {
                    Some(a) => match evaluator.eval(a, Some(&view)).map_err(name)? {
                        Value::Money(m) => m,
                        _ => return Err(EvalError::new("internal error: a credit amount that is not money").at(a.span)),
                    },
                    None => value::mul(booking.amount, fx_rate).map_err(name)?,
                };
                let recipients = recipients(&mut evaluator, facts, &rule.recipients, &view).map_err(name)?;
                for (payee, share) in recipients {
                    let original_amount = value::mul(booking.amount, share).map_err(name)?;
                    let entry_amount = value::mul(amount, share).map_err(name)?;
                    let in_term = date >= plan.term_start && date <= plan.term_end;
                    if !in_term {
                        // Not this plan's business: neither the entry nor its reversal.
                        outside_term += 1;
                        continue;
                    }
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
                                out.push(Entry {
                                    date: cancel,
                                    amount: -entry.amount,
                                    original_amount: -entry.original_amount,
                                    reversal: true,
                                    ..entry.clone()
                                });
                            } else {
                                outside_term += 1;
                            }
                        }
                    }
                    out.push(entry);
                }
            }
        }
        if let Some(slot) = by_rule.get_mut(rule_id) {
            *slot = out;
        }
    }
    let mut entries: Vec<Entry> = by_rule.into_iter().flatten().collect();
    entries.sort_by_key(Entry::order_key);
    Ok(Credits { entries, outside_term })
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

fn recipients<'a>(evaluator: &mut Evaluator<'a>, facts: &Facts, form: &Recipients, view: &BookingView<'a>) -> Result<Vec<(usize, Decimal)>> {
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
    Ok(match form {
        Recipients::Splits => {
            let mut rows = Vec::new();
            for (split, payee) in facts.splits_at(view.index) {
                rows.push((payee.map_or_else(|| resolve(&split.payee, None), Ok)?, split.share));
            }
            if rows.is_empty() {
                rows.push((facts.owner_index(view.index).map_or_else(|| resolve(&booking.owner, None), Ok)?, Decimal::ONE));
            }
            rows
        }
        Recipients::To(expr) => {
            let id = text(evaluator, expr)?;
            vec![(resolve(&id, Some(expr.span))?, Decimal::ONE)]
        }
        Recipients::Split(shares) => {
            let mut out = Vec::new();
            for (expr, share) in shares {
                let id = text(evaluator, expr)?;
                out.push((resolve(&id, Some(expr.span))?, *share));
            }
            out
        }
        Recipients::Rollup { .. } => Vec::new(),
    })
}
