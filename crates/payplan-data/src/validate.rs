//! Checks across rows and tables, then the canonical order of `Facts`.
//!
//! Payees and bookings are first put in id order and splits in (booking, payee) order,
//! each then by line, so that repeated keys are neighbours and the splits are joined to
//! the bookings by one scan. In valid data every key is unique, so this is exactly the
//! order `Facts::from_tables` establishes (which then finds the rows sorted).
//!
//! The checks run in a fixed sequence (repeated ids, references, manager cycles, fx
//! rates, splits, quotas and metrics, fx rows, accounts): errors on one line keep the
//! order they are found in, so the sequence is part of the output.

use crate::build::{Built, Reference};
use crate::error::{DataError, Errors};
use crate::hash::{FxHashMap, TextSet};
use crate::suggest;
use crate::table::{SourceKind, Table};
use chrono::NaiveDate;
use payplan_facts::{AccountOwner, Booking, Currency, Facts, FieldValue, Origin, Payee, PeriodLabel, PeriodValue, Schema, Split, Tables};
use rust_decimal::Decimal;
use std::cell::OnceCell;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Rows named in one message at most (a split of many rows still gives one short line).
const MAX_LISTED_ROWS: usize = 10;

/// Runs every cross-row check on `built`, reporting into `errors`, and returns the rows
/// in the order the `Facts` invariant asks for. References to a table in `unreadable`
/// are not checked.
///
/// Errors on one row must come in the order of the checks above; errors on different
/// rows are put in line order afterwards. So checks of one table's rows may be done in
/// one pass (a booking's owner, then its fx rates) as long as each row's own errors
/// keep that order.
pub(crate) fn validate(mut built: Built, schema: &Schema, kind: SourceKind, unreadable: &BTreeSet<Table>, errors: &mut Errors) -> Facts {
    sort_rows(&mut built);
    let built = built;
    let mut check = Checker { kind, errors };

    // Repeated ids.
    let payee_ids = (!unreadable.contains(&Table::Payees)).then(|| {
        check.unique_ids(
            Table::Payees,
            built.payees.iter().map(|payee| (payee.id.as_str(), &payee.origin)),
            !built.payees_out_of_order,
            &built.failed_payee_ids,
        )
    });
    let booking_ids = (!unreadable.contains(&Table::Bookings)).then(|| {
        check.unique_ids(
            Table::Bookings,
            built.bookings.iter().map(|booking| (booking.id.as_str(), &booking.origin)),
            !built.bookings_out_of_order,
            &built.failed_booking_ids,
        );
        // Looked up in the bookings themselves, which are in id order now.
        let mut failed: Vec<&str> = built.failed_booking_ids.iter().map(|(id, _)| id.as_str()).collect();
        failed.sort_unstable();
        KnownRows::Bookings { rows: &built.bookings, failed }
    });
    let payee_ids = KnownIds::new(payee_ids.map(KnownRows::hashed), Table::Payees, "payee");
    let booking_ids = KnownIds::new(booking_ids, Table::Bookings, "booking");

    // References, table by table; a split row's booking before its payee, as the row
    // names them. Bookings are also checked for fx rates here (the last check of
    // booking rows), so that the million of them are gone through once.
    for payee in &built.payees {
        if let Some(manager) = &payee.manager {
            check.reference(Table::Payees, &payee.origin, "manager", manager, &payee_ids);
        }
    }
    let fx_unreadable = built.fx_row_without_currency || unreadable.contains(&Table::Fx);
    let fx_dates = (!fx_unreadable).then(|| fx_dates_by_currency(&built));
    for (booking, &from_amount) in built.bookings.iter().zip(&built.currency_from_amount) {
        check.reference(Table::Bookings, &booking.origin, "owner", &booking.owner, &payee_ids);
        if let Some(fx_dates) = &fx_dates {
            let column = if from_amount { "amount" } else { "currency" };
            let money_fields = schema.booking_fields.iter().zip(&booking.fields).filter_map(|((name, _), value)| match value {
                Some(FieldValue::Money(_, currency)) => Some((name.as_str(), *currency)),
                _ => None,
            });
            for (column, currency) in std::iter::once((column, booking.currency)).chain(money_fields) {
                let skip = currency == schema.currency || built.currencies_with_bad_fx_rows.contains(&currency);
                if !skip {
                    check.fx_rate_exists(&booking.origin, column, currency, booking.date, fx_dates);
                }
            }
        }
    }
    check.split_references(&built.splits, &booking_ids, &payee_ids);
    for (table, rows) in [(Table::Quotas, &built.quotas), (Table::Metrics, &built.metrics)] {
        for row in rows {
            check.reference(table, &row.origin, "payee", &row.payee, &payee_ids);
        }
    }
    for row in &built.accounts {
        check.reference(Table::Accounts, &row.origin, "payee", &row.payee, &payee_ids);
    }
    for Reference { table, origin, column, id, target } in &built.failed_references {
        let known = if *target == Table::Bookings { &booking_ids } else { &payee_ids };
        check.reference(*table, origin, column, id, known);
    }
    check.manager_cycles(&built.payees, &payee_ids);

    check.split_rows(&built.splits, &built.bookings_with_bad_split_rows);

    for (table, rows, name_column) in [(Table::Quotas, &built.quotas, "quota"), (Table::Metrics, &built.metrics, "metric")] {
        check.unique_period_values(table, rows, name_column);
    }

    check.unique_fx_rows(&built);

    check.account_overlaps(&built.accounts);

    // The facts are about to take the rows' room: the id tables go first.
    drop((payee_ids, booking_ids));
    let mut built = built;
    pack_payee_ids(&mut built.payees);
    into_sorted_facts(built)
}

