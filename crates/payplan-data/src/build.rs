//! Typing: rows into the rows of `Facts`, with every cell error reported.
//!
//! Rows are typed as they are read (a CSV record or a JSON object at a time), from
//! cells borrowed from the input; only what the facts keep is copied, and repeated text
//! values are shared (`Interner`).
//!
//! Only checks that need nothing but the row itself happen here (cell formats, an end
//! before a start, a rate that is not positive); checks across rows and tables are in
//! `validate`. A row with any error is left out of the output, but its id still counts
//! as known (one bad cell does not also make every reference to the row an error) and
//! its own references are still checked.

use crate::cell::{self, CellError};
use crate::error::{DataError, Errors};
use crate::hash::Interner;
use crate::table::{RawCell, RowCells, SourceKind, Table};
use chrono::NaiveDate;
use payplan_facts::{AccountOwner, Booking, Cells, Currency, FieldType, FieldValue, FxRate, Origin, Payee, PeriodLabel, PeriodValue, Schema, Split};
use rust_decimal::Decimal;
use std::collections::BTreeSet;

/// Positions of the standard columns in `Table::read_columns` (the order of table.rs).
pub(crate) mod col {
    pub(crate) mod payee {
        pub(crate) const ID: usize = 0;
        pub(crate) const NAME: usize = 1;
        pub(crate) const ROLE: usize = 2;
        pub(crate) const MANAGER: usize = 3;
        pub(crate) const START_DATE: usize = 4;
        pub(crate) const END_DATE: usize = 5;
        pub(crate) const TARGET_INCENTIVE: usize = 6;
        /// The row currency (`Table::row_currency_column`), after the standard columns.
        pub(crate) const CURRENCY: usize = 7;
    }
    pub(crate) mod booking {
        pub(crate) const ID: usize = 0;
        pub(crate) const DATE: usize = 1;
        pub(crate) const AMOUNT: usize = 2;
        pub(crate) const CURRENCY: usize = 3;
        pub(crate) const OWNER: usize = 4;
        pub(crate) const STATUS: usize = 5;
        pub(crate) const CANCEL_DATE: usize = 6;
        pub(crate) const ACCOUNT: usize = 7;
    }
    pub(crate) mod split {
        pub(crate) const BOOKING: usize = 0;
        pub(crate) const PAYEE: usize = 1;
        pub(crate) const SHARE: usize = 2;
    }
    pub(crate) mod quota {
        pub(crate) const PAYEE: usize = 0;
        pub(crate) const QUOTA: usize = 1;
        pub(crate) const PERIOD: usize = 2;
        pub(crate) const AMOUNT: usize = 3;
        /// The row currency (`Table::row_currency_column`), after the standard columns.
        pub(crate) const CURRENCY: usize = 4;
    }
    pub(crate) mod fx {
        pub(crate) const CURRENCY: usize = 0;
        pub(crate) const DATE: usize = 1;
        pub(crate) const RATE: usize = 2;
    }
    pub(crate) mod metric {
        pub(crate) const PAYEE: usize = 0;
        pub(crate) const METRIC: usize = 1;
        pub(crate) const PERIOD: usize = 2;
        pub(crate) const VALUE: usize = 3;
    }
    pub(crate) mod account {
        pub(crate) const ACCOUNT: usize = 0;
        pub(crate) const PAYEE: usize = 1;
        pub(crate) const FROM: usize = 2;
        pub(crate) const TO: usize = 3;
    }
}

/// A cell of a row that failed, naming a row of another table; checked once every id
/// is known. (The references of rows that were built are read off the rows.)
pub(crate) struct Reference {
    pub table: Table,
    pub origin: Origin,
    pub column: &'static str,
    pub id: String,
    /// The table the id must be in: payees or bookings.
    pub target: Table,
}

