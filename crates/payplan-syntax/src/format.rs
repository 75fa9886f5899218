//! `payplan fmt`: one canonical layout for plan files, every comment kept.
//!
//! The layout:
//! - 4 spaces of indentation per block level; one setting, declaration, clause, band,
//!   curve point, table entry or test statement per line; blocks open on their header
//!   line and close on a line of their own (`{}` when empty).
//! - Expressions on one line, one space around binary operators and after commas; the
//!   parentheses the author wrote are kept, no others are added.
//! - Literals are written as the author wrote their digits (`1_000_000`, `0.50`,
//!   `12.5%`); only the space in money and durations is normalised (`1_000 USD`,
//!   `90 days`). Strings keep their escapes. The `=>` of a table's entries line up.
//! - Blank lines: at most one in a row, kept where the author had one between two
//!   lines of the same block, never at the start or end of a block; exactly one between
//!   the plan (or `use`) and each test block.
//! - Comments: an own-line comment stays before the line that follows it, at that
//!   line's indentation; a comment after code on the same line stays there, and the
//!   trailing comments of consecutive lines at one indentation are aligned two spaces
//!   after the longest of those lines. A comment inside a construct printed on one line
//!   (a multi-line expression) moves just above it.
//!
//! [`format_source`] re-parses its output and refuses it unless the syntax tree is the
//! same as the input's (spans aside) and every comment is still there.

use crate::ast::*;
use crate::comments::{self, Comment};
use crate::{Diagnostic, Severity, Span};

/// Spaces per block level.
const INDENT: usize = 4;

/// Formats a plan file's text. Errors: the parser's diagnostics when the text does not
/// parse, or one diagnostic when the formatted text would not mean the same (a bug in
/// the formatter: nothing should be written then).
pub fn format_source(source: &str) -> Result<String, Vec<Diagnostic>> {
    let (file, diagnostics) = crate::parse(source);
    let file = match file {
        Some(file) if !diagnostics.iter().any(|d| d.severity == Severity::Error) => file,
        _ => return Err(diagnostics),
    };
    let formatted = format_file(&file, source);
    verify(&file, source, &formatted)?;
    Ok(formatted)
}

/// Lays out a parsed file (`source` is the text it was parsed from: literals and
/// comments are read from it). Does not verify the result; see [`format_source`].
pub fn format_file(file: &File, source: &str) -> String {
    let mut f = Formatter { source, comments: comments::scan(source), next: 0, lines: Vec::new(), prev_end: None };
    let mut first_top = true;
    if let Some(path) = &file.use_path {
        let start = keyword_before(source, path.span.start, "use");
        f.unit(0, start, path.span.end, format!("use {}", f.raw_string(path.span.start)));
        first_top = false;
    }
    if let Some(plan) = &file.plan {
        f.plan(plan);
        first_top = false;
    }
    for test in &file.tests {
        if !first_top {
            f.force_blank();
        }
        f.test_block(test);
        first_top = false;
    }
    f.rest();
    render(&f.lines)
}

/// The syntax tree as text with every span left out: two files mean the same when
/// their fingerprints are equal.
pub fn fingerprint(file: &File) -> String {
    strip_spans(&format!("{file:?}"))
}

/// Whether two parsed files are the same tree, spans aside.
pub fn same_tree(a: &File, b: &File) -> bool {
    fingerprint(a) == fingerprint(b)
}

