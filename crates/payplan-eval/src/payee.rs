//! One payee's term: earnings per component (section 7), caps (section 8), then the
//! lines, draws, carry, recovery and balance (section 9), period by period.
//!
//! When a trace is asked for, every step records what it computed as it goes; the
//! lines are always built from the same figures.

use crate::credit::{describe, Entry};
use crate::error::{EvalError, Result};
use crate::eval::{active_days, Evaluator, PayeeScope};
use crate::round::{holds_digits, largest_with_digits, round_exact, widest_scale};
use crate::trace::{
    BandTrace, BonusTrace, BookingEarnings, CapTotalTrace, ComponentTrace, Detail, EntryTrace, Ledger, MeasureValue, Part, PayeeTrace, PeriodCapTrace,
    PeriodTrace, Slice, TermCapTrace, TierTrace,
};
use crate::value;
use crate::{Line, LineKind, PayeeResult, PeriodLines};
use chrono::NaiveDate;
use payplan_facts::{Facts, Payee};
use payplan_ir::{BandValue, Commission, Component, ComponentKind, DrawKind, Plan, Span, Spif, SpifBasis, TierMode, Tiers, Value};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Where a component stands between periods.
#[derive(Debug, Clone, Copy, Default)]
struct Running {
    /// `E(p-1)`.
    earned: Decimal,
    /// `C(p-1)` (equal to `E(p-1)` without a period cap).
    cumulative: Decimal,
    /// `round(C(p-1))`.
    paid: Decimal,
    /// Sum of per-period earnings (in-period commissions, per-period bonuses), before
    /// the term cap.
    sum: Decimal,
}

/// What a commission or spif has computed over the entries so far, carried from one
/// period end to the next: when nothing it depends on changed (the same bands, rates
/// that do not depend on the period), the next period only adds its new entries, by
/// the same arithmetic, in the same order, as a computation from the term start.
#[derive(Default)]
struct Progress {
    /// Positions of the rule's entries (see `PayeeScope::by_rule`) consumed so far.
    consumed: usize,
    /// Marginal tiers: the tier position after the consumed entries.
    position: Decimal,
    /// Earnings per booking (by index) of the consumed entries.
    by_booking: BTreeMap<usize, Decimal>,
    /// The bands (in credit) they were computed with.
    bands: Option<Vec<CreditBand>>,
    /// Traces of the consumed entries, when tracing them.
    traces: Vec<EntryTrace>,
    /// Credit of the consumed entries, and their credit times base rate, when tracing.
    credit: Decimal,
    weighted: Decimal,
    /// One of those sums overflowed: the part has no credit or base rate to show.
    figures_overflowed: bool,
    /// Per entry position: the base rate or spif pay, when it cannot change over the term.
    memo: Vec<Option<Decimal>>,
    /// Marginal tiers: the cumulative earnings of the tier position met so far, one per
    /// base rate, for `bands`.
    curves: Vec<Curve>,
    /// Marginal tiers: the base rate of the last entry and the cumulative earnings at
    /// `position` at that rate.
    held: Option<(Option<Decimal>, Decimal)>,
    /// Marginal tiers: the term's credit of the rule, without signs (see [`Curve`]).
    bound: Option<Decimal>,
}

impl Progress {
    fn restart(&mut self) {
        self.consumed = 0;
        self.position = Decimal::ZERO;
        self.by_booking.clear();
        self.traces.clear();
        self.credit = Decimal::ZERO;
        self.weighted = Decimal::ZERO;
        self.figures_overflowed = false;
        self.curves.clear();
        self.held = None;
    }

    /// Adds a consumed entry to the traced sums.
    fn add_figures(&mut self, credit: Decimal, rate: Option<Decimal>) {
        let weighted = match rate {
            Some(rate) => credit.checked_mul(rate).and_then(|x| self.weighted.checked_add(x)),
            None => Some(self.weighted),
        };
        match (self.credit.checked_add(credit), weighted) {
            (Some(c), Some(w)) => (self.credit, self.weighted) = (c, w),
            _ => self.figures_overflowed = true,
        }
    }

    /// A part's traced sums: its credit and its credit-weighted base rate.
    fn figures(&self) -> (Option<Decimal>, Option<Decimal>) {
        if self.figures_overflowed {
            return (None, None);
        }
        (Some(self.credit), self.weighted.checked_div(self.credit))
    }

    /// The cumulative earnings at `rate` (built once per rate).
    fn curve(&mut self, bands: &[CreditBand], rate: Option<Decimal>, bound: Decimal, digits: u32) -> Result<&Curve> {
        let index = match self.curves.iter().position(|c| c.rate == rate) {
            Some(index) => index,
            None => {
                // A rate per booking could take many values: keep the last few.
                if self.curves.len() >= CURVES_KEPT {
                    self.curves.clear();
                }
                self.curves.push(Curve::new(bands, rate, bound, digits)?);
                self.curves.len() - 1
            }
        };
        self.curves.get(index).ok_or_else(|| EvalError::new("internal error: no such curve"))
    }
}

/// How many base rates' cumulative earnings a commission keeps at once.
const CURVES_KEPT: usize = 16;

/// What the engine knows of a component before any payee: whether its per-entry values
/// may be kept for the whole term.
#[derive(Debug, Clone, Copy, Default)]
pub struct ComponentPlan {
    /// The commission `rate` (or, for a spif, `when` and `pay`) does not depend on the period.
    pub per_entry_invariant: bool,
}

