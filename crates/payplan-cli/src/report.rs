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