/// Payee ids are found by binary search, by `Facts::from_tables` for every booking and
/// split row and by the engine: allocated again in id order, one after the other (as
/// the allocator places consecutive small allocations), the ids such a search reads
/// sit in a few hundred adjacent cache lines instead of being spread among every
/// payee's other values. With 10,000 payees this about halves the time
/// `Facts::from_tables` spends resolving a million owners.
fn pack_payee_ids(payees: &mut [Payee]) {
    let packed: Vec<String> = payees.iter().map(|payee| payee.id.clone()).collect();
    for (payee, id) in payees.iter_mut().zip(packed) {
        payee.id = id;
    }
}

/// The ids of a table, or none when the table could not be read (then no reference
/// to it is checked, so one unreadable file does not flood the report).
struct KnownIds<'a> {
    /// `None`: the table is unreadable.
    rows: Option<KnownRows<'a>>,
    /// Per id folded as `suggest::same_but_for_case` folds, the first id in sorted
    /// order: made on the first unknown reference.
    folded: OnceCell<FxHashMap<String, &'a str>>,
    table: Table,
    noun: &'static str,
}

/// Where the ids of a readable table are.
enum KnownRows<'a> {
    /// Every id, sorted and distinct, and hashed for lookups at random (payees: owners,
    /// managers and split payees name them in any order).
    Hashed { sorted: Vec<&'a str>, hashed: TextSet<'a> },
    /// The bookings in id order (repeats side by side), and the ids of booking rows
    /// that failed, sorted.
    Bookings { rows: &'a [Booking], failed: Vec<&'a str> },
}

impl<'a> KnownRows<'a> {
    fn hashed(sorted: Vec<&'a str>) -> KnownRows<'a> {
        let mut hashed = TextSet::default();
        for id in &sorted {
            hashed.insert(id);
        }
        KnownRows::Hashed { sorted, hashed }
    }
}

impl<'a> KnownIds<'a> {
    fn new(rows: Option<KnownRows<'a>>, table: Table, noun: &'static str) -> KnownIds<'a> {
        KnownIds { rows, folded: OnceCell::new(), table, noun }
    }

    /// The sorted distinct ids, when they are kept as such.
    fn sorted(&self) -> Option<&[&'a str]> {
        match &self.rows {
            Some(KnownRows::Hashed { sorted, .. }) => Some(sorted),
            _ => None,
        }
    }

