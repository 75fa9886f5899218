//! One payee's term: earnings per component (section 7), caps (section 8), then the
//! lines, draws, carry, recovery and balance (section 9).

use crate::credit::Entry;
use crate::error::{EvalError, Result};
use crate::eval::{active_days, Evaluator, PayeeScope};
use crate::round::round;
use crate::value;
use crate::{Line, LineKind, PayeeResult, PeriodLines};
use chrono::NaiveDate;
use payplan_facts::{Facts, Payee};
use payplan_ir::{BandValue, Commission, Component, ComponentKind, DrawKind, Plan, Spif, SpifBasis, TierMode, Tiers};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Evaluates one eligible payee over the whole term.
pub fn evaluate_payee<'a>(plan: &'a Plan, facts: &'a Facts, payee: &'a Payee, entries: Vec<&'a Entry>) -> Result<PayeeResult> {
    let mut ev = Evaluator::for_payee(plan, facts, PayeeScope::new(plan, payee, entries));
    let periods = plan.periods.len();
    let active: Vec<bool> = plan.periods.iter().map(|p| active_days(payee, p.start, p.end) > 0).collect();

    // C(p) per component, after every cap but the total cap.
    let mut cumulative: Vec<Vec<Decimal>> = vec![Vec::with_capacity(periods); plan.components.len()];
    for (c, component) in plan.components.iter().enumerate() {
        let mut earned_before = Decimal::ZERO; // E(p-1)
        let mut capped_before = Decimal::ZERO; // C(p-1)
        let mut running = Decimal::ZERO; // sum of per-period earnings (in-period forms)
        for (i, period) in plan.periods.iter().enumerate() {
            if !active.get(i).copied().unwrap_or(false) {
                // Not evaluated: everything to date carries over unchanged.
                if let Some(col) = cumulative.get_mut(c) {
                    col.push(capped_before);
                }
                continue;
            }
            ev.set_period(i);
            let annotate = |e: EvalError| e.payee(&payee.id).period(period.label);
            let earned = earnings(&mut ev, component, &mut running).map_err(annotate)?;
            let mut change = value::sub(earned, earned_before).map_err(annotate)?;
            if let Some(cap) = &component.cap_per_period {
                let limit = ev.eval_decimal(cap, None).map_err(annotate)?;
                change = change.min(limit);
            }
            let capped = value::add(capped_before, change).map_err(annotate)?;
            if let Some(col) = cumulative.get_mut(c) {
                col.push(capped);
            }
            earned_before = earned;
            capped_before = capped;
        }
    }

    lines(&mut ev, plan, payee, &active, &cumulative)
}

/// `E(p)` of a component at the evaluator's period end.
fn earnings(ev: &mut Evaluator<'_>, component: &Component, running: &mut Decimal) -> Result<Decimal> {
    let plan = ev.plan;
    let period_index = ev.scope.as_ref().map_or(0, |s| s.period);
    let period = plan.periods.get(period_index).ok_or_else(|| EvalError::new("internal error: no such period"))?;
    match &component.kind {
        ComponentKind::Commission(commission) => {
            if commission.in_period {
                // Each period alone; E is their running sum.
                let alone = commission_to_date(ev, component, commission, period.start)?;
                *running = value::add(*running, alone)?;
                Ok(*running)
            } else {
                commission_to_date(ev, component, commission, plan.term_start)
            }
        }
        ComponentKind::Bonus(bonus) => {
            let holds = match &bonus.when {
                Some(when) => ev.eval_bool(when, None)?,
                None => true,
            };
            let pay = if holds { ev.eval_decimal(&bonus.pay, None)? } else { Decimal::ZERO };
            let earned = if bonus.per_period {
                *running = value::add(*running, pay)?;
                *running
            } else {
                pay
            };
            term_cap(ev, component, earned)
        }
        ComponentKind::Spif(spif) => spif_to_date(ev, component, spif),
    }
}

/// A commission's earnings over entries dated from `low` to the period end: per-entry
/// earnings attributed to bookings, then booking caps, gate and term cap.
fn commission_to_date(ev: &mut Evaluator<'_>, component: &Component, commission: &Commission, low: NaiveDate) -> Result<Decimal> {
    let in_period = commission.in_period;
    let entries = ev.entries_in_scope(commission.rule, commission.filter.as_ref(), in_period)?;
    let entries: Vec<&Entry> = entries.into_iter().filter(|e| e.date >= low).collect();
    let bands = match &commission.tiers {
        Some(tiers) => Some(scaled_bands(ev, tiers)?),
        None => None,
    };
    let retroactive_band = match (&commission.tiers, &bands) {
        (Some(t), Some(b)) if t.mode == TierMode::Retroactive => {
            let total = value::sum(entries.iter().map(|e| e.amount))?;
            Some(band_at(b, total).ok_or_else(|| EvalError::new("internal error: no band holds the value"))?)
        }
        _ => None,
    };
    let mut by_booking: BTreeMap<usize, Decimal> = BTreeMap::new();
    let mut position = Decimal::ZERO;
    for entry in &entries {
        let view = ev.view(entry)?;
        let rate = match &commission.rate {
            Some(rate) => Some(ev.eval_decimal(rate, Some(&view)).map_err(|e| e.booking(crate::credit::describe(view.booking)))?),
            None => None,
        };
        let earned = match (&bands, retroactive_band) {
            (None, _) => value::mul(entry.amount, rate.unwrap_or(Decimal::ZERO))?,
            (Some(_), Some(band)) => value::mul(entry.amount, band_rate(band.value, rate)?)?,
            (Some(bands), None) => {
                let from = position;
                position = value::add(position, entry.amount)?;
                marginal(bands, from, position, rate)?
            }
        };
        let slot = by_booking.entry(entry.booking).or_insert(Decimal::ZERO);
        *slot = value::add(*slot, earned)?;
    }
    let total = match &component.cap_per_booking {
        Some(cap) => {
            let limit = ev.eval_decimal(cap, None)?;
            value::sum(by_booking.values().map(|v| (*v).min(limit)))?
        }
        None => value::sum(by_booking.values().copied())?,
    };
    let total = match &commission.gate {
        Some(gate) if !ev.eval_bool(gate, None)? => Decimal::ZERO,
        _ => total,
    };
    term_cap(ev, component, total)
}

