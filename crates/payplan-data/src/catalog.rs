//! The catalog of data.md: its seven tables, their files, their standard columns with
//! the kind of cell each holds, which are required, which identify a row and which
//! refer to another table. The loader reads by it; the importer (`payplan-import`)
//! writes and checks rows by it, so both follow one description of the data.

use serde::Serialize;

/// A table of data.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Table {
    /// `payees.csv`: the people who can be credited and paid.
    Payees,
    /// `bookings.csv`: the deals.
    Bookings,
    /// `splits.csv`: shares of split deals.
    Splits,
    /// `quotas.csv`: quota amounts per payee and period.
    Quotas,
    /// `fx.csv`: exchange rates into the plan currency.
    Fx,
    /// `metrics.csv`: per payee and period numbers.
    Metrics,
    /// `accounts.csv`: account ownership spells.
    Accounts,
}

/// What a cell of a standard column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CellKind {
    /// Text.
    Text,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// A number or money amount, `1234.56`.
    Number,
    /// A share: `60%` or a number (`0.6`).
    Share,
}

impl CellKind {
    /// The kind an import mapping names for a custom column: `text`, `date`, `number`
    /// (or `money`), `share`.
    pub fn from_name(name: &str) -> Option<CellKind> {
        match name {
            "text" => Some(CellKind::Text),
            "date" => Some(CellKind::Date),
            "number" | "money" => Some(CellKind::Number),
            "share" => Some(CellKind::Share),
            _ => None,
        }
    }

    /// Its name, as an import mapping writes it.
    pub fn name(self) -> &'static str {
        match self {
            CellKind::Text => "text",
            CellKind::Date => "date",
            CellKind::Number => "number",
            CellKind::Share => "share",
        }
    }
}

/// One column data.md defines.
#[derive(Debug, Clone, Copy)]
pub struct StandardColumn {
    /// The column name.
    pub name: &'static str,
    /// What its cells hold.
    pub kind: CellKind,
    /// Whether every row needs a value.
    pub required: bool,
}

const fn column(name: &'static str, kind: CellKind, required: bool) -> StandardColumn {
    StandardColumn { name, kind, required }
}

use CellKind::{Date, Number, Share, Text};

const PAYEES: &[StandardColumn] = &[
    column("id", Text, true),
    column("name", Text, false),
    column("role", Text, false),
    column("manager", Text, false),
    column("start_date", Date, false),
    column("end_date", Date, false),
    column("target_incentive", Number, false),
];
const BOOKINGS: &[StandardColumn] = &[
    column("id", Text, true),
    column("date", Date, true),
    column("amount", Number, true),
    column("currency", Text, false),
    column("owner", Text, true),
    column("status", Text, false),
    column("cancel_date", Date, false),
    column("account", Text, false),
];
const SPLITS: &[StandardColumn] = &[column("booking", Text, true), column("payee", Text, true), column("share", Share, true)];
const QUOTAS: &[StandardColumn] = &[column("payee", Text, true), column("quota", Text, true), column("period", Text, true), column("amount", Number, true)];
const FX: &[StandardColumn] = &[column("currency", Text, true), column("date", Date, true), column("rate", Number, true)];
const METRICS: &[StandardColumn] = &[column("payee", Text, true), column("metric", Text, true), column("period", Text, true), column("value", Number, true)];
const ACCOUNTS: &[StandardColumn] = &[column("account", Text, true), column("payee", Text, true), column("from", Date, true), column("to", Date, false)];

impl Table {
    /// Every table, in data.md's order (the order tables are read, written and reported).
    pub const ALL: [Table; 7] = [Table::Payees, Table::Bookings, Table::Splits, Table::Quotas, Table::Fx, Table::Metrics, Table::Accounts];

    /// The table's name (`payees`): the JSON key, the CSV file name without `.csv`, and
    /// the name an import mapping uses.
    pub fn name(self) -> &'static str {
        match self {
            Table::Payees => "payees",
            Table::Bookings => "bookings",
            Table::Splits => "splits",
            Table::Quotas => "quotas",
            Table::Fx => "fx",
            Table::Metrics => "metrics",
            Table::Accounts => "accounts",
        }
    }

    /// The table named `name`.
    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The CSV file of the table (`payees.csv`).
    pub fn file_name(self) -> &'static str {
        match self {
            Table::Payees => "payees.csv",
            Table::Bookings => "bookings.csv",
            Table::Splits => "splits.csv",
            Table::Quotas => "quotas.csv",
            Table::Fx => "fx.csv",
            Table::Metrics => "metrics.csv",
            Table::Accounts => "accounts.csv",
        }
    }

    /// The table whose file `file_name` is or looks like: its file name, in any case, or
    /// with the table's name in the singular (`splits.csv`, `Splits.CSV`, `split.csv`).
    /// The loader reads only the exact name and refuses the others.
    pub fn named_like(file_name: &str) -> Option<Table> {
        let split = file_name.len().checked_sub(".csv".len())?;
        let (stem, extension) = (file_name.get(..split)?, file_name.get(split..)?);
        if !extension.eq_ignore_ascii_case(".csv") {
            return None;
        }
        let stem = stem.to_lowercase();
        Table::ALL.into_iter().find(|table| {
            let name = table.name();
            stem == name || name.strip_suffix('s') == Some(stem.as_str())
        })
    }

    /// The table stored in a file called `file_name` (exactly, e.g. `bookings.csv`).
    pub fn from_file_name(file_name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|table| table.file_name() == file_name)
    }

    /// The columns data.md defines, in its order.
    pub fn columns(self) -> &'static [StandardColumn] {
        match self {
            Table::Payees => PAYEES,
            Table::Bookings => BOOKINGS,
            Table::Splits => SPLITS,
            Table::Quotas => QUOTAS,
            Table::Fx => FX,
            Table::Metrics => METRICS,
            Table::Accounts => ACCOUNTS,
        }
    }

    /// The column data.md defines under `name`, if any.
    pub fn column(self, name: &str) -> Option<&'static StandardColumn> {
        self.columns().iter().find(|c| c.name == name)
    }

    /// The columns that identify a row: two rows may not agree on all of them.
    pub fn key(self) -> &'static [&'static str] {
        match self {
            Table::Payees | Table::Bookings => &["id"],
            Table::Splits => &["booking", "payee"],
            Table::Quotas => &["payee", "quota", "period"],
            Table::Fx => &["currency", "date"],
            Table::Metrics => &["payee", "metric", "period"],
            Table::Accounts => &[],
        }
    }

    /// The columns that hold the id of a row of another table: (column, that table).
    pub fn references(self) -> &'static [(&'static str, Table)] {
        match self {
            Table::Payees => &[("manager", Table::Payees)],
            Table::Bookings => &[("owner", Table::Payees)],
            Table::Splits => &[("booking", Table::Bookings), ("payee", Table::Payees)],
            Table::Quotas | Table::Metrics | Table::Accounts => &[("payee", Table::Payees)],
            Table::Fx => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_and_reference_is_a_required_or_known_column() {
        for table in Table::ALL {
            assert_eq!(Table::from_name(table.name()), Some(table));
            for key in table.key() {
                assert!(table.column(key).is_some_and(|c| c.required), "{}.{key}", table.name());
            }
            for (column, _) in table.references() {
                assert!(table.column(column).is_some(), "{}.{column}", table.name());
            }
        }
    }
}
