//! Expression evaluation: one evaluator for crediting (a booking, no payee) and for a
//! payee at a period end (measures, lets, quotas, credited sums), with per-period caches.

use crate::credit::{describe, Entry};
use crate::error::{EvalError, Result};
use crate::trace::{Prorated, TargetRow, TargetValue};
use crate::value;
use chrono::NaiveDate;
use payplan_facts::{Booking, Facts, FieldValue, Payee, PeriodValue};
use payplan_ir::{BinaryOp, BookingField, CurveKind, Expr, ExprKind, PayeeField, Plan, Value};
use rust_decimal::Decimal;

/// A booking being judged, with the fx rate of its date.
#[derive(Debug, Clone, Copy)]
pub struct BookingView<'a> {
    /// The booking.
    pub booking: &'a Booking,
    /// Its position in `Facts::bookings`.
    pub index: usize,
    /// Plan-currency units per unit of the booking's currency on its date.
    pub fx_rate: Decimal,
}

/// The payee side of an evaluation: who, when, and the payee's paid entries.
pub struct PayeeScope<'a> {
    /// The payee.
    pub payee: &'a Payee,
    /// The payee's paid entries (eligible, active on the entry date) of each rule, in
    /// entry order (so by date: the entries to a date are a prefix).
    pub by_rule: Vec<Vec<&'a Entry>>,
    /// `credited(rule, filter)` filters judged per entry (filters read the booking only,
    /// so a judgement holds for the whole term): (filter address, rule, per entry).
    filter_memo: Vec<(usize, usize, Vec<Option<bool>>)>,
    /// The period being evaluated (index into `Plan::periods`).
    pub period: usize,
    measure_cache: Vec<Option<Value>>,
    let_cache: Vec<Option<Value>>,
    /// Quotas and metrics read in the current period, when tracing.
    pub targets: Option<Vec<TargetValue>>,
}

impl<'a> PayeeScope<'a> {
    /// A scope for `payee` with its paid entries.
    pub fn new(plan: &Plan, payee: &'a Payee, entries: Vec<&'a Entry>) -> PayeeScope<'a> {
        let mut by_rule: Vec<Vec<&'a Entry>> = vec![Vec::new(); plan.rules.len()];
        for entry in entries {
            if let Some(list) = by_rule.get_mut(entry.rule) {
                list.push(entry);
            }
        }
        PayeeScope {
            payee,
            by_rule,
            filter_memo: Vec::new(),
            period: 0,
            measure_cache: vec![None; plan.measures.len()],
            let_cache: vec![None; plan.lets.len()],
            targets: None,
        }
    }
}

/// Evaluates lowered expressions against facts.
pub struct Evaluator<'a> {
    /// The plan.
    pub plan: &'a Plan,
    /// The facts.
    pub facts: &'a Facts,
    /// The payee side, absent while crediting.
    pub scope: Option<PayeeScope<'a>>,
}

