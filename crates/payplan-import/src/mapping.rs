//! The mapping file (TOML): which export feeds which table, and how each column of
//! data.md is made from the export's cells. `docs/import.md` is its reference; this
//! module reads it and checks everything that can be checked before any export is
//! read (names, formats, required columns, grouping). Column names of the exports are
//! checked once their headers are read (`crate::import`).

use crate::encoding::Encoding;
use crate::formats::{check_date_format, parse_template, NumberFormat, Piece};
use indexmap::IndexMap;
use payplan_data::catalog::{CellKind, Table};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// A problem with the mapping file itself: nothing is imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError {
    /// The line of the mapping file, when the TOML parser knows it.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// What to write instead.
    pub help: Option<String>,
}

impl MappingError {
    fn new(message: impl Into<String>) -> MappingError {
        MappingError { line: None, message: message.into(), help: None }
    }

    fn help(mut self, help: impl Into<String>) -> MappingError {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for MappingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

// ---------------------------------------------------------------------------------
// The file as written (serde).

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    files: IndexMap<String, RawFile>,
    #[serde(default)]
    payees: Vec<RawSource>,
    #[serde(default)]
    bookings: Vec<RawSource>,
    #[serde(default)]
    splits: Vec<RawSource>,
    #[serde(default)]
    quotas: Vec<RawSource>,
    #[serde(default)]
    fx: Vec<RawSource>,
    #[serde(default)]
    metrics: Vec<RawSource>,
    #[serde(default)]
    accounts: Vec<RawSource>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    currency: Option<String>,
    encoding: Option<String>,
    delimiter: Option<String>,
    date_format: Option<String>,
    number: Option<RawNumber>,
    trim: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    path: String,
    encoding: Option<String>,
    delimiter: Option<String>,
    date_format: Option<String>,
    number: Option<RawNumber>,
    trim: Option<bool>,
    #[serde(default)]
    replace: IndexMap<String, IndexMap<String, String>>,
}

#[derive(Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
struct RawNumber {
    decimal: Option<String>,
    thousands: Option<String>,
    currency_symbols: Option<Vec<String>>,
    negative_parentheses: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    from: String,
    name: Option<String>,
    #[serde(default)]
    skip: Vec<RawCondition>,
    #[serde(default)]
    join: IndexMap<String, RawJoin>,
    one_row_per: Option<String>,
    #[serde(default)]
    sum: Vec<String>,
    columns: IndexMap<String, RawColumn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJoin {
    file: String,
    key: String,
    matches: String,
    #[serde(default = "yes")]
    required: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    column: String,
    equals: Option<String>,
    #[serde(rename = "in")]
    any_of: Option<Vec<String>>,
    not_in: Option<Vec<String>>,
    empty: Option<bool>,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecipe {
    column: Option<String>,
    template: Option<String>,
    value: Option<String>,
    when: Option<RawCondition>,
    map: Option<IndexMap<String, String>>,
    #[serde(rename = "else")]
    otherwise: Option<String>,
    #[serde(default)]
    slug: bool,
    #[serde(rename = "type")]
    kind: Option<String>,
    date_format: Option<String>,
    number: Option<RawNumber>,
}

/// A column is a source column's name, or a table saying how its cells are made.
enum RawColumn {
    Column(String),
    Recipe(Box<RawRecipe>),
}

impl<'de> Deserialize<'de> for RawColumn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ColumnVisitor;
        impl<'de> Visitor<'de> for ColumnVisitor {
            type Value = RawColumn;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the name of a column of the export, or a table such as { column = \"deal_stage\", map = { Won = \"won\" } } (the settings of a `[[TABLE]]` entry come before its `[TABLE.columns]` line)")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<RawColumn, E> {
                Ok(RawColumn::Column(value.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawColumn, A::Error> {
                RawRecipe::deserialize(de::value::MapAccessDeserializer::new(map)).map(|recipe| RawColumn::Recipe(Box::new(recipe)))
            }
        }
        deserializer.deserialize_any(ColumnVisitor)
    }
}

// ---------------------------------------------------------------------------------
// The checked mapping.

/// A checked mapping: every name and format in it is valid; the exports' column names
/// are checked when the files are read.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// The currency written in `bookings.currency` when a booking has none.
    pub(crate) currency: Option<String>,
    /// The input files, in the mapping's order.
    pub(crate) files: Vec<FileSpec>,
    /// The table sources, in data.md's table order, then the mapping's order.
    pub(crate) sources: Vec<SourceSpec>,
}

/// One input file of the mapping (`[files.NAME]`).
#[derive(Debug, Clone)]
pub(crate) struct FileSpec {
    /// The mapping's name for it (`pipeline`).
    pub key: String,
    /// Its file name, as the mapping writes it (`sales_pipeline.csv`).
    pub path: String,
    pub encoding: Encoding,
    pub delimiter: u8,
    pub trim: bool,
    /// Value replacements applied to a column wherever it is read: (column, from → to).
    pub replace: Vec<(String, IndexMap<String, String>)>,
    pub date_format: String,
    pub number: RawNumberSettings,
}

/// Number settings as far as they are given; merged column over file over defaults.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawNumberSettings {
    decimal: Option<char>,
    thousands: Option<Option<char>>,
    currency_symbols: Option<Vec<String>>,
    negative_parentheses: Option<bool>,
}

impl RawNumberSettings {
    fn over(&self, base: &RawNumberSettings) -> RawNumberSettings {
        RawNumberSettings {
            decimal: self.decimal.or(base.decimal),
            thousands: self.thousands.or(base.thousands),
            currency_symbols: self.currency_symbols.clone().or_else(|| base.currency_symbols.clone()),
            negative_parentheses: self.negative_parentheses.or(base.negative_parentheses),
        }
    }

