//! Plan CI: running the `test` blocks of plan files (language.md section 12).
//!
//! A test block states facts as records (`payee`, `booking`, `split`, `quota`,
//! `metric`, `fx`, `account`) and expectations (`expect alice Q1 base == 48_000 USD`).
//! [`run_test`] builds the facts through the data loader ([`facts`]), runs the plan on
//! them with the engine's trace, judges every expectation, and renders every payee's
//! full statement: the text that [`snapshot`] files keep next to the plan. [`junit`]
//! writes the results as JUnit XML for CI dashboards.
//!
//! Expectations:
//! - `expect PAYEE PERIOD LINE == AMOUNT`: a line of the payee's statement in that
//!   period; `LINE` is any output line: a component, `cap`, `draw`, `carry`,
//!   `recovery` or `payout` (`carry` and `recovery` are zero when the run shows none),
//!   or `balance` (the balance owed after that period).
//! - `expect PAYEE LINE == AMOUNT`: without a period, the line's total over the term;
//!   `balance` is the balance owed at term end.
//! - `expect unpaid == AMOUNT`: the total of the credit the plan does not pay.
//!
//! Amounts are money in the plan currency and compare exactly (lines are rounded to
//! the currency's minor unit, unpaid credit is exact).

pub mod facts;
pub mod junit;
pub mod snapshot;

use payplan_eval::trace::PayeeTrace;
use payplan_eval::{EvalError, LineKind, Outcome, PayeeResult};
use payplan_ir::Plan;
use payplan_output::grouped;
use payplan_syntax::ast::{Expr, ExprKind, Ident, LiteralKind, RecordId, TestBlock, TestStatementKind, UnaryOp};
use payplan_syntax::{Diagnostic, Span};
use rust_decimal::Decimal;

/// A failing expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The `expect` statement.
    pub span: Span,
    /// The statement as written.
    pub expectation: String,
    /// The expected amount, formatted (`48,000.00 USD`).
    pub expected: String,
    /// The actual amount, formatted, or why there is none.
    pub actual: String,
    /// The statement lines that explain the actual figure.
    pub explanation: String,
}

/// A problem that stops a test: the test's own facts or expectations are wrong (a
/// diagnostic in the test's file), or the plan fails on them (an evaluation error,
/// pointing into the plan's file).
#[derive(Debug, Clone)]
pub enum Problem {
    /// A diagnostic in the file of the test.
    Test(Diagnostic),
    /// The engine's error.
    Eval(EvalError),
}

/// What one test block gave.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    /// The test's name.
    pub name: String,
    /// The test's name literal (for reports).
    pub span: Span,
    /// How many `expect` statements it has.
    pub expectations: usize,
    /// The expectations that failed.
    pub failures: Vec<Failure>,
    /// Problems that stopped the test (then there is no statement).
    pub problems: Vec<Problem>,
    /// Every eligible payee's statement, for the snapshot.
    pub statement: Option<String>,
}

impl TestOutcome {
    /// Whether every expectation held and nothing stopped the test.
    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.problems.is_empty()
    }
}

/// Runs one test block against a checked plan.
pub fn run_test(plan: &Plan, block: &TestBlock, source: &str) -> TestOutcome {
    let mut outcome = TestOutcome {
        name: block.name.value.clone(),
        span: block.name.span,
        expectations: block.statements.iter().filter(|s| matches!(s.kind, TestStatementKind::ExpectLine { .. } | TestStatementKind::ExpectUnpaid(_))).count(),
        failures: Vec::new(),
        problems: Vec::new(),
        statement: None,
    };
    let facts = match facts::build(plan, block) {
        Ok(facts) => facts,
        Err(diagnostics) => {
            outcome.problems = diagnostics.into_iter().map(Problem::Test).collect();
            return outcome;
        }
    };
    let (run, traces) = match payplan_eval::explain_all(plan, &facts) {
        Ok(found) => found,
        Err(error) => {
            outcome.problems.push(Problem::Eval(error));
            return outcome;
        }
    };
    let results = Results { plan, run: &run, traces: &traces };
    for statement in &block.statements {
        let text = statement.span.text(source).trim_end();
        let text = text.lines().map(str::trim).collect::<Vec<_>>().join(" ");
        let judged = match &statement.kind {
            TestStatementKind::ExpectLine { payee, period, line, value } => results.expect_line(payee, period.as_ref(), line, value),
            TestStatementKind::ExpectUnpaid(value) => results.expect_unpaid(value),
            _ => continue,
        };
        match judged {
            Ok(None) => {}
            Ok(Some(mut failure)) => {
                failure.span = statement.span;
                failure.expectation = strip_comment(&text);
                outcome.failures.push(failure);
            }
            Err(d) => outcome.problems.push(Problem::Test(d)),
        }
    }
    outcome.statement = Some(results.statements());
    outcome
}

