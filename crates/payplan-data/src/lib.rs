//! The strict data loader: a folder of CSV files, or one JSON file, into validated
//! [`Facts`] (the contract is `spec/data.md`).
//!
//! Loading either yields facts that meet every invariant of [`Facts`], or every error
//! it found (up to [`MAX_ERRORS`], then one line saying how many more there were), in
//! file order (payees, bookings, splits, quotas, fx, metrics, accounts) and then line
//! order. Each error names the file, the line (or JSON path), the column and the value.
//! Nothing is ever written, and no input can make the loader panic.
//!
//! # Choices where data.md is silent
//!
//! Files and encoding
//! - Only the seven known file names are read, matched exactly (`Bookings.csv` is not
//!   `bookings.csv`, but a missing file's error points at a look-alike); other files in
//!   the folder are ignored. Two files for one table (`load_csv_files`) is an error.
//! - Text must be UTF-8; a UTF-8 byte-order mark is dropped. A UTF-16 byte-order mark,
//!   an invalid byte or a NUL byte is an error at the line where it occurs.
//!
//! Limits (module `limits`, docs/hardening.md)
//! - A data file (a CSV file, a JSON data set, or the bytes given to `load_csv_files`)
//!   of more than [`MAX_DATA_FILE_BYTES`] is an error naming its size and the limit,
//!   found from the file's size on disk before it is read.
//! - A table of more than [`MAX_TABLE_ROWS`] rows (CSV records after the header, or
//!   elements of a JSON table) is an error naming the count and the limit; the table is
//!   then unreadable. When a CSV file has more line feeds than the limit, its records
//!   are counted before any row is typed.
//!
//! CSV shape
//! - Header names match exactly. A header cell that is a known column with spaces
//!   around it is an error (with a rename hint), and the column is still read so its
//!   cells get checked. A repeated header name is an error; unnamed header cells (a
//!   trailing comma) are ignored. Unknown columns are ignored.
//! - A row with more or fewer cells than the header is an error and is skipped. A row
//!   whose cells are all empty (what spreadsheets leave below the data) is skipped.
//! - Nothing is trimmed. Dates, numbers, shares, money, bools, currency codes and
//!   period labels with spaces around them are errors; text cells (ids, names,
//!   statuses) are taken exactly as written, so `"alice "` is not `alice`.
//!
//! Cells
//! - Numbers are `-`? digits (`.` digits)?: no `+`, no exponent, no thousands
//!   separator, no leading or trailing point; at most 28 decimal digits and the range
//!   of `rust_decimal`, else an error. Values keep the digits as written (`0.60`).
//! - Shares lie between 0% and 100% inclusive.
//! - A required cell that is empty is an error.
//! - Money: a cell's own code must name an ISO 4217 currency. For payee money
//!   (`target_incentive`, money fields) and quota amounts, any code other than the plan
//!   currency is an error. A booking's own-coded amount with an empty `currency` cell
//!   sets the booking's currency. A booking money field without a code is in the
//!   row's `currency` cell, or the plan currency when that is empty; but when the
//!   currency cell is empty and the amount carries another code (`100 EUR`), a field
//!   without a code is an error asking for one, as the reading would be a guess.
//! - A period label must lie wholly within the term (any kind: `Y1`, `H2`, `Q3`, `M11`).
//!
//! Rows and references
//! - `end_date` before `start_date` and `to` before `from` are errors. A `cancel_date`
//!   before the booking's `date` is accepted: the clawback rule gives it a meaning.
//! - A booking, or a booking money field, in a currency other than the plan's needs an
//!   fx row for that currency dated on or before the booking's date.
//! - An fx row for the plan currency is dropped when its rate is exactly 1 (it says
//!   nothing) and is an error otherwise (the rates would be quoted against another
//!   currency). A rate must be more than 0; two rows for one currency and date are an
//!   error.
//! - Splits: a repeated (booking, payee) row is an error, as are shares of a booking
//!   that do not sum to exactly 100%, reported once at the booking's first split row.
//! - A `manager` cycle (including a payee managing themselves) is reported once, at
//!   the row of its smallest payee id, with the whole chain.
//! - Two `accounts` rows of one account that share a day are an error at the later row.
//! - A row with an error is left out, but its id still counts as known; a table that
//!   cannot be read at all (missing, undecodable, missing a required column) turns off
//!   the checks of references to it, so one broken file gives one error, not hundreds.
//!
//! JSON
//! - The top level is an object whose keys are table names; an unknown key is an error
//!   with a did-you-mean hint; `null` for a table is the same as leaving it out.
//! - Rows are objects; unknown keys are ignored like unknown columns; a missing key,
//!   `null` and `""` are all an absent cell. Strings are read like CSV cells; numbers
//!   are accepted for numeric, share and money cells only (exact text kept), booleans
//!   for bool cells only, so an id must be a string (`"1001"`, not `1001`).
//! - A declared field that no row of the table has is an error, like a missing column.
//! - A key repeated within one object is an error (serde_json alone would keep the
//!   last silently).
//! - Errors name the path, `data.json: bookings[3].amount`, and rows carry
//!   `Origin { line: index + 1, json_index: Some((table, index)) }`.
//!
//! Output order: rows are sorted as the `Facts` invariant says, so any row order in the
//! input gives the same facts (up to each row's `Origin`, which records where it was).
//!
//! # How loading stays fast (a million bookings)
//!
//! - One file is held at a time, and its rows are typed as they are read, from cells
//!   that borrow the file's text: no cell is copied unless the facts keep it. Columns
//!   are found once per table (`RowCells`, `build::col`), not by name per cell.
//! - CSV records are read by `csv_source::Records`, the csv crate's RFC 4180 reading
//!   (checked against it in its tests) done in place for records without quotes, a
//!   word of text at a time; records with a quoted cell are unescaped into a buffer.
//!   Physical lines are counted on the way.
//! - Rows of bookings and splits whose cells are all well-formed take a short way
//!   (`TableBuilder::quick_booking`, `cell::quick`) that gives the very row the general
//!   way gives; any other row takes the general way, which reports every error in its
//!   usual order. Tests run both ways on the same inputs (`without_quick_paths`).
//! - Equal text values (statuses, accounts, text fields) share one `Arc<str>`
//!   (`hash::Interner`); short texts are hashed and compared as integers (`ShortText`).
//! - Cross-table checks work on rows put in key order (already in order when the file
//!   is: then nothing moves): repeated ids are neighbours, splits are joined to
//!   bookings in one scan, and `Facts::from_tables` finds the rows sorted.

