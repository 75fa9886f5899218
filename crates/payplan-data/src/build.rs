//! Typing: raw rows into the rows of `Facts`, with every cell error reported.
//!
//! Only checks that need nothing but the row itself happen here (cell formats, an end
//! before a start, a rate that is not positive); checks across rows and tables are in
//! `validate`. A row with any error is left out of the output, but its id still counts
//! as known (one bad cell does not also make every reference to the row an error) and
//! its own references are still checked.

use crate::cell::{self, CellError};
use crate::error::{DataError, Errors};
use crate::table::{RawCell, RawRow, RawTable, SourceKind, Table};
use chrono::NaiveDate;
use payplan_facts::{
    AccountOwner, Booking, Currency, FieldType, FieldValue, FxRate, Origin, Payee, PeriodLabel,
    PeriodValue, Schema, Split,
};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// The tables of a data set before typing; a table absent here was absent from the input
/// (or unreadable: see `unreadable`).
pub(crate) struct RawData {
    pub kind: SourceKind,
    pub tables: BTreeMap<Table, RawTable>,
    /// Tables that exist but could not be read at all (bad encoding, a missing required
    /// column) or required tables that are missing: references to them are not checked.
    pub unreadable: BTreeSet<Table>,
}

/// A booking with where its currency came from, for the missing-fx error.
pub(crate) struct BuiltBooking {
    pub booking: Booking,
    /// `currency`, or `amount` when the amount cell carried the code.
    pub currency_column: &'static str,
}

/// A cell naming a row of another table, checked once every id is known. Collected
/// from every row, failed or not, so a row with a bad date still has its owner checked.
pub(crate) struct Reference {
    pub table: Table,
    pub origin: Origin,
    pub column: &'static str,
    pub id: String,
    /// The table the id must be in: payees or bookings.
    pub target: Table,
}

/// The typed rows, plus what cross-table checks need to know about the rows that failed.
pub(crate) struct Built {
    pub payees: Vec<Payee>,
    pub bookings: Vec<BuiltBooking>,
    pub splits: Vec<Split>,
    pub quotas: Vec<PeriodValue>,
    pub metrics: Vec<PeriodValue>,
    pub fx: Vec<FxRate>,
    pub accounts: Vec<AccountOwner>,
    /// Every payee id read, in file order, with its row (`None`: payees are unreadable).
    pub payee_ids: Option<Vec<(String, Origin)>>,
    /// Every booking id read, in file order, with its row (`None`: bookings are unreadable).
    pub booking_ids: Option<Vec<(String, Origin)>>,
    /// Every reference to a payee or booking, in file order.
    pub references: Vec<Reference>,
    /// Bookings with a split row that failed: their share sum is not checked.
    pub bookings_with_bad_split_rows: BTreeSet<String>,
    /// Currencies with an fx row that failed: bookings in them are not checked for a rate.
    pub currencies_with_bad_fx_rows: BTreeSet<Currency>,
    /// The fx table is unreadable, or has a row whose currency failed: no fx check at all.
    pub fx_unreadable: bool,
}

/// Types every table of `raw`.
pub(crate) fn build(raw: &RawData, schema: &Schema, errors: &mut Errors) -> Built {
    let mut built = Built {
        payees: Vec::new(),
        bookings: Vec::new(),
        splits: Vec::new(),
        quotas: Vec::new(),
        metrics: Vec::new(),
        fx: Vec::new(),
        accounts: Vec::new(),
        payee_ids: (!raw.unreadable.contains(&Table::Payees)).then(Vec::new),
        booking_ids: (!raw.unreadable.contains(&Table::Bookings)).then(Vec::new),
        references: Vec::new(),
        bookings_with_bad_split_rows: BTreeSet::new(),
        currencies_with_bad_fx_rows: BTreeSet::new(),
        fx_unreadable: raw.unreadable.contains(&Table::Fx),
    };
    for (&table, rows) in &raw.tables {
        for row in &rows.rows {
            let mut reader = RowReader {
                table,
                raw: rows,
                row,
                kind: raw.kind,
                schema,
                errors,
                ok: true,
            };
            match table {
                Table::Payees => build_payee(&mut reader, &mut built),
                Table::Bookings => build_booking(&mut reader, &mut built),
                Table::Splits => build_split(&mut reader, &mut built),
                Table::Quotas => build_quota(&mut reader, &mut built),
                Table::Fx => build_fx(&mut reader, &mut built),
                Table::Metrics => build_metric(&mut reader, &mut built),
                Table::Accounts => build_account(&mut reader, &mut built),
            }
        }
    }
    built
}

