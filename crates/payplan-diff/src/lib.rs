//! `payplan diff`: what a plan change does to every payee's payouts.
//!
//! Both plans run on the same facts; [`compare`] lines their results up per payee,
//! period and line (each component, `cap`, `draw`, `carry`, `recovery`, `payout`) with
//! the old amount, the new amount and the delta, and adds what a reviewer asks first:
//! the totals per line, the payees whose payout moves most, the lines whose term total
//! changes sign, and the caps that start or stop binding. [`render`] writes the report
//! as a terminal table, Markdown (for a pull-request comment), CSV or JSON (amounts as
//! strings).
//!
//! A payee eligible under one plan only is compared with zero lines on the other side.
//! Periods are matched by label; the two plans must pay in the same currency.

use payplan_eval::trace::PayeeTrace;
use payplan_eval::{format_amount, LineKind, Outcome};
use payplan_ir::Plan;
use payplan_output::grouped;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// How many payees the "biggest movers" list shows.
pub const MOVERS: usize = 10;
/// Above this many changed rows, Markdown folds the detail table.
const MARKDOWN_FOLD: usize = 40;

/// One side of the comparison: a plan, where it came from, and its run.
pub struct Side<'a> {
    /// The plan file as given.
    pub file: String,
    /// The checked plan.
    pub plan: &'a Plan,
    /// Its results.
    pub outcome: &'a Outcome,
    /// The trace of every payee in `outcome.payees`, in the same order.
    pub traces: &'a [PayeeTrace],
}

/// One payee, period and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Payee id.
    pub payee: String,
    /// Period label.
    pub period: String,
    /// Line name.
    pub line: String,
    /// The old plan's amount (zero when it has no such line).
    pub old: Decimal,
    /// The new plan's amount.
    pub new: Decimal,
}

impl Row {
    /// `new - old`.
    pub fn delta(&self) -> Decimal {
        self.new.checked_sub(self.old).unwrap_or_default()
    }
}

/// Old, new and delta of one total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Total {
    /// What is totalled: a payee id or a line name.
    pub name: String,
    /// Old.
    pub old: Decimal,
    /// New.
    pub new: Decimal,
}

impl Total {
    /// `new - old`.
    pub fn delta(&self) -> Decimal {
        self.new.checked_sub(self.old).unwrap_or_default()
    }
}

/// A line whose term total changes sign (including to or from zero).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignChange {
    /// Payee id.
    pub payee: String,
    /// Line name.
    pub line: String,
    /// Old term total.
    pub old: Decimal,
    /// New term total.
    pub new: Decimal,
}

/// A cap that binds under one plan and not the other, for one payee and period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapCrossing {
    /// Payee id.
    pub payee: String,
    /// Period label.
    pub period: String,
    /// Which cap: `cap total`, or `COMPONENT per booking|period|term`.
    pub cap: String,
    /// What it took under the old plan (zero: it did not bind).
    pub old: Decimal,
    /// What it takes under the new plan.
    pub new: Decimal,
}

/// The comparison of two plans' results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Old plan file.
    pub old_file: String,
    /// New plan file.
    pub new_file: String,
    /// Old plan name.
    pub old_name: String,
    /// New plan name.
    pub new_name: String,
    /// The currency code.
    pub currency: String,
    /// Its minor digits.
    pub digits: u32,
    /// Every row, by payee, period, then line order.
    pub rows: Vec<Row>,
    /// Per line name, term totals over all payees (`payout` last).
    pub line_totals: Vec<Total>,
    /// Per payee, the payout over the term.
    pub payees: Vec<Total>,
    /// The payees whose payout over the term moves most, biggest first (non-zero only).
    pub movers: Vec<Total>,
    /// Lines whose term total changes sign.
    pub sign_changes: Vec<SignChange>,
    /// Caps that start or stop binding.
    pub cap_crossings: Vec<CapCrossing>,
    /// Payees eligible under the old plan only.
    pub only_old: Vec<String>,
    /// Payees eligible under the new plan only.
    pub only_new: Vec<String>,
}

/// Amounts per (payee, period, line), and the order of things.
struct Lines {
    amounts: BTreeMap<(String, String, String), Decimal>,
    periods: Vec<String>,
    /// Line names in output order.
    lines: Vec<(String, LineKind)>,
}