/// Replaces every `Span { start: N, end: M }` of a Debug rendering by `_`.
fn strip_spans(debug: &str) -> String {
    const OPEN: &str = "Span { start: ";
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(rest.get(..at).unwrap_or(""));
        let after = rest.get(at..).unwrap_or("");
        match after.find('}') {
            Some(close) => {
                out.push('_');
                rest = after.get(close + 1..).unwrap_or("");
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Re-parses the formatted text and compares it with the original.
fn verify(original: &File, source: &str, formatted: &str) -> Result<(), Vec<Diagnostic>> {
    let refuse = |why: &str| {
        vec![Diagnostic::error("payplan::fmt", format!("the formatter would change this file ({why}); nothing was written"), Span::new(0, 0), "this file")
            .with_help("this is a bug in `payplan fmt`: please report it with the file")]
    };
    let (reparsed, diagnostics) = crate::parse(formatted);
    let Some(reparsed) = reparsed.filter(|_| diagnostics.is_empty()) else {
        return Err(refuse("its output does not parse"));
    };
    if !same_tree(original, &reparsed) {
        return Err(refuse("the syntax tree differs"));
    }
    let mut before: Vec<String> = comments::scan(source).into_iter().map(|c| c.text).collect();
    let mut after: Vec<String> = comments::scan(formatted).into_iter().map(|c| c.text).collect();
    before.sort();
    after.sort();
    if before != after {
        return Err(refuse("a comment would be lost"));
    }
    Ok(())
}

/// The start of `keyword` written before `at` (skipping whitespace and comments), or
/// `at` when it is not there.
fn keyword_before(source: &str, at: usize, keyword: &str) -> usize {
    let before = source.get(..at).unwrap_or("").trim_end();
    if before.ends_with(keyword) {
        before.len() - keyword.len()
    } else {
        at
    }
}

/// One line of output.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    /// An empty line.
    Blank,
    /// A comment on a line of its own.
    Comment { depth: usize, text: String },
    /// Code, with a trailing comment perhaps.
    Code { depth: usize, text: String, trailing: Option<String> },
}

struct Formatter<'s> {
    source: &'s str,
    comments: Vec<Comment>,
    /// The first comment not yet written.
    next: usize,
    lines: Vec<Line>,
    /// Where the last thing written in the current block ended in the source; `None`
    /// at the start of a block (no blank line there).
    prev_end: Option<usize>,
}

impl<'s> Formatter<'s> {
    // ------------------------------------------------------------ lines and comments

    /// Whether the source between `a` and `b` holds an empty line.
    fn blank_between(&self, a: usize, b: usize) -> bool {
        let gap = self.source.get(a.min(b)..b).unwrap_or("");
        let parts: Vec<&str> = gap.split('\n').collect();
        parts.len() > 2 && parts.iter().skip(1).take(parts.len() - 2).any(|p| p.trim().is_empty())
    }

    fn push_blank(&mut self) {
        if !matches!(self.lines.last(), None | Some(Line::Blank)) {
            self.lines.push(Line::Blank);
        }
    }

    /// A blank line before the next thing, whatever the source had (between top-level
    /// blocks).
    fn force_blank(&mut self) {
        self.push_blank();
        self.prev_end = None;
    }

    fn blank_if_written(&mut self, at: usize) {
        if let Some(prev) = self.prev_end {
            if self.blank_between(prev, at) {
                self.push_blank();
            }
        }
    }

    /// The end of the code in `[.., end)`: trailing whitespace and comments dropped
    /// (some spans run on over the trivia that follows them).
    fn code_end(&self, end: usize) -> usize {
        let mut end = end.min(self.source.len());
        loop {
            let trimmed = self.source.get(..end).unwrap_or("").trim_end().len();
            match self.comments.iter().find(|c| c.end == trimmed && c.end > c.start) {
                Some(c) => end = c.start,
                None => return trimmed,
            }
        }
    }

    /// Writes the comments before `start` and inside `[start, end)` (moved above the
    /// line), then the line, then its trailing comment.
    fn unit(&mut self, depth: usize, start: usize, end: usize, text: String) {
        let end = self.code_end(end).max(start);
        let mut hoisted = false;
        while let Some(c) = self.comments.get(self.next) {
            if c.start >= end {
                break;
            }
            let (c_start, c_end, c_text) = (c.start, c.end, c.text.clone());
            if c_start < start {
                self.blank_if_written(c_start);
            } else if !hoisted {
                self.blank_if_written(start);
                hoisted = true;
            }
            self.lines.push(Line::Comment { depth, text: c_text });
            self.prev_end = Some(if c_start < start { c_end } else { start });
            self.next += 1;
        }
        if !hoisted {
            self.blank_if_written(start);
        }
        let trailing = self.trailing_after(end);
        let last = trailing.as_ref().map_or(end, |c| c.end);
        self.lines.push(Line::Code { depth, text, trailing: trailing.map(|c| c.text) });
        self.prev_end = Some(last);
    }

    /// The comment after `end` on the same line, with only spaces or commas between.
    fn trailing_after(&mut self, end: usize) -> Option<Comment> {
        let c = self.comments.get(self.next)?;
        let gap = self.source.get(end..c.start)?;
        if c.start >= end && gap.chars().all(|ch| ch == ' ' || ch == '\t' || ch == ',') {
            self.next += 1;
            return Some(c.clone());
        }
        None
    }

    /// A block: header line up to `{`, children one level deeper, `}`.
    fn block(&mut self, depth: usize, start: usize, span: Span, header: String, has_children: bool, children: impl FnOnce(&mut Self)) {
        let close = self.code_end(span.end).saturating_sub(1).max(start);
        let open = self.open_brace(start, close);
        let inner_comment = self.comments.get(self.next..).unwrap_or(&[]).iter().any(|c| c.start > open && c.start < close);
        if !has_children && !inner_comment {
            self.unit(depth, start, close + 1, format!("{header} {{}}"));
            return;
        }
        self.unit(depth, start, open + 1, format!("{header} {{"));
        self.prev_end = None;
        children(self);
        while let Some(c) = self.comments.get(self.next) {
            if c.start >= close {
                break;
            }
            let (c_start, c_end, text) = (c.start, c.end, c.text.clone());
            self.blank_if_written(c_start);
            self.lines.push(Line::Comment { depth: depth + 1, text });
            self.prev_end = Some(c_end);
            self.next += 1;
        }
        let trailing = self.trailing_after(close + 1);
        let last = trailing.as_ref().map_or(close + 1, |c| c.end);
        self.lines.push(Line::Code { depth, text: "}".to_string(), trailing: trailing.map(|c| c.text) });
        self.prev_end = Some(last);
    }

    /// The `{` between `from` and `before` that is code (not in a comment or string).
    fn open_brace(&self, from: usize, before: usize) -> usize {
        let mut in_string = false;
        let mut escaped = false;
        let mut in_comment = false;
        for (i, c) in self.source.get(from..before).unwrap_or("").char_indices() {
            if in_comment {
                in_comment = c != '\n';
            } else if in_string {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => in_string = false,
                    _ => {}
                }
            } else {
                match c {
                    '#' => in_comment = true,
                    '"' => in_string = true,
                    '{' => return from + i,
                    _ => {}
                }
            }
        }
        before
    }

    /// Comments after the last construct, at the end of the file.
    fn rest(&mut self) {
        while let Some(c) = self.comments.get(self.next) {
            let (c_start, c_end, text) = (c.start, c.end, c.text.clone());
            self.blank_if_written(c_start);
            self.lines.push(Line::Comment { depth: 0, text });
            self.prev_end = Some(c_end);
            self.next += 1;
        }
    }

    // ------------------------------------------------------------ literals

    /// The digits of a number written at `at` (`1_000.50`).
    fn number_text(&self, at: usize) -> &'s str {
        let rest = self.source.get(at..).unwrap_or("");
        let len = rest.find(|c: char| !(c.is_ascii_digit() || c == '_' || c == '.')).unwrap_or(rest.len());
        rest.get(..len).unwrap_or("")
    }

    /// A string literal exactly as written at `at`, quotes and escapes included.
    fn raw_string(&self, at: usize) -> &'s str {
        let rest = self.source.get(at..).unwrap_or("");
        let mut escaped = false;
        for (i, c) in rest.char_indices().skip(1) {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => return rest.get(..i + 1).unwrap_or(rest),
                _ => {}
            }
        }
        rest
    }

    fn literal_text(&self, kind: &LiteralKind, span: Span) -> String {
        match kind {
            LiteralKind::Number(_) => self.number_text(span.start).to_string(),
            LiteralKind::Percent(_) => format!("{}%", self.number_text(span.start)),
            LiteralKind::Multiplier(_) => format!("{}x", self.number_text(span.start)),
            LiteralKind::Money(_, code) => format!("{} {code}", self.number_text(span.start)),
            LiteralKind::String(_) => self.raw_string(span.start).to_string(),
        }
    }

    fn literal(&self, literal: &Literal) -> String {
        self.literal_text(&literal.kind, literal.span)
    }

    fn record_id(&self, id: &RecordId) -> String {
        if self.source.get(id.span.start..).is_some_and(|s| s.starts_with('"')) {
            self.raw_string(id.span.start).to_string()
        } else {
            id.value.clone()
        }
    }

    // ------------------------------------------------------------ expressions

    fn expr(&self, e: &Expr) -> String {
        match &e.kind {
            ExprKind::Literal(kind) => self.literal_text(kind, e.span),
            ExprKind::Date(d) => d.text.clone(),
            ExprKind::Duration(_) => format!("{} days", self.number_text(e.span.start)),
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Name(name) => name.name.clone(),
            ExprKind::Field(record, name) => format!("{}.{}", record.keyword(), name.name),
            ExprKind::Call(callee, args) => format!("{}({})", callee.name, self.exprs(args)),
            ExprKind::Lookup(name, key) => format!("{}[{}]", name.name, self.expr(key)),
            ExprKind::Unary(UnaryOp::Neg, x) => format!("-{}", self.expr(x)),
            ExprKind::Unary(UnaryOp::Not, x) => format!("not {}", self.expr(x)),
            ExprKind::Binary(op, l, r) => format!("{} {} {}", self.expr(l), op.symbol(), self.expr(r)),
            ExprKind::If(c, a, b) => format!("if {} then {} else {}", self.expr(c), self.expr(a), self.expr(b)),
            ExprKind::List(items) => format!("[{}]", self.exprs(items)),
            ExprKind::Paren(x) => format!("({})", self.expr(x)),
        }
    }

    fn exprs(&self, items: &[Expr]) -> String {
        items.iter().map(|e| self.expr(e)).collect::<Vec<_>>().join(", ")
    }

    // ------------------------------------------------------------ the plan

    fn plan(&mut self, plan: &Plan) {
        let header = format!("plan {}", self.raw_string(plan.name.span.start));
        self.block(0, plan.span.start, plan.span, header, !plan.items.is_empty(), |f| {
            for item in &plan.items {
                f.item(item);
            }
        });
    }

    fn item(&mut self, item: &Item) {
        let (start, end) = (item.span.start, item.span.end);
        let line = |f: &mut Self, text: String| f.unit(1, start, end, text);
        match &item.kind {
            ItemKind::Currency(code) => line(self, format!("currency {}", code.name)),
            ItemKind::Term(a, b) => line(self, format!("term {} to {}", a.text, b.text)),
            ItemKind::Period(kind) => line(self, format!("period {}", kind.name)),
            ItemKind::Rounding(mode) => line(self, format!("rounding {}", mode.name)),
            ItemKind::Eligible(e) => {
                let text = format!("eligible {}", self.expr(e));
                line(self, text);
            }
            ItemKind::Prorate => line(self, "prorate by days".to_string()),
            ItemKind::Field(field) => line(self, format!("field {}.{}: {}", field.record.keyword(), field.name.name, field.ty.name)),
            ItemKind::Let(name, e) => {
                let text = format!("let {} = {}", name.name, self.expr(e));
                line(self, text);
            }
            ItemKind::Measure(m) => {
                let scope = if m.in_period { " in period" } else { "" };
                let text = format!("measure {} = {}{scope}", m.name.name, self.expr(&m.expr));
                line(self, text);
            }
            ItemKind::Cap(cap) => {
                let target = cap.target.as_ref().map_or("total", |t| t.name.as_str());
                let text = format!("cap {target} at {} per {}", self.expr(&cap.amount), cap.scope.name);
                line(self, text);
            }
            ItemKind::Draw(draw) => {
                let periods = match &draw.periods {
                    Some((_, span)) => {
                        let n = self.number_text(span.start);
                        format!(" for {n} {}", if n == "1" { "period" } else { "periods" })
                    }
                    None => String::new(),
                };
                let text = format!("draw {} {} per period{periods}", draw.kind.name, self.expr(&draw.amount));
                line(self, text);
            }
            ItemKind::Table(table) => {
                let count = table.entries.len();
                let keys: Vec<String> = table.entries.iter().map(|e| e.key.as_ref().map_or_else(|| "else".to_string(), |k| self.literal(k))).collect();
                let width = keys.iter().map(|k| k.chars().count()).max().unwrap_or(0);
                self.block(1, start, item.span, format!("table {}", table.name.name), count > 0, |f| {
                    for (i, (entry, key)) in table.entries.iter().zip(&keys).enumerate() {
                        let comma = if i + 1 < count { "," } else { "" };
                        let pad = " ".repeat(width.saturating_sub(key.chars().count()));
                        let text = format!("{key}{pad} => {}{comma}", f.expr(&entry.value));
                        f.unit(2, entry.span.start, entry.span.end, text);
                    }
                });
            }
            ItemKind::Credit(credit) => {
                self.block(1, start, item.span, format!("credit {}", credit.name.name), !credit.clauses.is_empty(), |f| {
                    for clause in &credit.clauses {
                        let text = f.credit_clause(&clause.kind);
                        f.unit(2, clause.span.start, clause.span.end, text);
                    }
                });
            }
            ItemKind::Commission(commission) => {
                self.block(1, start, item.span, format!("commission {}", commission.name.name), !commission.clauses.is_empty(), |f| {
                    for clause in &commission.clauses {
                        f.commission_clause(clause);
                    }
                });
            }
            ItemKind::Bonus(bonus) => {
                self.block(1, start, item.span, format!("bonus {}", bonus.name.name), !bonus.clauses.is_empty(), |f| {
                    for clause in &bonus.clauses {
                        let text = match &clause.kind {
                            BonusClauseKind::When(e) => format!("when {}", f.expr(e)),
                            BonusClauseKind::Pay { amount, per_period } => {
                                format!("pay {}{}", f.expr(amount), if *per_period { " per period" } else { "" })
                            }
                        };
                        f.unit(2, clause.span.start, clause.span.end, text);
                    }
                });
            }
            ItemKind::Spif(spif) => {
                self.block(1, start, item.span, format!("spif {}", spif.name.name), !spif.clauses.is_empty(), |f| {
                    for clause in &spif.clauses {
                        let text = match &clause.kind {
                            SpifClauseKind::On(rule) => format!("on {}", rule.name),
                            SpifClauseKind::Window(a, b) => format!("window {} to {}", a.text, b.text),
                            SpifClauseKind::When(e) => format!("when {}", f.expr(e)),
                            SpifClauseKind::Pay { amount, basis } => {
                                let basis = match basis {
                                    SpifBasis::PerBooking => "per booking",
                                    SpifBasis::OfCredit => "of credit",
                                };
                                format!("pay {} {basis}", f.expr(amount))
                            }
                        };
                        f.unit(2, clause.span.start, clause.span.end, text);
                    }
                });
            }
            ItemKind::Curve(curve) => {
                let header = format!("curve {} {}", curve.name.name, curve.kind.name);
                self.block(1, start, item.span, header, !curve.points.is_empty(), |f| {
                    for point in &curve.points {
                        let (x, y) = (f.literal(&point.x), f.literal(&point.y));
                        let text = match point.kind {
                            CurvePointKind::Below => format!("below {x}: {y}"),
                            CurvePointKind::At => format!("{x}: {y}"),
                            CurvePointKind::AndAbove => format!("{x} and above: {y}"),
                        };
                        f.unit(2, point.span.start, point.span.end, text);
                    }
                });
            }
        }
    }

    fn credit_clause(&self, kind: &CreditClauseKind) -> String {
        match kind {
            CreditClauseKind::When(e) => format!("when {}", self.expr(e)),
            CreditClauseKind::Amount(e) => format!("amount {}", self.expr(e)),
            CreditClauseKind::Date(e) => format!("date {}", self.expr(e)),
            CreditClauseKind::ToSplits => "to splits".to_string(),
            CreditClauseKind::To(e) => format!("to {}", self.expr(e)),
            CreditClauseKind::Split(shares) => {
                let shares: Vec<String> = shares.iter().map(|(who, share)| format!("{}: {}", self.expr(who), self.literal(share))).collect();
                format!("split {}", shares.join(", "))
            }
            CreditClauseKind::Rollup { rule, all_levels } => {
                format!("rollup {}{}", rule.name, if *all_levels { " all levels" } else { "" })
            }
            CreditClauseKind::Clawback(_, span) => format!("clawback within {} days", self.number_text(span.start)),
        }
    }

    fn commission_clause(&mut self, clause: &CommissionClause) {
        let (start, end) = (clause.span.start, clause.span.end);
        let text = match &clause.kind {
            CommissionClauseKind::On(measure) => format!("on {}", measure.name),
            CommissionClauseKind::Rate(e) => format!("rate {}", self.expr(e)),
            CommissionClauseKind::Gate(e) => format!("gate {}", self.expr(e)),
            CommissionClauseKind::Accelerator(factor, bound, measure) => {
                format!("accelerator {} above {} {}", self.literal(factor), self.literal(bound), measure.name)
            }
            CommissionClauseKind::Decelerator(factor, bound, measure) => {
                format!("decelerator {} below {} {}", self.literal(factor), self.literal(bound), measure.name)
            }
            CommissionClauseKind::Tiers(tiers) => {
                let header = format!("tiers {} by {}", tiers.mode.name, tiers.by.name);
                self.block(2, start, clause.span, header, !tiers.bands.is_empty(), |f| {
                    for band in &tiers.bands {
                        let value = f.literal(&band.value);
                        let text = match (&band.lower, &band.upper) {
                            (None, Some(upper)) => format!("below {}: {value}", f.literal(upper)),
                            (Some(lower), None) => format!("{} and above: {value}", f.literal(lower)),
                            (Some(lower), Some(upper)) => format!("{} to {}: {value}", f.literal(lower), f.literal(upper)),
                            (None, None) => value,
                        };
                        f.unit(3, band.span.start, band.span.end, text);
                    }
                });
                return;
            }
        };
        self.unit(2, start, end, text);
    }

    // ------------------------------------------------------------ tests

    fn test_block(&mut self, test: &TestBlock) {
        let header = format!("test {}", self.raw_string(test.name.span.start));
        self.block(0, test.span.start, test.span, header, !test.statements.is_empty(), |f| {
            for statement in &test.statements {
                let text = f.test_statement(&statement.kind);
                f.unit(1, statement.span.start, statement.span.end, text);
            }
        });
    }

    fn record(&self, fields: &[(Ident, Expr)]) -> String {
        if fields.is_empty() {
            return "{}".to_string();
        }
        let fields: Vec<String> = fields.iter().map(|(name, value)| format!("{}: {}", name.name, self.expr(value))).collect();
        format!("{{ {} }}", fields.join(", "))
    }

    fn test_statement(&self, kind: &TestStatementKind) -> String {
        match kind {
            TestStatementKind::Payee(id, fields) => format!("payee {} {}", self.record_id(id), self.record(fields)),
            TestStatementKind::Booking(id, fields) => format!("booking {} {}", self.record_id(id), self.record(fields)),
            TestStatementKind::Account(id, fields) => format!("account {} {}", self.record_id(id), self.record(fields)),
            TestStatementKind::Split(id, shares) => {
                if shares.is_empty() {
                    return format!("split {} {{}}", self.record_id(id));
                }
                let shares: Vec<String> = shares.iter().map(|(who, share)| format!("{}: {}", self.record_id(who), self.literal(share))).collect();
                format!("split {} {{ {} }}", self.record_id(id), shares.join(", "))
            }
            TestStatementKind::Quota(id, name, period, value) => {
                format!("quota {} {} {} = {}", self.record_id(id), self.raw_string(name.span.start), period.name, self.expr(value))
            }
            TestStatementKind::Metric(id, name, period, value) => {
                format!("metric {} {} {} = {}", self.record_id(id), self.raw_string(name.span.start), period.name, self.expr(value))
            }
            TestStatementKind::Fx(code, date, value) => format!("fx {} {} = {}", code.name, date.text, self.expr(value)),
            TestStatementKind::ExpectLine { payee, period, line, value } => {
                let period = period.as_ref().map(|p| format!(" {}", p.name)).unwrap_or_default();
                format!("expect {}{period} {} == {}", self.record_id(payee), line.name, self.expr(value))
            }
            TestStatementKind::ExpectUnpaid(value) => format!("expect unpaid == {}", self.expr(value)),
        }
    }
}

