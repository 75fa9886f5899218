//! One JSON file `{ "payees": [...], "bookings": [...], ... }` into raw tables.

use crate::build::{Built, TableBuilder};
use crate::error::{DataError, Errors};
use crate::suggest;
use crate::table::{self, RawCell, RowCells, SourceKind, Table};
use payplan_facts::{Origin, Schema};
use serde_json::Value;
use std::collections::BTreeSet;

/// What reading a JSON data set found besides the rows.
pub(crate) struct JsonTables {
    /// Tables that are present (an array, possibly empty).
    pub present: BTreeSet<Table>,
    /// Tables that could not be read, or required tables that are missing: references
    /// to them are not checked.
    pub unreadable: BTreeSet<Table>,
}

/// Parses `text` and types the rows of its tables into `built`; every structural
/// problem is reported.
pub(crate) fn read_json(file: &str, text: &str, schema: &Schema, built: &mut Built, errors: &mut Errors) -> JsonTables {
    let mut data = JsonTables { present: BTreeSet::new(), unreadable: BTreeSet::new() };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let parsed = serde_json::from_str::<Value>(text).and_then(|value| {
        // serde_json keeps the last of two equal keys silently; a second pass refuses them.
        serde_json::from_str::<NoDuplicateKeys>(text).map(|_| value)
    });
    let top = match parsed {
        Ok(value) => value,
        Err(error) => {
            errors.dataset(syntax_error(file, &error));
            data.unreadable.extend(Table::ALL);
            return data;
        }
    };
    let Value::Object(top) = top else {
        let error = DataError::in_file(file, format!("is {}, not a JSON object", kind_of(&top)))
            .help(Some("the file holds one object: { \"payees\": [...], \"bookings\": [...], ... }".to_string()));
        errors.dataset(error);
        data.unreadable.extend(Table::ALL);
        return data;
    };

    for (key, value) in &top {
        let Some(table) = Table::from_name(key) else {
            let known = Table::ALL.map(Table::name);
            let help = match suggest::closest(key, known) {
                Some(name) => format!("did you mean \"{name}\"?"),
                None => format!("the tables are {}", known.join(", ")),
            };
            errors.dataset(DataError::in_file(file, format!("has an unknown key {key:?}")).help(Some(help)));
            continue;
        };
        match value {
            // `null` is the same as leaving the table out.
            Value::Null => {}
            Value::Array(items) => {
                let max_rows = crate::limits().table_rows;
                if items.len() > max_rows {
                    let error = crate::limits::too_many_rows(file, items.len(), max_rows).column(key.as_str());
                    errors.table(table, 0, error);
                    data.unreadable.insert(table);
                    continue;
                }
                read_rows(file, table, key, items, schema, built, errors);
                data.present.insert(table);
            }
            other => {
                let error = DataError::in_file(file, format!("is {}, not an array of objects", kind_of(other))).column(key.as_str());
                errors.table(table, 0, error);
                data.unreadable.insert(table);
            }
        }
    }

    for table in Table::ALL {
        if table.is_required(schema) && !data.present.contains(&table) && !data.unreadable.contains(&table) {
            let message = format!("has no {:?} table; {}", table.name(), crate::required_because(table, SourceKind::Json));
            errors.table(table, 0, DataError::in_file(file, message));
            data.unreadable.insert(table);
        }
    }
    data
}

/// Types the rows of one table; a declared field that no row has is reported like a
/// missing column.
fn read_rows(file: &str, table: Table, key: &str, items: &[Value], schema: &Schema, built: &mut Built, errors: &mut Errors) {
    let builder = TableBuilder::new(table, SourceKind::Json, schema);
    let columns = builder.columns();
    built.reserve(table, items.len());
    let mut cells: Vec<RawCell> = Vec::with_capacity(columns.len());
    let shared_file: std::sync::Arc<str> = std::sync::Arc::from(file);
    // Keys that are no read column, met so far; and of those the near misses of a
    // column (`Currency`), each read as its column where a row lacks the exact key.
    let mut other_keys: BTreeSet<&str> = BTreeSet::new();
    let mut near_misses: Vec<(usize, &str)> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let line = u32::try_from(index).unwrap_or(u32::MAX).saturating_add(1);
        let origin = Origin { file: shared_file.clone(), line, json_index: Some(Box::new((key.to_string(), index))) };
        let Value::Object(object) = item else {
            let error = DataError::at_row(&origin, None, format!("is {}, not an object", kind_of(item)));
            errors.row(table, &origin, error);
            continue;
        };
        cells.clear();
        let mut found = 0;
        cells.extend(columns.iter().map(|column| {
            let value = object.get(column);
            found += usize::from(value.is_some());
            json_cell(value)
        }));
        if object.len() > found {
            // Other keys: each new one is checked once, at the first row that has it.
            for name in object.keys() {
                if columns.contains(name) || !other_keys.insert(name.as_str()) {
                    continue;
                }
                if let Some((column, near_miss)) = table::near_miss(table, name, columns) {
                    let (message, help) = near_miss.message(SourceKind::Json, columns.get(column).map_or("", String::as_str));
                    errors.row(table, &origin, DataError::at_row(&origin, None, message).value(Some(name.clone())).help(Some(help)));
                    near_misses.push((column, name.as_str()));
                }
            }
            for &(column, name) in &near_misses {
                let exact = columns.get(column).is_some_and(|exact| object.contains_key(exact));
                if let (false, Some(cell), Some(value)) = (exact, cells.get_mut(column), object.get(name)) {
                    *cell = json_cell(Some(value));
                }
            }
        }
        builder.row(RowCells::Json(&cells), origin, built, errors);
    }

    if !items.is_empty() {
        for (name, field_type) in table.declared_fields(schema) {
            let anywhere = items.iter().any(|item| item.get(name).is_some());
            if !anywhere {
                let message = format!("no row has {name:?}, which the plan declares as `field {}.{name}: {}`", table.field_owner(), field_type.keyword());
                errors.table(table, 0, DataError::in_file(file, message).column(key));
            }
        }
    }
}