fn lines_of(side: &Side<'_>) -> Lines {
    let mut amounts = BTreeMap::new();
    let periods: Vec<String> = side.plan.periods.iter().map(|p| p.label.to_string()).collect();
    let mut lines: Vec<(String, LineKind)> = Vec::new();
    for payee in &side.outcome.payees {
        for period in &payee.periods {
            for line in &period.lines {
                if !lines.iter().any(|(n, _)| *n == line.name) {
                    lines.push((line.name.clone(), line.kind));
                }
                amounts.insert((payee.id.to_string(), period.period.clone(), line.name.clone()), line.amount);
            }
        }
    }
    Lines { amounts, periods, lines }
}

/// Caps that bound in each (payee, period): name → what it took (negative or zero).
fn caps_of(side: &Side<'_>) -> BTreeMap<(String, String, String), Decimal> {
    let mut caps = BTreeMap::new();
    for (payee, trace) in side.outcome.payees.iter().zip(side.traces) {
        for p in &trace.periods {
            let mut put = |name: String, taken: Decimal| {
                if !taken.is_zero() {
                    caps.insert((payee.id.to_string(), p.period.clone(), name), taken);
                }
            };
            if let Some(cap) = &p.cap_total {
                put("cap total".to_string(), cap.line);
            }
            for c in &p.components {
                if let Some(part) = &c.part {
                    let removed: Decimal = part.bookings.iter().map(|b| b.kept.checked_sub(b.earned).unwrap_or_default()).sum();
                    if part.booking_cap.is_some() {
                        put(format!("{} per booking", c.name), removed);
                    }
                    if let Some(term) = &part.term_cap {
                        put(format!("{} per term", c.name), -term.removed);
                    }
                }
                if let Some(term) = c.bonus.as_ref().and_then(|b| b.term_cap.as_ref()).or(c.term_cap.as_ref()) {
                    put(format!("{} per term", c.name), -term.removed);
                }
                if let Some(period) = &c.period_cap {
                    put(format!("{} per period", c.name), -period.forfeited.abs());
                }
            }
        }
    }
    caps
}

fn sign(x: Decimal) -> i8 {
    if x.is_zero() {
        0
    } else if x.is_sign_negative() {
        -1
    } else {
        1
    }
}

/// Compares the results of two plans run on the same facts.
pub fn compare(old: &Side<'_>, new: &Side<'_>) -> Report {
    let (o, n) = (lines_of(old), lines_of(new));
    let old_ids: BTreeSet<String> = old.outcome.payees.iter().map(|p| p.id.to_string()).collect();
    let new_ids: BTreeSet<String> = new.outcome.payees.iter().map(|p| p.id.to_string()).collect();
    let ids: BTreeSet<&String> = old_ids.union(&new_ids).collect();
    let mut periods = n.periods.clone();
    for p in &o.periods {
        if !periods.contains(p) {
            periods.push(p.clone());
        }
    }
    // Components first (new order, then old-only), then the fixed lines in spec order.
    let fixed = ["cap", "draw", "carry", "recovery", "payout"];
    let mut line_names: Vec<String> = Vec::new();
    for (name, kind) in n.lines.iter().chain(&o.lines) {
        if *kind == LineKind::Component && !line_names.contains(name) {
            line_names.push(name.clone());
        }
    }
    for name in fixed {
        if n.lines.iter().chain(&o.lines).any(|(n, _)| n == name) {
            line_names.push(name.to_string());
        }
    }
    let mut rows = Vec::new();
    for id in &ids {
        for period in &periods {
            for line in &line_names {
                let key = ((*id).clone(), period.clone(), line.clone());
                let (a, b) = (o.amounts.get(&key), n.amounts.get(&key));
                if a.is_none() && b.is_none() {
                    continue;
                }
                let (a, b) = (a.copied().unwrap_or_default(), b.copied().unwrap_or_default());
                if (line == "carry" || line == "recovery") && a.is_zero() && b.is_zero() {
                    continue;
                }
                rows.push(Row { payee: (*id).clone(), period: period.clone(), line: line.clone(), old: a, new: b });
            }
        }
    }
    let total = |name: &str, filter: &dyn Fn(&Row) -> bool| Total {
        name: name.to_string(),
        old: rows.iter().filter(|r| filter(r)).map(|r| r.old).sum(),
        new: rows.iter().filter(|r| filter(r)).map(|r| r.new).sum(),
    };
    let line_totals: Vec<Total> = line_names.iter().map(|l| total(l, &|r: &Row| r.line == *l)).collect();
    let payees: Vec<Total> = ids.iter().map(|id| total(id, &|r: &Row| r.payee == **id && r.line == "payout")).collect();
    let mut movers: Vec<Total> = payees.iter().filter(|t| !t.delta().is_zero()).cloned().collect();
    movers.sort_by(|a, b| b.delta().abs().cmp(&a.delta().abs()).then_with(|| a.name.cmp(&b.name)));
    movers.truncate(MOVERS);
    let mut sign_changes = Vec::new();
    for id in &ids {
        for line in &line_names {
            let t = total(line, &|r: &Row| r.payee == **id && r.line == *line);
            if sign(t.old) != sign(t.new) {
                sign_changes.push(SignChange { payee: (*id).clone(), line: line.clone(), old: t.old, new: t.new });
            }
        }
    }
    let (old_caps, new_caps) = (caps_of(old), caps_of(new));
    let mut cap_keys: Vec<&(String, String, String)> = old_caps.keys().chain(new_caps.keys()).collect::<BTreeSet<_>>().into_iter().collect();
    let period_index = |p: &str| periods.iter().position(|x| x == p).unwrap_or(usize::MAX);
    cap_keys.sort_by_key(|(payee, period, cap)| (payee.clone(), period_index(period), cap.clone()));
    let cap_crossings = cap_keys
        .into_iter()
        .filter(|k| old_caps.contains_key(*k) != new_caps.contains_key(*k))
        .map(|k| CapCrossing {
            payee: k.0.clone(),
            period: k.1.clone(),
            cap: k.2.clone(),
            old: old_caps.get(k).copied().unwrap_or_default(),
            new: new_caps.get(k).copied().unwrap_or_default(),
        })
        .collect();
    Report {
        old_file: old.file.clone(),
        new_file: new.file.clone(),
        old_name: old.plan.name.clone(),
        new_name: new.plan.name.clone(),
        currency: new.plan.currency.code().to_string(),
        digits: new.plan.currency.minor_units(),
        rows,
        line_totals,
        payees,
        movers,
        sign_changes,
        cap_crossings,
        only_old: old_ids.difference(&new_ids).cloned().collect(),
        only_new: new_ids.difference(&old_ids).cloned().collect(),
    }
}