/// Works out [`ComponentPlan`]s for every component of the plan.
pub fn component_plans(plan: &Plan) -> Vec<ComponentPlan> {
    let invariance = crate::invariant::Invariance::of(plan);
    plan.components
        .iter()
        .map(|c| ComponentPlan {
            per_entry_invariant: match &c.kind {
                ComponentKind::Commission(commission) => commission.rate.as_ref().is_none_or(|r| invariance.is_invariant(r)),
                ComponentKind::Spif(spif) => spif.when.as_ref().is_none_or(|w| invariance.is_invariant(w)) && invariance.is_invariant(&spif.pay),
                ComponentKind::Bonus(_) => false,
            },
        })
        .collect()
}

/// Evaluates one eligible payee over the whole term, with its trace in the detail asked.
pub fn evaluate_payee<'a>(
    plan: &'a Plan,
    facts: &'a Facts,
    payee: &'a Payee,
    entries: Vec<&'a Entry>,
    components: &[ComponentPlan],
    detail: Option<Detail>,
) -> Result<(PayeeResult, Option<PayeeTrace>)> {
    let traced = detail.is_some();
    let mut scope = PayeeScope::new(plan, payee, entries);
    if traced {
        scope.targets = Some(Vec::new());
    }
    let mut ev = Evaluator::for_payee(plan, facts, scope);
    let digits = plan.currency.minor_units();
    let first_active = plan.periods.iter().position(|p| active_days(payee, p.start, p.end) > 0);
    let mut running = vec![Running::default(); plan.components.len()];
    let mut progress: Vec<Progress> = plan.components.iter().map(|_| Progress::default()).collect();
    let mut lines_to_date = Decimal::ZERO;
    let mut cap_taken = Decimal::ZERO;
    let mut balance = Decimal::ZERO;
    let mut periods = Vec::with_capacity(plan.periods.len());
    let mut period_traces = Vec::new();

    for (i, period) in plan.periods.iter().enumerate() {
        let annotate = |e: EvalError| e.payee(&payee.id).period(period.label);
        let active = active_days(payee, period.start, period.end) > 0;
        ev.set_period(i);
        let mut lines = Vec::with_capacity(plan.components.len() + 5);
        let mut component_traces = Vec::new();
        let mut total = Decimal::ZERO;
        for (index, (component, state)) in plan.components.iter().zip(running.iter_mut()).enumerate() {
            let span = component_span(plan, component);
            let point = |e: EvalError| annotate(at(span)(e));
            let carried = progress.get_mut(index);
            let invariant = components.get(index).is_some_and(|c| c.per_entry_invariant);
            let mut trace = traced.then(|| ComponentTrace {
                name: component.name.clone(),
                kind: match component.kind {
                    ComponentKind::Commission(_) => "commission",
                    ComponentKind::Bonus(_) => "bonus",
                    ComponentKind::Spif(_) => "spif",
                },
                part: None,
                carried: Decimal::ZERO,
                bonus: None,
                term_cap: None,
                earned_to_date: state.earned,
                earned_before: state.earned,
                period_cap: None,
                cumulative: state.cumulative,
                cumulative_rounded: state.paid,
                paid_before: state.paid,
                line: Decimal::ZERO,
            });
            // A period wholly outside the active dates is not evaluated: everything to
            // date carries over unchanged and the line is zero.
            let line = if active {
                let earned = match carried {
                    Some(carried) => earnings(&mut ev, component, &mut state.sum, carried, invariant, trace.as_mut(), detail).map_err(point)?,
                    None => Decimal::ZERO,
                };
                // language.md section 8: C(p) sums the changes of E allowed by the period
                // cap; without one, C = E, taken as is (a sum of changes would drift from
                // E by the rounding of inexact values, and a full clawback leave a residue).
                let cumulative = match &component.cap_per_period {
                    Some(cap) => {
                        let cap_at = |e: EvalError| annotate(e.at(cap.span));
                        let change = value::sub(earned, state.earned).map_err(cap_at)?;
                        let limit = ev.eval_decimal(cap, None).map_err(annotate)?;
                        let allowed = change.min(limit);
                        if let Some(t) = trace.as_mut() {
                            t.period_cap = Some(PeriodCapTrace { limit, change, allowed, forfeited: value::sub(change, allowed).map_err(cap_at)? });
                        }
                        value::add(state.cumulative, allowed).map_err(cap_at)?
                    }
                    None => earned,
                };
                let rounded = round_exact(cumulative, digits, plan.rounding)
                    .ok_or_else(|| point(too_large(&format!("the earnings of `{}` to date", component.name), cumulative, plan)))?;
                let line = value::sub(rounded, state.paid).map_err(point)?;
                if let Some(t) = trace.as_mut() {
                    t.earned_to_date = earned;
                    t.cumulative = cumulative;
                    t.cumulative_rounded = rounded;
                    t.line = line;
                }
                *state = Running { earned, cumulative, paid: rounded, sum: state.sum };
                line
            } else {
                Decimal::ZERO
            };
            total = value::add(total, line).map_err(point)?;
            lines.push(Line { name: component.name.clone(), kind: LineKind::Component, amount: line });
            component_traces.extend(trace);
        }
        // Errors of the ledger's own sums point at the draw, else `cap total`, else the
        // first component (the figures they add up).
        let ledger_at = |e: EvalError| annotate(at(ledger_span(plan))(e));
        lines_to_date = value::add(lines_to_date, total).map_err(ledger_at)?;

        let mut cap_trace = None;
        if let Some(cap) = &plan.cap_total {
            let cap_at = |e: EvalError| annotate(e.at(cap.span));
            let mut cap_line = Decimal::ZERO;
            if active {
                let unrounded = ev.eval_decimal(cap, None).map_err(annotate)?;
                let limit = round_exact(unrounded, digits, plan.rounding).ok_or_else(|| cap_at(too_large("`cap total`", unrounded, plan)))?;
                let taken = -(value::sub(lines_to_date, limit).map_err(cap_at)?.max(Decimal::ZERO));
                cap_line = value::sub(taken, cap_taken).map_err(cap_at)?;
                if traced {
                    cap_trace = Some(CapTotalTrace { limit, lines_to_date, taken_to_date: taken, taken_before: cap_taken, line: cap_line });
                }
                cap_taken = taken;
            }
            total = value::add(total, cap_line).map_err(cap_at)?;
            lines.push(Line { name: "cap".into(), kind: LineKind::Cap, amount: cap_line });
        }

        let mut ledger = Ledger { total, balance_before: balance, ..Ledger::default() };
        if let Some(draw) = &plan.draw {
            let in_draw = active && first_active.is_some_and(|first| i >= first && draw.periods.is_none_or(|n| i < first.saturating_add(n as usize)));
            if in_draw {
                let draw_at = |e: EvalError| annotate(e.at(draw.amount.span));
                let mut amount = ev.eval_decimal(&draw.amount, None).map_err(annotate)?;
                if plan.prorate {
                    let days = Decimal::from(period.end.signed_duration_since(period.start).num_days() + 1);
                    let active_part = Decimal::from(active_days(payee, period.start, period.end));
                    amount = value::div(value::mul(amount, active_part).map_err(draw_at)?, days).map_err(draw_at)?;
                }
                ledger.draw_period = true;
                ledger.draw_amount = round_exact(amount, digits, plan.rounding).ok_or_else(|| draw_at(too_large("the draw", amount, plan)))?;
                ledger.draw = value::sub(ledger.draw_amount, total).map_err(draw_at)?.max(Decimal::ZERO);
            }
            lines.push(Line { name: "draw".into(), kind: LineKind::Draw, amount: ledger.draw });
        }
        let with_draw = value::add(total, ledger.draw).map_err(ledger_at)?;
        ledger.carry = if with_draw < Decimal::ZERO { -with_draw } else { Decimal::ZERO };
        if balance > Decimal::ZERO {
            ledger.recovery = -(balance.min(value::sub(with_draw, ledger.draw_amount).map_err(ledger_at)?.max(Decimal::ZERO)));
        }
        ledger.payout = value::add(value::add(with_draw, ledger.carry).map_err(ledger_at)?, ledger.recovery).map_err(ledger_at)?;
        let recoverable = if plan.draw.as_ref().is_some_and(|d| d.kind == DrawKind::Recoverable) { ledger.draw } else { Decimal::ZERO };
        balance = value::add(value::add(value::add(balance, recoverable).map_err(ledger_at)?, ledger.carry).map_err(ledger_at)?, ledger.recovery)
            .map_err(ledger_at)?;
        ledger.balance_after = balance;
        lines.push(Line { name: "carry".into(), kind: LineKind::Carry, amount: ledger.carry });
        lines.push(Line { name: "recovery".into(), kind: LineKind::Recovery, amount: ledger.recovery });
        lines.push(Line { name: "payout".into(), kind: LineKind::Payout, amount: ledger.payout });
        for line in &mut lines {
            if line.amount.is_zero() {
                line.amount = Decimal::ZERO;
            }
            // Every line is printed with exactly the currency's minor digits (cli.md): a
            // sum of rounded amounts too large to keep them is an error, never a line
            // with fewer decimals.
            if !holds_digits(line.amount, digits) {
                return Err(annotate(at(line_span(plan, line))(too_large(&format!("the `{}` line", line.name), line.amount, plan))));
            }
        }
        if !holds_digits(balance, digits) {
            return Err(ledger_at(too_large("the balance owed", balance, plan)));
        }

        if traced {
            let measures = plan
                .measures
                .iter()
                .enumerate()
                .filter_map(|(id, m)| ev.cached_measure(id).map(|v| MeasureValue { name: m.name.clone(), value: show_value(&v), in_period: m.in_period }))
                .collect();
            let targets = ev.scope.as_mut().and_then(|s| s.targets.as_mut()).map(std::mem::take).unwrap_or_default();
            period_traces.push(PeriodTrace {
                period: period.label.to_string(),
                start: period.start,
                end: period.end,
                evaluated: active,
                measures,
                targets,
                components: component_traces,
                cap_total: cap_trace,
                ledger,
            });
        }
        periods.push(PeriodLines { period: period.label.to_string(), lines, balance_after: balance });
    }
    let trace = traced.then(|| PayeeTrace { payee: payee.id.clone(), name: payee.name.clone(), periods: period_traces, balance });
    Ok((PayeeResult { id: payee.id.clone(), name: payee.name.clone(), periods, balance }, trace))
}

