//! The facts a plan is evaluated against (data.md): plain, validated tables.
//!
//! This crate owns the data model shared by the loader (`payplan-data`, which builds
//! it from CSV or JSON) and the engine (`payplan-eval`, which only reads it). It does
//! no IO and no validation of its own: a `Facts` value is what the loader accepted.

mod currency;
pub mod period;

pub use currency::{Currency, CurrencyError};
pub use period::{PeriodKind, PeriodLabel, PeriodLabelError};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::sync::Arc;

/// Where a row came from, for error messages: `bookings.csv:17` or `data.json: bookings[16]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    /// The file as the user named it (a path, or `data.json`); shared by every row of
    /// the file.
    pub file: Arc<str>,
    /// The physical line (CSV, header = 1) or the array index + 1 (JSON); 0 when unknown.
    pub line: u32,
    /// For a JSON row: the table and the array index (then `line` is the index + 1).
    /// Boxed: a CSV row, the common case, pays one word for it.
    pub json_index: Option<Box<(String, usize)>>,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.json_index.as_deref() {
            Some((table, index)) => write!(f, "{}: {}[{}]", self.file, table, index),
            None if self.line > 0 => write!(f, "{}:{}", self.file, self.line),
            None => write!(f, "{}", self.file),
        }
    }
}

/// The type of a custom column, as a plan declares it (`field booking.product: text`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldType {
    /// Free text.
    Text,
    /// A decimal number.
    Number,
    /// An amount of money; in the booking's currency for bookings, the plan currency for payees.
    Money,
    /// A calendar date `YYYY-MM-DD`.
    Date,
    /// `true` or `false`.
    Bool,
}

impl FieldType {
    /// The keyword a plan uses for this type.
    pub fn keyword(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Money => "money",
            FieldType::Date => "date",
            FieldType::Bool => "bool",
        }
    }
}

/// A custom cell's value, typed as the plan declared the column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    /// Text (shared: the same value in many rows is one allocation).
    Text(Arc<str>),
    /// A number.
    Number(Decimal),
    /// Money with its currency (a booking's money cell may be in the booking currency).
    Money(Decimal, Currency),
    /// A date.
    Date(NaiveDate),
    /// A boolean.
    Bool(bool),
}

/// What the loader needs to know of the plan: its currency, term and declared fields.
///
/// Custom fields are stored on rows in the order they are listed here, so the engine
/// reads them by position (`Booking::fields[i]` is `booking_fields[i]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// The plan currency: money cells without a code are in it; bookings in another
    /// currency need an fx rate on their date.
    pub currency: Currency,
    /// First day of the term (period labels `Q3` are counted from it).
    pub term_start: NaiveDate,
    /// Last day of the term, inclusive.
    pub term_end: NaiveDate,
    /// Custom booking columns the plan reads, in declaration order.
    pub booking_fields: Vec<(String, FieldType)>,
    /// Custom payee columns the plan reads, in declaration order.
    pub payee_fields: Vec<(String, FieldType)>,
    /// Whether the plan reads `quota(...)`: then `quotas.csv` is required.
    pub needs_quotas: bool,
    /// Whether the plan reads `metric(...)`: then `metrics.csv` is required.
    pub needs_metrics: bool,
}

/// A person who can be credited and paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payee {
    /// Unique id.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Role, e.g. `AE`.
    pub role: Option<String>,
    /// The manager's payee id.
    pub manager: Option<String>,
    /// First active day, inclusive; absent means active from the beginning.
    pub start_date: Option<NaiveDate>,
    /// Last active day, inclusive; absent means still active.
    pub end_date: Option<NaiveDate>,
    /// Target incentive in the plan currency.
    pub target_incentive: Option<Decimal>,
    /// Custom fields, in `Schema::payee_fields` order; `None` is an empty cell.
    pub fields: Vec<Option<FieldValue>>,
    /// Where the row came from.
    pub origin: Origin,
}

