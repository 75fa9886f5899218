//! CSV files into typed rows: encoding, header and field-count checks, and the RFC 4180
//! record reader.

use crate::build::{Built, TableBuilder};
use crate::error::{DataError, Errors};
use crate::suggest;
use crate::table::{self, RowCells, SourceKind, Table};
use payplan_facts::{Origin, Schema};
use std::collections::BTreeMap;

/// The fewest bytes a row is assumed to take when making room for a file's rows.
const MIN_ROW_BYTES: usize = 16;

/// Header names listed at most in a "missing column" hint.
const MAX_LISTED_HEADERS: usize = 12;

/// The text of a file that must be UTF-8 (a UTF-8 byte-order mark is dropped), or an
/// error naming the line where it stops being UTF-8.
pub(crate) fn decode_utf8<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, Box<DataError>> {
    let not_utf8 = |line: u32, why: String| {
        Box::new(DataError::in_file(file, format!("is not UTF-8: {why}")).line(line).help(Some("save the file as UTF-8; in Excel, as CSV UTF-8".to_string())))
    };
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(not_utf8(1, "it starts with a UTF-16 byte-order mark".to_string()));
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let line_at = |offset: usize| {
        let newlines = bytes.get(..offset).map_or(0, |before| before.iter().filter(|&&b| b == b'\n').count());
        u32::try_from(newlines).unwrap_or(u32::MAX).saturating_add(1)
    };
    let text = std::str::from_utf8(bytes).map_err(|error| {
        let offset = error.valid_up_to();
        let byte = bytes.get(offset).map_or(String::new(), |byte| format!(" 0x{byte:02X}"));
        not_utf8(line_at(offset), format!("invalid byte{byte}"))
    })?;
    // NUL is valid UTF-8 but never text: it is what UTF-16 without a byte-order mark looks like.
    // (`contains` on bytes is a word-at-a-time search; the position only on failure.)
    if let Some(offset) = bytes.contains(&0).then(|| bytes.iter().position(|&b| b == 0)).flatten() {
        return Err(not_utf8(line_at(offset), "it contains NUL bytes, as UTF-16 files do".to_string()));
    }
    Ok(text)
}

/// Reads one CSV file of `table`, typing each row into `built` as it is read. Returns
/// false when the table cannot be read at all (bad encoding, no header, a missing
/// required column); every problem is reported.
pub(crate) fn read_csv(file: &str, table: Table, bytes: &[u8], builder: &TableBuilder, schema: &Schema, built: &mut Built, errors: &mut Errors) -> bool {
    let text = match decode_utf8(file, bytes) {
        Ok(text) => text,
        Err(error) => {
            errors.table(table, 0, *error);
            return false;
        }
    };
    let mut records = Records::new(text);
    let Some(header_line) = records.next_record() else {
        let error = DataError::in_file(file, "is empty").help(Some(format!("the first line must be the header, e.g. {}", header_example(table))));
        errors.table(table, 0, error);
        return false;
    };
    let header: Vec<String> = records.fields().iter().map(|&(start, end)| records.base().get(start..end).unwrap_or("").to_string()).collect();
    // A quote left open in the header swallows the file, and columns go missing: the
    // cause is reported first.
    let unclosed = records.unclosed_quote.take();
    report_unclosed_quote(file, table, unclosed, &header, header_line, errors);
    if let Some(bad) = records.bad_quote.take() {
        report_bad_quote(file, table, bad, text, None, errors);
    }
    let columns = builder.columns();
    let Some(positions) = header_positions(file, table, &header, u64::from(header_line), columns, schema, errors) else {
        return false;
    };

    let max_rows = crate::limits().table_rows;
    let line_feeds = count_line_feeds(text.as_bytes());
    // No more line feeds than the limit is no more rows (but for line ends that are a
    // lone `\r`: those are counted below); more may be quoted line breaks, so count.
    if line_feeds > max_rows {
        let rows = count_rows(&mut Records::new(text));
        if rows > max_rows {
            errors.table(table, 0, crate::limits::too_many_rows(file, rows, max_rows));
            return false;
        }
    }

    let body = RowsToRead { file, table, header: &header, positions: &positions, builder, max_rows };
    #[cfg(feature = "parallel")]
    if let Some(chunks) = parallel_chunks(&records) {
        return read_in_parallel(&body, &chunks, line_feeds, built, errors);
    }

    // About as many records as line feeds: room for them all at once, rather than
    // growing (and copying) the table's rows as they come. (Not more than a row per 16
    // bytes, though: a file of blank lines reserves no more than real rows would take.)
    built.reserve(table, line_feeds.min(text.len() / MIN_ROW_BYTES).min(max_rows));
    let mut rows: usize = 0;
    if !body.read(&mut records, &mut rows, built, errors) {
        return false;
    }
    let unclosed = records.unclosed_quote.take();
    report_unclosed_quote(file, table, unclosed, &header, header_line, errors);
    true
}

