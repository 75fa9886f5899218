//! What an import did, row by row and in sum: for every file the rows it held, for
//! every table source the rows read, mapped, skipped (by reason) and rejected (by
//! reason, each with its file and line). Every data row of a file a source reads ends
//! in exactly one of mapped, skipped and rejected. Rendered as text for people (the
//! CLI prints it on stderr) or serialised as JSON (`--format json`).

use crate::encoding::Encoding;
use payplan_data::catalog::Table;
use serde::Serialize;
use std::fmt::Write as _;

/// The whole report of one import.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The currency written into bookings without one, if the mapping sets it.
    pub currency: Option<String>,
    /// Every input file, in the mapping's order.
    pub files: Vec<FileReport>,
    /// Every table written, in data.md's order.
    pub tables: Vec<TableReport>,
    /// Things worth knowing that are not about a row (a table the mapping does not write, say).
    pub notes: Vec<String>,
}

/// One input file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The mapping's name for it (`files.NAME`).
    pub key: String,
    /// Its file name as the mapping writes it.
    pub file: String,
    /// Where it was read from, as found among the inputs.
    pub path: String,
    /// The encoding it was decoded with.
    pub encoding: Encoding,
    /// Data rows (the header and blank rows not counted).
    pub rows: usize,
    /// Rows whose cells were all empty, skipped.
    pub blank_rows: usize,
    /// Rows with more or fewer cells than the header: rejected for every use.
    pub malformed: Vec<Rejection>,
    /// Cells changed by the file's `replace` tables.
    pub replacements: Vec<Replacement>,
    /// How the file was looked up by joins.
    pub lookups: Vec<LookupReport>,
}

/// Cells of one column changed by a `replace` table.
#[derive(Debug, Clone, Serialize)]
pub struct Replacement {
    /// The column.
    pub column: String,
    /// The value as exported.
    pub from: String,
    /// The value it was replaced by.
    pub to: String,
    /// How many cells.
    pub cells: usize,
}

/// A file used as a lookup table by a join, by one key column.
#[derive(Debug, Clone, Serialize)]
pub struct LookupReport {
    /// The key column.
    pub key: String,
    /// Distinct non-empty keys.
    pub keys: usize,
    /// Rows that repeat an earlier row with the same key exactly (they count once).
    pub repeated_rows: usize,
    /// Keys held by rows that differ: a row looking one up is rejected.
    pub conflicting_keys: usize,
    /// Keys that some row looked up.
    pub keys_matched: usize,
}

/// One table written.
#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    /// The table.
    pub table: Table,
    /// Its file in the output folder.
    pub file: String,
    /// Its columns, in the order written.
    pub columns: Vec<String>,
    /// Rows written.
    pub rows: usize,
    /// Where they came from.
    pub sources: Vec<SourceReport>,
}

/// One `[[TABLE]]` entry of the mapping: one file's rows made into rows of one table.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    /// The mapping's `name` for it, or `TABLE #N`.
    pub name: String,
    /// The file it reads.
    pub file: String,
    /// Data rows read (malformed rows of the file are reported with the file).
    pub read: usize,
    /// Rows that went into a row written.
    pub mapped: usize,
    /// Rows left out by a `skip` condition.
    pub skipped: usize,
    /// Rows that could not be mapped.
    pub rejected: usize,
    /// Rows written to the table (fewer than `mapped` with `one_row_per`).
    pub written: usize,
    /// The column that makes one row, with `one_row_per`.
    pub one_row_per: Option<String>,
    /// Columns filled only `when` a condition holds, and in how many rows written.
    pub conditional_columns: Vec<ConditionalColumn>,
    /// Skipped rows per reason.
    pub skipped_by_reason: Vec<Count>,
    /// Rejected rows per reason.
    pub rejected_by_reason: Vec<Count>,
    /// Every rejected row.
    pub rejections: Vec<Rejection>,
}

/// A column with a `when` condition: how many rows written have a value in it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ConditionalColumn {
    /// The column.
    pub column: String,
    /// The condition, as the report words it.
    pub when: String,
    /// Rows written with a value in the column.
    pub rows: usize,
}

/// Rows per reason.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Count {
    /// The reason.
    pub reason: String,
    /// How many rows.
    pub rows: usize,
}

/// A row that could not be mapped.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Rejection {
    /// The file, as the mapping names it.
    pub file: String,
    /// Its physical line (the header is line 1).
    pub line: u64,
    /// The reason, as counted (`bookings.amount: not a number`).
    pub reason: String,
    /// The reason with this row's values.
    pub detail: String,
}

impl Report {
    /// Every rejected row: malformed rows of the files, then each source's.
    pub fn rejections(&self) -> Vec<&Rejection> {
        let malformed = self.files.iter().flat_map(|f| f.malformed.iter());
        let by_sources = self.tables.iter().flat_map(|t| t.sources.iter()).flat_map(|s| s.rejections.iter());
        malformed.chain(by_sources).collect()
    }

