//! The explanation of every line, as data: recorded by the engine while it computes, so
//! the figures here are the ones the lines were built from (there is no second path).
//!
//! Amounts serialize as strings. Nothing here is rounded except what the lines round:
//! `cumulative_rounded`, `paid_before` and the ledger.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// How much of a payee's computation a trace records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Every figure, down to each credit entry and each booking: a statement.
    Full,
    /// Every figure but the rows of credit entries and bookings (a part keeps their
    /// sums, [`Part::credit`] and [`Part::base_rate`]): a preview, whose cost does not
    /// grow with the trace of every booking.
    Figures,
}

/// One payee's whole term, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayeeTrace {
    /// Payee id.
    pub payee: String,
    /// Payee name.
    pub name: Option<String>,
    /// Every period of the term.
    pub periods: Vec<PeriodTrace>,
    /// Balance owed at term end.
    pub balance: Decimal,
}

impl PayeeTrace {
    /// The first commission with a tier table in the last evaluated period, with the
    /// component's name: what a payout curve is drawn from.
    pub fn last_tiered_part(&self) -> Option<(&str, &Part)> {
        self.periods
            .iter()
            .rev()
            .filter(|p| p.evaluated)
            .find_map(|p| p.components.iter().find_map(|c| c.part.as_ref().filter(|part| part.tiers.is_some()).map(|part| (c.name.as_str(), part))))
    }

    /// This trace in [`Detail::Figures`]: the rows of credit entries and bookings
    /// removed. A figures trace of the same run equals it.
    pub fn figures(&self) -> PayeeTrace {
        let mut figures = self.clone();
        for part in figures.periods.iter_mut().flat_map(|p| p.components.iter_mut()).filter_map(|c| c.part.as_mut()) {
            part.entries = Vec::new();
            part.bookings = Vec::new();
        }
        figures
    }
}

/// One period of a payee's statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodTrace {
    /// `Q1`...
    pub period: String,
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
    /// False when the period lies wholly outside the payee's active dates: nothing is
    /// computed and every line is zero.
    pub evaluated: bool,
    /// Measures as they stood at the period end (those the plan read).
    pub measures: Vec<MeasureValue>,
    /// Quotas and metrics read at the period end, with their rows.
    pub targets: Vec<TargetValue>,
    /// One entry per component, in declaration order.
    pub components: Vec<ComponentTrace>,
    /// The `cap total` line, when the plan has one.
    pub cap_total: Option<CapTotalTrace>,
    /// Draw, carry, recovery and the balance.
    pub ledger: Ledger,
}

/// A measure's value at a period end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureValue {
    /// The measure.
    pub name: String,
    /// Its value, as text (`412000.00`, `0.8242`, `true`).
    pub value: String,
    /// `in period` (else to date).
    pub in_period: bool,
}

/// A quota or metric read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetValue {
    /// `quota` or `metric`.
    pub kind: &'static str,
    /// Its name.
    pub name: String,
    /// The current period only, or to date.
    pub in_period: bool,
    /// The sum.
    pub value: Decimal,
    /// The rows summed.
    pub rows: Vec<TargetRow>,
}

/// One quota or metric row as used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetRow {
    /// Its period label.
    pub period: String,
    /// The row's value as written.
    pub value: Decimal,
    /// After proration by active days (quotas with `prorate by days`).
    pub prorated: Option<Prorated>,
}

/// A proration: `value * active_days / days`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prorated {
    /// Active days of the payee in the row's period.
    pub active_days: i64,
    /// Days in the row's period.
    pub days: i64,
    /// The prorated value.
    pub value: Decimal,
}

/// How a component's line was reached in one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentTrace {
    /// Component name (the line).
    pub name: String,
    /// `commission`, `bonus` or `spif`.
    pub kind: &'static str,
    /// For commissions and spifs: the earnings computed at this period end (to date, or
    /// this period alone for `in period` measures).
    pub part: Option<Part>,
    /// Earnings of earlier periods carried into E (the running sum of `in period`
    /// commissions and per-period bonuses, before the term cap); zero otherwise.
    pub carried: Decimal,
    /// For bonuses: the condition and amount.
    pub bonus: Option<BonusTrace>,
    /// For `in period` commissions: the term cap on the running sum `carried + part`
    /// (earnings to date); a to-date commission's term cap is in its part. Absent from
    /// JSON when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term_cap: Option<TermCapTrace>,
    /// `E(p)`: earnings to date after booking caps, gate and term cap.
    pub earned_to_date: Decimal,
    /// `E(p-1)`.
    pub earned_before: Decimal,
    /// The per-period cap, if any.
    pub period_cap: Option<PeriodCapTrace>,
    /// `C(p)`: cumulative earnings after the per-period cap: `E(p)` itself without one.
    pub cumulative: Decimal,
    /// `round(C(p))`.
    pub cumulative_rounded: Decimal,
    /// `round(C(p-1))`: what earlier lines paid.
    pub paid_before: Decimal,
    /// The line: `cumulative_rounded - paid_before`.
    pub line: Decimal,
}