/// What reading the rows of one CSV file needs to know, once its header is read.
struct RowsToRead<'r> {
    file: &'r str,
    table: Table,
    header: &'r [String],
    /// Per read column, its position in the header.
    positions: &'r [Option<usize>],
    builder: &'r TableBuilder<'r>,
    max_rows: usize,
}

impl RowsToRead<'_> {
    /// Types the records left in `records` into `built`, counting them in `rows`.
    /// False when the table has more rows than the limit (reported).
    fn read(&self, records: &mut Records, rows: &mut usize, built: &mut Built, errors: &mut Errors) -> bool {
        let RowsToRead { file, table, header, positions, builder, max_rows } = *self;
        // Shared by the rows of this part of the file (one per thread: a count touched
        // by two threads a million times is a slow count).
        let shared_file: std::sync::Arc<str> = std::sync::Arc::from(file);
        while let Some(line) = records.next_record() {
            *rows += 1;
            if *rows > max_rows {
                let rows = *rows + count_rows_left(records);
                errors.table(table, 0, crate::limits::too_many_rows(file, rows, max_rows));
                return false;
            }
            // A quote RFC 4180 does not allow: an error, but the row is still read as
            // the csv crate reads it, so that its id is known (and its cells checked).
            if let Some(bad) = records.bad_quote.take() {
                report_bad_quote(file, table, bad, records.text, Some(header), errors);
            }
            let fields = records.fields();
            // Field counts are checked here, to name the line and both counts.
            if fields.len() != header.len() {
                let message = format!("has {} cells, but the header has {}", fields.len(), header.len());
                let help = (fields.len() > header.len()).then(|| "a cell holding a comma must be quoted, e.g. \"Acme, Inc.\"".to_string());
                errors.table(table, u64::from(line), DataError::in_file(file, message).line(line).help(help));
                continue;
            }
            // Rows of empty cells are what spreadsheets leave below the data: no data, no row.
            if fields.iter().all(|(start, end)| start == end) {
                continue;
            }
            let cells = RowCells::Csv { text: records.base(), fields, positions };
            let origin = Origin { file: shared_file.clone(), line, json_index: None };
            builder.row(cells, origin, built, errors);
        }
        true
    }
}

/// Files smaller than this are read on one thread (splitting costs more than it gains).
#[cfg(feature = "parallel")]
const PARALLEL_MIN_BYTES: usize = 4 << 20;

/// A part of a file's rows read on its own: its text (whole lines) and the physical
/// line it starts on.
#[cfg(feature = "parallel")]
struct Chunk<'t> {
    text: &'t str,
    first_line: u32,
}

/// The rest of a large file cut into parts at line ends, one or two per thread; `None`
/// (read it in one go) for a small file, on one thread, or when a quote appears
/// anywhere: a quoted cell may hold a line break, so only reading from the start
/// tells records apart.
#[cfg(feature = "parallel")]
fn parallel_chunks<'t>(records: &Records<'t>) -> Option<Vec<Chunk<'t>>> {
    let rest = records.text.get(records.pos..)?;
    let threads = rayon::current_num_threads();
    // Tests that turn the short ways off compare against this very reading on one thread.
    if threads < 2 || rest.len() < PARALLEL_MIN_BYTES || !crate::quick_paths() || rest.as_bytes().contains(&b'"') {
        return None;
    }
    // One part per thread: parts of equal text take about equal time, and every part
    // but the first is copied once more when the parts are joined.
    let parts = threads;
    let target = rest.len() / parts + 1;
    let bytes = rest.as_bytes();
    let mut chunks = Vec::with_capacity(parts);
    let mut start = 0;
    let mut line = records.line;
    while start < bytes.len() {
        // Cut after the first `\n` past the target size (a `\r\n` stays whole).
        let end = bytes.get(start + target..).and_then(|after| after.iter().position(|&b| b == b'\n')).map_or(bytes.len(), |at| start + target + at + 1);
        let text = rest.get(start..end)?;
        chunks.push(Chunk { text, first_line: line });
        line = line.saturating_add(u32::try_from(line_ends(text.as_bytes())).unwrap_or(u32::MAX));
        start = end;
    }
    Some(chunks)
}