/// A JSON value as a cell: strings are read like CSV cells, numbers keep their exact text.
fn json_cell(value: Option<&Value>) -> RawCell<'_> {
    match value {
        None | Some(Value::Null) => RawCell::Absent,
        Some(Value::String(text)) if text.is_empty() => RawCell::Absent,
        Some(Value::String(text)) => RawCell::Text(text),
        // With `arbitrary_precision`, the number's text as written (`to_string` gives the same).
        Some(Value::Number(number)) => RawCell::Number(number.as_str()),
        Some(Value::Bool(value)) => RawCell::Bool(*value),
        Some(Value::Array(_)) => RawCell::Unsupported("an array"),
        Some(Value::Object(_)) => RawCell::Unsupported("an object"),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A JSON syntax error (or a repeated key) at its line and column.
fn syntax_error(file: &str, error: &serde_json::Error) -> DataError {
    let full = error.to_string();
    // serde_json appends " at line L column C"; the line goes in its own field.
    let reason = full.rfind(" at line ").and_then(|at| full.get(..at)).unwrap_or(&full);
    let message = match reason.strip_prefix(DUPLICATE_KEY_MARK) {
        Some(key) => format!("has the key {key} twice in one object (column {})", error.column()),
        None => format!("is not valid JSON: {reason} (column {})", error.column()),
    };
    let mut data_error = DataError::in_file(file, message);
    if error.line() > 0 {
        data_error = data_error.line(u32::try_from(error.line()).unwrap_or(u32::MAX));
    }
    data_error
}

/// Starts the message of a repeated-key error, followed by the key in quotes.
const DUPLICATE_KEY_MARK: &str = "duplicate key: ";

/// Walks a JSON document and fails on the first object that repeats a key.
struct NoDuplicateKeys;

impl<'de> serde::Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NoDuplicateKeysVisitor)
    }
}

struct NoDuplicateKeysVisitor;

impl<'de> serde::de::Visitor<'de> for NoDuplicateKeysVisitor {
    type Value = NoDuplicateKeys;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<NoDuplicateKeys, E> {
        Ok(NoDuplicateKeys)
    }

    fn visit_i64<E>(self, _: i64) -> Result<NoDuplicateKeys, E> {
        Ok(NoDuplicateKeys)
    }

    fn visit_u64<E>(self, _: u64) -> Result<NoDuplicateKeys, E> {
        Ok(NoDuplicateKeys)
    }

    fn visit_f64<E>(self, _: f64) -> Result<NoDuplicateKeys, E> {
        Ok(NoDuplicateKeys)
    }

    fn visit_str<E>(self, _: &str) -> Result<NoDuplicateKeys, E> {
        Ok(NoDuplicateKeys)
    }

    fn visit_unit<E>(self) -> Result<NoDuplicateKeys, E> {
        Ok(NoDuplicateKeys)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<NoDuplicateKeys, A::Error> {
        while items.next_element::<NoDuplicateKeys>()?.is_some() {}
        Ok(NoDuplicateKeys)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut entries: A) -> Result<NoDuplicateKeys, A::Error> {
        // With `arbitrary_precision` a number arrives as a one-entry map: no repeats there.
        let mut keys = BTreeSet::new();
        while let Some(key) = entries.next_key::<String>()? {
            // Checked before the value is read, so the error's column points at the key.
            if !keys.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!("{DUPLICATE_KEY_MARK}{key:?}")));
            }
            entries.next_value::<NoDuplicateKeys>()?;
        }
        Ok(NoDuplicateKeys)
    }
}
