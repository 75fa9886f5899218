//! Writing a run's results: `csv`, `json` and the terminal `table` (cli.md). Shared by
//! the command line and the browser build, so both print the same bytes.

pub mod html;
pub mod statement;

use payplan_eval::{format_amount, LineKind, Outcome, PayeeResult};
use payplan_ir::Plan;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::fmt::Write as _;

/// The output formats of `payplan run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// One row per line.
    Csv,
    /// One JSON document.
    Json,
}

/// Renders an outcome in a format; `period` keeps one period's rows only.
pub fn render(format: Format, plan: &Plan, outcome: &Outcome, period: Option<&str>) -> String {
    match format {
        Format::Csv => csv(plan, outcome, period),
        Format::Json => json(plan, outcome, period),
        Format::Table => table(plan, outcome, period),
    }
}

/// Whether a line is printed: carry and recovery only when not zero (cli.md).
fn shown(kind: LineKind, amount: Decimal) -> bool {
    !matches!(kind, LineKind::Carry | LineKind::Recovery) || !amount.is_zero()
}

fn keep_period(filter: Option<&str>, label: &str) -> bool {
    filter.is_none_or(|f| f == label)
}

/// `payee,period,line,amount,currency` rows.
pub fn csv(plan: &Plan, outcome: &Outcome, period: Option<&str>) -> String {
    let digits = plan.currency.minor_units();
    let mut out = String::from("payee,period,line,amount,currency\n");
    for payee in &outcome.payees {
        for p in payee.periods.iter().filter(|p| keep_period(period, &p.period)) {
            for line in p.lines.iter().filter(|l| shown(l.kind, l.amount)) {
                let _ = writeln!(out, "{},{},{},{},{}", csv_cell(&payee.id), p.period, csv_cell(&line.name), format_amount(line.amount, digits), plan.currency);
            }
        }
    }
    out
}

