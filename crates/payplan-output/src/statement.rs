//! A payee's statement: every line of every period, then how it was reached, in plain
//! words and aligned figures, from the engine's trace. Text for people, JSON for
//! programs and the browser.

use crate::grouped;
use payplan_eval::trace::{ComponentTrace, EntryTrace, Part, PayeeTrace, PeriodTrace};
use payplan_eval::{format_amount, LineKind, PayeeResult, UnpaidCredit};
use payplan_ir::Plan;
use rust_decimal::Decimal;
use serde_json::json;
use std::fmt::Write as _;

/// Width of the label column before right-aligned figures.
const FIGURE_COLUMN: usize = 88;

/// An exact amount, grouped, with at least the currency's minor digits; a value with
/// more than 12 decimals is shown to 12 and marked `…`.
fn exact(amount: Decimal, digits: u32) -> String {
    let normalized = amount.normalize();
    if normalized.scale() <= digits {
        return grouped(amount, digits);
    }
    let shown = normalized.round_dp(12).normalize();
    let text = grouped(shown, shown.scale().max(digits));
    if shown == normalized {
        text
    } else {
        format!("{text}…")
    }
}

/// A rate as a percent: 0.125 → `12.5%` (exact up to 10 decimals, then `…`).
pub fn percent(rate: Decimal) -> String {
    let p = (rate * Decimal::ONE_HUNDRED).normalize();
    if p.scale() > 10 {
        format!("{}…%", p.round_dp(10).normalize())
    } else {
        format!("{p}%")
    }
}

fn line_with_figure(out: &mut String, indent: usize, label: &str, figure: &str) {
    let left = format!("{:indent$}{label}", "");
    let width = FIGURE_COLUMN.saturating_sub(left.chars().count()).max(figure.chars().count() + 2);
    let _ = writeln!(out, "{left}{figure:>width$}");
}

/// The statement as text.
pub fn text(plan: &Plan, result: &PayeeResult, trace: &PayeeTrace, unpaid: &[UnpaidCredit], period: Option<&str>) -> String {
    let digits = plan.currency.minor_units();
    let cur = plan.currency.code();
    let mut out = String::new();
    let who = match &trace.name {
        Some(name) => format!("{} ({name})", trace.payee),
        None => trace.payee.clone(),
    };
    let _ = writeln!(out, "Statement for {who}");
    let _ = writeln!(out, "{}: {} to {}, {} periods, amounts in {cur}", plan.name, plan.term_start, plan.term_end, plan.period_kind.keyword());
    for (lines, p) in result.periods.iter().zip(&trace.periods) {
        if period.is_some_and(|wanted| wanted != p.period) {
            continue;
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "{} ({} to {})", p.period, p.start, p.end);
        if !p.evaluated {
            let _ = writeln!(out, "  not on the plan in this period (outside the active dates): every line is 0, nothing is computed");
        }
        for line in lines.lines.iter().filter(|l| !matches!(l.kind, LineKind::Carry | LineKind::Recovery) || !l.amount.is_zero()) {
            line_with_figure(&mut out, 2, &line.name, &grouped(line.amount, digits));
        }
        if !p.evaluated {
            continue;
        }
        let _ = writeln!(out, "  how it was reached:");
        for component in &p.components {
            component_text(&mut out, component, digits, cur);
        }
        period_extras(&mut out, plan, p, digits, cur);
    }
    let _ = writeln!(out);
    line_with_figure(&mut out, 0, "balance owed at term end (reported, not paid)", &grouped(trace.balance, digits));
    if !unpaid.is_empty() {
        let _ = writeln!(out, "\ncredit this plan does not pay you:");
        for u in unpaid {
            line_with_figure(&mut out, 2, &format!("{} {} (rule {}): {}", u.booking, u.date, u.rule, u.reason), &exact(u.amount, digits));
        }
    }
    out
}

