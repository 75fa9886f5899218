//! A generator of valid plans and facts consistent with them, driven by a string of
//! bytes: the whole-run fuzz target feeds it libFuzzer's input, the property tests
//! (`tests/invariants.rs`, which includes this file) feed it proptest's.
//!
//! The plan is assembled from a small grammar of building blocks: a credit rule with
//! splits or an owner, an optional rollup, optional clawback; to-date or in-period
//! measures; commissions with a flat rate, marginal or retroactive tiers by
//! attainment (multipliers or rates) or by money, accelerators and decelerators, a
//! gate and the three kinds of cap; bonuses (once per term or per period, on a curve
//! or flat); spifs (per booking or of credit); a total cap; a guaranteed or
//! recoverable draw. [`Options`] turns blocks off, so that a property can ask for,
//! say, marginal tiers without caps or clawbacks.
//!
//! The data: payees whose managers form a forest, a quota row and a metric row for
//! every payee and period, bookings in the plan currency and others (with fx rows
//! from before the term), split rows summing to exactly 100%, cancellations. Every
//! generated data set loads; evaluation may still stop with an `EvalError` (a
//! division by a zero attainment is impossible since quotas are positive, but an
//! overflow on huge amounts is possible and is what the fuzz target looks for).
//!
//! This file depends on `chrono` only, so that both crates can include it.

use chrono::{Datelike, Duration, NaiveDate};
use std::fmt::Write as _;

/// The bytes the generator reads its choices from; past the end every choice is the
/// simplest one (zero), so a shorter input is a simpler scenario.
pub struct Bytes<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Bytes<'a> {
    /// Choices read from `data`.
    pub fn new(data: &'a [u8]) -> Bytes<'a> {
        Bytes { data, at: 0 }
    }

    /// The next byte, or 0 past the end.
    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    /// The next two bytes as a number.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    /// A number in `0..n` (0 when `n` is 0 or 1).
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            0
        } else {
            usize::from(self.u16()) % n
        }
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo).unwrap_or(0) + 1;
        let raw = u64::from(self.u16()) << 16 | u64::from(self.u16());
        lo + i64::try_from(raw % span).unwrap_or(0)
    }

    /// True with about `percent`% probability; false past the end of the input.
    pub fn chance(&mut self, percent: u32) -> bool {
        (u32::from(self.byte()) * 100 / 256) >= 100 - percent.min(100)
    }

    /// One of `items` (which must not be empty).
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        let i = self.below(items.len());
        items[i]
    }
}

/// Which building blocks the generator may use.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Caps of any kind (per booking, per period, per term, total).
    pub caps: bool,
    /// Per-period caps (when `caps`).
    pub period_caps: bool,
    /// Per-booking caps (when `caps`).
    pub booking_caps: bool,
    /// `clawback within N days` and cancel dates.
    pub clawback: bool,
    /// Always a `clawback within N days` (when `clawback`).
    pub always_clawback: bool,
    /// Draws.
    pub draws: bool,
    /// Gates.
    pub gates: bool,
    /// Retroactive tiers (else only marginal, flat or accelerators).
    pub retroactive: bool,
    /// `in period` measures.
    pub in_period: bool,
    /// Bonuses.
    pub bonuses: bool,
    /// Bonuses paid per period, or without `when`, or on a curve (which need not
    /// come back when credit does).
    pub standing_bonuses: bool,
    /// Spifs.
    pub spifs: bool,
    /// Negative booking amounts (downsells).
    pub negative: bool,
    /// Amounts up to 10^22 and rates up to 1000x, to reach decimal overflow.
    pub huge: bool,
    /// Bookings in currencies other than the plan's.
    pub foreign: bool,
    /// Rollup rules and a team commission.
    pub rollups: bool,
    /// An `eligible` rule and payee start and end dates.
    pub active_dates: bool,
    /// Tier multipliers or rates that may go down from one band to the next.
    pub decreasing_bands: bool,
    /// Bookings dated outside the term.
    pub outside_term: bool,
    /// `rounding up` among the rounding modes.
    pub rounding_up: bool,
}

impl Options {
    /// Every block, every kind of value.
    pub const EVERYTHING: Options = Options {
        caps: true,
        period_caps: true,
        booking_caps: true,
        clawback: true,
        always_clawback: false,
        draws: true,
        gates: true,
        retroactive: true,
        in_period: true,
        bonuses: true,
        standing_bonuses: true,
        spifs: true,
        negative: true,
        huge: true,
        foreign: true,
        rollups: true,
        active_dates: true,
        decreasing_bands: true,
        outside_term: true,
        rounding_up: true,
    };

