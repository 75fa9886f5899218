//! Problems as plain data for JavaScript: plan diagnostics, data errors, evaluation
//! errors and usage errors share one shape, with every plan position given both in
//! bytes (as the engine counts) and in UTF-16 code units (as JavaScript strings and
//! editors such as CodeMirror count).

use payplan_syntax::{Diagnostic, Severity, Span};
use serde::Serialize;

/// A range of the plan source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Range {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// `start` in UTF-16 code units.
    pub start_utf16: usize,
    /// `end` in UTF-16 code units.
    pub end_utf16: usize,
    /// 1-based line of `start`.
    pub line: usize,
    /// 1-based column of `start`, in characters.
    pub column: usize,
    /// 1-based line of `end`.
    pub end_line: usize,
    /// 1-based column of `end`, in characters.
    pub end_column: usize,
}

/// A labelled range: the first label of a problem is its primary one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelData {
    /// What to say there.
    pub message: String,
    /// Where.
    #[serde(flatten)]
    pub range: Range,
}

/// What a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// The plan text (parse and check diagnostics).
    Plan,
    /// The data set.
    Data,
    /// A hypothetical deal entered in the page.
    WhatIf,
    /// A preview bundle (`payplan bundle`) that cannot be opened.
    Bundle,
    /// The run itself (an evaluation error).
    Eval,
    /// A request the session cannot serve (no plan, unknown payee or period).
    Usage,
}

/// One problem, ready for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Which stage found it.
    pub stage: Stage,
    /// A stable code such as `payplan::type` or `payplan::data`.
    pub code: String,
    /// `error` or `warning`.
    pub severity: Severity,
    /// One line, lowercase (for data errors: the whole located message, as the CLI prints it).
    pub message: String,
    /// The primary range in the plan, when the problem points into it.
    pub range: Option<Range>,
    /// Every label, the primary one first.
    pub labels: Vec<LabelData>,
    /// Advice, if any.
    pub help: Option<String>,
    /// The data file (or `what-if deal N`, or the bundle's file name), for data,
    /// hypothetical-deal and bundle problems.
    pub file: Option<String>,
    /// The line in `file`, when known.
    pub line: Option<u32>,
    /// The 1-based hypothetical deal the problem is about.
    pub deal: Option<usize>,
    /// The field of that deal (`amount`, `date`, `product`...).
    pub field: Option<String>,
}

impl Problem {
    /// An error without a plan range.
    pub fn error(stage: Stage, code: &str, message: impl Into<String>) -> Problem {
        Problem {
            stage,
            code: code.to_string(),
            severity: Severity::Error,
            message: message.into(),
            range: None,
            labels: Vec::new(),
            help: None,
            file: None,
            line: None,
            deal: None,
            field: None,
        }
    }

    /// The same, with advice.
    pub fn with_help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }

    /// A plan diagnostic, positioned in `source`.
    pub fn from_diagnostic(source: &SourceMap, diagnostic: &Diagnostic) -> Problem {
        let labels: Vec<LabelData> =
            diagnostic.labels.iter().map(|label| LabelData { message: label.message.clone(), range: source.range(label.span) }).collect();
        Problem {
            severity: diagnostic.severity,
            range: Some(source.range(diagnostic.span())),
            labels,
            help: diagnostic.help.clone(),
            ..Problem::error(Stage::Plan, diagnostic.code, diagnostic.message.clone())
        }
    }

    /// A data error, with the message the CLI prints for it.
    pub fn from_data_error(error: &payplan_data::DataError) -> Problem {
        Problem { file: Some(error.file.clone()), line: error.line, ..Problem::error(Stage::Data, "payplan::data", error.to_string()) }
    }

    /// An evaluation error, pointing at the plan expression when it has one.
    pub fn from_eval_error(source: &SourceMap, error: &payplan_eval::EvalError) -> Problem {
        let message = format!("{}{}", error.message, error.context());
        let mut problem = Problem::error(Stage::Eval, "payplan::eval", message);
        problem.help = error.help.clone();
        if let Some(span) = error.span {
            let range = source.range(span);
            problem.range = Some(range);
            problem.labels = vec![LabelData { message: "while evaluating this".to_string(), range }];
        }
        problem
    }
}

/// The code of every problem opening a bundle.
pub const BUNDLE_CODE: &str = "payplan::bundle";

