//! Hypothetical deals: bookings a rep has not closed yet, added to the loaded facts to
//! see what they would pay.
//!
//! A deal arrives from the page as text fields (amounts are strings, never JavaScript
//! numbers) and becomes a booking `WHATIF-N` (status `won` unless given), owned by the
//! rep, with optional split rows and the plan's declared booking fields. Cells are
//! read with the formats of data.md: plain decimals (`120000`, `-500.50`), ISO dates,
//! ISO 4217 codes, shares written `60%` or `0.6`. The deal must keep every invariant
//! of [`Facts`] that the loader guarantees: known payees, an fx rate for a foreign
//! currency on the deal's date, split shares summing to exactly 100%, sorted tables.

use crate::problem::{Problem, Stage};
use chrono::NaiveDate;
use payplan_facts::{Booking, Currency, Facts, FieldType, FieldValue, Origin, Schema, Split};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The prefix of a hypothetical booking's id: `WHATIF-1`, `WHATIF-2`...
pub const ID_PREFIX: &str = "WHATIF-";

/// A deal as the page sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatIfDeal {
    /// The payee who owns it.
    pub owner: String,
    /// The close date, `YYYY-MM-DD`.
    pub date: String,
    /// The amount as a plain decimal, in `currency`.
    pub amount: String,
    /// An ISO 4217 code; empty or absent: the plan currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// The status; empty or absent: `won`.
    #[serde(default)]
    pub status: Option<String>,
    /// The account, for territory rules; empty or absent: none.
    #[serde(default)]
    pub account: Option<String>,
    /// Declared booking fields by name (`product`); an empty value is an empty cell.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Split rows; none: the owner gets 100%.
    #[serde(default)]
    pub splits: Vec<WhatIfSplit>,
}

/// One split row of a hypothetical deal.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatIfSplit {
    /// The payee credited.
    pub payee: String,
    /// The share: `60%` or `0.6`.
    pub share: String,
}

/// Reads a JSON array of deals (one problem when it is not one).
pub fn parse_deals(json: &str) -> Result<Vec<WhatIfDeal>, Vec<Problem>> {
    serde_json::from_str(json)
        .map_err(|error| vec![Problem::error(Stage::WhatIf, "payplan::what-if", format!("the hypothetical deals are not valid: {error}"))])
}

/// Whom a deal's owner and split rows may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealPayees<'a> {
    /// Payees of the loaded data set, for owner and split rows alike.
    OfTheData,
    /// A bundle's payee, who owns every deal. Split rows may name colleagues the bundle
    /// does not list (it never lists anyone else): only the payee's share is kept.
    OfTheBundle(&'a str),
}

/// The deals as bookings `WHATIF-1`... (status `won` unless given, with the plan's
/// declared booking fields) and their split rows, or every problem found.
pub fn read_deals(facts: &Facts, schema: &Schema, deals: &[WhatIfDeal], payees: DealPayees<'_>) -> Result<(Vec<Booking>, Vec<Split>), Vec<Problem>> {
    let mut problems = Vec::new();
    let mut bookings = Vec::new();
    let mut splits = Vec::new();
    for (index, deal) in deals.iter().enumerate() {
        let mut reader = DealReader { number: index + 1, payees, problems: Vec::new() };
        if let Some((booking, deal_splits)) = reader.booking(facts, schema, deal) {
            if reader.problems.is_empty() {
                bookings.push(booking);
                splits.extend(deal_splits);
            }
        }
        problems.append(&mut reader.problems);
    }
    if problems.is_empty() {
        Ok((bookings, splits))
    } else {
        Err(problems)
    }
}

/// `facts` with the deals added as bookings `WHATIF-1`..., or every problem found.
pub fn apply(facts: &Facts, schema: &Schema, deals: &[WhatIfDeal]) -> Result<Facts, Vec<Problem>> {
    let (bookings, splits) = read_deals(facts, schema, deals, DealPayees::OfTheData)?;
    let mut tables = facts.to_tables();
    tables.bookings.extend(bookings);
    tables.splits.extend(splits);
    // Sorts the new rows into place and indexes their references, as the loader does.
    Ok(Facts::from_tables(tables))
}

