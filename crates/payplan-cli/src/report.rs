//! Printing problems: plan diagnostics with miette (source snippet, label, help), data
//! and evaluation errors, as text for people or JSON for editors and CI.

use payplan_syntax::{Diagnostic, Severity, Span};
use serde::Serialize;
use std::io::{IsTerminal, Write};

/// How problems are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ErrorFormat {
    /// miette's report with the source snippet.
    Human,
    /// One JSON document on stderr.
    Json,
}

/// A plan file as read, for snippets.
pub struct SourceFile {
    /// The path as the user wrote it.
    pub path: String,
    /// Its text.
    pub text: String,
}

/// A position as editors count it.
#[derive(Serialize)]
struct Position {
    line: usize,
    column: usize,
}

#[derive(Serialize)]
struct JsonLabel {
    message: String,
    start: usize,
    end: usize,
    start_position: Position,
    end_position: Position,
}

#[derive(Serialize)]
struct JsonDiagnostic {
    message: String,
    code: String,
    severity: Severity,
    file: String,
    start: Option<usize>,
    end: Option<usize>,
    line: Option<usize>,
    end_line: Option<usize>,
    labels: Vec<JsonLabel>,
    help: Option<String>,
}

/// Collects problems and prints them in the chosen format.
pub struct Reporter {
    format: ErrorFormat,
    json: Vec<JsonDiagnostic>,
    /// Errors reported so far.
    pub errors: usize,
    /// Warnings reported so far (`--deny-warnings` fails on them).
    pub warnings: usize,
    /// Usage errors among them (exit status 2).
    pub usage_errors: usize,
    /// What became of standard output.
    stdout: StdoutState,
}

/// Standard output, as far as this run has written it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StdoutState {
    /// Every write so far went through.
    Open,
    /// The reader went away (a closed pipe, as with `| head`): the rest of the output
    /// is dropped without a word, and the command's outcome stands.
    Closed,
    /// A write failed for another reason (a full disk): reported once, exit status 1.
    Failed,
}

/// Writes to stderr. Nothing is left to report a failure to, so it is ignored: the
/// `eprintln!` macro would panic instead (with `2>&1 | head`, for one).
pub fn to_stderr(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}

/// 1-based line and column (in characters) of a byte offset.
fn position(text: &str, offset: usize) -> Position {
    let before = text.get(..offset.min(text.len())).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Position { line, column }
}

impl Reporter {
    /// A reporter printing in `format`.
    pub fn new(format: ErrorFormat) -> Reporter {
        Reporter { format, json: Vec::new(), errors: 0, warnings: 0, usage_errors: 0, stdout: StdoutState::Open }
    }

