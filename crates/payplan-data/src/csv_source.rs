//! CSV files into raw tables: encoding, header and field-count checks.

use crate::error::{DataError, Errors};
use crate::suggest;
use crate::table::{RawCell, RawRow, RawTable, Table};
use payplan_facts::{Origin, Schema};
use std::collections::BTreeMap;

/// Header names listed at most in a "missing column" hint.
const MAX_LISTED_HEADERS: usize = 12;

/// The text of a file that must be UTF-8 (a UTF-8 byte-order mark is dropped), or an
/// error naming the line where it stops being UTF-8.
pub(crate) fn decode_utf8<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, Box<DataError>> {
    let not_utf8 = |line: u32, why: String| {
        Box::new(
            DataError::in_file(file, format!("is not UTF-8: {why}"))
                .line(line)
                .help(Some(
                    "save the file as UTF-8; in Excel, as CSV UTF-8".to_string(),
                )),
        )
    };
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(not_utf8(
            1,
            "it starts with a UTF-16 byte-order mark".to_string(),
        ));
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let line_at = |offset: usize| {
        let newlines = bytes
            .get(..offset)
            .map_or(0, |before| before.iter().filter(|&&b| b == b'\n').count());
        u32::try_from(newlines)
            .unwrap_or(u32::MAX)
            .saturating_add(1)
    };
    let text = std::str::from_utf8(bytes).map_err(|error| {
        let offset = error.valid_up_to();
        let byte = bytes
            .get(offset)
            .map_or(String::new(), |byte| format!(" 0x{byte:02X}"));
        not_utf8(line_at(offset), format!("invalid byte{byte}"))
    })?;
    // NUL is valid UTF-8 but never text: it is what UTF-16 without a byte-order mark looks like.
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(not_utf8(
            line_at(offset),
            "it contains NUL bytes, as UTF-16 files do".to_string(),
        ));
    }
    Ok(text)
}

/// Reads one CSV file of `table`. Returns `None` when the table cannot be read at all
/// (bad encoding, no header, a missing required column); every problem is reported.
pub(crate) fn read_csv(
    file: &str,
    table: Table,
    bytes: &[u8],
    schema: &Schema,
    errors: &mut Errors,
) -> Option<RawTable> {
    let text = match decode_utf8(file, bytes) {
        Ok(text) => text,
        Err(error) => {
            errors.table(table, 0, *error);
            return None;
        }
    };
    // Field counts are checked here rather than by the csv crate, to name the line and
    // both counts.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => {}
        Ok(false) => {
            let error = DataError::in_file(file, "is empty").help(Some(format!(
                "the first line must be the header, e.g. {}",
                header_example(table)
            )));
            errors.table(table, 0, error);
            return None;
        }
        Err(error) => {
            errors.table(table, line_of(error.position()), csv_error(file, &error));
            return None;
        }
    }
    let lines = LineIndex::new(text);
    let header: Vec<String> = record.iter().map(str::to_string).collect();
    let header_line = u64::from(lines.line_of(record.position()));
    let columns = table.read_columns(schema);
    let positions = header_positions(file, table, &header, header_line, &columns, schema, errors)?;

    let shared_file: std::sync::Arc<str> = std::sync::Arc::from(file);
    let mut rows = Vec::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                errors.table(table, line_of(error.position()), csv_error(file, &error));
                break;
            }
        }
        let line = lines.line_of(record.position());
        if record.len() != header.len() {
            let message = format!(
                "has {} cells, but the header has {}",
                record.len(),
                header.len()
            );
            let help = (record.len() > header.len())
                .then(|| "a cell holding a comma must be quoted, e.g. \"Acme, Inc.\"".to_string());
            errors.table(
                table,
                u64::from(line),
                DataError::in_file(file, message).line(line).help(help),
            );
            continue;
        }
        // Rows of empty cells are what spreadsheets leave below the data: no data, no row.
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cells = positions
            .iter()
            .map(
                |position| match position.and_then(|position| record.get(position)) {
                    None | Some("") => RawCell::Absent,
                    Some(text) => RawCell::Text(text.to_string()),
                },
            )
            .collect();
        rows.push(RawRow {
            origin: Origin {
                file: shared_file.clone(),
                line,
                json_index: None,
            },
            cells,
        });
    }
    Some(RawTable { columns, rows })
}