    fn format(&self) -> NumberFormat {
        NumberFormat {
            decimal: self.decimal.unwrap_or('.'),
            thousands: self.thousands.flatten(),
            currency_symbols: self.currency_symbols.clone().unwrap_or_default(),
            parentheses_negative: self.negative_parentheses.unwrap_or(false),
        }
    }
}

/// One `[[TABLE]]` entry: rows of one table made from the rows of one file.
#[derive(Debug, Clone)]
pub(crate) struct SourceSpec {
    pub table: Table,
    /// How the report names it: the mapping's `name`, or `TABLE #N`.
    pub label: String,
    /// Index into `Mapping::files`.
    pub file: usize,
    pub skips: Vec<Condition>,
    pub joins: Vec<JoinSpec>,
    /// Index into `columns` of the column whose value makes one output row.
    pub one_row_per: Option<usize>,
    /// Indices into `columns` of the columns summed over a group.
    pub sums: Vec<usize>,
    pub columns: Vec<ColumnSpec>,
}

/// `join.NAME = { file, key, matches, required }`: the row of another file whose `key`
/// column equals this row's `matches` column.
#[derive(Debug, Clone)]
pub(crate) struct JoinSpec {
    pub name: String,
    pub file: usize,
    pub key: String,
    pub matches: String,
    pub required: bool,
}

/// A test on one cell: in `skip` lists and in a column's `when`.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    pub column: String,
    pub test: Test,
    /// The reason the report gives for rows skipped by it.
    pub reason: String,
}

#[derive(Debug, Clone)]
pub(crate) enum Test {
    Equals(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Empty(bool),
}

impl Test {
    /// Whether `value` passes.
    pub fn holds(&self, value: &str) -> bool {
        match self {
            Test::Equals(wanted) => value == wanted,
            Test::In(values) => values.iter().any(|v| v == value),
            Test::NotIn(values) => !values.iter().any(|v| v == value),
            Test::Empty(empty) => value.is_empty() == *empty,
        }
    }
}

/// How one output column's cells are made.
#[derive(Debug, Clone)]
pub(crate) struct ColumnSpec {
    pub name: String,
    pub origin: Origin,
    pub when: Option<Condition>,
    pub map: Option<ValueMap>,
    pub slug: bool,
    pub kind: CellKind,
    pub required: bool,
    pub date_format: String,
    pub number: NumberFormat,
}

#[derive(Debug, Clone)]
pub(crate) enum Origin {
    Column(String),
    Template(Vec<Piece>),
    Value(String),
}

/// `map = { Won = "won" }` with an optional `else`: a value not in the map is
/// rejected without it.
#[derive(Debug, Clone)]
pub(crate) struct ValueMap {
    pub values: IndexMap<String, String>,
    pub otherwise: Option<String>,
}

impl Mapping {
    /// Reads and checks a mapping file's text. Every problem found is returned.
    pub fn parse(text: &str) -> Result<Mapping, Vec<MappingError>> {
        let raw: RawMapping = toml::from_str(text).map_err(|error| {
            let line = error.span().map(|span| text.get(..span.start).map_or(1, |before| before.matches('\n').count() + 1));
            vec![MappingError { line, message: error.message().trim().to_string(), help: None }]
        })?;
        let mut errors = Vec::new();
        let mapping = check(raw, &mut errors);
        if errors.is_empty() {
            Ok(mapping)
        } else {
            Err(errors)
        }
    }