/// A value as a statement shows it.
fn show_value(value: &Value) -> String {
    match value {
        Value::Number(n) | Value::Money(n) => n.normalize().to_string(),
        Value::Date(d) => d.to_string(),
        Value::Text(t) => t.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Duration(d) => format!("{d} days"),
    }
}

/// Points an error that points nowhere yet at `span`: an error of the engine's own
/// arithmetic (an overflow summing earnings, slicing tiers, applying caps) at the plan
/// text of what was being computed.
fn at(span: Option<Span>) -> impl Fn(EvalError) -> EvalError + Copy {
    move |e| match span {
        Some(s) => e.at(s),
        None => e,
    }
}

/// What an error in a component's own arithmetic points at: a commission's `rate`, or
/// its `on` measure without one; a bonus's or a spif's `pay`.
fn component_span(plan: &Plan, component: &Component) -> Option<Span> {
    match &component.kind {
        ComponentKind::Commission(c) => c.rate.as_ref().map(|r| r.span).or_else(|| plan.measures.get(c.on).map(|m| m.expr.span)),
        ComponentKind::Bonus(b) => Some(b.pay.span),
        ComponentKind::Spif(s) => Some(s.pay.span),
    }
}

/// What an error of the ledger (draw, carry, recovery, payout, balance) points at: the
/// draw, else `cap total`, else the first component.
fn ledger_span(plan: &Plan) -> Option<Span> {
    plan.draw
        .as_ref()
        .map(|d| d.amount.span)
        .or_else(|| plan.cap_total.as_ref().map(|c| c.span))
        .or_else(|| plan.components.first().and_then(|c| component_span(plan, c)))
}