    /// Whether `id` is an id of the table (always true for an unreadable table).
    fn contains(&self, id: &str) -> bool {
        match &self.rows {
            None => true,
            Some(KnownRows::Hashed { hashed, .. }) => hashed.contains(id),
            Some(KnownRows::Bookings { rows, failed }) => rows.binary_search_by(|row| row.id.as_str().cmp(id)).is_ok() || failed.binary_search(&id).is_ok(),
        }
    }

    /// The id equal to `id` but for case or surrounding spaces, the first in id order
    /// (what `suggest::same_but_for_case` finds among the sorted ids).
    fn case_twin(&self, id: &str) -> Option<&'a str> {
        let rows = self.rows.as_ref()?;
        let folded = self.folded.get_or_init(|| {
            let mut folded = FxHashMap::default();
            let mut add = |known: &'a str| {
                folded.entry(suggest::fold(known)).or_insert(known);
            };
            match rows {
                KnownRows::Hashed { sorted, .. } => sorted.iter().for_each(|&known| add(known)),
                KnownRows::Bookings { rows, failed } => {
                    // Both lists in id order, merged.
                    let mut built = rows.iter().map(|row| row.id.as_str()).peekable();
                    let mut failed = failed.iter().copied().peekable();
                    loop {
                        let next = match (built.peek(), failed.peek()) {
                            (Some(a), Some(b)) if b < a => failed.next(),
                            (Some(_), _) => built.next(),
                            (None, _) => failed.next(),
                        };
                        match next {
                            Some(known) => add(known),
                            None => break,
                        }
                    }
                }
            }
            folded
        });
        folded.get(&suggest::fold(id)).copied()
    }
}

struct Checker<'a> {
    kind: SourceKind,
    errors: &'a mut Errors,
}

