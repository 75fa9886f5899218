//! Checks across rows and tables, then the canonical order of `Facts`.

use crate::build::{Built, BuiltBooking, Reference};
use crate::error::{DataError, Errors};
use crate::suggest;
use crate::table::{SourceKind, Table};
use chrono::NaiveDate;
use payplan_facts::{
    AccountOwner, Currency, Facts, FieldValue, Origin, Payee, PeriodValue, Schema, Split, Tables,
};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// Rows named in one message at most (a split of many rows still gives one short line).
const MAX_LISTED_ROWS: usize = 10;

/// Runs every cross-row check on `built`, reporting into `errors`, and returns the rows
/// in the order the `Facts` invariant asks for.
pub(crate) fn validate(
    built: Built,
    schema: &Schema,
    kind: SourceKind,
    errors: &mut Errors,
) -> Facts {
    let mut check = Checker { kind, errors };
    let payee_ids = built
        .payee_ids
        .as_ref()
        .map(|ids| check.unique_ids(Table::Payees, ids));
    let booking_ids = built
        .booking_ids
        .as_ref()
        .map(|ids| check.unique_ids(Table::Bookings, ids));
    let payee_ids = KnownIds {
        ids: payee_ids,
        table: Table::Payees,
        noun: "payee",
    };
    let booking_ids = KnownIds {
        ids: booking_ids,
        table: Table::Bookings,
        noun: "booking",
    };

    for reference in &built.references {
        let known = if reference.target == Table::Bookings {
            &booking_ids
        } else {
            &payee_ids
        };
        check.reference(reference, known);
    }
    check.manager_cycles(&built.payees, &payee_ids);

    let fx_dates = fx_dates_by_currency(&built);
    for BuiltBooking {
        booking,
        currency_column,
    } in &built.bookings
    {
        if !built.fx_unreadable {
            let mut needs_rate = vec![(*currency_column, booking.currency)];
            for ((name, _), value) in schema.booking_fields.iter().zip(&booking.fields) {
                if let Some(FieldValue::Money(_, currency)) = value {
                    needs_rate.push((name.as_str(), *currency));
                }
            }
            for (column, currency) in needs_rate {
                let skip = currency == schema.currency
                    || built.currencies_with_bad_fx_rows.contains(&currency);
                if !skip {
                    check.fx_rate_exists(
                        &booking.origin,
                        column,
                        currency,
                        booking.date,
                        &fx_dates,
                    );
                }
            }
        }
    }

    check.split_rows(&built.splits, &built.bookings_with_bad_split_rows);

    for (table, rows, name_column) in [
        (Table::Quotas, &built.quotas, "quota"),
        (Table::Metrics, &built.metrics, "metric"),
    ] {
        check.unique_period_values(table, rows, name_column);
    }

    check.unique_fx_rows(&built);

    check.account_overlaps(&built.accounts);

    into_sorted_facts(built)
}

/// The ids of a table, or `None` when the table could not be read (then no reference
/// to it is checked, so one unreadable file does not flood the report).
struct KnownIds<'a> {
    ids: Option<BTreeSet<&'a str>>,
    table: Table,
    noun: &'static str,
}

struct Checker<'a> {
    kind: SourceKind,
    errors: &'a mut Errors,
}