mod build;
pub mod catalog;
mod cell;
mod csv_source;
mod error;
mod hash;
mod json_source;
mod limits;
mod suggest;
mod table;
mod validate;

pub use error::{DataError, DataErrors};
pub use limits::{MAX_DATA_FILE_BYTES, MAX_ERRORS, MAX_TABLE_ROWS};

use build::{Built, TableBuilder};
use error::Errors;
use limits::limits;
use payplan_facts::{Facts, Schema};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use table::{SourceKind, Table};

/// Loads a data set from disk: a folder of CSV files, or one JSON file.
///
/// A folder's known files (`payees.csv`, `bookings.csv`, `splits.csv`, `quotas.csv`,
/// `fx.csv`, `metrics.csv`, `accounts.csv`) are read and the rest ignored; error
/// messages name each file by the folder as given joined with the file name. Files are
/// only read, never written.
pub fn load_path(path: &Path, schema: &Schema) -> Result<Facts, DataErrors> {
    let shown = path.display().to_string();
    let metadata = std::fs::metadata(path).map_err(|error| DataErrors(vec![DataError::in_file(shown.clone(), io_message(&error))]))?;
    if metadata.is_dir() {
        return load_folder(path, schema);
    }
    if path.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("csv")) {
        let error = DataError::in_file(shown, "is one CSV file, not a data set")
            .help(Some("pass the folder that holds payees.csv, bookings.csv and the other files".to_string()));
        return Err(DataErrors(vec![error]));
    }
    let bytes = match read_data_file(path, &shown) {
        Ok(Some(bytes)) => bytes,
        // Gone since `metadata` found it.
        Ok(None) => {
            let error = std::io::Error::from(std::io::ErrorKind::NotFound);
            return Err(DataErrors(vec![DataError::in_file(shown, io_message(&error))]));
        }
        Err(error) => return Err(DataErrors(vec![*error])),
    };
    let text = csv_source::decode_utf8(&shown, &bytes).map_err(|error| DataErrors(vec![*error]))?;
    load_json_str(&shown, text, schema)
}