impl Problem {
    /// Why the bundle in `file` cannot be opened or evaluated, with what to do about it.
    /// `source` is the bundled plan's text, for evaluation errors pointing into it.
    pub fn from_bundle_error(file: &str, source: Option<&SourceMap>, error: &payplan_bundle::BundleError) -> Problem {
        use payplan_bundle::BundleError;
        let help = match error {
            BundleError::Eval(eval) => {
                let mut problem = match source {
                    Some(source) => Problem::from_eval_error(source, eval),
                    None => Problem::error(Stage::Eval, "payplan::eval", error.to_string()),
                };
                problem.file = Some(file.to_string());
                return problem;
            }
            BundleError::NotABundle(_) => "open a file written by `payplan bundle` (a JSON file, usually named PAYEE.bundle.json)",
            BundleError::Format(_) => "make the bundle again with the payplan version of this page, or open it with a page of its version",
            BundleError::Corrupted | BundleError::Inconsistent(_) => "the file was changed after `payplan bundle` wrote it: ask for the bundle again",
            BundleError::OtherPlan { .. } => "ask for a bundle made from the plan loaded in the editor, or load the plan the bundle was made for",
            BundleError::Plan(_) => "make the bundle again from a plan that passes `payplan check`",
            BundleError::NoSuchPayee(_) => "make the bundle for a payee who is eligible for the plan",
        };
        let mut problem = Problem::error(Stage::Bundle, BUNDLE_CODE, format!("{file}: {error}")).with_help(help);
        problem.file = Some(file.to_string());
        problem
    }
}

/// Converts byte offsets of one text into UTF-16 offsets and line/column positions.
#[derive(Debug, Clone)]
pub struct SourceMap {
    text: String,
    /// Per line: its first byte and that byte's UTF-16 offset.
    line_starts: Vec<(usize, usize)>,
}

/// A position in a [`SourceMap`]'s text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// UTF-16 offset.
    pub utf16: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
}

impl SourceMap {
    /// Indexes `text` (one pass).
    pub fn new(text: &str) -> SourceMap {
        let mut line_starts = vec![(0, 0)];
        let mut utf16 = 0;
        for (byte, c) in text.char_indices() {
            utf16 += c.len_utf16();
            if c == '\n' {
                line_starts.push((byte + 1, utf16));
            }
        }
        SourceMap { text: text.to_string(), line_starts }
    }

    /// The text indexed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Where byte `offset` lies; an offset inside a character counts as that
    /// character's start, one past the end as the end.
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line_index = self.line_starts.partition_point(|(start, _)| *start <= offset).saturating_sub(1);
        let (line_start, line_utf16) = self.line_starts.get(line_index).copied().unwrap_or((0, 0));
        let before = self.text.get(line_start..offset).unwrap_or("");
        Position { utf16: line_utf16 + before.encode_utf16().count(), line: line_index + 1, column: before.chars().count() + 1 }
    }

    /// A span as a [`Range`].
    pub fn range(&self, span: Span) -> Range {
        let start = self.position(span.start);
        let end = self.position(span.end);
        Range {
            start: span.start,
            end: span.end,
            start_utf16: start.utf16,
            end_utf16: end.utf16,
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_offsets_count_surrogate_pairs_and_accents() {
        // "é" is 2 bytes and 1 UTF-16 unit; "💶" is 4 bytes and 2 units.
        let map = SourceMap::new("a é\n💶 x");
        let x = "a é\n💶 ".len();
        assert_eq!(map.position(x), Position { utf16: 4 + 3, line: 2, column: 3 });
        assert_eq!(map.position(0), Position { utf16: 0, line: 1, column: 1 });
        // Inside "é": its start.
        assert_eq!(map.position(3), Position { utf16: 2, line: 1, column: 3 });
        // Past the end: the end.
        assert_eq!(map.position(1000).utf16, "a é\n💶 x".encode_utf16().count());
    }

    #[test]
    fn a_diagnostic_keeps_every_label_with_both_ranges() {
        let source = "plan \"Ünïcode\" {\n    currency USD\n    bogus\n}\n";
        let checked = payplan_check::check_source(source);
        let map = SourceMap::new(source);
        let problems: Vec<Problem> = checked.diagnostics.iter().map(|d| Problem::from_diagnostic(&map, d)).collect();
        let first = problems.first().map(|p| (p.stage, p.range.map(|r| r.line)));
        assert_eq!(first, Some((Stage::Plan, Some(3))));
        for problem in &problems {
            let Some(range) = problem.range else { continue };
            let utf16: Vec<u16> = source.encode_utf16().collect();
            let bytes_text = source.get(range.start..range.end).map(str::to_string);
            let utf16_text = utf16.get(range.start_utf16..range.end_utf16).map(String::from_utf16_lossy);
            assert_eq!(bytes_text, utf16_text);
        }
    }
}
