//! Which columns a plan reads after crediting: a bundle keeps those and drops the rest.
//!
//! Credit rules are left out on purpose: a bundle carries entries already credited, so
//! whatever only crediting reads (owners, splits, accounts for territories) is not needed.

use payplan_ir::{BookingField, ComponentKind, Expr, ExprKind, PayeeField, Plan};
use std::collections::BTreeSet;

/// The columns read after crediting.
#[derive(Debug, Default)]
pub struct Reads {
    /// `booking.owner`.
    pub owner: bool,
    /// `booking.status`.
    pub status: bool,
    /// `booking.cancel_date`.
    pub cancel_date: bool,
    /// `booking.account`.
    pub account: bool,
    /// Declared booking fields, by slot.
    pub booking_fields: BTreeSet<usize>,
    /// `payee.manager`.
    pub manager: bool,
}

impl Reads {
    /// Walks every expression evaluated per payee (measures, components, caps, draw,
    /// eligibility) and the lets they read.
    pub fn of(plan: &Plan) -> Reads {
        let mut reads = Reads::default();
        let mut lets_seen = BTreeSet::new();
        let mut roots: Vec<&Expr> = Vec::new();
        roots.extend(plan.eligible.iter());
        roots.extend(plan.measures.iter().map(|m| &m.expr));
        roots.extend(plan.cap_total.iter());
        roots.extend(plan.draw.iter().map(|d| &d.amount));
        for component in &plan.components {
            roots.extend(component.cap_per_booking.iter());
            roots.extend(component.cap_per_period.iter());
            roots.extend(component.cap_per_term.iter());
            match &component.kind {
                ComponentKind::Commission(c) => {
                    roots.extend(c.filter.iter());
                    roots.extend(c.rate.iter());
                    roots.extend(c.gate.iter());
                    roots.extend(c.tiers.iter().filter_map(|t| t.divisor.as_ref()));
                }
                ComponentKind::Bonus(b) => {
                    roots.extend(b.when.iter());
                    roots.push(&b.pay);
                }
                ComponentKind::Spif(s) => {
                    roots.extend(s.when.iter());
                    roots.push(&s.pay);
                }
            }
        }
        while let Some(expr) = roots.pop() {
            match &expr.kind {
                ExprKind::Booking(field) => match field {
                    BookingField::Owner => reads.owner = true,
                    BookingField::Status => reads.status = true,
                    BookingField::CancelDate => reads.cancel_date = true,
                    BookingField::Account => reads.account = true,
                    BookingField::Custom(slot) => {
                        reads.booking_fields.insert(*slot);
                    }
                    BookingField::Id | BookingField::Date | BookingField::Amount | BookingField::Currency => {}
                },
                ExprKind::Payee(PayeeField::Manager) => reads.manager = true,
                ExprKind::Let(id) => {
                    if lets_seen.insert(*id) {
                        if let Some(definition) = plan.lets.get(*id) {
                            roots.push(&definition.expr);
                        }
                    }
                }
                ExprKind::Measure(_) | ExprKind::Const(_) | ExprKind::Payee(_) | ExprKind::Quota { .. } | ExprKind::Metric { .. } => {}
                ExprKind::Credited { filter, .. } | ExprKind::Count { filter, .. } => roots.extend(filter.as_deref()),
                ExprKind::Table(id, key) => {
                    roots.push(key);
                    if let Some(table) = plan.tables.get(*id) {
                        roots.extend(table.entries.iter().map(|(_, e)| e));
                        roots.extend(table.default.iter());
                    }
                }
                ExprKind::Curve(_, a) | ExprKind::OwnerOf(a) | ExprKind::IsSet(a) | ExprKind::Abs(a) | ExprKind::Neg(a) | ExprKind::Not(a) => roots.push(a),
                ExprKind::Min(a, b)
                | ExprKind::Max(a, b)
                | ExprKind::DaysBetween(a, b)
                | ExprKind::And(a, b)
                | ExprKind::Or(a, b)
                | ExprKind::Binary(_, a, b) => {
                    roots.push(a);
                    roots.push(b);
                }
                ExprKind::In(a, list) => {
                    roots.push(a);
                    roots.extend(list.iter());
                }
                ExprKind::If(a, b, c) => {
                    roots.push(a);
                    roots.push(b);
                    roots.push(c);
                }
            }
        }
        reads
    }
}