/// Physical line ends in `bytes`, as `Records` counts them: `\n`, `\r\n` or a lone `\r`.
#[cfg(feature = "parallel")]
fn line_ends(bytes: &[u8]) -> usize {
    let feeds = count_line_feeds(bytes);
    if !bytes.contains(&b'\r') {
        return feeds;
    }
    let returns = bytes.iter().filter(|&&b| b == b'\r').count();
    let pairs = bytes.windows(2).filter(|w| w == b"\r\n").count();
    feeds + returns - pairs
}

/// Reads the parts on the thread pool, each into rows and errors of its own, then
/// joins them in file order: the same rows, flags and errors, in the same order, as
/// reading the file from the start on one thread.
#[cfg(feature = "parallel")]
fn read_in_parallel(body: &RowsToRead, chunks: &[Chunk], line_feeds: usize, built: &mut Built, errors: &mut Errors) -> bool {
    use rayon::prelude::*;
    let body_bytes: usize = chunks.iter().map(|chunk| chunk.text.len()).sum();
    let parts: Vec<(Built, Errors, usize, bool)> = chunks
        .par_iter()
        .enumerate()
        .map(|(index, chunk)| {
            let mut part = Built::default();
            // The first part becomes the table: it has room for every row, so the
            // others are added without moving it (untouched room costs no memory).
            let (lines, bytes) = if index == 0 { (line_feeds, body_bytes) } else { (count_line_feeds(chunk.text.as_bytes()), chunk.text.len()) };
            part.reserve(body.table, lines.min(bytes / MIN_ROW_BYTES).min(body.max_rows));
            let mut part_errors = Errors::new(String::new());
            let mut records = Records::new(chunk.text);
            records.line = chunk.first_line;
            let mut rows = 0;
            let within = body.read(&mut records, &mut rows, &mut part, &mut part_errors);
            (part, part_errors, rows, within)
        })
        .collect();
    let rows: usize = parts.iter().map(|(_, _, rows, _)| rows).sum();
    if rows > body.max_rows || parts.iter().any(|(_, _, _, within)| !within) {
        errors.table(body.table, 0, crate::limits::too_many_rows(body.file, rows, body.max_rows));
        return false;
    }
    for (part, part_errors, _, _) in parts {
        built.append(part);
        errors.append(part_errors);
    }
    true
}

/// Reports a quoted cell that the file ends inside (its rest was read as that one
/// cell), at the line where the quote opens, naming the cell's column and number.
fn report_unclosed_quote(file: &str, table: Table, unclosed: Option<UnclosedQuote>, header: &[String], header_line: u32, errors: &mut Errors) {
    let Some(unclosed) = unclosed else {
        return;
    };
    let in_header = unclosed.record_line == header_line;
    let number = unclosed.cell + 1;
    // In the header itself, the cell's name is the rest of the file: no name then.
    let column = header.get(unclosed.cell).filter(|name| !in_header && !name.is_empty());
    let cell = if in_header { format!("cell {number} of the header") } else { format!("cell {number}") };
    let message = format!("{cell} opens a quote that is never closed: the rest of the file was read as that one cell");
    let mut error =
        DataError::in_file(file, message).line(unclosed.line).help(Some("close the quote; a quote inside a quoted cell is written twice (\"\")".to_string()));
    if let Some(name) = column {
        error = error.column(name.as_str());
    }
    // In the header, before the file's other errors (its missing columns).
    let order = if in_header { 0 } else { u64::from(unclosed.line) };
    errors.table(table, order, error);
}