    /// Writes results to standard output; every write of every command goes through
    /// here (never `print!`, which panics when the write fails). A closed pipe
    /// (`payplan run ... | head`) ends the output quietly: later writes are dropped and
    /// the exit status is the command's own. Any other error (a full disk) is reported
    /// once, as `cannot write to standard output: ...`, and fails the command (status 1).
    /// False once standard output has failed so.
    pub fn print(&mut self, text: &str) -> bool {
        if self.stdout != StdoutState::Open {
            return self.stdout == StdoutState::Closed;
        }
        let mut stdout = std::io::stdout().lock();
        let written = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
        drop(stdout);
        match written {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.stdout = StdoutState::Closed;
                true
            }
            Err(e) => {
                self.stdout = StdoutState::Failed;
                self.plain(
                    "",
                    "payplan::io",
                    &format!("cannot write to standard output: {e}"),
                    Some("the output is incomplete: check where standard output goes (a full disk, a device)"),
                    None,
                );
                false
            }
        }
    }

    /// [`Reporter::print`] of a line.
    pub fn println(&mut self, line: &str) -> bool {
        self.print(&format!("{line}\n"))
    }

    /// Whether a write to standard output failed (other than a closed pipe).
    pub fn stdout_failed(&self) -> bool {
        self.stdout == StdoutState::Failed
    }

    /// Whether diagnostics are printed as JSON (for editors and CI annotations).
    pub fn is_json(&self) -> bool {
        self.format == ErrorFormat::Json
    }

    /// Reports a plan diagnostic against its source.
    pub fn diagnostic(&mut self, source: &SourceFile, diagnostic: &Diagnostic) {
        if diagnostic.severity == Severity::Error {
            self.errors += 1;
        } else {
            self.warnings += 1;
        }
        match self.format {
            ErrorFormat::Human => {
                let report = miette::Report::new(diagnostic.clone()).with_source_code(miette::NamedSource::new(source.path.clone(), source.text.clone()));
                to_stderr(&format!("{}\n", render(&report)));
            }
            ErrorFormat::Json => {
                let span = diagnostic.span();
                self.json.push(JsonDiagnostic {
                    message: diagnostic.message.clone(),
                    code: diagnostic.code.to_string(),
                    severity: diagnostic.severity,
                    file: source.path.clone(),
                    start: Some(span.start),
                    end: Some(span.end),
                    line: Some(position(&source.text, span.start).line),
                    end_line: Some(position(&source.text, span.end).line),
                    labels: diagnostic.labels.iter().map(|l| label(&source.text, l.span, &l.message)).collect(),
                    help: diagnostic.help.clone(),
                });
            }
        }
    }

    /// Reports an error that has no plan span (a data error, a missing file).
    pub fn plain(&mut self, file: &str, code: &str, message: &str, help: Option<&str>, line: Option<usize>) {
        self.errors += 1;
        match self.format {
            ErrorFormat::Human => match help {
                Some(h) => to_stderr(&format!("error: {message}\n  help: {h}\n")),
                None => to_stderr(&format!("error: {message}\n")),
            },
            ErrorFormat::Json => self.json.push(JsonDiagnostic {
                message: message.to_string(),
                code: code.to_string(),
                severity: Severity::Error,
                file: file.to_string(),
                start: None,
                end: None,
                line,
                end_line: line,
                labels: Vec::new(),
                help: help.map(str::to_string),
            }),
        }
    }

    /// Reports a data error. In JSON, an error at a line of a CSV file carries the byte
    /// range of its cell (of the line, when the cell cannot be told) and a label naming
    /// the column, so an editor can point at it; `texts` keeps the files read for that.
    pub fn data_error(&mut self, error: &payplan_data::DataError, texts: &mut std::collections::BTreeMap<String, Option<String>>) {
        let message = error.to_string();
        let line = error.line.map(|l| l as usize);
        if self.format == ErrorFormat::Human {
            return self.plain(&error.file, "payplan::data", &message, None, line);
        }
        // Read again only to locate cells: files of a reasonable size.
        let readable = |file: &str| std::fs::metadata(file).is_ok_and(|m| m.is_file() && m.len() <= LOCATED_FILE_BYTES);
        let text = texts
            .entry(error.file.clone())
            .or_insert_with(|| readable(&error.file).then(|| std::fs::read(&error.file).ok().and_then(|b| String::from_utf8(b).ok())).flatten());
        let located = text.as_deref().zip(line).and_then(|(text, line)| locate_cell(text, line, error.column.as_deref()));
        self.errors += 1;
        let (start, end, labels) = match (located, text.as_deref()) {
            (Some((range, is_cell)), Some(text)) => {
                let what = match (&error.column, is_cell) {
                    (Some(column), true) => format!("column `{column}`"),
                    _ => "this line".to_string(),
                };
                (Some(range.start), Some(range.end), vec![label(text, Span { start: range.start, end: range.end }, &what)])
            }
            _ => (None, None, Vec::new()),
        };
        self.json.push(JsonDiagnostic {
            message,
            code: "payplan::data".to_string(),
            severity: Severity::Error,
            file: error.file.clone(),
            start,
            end,
            line,
            end_line: line,
            labels,
            help: None,
        });
    }

    /// Prints what JSON mode collected.
    pub fn finish(self) {
        if self.format == ErrorFormat::Json && !self.json.is_empty() {
            let doc = serde_json::json!({ "diagnostics": self.json });
            to_stderr(&format!("{}\n", serde_json::to_string_pretty(&doc).unwrap_or_default()));
        }
    }
}

fn label(text: &str, span: Span, message: &str) -> JsonLabel {
    JsonLabel {
        message: message.to_string(),
        start: span.start,
        end: span.end,
        start_position: position(text, span.start),
        end_position: position(text, span.end),
    }
}

/// Data files at most this large are read again to locate their errors' cells in JSON.
const LOCATED_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The byte range of `column`'s cell on physical line `line` of a CSV text (the header
/// is line 1), or of the whole line when the cell cannot be told (`false`).
fn locate_cell(text: &str, line: usize, column: Option<&str>) -> Option<(std::ops::Range<usize>, bool)> {
    let mut starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1));
    let line_start = starts.nth(line.checked_sub(1)?)?;
    let rest = text.get(line_start..)?;
    let line_end = line_start + rest.find('\n').unwrap_or(rest.len());
    let line_end = if text.get(..line_end)?.ends_with('\r') { line_end - 1 } else { line_end };
    let whole = (line_start..line_end, false);
    let header_end = text.find('\n').unwrap_or(text.len());
    let header = text.get(..header_end)?.trim_end_matches('\r').trim_start_matches('\u{feff}');
    let Some(index) = column.and_then(|c| csv_cells(header).iter().position(|cell| cell.trim_matches('"') == c)) else { return Some(whole) };
    let cells = csv_cell_ranges(text.get(line_start..line_end)?);
    Some(cells.get(index).map_or(whole, |cell| (line_start + cell.start..line_start + cell.end, true)))
}

/// The cells of one CSV line, as written.
fn csv_cells(line: &str) -> Vec<&str> {
    csv_cell_ranges(line).into_iter().filter_map(|r| line.get(r)).collect()
}

/// The byte ranges of the cells of one CSV line (quotes kept; a comma inside quotes is
/// no separator).
fn csv_cell_ranges(line: &str) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                ranges.push(start..i);
                start = i + 1;
            }
            _ => {}
        }
    }
    ranges.push(start..line.len());
    ranges
}

/// Renders a report with colours only on a terminal.
fn render(report: &miette::Report) -> String {
    let theme = if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        out = format!("{report}");
    }
    out
}