/// Reads a data file whole; `Ok(None)` when it does not exist. A file larger than
/// `MAX_DATA_FILE_BYTES` is refused by its size on disk before a byte is read, and
/// reading stops one byte past the limit, for files whose size is not known beforehand
/// (a pipe, a device) or that grow while read.
fn read_data_file(path: &Path, shown: &str) -> Result<Option<Vec<u8>>, Box<DataError>> {
    use std::io::Read;
    let limit = limits().file_bytes;
    let cannot_read = |error: &std::io::Error| Box::new(DataError::in_file(shown, io_message(error)));
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(cannot_read(&error)),
    };
    let size = file.metadata().map_err(|error| cannot_read(&error))?.len();
    if size > limit {
        return Err(Box::new(limits::file_too_large(shown, Some(size), limit)));
    }
    let mut bytes = Vec::new();
    // Room for the whole file at once, as `std::fs::read` makes; when even that cannot
    // be had, reading grows the buffer and fails where memory runs out.
    if let Ok(capacity) = usize::try_from(size) {
        bytes.try_reserve_exact(capacity).ok();
    }
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(|error| cannot_read(&error))?;
    if !u64::try_from(bytes.len()).is_ok_and(|read| read <= limit) {
        return Err(Box::new(limits::file_too_large(shown, None, limit)));
    }
    Ok(Some(bytes))
}

/// The error for in-memory data of `len` bytes when that is more than a data file may hold.
fn too_large_in_memory(file: &str, len: usize) -> Option<DataError> {
    let limit = limits().file_bytes;
    let size = u64::try_from(len).unwrap_or(u64::MAX);
    (size > limit).then(|| limits::file_too_large(file, Some(size), limit))
}

/// Loads a CSV data set held in memory (the browser build has no filesystem).
///
/// Each entry is a file name (`bookings.csv`) or a path whose last component names the
/// table, with the file's bytes. Errors name files as given. Entries whose file name is
/// not one of the seven tables are ignored.
pub fn load_csv_files(files: &[(String, Vec<u8>)], schema: &Schema) -> Result<Facts, DataErrors> {
    // A missing file is named like its siblings: `cases/x/data/quotas.csv`.
    let folder_prefix = files.first().map_or("", |(name, _)| {
        let file_name = base_name(name);
        name.get(..name.len() - file_name.len()).unwrap_or("")
    });
    let dataset = match folder_prefix.trim_end_matches(['/', '\\']) {
        "" => "data set".to_string(),
        folder => folder.to_string(),
    };
    let mut folder = CsvFolder { files: BTreeMap::new(), missing_path: Box::new(move |name| format!("{folder_prefix}{name}")), other_names: Vec::new() };
    let mut errors = Errors::new(dataset);
    for (name, bytes) in files {
        let file_name = base_name(name);
        match Table::from_file_name(file_name) {
            Some(table) => match folder.files.get(&table) {
                Some((first, _)) => {
                    let error = DataError::in_file(name.clone(), format!("is a second {file_name}; the first is {first}"));
                    errors.table(table, 0, error);
                }
                None => {
                    folder.files.insert(table, (name.clone(), CsvSource::Bytes(bytes.as_slice())));
                }
            },
            None => folder.other_names.push(file_name.to_string()),
        }
    }
    load_csv_folder(folder, schema, errors)
}

/// Loads a JSON data set `{ "payees": [...], "bookings": [...], ... }`; `file` names it
/// in errors.
pub fn load_json_str(file: &str, text: &str, schema: &Schema) -> Result<Facts, DataErrors> {
    if let Some(error) = too_large_in_memory(file, text.len()) {
        return Err(DataErrors(vec![error]));
    }
    let mut errors = Errors::new(file);
    let mut built = Built::default();
    let tables = json_source::read_json(file, text, schema, &mut built, &mut errors);
    finish(built, &tables.unreadable, SourceKind::Json, schema, errors)
}

/// Where a CSV file's bytes come from.
enum CsvSource<'a> {
    /// Already in memory.
    Bytes(&'a [u8]),
    /// On disk: read when its table's turn comes, and dropped once its rows are typed,
    /// so that only one file is held at a time.
    Path(PathBuf),
}

/// The CSV files of one data set, before reading.
struct CsvFolder<'a> {
    /// Per table: the file as named in messages, and where its bytes are.
    files: BTreeMap<Table, (String, CsvSource<'a>)>,
    /// How to name a missing file in a message.
    missing_path: Box<dyn Fn(&str) -> String + 'a>,
    /// Other file names in the folder, for "did you mean" hints.
    other_names: Vec<String>,
}