impl<'a> Evaluator<'a> {
    /// An evaluator for credit rules: booking columns only.
    pub fn for_crediting(plan: &'a Plan, facts: &'a Facts) -> Evaluator<'a> {
        Evaluator { plan, facts, scope: None }
    }

    /// An evaluator for one payee.
    pub fn for_payee(plan: &'a Plan, facts: &'a Facts, scope: PayeeScope<'a>) -> Evaluator<'a> {
        Evaluator { plan, facts, scope: Some(scope) }
    }

    /// Moves to another period end: cached measures and lets are dropped.
    pub fn set_period(&mut self, period: usize) {
        if let Some(scope) = &mut self.scope {
            scope.period = period;
            scope.measure_cache.iter_mut().for_each(|v| *v = None);
            scope.let_cache.iter_mut().for_each(|v| *v = None);
        }
    }

    /// The current period.
    pub fn period(&self) -> Option<&'a payplan_ir::Period> {
        self.plan.periods.get(self.scope.as_ref().map_or(0, |s| s.period))
    }

    /// A measure's value if it was computed at the current period end.
    pub fn cached_measure(&self, id: usize) -> Option<Value> {
        self.scope.as_ref().and_then(|s| s.measure_cache.get(id).cloned().flatten())
    }

    /// The current period's bounds.
    fn period_bounds(&self) -> Result<(NaiveDate, NaiveDate)> {
        let index = self.scope.as_ref().map_or(0, |s| s.period);
        self.plan.periods.get(index).map(|p| (p.start, p.end)).ok_or_else(|| EvalError::new("internal error: no such period"))
    }

    /// Evaluates a condition.
    pub fn eval_bool(&mut self, expr: &Expr, booking: Option<&BookingView<'a>>) -> Result<bool> {
        match self.eval(expr, booking)? {
            Value::Bool(b) => Ok(b),
            _ => Err(EvalError::new("internal error: a condition that is not a bool").at(expr.span)),
        }
    }

    /// Evaluates a money or number expression to its decimal.
    pub fn eval_decimal(&mut self, expr: &Expr, booking: Option<&BookingView<'a>>) -> Result<Decimal> {
        match self.eval(expr, booking)? {
            Value::Money(d) | Value::Number(d) => Ok(d),
            _ => Err(EvalError::new("internal error: an amount that is not a number").at(expr.span)),
        }
    }

    /// Evaluates an expression. Errors name the expression's span (the innermost one).
    pub fn eval(&mut self, expr: &Expr, booking: Option<&BookingView<'a>>) -> Result<Value> {
        self.eval_inner(expr, booking).map_err(|e| e.at(expr.span))
    }

    fn eval_inner(&mut self, expr: &Expr, booking: Option<&BookingView<'a>>) -> Result<Value> {
        Ok(match &expr.kind {
            ExprKind::Const(v) => v.clone(),
            ExprKind::Booking(field) => {
                let view = booking.ok_or_else(|| EvalError::new("internal error: a booking column read without a booking"))?;
                self.booking_field(view, *field)?.ok_or_else(|| absent_booking(view.booking, *field, self.plan))?
            }
            ExprKind::Payee(field) => {
                let payee = self.scope.as_ref().map(|s| s.payee).ok_or_else(|| EvalError::new("internal error: a payee column read without a payee"))?;
                payee_field(payee, *field)?.ok_or_else(|| absent_payee(payee, *field, self.plan))?
            }
            ExprKind::IsSet(inner) => Value::Bool(match &inner.kind {
                ExprKind::Booking(field) => {
                    let view = booking.ok_or_else(|| EvalError::new("internal error: a booking column read without a booking"))?;
                    self.booking_field(view, *field)?.is_some()
                }
                ExprKind::Payee(field) => {
                    let payee = self.scope.as_ref().map(|s| s.payee).ok_or_else(|| EvalError::new("internal error: no payee"))?;
                    payee_field(payee, *field)?.is_some()
                }
                _ => true,
            }),
            ExprKind::Let(id) => {
                let reads_booking = self.plan.lets.get(*id).is_some_and(|l| l.reads_booking);
                let cached = if reads_booking { None } else { self.scope.as_ref().and_then(|s| s.let_cache.get(*id).cloned().flatten()) };
                match cached {
                    Some(v) => v,
                    None => {
                        let plan = self.plan;
                        let definition = plan.lets.get(*id).ok_or_else(|| EvalError::new("internal error: no such let"))?;
                        let v = self.eval(&definition.expr, booking)?;
                        if !reads_booking {
                            if let Some(slot) = self.scope.as_mut().and_then(|s| s.let_cache.get_mut(*id)) {
                                *slot = Some(v.clone());
                            }
                        }
                        v
                    }
                }
            }
            ExprKind::Measure(id) => self.measure(*id)?,
            ExprKind::Table(id, key) => {
                // A booking's text column is compared where it lies (no shared string
                // is counted up and down: threads would contend for its count).
                let in_place = match (&key.kind, booking) {
                    (ExprKind::Booking(field), Some(view)) => booking_text(view, *field),
                    _ => None,
                };
                let owned: Value;
                let key_value: KeyRef<'_> = match in_place {
                    Some(Some(text)) => KeyRef::Text(text),
                    _ => {
                        owned = self.eval(key, booking)?;
                        match &owned {
                            Value::Text(t) => KeyRef::Text(t),
                            Value::Number(n) => KeyRef::Number(*n),
                            _ => return Err(EvalError::new("internal error: a table key that is neither text nor number")),
                        }
                    }
                };
                let plan = self.plan;
                let table = plan.tables.get(*id).ok_or_else(|| EvalError::new("internal error: no such table"))?;
                // Compare in place: no key is built, so a lookup allocates nothing.
                let position = match key_value {
                    KeyRef::Text(t) => table.entries.binary_search_by(|(k, _)| match k {
                        payplan_ir::TableKey::Text(key) => key.as_str().cmp(t),
                        payplan_ir::TableKey::Number(_) => std::cmp::Ordering::Greater,
                    }),
                    KeyRef::Number(n) => table.entries.binary_search_by(|(k, _)| match k {
                        payplan_ir::TableKey::Number(key) => key.cmp(&n),
                        payplan_ir::TableKey::Text(_) => std::cmp::Ordering::Less,
                    }),
                };
                let found = position.ok().and_then(|i| table.entries.get(i)).map(|(_, e)| e);
                match found.or(table.default.as_ref()) {
                    Some(value_expr) => self.eval(value_expr, booking)?,
                    None => {
                        let shown = match key_value {
                            KeyRef::Text(t) => t.to_string(),
                            KeyRef::Number(n) => n.normalize().to_string(),
                        };
                        let mut error = EvalError::new(format!("table `{}` has no key `{shown}`", table.name))
                            .at(key.span)
                            .help(format!("add `\"{shown}\" => ...` to the table, or an `else => ...` entry"));
                        if let Some(view) = booking {
                            error = error.booking(describe(view.booking));
                        }
                        return Err(error);
                    }
                }
            }
            ExprKind::Curve(id, x) => {
                let at = self.eval_decimal(x, booking)?;
                let plan = self.plan;
                let curve = plan.curves.get(*id).ok_or_else(|| EvalError::new("internal error: no such curve"))?;
                Value::Number(read_curve(curve, at)?)
            }
            ExprKind::Credited { rule, filter, in_period } => Value::Money(self.credited_sum(*rule, filter.as_deref(), *in_period)?),
            ExprKind::Count { rule, filter, in_period } => {
                let entries = self.entries_in_scope(*rule, filter.as_deref(), *in_period)?;
                // Distinct bookings whose entries sum to more than zero.
                let mut per_booking: std::collections::BTreeMap<usize, Decimal> = std::collections::BTreeMap::new();
                for e in entries {
                    let total = per_booking.entry(e.booking).or_insert(Decimal::ZERO);
                    *total = value::add(*total, e.amount)?;
                }
                Value::Number(Decimal::from(per_booking.values().filter(|t| **t > Decimal::ZERO).count()))
            }
            ExprKind::Quota { name, in_period } => Value::Money(self.period_values(name, *in_period, true)?),
            ExprKind::Metric { name, in_period } => Value::Number(self.period_values(name, *in_period, false)?),
            ExprKind::OwnerOf(account) => {
                let view = booking.ok_or_else(|| EvalError::new("internal error: `owner_of` without a booking"))?;
                let account_id = match self.eval(account, booking)? {
                    Value::Text(t) => t.to_string(),
                    _ => return Err(EvalError::new("internal error: an account that is not text")),
                };
                match self.facts.owner_of(&account_id, view.booking.date) {
                    Some(row) => Value::Text(row.payee.as_str().into()),
                    None => {
                        return Err(EvalError::new(format!("account `{account_id}` has no owner on {}", view.booking.date))
                            .booking(describe(view.booking))
                            .help(format!("add a row to accounts.csv giving `{account_id}` an owner on that date")))
                    }
                }
            }
            ExprKind::Min(a, b) | ExprKind::Max(a, b) => {
                let x = self.eval(a, booking)?;
                let y = self.eval(b, booking)?;
                let take_first = if matches!(expr.kind, ExprKind::Min(..)) { x <= y } else { x >= y };
                if take_first {
                    x
                } else {
                    y
                }
            }
            ExprKind::Abs(a) => match self.eval(a, booking)? {
                Value::Number(n) => Value::Number(n.abs()),
                Value::Money(n) => Value::Money(n.abs()),
                Value::Duration(d) => Value::Duration(d.checked_abs().ok_or_else(|| EvalError::new("arithmetic overflow"))?),
                other => other,
            },
            ExprKind::DaysBetween(a, b) => match (self.eval(a, booking)?, self.eval(b, booking)?) {
                (Value::Date(x), Value::Date(y)) => Value::Number(Decimal::from(y.signed_duration_since(x).num_days())),
                _ => return Err(EvalError::new("internal error: `days_between` of non-dates")),
            },
            ExprKind::Neg(a) => match self.eval(a, booking)? {
                Value::Number(n) => Value::Number(-n),
                Value::Money(n) => Value::Money(-n),
                Value::Duration(d) => Value::Duration(d.checked_neg().ok_or_else(|| EvalError::new("arithmetic overflow"))?),
                other => other,
            },
            ExprKind::Not(a) => Value::Bool(!self.eval_bool(a, booking)?),
            // `and`, `or` and `if` short-circuit, so `is_set(x) and x > 0` is safe.
            ExprKind::And(a, b) => Value::Bool(self.eval_bool(a, booking)? && self.eval_bool(b, booking)?),
            ExprKind::Or(a, b) => Value::Bool(self.eval_bool(a, booking)? || self.eval_bool(b, booking)?),
            ExprKind::If(c, a, b) => {
                if self.eval_bool(c, booking)? {
                    self.eval(a, booking)?
                } else {
                    self.eval(b, booking)?
                }
            }
            ExprKind::In(x, list) => {
                let needle = self.eval(x, booking)?;
                let mut found = false;
                for item in list {
                    let matches = match &item.kind {
                        ExprKind::Const(constant) => *constant == needle,
                        _ => self.eval(item, booking)? == needle,
                    };
                    if matches {
                        found = true;
                        break;
                    }
                }
                Value::Bool(found)
            }
            ExprKind::Binary(op @ (BinaryOp::Eq | BinaryOp::Ne), a, b)
                if matches!(
                    (&a.kind, &b.kind),
                    (ExprKind::Booking(_), ExprKind::Const(Value::Text(_))) | (ExprKind::Const(Value::Text(_)), ExprKind::Booking(_))
                ) =>
            {
                // `booking.status == "won"`: the column is compared where it lies.
                let (field, constant) = match (&a.kind, &b.kind) {
                    (ExprKind::Booking(field), ExprKind::Const(Value::Text(c))) | (ExprKind::Const(Value::Text(c)), ExprKind::Booking(field)) => (*field, c),
                    _ => return Err(EvalError::new("internal error: a comparison that is not of a column")),
                };
                match booking.and_then(|view| booking_text(view, field)) {
                    Some(Some(text)) => Value::Bool((text == &**constant) == (*op == BinaryOp::Eq)),
                    _ => {
                        let x = self.eval(a, booking)?;
                        let y = self.eval(b, booking)?;
                        value::binary(*op, &x, &y)?
                    }
                }
            }
            ExprKind::Binary(op, a, b) => {
                let x = self.eval(a, booking)?;
                let y = self.eval(b, booking)?;
                value::binary(*op, &x, &y)?
            }
        })
    }

    /// A measure's value at the current period end (cached for the period).
    pub fn measure(&mut self, id: usize) -> Result<Value> {
        if let Some(v) = self.scope.as_ref().and_then(|s| s.measure_cache.get(id).cloned().flatten()) {
            return Ok(v);
        }
        let plan = self.plan;
        let measure = plan.measures.get(id).ok_or_else(|| EvalError::new("internal error: no such measure"))?;
        let value = self.eval(&measure.expr, None)?;
        if let Some(slot) = self.scope.as_mut().and_then(|s| s.measure_cache.get_mut(id)) {
            *slot = Some(value.clone());
        }
        Ok(value)
    }

    /// The payee's paid entries of `rule` in scope at the current period end, filtered.
    pub fn entries_in_scope(&mut self, rule: usize, filter: Option<&Expr>, in_period: bool) -> Result<Vec<&'a Entry>> {
        let (low, high) = self.scope_bounds(in_period)?;
        let scope = self.scope.as_ref().ok_or_else(|| EvalError::new("internal error: credited outside a payee"))?;
        let list = scope.by_rule.get(rule).map_or(&[][..], Vec::as_slice);
        let start = list.partition_point(|e| e.date < low);
        let end = list.partition_point(|e| e.date <= high).max(start);
        let mut kept = Vec::with_capacity(end - start);
        for position in start..end {
            if self.passes_filter(rule, position, filter)? {
                if let Some(entry) = self.scope.as_ref().and_then(|s| s.by_rule.get(rule)).and_then(|l| l.get(position)) {
                    kept.push(*entry);
                }
            }
        }
        Ok(kept)
    }

    /// The dates a scope covers at the current period end.
    fn scope_bounds(&self, in_period: bool) -> Result<(NaiveDate, NaiveDate)> {
        let (period_start, period_end) = self.period_bounds()?;
        Ok((if in_period { period_start } else { self.plan.term_start }, period_end))
    }

    /// Whether the entry at `position` of the payee's `rule` entries passes `filter`
    /// (judged once per entry and kept: filters read the booking only).
    pub fn passes_filter(&mut self, rule: usize, position: usize, filter: Option<&Expr>) -> Result<bool> {
        let Some(filter) = filter else { return Ok(true) };
        let key = filter as *const Expr as usize;
        let scope = self.scope.as_mut().ok_or_else(|| EvalError::new("internal error: a filter outside a payee"))?;
        let slot = match scope.filter_memo.iter().position(|(k, r, _)| *k == key && *r == rule) {
            Some(slot) => slot,
            None => {
                let len = scope.by_rule.get(rule).map_or(0, Vec::len);
                scope.filter_memo.push((key, rule, vec![None; len]));
                scope.filter_memo.len() - 1
            }
        };
        if let Some(known) = scope.filter_memo.get(slot).and_then(|(_, _, memo)| memo.get(position)).copied().flatten() {
            return Ok(known);
        }
        let entry = *scope.by_rule.get(rule).and_then(|l| l.get(position)).ok_or_else(|| EvalError::new("internal error: no such entry"))?;
        let view = self.view(entry)?;
        let passes = self.eval_bool(filter, Some(&view)).map_err(|e| e.booking(describe(view.booking)))?;
        if let Some(cell) = self.scope.as_mut().and_then(|s| s.filter_memo.get_mut(slot)).and_then(|(_, _, memo)| memo.get_mut(position)) {
            *cell = Some(passes);
        }
        Ok(passes)
    }

    /// `credited(rule, filter)` in scope, without building a list.
    fn credited_sum(&mut self, rule: usize, filter: Option<&Expr>, in_period: bool) -> Result<Decimal> {
        let (low, high) = self.scope_bounds(in_period)?;
        let (start, end) = {
            let scope = self.scope.as_ref().ok_or_else(|| EvalError::new("internal error: credited outside a payee"))?;
            let list = scope.by_rule.get(rule).map_or(&[][..], Vec::as_slice);
            let start = list.partition_point(|e| e.date < low);
            (start, list.partition_point(|e| e.date <= high).max(start))
        };
        let mut total = Decimal::ZERO;
        for position in start..end {
            if self.passes_filter(rule, position, filter)? {
                let amount = self.scope.as_ref().and_then(|s| s.by_rule.get(rule)).and_then(|l| l.get(position)).map_or(Decimal::ZERO, |e| e.amount);
                total = value::add(total, amount)?;
            }
        }
        Ok(total)
    }

    /// Positions `start..end` of the payee's `rule` entries dated `low..=high`.
    pub fn rule_positions(&self, rule: usize, low: NaiveDate, high: NaiveDate) -> Result<(usize, usize)> {
        let scope = self.scope.as_ref().ok_or_else(|| EvalError::new("internal error: entries outside a payee"))?;
        let list = scope.by_rule.get(rule).map_or(&[][..], Vec::as_slice);
        let start = list.partition_point(|e| e.date < low);
        Ok((start, list.partition_point(|e| e.date <= high).max(start)))
    }

    /// The payee's `rule` entry at `position`.
    pub fn rule_entry(&self, rule: usize, position: usize) -> Result<&'a Entry> {
        self.scope
            .as_ref()
            .and_then(|s| s.by_rule.get(rule))
            .and_then(|l| l.get(position))
            .copied()
            .ok_or_else(|| EvalError::new("internal error: no such entry"))
    }

    /// The booking of an entry, ready to be read.
    pub fn view(&self, entry: &Entry) -> Result<BookingView<'a>> {
        let booking = self.facts.bookings.get(entry.booking).ok_or_else(|| EvalError::new("internal error: no such booking"))?;
        Ok(BookingView { booking, index: entry.booking, fx_rate: entry.fx_rate })
    }

    /// Sums the payee's quota (or metric) rows named `name` in scope (section 6),
    /// prorated by active days when the plan says so (quotas only).
    fn period_values(&mut self, name: &str, in_period: bool, is_quota: bool) -> Result<Decimal> {
        let scope = self.scope.as_ref().ok_or_else(|| EvalError::new("internal error: a quota read outside a payee"))?;
        let payee = scope.payee;
        let period = self.plan.periods.get(scope.period).ok_or_else(|| EvalError::new("internal error: no such period"))?;
        let rows: &[PeriodValue] = if is_quota { &self.facts.quotas } else { &self.facts.metrics };
        let start = rows.partition_point(|r| (r.payee.as_str(), r.name.as_str()) < (payee.id.as_str(), name));
        let mut total = Decimal::ZERO;
        let mut found = false;
        let mut used = Vec::new();
        for row in rows.get(start..).unwrap_or(&[]).iter().take_while(|r| r.payee == payee.id && r.name == name) {
            let Some((row_start, row_end)) = row.period.span(self.plan.term_start) else { continue };
            let in_scope =
                if in_period { row_start >= period.start && row_end <= period.end } else { row_start >= self.plan.term_start && row_start <= period.end };
            if !in_scope {
                continue;
            }
            found = true;
            let mut amount = row.value;
            let mut prorated = None;
            if is_quota && self.plan.prorate {
                let active = active_days(payee, row_start, row_end);
                let days = row_end.signed_duration_since(row_start).num_days() + 1;
                amount = value::div(value::mul(amount, Decimal::from(active))?, Decimal::from(days))?;
                prorated = Some(Prorated { active_days: active, days, value: amount });
            }
            total = value::add(total, amount)?;
            if scope.targets.is_some() {
                used.push(TargetRow { period: row.period.to_string(), value: row.value, prorated });
            }
        }
        if !found {
            let what = if is_quota { "quota" } else { "metric" };
            let scope_words = if in_period { format!("for {}", period.label) } else { format!("up to the end of {}", period.label) };
            let file = if is_quota { "quotas.csv" } else { "metrics.csv" };
            return Err(EvalError::new(format!("payee `{}` has no {what} `{name}` {scope_words}", payee.id))
                .help(format!("add a row to {file}: `{},{name},{},...`", payee.id, period.label)));
        }
        if let Some(targets) = self.scope.as_mut().and_then(|s| s.targets.as_mut()) {
            let kind = if is_quota { "quota" } else { "metric" };
            if !targets.iter().any(|t| t.kind == kind && t.name == name && t.in_period == in_period) {
                targets.push(TargetValue { kind, name: name.to_string(), in_period, value: total, rows: used });
            }
        }
        Ok(total)
    }

    /// A booking column's value (`None` for an empty cell), money converted.
    fn booking_field(&self, view: &BookingView<'_>, field: BookingField) -> Result<Option<Value>> {
        let b = view.booking;
        Ok(match field {
            BookingField::Id => Some(Value::Text(b.id.as_str().into())),
            BookingField::Date => Some(Value::Date(b.date)),
            BookingField::Amount => Some(Value::Money(value::mul(b.amount, view.fx_rate)?)),
            BookingField::Currency => Some(Value::Text(b.currency.code().into())),
            BookingField::Owner => Some(Value::Text(b.owner.clone())),
            BookingField::Status => b.status.clone().map(Value::Text),
            BookingField::CancelDate => b.cancel_date.map(Value::Date),
            BookingField::Account => b.account.clone().map(Value::Text),
            BookingField::Custom(slot) => match b.fields.get(slot).cloned().flatten() {
                None => None,
                Some(FieldValue::Money(amount, currency)) => {
                    // A booking's money cell is in the booking currency (or its own code)
                    // and is read converted at the rate of the booking's date.
                    let rate = if currency == self.plan.currency {
                        Decimal::ONE
                    } else if currency == b.currency {
                        view.fx_rate
                    } else {
                        self.facts
                            .fx_rate(currency, b.date)
                            .map(|r| r.rate)
                            .ok_or_else(|| EvalError::new(format!("no fx rate for `{currency}` on {}", b.date)).booking(describe(b)))?
                    };
                    Some(Value::Money(value::mul(amount, rate)?))
                }
                Some(other) => Some(field_value(other)),
            },
        })
    }
}