fn term_cap(ev: &mut Evaluator<'_>, component: &Component, earned: Decimal) -> Result<Decimal> {
    match &component.cap_per_term {
        Some(cap) => Ok(earned.min(ev.eval_decimal(cap, None)?)),
        None => Ok(earned),
    }
}

/// A band with its bounds in credit (the tier measure's bounds times the divisor).
#[derive(Debug, Clone, Copy)]
struct CreditBand {
    lower: Option<Decimal>,
    upper: Option<Decimal>,
    value: BandValue,
}

fn scaled_bands(ev: &mut Evaluator<'_>, tiers: &Tiers) -> Result<Vec<CreditBand>> {
    let scale = match &tiers.divisor {
        Some(divisor) => {
            let d = ev.eval_decimal(divisor, None)?;
            if d.is_zero() {
                return Err(EvalError::new("division by zero: the tier measure divides by zero").at(divisor.span).help("the target this attainment divides by is zero; check the quota"));
            }
            Some(d)
        }
        None => None,
    };
    let scale_bound = |b: Option<Decimal>| -> Result<Option<Decimal>> {
        match (b, scale) {
            (Some(b), Some(s)) => Ok(Some(value::mul(b, s)?)),
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
            })
        })
        .collect()
}

fn band_at(bands: &[CreditBand], x: Decimal) -> Option<CreditBand> {
    bands.iter().copied().find(|b| b.lower.is_none_or(|l| x >= l) && b.upper.is_none_or(|u| x < u))
}

fn band_rate(value: BandValue, rate: Option<Decimal>) -> Result<Decimal> {
    match value {
        BandValue::Rate(r) => Ok(r),
        BandValue::Multiplier(m) => value::mul(rate.unwrap_or(Decimal::ZERO), m),
    }
}

/// Earnings of moving the tier position from `from` to `to` across marginal bands:
/// each slice at its band's rate, negative when moving down (a reversal unwinds).
fn marginal(bands: &[CreditBand], from: Decimal, to: Decimal, rate: Option<Decimal>) -> Result<Decimal> {
    let (low, high, sign) = if to >= from { (from, to, Decimal::ONE) } else { (to, from, Decimal::NEGATIVE_ONE) };
    let mut earned = Decimal::ZERO;
    for band in bands {
        let start = band.lower.map_or(low, |l| l.max(low));
        let end = band.upper.map_or(high, |u| u.min(high));
        if end > start {
            let slice = value::sub(end, start)?;
            earned = value::add(earned, value::mul(slice, band_rate(band.value, rate)?)?)?;
        }
    }
    value::mul(earned, sign)
}

/// A spif's earnings to date: each qualifying entry (judged on its original) pays
/// `pay * share` or `pay * credit`; reversals reverse.
fn spif_to_date(ev: &mut Evaluator<'_>, component: &Component, spif: &Spif) -> Result<Decimal> {
    let entries = ev.entries_in_scope(spif.rule, None, false)?;
    let mut by_booking: BTreeMap<usize, Decimal> = BTreeMap::new();
    for entry in entries {
        if entry.original_date < spif.window.0 || entry.original_date > spif.window.1 {
            continue;
        }
        let view = ev.view(entry)?;
        let named = |e: EvalError| e.booking(crate::credit::describe(view.booking));
        if let Some(when) = &spif.when {
            if !ev.eval_bool(when, Some(&view)).map_err(named)? {
                continue;
            }
        }
        let pay = ev.eval_decimal(&spif.pay, Some(&view)).map_err(named)?;
        let earned = match spif.basis {
            SpifBasis::PerBooking => {
                let once = value::mul(pay, entry.share)?;
                if entry.reversal {
                    -once
                } else {
                    once
                }
            }
            SpifBasis::OfCredit => value::mul(pay, entry.amount)?,
        };
        let slot = by_booking.entry(entry.booking).or_insert(Decimal::ZERO);
        *slot = value::add(*slot, earned)?;
    }
    let total = match &component.cap_per_booking {
        Some(cap) => {
            let limit = ev.eval_decimal(cap, None)?;
            value::sum(by_booking.values().map(|v| (*v).min(limit)))?
        }
        None => value::sum(by_booking.values().copied())?,
    };
    term_cap(ev, component, total)
}

