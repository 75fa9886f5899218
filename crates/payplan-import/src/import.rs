//! The import: decode every file, read its CSV rows, look rows up across files
//! (joins), skip what the mapping says to skip, make each output cell, merge rows with
//! `one_row_per`, then check the tables as the loader will (required cells, unique
//! ids, references between tables). Rows that fail are rejected and reported with
//! their file and line; problems with the mapping or the files themselves stop the
//! import before anything is written.

use crate::encoding::decode;
use crate::formats::{parse_date, slug, Piece};
use crate::mapping::{ColumnSpec, Condition, FileSpec, Mapping, Origin, SourceSpec};
use crate::report::{counts, ConditionalColumn, FileReport, LookupReport, Rejection, Replacement, Report, SourceReport, TableReport};
use payplan_data::catalog::{CellKind, Table};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// An input file's content, as read from disk (or made by a test).
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Where it was read from, for the report.
    pub path: String,
    /// Its bytes, in the encoding the mapping names.
    pub bytes: Vec<u8>,
}

/// A problem that stops the import: a file that does not decode, a column the mapping
/// names that the file does not have. Nothing is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The file concerned (the mapping's file name, or the mapping itself).
    pub file: String,
    /// The physical line, when the problem has one.
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

impl ImportError {
    fn new(file: &str, message: impl Into<String>) -> ImportError {
        ImportError { file: file.to_string(), line: None, message: message.into(), help: None }
    }

    fn help(mut self, help: impl Into<String>) -> ImportError {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// One table of data.md, ready to write as CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputTable {
    /// Which table.
    pub table: Table,
    /// The header.
    pub columns: Vec<String>,
    /// The rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}

impl OutputTable {
    /// The table as CSV text (RFC 4180 quoting, `\n` line ends), as data.md reads it.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
        let mut ok = writer.write_record(&self.columns).is_ok();
        for row in &self.rows {
            ok &= writer.write_record(row).is_ok();
        }
        // INVARIANT: writing to a Vec cannot fail, and every cell is a Rust string (UTF-8).
        let bytes = writer.into_inner().unwrap_or_default();
        if ok {
            String::from_utf8(bytes).unwrap_or_default()
        } else {
            String::new()
        }
    }
}

/// The tables an import made and its report.
#[derive(Debug, Clone)]
pub struct Import {
    /// The tables, in data.md's order.
    pub tables: Vec<OutputTable>,
    /// What happened to every row.
    pub report: Report,
}

/// A data row of an input file.
struct Row {
    line: u64,
    cells: Vec<String>,
}

/// An input file, decoded and split into rows.
struct LoadedFile<'m> {
    spec: &'m FileSpec,
    path: String,
    header: Vec<String>,
    rows: Vec<Row>,
    blank_rows: usize,
    malformed: Vec<Rejection>,
    replacements: Vec<Replacement>,
}

/// Where a cell comes from: this row, or the row a join found.
#[derive(Debug, Clone, Copy)]
enum CellRef {
    Source(usize),
    Joined { join: usize, column: usize },
}

/// A file indexed by one column, for joins.
struct Lookup {
    file: usize,
    key_column: usize,
    by_key: HashMap<String, Hit>,
    repeated_rows: usize,
}

enum Hit {
    Row(usize),
    Conflict(Vec<u64>),
}

struct CompiledJoin {
    name: String,
    file: usize,
    lookup: usize,
    matches: CellRef,
    matches_name: String,
    required: bool,
}

enum CompiledOrigin {
    Cell(CellRef, String),
    Template(Vec<(Option<CellRef>, String)>),
    Value(String),
}

struct CompiledColumn<'m> {
    spec: &'m ColumnSpec,
    origin: CompiledOrigin,
    when: Option<(CellRef, &'m Condition)>,
}

struct CompiledSource<'m> {
    spec: &'m SourceSpec,
    joins: Vec<CompiledJoin>,
    skips: Vec<(CellRef, &'m Condition)>,
    columns: Vec<CompiledColumn<'m>>,
}

/// A row made by a source, with the lines of the rows it came from (several with
/// `one_row_per`).
struct OutRow {
    cells: Vec<String>,
    lines: Vec<u64>,
}

/// What a source did with its file's rows.
struct SourceResult {
    read: usize,
    skipped: Vec<String>,
    rejections: Vec<Rejection>,
    rows: Vec<OutRow>,
    /// Rows written to the table, once the tables are checked.
    written: usize,
    /// Input rows behind them.
    mapped: usize,
    /// For each column with a `when`: rows written with a value in it.
    conditional: Vec<(String, usize)>,
}