/// The lines as text; trailing comments of consecutive code lines at one depth share a
/// column.
fn render(lines: &[Line]) -> String {
    let mut columns = vec![0usize; lines.len()];
    let mut i = 0;
    while let Some(line) = lines.get(i) {
        let Line::Code { depth: run_depth, .. } = line else {
            i += 1;
            continue;
        };
        let run_len = lines.get(i..).unwrap_or(&[]).iter().take_while(|l| matches!(l, Line::Code { depth, .. } if depth == run_depth)).count();
        let run = lines.get(i..i + run_len).unwrap_or(&[]);
        let width = run
            .iter()
            .filter_map(|l| match l {
                Line::Code { depth, text, trailing: Some(_) } => Some(depth * INDENT + text.chars().count()),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        for column in columns.get_mut(i..i + run_len).unwrap_or(&mut []) {
            *column = width + 2;
        }
        i += run_len.max(1);
    }
    let mut out = String::new();
    for (line, column) in lines.iter().zip(columns) {
        match line {
            Line::Blank => {}
            Line::Comment { depth, text } => {
                out.push_str(&" ".repeat(depth * INDENT));
                out.push_str(text);
            }
            Line::Code { depth, text, trailing } => {
                let code = format!("{}{text}", " ".repeat(depth * INDENT));
                out.push_str(&code);
                if let Some(comment) = trailing {
                    let pad = column.saturating_sub(code.chars().count()).max(2);
                    out.push_str(&" ".repeat(pad));
                    out.push_str(comment);
                }
            }
        }
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(source: &str) -> String {
        match format_source(source) {
            Ok(text) => text,
            Err(d) => panic!("{d:#?}"),
        }
    }

    #[test]
    fn lays_out_a_plan_canonically() {
        let source = "plan \"p\" {currency USD term 2027-01-01 to 2027-12-31\n\n\n period quarter\n credit direct { when booking.status==\"won\" to splits }\n measure bookings=credited( direct )\n commission base{on bookings rate 8%}\n bonus b { }\n}";
        assert_eq!(
            fmt(source),
            "plan \"p\" {\n    currency USD\n    term 2027-01-01 to 2027-12-31\n\n    period quarter\n    credit direct {\n        when booking.status == \"won\"\n        to splits\n    }\n    measure bookings = credited(direct)\n    commission base {\n        on bookings\n        rate 8%\n    }\n    bonus b {}\n}\n"
        );
    }

    #[test]
    fn keeps_numbers_as_written() {
        let out = fmt("plan \"p\" { let a = 1_000_000 let b = 0.50 let c = 12.50% let d = 1.5x let e = 1_000USD let f = 90   days }");
        assert!(out.contains("let a = 1_000_000\n"), "{out}");
        assert!(out.contains("let b = 0.50\n"), "{out}");
        assert!(out.contains("let c = 12.50%\n"), "{out}");
        assert!(out.contains("let d = 1.5x\n"), "{out}");
        assert!(out.contains("let e = 1_000 USD\n"), "{out}");
        assert!(out.contains("let f = 90 days\n"), "{out}");
    }

    #[test]
    fn keeps_every_comment() {
        let source = "# head\n\nplan \"p\" { # on the header\n  currency USD # code\n  # own line\n  let x = 1 +   # inside\n     2\n  table t { \"a\" => 1, # first\n \"b\" => 2 }\n  # before the end\n} # after\n# tail\n";
        let out = fmt(source);
        assert_eq!(
            out,
            "# head\n\nplan \"p\" {  # on the header\n    currency USD  # code\n    # own line\n    # inside\n    let x = 1 + 2\n    table t {\n        \"a\" => 1,  # first\n        \"b\" => 2\n    }\n    # before the end\n}  # after\n# tail\n"
        );
        assert_eq!(fmt(&out), out);
    }

    #[test]
    fn aligns_trailing_comments_of_a_run() {
        let out = fmt("plan \"p\" {\n currency USD # a\n term 2027-01-01 to 2027-12-31\n period quarter # b\n\n let x = 1 # c\n}\n");
        assert_eq!(out, "plan \"p\" {\n    currency USD    # a\n    term 2027-01-01 to 2027-12-31\n    period quarter  # b\n\n    let x = 1  # c\n}\n");
    }

    #[test]
    fn hash_in_a_string_is_not_a_comment() {
        let out = fmt("plan \"Team #1\" { table t { \"#a\" => 1 } }");
        assert_eq!(out, "plan \"Team #1\" {\n    table t {\n        \"#a\" => 1\n    }\n}\n");
    }

    #[test]
    fn formats_tests_and_use() {
        let source = "use \"a.plan\"\ntest \"t\" { payee alice {role:\"AE\",target_incentive:100_000USD} split b1 {alice:60%,\"B-2\":40%}\n quota alice \"bookings\" Y1 = 1_000 USD expect alice Q1 base == 48_000 USD expect alice balance == 0 USD expect unpaid==0 USD }\ntest \"u\" {}";
        assert_eq!(
            fmt(source),
            "use \"a.plan\"\n\ntest \"t\" {\n    payee alice { role: \"AE\", target_incentive: 100_000 USD }\n    split b1 { alice: 60%, \"B-2\": 40% }\n    quota alice \"bookings\" Y1 = 1_000 USD\n    expect alice Q1 base == 48_000 USD\n    expect alice balance == 0 USD\n    expect unpaid == 0 USD\n}\n\ntest \"u\" {}\n"
        );
    }

    #[test]
    fn refuses_text_that_does_not_parse() {
        assert!(format_source("plan \"p\" { let x = }").is_err());
    }

    #[test]
    fn fingerprints_ignore_spans() {
        let (a, _) = crate::parse("plan \"p\" { let x = 1 + 2 }");
        let (b, _) = crate::parse("plan \"p\" {\n\n   let x =   1+2\n}");
        let (c, _) = crate::parse("plan \"p\" { let x = 1 + 3 }");
        let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
        assert!(same_tree(&a, &b));
        assert!(!same_tree(&a, &c));
        assert!(!fingerprint(&a).contains("start"));
    }
}
