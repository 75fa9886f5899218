//! Per-payee preview bundles (issue 9): what one payee's preview needs and nothing
//! more, so a rep's browser never holds anyone else's pay data.
//!
//! A bundle holds the plan text (with its SHA-256), the payee's own record, quota and
//! metric rows, the fx rows its bookings used, the credit entries this plan pays the
//! payee (already credited: splits, territories and rollups are resolved, so other
//! payees never need to appear), and those bookings with only the fields the plan reads
//! after crediting. For a manager, the entries rolled up from the team name the team
//! member they came from: those are the manager's to see.
//!
//! Evaluating a bundle runs the same engine on the same entries, so it gives exactly the
//! payee's lines of the full run.

mod privacy;

use chrono::NaiveDate;
use payplan_eval::{Entry, EvalError, PayeeResult};
use payplan_facts::{AccountOwner, Booking, Currency, Facts, FieldValue, FxRate, Origin, Payee, PeriodLabel, PeriodValue, Tables};
use payplan_ir::Plan;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

/// The format this version writes and reads.
pub const FORMAT: &str = "payplan-bundle/1";

/// A bundle as stored (JSON). Amounts and rates are decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    /// Always [`FORMAT`].
    pub format: String,
    /// SHA-256 of `plan`, hex.
    pub plan_sha256: String,
    /// The plan's text.
    pub plan: String,
    /// The payee's own record.
    pub payee: PayeeRecord,
    /// Ids of the team members whose credit rolls up to this payee (managers only).
    pub team: Vec<String>,
    /// The payee's quota rows.
    pub quotas: Vec<PeriodRow>,
    /// The payee's metric rows.
    pub metrics: Vec<PeriodRow>,
    /// The fx rows (all of them: market data, needed to convert hypothetical deals).
    pub fx: Vec<FxRow>,
    /// The bookings of the entries, with the fields the plan reads after crediting.
    pub bookings: Vec<BookingRecord>,
    /// The credit entries this plan pays the payee, in processing order.
    pub entries: Vec<EntryRecord>,
}

/// The payee's record, with the custom fields the plan declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayeeRecord {
    /// Id.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Role.
    pub role: Option<String>,
    /// The manager's id, only when the plan reads `payee.manager`.
    pub manager: Option<String>,
    /// First active day.
    pub start_date: Option<NaiveDate>,
    /// Last active day.
    pub end_date: Option<NaiveDate>,
    /// Target incentive (plan currency).
    pub target_incentive: Option<Decimal>,
    /// Declared custom fields, by name.
    pub fields: BTreeMap<String, Option<CellValue>>,
}

/// A custom cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum CellValue {
    /// Text.
    Text(String),
    /// A number.
    Number(Decimal),
    /// Money with its currency code.
    Money(Decimal, String),
    /// A date.
    Date(NaiveDate),
    /// A boolean.
    Bool(bool),
}

/// A quota or metric row of the payee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodRow {
    /// Quota or metric name.
    pub name: String,
    /// Period label.
    pub period: String,
    /// Amount or number.
    pub value: Decimal,
}

/// An fx row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FxRow {
    /// Currency code.
    pub currency: String,
    /// First day in force.
    pub date: NaiveDate,
    /// Plan-currency units per unit.
    pub rate: Decimal,
}

/// A booking, reduced to what the plan reads after crediting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRecord {
    /// Id.
    pub id: String,
    /// Date.
    pub date: NaiveDate,
    /// Amount in its currency.
    pub amount: Decimal,
    /// Its currency.
    pub currency: String,
    /// Owner id, only when the plan reads `booking.owner` and the owner is this payee or
    /// a member of their team.
    pub owner: Option<String>,
    /// Status, when read.
    pub status: Option<String>,
    /// Cancel date, when read.
    pub cancel_date: Option<NaiveDate>,
    /// Account, when read.
    pub account: Option<String>,
    /// Declared fields the plan reads, by name.
    pub fields: BTreeMap<String, Option<CellValue>>,
}

/// A credit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRecord {
    /// Credit rule name.
    pub rule: String,
    /// Booking id.
    pub booking: String,
    /// Credit date.
    pub date: NaiveDate,
    /// Credit in the plan currency.
    pub amount: Decimal,
    /// The payee's share.
    pub share: Decimal,
    /// A clawback reversal.
    pub reversal: bool,
    /// Credit date of the original (for reversals).
    pub original_date: NaiveDate,
    /// The fx rate used.
    pub fx_rate: Decimal,
    /// For rollup entries, the team member whose credit it is.
    pub rolled_up_from: Option<String>,
}

