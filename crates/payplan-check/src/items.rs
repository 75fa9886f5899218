//! Credit rules, measures, lets, components, caps and the draw.

use crate::context::{Checker, Decl, State};
use crate::expr::Place;
use crate::settings::date_literal;
use crate::tiers::BoundKind;
use crate::types::Type;
use payplan_ir as ir;
use payplan_syntax::ast::{self, BonusClauseKind, CommissionClauseKind, CreditClauseKind, ItemKind, SpifClauseKind};
use payplan_syntax::{Diagnostic, Span};
use rust_decimal::Decimal;

/// Reports a clause written twice in one block; true when it is the first.
fn first_time(checker: &mut Checker<'_>, seen: &mut Vec<(&'static str, Span)>, clause: &'static str, span: Span, block: &str) -> bool {
    if let Some((_, first)) = seen.iter().find(|(c, _)| *c == clause) {
        let first = *first;
        checker.error(
            Diagnostic::error("payplan::clause", format!("`{clause}` appears twice in {block}"), span, "again here")
                .with_label(first, "first here")
                .with_help("each clause may appear at most once in a block"),
        );
        return false;
    }
    seen.push((clause, span));
    true
}

/// A whole number of at most `max` from a decimal literal.
fn whole(value: Decimal, max: i64) -> Option<i64> {
    if !value.fract().is_zero() || value.is_sign_negative() {
        return None;
    }
    let v: i64 = value.trunc().to_string().parse().ok()?;
    (v <= max).then_some(v)
}