/// An expect statement's text without a trailing comment its span may run over.
fn strip_comment(text: &str) -> String {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match (in_string, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (_, false, '"') => in_string = !in_string,
            (false, _, '#') => return text.get(..i).unwrap_or(text).trim_end().to_string(),
            _ => {}
        }
    }
    text.to_string()
}

/// A run's results and traces, for judging expectations.
struct Results<'a> {
    plan: &'a Plan,
    run: &'a Outcome,
    traces: &'a [PayeeTrace],
}

impl Results<'_> {
    fn digits(&self) -> u32 {
        self.plan.currency.minor_units()
    }

    fn money(&self, amount: Decimal) -> String {
        format!("{} {}", grouped(amount, self.digits()), self.plan.currency.code())
    }

    /// The expected amount: money in the plan currency.
    fn expected(&self, value: &Expr) -> Result<Decimal, Diagnostic> {
        fn literal(e: &Expr) -> Option<(Decimal, &str)> {
            match &e.kind {
                ExprKind::Literal(LiteralKind::Money(v, code)) => Some((*v, code.as_str())),
                ExprKind::Paren(x) => literal(x),
                ExprKind::Unary(UnaryOp::Neg, x) => literal(x).map(|(v, c)| (-v, c)),
                _ => None,
            }
        }
        let currency = self.plan.currency.code();
        match literal(value) {
            Some((amount, code)) if code == currency => Ok(amount),
            Some((_, code)) => Err(Diagnostic::error("payplan::test", format!("the plan pays in {currency}, not {code}"), value.span, "another currency")
                .with_help(format!("write the expected amount in {currency}"))),
            None => Err(Diagnostic::error("payplan::test", "an expected amount is money in the plan currency", value.span, "not an amount")
                .with_help(format!("write it like `48_000 {currency}` or `0 {currency}`"))),
        }
    }

    fn payee(&self, id: &RecordId) -> Option<(&PayeeResult, &PayeeTrace)> {
        let index = self.run.payees.iter().position(|p| p.id.as_str() == id.value)?;
        Some((self.run.payees.get(index)?, self.traces.get(index)?))
    }

    fn failure(&self, expected: Decimal, actual: String, explanation: String) -> Option<Failure> {
        Some(Failure { span: Span::default(), expectation: String::new(), expected: self.money(expected), actual, explanation })
    }

    fn expect_line(&self, payee: &RecordId, period: Option<&Ident>, line: &Ident, value: &Expr) -> Result<Option<Failure>, Diagnostic> {
        let expected = self.expected(value)?;
        if let Some(p) = period {
            if !self.plan.periods.iter().any(|known| known.label.to_string() == p.name) {
                let known: Vec<String> = self.plan.periods.iter().map(|known| known.label.to_string()).collect();
                return Err(Diagnostic::error("payplan::test", format!("the plan has no period `{}`", p.name), p.span, "unknown period")
                    .with_help(format!("its periods are {}", known.join(", "))));
            }
        }
        self.known_line(line)?;
        let Some((result, trace)) = self.payee(payee) else {
            let why = "no statement: the payee is not eligible for the plan, or not in the test".to_string();
            return Ok(self.failure(expected, why, String::new()));
        };
        let digits = self.digits();
        let (actual, explanation) = match (period, line.name.as_str()) {
            (Some(p), "balance") => {
                let balance = trace.periods.iter().find(|t| t.period == p.name).map_or(Decimal::ZERO, |t| t.ledger.balance_after);
                (balance, explain::period_lines(self.plan, result, trace, &self.run.unpaid, &p.name, None))
            }
            (None, "balance") => (result.balance, explain::balance(result, trace, digits)),
            (Some(p), name) => {
                let amount = result
                    .periods
                    .iter()
                    .find(|l| l.period == p.name)
                    .and_then(|l| l.lines.iter().find(|x| x.name == name))
                    .map_or(Decimal::ZERO, |x| x.amount);
                (amount, explain::period_lines(self.plan, result, trace, &self.run.unpaid, &p.name, Some(name)))
            }
            (None, name) => {
                let amounts: Vec<(String, Decimal)> =
                    result.periods.iter().map(|l| (l.period.clone(), l.lines.iter().find(|x| x.name == name).map_or(Decimal::ZERO, |x| x.amount))).collect();
                let total = amounts.iter().map(|(_, a)| *a).sum();
                (total, explain::term_total(name, &amounts, digits))
            }
        };
        if actual == expected {
            return Ok(None);
        }
        Ok(self.failure(expected, self.money(actual), explanation))
    }

    /// Checks that `line` names an output line of this plan.
    fn known_line(&self, line: &Ident) -> Result<(), Diagnostic> {
        let mut names: Vec<&str> = self.plan.components.iter().map(|c| c.name.as_str()).collect();
        if self.plan.cap_total.is_some() {
            names.push("cap");
        }
        if self.plan.draw.is_some() {
            names.push("draw");
        }
        names.extend(["carry", "recovery", "payout", "balance"]);
        if names.contains(&line.name.as_str()) {
            return Ok(());
        }
        let why = match line.name.as_str() {
            "cap" => "the plan has no `cap total`, so no `cap` line".to_string(),
            "draw" => "the plan has no `draw`, so no `draw` line".to_string(),
            other => format!("the plan has no line `{other}`"),
        };
        let help = match payplan_syntax::closest(&line.name, names.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("its lines are {}", names.join(", ")),
        };
        Err(Diagnostic::error("payplan::test", why, line.span, "unknown line").with_help(help))
    }

    fn expect_unpaid(&self, value: &Expr) -> Result<Option<Failure>, Diagnostic> {
        let expected = self.expected(value)?;
        let actual: Decimal = self.run.unpaid.iter().map(|u| u.amount).sum();
        if actual == expected {
            return Ok(None);
        }
        let digits = self.digits();
        let explanation = if self.run.unpaid.is_empty() {
            "no credit is left unpaid".to_string()
        } else {
            self.run
                .unpaid
                .iter()
                .map(|u| format!("{} {} {} (rule {}): {}  {}", u.booking, u.payee, u.date, u.rule, u.reason, grouped(u.amount, digits)))
                .collect::<Vec<_>>()
                .join("\n")
        };
        Ok(self.failure(expected, self.money(actual), explanation))
    }

    /// Every eligible payee's statement, then the unpaid credit of payees the plan
    /// does not pay.
    fn statements(&self) -> String {
        let mut out = String::new();
        for (result, trace) in self.run.payees.iter().zip(self.traces) {
            let unpaid: Vec<payplan_eval::UnpaidCredit> = self.run.unpaid.iter().filter(|u| u.payee == result.id).cloned().collect();
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&payplan_output::statement::text(self.plan, result, trace, &unpaid, None));
        }
        let others: Vec<&payplan_eval::UnpaidCredit> = self.run.unpaid.iter().filter(|u| !self.run.payees.iter().any(|p| p.id == u.payee)).collect();
        if !others.is_empty() {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str("credit of payees not on the plan (not paid):\n");
            for u in others {
                out.push_str(&format!("  {} {} {} (rule {}): {}  {}\n", u.booking, u.payee, u.date, u.rule, u.reason, grouped(u.amount, self.digits())));
            }
        }
        if out.is_empty() {
            out.push_str("no payee is eligible for the plan\n");
        }
        out
    }
}