/// Why a bundle could not be made, read or evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    /// The file is not a bundle (not JSON of the right shape).
    NotABundle(String),
    /// A bundle of a format this version does not read.
    Format(String),
    /// The plan text does not match its hash: the file was altered.
    Corrupted,
    /// The bundle was made for another version of the plan than the one given.
    OtherPlan {
        /// Hash in the bundle.
        bundle: String,
        /// Hash of the plan given.
        plan: String,
    },
    /// The bundled plan does not check (with the first diagnostic).
    Plan(String),
    /// The payee is unknown or not eligible.
    NoSuchPayee(String),
    /// A reference inside the bundle is broken.
    Inconsistent(String),
    /// Evaluation failed.
    Eval(EvalError),
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::NotABundle(why) => write!(f, "not a payplan bundle: {why}"),
            BundleError::Format(found) => write!(f, "bundle format `{found}` is not one this payplan reads (`{FORMAT}`)"),
            BundleError::Corrupted => write!(f, "the bundle's plan does not match its hash: the file was altered"),
            BundleError::OtherPlan { bundle, plan } => write!(
                f,
                "this bundle was made for another version of the plan (plan hash {}…), not the plan loaded ({}…); make the bundle again from this plan",
                bundle.get(..12).unwrap_or(bundle),
                plan.get(..12).unwrap_or(plan)
            ),
            BundleError::Plan(why) => write!(f, "the bundled plan does not check: {why}"),
            BundleError::NoSuchPayee(id) => write!(f, "no bundle for payee `{id}`: unknown or not eligible for the plan"),
            BundleError::Inconsistent(why) => write!(f, "the bundle is inconsistent: {why}"),
            BundleError::Eval(e) => write!(f, "{}{}", e.message, e.context()),
        }
    }
}

impl std::error::Error for BundleError {}