fn load_folder(path: &Path, schema: &Schema) -> Result<Facts, DataErrors> {
    let errors = Errors::new(path.display().to_string());
    // Listed only for hints; the listing order is the filesystem's, so sort it.
    let mut other_names: Vec<String> = std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| entry.file_name().into_string().ok())
                .filter(|name| Table::from_file_name(name).is_none())
                .collect()
        })
        .unwrap_or_default();
    other_names.sort();
    let folder = CsvFolder {
        files: Table::ALL
            .into_iter()
            .map(|table| {
                let file_path = path.join(table.file_name());
                (table, (file_path.display().to_string(), CsvSource::Path(file_path)))
            })
            .collect(),
        missing_path: Box::new(|name| path.join(name).display().to_string()),
        other_names,
    };
    load_csv_folder(folder, schema, errors)
}

fn load_csv_folder(folder: CsvFolder, schema: &Schema, mut errors: Errors) -> Result<Facts, DataErrors> {
    let mut built = Built::default();
    let mut unreadable = BTreeSet::new();
    for table in Table::ALL {
        let read;
        let bytes = match folder.files.get(&table) {
            Some((file, CsvSource::Bytes(bytes))) => match too_large_in_memory(file, bytes.len()) {
                None => Some(*bytes),
                Some(error) => {
                    errors.table(table, 0, error);
                    unreadable.insert(table);
                    continue;
                }
            },
            Some((file, CsvSource::Path(path))) => match read_data_file(path, file) {
                Ok(Some(bytes)) => {
                    read = bytes;
                    Some(read.as_slice())
                }
                Ok(None) => None,
                Err(error) => {
                    errors.table(table, 0, *error);
                    unreadable.insert(table);
                    continue;
                }
            },
            None => None,
        };
        match (bytes, folder.files.get(&table)) {
            (Some(bytes), Some((file, _))) => {
                let builder = TableBuilder::new(table, SourceKind::Csv, schema);
                if !csv_source::read_csv(file, table, bytes, &builder, schema, &mut built, &mut errors) {
                    unreadable.insert(table);
                }
            }
            _ if table.is_required(schema) => {
                let message = format!("is missing; {}", required_because(table, SourceKind::Csv));
                let help = suggest::closest(table.file_name(), folder.other_names.iter().map(String::as_str))
                    .map(|found| format!("the folder has {found}; rename it to {}", table.file_name()));
                errors.table(table, 0, DataError::in_file((folder.missing_path)(table.file_name()), message).help(help));
                unreadable.insert(table);
            }
            _ => {}
        }
    }
    finish(built, &unreadable, SourceKind::Csv, schema, errors)
}

/// Validates and sorts the typed tables; any error makes the whole load fail.
fn finish(built: Built, unreadable: &BTreeSet<Table>, kind: SourceKind, schema: &Schema, mut errors: Errors) -> Result<Facts, DataErrors> {
    let facts = validate::validate(built, schema, kind, unreadable, &mut errors);
    if errors.is_empty() {
        Ok(facts)
    } else {
        Err(errors.finish())
    }
}

/// Whether the short ways for well-formed input are taken (records without quotes,
/// plain rows of bookings and splits, small plain numbers, currency codes met before).
/// Tests turn them off to check that the general ways give the very same results.
#[cfg(not(test))]
pub(crate) fn quick_paths() -> bool {
    true
}

#[cfg(test)]
thread_local! {
    static QUICK_PATHS: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

#[cfg(test)]
pub(crate) fn quick_paths() -> bool {
    QUICK_PATHS.get()
}

/// Runs `f` with the quick paths off (see `quick_paths`).
#[cfg(test)]
pub(crate) fn without_quick_paths<T>(f: impl FnOnce() -> T) -> T {
    QUICK_PATHS.set(false);
    let result = f();
    QUICK_PATHS.set(true);
    result
}

/// Why a data set must have `table` (only asked of required tables).
pub(crate) fn required_because(table: Table, kind: SourceKind) -> String {
    match table {
        Table::Quotas => "the plan reads quota(...)".to_string(),
        Table::Metrics => "the plan reads metric(...)".to_string(),
        _ => format!("every data set needs {} and {}", kind.table_label(Table::Payees), kind.table_label(Table::Bookings)),
    }
}

/// The last component of a path written with `/` or `\`.
fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

fn io_message(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "does not exist".to_string(),
        _ => format!("cannot be read: {error}"),
    }
}

#[cfg(test)]
mod tests;
