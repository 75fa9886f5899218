//! Which expressions give the same value at every period end for a given payee and
//! booking: those the engine may compute once per entry instead of once per period.
//!
//! An expression is period-invariant when it reads only constants, booking and payee
//! columns, tables, curves, accounts and other invariant `let`s: no measure, credit,
//! quota or metric (those are "as they stand at the period end").

use payplan_ir::{Expr, ExprKind, Plan};

/// Invariance of the plan's lets, computed once per run.
#[derive(Debug, Clone)]
pub struct Invariance {
    lets: Vec<bool>,
}

impl Invariance {
    /// Works out every `let` (in dependency order, lets referring to lets).
    pub fn of(plan: &Plan) -> Invariance {
        // The checker rejected cycles, so a fixpoint over at most `lets.len()` rounds
        // settles every let.
        let mut lets = vec![false; plan.lets.len()];
        let mut known = vec![false; plan.lets.len()];
        for _ in 0..=plan.lets.len() {
            let mut progress = false;
            for (id, definition) in plan.lets.iter().enumerate() {
                if known.get(id).copied().unwrap_or(true) {
                    continue;
                }
                let partial = Invariance { lets: lets.clone() };
                if let Some(value) = partial.judge(&definition.expr, &known) {
                    if let Some(slot) = lets.get_mut(id) {
                        *slot = value;
                    }
                    if let Some(slot) = known.get_mut(id) {
                        *slot = true;
                    }
                    progress = true;
                }
            }
            if !progress {
                break;
            }
        }
        Invariance { lets }
    }

    /// Whether `expr` has one value per (payee, booking) over the whole term.
    pub fn is_invariant(&self, expr: &Expr) -> bool {
        let known = vec![true; self.lets.len()];
        self.judge(expr, &known).unwrap_or(false)
    }

    /// `None` while a let it reads is not judged yet.
    fn judge(&self, expr: &Expr, known: &[bool]) -> Option<bool> {
        let all = |exprs: &[&Expr]| -> Option<bool> {
            let mut result = true;
            for e in exprs {
                result &= self.judge(e, known)?;
            }
            Some(result)
        };
        match &expr.kind {
            ExprKind::Const(_) | ExprKind::Booking(_) | ExprKind::Payee(_) => Some(true),
            ExprKind::Measure(_) | ExprKind::Credited { .. } | ExprKind::Count { .. } | ExprKind::Quota { .. } | ExprKind::Metric { .. } => Some(false),
            ExprKind::Let(id) => {
                if !known.get(*id).copied().unwrap_or(false) {
                    return None;
                }
                self.lets.get(*id).copied()
            }
            ExprKind::Table(_, a)
            | ExprKind::Curve(_, a)
            | ExprKind::OwnerOf(a)
            | ExprKind::IsSet(a)
            | ExprKind::Abs(a)
            | ExprKind::Neg(a)
            | ExprKind::Not(a) => all(&[a]),
            ExprKind::Min(a, b) | ExprKind::Max(a, b) | ExprKind::DaysBetween(a, b) | ExprKind::And(a, b) | ExprKind::Or(a, b) | ExprKind::Binary(_, a, b) => {
                all(&[a, b])
            }
            ExprKind::In(a, list) => {
                let mut items: Vec<&Expr> = vec![a];
                items.extend(list.iter());
                all(&items)
            }
            ExprKind::If(a, b, c) => all(&[a, b, c]),
        }
    }
}
