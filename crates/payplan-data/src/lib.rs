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
//! - Only the seven table files are read, by their exact names; a folder's file is
//!   opened only when the folder's listing has that exact name, so a file system that
//!   ignores case does not read `Splits.csv` for `splits.csv`. Two files for one table
//!   (`load_csv_files`) is an error.
//! - A `.csv` file (the extension in any case) named like a table's file in another
//!   case or in the singular (`Splits.csv`, `SPLITS.CSV`, `split.csv`, `payee.csv`) is
//!   an error, since its rows would be left out without a word: when the table's file
//!   is missing, its "is missing" error names the look-alike (for an optional table
//!   too, which is then unreadable: `splits.csv: is missing; table files are read by
//!   their exact names (the folder has Splits.csv; rename it to splits.csv)`); beside
//!   the table's file, at the look-alike. Other files (`README`, `notes.csv`,
//!   `generate.py`) are ignored; a missing required file's error also points at a close
//!   misspelling (`bokings.csv`).
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
//! - Header names match exactly. A header cell that is no read column as written but
//!   is one with spaces around it (` date`), or is one of the loader's own columns (the
//!   standard ones, and `currency` of payees and quotas) in another case or with
//!   spaces or hyphens for underscores (`Currency`, `Start Date`, `cancel-date`), is an
//!   error at line 1 with a rename hint (`table::near_miss`, for JSON keys too), and
//!   the column is still read so its cells get checked (a column also written exactly
//!   is read instead). Declared fields match exactly; a near miss of one is named by
//!   the hint of its missing column. Other unknown columns are custom fields the plan
//!   does not read, and are ignored (`ccy`, `Notes`). A repeated header name is an
//!   error; unnamed header cells (a trailing comma) are ignored.
//! - Quoting is RFC 4180's, strictly: text after a closing quote (`"Sec"urity`), a
//!   quote in a cell that does not start with one (`Sec"urity`) and spaces before an
//!   opening quote (` "Security"`) are errors at the line where the cell starts,
//!   naming its column and quoting the cell as written; the row is still read (as the
//!   csv crate reads it), so its id counts. A quote that is never closed is an error at
//!   the line where it opens.
//! - A row with more or fewer cells than the header is an error and is skipped. A row
//!   whose cells are all empty (what spreadsheets leave below the data) is skipped.
//! - Nothing is trimmed. Dates, numbers, shares, money, bools, currency codes and
//!   period labels with spaces around them are errors; text cells (ids, names,
//!   statuses) are taken exactly as written, so `"alice "` is not `alice`.
//!
//! Cells
//! - Numbers are `-`? digits (`.` digits)?: no `+`, no exponent, no thousands
//!   separator, no leading or trailing point; at most 28 decimal digits and the range
//!   of `rust_decimal` (28 significant digits), else an error. Values keep the digits
//!   as written (`0.60`), except zeros ending a fraction that would not fit, which are
//!   no digits of the value (`197403.840000000000000000000000000` is 197403.84).
//! - Shares lie between 0% and 100% inclusive.
//! - A required cell that is empty is an error.
//! - Currency codes are the current ISO 4217 codes, the fund codes (`CLF`, `UYW`,
//!   `BOV`, `CHE`, `CHW`, `COU`, `MXV`, `USN`, `UYI`) included, with their minor units
//!   (`payplan_facts::Currency`, which the plan checker reads too); the withdrawn `ZWL`
//!   and `ANG` are still accepted.
//! - Money: a cell's own code must name an ISO 4217 currency. A booking's own-coded
//!   amount with an empty `currency` cell sets the booking's currency. A booking money
//!   field without a code is in the row's `currency` cell, or the plan currency when
//!   that is empty, as data.md says, even when the amount carries another code (`1000
//!   EUR` with an empty currency cell and a field `300`: 300 in the plan currency).
//! - Payee money (`target_incentive`, money fields) and quota amounts must be in the
//!   plan currency. data.md lists no `currency` column for payees or quotas, but a
//!   money cell is "in the row's `currency` cell": when payees.csv or quotas.csv (or
//!   their JSON rows) has one, its cells must be currency codes, and a non-empty one is
//!   the currency of the row's money cells without a code. So a code other than the
//!   plan currency is an error, written in the cell (`100000 EUR`) or in the row's
//!   currency cell (`100000` with `EUR`: an error at each such money cell); a cell's
//!   own code that contradicts a non-empty currency cell is an error as for a
//!   booking's amount.
//! - A quota amount or a target incentive below 0 is an error (a negative quota turns
//!   the tier bands around: attainment below 0% would be paid at the band from 100%);
//!   0 loads (a zero quota used as a divisor is an evaluation error).
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
//! - Rows are objects; unknown keys are ignored like unknown columns, but a key that is
//!   a near miss of a column (as for CSV headers) is an error at the first row that has
//!   it, and its value is read as the column's in rows without the exact key.
//! - A missing key, `null` and `""` are all an absent cell. Strings are read like CSV
//!   cells; numbers are accepted for numeric, share and money cells only (exact text
//!   kept), booleans for bool cells only, so an id must be a string (`"1001"`, not
//!   `1001`).
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
//!   word of text at a time (looking for quotes too when the file has any); records
//!   with a quote are unescaped into a buffer, and their quotes checked.
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
/// `fx.csv`, `metrics.csv`, `accounts.csv`) are read, files named like one of them
/// (`Splits.csv`) are errors, and the rest are ignored; error messages name each file
/// by the folder as given joined with the file name. Files are only read, never written.
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
/// not one of the seven tables are ignored, but for those named like one (`Splits.csv`),
/// which are errors as in a folder.
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
    let mut folder = CsvFolder { files: BTreeMap::new(), missing_path: Box::new(move |name| format!("{folder_prefix}{name}")), others: Vec::new() };
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
            None => folder.others.push((file_name.to_string(), name.clone())),
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
    /// The other files (a folder's sorted, in-memory ones in the order given): the file
    /// name, and the file as named in messages. Those that look like a table's file are reported (`look_alike_file`);
    /// the rest are ignored, but for "did you mean" hints.
    others: Vec<(String, String)>,
}