/// Imports the files (`inputs`, one per `[files.*]` of the mapping, in its order).
pub fn import(mapping: &Mapping, inputs: &[InputFile]) -> Result<Import, Vec<ImportError>> {
    if inputs.len() != mapping.files.len() {
        return Err(vec![ImportError::new("mapping", format!("{} input files for the {} files the mapping names", inputs.len(), mapping.files.len()))]);
    }
    let mut errors = Vec::new();
    let mut files = Vec::new();
    for (spec, input) in mapping.files.iter().zip(inputs) {
        match load_file(spec, input) {
            Ok(file) => files.push(file),
            Err(error) => errors.push(error),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut lookups: Vec<Lookup> = Vec::new();
    let mut compiled = Vec::new();
    for source in &mapping.sources {
        match compile_source(source, &files, &mut lookups) {
            Ok(c) => compiled.push(c),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut matched_keys: Vec<HashSet<String>> = lookups.iter().map(|_| HashSet::new()).collect();
    let mut results: Vec<SourceResult> = compiled.iter().map(|source| run_source(source, &files, &lookups, &mut matched_keys)).collect();
    let tables = assemble(mapping, &compiled, &files, &mut results);
    let report = build_report(mapping, &compiled, &files, &lookups, &matched_keys, &results, &tables);
    Ok(Import { tables, report })
}

fn load_file<'m>(spec: &'m FileSpec, input: &InputFile) -> Result<LoadedFile<'m>, ImportError> {
    let text =
        decode(&input.bytes, spec.encoding).map_err(|e| ImportError { file: spec.path.clone(), line: Some(e.line), message: e.message, help: e.help })?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(spec.delimiter).from_reader(text.as_bytes());
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let mut blank_rows = 0;
    let mut malformed = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line());
            ImportError { file: spec.path.clone(), line, message: format!("the file is not readable as CSV: {e}"), help: None }
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let cells: Vec<String> = record.iter().map(|c| if spec.trim { c.trim().to_string() } else { c.to_string() }).collect();
        let Some(columns) = &header else {
            header = Some(cells);
            continue;
        };
        if cells.iter().all(|c| c.is_empty()) {
            blank_rows += 1;
        } else if cells.len() != columns.len() {
            malformed.push(Rejection {
                file: spec.path.clone(),
                line,
                reason: "a row with a different number of cells than the header".to_string(),
                detail: format!("{} cells where the header has {}", cells.len(), columns.len()),
            });
        } else {
            rows.push(Row { line, cells });
        }
    }
    let header = header.ok_or_else(|| ImportError::new(&spec.path, "the file is empty: it has no header row"))?;
    let mut replacements = Vec::new();
    for (column, values) in &spec.replace {
        let index = column_index(&header, column)
            .map_err(|message| ImportError::new(&spec.path, format!("files.{}.replace: {message}", spec.key)).help(suggestion(&header, column)))?;
        let mut cells_changed: HashMap<&str, usize> = HashMap::new();
        for row in &mut rows {
            if let Some(cell) = row.cells.get_mut(index) {
                if let Some((from, to)) = values.get_key_value(cell.as_str()) {
                    *cells_changed.entry(from.as_str()).or_default() += 1;
                    *cell = to.clone();
                }
            }
        }
        for (from, to) in values {
            replacements.push(Replacement {
                column: column.clone(),
                from: from.clone(),
                to: to.clone(),
                cells: cells_changed.get(from.as_str()).copied().unwrap_or(0),
            });
        }
    }
    Ok(LoadedFile { spec, path: input.path.clone(), header, rows, blank_rows, malformed, replacements })
}