/// A table key, borrowed where it lies or taken from an evaluated value.
#[derive(Clone, Copy)]
enum KeyRef<'v> {
    Text(&'v str),
    Number(Decimal),
}

/// A booking's text column read in place: `Some(Some(text))`; `Some(None)` for an
/// empty cell; `None` when the column does not hold text.
fn booking_text<'b>(view: &BookingView<'b>, field: BookingField) -> Option<Option<&'b str>> {
    let b: &'b Booking = view.booking;
    match field {
        BookingField::Id => Some(Some(b.id.as_str())),
        BookingField::Owner => Some(Some(&b.owner)),
        BookingField::Currency => Some(Some(b.currency.code())),
        BookingField::Status => Some(b.status.as_deref()),
        BookingField::Account => Some(b.account.as_deref()),
        BookingField::Custom(slot) => match b.fields.get(slot)? {
            Some(FieldValue::Text(t)) => Some(Some(t)),
            _ => None,
        },
        BookingField::Date | BookingField::Amount | BookingField::CancelDate => None,
    }
}

/// A custom cell as a value.
fn field_value(value: FieldValue) -> Value {
    match value {
        FieldValue::Text(t) => Value::Text(t),
        FieldValue::Number(n) => Value::Number(n),
        FieldValue::Money(m, _) => Value::Money(m),
        FieldValue::Date(d) => Value::Date(d),
        FieldValue::Bool(b) => Value::Bool(b),
    }
}

