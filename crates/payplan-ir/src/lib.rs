//! The lowered plan: what the checker hands the engine.
//!
//! Everything here is resolved and typed: names are indices into the plan's vectors,
//! fields are slots, literals are values, tier tables are sorted and complete. The
//! engine never looks a name up or re-checks a type. Spans are kept on expressions
//! only so that evaluation errors (a division by zero, a missing table key) can point
//! at the source.

use chrono::NaiveDate;
use payplan_facts::{Currency, FieldType, PeriodKind, PeriodLabel};
pub use payplan_syntax::Span;
use rust_decimal::Decimal;
use std::sync::Arc;

/// Index of a `let` in [`Plan::lets`].
pub type LetId = usize;
/// Index of a measure in [`Plan::measures`].
pub type MeasureId = usize;
/// Index of a credit rule in [`Plan::rules`].
pub type RuleId = usize;
/// Index of a table in [`Plan::tables`].
pub type TableId = usize;
/// Index of a curve in [`Plan::curves`].
pub type CurveId = usize;

/// A checked, lowered plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The plan's name.
    pub name: String,
    /// The payout currency.
    pub currency: Currency,
    /// First day of the term.
    pub term_start: NaiveDate,
    /// Last day of the term, inclusive.
    pub term_end: NaiveDate,
    /// The kind of period.
    pub period_kind: PeriodKind,
    /// The term's periods, in order.
    pub periods: Vec<Period>,
    /// How lines are rounded.
    pub rounding: RoundingMode,
    /// Who this plan pays; `None` is everyone.
    pub eligible: Option<Expr>,
    /// `prorate by days`.
    pub prorate: bool,
    /// Custom booking columns, in the order facts store them.
    pub booking_fields: Vec<(String, FieldType)>,
    /// Custom payee columns, in the order facts store them.
    pub payee_fields: Vec<(String, FieldType)>,
    /// `let`s.
    pub lets: Vec<Let>,
    /// Tables.
    pub tables: Vec<Table>,
    /// Curves.
    pub curves: Vec<Curve>,
    /// Credit rules, in declaration order.
    pub rules: Vec<CreditRule>,
    /// Rules in an order where every rollup comes after the rule it rolls up.
    pub rule_order: Vec<RuleId>,
    /// Measures.
    pub measures: Vec<Measure>,
    /// Earnings components, in declaration (and output) order.
    pub components: Vec<Component>,
    /// `cap total at X per term`.
    pub cap_total: Option<Expr>,
    /// The draw, if any.
    pub draw: Option<Draw>,
    /// Whether any expression reads `quota(...)`.
    pub reads_quotas: bool,
    /// Whether any expression reads `metric(...)`.
    pub reads_metrics: bool,
}

impl Plan {
    /// What the data loader needs to know of this plan: currency, term, declared
    /// fields, and whether quotas and metrics are read.
    pub fn schema(&self) -> payplan_facts::Schema {
        payplan_facts::Schema {
            currency: self.currency,
            term_start: self.term_start,
            term_end: self.term_end,
            booking_fields: self.booking_fields.clone(),
            payee_fields: self.payee_fields.clone(),
            needs_quotas: self.reads_quotas,
            needs_metrics: self.reads_metrics,
        }
    }
}

/// One period of the term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// `Q1`, `M7`...
    pub label: PeriodLabel,
    /// First day.
    pub start: NaiveDate,
    /// Last day, inclusive.
    pub end: NaiveDate,
}

/// Rounding of lines to the currency's minor unit, symmetric around zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundingMode {
    /// A half away from zero.
    HalfUp,
    /// A half to the even digit.
    HalfEven,
    /// Towards zero.
    Down,
    /// Away from zero.
    Up,
}

/// `let NAME = EXPR`, read to date.
#[derive(Debug, Clone, PartialEq)]
pub struct Let {
    /// Its name.
    pub name: String,
    /// Its expression.
    pub expr: Expr,
    /// Whether it reads the booking (then it is evaluated per booking, never cached).
    pub reads_booking: bool,
}

/// `measure NAME = EXPR [in period]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// Its name.
    pub name: String,
    /// Its expression; aggregates inside carry the measure's scope.
    pub expr: Expr,
    /// Reset each period.
    pub in_period: bool,
}

/// A table's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum TableKey {
    /// A string key.
    Text(String),
    /// A number key (percent keys are numbers).
    Number(Decimal),
}

/// `table NAME { KEY => VALUE, ..., else => VALUE }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Its name.
    pub name: String,
    /// Entries, sorted by key.
    pub entries: Vec<(TableKey, Expr)>,
    /// The `else` value.
    pub default: Option<Expr>,
}

