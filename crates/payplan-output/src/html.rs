//! A printable, self-contained HTML statement per payee (inline CSS and SVG, no
//! scripts, no network), with a chart of the payee's payout curve: earnings against
//! attainment, the tier bands marked, and where the payee stands.

use crate::grouped;
use crate::statement::percent;
use payplan_eval::trace::{BandTrace, ComponentTrace, Part, PayeeTrace};
use payplan_eval::{LineKind, PayeeResult, UnpaidCredit};
use payplan_ir::Plan;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::fmt::Write as _;

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const STYLE: &str = "
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1d2530; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 2px solid #1d2530; }
h3 { font-size: 1rem; margin: 1.2rem 0 .3rem; } .sub { color: #5b6675; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { padding: .25rem .5rem; border-bottom: 1px solid #dde2e8; text-align: left; vertical-align: top; }
th { background: #f3f5f8; font-weight: 600; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.payout td { font-weight: 700; border-top: 2px solid #1d2530; } .muted { color: #5b6675; }
.totals td { font-weight: 600; } figure { margin: 1rem 0; } figcaption { color: #5b6675; font-size: .9rem; }
details { margin: .3rem 0 .8rem; } summary { cursor: pointer; color: #2d5fa8; }
@media print { details { display: block; } details > summary { display: none; } h2 { break-before: page; } .chart { break-inside: avoid; } }
";

/// The statement page.
pub fn page(plan: &Plan, result: &PayeeResult, trace: &PayeeTrace, unpaid: &[UnpaidCredit]) -> String {
    let digits = plan.currency.minor_units();
    let cur = plan.currency.code();
    let who = match &trace.name {
        Some(name) => format!("{name} ({})", trace.payee),
        None => trace.payee.clone(),
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} statement: {}</title><style>{STYLE}</style></head><body>\n",
        esc(&trace.payee),
        esc(&plan.name)
    );
    let _ = writeln!(out, "<h1>Statement for {}</h1>", esc(&who));
    let _ = writeln!(
        out,
        "<p class=\"sub\">{}: {} to {}, paid by {}, amounts in {cur}</p>",
        esc(&plan.name),
        plan.term_start,
        plan.term_end,
        plan.period_kind.keyword()
    );

    // Summary: lines down, periods across.
    let _ = write!(out, "<table class=\"summary\"><thead><tr><th>line</th>");
    for p in &result.periods {
        let _ = write!(out, "<th class=\"n\">{}</th>", esc(&p.period));
    }
    let _ = writeln!(out, "<th class=\"n\">total</th></tr></thead><tbody>");
    if let Some(first) = result.periods.first() {
        for (index, line) in first.lines.iter().enumerate() {
            let amounts: Vec<Decimal> = result.periods.iter().map(|p| p.lines.get(index).map_or(Decimal::ZERO, |l| l.amount)).collect();
            if matches!(line.kind, LineKind::Carry | LineKind::Recovery) && amounts.iter().all(|a| a.is_zero()) {
                continue;
            }
            let class = if line.kind == LineKind::Payout { " class=\"payout\"" } else { "" };
            let _ = write!(out, "<tr{class}><td>{}</td>", esc(&line.name));
            let mut total = Decimal::ZERO;
            for a in &amounts {
                total = total.checked_add(*a).unwrap_or(total);
                let _ = write!(out, "<td class=\"n\">{}</td>", grouped(*a, digits));
            }
            let _ = writeln!(out, "<td class=\"n\">{}</td></tr>", grouped(total, digits));
        }
    }
    let _ = writeln!(out, "</tbody></table>");
    if !trace.balance.is_zero() {
        let _ = writeln!(out, "<p>Balance owed at the end of the term (reported, not paid): <strong>{} {cur}</strong></p>", grouped(trace.balance, digits));
    }

    if let Some(svg) = payout_curve(trace) {
        let _ = writeln!(out, "<figure class=\"chart\">{svg}<figcaption>Payout curve: commission earned for the year against attainment, at the tier rates of the last period on the plan; the dot is where you stand.</figcaption></figure>");
    }

    for (lines, p) in result.periods.iter().zip(&trace.periods) {
        let _ = writeln!(out, "<h2>{} <span class=\"muted\">{} to {}</span></h2>", esc(&p.period), p.start, p.end);
        if !p.evaluated {
            let _ = writeln!(out, "<p class=\"muted\">Not on the plan in this period: every line is 0.</p>");
            continue;
        }
        let _ = writeln!(out, "<table><tbody>");
        for line in lines.lines.iter().filter(|l| !matches!(l.kind, LineKind::Carry | LineKind::Recovery) || !l.amount.is_zero()) {
            let class = if line.kind == LineKind::Payout { " class=\"payout\"" } else { "" };
            let _ = writeln!(out, "<tr{class}><td>{}</td><td class=\"n\">{}</td></tr>", esc(&line.name), grouped(line.amount, digits));
        }
        let _ = writeln!(out, "</tbody></table>");
        for c in &p.components {
            component(&mut out, c, digits, cur);
        }
        if let Some(cap) = &p.cap_total {
            let _ = writeln!(
                out,
                "<p>Total cap {}: component lines to date {}, taken to date {} (before: {}), line <strong>{}</strong>.</p>",
                grouped(cap.limit, digits),
                grouped(cap.lines_to_date, digits),
                grouped(cap.taken_to_date, digits),
                grouped(cap.taken_before, digits),
                grouped(cap.line, digits)
            );
        }
        let l = &p.ledger;
        if plan.draw.is_some() || !l.balance_before.is_zero() || !l.carry.is_zero() {
            let _ = writeln!(
                out,
                "<p>Total {}; draw {} (up to {}); carry {}; recovery {}; payout <strong>{}</strong>; balance owed {} → {}.</p>",
                grouped(l.total, digits),
                grouped(l.draw, digits),
                grouped(l.draw_amount, digits),
                grouped(l.carry, digits),
                grouped(l.recovery, digits),
                grouped(l.payout, digits),
                grouped(l.balance_before, digits),
                grouped(l.balance_after, digits)
            );
        }
        if !p.measures.is_empty() || !p.targets.is_empty() {
            let _ = write!(out, "<p class=\"muted\">At {}: ", p.end);
            let mut facts: Vec<String> = p.measures.iter().map(|m| format!("{} = {}", esc(&m.name), esc(&m.value))).collect();
            facts.extend(
                p.targets
                    .iter()
                    .map(|t| format!("{} “{}” {} = {}", t.kind, esc(&t.name), if t.in_period { "this period" } else { "to date" }, grouped(t.value, digits))),
            );
            let _ = writeln!(out, "{}.</p>", facts.join("; "));
        }
    }
    if !unpaid.is_empty() {
        let _ = writeln!(out, "<h2>Credit this plan does not pay you</h2><table><thead><tr><th>booking</th><th>date</th><th>rule</th><th>reason</th><th class=\"n\">amount</th></tr></thead><tbody>");
        for u in unpaid {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                esc(&u.booking),
                u.date,
                esc(&u.rule),
                esc(&u.reason),
                grouped(payplan_eval::round(u.amount, digits, plan.rounding), digits)
            );
        }
        let _ = writeln!(out, "</tbody></table>");
    }
    let _ = writeln!(out, "</body></html>");
    out
}

fn component(out: &mut String, c: &ComponentTrace, digits: u32, cur: &str) {
    let _ = writeln!(out, "<h3>{} <span class=\"muted\">({})</span></h3>", esc(&c.name), c.kind);
    if let Some(part) = &c.part {
        part_table(out, part, digits, cur);
    }
    if let Some(b) = &c.bonus {
        let when = match b.when {
            Some(true) => "The condition holds: ",
            Some(false) => "The condition does not hold: ",
            None => "",
        };
        let _ = writeln!(out, "<p>{when}pays {} {}.</p>", grouped(b.pay, digits), if b.per_period { "this period" } else { "once per term" });
    }
    let mut steps = Vec::new();
    if !c.carried.is_zero() {
        steps.push(format!("earlier periods {}", grouped(c.carried, digits)));
    }
    if let Some(cap) = c.term_cap.as_ref().filter(|cap| !cap.removed.is_zero()) {
        steps.push(format!("term cap {} removed {}", grouped(cap.limit, digits), exact_short(cap.removed, digits)));
    }
    steps.push(format!("earned to date {}", exact_short(c.earned_to_date, digits)));
    if let Some(cap) = &c.period_cap {
        steps.push(format!(
            "period cap {}: change {} allowed {}",
            grouped(cap.limit, digits),
            exact_short(cap.change, digits),
            exact_short(cap.allowed, digits)
        ));
    }
    steps.push(format!("rounded {}", grouped(c.cumulative_rounded, digits)));
    steps.push(format!("paid before {}", grouped(c.paid_before, digits)));
    let _ = writeln!(out, "<p>{}: line <strong>{}</strong>.</p>", steps.join(", "), grouped(c.line, digits));
}

fn exact_short(amount: Decimal, digits: u32) -> String {
    let n = amount.normalize();
    if n.scale() <= digits {
        grouped(amount, digits)
    } else {
        let r = n.round_dp(6).normalize();
        let text = grouped(r, r.scale().max(digits));
        if r == n {
            text
        } else {
            format!("{text}…")
        }
    }
}

fn part_table(out: &mut String, part: &Part, digits: u32, cur: &str) {
    if part.entries.is_empty() {
        let _ = writeln!(out, "<p class=\"muted\">No credit from {} to {}.</p>", part.from, part.to);
    } else {
        let _ = writeln!(
            out,
            "<details open><summary>{} credit entries</summary><table><thead><tr><th>booking</th><th>date</th><th>credit</th><th>how it earns</th><th class=\"n\">earned</th></tr></thead><tbody>",
            part.entries.len()
        );
        for e in &part.entries {
            let mut credit = String::new();
            if e.share != Decimal::ONE {
                let _ = write!(credit, "{} of ", percent(e.share));
            }
            if e.currency != cur {
                let _ = write!(credit, "{} {} at {} = ", exact_short(e.original_amount, digits), esc(&e.currency), e.fx_rate.normalize());
            }
            let _ = write!(credit, "{} {cur}", exact_short(e.credit, digits));
            if e.reversal {
                credit.push_str(" (clawback)");
            }
            let how: Vec<String> = if e.slices.is_empty() {
                match (e.rate, e.spif_pay) {
                    (Some(r), _) => vec![format!("at {}", percent(r))],
                    (None, Some(p)) => vec![format!("spif {}", exact_short(p, digits))],
                    _ => Vec::new(),
                }
            } else {
                e.slices.iter().map(|s| format!("{} in {} at {}", exact_short(s.amount, digits), esc(&s.band), percent(s.rate))).collect()
            };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{credit}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                esc(&e.booking),
                e.date,
                how.join("<br>"),
                exact_short(e.earned, digits)
            );
        }
        let _ = writeln!(out, "</tbody></table></details>");
    }
    let mut notes = Vec::new();
    if let Some(cap) = part.booking_cap {
        for b in part.bookings.iter().filter(|b| b.kept != b.earned) {
            notes.push(format!("{} capped at {} (earned {})", esc(&b.booking), grouped(cap, digits), exact_short(b.earned, digits)));
        }
    }
    match part.gate {
        Some(false) => notes.push("gate closed: held at 0".into()),
        Some(true) => notes.push("gate open".into()),
        None => {}
    }
    if let Some(cap) = part.term_cap.as_ref().filter(|c| !c.removed.is_zero()) {
        notes.push(format!("term cap {} removed {}", grouped(cap.limit, digits), exact_short(cap.removed, digits)));
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "<p>{}.</p>", notes.join("; "));
    }
}