/// Reads one deal, collecting its problems.
struct DealReader<'a> {
    /// The deal's 1-based number.
    number: usize,
    /// Whom the owner and split rows may name.
    payees: DealPayees<'a>,
    problems: Vec<Problem>,
}

impl DealReader<'_> {
    fn file(&self) -> String {
        format!("what-if deal {}", self.number)
    }

    /// Records a problem with `field` of the deal.
    fn problem(&mut self, field: &str, message: impl Into<String>, help: Option<&str>) {
        let mut problem = Problem::error(Stage::WhatIf, "payplan::what-if", format!("{}: {field}: {}", self.file(), message.into()));
        problem.help = help.map(str::to_string);
        problem.file = Some(self.file());
        problem.deal = Some(self.number);
        problem.field = Some(field.to_string());
        self.problems.push(problem);
    }

    fn booking(&mut self, facts: &Facts, schema: &Schema, deal: &WhatIfDeal) -> Option<(Booking, Vec<Split>)> {
        let id = format!("{ID_PREFIX}{}", self.number);
        if facts.bookings.binary_search_by(|b| b.id.as_str().cmp(&id)).is_ok() {
            self.problem(
                "id",
                format!("the data already has a booking `{id}`"),
                Some("rename that booking: ids starting with WHATIF- are for hypothetical deals"),
            );
        }
        match self.payees {
            DealPayees::OfTheData if facts.payee(&deal.owner).is_none() => {
                self.problem("owner", format!("{:?} is not a payee of the data", deal.owner), Some("choose a payee from the list"));
            }
            DealPayees::OfTheBundle(payee) if deal.owner != payee => {
                self.problem(
                    "owner",
                    format!("{:?} is not the payee of the bundle ({payee})", deal.owner),
                    Some("a bundle holds one payee's figures: the deals are theirs"),
                );
            }
            _ => {}
        }
        let date = self.date("date", &deal.date);
        let amount = self.number_cell("amount", &deal.amount);
        let currency = match non_empty(deal.currency.as_deref()) {
            None => Some(schema.currency),
            Some(code) => match Currency::parse(code) {
                Ok(currency) => Some(currency),
                Err(_) => {
                    self.problem("currency", format!("{code:?} is not an ISO 4217 currency code"), Some("write a code such as USD or EUR"));
                    None
                }
            },
        };
        if let (Some(currency), Some(date)) = (currency, date) {
            if currency != schema.currency && facts.fx_rate(currency, date).is_none() {
                self.problem(
                    "currency",
                    format!("the data has no fx rate for {currency} on or before {date}"),
                    Some("add the rate to fx.csv, or enter the deal in the plan currency"),
                );
            }
        }
        let fields = self.fields(schema, deal, currency);
        let splits = self.splits(facts, &id, &deal.splits);
        let booking = Booking {
            id: id.clone(),
            date: date?,
            amount: amount?,
            currency: currency?,
            owner: deal.owner.as_str().into(),
            status: Some(non_empty(deal.status.as_deref()).unwrap_or("won").into()),
            cancel_date: None,
            account: non_empty(deal.account.as_deref()).map(Into::into),
            fields: fields.into(),
            origin: Origin { file: self.file().into(), line: 0, json_index: None },
        };
        Some((booking, splits))
    }

    /// The declared booking fields, in schema order.
    fn fields(&mut self, schema: &Schema, deal: &WhatIfDeal, currency: Option<Currency>) -> Vec<Option<FieldValue>> {
        for name in deal.fields.keys() {
            if !schema.booking_fields.iter().any(|(declared, _)| declared == name) {
                self.problem(name, "the plan declares no such booking field", None);
            }
        }
        schema
            .booking_fields
            .iter()
            .map(|(name, kind)| {
                let text = non_empty(deal.fields.get(name).map(String::as_str))?;
                self.field_value(name, *kind, text, currency)
            })
            .collect()
    }

    fn field_value(&mut self, name: &str, kind: FieldType, text: &str, currency: Option<Currency>) -> Option<FieldValue> {
        match kind {
            FieldType::Text => Some(FieldValue::Text(text.into())),
            FieldType::Number => self.number_cell(name, text).map(FieldValue::Number),
            FieldType::Money => Some(FieldValue::Money(self.number_cell(name, text)?, currency?)),
            FieldType::Date => self.date(name, text).map(FieldValue::Date),
            FieldType::Bool => match text {
                "true" => Some(FieldValue::Bool(true)),
                "false" => Some(FieldValue::Bool(false)),
                _ => {
                    self.problem(name, format!("{text:?} is not true or false"), None);
                    None
                }
            },
        }
    }

    fn splits(&mut self, facts: &Facts, booking: &str, rows: &[WhatIfSplit]) -> Vec<Split> {
        let mut splits: Vec<Split> = Vec::new();
        for row in rows {
            if let Some(why) = self.unknown_split_payee(facts, &row.payee) {
                self.problem("split", why, Some("choose a payee from the list"));
                continue;
            }
            if splits.iter().any(|s| s.payee == row.payee) {
                self.problem("split", format!("{} has two split rows", row.payee), Some("give each payee one share"));
                continue;
            }
            let Some(share) = self.share(&row.share) else { continue };
            splits.push(Split {
                booking: booking.to_string(),
                payee: row.payee.clone(),
                share,
                origin: Origin { file: self.file().into(), line: 0, json_index: None },
            });
        }
        let total = splits.iter().try_fold(Decimal::ZERO, |sum, s| sum.checked_add(s.share));
        if !rows.is_empty() && splits.len() == rows.len() && total != Some(Decimal::ONE) {
            let shown = total.map_or_else(|| "too much".to_string(), |t| format!("{}%", (t * Decimal::ONE_HUNDRED).normalize()));
            self.problem("split", format!("the shares add up to {shown}, not 100%"), Some("make the shares of one deal add up to exactly 100%"));
        }
        splits
    }

    /// Why a split row's payee cannot be credited, if it cannot: with data, it must be
    /// a payee of the data; with a bundle, any colleague's id will do (they stand in
    /// for crediting only).
    fn unknown_split_payee(&self, facts: &Facts, payee: &str) -> Option<String> {
        match self.payees {
            DealPayees::OfTheData => facts.payee(payee).is_none().then(|| format!("{payee:?} is not a payee of the data")),
            DealPayees::OfTheBundle(_) => payee.trim().is_empty().then(|| "a split row names no payee".to_string()),
        }
    }

    /// A share `60%` or `0.6`, between 0% and 100%.
    fn share(&mut self, text: &str) -> Option<Decimal> {
        let fraction = match text.strip_suffix('%') {
            Some(percent) => plain_decimal(percent).and_then(|p| p.checked_div(Decimal::ONE_HUNDRED)),
            None => plain_decimal(text),
        };
        match fraction {
            Some(share) if share >= Decimal::ZERO && share <= Decimal::ONE => Some(share),
            Some(_) => {
                self.problem("split", format!("{text:?} is not between 0% and 100%"), None);
                None
            }
            None => {
                self.problem("split", format!("{text:?} is not a share"), Some("write 60% or 0.6"));
                None
            }
        }
    }

    fn number_cell(&mut self, field: &str, text: &str) -> Option<Decimal> {
        let value = plain_decimal(text);
        if value.is_none() {
            self.problem(
                field,
                format!("{text:?} is not a number"),
                Some("write digits with an optional minus sign and decimal point, e.g. 120000 or 1250.50"),
            );
        }
        value
    }

    fn date(&mut self, field: &str, text: &str) -> Option<NaiveDate> {
        let date = iso_date(text);
        if date.is_none() {
            self.problem(field, format!("{text:?} is not a date"), Some("write it as YYYY-MM-DD, e.g. 2027-05-14"));
        }
        date
    }
}