/// For each read column, its position in the header; `None` when a required column is missing.
fn header_positions(
    file: &str,
    table: Table,
    header: &[String],
    header_line: u64,
    columns: &[String],
    schema: &Schema,
    errors: &mut Errors,
) -> Option<Vec<Option<usize>>> {
    let line = u32::try_from(header_line).unwrap_or(u32::MAX);
    let mut positions: Vec<Option<usize>> = vec![None; columns.len()];
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (position, name) in header.iter().enumerate() {
        // Unnamed columns (a trailing comma in the header) hold nothing the loader reads.
        if name.is_empty() {
            continue;
        }
        if let Some(first) = seen.get(name.as_str()) {
            let message = format!(
                "appears twice in the header (cells {} and {})",
                first + 1,
                position + 1
            );
            errors.table(
                table,
                header_line,
                DataError::in_file(file, message)
                    .line(line)
                    .column(name.as_str()),
            );
            continue;
        }
        seen.insert(name, position);
        if let Some(slot) = columns
            .iter()
            .position(|column| column == name)
            .and_then(|i| positions.get_mut(i))
        {
            *slot = Some(position);
        } else if let Some(index) = columns.iter().position(|column| column == name.trim()) {
            let error = DataError::in_file(file, "is a header cell with spaces around it")
                .line(line)
                .value(Some(name.clone()))
                .help(Some(format!("rename it to `{}`", name.trim())));
            errors.table(table, header_line, error);
            // Read the column anyway, so its cells are checked too.
            if let Some(slot @ None) = positions.get_mut(index) {
                *slot = Some(position);
            }
        }
    }

    let mut readable = true;
    for (column, position) in columns.iter().zip(&positions) {
        if position.is_some() {
            continue;
        }
        let standard = table
            .standard_columns()
            .iter()
            .find(|standard| standard.name == column.as_str());
        let message = match standard {
            Some(standard) if standard.required => {
                readable = false;
                format!("missing required column `{column}`")
            }
            Some(_) => continue,
            None => {
                let declared_type = table
                    .declared_fields(schema)
                    .iter()
                    .find(|(name, _)| name == column)
                    .map_or("text", |(_, field_type)| field_type.keyword());
                format!(
                    "missing column `{column}`, which the plan declares as `field {}.{column}: {declared_type}`",
                    table.field_owner()
                )
            }
        };
        let help = missing_column_help(column, header);
        errors.table(table, 0, DataError::in_file(file, message).help(Some(help)));
    }
    readable.then_some(positions)
}

/// Points at a header cell that looks like the missing column, or lists the header.
fn missing_column_help(column: &str, header: &[String]) -> String {
    match suggest::closest(column, header.iter().map(String::as_str)) {
        Some(found) => format!("the header has `{found}`; rename it to `{column}`"),
        None => {
            let mut listed: Vec<&str> = header
                .iter()
                .take(MAX_LISTED_HEADERS)
                .map(String::as_str)
                .collect();
            if header.len() > MAX_LISTED_HEADERS {
                listed.push("...");
            }
            format!("the header is: {}", listed.join(","))
        }
    }
}

/// The standard header of a table, e.g. `id,date,amount,currency,owner`.
fn header_example(table: Table) -> String {
    let names: Vec<&str> = table
        .standard_columns()
        .iter()
        .map(|column| column.name)
        .collect();
    names.join(",")
}

/// Physical line numbers from byte offsets. The csv crate's own line count skips blank
/// lines, and data.md counts every physical line, so lines are counted here.
struct LineIndex<'a> {
    text: &'a [u8],
    /// Offsets just past each line break (`\n`, `\r\n`, or a lone `\r`), ascending.
    line_ends: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> LineIndex<'a> {
        let bytes = text.as_bytes();
        let mut line_ends = Vec::new();
        for (offset, &byte) in bytes.iter().enumerate() {
            let lone_cr = byte == b'\r' && bytes.get(offset + 1) != Some(&b'\n');
            if byte == b'\n' || lone_cr {
                line_ends.push(offset + 1);
            }
        }
        LineIndex {
            text: bytes,
            line_ends,
        }
    }

    /// The line a record starts on (the csv crate may place the record's position
    /// before the blank lines it skipped, so those are stepped over first).
    fn line_of(&self, position: Option<&csv::Position>) -> u32 {
        let Some(position) = position else { return 0 };
        let mut offset = usize::try_from(position.byte()).unwrap_or(usize::MAX);
        while self
            .text
            .get(offset)
            .is_some_and(|byte| matches!(byte, b'\r' | b'\n'))
        {
            offset += 1;
        }
        let line = self.line_ends.partition_point(|&end| end <= offset) + 1;
        u32::try_from(line).unwrap_or(u32::MAX)
    }
}

fn line_of(position: Option<&csv::Position>) -> u64 {
    position.map_or(0, csv::Position::line)
}

/// A csv crate error (rare with flexible records over valid UTF-8: an I/O error).
fn csv_error(file: &str, error: &csv::Error) -> DataError {
    let mut data_error = DataError::in_file(file, format!("cannot be read as CSV: {error}"));
    if let Some(position) = error.position() {
        data_error = data_error.line(u32::try_from(position.line()).unwrap_or(u32::MAX));
    }
    data_error
}