/// The report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// Markdown for a pull-request comment.
    Markdown,
    /// One row per payee, period and line.
    Csv,
    /// One JSON document, amounts as strings.
    Json,
}

/// The report in `format`.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Table => table(report),
        Format::Markdown => markdown(report),
        Format::Csv => csv(report),
        Format::Json => json(report),
    }
}

impl Report {
    fn amount(&self, x: Decimal) -> String {
        grouped(x, self.digits)
    }

    fn signed(&self, x: Decimal) -> String {
        let text = grouped(x, self.digits);
        if x > Decimal::ZERO {
            format!("+{text}")
        } else {
            text
        }
    }

    fn plain(&self, x: Decimal) -> String {
        format_amount(x, self.digits)
    }

    /// Rows whose amount changed.
    pub fn changed_rows(&self) -> Vec<&Row> {
        self.rows.iter().filter(|r| r.old != r.new).collect()
    }

    /// The payout over the term, all payees.
    pub fn payout(&self) -> Total {
        self.line_totals.iter().find(|t| t.name == "payout").cloned().unwrap_or(Total { name: "payout".into(), old: Decimal::ZERO, new: Decimal::ZERO })
    }

    fn percent(&self, total: &Total) -> String {
        if total.old.is_zero() {
            return String::new();
        }
        let p = total.delta().checked_div(total.old.abs()).and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED)).unwrap_or_default().round_dp(2);
        if p > Decimal::ZERO {
            format!(" (+{p}%)")
        } else {
            format!(" ({p}%)")
        }
    }

    fn cap_text(&self, c: &CapCrossing) -> String {
        match (c.old.is_zero(), c.new.is_zero()) {
            (true, false) => format!("binds under the new plan only (takes {})", self.amount(c.new)),
            (false, true) => format!("no longer binds (took {} under the old plan)", self.amount(c.old)),
            _ => "binds under both".to_string(),
        }
    }

    fn changed_payees(&self) -> usize {
        self.payees.iter().filter(|p| !p.delta().is_zero()).count()
    }
}

/// Aligned columns: `rows` of cells, numbers (all but the first `left` columns)
/// right-aligned.
fn columns(header: &[&str], rows: &[Vec<String>], left: usize, indent: &str) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let parts: Vec<String> =
            cells.iter().zip(&widths).enumerate().map(|(i, (c, w))| if i < left { format!("{c:<w$}") } else { format!("{c:>w$}") }).collect();
        format!("{indent}{}", parts.join("  ").trim_end())
    };
    let mut out = line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    out.push('\n');
    out.push_str(&line(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>()));
    out.push('\n');
    for row in rows {
        out.push_str(&line(row));
        out.push('\n');
    }
    out
}