impl Payee {
    /// A payee known by id alone (no name, role, manager, dates or fields): a stand-in
    /// for someone a bundle or a hypothetical deal names but holds nothing of.
    pub fn known_by_id(id: &str, origin: Origin) -> Payee {
        Payee {
            id: id.to_string(),
            name: None,
            role: None,
            manager: None,
            start_date: None,
            end_date: None,
            target_incentive: None,
            fields: Vec::new(),
            origin,
        }
    }
}

/// A sale (or a downsell, with a negative amount).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    /// Unique id.
    pub id: String,
    /// Booking date.
    pub date: NaiveDate,
    /// Amount in `currency`.
    pub amount: Decimal,
    /// The booking's own currency.
    pub currency: Currency,
    /// The owning payee's id (shared: every booking of one owner holds the same text).
    pub owner: Arc<str>,
    /// Status text, e.g. `won`.
    pub status: Option<Arc<str>>,
    /// Date the booking was cancelled, if it was.
    pub cancel_date: Option<NaiveDate>,
    /// Account id, for territory rules (`owner_of`).
    pub account: Option<Arc<str>>,
    /// Custom fields, in `Schema::booking_fields` order; `None` is an empty cell.
    pub fields: Cells,
    /// Where the row came from.
    pub origin: Origin,
}

/// A row's custom cells, in schema order. One is held in the row itself (a plan reads
/// one custom booking column as a rule: a product, a segment), so reading it touches
/// no other memory; more are held apart, as a vector would hold them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cells(smallvec::SmallVec<[Option<FieldValue>; 1]>);

impl Cells {
    /// Adds a cell after the others.
    pub fn push(&mut self, cell: Option<FieldValue>) {
        self.0.push(cell);
    }
}

impl std::ops::Deref for Cells {
    type Target = [Option<FieldValue>];
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<'c> IntoIterator for &'c Cells {
    type Item = &'c Option<FieldValue>;
    type IntoIter = std::slice::Iter<'c, Option<FieldValue>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl From<Vec<Option<FieldValue>>> for Cells {
    fn from(cells: Vec<Option<FieldValue>>) -> Cells {
        Cells(cells.into_iter().collect())
    }
}

impl FromIterator<Option<FieldValue>> for Cells {
    fn from_iter<I: IntoIterator<Item = Option<FieldValue>>>(cells: I) -> Cells {
        Cells(cells.into_iter().collect())
    }
}

impl PartialEq<Vec<Option<FieldValue>>> for Cells {
    fn eq(&self, other: &Vec<Option<FieldValue>>) -> bool {
        self.0.as_slice() == other.as_slice()
    }
}

/// One row of `splits`: a share of a booking's credit for one payee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The booking id.
    pub booking: String,
    /// The payee credited.
    pub payee: String,
    /// The share, as a fraction (`60%` is 0.6).
    pub share: Decimal,
    /// Where the row came from.
    pub origin: Origin,
}

/// One row of `quotas` (or, with a number, of `metrics`): a per-payee value for a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodValue {
    /// The payee id.
    pub payee: String,
    /// The quota or metric name.
    pub name: String,
    /// The period the row covers, counted from the term start.
    pub period: PeriodLabel,
    /// The amount (quota: plan currency) or number (metric).
    pub value: Decimal,
    /// Where the row came from.
    pub origin: Origin,
}

/// One row of `fx`: from `date` until the next row, 1 `currency` = `rate` plan currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FxRate {
    /// The foreign currency.
    pub currency: Currency,
    /// First day the rate is in force.
    pub date: NaiveDate,
    /// Plan-currency units per unit of `currency`.
    pub rate: Decimal,
    /// Where the row came from.
    pub origin: Origin,
}

/// One row of `accounts`: who owns an account over a date range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountOwner {
    /// The account id.
    pub account: String,
    /// The owning payee id.
    pub payee: String,
    /// First day, inclusive.
    pub from: NaiveDate,
    /// Last day, inclusive; `None` is open-ended.
    pub to: Option<NaiveDate>,
    /// Where the row came from.
    pub origin: Origin,
}