impl Checker<'_> {
    /// Lowers every credit rule.
    pub fn lower_rules(&mut self) -> Vec<ir::CreditRule> {
        let rules = self.rules.clone();
        let mut lowered = Vec::new();
        for (id, rule) in rules.iter().enumerate() {
            let block = format!("credit rule `{}`", rule.name.name);
            let mut seen = Vec::new();
            let mut when = None;
            let mut amount = None;
            let mut date = None;
            let mut recipients: Option<(ir::Recipients, Span)> = None;
            let mut clawback_days = None;
            let mut rollup_span = None;
            for clause in &rule.clauses {
                let name = match &clause.kind {
                    CreditClauseKind::When(_) => "when",
                    CreditClauseKind::Amount(_) => "amount",
                    CreditClauseKind::Date(_) => "date",
                    CreditClauseKind::Clawback(..) => "clawback",
                    _ => "recipients",
                };
                if name == "recipients" {
                    if let Some((_, first)) = &recipients {
                        let first = *first;
                        self.error(
                            Diagnostic::error("payplan::credit", format!("{block} names its recipients twice"), clause.span, "second recipient form")
                                .with_label(first, "first here")
                                .with_help("use exactly one of `to splits`, `to EXPR`, `split ...` or `rollup RULE`"),
                        );
                        continue;
                    }
                } else if !first_time(self, &mut seen, name, clause.span, &block) {
                    continue;
                }
                match &clause.kind {
                    CreditClauseKind::When(e) => when = self.expect_type(e, Place::CreditRule, "when", |t| t == Type::Bool, "a bool"),
                    CreditClauseKind::Amount(e) => {
                        let currency = self.currency;
                        amount = self.expect_type(e, Place::CreditRule, "amount", |t| t == Type::Money(currency), &format!("money in {currency}"));
                    }
                    CreditClauseKind::Date(e) => date = self.expect_type(e, Place::CreditRule, "date", |t| t == Type::Date, "a date"),
                    CreditClauseKind::ToSplits => recipients = Some((ir::Recipients::Splits, clause.span)),
                    CreditClauseKind::To(e) => {
                        if let Some(to) = self.expect_type(e, Place::CreditRule, "to", |t| t == Type::Text, "a payee id (text)") {
                            recipients = Some((ir::Recipients::To(to), clause.span));
                        }
                    }
                    CreditClauseKind::Split(shares) => {
                        if let Some(split) = self.plan_split(shares, clause.span) {
                            recipients = Some((ir::Recipients::Split(split), clause.span));
                        }
                    }
                    CreditClauseKind::Rollup { rule: base, all_levels } => {
                        rollup_span = Some(clause.span);
                        match self.lookup(base) {
                            Some(Decl::Rule(base_id)) if base_id == id => self.error(
                                Diagnostic::error("payplan::credit", format!("rule `{}` rolls itself up", rule.name.name), base.span, "itself")
                                    .with_help("roll up another rule, e.g. `rollup direct`"),
                            ),
                            Some(Decl::Rule(base_id)) => recipients = Some((ir::Recipients::Rollup { rule: base_id, all_levels: *all_levels }, clause.span)),
                            Some(other) => self.error(Diagnostic::error(
                                "payplan::credit",
                                format!("`rollup` takes a credit rule, but `{}` is {}", base.name, other.describe()),
                                base.span,
                                "not a credit rule",
                            )),
                            None => {}
                        }
                    }
                    CreditClauseKind::Clawback(days, span) => match whole(*days, 100_000) {
                        Some(d) => clawback_days = Some(d),
                        None => self.error(Diagnostic::error(
                            "payplan::credit",
                            format!("`{}` is not a whole number of days", self.text(*span)),
                            *span,
                            "not whole days",
                        )),
                    },
                }
            }
            if let Some(span) = rollup_span {
                for (clause, clause_span) in &seen {
                    self.error(
                        Diagnostic::error("payplan::credit", format!("a rollup rule takes no `{clause}`"), *clause_span, "not for a rollup")
                            .with_label(span, "this rule rolls up")
                            .with_help("a rollup credits managers with exactly the entries of the rule it rolls up (reversals included); filter or date that rule instead"),
                    );
                }
            }
            let recipients = recipients.map_or(ir::Recipients::Splits, |(r, _)| r);
            lowered.push(ir::CreditRule { name: rule.name.name.clone(), span: rule.name.span, when, amount, date, recipients, clawback_days, reported: false });
        }
        lowered
    }

    fn plan_split(&mut self, shares: &[(ast::Expr, ast::Literal)], span: Span) -> Option<Vec<(ir::Expr, Decimal)>> {
        let mut out = Vec::new();
        let mut total = Decimal::ZERO;
        let mut ok = true;
        for (who, share) in shares {
            let recipient = self.expect_type(who, Place::CreditRule, "split", |t| t == Type::Text, "a payee id (text)");
            let value = match share.kind {
                ast::LiteralKind::Percent(v) | ast::LiteralKind::Number(v) if v > Decimal::ZERO => Some(v),
                _ => {
                    self.error(Diagnostic::error(
                        "payplan::credit",
                        format!("a split share is a positive percent or number, found `{}`", self.text(share.span)),
                        share.span,
                        "not a share",
                    ));
                    None
                }
            };
            match (recipient, value) {
                (Some(r), Some(v)) => {
                    total = total.checked_add(v).unwrap_or(Decimal::MAX);
                    out.push((r, v));
                }
                _ => ok = false,
            }
        }
        if !ok {
            return None;
        }
        if total != Decimal::ONE {
            let last = shares.last().map_or(span, |(_, s)| s.span);
            self.error(
                Diagnostic::error(
                    "payplan::credit",
                    format!("split shares sum to {}%, not 100%", (total * Decimal::ONE_HUNDRED).normalize()),
                    last,
                    "shares must add up to 100%",
                )
                .with_label(span, "this split")
                .with_help("adjust the shares so that they sum to exactly 100%"),
            );
            return None;
        }
        Some(out)
    }

    /// An order of rules in which a rollup comes after the rule it rolls up.
    pub fn rule_order(&mut self, rules: &[ir::CreditRule]) -> Option<Vec<ir::RuleId>> {
        let mut order = Vec::new();
        let mut state = vec![0u8; rules.len()]; // 0 new, 1 visiting, 2 done
        for start in 0..rules.len() {
            let mut chain = Vec::new();
            let mut current = Some(start);
            while let Some(id) = current {
                match state.get(id) {
                    Some(2) => break,
                    Some(1) => {
                        let rule = self.rules.get(start).map_or(Span::default(), |r| r.name.span);
                        let name = rules.get(start).map_or("", |r| r.name.as_str());
                        self.error(
                            Diagnostic::error("payplan::cycle", format!("rule `{name}` rolls up a chain that leads back to itself"), rule, "rollup cycle")
                                .with_help("a rollup must end at a rule that credits bookings"),
                        );
                        return None;
                    }
                    _ => {}
                }
                if let Some(s) = state.get_mut(id) {
                    *s = 1;
                }
                chain.push(id);
                current = match rules.get(id).map(|r| &r.recipients) {
                    Some(ir::Recipients::Rollup { rule, .. }) => Some(*rule),
                    _ => None,
                };
            }
            for id in chain.into_iter().rev() {
                if let Some(s) = state.get_mut(id) {
                    *s = 2;
                }
                order.push(id);
            }
        }
        Some(order)
    }

    /// Lowers every measure (checking those no one reads too).
    pub fn lower_measures(&mut self) -> Vec<ir::Measure> {
        let measures = self.measures.clone();
        let mut out = Vec::new();
        for (id, m) in measures.iter().enumerate() {
            if let Some(checked) = self.measure_checked(id, m.name.span) {
                out.push(ir::Measure { name: m.name.name.clone(), expr: checked.expr, in_period: m.in_period });
            }
        }
        out
    }

    /// Lowers every let (checking those no one reads too).
    pub fn lower_lets(&mut self) -> Vec<ir::Let> {
        let lets = self.lets.clone();
        let mut out = Vec::new();
        for (id, (name, _)) in lets.iter().enumerate() {
            if let Some(checked) = self.let_checked(id, name.span) {
                out.push(ir::Let { name: name.name.clone(), expr: checked.expr, reads_booking: checked.reads.booking });
            }
        }
        out
    }

    /// Whether a lowered expression reads credits (directly or through lets and measures).
    fn reads_credits(&self, expr: &ir::Expr) -> bool {
        use ir::ExprKind as K;
        match &expr.kind {
            K::Credited { .. } | K::Count { .. } => true,
            K::Let(id) => matches!(self.let_state.get(*id), Some(State::Done(c)) if c.reads.credits),
            K::Measure(id) => matches!(self.measure_state.get(*id), Some(State::Done(c)) if c.reads.credits),
            K::Const(_) | K::Booking(_) | K::Payee(_) | K::Quota { .. } | K::Metric { .. } => false,
            K::Table(_, a) | K::Curve(_, a) | K::OwnerOf(a) | K::IsSet(a) | K::Abs(a) | K::Neg(a) | K::Not(a) => self.reads_credits(a),
            K::Min(a, b) | K::Max(a, b) | K::DaysBetween(a, b) | K::And(a, b) | K::Or(a, b) | K::Binary(_, a, b) => {
                self.reads_credits(a) || self.reads_credits(b)
            }
            K::In(a, list) => self.reads_credits(a) || list.iter().any(|e| self.reads_credits(e)),
            K::If(a, b, c) => self.reads_credits(a) || self.reads_credits(b) || self.reads_credits(c),
        }
    }

    /// The lowered expression of a checked measure.
    fn measure_expr(&self, id: usize) -> Option<&ir::Expr> {
        match self.measure_state.get(id) {
            Some(State::Done(c)) => Some(&c.expr),
            _ => None,
        }
    }

    /// Lowers components, caps and the draw.
    pub fn lower_components(&mut self) -> (Vec<ir::Component>, Option<ir::Expr>, Option<ir::Draw>) {
        let items = self.components.clone();
        let mut components: Vec<Option<ir::Component>> = Vec::new();
        for item in &items {
            let lowered = match &item.kind {
                ItemKind::Commission(c) => self.commission(c).map(|k| (c.name.name.clone(), ir::ComponentKind::Commission(k))),
                ItemKind::Bonus(b) => self.bonus(b).map(|k| (b.name.name.clone(), ir::ComponentKind::Bonus(k))),
                ItemKind::Spif(s) => self.spif(s).map(|k| (s.name.name.clone(), ir::ComponentKind::Spif(k))),
                _ => None,
            };
            components.push(lowered.map(|(name, kind)| ir::Component { name, kind, cap_per_booking: None, cap_per_period: None, cap_per_term: None }));
        }

        let mut cap_total: Option<(ir::Expr, Span)> = None;
        let mut cap_total_span: Option<Span> = None;
        let mut cap_seen: Vec<(usize, &'static str, Span)> = Vec::new();
        let mut draw: Option<ir::Draw> = None;
        let mut draw_span: Option<Span> = None;
        let currency = self.currency;
        let plan = self.plan;
        for item in &plan.items {
            match &item.kind {
                ItemKind::Cap(cap) => {
                    let scope = cap.scope.name.as_str();
                    let amount = self.expect_type(&cap.amount, Place::PeriodEnd, "cap", |t| t == Type::Money(currency), &format!("money in {currency}"));
                    let Some(target) = &cap.target else {
                        if scope != "term" {
                            self.error(
                                Diagnostic::error("payplan::cap", format!("`cap total` takes `per term`, not `per {scope}`"), cap.scope.span, "not per term")
                                    .with_help("cap each component per booking or per period, and the total per term"),
                            );
                            continue;
                        }
                        if let Some(first) = cap_total_span {
                            self.error(Diagnostic::error("payplan::cap", "`cap total` appears twice", item.span, "again here").with_label(first, "first here"));
                            continue;
                        }
                        cap_total_span = Some(item.span);
                        if let Some(a) = amount {
                            cap_total = Some((a, item.span));
                        }
                        continue;
                    };
                    let index = match self.lookup(target) {
                        Some(Decl::Component(i)) => i,
                        Some(other) => {
                            self.error(
                                Diagnostic::error(
                                    "payplan::cap",
                                    format!("`{}` is {}; caps apply to components", target.name, other.describe()),
                                    target.span,
                                    "not a component",
                                )
                                .with_help("cap a commission, bonus or spif by its name, or everything with `cap total`"),
                            );
                            continue;
                        }
                        None => continue,
                    };
                    let scope_key: &'static str = match scope {
                        "booking" => "booking",
                        "period" => "period",
                        _ => "term",
                    };
                    if let Some((_, _, first)) = cap_seen.iter().find(|(i, s, _)| *i == index && *s == scope_key) {
                        let first = *first;
                        self.error(
                            Diagnostic::error("payplan::cap", format!("`{}` is capped per {scope_key} twice", target.name), item.span, "again here")
                                .with_label(first, "first here"),
                        );
                        continue;
                    }
                    cap_seen.push((index, scope_key, item.span));
                    if scope_key == "booking" && matches!(items.get(index).map(|i| &i.kind), Some(ItemKind::Bonus(_))) {
                        self.error(
                            Diagnostic::error("payplan::cap", format!("bonus `{}` has no bookings to cap", target.name), cap.scope.span, "per booking")
                                .with_help("cap a bonus per period or per term"),
                        );
                        continue;
                    }
                    if let (Some(Some(component)), Some(amount)) = (components.get_mut(index), amount) {
                        match scope_key {
                            "booking" => component.cap_per_booking = Some(amount),
                            "period" => component.cap_per_period = Some(amount),
                            _ => component.cap_per_term = Some(amount),
                        }
                    }
                }
                ItemKind::Draw(d) => {
                    if let Some(first) = draw_span {
                        self.error(
                            Diagnostic::error("payplan::draw", "a plan has at most one `draw`", item.span, "second draw").with_label(first, "first here"),
                        );
                        continue;
                    }
                    draw_span = Some(item.span);
                    let amount = self.expect_type(&d.amount, Place::PeriodEnd, "draw", |t| t == Type::Money(currency), &format!("money in {currency}"));
                    let periods = match d.periods {
                        None => Some(None),
                        Some((n, span)) => match whole(n, 1200).and_then(|v| u32::try_from(v).ok()).filter(|v| *v > 0) {
                            Some(v) => Some(Some(v)),
                            None => {
                                self.error(Diagnostic::error(
                                    "payplan::draw",
                                    format!("`for {}` needs a whole, positive number of periods", self.text(span)),
                                    span,
                                    "not a count",
                                ));
                                None
                            }
                        },
                    };
                    let kind = if d.kind.name == "recoverable" { ir::DrawKind::Recoverable } else { ir::DrawKind::Guaranteed };
                    if let (Some(amount), Some(periods)) = (amount, periods) {
                        draw = Some(ir::Draw { kind, amount, periods });
                    }
                }
                _ => {}
            }
        }
        (components.into_iter().flatten().collect(), cap_total.map(|(e, _)| e), draw)
    }

    fn commission(&mut self, c: &ast::CommissionDecl) -> Option<ir::Commission> {
        let block = format!("commission `{}`", c.name.name);
        let mut seen = Vec::new();
        let mut on: Option<&ast::Ident> = None;
        let mut rate_expr: Option<&ast::Expr> = None;
        let mut tiers: Option<(&ast::Tiers, Span)> = None;
        let mut gate: Option<&ast::Expr> = None;
        let mut accelerators = Vec::new();
        let mut decelerators = Vec::new();
        let mut sugar_measure: Option<&ast::Ident> = None;
        let mut sugar_span: Option<Span> = None;
        let mut ok = true;
        for clause in &c.clauses {
            let name = match &clause.kind {
                CommissionClauseKind::On(_) => "on",
                CommissionClauseKind::Rate(_) => "rate",
                CommissionClauseKind::Tiers(_) => "tiers",
                CommissionClauseKind::Gate(_) => "gate",
                CommissionClauseKind::Accelerator(..) | CommissionClauseKind::Decelerator(..) => "",
            };
            if !name.is_empty() && !first_time(self, &mut seen, name, clause.span, &block) {
                ok = false;
                continue;
            }
            match &clause.kind {
                CommissionClauseKind::On(m) => on = Some(m),
                CommissionClauseKind::Rate(e) => rate_expr = Some(e),
                CommissionClauseKind::Tiers(t) => tiers = Some((t, clause.span)),
                CommissionClauseKind::Gate(e) => gate = Some(e),
                CommissionClauseKind::Accelerator(f, b, m) | CommissionClauseKind::Decelerator(f, b, m) => {
                    if let Some(previous) = sugar_measure {
                        if previous.name != m.name {
                            self.error(Diagnostic::error(
                                "payplan::tiers",
                                format!("accelerators and decelerators of one commission read one measure, found `{}` and `{}`", previous.name, m.name),
                                m.span,
                                "another measure",
                            ));
                            ok = false;
                        }
                    }
                    sugar_measure = Some(m);
                    sugar_span = Some(sugar_span.map_or(clause.span, |s: Span| s.to(clause.span)));
                    if matches!(clause.kind, CommissionClauseKind::Accelerator(..)) {
                        accelerators.push((f, b));
                    } else {
                        decelerators.push((f, b));
                    }
                }
            }
        }
        let Some(on) = on else {
            self.error(
                Diagnostic::error("payplan::commission", format!("{block} has no `on` clause"), c.name.span, "what does it pay on?")
                    .with_help("add `on MEASURE`, where the measure is `credited(rule)`"),
            );
            return None;
        };
        let on_id = match self.lookup(on)? {
            Decl::Measure(id) => id,
            other => {
                let help = if matches!(other, Decl::Rule(_)) {
                    format!("declare `measure {}_credit = credited({})` and write `on {}_credit`", on.name, on.name, on.name)
                } else {
                    "`on` names a measure of the form `credited(rule)`".to_string()
                };
                self.error(
                    Diagnostic::error(
                        "payplan::commission",
                        format!("`on` takes a measure, but `{}` is {}", on.name, other.describe()),
                        on.span,
                        "not a measure",
                    )
                    .with_help(help),
                );
                return None;
            }
        };
        let _ = self.measure_checked(on_id, on.span)?;
        let (rule, filter, in_period) = match self.measure_expr(on_id).map(|e| &e.kind) {
            Some(ir::ExprKind::Credited { rule, filter, in_period }) => (*rule, filter.as_deref().cloned(), *in_period),
            _ => {
                self.error(
                    Diagnostic::error(
                        "payplan::commission",
                        format!("`on {}`: the measure must be `credited(rule)` or `credited(rule, filter)`", on.name),
                        on.span,
                        "not a credited measure",
                    )
                    .with_help("a commission pays on credit entries; put other arithmetic in `rate`, `tiers` or another measure"),
                );
                return None;
            }
        };

        let tier_table = if let Some((t, span)) = tiers {
            if let Some(s) = sugar_span {
                self.error(
                    Diagnostic::error("payplan::tiers", "`accelerator`/`decelerator` cannot be combined with `tiers`", s, "sugar for a tier table")
                        .with_label(span, "tier table")
                        .with_help("write the accelerated bands inside the `tiers` table instead"),
                );
                return None;
            }
            let mode = if t.mode.name == "retroactive" { ir::TierMode::Retroactive } else { ir::TierMode::Marginal };
            let (by, divisor, kind) = self.tier_measure(&t.by, on_id, &on.name)?;
            let bands = self.bands(&t.bands, kind, &t.by.name, span)?;
            Some(ir::Tiers { mode, by, divisor, bands })
        } else if let Some(measure) = sugar_measure {
            let (by, divisor, kind) = self.tier_measure(measure, on_id, &on.name)?;
            let bands = self.sugar_bands(&accelerators, &decelerators, kind, &measure.name)?;
            Some(ir::Tiers { mode: ir::TierMode::Marginal, by, divisor, bands })
        } else {
            None
        };

        let rate_tiers = tier_table.as_ref().is_some_and(|t| t.bands.iter().all(|b| matches!(b.value, ir::BandValue::Rate(_))));
        let rate = match rate_expr {
            Some(e) => {
                if rate_tiers {
                    self.error(
                        Diagnostic::error("payplan::commission", "the tiers pay rates, so `rate` has no effect", e.span, "unused rate")
                            .with_help("remove `rate`, or write the bands as multipliers such as `1.5x`"),
                    );
                    ok = false;
                }
                self.expect_type(e, Place::Rate, "rate", |t| t == Type::Number, "a number")
            }
            None => {
                if !rate_tiers {
                    self.error(
                        Diagnostic::error("payplan::commission", format!("{block} has no `rate`"), c.name.span, "no rate")
                            .with_help("add `rate 8%`, or tiers that pay rates such as `0 USD to 100_000 USD: 5%`"),
                    );
                    ok = false;
                }
                None
            }
        };
        if rate_expr.is_some() && rate.is_none() {
            ok = false;
        }
        let gate = match gate {
            Some(g) => {
                let lowered = self.expect_type(g, Place::PeriodEnd, "gate", |t| t == Type::Bool, "a bool");
                if lowered.is_none() {
                    ok = false;
                }
                lowered
            }
            None => None,
        };
        ok.then_some(ir::Commission { on: on_id, rule, filter, in_period, rate, tiers: tier_table, gate })
    }

    /// Resolves a tier measure: the `on` measure itself (money bands) or the `on`
    /// measure divided by something that does not read credits (ratio bands).
    fn tier_measure(&mut self, by: &ast::Ident, on_id: usize, on_name: &str) -> Option<(usize, Option<ir::Expr>, BoundKind)> {
        let by_id = match self.lookup(by)? {
            Decl::Measure(id) => id,
            other => {
                self.error(Diagnostic::error(
                    "payplan::tiers",
                    format!("tiers are `by` a measure, but `{}` is {}", by.name, other.describe()),
                    by.span,
                    "not a measure",
                ));
                return None;
            }
        };
        if by_id == on_id {
            return Some((by_id, None, BoundKind::Money));
        }
        let _ = self.measure_checked(by_id, by.span)?;
        let on_expr = self.measure_expr(on_id).cloned();
        let divisor = match self.measure_expr(by_id).map(|e| &e.kind) {
            Some(ir::ExprKind::Binary(ir::BinaryOp::Div, numerator, divisor)) => {
                let numerator_is_on = match (&numerator.kind, &on_expr) {
                    (ir::ExprKind::Measure(m), _) => *m == on_id,
                    (kind, Some(on)) => same_kind(kind, &on.kind),
                    _ => false,
                };
                (numerator_is_on && !self.reads_credits(divisor)).then(|| (**divisor).clone())
            }
            _ => None,
        };
        match divisor {
            Some(d) => Some((by_id, Some(d), BoundKind::Ratio)),
            None => {
                self.error(
                    Diagnostic::error(
                        "payplan::tiers",
                        format!("tiers must be by `{on_name}` or by `{on_name}` divided by a target, and `{}` is neither", by.name),
                        by.span,
                        "not linear in credit",
                    )
                    .with_help(format!("declare e.g. `measure attainment = {on_name} / quota(\"bookings\")` and write `by attainment`")),
                );
                None
            }
        }
    }

    fn bonus(&mut self, b: &ast::BonusDecl) -> Option<ir::Bonus> {
        let block = format!("bonus `{}`", b.name.name);
        let mut seen = Vec::new();
        let mut when = None;
        let mut pay = None;
        let mut ok = true;
        let currency = self.currency;
        for clause in &b.clauses {
            match &clause.kind {
                BonusClauseKind::When(e) => {
                    if first_time(self, &mut seen, "when", clause.span, &block) {
                        when = self.expect_type(e, Place::PeriodEnd, "when", |t| t == Type::Bool, "a bool");
                        ok &= when.is_some();
                    }
                }
                BonusClauseKind::Pay { amount, per_period } => {
                    if first_time(self, &mut seen, "pay", clause.span, &block) {
                        let lowered = self.expect_type(amount, Place::PeriodEnd, "pay", |t| t == Type::Money(currency), &format!("money in {currency}"));
                        ok &= lowered.is_some();
                        pay = lowered.map(|p| (p, *per_period));
                    }
                }
            }
        }
        if !seen.iter().any(|(c, _)| *c == "pay") {
            self.error(
                Diagnostic::error("payplan::bonus", format!("{block} has no `pay` clause"), b.name.span, "pays what?")
                    .with_help(format!("add e.g. `pay 5_000 {currency}` or `pay 2_500 {currency} per period`")),
            );
            return None;
        }
        let (pay, per_period) = pay?;
        ok.then_some(ir::Bonus { when, pay, per_period })
    }

    fn spif(&mut self, s: &ast::SpifDecl) -> Option<ir::Spif> {
        let block = format!("spif `{}`", s.name.name);
        let mut seen = Vec::new();
        let mut rule = None;
        let mut window = None;
        let mut when = None;
        let mut pay = None;
        let mut ok = true;
        let currency = self.currency;
        for clause in &s.clauses {
            let name = match &clause.kind {
                SpifClauseKind::On(_) => "on",
                SpifClauseKind::Window(..) => "window",
                SpifClauseKind::When(_) => "when",
                SpifClauseKind::Pay { .. } => "pay",
            };
            if !first_time(self, &mut seen, name, clause.span, &block) {
                ok = false;
                continue;
            }
            match &clause.kind {
                SpifClauseKind::On(r) => match self.lookup(r) {
                    Some(Decl::Rule(id)) => {
                        rule = Some(id);
                        if let Some(flag) = self.rule_reported.get_mut(id) {
                            *flag = true;
                        }
                    }
                    Some(other) => {
                        self.error(Diagnostic::error(
                            "payplan::spif",
                            format!("a spif is `on` a credit rule, but `{}` is {}", r.name, other.describe()),
                            r.span,
                            "not a credit rule",
                        ));
                        ok = false;
                    }
                    None => ok = false,
                },
                SpifClauseKind::Window(start, end) => {
                    let s = date_literal(self, start);
                    let e = date_literal(self, end);
                    match (s, e) {
                        (Some(s), Some(e)) if s <= e => window = Some((s, e)),
                        (Some(_), Some(_)) => {
                            self.error(Diagnostic::error("payplan::spif", "the window ends before it starts", clause.span, "empty window"));
                            ok = false;
                        }
                        _ => ok = false,
                    }
                }
                SpifClauseKind::When(e) => {
                    when = self.expect_type(e, Place::Spif, "when", |t| t == Type::Bool, "a bool");
                    ok &= when.is_some();
                }
                SpifClauseKind::Pay { amount, basis } => {
                    let (lowered, basis) = match basis {
                        ast::SpifBasis::PerBooking => (
                            self.expect_type(amount, Place::Spif, "pay", |t| t == Type::Money(currency), &format!("money in {currency}")),
                            ir::SpifBasis::PerBooking,
                        ),
                        ast::SpifBasis::OfCredit => (
                            self.expect_type(amount, Place::Spif, "pay ... of credit", |t| t == Type::Number, "a rate (a number or percent)"),
                            ir::SpifBasis::OfCredit,
                        ),
                    };
                    ok &= lowered.is_some();
                    pay = lowered.map(|p| (p, basis));
                }
            }
        }
        let missing: Vec<&str> = ["on", "pay"].into_iter().filter(|c| !seen.iter().any(|(s, _)| s == c)).collect();
        if !missing.is_empty() {
            self.error(
                Diagnostic::error("payplan::spif", format!("{block} has no `{}` clause", missing.join("` or `")), s.name.span, "incomplete spif")
                    .with_help(format!("a spif needs `on RULE` and `pay X {currency} per booking` (or `pay 2% of credit`)")),
            );
            return None;
        }
        let (pay, basis) = pay?;
        // Without a window a spif runs the whole term (any credit date).
        let window = window.unwrap_or((chrono::NaiveDate::MIN, chrono::NaiveDate::MAX));
        ok.then_some(ir::Spif { rule: rule?, window, when, pay, basis })
    }
}