/// A payee column's value (`None` for an empty cell).
fn payee_field(p: &Payee, field: PayeeField) -> Result<Option<Value>> {
    Ok(match field {
        PayeeField::Id => Some(Value::Text(p.id.as_str().into())),
        PayeeField::Name => p.name.as_deref().map(|t| Value::Text(t.into())),
        PayeeField::Role => p.role.as_deref().map(|t| Value::Text(t.into())),
        PayeeField::Manager => p.manager.as_deref().map(|t| Value::Text(t.into())),
        PayeeField::StartDate => p.start_date.map(Value::Date),
        PayeeField::EndDate => p.end_date.map(Value::Date),
        PayeeField::TargetIncentive => p.target_incentive.map(Value::Money),
        PayeeField::Custom(slot) => p.fields.get(slot).cloned().flatten().map(field_value),
    })
}

fn booking_column_name(plan: &Plan, field: BookingField) -> String {
    match field {
        BookingField::Id => "id".into(),
        BookingField::Date => "date".into(),
        BookingField::Amount => "amount".into(),
        BookingField::Currency => "currency".into(),
        BookingField::Owner => "owner".into(),
        BookingField::Status => "status".into(),
        BookingField::CancelDate => "cancel_date".into(),
        BookingField::Account => "account".into(),
        BookingField::Custom(slot) => plan.booking_fields.get(slot).map(|(n, _)| n.clone()).unwrap_or_default(),
    }
}