/// All the tables of a data set, validated by the loader.
///
/// INVARIANT (established by `payplan-data`): payees and bookings are sorted by id and
/// unique; every payee, manager, owner and split reference exists; the manager graph
/// has no cycle; split shares of a booking sum to exactly 1; fx rows are sorted by
/// (currency, date) and every booking not in the plan currency has a rate on its date;
/// accounts rows of one account do not overlap and are sorted by (account, from);
/// quota and metric rows are unique per (payee, name, period). Build it with
/// [`Facts::from_tables`], which sorts the rows and resolves references to indices.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts {
    /// Payees, sorted by id.
    pub payees: Vec<Payee>,
    /// Bookings, sorted by id.
    pub bookings: Vec<Booking>,
    /// Split rows, sorted by (booking, payee).
    pub splits: Vec<Split>,
    /// Quota rows, sorted by (payee, name, period).
    pub quotas: Vec<PeriodValue>,
    /// Metric rows, sorted by (payee, name, period).
    pub metrics: Vec<PeriodValue>,
    /// Fx rows, sorted by (currency, date).
    pub fx: Vec<FxRate>,
    /// Account ownership rows, sorted by (account, from).
    pub accounts: Vec<AccountOwner>,
    index: Index,
}

/// References resolved to positions, so the engine never looks an id up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Index {
    /// Per booking: its owner's position in `payees` (`usize::MAX` if unknown).
    owner: Vec<usize>,
    /// Per payee: the manager's position.
    manager: Vec<Option<usize>>,
    /// Per booking: the first of its rows in `splits`; one more entry at the end.
    split_start: Vec<usize>,
    /// Per split row: the payee's position (`usize::MAX` if unknown).
    split_payee: Vec<usize>,
}

/// The tables of a data set, before sorting and indexing.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// Payees.
    pub payees: Vec<Payee>,
    /// Bookings.
    pub bookings: Vec<Booking>,
    /// Split rows.
    pub splits: Vec<Split>,
    /// Quota rows.
    pub quotas: Vec<PeriodValue>,
    /// Metric rows.
    pub metrics: Vec<PeriodValue>,
    /// Fx rows.
    pub fx: Vec<FxRate>,
    /// Account ownership rows.
    pub accounts: Vec<AccountOwner>,
}

impl Facts {
    /// Copies of its tables, to build other facts from (with rows added, say).
    pub fn to_tables(&self) -> Tables {
        Tables {
            payees: self.payees.clone(),
            bookings: self.bookings.clone(),
            splits: self.splits.clone(),
            quotas: self.quotas.clone(),
            metrics: self.metrics.clone(),
            fx: self.fx.clone(),
            accounts: self.accounts.clone(),
        }
    }