/// Reports a cell whose quotes RFC 4180 does not allow, at the line where the cell
/// starts, naming its column (by the `header`; `None` for the header itself) and
/// quoting the cell as written in `text`.
fn report_bad_quote(file: &str, table: Table, bad: BadQuote, text: &str, header: Option<&[String]>, errors: &mut Errors) {
    let written = text.get(bad.start..bad.end).unwrap_or("");
    let (message, help) = match bad.what {
        BadQuoteKind::TextAfterClosingQuote => {
            let after = written.rfind('"').and_then(|at| written.get(at + 1..)).unwrap_or("");
            let help = if after.trim().is_empty() {
                "remove the spaces after the closing quote".to_string()
            } else {
                "a quoted cell ends at its closing quote; a quote inside it is written twice (\"\")".to_string()
            };
            ("has text after its closing quote", help)
        }
        BadQuoteKind::QuoteInUnquotedCell => {
            ("has a quote in a cell that is not quoted", format!("quote the cell and write the quote twice: \"{}\"", written.replace('"', "\"\"")))
        }
        BadQuoteKind::SpacesBeforeQuote => ("has spaces before its opening quote", "remove them: a quoted cell starts with its quote".to_string()),
    };
    let mut error = DataError::in_file(file, message).line(bad.line).value(Some(written.to_string())).help(Some(help));
    let column = header.and_then(|header| header.get(bad.cell)).filter(|name| !name.is_empty());
    if let Some(name) = column {
        error = error.column(name.as_str());
    }
    // In the header, before the file's other errors (its missing columns), as an unclosed quote.
    let order = if header.is_none() { 0 } else { u64::from(bad.line) };
    errors.table(table, order, error);
}

/// The rows of a CSV text: its records after the header (blank lines are none).
fn count_rows(records: &mut Records) -> usize {
    count_rows_left(records).saturating_sub(1)
}

/// The records left to read.
fn count_rows_left(records: &mut Records) -> usize {
    let mut count = 0;
    while records.next_record().is_some() {
        count += 1;
    }
    count
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
            let message = format!("appears twice in the header (cells {} and {})", first + 1, position + 1);
            errors.table(table, header_line, DataError::in_file(file, message).line(line).column(name.as_str()));
            continue;
        }
        seen.insert(name, position);
        if let Some(slot) = columns.iter().position(|column| column == name).and_then(|i| positions.get_mut(i)) {
            *slot = Some(position);
        } else if let Some((index, near_miss)) = table::near_miss(table, name, columns) {
            let column = columns.get(index).map_or("", String::as_str);
            let (message, help) = near_miss.message(SourceKind::Csv, column);
            let error = DataError::in_file(file, message).line(line).value(Some(name.clone())).help(Some(help));
            errors.table(table, header_line, error);
            // Read the column anyway, so its cells are checked too (a column also
            // written exactly, before or after, is read instead).
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
        let standard = table.columns().iter().find(|standard| standard.name == column.as_str());
        let declared = table.declared_fields(schema).iter().find(|(name, _)| name == column);
        let message = match (standard, declared) {
            (Some(standard), _) if standard.required => {
                readable = false;
                format!("missing required column `{column}`")
            }
            (Some(_), _) | (None, None) => continue,
            (None, Some((_, field_type))) => {
                format!("missing column `{column}`, which the plan declares as `field {}.{column}: {}`", table.field_owner(), field_type.keyword())
            }
        };
        let help = missing_column_help(table, column, header, columns);
        errors.table(table, 0, DataError::in_file(file, message).help(Some(help)));
    }
    readable.then_some(positions)
}

/// Points at a header cell that looks like the missing column, or lists the header.
///
/// Only header cells that are no column of the table (standard or declared) are rename
/// candidates: renaming `account` to `amount` would fix one column by breaking another.
fn missing_column_help(table: Table, column: &str, header: &[String], read_columns: &[String]) -> String {
    // `read_columns` holds the standard columns and the declared fields; a near miss of
    // one (` date`, `Account`) is read as that column, so it is known too.
    let unknown =
        header.iter().map(String::as_str).filter(|name| !read_columns.iter().any(|read| read == name) && table::near_miss(table, name, read_columns).is_none());
    match suggest::closest(column, unknown) {
        Some(found) => format!("the header has `{found}`; rename it to `{column}`"),
        None => {
            let mut listed: Vec<&str> = header.iter().take(MAX_LISTED_HEADERS).map(String::as_str).collect();
            if header.len() > MAX_LISTED_HEADERS {
                listed.push("...");
            }
            format!("the header is: {}", listed.join(","))
        }
    }
}