/// Reads the cells of one row, reporting each error and remembering whether there was one.
struct RowReader<'a> {
    table: Table,
    raw: &'a RawTable,
    row: &'a RawRow,
    kind: SourceKind,
    schema: &'a Schema,
    errors: &'a mut Errors,
    /// False once any cell of the row failed.
    ok: bool,
}

/// Which currency a money cell without a code of its own is in.
#[derive(Clone, Copy)]
enum MoneyContext {
    /// Payee money and quotas: the plan currency, and no other code is allowed.
    PlanOnly,
    /// A booking's money field: the row's `currency` cell, or the plan currency when it
    /// is empty, unless the amount carries another code (then the field must say which).
    Booking {
        currency_cell: Option<Currency>,
        amount_code: Option<Currency>,
    },
}

impl RowReader<'_> {
    fn origin(&self) -> &Origin {
        &self.row.origin
    }

    fn cell(&self, column: &str) -> &RawCell {
        self.raw.cell(self.row, column)
    }

    /// Reports an error on `column`, quoting the cell.
    fn report(&mut self, column: &str, error: CellError) {
        let value = if error.show_value {
            self.cell(column).shown()
        } else {
            None
        };
        let error = DataError::at_row(&self.row.origin, Some(column), error.message)
            .value(value)
            .help(error.help);
        self.errors.row(self.table, &self.row.origin, error);
        self.ok = false;
    }

    /// An optional cell: `None` when empty or when it failed (reported).
    fn optional<T>(
        &mut self,
        column: &str,
        parse: impl Fn(&RawCell) -> Result<Option<T>, CellError>,
    ) -> Option<T> {
        match parse(self.cell(column)) {
            Ok(value) => value,
            Err(error) => {
                self.report(column, error);
                None
            }
        }
    }

    /// A required cell: an empty one is an error too.
    fn required<T>(
        &mut self,
        column: &str,
        parse: impl Fn(&RawCell) -> Result<Option<T>, CellError>,
    ) -> Option<T> {
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

    /// Records that `id` (read from `column`) must be an id of `target`.
    fn refers(&self, built: &mut Built, column: &'static str, id: Option<&String>, target: Table) {
        if let Some(id) = id {
            let origin = self.row.origin.clone();
            built.references.push(Reference {
                table: self.table,
                origin,
                column,
                id: id.clone(),
                target,
            });
        }
    }

    /// A period label that must lie within the term.
    fn period(&mut self, column: &str) -> Option<PeriodLabel> {
        let schema = self.schema;
        self.required(column, |raw| {
            let Some(label) = cell::period(raw)? else {
                return Ok(None);
            };
            check_in_term(label, schema).map(Some)
        })
    }

    /// A money cell, resolved to an amount and a currency per `context`.
    fn money(
        &mut self,
        column: &str,
        required: bool,
        context: &MoneyContext,
    ) -> Option<(Decimal, Currency)> {
        let (amount, own_code) = if required {
            self.required(column, cell::money)?
        } else {
            self.optional(column, cell::money)?
        };
        match resolve_currency(amount, own_code, context, self.schema.currency) {
            Ok(currency) => Some((amount, currency)),
            Err(error) => {
                self.report(column, error);
                None
            }
        }
    }

    /// The declared custom fields, in declaration order.
    fn fields(&mut self, context: &MoneyContext) -> Vec<Option<FieldValue>> {
        let declared = self.table.declared_fields(self.schema);
        let mut values = Vec::with_capacity(declared.len());
        for (name, field_type) in declared {
            let value = match field_type {
                FieldType::Text => self.optional(name, cell::text).map(|t| FieldValue::Text(t.into())),
                FieldType::Number => self.optional(name, cell::number).map(FieldValue::Number),
                FieldType::Date => self.optional(name, cell::date).map(FieldValue::Date),
                FieldType::Bool => self.optional(name, cell::boolean).map(FieldValue::Bool),
                FieldType::Money => self
                    .money(name, false, context)
                    .map(|(amount, currency)| FieldValue::Money(amount, currency)),
            };
            values.push(value);
        }
        values
    }

    /// Reports `later` (a date column) when it is before `earlier`.
    fn check_order(
        &mut self,
        earlier: (&str, Option<NaiveDate>),
        later: (&str, Option<NaiveDate>),
    ) {
        if let ((earlier_column, Some(start)), (later_column, Some(end))) = (earlier, later) {
            if end < start {
                self.report(
                    later_column,
                    CellError::new(format!("is before {earlier_column} {start}")),
                );
            }
        }
    }
}