fn payee_column_name(plan: &Plan, field: PayeeField) -> String {
    match field {
        PayeeField::Id => "id".into(),
        PayeeField::Name => "name".into(),
        PayeeField::Role => "role".into(),
        PayeeField::Manager => "manager".into(),
        PayeeField::StartDate => "start_date".into(),
        PayeeField::EndDate => "end_date".into(),
        PayeeField::TargetIncentive => "target_incentive".into(),
        PayeeField::Custom(slot) => plan.payee_fields.get(slot).map(|(n, _)| n.clone()).unwrap_or_default(),
    }
}

fn absent_booking(b: &Booking, field: BookingField, plan: &Plan) -> EvalError {
    let column = booking_column_name(plan, field);
    // The booking and its file and line follow as the error's context.
    EvalError::new(format!("the booking has no `{column}`: the cell is empty"))
        .booking(describe(b))
        .help(format!("fill the cell, or test it first with `is_set(booking.{column})`"))
}

fn absent_payee(p: &Payee, field: PayeeField, plan: &Plan) -> EvalError {
    let column = payee_column_name(plan, field);
    // The payee follows as the error's context; the row is named here.
    EvalError::new(format!("the payee has no `{column}`: the cell is empty at {}", p.origin))
        .payee(&p.id)
        .help(format!("fill the cell, or test it first with `is_set(payee.{column})`"))
}