fn component_text(out: &mut String, c: &ComponentTrace, digits: u32, cur: &str) {
    let _ = writeln!(out, "  {} ({}):", c.name, c.kind);
    if let Some(part) = &c.part {
        part_text(out, part, digits, cur);
    }
    if let Some(bonus) = &c.bonus {
        let condition = match bonus.when {
            Some(true) => "the condition holds: ",
            Some(false) => "the condition does not hold: ",
            None => "",
        };
        let how = if bonus.per_period { "this period" } else { "once per term, to date" };
        line_with_figure(out, 6, &format!("{condition}pays {how}"), &exact(bonus.pay, digits));
        if let Some(cap) = &bonus.term_cap {
            line_with_figure(out, 6, &format!("term cap {} removes", exact(cap.limit, digits)), &exact(-cap.removed, digits));
        }
    }
    if !c.carried.is_zero() {
        line_with_figure(out, 6, "earned in earlier periods", &exact(c.carried, digits));
    }
    if let Some(cap) = c.term_cap.as_ref().filter(|cap| !cap.removed.is_zero()) {
        line_with_figure(out, 6, &format!("term cap {} removes", exact(cap.limit, digits)), &exact(-cap.removed, digits));
    }
    line_with_figure(out, 6, "earned to date (E)", &exact(c.earned_to_date, digits));
    if let Some(cap) = &c.period_cap {
        line_with_figure(
            out,
            6,
            &format!("period cap {}: change {} limited to", exact(cap.limit, digits), exact(cap.change, digits)),
            &exact(cap.allowed, digits),
        );
        if !cap.forfeited.is_zero() {
            line_with_figure(out, 6, "forfeited", &exact(cap.forfeited, digits));
        }
    }
    line_with_figure(out, 6, &format!("to date after caps {}, rounded", exact(c.cumulative, digits)), &grouped(c.cumulative_rounded, digits));
    line_with_figure(out, 6, "paid in earlier periods", &grouped(-c.paid_before, digits));
    line_with_figure(out, 6, &format!("line {}", c.name), &grouped(c.line, digits));
}

fn entry_text(e: &EntryTrace, digits: u32, cur: &str) -> String {
    let mut s = e.booking.to_string();
    if let Some(a) = &e.account {
        s.push_str(&format!(" {a}"));
    }
    s.push_str(&format!(", {}", e.date));
    if e.reversal {
        s.push_str(" reversal (clawback)");
    }
    if let Some(from) = &e.rolled_up_from {
        s.push_str(&format!(", rolled up from {from}"));
    }
    s.push_str(": ");
    if e.share == Decimal::ONE && e.currency == cur {
        s.push_str(&format!("{} {cur}", exact(e.credit, digits)));
        return s;
    }
    if e.share != Decimal::ONE {
        s.push_str(&format!("{} split of ", percent(e.share)));
        let whole = if e.share.is_zero() { e.original_amount } else { e.original_amount.checked_div(e.share).unwrap_or(e.original_amount) };
        s.push_str(&format!("{} {}", exact(whole, digits), e.currency));
    } else {
        s.push_str(&format!("{} {}", exact(e.original_amount, digits), e.currency));
    }
    if e.currency != cur {
        s.push_str(&format!(" at {} ({})", e.fx_rate.normalize(), e.fx_date));
    }
    s.push_str(&format!(" = {} {cur}", exact(e.credit, digits)));
    s
}

fn part_text(out: &mut String, part: &Part, digits: u32, cur: &str) {
    if let Some(t) = &part.tiers {
        let divisor = t.divisor.map(|d| format!(", {} = credit / {}", t.measure, exact(d, digits))).unwrap_or_default();
        let _ = writeln!(out, "      {} tiers by {}{divisor}:", t.mode, t.measure);
        for b in &t.bands {
            let range = match (b.from, b.to) {
                (None, Some(u)) => format!("credit below {}", exact(u, digits)),
                (Some(f), Some(u)) => format!("credit from {} to {}", exact(f, digits), exact(u, digits)),
                (Some(f), None) => format!("credit from {} up", exact(f, digits)),
                (None, None) => "all credit".to_string(),
            };
            let value = if b.value_kind == "rate" { percent(b.value) } else { format!("{}x the rate", b.value.normalize()) };
            let _ = writeln!(out, "        {}: {range}: {value}", b.label);
        }
        if let Some(band) = &t.band_reached {
            let _ = writeln!(out, "        the credit to date falls in `{band}`: every entry is paid at its rate");
        }
    }
    if part.entries.is_empty() {
        let _ = writeln!(out, "      no credit from {} to {}", part.from, part.to);
    }
    for e in &part.entries {
        let _ = writeln!(out, "      {}", entry_text(e, digits, cur));
        if e.slices.is_empty() {
            let how = match (e.rate, e.spif_pay) {
                (Some(r), _) => format!("at {}", percent(r)),
                (None, Some(pay)) => format!("spif pay {}", exact(pay, digits)),
                (None, None) => String::new(),
            };
            line_with_figure(out, 8, &how, &exact(e.earned, digits));
        }
        for s in &e.slices {
            line_with_figure(out, 8, &format!("{} in `{}` at {}", exact(s.amount, digits), s.band, percent(s.rate)), &exact(s.earned, digits));
        }
    }
    if let Some(cap) = part.booking_cap {
        for b in part.bookings.iter().filter(|b| b.kept != b.earned) {
            line_with_figure(
                out,
                6,
                &format!("{} earned {}, per-booking cap {} keeps", b.booking, exact(b.earned, digits), exact(cap, digits)),
                &exact(b.kept, digits),
            );
        }
    }
    line_with_figure(out, 6, "subtotal", &exact(part.subtotal, digits));
    match part.gate {
        Some(false) => line_with_figure(out, 6, "gate closed at the period end: held at", &exact(Decimal::ZERO, digits)),
        Some(true) => {
            let _ = writeln!(out, "      gate open at the period end");
        }
        None => {}
    }
    if let Some(cap) = &part.term_cap {
        if !cap.removed.is_zero() {
            line_with_figure(out, 6, &format!("term cap {} removes", exact(cap.limit, digits)), &exact(-cap.removed, digits));
        }
    }
}