/// The currency of a money cell: its own code, or the one its context implies.
fn resolve_currency(
    amount: Decimal,
    own_code: Option<Currency>,
    context: &MoneyContext,
    plan: Currency,
) -> Result<Currency, CellError> {
    match *context {
        MoneyContext::PlanOnly => match own_code {
            Some(code) if code != plan => Err(CellError::new(format!(
                "is in {code}, but this amount must be in the plan currency {plan}"
            ))
            .help(format!("convert it to {plan}"))),
            _ => Ok(plan),
        },
        MoneyContext::Booking {
            currency_cell,
            amount_code,
        } => match (own_code, currency_cell) {
            (Some(code), Some(row)) if code != row => Err(CellError::new(format!(
                "is in {code}, but the row's currency is {row}"
            ))),
            (Some(code), _) => Ok(code),
            (None, Some(row)) => Ok(row),
            (None, None) => match amount_code {
                // The currency cell is empty but the amount names another currency:
                // data.md would read this cell in the plan currency, which is rarely
                // what was meant, so ask for the code.
                Some(code) if code != plan => Err(CellError::new(format!(
                    "has no currency code, and the booking's amount is in {code}"
                ))
                .help(format!("write {amount} {code} or {amount} {plan}"))),
                _ => Ok(plan),
            },
        },
    }
}

/// A period label lies within the term when its whole span does.
fn check_in_term(label: PeriodLabel, schema: &Schema) -> Result<PeriodLabel, CellError> {
    let inside = label
        .span(schema.term_start)
        .is_some_and(|(_, end)| end <= schema.term_end);
    if inside {
        return Ok(label);
    }
    let message = format!(
        "is outside the term {} to {}",
        schema.term_start, schema.term_end
    );
    let kind = label.kind;
    let fitting = (1..=1200u32)
        .take_while(|&number| {
            PeriodLabel { kind, number }
                .span(schema.term_start)
                .is_some_and(|(_, end)| end <= schema.term_end)
        })
        .count();
    let prefix = kind.prefix();
    Err(match fitting {
        0 => CellError::new(message).help(format!("no {} fits in the term", kind.keyword())),
        1 => CellError::new(message).help(format!("the term has {prefix}1 only")),
        n => CellError::new(message).help(format!("the term has {prefix}1 to {prefix}{n}")),
    })
}

fn build_payee(r: &mut RowReader, built: &mut Built) {
    let id = r.required("id", cell::text);
    if let (Some(id), Some(ids)) = (&id, &mut built.payee_ids) {
        ids.push((id.clone(), r.origin().clone()));
    }
    let name = r.optional("name", cell::text);
    let role = r.optional("role", cell::text);
    let manager = r.optional("manager", cell::text);
    r.refers(built, "manager", manager.as_ref(), Table::Payees);
    let start_date = r.optional("start_date", cell::date);
    let end_date = r.optional("end_date", cell::date);
    r.check_order(("start_date", start_date), ("end_date", end_date));
    let target_incentive = r
        .money("target_incentive", false, &MoneyContext::PlanOnly)
        .map(|(amount, _)| amount);
    let fields = r.fields(&MoneyContext::PlanOnly);
    if let (true, Some(id)) = (r.ok, id) {
        built.payees.push(Payee {
            id,
            name,
            role,
            manager,
            start_date,
            end_date,
            target_incentive,
            fields,
            origin: r.origin().clone(),
        });
    }
}

