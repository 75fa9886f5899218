//! Expressions: type inference (language.md section 2), where each may appear
//! (section 4), and lowering into `payplan-ir`.

use crate::context::{Checked, Checker, Decl, State, MAX_DEFINITION_DEPTH};
use crate::settings::{booking_builtin, date_literal, payee_builtin, BOOKING_BUILTINS, PAYEE_BUILTINS};
use crate::types::{Reads, Type};
use payplan_facts::{Currency, FieldType};
use payplan_ir as ir;
use payplan_syntax::ast::{self, BinaryOp, ExprKind, LiteralKind, Record, UnaryOp};
use payplan_syntax::{Diagnostic, Span};

/// Where an expression stands, which decides what it may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// `eligible`: the payee only.
    Eligible,
    /// A credit rule's clauses: the booking only.
    CreditRule,
    /// The filter of `credited(rule, filter)`: the booking only.
    Filter,
    /// A measure, to date or in period.
    Measure {
        /// `in period`.
        in_period: bool,
    },
    /// A `let`: anything, read to date; checked again where it is used.
    Let,
    /// A commission's `rate`: booking, payee, lets and measures that do not read credits.
    Rate,
    /// A spif's `when` and `pay`: the original entry's booking, payee, measures.
    Spif,
    /// A bonus's `when`/`pay`, a `gate`, a cap or a draw: payee and measures.
    PeriodEnd,
    /// A table value: constants only.
    TableValue,
}

impl Place {
    fn describe(self) -> &'static str {
        match self {
            Place::Eligible => "`eligible`",
            Place::CreditRule => "a credit rule",
            Place::Filter => "a `credited` filter",
            Place::Measure { .. } => "a measure",
            Place::Let => "a `let`",
            Place::Rate => "a `rate`",
            Place::Spif => "a spif",
            Place::PeriodEnd => "this clause",
            Place::TableValue => "a table value",
        }
    }

    fn allows_booking(self) -> bool {
        matches!(self, Place::CreditRule | Place::Filter | Place::Let | Place::Rate | Place::Spif)
    }

    fn allows_payee(self) -> bool {
        !matches!(self, Place::CreditRule | Place::Filter | Place::TableValue)
    }

    fn allows_aggregates(self) -> bool {
        matches!(self, Place::Measure { .. } | Place::Let)
    }

    fn allows_measures(self) -> bool {
        !matches!(self, Place::CreditRule | Place::Filter | Place::Eligible | Place::TableValue)
    }

    fn in_period(self) -> bool {
        matches!(self, Place::Measure { in_period: true })
    }
}

/// A checked, lowered expression.
#[derive(Debug, Clone)]
pub struct Typed {
    /// The lowered expression.
    pub expr: ir::Expr,
    /// Its type.
    pub ty: Type,
    /// What it reads.
    pub reads: Reads,
}

const FUNCTIONS: &[&str] = &["min", "max", "abs", "days_between", "quota", "credited", "count", "metric", "owner_of", "is_set"];

impl<'a> Checker<'a> {
    /// Checks an expression that must have a type accepted by `accept`, reporting
    /// "`clause` must be WANTED, found TYPE" otherwise.
    pub fn expect_type(&mut self, expr: &ast::Expr, place: Place, clause: &str, accept: impl Fn(Type) -> bool, wanted: &str) -> Option<ir::Expr> {
        let typed = self.expr(expr, place)?;
        if accept(typed.ty) {
            return Some(typed.expr);
        }
        let written = self.text(expr.span);
        let help = match (wanted, typed.ty) {
            (w, Type::Number) if w.starts_with("money") => format!("write an amount, e.g. `{written} of payee.target_incentive` or `500 {}`", self.currency),
            (w, Type::Money(_)) if w.starts_with("a number") => "a rate is a number or a percent, e.g. `8%`".to_string(),
            (w, _) if w.starts_with("a bool") => "write a condition, e.g. `attainment >= 50%`".to_string(),
            _ => format!("`{clause}` takes {wanted}"),
        };
        self.error(
            Diagnostic::error(
                "payplan::type",
                format!("`{clause}` must be {wanted}, found {} in `{written}`", typed.ty),
                expr.span,
                format!("this is {}", typed.ty),
            )
            .with_help(help),
        );
        None
    }