impl Checker<'_> {
    fn report(
        &mut self,
        table: Table,
        origin: &Origin,
        column: &str,
        value: &str,
        message: String,
        help: Option<String>,
    ) {
        let error = DataError::at_row(origin, Some(column), message)
            .value(Some(value.to_string()))
            .help(help);
        self.errors.row(table, origin, error);
    }

    /// Reports every repeated id at its later row; returns the set of ids.
    fn unique_ids<'a>(&mut self, table: Table, ids: &'a [(String, Origin)]) -> BTreeSet<&'a str> {
        let mut first_rows: BTreeMap<&str, &Origin> = BTreeMap::new();
        for (id, origin) in ids {
            match first_rows.get(id.as_str()) {
                Some(first) => {
                    let message = format!(
                        "is a duplicate id: {} has it too",
                        self.kind.row_label(first)
                    );
                    self.report(table, origin, "id", id, message, None);
                }
                None => {
                    first_rows.insert(id, origin);
                }
            }
        }
        first_rows.into_keys().collect()
    }

    /// Reports a reference whose id is not in `known`.
    fn reference(&mut self, reference: &Reference, known: &KnownIds) {
        let Some(ids) = &known.ids else { return };
        if ids.contains(reference.id.as_str()) {
            return;
        }
        let message = format!(
            "is not a {} id in {}",
            known.noun,
            self.kind.table_label(known.table)
        );
        let help = suggest::same_but_for_case(&reference.id, ids.iter().copied())
            .map(|id| format!("ids are compared exactly; did you mean {id:?}?"));
        self.report(
            reference.table,
            &reference.origin,
            reference.column,
            &reference.id,
            message,
            help,
        );
    }

    /// Reports each cycle in the `manager` graph once, at the row of its smallest id.
    fn manager_cycles(&mut self, payees: &[Payee], known: &KnownIds) {
        let Some(ids) = &known.ids else { return };
        let mut manager_of: BTreeMap<&str, (&str, &Origin)> = BTreeMap::new();
        for payee in payees {
            if let Some(manager) = payee
                .manager
                .as_deref()
                .filter(|manager| ids.contains(manager))
            {
                manager_of
                    .entry(payee.id.as_str())
                    .or_insert((manager, &payee.origin));
            }
        }
        let mut finished: BTreeSet<&str> = BTreeSet::new();
        for &start in manager_of.keys() {
            let mut path: Vec<&str> = Vec::new();
            // Positions on the path, so a long chain of managers stays linear.
            let mut on_path: BTreeMap<&str, usize> = BTreeMap::new();
            let mut current = start;
            while !finished.contains(current) {
                if let Some(&position) = on_path.get(current) {
                    self.report_cycle(path.get(position..).unwrap_or_default(), &manager_of);
                    break;
                }
                on_path.insert(current, path.len());
                path.push(current);
                match manager_of.get(current) {
                    Some((manager, _)) => current = manager,
                    None => break,
                }
            }
            finished.extend(path);
        }
    }

    fn report_cycle(&mut self, cycle: &[&str], manager_of: &BTreeMap<&str, (&str, &Origin)>) {
        // Start at the smallest id, so the message does not depend on row order.
        let Some(smallest) = cycle
            .iter()
            .enumerate()
            .min_by_key(|(_, id)| **id)
            .map(|(i, _)| i)
        else {
            return;
        };
        let mut chain: Vec<&str> = cycle
            .iter()
            .cycle()
            .skip(smallest)
            .take(cycle.len())
            .copied()
            .collect();
        let Some(&first) = chain.first() else { return };
        chain.push(first);
        let Some((manager, origin)) = manager_of.get(first) else {
            return;
        };
        let message = format!("makes a manager cycle: {}", chain.join(" -> "));
        let help =
            Some("a payee cannot manage their own manager, directly or up the chain".to_string());
        self.report(Table::Payees, origin, "manager", manager, message, help);
    }

    /// Reports a booking (or its money field) in a currency with no rate on or before its date.
    fn fx_rate_exists(
        &mut self,
        origin: &Origin,
        column: &str,
        currency: Currency,
        date: NaiveDate,
        fx_dates: &BTreeMap<Currency, Vec<NaiveDate>>,
    ) {
        let dates = fx_dates
            .get(&currency)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if dates.first().is_some_and(|first| *first <= date) {
            return;
        }
        let fx = self.kind.table_label(Table::Fx);
        let message = format!("has no fx rate on or before the booking date {date}");
        let help = match dates.first() {
            Some(first) => format!("the first {currency} rate in {fx} is dated {first}"),
            None => format!("add a {currency} row to {fx} dated on or before {date}"),
        };
        let (value, message) = if column == "currency" {
            (Some(currency.to_string()), message)
        } else {
            // The code came from a money cell: name the currency in the message instead.
            (None, format!("is in {currency}, which {message}"))
        };
        let error = DataError::at_row(origin, Some(column), message)
            .value(value)
            .help(Some(help));
        self.errors.row(Table::Bookings, origin, error);
    }

    /// Duplicate split rows, and shares of a booking that do not sum to exactly 100%.
    fn split_rows(&mut self, splits: &[Split], skipped_bookings: &BTreeSet<String>) {
        let mut first_rows: BTreeMap<(&str, &str), &Origin> = BTreeMap::new();
        let mut by_booking: BTreeMap<&str, Vec<&Split>> = BTreeMap::new();
        for split in splits {
            let key = (split.booking.as_str(), split.payee.as_str());
            match first_rows.get(&key) {
                Some(first) => {
                    let message = format!(
                        "already has a split row for booking {:?} ({})",
                        split.booking,
                        self.kind.row_label(first)
                    );
                    self.report(
                        Table::Splits,
                        &split.origin,
                        "payee",
                        &split.payee,
                        message,
                        None,
                    );
                }
                None => {
                    first_rows.insert(key, &split.origin);
                }
            }
            by_booking.entry(&split.booking).or_default().push(split);
        }
        for (booking, rows) in by_booking {
            if skipped_bookings.contains(booking) {
                continue;
            }
            let sum = rows
                .iter()
                .try_fold(Decimal::ZERO, |sum, split| sum.checked_add(split.share));
            if sum == Some(Decimal::ONE) {
                continue;
            }
            let Some(first) = rows.iter().min_by_key(|split| split.origin.line) else {
                continue;
            };
            let shown_sum = match sum.and_then(|sum| sum.checked_mul(Decimal::ONE_HUNDRED)) {
                Some(percent) => format!("{}%", percent.normalize()),
                None => "more than 100%".to_string(),
            };
            let origins: Vec<&Origin> = rows.iter().map(|split| &split.origin).collect();
            let message = format!(
                "has shares summing to {shown_sum} ({}), not 100%",
                self.list_rows(&origins)
            );
            self.report(
                Table::Splits,
                &first.origin,
                "booking",
                booking,
                message,
                None,
            );
        }
    }

    /// Quota or metric rows repeated for the same payee, name and period.
    fn unique_period_values(&mut self, table: Table, rows: &[PeriodValue], name_column: &str) {
        let mut first_rows: BTreeMap<(&str, &str, _), &Origin> = BTreeMap::new();
        for row in rows {
            let key = (row.payee.as_str(), row.name.as_str(), row.period);
            match first_rows.get(&key) {
                Some(first) => {
                    let message = format!(
                        "already has a row for {name_column} {:?}, period {} ({})",
                        row.name,
                        row.period,
                        self.kind.row_label(first)
                    );
                    self.report(table, &row.origin, "payee", &row.payee, message, None);
                }
                None => {
                    first_rows.insert(key, &row.origin);
                }
            }
        }
    }

    /// Two fx rows for the same currency and date.
    fn unique_fx_rows(&mut self, built: &Built) {
        let mut first_rows: BTreeMap<(Currency, NaiveDate), &Origin> = BTreeMap::new();
        for row in &built.fx {
            match first_rows.get(&(row.currency, row.date)) {
                Some(first) => {
                    let message = format!(
                        "already has a {} rate ({})",
                        row.currency,
                        self.kind.row_label(first)
                    );
                    self.report(
                        Table::Fx,
                        &row.origin,
                        "date",
                        &row.date.to_string(),
                        message,
                        None,
                    );
                }
                None => {
                    first_rows.insert((row.currency, row.date), &row.origin);
                }
            }
        }
    }

    /// Rows of one account whose date ranges share a day.
    fn account_overlaps(&mut self, accounts: &[AccountOwner]) {
        let mut by_account: BTreeMap<&str, Vec<&AccountOwner>> = BTreeMap::new();
        for row in accounts {
            by_account.entry(&row.account).or_default().push(row);
        }
        for (account, mut rows) in by_account {
            rows.sort_by_key(|row| (row.from, row.origin.line));
            // The row reaching furthest so far: any later-starting row that begins on
            // or before its end overlaps it.
            let mut furthest: Option<&AccountOwner> = None;
            for row in rows {
                if let Some(previous) = furthest {
                    if previous.to.is_none_or(|to| row.from <= to) {
                        self.report_overlap(account, previous, row);
                    }
                }
                let reaches_further = furthest.is_none_or(|previous| match (previous.to, row.to) {
                    (None, _) => false,
                    (Some(_), None) => true,
                    (Some(previous_to), Some(to)) => to > previous_to,
                });
                if reaches_further {
                    furthest = Some(row);
                }
            }
        }
    }

    fn report_overlap(&mut self, account: &str, a: &AccountOwner, b: &AccountOwner) {
        let (earlier, later) = if a.origin.line <= b.origin.line {
            (a, b)
        } else {
            (b, a)
        };
        let describe = |row: &AccountOwner| {
            let until = row
                .to
                .map_or("onwards".to_string(), |to| format!("to {to}"));
            format!(
                "{} ({}, {} {until})",
                self.kind.row_label(&row.origin),
                row.payee,
                row.from
            )
        };
        let message = format!(
            "has overlapping owner rows: {} and {}",
            describe(earlier),
            describe(later)
        );
        let starts_later = if a.from <= b.from { b } else { a };
        let help = starts_later.from.pred_opt().map(|day| {
            format!("an account has one owner a day: end the earlier row on {day} at the latest")
        });
        self.report(
            Table::Accounts,
            &later.origin,
            "account",
            account,
            message,
            help,
        );
    }

    /// `lines 2 and 3` (CSV) or `splits[0] and splits[1]` (JSON), at most `MAX_LISTED_ROWS`.
    fn list_rows(&self, origins: &[&Origin]) -> String {
        let mut sorted = origins.to_vec();
        sorted.sort_by_key(|origin| origin.line);
        let shown: Vec<String> = sorted
            .iter()
            .take(MAX_LISTED_ROWS)
            .map(|origin| match self.kind {
                SourceKind::Csv => origin.line.to_string(),
                SourceKind::Json => self.kind.row_label(origin),
            })
            .collect();
        let mut listed = match shown.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        };
        if sorted.len() > MAX_LISTED_ROWS {
            listed = format!("{}, ... ({} rows)", shown.join(", "), sorted.len());
        }
        match (self.kind, sorted.len()) {
            (SourceKind::Csv, 1) => format!("line {listed}"),
            (SourceKind::Csv, _) => format!("lines {listed}"),
            (SourceKind::Json, _) => listed,
        }
    }
}

/// Each currency's rate dates, sorted.
fn fx_dates_by_currency(built: &Built) -> BTreeMap<Currency, Vec<NaiveDate>> {
    let mut dates: BTreeMap<Currency, Vec<NaiveDate>> = BTreeMap::new();
    for row in &built.fx {
        dates.entry(row.currency).or_default().push(row.date);
    }
    for list in dates.values_mut() {
        list.sort();
    }
    dates
}

/// The tables in the order the `Facts` invariant names, so that row order in the input
/// never shows in the output.
fn into_sorted_facts(built: Built) -> Facts {
    Facts::from_tables(Tables {
        payees: built.payees,
        bookings: built.bookings.into_iter().map(|built| built.booking).collect(),
        splits: built.splits,
        quotas: built.quotas,
        metrics: built.metrics,
        fx: built.fx,
        accounts: built.accounts,
    })
}
