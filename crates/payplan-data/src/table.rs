//! What the loader needs of the catalog's tables (report order, declared fields, the
//! columns it reads), how messages name tables and rows, and rows before typing.

use payplan_facts::{FieldType, Origin, Schema};

// The tables and their standard columns are the catalog's (`crate::catalog`); what
// only the loader needs of them is here.
pub(crate) use crate::catalog::Table;

impl Table {
    /// Position in report order; 0 is kept for errors about the data set as a whole.
    pub(crate) fn rank(self) -> u8 {
        match self {
            Table::Payees => 1,
            Table::Bookings => 2,
            Table::Splits => 3,
            Table::Quotas => 4,
            Table::Fx => 5,
            Table::Metrics => 6,
            Table::Accounts => 7,
        }
    }

    /// The custom columns the plan declares on this table (only payees and bookings have any).
    pub(crate) fn declared_fields(self, schema: &Schema) -> &[(String, FieldType)] {
        match self {
            Table::Payees => &schema.payee_fields,
            Table::Bookings => &schema.booking_fields,
            _ => &[],
        }
    }

    /// The prefix of a declaration of a field of this table: `booking` in `field booking.seats`.
    pub(crate) fn field_owner(self) -> &'static str {
        match self {
            Table::Payees => "payee",
            _ => "booking",
        }
    }

    /// Whether a data set without this table is an error.
    pub(crate) fn is_required(self, schema: &Schema) -> bool {
        match self {
            Table::Payees | Table::Bookings => true,
            Table::Quotas => schema.needs_quotas,
            Table::Metrics => schema.needs_metrics,
            Table::Splits | Table::Fx | Table::Accounts => false,
        }
    }

    /// Columns the loader reads beyond the standard ones and the declared fields: the
    /// row's `currency` cell of payees and quotas, which data.md gives to every money
    /// cell ("in the row's `currency` cell, or the plan currency when that is empty or
    /// the table has none") though their tables do not list it.
    pub(crate) fn row_currency_column(self) -> Option<&'static str> {
        match self {
            Table::Payees | Table::Quotas => Some("currency"),
            _ => None,
        }
    }

    /// How many of `read_columns` are the loader's own (the standard columns and the
    /// row currency), not declared fields: they come first.
    pub(crate) fn own_column_count(self) -> usize {
        self.columns().len() + usize::from(self.row_currency_column().is_some())
    }

    /// Every column the loader reads: the standard ones, the row currency
    /// (`row_currency_column`), then the declared custom ones.
    pub(crate) fn read_columns(self, schema: &Schema) -> Vec<String> {
        let mut columns: Vec<String> = self.columns().iter().map(|column| column.name.to_string()).collect();
        columns.extend(self.row_currency_column().map(str::to_string));
        for (name, _) in self.declared_fields(schema) {
            if !columns.contains(name) {
                columns.push(name.clone());
            }
        }
        columns
    }
}

/// The table whose file `file_name` looks like without being it: its file name in
/// another case, or with the table's name in the singular (`Splits.csv`, `SPLITS.CSV`,
/// `split.csv`, `payee.csv`), with a `.csv` extension in any case. Such a file is never
/// read, since files are opened by their exact names; it is reported instead.
pub(crate) fn look_alike_file(file_name: &str) -> Option<Table> {
    match Table::from_file_name(file_name) {
        Some(_) => None,
        None => Table::named_like(file_name),
    }
}

/// How a header cell (or JSON key) that is no read column as written stands for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NearMiss {
    /// A read column with spaces around it (` date`).
    Spaces,
    /// One of the loader's own columns (`Table::own_column_count`) in another case, or
    /// with spaces or hyphens for its underscores (`Currency`, `Start Date`, `cancel-date`).
    Spelling,
}