/// The typed rows, plus what cross-table checks need to know about the rows that failed.
#[derive(Default)]
pub(crate) struct Built {
    pub payees: Vec<Payee>,
    pub bookings: Vec<Booking>,
    /// Per booking: true when its currency came from the amount cell's own code (the
    /// missing-fx error then names `amount`), false when from `currency` or the plan.
    pub currency_from_amount: Vec<bool>,
    pub splits: Vec<Split>,
    pub quotas: Vec<PeriodValue>,
    pub metrics: Vec<PeriodValue>,
    pub fx: Vec<FxRate>,
    pub accounts: Vec<AccountOwner>,
    /// The ids of payee rows that failed, with their rows: still known ids.
    pub failed_payee_ids: Vec<(String, Origin)>,
    /// The ids of booking rows that failed, with their rows: still known ids.
    pub failed_booking_ids: Vec<(String, Origin)>,
    /// The references of rows that failed, in file order.
    pub failed_references: Vec<Reference>,
    /// Bookings with a split row that failed: their share sum is not checked.
    pub bookings_with_bad_split_rows: BTreeSet<String>,
    /// Currencies with an fx row that failed: bookings in them are not checked for a rate.
    pub currencies_with_bad_fx_rows: BTreeSet<Currency>,
    /// An fx row's currency failed: no fx check at all (nor when fx is unreadable).
    pub fx_row_without_currency: bool,
    /// A payee row came with an id not after the previous row's (so `payees` needs
    /// sorting, or has a repeat).
    pub payees_out_of_order: bool,
    /// The same for bookings.
    pub bookings_out_of_order: bool,
    /// A split row came before the previous row in (booking, payee) order.
    pub splits_out_of_order: bool,
    /// Shares the text values of statuses, accounts and text fields.
    interner: Interner,
}

impl Built {
    fn push_payee(&mut self, payee: Payee) {
        if self.payees.last().is_some_and(|last| last.id >= payee.id) {
            self.payees_out_of_order = true;
        }
        self.payees.push(payee);
    }

    fn push_booking(&mut self, booking: Booking, currency_from_amount: bool) {
        if self.bookings.last().is_some_and(|last| last.id >= booking.id) {
            self.bookings_out_of_order = true;
        }
        self.bookings.push(booking);
        self.currency_from_amount.push(currency_from_amount);
    }

    fn push_split(&mut self, split: Split) {
        if self.splits.last().is_some_and(|last| (&last.booking, &last.payee) > (&split.booking, &split.payee)) {
            self.splits_out_of_order = true;
        }
        self.splits.push(split);
    }

    /// Adds the rows of a later part of the same file, read on its own (see
    /// `csv_source::read_in_parallel`): as if they had been read after these.
    #[cfg(feature = "parallel")]
    pub(crate) fn append(&mut self, mut later: Built) {
        // Order flags look across the seam too.
        if let (Some(last), Some(first)) = (self.payees.last(), later.payees.first()) {
            self.payees_out_of_order |= last.id >= first.id;
        }
        if let (Some(last), Some(first)) = (self.bookings.last(), later.bookings.first()) {
            self.bookings_out_of_order |= last.id >= first.id;
        }
        if let (Some(last), Some(first)) = (self.splits.last(), later.splits.first()) {
            self.splits_out_of_order |= (&last.booking, &last.payee) > (&first.booking, &first.payee);
        }
        /// `later` after `rows`; taken whole when `rows` is empty (no copy).
        fn join<T>(rows: &mut Vec<T>, mut later: Vec<T>) {
            if rows.is_empty() {
                *rows = later;
            } else {
                rows.append(&mut later);
            }
        }
        join(&mut self.payees, later.payees);
        join(&mut self.bookings, later.bookings);
        join(&mut self.currency_from_amount, later.currency_from_amount);
        join(&mut self.splits, later.splits);
        join(&mut self.quotas, later.quotas);
        join(&mut self.metrics, later.metrics);
        join(&mut self.fx, later.fx);
        join(&mut self.accounts, later.accounts);
        self.failed_payee_ids.append(&mut later.failed_payee_ids);
        self.failed_booking_ids.append(&mut later.failed_booking_ids);
        self.failed_references.append(&mut later.failed_references);
        self.bookings_with_bad_split_rows.append(&mut later.bookings_with_bad_split_rows);
        self.currencies_with_bad_fx_rows.append(&mut later.currencies_with_bad_fx_rows);
        self.fx_row_without_currency |= later.fx_row_without_currency;
        self.payees_out_of_order |= later.payees_out_of_order;
        self.bookings_out_of_order |= later.bookings_out_of_order;
        self.splits_out_of_order |= later.splits_out_of_order;
    }