/// A payout curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// Its name.
    pub name: String,
    /// `linear` or `step`.
    pub kind: CurveKind,
    /// Points (x, y), strictly increasing in x; an `and above` line is the last point.
    pub points: Vec<(Decimal, Decimal)>,
    /// The `below` value, if written.
    pub below: Option<Decimal>,
    /// Whether the last point was written `and above` (flat after it).
    pub flat_above: bool,
}

/// How a curve reads between points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurveKind {
    /// Interpolate between points.
    Linear,
    /// Hold each point's value up to the next.
    Step,
}

/// `credit NAME { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreditRule {
    /// Its name.
    pub name: String,
    /// Its name in the plan text: what an error of crediting's own arithmetic (converting
    /// a booking's amount, taking a share of it) points at.
    pub span: Span,
    /// Filter on the booking.
    pub when: Option<Expr>,
    /// Credit amount (default `booking.amount`, in the plan currency).
    pub amount: Option<Expr>,
    /// Credit date (default `booking.date`).
    pub date: Option<Expr>,
    /// Who is credited.
    pub recipients: Recipients,
    /// `clawback within N days`.
    pub clawback_days: Option<i64>,
    /// Whether a measure or spif reads this rule's entries (then unpaid entries are reported).
    pub reported: bool,
}

/// The recipient forms of a credit rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Recipients {
    /// `to splits`: the booking's split rows, or its owner 100%.
    Splits,
    /// `to EXPR`: one payee, 100%.
    To(Expr),
    /// `split EXPR: SHARE, ...`: shares summing to 1.
    Split(Vec<(Expr, Decimal)>),
    /// `rollup RULE [all levels]`.
    Rollup {
        /// The rule rolled up.
        rule: RuleId,
        /// Every manager up the chain, not just the first.
        all_levels: bool,
    },
}

/// An earnings component with its caps.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// Its name (the output line).
    pub name: String,
    /// What it computes.
    pub kind: ComponentKind,
    /// `cap NAME at X per booking`.
    pub cap_per_booking: Option<Expr>,
    /// `cap NAME at X per period`.
    pub cap_per_period: Option<Expr>,
    /// `cap NAME at X per term`.
    pub cap_per_term: Option<Expr>,
}

/// The three kinds of component.
#[derive(Debug, Clone, PartialEq)]
pub enum ComponentKind {
    /// `commission`.
    Commission(Commission),
    /// `bonus`.
    Bonus(Bonus),
    /// `spif`.
    Spif(Spif),
}

/// A commission on a credited measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Commission {
    /// The `on` measure.
    pub on: MeasureId,
    /// The rule the `on` measure credits.
    pub rule: RuleId,
    /// The `on` measure's filter, if any.
    pub filter: Option<Expr>,
    /// Whether the `on` measure is `in period`.
    pub in_period: bool,
    /// Base rate (per entry).
    pub rate: Option<Expr>,
    /// Tier table, if any.
    pub tiers: Option<Tiers>,
    /// Gate, if any.
    pub gate: Option<Expr>,
}

/// A tier table in the `on` measure's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Tiers {
    /// Marginal or retroactive.
    pub mode: TierMode,
    /// The tier measure (for explanations).
    pub by: MeasureId,
    /// The divisor that turns credit into the tier measure (`quota(...)` for
    /// attainment), evaluated at each period end; `None` when bands are money.
    pub divisor: Option<Expr>,
    /// Bands, sorted, contiguous, from `below`/0 to `and above`.
    pub bands: Vec<Band>,
}

/// Marginal or retroactive tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierMode {
    /// Each slice at its own band.
    Marginal,
    /// Everything at the band of the period-end value.
    Retroactive,
}

/// One band `[lower, upper)` of the tier measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Band {
    /// Lower bound, `None` for `below`.
    pub lower: Option<Decimal>,
    /// Upper bound, `None` for `and above`.
    pub upper: Option<Decimal>,
    /// The band's rate or multiplier.
    pub value: BandValue,
    /// The band as written, for explanations.
    pub label: String,
}

/// What a band pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandValue {
    /// A rate applied to credit.
    Rate(Decimal),
    /// A multiplier of the base rate.
    Multiplier(Decimal),
}

/// A bonus.
#[derive(Debug, Clone, PartialEq)]
pub struct Bonus {
    /// Condition, judged at each period end.
    pub when: Option<Expr>,
    /// Amount.
    pub pay: Expr,
    /// Paid for every period where `when` holds (else once per term).
    pub per_period: bool,
}

/// A spif on a credit rule's entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Spif {
    /// The rule.
    pub rule: RuleId,
    /// Credit dates, inclusive.
    pub window: (NaiveDate, NaiveDate),
    /// Condition on the original entry's booking.
    pub when: Option<Expr>,
    /// Amount per booking (times share) or rate of credit.
    pub pay: Expr,
    /// Which.
    pub basis: SpifBasis,
}