    /// How many rows were rejected in all.
    pub fn rejected_rows(&self) -> usize {
        self.rejections().len()
    }

    /// The report as text, for a terminal or a log: files, tables with their sources,
    /// the counts per reason, then every rejected row with its file and line.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let file_width = self.files.iter().map(|f| f.file.chars().count()).max().unwrap_or(0);
        let _ = writeln!(out, "read {} file{}:", self.files.len(), plural(self.files.len()));
        for file in &self.files {
            let mut extras = Vec::new();
            if file.blank_rows > 0 {
                extras.push(format!("{} blank row{} skipped", thousands(file.blank_rows), plural(file.blank_rows)));
            }
            if !file.malformed.is_empty() {
                extras.push(format!("{} malformed row{} rejected", thousands(file.malformed.len()), plural(file.malformed.len())));
            }
            let extras = if extras.is_empty() { String::new() } else { format!(" ({})", extras.join(", ")) };
            let _ = writeln!(out, "  {:<file_width$}  {:>7} rows  {}{extras}", file.file, thousands(file.rows), file.encoding.name());
            for replacement in &file.replacements {
                let _ = writeln!(
                    out,
                    "  {:<file_width$}    replaced `{}` by `{}` in `{}`: {} cell{}",
                    "",
                    replacement.from,
                    replacement.to,
                    replacement.column,
                    thousands(replacement.cells),
                    plural(replacement.cells)
                );
            }
            for lookup in &file.lookups {
                let mut text =
                    format!("looked up by `{}`: {} key{}, {} matched", lookup.key, thousands(lookup.keys), plural(lookup.keys), thousands(lookup.keys_matched));
                if lookup.repeated_rows > 0 {
                    text.push_str(&format!(", {} repeated row{} counted once", thousands(lookup.repeated_rows), plural(lookup.repeated_rows)));
                }
                if lookup.conflicting_keys > 0 {
                    text.push_str(&format!(", {} key{} with differing rows", thousands(lookup.conflicting_keys), plural(lookup.conflicting_keys)));
                }
                let _ = writeln!(out, "  {:<file_width$}    {text}", "");
            }
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "wrote {} table{}:", self.tables.len(), plural(self.tables.len()));
        for table in &self.tables {
            let _ = writeln!(out, "  {}: {} row{}", table.file, thousands(table.rows), plural(table.rows));
            for source in &table.sources {
                let mut parts = vec![format!("{} read", thousands(source.read)), format!("{} mapped", thousands(source.mapped))];
                if source.skipped > 0 {
                    parts.push(format!("{} skipped", thousands(source.skipped)));
                }
                parts.push(format!("{} rejected", thousands(source.rejected)));
                let grouped = match &source.one_row_per {
                    Some(column) => format!(" -> {} row{} (one per `{column}`)", thousands(source.written), plural(source.written)),
                    None => String::new(),
                };
                let _ = writeln!(out, "    {} (from {}): {}{grouped}", source.name, source.file, parts.join(", "));
                for conditional in &source.conditional_columns {
                    let _ = writeln!(
                        out,
                        "      `{}` set in {} row{} (when {})",
                        conditional.column,
                        thousands(conditional.rows),
                        plural(conditional.rows),
                        conditional.when
                    );
                }
                for count in &source.skipped_by_reason {
                    let _ = writeln!(out, "      skipped {:>6}  {}", thousands(count.rows), count.reason);
                }
                for count in &source.rejected_by_reason {
                    let _ = writeln!(out, "      rejected {:>5}  {}", thousands(count.rows), count.reason);
                }
            }
        }
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        let rejections = self.rejections();
        let _ = writeln!(out);
        if rejections.is_empty() {
            let _ = writeln!(out, "no row rejected");
        } else {
            let _ = writeln!(out, "{} row{} rejected:", thousands(rejections.len()), plural(rejections.len()));
            for rejection in rejections {
                let _ = writeln!(out, "  {}:{}: {}", rejection.file, rejection.line, rejection.detail);
            }
        }
        out
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `12345` as `12,345`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut reversed = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().rev().enumerate() {
        if i > 0 && i % 3 == 0 {
            reversed.push(',');
        }
        reversed.push(c);
    }
    reversed.chars().rev().collect()
}

/// Counts per reason, in the order the reasons first occur.
pub(crate) fn counts<'a>(reasons: impl Iterator<Item = &'a str>) -> Vec<Count> {
    let mut counts: Vec<Count> = Vec::new();
    for reason in reasons {
        match counts.iter_mut().find(|c| c.reason == reason) {
            Some(count) => count.rows += 1,
            None => counts.push(Count { reason: reason.to_string(), rows: 1 }),
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(8800), "8,800");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn counts_keep_first_occurrence_order() {
        let counted = counts(["b", "a", "b"].into_iter());
        assert_eq!(counted, vec![Count { reason: "b".into(), rows: 2 }, Count { reason: "a".into(), rows: 1 }]);
    }
}