/// Days of `[start, end]` on which the payee is active.
pub fn active_days(payee: &Payee, start: NaiveDate, end: NaiveDate) -> i64 {
    let from = payee.start_date.map_or(start, |s| s.max(start));
    let to = payee.end_date.map_or(end, |e| e.min(end));
    (to.signed_duration_since(from).num_days() + 1).max(0)
}

/// Reads a curve at `x` (language.md section 7, curve).
pub fn read_curve(curve: &payplan_ir::Curve, x: Decimal) -> Result<Decimal> {
    let (Some(first), Some(last)) = (curve.points.first(), curve.points.last()) else {
        return Ok(Decimal::ZERO);
    };
    if x < first.0 {
        return Ok(curve.below.unwrap_or(first.1));
    }
    if x >= last.0 {
        if curve.flat_above || curve.kind == CurveKind::Step || curve.points.len() == 1 {
            return Ok(last.1);
        }
        let n = curve.points.len();
        let (Some(a), Some(b)) = (curve.points.get(n.wrapping_sub(2)), curve.points.get(n - 1)) else { return Ok(last.1) };
        return interpolate(*a, *b, x);
    }
    for pair in curve.points.windows(2) {
        if let [a, b] = pair {
            if x >= a.0 && x < b.0 {
                return match curve.kind {
                    CurveKind::Step => Ok(a.1),
                    CurveKind::Linear => interpolate(*a, *b, x),
                };
            }
        }
    }
    Ok(last.1)
}

/// `y0 + (x - x0) * (y1 - y0) / (x1 - x0)`, in that order of operations.
fn interpolate((x0, y0): (Decimal, Decimal), (x1, y1): (Decimal, Decimal), x: Decimal) -> Result<Decimal> {
    let rise = value::mul(value::sub(x, x0)?, value::sub(y1, y0)?)?;
    value::add(y0, value::div(rise, value::sub(x1, x0)?)?)
}