    /// The file names the mapping reads (`path` of each `[files.NAME]`), in its order.
    pub fn file_names(&self) -> Vec<&str> {
        self.files.iter().map(|f| f.path.as_str()).collect()
    }

    /// The tables the mapping writes, in data.md's order.
    pub fn tables(&self) -> Vec<Table> {
        let mut tables: Vec<Table> = self.sources.iter().map(|s| s.table).collect();
        tables.dedup();
        tables
    }
}

fn check(raw: RawMapping, errors: &mut Vec<MappingError>) -> Mapping {
    let defaults = &raw.defaults;
    let currency = defaults.currency.as_ref().and_then(|code| {
        let valid = code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase());
        if !valid {
            errors.push(
                MappingError::new(format!("defaults.currency: `{code}` is not a currency code")).help("write an ISO 4217 code such as \"USD\" or \"EUR\""),
            );
        }
        valid.then(|| code.clone())
    });
    let default_number = number_settings(defaults.number.as_ref(), "defaults.number", errors);
    let default_date_format = date_format(defaults.date_format.as_deref().unwrap_or("%Y-%m-%d"), "defaults.date_format", errors);
    if raw.files.is_empty() {
        errors.push(MappingError::new("the mapping names no input file").help("add a `[files.NAME]` table with `path = \"export.csv\"` for each file"));
    }
    let mut files = Vec::new();
    for (key, file) in &raw.files {
        let at = format!("files.{key}");
        let encoding_name = file.encoding.as_deref().or(defaults.encoding.as_deref()).unwrap_or("utf-8");
        let encoding = Encoding::from_name(encoding_name).unwrap_or_else(|| {
            let known: Vec<&str> = Encoding::NAMES.iter().filter_map(|(_, names)| names.first().copied()).collect();
            errors.push(
                MappingError::new(format!("{at}.encoding: `{encoding_name}` is not an encoding payplan reads"))
                    .help(format!("use one of {}", known.join(", "))),
            );
            Encoding::Utf8
        });
        let delimiter_text = file.delimiter.as_deref().or(defaults.delimiter.as_deref()).unwrap_or(",");
        let delimiter = match delimiter_text.as_bytes() {
            [byte] if byte.is_ascii() && *byte != b'"' && *byte != b'\n' && *byte != b'\r' => *byte,
            _ => {
                errors.push(
                    MappingError::new(format!("{at}.delimiter: `{delimiter_text}` is not one ASCII character")).help("write \",\", \";\", \"|\" or \"\\t\""),
                );
                b','
            }
        };
        if file.path.trim().is_empty() {
            errors.push(MappingError::new(format!("{at}.path is empty")));
        }
        let number = number_settings(file.number.as_ref(), &format!("{at}.number"), errors).over(&default_number);
        let date_format_text = match &file.date_format {
            Some(text) => date_format(text, &format!("{at}.date_format"), errors),
            None => default_date_format.clone(),
        };
        files.push(FileSpec {
            key: key.clone(),
            path: file.path.clone(),
            encoding,
            delimiter,
            trim: file.trim.or(defaults.trim).unwrap_or(true),
            replace: file.replace.iter().map(|(column, values)| (column.clone(), values.clone())).collect(),
            date_format: date_format_text,
            number,
        });
    }
    let mut duplicate_paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    duplicate_paths.sort_unstable();
    for pair in duplicate_paths.windows(2) {
        if let [a, b] = pair {
            if a == b {
                errors.push(MappingError::new(format!("two `[files.*]` tables read `{a}`")).help("name each file once; one file may feed several tables"));
            }
        }
    }
    let mut sources = Vec::new();
    let tables = [
        (Table::Payees, &raw.payees),
        (Table::Bookings, &raw.bookings),
        (Table::Splits, &raw.splits),
        (Table::Quotas, &raw.quotas),
        (Table::Fx, &raw.fx),
        (Table::Metrics, &raw.metrics),
        (Table::Accounts, &raw.accounts),
    ];
    for (table, raws) in tables {
        for (index, raw_source) in raws.iter().enumerate() {
            if let Some(source) = check_source(table, index, raw_source, &files, errors) {
                sources.push(source);
            }
        }
    }
    if sources.is_empty() && !raw.files.is_empty() {
        errors
            .push(MappingError::new("the mapping writes no table").help("add `[[payees]]`, `[[bookings]]`... entries, each with `from` and `[TABLE.columns]`"));
    }
    Mapping { currency, files, sources }
}

fn number_settings(raw: Option<&RawNumber>, at: &str, errors: &mut Vec<MappingError>) -> RawNumberSettings {
    let Some(raw) = raw else { return RawNumberSettings::default() };
    let one_char = |text: &str, what: &str, errors: &mut Vec<MappingError>| -> Option<char> {
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_ascii_digit() && c != '-' => Some(c),
            _ => {
                errors.push(MappingError::new(format!("{at}.{what}: `{text}` is not one separator character")));
                None
            }
        }
    };
    let decimal = raw.decimal.as_deref().and_then(|d| one_char(d, "decimal", errors));
    let thousands = raw.thousands.as_deref().map(|t| if t.is_empty() { None } else { one_char(t, "thousands", errors) });
    if let (Some(d), Some(Some(t))) = (decimal, thousands) {
        if d == t {
            errors.push(MappingError::new(format!("{at}: the decimal and thousands separators are both `{d}`")));
        }
    }
    if let Some(symbols) = &raw.currency_symbols {
        if symbols.iter().any(|s| s.trim().is_empty() || s.chars().any(|c| c.is_ascii_digit())) {
            errors.push(MappingError::new(format!("{at}.currency_symbols: a symbol is empty or holds a digit")));
        }
    }
    RawNumberSettings { decimal, thousands, currency_symbols: raw.currency_symbols.clone(), negative_parentheses: raw.negative_parentheses }
}