    /// Checks and lowers an expression at a place.
    pub fn expr(&mut self, expr: &ast::Expr, place: Place) -> Option<Typed> {
        let span = expr.span;
        let leaf = |kind: ir::ExprKind, ty: Type| Some(Typed { expr: ir::Expr { kind, span }, ty, reads: Reads::default() });
        match &expr.kind {
            ExprKind::Literal(literal) => {
                let (value, ty) = self.literal_value(literal, span)?;
                leaf(ir::ExprKind::Const(value), ty)
            }
            ExprKind::Date(date) => {
                let d = date_literal(self, date)?;
                leaf(ir::ExprKind::Const(ir::Value::Date(d)), Type::Date)
            }
            ExprKind::Duration(days) => {
                let whole = days.fract().is_zero().then(|| i64::try_from(days.mantissa()).ok().map(|m| m / 10i64.pow(days.scale()))).flatten();
                match whole.filter(|d| *d <= 100_000) {
                    Some(d) => leaf(ir::ExprKind::Const(ir::Value::Duration(d)), Type::Duration),
                    None => {
                        self.error(Diagnostic::error("payplan::type", format!("`{}` is not a whole number of days", self.text(span)), span, "duration"));
                        None
                    }
                }
            }
            ExprKind::Bool(b) => leaf(ir::ExprKind::Const(ir::Value::Bool(*b)), Type::Bool),
            ExprKind::Paren(inner) => {
                let mut typed = self.expr(inner, place)?;
                typed.expr.span = span;
                Some(typed)
            }
            ExprKind::Name(ident) => self.name(ident, place, span),
            ExprKind::Field(record, field) => self.field(*record, field, place, span),
            ExprKind::Call(callee, args) => self.call(callee, args, place, span),
            ExprKind::Lookup(name, key) => self.lookup_expr(name, key, place, span),
            ExprKind::Unary(op, operand) => {
                let inner = self.expr(operand, place)?;
                let (kind, ok, ty) = match op {
                    UnaryOp::Neg => (ir::ExprKind::Neg(Box::new(inner.expr)), matches!(inner.ty, Type::Number | Type::Money(_) | Type::Duration), inner.ty),
                    UnaryOp::Not => (ir::ExprKind::Not(Box::new(inner.expr)), inner.ty == Type::Bool, Type::Bool),
                };
                if !ok {
                    let what = if *op == UnaryOp::Neg { "negate" } else { "apply `not` to" };
                    self.error(Diagnostic::error(
                        "payplan::type",
                        format!("cannot {what} {} in `{}`", inner.ty, self.text(span)),
                        span,
                        format!("{}", inner.ty),
                    ));
                    return None;
                }
                Some(Typed { expr: ir::Expr { kind, span }, ty, reads: inner.reads })
            }
            ExprKind::Binary(op, lhs, rhs) => self.binary(*op, lhs, rhs, place, span),
            ExprKind::If(cond, then, otherwise) => {
                let c = self.expr(cond, place);
                let a = self.expr(then, place);
                let b = self.expr(otherwise, place);
                let (c, a, b) = (c?, a?, b?);
                if c.ty != Type::Bool {
                    self.error(
                        Diagnostic::error("payplan::type", format!("the condition of `if` must be a bool, found {}", c.ty), cond.span, "not a condition")
                            .with_help("write a comparison, e.g. `payee.role == \"AE\"`"),
                    );
                    return None;
                }
                if a.ty != b.ty {
                    self.error(
                        Diagnostic::error("payplan::type", format!("the branches of `if` differ: {} and {}", a.ty, b.ty), span, "branches differ")
                            .with_label(then.span, format!("{}", a.ty))
                            .with_label(otherwise.span, format!("{}", b.ty))
                            .with_help("both branches must have the same type"),
                    );
                    return None;
                }
                let reads = c.reads.or(a.reads).or(b.reads);
                Some(Typed { expr: ir::Expr { kind: ir::ExprKind::If(Box::new(c.expr), Box::new(a.expr), Box::new(b.expr)), span }, ty: a.ty, reads })
            }
            ExprKind::List(_) => {
                self.error(Diagnostic::error("payplan::type", "a list can only follow `in`", span, "list").with_help("write `x in [\"a\", \"b\"]`"));
                None
            }
        }
    }