/// The standard header of a table, e.g. `id,date,amount,currency,owner`.
fn header_example(table: Table) -> String {
    let names: Vec<&str> = table.columns().iter().map(|column| column.name).collect();
    names.join(",")
}

/// The records of a CSV text, read as the csv crate reads them with `flexible(true)`:
/// RFC 4180 quoting with doubled quotes, `\r`, `\n` and `\r\n` ending records, blank
/// lines skipped, a quote inside an unquoted cell taken as written, and after a closing
/// quote the rest of the cell taken as written up to the next comma or line end. Those
/// last two are not RFC 4180: the record's first such cell is kept in `bad_quote`, for
/// the loader to report.
///
/// Records without a quote (nearly all) are read in place: their cells are ranges of
/// the text. Others are copied unescaped into a scratch buffer.
/// Physical lines are counted on the way (`\n`, `\r\n` or a lone `\r` end a line, inside
/// quotes too), so each record knows the line it starts on.
struct Records<'t> {
    text: &'t str,
    /// Where reading resumes.
    pos: usize,
    /// The physical line of `pos`, the first being 1.
    line: u32,
    /// The cells of the current record: ranges of `text`, or of `scratch` when `quoted`.
    fields: Vec<(usize, usize)>,
    scratch: String,
    quoted: bool,
    /// The line of the current record.
    record_line: u32,
    /// A quoted cell the file ends inside (the rest of the file was taken as that
    /// cell): an error, or rows would vanish silently.
    unclosed_quote: Option<UnclosedQuote>,
    /// The first cell of the current record whose quotes RFC 4180 does not allow.
    bad_quote: Option<BadQuote>,
    /// Whether the text holds a quote at all: if not, no record needs looking for one.
    has_quotes: bool,
}

/// A cell with a quote where RFC 4180 allows none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BadQuote {
    /// The physical line where the cell starts.
    line: u32,
    /// The cell's position in its record, the first being 0.
    cell: usize,
    /// The cell as written: a range of the text.
    start: usize,
    end: usize,
    what: BadQuoteKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BadQuoteKind {
    /// `"Sec"urity`: more of the cell after its closing quote.
    TextAfterClosingQuote,
    /// `Sec"urity`: a quote in a cell that does not start with one.
    QuoteInUnquotedCell,
    /// ` "Security"`: spaces, then the quote that was meant to open the cell.
    SpacesBeforeQuote,
}

/// Where a quote that is never closed opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct UnclosedQuote {
    /// The physical line of the opening quote.
    line: u32,
    /// The line of the record the cell belongs to (the header's, or a row's).
    record_line: u32,
    /// The cell's position in its record, the first being 0.
    cell: usize,
}