/// The statement lines behind a figure.
mod explain {
    use super::*;
    use payplan_eval::UnpaidCredit;

    /// A period's section of the statement: its lines, and the part that computes
    /// `line` (a component's block, the cap or payout block), or all of it.
    pub fn period_lines(plan: &Plan, result: &PayeeResult, trace: &PayeeTrace, unpaid: &[UnpaidCredit], period: &str, line: Option<&str>) -> String {
        let text = payplan_output::statement::text(plan, result, trace, unpaid, Some(period));
        let lines: Vec<&str> = text.lines().collect();
        let Some(start) = lines.iter().position(|l| l.starts_with(period) && l.contains(" to ")) else { return text };
        let section: Vec<&str> = lines.iter().skip(start).take_while(|l| !l.is_empty()).copied().collect();
        let kind = line.and_then(|name| result.periods.iter().find(|p| p.period == period)?.lines.iter().find(|l| l.name == name).map(|l| (name, l.kind)));
        let wanted: Vec<&str> = match kind {
            Some((name, LineKind::Component)) => block(&section, &format!("  {name} (")),
            Some((_, LineKind::Cap)) => block(&section, "  cap total"),
            Some(_) | None => {
                let mut picked = block(&section, "  cap total");
                picked.extend(block(&section, "  payout: total"));
                picked
            }
        };
        let head: Vec<&str> = section.iter().take_while(|l| !l.starts_with("  how it was reached")).copied().collect();
        let mut out = head.join("\n");
        if !wanted.is_empty() {
            out.push_str("\n  how it was reached:\n");
            out.push_str(&wanted.join("\n"));
        }
        out
    }

