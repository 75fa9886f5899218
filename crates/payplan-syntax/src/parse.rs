//! pest pairs → AST. Precedence is decided here by a Pratt parser; the grammar only
//! lists operands and operators.

use crate::ast::*;
use crate::suggest::closest;
use crate::{Diagnostic, Span, RESERVED};
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser as _;
use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::LazyLock;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/payplan.pest"]
struct PlanParser;

/// Operator precedence, lowest first (language.md section 4). `if` binds loosest and is
/// a primary whose `else` branch is a whole expression, so it reaches as far right as
/// it can.
static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::or_op, Assoc::Left))
        .op(Op::infix(Rule::and_op, Assoc::Left))
        .op(Op::prefix(Rule::not_op))
        .op(Op::infix(Rule::cmp_op, Assoc::Left) | Op::infix(Rule::in_op, Assoc::Left) | Op::infix(Rule::assign_mistake, Assoc::Left))
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left) | Op::infix(Rule::div, Assoc::Left) | Op::infix(Rule::of_op, Assoc::Left))
        .op(Op::prefix(Rule::neg))
});

/// Longest plan file accepted, in bytes (a guard against runaway input).
pub const MAX_SOURCE_BYTES: usize = 4 * 1024 * 1024;
/// Deepest nesting of brackets accepted (pest recurses once per level).
const MAX_NESTING: usize = 64;
/// Most `if`s in one file (each `else if` nests one level deeper in pest).
const MAX_IFS: usize = 1000;
/// Longest run of prefix operators (`- - x`, `not not x`).
const MAX_PREFIX_RUN: usize = 32;
/// Deepest expression tree accepted: later stages walk expressions recursively.
pub const MAX_EXPR_DEPTH: usize = 200;

/// Parses a whole `.plan` file. Returns the AST when the text is well formed, and every
/// diagnostic found (literal problems such as an oversized number are collected; a
/// grammar error stops at the first).
pub fn parse(source: &str) -> (Option<File>, Vec<Diagnostic>) {
    if source.len() > MAX_SOURCE_BYTES {
        let span = Span::new(0, 0);
        return (
            None,
            vec![Diagnostic::error(
                "payplan::limit",
                format!("the plan file is {} bytes, more than the limit of {} bytes", source.len(), MAX_SOURCE_BYTES),
                span,
                "file starts here",
            )],
        );
    }
    if let Some(diagnostic) = check_nesting(source) {
        return (None, vec![diagnostic]);
    }
    match PlanParser::parse(Rule::file, source) {
        Ok(pairs) => {
            let mut builder = Builder { source, diagnostics: Vec::new(), depth_reported: false };
            let file = builder.file(pairs);
            (Some(file), builder.diagnostics)
        }
        Err(error) => (None, vec![grammar_error(source, &error)]),
    }
}

/// Rejects input whose nesting would make the parser, checker or engine recurse too
/// deep: bracket depth, `if` count and runs of prefix operators.
fn check_nesting(source: &str) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut ifs = 0usize;
    let mut prefix_run = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    let mut previous_word_char = false;
    let bytes = source.as_bytes();
    let too_deep = |at: usize, message: String, help: &str| {
        Some(Diagnostic::error("payplan::limit", message, Span::new(at, at + 1), "too deep").with_help(help.to_string()))
    };
    for (at, c) in source.char_indices() {
        let word_char = c.is_ascii_alphanumeric() || c == '_';
        let starts_word = word_char && !previous_word_char;
        previous_word_char = word_char;
        if in_comment {
            in_comment = c != '\n';
            continue;
        }
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') | (false, '\n') => in_string = false,
                _ => {}
            }
            continue;
        }
        let word_is = |w: &str| {
            starts_word
                && bytes.get(at..at + w.len()) == Some(w.as_bytes())
                && !bytes.get(at + w.len()).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        };
        if c == '-' || word_is("not") {
            prefix_run += 1;
            if prefix_run > MAX_PREFIX_RUN {
                return too_deep(at, format!("more than {MAX_PREFIX_RUN} prefix operators in a row"), "write the expression without repeating `-` or `not`");
            }
        } else if !c.is_whitespace() && (!word_char || starts_word) {
            prefix_run = 0;
        }
        if word_is("if") {
            ifs += 1;
            if ifs > MAX_IFS {
                return too_deep(at, format!("more than {MAX_IFS} `if` expressions in one file"), "look values up in a `table` instead of chaining `if`s");
            }
        }
        match c {
            '#' => in_comment = true,
            '"' => in_string = true,
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return too_deep(at, format!("brackets nest more than {MAX_NESTING} deep"), "split the expression with `let`");
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// The span of a pair without the whitespace and comments pest's implicit whitespace
/// may have taken after its last token (a clause ending in an expression would
/// otherwise run on to the next line).
fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), trimmed_end(s.get_input(), s.start(), s.end()))
}

/// The end of `input[start..end]` once trailing whitespace and comments are dropped.
fn trimmed_end(input: &str, start: usize, mut end: usize) -> usize {
    loop {
        let text = input.get(start..end).unwrap_or("");
        let trimmed = text.trim_end().len();
        end = start + trimmed;
        // A comment on the last line? Strings cannot span lines, so scanning the line
        // from its start tells whether a `#` is inside a string.
        let line_start = text.get(..trimmed).and_then(|t| t.rfind('\n')).map_or(start, |i| start + i + 1);
        let line = input.get(line_start..end).unwrap_or("");
        let mut in_string = false;
        let mut escaped = false;
        let mut comment_at = None;
        for (i, c) in line.char_indices() {
            match (in_string, escaped, c) {
                (true, true, _) => escaped = false,
                (true, false, '\\') => escaped = true,
                (true, false, '"') => in_string = false,
                (false, _, '"') => in_string = true,
                (false, _, '#') => {
                    comment_at = Some(i);
                    break;
                }
                _ => {}
            }
        }
        match comment_at {
            Some(i) if line_start + i > start => end = line_start + i,
            _ => return end,
        }
    }
}