    /// Makes room for about `rows` more rows of `table` (an estimate: lines in the file).
    pub(crate) fn reserve(&mut self, table: Table, rows: usize) {
        match table {
            Table::Payees => self.payees.reserve(rows),
            Table::Bookings => {
                self.bookings.reserve(rows);
                self.currency_from_amount.reserve(rows);
            }
            Table::Splits => self.splits.reserve(rows),
            Table::Quotas => self.quotas.reserve(rows),
            Table::Fx => self.fx.reserve(rows),
            Table::Metrics => self.metrics.reserve(rows),
            Table::Accounts => self.accounts.reserve(rows),
        }
    }
}

/// Types the rows of one table: its read columns, resolved once.
pub(crate) struct TableBuilder<'s> {
    table: Table,
    kind: SourceKind,
    schema: &'s Schema,
    /// `Table::read_columns`: the standard columns, then the declared fields.
    columns: Vec<String>,
    /// Per declared field of the table, in declaration order, its position in `columns`.
    field_columns: Vec<usize>,
}

impl<'s> TableBuilder<'s> {
    pub(crate) fn new(table: Table, kind: SourceKind, schema: &'s Schema) -> TableBuilder<'s> {
        let columns = table.read_columns(schema);
        let field_columns =
            table.declared_fields(schema).iter().map(|(name, _)| columns.iter().position(|column| column == name).unwrap_or(usize::MAX)).collect();
        TableBuilder { table, kind, schema, columns, field_columns }
    }

    /// The columns the loader reads, in the order `RowCells` are indexed by.
    pub(crate) fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Types one row into `built`, reporting each cell error.
    pub(crate) fn row(&self, cells: RowCells<'_>, origin: Origin, built: &mut Built, errors: &mut Errors) {
        // Rows of the two big tables whose cells are all well-formed (nearly all) take
        // a short way; any other row, the general one, which reports what is wrong.
        let quick = crate::quick_paths();
        let origin = match self.table {
            Table::Bookings if quick => match self.quick_booking(cells, &mut built.interner) {
                Some(booking) => {
                    built.push_booking(booking.with_origin(origin), false);
                    return;
                }
                None => origin,
            },
            Table::Splits if quick => match quick_split(cells) {
                Some((booking, payee, share)) => {
                    built.push_split(Split { booking: booking.to_string(), payee: payee.to_string(), share, origin });
                    return;
                }
                None => origin,
            },
            _ => origin,
        };
        let mut reader = RowReader {
            table: self.table,
            cells,
            columns: &self.columns,
            field_columns: &self.field_columns,
            origin: &origin,
            kind: self.kind,
            schema: self.schema,
            errors,
            ok: true,
        };
        match self.table {
            Table::Payees => build_payee(&mut reader, built),
            Table::Bookings => build_booking(&mut reader, built),
            Table::Splits => build_split(&mut reader, built),
            Table::Quotas => build_quota(&mut reader, built),
            Table::Fx => build_fx(&mut reader, built),
            Table::Metrics => build_metric(&mut reader, built),
            Table::Accounts => build_account(&mut reader, built),
        }
    }
}

impl TableBuilder<'_> {
    /// A booking row exactly as `build_booking` types it when no cell has an error;
    /// `None` for a row with anything less plain (an empty required cell, a cell that
    /// does not parse, an amount with a code of its own, a JSON number), which then
    /// takes the general path.
    fn quick_booking(&self, cells: RowCells<'_>, interner: &mut Interner) -> Option<QuickBooking> {
        use col::booking::*;
        let schema = self.schema;
        let id = required_text(cells.get(ID))?;
        let date = cell::quick::date(required_text(cells.get(DATE))?)?;
        let currency_cell = match optional_text(cells.get(CURRENCY))? {
            Some(code) => Some(cell::quick::currency(code)?),
            None => None,
        };
        let amount = cell::quick::number(required_text(cells.get(AMOUNT))?)?;
        let owner = required_text(cells.get(OWNER))?;
        let status = optional_text(cells.get(STATUS))?;
        let cancel_date = match optional_text(cells.get(CANCEL_DATE))? {
            Some(text) => Some(cell::quick::date(text)?),
            None => None,
        };
        let account = optional_text(cells.get(ACCOUNT))?;
        // A money field without a code is in the row's currency, or the plan's.
        let currency = currency_cell.unwrap_or(schema.currency);
        let mut fields = Cells::default();
        for (field, (&column, (_, field_type))) in self.field_columns.iter().zip(self.table.declared_fields(schema)).enumerate() {
            let value = match optional_text(cells.get(column))? {
                None => None,
                Some(text) => Some(match field_type {
                    FieldType::Text => FieldValue::Text(interner.get_for(2 + field, text)),
                    FieldType::Number => FieldValue::Number(cell::quick::number(text)?),
                    FieldType::Date => FieldValue::Date(cell::quick::date(text)?),
                    FieldType::Bool => FieldValue::Bool(cell::quick::boolean(text)?),
                    FieldType::Money => FieldValue::Money(cell::quick::number(text)?, currency),
                }),
            };
            fields.push(value);
        }
        Some(QuickBooking {
            id: id.to_string(),
            date,
            amount,
            currency,
            owner: std::sync::Arc::from(owner),
            status: status.map(|status| interner.get_for(0, status)),
            cancel_date,
            account: account.map(|account| interner.get_for(1, account)),
            fields,
        })
    }
}

