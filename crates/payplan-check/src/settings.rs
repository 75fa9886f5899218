//! Plan settings: currency, term, period, rounding, eligibility, proration, fields.

use crate::context::Checker;
use crate::expr::Place;
use crate::types::Type;
use chrono::{Datelike, NaiveDate};
use payplan_facts::period::add_months;
use payplan_facts::{Currency, FieldType, PeriodKind, PeriodLabel};
use payplan_ir as ir;
use payplan_syntax::ast::{self, ItemKind, Record};
use payplan_syntax::{Diagnostic, Span};

/// The lowered settings.
pub struct Settings {
    pub term_start: NaiveDate,
    pub term_end: NaiveDate,
    pub period_kind: PeriodKind,
    pub periods: Vec<ir::Period>,
    pub rounding: ir::RoundingMode,
    pub eligible: Option<ir::Expr>,
    pub prorate: bool,
}

/// Built-in booking columns and their types (language.md section 3).
pub fn booking_builtin(name: &str, currency: Currency) -> Option<(ir::BookingField, Type)> {
    Some(match name {
        "id" => (ir::BookingField::Id, Type::Text),
        "date" => (ir::BookingField::Date, Type::Date),
        "amount" => (ir::BookingField::Amount, Type::Money(currency)),
        "currency" => (ir::BookingField::Currency, Type::Text),
        "owner" => (ir::BookingField::Owner, Type::Text),
        "status" => (ir::BookingField::Status, Type::Text),
        "cancel_date" => (ir::BookingField::CancelDate, Type::Date),
        "account" => (ir::BookingField::Account, Type::Text),
        _ => return None,
    })
}

/// Built-in payee columns and their types.
pub fn payee_builtin(name: &str, currency: Currency) -> Option<(ir::PayeeField, Type)> {
    Some(match name {
        "id" => (ir::PayeeField::Id, Type::Text),
        "name" => (ir::PayeeField::Name, Type::Text),
        "role" => (ir::PayeeField::Role, Type::Text),
        "manager" => (ir::PayeeField::Manager, Type::Text),
        "start_date" => (ir::PayeeField::StartDate, Type::Date),
        "end_date" => (ir::PayeeField::EndDate, Type::Date),
        "target_incentive" => (ir::PayeeField::TargetIncentive, Type::Money(currency)),
        _ => return None,
    })
}

/// The built-in column names of a record, for suggestions.
pub const BOOKING_BUILTINS: &[&str] = &["id", "date", "amount", "currency", "owner", "status", "cancel_date", "account"];
/// The built-in payee column names.
pub const PAYEE_BUILTINS: &[&str] = &["id", "name", "role", "manager", "start_date", "end_date", "target_incentive"];

/// Parses a date literal, reporting an impossible date.
pub fn date_literal(checker: &mut Checker<'_>, date: &ast::DateLit) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(&date.text, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            checker.error(
                Diagnostic::error("payplan::date", format!("`{}` is not a calendar date", date.text), date.span, "no such day")
                    .with_help("dates are `YYYY-MM-DD` and must exist in the calendar"),
            );
            None
        }
    }
}