impl NearMiss {
    /// The message (after the quoted header cell or key) and the help.
    pub(crate) fn message(self, kind: SourceKind, column: &str) -> (String, String) {
        let (what, name, names) = match kind {
            SourceKind::Csv => ("header cell", "column", "header names"),
            SourceKind::Json => ("key", "key", "keys"),
        };
        let message = match self {
            NearMiss::Spaces => format!("is a {what} with spaces around it"),
            NearMiss::Spelling => format!("is not the {name} `{column}`: {names} match exactly"),
        };
        (message, format!("rename it to `{column}`"))
    }
}

/// The read column (an index into `columns`, `Table::read_columns`) that `name` stands
/// for when it is not one as written (see `NearMiss`). Header cells and JSON keys go
/// through this one rule: a near miss is an error, and its column is read anyway.
pub(crate) fn near_miss(table: Table, name: &str, columns: &[String]) -> Option<(usize, NearMiss)> {
    if columns.iter().any(|column| column == name) {
        return None;
    }
    let trimmed = name.trim();
    if let Some(index) = columns.iter().position(|column| column == trimmed) {
        return Some((index, NearMiss::Spaces));
    }
    let folded: String = trimmed.to_lowercase().chars().map(|c| if c == ' ' || c == '-' { '_' } else { c }).collect();
    columns.iter().take(table.own_column_count()).position(|column| *column == folded).map(|index| (index, NearMiss::Spelling))
}

/// Where the data set came from: decides how tables are named in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SourceKind {
    Csv,
    Json,
}

impl SourceKind {
    /// How a message names a table: `payees.csv` or, in a JSON file, `payees`.
    pub(crate) fn table_label(self, table: Table) -> &'static str {
        match self {
            SourceKind::Csv => table.file_name(),
            SourceKind::Json => table.name(),
        }
    }

    /// How a message names a row elsewhere: `line 3` or `bookings[1]`.
    pub(crate) fn row_label(self, origin: &Origin) -> String {
        match origin.json_index.as_deref() {
            Some((table, index)) => format!("{table}[{index}]"),
            None => format!("line {}", origin.line),
        }
    }
}

/// One cell before typing, borrowed from the file's text (CSV) or the parsed document
/// (JSON), so reading a table copies only what the facts keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RawCell<'a> {
    /// An empty CSV cell, an empty JSON string, JSON `null` or a missing key.
    Absent,
    /// A CSV cell or a JSON string, as written.
    Text(&'a str),
    /// A JSON number, as written (serde_json's `arbitrary_precision` keeps the text).
    Number(&'a str),
    /// A JSON boolean.
    Bool(bool),
    /// A JSON array or object, which no cell can hold: its kind, e.g. `an array`.
    Unsupported(&'static str),
}

impl RawCell<'_> {
    /// The cell as written, for error messages.
    pub(crate) fn shown(&self) -> Option<String> {
        match self {
            RawCell::Text(text) | RawCell::Number(text) => Some((*text).to_string()),
            RawCell::Bool(value) => Some(value.to_string()),
            RawCell::Absent | RawCell::Unsupported(_) => None,
        }
    }
}

/// The cells of one row, by position in the table's read columns (`Table::read_columns`).
#[derive(Clone, Copy)]
pub(crate) enum RowCells<'r> {
    /// A CSV record: its fields as byte ranges of `text`, and for each read column the
    /// position of its header cell (`None`: the header has no such column).
    Csv { text: &'r str, fields: &'r [(usize, usize)], positions: &'r [Option<usize>] },
    /// A JSON row: a cell per read column.
    Json(&'r [RawCell<'r>]),
}

impl<'r> RowCells<'r> {
    /// The cell of read column `column`; absent when the table has no such column.
    pub(crate) fn get(&self, column: usize) -> RawCell<'r> {
        match *self {
            RowCells::Csv { text, fields, positions } => {
                let range = positions.get(column).copied().flatten().and_then(|position| fields.get(position));
                match range.and_then(|&(start, end)| text.get(start..end)) {
                    None | Some("") => RawCell::Absent,
                    Some(cell) => RawCell::Text(cell),
                }
            }
            RowCells::Json(cells) => cells.get(column).copied().unwrap_or(RawCell::Absent),
        }
    }
}