    /// The value and type of a literal.
    pub fn literal_value(&mut self, literal: &LiteralKind, span: Span) -> Option<(ir::Value, Type)> {
        Some(match literal {
            LiteralKind::Number(n) | LiteralKind::Percent(n) | LiteralKind::Multiplier(n) => (ir::Value::Number(*n), Type::Number),
            LiteralKind::String(s) => (ir::Value::Text(s.as_str().into()), Type::Text),
            LiteralKind::Money(amount, code) => {
                let currency = self.currency_code(code, span)?;
                (ir::Value::Money(*amount), Type::Money(currency))
            }
        })
    }

    /// Parses a currency code of a money literal.
    pub fn currency_code(&mut self, code: &str, span: Span) -> Option<Currency> {
        match Currency::parse(code) {
            Ok(c) => Some(c),
            Err(_) => {
                self.error(
                    Diagnostic::error("payplan::currency", format!("`{code}` is not an ISO 4217 currency code"), span, "unknown currency")
                        .with_help(format!("amounts are written like `1_000 {}`", self.currency)),
                );
                None
            }
        }
    }

    /// Reports a read that this place does not allow; true when allowed.
    fn allowed(&mut self, reads: Reads, place: Place, what: &str, span: Span, direct_call: bool) -> bool {
        let problem = if reads.booking && !place.allows_booking() {
            Some((
                format!("{what} reads the booking, which {} cannot", place.describe()),
                match place {
                    Place::PeriodEnd | Place::Measure { .. } => {
                        "booking columns are read per booking: in a credit rule, a `rate`, a spif, or a `credited(rule, filter)` filter".to_string()
                    }
                    _ => "read booking columns where a booking is at hand: a credit rule, a `rate` or a spif".to_string(),
                },
            ))
        } else if reads.payee && !place.allows_payee() {
            Some((
                format!("{what} reads the payee, which {} cannot", place.describe()),
                "crediting decides who is credited, so it cannot depend on the payee; filter on the booking".to_string(),
            ))
        } else if (reads.credits || reads.targets) && matches!(place, Place::Eligible | Place::CreditRule | Place::Filter | Place::TableValue) {
            Some((
                format!("{what} reads credits or targets, which {} cannot", place.describe()),
                "eligibility and crediting come before credits are summed; read payee or booking columns here".to_string(),
            ))
        } else if direct_call && (reads.credits || reads.targets) && !place.allows_aggregates() {
            Some((
                format!("{what} may appear only in a measure or a `let`"),
                format!("declare a measure, e.g. `measure x = {}`, and read `x` here", self.text(span)),
            ))
        } else if reads.measure && !place.allows_measures() {
            Some((
                format!("{what} reads a measure, which {} cannot", place.describe()),
                "measures are per payee and period; this is judged per booking".to_string(),
            ))
        } else if reads.credits && place == Place::Rate {
            Some((
                format!("a `rate` cannot depend on credits, but {what} does"),
                "use `tiers` (or `accelerator`) for rates that change with credit".to_string(),
            ))
        } else {
            None
        };
        match problem {
            Some((message, help)) => {
                self.error(Diagnostic::error("payplan::place", message, span, "not allowed here").with_help(help));
                false
            }
            None => true,
        }
    }

    fn name(&mut self, ident: &ast::Ident, place: Place, span: Span) -> Option<Typed> {
        let decl = self.lookup(ident)?;
        let (kind, checked) = match decl {
            Decl::Let(id) => (ir::ExprKind::Let(id), self.let_checked(id, ident.span)?),
            Decl::Measure(id) => {
                let mut checked = self.measure_checked(id, ident.span)?;
                checked.reads.measure = true;
                (ir::ExprKind::Measure(id), checked)
            }
            other => {
                let help = match other {
                    Decl::Rule(_) => format!("read its credit with `credited({})`", ident.name),
                    Decl::Table(_) => format!("look a key up with `{}[key]`", ident.name),
                    Decl::Curve(_) => format!("read the curve at a value with `{}[x]`", ident.name),
                    _ => "components are outputs; measures and lets are what expressions read".to_string(),
                };
                self.error(
                    Diagnostic::error("payplan::name", format!("`{}` is {}, not a value", ident.name, other.describe()), ident.span, "not a value")
                        .with_help(help),
                );
                return None;
            }
        };
        let what = format!("`{}`", ident.name);
        if !self.allowed(checked.reads, place, &what, span, false) {
            return None;
        }
        Some(Typed { expr: ir::Expr { kind, span }, ty: checked.ty, reads: checked.reads })
    }