/// What an error about a line points at.
fn line_span(plan: &Plan, line: &Line) -> Option<Span> {
    match line.kind {
        LineKind::Component => plan.components.iter().find(|c| c.name == line.name).and_then(|c| component_span(plan, c)),
        LineKind::Cap => plan.cap_total.as_ref().map(|c| c.span),
        _ => ledger_span(plan),
    }
}

/// An amount that cannot be held to the currency's minor unit (rust_decimal's 28
/// significant digits leave no room for them).
pub(crate) fn too_large(what: &str, amount: Decimal, plan: &Plan) -> EvalError {
    let digits = plan.currency.minor_units();
    let code = plan.currency.code();
    EvalError::new(format!("{what}, {amount} {code}, cannot be rounded to {digits} decimals")).help(format!(
        "payplan computes with 28 significant digits, so a {code} amount held to {digits} decimals is at most {}; check the amounts and rates that make this one",
        largest_with_digits(digits)
    ))
}

/// `E(p)` of a component at the evaluator's period end.
fn earnings(
    ev: &mut Evaluator<'_>,
    component: &Component,
    sum: &mut Decimal,
    progress: &mut Progress,
    invariant: bool,
    trace: Option<&mut ComponentTrace>,
    detail: Option<Detail>,
) -> Result<Decimal> {
    let plan = ev.plan;
    let period = ev.period().ok_or_else(|| EvalError::new("internal error: no such period"))?;
    match &component.kind {
        ComponentKind::Commission(commission) => {
            let low = if commission.in_period { period.start } else { plan.term_start };
            let part = commission_part(ev, component, commission, low, period.end, progress, invariant, detail)?;
            let earned = if commission.in_period {
                // Each period alone through booking caps and gate; E is their running
                // sum, and the term cap bounds it (language.md section 8: earnings to
                // date), as for a per-period bonus.
                let carried = *sum;
                *sum = value::add(*sum, part.earned).map_err(at(component_span(plan, component)))?;
                let (capped, term_cap) = term_cap(ev, component, *sum)?;
                if let Some(t) = trace {
                    t.carried = carried;
                    t.part = Some(part);
                    t.term_cap = term_cap;
                }
                capped
            } else {
                let earned = part.earned;
                if let Some(t) = trace {
                    t.part = Some(part);
                }
                earned
            };
            Ok(earned)
        }
        ComponentKind::Bonus(bonus) => {
            let holds = match &bonus.when {
                Some(when) => Some(ev.eval_bool(when, None)?),
                None => None,
            };
            let pay = if holds.unwrap_or(true) { ev.eval_decimal(&bonus.pay, None)? } else { Decimal::ZERO };
            let carried = *sum;
            let earned = if bonus.per_period {
                *sum = value::add(*sum, pay).map_err(|e| e.at(bonus.pay.span))?;
                *sum
            } else {
                pay
            };
            let (capped, term_cap) = term_cap(ev, component, earned)?;
            if let Some(t) = trace {
                t.carried = if bonus.per_period { carried } else { Decimal::ZERO };
                t.bonus = Some(BonusTrace { when: holds, pay, per_period: bonus.per_period, earned, term_cap });
            }
            Ok(capped)
        }
        ComponentKind::Spif(spif) => {
            let part = spif_part(ev, component, spif, plan.term_start, period.end, progress, invariant, detail)?;
            let earned = part.earned;
            if let Some(t) = trace {
                t.part = Some(part);
            }
            Ok(earned)
        }
    }
}