    /// Sorts every table by its key (so any input row order gives the same facts) and
    /// resolves references to positions. The caller validated the references.
    pub fn from_tables(tables: Tables) -> Facts {
        let Tables { mut payees, mut bookings, mut splits, mut quotas, mut metrics, mut fx, mut accounts } = tables;
        payees.sort_by(|a, b| a.id.cmp(&b.id));
        bookings.sort_by(|a, b| a.id.cmp(&b.id));
        splits.sort_by(|a, b| (&a.booking, &a.payee).cmp(&(&b.booking, &b.payee)));
        for rows in [&mut quotas, &mut metrics] {
            rows.sort_by(|a, b| (&a.payee, &a.name, a.period).cmp(&(&b.payee, &b.name, b.period)));
        }
        fx.sort_by_key(|row| (row.currency, row.date));
        accounts.sort_by(|a, b| (&a.account, a.from).cmp(&(&b.account, b.from)));
        let mut facts = Facts { payees, bookings, splits, quotas, metrics, fx, accounts, index: Index::default() };
        // One map for the million lookups below (a lookup only: no order comes from it).
        let positions: std::collections::HashMap<&str, usize> = facts.payees.iter().enumerate().map(|(i, p)| (p.id.as_str(), i)).collect();
        let position = |id: &str| positions.get(id).copied();
        #[cfg(feature = "parallel")]
        let owner = {
            use rayon::prelude::*;
            facts.bookings.par_iter().map(|b| position(&b.owner).unwrap_or(usize::MAX)).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let owner = facts.bookings.iter().map(|b| position(&b.owner).unwrap_or(usize::MAX)).collect();
        facts.index = Index {
            owner,
            manager: facts.payees.iter().map(|p| p.manager.as_deref().and_then(position)).collect(),
            split_start: {
                let mut starts = Vec::with_capacity(facts.bookings.len() + 1);
                let mut row = 0;
                for booking in &facts.bookings {
                    while facts.splits.get(row).is_some_and(|s| s.booking < booking.id) {
                        row += 1;
                    }
                    starts.push(row);
                    while facts.splits.get(row).is_some_and(|s| s.booking == booking.id) {
                        row += 1;
                    }
                }
                starts.push(row);
                starts
            },
            split_payee: facts.splits.iter().map(|s| position(&s.payee).unwrap_or(usize::MAX)).collect(),
        };
        drop(positions);
        facts
    }

    /// The payee with this id.
    pub fn payee(&self, id: &str) -> Option<&Payee> {
        self.payees.binary_search_by(|p| p.id.as_str().cmp(id)).ok().and_then(|i| self.payees.get(i))
    }

    /// The position of the payee with this id in `payees`.
    pub fn payee_index(&self, id: &str) -> Option<usize> {
        self.payees.binary_search_by(|p| p.id.as_str().cmp(id)).ok()
    }

    /// The position in `payees` of the owner of the booking at `booking`.
    pub fn owner_index(&self, booking: usize) -> Option<usize> {
        self.index.owner.get(booking).copied().filter(|i| *i < self.payees.len())
    }

    /// The position in `payees` of the manager of the payee at `payee`.
    pub fn manager_index(&self, payee: usize) -> Option<usize> {
        self.index.manager.get(payee).copied().flatten()
    }

    /// The split rows of the booking at `booking`, each with its payee's position
    /// (empty: the owner gets 100%).
    pub fn splits_at(&self, booking: usize) -> impl Iterator<Item = (&Split, Option<usize>)> {
        let start = self.index.split_start.get(booking).copied().unwrap_or(0);
        let end = self.index.split_start.get(booking + 1).copied().unwrap_or(start);
        (start..end).filter_map(move |row| {
            let split = self.splits.get(row)?;
            let payee = self.index.split_payee.get(row).copied().filter(|i| *i < self.payees.len());
            Some((split, payee))
        })
    }

    /// The split rows of one booking by id (empty: the owner gets 100%).
    pub fn splits_of(&self, booking: &str) -> &[Split] {
        let start = self.splits.partition_point(|s| s.booking.as_str() < booking);
        let end = self.splits.partition_point(|s| s.booking.as_str() <= booking);
        self.splits.get(start..end).unwrap_or(&[])
    }

    /// The fx rate in force for `currency` on `date` (1 for the plan currency is the
    /// caller's business), or `None` when no row starts on or before `date`.
    pub fn fx_rate(&self, currency: Currency, date: NaiveDate) -> Option<&FxRate> {
        let end = self.fx.partition_point(|r| (r.currency, r.date) <= (currency, date));
        let row = self.fx.get(end.checked_sub(1)?)?;
        (row.currency == currency).then_some(row)
    }

    /// Who owned `account` on `date`, per the effective-dated `accounts` rows.
    pub fn owner_of(&self, account: &str, date: NaiveDate) -> Option<&AccountOwner> {
        let start = self.accounts.partition_point(|a| a.account.as_str() < account);
        self.accounts.get(start..)?.iter().take_while(|a| a.account == account).find(|a| a.from <= date && a.to.is_none_or(|to| date <= to))
    }
}