    /// A let, checked on first use.
    pub fn let_checked(&mut self, id: usize, use_span: Span) -> Option<Checked> {
        match self.let_state.get(id) {
            Some(State::Done(c)) => return Some(c.clone()),
            Some(State::Failed) | None => return None,
            Some(State::InProgress) => {
                let name = self.lets.get(id).map(|(n, _)| n.name.clone()).unwrap_or_default();
                self.error(
                    Diagnostic::error("payplan::cycle", format!("`{name}` depends on itself"), use_span, "used in its own definition")
                        .with_help("a let or measure cannot read itself, directly or through others"),
                );
                return None;
            }
            Some(State::Todo) => {}
        }
        let (name, expr) = *self.lets.get(id)?;
        if self.nesting >= MAX_DEFINITION_DEPTH {
            self.error(too_deep(&name.name, use_span));
            return None;
        }
        if let Some(s) = self.let_state.get_mut(id) {
            *s = State::InProgress;
        }
        self.nesting += 1;
        let result = self.expr(expr, Place::Let).map(|t| Checked { expr: t.expr, ty: t.ty, reads: t.reads });
        self.nesting -= 1;
        if let Some(s) = self.let_state.get_mut(id) {
            *s = match &result {
                Some(c) => State::Done(c.clone()),
                None => State::Failed,
            };
        }
        result
    }

    /// A measure, checked on first use.
    pub fn measure_checked(&mut self, id: usize, use_span: Span) -> Option<Checked> {
        match self.measure_state.get(id) {
            Some(State::Done(c)) => return Some(c.clone()),
            Some(State::Failed) | None => return None,
            Some(State::InProgress) => {
                let name = self.measures.get(id).map(|m| m.name.name.clone()).unwrap_or_default();
                self.error(
                    Diagnostic::error("payplan::cycle", format!("`{name}` depends on itself"), use_span, "used in its own definition")
                        .with_help("a let or measure cannot read itself, directly or through others"),
                );
                return None;
            }
            Some(State::Todo) => {}
        }
        let measure = *self.measures.get(id)?;
        if self.nesting >= MAX_DEFINITION_DEPTH {
            self.error(too_deep(&measure.name.name, use_span));
            return None;
        }
        if let Some(s) = self.measure_state.get_mut(id) {
            *s = State::InProgress;
        }
        self.nesting += 1;
        let result = self.expr(&measure.expr, Place::Measure { in_period: measure.in_period }).map(|t| Checked { expr: t.expr, ty: t.ty, reads: t.reads });
        self.nesting -= 1;
        if let Some(s) = self.measure_state.get_mut(id) {
            *s = match &result {
                Some(c) => State::Done(c.clone()),
                None => State::Failed,
            };
        }
        result
    }

    fn field(&mut self, record: Record, field: &ast::Ident, place: Place, span: Span) -> Option<Typed> {
        let currency = self.currency;
        let custom_type = |ty: FieldType| match ty {
            FieldType::Text => Type::Text,
            FieldType::Number => Type::Number,
            FieldType::Money => Type::Money(currency),
            FieldType::Date => Type::Date,
            FieldType::Bool => Type::Bool,
        };
        let resolved = match record {
            Record::Booking => booking_builtin(&field.name, currency).map(|(f, t)| (ir::ExprKind::Booking(f), t)).or_else(|| {
                self.booking_fields
                    .iter()
                    .position(|(n, _)| *n == field.name)
                    .and_then(|i| self.booking_fields.get(i).map(|(_, t)| (ir::ExprKind::Booking(ir::BookingField::Custom(i)), custom_type(*t))))
            }),
            Record::Payee => payee_builtin(&field.name, currency).map(|(f, t)| (ir::ExprKind::Payee(f), t)).or_else(|| {
                self.payee_fields
                    .iter()
                    .position(|(n, _)| *n == field.name)
                    .and_then(|i| self.payee_fields.get(i).map(|(_, t)| (ir::ExprKind::Payee(ir::PayeeField::Custom(i)), custom_type(*t))))
            }),
        };
        let written = format!("{}.{}", record.keyword(), field.name);
        let Some((kind, ty)) = resolved else {
            let (builtins, declared) = match record {
                Record::Booking => (BOOKING_BUILTINS, &self.booking_fields),
                Record::Payee => (PAYEE_BUILTINS, &self.payee_fields),
            };
            let candidates: Vec<&str> = builtins.iter().copied().chain(declared.iter().map(|(n, _)| n.as_str())).collect();
            let help = match payplan_syntax::closest(&field.name, candidates.iter().copied()) {
                Some(s) => format!(
                    "did you mean `{}.{s}`? A custom column needs `field {}.{}: text` (or number, money, date, bool)",
                    record.keyword(),
                    record.keyword(),
                    field.name
                ),
                None => format!("declare the column first: `field {written}: text` (or number, money, date, bool)"),
            };
            self.error(Diagnostic::error("payplan::field", format!("unknown field `{written}`"), span, "not declared").with_help(help));
            return None;
        };
        let reads = Reads { booking: record == Record::Booking, payee: record == Record::Payee, ..Reads::default() };
        if !self.allowed(reads, place, &format!("`{written}`"), span, false) {
            return None;
        }
        Some(Typed { expr: ir::Expr { kind, span }, ty, reads })
    }