/// Earnings over a set of credit entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Part {
    /// First credit date included.
    pub from: NaiveDate,
    /// Last credit date included.
    pub to: NaiveDate,
    /// The tier table in credit terms at this period end.
    pub tiers: Option<TierTrace>,
    /// Each entry with what it earned.
    pub entries: Vec<EntryTrace>,
    /// Earnings per booking, with the per-booking cap applied.
    pub bookings: Vec<BookingEarnings>,
    /// The per-booking cap, if any.
    pub booking_cap: Option<Decimal>,
    /// Sum of the bookings' (capped) earnings.
    pub subtotal: Decimal,
    /// The gate at the period end, if any (`false`: earnings held at zero).
    pub gate: Option<bool>,
    /// The term cap, if any (to-date commissions and spifs; an `in period`
    /// commission's term cap is on the component, over the running sum).
    pub term_cap: Option<TermCapTrace>,
    /// The result.
    pub earned: Decimal,
    /// The credit of the part's entries (`None` when their sum overflows). Derived
    /// from `entries`, so not serialized; kept for a [`Detail::Figures`] trace, which
    /// has no entries.
    #[serde(skip)]
    pub credit: Option<Decimal>,
    /// The entries' base rate weighted by their credit (entries without a rate count
    /// as zero; `None` without credit or on overflow): what tier multipliers apply to. Not serialized, as
    /// `credit`.
    #[serde(skip)]
    pub base_rate: Option<Decimal>,
}

/// The tier table as applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierTrace {
    /// `marginal` or `retroactive`.
    pub mode: &'static str,
    /// The tier measure.
    pub measure: String,
    /// What the measure divides credit by (e.g. the quota), if a ratio.
    pub divisor: Option<Decimal>,
    /// Bands with bounds in credit.
    pub bands: Vec<BandTrace>,
    /// Retroactive: the band of the period-end total.
    pub band_reached: Option<String>,
}

/// One band in credit terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BandTrace {
    /// The band as written (`100% to 150%`).
    pub label: String,
    /// Lower bound in credit (`None`: no lower end).
    pub from: Option<Decimal>,
    /// Upper bound in credit (`None`: no upper end).
    pub to: Option<Decimal>,
    /// `8%` as 0.08 (a rate) or `1.5` (a multiplier).
    pub value: Decimal,
    /// `rate` or `multiplier`.
    pub value_kind: &'static str,
}

/// A credit entry and what it earned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryTrace {
    /// Booking id.
    pub booking: String,
    /// Account, if any.
    pub account: Option<String>,
    /// Credit rule.
    pub rule: String,
    /// Credit date.
    pub date: NaiveDate,
    /// Whether this reverses an earlier entry (a clawback).
    pub reversal: bool,
    /// The recipient's share.
    pub share: Decimal,
    /// For rollups: whose credit this is.
    pub rolled_up_from: Option<String>,
    /// Amount in the booking's currency, times the share.
    pub original_amount: Decimal,
    /// The booking's currency.
    pub currency: String,
    /// The fx rate used (1 in the plan currency).
    pub fx_rate: Decimal,
    /// The date whose rate was used (the booking date).
    pub fx_date: NaiveDate,
    /// Credit in the plan currency.
    pub credit: Decimal,
    /// The tier position before and after this entry (marginal tiers).
    pub position: Option<(Decimal, Decimal)>,
    /// The base rate evaluated for this entry, if any.
    pub rate: Option<Decimal>,
    /// Slices by band.
    pub slices: Vec<Slice>,
    /// Spif pay (per booking amount, or rate of credit).
    pub spif_pay: Option<Decimal>,
    /// What it earned.
    pub earned: Decimal,
}

/// The part of an entry in one band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slice {
    /// The band as written.
    pub band: String,
    /// Credit in the band (negative when unwinding). An entry's slices add up exactly to
    /// its credit: the last is what the others leave of it.
    pub amount: Decimal,
    /// The rate paid on it (band rate, or base rate times multiplier).
    pub rate: Decimal,
    /// The difference of the tier position's cumulative earnings across the slice (the
    /// last slice: what the others leave of the entry's earnings), so that the slices
    /// add up exactly to the entry's earnings: `amount * rate` up to the decimals those
    /// cumulative earnings are held to.
    pub earned: Decimal,
}

/// A booking's earnings within a part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookingEarnings {
    /// Booking id.
    pub booking: String,
    /// Earned before the per-booking cap.
    pub earned: Decimal,
    /// Kept after the cap.
    pub kept: Decimal,
}

/// A term cap as applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TermCapTrace {
    /// The cap.
    pub limit: Decimal,
    /// Earnings before it.
    pub before: Decimal,
    /// What it removed.
    pub removed: Decimal,
}

/// A per-period cap as applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodCapTrace {
    /// The cap.
    pub limit: Decimal,
    /// `E(p) - E(p-1)`.
    pub change: Decimal,
    /// The change allowed.
    pub allowed: Decimal,
    /// Forfeited.
    pub forfeited: Decimal,
}

/// A bonus at a period end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BonusTrace {
    /// `when`, if written.
    pub when: Option<bool>,
    /// `pay`, when it held.
    pub pay: Decimal,
    /// Paid for every period it held.
    pub per_period: bool,
    /// Earned before the term cap.
    pub earned: Decimal,
    /// The term cap, if any.
    pub term_cap: Option<TermCapTrace>,
}

/// The `cap total` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CapTotalTrace {
    /// The cap (rounded).
    pub limit: Decimal,
    /// Component lines to date.
    pub lines_to_date: Decimal,
    /// What the cap has taken to date (zero or negative).
    pub taken_to_date: Decimal,
    /// What it had taken before.
    pub taken_before: Decimal,
    /// The line.
    pub line: Decimal,
}

/// Draw, carry, recovery, payout and the balance for one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Ledger {
    /// Component lines plus the cap line.
    pub total: Decimal,
    /// Whether this is a draw period.
    pub draw_period: bool,
    /// The draw amount D (rounded, prorated), zero outside draw periods.
    pub draw_amount: Decimal,
    /// The draw line.
    pub draw: Decimal,
    /// The carry line.
    pub carry: Decimal,
    /// The recovery line.
    pub recovery: Decimal,
    /// The payout.
    pub payout: Decimal,
    /// Balance owed before the period.
    pub balance_before: Decimal,
    /// Balance owed after.
    pub balance_after: Decimal,
}