    /// The lines from the one starting with `prefix` up to the next line at its
    /// indentation or less.
    fn block<'a>(section: &[&'a str], prefix: &str) -> Vec<&'a str> {
        let indent = prefix.len() - prefix.trim_start().len();
        let Some(start) = section.iter().position(|l| l.starts_with(prefix)) else { return Vec::new() };
        let mut out = vec![section.get(start).copied().unwrap_or_default()];
        out.extend(section.iter().skip(start + 1).take_while(|l| l.len() - l.trim_start().len() > indent).copied());
        out
    }

    /// A line's amount in each period.
    pub fn term_total(name: &str, amounts: &[(String, Decimal)], digits: u32) -> String {
        let mut out: Vec<String> = amounts.iter().map(|(p, a)| format!("{p:>4}  {name}  {:>16}", grouped(*a, digits))).collect();
        let total: Decimal = amounts.iter().map(|(_, a)| *a).sum();
        out.push(format!("term  {name}  {:>16}", grouped(total, digits)));
        out.join("\n")
    }

    /// How the balance moved, period by period.
    pub fn balance(result: &PayeeResult, trace: &PayeeTrace, digits: u32) -> String {
        let mut out = Vec::new();
        for p in &trace.periods {
            let l = &p.ledger;
            out.push(format!(
                "{:>4}  balance {} + recoverable draw and carry {} + recovery {} = {}",
                p.period,
                grouped(l.balance_before, digits),
                grouped(l.balance_after - l.balance_before - l.recovery, digits),
                grouped(l.recovery, digits),
                grouped(l.balance_after, digits)
            ));
        }
        out.push(format!("balance owed at term end: {}", grouped(result.balance, digits)));
        out.join("\n")
    }
}

/// Runs every test block of a parsed file against its (checked) plan.
pub fn run_tests(plan: &Plan, tests: &[TestBlock], source: &str) -> Vec<TestOutcome> {
    tests.iter().map(|block| run_test(plan, block, source)).collect()
}