/// `-`? digits (`.` digits)?, exactly (data.md's number format).
pub fn plain_decimal(text: &str) -> Option<Decimal> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    Decimal::from_str_exact(text).ok()
}

/// A calendar date written `YYYY-MM-DD`.
pub fn iso_date(text: &str) -> Option<NaiveDate> {
    let shape_ok = text.len() == 10 && text.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !shape_ok {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn non_empty(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema {
            currency: Currency::USD,
            term_start: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default(),
            term_end: NaiveDate::from_ymd_opt(2027, 12, 31).unwrap_or_default(),
            booking_fields: vec![("product".to_string(), FieldType::Text), ("seats".to_string(), FieldType::Number)],
            payee_fields: Vec::new(),
            needs_quotas: false,
            needs_metrics: false,
        }
    }

    fn facts() -> Facts {
        let csv = |text: &str| text.as_bytes().to_vec();
        let files = vec![
            ("payees.csv".to_string(), csv("id,name\nann,Ann\nbob,Bob\n")),
            ("bookings.csv".to_string(), csv("id,date,amount,currency,owner,status,product,seats\nB1,2027-02-01,100,USD,ann,won,Compute,3\n")),
        ];
        payplan_data::load_csv_files(&files, &schema()).unwrap_or_default()
    }

    fn deal(amount: &str) -> WhatIfDeal {
        WhatIfDeal {
            owner: "ann".into(),
            date: "2027-05-14".into(),
            amount: amount.into(),
            currency: None,
            status: None,
            account: None,
            fields: [("product".to_string(), "Security".to_string())].into_iter().collect(),
            splits: Vec::new(),
        }
    }

    #[test]
    fn deals_become_sorted_won_bookings_with_fields_and_splits() {
        let mut split = deal("25000.50");
        split.splits = vec![WhatIfSplit { payee: "bob".into(), share: "40%".into() }, WhatIfSplit { payee: "ann".into(), share: "0.6".into() }];
        let result = apply(&facts(), &schema(), &[deal("120000"), split]);
        assert!(result.is_ok(), "{result:?}");
        let augmented = result.unwrap_or_default();
        let ids: Vec<&str> = augmented.bookings.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["B1", "WHATIF-1", "WHATIF-2"]);
        let second = augmented.bookings.get(2);
        assert_eq!(second.map(|b| (b.amount.to_string(), b.status.as_deref())), Some(("25000.50".to_string(), Some("won"))));
        assert_eq!(second.and_then(|b| b.fields.first().cloned()), Some(Some(FieldValue::Text("Security".into()))));
        let splits: Vec<(&str, String)> = augmented.splits_of("WHATIF-2").iter().map(|s| (s.payee.as_str(), s.share.to_string())).collect();
        assert_eq!(splits, [("ann", "0.6".to_string()), ("bob", "0.40".to_string())]);
    }

    #[test]
    fn every_bad_cell_is_reported_with_its_deal_and_field() {
        let mut bad = deal("12,000");
        bad.date = "2027-5-14".into();
        bad.currency = Some("EURO".into());
        bad.fields.insert("seats".into(), "many".into());
        bad.fields.insert("colour".into(), "red".into());
        bad.splits = vec![WhatIfSplit { payee: "zed".into(), share: "50%".into() }];
        let mut short = deal("10");
        short.splits = vec![WhatIfSplit { payee: "bob".into(), share: "50%".into() }];
        let problems = apply(&facts(), &schema(), &[bad, short]).err().unwrap_or_default();
        let found: Vec<(Option<usize>, Option<&str>)> = problems.iter().map(|p| (p.deal, p.field.as_deref())).collect();
        assert_eq!(
            found,
            [
                (Some(1), Some("date")),
                (Some(1), Some("amount")),
                (Some(1), Some("currency")),
                (Some(1), Some("colour")),
                (Some(1), Some("seats")),
                (Some(1), Some("split")),
                (Some(2), Some("split"))
            ]
        );
        assert!(problems.iter().all(|p| p.stage == Stage::WhatIf));
        assert!(problems.last().is_some_and(|p| p.message.contains("50%, not 100%")), "{problems:?}");
    }

    #[test]
    fn numbers_and_dates_follow_the_data_formats() {
        assert_eq!(plain_decimal("-1250.50").map(|d| d.to_string()), Some("-1250.50".to_string()));
        for bad in ["", "1e5", "+5", "1,000", ".5", "5.", " 5", "99999999999999999999999999999999"] {
            assert_eq!(plain_decimal(bad), None, "{bad}");
        }
        assert!(iso_date("2028-02-29").is_some());
        for bad in ["2027-02-29", "2027-2-01", "27-02-01", "2027/02/01"] {
            assert_eq!(iso_date(bad), None, "{bad}");
        }
    }
}