    fn call(&mut self, callee: &ast::Ident, args: &[ast::Expr], place: Place, span: Span) -> Option<Typed> {
        let name = callee.name.as_str();
        let arity = |n: usize| args.len() == n;
        let expected_arity: &str = match name {
            "credited" | "count" if (args.is_empty() || args.len() > 2) => "1 or 2 arguments: `credited(rule)` or `credited(rule, filter)`",
            "min" | "max" | "days_between" if !arity(2) => "2 arguments",
            "abs" | "quota" | "metric" | "owner_of" | "is_set" if !arity(1) => "1 argument",
            _ => "",
        };
        if !expected_arity.is_empty() {
            self.error(Diagnostic::error("payplan::call", format!("`{name}` takes {expected_arity}"), span, format!("{} given", args.len())));
            return None;
        }
        let arg = |i: usize| args.get(i);
        match name {
            "credited" | "count" => {
                let rule_expr = arg(0)?;
                let rule = match &rule_expr.kind {
                    ExprKind::Name(ident) => match self.lookup(ident)? {
                        Decl::Rule(id) => id,
                        other => {
                            self.error(
                                Diagnostic::error(
                                    "payplan::call",
                                    format!("`{name}` reads a credit rule, but `{}` is {}", ident.name, other.describe()),
                                    ident.span,
                                    "not a credit rule",
                                )
                                .with_help("name a `credit` rule of this plan"),
                            );
                            return None;
                        }
                    },
                    _ => {
                        self.error(Diagnostic::error(
                            "payplan::call",
                            format!("the first argument of `{name}` is a credit rule's name"),
                            rule_expr.span,
                            "not a rule name",
                        ));
                        return None;
                    }
                };
                let filter = match arg(1) {
                    Some(f) => Some(Box::new(self.expect_type(f, Place::Filter, &format!("{name}` filter `"), |t| t == Type::Bool, "a bool")?)),
                    None => None,
                };
                let reads = Reads { credits: true, ..Reads::default() };
                if !self.allowed(reads, place, &format!("`{name}`"), span, true) {
                    return None;
                }
                if let Some(r) = self.rule_reported.get_mut(rule) {
                    *r = true;
                }
                let in_period = place.in_period();
                let (kind, ty) = if name == "credited" {
                    (ir::ExprKind::Credited { rule, filter, in_period }, Type::Money(self.currency))
                } else {
                    (ir::ExprKind::Count { rule, filter, in_period }, Type::Number)
                };
                Some(Typed { expr: ir::Expr { kind, span }, ty, reads })
            }
            "quota" | "metric" => {
                let label = arg(0)?;
                let ExprKind::Literal(LiteralKind::String(target)) = &label.kind else {
                    self.error(
                        Diagnostic::error("payplan::call", format!("`{name}` takes the name of a {name} as a string"), label.span, "not a string")
                            .with_help(format!("e.g. `{name}(\"bookings\")`")),
                    );
                    return None;
                };
                let reads = Reads { targets: true, ..Reads::default() };
                if !self.allowed(reads, place, &format!("`{name}`"), span, true) {
                    return None;
                }
                let in_period = place.in_period();
                let (kind, ty) = if name == "quota" {
                    self.reads_quotas = true;
                    (ir::ExprKind::Quota { name: target.clone(), in_period }, Type::Money(self.currency))
                } else {
                    self.reads_metrics = true;
                    (ir::ExprKind::Metric { name: target.clone(), in_period }, Type::Number)
                };
                Some(Typed { expr: ir::Expr { kind, span }, ty, reads })
            }
            "min" | "max" => {
                let a = self.expr(arg(0)?, place);
                let b = self.expr(arg(1)?, place);
                let (a, b) = (a?, b?);
                if a.ty != b.ty || !matches!(a.ty, Type::Number | Type::Money(_) | Type::Date | Type::Duration) {
                    self.error(
                        Diagnostic::error("payplan::type", format!("`{name}` takes two values of one type, found {} and {}", a.ty, b.ty), span, "mixed types")
                            .with_help("compare numbers with numbers, money with money of the same currency"),
                    );
                    return None;
                }
                let reads = a.reads.or(b.reads);
                let kind =
                    if name == "min" { ir::ExprKind::Min(Box::new(a.expr), Box::new(b.expr)) } else { ir::ExprKind::Max(Box::new(a.expr), Box::new(b.expr)) };
                Some(Typed { expr: ir::Expr { kind, span }, ty: a.ty, reads })
            }
            "abs" => {
                let a = self.expr(arg(0)?, place)?;
                if !matches!(a.ty, Type::Number | Type::Money(_) | Type::Duration) {
                    self.error(Diagnostic::error("payplan::type", format!("`abs` takes a number, money or a duration, found {}", a.ty), span, "not a number"));
                    return None;
                }
                Some(Typed { expr: ir::Expr { kind: ir::ExprKind::Abs(Box::new(a.expr)), span }, ty: a.ty, reads: a.reads })
            }
            "days_between" => {
                let a = self.expr(arg(0)?, place);
                let b = self.expr(arg(1)?, place);
                let (a, b) = (a?, b?);
                if a.ty != Type::Date || b.ty != Type::Date {
                    self.error(Diagnostic::error("payplan::type", format!("`days_between` takes two dates, found {} and {}", a.ty, b.ty), span, "not dates"));
                    return None;
                }
                let reads = a.reads.or(b.reads);
                Some(Typed { expr: ir::Expr { kind: ir::ExprKind::DaysBetween(Box::new(a.expr), Box::new(b.expr)), span }, ty: Type::Number, reads })
            }
            "owner_of" => {
                let a = self.expr(arg(0)?, place)?;
                if a.ty != Type::Text {
                    self.error(
                        Diagnostic::error("payplan::type", format!("`owner_of` takes an account id (text), found {}", a.ty), span, "not text")
                            .with_help("e.g. `owner_of(booking.account)`"),
                    );
                    return None;
                }
                let reads = a.reads.or(Reads { booking: true, ..Reads::default() });
                if !self.allowed(reads, place, "`owner_of`", span, false) {
                    return None;
                }
                Some(Typed { expr: ir::Expr { kind: ir::ExprKind::OwnerOf(Box::new(a.expr)), span }, ty: Type::Text, reads })
            }
            "is_set" => {
                let target = arg(0)?;
                if !matches!(target.kind, ExprKind::Field(..)) {
                    self.error(Diagnostic::error(
                        "payplan::call",
                        "`is_set` tests a column: `is_set(booking.x)` or `is_set(payee.x)`",
                        target.span,
                        "not a column",
                    ));
                    return None;
                }
                let a = self.expr(target, place)?;
                Some(Typed { expr: ir::Expr { kind: ir::ExprKind::IsSet(Box::new(a.expr)), span }, ty: Type::Bool, reads: a.reads })
            }
            _ => {
                let help = match self.names.get(name) {
                    Some((Decl::Table(_) | Decl::Curve(_), _)) => Some(format!("look it up with square brackets: `{name}[...]`")),
                    _ => payplan_syntax::closest(name, FUNCTIONS.iter().copied()).map(|s| format!("did you mean `{s}`?")),
                };
                let mut d = Diagnostic::error("payplan::call", format!("unknown function `{name}`"), callee.span, "not a function");
                d = d.with_help(
                    help.unwrap_or_else(|| format!("the functions are {}", FUNCTIONS.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "))),
                );
                self.error(d);
                None
            }
        }
    }

    fn lookup_expr(&mut self, name: &ast::Ident, key: &ast::Expr, place: Place, span: Span) -> Option<Typed> {
        let decl = self.lookup(name)?;
        let key_typed = self.expr(key, place)?;
        match decl {
            Decl::Table(id) => {
                let (key_ty, value_ty) = self.table_types.get(id).copied().flatten()?;
                let value_ty = value_ty?;
                if key_typed.ty != key_ty {
                    self.error(Diagnostic::error(
                        "payplan::type",
                        format!("table `{}` has {} keys, but the key here is {}", name.name, key_ty.plain(), key_typed.ty),
                        key.span,
                        "wrong key type",
                    ));
                    return None;
                }
                Some(Typed { expr: ir::Expr { kind: ir::ExprKind::Table(id, Box::new(key_typed.expr)), span }, ty: value_ty, reads: key_typed.reads })
            }
            Decl::Curve(id) => {
                if key_typed.ty != Type::Number {
                    self.error(
                        Diagnostic::error("payplan::type", format!("curve `{}` reads a number, found {}", name.name, key_typed.ty), key.span, "not a number")
                            .with_help("read a curve at an attainment or another ratio, e.g. `standard[attainment]`"),
                    );
                    return None;
                }
                Some(Typed { expr: ir::Expr { kind: ir::ExprKind::Curve(id, Box::new(key_typed.expr)), span }, ty: Type::Number, reads: key_typed.reads })
            }
            other => {
                self.error(Diagnostic::error(
                    "payplan::name",
                    format!("`{}` is {}, not a table or curve", name.name, other.describe()),
                    name.span,
                    "cannot be indexed",
                ));
                None
            }
        }
    }

    fn binary(&mut self, op: BinaryOp, lhs: &ast::Expr, rhs: &ast::Expr, place: Place, span: Span) -> Option<Typed> {
        if op == BinaryOp::AssignMistake {
            // Check both sides anyway, so that their own errors are reported too.
            let _ = self.expr(lhs, place);
            let _ = self.expr(rhs, place);
            let op_span = Span::new(lhs.span.end, rhs.span.start);
            let eq = self.text(op_span).find('=').map_or(op_span, |i| Span::new(op_span.start + i, op_span.start + i + 1));
            self.error(
                Diagnostic::error("payplan::syntax", format!("`=` is not a comparison in `{}`", self.text(span)), eq, "assignment, not comparison")
                    .with_help("to compare, use `==`"),
            );
            return None;
        }
        if op == BinaryOp::In {
            let a = self.expr(lhs, place);
            let ExprKind::List(items) = &rhs.kind else {
                self.error(
                    Diagnostic::error("payplan::type", "`in` takes a list on its right", rhs.span, "not a list").with_help("write `x in [\"a\", \"b\"]`"),
                );
                return None;
            };
            if items.is_empty() {
                self.error(Diagnostic::error("payplan::type", "`in` takes a non-empty list", rhs.span, "empty list"));
                return None;
            }
            let a = a?;
            let mut reads = a.reads;
            let mut lowered = Vec::new();
            for item in items {
                let t = self.expr(item, place)?;
                if t.ty != a.ty {
                    self.error(Diagnostic::error("payplan::type", format!("cannot look for {} among {}", a.ty, t.ty), item.span, format!("{}", t.ty)));
                    return None;
                }
                reads = reads.or(t.reads);
                lowered.push(t.expr);
            }
            return Some(Typed { expr: ir::Expr { kind: ir::ExprKind::In(Box::new(a.expr), lowered), span }, ty: Type::Bool, reads });
        }
        let a = self.expr(lhs, place);
        let b = self.expr(rhs, place);
        let (a, b) = (a?, b?);
        let reads = a.reads.or(b.reads);
        let (l, r) = (a.ty, b.ty);
        let result = match op {
            BinaryOp::And | BinaryOp::Or => (l == Type::Bool && r == Type::Bool).then_some(Type::Bool),
            BinaryOp::Eq | BinaryOp::Ne => (l == r).then_some(Type::Bool),
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                (l == r && matches!(l, Type::Number | Type::Money(_) | Type::Date | Type::Duration | Type::Text)).then_some(Type::Bool)
            }
            BinaryOp::Add => match (l, r) {
                (Type::Number, Type::Number) => Some(Type::Number),
                (Type::Money(x), Type::Money(y)) if x == y => Some(l),
                (Type::Date, Type::Duration) | (Type::Duration, Type::Date) => Some(Type::Date),
                (Type::Duration, Type::Duration) => Some(Type::Duration),
                _ => None,
            },
            BinaryOp::Sub => match (l, r) {
                (Type::Number, Type::Number) => Some(Type::Number),
                (Type::Money(x), Type::Money(y)) if x == y => Some(l),
                (Type::Date, Type::Date) => Some(Type::Duration),
                (Type::Date, Type::Duration) => Some(Type::Date),
                (Type::Duration, Type::Duration) => Some(Type::Duration),
                _ => None,
            },
            BinaryOp::Mul | BinaryOp::Of => match (l, r) {
                (Type::Number, Type::Number) => Some(Type::Number),
                (Type::Money(_), Type::Number) => Some(l),
                (Type::Number, Type::Money(_)) => Some(r),
                _ => None,
            },
            BinaryOp::Div => match (l, r) {
                (Type::Number, Type::Number) => Some(Type::Number),
                (Type::Money(_), Type::Number) => Some(l),
                (Type::Money(x), Type::Money(y)) if x == y => Some(Type::Number),
                (Type::Duration, Type::Duration) => Some(Type::Number),
                _ => None,
            },
            BinaryOp::In | BinaryOp::AssignMistake => None,
        };
        let Some(ty) = result else {
            let written = self.text(span);
            let message = match op {
                BinaryOp::And | BinaryOp::Or => format!("`{}` joins two conditions, found {l} and {r} in `{written}`", op.symbol()),
                BinaryOp::Add => format!("cannot add {r} to {l} in `{written}`"),
                BinaryOp::Sub => format!("cannot subtract {r} from {l} in `{written}`"),
                BinaryOp::Mul | BinaryOp::Of => format!("cannot multiply {l} by {r} in `{written}`"),
                BinaryOp::Div => format!("cannot divide {l} by {r} in `{written}`"),
                _ => format!("cannot compare {l} with {r} in `{written}`"),
            };
            let help = match (l, r) {
                (Type::Money(x), Type::Money(y)) if x != y => format!(
                    "amounts in a plan are in the plan currency ({}); write `{}` in {} too",
                    self.currency,
                    if Some(y) != Some(self.currency) { self.text(rhs.span) } else { self.text(lhs.span) },
                    self.currency
                ),
                (Type::Money(c), Type::Number) | (Type::Number, Type::Money(c)) => {
                    format!("money and numbers do not mix here: write the number as money, e.g. `5 {c}`")
                }
                (Type::Money(_), Type::Money(_)) => "money times money has no meaning; multiply money by a number or a percent".to_string(),
                _ => "both sides must have compatible types (language.md section 2)".to_string(),
            };
            self.error(Diagnostic::error("payplan::type", message, span, format!("{l} {} {r}", op.symbol())).with_help(help));
            return None;
        };
        let kind = match op {
            BinaryOp::And => ir::ExprKind::And(Box::new(a.expr), Box::new(b.expr)),
            BinaryOp::Or => ir::ExprKind::Or(Box::new(a.expr), Box::new(b.expr)),
            _ => {
                let ir_op = match op {
                    BinaryOp::Add => ir::BinaryOp::Add,
                    BinaryOp::Sub => ir::BinaryOp::Sub,
                    BinaryOp::Mul | BinaryOp::Of => ir::BinaryOp::Mul,
                    BinaryOp::Div => ir::BinaryOp::Div,
                    BinaryOp::Eq => ir::BinaryOp::Eq,
                    BinaryOp::Ne => ir::BinaryOp::Ne,
                    BinaryOp::Lt => ir::BinaryOp::Lt,
                    BinaryOp::Le => ir::BinaryOp::Le,
                    BinaryOp::Gt => ir::BinaryOp::Gt,
                    _ => ir::BinaryOp::Ge,
                };
                ir::ExprKind::Binary(ir_op, Box::new(a.expr), Box::new(b.expr))
            }
        };
        Some(Typed { expr: ir::Expr { kind, span }, ty, reads })
    }
}

fn too_deep(name: &str, span: Span) -> Diagnostic {
    Diagnostic::error("payplan::limit", format!("`{name}` is defined through more than {MAX_DEFINITION_DEPTH} nested lets and measures"), span, "too deep")
        .with_help("define values more directly; long chains of names are hard to read too")
}