/// A commission's earnings over entries dated `from..=to`: per-entry earnings
/// attributed to bookings, then booking caps, gate and term cap (for an `in period`
/// commission, the term cap is left to `earnings`, on the running sum). Continues from
/// `progress` when the entries before are unchanged in what they earn.
#[allow(clippy::too_many_arguments)]
fn commission_part(
    ev: &mut Evaluator<'_>,
    component: &Component,
    commission: &Commission,
    from: NaiveDate,
    to: NaiveDate,
    progress: &mut Progress,
    invariant: bool,
    detail: Option<Detail>,
) -> Result<Part> {
    let (traced, rows) = (detail.is_some(), detail == Some(Detail::Full));
    let bands = match &commission.tiers {
        Some(tiers) => Some(scaled_bands(ev, tiers)?),
        None => None,
    };
    let retroactive = commission.tiers.as_ref().is_some_and(|t| t.mode == TierMode::Retroactive);
    let (start, end) = ev.rule_positions(commission.rule, from, to)?;
    // An in-period part starts afresh each period; a to-date part continues while its
    // bands and rates are what they were.
    let continues = !commission.in_period && !retroactive && invariant && progress.bands == bands && progress.consumed >= start;
    if !continues {
        progress.restart();
        progress.consumed = start;
    }
    if progress.memo.len() < end {
        progress.memo.resize(end, None);
    }
    // Marginal tiers hold their cumulative earnings to decimals fixed by the term's credit.
    let digits = ev.plan.currency.minor_units();
    let bound = match (&bands, retroactive, progress.bound) {
        (Some(_), false, None) => {
            let bound = credit_bound(ev, commission.rule)?;
            progress.bound = Some(bound);
            bound
        }
        (_, _, known) => known.unwrap_or(Decimal::ZERO),
    };
    // Errors of the engine's own arithmetic on an entry point at the rate (or the `on`
    // measure) and name the booking.
    let point = at(component_span(ev.plan, component));
    let retroactive_band = match (&bands, retroactive) {
        (Some(b), true) => {
            let on = at(ev.plan.measures.get(commission.on).map(|m| m.expr.span));
            let mut total = Decimal::ZERO;
            for position in start..end {
                if ev.passes_filter(commission.rule, position, commission.filter.as_ref())? {
                    total = value::add(total, ev.rule_entry(commission.rule, position)?.amount).map_err(on)?;
                }
            }
            Some(band_at(b, total).ok_or_else(|| EvalError::new("internal error: no band holds the value"))?)
        }
        _ => None,
    };
    for position in progress.consumed..end {
        if !ev.passes_filter(commission.rule, position, commission.filter.as_ref())? {
            continue;
        }
        let entry = ev.rule_entry(commission.rule, position)?;
        let view = ev.view(entry)?;
        let named = |e: EvalError| point(e).booking(describe(view.booking));
        let rate = match &commission.rate {
            Some(rate) => {
                let memo = if invariant { progress.memo.get(position).copied().flatten() } else { None };
                match memo {
                    Some(known) => Some(known),
                    None => {
                        let r = ev.eval_decimal(rate, Some(&view)).map_err(|e| e.booking(describe(view.booking)))?;
                        if invariant {
                            if let Some(slot) = progress.memo.get_mut(position) {
                                *slot = Some(r);
                            }
                        }
                        Some(r)
                    }
                }
            }
            None => None,
        };
        let mut slices = Vec::new();
        let mut moved = None;
        let earned = match (&bands, &retroactive_band) {
            (None, _) => value::mul(entry.amount, rate.unwrap_or(Decimal::ZERO)).map_err(named)?,
            (Some(_), Some(band)) => {
                let band_rate = band_rate(band.value, rate).map_err(named)?;
                let earned = value::mul(entry.amount, band_rate).map_err(named)?;
                if rows {
                    slices.push(Slice { band: band.label.clone(), amount: entry.amount, rate: band_rate, earned });
                }
                earned
            }
            (Some(bands), None) => {
                let before = progress.position;
                let after = value::add(before, entry.amount).map_err(named)?;
                moved = Some((before, after));
                let held = progress.held.filter(|(r, _)| *r == rate).map(|(_, g)| g);
                let curve = progress.curve(bands, rate, bound, digits).map_err(named)?;
                let (earned, at_after) = marginal(curve, bands, before, after, held, entry.amount, rows.then_some(&mut slices)).map_err(named)?;
                progress.position = after;
                progress.held = Some((rate, at_after));
                earned
            }
        };
        let slot = progress.by_booking.entry(entry.booking).or_insert(Decimal::ZERO);
        *slot = value::add(*slot, earned).map_err(named)?;
        if traced {
            progress.add_figures(entry.amount, rate);
        }
        if rows {
            progress.traces.push(entry_trace(ev, entry, moved, rate, slices, None, earned));
        }
    }
    progress.consumed = end;
    let band_reached = retroactive_band.map(|b| b.label);
    // An `in period` commission's term cap bounds the running sum of its parts (in `earnings`).
    let part = finish_part(
        ev,
        component,
        commission.gate.as_ref(),
        !commission.in_period,
        progress,
        from,
        to,
        bands.as_deref(),
        commission.tiers.as_ref(),
        band_reached,
        detail,
    )?;
    progress.bands = bands;
    Ok(part)
}