/// A `Booking` but for its origin (its currency never comes from the amount).
struct QuickBooking {
    id: String,
    date: NaiveDate,
    amount: Decimal,
    currency: Currency,
    owner: std::sync::Arc<str>,
    status: Option<std::sync::Arc<str>>,
    cancel_date: Option<NaiveDate>,
    account: Option<std::sync::Arc<str>>,
    fields: Cells,
}

impl QuickBooking {
    fn with_origin(self, origin: Origin) -> Booking {
        Booking {
            id: self.id,
            date: self.date,
            amount: self.amount,
            currency: self.currency,
            owner: self.owner,
            status: self.status,
            cancel_date: self.cancel_date,
            account: self.account,
            fields: self.fields,
            origin,
        }
    }
}

/// A split row's booking, payee and share when all three are well-formed (see
/// `quick_booking`).
fn quick_split(cells: RowCells<'_>) -> Option<(&str, &str, Decimal)> {
    use col::split::*;
    let booking = required_text(cells.get(BOOKING))?;
    let payee = required_text(cells.get(PAYEE))?;
    let share = cell::quick::share(required_text(cells.get(SHARE))?)?;
    Some((booking, payee, share))
}

/// The text of a cell that must not be empty; `None` for an empty cell or a JSON value
/// that is not a string.
fn required_text(cell: RawCell<'_>) -> Option<&str> {
    match cell {
        RawCell::Text(text) => Some(text),
        _ => None,
    }
}

/// `Some(None)` for an empty cell, `Some(Some(text))` for a text cell, `None` for a JSON
/// value that is not a string.
fn optional_text(cell: RawCell<'_>) -> Option<Option<&str>> {
    match cell {
        RawCell::Absent => Some(None),
        RawCell::Text(text) => Some(Some(text)),
        _ => None,
    }
}

/// Reads the cells of one row, reporting each error and remembering whether there was one.
struct RowReader<'r> {
    table: Table,
    cells: RowCells<'r>,
    columns: &'r [String],
    field_columns: &'r [usize],
    origin: &'r Origin,
    kind: SourceKind,
    schema: &'r Schema,
    errors: &'r mut Errors,
    /// False once any cell of the row failed.
    ok: bool,
}

/// Which currency a money cell without a code of its own is in: the row's `currency`
/// cell, or the plan currency when that is empty or the table has none (data.md).
#[derive(Clone, Copy)]
enum MoneyContext {
    /// Payee money and quotas, which must be in the plan currency: a code of the cell's
    /// own, or a row currency, naming another is an error.
    PlanOnly { currency_cell: Option<Currency> },
    /// A booking's money field, in any currency (converted with fx).
    Booking { currency_cell: Option<Currency> },
}

impl<'r> RowReader<'r> {
    fn origin(&self) -> &Origin {
        self.origin
    }

