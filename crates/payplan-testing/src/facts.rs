//! A test block's records → the facts it describes.
//!
//! The records are written out as the CSV tables of data.md and read back with the
//! data loader (`payplan_data::load_csv_files`), so a test's facts obey exactly the
//! rules of real data (an unknown payee, split shares that do not sum to 100%, a
//! booking in a currency without an fx rate...). Each loader error is reported at the
//! test statement that wrote the row.

use payplan_facts::Facts;
use payplan_ir::Plan;
use payplan_syntax::ast::{Expr, ExprKind, Ident, LiteralKind, RecordId, TestBlock, TestStatementKind, UnaryOp};
use payplan_syntax::{Diagnostic, Span};
use std::collections::BTreeMap;

/// One CSV table being written: its header, and rows with the statement that wrote each.
struct CsvTable {
    file: &'static str,
    header: Vec<String>,
    rows: Vec<(BTreeMap<String, String>, Span)>,
}

impl CsvTable {
    fn new(file: &'static str, required: &[&str]) -> CsvTable {
        CsvTable { file, header: required.iter().map(|s| s.to_string()).collect(), rows: Vec::new() }
    }

    fn push(&mut self, cells: Vec<(String, String)>, span: Span) {
        for (column, _) in &cells {
            if !self.header.contains(column) {
                self.header.push(column.clone());
            }
        }
        self.rows.push((cells.into_iter().collect(), span));
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        out.push_str(&self.header.iter().map(|h| csv_cell(h)).collect::<Vec<_>>().join(","));
        out.push('\n');
        for (cells, _) in &self.rows {
            let line: Vec<String> = self.header.iter().map(|h| cells.get(h).map_or_else(String::new, |v| csv_cell(v))).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
        out.into_bytes()
    }

    /// The statement that wrote CSV line `line` (the header is line 1).
    fn span_of_line(&self, line: u32) -> Option<Span> {
        let index = usize::try_from(line).ok()?.checked_sub(2)?;
        self.rows.get(index).map(|(_, span)| *span)
    }
}

fn csv_cell(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// A test value as a CSV cell: literals, `-` literals and bare names (ids).
fn cell(e: &Expr) -> Result<String, Diagnostic> {
    match &e.kind {
        ExprKind::Literal(LiteralKind::String(s)) => Ok(s.clone()),
        ExprKind::Literal(LiteralKind::Number(n) | LiteralKind::Percent(n) | LiteralKind::Multiplier(n)) => Ok(n.to_string()),
        ExprKind::Literal(LiteralKind::Money(n, code)) => Ok(format!("{n} {code}")),
        ExprKind::Date(d) => Ok(d.text.clone()),
        ExprKind::Bool(b) => Ok(b.to_string()),
        ExprKind::Name(name) => Ok(name.name.clone()),
        ExprKind::Paren(x) => cell(x),
        ExprKind::Unary(UnaryOp::Neg, x) => {
            let inner = cell(x)?;
            if inner.starts_with(|c: char| c.is_ascii_digit()) {
                Ok(format!("-{inner}"))
            } else {
                Err(not_a_literal(e))
            }
        }
        _ => Err(not_a_literal(e)),
    }
}

fn not_a_literal(e: &Expr) -> Diagnostic {
    Diagnostic::error("payplan::test", "a test value must be written out: a number, an amount, a date, a string or an id", e.span, "not a literal")
        .with_help("tests state facts, like rows of data: write `600_000 USD`, `2027-02-10`, `\"won\"` or `alice`")
}

fn record_cells(id_column: &str, id: &RecordId, fields: &[(Ident, Expr)], problems: &mut Vec<Diagnostic>) -> Vec<(String, String)> {
    let mut cells = vec![(id_column.to_string(), id.value.clone())];
    for (name, value) in fields {
        if name.name == id_column || cells.iter().any(|(c, _)| *c == name.name) {
            problems.push(Diagnostic::error("payplan::test", format!("`{}` is given twice", name.name), name.span, "again here"));
            continue;
        }
        match cell(value) {
            Ok(v) => cells.push((name.name.clone(), v)),
            Err(d) => problems.push(d),
        }
    }
    cells
}

/// The facts of a test block for `plan`. Errors are diagnostics in the test's file.
pub fn build(plan: &Plan, block: &TestBlock) -> Result<Facts, Vec<Diagnostic>> {
    let mut payees = CsvTable::new("payees.csv", &["id"]);
    let mut bookings = CsvTable::new("bookings.csv", &["id", "date", "amount", "owner"]);
    let mut splits = CsvTable::new("splits.csv", &["booking", "payee", "share"]);
    let mut quotas = CsvTable::new("quotas.csv", &["payee", "quota", "period", "amount"]);
    let mut fx = CsvTable::new("fx.csv", &["currency", "date", "rate"]);
    let mut metrics = CsvTable::new("metrics.csv", &["payee", "metric", "period", "value"]);
    let mut accounts = CsvTable::new("accounts.csv", &["account", "payee", "from", "to"]);
    let mut problems = Vec::new();
    for statement in &block.statements {
        let span = statement.span;
        match &statement.kind {
            TestStatementKind::Payee(id, fields) => {
                let cells = record_cells("id", id, fields, &mut problems);
                payees.push(cells, span);
            }
            TestStatementKind::Booking(id, fields) => {
                let cells = record_cells("id", id, fields, &mut problems);
                bookings.push(cells, span);
            }
            TestStatementKind::Account(id, fields) => {
                let cells = record_cells("account", id, fields, &mut problems);
                accounts.push(cells, span);
            }
            TestStatementKind::Split(booking, shares) => {
                for (payee, share) in shares {
                    let value = match &share.kind {
                        LiteralKind::Number(n) | LiteralKind::Percent(n) => n.to_string(),
                        _ => String::new(),
                    };
                    let cells = vec![("booking".to_string(), booking.value.clone()), ("payee".to_string(), payee.value.clone()), ("share".to_string(), value)];
                    splits.push(cells, span);
                }
            }
            TestStatementKind::Quota(payee, name, period, value) | TestStatementKind::Metric(payee, name, period, value) => {
                let is_quota = matches!(statement.kind, TestStatementKind::Quota(..));
                match cell(value) {
                    Ok(v) => {
                        let (name_column, value_column) = if is_quota { ("quota", "amount") } else { ("metric", "value") };
                        let cells = vec![
                            ("payee".to_string(), payee.value.clone()),
                            (name_column.to_string(), name.value.clone()),
                            ("period".to_string(), period.name.clone()),
                            (value_column.to_string(), v),
                        ];
                        if is_quota {
                            quotas.push(cells, span);
                        } else {
                            metrics.push(cells, span);
                        }
                    }
                    Err(d) => problems.push(d),
                }
            }
            TestStatementKind::Fx(currency, date, value) => match cell(value) {
                Ok(v) => fx.push(vec![("currency".to_string(), currency.name.clone()), ("date".to_string(), date.text.clone()), ("rate".to_string(), v)], span),
                Err(d) => problems.push(d),
            },
            TestStatementKind::ExpectLine { .. } | TestStatementKind::ExpectUnpaid(_) => {}
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let tables = [&payees, &bookings, &splits, &quotas, &fx, &metrics, &accounts];
    let files: Vec<(String, Vec<u8>)> = tables.iter().map(|t| (t.file.to_string(), t.bytes())).collect();
    payplan_data::load_csv_files(&files, &plan.schema()).map_err(|errors| {
        errors
            .0
            .iter()
            .map(|e| {
                let table = tables.iter().find(|t| t.file == e.file);
                let span = table.zip(e.line).and_then(|(t, line)| t.span_of_line(line)).unwrap_or(block.name.span);
                let mut message = String::new();
                if let Some(column) = &e.column {
                    message.push_str(&format!("`{column}`: "));
                }
                if let Some(value) = &e.value {
                    message.push_str(&format!("{value:?} "));
                }
                message.push_str(&e.message);
                let what = table.map_or("the test's data", |t| t.file);
                let mut d = Diagnostic::error("payplan::test-data", message, span, format!("in the test's {what}"));
                d.help = e.help.clone();
                d
            })
            .collect()
    })
}