impl Checker<'_> {
    fn report(&mut self, table: Table, origin: &Origin, column: &str, value: &str, message: String, help: Option<String>) {
        let error = DataError::at_row(origin, Some(column), message).value(Some(value.to_string())).help(help);
        self.errors.row(table, origin, error);
    }

    /// Reports every repeated id at its later rows, naming the first; returns the ids,
    /// sorted and distinct. `rows` are the built rows in (id, line) order (`distinct`:
    /// their ids are known to be distinct); `failed` the ids of rows that failed, which
    /// count too.
    fn unique_ids<'a>(
        &mut self,
        table: Table,
        rows: impl ExactSizeIterator<Item = (&'a str, &'a Origin)>,
        distinct: bool,
        failed: &'a [(String, Origin)],
    ) -> Vec<&'a str> {
        if failed.is_empty() {
            if distinct {
                return rows.map(|(id, _)| id).collect();
            }
            return self.report_repeated_ids(table, rows);
        }
        let mut all: Vec<(&str, &Origin)> = rows.chain(failed.iter().map(|(id, origin)| (id.as_str(), origin))).collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0).then(a.1.line.cmp(&b.1.line)));
        self.report_repeated_ids(table, all.into_iter())
    }

    /// `unique_ids` over ids in (id, line) order: a repeat follows its first row.
    fn report_repeated_ids<'a>(&mut self, table: Table, ids: impl ExactSizeIterator<Item = (&'a str, &'a Origin)>) -> Vec<&'a str> {
        let mut distinct = Vec::with_capacity(ids.len());
        let mut first: Option<(&str, &Origin)> = None;
        for (id, origin) in ids {
            match first {
                Some((first_id, first_origin)) if first_id == id => {
                    let message = format!("is a duplicate id: {} has it too", self.kind.row_label(first_origin));
                    self.report(table, origin, "id", id, message, None);
                }
                _ => {
                    first = Some((id, origin));
                    distinct.push(id);
                }
            }
        }
        distinct
    }

    /// Reports a reference whose id is not in `known`.
    fn reference(&mut self, table: Table, origin: &Origin, column: &str, id: &str, known: &KnownIds) {
        if known.contains(id) {
            return;
        }
        self.unknown_reference(table, origin, column, id, known);
    }

    fn unknown_reference(&mut self, table: Table, origin: &Origin, column: &str, id: &str, known: &KnownIds) {
        let message = format!("is not a {} id in {}", known.noun, self.kind.table_label(known.table));
        let help = known.case_twin(id).map(|twin| format!("ids are compared exactly; did you mean {twin:?}?"));
        self.report(table, origin, column, id, message, help);
    }

    /// The `booking` and `payee` references of split rows (in booking order): bookings
    /// joined to the bookings (in id order too) in one scan.
    fn split_references(&mut self, splits: &[Split], bookings: &KnownIds, payees: &KnownIds) {
        let mut next = 0;
        for split in splits {
            match &bookings.rows {
                Some(KnownRows::Bookings { rows, failed }) => {
                    let booking = split.booking.as_str();
                    while rows.get(next).is_some_and(|row| row.id.as_str() < booking) {
                        next += 1;
                    }
                    let known = rows.get(next).is_some_and(|row| row.id == booking) || failed.binary_search(&booking).is_ok();
                    if !known {
                        self.unknown_reference(Table::Splits, &split.origin, "booking", booking, bookings);
                    }
                }
                _ => self.reference(Table::Splits, &split.origin, "booking", &split.booking, bookings),
            }
            self.reference(Table::Splits, &split.origin, "payee", &split.payee, payees);
        }
    }

    /// Reports each cycle in the `manager` graph once, at the row of its smallest id.
    /// `payees` are in (id, line) order; the graph's nodes are the known payee ids, by
    /// position in their sorted list, and each id's edge is the manager of its first row
    /// that names a known one.
    fn manager_cycles(&mut self, payees: &[Payee], known: &KnownIds) {
        let Some(ids) = known.sorted() else { return };
        let node = |id: &str| ids.binary_search(&id).ok();
        let mut manager_of: Vec<Option<(usize, &str, &Origin)>> = vec![None; ids.len()];
        for payee in payees {
            let Some(manager) = payee.manager.as_deref() else {
                continue;
            };
            if let (Some(slot), Some(manager_node)) = (node(&payee.id).and_then(|payee_node| manager_of.get_mut(payee_node)), node(manager)) {
                slot.get_or_insert((manager_node, manager, &payee.origin));
            }
        }
        // Per node: 0 not reached yet, 1 on the current path, 2 finished.
        let mut state = vec![0u8; ids.len()];
        // Per node on the current path, its position there.
        let mut position = vec![0usize; ids.len()];
        let mut path: Vec<usize> = Vec::new();
        for start in 0..ids.len() {
            if manager_of.get(start).is_none_or(Option::is_none) {
                continue;
            }
            path.clear();
            let mut current = start;
            loop {
                match state.get(current) {
                    Some(0) => {}
                    Some(1) => {
                        let from = position.get(current).copied().unwrap_or(0);
                        let cycle = path.get(from..).unwrap_or_default();
                        self.report_cycle(cycle, ids, &manager_of);
                        break;
                    }
                    _ => break,
                }
                if let (Some(at), Some(mark)) = (position.get_mut(current), state.get_mut(current)) {
                    *at = path.len();
                    *mark = 1;
                }
                path.push(current);
                match manager_of.get(current).copied().flatten() {
                    Some((manager, _, _)) => current = manager,
                    None => break,
                }
            }
            for &done in &path {
                if let Some(mark) = state.get_mut(done) {
                    *mark = 2;
                }
            }
        }
    }

    /// Reports one manager cycle (nodes as in `manager_cycles`), starting the chain at
    /// its smallest id, so the message does not depend on row order.
    fn report_cycle(&mut self, cycle: &[usize], ids: &[&str], manager_of: &[Option<(usize, &str, &Origin)>]) {
        // Nodes are positions in the sorted ids: the smallest node is the smallest id.
        let Some(smallest) = cycle.iter().enumerate().min_by_key(|(_, node)| **node).map(|(i, _)| i) else {
            return;
        };
        let mut chain: Vec<&str> = cycle.iter().cycle().skip(smallest).take(cycle.len()).filter_map(|&node| ids.get(node).copied()).collect();
        let Some(&first) = chain.first() else { return };
        chain.push(first);
        let Some(Some((_, manager, origin))) = cycle.get(smallest).and_then(|&node| manager_of.get(node)) else {
            return;
        };
        let message = format!("makes a manager cycle: {}", chain.join(" -> "));
        let help = Some("a payee cannot manage their own manager, directly or up the chain".to_string());
        self.report(Table::Payees, origin, "manager", manager, message, help);
    }

    /// Reports a booking (or its money field) in a currency with no rate on or before its date.
    fn fx_rate_exists(&mut self, origin: &Origin, column: &str, currency: Currency, date: NaiveDate, fx_dates: &BTreeMap<Currency, Vec<NaiveDate>>) {
        let dates = fx_dates.get(&currency).map(Vec::as_slice).unwrap_or_default();
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
        let error = DataError::at_row(origin, Some(column), message).value(value).help(Some(help));
        self.errors.row(Table::Bookings, origin, error);
    }

    /// Duplicate split rows, and shares of a booking that do not sum to exactly 100%.
    /// `splits` are in (booking, payee, line) order.
    fn split_rows(&mut self, splits: &[Split], skipped_bookings: &BTreeSet<String>) {
        let mut first: Option<&Split> = None;
        for split in splits {
            match first {
                Some(first) if first.booking == split.booking && first.payee == split.payee => {
                    let message = format!("already has a split row for booking {:?} ({})", split.booking, self.kind.row_label(&first.origin));
                    self.report(Table::Splits, &split.origin, "payee", &split.payee, message, None);
                }
                _ => first = Some(split),
            }
        }
        let mut rows: Vec<&Split> = Vec::new();
        for group in splits.chunk_by(|a, b| a.booking == b.booking) {
            let Some(booking) = group.first().map(|split| split.booking.as_str()) else {
                continue;
            };
            if skipped_bookings.contains(booking) {
                continue;
            }
            // Summed in file order, as the rows were written.
            rows.clear();
            rows.extend(group);
            rows.sort_unstable_by_key(|split| split.origin.line);
            let sum = rows.iter().try_fold(Decimal::ZERO, |sum, split| sum.checked_add(split.share));
            if sum == Some(Decimal::ONE) {
                continue;
            }
            let Some(first) = rows.first() else {
                continue;
            };
            let shown_sum = match sum.and_then(|sum| sum.checked_mul(Decimal::ONE_HUNDRED)) {
                Some(percent) => format!("{}%", percent.normalize()),
                None => "more than 100%".to_string(),
            };
            let origins: Vec<&Origin> = rows.iter().map(|split| &split.origin).collect();
            let message = format!("has shares summing to {shown_sum} ({}), not 100%", self.list_rows(&origins));
            self.report(Table::Splits, &first.origin, "booking", booking, message, None);
        }
    }

    /// Quota or metric rows repeated for the same payee, name and period.
    fn unique_period_values(&mut self, table: Table, rows: &[PeriodValue], name_column: &str) {
        let mut first_rows: FxHashMap<(&str, &str, PeriodLabel), &Origin> = FxHashMap::default();
        first_rows.reserve(rows.len());
        for row in rows {
            let key = (row.payee.as_str(), row.name.as_str(), row.period);
            match first_rows.get(&key) {
                Some(first) => {
                    let message = format!("already has a row for {name_column} {:?}, period {} ({})", row.name, row.period, self.kind.row_label(first));
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
                    let message = format!("already has a {} rate ({})", row.currency, self.kind.row_label(first));
                    self.report(Table::Fx, &row.origin, "date", &row.date.to_string(), message, None);
                }
                None => {
                    first_rows.insert((row.currency, row.date), &row.origin);
                }
            }
        }
    }

    /// Rows of one account whose date ranges share a day.
    fn account_overlaps(&mut self, accounts: &[AccountOwner]) {
        // Accounts in order, each one's rows by (from, line).
        let mut rows: Vec<&AccountOwner> = accounts.iter().collect();
        rows.sort_unstable_by(|a, b| (&a.account, a.from, a.origin.line).cmp(&(&b.account, b.from, b.origin.line)));
        for group in rows.chunk_by(|a, b| a.account == b.account) {
            let Some(account) = group.first().map(|row| row.account.as_str()) else {
                continue;
            };
            // The row reaching furthest so far: any later-starting row that begins on
            // or before its end overlaps it.
            let mut furthest: Option<&AccountOwner> = None;
            for &row in group {
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
        let (earlier, later) = if a.origin.line <= b.origin.line { (a, b) } else { (b, a) };
        let describe = |row: &AccountOwner| {
            let until = row.to.map_or("onwards".to_string(), |to| format!("to {to}"));
            format!("{} ({}, {} {until})", self.kind.row_label(&row.origin), row.payee, row.from)
        };
        let message = format!("has overlapping owner rows: {} and {}", describe(earlier), describe(later));
        let starts_later = if a.from <= b.from { b } else { a };
        let help = starts_later.from.pred_opt().map(|day| format!("an account has one owner a day: end the earlier row on {day} at the latest"));
        self.report(Table::Accounts, &later.origin, "account", account, message, help);
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

/// Puts payees and bookings in (id, line) order and splits in (booking, payee, line)
/// order, unless they came in that order (a file written in id order).
fn sort_rows(built: &mut Built) {
    if built.payees_out_of_order {
        sort_rows_by(&mut built.payees, |payee| prefix_key(&payee.id), |a, b| a.id.cmp(&b.id).then(a.origin.line.cmp(&b.origin.line)), |_, _| {});
    }
    if built.bookings_out_of_order {
        let currency_from_amount = &mut built.currency_from_amount;
        sort_rows_by(
            &mut built.bookings,
            |booking| prefix_key(&booking.id),
            |a, b| a.id.cmp(&b.id).then(a.origin.line.cmp(&b.origin.line)),
            |i, j| currency_from_amount.swap(i, j),
        );
    }
    if built.splits_out_of_order {
        sort_rows_by(
            &mut built.splits,
            |split| prefix_key(&split.booking),
            |a, b| (&a.booking, &a.payee, a.origin.line).cmp(&(&b.booking, &b.payee, b.origin.line)),
            |_, _| {},
        );
    }
}

/// The first 8 bytes of `text` as a big-endian number (zero-padded): comparing two of
/// them orders texts as comparing the texts does, unless they are equal.
fn prefix_key(text: &str) -> u64 {
    let mut word = [0u8; 8];
    for (slot, byte) in word.iter_mut().zip(text.as_bytes()) {
        *slot = *byte;
    }
    u64::from_be_bytes(word)
}

/// Sorts `rows` by `compare` (a total order), given `prefix`, a key consistent with it
/// that decides most comparisons without reaching into the rows. Rows are large, so
/// their order is found on (prefix, position) pairs and each row is then moved once;
/// `swap_also` mirrors each move in a companion vector.
fn sort_rows_by<T>(rows: &mut [T], prefix: impl Fn(&T) -> u64, compare: impl Fn(&T, &T) -> Ordering, mut swap_also: impl FnMut(usize, usize)) {
    let mut keys: Vec<(u64, usize)> = rows.iter().map(&prefix).zip(0..).collect();
    keys.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0).then_with(|| match (rows.get(a.1), rows.get(b.1)) {
            (Some(x), Some(y)) => compare(x, y),
            _ => a.1.cmp(&b.1),
        })
    });
    // `order[i]`: the position of the row that belongs at `i`. Follow each cycle of the
    // permutation, marking placed positions with themselves.
    let mut order: Vec<usize> = keys.into_iter().map(|(_, position)| position).collect();
    for start in 0..order.len() {
        let mut current = start;
        while let Some(slot) = order.get_mut(current) {
            let source = std::mem::replace(slot, current);
            if source == start || source >= rows.len() {
                break;
            }
            rows.swap(current, source);
            swap_also(current, source);
            current = source;
        }
    }
}

/// The tables in the order the `Facts` invariant names, so that row order in the input
/// never shows in the output. Payees, bookings and splits are in that order already.
fn into_sorted_facts(built: Built) -> Facts {
    Facts::from_tables(Tables {
        payees: built.payees,
        bookings: built.bookings,
        splits: built.splits,
        quotas: built.quotas,
        metrics: built.metrics,
        fx: built.fx,
        accounts: built.accounts,
    })
}