/// Quotes a cell when RFC 4180 requires it.
fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The JSON document of cli.md; amounts are strings.
pub fn json(plan: &Plan, outcome: &Outcome, period: Option<&str>) -> String {
    let digits = plan.currency.minor_units();
    let periods: Vec<Value> = plan
        .periods
        .iter()
        .filter(|p| keep_period(period, &p.label.to_string()))
        .map(|p| json!({ "label": p.label.to_string(), "start": p.start.to_string(), "end": p.end.to_string() }))
        .collect();
    let payees: Vec<Value> = outcome
        .payees
        .iter()
        .map(|payee| {
            let periods: Vec<Value> = payee
                .periods
                .iter()
                .filter(|p| keep_period(period, &p.period))
                .map(|p| {
                    let lines: Vec<Value> = p
                        .lines
                        .iter()
                        .filter(|l| shown(l.kind, l.amount))
                        .map(|l| json!({ "line": l.name, "amount": format_amount(l.amount, digits) }))
                        .collect();
                    json!({ "period": p.period, "lines": lines })
                })
                .collect();
            json!({ "id": payee.id, "balance": format_amount(payee.balance, digits), "periods": periods })
        })
        .collect();
    let unpaid: Vec<Value> = outcome
        .unpaid
        .iter()
        .map(|u| {
            json!({
                "booking": u.booking, "payee": u.payee, "rule": u.rule, "date": u.date.to_string(),
                "amount": format_amount(payplan_eval::round(u.amount, digits, plan.rounding), digits), "reason": u.reason
            })
        })
        .collect();
    let doc = json!({
        "plan": plan.name,
        "currency": plan.currency.code(),
        "periods": periods,
        "payees": payees,
        "unpaid_credits": unpaid,
        "entries_outside_term": outcome.entries_outside_term,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// `1234567.5` → `1,234,567.50`.
pub fn grouped(amount: Decimal, digits: u32) -> String {
    let plain = format_amount(amount, digits);
    let (sign, unsigned) = plain.strip_prefix('-').map_or(("", plain.as_str()), |rest| ("-", rest));
    let (whole, fraction) = unsigned.split_once('.').map_or((unsigned, None), |(w, f)| (w, Some(f)));
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// How many terminal columns `text` takes: East Asian wide characters count two,
/// combining marks (an NFD accent) and other zero-width characters none.
pub fn display_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` padded with spaces to `width` terminal columns, on the right (`left`) or on
/// the left.
fn pad(text: &str, width: usize, left: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(display_width(text)));
    if left {
        format!("{text}{fill}")
    } else {
        format!("{fill}{text}")
    }
}

/// The balance owed after the period at `index` (0-based, in term order), as the
/// engine's ledger left it (zero past the term).
pub fn balance_after(payee: &PayeeResult, index: usize) -> Decimal {
    payee.periods.get(index).map_or(Decimal::ZERO, |p| p.balance_after)
}

/// Payees down, periods across, with totals and an unpaid credit summary.
///
/// With `period`, only that period's column shows; a payee's `balance owed` row then
/// holds the balance owed at the end of that period (not at term end), and the unpaid
/// credit summary counts the entries dated in that period only.
pub fn table(plan: &Plan, outcome: &Outcome, period: Option<&str>) -> String {
    let digits = plan.currency.minor_units();
    let labels: Vec<String> = plan.periods.iter().map(|p| p.label.to_string()).filter(|l| keep_period(period, l)).collect();
    let show_total = period.is_none();
    // The one period shown, with its place in the term.
    let chosen = period.and_then(|label| plan.periods.iter().enumerate().find(|(_, p)| p.label.to_string() == label));
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut header = vec!["payee".to_string(), "line".to_string()];
    header.extend(labels.iter().cloned());
    if show_total {
        header.push("total".into());
    }
    rows.push(header);
    let mut grand: Vec<Decimal> = vec![Decimal::ZERO; labels.len() + 1];
    for payee in &outcome.payees {
        let Some(first) = payee.periods.first() else { continue };
        let line_names: Vec<(String, LineKind)> = first.lines.iter().map(|l| (l.name.clone(), l.kind)).collect();
        let mut first_row = true;
        for (name, kind) in line_names {
            let amounts: Vec<Decimal> = payee
                .periods
                .iter()
                .filter(|p| keep_period(period, &p.period))
                .map(|p| p.lines.iter().find(|l| l.name == name && l.kind == kind).map_or(Decimal::ZERO, |l| l.amount))
                .collect();
            let total: Decimal = amounts.iter().fold(Decimal::ZERO, |a, b| a.checked_add(*b).unwrap_or(a));
            if matches!(kind, LineKind::Carry | LineKind::Recovery) && amounts.iter().all(|a| a.is_zero()) {
                continue;
            }
            if kind == LineKind::Payout {
                for (slot, amount) in grand.iter_mut().zip(amounts.iter().chain(std::iter::once(&total))) {
                    *slot = slot.checked_add(*amount).unwrap_or(*slot);
                }
            }
            let mut row = vec![if first_row { payee.id.clone() } else { String::new() }, name];
            row.extend(amounts.iter().map(|a| grouped(*a, digits)));
            if show_total {
                row.push(grouped(total, digits));
            }
            rows.push(row);
            first_row = false;
        }
        match chosen {
            // The term-end balance, under `total`.
            None if show_total && !payee.balance.is_zero() => {
                let mut row = vec![String::new(), "balance owed".into()];
                row.extend(labels.iter().map(|_| String::new()));
                row.push(grouped(payee.balance, digits));
                rows.push(row);
            }
            // The balance at the end of the period shown, under it.
            Some((index, _)) => {
                let balance = balance_after(payee, index);
                if !balance.is_zero() {
                    rows.push(vec![String::new(), "balance owed".into(), grouped(balance, digits)]);
                }
            }
            None => {}
        }
    }
    let mut total_row = vec!["all payees".to_string(), "payout".to_string()];
    total_row.extend(grand.iter().take(labels.len()).map(|a| grouped(*a, digits)));
    if show_total {
        total_row.push(grouped(grand.last().copied().unwrap_or_default(), digits));
    }
    rows.push(total_row);

    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns).map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| display_width(s)).max().unwrap_or(0)).collect();
    let mut out = format!("{} ({}, {} periods)\n\n", plan.name, plan.currency, plan.period_kind.keyword());
    let last_row = rows.len().saturating_sub(1);
    for (r, row) in rows.iter().enumerate() {
        if r == last_row {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            let _ = writeln!(out, "{}", rule.join("  "));
        }
        let cells: Vec<String> = row.iter().enumerate().map(|(c, cell)| pad(cell, widths.get(c).copied().unwrap_or(0), c < 2)).collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
        if r == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            let _ = writeln!(out, "{}", rule.join("  "));
        }
    }
    // With `--period`, the unpaid credit dated in that period only.
    let unpaid: Vec<&payplan_eval::UnpaidCredit> = match chosen {
        Some((_, p)) => outcome.unpaid.iter().filter(|u| p.start <= u.date && u.date <= p.end).collect(),
        None => outcome.unpaid.iter().collect(),
    };
    if !unpaid.is_empty() {
        // Each unpaid amount holds the minor digits (the engine checks); a total that
        // cannot is left out rather than shown with fewer.
        let total = unpaid.iter().try_fold(Decimal::ZERO, |a, u| a.checked_add(u.amount)).and_then(|t| payplan_eval::round_exact(t, digits, plan.rounding));
        let amount = total.map(|t| format!(", {} {}", grouped(t, digits), plan.currency)).unwrap_or_default();
        let dated = chosen.map(|(_, p)| format!(" dated in {}", p.label)).unwrap_or_default();
        let entries = if unpaid.len() == 1 { "entry" } else { "entries" };
        let _ = writeln!(out, "\nunpaid credit{dated}: {} {entries}{amount} (not eligible or outside active dates; `--format json` lists them)", unpaid.len());
    }
    if outcome.entries_outside_term > 0 {
        let _ = writeln!(out, "credit entries dated outside the term, not paid: {}", outcome.entries_outside_term);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn groups_thousands() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(grouped(d("1234567.5"), 2), "1,234,567.50");
        assert_eq!(grouped(d("-1000"), 2), "-1,000.00");
        assert_eq!(grouped(d("999"), 0), "999");
    }
}