/// Section 9: rounded component lines, the total cap, draws, carry, recovery, payout.
fn lines(ev: &mut Evaluator<'_>, plan: &Plan, payee: &Payee, active: &[bool], cumulative: &[Vec<Decimal>]) -> Result<PayeeResult> {
    let digits = plan.currency.minor_units();
    let first_active = active.iter().position(|a| *a);
    let mut result_periods = Vec::with_capacity(plan.periods.len());
    let mut previous_rounded: Vec<Decimal> = vec![Decimal::ZERO; plan.components.len()];
    let mut lines_to_date = Decimal::ZERO;
    let mut cap_to_date = Decimal::ZERO;
    let mut balance = Decimal::ZERO;
    for (i, period) in plan.periods.iter().enumerate() {
        let annotate = |e: EvalError| e.payee(&payee.id).period(period.label);
        let is_active = active.get(i).copied().unwrap_or(false);
        let mut lines = Vec::new();
        let mut total = Decimal::ZERO;
        for (c, component) in plan.components.iter().enumerate() {
            let c_now = cumulative.get(c).and_then(|col| col.get(i)).copied().unwrap_or(Decimal::ZERO);
            let rounded = round(c_now, digits, plan.rounding);
            let before = previous_rounded.get(c).copied().unwrap_or(Decimal::ZERO);
            let line = value::sub(rounded, before).map_err(annotate)?;
            if let Some(slot) = previous_rounded.get_mut(c) {
                *slot = rounded;
            }
            total = value::add(total, line).map_err(annotate)?;
            lines.push(Line { name: component.name.clone(), kind: LineKind::Component, amount: line });
        }
        lines_to_date = value::add(lines_to_date, total).map_err(annotate)?;
        if let Some(cap) = &plan.cap_total {
            let mut cap_line = Decimal::ZERO;
            if is_active {
                ev.set_period(i);
                let limit = round(ev.eval_decimal(cap, None).map_err(annotate)?, digits, plan.rounding);
                let taken = -(value::sub(lines_to_date, limit).map_err(annotate)?.max(Decimal::ZERO));
                cap_line = value::sub(taken, cap_to_date).map_err(annotate)?;
                cap_to_date = taken;
            }
            total = value::add(total, cap_line).map_err(annotate)?;
            lines.push(Line { name: "cap".into(), kind: LineKind::Cap, amount: cap_line });
        }
        let mut draw_line = Decimal::ZERO;
        let mut draw_amount = Decimal::ZERO;
        if let Some(draw) = &plan.draw {
            let in_draw = is_active
                && first_active.is_some_and(|first| i >= first && draw.periods.is_none_or(|n| i < first.saturating_add(n as usize)));
            if in_draw {
                ev.set_period(i);
                let mut amount = ev.eval_decimal(&draw.amount, None).map_err(annotate)?;
                if plan.prorate {
                    let days = Decimal::from(period.end.signed_duration_since(period.start).num_days() + 1);
                    let active_part = Decimal::from(active_days(payee, period.start, period.end));
                    amount = value::div(value::mul(amount, active_part).map_err(annotate)?, days).map_err(annotate)?;
                }
                draw_amount = round(amount, digits, plan.rounding);
                draw_line = value::sub(draw_amount, total).map_err(annotate)?.max(Decimal::ZERO);
            }
            lines.push(Line { name: "draw".into(), kind: LineKind::Draw, amount: draw_line });
        }
        let with_draw = value::add(total, draw_line).map_err(annotate)?;
        let carry = if with_draw < Decimal::ZERO { -with_draw } else { Decimal::ZERO };
        let recovery = if balance > Decimal::ZERO {
            -(balance.min(value::sub(with_draw, draw_amount).map_err(annotate)?.max(Decimal::ZERO)))
        } else {
            Decimal::ZERO
        };
        lines.push(Line { name: "carry".into(), kind: LineKind::Carry, amount: carry });
        lines.push(Line { name: "recovery".into(), kind: LineKind::Recovery, amount: recovery });
        let payout = value::add(value::add(with_draw, carry).map_err(annotate)?, recovery).map_err(annotate)?;
        lines.push(Line { name: "payout".into(), kind: LineKind::Payout, amount: payout });
        let recoverable = if plan.draw.as_ref().is_some_and(|d| d.kind == DrawKind::Recoverable) { draw_line } else { Decimal::ZERO };
        balance = value::add(value::add(value::add(balance, recoverable).map_err(annotate)?, carry).map_err(annotate)?, recovery).map_err(annotate)?;
        for line in &mut lines {
            if line.amount.is_zero() {
                line.amount = Decimal::ZERO;
            }
        }
        result_periods.push(PeriodLines { period: period.label.to_string(), lines });
    }
    Ok(PayeeResult { id: payee.id.clone(), name: payee.name.clone(), periods: result_periods, balance })
}