    /// Every block, but realistic amounts (no overflow expected).
    pub const REALISTIC: Options = Options { huge: false, ..Options::EVERYTHING };
}

/// A cap the plan declares, for the properties to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapSpec {
    /// The component, or `total`.
    pub component: String,
    /// `booking`, `period` or `term`.
    pub per: &'static str,
    /// The amount, in whole units of the plan currency.
    pub amount: i64,
}

/// A generated plan: its text and what the properties need to know of it.
#[derive(Debug, Clone)]
pub struct PlanSpec {
    /// The plan file.
    pub text: String,
    /// Plan currency code.
    pub currency: &'static str,
    /// The term's first day.
    pub term_start: NaiveDate,
    /// The term's last day.
    pub term_end: NaiveDate,
    /// Period labels, in order.
    pub periods: Vec<(String, NaiveDate, NaiveDate)>,
    /// Clawback window in days, if any.
    pub clawback_days: Option<i64>,
    /// Every cap.
    pub caps: Vec<CapSpec>,
    /// Component names, in declaration order.
    pub components: Vec<String>,
    /// Whether an `eligible` rule limits payees to role `AE`.
    pub eligible_ae_only: bool,
}

/// A generated payee.
#[derive(Debug, Clone)]
pub struct PayeeSpec {
    /// Index of the manager (an earlier payee), if any.
    pub manager: Option<usize>,
    /// `AE` or `SE`.
    pub role: &'static str,
    /// Start date.
    pub start: Option<NaiveDate>,
    /// End date.
    pub end: Option<NaiveDate>,
    /// Target incentive, whole units.
    pub target_incentive: i64,
    /// Quota per period, whole units.
    pub quotas: Vec<i64>,
    /// Metric `mbo` per period, in hundredths.
    pub mbo: Vec<i64>,
}

/// A generated booking.
#[derive(Debug, Clone)]
pub struct BookingSpec {
    /// Date.
    pub date: NaiveDate,
    /// Amount in hundredths of its currency (whole units for JPY).
    pub amount: i128,
    /// Currency code.
    pub currency: &'static str,
    /// Whether the amount cell carries the code (`100.00 EUR`) with an empty currency cell.
    pub own_code: bool,
    /// Owner index.
    pub owner: usize,
    /// `won` or `lost`.
    pub won: bool,
    /// Cancel date.
    pub cancel: Option<NaiveDate>,
    /// Split rows: payee index and share text.
    pub splits: Vec<(usize, &'static str)>,
}

/// A generated data set.
#[derive(Debug, Clone)]
pub struct DataSpec {
    /// Payees `p00`, `p01`, ...
    pub payees: Vec<PayeeSpec>,
    /// Bookings `b0`, `b1`, ...
    pub bookings: Vec<BookingSpec>,
    /// fx rows: currency, date, rate in ten-thousandths.
    pub fx: Vec<(&'static str, NaiveDate, i64)>,
}

/// A plan and data consistent with it.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The plan.
    pub plan: PlanSpec,
    /// The data.
    pub data: DataSpec,
}

/// Payee id of index `i`.
pub fn payee_id(i: usize) -> String {
    format!("p{i:02}")
}

/// Booking id of index `i`.
pub fn booking_id(i: usize) -> String {
    format!("b{i}")
}

const SPLITS: &[&[&str]] = &[&["100%"], &["50%", "0.5"], &["60%", "40%"], &["0.7", "30%"], &["33.33%", "33.33%", "33.34%"], &["25%", "25%", "25%", "25%"]];
const RATIO_CUTS: &[i64] = &[10, 25, 50, 75, 100, 110, 125, 150, 200, 300];
const MULTIPLIERS: &[&str] = &["0x", "0.25x", "0.5x", "0.75x", "1x", "1.25x", "1.5x", "2x", "3x"];
const RATES: &[&str] = &["0%", "1%", "2.5%", "5%", "8%", "10%", "12.5%", "15%", "20%"];

fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    let total = date.year() * 12 + i32::try_from(date.month0()).unwrap_or(0) + i32::try_from(months).unwrap_or(0);
    NaiveDate::from_ymd_opt(total.div_euclid(12), u32::try_from(total.rem_euclid(12)).unwrap_or(0) + 1, 1).unwrap_or(date)
}