/// Booking caps, gate and (when `capped_per_term`) term cap over per-booking earnings.
#[allow(clippy::too_many_arguments)]
fn finish_part(
    ev: &mut Evaluator<'_>,
    component: &Component,
    gate: Option<&payplan_ir::Expr>,
    capped_per_term: bool,
    progress: &Progress,
    from: NaiveDate,
    to: NaiveDate,
    bands: Option<&[CreditBand]>,
    tiers: Option<&Tiers>,
    band_reached: Option<String>,
    detail: Option<Detail>,
) -> Result<Part> {
    let (traced, rows) = (detail.is_some(), detail == Some(Detail::Full));
    let booking_cap = match &component.cap_per_booking {
        Some(cap) => Some(ev.eval_decimal(cap, None)?),
        None => None,
    };
    let mut bookings = Vec::new();
    let mut subtotal = Decimal::ZERO;
    let point = at(component_span(ev.plan, component));
    for (booking, earned) in &progress.by_booking {
        let kept = booking_cap.map_or(*earned, |limit| (*earned).min(limit));
        subtotal = value::add(subtotal, kept).map_err(point)?;
        if rows {
            let id = ev.facts.bookings.get(*booking).map(|b| b.id.clone()).unwrap_or_default();
            bookings.push(BookingEarnings { booking: id, earned: *earned, kept });
        }
    }
    let gate_open = match gate {
        Some(g) => Some(ev.eval_bool(g, None)?),
        None => None,
    };
    let gated = if gate_open == Some(false) { Decimal::ZERO } else { subtotal };
    let (earned, term_cap) = if capped_per_term { term_cap(ev, component, gated)? } else { (gated, None) };
    let tiers = match (tiers, bands) {
        (Some(t), Some(b)) if traced => Some(TierTrace {
            mode: if t.mode == TierMode::Marginal { "marginal" } else { "retroactive" },
            measure: ev.plan.measures.get(t.by).map(|m| m.name.clone()).unwrap_or_default(),
            divisor: b.first().and_then(|band| band.divisor),
            bands: b
                .iter()
                .map(|band| {
                    let (value, value_kind) = match band.value {
                        BandValue::Rate(r) => (r, "rate"),
                        BandValue::Multiplier(m) => (m, "multiplier"),
                    };
                    BandTrace { label: band.label.clone(), from: band.lower, to: band.upper, value, value_kind }
                })
                .collect(),
            band_reached,
        }),
        _ => None,
    };
    let entries = if rows { progress.traces.clone() } else { Vec::new() };
    let (credit, base_rate) = progress.figures();
    Ok(Part { from, to, tiers, entries, bookings, booking_cap, subtotal, gate: gate_open, term_cap, earned, credit, base_rate })
}

/// Applies a component's term cap; returns the capped value and what it did.
fn term_cap(ev: &mut Evaluator<'_>, component: &Component, earned: Decimal) -> Result<(Decimal, Option<TermCapTrace>)> {
    match &component.cap_per_term {
        Some(cap) => {
            let limit = ev.eval_decimal(cap, None)?;
            let capped = earned.min(limit);
            Ok((capped, Some(TermCapTrace { limit, before: earned, removed: value::sub(earned, capped).map_err(|e| e.at(cap.span))? })))
        }
        None => Ok((earned, None)),
    }
}

fn entry_trace(
    ev: &Evaluator<'_>,
    entry: &Entry,
    position: Option<(Decimal, Decimal)>,
    rate: Option<Decimal>,
    slices: Vec<Slice>,
    spif_pay: Option<Decimal>,
    earned: Decimal,
) -> EntryTrace {
    let booking = ev.facts.bookings.get(entry.booking);
    EntryTrace {
        booking: booking.map(|b| b.id.clone()).unwrap_or_default(),
        account: booking.and_then(|b| b.account.as_deref().map(str::to_string)),
        rule: ev.plan.rules.get(entry.rule).map(|r| r.name.clone()).unwrap_or_default(),
        date: entry.date,
        reversal: entry.reversal,
        share: entry.share,
        rolled_up_from: entry.rolled_up_from.and_then(|p| ev.facts.payees.get(p)).map(|p| p.id.clone()),
        original_amount: entry.original_amount,
        currency: booking.map(|b| b.currency.code().to_string()).unwrap_or_default(),
        fx_rate: entry.fx_rate,
        fx_date: booking.map_or(entry.date, |b| b.date),
        credit: entry.amount,
        position,
        rate,
        slices,
        spif_pay,
        earned,
    }
}

/// A band with its bounds in credit (the tier measure's bounds times the divisor).
#[derive(Debug, Clone, PartialEq, Eq)]
struct CreditBand {
    lower: Option<Decimal>,
    upper: Option<Decimal>,
    value: BandValue,
    label: String,
    divisor: Option<Decimal>,
}

fn scaled_bands(ev: &mut Evaluator<'_>, tiers: &Tiers) -> Result<Vec<CreditBand>> {
    let scale = match &tiers.divisor {
        Some(divisor) => {
            let d = ev.eval_decimal(divisor, None)?;
            if d.is_zero() {
                return Err(EvalError::new("division by zero: the tier measure divides by zero")
                    .at(divisor.span)
                    .help("the target this attainment divides by is zero; check the quota"));
            }
            Some(d)
        }
        None => None,
    };
    let divisor_at = at(tiers.divisor.as_ref().map(|d| d.span));
    let scale_bound = |b: Option<Decimal>| -> Result<Option<Decimal>> {
        match (b, scale) {
            (Some(b), Some(s)) => Ok(Some(value::mul(b, s).map_err(divisor_at)?)),
            (b, _) => Ok(b),
        }
    };
    let count = tiers.bands.len();
    tiers
        .bands
        .iter()
        .enumerate()
        .map(|(i, band)| {
            Ok(CreditBand {
                // The lowest band reaches down and the highest up, so that a negative
                // entry or a huge one always has a band (the checker made them contiguous).
                lower: if i == 0 { None } else { scale_bound(band.lower)? },
                upper: if i + 1 == count { None } else { scale_bound(band.upper)? },
                value: band.value,
                label: band.label.clone(),
                divisor: scale,
            })
        })
        .collect()
}

fn band_at(bands: &[CreditBand], x: Decimal) -> Option<CreditBand> {
    bands.iter().find(|b| b.lower.is_none_or(|l| x >= l) && b.upper.is_none_or(|u| x < u)).cloned()
}