fn period_extras(out: &mut String, plan: &Plan, p: &PeriodTrace, digits: u32, cur: &str) {
    if let Some(cap) = &p.cap_total {
        let _ = writeln!(out, "  cap total {}: component lines to date {}", exact(cap.limit, digits), exact(cap.lines_to_date, digits));
        line_with_figure(
            out,
            4,
            &format!("taken to date {} minus taken before {}", exact(cap.taken_to_date, digits), exact(cap.taken_before, digits)),
            &grouped(cap.line, digits),
        );
    }
    let l = &p.ledger;
    if plan.draw.is_some() || !l.carry.is_zero() || !l.recovery.is_zero() || !l.balance_before.is_zero() {
        let _ = writeln!(out, "  payout: total {} {cur}", grouped(l.total, digits));
        if l.draw_period {
            line_with_figure(out, 4, &format!("draw up to {}", grouped(l.draw_amount, digits)), &grouped(l.draw, digits));
        }
        if !l.carry.is_zero() {
            line_with_figure(out, 4, "carry (a negative total is not taken from you; it is owed)", &grouped(l.carry, digits));
        }
        if !l.recovery.is_zero() {
            line_with_figure(out, 4, &format!("recovery of the balance owed ({})", grouped(l.balance_before, digits)), &grouped(l.recovery, digits));
        }
        line_with_figure(out, 4, "balance owed after this period", &grouped(l.balance_after, digits));
    }
    if !p.measures.is_empty() {
        let _ = writeln!(out, "  measures at {}:", p.end);
        for m in &p.measures {
            let scope = if m.in_period { " (this period)" } else { "" };
            let _ = writeln!(out, "    {} = {}{scope}", m.name, m.value);
        }
    }
    for t in &p.targets {
        let scope = if t.in_period { "this period" } else { "to date" };
        let rows: Vec<String> = t
            .rows
            .iter()
            .map(|r| match &r.prorated {
                Some(pr) => format!("{} {} x {}/{} days = {}", r.period, exact(r.value, digits), pr.active_days, pr.days, exact(pr.value, digits)),
                None => format!("{} {}", r.period, exact(r.value, digits)),
            })
            .collect();
        let _ = writeln!(out, "    {} \"{}\" {scope} = {} ({})", t.kind, t.name, exact(t.value, digits), rows.join(" + "));
    }
}

/// The statement as JSON: the lines, the trace and the unpaid credit.
pub fn json(plan: &Plan, result: &PayeeResult, trace: &PayeeTrace, unpaid: &[UnpaidCredit], period: Option<&str>) -> String {
    let digits = plan.currency.minor_units();
    let keep = |label: &str| period.is_none_or(|p| p == label);
    let periods: Vec<serde_json::Value> = result
        .periods
        .iter()
        .zip(&trace.periods)
        .filter(|(l, _)| keep(&l.period))
        .map(|(lines, t)| {
            let lines: Vec<serde_json::Value> = lines
                .lines
                .iter()
                .filter(|l| !matches!(l.kind, LineKind::Carry | LineKind::Recovery) || !l.amount.is_zero())
                .map(|l| json!({ "line": l.name, "amount": format_amount(l.amount, digits) }))
                .collect();
            json!({ "period": t.period, "lines": lines, "trace": t })
        })
        .collect();
    let unpaid: Vec<serde_json::Value> = unpaid
        .iter()
        .map(|u| json!({ "booking": u.booking, "payee": u.payee, "rule": u.rule, "date": u.date.to_string(), "amount": u.amount, "reason": u.reason }))
        .collect();
    let doc = json!({
        "plan": plan.name,
        "currency": plan.currency.code(),
        "payee": trace.payee,
        "name": trace.name,
        "balance": format_amount(trace.balance, digits),
        "periods": periods,
        "unpaid_credits": unpaid,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