/// The payout curve of the first commission with a tier table, as inline SVG.
/// Floating point is used for drawing only; every figure printed elsewhere is exact.
fn payout_curve(trace: &PayeeTrace) -> Option<String> {
    let (name, part) = trace.last_tiered_part()?;
    let tiers = part.tiers.as_ref()?;
    let divisor = tiers.divisor.and_then(|d| d.to_f64()).filter(|d| *d > 0.0);
    let credit = part.credit.and_then(|c| c.to_f64()).unwrap_or(0.0);
    // The effective base rate: what each unit of credit earns at 1x, weighted by credit.
    let base_rate = part.base_rate.and_then(|r| r.to_f64()).unwrap_or(0.0);
    let bands: Vec<(Option<f64>, Option<f64>, f64, &BandTrace)> = tiers
        .bands
        .iter()
        .map(|b| {
            let value = b.value.to_f64().unwrap_or(0.0);
            let rate = if b.value_kind == "rate" { value } else { value * base_rate };
            (b.from.and_then(|f| f.to_f64()), b.to.and_then(|t| t.to_f64()), rate, b)
        })
        .collect();
    // x: attainment (credit / divisor) or credit itself for money bands.
    let scale = divisor.unwrap_or(1.0);
    let last_edge = bands.iter().filter_map(|b| b.0).fold(0.0f64, f64::max);
    let x_reach = ((credit / scale).max(last_edge / scale) * 1.2).max(if divisor.is_some() { 1.5 } else { 1.0 });
    let x_step = nice_step(x_reach);
    let x_max = (x_reach / x_step).ceil() * x_step;
    let earn_at = |c: f64| -> f64 {
        bands
            .iter()
            .map(|(lo, hi, rate, _)| {
                let a = lo.unwrap_or(f64::MIN).max(0.0_f64.min(c));
                let b = hi.unwrap_or(f64::MAX).min(c);
                if b > a {
                    (b - a) * rate
                } else {
                    0.0
                }
            })
            .sum()
    };
    let samples = 120;
    let points: Vec<(f64, f64)> = (0..=samples).map(|i| x_max * f64::from(i) / f64::from(samples)).map(|x| (x, earn_at(x * scale))).collect();
    let y_reach = points.iter().map(|p| p.1).fold(1.0f64, f64::max) * 1.05;
    let y_step = nice_step(y_reach);
    let y_max = (y_reach / y_step).ceil() * y_step;
    let (w, h, left, bottom, top, right) = (720.0, 320.0, 80.0, 40.0, 20.0, 20.0);
    let px = |x: f64| left + (x / x_max) * (w - left - right);
    let py = |y: f64| h - bottom - (y / y_max) * (h - top - bottom);
    let mut svg =
        format!("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-label=\"payout curve of {}\">", esc(name));
    let shades = ["#eef3fb", "#e2ebf7"];
    for (i, (lo, hi, _, band)) in bands.iter().enumerate() {
        let x0 = px((lo.unwrap_or(0.0) / scale).clamp(0.0, x_max));
        let x1 = px((hi.unwrap_or(x_max * scale) / scale).clamp(0.0, x_max));
        if x1 > x0 {
            let _ = write!(
                svg,
                "<rect x=\"{x0:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"11\" fill=\"#5b6675\" text-anchor=\"middle\">{}</text>",
                x1 - x0,
                h - top - bottom,
                shades.get(i % 2).unwrap_or(&"#eef3fb"),
                (x0 + x1) / 2.0,
                top + 14.0,
                esc(&band.label)
            );
        }
    }
    let path: Vec<String> = points.iter().map(|(x, y)| format!("{:.1},{:.1}", px(*x), py(*y))).collect();
    let _ = write!(svg, "<polyline points=\"{}\" fill=\"none\" stroke=\"#2d5fa8\" stroke-width=\"2.5\"/>", path.join(" "));
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#1d2530\"/><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{0}\" stroke=\"#1d2530\"/>",
        h - bottom,
        w - right
    );
    let ticks = |max: f64, step: f64| (0..=20).map(move |i| f64::from(i) * step).take_while(move |v| *v <= max + step * 1e-9);
    for x in ticks(x_max, x_step) {
        let label = if divisor.is_some() { format!("{:.0}%", x * 100.0) } else { grouped(Decimal::from_f64_retain(x).unwrap_or_default().round(), 0) };
        let _ = write!(svg, "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{label}</text>", px(x), h - bottom + 16.0);
    }
    for y in ticks(y_max, y_step) {
        let y_label = grouped(Decimal::from_f64_retain(y).unwrap_or_default().round(), 0);
        let _ = write!(svg, "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{y_label}</text>", left - 6.0, py(y) + 4.0);
    }
    let x_label = if divisor.is_some() { tiers.measure.clone() } else { format!("credit ({})", tiers.measure) };
    let _ = write!(svg, "<text x=\"{:.1}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">{}</text>", (left + w - right) / 2.0, h - 6.0, esc(&x_label));
    let you_x = credit / scale;
    let you_y = earn_at(credit);
    let _ = write!(
        svg,
        "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"6\" fill=\"#d9480f\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#d9480f\">you: {}</text>",
        px(you_x.clamp(0.0, x_max)),
        py(you_y),
        px(you_x.clamp(0.0, x_max)) + 9.0,
        py(you_y) - 8.0,
        if divisor.is_some() { format!("{:.1}%", you_x * 100.0) } else { grouped(Decimal::from_f64_retain(you_x).unwrap_or_default().round(), 0) }
    );
    svg.push_str("</svg>");
    Some(svg)
}

/// A round step (1, 2 or 5 times a power of ten) cutting `0..reach` into 4 to 10 ticks.
fn nice_step(reach: f64) -> f64 {
    if !reach.is_finite() || reach <= 0.0 {
        return 1.0;
    }
    let raw = reach / 5.0;
    let power = 10f64.powf(raw.log10().floor());

    [1.0, 2.0, 2.5, 5.0, 10.0].into_iter().map(|m| m * power).find(|s| *s >= raw).unwrap_or(10.0 * power)
}