fn band_rate(value: BandValue, rate: Option<Decimal>) -> Result<Decimal> {
    match value {
        BandValue::Rate(r) => Ok(r),
        BandValue::Multiplier(m) => value::mul(rate.unwrap_or(Decimal::ZERO), m),
    }
}

/// The credit of a payee's `rule` over the whole term, without signs: no tier position
/// of the term (from its start, or from a period start) lies further from zero. The
/// decimal maximum when the sum is larger.
fn credit_bound(ev: &Evaluator<'_>, rule: usize) -> Result<Decimal> {
    let (start, end) = ev.rule_positions(rule, NaiveDate::MIN, NaiveDate::MAX)?;
    let mut bound = Decimal::ZERO;
    for position in start..end {
        let amount = ev.rule_entry(rule, position)?.amount.abs();
        bound = value::add(bound, amount).unwrap_or(Decimal::MAX);
    }
    Ok(bound)
}

/// The cumulative earnings `G(x)` of marginal tiers at one base rate: the earnings of
/// moving the tier position from 0 to `x`, so that a move from `a` to `b` earns
/// `G(b) - G(a)` and any moves that return the position to where it started earn
/// exactly zero (a full clawback gives back exactly what was earned).
///
/// `G(x)` is computed as the conformance oracle's `integral`: over the bands in order,
/// the band's rate times the part of `[0, x]` in the band (below zero, the lowest band
/// reaches down), each product and sum at 28 digits. It is then held to `scale`
/// decimals, the same for the whole term: as many as the term's credit times the
/// highest band rate leaves room for (at least the currency's minor digits), so that
/// every `G`, every difference of two and every sum of such differences up to that
/// magnitude is exact (values with their natural 28 digits have fewer decimals the
/// larger they are, and differences between them would round).
#[derive(Debug, Clone)]
struct Curve {
    /// The base rate (`None` for a table of rates).
    rate: Option<Decimal>,
    /// The decimals `G` is held to.
    scale: u32,
    /// Per band, in band order.
    steps: smallvec::SmallVec<[Step; 4]>,
}

/// A band of a [`Curve`].
#[derive(Debug, Clone, Copy)]
struct Step {
    /// The band's rate.
    rate: Decimal,
    /// The point of the band nearest to zero (zero when the band holds it).
    zero: Decimal,
    /// The band's earnings for a position at or past its upper edge: the rate times
    /// `[zero, upper]` (`None` when that overflows).
    below: Option<Decimal>,
    /// Its earnings for a position at or under its lower edge: the rate times
    /// `[zero, lower]`, negative, zero unless the band lies below zero.
    above: Option<Decimal>,
}

impl Curve {
    fn new(bands: &[CreditBand], rate: Option<Decimal>, bound: Decimal, digits: u32) -> Result<Curve> {
        let mut steps = smallvec::SmallVec::new();
        let mut highest = Decimal::ZERO;
        for band in bands {
            let band_rate = band_rate(band.value, rate)?;
            // The band's points nearest to x (an inverted band, from a negative divisor,
            // holds none: it earns nothing).
            let clamp = |x: Decimal| {
                let x = band.upper.map_or(x, |u| x.min(u));
                band.lower.map_or(x, |l| x.max(l))
            };
            let zero = clamp(Decimal::ZERO);
            let earned_to = |edge: Option<Decimal>| edge.and_then(|e| value::sub(clamp(e), zero).and_then(|width| value::mul(width, band_rate)).ok());
            steps.push(Step { rate: band_rate, zero, below: earned_to(band.upper), above: earned_to(band.lower) });
            highest = highest.max(band_rate.abs());
        }
        // (0 decimals when even that product overflows: then the minor digits.)
        let widest = value::mul(bound, highest).and_then(|m| value::add(m, Decimal::ONE)).map_or(0, widest_scale);
        Ok(Curve { rate, scale: widest.max(digits).min(MAX_DECIMALS), steps })
    }

    /// `G(x)`.
    fn at(&self, bands: &[CreditBand], x: Decimal) -> Result<Decimal> {
        let mut total = Decimal::ZERO;
        for (band, step) in bands.iter().zip(&self.steps) {
            let term = if band.upper.is_some_and(|u| x >= u) {
                step.below.ok_or_else(value::overflow)?
            } else if band.lower.is_some_and(|l| x <= l) {
                step.above.ok_or_else(value::overflow)?
            } else {
                value::mul(value::sub(x, step.zero)?, step.rate)?
            };
            if !term.is_zero() {
                total = value::add(total, term)?;
            }
        }
        Ok(total.round_dp_with_strategy(self.scale, rust_decimal::RoundingStrategy::MidpointNearestEven))
    }
}

/// rust_decimal's most decimals.
const MAX_DECIMALS: u32 = 28;