    fn cell(&self, column: usize) -> RawCell<'r> {
        self.cells.get(column)
    }

    fn column_name(&self, column: usize) -> &'r str {
        self.columns.get(column).map_or("", String::as_str)
    }

    /// Reports an error on `column`, quoting the cell.
    fn report(&mut self, column: usize, error: CellError) {
        let value = if error.show_value { self.cell(column).shown() } else { None };
        let error = DataError::at_row(self.origin, Some(self.column_name(column)), error.message).value(value).help(error.help);
        self.errors.row(self.table, self.origin, error);
        self.ok = false;
    }

    /// An optional cell: `None` when empty or when it failed (reported).
    fn optional<T>(&mut self, column: usize, parse: impl Fn(&RawCell<'r>) -> Result<Option<T>, CellError>) -> Option<T> {
        match parse(&self.cell(column)) {
            Ok(value) => value,
            Err(error) => {
                self.report(column, error);
                None
            }
        }
    }

    /// A required cell: an empty one is an error too.
    fn required<T>(&mut self, column: usize, parse: impl Fn(&RawCell<'r>) -> Result<Option<T>, CellError>) -> Option<T> {
        let is_absent = matches!(self.cell(column), RawCell::Absent);
        let value = self.optional(column, parse);
        if is_absent {
            let message = match self.kind {
                SourceKind::Csv => "is empty, but every row needs one",
                SourceKind::Json => "is missing or empty, but every row needs one",
            };
            self.report(column, CellError::new(message));
        }
        value
    }

    /// Records the references of a row that failed (`(column, id, target)`, in the
    /// order the row names them), so they are still checked.
    fn failed_references(&self, built: &mut Built, references: &[(&'static str, Option<&str>, Table)]) {
        for &(column, id, target) in references {
            if let Some(id) = id {
                built.failed_references.push(Reference { table: self.table, origin: self.origin.clone(), column, id: id.to_string(), target });
            }
        }
    }

    /// A period label that must lie within the term.
    fn period(&mut self, column: usize) -> Option<PeriodLabel> {
        let schema = self.schema;
        self.required(column, |raw| {
            let Some(label) = cell::period(raw)? else {
                return Ok(None);
            };
            check_in_term(label, schema).map(Some)
        })
    }

    /// A money cell, resolved to an amount and a currency per `context`.
    fn money(&mut self, column: usize, required: bool, context: &MoneyContext) -> Option<(Decimal, Currency)> {
        let (amount, own_code) = if required { self.required(column, cell::money)? } else { self.optional(column, cell::money)? };
        match resolve_currency(own_code, context, self.schema.currency) {
            Ok(currency) => Some((amount, currency)),
            Err(error) => {
                self.report(column, error);
                None
            }
        }
    }

    /// The declared custom fields, in declaration order.
    fn fields(&mut self, context: &MoneyContext, interner: &mut Interner) -> Vec<Option<FieldValue>> {
        let declared = self.table.declared_fields(self.schema);
        let mut values = Vec::with_capacity(declared.len());
        for ((_, field_type), &column) in declared.iter().zip(self.field_columns) {
            let value = match field_type {
                FieldType::Text => self.optional(column, cell::text).map(|text| FieldValue::Text(interner.get(text))),
                FieldType::Number => self.optional(column, cell::number).map(FieldValue::Number),
                FieldType::Date => self.optional(column, cell::date).map(FieldValue::Date),
                FieldType::Bool => self.optional(column, cell::boolean).map(FieldValue::Bool),
                FieldType::Money => self.money(column, false, context).map(|(amount, currency)| FieldValue::Money(amount, currency)),
            };
            values.push(value);
        }
        values
    }

    /// `value` (of `column`) when it is not negative; reports it otherwise: a quota or a
    /// target incentive (`what`) below 0 would turn the tier bands around.
    fn not_negative(&mut self, column: usize, value: Option<Decimal>, what: &str) -> Option<Decimal> {
        match value {
            Some(amount) if amount < Decimal::ZERO => {
                self.report(column, CellError::new(format!("is negative: {what} is at least 0")));
                None
            }
            _ => value,
        }
    }

    /// Reports `later` (a date column) when it is before `earlier`.
    fn check_order(&mut self, earlier: (usize, Option<NaiveDate>), later: (usize, Option<NaiveDate>)) {
        if let ((earlier_column, Some(start)), (later_column, Some(end))) = (earlier, later) {
            if end < start {
                let earlier_name = self.column_name(earlier_column);
                self.report(later_column, CellError::new(format!("is before {earlier_name} {start}")));
            }
        }
    }
}

/// The currency of a money cell: its own code, or the one its context implies.
fn resolve_currency(own_code: Option<Currency>, context: &MoneyContext, plan: Currency) -> Result<Currency, CellError> {
    let not_plan = |code: Currency, whose: &str| {
        CellError::new(format!("is in {code}{whose}, but this amount must be in the plan currency {plan}")).help(format!("convert it to {plan}"))
    };
    match *context {
        MoneyContext::PlanOnly { currency_cell } => match (own_code, currency_cell) {
            // As for a booking's amount.
            (Some(code), Some(row)) if code != row => Err(CellError::new(format!("is in {code}, but the currency column says {row}"))),
            (Some(code), _) if code != plan => Err(not_plan(code, "")),
            (None, Some(row)) if row != plan => Err(not_plan(row, " (the row's currency)")),
            _ => Ok(plan),
        },
        MoneyContext::Booking { currency_cell } => match (own_code, currency_cell) {
            (Some(code), Some(row)) if code != row => Err(CellError::new(format!("is in {code}, but the row's currency is {row}"))),
            (Some(code), _) => Ok(code),
            (None, Some(row)) => Ok(row),
            // data.md: in the plan currency when the currency cell is empty, even when
            // the amount names another currency of its own.
            (None, None) => Ok(plan),
        },
    }
}

/// A period label lies within the term when its whole span does.
fn check_in_term(label: PeriodLabel, schema: &Schema) -> Result<PeriodLabel, CellError> {
    let inside = label.span(schema.term_start).is_some_and(|(_, end)| end <= schema.term_end);
    if inside {
        return Ok(label);
    }
    let message = format!("is outside the term {} to {}", schema.term_start, schema.term_end);
    let kind = label.kind;
    let fitting =
        (1..=1200u32).take_while(|&number| PeriodLabel { kind, number }.span(schema.term_start).is_some_and(|(_, end)| end <= schema.term_end)).count();
    let prefix = kind.prefix();
    Err(match fitting {
        0 => CellError::new(message).help(format!("no {} fits in the term", kind.keyword())),
        1 => CellError::new(message).help(format!("the term has {prefix}1 only")),
        n => CellError::new(message).help(format!("the term has {prefix}1 to {prefix}{n}")),
    })
}

fn build_payee(r: &mut RowReader, built: &mut Built) {
    use col::payee::*;
    let id = r.required(ID, cell::text);
    let name = r.optional(NAME, cell::text);
    let role = r.optional(ROLE, cell::text);
    let manager = r.optional(MANAGER, cell::text);
    let start_date = r.optional(START_DATE, cell::date);
    let end_date = r.optional(END_DATE, cell::date);
    r.check_order((START_DATE, start_date), (END_DATE, end_date));
    let context = MoneyContext::PlanOnly { currency_cell: r.optional(CURRENCY, cell::currency) };
    let target_incentive = r.money(TARGET_INCENTIVE, false, &context).map(|(amount, _)| amount);
    let target_incentive = r.not_negative(TARGET_INCENTIVE, target_incentive, "a target incentive");
    let fields = r.fields(&context, &mut built.interner);
    if let (true, Some(id)) = (r.ok, id) {
        built.push_payee(Payee {
            id: id.to_string(),
            name: name.map(str::to_string),
            role: role.map(str::to_string),
            manager: manager.map(str::to_string),
            start_date,
            end_date,
            target_incentive,
            fields,
            origin: r.origin().clone(),
        });
    } else {
        if let Some(id) = id {
            built.failed_payee_ids.push((id.to_string(), r.origin().clone()));
        }
        r.failed_references(built, &[("manager", manager, Table::Payees)]);
    }
}

fn build_booking(r: &mut RowReader, built: &mut Built) {
    use col::booking::*;
    let id = r.required(ID, cell::text);
    let date = r.required(DATE, cell::date);
    let currency_cell = r.optional(CURRENCY, cell::currency);
    let amount = r.required(AMOUNT, cell::money);
    let amount_code = amount.and_then(|(_, code)| code);
    let plan = r.schema.currency;
    let (currency, from_amount) = match (amount_code, currency_cell) {
        (Some(code), Some(row)) if code != row => {
            r.report(AMOUNT, CellError::new(format!("is in {code}, but the currency column says {row}")));
            (row, false)
        }
        (_, Some(row)) => (row, false),
        (Some(code), None) => (code, true),
        (None, None) => (plan, false),
    };
    let owner = r.required(OWNER, cell::text);
    let status = r.optional(STATUS, cell::text);
    let cancel_date = r.optional(CANCEL_DATE, cell::date);
    // A cancel date before the booking date is accepted: the clawback rule of
    // language.md section 5 gives it a meaning (a reversal dated on the cancel date).
    let account = r.optional(ACCOUNT, cell::text);
    let fields = r.fields(&MoneyContext::Booking { currency_cell }, &mut built.interner);
    if let (true, Some(id), Some(date), Some((amount, _)), Some(owner)) = (r.ok, id, date, amount, owner) {
        let booking = Booking {
            id: id.to_string(),
            date,
            amount,
            currency,
            owner: std::sync::Arc::from(owner),
            status: status.map(|status| built.interner.get(status)),
            cancel_date,
            account: account.map(|account| built.interner.get(account)),
            fields: fields.into(),
            origin: r.origin().clone(),
        };
        built.push_booking(booking, from_amount);
    } else {
        if let Some(id) = id {
            built.failed_booking_ids.push((id.to_string(), r.origin().clone()));
        }
        r.failed_references(built, &[("owner", owner, Table::Payees)]);
    }
}

fn build_split(r: &mut RowReader, built: &mut Built) {
    use col::split::*;
    let booking = r.required(BOOKING, cell::text);
    let payee = r.required(PAYEE, cell::text);
    let share = r.required(SHARE, cell::share);
    match (r.ok, booking, payee, share) {
        (true, Some(booking), Some(payee), Some(share)) => {
            built.push_split(Split { booking: booking.to_string(), payee: payee.to_string(), share, origin: r.origin().clone() });
        }
        _ => {
            r.failed_references(built, &[("booking", booking, Table::Bookings), ("payee", payee, Table::Payees)]);
            if let Some(booking) = booking {
                if !built.bookings_with_bad_split_rows.contains(booking) {
                    built.bookings_with_bad_split_rows.insert(booking.to_string());
                }
            }
        }
    }
}

fn build_quota(r: &mut RowReader, built: &mut Built) {
    use col::quota::*;
    let payee = r.required(PAYEE, cell::text);
    let name = r.required(QUOTA, cell::text);
    let period = r.period(PERIOD);
    let context = MoneyContext::PlanOnly { currency_cell: r.optional(CURRENCY, cell::currency) };
    let amount = r.money(AMOUNT, true, &context).map(|(amount, _)| amount);
    let amount = r.not_negative(AMOUNT, amount, "a quota");
    if let (true, Some(payee), Some(name), Some(period), Some(value)) = (r.ok, payee, name, period, amount) {
        built.quotas.push(PeriodValue { payee: payee.to_string(), name: name.to_string(), period, value, origin: r.origin().clone() });
    } else {
        r.failed_references(built, &[("payee", payee, Table::Payees)]);
    }
}

fn build_metric(r: &mut RowReader, built: &mut Built) {
    use col::metric::*;
    let payee = r.required(PAYEE, cell::text);
    let name = r.required(METRIC, cell::text);
    let period = r.period(PERIOD);
    let value = r.required(VALUE, cell::number);
    if let (true, Some(payee), Some(name), Some(period), Some(value)) = (r.ok, payee, name, period, value) {
        built.metrics.push(PeriodValue { payee: payee.to_string(), name: name.to_string(), period, value, origin: r.origin().clone() });
    } else {
        r.failed_references(built, &[("payee", payee, Table::Payees)]);
    }
}

fn build_fx(r: &mut RowReader, built: &mut Built) {
    use col::fx::*;
    let currency = r.required(CURRENCY, cell::currency);
    let date = r.required(DATE, cell::date);
    let rate = r.required(RATE, cell::number);
    if let Some(rate) = rate {
        if rate <= Decimal::ZERO {
            r.report(RATE, CellError::new("is not a rate: it must be more than 0"));
        }
    }
    let plan = r.schema.currency;
    if currency == Some(plan) && r.ok {
        // A plan-currency row can only say 1: drop it when it does, since it adds
        // nothing; any other rate means the rates are quoted against another currency.
        if rate == Some(Decimal::ONE) {
            return;
        }
        let message = "is the plan currency, whose rate is always 1";
        let help = "remove the row: rates convert other currencies into the plan currency";
        r.report(CURRENCY, CellError::new(message).help(help));
    }
    match (r.ok, currency, date, rate) {
        (true, Some(currency), Some(date), Some(rate)) => {
            built.fx.push(FxRate { currency, date, rate, origin: r.origin().clone() });
        }
        (_, Some(currency), _, _) => {
            built.currencies_with_bad_fx_rows.insert(currency);
        }
        _ => built.fx_row_without_currency = true,
    }
}

fn build_account(r: &mut RowReader, built: &mut Built) {
    use col::account::*;
    let account = r.required(ACCOUNT, cell::text);
    let payee = r.required(PAYEE, cell::text);
    let from = r.required(FROM, cell::date);
    let to = r.optional(TO, cell::date);
    r.check_order((FROM, from), (TO, to));
    if let (true, Some(account), Some(payee), Some(from)) = (r.ok, account, payee, from) {
        built.accounts.push(AccountOwner { account: account.to_string(), payee: payee.to_string(), from, to, origin: r.origin().clone() });
    } else {
        r.failed_references(built, &[("payee", payee, Table::Payees)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_positions_match_the_standard_columns() {
        let expected: &[(Table, &[(usize, &str)])] = &[
            (
                Table::Payees,
                &[
                    (col::payee::ID, "id"),
                    (col::payee::NAME, "name"),
                    (col::payee::ROLE, "role"),
                    (col::payee::MANAGER, "manager"),
                    (col::payee::START_DATE, "start_date"),
                    (col::payee::END_DATE, "end_date"),
                    (col::payee::TARGET_INCENTIVE, "target_incentive"),
                ],
            ),
            (
                Table::Bookings,
                &[
                    (col::booking::ID, "id"),
                    (col::booking::DATE, "date"),
                    (col::booking::AMOUNT, "amount"),
                    (col::booking::CURRENCY, "currency"),
                    (col::booking::OWNER, "owner"),
                    (col::booking::STATUS, "status"),
                    (col::booking::CANCEL_DATE, "cancel_date"),
                    (col::booking::ACCOUNT, "account"),
                ],
            ),
            (Table::Splits, &[(col::split::BOOKING, "booking"), (col::split::PAYEE, "payee"), (col::split::SHARE, "share")]),
            (Table::Quotas, &[(col::quota::PAYEE, "payee"), (col::quota::QUOTA, "quota"), (col::quota::PERIOD, "period"), (col::quota::AMOUNT, "amount")]),
            (Table::Fx, &[(col::fx::CURRENCY, "currency"), (col::fx::DATE, "date"), (col::fx::RATE, "rate")]),
            (Table::Metrics, &[(col::metric::PAYEE, "payee"), (col::metric::METRIC, "metric"), (col::metric::PERIOD, "period"), (col::metric::VALUE, "value")]),
            (Table::Accounts, &[(col::account::ACCOUNT, "account"), (col::account::PAYEE, "payee"), (col::account::FROM, "from"), (col::account::TO, "to")]),
        ];
        for (table, columns) in expected {
            let standard: Vec<&str> = table.columns().iter().map(|c| c.name).collect();
            let ours: Vec<&str> = columns.iter().map(|(_, name)| *name).collect();
            assert_eq!(standard, ours, "{table:?}");
            for (position, (index, _)) in columns.iter().enumerate() {
                assert_eq!(position, *index, "{table:?}");
            }
        }
        // The row currency of payees and quotas comes right after the standard columns.
        let schema = Schema {
            currency: Currency::USD,
            term_start: NaiveDate::MIN,
            term_end: NaiveDate::MAX,
            booking_fields: Vec::new(),
            payee_fields: vec![("currency".to_string(), FieldType::Text), ("region".to_string(), FieldType::Text)],
            needs_quotas: false,
            needs_metrics: false,
        };
        let payees = Table::Payees.read_columns(&schema);
        assert_eq!(payees.get(col::payee::CURRENCY).map(String::as_str), Some("currency"));
        assert_eq!(payees.len(), Table::Payees.own_column_count() + 1, "a declared `currency` field is the row currency column");
        assert_eq!(Table::Quotas.read_columns(&schema).get(col::quota::CURRENCY).map(String::as_str), Some("currency"));
    }
}