impl Checker<'_> {
    /// Checks the plan settings: each at most once, the required ones present.
    pub fn settings(&mut self) -> Option<Settings> {
        let plan = self.plan;
        let mut seen: Vec<(&'static str, Span)> = Vec::new();
        let mut currency = None;
        let mut term: Option<(Option<NaiveDate>, Option<NaiveDate>, Span)> = None;
        let mut period_kind = None;
        let mut rounding = ir::RoundingMode::HalfUp;
        let mut eligible_expr = None;
        let mut prorate = false;
        let mut fields_ok = true;

        for item in &plan.items {
            let setting = match &item.kind {
                ItemKind::Currency(_) => "currency",
                ItemKind::Term(..) => "term",
                ItemKind::Period(_) => "period",
                ItemKind::Rounding(_) => "rounding",
                ItemKind::Eligible(_) => "eligible",
                ItemKind::Prorate => "prorate",
                _ => "",
            };
            if !setting.is_empty() {
                if let Some((_, first)) = seen.iter().find(|(s, _)| *s == setting) {
                    let first = *first;
                    self.error(
                        Diagnostic::error("payplan::setting", format!("`{setting}` is set twice"), item.span, "set again here")
                            .with_label(first, "first set here")
                            .with_help("each plan setting may appear at most once"),
                    );
                    continue;
                }
                seen.push((setting, item.span));
            }
            match &item.kind {
                ItemKind::Currency(code) => match Currency::parse(&code.name) {
                    Ok(c) => {
                        self.currency = c;
                        currency = Some(c);
                    }
                    Err(_) => self.error(
                        Diagnostic::error("payplan::currency", format!("`{}` is not an ISO 4217 currency code", code.name), code.span, "unknown currency")
                            .with_help("use a three-letter code such as `USD`, `EUR` or `JPY`"),
                    ),
                },
                ItemKind::Term(start, end) => {
                    let s = date_literal(self, start);
                    let e = date_literal(self, end);
                    term = Some((s, e, item.span));
                }
                ItemKind::Period(kind) => {
                    period_kind = match kind.name.as_str() {
                        "month" => Some(PeriodKind::Month),
                        "quarter" => Some(PeriodKind::Quarter),
                        "half" => Some(PeriodKind::Half),
                        _ => Some(PeriodKind::Year),
                    }
                }
                ItemKind::Rounding(mode) => {
                    rounding = match mode.name.as_str() {
                        "half_even" => ir::RoundingMode::HalfEven,
                        "down" => ir::RoundingMode::Down,
                        "up" => ir::RoundingMode::Up,
                        _ => ir::RoundingMode::HalfUp,
                    }
                }
                ItemKind::Eligible(expr) => eligible_expr = Some(expr),
                ItemKind::Prorate => prorate = true,
                ItemKind::Field(field) => fields_ok &= self.declare_field(field),
                _ => {}
            }
        }

        let plan_start = Span::new(plan.span.start, plan.name.span.end);
        if currency.is_none() && !seen.iter().any(|(s, _)| *s == "currency") {
            self.error(
                Diagnostic::error("payplan::setting", "the plan sets no `currency`", plan_start, "this plan")
                    .with_help("add the payout currency, e.g. `currency USD`"),
            );
        }
        if period_kind.is_none() {
            self.error(
                Diagnostic::error("payplan::setting", "the plan sets no `period`", plan_start, "this plan")
                    .with_help("add `period month`, `period quarter`, `period half` or `period year`"),
            );
        }
        if term.is_none() {
            self.error(
                Diagnostic::error("payplan::setting", "the plan sets no `term`", plan_start, "this plan")
                    .with_help("add the plan year, e.g. `term 2027-01-01 to 2027-12-31`"),
            );
        }
        let _ = eligible_expr;

        let (term_start, term_end, term_span) = match term {
            Some((Some(s), Some(e), span)) => (s, e, span),
            _ => return None,
        };
        let kind = period_kind?;
        let periods = self.periods(term_start, term_end, kind, term_span)?;
        (fields_ok && currency.is_some()).then_some(Settings { term_start, term_end, period_kind: kind, periods, rounding, eligible: None, prorate })
    }

    /// Checks `eligible`: it reads the payee only (no credits, no booking). `Err` when wrong.
    pub fn eligible(&mut self) -> Result<Option<ir::Expr>, ()> {
        let plan = self.plan;
        let Some(expr) = plan.items.iter().find_map(|i| match &i.kind {
            ItemKind::Eligible(e) => Some(e),
            _ => None,
        }) else {
            return Ok(None);
        };
        self.expect_type(expr, Place::Eligible, "eligible", |t| t == Type::Bool, "a bool").map(Some).ok_or(())
    }

    /// Divides the term into whole periods, or explains why it cannot be.
    fn periods(&mut self, start: NaiveDate, end: NaiveDate, kind: PeriodKind, span: Span) -> Option<Vec<ir::Period>> {
        if start.day() != 1 {
            self.error(
                Diagnostic::error("payplan::term", format!("the term starts on `{start}`, not on the 1st of a month"), span, "term")
                    .with_help(format!("start the term on `{}`", start.with_day(1).unwrap_or(start))),
            );
            return None;
        }
        if end < start {
            self.error(Diagnostic::error("payplan::term", format!("the term ends (`{end}`) before it starts (`{start}`)"), span, "term"));
            return None;
        }
        let mut periods = Vec::new();
        let mut period_start = start;
        let mut number = 1u32;
        while period_start <= end {
            let next = add_months(period_start, kind.months())?;
            let period_end = next.pred_opt()?;
            if period_end > end {
                self.error(
                    Diagnostic::error("payplan::term", format!("the term is not a whole number of {}s", kind.keyword()), span, "term")
                        .with_help(format!("end the term on `{period_end}` or `{}`", period_start.pred_opt().unwrap_or(period_start))),
                );
                return None;
            }
            periods.push(ir::Period { label: PeriodLabel { kind, number }, start: period_start, end: period_end });
            if periods.len() > 1200 {
                self.error(Diagnostic::error("payplan::limit", "the term holds more than 1200 periods", span, "term"));
                return None;
            }
            period_start = next;
            number += 1;
        }
        Some(periods)
    }

    /// Records a `field` declaration; false when it is wrong.
    fn declare_field(&mut self, field: &ast::FieldDecl) -> bool {
        let ty = match field.ty.name.as_str() {
            "text" => FieldType::Text,
            "number" => FieldType::Number,
            "money" => FieldType::Money,
            "date" => FieldType::Date,
            _ => FieldType::Bool,
        };
        let (builtin, list) = match field.record {
            Record::Booking => (booking_builtin(&field.name.name, self.currency).is_some(), &mut self.booking_fields),
            Record::Payee => (payee_builtin(&field.name.name, self.currency).is_some(), &mut self.payee_fields),
        };
        if builtin {
            let message = format!("`{}.{}` is a built-in column and needs no declaration", field.record.keyword(), field.name.name);
            self.error(Diagnostic::error("payplan::field", message, field.name.span, "built in").with_help("remove this line"));
            return false;
        }
        if list.iter().any(|(n, _)| *n == field.name.name) {
            let message = format!("`{}.{}` is declared twice", field.record.keyword(), field.name.name);
            self.error(Diagnostic::error("payplan::field", message, field.name.span, "declared again"));
            return false;
        }
        list.push((field.name.name.clone(), ty));
        true
    }
}