/// SHA-256 of a plan's text, hex.
pub fn plan_hash(plan_text: &str) -> String {
    let digest = Sha256::digest(plan_text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn cell(value: &FieldValue) -> CellValue {
    match value {
        FieldValue::Text(t) => CellValue::Text(t.to_string()),
        FieldValue::Number(n) => CellValue::Number(*n),
        FieldValue::Money(m, c) => CellValue::Money(*m, c.code().to_string()),
        FieldValue::Date(d) => CellValue::Date(*d),
        FieldValue::Bool(b) => CellValue::Bool(*b),
    }
}

fn field_value(value: &CellValue) -> Result<FieldValue, BundleError> {
    Ok(match value {
        CellValue::Text(t) => FieldValue::Text(t.as_str().into()),
        CellValue::Number(n) => FieldValue::Number(*n),
        CellValue::Money(m, c) => FieldValue::Money(*m, currency(c)?),
        CellValue::Date(d) => FieldValue::Date(*d),
        CellValue::Bool(b) => FieldValue::Bool(*b),
    })
}

fn currency(code: &str) -> Result<Currency, BundleError> {
    Currency::parse(code).map_err(|e| BundleError::Inconsistent(e.to_string()))
}

/// Makes the bundle of one payee from a full run's facts.
pub fn make(plan_text: &str, plan: &Plan, facts: &Facts, payee_id: &str) -> Result<Bundle, BundleError> {
    let index = facts.payee_index(payee_id).ok_or_else(|| BundleError::NoSuchPayee(payee_id.to_string()))?;
    let payee = facts.payees.get(index).ok_or_else(|| BundleError::NoSuchPayee(payee_id.to_string()))?;
    if !payplan_eval::is_eligible(plan, facts, index).map_err(BundleError::Eval)? {
        return Err(BundleError::NoSuchPayee(payee_id.to_string()));
    }
    let entries = payplan_eval::paid_entries(plan, facts, index).map_err(BundleError::Eval)?;
    let reads = privacy::Reads::of(plan);

    let team: BTreeSet<usize> = entries.iter().filter_map(|e| e.rolled_up_from).collect();
    let id_of = |i: usize| facts.payees.get(i).map(|p| p.id.clone()).unwrap_or_default();
    let booking_ids: BTreeSet<usize> = entries.iter().map(|e| e.booking).collect();
    let mut bookings = Vec::new();
    for &b in &booking_ids {
        let Some(booking) = facts.bookings.get(b) else { continue };
        let owner_visible = facts.owner_index(b).is_some_and(|o| o == index || team.contains(&o));
        bookings.push(BookingRecord {
            id: booking.id.clone(),
            date: booking.date,
            amount: booking.amount,
            currency: booking.currency.code().to_string(),
            owner: (reads.owner && owner_visible).then(|| booking.owner.to_string()),
            status: if reads.status { booking.status.as_deref().map(str::to_string) } else { None },
            cancel_date: if reads.cancel_date { booking.cancel_date } else { None },
            account: if reads.account { booking.account.as_deref().map(str::to_string) } else { None },
            fields: plan
                .booking_fields
                .iter()
                .enumerate()
                .filter(|(slot, _)| reads.booking_fields.contains(slot))
                .map(|(slot, (name, _))| (name.clone(), booking.fields.get(slot).cloned().flatten().as_ref().map(cell)))
                .collect(),
        });
    }
    // Exchange rates are market data, not anyone's pay: the bundle keeps them all, so
    // that a hypothetical deal in any currency converts as the full run would.
    let fx = facts.fx.iter().map(|r| FxRow { currency: r.currency.code().to_string(), date: r.date, rate: r.rate }).collect();
    let rows = |list: &[PeriodValue]| -> Vec<PeriodRow> {
        list.iter().filter(|r| r.payee == payee.id).map(|r| PeriodRow { name: r.name.clone(), period: r.period.to_string(), value: r.value }).collect()
    };
    Ok(Bundle {
        format: FORMAT.to_string(),
        plan_sha256: plan_hash(plan_text),
        plan: plan_text.to_string(),
        payee: PayeeRecord {
            id: payee.id.clone(),
            name: payee.name.clone(),
            role: payee.role.clone(),
            manager: if reads.manager { payee.manager.clone() } else { None },
            start_date: payee.start_date,
            end_date: payee.end_date,
            target_incentive: payee.target_incentive,
            fields: plan
                .payee_fields
                .iter()
                .enumerate()
                .map(|(slot, (name, _))| (name.clone(), payee.fields.get(slot).cloned().flatten().as_ref().map(cell)))
                .collect(),
        },
        team: team.iter().map(|&i| id_of(i)).collect(),
        quotas: rows(&facts.quotas),
        metrics: rows(&facts.metrics),
        fx,
        bookings,
        entries: entries
            .iter()
            .map(|e| EntryRecord {
                rule: plan.rules.get(e.rule).map(|r| r.name.clone()).unwrap_or_default(),
                booking: facts.bookings.get(e.booking).map(|b| b.id.clone()).unwrap_or_default(),
                date: e.date,
                amount: e.amount,
                share: e.share,
                reversal: e.reversal,
                original_date: e.original_date,
                fx_rate: e.fx_rate,
                rolled_up_from: e.rolled_up_from.map(id_of),
            })
            .collect(),
    })
}

/// A bundle read back: the plan, minimal facts, and the payee's entries.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The checked plan.
    pub plan: Plan,
    /// The plan's text.
    pub plan_text: String,
    /// Facts holding the payee, the team members' ids, the bookings, rows and rates.
    pub facts: Facts,
    /// The payee's position in `facts.payees`.
    pub payee: usize,
    /// The entries, in processing order.
    pub entries: Vec<Entry>,
}

impl Opened {
    /// The same bundle with hypothetical deals added: each deal is credited by the
    /// plan's rules as the full run would credit it (a split row naming someone else
    /// credits them, and only this payee's share is kept), then evaluated with the rest.
    pub fn with_deals(&self, deals: &[Booking], splits: &[payplan_facts::Split]) -> Result<Opened, BundleError> {
        let me = self.facts.payees.get(self.payee).ok_or_else(|| BundleError::Inconsistent("the payee is missing".into()))?;
        // Crediting the deals alone: the payee, stand-ins for split partners, the rates.
        let mut partners: BTreeSet<String> = splits.iter().map(|s| s.payee.clone()).filter(|p| *p != me.id).collect();
        partners.extend(deals.iter().map(|d| d.owner.to_string()).filter(|o| *o != me.id));
        let stand_in = |id: &String| Payee::known_by_id(id, me.origin.clone());
        let crediting = Facts::from_tables(Tables {
            payees: std::iter::once(me.clone()).chain(partners.iter().map(stand_in)).collect(),
            bookings: deals.to_vec(),
            splits: splits.to_vec(),
            quotas: Vec::new(),
            metrics: Vec::new(),
            fx: self.facts.fx.clone(),
            accounts: Vec::new(),
        });
        let me_there = crediting.payee_index(&me.id).ok_or_else(|| BundleError::Inconsistent("the payee is missing".into()))?;
        let credited = payplan_eval::credit_entries(&self.plan, &crediting).map_err(BundleError::Eval)?;
        let new_entries: Vec<Entry> = credited.entries.into_iter().filter(|e| e.payee == me_there && e.rolled_up_from.is_none()).collect();

        // The bundle's facts with the deals added; entries re-pointed and re-ordered.
        let mut bookings = self.facts.bookings.clone();
        bookings.extend(deals.iter().cloned());
        let facts = Facts::from_tables(Tables {
            payees: self.facts.payees.clone(),
            bookings,
            splits: Vec::new(),
            quotas: self.facts.quotas.clone(),
            metrics: self.facts.metrics.clone(),
            fx: self.facts.fx.clone(),
            accounts: Vec::new(),
        });
        let reindex =
            |id: &str| facts.bookings.binary_search_by(|b| b.id.as_str().cmp(id)).map_err(|_| BundleError::Inconsistent(format!("no booking `{id}`")));
        let payee = facts.payee_index(&me.id).ok_or_else(|| BundleError::Inconsistent("the payee is missing".into()))?;
        let mut entries = Vec::with_capacity(self.entries.len() + new_entries.len());
        for e in &self.entries {
            let id = self.facts.bookings.get(e.booking).map(|b| b.id.as_str()).unwrap_or_default();
            entries.push(Entry { booking: reindex(id)?, payee, ..*e });
        }
        for e in new_entries {
            let id = crediting.bookings.get(e.booking).map(|b| b.id.as_str()).unwrap_or_default();
            entries.push(Entry { booking: reindex(id)?, payee, ..e });
        }
        entries.sort_by_key(Entry::order_key);
        Ok(Opened { plan: self.plan.clone(), plan_text: self.plan_text.clone(), facts, payee, entries })
    }

    /// The payee's lines (and trace in `detail`, when asked), exactly as in the full run.
    pub fn evaluate(&self, detail: Option<payplan_eval::trace::Detail>) -> Result<(PayeeResult, Option<payplan_eval::trace::PayeeTrace>), BundleError> {
        payplan_eval::evaluate_entries(&self.plan, &self.facts, self.payee, &self.entries, detail).map_err(BundleError::Eval)
    }
}

/// Reads a bundle: its format, its integrity, its plan.
pub fn open(json: &str) -> Result<Opened, BundleError> {
    let bundle: Bundle = serde_json::from_str(json).map_err(|e| {
        let shape: Result<serde_json::Value, _> = serde_json::from_str(json);
        match shape.ok().as_ref().and_then(|v| v.get("format")).and_then(|f| f.as_str()) {
            Some(format) if format != FORMAT => BundleError::Format(format.to_string()),
            _ => BundleError::NotABundle(e.to_string()),
        }
    })?;
    open_bundle(bundle)
}

/// Reads a bundle made for `plan_text`: a bundle of another plan version is an error.
pub fn open_for_plan(json: &str, plan_text: &str) -> Result<Opened, BundleError> {
    let opened = open(json)?;
    let expected = plan_hash(plan_text);
    let found = plan_hash(&opened.plan_text);
    if expected != found {
        return Err(BundleError::OtherPlan { bundle: found, plan: expected });
    }
    Ok(opened)
}

fn open_bundle(bundle: Bundle) -> Result<Opened, BundleError> {
    if bundle.format != FORMAT {
        return Err(BundleError::Format(bundle.format));
    }
    if plan_hash(&bundle.plan) != bundle.plan_sha256 {
        return Err(BundleError::Corrupted);
    }
    let checked = payplan_check::check_source(&bundle.plan);
    let Some(plan) = checked.plan else {
        let first = checked.diagnostics.first().map_or_else(String::new, |d| d.message.clone());
        return Err(BundleError::Plan(first));
    };
    let origin = Origin { file: Arc::from("bundle"), line: 0, json_index: None };
    let owner = bundle.payee.id.clone();
    let mut payees = vec![Payee {
        id: bundle.payee.id.clone(),
        name: bundle.payee.name.clone(),
        role: bundle.payee.role.clone(),
        manager: bundle.payee.manager.clone(),
        start_date: bundle.payee.start_date,
        end_date: bundle.payee.end_date,
        target_incentive: bundle.payee.target_incentive,
        fields: plan
            .payee_fields
            .iter()
            .map(|(name, _)| bundle.payee.fields.get(name).cloned().flatten().map(|v| field_value(&v)).transpose())
            .collect::<Result<_, _>>()?,
        origin: origin.clone(),
    }];
    for member in &bundle.team {
        payees.push(Payee::known_by_id(member, origin.clone()));
    }
    if let Some(manager) = &bundle.payee.manager {
        if !bundle.team.contains(manager) {
            payees.push(Payee::known_by_id(manager, origin.clone()));
        }
    }
    let bookings = bundle
        .bookings
        .iter()
        .map(|b| {
            Ok(Booking {
                id: b.id.clone(),
                date: b.date,
                amount: b.amount,
                currency: currency(&b.currency)?,
                // An owner the payee may not see is recorded as the payee: crediting is
                // done, and nothing after it reads an owner it was not given.
                owner: b.owner.as_deref().unwrap_or(owner.as_str()).into(),
                status: b.status.as_deref().map(Into::into),
                cancel_date: b.cancel_date,
                account: b.account.as_deref().map(Into::into),
                fields: plan
                    .booking_fields
                    .iter()
                    .map(|(name, _)| b.fields.get(name).cloned().flatten().map(|v| field_value(&v)).transpose())
                    .collect::<Result<_, _>>()?,
                origin: origin.clone(),
            })
        })
        .collect::<Result<Vec<_>, BundleError>>()?;
    let period_rows = |rows: &[PeriodRow]| -> Result<Vec<PeriodValue>, BundleError> {
        rows.iter()
            .map(|r| {
                Ok(PeriodValue {
                    payee: bundle.payee.id.clone(),
                    name: r.name.clone(),
                    period: PeriodLabel::parse(&r.period).map_err(|e| BundleError::Inconsistent(e.to_string()))?,
                    value: r.value,
                    origin: origin.clone(),
                })
            })
            .collect()
    };
    let fx = bundle
        .fx
        .iter()
        .map(|r| Ok(FxRate { currency: currency(&r.currency)?, date: r.date, rate: r.rate, origin: origin.clone() }))
        .collect::<Result<Vec<_>, BundleError>>()?;
    let facts = Facts::from_tables(Tables {
        payees,
        bookings,
        splits: Vec::new(),
        quotas: period_rows(&bundle.quotas)?,
        metrics: period_rows(&bundle.metrics)?,
        fx,
        accounts: Vec::<AccountOwner>::new(),
    });
    let payee = facts.payee_index(&bundle.payee.id).ok_or_else(|| BundleError::Inconsistent("the payee is missing".into()))?;
    let entries = bundle
        .entries
        .iter()
        .map(|e| {
            let rule = plan
                .rules
                .iter()
                .position(|r| r.name == e.rule)
                .ok_or_else(|| BundleError::Inconsistent(format!("no credit rule `{}` in the plan", e.rule)))?;
            let booking_index = facts
                .bookings
                .binary_search_by(|b| b.id.as_str().cmp(&e.booking))
                .map_err(|_| BundleError::Inconsistent(format!("no booking `{}`", e.booking)))?;
            let booking = facts.bookings.get(booking_index).ok_or_else(|| BundleError::Inconsistent(format!("no booking `{}`", e.booking)))?;
            let rolled_up_from = match &e.rolled_up_from {
                Some(id) => Some(facts.payee_index(id).ok_or_else(|| BundleError::Inconsistent(format!("no team member `{id}`")))?),
                None => None,
            };
            let original_amount = booking.amount.checked_mul(e.share).ok_or_else(|| BundleError::Inconsistent("an amount overflows".into()))?;
            Ok(Entry {
                rule,
                payee,
                booking: booking_index,
                date: e.date,
                amount: e.amount,
                share: e.share,
                reversal: e.reversal,
                original_date: e.original_date,
                original_amount: if e.reversal { -original_amount } else { original_amount },
                fx_rate: e.fx_rate,
                rolled_up_from,
            })
        })
        .collect::<Result<Vec<_>, BundleError>>()?;
    Ok(Opened { plan, plan_text: bundle.plan, facts, payee, entries })
}

/// Serializes a bundle (pretty JSON, amounts as strings).
pub fn to_json(bundle: &Bundle) -> String {
    let mut text = serde_json::to_string_pretty(bundle).unwrap_or_default();
    text.push('\n');
    text
}