/// Walks pest pairs into the AST, collecting literal problems.
struct Builder<'s> {
    source: &'s str,
    diagnostics: Vec<Diagnostic>,
    depth_reported: bool,
}

impl<'s> Builder<'s> {
    fn file(&mut self, mut pairs: Pairs<'s, Rule>) -> File {
        let mut file = File { plan: None, use_path: None, tests: Vec::new() };
        let Some(root) = pairs.next() else { return file };
        for pair in root.into_inner() {
            match pair.as_rule() {
                Rule::plan => file.plan = Some(self.plan(pair)),
                Rule::use_decl => file.use_path = pair.into_inner().next().map(|p| self.string(p)),
                Rule::test_block => file.tests.push(self.test_block(pair)),
                _ => {}
            }
        }
        file
    }

    fn plan(&mut self, pair: Pair<'s, Rule>) -> Plan {
        let span = span_of(&pair);
        let mut inner = pair.into_inner();
        let name = inner.next().map(|p| self.string(p)).unwrap_or(StringLit { value: String::new(), span });
        let items = inner.map(|p| self.item(p)).collect();
        Plan { name, items, span }
    }

    fn item(&mut self, pair: Pair<'s, Rule>) -> Item {
        let span = span_of(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        let kind = match rule {
            Rule::currency_setting => ItemKind::Currency(self.ident_opt(inner.next(), span)),
            Rule::term_setting => {
                let start = self.date_opt(inner.next(), span);
                let end = self.date_opt(inner.next(), span);
                ItemKind::Term(start, end)
            }
            Rule::period_setting => ItemKind::Period(self.ident_opt(inner.next(), span)),
            Rule::rounding_setting => ItemKind::Rounding(self.ident_opt(inner.next(), span)),
            Rule::eligible_setting => ItemKind::Eligible(self.expr_opt(inner.next(), span)),
            Rule::prorate_setting => ItemKind::Prorate,
            Rule::field_decl => {
                let record = match inner.next().map(|p| p.as_str()) {
                    Some("payee") => Record::Payee,
                    _ => Record::Booking,
                };
                let name = self.ident_opt(inner.next(), span);
                let ty = self.ident_opt(inner.next(), span);
                ItemKind::Field(FieldDecl { record, name, ty })
            }
            Rule::let_decl => {
                let name = self.ident_opt(inner.next(), span);
                let expr = self.expr_opt(inner.next(), span);
                ItemKind::Let(name, expr)
            }
            Rule::table_decl => {
                let name = self.ident_opt(inner.next(), span);
                let entries = inner.map(|p| self.table_entry(p)).collect();
                ItemKind::Table(TableDecl { name, entries })
            }
            Rule::credit_decl => {
                let name = self.ident_opt(inner.next(), span);
                let clauses = inner.map(|p| self.credit_clause(p)).collect();
                ItemKind::Credit(CreditDecl { name, clauses })
            }
            Rule::measure_decl => {
                let name = self.ident_opt(inner.next(), span);
                let expr = self.expr_opt(inner.next(), span);
                let in_period = inner.next().is_some();
                ItemKind::Measure(MeasureDecl { name, expr, in_period })
            }
            Rule::commission_decl => {
                let name = self.ident_opt(inner.next(), span);
                let clauses = inner.map(|p| self.commission_clause(p)).collect();
                ItemKind::Commission(CommissionDecl { name, clauses })
            }
            Rule::bonus_decl => {
                let name = self.ident_opt(inner.next(), span);
                let clauses = inner.map(|p| self.bonus_clause(p)).collect();
                ItemKind::Bonus(BonusDecl { name, clauses })
            }
            Rule::spif_decl => {
                let name = self.ident_opt(inner.next(), span);
                let clauses = inner.map(|p| self.spif_clause(p)).collect();
                ItemKind::Spif(SpifDecl { name, clauses })
            }
            Rule::curve_decl => {
                let name = self.ident_opt(inner.next(), span);
                let kind = self.ident_opt(inner.next(), span);
                let points = inner.map(|p| self.curve_point(p)).collect();
                ItemKind::Curve(CurveDecl { name, kind, points })
            }
            Rule::cap_decl => {
                let target_pair = inner.next();
                let target_span = target_pair.as_ref().map_or(span, span_of);
                let target = target_pair.and_then(|p| p.into_inner().next()).filter(|p| p.as_rule() == Rule::ident).map(|p| self.ident(p));
                let amount = self.expr_opt(inner.next(), span);
                let scope = self.ident_opt(inner.next(), span);
                ItemKind::Cap(CapDecl { target, target_span, amount, scope })
            }
            Rule::draw_decl => {
                let kind = self.ident_opt(inner.next(), span);
                let amount = self.expr_opt(inner.next(), span);
                let periods = inner.next().and_then(|p| p.into_inner().next()).map(|p| {
                    let s = span_of(&p);
                    (self.decimal(p.as_str(), s), s)
                });
                ItemKind::Draw(DrawDecl { kind, amount, periods })
            }
            _ => ItemKind::Prorate,
        };
        Item { kind, span }
    }

    fn table_entry(&mut self, pair: Pair<'s, Rule>) -> TableEntry {
        let span = span_of(&pair);
        let mut inner = pair.into_inner();
        let key = inner.next().and_then(|k| match k.as_rule() {
            Rule::table_key => k.into_inner().next().map(|p| self.literal(p)),
            _ => None,
        });
        let value = self.expr_opt(inner.next(), span);
        TableEntry { key, value, span }
    }

    fn credit_clause(&mut self, pair: Pair<'s, Rule>) -> CreditClause {
        let span = span_of(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        let kind = match rule {
            Rule::when_clause => CreditClauseKind::When(self.expr_opt(inner.next(), span)),
            Rule::amount_clause => CreditClauseKind::Amount(self.expr_opt(inner.next(), span)),
            Rule::date_clause => CreditClauseKind::Date(self.expr_opt(inner.next(), span)),
            Rule::to_splits => CreditClauseKind::ToSplits,
            Rule::to_expr => CreditClauseKind::To(self.expr_opt(inner.next(), span)),
            Rule::split_clause => CreditClauseKind::Split(
                inner
                    .map(|share| {
                        let share_span = span_of(&share);
                        let mut parts = share.into_inner();
                        let who = self.expr_opt(parts.next(), share_span);
                        let how_much = self.literal_opt(parts.next().and_then(|p| p.into_inner().next()), share_span);
                        (who, how_much)
                    })
                    .collect(),
            ),
            Rule::rollup_clause => {
                let rule = self.ident_opt(inner.next(), span);
                CreditClauseKind::Rollup { rule, all_levels: inner.next().is_some() }
            }
            Rule::clawback_clause => {
                let duration = inner.next();
                let days_span = duration.as_ref().map_or(span, span_of);
                let days = duration.and_then(|d| d.into_inner().next()).map(|n| self.decimal(n.as_str(), days_span)).unwrap_or_default();
                CreditClauseKind::Clawback(days, days_span)
            }
            _ => CreditClauseKind::ToSplits,
        };
        CreditClause { kind, span }
    }

    fn commission_clause(&mut self, pair: Pair<'s, Rule>) -> CommissionClause {
        let span = span_of(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        let kind = match rule {
            Rule::on_clause => CommissionClauseKind::On(self.ident_opt(inner.next(), span)),
            Rule::rate_clause => CommissionClauseKind::Rate(self.expr_opt(inner.next(), span)),
            Rule::gate_clause => CommissionClauseKind::Gate(self.expr_opt(inner.next(), span)),
            Rule::tiers_clause => {
                let mode = self.ident_opt(inner.next(), span);
                let by = self.ident_opt(inner.next(), span);
                let bands = inner.map(|b| self.band(b)).collect();
                CommissionClauseKind::Tiers(Tiers { mode, by, bands })
            }
            Rule::accelerator_clause | Rule::decelerator_clause => {
                let factor = self.literal_opt(inner.next(), span);
                let bound = self.literal_opt(inner.next().and_then(|p| p.into_inner().next()), span);
                let measure = self.ident_opt(inner.next(), span);
                if rule == Rule::accelerator_clause {
                    CommissionClauseKind::Accelerator(factor, bound, measure)
                } else {
                    CommissionClauseKind::Decelerator(factor, bound, measure)
                }
            }
            _ => CommissionClauseKind::Gate(self.expr_opt(None, span)),
        };
        CommissionClause { kind, span }
    }

    fn band(&mut self, pair: Pair<'s, Rule>) -> Band {
        let span = span_of(&pair);
        let mut inner = pair.into_inner();
        let (lower, upper) = match inner.next() {
            Some(shape) => {
                let rule = shape.as_rule();
                let mut bounds: Vec<Literal> = shape.into_inner().filter_map(|b| b.into_inner().next()).map(|b| self.literal(b)).collect();
                match rule {
                    Rule::band_below => (None, bounds.pop()),
                    Rule::band_above => (bounds.pop(), None),
                    _ => {
                        let upper = bounds.pop();
                        (bounds.pop(), upper)
                    }
                }
            }
            None => (None, None),
        };
        let value = self.literal_opt(inner.next().and_then(|v| v.into_inner().next()), span);
        Band { lower, upper, value, span }
    }

    fn bonus_clause(&mut self, pair: Pair<'s, Rule>) -> BonusClause {
        let span = span_of(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        let kind = match rule {
            Rule::when_clause => BonusClauseKind::When(self.expr_opt(inner.next(), span)),
            _ => {
                let amount = self.expr_opt(inner.next(), span);
                BonusClauseKind::Pay { amount, per_period: inner.next().is_some() }
            }
        };
        BonusClause { kind, span }
    }

    fn spif_clause(&mut self, pair: Pair<'s, Rule>) -> SpifClause {
        let span = span_of(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        let kind = match rule {
            Rule::on_clause => SpifClauseKind::On(self.ident_opt(inner.next(), span)),
            Rule::window_clause => {
                let start = self.date_opt(inner.next(), span);
                let end = self.date_opt(inner.next(), span);
                SpifClauseKind::Window(start, end)
            }
            Rule::when_clause => SpifClauseKind::When(self.expr_opt(inner.next(), span)),
            _ => {
                let amount = self.expr_opt(inner.next(), span);
                let basis = match inner.next().map(|p| p.as_rule()) {
                    Some(Rule::of_credit) => SpifBasis::OfCredit,
                    _ => SpifBasis::PerBooking,
                };
                SpifClauseKind::Pay { amount, basis }
            }
        };
        SpifClause { kind, span }
    }

    fn curve_point(&mut self, pair: Pair<'s, Rule>) -> CurvePoint {
        let span = span_of(&pair);
        let mut inner = pair.into_inner();
        let shape = inner.next();
        let kind = match shape.as_ref().map(|s| s.as_rule()) {
            Some(Rule::curve_below) => CurvePointKind::Below,
            Some(Rule::curve_above) => CurvePointKind::AndAbove,
            _ => CurvePointKind::At,
        };
        let x = self.literal_opt(shape.and_then(|s| s.into_inner().next()).and_then(|x| x.into_inner().next()), span);
        let y = self.literal_opt(inner.next().and_then(|v| v.into_inner().next()), span);
        CurvePoint { kind, x, y, span }
    }

    fn test_block(&mut self, pair: Pair<'s, Rule>) -> TestBlock {
        let span = span_of(&pair);
        let mut inner = pair.into_inner();
        let name = inner.next().map(|p| self.string(p)).unwrap_or(StringLit { value: String::new(), span });
        let statements = inner.map(|p| self.test_statement(p)).collect();
        TestBlock { name, statements, span }
    }

    fn test_statement(&mut self, pair: Pair<'s, Rule>) -> TestStatement {
        let span = span_of(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        let kind = match rule {
            Rule::test_payee | Rule::test_booking | Rule::test_account => {
                let id = self.record_id_opt(inner.next(), span);
                let fields = inner.next().map(|r| self.record(r)).unwrap_or_default();
                match rule {
                    Rule::test_payee => TestStatementKind::Payee(id, fields),
                    Rule::test_booking => TestStatementKind::Booking(id, fields),
                    _ => TestStatementKind::Account(id, fields),
                }
            }
            Rule::test_split => {
                let id = self.record_id_opt(inner.next(), span);
                let shares = inner
                    .map(|share| {
                        let share_span = span_of(&share);
                        let mut parts = share.into_inner();
                        let who = self.record_id_opt(parts.next(), share_span);
                        let how_much = self.literal_opt(parts.next().and_then(|p| p.into_inner().next()), share_span);
                        (who, how_much)
                    })
                    .collect();
                TestStatementKind::Split(id, shares)
            }
            Rule::test_quota | Rule::test_metric => {
                let id = self.record_id_opt(inner.next(), span);
                let name = inner.next().map(|p| self.string(p)).unwrap_or(StringLit { value: String::new(), span });
                let period = self.ident_opt(inner.next(), span);
                let value = self.expr_opt(inner.next(), span);
                if rule == Rule::test_quota {
                    TestStatementKind::Quota(id, name, period, value)
                } else {
                    TestStatementKind::Metric(id, name, period, value)
                }
            }
            Rule::test_fx => {
                let currency = self.ident_opt(inner.next(), span);
                let date = self.date_opt(inner.next(), span);
                let value = self.expr_opt(inner.next(), span);
                TestStatementKind::Fx(currency, date, value)
            }
            _ => {
                let expectation = inner.next();
                match expectation {
                    Some(e) if e.as_rule() == Rule::expect_unpaid => {
                        let e_span = span_of(&e);
                        TestStatementKind::ExpectUnpaid(self.expr_opt(e.into_inner().next(), e_span))
                    }
                    Some(e) => {
                        let e_span = span_of(&e);
                        let mut parts = e.into_inner();
                        let payee = self.record_id_opt(parts.next(), e_span);
                        let mut rest: Vec<Pair<'s, Rule>> = parts.collect();
                        let value = self.expr_opt(rest.pop(), e_span);
                        let line = self.ident_opt(rest.pop(), e_span);
                        let period = rest.pop().map(|p| self.ident(p));
                        TestStatementKind::ExpectLine { payee, period, line, value }
                    }
                    None => TestStatementKind::ExpectUnpaid(self.expr_opt(None, span)),
                }
            }
        };
        TestStatement { kind, span }
    }

    fn record(&mut self, pair: Pair<'s, Rule>) -> Vec<(Ident, Expr)> {
        pair.into_inner()
            .map(|field| {
                let field_span = span_of(&field);
                let mut parts = field.into_inner();
                let name = self.ident_opt(parts.next(), field_span);
                let value = self.expr_opt(parts.next(), field_span);
                (name, value)
            })
            .collect()
    }

    fn record_id_opt(&mut self, pair: Option<Pair<'s, Rule>>, fallback: Span) -> RecordId {
        match pair.and_then(|p| p.into_inner().next()) {
            Some(p) if p.as_rule() == Rule::string => {
                let s = self.string(p);
                RecordId { value: s.value, span: s.span }
            }
            Some(p) => RecordId { value: p.as_str().to_string(), span: span_of(&p) },
            None => RecordId { value: String::new(), span: fallback },
        }
    }

    // ------------------------------------------------------------ expressions

    fn expr_opt(&mut self, pair: Option<Pair<'s, Rule>>, fallback: Span) -> Expr {
        match pair {
            Some(p) => self.expr(p),
            None => Expr { kind: ExprKind::Bool(false), span: fallback },
        }
    }

    fn expr(&mut self, pair: Pair<'s, Rule>) -> Expr {
        let (expr, depth) = self.expr_with_depth(pair);
        if depth > MAX_EXPR_DEPTH && !self.depth_reported {
            self.depth_reported = true;
            self.diagnostics.push(
                Diagnostic::error("payplan::limit", format!("this expression nests more than {MAX_EXPR_DEPTH} levels deep"), expr.span, "too deep")
                    .with_help("split it into named parts with `let`"),
            );
        }
        expr
    }

    /// An expression and the depth of its tree.
    fn expr_with_depth(&mut self, pair: Pair<'s, Rule>) -> (Expr, usize) {
        let pairs = pair.into_inner();
        // The closures below need `&mut self`; the Pratt parser takes them all at once,
        // so literal diagnostics go through a cell.
        let this = std::cell::RefCell::new(self);
        let expr = PRATT
            .map_primary(|primary| this.borrow_mut().primary(primary))
            .map_prefix(|op, (operand, depth)| {
                let span = span_of(&op).to(operand.span);
                let op = if op.as_rule() == Rule::neg { UnaryOp::Neg } else { UnaryOp::Not };
                if depth + 1 > MAX_EXPR_DEPTH {
                    return (Expr { kind: ExprKind::Bool(false), span }, MAX_EXPR_DEPTH + 1);
                }
                (Expr { kind: ExprKind::Unary(op, Box::new(operand)), span }, depth + 1)
            })
            .map_infix(|(lhs, left_depth), op, (rhs, right_depth)| {
                let span = lhs.span.to(rhs.span);
                let op_span = span_of(&op);
                let op = match op.as_rule() {
                    Rule::or_op => BinaryOp::Or,
                    Rule::and_op => BinaryOp::And,
                    Rule::in_op => BinaryOp::In,
                    Rule::add => BinaryOp::Add,
                    Rule::sub => BinaryOp::Sub,
                    Rule::mul => BinaryOp::Mul,
                    Rule::div => BinaryOp::Div,
                    Rule::of_op => BinaryOp::Of,
                    Rule::assign_mistake => BinaryOp::AssignMistake,
                    _ => match op.as_str() {
                        "==" => BinaryOp::Eq,
                        "!=" => BinaryOp::Ne,
                        "<" => BinaryOp::Lt,
                        "<=" => BinaryOp::Le,
                        ">" => BinaryOp::Gt,
                        _ => BinaryOp::Ge,
                    },
                };
                if op.is_comparison() {
                    if let ExprKind::Binary(inner, _, _) = &lhs.kind {
                        if inner.is_comparison() && op != BinaryOp::AssignMistake && *inner != BinaryOp::AssignMistake {
                            let written = span.text(this.borrow().source).to_string();
                            this.borrow_mut().diagnostics.push(
                                Diagnostic::error("payplan::parse", format!("comparisons do not chain: `{written}`"), op_span, "second comparison")
                                    .with_help("join two comparisons with `and`: `a < b and b < c`"),
                            );
                            // Reported: stand in a plain condition, so no type error follows.
                            return (Expr { kind: ExprKind::Bool(false), span }, left_depth.max(right_depth) + 1);
                        }
                    }
                }
                let depth = left_depth.max(right_depth) + 1;
                if depth > MAX_EXPR_DEPTH {
                    // Too deep: stop growing the tree (it is an error anyway, and a deep
                    // tree would overflow the stack of every later recursive walk, drop included).
                    return (Expr { kind: ExprKind::Bool(false), span }, depth.min(MAX_EXPR_DEPTH + 1));
                }
                (Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span }, depth)
            })
            .parse(pairs);
        expr
    }

    fn primary(&mut self, pair: Pair<'s, Rule>) -> (Expr, usize) {
        let span = span_of(&pair);
        let rule = pair.as_rule();
        let mut depth = 1usize;
        let mut sub = |this: &mut Self, p: Pair<'s, Rule>| {
            let (e, d) = this.expr_with_depth(p);
            depth = depth.max(d + 1);
            e
        };
        let kind = match rule {
            Rule::paren => ExprKind::Paren(Box::new(match pair.into_inner().next() {
                Some(p) => sub(self, p),
                None => self.expr_opt(None, span),
            })),
            Rule::list => ExprKind::List(pair.into_inner().map(|p| sub(self, p)).collect()),
            Rule::if_expr => {
                let mut parts: Vec<Expr> = pair.into_inner().map(|p| sub(self, p)).collect();
                let otherwise = parts.pop().unwrap_or_else(|| self.expr_opt(None, span));
                let then = parts.pop().unwrap_or_else(|| self.expr_opt(None, span));
                let cond = parts.pop().unwrap_or_else(|| self.expr_opt(None, span));
                ExprKind::If(Box::new(cond), Box::new(then), Box::new(otherwise))
            }
            Rule::date => ExprKind::Date(DateLit { text: pair.as_str().to_string(), span }),
            Rule::duration => {
                let days = pair.into_inner().next().map(|n| self.decimal(n.as_str(), span)).unwrap_or_default();
                ExprKind::Duration(days)
            }
            Rule::boolean => ExprKind::Bool(pair.as_str() == "true"),
            Rule::field_access => {
                let mut inner = pair.into_inner();
                let record = match inner.next().map(|p| p.as_str()) {
                    Some("payee") => Record::Payee,
                    _ => Record::Booking,
                };
                ExprKind::Field(record, self.ident_opt(inner.next(), span))
            }
            Rule::call => {
                let mut inner = pair.into_inner();
                let callee = self.ident_opt(inner.next(), span);
                ExprKind::Call(callee, inner.map(|p| sub(self, p)).collect())
            }
            Rule::lookup => {
                let mut inner = pair.into_inner();
                let name = self.ident_opt(inner.next(), span);
                let key = match inner.next() {
                    Some(p) => sub(self, p),
                    None => self.expr_opt(None, span),
                };
                ExprKind::Lookup(name, Box::new(key))
            }
            Rule::name => ExprKind::Name(self.ident_opt(pair.into_inner().next(), span)),
            _ => ExprKind::Literal(self.literal(pair).kind),
        };
        if depth > MAX_EXPR_DEPTH {
            return (Expr { kind: ExprKind::Bool(false), span }, MAX_EXPR_DEPTH + 1);
        }
        (Expr { kind, span }, depth)
    }

    // ------------------------------------------------------------ leaves

    fn literal_opt(&mut self, pair: Option<Pair<'s, Rule>>, fallback: Span) -> Literal {
        match pair {
            Some(p) => self.literal(p),
            None => Literal { kind: LiteralKind::Number(Decimal::ZERO), span: fallback },
        }
    }

    fn literal(&mut self, pair: Pair<'s, Rule>) -> Literal {
        let span = span_of(&pair);
        let rule = pair.as_rule();
        let text = pair.as_str();
        let kind = match rule {
            Rule::percent => {
                let value = self.decimal(text.trim_end_matches('%'), span);
                LiteralKind::Percent(value.checked_div(Decimal::ONE_HUNDRED).unwrap_or_default().normalize())
            }
            Rule::multiplier => LiteralKind::Multiplier(self.decimal(text.trim_end_matches('x'), span)),
            Rule::money => {
                let mut inner = pair.into_inner();
                let amount = inner.next().map(|n| self.decimal(n.as_str(), span)).unwrap_or_default();
                let code = inner.next().map(|c| c.as_str().to_string()).unwrap_or_default();
                LiteralKind::Money(amount, code)
            }
            Rule::string => LiteralKind::String(self.string(pair).value),
            _ => LiteralKind::Number(self.decimal(text, span)),
        };
        Literal { kind, span }
    }

    fn decimal(&mut self, text: &str, span: Span) -> Decimal {
        let digits: String = text.chars().filter(|c| *c != '_').collect();
        match Decimal::from_str_exact(&digits).or_else(|_| Decimal::from_str(&digits)) {
            Ok(value) => value,
            Err(_) => {
                self.diagnostics.push(
                    Diagnostic::error("payplan::parse", format!("number `{text}` is too large or too precise"), span, "out of range")
                        .with_help("numbers have at most 28 significant digits"),
                );
                Decimal::ZERO
            }
        }
    }

    fn string(&mut self, pair: Pair<'s, Rule>) -> StringLit {
        let span = span_of(&pair);
        let raw = pair.into_inner().next().map_or("", |p| p.as_str());
        let mut value = String::with_capacity(raw.len());
        let mut chars = raw.char_indices();
        while let Some((at, c)) = chars.next() {
            if c != '\\' {
                value.push(c);
                continue;
            }
            match chars.next() {
                Some((_, '"')) => value.push('"'),
                Some((_, '\\')) => value.push('\\'),
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((end, other)) => {
                    let start = span.start + 1 + at;
                    self.diagnostics.push(
                        Diagnostic::error(
                            "payplan::parse",
                            format!("unknown escape `\\{other}` in a string"),
                            Span::new(start, span.start + 1 + end + other.len_utf8()),
                            "unknown escape",
                        )
                        .with_help("the escapes are `\\\"`, `\\\\`, `\\n` and `\\t`"),
                    );
                }
                None => {}
            }
        }
        StringLit { value, span }
    }

    fn ident(&mut self, pair: Pair<'s, Rule>) -> Ident {
        Ident { name: pair.as_str().to_string(), span: span_of(&pair) }
    }

    fn ident_opt(&mut self, pair: Option<Pair<'s, Rule>>, fallback: Span) -> Ident {
        match pair {
            Some(p) => self.ident(p),
            None => Ident { name: String::new(), span: fallback },
        }
    }

    fn date_opt(&mut self, pair: Option<Pair<'s, Rule>>, fallback: Span) -> DateLit {
        match pair {
            Some(p) => DateLit { text: p.as_str().to_string(), span: span_of(&p) },
            None => DateLit { text: String::new(), span: fallback },
        }
    }
}

// ---------------------------------------------------------------- grammar errors

/// Turns pest's error into a diagnostic a comp administrator can act on: what was
/// found, what was expected in words, and a hint for the usual mistakes.
fn grammar_error(source: &str, error: &pest::error::Error<Rule>) -> Diagnostic {
    let at = match error.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let positives: Vec<Rule> = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let rest = source.get(at..).unwrap_or("");
    let word_len = rest.char_indices().find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_')).map_or(rest.len(), |(i, _)| i);
    let (found, span) = if word_len > 0 {
        (rest.get(..word_len).unwrap_or(""), Span::new(at, at + word_len))
    } else {
        match rest.chars().next() {
            Some(c) => (rest.get(..c.len_utf8()).unwrap_or(""), Span::new(at, at + c.len_utf8())),
            None => ("", Span::new(at, at)),
        }
    };
    let expected = describe_expected(&positives);
    let found_text = if found.is_empty() { "the end of the file".to_string() } else { format!("`{found}`") };
    let mut diagnostic = Diagnostic::error(
        "payplan::parse",
        match &expected {
            Some(e) => format!("expected {e}, found {found_text}"),
            None => format!("unexpected {found_text}"),
        },
        span,
        "not expected here",
    );

    // The usual mistakes, recognised on purpose.
    let before = source.get(..at).unwrap_or("");
    if found == "=" && !rest.starts_with("==") {
        diagnostic.message = "`=` is not an operator".to_string();
        return diagnostic.with_help("to compare, use `==`");
    }
    if found == "," && before.ends_with(|c: char| c.is_ascii_digit()) && rest.get(1..).is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit())) {
        let number_start = before.rfind(|c: char| !(c.is_ascii_digit() || c == '_' || c == '.')).map_or(0, |i| i + 1);
        let tail_len = rest.get(1..).map_or(0, |r| r.find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.')).unwrap_or(r.len()));
        let written = source.get(number_start..at + 1 + tail_len).unwrap_or(found);
        diagnostic.message = format!("commas do not group digits in `{written}`");
        diagnostic.labels = vec![crate::Label { span: Span::new(number_start, at + 1 + tail_len), message: "comma in a number".into() }];
        return diagnostic.with_help(format!("write `{}`", written.replace(',', "_")));
    }
    if word_len > 0 && found.starts_with(|c: char| c.is_ascii_lowercase()) {
        let keywords = expected_keywords(&positives);
        if RESERVED.contains(&found) && positives.iter().any(|r| matches!(r, Rule::ident)) {
            diagnostic.message = format!("`{found}` is a reserved word and cannot be a name");
            let declared = declared_names(source);
            return match closest(found, declared.iter().map(String::as_str)) {
                Some(name) => diagnostic.with_help(format!("did you mean `{name}`?")),
                None => diagnostic.with_help(format!("choose another name, e.g. `{found}_value`")),
            };
        }
        if let Some(suggestion) = closest(found, keywords.iter().copied()) {
            diagnostic.message = format!("unknown word `{found}`");
            diagnostic.labels = vec![crate::Label { span, message: "not a keyword".into() }];
            return diagnostic.with_help(format!("did you mean `{suggestion}`?"));
        }
        if !keywords.is_empty() && positives.iter().all(|r| keyword_of(*r).is_some()) {
            diagnostic.message = format!("unknown word `{found}`");
            return diagnostic.with_help(format!("expected one of {}", join_words(&keywords)));
        }
    }
    diagnostic
}

/// Names the file declares (`let x`, `measure x`...), found by a plain scan: used for
/// hints when the file does not parse.
fn declared_names(source: &str) -> Vec<String> {
    const DECLARING: &[&str] = &["let", "measure", "table", "curve", "credit", "commission", "bonus", "spif"];
    let words: Vec<&str> = source.lines().map(|l| l.split('#').next().unwrap_or("")).flat_map(str::split_whitespace).collect();
    words
        .windows(2)
        .filter_map(|pair| match pair {
            [keyword, name] if DECLARING.contains(keyword) => {
                let name: String = name.chars().take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_').collect();
                (!name.is_empty()).then_some(name)
            }
            _ => None,
        })
        .collect()
}

/// The keyword that starts a rule, for "did you mean" hints.
fn keyword_of(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::currency_setting => "currency",
        Rule::term_setting => "term",
        Rule::period_setting => "period",
        Rule::rounding_setting => "rounding",
        Rule::eligible_setting => "eligible",
        Rule::prorate_setting => "prorate",
        Rule::field_decl => "field",
        Rule::let_decl => "let",
        Rule::table_decl => "table",
        Rule::credit_decl => "credit",
        Rule::measure_decl => "measure",
        Rule::commission_decl => "commission",
        Rule::bonus_decl => "bonus",
        Rule::spif_decl => "spif",
        Rule::curve_decl => "curve",
        Rule::cap_decl => "cap",
        Rule::draw_decl => "draw",
        Rule::when_clause => "when",
        Rule::amount_clause => "amount",
        Rule::date_clause => "date",
        Rule::to_splits | Rule::to_expr => "to",
        Rule::split_clause => "split",
        Rule::rollup_clause => "rollup",
        Rule::clawback_clause => "clawback",
        Rule::on_clause => "on",
        Rule::rate_clause => "rate",
        Rule::gate_clause => "gate",
        Rule::tiers_clause => "tiers",
        Rule::accelerator_clause => "accelerator",
        Rule::decelerator_clause => "decelerator",
        Rule::bonus_pay | Rule::spif_pay => "pay",
        Rule::window_clause => "window",
        Rule::test_block => "test",
        Rule::plan => "plan",
        Rule::use_decl => "use",
        Rule::period_kind => return None,
        Rule::tier_mode => return None,
        Rule::test_payee => "payee",
        Rule::test_booking => "booking",
        Rule::test_split => "split",
        Rule::test_quota => "quota",
        Rule::test_metric => "metric",
        Rule::test_fx => "fx",
        Rule::test_account => "account",
        Rule::test_expect => "expect",
        Rule::in_period => "in",
        Rule::per_period | Rule::per_booking => "per",
        Rule::of_credit => "of",
        Rule::all_levels => "all",
        Rule::draw_for => "for",
        _ => return None,
    })
}

fn expected_keywords(positives: &[Rule]) -> Vec<&'static str> {
    let mut words: Vec<&'static str> = positives.iter().filter_map(|r| keyword_of(*r)).collect();
    for rule in positives {
        let extra: &[&'static str] = match rule {
            Rule::period_kind => &["month", "quarter", "half", "year"],
            Rule::rounding_mode => &["half_up", "half_even", "down", "up"],
            Rule::tier_mode => &["marginal", "retroactive"],
            Rule::curve_kind => &["linear", "step"],
            Rule::field_type => &["text", "number", "money", "date", "bool"],
            Rule::draw_kind => &["guaranteed", "recoverable"],
            Rule::cap_scope => &["booking", "period", "term"],
            Rule::field_owner | Rule::record_kind => &["booking", "payee"],
            _ => &[],
        };
        words.extend_from_slice(extra);
    }
    words.sort_unstable();
    words.dedup();
    words
}

