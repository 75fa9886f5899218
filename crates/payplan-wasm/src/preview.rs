//! A payee's preview: the lines of every period (as the `explain` JSON gives them) and
//! what the payout curve needs, without the per-entry trace. Its size does not grow
//! with the payee's bookings, so the page can recompute it on every keystroke.

use payplan_eval::trace::{BandTrace, PayeeTrace};
use payplan_eval::{format_amount, LineKind, PayeeResult};
use payplan_ir::Plan;
use rust_decimal::Decimal;
use serde::Serialize;

/// One payee's figures. Amounts are strings.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    /// Payee id.
    pub payee: String,
    /// Payee name.
    pub name: Option<String>,
    /// The plan currency.
    pub currency: String,
    /// Balance owed at the end of the term.
    pub balance: String,
    /// Every period's lines, as in `explain --format json` (carry and recovery only
    /// when not zero).
    pub periods: Vec<PreviewPeriod>,
    /// The measures at the end of the last period on the plan (`attainment`...).
    pub measures: Vec<MeasureAtEnd>,
    /// The payout curve of the first tiered commission, when the plan has one.
    pub curve: Option<CurveData>,
}

/// One period's lines.
#[derive(Debug, Clone, Serialize)]
pub struct PreviewPeriod {
    /// `Q1`...
    pub period: String,
    /// False when the payee was not on the plan in the period.
    pub evaluated: bool,
    /// The lines.
    pub lines: Vec<LineAmount>,
}

/// A line and its amount.
#[derive(Debug, Clone, Serialize)]
pub struct LineAmount {
    /// The line name.
    pub line: String,
    /// The amount, with the currency's minor digits.
    pub amount: String,
}

/// A measure's value at a period end.
#[derive(Debug, Clone, Serialize)]
pub struct MeasureAtEnd {
    /// The measure.
    pub name: String,
    /// Its value as text.
    pub value: String,
}

/// What the chart of a payout curve needs (the reading of the trace the HTML statement
/// uses): the bands in credit terms at the last period on the plan, the credit so
/// far, and the effective base rate (credit-weighted) that multipliers apply to.
#[derive(Debug, Clone, Serialize)]
pub struct CurveData {
    /// The commission.
    pub component: String,
    /// The tier measure (`attainment`).
    pub measure: String,
    /// What the measure divides credit by (the quota), when it is a ratio.
    pub divisor: Option<Decimal>,
    /// The bands, bounds in credit.
    pub bands: Vec<BandTrace>,
    /// The credit of the part (the x position of the payee, times the divisor).
    pub credit: Decimal,
    /// The credit-weighted base rate of the entries (`None` when there is no credit).
    pub base_rate: Option<Decimal>,
}

impl Preview {
    /// The preview of an explained payee.
    pub fn new(plan: &Plan, result: &PayeeResult, trace: &PayeeTrace) -> Preview {
        let digits = plan.currency.minor_units();
        let periods = result
            .periods
            .iter()
            .zip(&trace.periods)
            .map(|(lines, traced)| PreviewPeriod {
                period: lines.period.clone(),
                evaluated: traced.evaluated,
                lines: lines
                    .lines
                    .iter()
                    .filter(|l| !matches!(l.kind, LineKind::Carry | LineKind::Recovery) || !l.amount.is_zero())
                    .map(|l| LineAmount { line: l.name.clone(), amount: format_amount(l.amount, digits) })
                    .collect(),
            })
            .collect();
        let last = trace.periods.iter().rev().find(|p| p.evaluated);
        let measures = last.map_or_else(Vec::new, |p| p.measures.iter().map(|m| MeasureAtEnd { name: m.name.clone(), value: m.value.clone() }).collect());
        Preview {
            payee: trace.payee.clone(),
            name: trace.name.clone(),
            currency: plan.currency.code().to_string(),
            balance: format_amount(trace.balance, digits),
            periods,
            measures,
            curve: curve(trace),
        }
    }
}

/// The first tiered commission of the last evaluated period.
fn curve(trace: &PayeeTrace) -> Option<CurveData> {
    let (component, part) = trace.last_tiered_part()?;
    let tiers = part.tiers.as_ref()?;
    Some(CurveData {
        component: component.to_string(),
        measure: tiers.measure.clone(),
        divisor: tiers.divisor,
        bands: tiers.bands.clone(),
        credit: part.credit?,
        base_rate: part.base_rate,
    })
}