fn build_booking(r: &mut RowReader, built: &mut Built) {
    let id = r.required("id", cell::text);
    if let (Some(id), Some(ids)) = (&id, &mut built.booking_ids) {
        ids.push((id.clone(), r.origin().clone()));
    }
    let date = r.required("date", cell::date);
    let currency_cell = r.optional("currency", cell::currency);
    let amount = r.required("amount", cell::money);
    let amount_code = amount.and_then(|(_, code)| code);
    let plan = r.schema.currency;
    let (currency, currency_column) = match (amount_code, currency_cell) {
        (Some(code), Some(row)) if code != row => {
            r.report(
                "amount",
                CellError::new(format!("is in {code}, but the currency column says {row}")),
            );
            (row, "currency")
        }
        (_, Some(row)) => (row, "currency"),
        (Some(code), None) => (code, "amount"),
        (None, None) => (plan, "currency"),
    };
    let owner = r.required("owner", cell::text);
    r.refers(built, "owner", owner.as_ref(), Table::Payees);
    let status = r.optional("status", cell::text);
    let cancel_date = r.optional("cancel_date", cell::date);
    // A cancel date before the booking date is accepted: the clawback rule of
    // language.md section 5 gives it a meaning (a reversal dated on the cancel date).
    let account = r.optional("account", cell::text);
    let fields = r.fields(&MoneyContext::Booking {
        currency_cell,
        amount_code,
    });
    if let (true, Some(id), Some(date), Some((amount, _)), Some(owner)) =
        (r.ok, id, date, amount, owner)
    {
        let booking = Booking {
            id,
            date,
            amount,
            currency,
            owner,
            status: status.map(Into::into),
            cancel_date,
            account: account.map(Into::into),
            fields,
            origin: r.origin().clone(),
        };
        built.bookings.push(BuiltBooking {
            booking,
            currency_column,
        });
    }
}

fn build_split(r: &mut RowReader, built: &mut Built) {
    let booking = r.required("booking", cell::text);
    r.refers(built, "booking", booking.as_ref(), Table::Bookings);
    let payee = r.required("payee", cell::text);
    r.refers(built, "payee", payee.as_ref(), Table::Payees);
    let share = r.required("share", cell::share);
    match (r.ok, booking, payee, share) {
        (true, Some(booking), Some(payee), Some(share)) => {
            built.splits.push(Split {
                booking,
                payee,
                share,
                origin: r.origin().clone(),
            });
        }
        (_, Some(booking), _, _) => {
            built.bookings_with_bad_split_rows.insert(booking);
        }
        _ => {}
    }
}

fn build_quota(r: &mut RowReader, built: &mut Built) {
    let payee = r.required("payee", cell::text);
    r.refers(built, "payee", payee.as_ref(), Table::Payees);
    let name = r.required("quota", cell::text);
    let period = r.period("period");
    let amount = r.money("amount", true, &MoneyContext::PlanOnly);
    if let (true, Some(payee), Some(name), Some(period), Some((value, _))) =
        (r.ok, payee, name, period, amount)
    {
        built.quotas.push(PeriodValue {
            payee,
            name,
            period,
            value,
            origin: r.origin().clone(),
        });
    }
}

fn build_metric(r: &mut RowReader, built: &mut Built) {
    let payee = r.required("payee", cell::text);
    r.refers(built, "payee", payee.as_ref(), Table::Payees);
    let name = r.required("metric", cell::text);
    let period = r.period("period");
    let value = r.required("value", cell::number);
    if let (true, Some(payee), Some(name), Some(period), Some(value)) =
        (r.ok, payee, name, period, value)
    {
        built.metrics.push(PeriodValue {
            payee,
            name,
            period,
            value,
            origin: r.origin().clone(),
        });
    }
}

fn build_fx(r: &mut RowReader, built: &mut Built) {
    let currency = r.required("currency", cell::currency);
    let date = r.required("date", cell::date);
    let rate = r.required("rate", cell::number);
    if let Some(rate) = rate {
        if rate <= Decimal::ZERO {
            r.report(
                "rate",
                CellError::new("is not a rate: it must be more than 0"),
            );
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
        r.report("currency", CellError::new(message).help(help));
    }
    match (r.ok, currency, date, rate) {
        (true, Some(currency), Some(date), Some(rate)) => {
            built.fx.push(FxRate {
                currency,
                date,
                rate,
                origin: r.origin().clone(),
            });
        }
        (_, Some(currency), _, _) => {
            built.currencies_with_bad_fx_rows.insert(currency);
        }
        _ => built.fx_unreadable = true,
    }
}

fn build_account(r: &mut RowReader, built: &mut Built) {
    let account = r.required("account", cell::text);
    let payee = r.required("payee", cell::text);
    r.refers(built, "payee", payee.as_ref(), Table::Payees);
    let from = r.required("from", cell::date);
    let to = r.optional("to", cell::date);
    r.check_order(("from", from), ("to", to));
    if let (true, Some(account), Some(payee), Some(from)) = (r.ok, account, payee, from) {
        built.accounts.push(AccountOwner {
            account,
            payee,
            from,
            to,
            origin: r.origin().clone(),
        });
    }
}