/// Structural equality of lowered expressions, ignoring spans.
fn same_kind(a: &ir::ExprKind, b: &ir::ExprKind) -> bool {
    use ir::ExprKind as K;
    let same = |x: &ir::Expr, y: &ir::Expr| same_kind(&x.kind, &y.kind);
    let same_opt = |x: &Option<Box<ir::Expr>>, y: &Option<Box<ir::Expr>>| match (x, y) {
        (None, None) => true,
        (Some(x), Some(y)) => same(x, y),
        _ => false,
    };
    match (a, b) {
        (K::Credited { rule: r1, filter: f1, in_period: p1 }, K::Credited { rule: r2, filter: f2, in_period: p2 }) => r1 == r2 && p1 == p2 && same_opt(f1, f2),
        (K::Const(x), K::Const(y)) => x == y,
        (K::Booking(x), K::Booking(y)) => x == y,
        (K::Payee(x), K::Payee(y)) => x == y,
        (K::Binary(o1, a1, b1), K::Binary(o2, a2, b2)) => o1 == o2 && same(a1, a2) && same(b1, b2),
        (K::And(a1, b1), K::And(a2, b2)) | (K::Or(a1, b1), K::Or(a2, b2)) => same(a1, a2) && same(b1, b2),
        (K::Not(x), K::Not(y)) => same(x, y),
        _ => false,
    }
}
