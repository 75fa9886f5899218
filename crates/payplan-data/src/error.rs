//! Data errors: what the user sees, and the collector that orders and caps them.

use crate::limits::{MAX_ERRORS, MAX_SHOWN_VALUE_CHARS};
use crate::table::Table;
use payplan_facts::Origin;
use std::fmt;

/// One problem in a data set, located as precisely as the input allows.
///
/// Displayed as `bookings.csv:17: column amount: "12,000" is not a number (use 12000)`:
/// the file, `:line` when known, `column NAME: ` when known, the offending value in
/// double quotes, the message, and the help in parentheses.
///
/// For a JSON data set `line` is `None` (except for JSON syntax errors) and `column`
/// holds the path to the value instead of a column name, displayed without the
/// `column` prefix: `data.json: bookings[3].amount: "12,000" is not a number`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    /// The file as the user named it, e.g. `cases/x/data/bookings.csv` or `data.json`.
    pub file: String,
    /// The physical line of a CSV file (the header is line 1), when the error has one.
    pub line: Option<u32>,
    /// The CSV column, or for JSON the path to the value (`bookings[3].amount`).
    pub column: Option<String>,
    /// The offending cell or value, as written.
    pub value: Option<String>,
    /// What is wrong, phrased to follow the value: `is not a number`.
    pub message: String,
    /// How to fix it, when there is something useful to say: `use 12000`.
    pub help: Option<String>,
}

impl DataError {
    /// An error about a whole file (or data set), with no line.
    pub(crate) fn in_file(file: impl Into<String>, message: impl Into<String>) -> DataError {
        DataError { file: file.into(), line: None, column: None, value: None, message: message.into(), help: None }
    }

    /// An error about a row (`column` = None) or one of its cells.
    pub(crate) fn at_row(origin: &Origin, column: Option<&str>, message: impl Into<String>) -> DataError {
        let mut error = DataError::in_file(origin.file.to_string(), message);
        match origin.json_index.as_deref() {
            Some((table, index)) => {
                error.column = Some(match column {
                    Some(column) => format!("{table}[{index}].{column}"),
                    None => format!("{table}[{index}]"),
                });
            }
            None => {
                error.line = Some(origin.line);
                error.column = column.map(str::to_string);
            }
        }
        error
    }

    /// Sets the line.
    pub(crate) fn line(mut self, line: u32) -> DataError {
        self.line = Some(line);
        self
    }

    /// Sets the column (CSV) or JSON path.
    pub(crate) fn column(mut self, column: impl Into<String>) -> DataError {
        self.column = Some(column.into());
        self
    }

    /// Sets the offending value.
    pub(crate) fn value(mut self, value: Option<String>) -> DataError {
        self.value = value;
        self
    }

    /// Sets the help.
    pub(crate) fn help(mut self, help: Option<String>) -> DataError {
        self.help = help;
        self
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        match (&self.column, self.line) {
            (Some(column), Some(_)) => write!(f, "column {column}: ")?,
            // Without a line, `column` is a JSON path (see the type's docs).
            (Some(path), None) => write!(f, "{path}: ")?,
            (None, _) => {}
        }
        if let Some(value) = &self.value {
            write!(f, "{:?} ", shortened(value))?;
        }
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for DataError {}

/// The value itself, or its first characters and an ellipsis when it is very long.
fn shortened(value: &str) -> String {
    if value.chars().count() <= MAX_SHOWN_VALUE_CHARS {
        value.to_string()
    } else {
        let head: String = value.chars().take(MAX_SHOWN_VALUE_CHARS).collect();
        format!("{head}...")
    }
}

/// All the errors of one load, in file order then line order; displayed one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataErrors(pub Vec<DataError>);

impl fmt::Display for DataErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DataErrors {}

/// Collects errors as they are found, then orders them by file and line.
pub(crate) struct Errors {
    /// The data set as the user named it (a folder or a JSON file), for the "more errors" line.
    dataset: String,
    /// (file rank, line or JSON position, error); rank 0 is the data set as a whole.
    entries: Vec<(u8, u64, DataError)>,
}

impl Errors {
    /// An empty collector for the data set named `dataset`.
    pub(crate) fn new(dataset: impl Into<String>) -> Errors {
        Errors { dataset: dataset.into(), entries: Vec::new() }
    }

    /// Records an error about the data set as a whole (reported first).
    pub(crate) fn dataset(&mut self, error: DataError) {
        self.entries.push((0, 0, error));
    }

    /// Records an error about a table's file, at a line (0 = the file as a whole).
    pub(crate) fn table(&mut self, table: Table, line: u64, error: DataError) {
        self.entries.push((table.rank(), line, error));
    }

    /// Records an error about a row, ordered by the row's position.
    pub(crate) fn row(&mut self, table: Table, origin: &Origin, error: DataError) {
        self.table(table, u64::from(origin.line), error);
    }

    /// Adds the errors of a later part of the same file, read on its own: they come
    /// after these (in the order found) when ordered.
    #[cfg(feature = "parallel")]
    pub(crate) fn append(&mut self, mut later: Errors) {
        self.entries.append(&mut later.entries);
    }

    /// True when nothing was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The errors in file order then line order (ties keep the order they were found
    /// in), at most `MAX_ERRORS` of them and a line saying how many more there were.
    pub(crate) fn finish(mut self) -> DataErrors {
        self.entries.sort_by_key(|(rank, line, _)| (*rank, *line));
        let total = self.entries.len();
        let mut errors: Vec<DataError> = self.entries.into_iter().take(MAX_ERRORS).map(|(_, _, error)| error).collect();
        if total > MAX_ERRORS {
            let omitted = total - MAX_ERRORS;
            let noun = if omitted == 1 { "error" } else { "errors" };
            errors.push(
                DataError::in_file(self.dataset, format!("{omitted} more {noun} not shown"))
                    .help(Some("fix the errors above and load the data again".to_string())),
            );
        }
        DataErrors(errors)
    }
}