/// The position of `name` in a header; an error when it is missing or repeated.
fn column_index(header: &[String], name: &str) -> Result<usize, String> {
    let found: Vec<usize> = header.iter().enumerate().filter(|(_, h)| *h == name).map(|(i, _)| i).collect();
    match found.as_slice() {
        [index] => Ok(*index),
        [] => Err(format!("no column `{name}` in the header")),
        several => Err(format!(
            "the header has `{name}` {} times (columns {})",
            several.len(),
            several.iter().map(|i| (i + 1).to_string()).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// A hint naming the header column closest to `name`, or the header itself.
fn suggestion(header: &[String], name: &str) -> String {
    let normal = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    let wanted = normal(name);
    let best = header.iter().map(|h| (edit_distance(&normal(h), &wanted), h)).min_by_key(|(d, _)| *d);
    match best {
        Some((distance, column)) if distance <= 2.max(wanted.len() / 4) => format!("did you mean `{column}`?"),
        _ => format!("the header is: {}", header.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ")),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let delete = previous.get(j + 1).copied().unwrap_or(0) + 1;
            let insert = current.get(j).copied().unwrap_or(0) + 1;
            current.push(substitute.min(delete).min(insert));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

fn compile_source<'m>(spec: &'m SourceSpec, files: &[LoadedFile<'m>], lookups: &mut Vec<Lookup>) -> Result<CompiledSource<'m>, Vec<ImportError>> {
    let mut errors = Vec::new();
    let Some(file) = files.get(spec.file) else {
        return Err(vec![ImportError::new("mapping", format!("{}: internal: no file {}", spec.label, spec.file))]);
    };
    let at = format!("[[{}]] `{}`", spec.table.name(), spec.label);
    let mut joins: Vec<CompiledJoin> = Vec::new();
    for join in &spec.joins {
        let Some(joined) = files.get(join.file) else { continue };
        let key_column = match column_index(&joined.header, &join.key) {
            Ok(index) => index,
            Err(message) => {
                errors.push(
                    ImportError::new(&joined.spec.path, format!("{at}, join `{}`: key {message}", join.name)).help(suggestion(&joined.header, &join.key)),
                );
                continue;
            }
        };
        let matches = match resolve(&join.matches, file, files, &joins) {
            Ok(r) => r,
            Err(e) => {
                errors.push(e.context(&at, &format!("join `{}`: matches", join.name)));
                continue;
            }
        };
        let lookup = match lookups.iter().position(|l| l.file == join.file && l.key_column == key_column) {
            Some(index) => index,
            None => {
                lookups.push(index_file(join.file, joined, key_column));
                lookups.len() - 1
            }
        };
        joins.push(CompiledJoin { name: join.name.clone(), file: join.file, lookup, matches, matches_name: join.matches.clone(), required: join.required });
    }
    let mut skips = Vec::new();
    for condition in &spec.skips {
        match resolve(&condition.column, file, files, &joins) {
            Ok(r) => skips.push((r, condition)),
            Err(e) => errors.push(e.context(&at, "skip")),
        }
    }
    let mut columns = Vec::new();
    for column in &spec.columns {
        let what = format!("column `{}`", column.name);
        let origin = match &column.origin {
            Origin::Column(name) => match resolve(name, file, files, &joins) {
                Ok(r) => CompiledOrigin::Cell(r, name.clone()),
                Err(e) => {
                    errors.push(e.context(&at, &what));
                    continue;
                }
            },
            Origin::Template(pieces) => {
                let mut compiled = Vec::new();
                for piece in pieces {
                    match piece {
                        Piece::Text(text) => compiled.push((None, text.clone())),
                        Piece::Column(name) => match resolve(name, file, files, &joins) {
                            Ok(r) => compiled.push((Some(r), name.clone())),
                            Err(e) => errors.push(e.context(&at, &what)),
                        },
                    }
                }
                CompiledOrigin::Template(compiled)
            }
            Origin::Value(value) => CompiledOrigin::Value(value.clone()),
        };
        let when = match &column.when {
            Some(condition) => match resolve(&condition.column, file, files, &joins) {
                Ok(r) => Some((r, condition)),
                Err(e) => {
                    errors.push(e.context(&at, &format!("{what}, when")));
                    None
                }
            },
            None => None,
        };
        columns.push(CompiledColumn { spec: column, origin, when });
    }
    if errors.is_empty() {
        Ok(CompiledSource { spec, joins, skips, columns })
    } else {
        Err(errors)
    }
}

impl ImportError {
    fn context(mut self, at: &str, what: &str) -> ImportError {
        self.message = format!("{at}, {what}: {}", self.message);
        self
    }
}

/// Finds a column the mapping names: `JOIN.column` in a joined file, or a column of
/// the source's own file.
fn resolve(name: &str, file: &LoadedFile<'_>, files: &[LoadedFile<'_>], joins: &[CompiledJoin]) -> Result<CellRef, ImportError> {
    if let Some((prefix, column)) = name.split_once('.') {
        let joined = joins.iter().enumerate().find(|(_, j)| j.name == prefix).and_then(|(index, j)| files.get(j.file).map(|f| (index, f)));
        if let Some((join_index, joined)) = joined {
            return column_index(&joined.header, column)
                .map(|column| CellRef::Joined { join: join_index, column })
                .map_err(|message| ImportError::new(&joined.spec.path, message).help(suggestion(&joined.header, column)));
        }
    }
    column_index(&file.header, name).map(CellRef::Source).map_err(|message| {
        let mut help = suggestion(&file.header, name);
        if name.contains('.') {
            help.push_str(" (a joined column is written `JOIN.column`, after a `join.JOIN` declared before it)");
        }
        ImportError::new(&file.spec.path, message).help(help)
    })
}

fn index_file(file_index: usize, file: &LoadedFile<'_>, key_column: usize) -> Lookup {
    let mut by_key: HashMap<String, Hit> = HashMap::new();
    let mut repeated_rows = 0;
    for (row_index, row) in file.rows.iter().enumerate() {
        let Some(key) = row.cells.get(key_column) else { continue };
        if key.is_empty() {
            continue;
        }
        match by_key.get_mut(key) {
            None => {
                by_key.insert(key.clone(), Hit::Row(row_index));
            }
            Some(Hit::Row(first)) => {
                let first_row = file.rows.get(*first);
                if first_row.is_some_and(|f| f.cells == row.cells) {
                    repeated_rows += 1;
                } else {
                    let lines = vec![first_row.map_or(0, |f| f.line), row.line];
                    by_key.insert(key.clone(), Hit::Conflict(lines));
                }
            }
            Some(Hit::Conflict(lines)) => lines.push(row.line),
        }
    }
    Lookup { file: file_index, key_column, by_key, repeated_rows }
}

/// Why a row is rejected: the reason as counted, and with the row's own values.
struct Problem {
    reason: String,
    detail: String,
}

fn cell_value<'a>(reference: CellRef, row: &'a Row, found: &[Option<&'a Row>]) -> &'a str {
    match reference {
        CellRef::Source(index) => row.cells.get(index).map_or("", String::as_str),
        CellRef::Joined { join, column } => found.get(join).copied().flatten().and_then(|r| r.cells.get(column)).map_or("", String::as_str),
    }
}

fn run_source(source: &CompiledSource<'_>, files: &[LoadedFile<'_>], lookups: &[Lookup], matched: &mut [HashSet<String>]) -> SourceResult {
    let spec = source.spec;
    let mut result = SourceResult { read: 0, skipped: Vec::new(), rejections: Vec::new(), rows: Vec::new(), written: 0, mapped: 0, conditional: Vec::new() };
    let Some(file) = files.get(spec.file) else { return result };
    let reject = |result: &mut SourceResult, line: u64, problem: Problem| {
        result.rejections.push(Rejection { file: file.spec.path.clone(), line, reason: problem.reason, detail: problem.detail });
    };
    'rows: for row in &file.rows {
        result.read += 1;
        let mut found: Vec<Option<&Row>> = Vec::with_capacity(source.joins.len());
        let mut join_problem: Option<Problem> = None;
        for join in &source.joins {
            let key = cell_value(join.matches, row, &found).to_string();
            let lookup = lookups.get(join.lookup);
            let joined = lookup.and_then(|l| files.get(l.file));
            let joined_name = joined.map_or("?", |f| f.spec.path.as_str());
            let key_name = joined.zip(lookup).and_then(|(f, l)| f.header.get(l.key_column)).map_or("?", String::as_str);
            match lookup.and_then(|l| l.by_key.get(&key)) {
                Some(Hit::Row(index)) => {
                    if let Some(keys) = matched.get_mut(join.lookup) {
                        keys.insert(key);
                    }
                    found.push(joined.and_then(|f| f.rows.get(*index)));
                }
                Some(Hit::Conflict(lines)) => {
                    found.push(None);
                    join_problem.get_or_insert_with(|| Problem {
                        reason: format!("join `{}`: {joined_name} has differing rows for one `{key_name}`", join.name),
                        detail: format!(
                            "join `{}`: {joined_name} has {} differing rows with {key_name} `{key}` (lines {})",
                            join.name,
                            lines.len(),
                            lines.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
                        ),
                    });
                }
                None => {
                    found.push(None);
                    if join.required {
                        join_problem.get_or_insert_with(|| {
                            let detail = if key.is_empty() {
                                format!("join `{}`: `{}` is empty, so no row of {joined_name} matches", join.name, join.matches_name)
                            } else {
                                format!("join `{}`: no row of {joined_name} has {key_name} `{key}`", join.name)
                            };
                            Problem { reason: format!("join `{}`: no row of {joined_name} matches `{}`", join.name, join.matches_name), detail }
                        });
                    }
                }
            }
        }
        for (reference, condition) in &source.skips {
            if condition.test.holds(cell_value(*reference, row, &found)) {
                result.skipped.push(condition.reason.clone());
                continue 'rows;
            }
        }
        if let Some(problem) = join_problem {
            reject(&mut result, row.line, problem);
            continue;
        }
        let mut cells = Vec::with_capacity(source.columns.len());
        for column in &source.columns {
            match make_cell(spec.table, column, row, &found) {
                Ok(cell) => cells.push(cell),
                Err(problem) => {
                    reject(&mut result, row.line, problem);
                    continue 'rows;
                }
            }
        }
        result.rows.push(OutRow { cells, lines: vec![row.line] });
    }
    if let Some(key_column) = spec.one_row_per {
        let rows = std::mem::take(&mut result.rows);
        let (merged, problems) = merge_groups(spec, key_column, rows);
        result.rows = merged;
        for (line, problem) in problems {
            reject(&mut result, line, problem);
        }
    }
    result
}

/// Makes one output cell of a row: origin, `when`, `map`, type, `slug`, required.
fn make_cell(table: Table, column: &CompiledColumn<'_>, row: &Row, found: &[Option<&Row>]) -> Result<String, Problem> {
    let spec = column.spec;
    let at = format!("{}.{}", table.name(), spec.name);
    let (mut value, from) = match &column.origin {
        CompiledOrigin::Cell(reference, name) => (cell_value(*reference, row, found).to_string(), format!("`{name}`")),
        CompiledOrigin::Template(pieces) => {
            let text: String = pieces.iter().map(|(reference, text)| reference.map_or(text.as_str(), |r| cell_value(r, row, found))).collect();
            (text, "the template".to_string())
        }
        CompiledOrigin::Value(value) => (value.clone(), "the mapping".to_string()),
    };
    if let Some((reference, condition)) = &column.when {
        if !condition.test.holds(cell_value(*reference, row, found)) {
            value.clear();
        }
    }
    if let Some(map) = &spec.map {
        if let Some(mapped) = map.values.get(&value) {
            value = mapped.clone();
        } else if !value.is_empty() {
            match &map.otherwise {
                Some(otherwise) => value = otherwise.clone(),
                None => {
                    let mut keys: Vec<String> = map.values.keys().take(8).map(|k| format!("`{k}`")).collect();
                    if map.values.len() > 8 {
                        keys.push("...".to_string());
                    }
                    return Err(Problem {
                        reason: format!("{at}: a value of {from} not in the map"),
                        detail: format!("{at}: `{value}` (from {from}) is not in the map ({})", keys.join(", ")),
                    });
                }
            }
        }
    }
    if !value.is_empty() {
        value = match spec.kind {
            CellKind::Text => value,
            CellKind::Date => match parse_date(&value, &spec.date_format) {
                Ok(date) => date.format("%Y-%m-%d").to_string(),
                Err(message) => {
                    return Err(Problem {
                        reason: format!("{at}: not a date written `{}`", spec.date_format),
                        detail: format!("{at}: `{value}` (from {from}) {message}"),
                    })
                }
            },
            CellKind::Number => match spec.number.parse(&value) {
                Ok(number) => number.to_string(),
                Err(message) => return Err(Problem { reason: format!("{at}: not a number"), detail: format!("{at}: `{value}` (from {from}) {message}") }),
            },
            CellKind::Share => {
                let (number, percent) = match value.strip_suffix('%') {
                    Some(number) => (number.trim_end(), "%"),
                    None => (value.as_str(), ""),
                };
                match spec.number.parse(number) {
                    Ok(number) => format!("{number}{percent}"),
                    Err(message) => return Err(Problem { reason: format!("{at}: not a share"), detail: format!("{at}: `{value}` (from {from}) {message}") }),
                }
            }
        };
    }
    if spec.slug && !value.is_empty() {
        let slugged = slug(&value);
        if slugged.is_empty() {
            return Err(Problem {
                reason: format!("{at}: no letter or digit to make an id"),
                detail: format!("{at}: `{value}` (from {from}) has no letter or digit to make an id"),
            });
        }
        value = slugged;
    }
    if spec.required && value.is_empty() {
        return Err(Problem { reason: format!("{at}: required, but empty"), detail: format!("{at}: required, but {from} is empty") });
    }
    Ok(value)
}

/// Merges the rows that share the `one_row_per` column: summed columns add up, every
/// other column must agree. A group that disagrees is rejected whole, every row of it.
fn merge_groups(spec: &SourceSpec, key_column: usize, rows: Vec<OutRow>) -> (Vec<OutRow>, Vec<(u64, Problem)>) {
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, Vec<OutRow>> = HashMap::new();
    for row in rows {
        let key = row.cells.get(key_column).cloned().unwrap_or_default();
        let group = groups.entry(key.clone()).or_default();
        if group.is_empty() {
            order.push(key);
        }
        group.push(row);
    }
    let table = spec.table.name();
    let key_name = spec.columns.get(key_column).map_or("?", |c| c.name.as_str());
    let mut merged = Vec::new();
    let mut problems = Vec::new();
    for key in order {
        let Some(group) = groups.remove(&key) else { continue };
        let mut members = group.into_iter();
        let Some(mut base) = members.next() else { continue };
        let mut sums: Vec<Option<rust_decimal::Decimal>> =
            spec.sums.iter().map(|i| base.cells.get(*i).and_then(|c| rust_decimal::Decimal::from_str_exact(c).ok())).collect();
        let mut disagreement: Option<Problem> = None;
        for member in members {
            if disagreement.is_none() {
                for (index, (mine, theirs)) in base.cells.iter().zip(&member.cells).enumerate() {
                    if let Some(position) = spec.sums.iter().position(|s| *s == index) {
                        let add = rust_decimal::Decimal::from_str_exact(theirs).ok();
                        if let Some(slot) = sums.get_mut(position) {
                            *slot = match (*slot, add) {
                                (Some(a), Some(b)) => match a.checked_add(b) {
                                    Some(total) => Some(total),
                                    None => {
                                        disagreement = Some(Problem {
                                            reason: format!("{table}: a sum out of range"),
                                            detail: format!("{table}: the sum for {key_name} `{key}` is out of range"),
                                        });
                                        None
                                    }
                                },
                                (a, b) => a.or(b),
                            };
                        }
                    } else if mine != theirs {
                        let column = spec.columns.get(index).map_or("?", |c| c.name.as_str());
                        disagreement = Some(Problem {
                            reason: format!("{table}: rows with one `{key_name}` disagree on `{column}`"),
                            detail: format!(
                                "{table}: rows with {key_name} `{key}` disagree on `{column}`: `{mine}` at line {}, `{theirs}` at line {}",
                                base.lines.first().copied().unwrap_or(0),
                                member.lines.first().copied().unwrap_or(0)
                            ),
                        });
                        break;
                    }
                }
            }
            base.lines.extend(member.lines);
        }
        if let Some(problem) = disagreement {
            for line in &base.lines {
                problems.push((*line, Problem { reason: problem.reason.clone(), detail: problem.detail.clone() }));
            }
            continue;
        }
        for (position, index) in spec.sums.iter().enumerate() {
            if let (Some(cell), Some(Some(total))) = (base.cells.get_mut(*index), sums.get(position)) {
                *cell = total.to_string();
            }
        }
        merged.push(base);
    }
    (merged, problems)
}

/// A row of an output table, with where it came from.
struct TableRow {
    cells: Vec<String>,
    source: usize,
    lines: Vec<u64>,
    alive: bool,
}

/// Builds the tables from the sources' rows and checks them as the loader will:
/// unique ids and keys, references to rows of other tables written here.
fn assemble(mapping: &Mapping, compiled: &[CompiledSource<'_>], files: &[LoadedFile<'_>], results: &mut [SourceResult]) -> Vec<OutputTable> {
    let mut tables: Vec<(Table, Vec<String>, Vec<TableRow>)> = Vec::new();
    for table in Table::ALL {
        let sources: Vec<usize> = compiled.iter().enumerate().filter(|(_, c)| c.spec.table == table).map(|(i, _)| i).collect();
        if sources.is_empty() {
            continue;
        }
        let mut columns: Vec<String> = Vec::new();
        for standard in table.columns() {
            let given = sources.iter().any(|i| compiled.get(*i).is_some_and(|c| c.spec.columns.iter().any(|col| col.name == standard.name)));
            let defaulted = table == Table::Bookings && standard.name == "currency" && mapping.currency.is_some();
            if given || defaulted {
                columns.push(standard.name.to_string());
            }
        }
        for index in &sources {
            for column in compiled.get(*index).map(|c| c.spec.columns.as_slice()).unwrap_or(&[]) {
                if !columns.contains(&column.name) {
                    columns.push(column.name.clone());
                }
            }
        }
        let mut rows = Vec::new();
        for index in &sources {
            let (Some(source), Some(result)) = (compiled.get(*index), results.get_mut(*index)) else { continue };
            let positions: Vec<Option<usize>> = columns.iter().map(|name| source.spec.columns.iter().position(|c| &c.name == name)).collect();
            for out in std::mem::take(&mut result.rows) {
                let mut cells: Vec<String> = positions.iter().map(|p| p.and_then(|p| out.cells.get(p).cloned()).unwrap_or_default()).collect();
                if table == Table::Bookings {
                    if let (Some(currency), Some(at)) = (&mapping.currency, columns.iter().position(|c| c == "currency")) {
                        if let Some(cell) = cells.get_mut(at) {
                            if cell.is_empty() {
                                cell.clone_from(currency);
                            }
                        }
                    }
                }
                rows.push(TableRow { cells, source: *index, lines: out.lines, alive: true });
            }
        }
        tables.push((table, columns, rows));
    }
    let path_of = |source: usize| compiled.get(source).and_then(|c| files.get(c.spec.file)).map_or(String::new(), |f| f.spec.path.clone());
    let reject = |results: &mut [SourceResult], row: &mut TableRow, reason: String, detail: String| {
        row.alive = false;
        if let Some(result) = results.get_mut(row.source) {
            for line in &row.lines {
                result.rejections.push(Rejection { file: path_of(row.source), line: *line, reason: reason.clone(), detail: detail.clone() });
            }
        }
    };
    // Unique keys.
    for (table, columns, rows) in &mut tables {
        let key: Vec<usize> = table.key().iter().filter_map(|k| columns.iter().position(|c| c == k)).collect();
        if key.is_empty() {
            continue;
        }
        let key_names = table.key().join(", ");
        let mut seen: HashMap<Vec<String>, (usize, u64)> = HashMap::new();
        for row in rows.iter_mut() {
            let values: Vec<String> = key.iter().map(|i| row.cells.get(*i).cloned().unwrap_or_default()).collect();
            match seen.get(&values) {
                Some((source, line)) => {
                    let detail = format!("{}: {key_names} `{}` is already written from {}:{line}", table.name(), values.join("`, `"), path_of(*source));
                    reject(results, row, format!("{}: a second row with the same {key_names}", table.name()), detail);
                }
                None => {
                    seen.insert(values, (row.source, row.lines.first().copied().unwrap_or(0)));
                }
            }
        }
    }
    // References, until nothing changes: a payee rejected for an unknown manager leaves
    // their reports with an unknown manager too.
    let written: Vec<Table> = tables.iter().map(|(t, _, _)| *t).collect();
    let mut once_written: HashMap<Table, HashSet<String>> = HashMap::new();
    loop {
        let mut ids: HashMap<Table, HashSet<String>> = HashMap::new();
        for (table, columns, rows) in &tables {
            if let Some(id) = columns.iter().position(|c| c == "id") {
                let alive: HashSet<String> = rows.iter().filter(|r| r.alive).filter_map(|r| r.cells.get(id).cloned()).collect();
                once_written.entry(*table).or_default().extend(alive.iter().cloned());
                ids.insert(*table, alive);
            }
        }
        let mut changed = false;
        for (table, columns, rows) in &mut tables {
            for (column, target) in table.references() {
                if !written.contains(target) {
                    continue;
                }
                let (Some(at), Some(known)) = (columns.iter().position(|c| c == column), ids.get(target)) else { continue };
                for row in rows.iter_mut().filter(|r| r.alive) {
                    let value = row.cells.get(at).cloned().unwrap_or_default();
                    if value.is_empty() || known.contains(&value) {
                        continue;
                    }
                    let why = if once_written.get(target).is_some_and(|ids| ids.contains(&value)) { ", whose own row was rejected" } else { "" };
                    let detail = format!("{}.{column} `{value}` is not the id of a row of {}{why}", table.name(), target.file_name());
                    reject(results, row, format!("{}.{column}: not the id of a row of {}", table.name(), target.file_name()), detail);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    for (index, source) in compiled.iter().enumerate() {
        if let Some(result) = results.get_mut(index) {
            result.conditional = source.spec.columns.iter().filter(|c| c.when.is_some()).map(|c| (c.name.clone(), 0)).collect();
        }
    }
    let mut output = Vec::new();
    for (table, columns, rows) in tables {
        let mut kept = Vec::new();
        for row in rows.into_iter().filter(|r| r.alive) {
            if let Some(result) = results.get_mut(row.source) {
                result.written += 1;
                result.mapped += row.lines.len();
                for (column, count) in &mut result.conditional {
                    let position = columns.iter().position(|c| c == column);
                    if position.and_then(|p| row.cells.get(p)).is_some_and(|cell| !cell.is_empty()) {
                        *count += 1;
                    }
                }
            }
            kept.push(row.cells);
        }
        output.push(OutputTable { table, columns, rows: kept });
    }
    output
}

fn build_report(
    mapping: &Mapping,
    compiled: &[CompiledSource<'_>],
    files: &[LoadedFile<'_>],
    lookups: &[Lookup],
    matched: &[HashSet<String>],
    results: &[SourceResult],
    tables: &[OutputTable],
) -> Report {
    let mut file_reports = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let lookup_reports = lookups
            .iter()
            .zip(matched)
            .filter(|(l, _)| l.file == index)
            .map(|(l, keys)| LookupReport {
                key: file.header.get(l.key_column).cloned().unwrap_or_default(),
                keys: l.by_key.len(),
                repeated_rows: l.repeated_rows,
                conflicting_keys: l.by_key.values().filter(|h| matches!(h, Hit::Conflict(_))).count(),
                keys_matched: keys.len(),
            })
            .collect();
        file_reports.push(FileReport {
            key: file.spec.key.clone(),
            file: file.spec.path.clone(),
            path: file.path.clone(),
            encoding: file.spec.encoding,
            rows: file.rows.len() + file.malformed.len(),
            blank_rows: file.blank_rows,
            malformed: file.malformed.clone(),
            replacements: file.replacements.clone(),
            lookups: lookup_reports,
        });
    }
    let mut table_reports = Vec::new();
    for table in tables {
        let mut sources = Vec::new();
        for (source, result) in compiled.iter().zip(results).filter(|(c, _)| c.spec.table == table.table) {
            let mut rejections = result.rejections.clone();
            rejections.sort_by_key(|r| r.line);
            sources.push(SourceReport {
                name: source.spec.label.clone(),
                file: files.get(source.spec.file).map_or(String::new(), |f| f.spec.path.clone()),
                read: result.read,
                mapped: result.mapped,
                skipped: result.skipped.len(),
                rejected: rejections.len(),
                written: result.written,
                conditional_columns: result
                    .conditional
                    .iter()
                    .map(|(column, rows)| {
                        let condition = source.spec.columns.iter().find(|c| &c.name == column).and_then(|c| c.when.as_ref());
                        ConditionalColumn { column: column.clone(), when: condition.map_or(String::new(), |c| c.reason.clone()), rows: *rows }
                    })
                    .collect(),
                one_row_per: source.spec.one_row_per.and_then(|i| source.spec.columns.get(i)).map(|c| c.name.clone()),
                skipped_by_reason: counts(result.skipped.iter().map(String::as_str)),
                rejected_by_reason: counts(rejections.iter().map(|r| r.reason.as_str())),
                rejections,
            });
        }
        table_reports.push(TableReport {
            table: table.table,
            file: table.table.file_name().to_string(),
            columns: table.columns.clone(),
            rows: table.rows.len(),
            sources,
        });
    }
    let mut notes = Vec::new();
    let written: Vec<Table> = tables.iter().map(|t| t.table).collect();
    for (needed, by) in [(Table::Payees, Table::Bookings), (Table::Bookings, Table::Payees)] {
        if written.contains(&by) && !written.contains(&needed) {
            notes.push(format!(
                "the mapping writes {} but no {}: a data set needs both, and references to it are not checked here",
                by.file_name(),
                needed.file_name()
            ));
        }
    }
    Report { currency: mapping.currency.clone(), files: file_reports, tables: table_reports, notes }
}