/// `cents` (hundredths) as a decimal literal `-12.34`, or whole units for JPY.
fn amount_text(hundredths: i128, currency: &str) -> String {
    if currency == "JPY" {
        return format!("{}", hundredths / 100);
    }
    let sign = if hundredths < 0 { "-" } else { "" };
    let a = hundredths.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// Tier bands: `(text, values)`; values are multipliers when `multipliers`, else rates.
fn bands(b: &mut Bytes, cuts: &[String], multipliers: bool, decreasing: bool) -> String {
    let values = if multipliers { MULTIPLIERS } else { RATES };
    let mut level = b.below(values.len() / 2);
    let mut next_value = |b: &mut Bytes| {
        if decreasing {
            level = b.below(values.len());
        } else {
            level = (level + b.below(3)).min(values.len() - 1);
        }
        values[level]
    };
    let mut out = String::new();
    let first = next_value(b);
    match cuts.first() {
        Some(c) => {
            let _ = write!(out, "below {c}: {first}  ");
        }
        None => return out,
    }
    for pair in cuts.windows(2) {
        let v = next_value(b);
        let _ = write!(out, "{} to {}: {v}  ", pair[0], pair[1]);
    }
    let last = next_value(b);
    if let Some(c) = cuts.last() {
        let _ = write!(out, "{c} and above: {last}");
    }
    out
}

fn ratio_cuts(b: &mut Bytes) -> Vec<String> {
    let mut chosen: Vec<i64> = RATIO_CUTS.iter().copied().filter(|_| b.chance(30)).collect();
    if chosen.is_empty() {
        chosen.push(100);
    }
    chosen.truncate(5);
    chosen.into_iter().map(|c| format!("{c}%")).collect()
}

fn money_cuts(b: &mut Bytes, currency: &str, scale: i64) -> Vec<String> {
    let mut at = 0;
    let n = 1 + b.below(4);
    (0..n)
        .map(|_| {
            at += b.range(1, 20) * 10_000 * scale;
            format!("{at} {currency}")
        })
        .collect()
}

/// Generates a plan and data with the blocks `options` allows.
pub fn scenario(b: &mut Bytes, options: &Options) -> Scenario {
    let plan = plan(b, options);
    let data = data(b, options, &plan);
    Scenario { plan, data }
}

/// Generates a plan.
pub fn plan(b: &mut Bytes, o: &Options) -> PlanSpec {
    let currency = b.pick(&["USD", "USD", "EUR", "JPY"]);
    let scale = if currency == "JPY" { 100 } else { 1 };
    let start_month = b.pick(&[1u32, 1, 2, 4, 7, 10]);
    let term_start = NaiveDate::from_ymd_opt(2027, start_month, 1).unwrap_or_default();
    let (kind, months, prefix) = b.pick(&[("quarter", 3u32, "Q"), ("month", 1, "M"), ("half", 6, "H"), ("year", 12, "Y"), ("quarter", 3, "Q")]);
    let term_end = add_months(term_start, 12) - Duration::days(1);
    let periods: Vec<(String, NaiveDate, NaiveDate)> = (0..12 / months)
        .map(|i| {
            let s = add_months(term_start, i * months);
            (format!("{prefix}{}", i + 1), s, add_months(s, months) - Duration::days(1))
        })
        .collect();
    let rounding = if o.rounding_up { b.pick(&["half_up", "half_even", "down", "up"]) } else { b.pick(&["half_up", "half_even", "down"]) };
    let mut t = String::new();
    let _ = writeln!(t, "plan \"generated\" {{");
    let _ = writeln!(t, "    currency {currency}\n    term {term_start} to {term_end}\n    period {kind}\n    rounding {rounding}");
    let eligible_ae_only = o.active_dates && b.chance(20);
    if eligible_ae_only {
        let _ = writeln!(t, "    eligible payee.role == \"AE\"");
    }
    if o.active_dates && b.chance(30) {
        let _ = writeln!(t, "    prorate by days");
    }
    // Crediting.
    let clawback_days = (o.clawback && (o.always_clawback || b.chance(60))).then(|| b.range(0, 200));
    let _ = writeln!(t, "    credit direct {{");
    if b.chance(70) {
        let _ = writeln!(t, "        when booking.status == \"won\"");
    }
    let _ = writeln!(t, "        {}", if b.chance(75) { "to splits" } else { "to booking.owner" });
    if let Some(days) = clawback_days {
        let _ = writeln!(t, "        clawback within {days} days");
    }
    let _ = writeln!(t, "    }}");
    let team = o.rollups && b.chance(40);
    if team {
        let _ = writeln!(t, "    credit team {{ rollup direct{} }}", if b.chance(50) { " all levels" } else { "" });
    }
    let scope = if o.in_period && b.chance(25) { " in period" } else { "" };
    let _ = writeln!(t, "    measure bookings = credited(direct){scope}");
    let _ = writeln!(t, "    measure attainment = bookings / quota(\"bookings\"){scope}");
    let _ = writeln!(t, "    measure deals = count(direct){scope}");
    if team {
        let _ = writeln!(t, "    measure team_bookings = credited(team)");
    }
    let use_bcr = b.chance(30);
    if use_bcr {
        let _ = writeln!(t, "    let bcr = payee.target_incentive / quota(\"bookings\")");
    }
    // Commissions.
    let mut components = Vec::new();
    let commissions = 1 + b.below(2);
    for i in 0..commissions {
        let name = format!("base{i}");
        let _ = writeln!(t, "    commission {name} {{\n        on bookings");
        let huge_rate = o.huge && b.chance(10);
        let rate = if huge_rate {
            "1000".to_string()
        } else if use_bcr && b.chance(50) {
            "bcr".to_string()
        } else {
            b.pick(RATES).replace("0%", "0.5%")
        };
        match b.below(6) {
            0 | 1 => {
                let _ = writeln!(t, "        rate {rate}");
            }
            2 => {
                let how = if o.retroactive && b.chance(50) { "retroactive" } else { "marginal" };
                let cuts = ratio_cuts(b);
                let _ = writeln!(t, "        rate {rate}\n        tiers {how} by attainment {{ {} }}", bands(b, &cuts, true, o.decreasing_bands));
            }
            3 => {
                let how = if o.retroactive && b.chance(50) { "retroactive" } else { "marginal" };
                let cuts = ratio_cuts(b);
                let _ = writeln!(t, "        tiers {how} by attainment {{ {} }}", bands(b, &cuts, false, o.decreasing_bands));
            }
            4 => {
                let how = if o.retroactive && b.chance(50) { "retroactive" } else { "marginal" };
                let cuts = money_cuts(b, currency, scale);
                let multipliers = b.chance(50);
                if multipliers {
                    let _ = writeln!(t, "        rate {rate}");
                }
                let _ = writeln!(t, "        tiers {how} by bookings {{ {} }}", bands(b, &cuts, multipliers, o.decreasing_bands));
            }
            _ => {
                let _ = writeln!(t, "        rate {rate}");
                if b.chance(70) {
                    let _ = writeln!(t, "        accelerator {} above {}% attainment", b.pick(&["1.5x", "2x", "1.25x"]), b.pick(&[80, 100, 120]));
                }
                if b.chance(50) {
                    let at = b.pick(&[25, 50, 60]);
                    let m = if o.decreasing_bands { b.pick(&["0.5x", "0x", "2x"]) } else { b.pick(&["0.5x", "0x"]) };
                    let _ = writeln!(t, "        decelerator {m} below {at}% attainment");
                }
            }
        }
        if o.gates && b.chance(30) {
            let _ = writeln!(t, "        gate attainment >= {}%", b.pick(&[10, 25, 50]));
        }
        let _ = writeln!(t, "    }}");
        components.push(name);
    }
    if team {
        let _ = writeln!(t, "    commission team_c {{ on team_bookings  rate {} }}", b.pick(&["1%", "0.5%", "2%"]));
        components.push("team_c".to_string());
    }
    // Bonuses and a curve.
    if o.bonuses && b.chance(50) {
        let when = b.pick(&[50, 100, 120]);
        let pay = b.range(1, 20) * 500 * scale;
        let per = o.standing_bonuses && b.chance(40);
        let _ = writeln!(t, "    bonus club {{ when attainment >= {when}%  pay {pay} {currency}{} }}", if per { " per period" } else { "" });
        components.push("club".to_string());
    }
    if o.bonuses && o.standing_bonuses && b.chance(30) {
        let how = b.pick(&["linear", "step"]);
        let first = b.pick(&[25, 50, 75]);
        let _ = writeln!(t, "    curve pay_curve {how} {{ below {first}%: 0%  {first}%: 25%  100%: 100%  {}% and above: 200% }}", b.pick(&[150, 200]));
        let _ =
            writeln!(t, "    bonus on_curve {{ pay pay_curve[attainment] of 10% of payee.target_incentive{} }}", if b.chance(50) { " per period" } else { "" });
        components.push("on_curve".to_string());
    }
    if o.bonuses && o.standing_bonuses && b.chance(20) {
        let _ = writeln!(t, "    bonus busy {{ when deals >= {}  pay {} {currency} per period }}", b.range(1, 4), 100 * scale);
        components.push("busy".to_string());
    }
    if o.spifs && b.chance(40) {
        let from = term_start + Duration::days(b.range(0, 200));
        let to = from + Duration::days(b.range(0, 200));
        let _ = write!(t, "    spif launch {{ on direct  window {from} to {to}");
        if b.chance(50) {
            let _ = write!(t, "  when booking.amount >= {} {currency}", b.range(0, 50) * 1000 * scale);
        }
        if b.chance(50) {
            let _ = writeln!(t, "  pay {} {currency} per booking }}", b.range(1, 10) * 100 * scale);
        } else {
            let _ = writeln!(t, "  pay {} of credit }}", b.pick(&["1%", "2.5%", "0.5%"]));
        }
        components.push("launch".to_string());
    }
    // Caps.
    let mut caps = Vec::new();
    if o.caps {
        for name in components.clone() {
            let mut pers = vec!["term"];
            if o.period_caps {
                pers.push("period");
            }
            if o.booking_caps && name.starts_with("base") {
                pers.push("booking");
            }
            for per in pers {
                if b.chance(25) {
                    let amount = b.range(1, 100) * 1000 * scale;
                    let _ = writeln!(t, "    cap {name} at {amount} {currency} per {per}");
                    caps.push(CapSpec { component: name.clone(), per, amount });
                }
            }
        }
        if b.chance(30) {
            let amount = b.range(1, 200) * 1000 * scale;
            let _ = writeln!(t, "    cap total at {amount} {currency} per term");
            caps.push(CapSpec { component: "total".to_string(), per: "term", amount });
        }
    }
    if o.draws && b.chance(25) {
        let kind = b.pick(&["guaranteed", "recoverable"]);
        let amount = b.range(1, 50) * 100 * scale;
        let periods = b.below(4);
        let for_periods = match periods {
            0 => String::new(),
            1 => " for 1 period".to_string(),
            n => format!(" for {n} periods"),
        };
        let _ = writeln!(t, "    draw {kind} {amount} {currency} per period{for_periods}");
    }
    let _ = writeln!(t, "}}");
    PlanSpec { text: t, currency, term_start, term_end, periods, clawback_days, caps, components, eligible_ae_only }
}

/// Generates data for `plan`.
pub fn data(b: &mut Bytes, o: &Options, plan: &PlanSpec) -> DataSpec {
    let n = 1 + b.below(8);
    let term_days = (plan.term_end - plan.term_start).num_days();
    let payees: Vec<PayeeSpec> = (0..n)
        .map(|i| {
            let pick = b.below(i + 1);
            let (start, end) = if o.active_dates {
                let start = b.chance(15).then(|| plan.term_start + Duration::days(b.range(-30, term_days)));
                let end = b.chance(15).then(|| start.unwrap_or(plan.term_start) + Duration::days(b.range(0, term_days)));
                (start, end)
            } else {
                (None, None)
            };
            PayeeSpec {
                manager: (pick < i).then_some(pick),
                role: if b.chance(25) { "SE" } else { "AE" },
                start,
                end,
                target_incentive: b.range(1, 200) * 1000,
                quotas: plan.periods.iter().map(|_| b.range(1, 100) * 10_000).collect(),
                mbo: plan.periods.iter().map(|_| b.range(0, 150)).collect(),
            }
        })
        .collect();
    let foreign: Vec<&'static str> = ["USD", "EUR", "JPY"].into_iter().filter(|c| *c != plan.currency).collect();
    let m = b.below(25);
    let bookings = (0..m).map(|_| booking(b, o, plan, n, &foreign)).collect();
    let mut fx = Vec::new();
    if o.foreign {
        for currency in &foreign {
            let base: i64 = match (*currency, plan.currency) {
                ("JPY", _) => 70,        // 0.0070
                (_, "JPY") => 1_500_000, // 150
                _ => 10_800,             // 1.08
            };
            let mut date = add_months(plan.term_start, 0) - Duration::days(120);
            while date <= plan.term_end + Duration::days(60) {
                fx.push((*currency, date, base + b.range(0, base / 10)));
                date = add_months(date, 1 + u32::try_from(b.below(3)).unwrap_or(0));
            }
        }
    }
    DataSpec { payees, bookings, fx }
}

/// One booking.
pub fn booking(b: &mut Bytes, o: &Options, plan: &PlanSpec, payees: usize, foreign: &[&'static str]) -> BookingSpec {
    let term_days = (plan.term_end - plan.term_start).num_days();
    let offset = if o.outside_term && b.chance(10) { b.range(-60, term_days + 60) } else { b.range(0, term_days) };
    let date = plan.term_start + Duration::days(offset);
    let mut amount = i128::from(b.range(100, 50_000_000));
    if o.huge && b.chance(10) {
        amount *= 10i128.pow(u32::try_from(b.range(1, 21)).unwrap_or(1));
    }
    if o.negative && b.chance(8) {
        amount = -amount / 10;
    }
    let currency = if o.foreign && b.chance(25) { b.pick(foreign) } else { plan.currency };
    let owner = b.below(payees);
    let splits = if b.chance(30) {
        let template = b.pick(SPLITS);
        let mut chosen: Vec<usize> = Vec::new();
        for _ in template.iter() {
            let free: Vec<usize> = (0..payees).filter(|p| !chosen.contains(p)).collect();
            if free.is_empty() {
                break;
            }
            chosen.push(b.pick(&free));
        }
        if chosen.len() == template.len() {
            chosen.into_iter().zip(template.iter().copied()).collect()
        } else {
            Vec::new()
        }
    } else {
        Vec::new()
    };
    let cancel = (o.clawback && b.chance(20)).then(|| date + Duration::days(b.range(0, 150)));
    BookingSpec { date, amount, currency, own_code: b.chance(15), owner, won: !b.chance(15), cancel, splits }
}

impl Scenario {
    /// The data set as CSV files.
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        self.data.files(&self.plan)
    }
}

impl DataSpec {
    /// The data set as CSV files (`payees.csv`, ...), for `plan`.
    pub fn files(&self, plan: &PlanSpec) -> Vec<(String, Vec<u8>)> {
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let mut payees = String::from("id,name,role,manager,start_date,end_date,target_incentive\n");
        let mut quotas = String::from("payee,quota,period,amount\n");
        let mut metrics = String::from("payee,metric,period,value\n");
        for (i, p) in self.payees.iter().enumerate() {
            let _ = writeln!(
                payees,
                "{},\"Rep {i}, Jr.\",{},{},{},{},{}",
                payee_id(i),
                p.role,
                p.manager.map(payee_id).unwrap_or_default(),
                date(p.start),
                date(p.end),
                p.target_incentive
            );
            for ((label, _, _), (q, mbo)) in plan.periods.iter().zip(p.quotas.iter().zip(&p.mbo)) {
                let _ = writeln!(quotas, "{},bookings,{label},{q}", payee_id(i));
                let _ = writeln!(metrics, "{},mbo,{label},{}", payee_id(i), amount_text(i128::from(*mbo), "USD"));
            }
        }
        let mut bookings = String::from("id,date,amount,currency,owner,status,cancel_date\n");
        let mut splits = String::from("booking,payee,share\n");
        for (i, bk) in self.bookings.iter().enumerate() {
            let amount = amount_text(bk.amount, bk.currency);
            let (amount, currency) = if bk.own_code { (format!("{amount} {}", bk.currency), "") } else { (amount, bk.currency) };
            let _ = writeln!(
                bookings,
                "{},{},{amount},{currency},{},{},{}",
                booking_id(i),
                bk.date,
                payee_id(bk.owner),
                if bk.won { "won" } else { "lost" },
                date(bk.cancel)
            );
            for (p, share) in &bk.splits {
                let _ = writeln!(splits, "{},{},{share}", booking_id(i), payee_id(*p));
            }
        }
        let mut fx = String::from("currency,date,rate\n");
        for (currency, day, rate) in &self.fx {
            let _ = writeln!(fx, "{currency},{day},{}.{:04}", rate / 10_000, rate % 10_000);
        }
        vec![
            ("payees.csv".to_string(), payees.into_bytes()),
            ("bookings.csv".to_string(), bookings.into_bytes()),
            ("splits.csv".to_string(), splits.into_bytes()),
            ("quotas.csv".to_string(), quotas.into_bytes()),
            ("metrics.csv".to_string(), metrics.into_bytes()),
            ("fx.csv".to_string(), fx.into_bytes()),
        ]
    }
}