/// The two forms of a spif's pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpifBasis {
    /// `pay X per booking`.
    PerBooking,
    /// `pay P of credit`.
    OfCredit,
}

/// The draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Draw {
    /// Guaranteed or recoverable.
    pub kind: DrawKind,
    /// Amount per period.
    pub amount: Expr,
    /// Number of periods from the payee's first active period; `None` is every period.
    pub periods: Option<u32>,
}

/// Guaranteed or recoverable draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrawKind {
    /// Never recovered.
    Guaranteed,
    /// Added to the balance owed.
    Recoverable,
}

/// A runtime value. Money carries no currency: the checker proved every money value's
/// currency statically.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    /// A number.
    Number(Decimal),
    /// An amount of money.
    Money(Decimal),
    /// A date.
    Date(NaiveDate),
    /// Text (shared, so that reading a column does not copy it).
    Text(Arc<str>),
    /// A boolean.
    Bool(bool),
    /// A number of days.
    Duration(i64),
}

/// A lowered expression with the span of its source.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it computes.
    pub kind: ExprKind,
    /// Where it was written.
    pub span: Span,
}

/// Built-in booking columns, or a custom slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingField {
    /// `booking.id`.
    Id,
    /// `booking.date`.
    Date,
    /// `booking.amount`, converted to the plan currency.
    Amount,
    /// `booking.currency`.
    Currency,
    /// `booking.owner`.
    Owner,
    /// `booking.status`.
    Status,
    /// `booking.cancel_date`.
    CancelDate,
    /// `booking.account`.
    Account,
    /// A declared column, by slot.
    Custom(usize),
}

/// Built-in payee columns, or a custom slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayeeField {
    /// `payee.id`.
    Id,
    /// `payee.name`.
    Name,
    /// `payee.role`.
    Role,
    /// `payee.manager`.
    Manager,
    /// `payee.start_date`.
    StartDate,
    /// `payee.end_date`.
    EndDate,
    /// `payee.target_incentive`.
    TargetIncentive,
    /// A declared column, by slot.
    Custom(usize),
}

/// Arithmetic and comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*` and `of`.
    Mul,
    /// `/`.
    Div,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

/// Lowered expressions.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A constant.
    Const(Value),
    /// A booking column.
    Booking(BookingField),
    /// A payee column.
    Payee(PayeeField),
    /// A `let`'s value.
    Let(LetId),
    /// A measure's value at the period end.
    Measure(MeasureId),
    /// `table[key]`.
    Table(TableId, Box<Expr>),
    /// `curve[x]`.
    Curve(CurveId, Box<Expr>),
    /// `credited(rule[, filter])` in a scope.
    Credited {
        /// The rule.
        rule: RuleId,
        /// Filter on the booking.
        filter: Option<Box<Expr>>,
        /// The current period only (else to date).
        in_period: bool,
    },
    /// `count(rule[, filter])` in a scope.
    Count {
        /// The rule.
        rule: RuleId,
        /// Filter on the booking.
        filter: Option<Box<Expr>>,
        /// The current period only.
        in_period: bool,
    },
    /// `quota("name")` in a scope.
    Quota {
        /// The quota name.
        name: String,
        /// The current period only.
        in_period: bool,
    },
    /// `metric("name")` in a scope.
    Metric {
        /// The metric name.
        name: String,
        /// The current period only.
        in_period: bool,
    },
    /// `owner_of(account)` on the booking's date.
    OwnerOf(Box<Expr>),
    /// `is_set(field)`.
    IsSet(Box<Expr>),
    /// `min(a, b)`.
    Min(Box<Expr>, Box<Expr>),
    /// `max(a, b)`.
    Max(Box<Expr>, Box<Expr>),
    /// `abs(x)`.
    Abs(Box<Expr>),
    /// `days_between(a, b)`: `b - a` in days, a number.
    DaysBetween(Box<Expr>, Box<Expr>),
    /// `-x`.
    Neg(Box<Expr>),
    /// `not x`.
    Not(Box<Expr>),
    /// `a and b` (short-circuit).
    And(Box<Expr>, Box<Expr>),
    /// `a or b` (short-circuit).
    Or(Box<Expr>, Box<Expr>),
    /// Arithmetic or comparison.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `x in [a, b]`.
    In(Box<Expr>, Vec<Expr>),
    /// `if c then a else b`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
}

impl Expr {
    /// A constant expression.
    pub fn constant(value: Value, span: Span) -> Expr {
        Expr { kind: ExprKind::Const(value), span }
    }
}