fn join_words(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {}", rest.join(", "), last),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// Expected rules in words (pest's rule names renamed for people).
fn describe_expected(positives: &[Rule]) -> Option<String> {
    let mut words: Vec<String> = Vec::new();
    let mut push = |w: &str| {
        if !words.iter().any(|x| x == w) {
            words.push(w.to_string());
        }
    };
    let keywords = expected_keywords(positives);
    let mut item_like = false;
    for rule in positives {
        match rule {
            Rule::expr
            | Rule::prefix
            | Rule::primary
            | Rule::neg
            | Rule::not_op
            | Rule::paren
            | Rule::list
            | Rule::if_expr
            | Rule::number
            | Rule::percent
            | Rule::multiplier
            | Rule::money
            | Rule::date
            | Rule::duration
            | Rule::boolean
            | Rule::field_access
            | Rule::call
            | Rule::lookup
            | Rule::name => push("an expression"),
            Rule::infix
            | Rule::or_op
            | Rule::and_op
            | Rule::cmp_op
            | Rule::in_op
            | Rule::add
            | Rule::sub
            | Rule::mul
            | Rule::div
            | Rule::of_op
            | Rule::assign_mistake => push("an operator"),
            Rule::ident | Rule::field_name | Rule::line_name => push("a name"),
            Rule::string => push("a string"),
            Rule::currency_code => push("a currency code such as `USD`"),
            Rule::bound | Rule::curve_x | Rule::share_literal | Rule::table_key => push("a number, percent or amount"),
            Rule::band_value | Rule::curve_value => push("a rate like `8%` or a multiplier like `1.5x`"),
            Rule::band | Rule::band_below | Rule::band_above | Rule::band_range => push("a tier band"),
            Rule::curve_point | Rule::curve_below | Rule::curve_above | Rule::curve_at => push("a curve point"),
            Rule::table_entry | Rule::table_else => push("a table entry `KEY => VALUE`"),
            Rule::EOI => push("the end of the file"),
            Rule::period_label => push("a period such as `Q1`"),
            Rule::record_id => push("an id"),
            Rule::record | Rule::record_field => push("a record `{ column: value }`"),
            _ => {
                if keyword_of(*rule).is_some() {
                    item_like = true;
                }
            }
        }
    }
    if item_like || words.is_empty() {
        let list: Vec<&str> = keywords.iter().copied().take(12).collect();
        if !list.is_empty() {
            words.push(join_words(&list));
        }
    }
    if words.is_empty() {
        return None;
    }
    let (last, rest) = words.split_last()?;
    Some(if rest.is_empty() { last.clone() } else { format!("{} or {}", rest.join(", "), last) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(source: &str) -> File {
        let (file, diagnostics) = parse(source);
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        file.unwrap()
    }

    fn first_error(source: &str) -> Diagnostic {
        let (_, diagnostics) = parse(source);
        diagnostics.into_iter().next().expect("an error")
    }

    fn expr_of(source: &str) -> Expr {
        let file = parse_ok(&format!("plan \"p\" {{ let x = {source} }}"));
        match &file.plan.unwrap().items[0].kind {
            ItemKind::Let(_, e) => e.clone(),
            other => panic!("{other:?}"),
        }
    }

    fn shape(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Binary(op, l, r) => format!("({} {} {})", shape(l), op.symbol(), shape(r)),
            ExprKind::Unary(UnaryOp::Neg, x) => format!("(-{})", shape(x)),
            ExprKind::Unary(UnaryOp::Not, x) => format!("(not {})", shape(x)),
            ExprKind::Name(i) => i.name.clone(),
            ExprKind::Literal(LiteralKind::Number(n)) => n.to_string(),
            ExprKind::Literal(LiteralKind::Percent(n)) => format!("{n}p"),
            ExprKind::If(c, a, b) => format!("(if {} then {} else {})", shape(c), shape(a), shape(b)),
            ExprKind::Paren(x) => shape(x),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn precedence_follows_the_spec() {
        assert_eq!(shape(&expr_of("a + b * c")), "(a + (b * c))");
        assert_eq!(shape(&expr_of("a or b and c")), "(a or (b and c))");
        assert_eq!(shape(&expr_of("not a == b and c")), "((not (a == b)) and c)");
        assert_eq!(shape(&expr_of("-a * b")), "((-a) * b)");
        assert_eq!(shape(&expr_of("a - b - c")), "((a - b) - c)");
        assert_eq!(shape(&expr_of("50% of a of b")), "((0.5p of a) of b)");
        assert_eq!(shape(&expr_of("if a then b else c + d")), "(if a then b else (c + d))");
    }

    #[test]
    fn spans_cover_the_written_text() {
        let source = "plan \"p\" { let x = a + b * 2 }";
        let e = expr_of("a + b * 2");
        assert_eq!(e.span.text(source), "a + b * 2");
        if let ExprKind::Binary(_, _, rhs) = &e.kind {
            assert_eq!(rhs.span.text(source), "b * 2");
        }
    }

    #[test]
    fn literals_decode() {
        let e = expr_of("1_000_000");
        assert_eq!(e.kind, ExprKind::Literal(LiteralKind::Number(Decimal::from(1_000_000))));
        let e = expr_of("12.5%");
        assert_eq!(e.kind, ExprKind::Literal(LiteralKind::Percent(Decimal::new(125, 3))));
        let e = expr_of("1_000 USD");
        assert_eq!(e.kind, ExprKind::Literal(LiteralKind::Money(Decimal::from(1000), "USD".into())));
        let e = expr_of("\"a\\\"b\"");
        assert_eq!(e.kind, ExprKind::Literal(LiteralKind::String("a\"b".into())));
        assert!(matches!(expr_of("2027-01-31").kind, ExprKind::Date(_)));
        assert!(matches!(expr_of("90 days").kind, ExprKind::Duration(_)));
    }

    #[test]
    fn comparisons_do_not_chain() {
        let d = first_error("plan \"p\" { let x = a < b < c }");
        assert!(d.message.contains("do not chain"), "{}", d.message);
    }

    #[test]
    fn a_misspelt_keyword_gets_a_suggestion() {
        let source = "plan \"p\" {\n comission base { }\n}";
        let d = first_error(source);
        assert_eq!(d.message, "unknown word `comission`");
        assert_eq!(d.span().text(source), "comission");
        assert_eq!(d.help.as_deref(), Some("did you mean `commission`?"));
    }

    #[test]
    fn a_comma_in_a_number_gets_a_hint() {
        let source = "plan \"p\" { let x = 1,000 }";
        let d = first_error(source);
        assert_eq!(d.message, "commas do not group digits in `1,000`");
        assert_eq!(d.help.as_deref(), Some("write `1_000`"));
    }

    #[test]
    fn a_lone_equals_sign_parses_for_the_checker() {
        let e = expr_of("a = b");
        assert!(matches!(e.kind, ExprKind::Binary(BinaryOp::AssignMistake, _, _)));
    }

    #[test]
    fn keywords_are_whole_words() {
        let file = parse_ok("plan \"p\" { let total_x = 1 let periodic = 2 let payee_count = 3 }");
        assert_eq!(file.plan.unwrap().items.len(), 3);
        let d = first_error("plan \"p\" { let total = 1 }");
        assert!(d.message.contains("reserved"), "{}", d.message);
    }

    #[test]
    fn parses_every_conformance_plan() {
        let Ok(dir) = std::fs::read_dir("../../../shared/conformance/cases") else {
            eprintln!("skipped: ../shared/conformance is absent");
            return;
        };
        for case in dir.flatten() {
            let source = std::fs::read_to_string(case.path().join("plan.plan")).unwrap();
            let (file, diagnostics) = parse(&source);
            assert!(diagnostics.is_empty() && file.is_some(), "{:?}: {diagnostics:#?}", case.path());
        }
    }

    #[test]
    fn long_chains_are_diagnostics_not_stack_overflows() {
        let sum = format!("plan \"p\" {{ let x = {}1 }}", "1 + ".repeat(50_000));
        assert!(first_error(&sum).message.contains("levels deep"));
        let negs = format!("plan \"p\" {{ let x = {}1 }}", "- ".repeat(50_000));
        assert!(first_error(&negs).message.contains("prefix operators"));
        let ifs = format!("plan \"p\" {{ let x = {}1 }}", "if true then 1 else ".repeat(50_000));
        assert!(first_error(&ifs).message.contains("`if`"));
    }

    #[test]
    fn deep_nesting_is_a_diagnostic_not_a_stack_overflow() {
        let source = format!("plan \"p\" {{ let x = {}1{} }}", "(".repeat(10_000), ")".repeat(10_000));
        let d = first_error(&source);
        assert!(d.message.contains("nest"), "{}", d.message);
    }
}