fn table(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "payplan diff ({})", r.currency);
    let _ = writeln!(out, "  old: {} ({})", r.old_file, r.old_name);
    let _ = writeln!(out, "  new: {} ({})", r.new_file, r.new_name);
    let payout = r.payout();
    let changed = r.changed_rows();
    let _ = writeln!(out);
    if changed.is_empty() && r.only_old.is_empty() && r.only_new.is_empty() {
        let _ = writeln!(out, "no payout changes: every line of every payee is the same ({} payees, total payout {})", r.payees.len(), r.amount(payout.new));
        return out;
    }
    let _ = writeln!(out, "total payout: {} -> {}, {}{}", r.amount(payout.old), r.amount(payout.new), r.signed(payout.delta()), r.percent(&payout));
    let _ = writeln!(out, "payees whose payout changes: {} of {}", r.changed_payees(), r.payees.len());
    for (ids, what) in [(&r.only_old, "on the old plan only"), (&r.only_new, "on the new plan only")] {
        if !ids.is_empty() {
            let _ = writeln!(out, "payees {what}: {}", ids.join(", "));
        }
    }
    let _ = writeln!(out, "\ntotals by line:");
    let rows: Vec<Vec<String>> = r.line_totals.iter().map(|t| vec![t.name.clone(), r.amount(t.old), r.amount(t.new), r.signed(t.delta())]).collect();
    out.push_str(&columns(&["line", "old", "new", "delta"], &rows, 1, "  "));
    if !r.movers.is_empty() {
        let _ = writeln!(out, "\nbiggest movers (payout over the term):");
        let rows: Vec<Vec<String>> = r.movers.iter().map(|t| vec![t.name.clone(), r.amount(t.old), r.amount(t.new), r.signed(t.delta())]).collect();
        out.push_str(&columns(&["payee", "old", "new", "delta"], &rows, 1, "  "));
    }
    if !r.sign_changes.is_empty() {
        let _ = writeln!(out, "\nterm totals that change sign:");
        let rows: Vec<Vec<String>> = r.sign_changes.iter().map(|s| vec![s.payee.clone(), s.line.clone(), r.amount(s.old), r.amount(s.new)]).collect();
        out.push_str(&columns(&["payee", "line", "old", "new"], &rows, 2, "  "));
    }
    if !r.cap_crossings.is_empty() {
        let _ = writeln!(out, "\ncaps that start or stop binding:");
        for c in &r.cap_crossings {
            let _ = writeln!(out, "  {} {} {}: {}", c.payee, c.period, c.cap, r.cap_text(c));
        }
    }
    let _ = writeln!(out, "\nchanges by payee and period ({} changed rows of {}):", changed.len(), r.rows.len());
    let rows: Vec<Vec<String>> =
        changed.iter().map(|x| vec![x.payee.clone(), x.period.clone(), x.line.clone(), r.amount(x.old), r.amount(x.new), r.signed(x.delta())]).collect();
    out.push_str(&columns(&["payee", "period", "line", "old", "new", "delta"], &rows, 3, "  "));
    out
}

/// A Markdown table cell: pipes escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn md_table(out: &mut String, header: &[&str], rows: &[Vec<String>], left: usize) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let align: Vec<&str> = (0..header.len()).map(|i| if i < left { "---" } else { "---:" }).collect();
    let _ = writeln!(out, "| {} |", align.join(" | "));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
}