fn date_format(text: &str, at: &str, errors: &mut Vec<MappingError>) -> String {
    if let Err(message) = check_date_format(text) {
        errors.push(MappingError::new(format!("{at}: {message}")));
    }
    text.to_string()
}

fn condition(raw: &RawCondition, at: &str, errors: &mut Vec<MappingError>) -> Option<Condition> {
    let tests: Vec<Test> =
        [raw.equals.clone().map(Test::Equals), raw.any_of.clone().map(Test::In), raw.not_in.clone().map(Test::NotIn), raw.empty.map(Test::Empty)]
            .into_iter()
            .flatten()
            .collect();
    let Ok([test]) = <[Test; 1]>::try_from(tests) else {
        errors.push(
            MappingError::new(format!("{at}: a condition needs exactly one test"))
                .help("write one of `equals = \"x\"`, `in = [\"x\", \"y\"]`, `not_in = [...]`, `empty = true`"),
        );
        return None;
    };
    let reason = raw.reason.clone().unwrap_or_else(|| match &test {
        Test::Equals(value) => format!("`{}` is `{value}`", raw.column),
        Test::In(values) => format!("`{}` is one of {}", raw.column, values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")),
        Test::NotIn(values) => format!("`{}` is not one of {}", raw.column, values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")),
        Test::Empty(true) => format!("`{}` is empty", raw.column),
        Test::Empty(false) => format!("`{}` is not empty", raw.column),
    });
    Some(Condition { column: raw.column.clone(), test, reason })
}

fn check_source(table: Table, index: usize, raw: &RawSource, files: &[FileSpec], errors: &mut Vec<MappingError>) -> Option<SourceSpec> {
    let at = format!("[[{}]] #{} (from `{}`)", table.name(), index + 1, raw.from);
    let errors_before = errors.len();
    let file_index = |key: &str, what: &str, errors: &mut Vec<MappingError>| -> Option<usize> {
        let found = files.iter().position(|f| f.key == key);
        if found.is_none() {
            let known: Vec<String> = files.iter().map(|f| format!("`{}`", f.key)).collect();
            errors.push(
                MappingError::new(format!("{at}: {what} `{key}` is not a `[files.*]` name")).help(format!("the mapping's files are {}", known.join(", "))),
            );
        }
        found
    };
    let file = file_index(&raw.from, "from", errors);
    let mut joins = Vec::new();
    for (name, join) in &raw.join {
        if name.is_empty() || name.contains('.') {
            errors.push(MappingError::new(format!("{at}: join name `{name}` must be a plain name (it prefixes the joined columns: `{name}.column`)")));
        }
        if let Some(join_file) = file_index(&join.file, &format!("join.{name}.file"), errors) {
            joins.push(JoinSpec { name: name.clone(), file: join_file, key: join.key.clone(), matches: join.matches.clone(), required: join.required });
        }
    }
    let skips: Vec<Condition> = raw.skip.iter().enumerate().filter_map(|(i, c)| condition(c, &format!("{at}, skip #{}", i + 1), errors)).collect();
    let file_spec = file.and_then(|i| files.get(i));
    let mut columns = Vec::new();
    for (name, raw_column) in &raw.columns {
        if let Some(column) = check_column(table, name, raw_column, file_spec, &at, errors) {
            columns.push(column);
        }
    }
    let missing: Vec<&str> = table.columns().iter().filter(|c| c.required && !raw.columns.contains_key(c.name)).map(|c| c.name).collect();
    if !missing.is_empty() {
        let required: Vec<&str> = table.columns().iter().filter(|c| c.required).map(|c| c.name).collect();
        errors.push(MappingError::new(format!("{at}: no column `{}`", missing.join("`, `"))).help(format!(
            "every row of {} needs {} (data.md)",
            table.file_name(),
            required.join(", ")
        )));
    }
    let position = |name: &str| columns.iter().position(|c: &ColumnSpec| c.name == name);
    let one_row_per = raw.one_row_per.as_ref().and_then(|name| {
        let found = position(name);
        if found.is_none() {
            errors.push(MappingError::new(format!("{at}: one_row_per = `{name}` is not one of its columns")).help("name an output column, usually `id`"));
        }
        found
    });
    if !raw.sum.is_empty() && raw.one_row_per.is_none() {
        errors.push(MappingError::new(format!("{at}: `sum` needs `one_row_per`")).help("say which column makes one row, e.g. one_row_per = \"id\""));
    }
    let mut sums = Vec::new();
    for name in &raw.sum {
        match position(name) {
            Some(i) if Some(i) == one_row_per => errors.push(MappingError::new(format!("{at}: `{name}` cannot be both summed and the one_row_per column"))),
            Some(i) if columns.get(i).is_some_and(|c| c.kind == CellKind::Number) => sums.push(i),
            Some(_) => errors.push(MappingError::new(format!("{at}: sum `{name}`: only number columns can be summed"))),
            None => errors.push(MappingError::new(format!("{at}: sum `{name}` is not one of its columns"))),
        }
    }
    if errors.len() > errors_before {
        return None;
    }
    let label = raw.name.clone().unwrap_or_else(|| format!("{} #{}", table.name(), index + 1));
    Some(SourceSpec { table, label, file: file?, skips, joins, one_row_per, sums, columns })
}

/// Keys of a `[[TABLE]]` entry: a custom column of that name is almost certainly a
/// setting written after the `[TABLE.columns]` line. (`name` is left out: it is a
/// column of payees; data.md's own columns, such as accounts' `from`, are columns.)
const SOURCE_SETTINGS: [&str; 6] = ["from", "skip", "join", "one_row_per", "sum", "columns"];

fn check_column(table: Table, name: &str, raw: &RawColumn, file: Option<&FileSpec>, at: &str, errors: &mut Vec<MappingError>) -> Option<ColumnSpec> {
    let at = format!("{at}, column `{name}`");
    let standard = table.column(name);
    if SOURCE_SETTINGS.contains(&name) && standard.is_none() {
        errors.push(
            MappingError::new(format!("{at}: `{name}` is a setting of the `[[{}]]` entry, not a column", table.name()))
                .help(format!("TOML puts every key after `[{}.columns]` into the columns: write `{name}` before that line", table.name())),
        );
        return None;
    }
    if name.trim().is_empty() || name.trim() != name || name.contains(',') {
        errors.push(MappingError::new(format!("{at}: not a usable column name")));
        return None;
    }
    let file_date_format = file.map_or_else(|| "%Y-%m-%d".to_string(), |f| f.date_format.clone());
    let file_number = file.map(|f| f.number.clone()).unwrap_or_default();
    let recipe = match raw {
        RawColumn::Column(source) => {
            let kind = standard.map_or(CellKind::Text, |c| c.kind);
            return Some(ColumnSpec {
                name: name.to_string(),
                origin: Origin::Column(source.clone()),
                when: None,
                map: None,
                slug: false,
                kind,
                required: standard.is_some_and(|c| c.required),
                date_format: file_date_format,
                number: file_number.format(),
            });
        }
        RawColumn::Recipe(recipe) => recipe,
    };
    let errors_before = errors.len();
    let origins = [recipe.column.is_some(), recipe.template.is_some(), recipe.value.is_some()].into_iter().filter(|given| *given).count();
    if origins != 1 {
        errors.push(
            MappingError::new(format!("{at}: give exactly one of `column`, `template` and `value`"))
                .help("`column = \"Sales\"` copies a cell, `template = \"{office}-{agent}\"` builds one, `value = \"USD\"` is a constant"),
        );
    }
    let origin = if let Some(template) = &recipe.template {
        match parse_template(template) {
            Ok(pieces) => Origin::Template(pieces),
            Err(message) => {
                errors.push(MappingError::new(format!("{at}: {message}")));
                Origin::Value(String::new())
            }
        }
    } else if let Some(value) = &recipe.value {
        Origin::Value(value.clone())
    } else {
        Origin::Column(recipe.column.clone().unwrap_or_default())
    };
    let kind = match (&recipe.kind, standard) {
        (None, Some(column)) => column.kind,
        (None, None) => CellKind::Text,
        (Some(kind_name), standard) => match CellKind::from_name(kind_name) {
            Some(kind) => {
                if let Some(column) = standard {
                    if column.kind != kind {
                        errors.push(
                            MappingError::new(format!("{at}: `{name}` is a {} column in data.md, not {kind_name}", column.kind.name()))
                                .help("leave `type` out: data.md's columns have a fixed type"),
                        );
                    }
                }
                kind
            }
            None => {
                errors.push(MappingError::new(format!("{at}: type `{kind_name}` is not text, date, number or share")));
                CellKind::Text
            }
        },
    };
    if recipe.slug && kind != CellKind::Text {
        errors.push(MappingError::new(format!("{at}: `slug` makes ids; a {} column cannot be slugged", kind.name())));
    }
    if recipe.date_format.is_some() && kind != CellKind::Date {
        errors.push(
            MappingError::new(format!("{at}: `date_format` on a {} column", kind.name()))
                .help("date formats apply to date columns; give `type = \"date\"` for a custom one"),
        );
    }
    if recipe.number.is_some() && !matches!(kind, CellKind::Number | CellKind::Share) {
        errors.push(
            MappingError::new(format!("{at}: `number` on a {} column", kind.name()))
                .help("number formats apply to number columns; give `type = \"number\"` for a custom one"),
        );
    }
    if recipe.otherwise.is_some() && recipe.map.is_none() {
        errors.push(MappingError::new(format!("{at}: `else` without `map`")));
    }
    if recipe.map.is_some() && recipe.value.is_some() {
        errors.push(MappingError::new(format!("{at}: a constant `value` needs no `map`")));
    }
    let when = recipe.when.as_ref().and_then(|c| condition(c, &format!("{at}, when"), errors));
    let date_format_text = match &recipe.date_format {
        Some(text) => date_format(text, &format!("{at}.date_format"), errors),
        None => file_date_format,
    };
    let number = number_settings(recipe.number.as_ref(), &format!("{at}.number"), errors).over(&file_number).format();
    if errors.len() > errors_before {
        return None;
    }
    Some(ColumnSpec {
        name: name.to_string(),
        origin,
        when,
        map: recipe.map.clone().map(|values| ValueMap { values, otherwise: recipe.otherwise.clone() }),
        slug: recipe.slug,
        kind,
        required: standard.is_some_and(|c| c.required),
        date_format: date_format_text,
        number,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> String {
        match Mapping::parse(text) {
            Ok(_) => "ok".to_string(),
            Err(errors) => {
                errors.iter().map(|e| format!("{e}{}", e.help.as_ref().map(|h| format!(" (help: {h})")).unwrap_or_default())).collect::<Vec<_>>().join("\n")
            }
        }
    }

    const SMALL: &str = r#"
[defaults]
currency = "USD"

[files.deals]
path = "deals.csv"
encoding = "windows-1252"
number = { decimal = ",", thousands = "." }

[[bookings]]
from = "deals"
[bookings.columns]
id = "Deal ID"
date = { column = "Closed", date_format = "%d.%m.%Y" }
amount = "Amount"
owner = { column = "Owner", slug = true }
status = { column = "Stage", map = { "Closed Won" = "won" }, else = "lost" }
"#;

    #[test]
    fn a_small_mapping_reads() {
        let mapping = Mapping::parse(SMALL).unwrap();
        assert_eq!(mapping.currency.as_deref(), Some("USD"));
        assert_eq!(mapping.file_names(), vec!["deals.csv"]);
        assert_eq!(mapping.tables(), vec![Table::Bookings]);
        let source = &mapping.sources[0];
        assert_eq!(source.label, "bookings #1");
        assert_eq!(source.columns.len(), 5);
        assert_eq!(source.columns[1].date_format, "%d.%m.%Y");
        assert_eq!(source.columns[2].number.decimal, ',');
        assert_eq!(source.columns[2].number.thousands, Some('.'));
        assert_eq!(mapping.files[0].encoding, Encoding::Windows1252);
        assert!(mapping.files[0].trim);
    }

    #[test]
    fn toml_errors_carry_their_line() {
        let broken = SMALL.replace("amount = \"Amount\"", "amount = { colum = \"Amount\" }");
        let errors = Mapping::parse(&broken).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, Some(15), "{errors:?}");
        assert!(errors[0].message.contains("colum"), "{}", errors[0].message);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = r#"
[defaults]
currency = "usd"
date_format = "%Y-%m"

[files.deals]
path = "deals.csv"
encoding = "ebcdic"
delimiter = ";;"

[[bookings]]
from = "deal"
one_row_per = "number"
sum = ["status"]
[bookings.columns]
id = { column = "ID", value = "x" }
date = { column = "Closed", type = "number" }
status = { template = "{a" }
"#;
        let report = errors(text);
        for expected in [
            "defaults.currency: `usd` is not a currency code",
            "defaults.date_format: `%Y-%m` does not give a whole date",
            "files.deals.encoding: `ebcdic`",
            "files.deals.delimiter: `;;`",
            "from `deal` is not a `[files.*]` name",
            "column `id`: give exactly one of `column`, `template` and `value`",
            "`date` is a date column in data.md, not number",
            "template `{a` has a `{` without its `}`",
            "no column `amount`, `owner`",
            "one_row_per = `number` is not one of its columns",
        ] {
            assert!(report.contains(expected), "missing `{expected}` in:\n{report}");
        }
    }

    #[test]
    fn conditions_need_one_test_and_sums_need_numbers() {
        // `skip` after `[bookings.columns]` lands in the columns table, as a column.
        let text = format!("{SMALL}skip = [{{ column = \"Stage\", equals = \"Lost\" }}]\n");
        let report = errors(&text);
        assert!(report.starts_with("line 18: "), "{report}");
        assert!(report.contains("settings of a `[[TABLE]]` entry come before"), "{report}");
        let text = SMALL.replace(
            "[bookings.columns]",
            "skip = [{ column = \"Stage\", equals = \"a\", empty = true }]\none_row_per = \"id\"\nsum = [\"owner\"]\n[bookings.columns]",
        );
        let report = errors(&text);
        assert!(report.contains("skip #1: a condition needs exactly one test"), "{report}");
        assert!(report.contains("sum `owner`: only number columns can be summed"), "{report}");
        // A setting written after `[bookings.columns]` is not taken for a column.
        let report = errors(&format!("{SMALL}one_row_per = \"id\"\n"));
        assert!(report.contains("column `one_row_per`: `one_row_per` is a setting of the `[[bookings]]` entry, not a column"), "{report}");
    }
}