impl<'t> Records<'t> {
    fn new(text: &'t str) -> Records<'t> {
        Records {
            text,
            pos: 0,
            line: 1,
            fields: Vec::new(),
            scratch: String::new(),
            quoted: false,
            record_line: 1,
            unclosed_quote: None,
            bad_quote: None,
            has_quotes: text.as_bytes().contains(&b'"'),
        }
    }

    /// The cells of the current record, as ranges of `base()`.
    fn fields(&self) -> &[(usize, usize)] {
        &self.fields
    }

    /// The text the current record's ranges index.
    fn base(&self) -> &str {
        if self.quoted {
            &self.scratch
        } else {
            self.text
        }
    }

    /// Reads the next record, and gives the line it starts on.
    fn next_record(&mut self) -> Option<u32> {
        let bytes = self.text.as_bytes();
        // Line ends before a record (blank lines included) belong to no record.
        while let Some(&byte) = bytes.get(self.pos) {
            match byte {
                b'\n' => self.line = self.line.saturating_add(1),
                b'\r' => {
                    if bytes.get(self.pos + 1) != Some(&b'\n') {
                        self.line = self.line.saturating_add(1);
                    }
                }
                _ => break,
            }
            self.pos += 1;
        }
        if self.pos >= bytes.len() {
            return None;
        }
        let line = self.line;
        self.record_line = line;
        self.fields.clear();
        self.bad_quote = None;
        self.quoted = !(crate::quick_paths() && self.read_plain_record());
        if self.quoted {
            self.fields.clear();
            self.read_quoted_record();
        }
        Some(line)
    }

    /// Reads a record without a quote, as ranges of the text; false (having moved
    /// nothing but `fields`) when it has one. Eight bytes at a time: the positions of
    /// commas, line ends (and quotes, when the text has any) in a word come out of one
    /// bit mask.
    fn read_plain_record(&mut self) -> bool {
        let bytes = self.text.as_bytes();
        let mut start = self.pos;
        let has_quotes = self.has_quotes;
        let quote_mask = |word: u64| if has_quotes { equal_bytes(word, b'"') } else { 0 };
        let mut word_start = start;
        loop {
            let (mut found, width) = match bytes.get(word_start..word_start + 8) {
                Some(word) => {
                    let word = u64::from_le_bytes(<[u8; 8]>::try_from(word).unwrap_or_default());
                    (delimiters(word) | quote_mask(word), 8)
                }
                None => {
                    // The last bytes, padded with zeros (which are no delimiters).
                    let rest = bytes.get(word_start..).unwrap_or_default();
                    let mut word = [0u8; 8];
                    for (slot, byte) in word.iter_mut().zip(rest) {
                        *slot = *byte;
                    }
                    let word = u64::from_le_bytes(word);
                    (delimiters(word) | quote_mask(word), rest.len())
                }
            };
            while found != 0 {
                let at = word_start + (found.trailing_zeros() / 8) as usize;
                found &= found - 1;
                let byte = bytes.get(at).copied();
                if byte == Some(b'"') {
                    // Quoted cells, and quotes RFC 4180 does not allow, are read the general way.
                    return false;
                }
                self.fields.push((start, at));
                if byte == Some(b',') {
                    start = at + 1;
                } else {
                    // A line end, left for the next record to step over.
                    self.pos = at;
                    return true;
                }
            }
            if width < 8 {
                // The text ends in this cell.
                self.fields.push((start, bytes.len()));
                self.pos = bytes.len();
                return true;
            }
            word_start += 8;
        }
    }

    /// Reads any record into `scratch`, unescaping quoted cells.
    fn read_quoted_record(&mut self) {
        let bytes = self.text.as_bytes();
        self.scratch.clear();
        let mut pos = self.pos;
        loop {
            let start = self.scratch.len();
            let (cell_start, cell_line, cell) = (pos, self.line, self.fields.len());
            let quoted = bytes.get(pos) == Some(&b'"');
            if quoted {
                let opened = UnclosedQuote { line: self.line, record_line: self.record_line, cell: self.fields.len() };
                pos += 1;
                // Inside quotes: everything up to the next quote is the cell's.
                loop {
                    let close = bytes.get(pos..).and_then(|rest| rest.iter().position(|&byte| byte == b'"')).map_or(bytes.len(), |offset| pos + offset);
                    self.copy_quoted(pos, close);
                    pos = close.saturating_add(1);
                    if close >= bytes.len() {
                        // The text ends inside quotes: the cell and the record end there.
                        pos = bytes.len();
                        self.unclosed_quote.get_or_insert(opened);
                        break;
                    }
                    if bytes.get(pos) == Some(&b'"') {
                        // A doubled quote is one quote of the cell.
                        self.scratch.push('"');
                        pos += 1;
                        continue;
                    }
                    break;
                }
            }
            // Unquoted, or what follows a closing quote: taken as written, but for RFC
            // 4180 there is nothing after a closing quote, and no quote in an unquoted cell.
            let end = cell_end(bytes, pos);
            let rest = bytes.get(pos..end).unwrap_or_default();
            let what = if quoted {
                (!rest.is_empty()).then_some(BadQuoteKind::TextAfterClosingQuote)
            } else {
                rest.iter().position(|&byte| byte == b'"').map(|at| {
                    let before = rest.get(..at).unwrap_or_default();
                    if !before.is_empty() && before.iter().all(|&byte| byte == b' ' || byte == b'\t') {
                        BadQuoteKind::SpacesBeforeQuote
                    } else {
                        BadQuoteKind::QuoteInUnquotedCell
                    }
                })
            };
            if let Some(what) = what {
                self.bad_quote.get_or_insert(BadQuote { line: cell_line, cell, start: cell_start, end, what });
            }
            self.scratch.push_str(self.text.get(pos..end).unwrap_or(""));
            self.fields.push((start, self.scratch.len()));
            if bytes.get(end) == Some(&b',') {
                pos = end + 1;
            } else {
                self.pos = end;
                return;
            }
        }
    }

    /// Copies the quoted text `start..end` into `scratch`, counting the lines it ends.
    fn copy_quoted(&mut self, start: usize, end: usize) {
        let bytes = self.text.as_bytes();
        let Some(part) = bytes.get(start..end) else {
            return;
        };
        for (offset, &byte) in part.iter().enumerate() {
            let line_end = byte == b'\n' || (byte == b'\r' && bytes.get(start + offset + 1) != Some(&b'\n'));
            if line_end {
                self.line = self.line.saturating_add(1);
            }
        }
        self.scratch.push_str(self.text.get(start..end).unwrap_or(""));
    }
}

/// How many `\n` bytes `bytes` holds, counted in blocks small enough for a byte-wide
/// counter (which the compiler turns into vector instructions).
fn count_line_feeds(bytes: &[u8]) -> usize {
    let mut blocks = bytes.chunks_exact(128);
    let mut count = 0;
    for block in &mut blocks {
        let in_block = block.iter().fold(0u8, |count, &byte| count.wrapping_add(u8::from(byte == b'\n')));
        count += usize::from(in_block);
    }
    count + blocks.remainder().iter().filter(|&&byte| byte == b'\n').count()
}

/// The high bit of each byte of `word` (read little-endian) that is a comma, `\n` or
/// `\r`, and no other bit.
fn delimiters(word: u64) -> u64 {
    equal_bytes(word, b',') | equal_bytes(word, b'\n') | equal_bytes(word, b'\r')
}

/// The high bit of each byte of `word` equal to `byte`: exact, with no borrow from
/// one byte into the next (unlike the shorter `(x - 0x01..) & !x & 0x80..`).
fn equal_bytes(word: u64, byte: u8) -> u64 {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const LOW_BITS: u64 = u64::from_le_bytes([0x7F; 8]);
    let x = word ^ ONES.wrapping_mul(u64::from(byte));
    !((x & LOW_BITS).wrapping_add(LOW_BITS) | x | LOW_BITS)
}

/// The end of an unquoted cell starting at `pos`: the next comma, line end or the end.
fn cell_end(bytes: &[u8], pos: usize) -> usize {
    bytes.get(pos..).map_or(bytes.len(), |rest| pos + rest.iter().position(|&byte| matches!(byte, b',' | b'\n' | b'\r')).unwrap_or(rest.len()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Every record of `text` as `Records` reads it: its first line and its cells.
    fn ours(text: &str) -> Vec<(u32, Vec<String>)> {
        let mut records = Records::new(text);
        let mut out = Vec::new();
        while let Some(line) = records.next_record() {
            let cells = records.fields().iter().map(|&(start, end)| records.base()[start..end].to_string()).collect();
            out.push((line, cells));
        }
        out
    }

    /// The same read by the csv crate (as the loader read files before `Records`), with
    /// the line of each record found from its byte position: the physical line of its
    /// first byte after the line ends the crate skipped.
    fn reference(text: &str) -> Vec<(u32, Vec<String>)> {
        let bytes = text.as_bytes();
        let mut line_ends = Vec::new();
        for (offset, &byte) in bytes.iter().enumerate() {
            let lone_cr = byte == b'\r' && bytes.get(offset + 1) != Some(&b'\n');
            if byte == b'\n' || lone_cr {
                line_ends.push(offset + 1);
            }
        }
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
        let mut record = csv::StringRecord::new();
        let mut out = Vec::new();
        while reader.read_record(&mut record).unwrap() {
            let mut offset = usize::try_from(record.position().unwrap().byte()).unwrap();
            while matches!(bytes.get(offset), Some(b'\r' | b'\n')) {
                offset += 1;
            }
            let line = u32::try_from(line_ends.partition_point(|&end| end <= offset) + 1).unwrap();
            out.push((line, record.iter().map(str::to_string).collect()));
        }
        out
    }

    #[test]
    fn records_are_read_as_the_csv_crate_reads_them() {
        let cases = [
            "",
            "\n\r\n\r",
            "a,b\n1,2\n",
            "a,b\r\n1,2\r\n\r\n3,4",
            "a,b\r1,2\r\r3,4\r",
            "a,b,\n1,2,",
            "\"a\",\"b,c\"\n\"x\"\"y\",\"multi\nline\"\nnext,row\n",
            "\"unterminated,\nrow\n",
            "\"ab\"cd,e\n",
            "ab\"cd,\"e\"\"\"\n",
            "\"\"\n\"\",\n,\n",
            "\"a\r\nb\",c\r\nd,e",
            "é,\"ü\nö\",ß\n",
            "1234567,12345678,123456789,1234567890123456,x\n",
        ];
        for case in cases {
            assert_eq!(ours(case), reference(case), "{case:?}");
        }
        // And random texts over the characters that matter.
        for text in random_texts(0x9E37_79B9_7F4A_7C15, &["a", "bc", ",", "\"", "\r", "\n", " ", "é", "12345678"]) {
            assert_eq!(ours(&text), reference(&text), "{text:?}");
        }
    }

    /// 20,000 texts of up to 40 pieces of `alphabet`, the same for a `seed` every time.
    fn random_texts(seed: u64, alphabet: &[&str]) -> Vec<String> {
        let mut state = seed;
        (0..20_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let mut pick = state;
                (0..state % 40)
                    .map(|_| {
                        pick = pick.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        alphabet[(pick >> 33) as usize % alphabet.len()]
                    })
                    .collect()
            })
            .collect()
    }

    /// A record's first cell with a quote RFC 4180 does not allow: its line, cell, kind
    /// and text as written.
    type Found<T> = Option<(u32, usize, BadQuoteKind, T)>;

    /// Per record, what `Found` says.
    fn bad_quotes(text: &str) -> Vec<Found<String>> {
        let mut records = Records::new(text);
        let mut out = Vec::new();
        while records.next_record().is_some() {
            out.push(records.bad_quote.take().map(|bad| (bad.line, bad.cell, bad.what, text[bad.start..bad.end].to_string())));
        }
        out
    }

    #[test]
    fn quotes_rfc_4180_does_not_allow_are_found_by_both_ways() {
        use BadQuoteKind::*;
        let cases: [(&str, Found<&str>); 9] = [
            ("a,\"b\"c\n", Some((1, 1, TextAfterClosingQuote, "\"b\"c"))),
            ("a,b\"c\n", Some((1, 1, QuoteInUnquotedCell, "b\"c"))),
            ("a,bc\"\n", Some((1, 1, QuoteInUnquotedCell, "bc\""))),
            ("a, \"b\"\n", Some((1, 1, SpacesBeforeQuote, " \"b\""))),
            ("a,\"b\" \r\n", Some((1, 1, TextAfterClosingQuote, "\"b\" "))),
            ("\"x\ny\"z,b\"c\n", Some((1, 0, TextAfterClosingQuote, "\"x\ny\"z"))),
            ("\"a\"\"b\",\"c,d\"\r\n", None),
            ("\"\",\"\"\"\"\n", None),
            ("a,\"b\nc\"\n", None),
        ];
        for (text, expected) in cases {
            let expected = expected.map(|(line, cell, what, written)| (line, cell, what, written.to_string()));
            assert_eq!(bad_quotes(text), [expected], "{text:?}");
            assert_eq!(crate::without_quick_paths(|| bad_quotes(text)), bad_quotes(text), "{text:?}");
        }
        // A cell after a quoted line break is at the physical line where it starts.
        assert_eq!(bad_quotes("a,b\n\"c\nd\",e\"f\n")[1], Some((3, 1, QuoteInUnquotedCell, "e\"f".to_string())));
        // Random texts: the quick way to a record without a quote never misses one.
        for text in random_texts(0x2545_F491_4F6C_DD1D, &["a", "bc", ",", "\"", "\r", "\n", " ", "12345678"]) {
            assert_eq!(bad_quotes(&text), crate::without_quick_paths(|| bad_quotes(&text)), "{text:?}");
        }
    }

    #[test]
    fn line_feeds_are_counted() {
        let mut text = String::new();
        for i in 0..1000 {
            text.push_str(if i % 7 == 0 { "\r\n" } else { "ab\n" });
            assert_eq!(count_line_feeds(text.as_bytes()), text.bytes().filter(|&b| b == b'\n').count());
        }
    }
}