/// Earnings of moving the tier position from `from` to `to` (by an entry of `credit`)
/// across marginal bands: `G(to) - G(from)` ([`Curve`]), negative when moving down (a
/// reversal unwinds). `at_from` is `G(from)` when known. Returns the earnings and
/// `G(to)`.
///
/// The slices, when asked for, are in band order either way. They add up exactly to
/// the credit: every slice but the last is held to the decimals the credit's magnitude
/// leaves room for (so that their sums are exact), and the last is what they leave of
/// the credit (band edges from a prorated quota carry 28 digits, and the differences
/// between them would otherwise miss the credit in the last digit). A slice earns the
/// difference of `G` across its part of the move, the last what the others leave of
/// the entry's earnings: its `amount x rate` up to the decimals `G` is held to.
fn marginal(
    curve: &Curve,
    bands: &[CreditBand],
    from: Decimal,
    to: Decimal,
    at_from: Option<Decimal>,
    credit: Decimal,
    slices: Option<&mut Vec<Slice>>,
) -> Result<(Decimal, Decimal)> {
    let at_from = match at_from {
        Some(g) => g,
        None => curve.at(bands, from)?,
    };
    let at_to = if to == from { at_from } else { curve.at(bands, to)? };
    let earned = value::sub(at_to, at_from)?;
    if let Some(list) = slices {
        slice(curve, bands, from, to, credit, earned, list)?;
    }
    Ok((earned, at_to))
}

/// The slices of a move (see [`marginal`]).
fn slice(curve: &Curve, bands: &[CreditBand], from: Decimal, to: Decimal, credit: Decimal, earned: Decimal, list: &mut Vec<Slice>) -> Result<()> {
    let (low, high, downwards) = if to >= from { (from, to, false) } else { (to, from, true) };
    let digits = widest_scale(credit);
    // (band, rate, amount, earned)
    let mut parts: smallvec::SmallVec<[(&CreditBand, Decimal, Decimal, Decimal); 4]> = smallvec::SmallVec::new();
    for (band, step) in bands.iter().zip(&curve.steps) {
        let start = band.lower.map_or(low, |l| l.max(low));
        let end = band.upper.map_or(high, |u| u.min(high));
        if end > start {
            let mut amount = value::sub(end, start)?;
            let held = amount.round_dp_with_strategy(digits, rust_decimal::RoundingStrategy::MidpointNearestEven);
            // (Decimals compare by value: an exact amount keeps its form, `1.50`.)
            if held != amount {
                amount = held;
            }
            let mut part_earned = value::sub(curve.at(bands, end)?, curve.at(bands, start)?)?;
            if downwards {
                amount = -amount;
                part_earned = -part_earned;
            }
            parts.push((band, step.rate, amount, part_earned));
        }
    }
    if parts.is_empty() && !credit.is_zero() {
        // A move lost below the position's last digit: the credit in the band at the position.
        let holding = bands.iter().zip(&curve.steps).find(|(b, _)| {
            if downwards {
                b.lower.is_none_or(|l| from > l) && b.upper.is_none_or(|u| from <= u)
            } else {
                b.lower.is_none_or(|l| from >= l) && b.upper.is_none_or(|u| from < u)
            }
        });
        parts.extend(holding.map(|(band, step)| (band, step.rate, credit, earned)));
    }
    if let Some(((_, _, last_amount, last_earned), others)) = parts.split_last_mut() {
        let mut covered = Decimal::ZERO;
        let mut paid = Decimal::ZERO;
        for (_, _, amount, part_earned) in others.iter() {
            covered = value::add(covered, *amount)?;
            paid = value::add(paid, *part_earned)?;
        }
        let rest = value::sub(credit, covered)?;
        if *last_amount != rest {
            *last_amount = rest;
        }
        let left = value::sub(earned, paid)?;
        if *last_earned != left {
            *last_earned = left;
        }
    }
    list.extend(parts.into_iter().map(|(band, rate, amount, earned)| Slice { band: band.label.clone(), amount, rate, earned }));
    Ok(())
}

/// A spif's earnings to date: each qualifying entry (judged on its original) pays
/// `pay * share` or `pay * credit`; reversals reverse. Continues from `progress` when
/// `when` and `pay` cannot change over the term.
#[allow(clippy::too_many_arguments)]
fn spif_part(
    ev: &mut Evaluator<'_>,
    component: &Component,
    spif: &Spif,
    from: NaiveDate,
    to: NaiveDate,
    progress: &mut Progress,
    invariant: bool,
    detail: Option<Detail>,
) -> Result<Part> {
    let (start, end) = ev.rule_positions(spif.rule, from, to)?;
    if !invariant || progress.consumed < start {
        progress.restart();
        progress.consumed = start;
    }
    for position in progress.consumed..end {
        let entry = ev.rule_entry(spif.rule, position)?;
        if entry.original_date < spif.window.0 || entry.original_date > spif.window.1 {
            continue;
        }
        let view = ev.view(entry)?;
        let named = |e: EvalError| e.at(spif.pay.span).booking(describe(view.booking));
        if let Some(when) = &spif.when {
            if !ev.eval_bool(when, Some(&view)).map_err(named)? {
                continue;
            }
        }
        let pay = ev.eval_decimal(&spif.pay, Some(&view)).map_err(named)?;
        let earned = match spif.basis {
            SpifBasis::PerBooking => {
                let once = value::mul(pay, entry.share).map_err(named)?;
                if entry.reversal {
                    -once
                } else {
                    once
                }
            }
            SpifBasis::OfCredit => value::mul(pay, entry.amount).map_err(named)?,
        };
        let slot = progress.by_booking.entry(entry.booking).or_insert(Decimal::ZERO);
        *slot = value::add(*slot, earned).map_err(named)?;
        if detail.is_some() {
            progress.add_figures(entry.amount, None);
        }
        if detail == Some(Detail::Full) {
            progress.traces.push(entry_trace(ev, entry, None, None, Vec::new(), Some(pay), earned));
        }
    }
    progress.consumed = end;
    finish_part(ev, component, None, true, progress, from, to, None, None, None, detail)
}