fn load_folder(path: &Path, schema: &Schema) -> Result<Facts, DataErrors> {
    let errors = Errors::new(path.display().to_string());
    let shown = |name: &str| path.join(name).display().to_string();
    // A table's file is opened only when the listing has its exact name: on a file
    // system that ignores case, opening `splits.csv` would read `Splits.csv`, which is
    // reported as a look-alike instead, as on every other system. The listing order is
    // the file system's, so it is sorted.
    let listing: Option<Vec<String>> =
        std::fs::read_dir(path).map(|entries| entries.filter_map(Result::ok).filter_map(|entry| entry.file_name().into_string().ok()).collect()).ok();
    let mut others: Vec<(String, String)> =
        listing.iter().flatten().filter(|name| Table::from_file_name(name).is_none()).map(|name| (name.clone(), shown(name))).collect();
    others.sort();
    let listed = |table: Table| listing.as_ref().is_none_or(|names| names.iter().any(|name| name == table.file_name()));
    let folder = CsvFolder {
        files: Table::ALL
            .into_iter()
            .filter(|&table| listed(table))
            .map(|table| {
                let file_path = path.join(table.file_name());
                (table, (file_path.display().to_string(), CsvSource::Path(file_path)))
            })
            .collect(),
        missing_path: Box::new(move |name| shown(name)),
        others,
    };
    load_csv_folder(folder, schema, errors)
}

fn load_csv_folder(folder: CsvFolder, schema: &Schema, mut errors: Errors) -> Result<Facts, DataErrors> {
    let mut built = Built::default();
    let mut unreadable = BTreeSet::new();
    for table in Table::ALL {
        // Files named like the table's but not exactly (`Splits.csv`): never read, always
        // reported; the first stands in the error of a table without its file.
        let present = folder.files.contains_key(&table);
        let mut look_alikes = folder.others.iter().filter(|(name, _)| table::look_alike_file(name) == Some(table));
        let stand_in = if present { None } else { look_alikes.next() };
        let look_alikes: Vec<&(String, String)> = look_alikes.collect();
        // After the table's own errors when it is missing, before them when it is not.
        if present {
            report_look_alikes(table, true, &look_alikes, &mut errors);
        }
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
                let found = stand_in
                    .map(|(name, _)| name.as_str())
                    .or_else(|| suggest::closest(table.file_name(), folder.others.iter().map(|(name, _)| name.as_str())));
                let help = found.map(|found| format!("the folder has {found}; rename it to {}", table.file_name()));
                errors.table(table, 0, DataError::in_file((folder.missing_path)(table.file_name()), message).help(help));
                unreadable.insert(table);
            }
            // An optional table is missing, but a file looks like it: the data it holds
            // would be left out without a word.
            _ => {
                if let Some((name, _)) = stand_in {
                    let message = "is missing; table files are read by their exact names";
                    let help = format!("the folder has {name}; rename it to {}", table.file_name());
                    errors.table(table, 0, DataError::in_file((folder.missing_path)(table.file_name()), message).help(Some(help)));
                    unreadable.insert(table);
                }
            }
        }
        if !present {
            report_look_alikes(table, false, &look_alikes, &mut errors);
        }
    }
    finish(built, &unreadable, SourceKind::Csv, schema, errors)
}

/// Reports files named like `table`'s file (`Splits.csv`), which are never read, but
/// for the one a missing table's error already names; `present`: the table's own file
/// is there.
fn report_look_alikes(table: Table, present: bool, look_alikes: &[&(String, String)], errors: &mut Errors) {
    let expected = table.file_name();
    for (name, shown) in look_alikes {
        let help = if present { format!("remove it, or move its rows into {expected}") } else { format!("rename it to {expected}") };
        let message = format!("is not read: table files are read by their exact names, and {name} is not {expected}");
        errors.table(table, 0, DataError::in_file(shown.as_str(), message).help(Some(help)));
    }
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