fn markdown(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### payplan diff: `{}` → `{}`\n", cell(&r.old_file), cell(&r.new_file));
    let payout = r.payout();
    let changed = r.changed_rows();
    if changed.is_empty() && r.only_old.is_empty() && r.only_new.is_empty() {
        let _ = writeln!(
            out,
            "No payout changes: every line of every payee is the same ({} payees, total payout {} {}).",
            r.payees.len(),
            r.amount(payout.new),
            r.currency
        );
        return out;
    }
    let _ = writeln!(
        out,
        "**Total payout:** {} → {} {} (**{}**{}). Payees whose payout changes: **{}** of {}.\n",
        r.amount(payout.old),
        r.amount(payout.new),
        r.currency,
        r.signed(payout.delta()),
        r.percent(&payout),
        r.changed_payees(),
        r.payees.len()
    );
    for (ids, what) in [(&r.only_old, "on the old plan only"), (&r.only_new, "on the new plan only")] {
        if !ids.is_empty() {
            let _ = writeln!(out, "Payees {what}: {}.\n", ids.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", "));
        }
    }
    let _ = writeln!(out, "#### Totals by line ({})\n", r.currency);
    let rows: Vec<Vec<String>> = r.line_totals.iter().map(|t| vec![format!("`{}`", t.name), r.amount(t.old), r.amount(t.new), r.signed(t.delta())]).collect();
    md_table(&mut out, &["line", "old", "new", "delta"], &rows, 1);
    if !r.movers.is_empty() {
        let _ = writeln!(out, "\n#### Biggest movers (payout over the term)\n");
        let rows: Vec<Vec<String>> = r.movers.iter().map(|t| vec![format!("`{}`", t.name), r.amount(t.old), r.amount(t.new), r.signed(t.delta())]).collect();
        md_table(&mut out, &["payee", "old", "new", "delta"], &rows, 1);
    }
    if !r.sign_changes.is_empty() {
        let _ = writeln!(out, "\n#### Term totals that change sign\n");
        let rows: Vec<Vec<String>> =
            r.sign_changes.iter().map(|s| vec![format!("`{}`", s.payee), format!("`{}`", s.line), r.amount(s.old), r.amount(s.new)]).collect();
        md_table(&mut out, &["payee", "line", "old", "new"], &rows, 2);
    }
    if !r.cap_crossings.is_empty() {
        let _ = writeln!(out, "\n#### Caps that start or stop binding\n");
        for c in &r.cap_crossings {
            let _ = writeln!(out, "- `{}` {} `{}`: {}", c.payee, c.period, c.cap, r.cap_text(c));
        }
    }
    let _ = writeln!(out);
    let rows: Vec<Vec<String>> = changed
        .iter()
        .map(|x| vec![format!("`{}`", x.payee), x.period.clone(), format!("`{}`", x.line), r.amount(x.old), r.amount(x.new), r.signed(x.delta())])
        .collect();
    let fold = rows.len() > MARKDOWN_FOLD;
    if fold {
        let _ = writeln!(out, "<details><summary>Changes by payee and period ({} changed rows of {})</summary>\n", changed.len(), r.rows.len());
    } else {
        let _ = writeln!(out, "#### Changes by payee and period ({} changed rows of {})\n", changed.len(), r.rows.len());
    }
    md_table(&mut out, &["payee", "period", "line", "old", "new", "delta"], &rows, 3);
    if fold {
        let _ = writeln!(out, "\n</details>");
    }
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn csv(r: &Report) -> String {
    let mut out = String::from("payee,period,line,old,new,delta,currency\n");
    for x in &r.rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{}",
            csv_field(&x.payee),
            csv_field(&x.period),
            csv_field(&x.line),
            r.plain(x.old),
            r.plain(x.new),
            r.plain(x.delta()),
            r.currency
        );
    }
    out
}

fn json(r: &Report) -> String {
    let total = |t: &Total| json!({ "old": r.plain(t.old), "new": r.plain(t.new), "delta": r.plain(t.delta()) });
    let named = |t: &Total, key: &str| {
        let mut v = total(t);
        if let Some(map) = v.as_object_mut() {
            map.insert(key.to_string(), json!(t.name));
        }
        v
    };
    let doc = json!({
        "old": { "file": r.old_file, "plan": r.old_name },
        "new": { "file": r.new_file, "plan": r.new_name },
        "currency": r.currency,
        "total_payout": total(&r.payout()),
        "line_totals": r.line_totals.iter().map(|t| named(t, "line")).collect::<Vec<_>>(),
        "payees": r.payees.iter().map(|t| named(t, "payee")).collect::<Vec<_>>(),
        "movers": r.movers.iter().map(|t| named(t, "payee")).collect::<Vec<_>>(),
        "sign_changes": r.sign_changes.iter().map(|s| json!({ "payee": s.payee, "line": s.line, "old": r.plain(s.old), "new": r.plain(s.new) })).collect::<Vec<_>>(),
        "cap_crossings": r.cap_crossings.iter().map(|c| json!({ "payee": c.payee, "period": c.period, "cap": c.cap, "old": r.plain(c.old), "new": r.plain(c.new) })).collect::<Vec<_>>(),
        "only_old": r.only_old,
        "only_new": r.only_new,
        "rows": r.rows.iter().map(|x| json!({ "payee": x.payee, "period": x.period, "line": x.line, "old": r.plain(x.old), "new": r.plain(x.new), "delta": r.plain(x.delta()) })).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
