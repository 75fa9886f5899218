//! A page's working state: one plan, one data set and the rep's hypothetical deals,
//! with the loaded facts kept between calls so that a plan edit or a new deal costs a
//! check and an evaluation, not a reload of the data.
//!
//! Everything here is plain Rust (the JavaScript glue is in `lib.rs`), and produces
//! exactly what the CLI produces for the same plan and data: `run` and `explain` call
//! the same library functions with the same arguments as `payplan run` and
//! `payplan explain`.

use crate::preview::Preview;
use crate::problem::{Problem, SourceMap, Stage};
use crate::what_if::{self, WhatIfDeal};
use payplan_eval::trace::{Detail, PayeeTrace};
use payplan_eval::{PayeeResult, UnpaidCredit};
use payplan_facts::{Facts, FieldType, FieldValue, Payee, Schema};
use payplan_ir::Plan;
use serde::Serialize;
use std::collections::BTreeSet;

/// Where the data comes from: files the page read, held in memory.
#[derive(Debug, Clone)]
enum DataSource {
    /// A folder of CSV files: names (paths as the user picked them) and bytes.
    Csv(Vec<(String, Vec<u8>)>),
    /// One JSON document.
    Json {
        /// The file name, for messages.
        name: String,
        /// Its bytes.
        bytes: Vec<u8>,
    },
}

/// Facts loaded for one schema (a plan edit that keeps the schema keeps the facts).
#[derive(Debug)]
struct LoadedFacts {
    schema: Schema,
    facts: Result<Facts, Vec<Problem>>,
    /// The same facts with the hypothetical deals, computed when first asked for.
    with_deals: Option<Result<Facts, Vec<Problem>>>,
}

/// Which facts an evaluation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// The data as loaded.
    Actual,
    /// The data plus the hypothetical deals.
    WithDeals,
}

/// The result of checking a plan.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// True when the plan has no error (it may have warnings).
    pub ok: bool,
    /// Every error and warning, in source order.
    pub diagnostics: Vec<Problem>,
    /// What the page needs to know of the plan, when it has no error.
    pub plan: Option<PlanSummary>,
}

/// A checked plan's outline.
#[derive(Debug, Clone, Serialize)]
pub struct PlanSummary {
    /// The plan's name.
    pub name: String,
    /// Its currency code.
    pub currency: String,
    /// Digits after the decimal point in that currency.
    pub minor_units: u32,
    /// First day of the term.
    pub term_start: String,
    /// Last day of the term.
    pub term_end: String,
    /// The periods, in order.
    pub periods: Vec<PeriodSummary>,
    /// Declared booking fields (the deal form asks for them).
    pub booking_fields: Vec<FieldSummary>,
    /// Declared payee fields.
    pub payee_fields: Vec<FieldSummary>,
    /// Whether the plan reads quotas.
    pub reads_quotas: bool,
    /// Whether the plan reads metrics.
    pub reads_metrics: bool,
}

/// One period of the term.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodSummary {
    /// `Q1`...
    pub label: String,
    /// First day.
    pub start: String,
    /// Last day.
    pub end: String,
}

/// A declared custom field.
#[derive(Debug, Clone, Serialize)]
pub struct FieldSummary {
    /// Its name.
    pub name: String,
    /// `text`, `number`, `money`, `date` or `bool`.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// What the page shows of a loaded data set.
#[derive(Debug, Clone, Serialize)]
pub struct DataSummary {
    /// Every payee, by id.
    pub payees: Vec<PayeeSummary>,
    /// How many bookings there are.
    pub bookings: usize,
    /// Currencies a deal can be entered in: the plan's and those with fx rates.
    pub currencies: Vec<String>,
    /// For each declared text field of bookings, the values the data uses (sorted, at
    /// most [`MAX_FIELD_VALUES`]): the deal form offers them.
    pub field_values: Vec<FieldValues>,
}

/// The values a text field takes in the data.
#[derive(Debug, Clone, Serialize)]
pub struct FieldValues {
    /// The field.
    pub name: String,
    /// Its distinct values.
    pub values: Vec<String>,
}

/// At most this many values of one field are listed.
pub const MAX_FIELD_VALUES: usize = 200;

/// A payee in the data.
#[derive(Debug, Clone, Serialize)]
pub struct PayeeSummary {
    /// Id.
    pub id: String,
    /// Name, if given.
    pub name: Option<String>,
    /// Role, if given.
    pub role: Option<String>,
    /// Manager's id, if any.
    pub manager: Option<String>,
    /// How many bookings the payee owns.
    pub bookings: usize,
}

/// A plan, a data set and hypothetical deals.
#[derive(Debug)]
pub struct Session {
    source: SourceMap,
    plan: Option<Plan>,
    diagnostics: Vec<Problem>,
    data: Option<DataSource>,
    loaded: Option<LoadedFacts>,
    deals: Vec<WhatIfDeal>,
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    /// An empty session: no plan, no data, no deals.
    pub fn new() -> Session {
        Session { source: SourceMap::new(""), plan: None, diagnostics: Vec::new(), data: None, loaded: None, deals: Vec::new() }
    }

    /// Checks and keeps a plan (a plan with errors leaves the session without one).
    /// The facts are kept when the plan reads the data as before.
    pub fn set_plan(&mut self, source: &str) -> CheckReport {
        let checked = payplan_check::check_source(source);
        let map = SourceMap::new(source);
        let report = report(&map, &checked);
        self.source = map;
        self.diagnostics = report.diagnostics.clone();
        self.plan = checked.plan;
        report
    }

    /// Forgets the data set (and the facts loaded from it).
    pub fn clear_data(&mut self) {
        self.data = None;
        self.loaded = None;
    }

    /// Adds one CSV file of a data set (`bookings.csv`, or a path ending in it).
    pub fn add_csv_file(&mut self, name: String, bytes: Vec<u8>) {
        self.loaded = None;
        match &mut self.data {
            Some(DataSource::Csv(files)) => files.push((name, bytes)),
            _ => self.data = Some(DataSource::Csv(vec![(name, bytes)])),
        }
    }

    /// Uses one JSON document as the data set.
    pub fn set_json_data(&mut self, name: String, bytes: Vec<u8>) {
        self.loaded = None;
        self.data = Some(DataSource::Json { name, bytes });
    }

    /// Replaces the hypothetical deals; returns their problems (none when they fit the
    /// data, or when there is no plan or data to check them against yet).
    pub fn set_deals(&mut self, deals: Vec<WhatIfDeal>) -> Vec<Problem> {
        self.deals = deals;
        if let Some(loaded) = &mut self.loaded {
            loaded.with_deals = None;
        }
        match self.facts(Scenario::WithDeals) {
            Err(problems) => problems.into_iter().filter(|p| p.stage == Stage::WhatIf).collect(),
            Ok(_) => Vec::new(),
        }
    }

    /// The loaded data set's payees, currencies and field values.
    pub fn data_summary(&mut self) -> Result<DataSummary, Vec<Problem>> {
        let schema = self.schema()?;
        let facts = self.facts(Scenario::Actual)?;
        let payees = facts.payees.iter().map(|p| PayeeSummary::of(p, facts)).collect();
        Ok(DataSummary { payees, bookings: facts.bookings.len(), currencies: deal_currencies(&schema, facts), field_values: field_values(&schema, facts) })
    }

    /// `payplan run --format FORMAT [--period P]`: the same text, byte for byte.
    pub fn run(&mut self, format: &str, period: Option<&str>, scenario: Scenario) -> Result<String, Vec<Problem>> {
        let format = run_format(format)?;
        let (plan, facts, source) = self.prepared(period, scenario)?;
        let outcome = payplan_eval::evaluate(plan, facts).map_err(|error| vec![Problem::from_eval_error(source, &error)])?;
        Ok(payplan_output::render(format, plan, &outcome, period))
    }

    /// `payplan explain --payee ID --format FORMAT [--period P]`: the same text, byte
    /// for byte; `html` gives the page `explain --format html` writes for the payee.
    pub fn explain(&mut self, payee: &str, format: &str, period: Option<&str>, scenario: Scenario) -> Result<String, Vec<Problem>> {
        let format = StatementFormat::parse(format)?;
        let (plan, outcome, trace) = self.explained(payee, period, scenario, Detail::Full)?;
        let Some(result) = outcome.payees.first() else {
            return Err(vec![no_statement(payee)]);
        };
        Ok(format.render(plan, result, &trace, &outcome.unpaid, period))
    }

    /// One payee's lines and payout curve: the figures of the `explain` JSON without
    /// the trace of every credit entry (which grows with the bookings), for a preview
    /// that recomputes on every edit.
    pub fn preview(&mut self, payee: &str, scenario: Scenario) -> Result<Preview, Vec<Problem>> {
        let (plan, outcome, trace) = self.explained(payee, None, scenario, Detail::Figures)?;
        let Some(result) = outcome.payees.first() else {
            return Err(vec![no_statement(payee)]);
        };
        Ok(Preview::new(plan, result, &trace))
    }

    /// Evaluates one payee with the trace in `detail`, or says why not (as the CLI's
    /// `explain`).
    fn explained(
        &mut self,
        payee: &str,
        period: Option<&str>,
        scenario: Scenario,
        detail: Detail,
    ) -> Result<(&Plan, payplan_eval::Outcome, payplan_eval::trace::PayeeTrace), Vec<Problem>> {
        let (plan, facts, source) = self.prepared(period, scenario)?;
        let explain = match detail {
            Detail::Full => payplan_eval::explain,
            Detail::Figures => payplan_eval::explain_figures,
        };
        let explained = explain(plan, facts, payee).map_err(|error| vec![Problem::from_eval_error(source, &error)])?;
        let Some((outcome, trace)) = explained else {
            let help = if facts.payee(payee).is_some() {
                "this payee is not eligible for the plan (see `eligible`)".to_string()
            } else {
                match payplan_syntax::closest(payee, facts.payees.iter().map(|p| p.id.as_str())) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "use an id from payees.csv".to_string(),
                }
            };
            return Err(vec![usage(format!("no statement for payee `{payee}`"), help)]);
        };
        Ok((plan, outcome, trace))
    }

    /// The plan, its facts for `scenario` and its source map, or why they cannot be had.
    fn prepared(&mut self, period: Option<&str>, scenario: Scenario) -> Result<(&Plan, &Facts, &SourceMap), Vec<Problem>> {
        let scenario = self.effective(scenario);
        self.checked_plan(period)?;
        self.facts(scenario)?;
        match (&self.plan, self.loaded.as_ref().and_then(|l| l.get(scenario))) {
            (Some(plan), Some(facts)) => Ok((plan, facts, &self.source)),
            _ => Err(vec![usage("there is no plan or no data", "load a plan and a data set")]),
        }
    }

    /// The plan, or why there is none; checks `period` like the CLI.
    fn checked_plan(&self, period: Option<&str>) -> Result<&Plan, Vec<Problem>> {
        let Some(plan) = &self.plan else {
            let errors: Vec<Problem> = self.diagnostics.iter().filter(|d| d.severity == payplan_syntax::Severity::Error).cloned().collect();
            return Err(if errors.is_empty() { vec![usage("there is no plan", "load or write a plan first")] } else { errors });
        };
        check_period(plan, period)?;
        Ok(plan)
    }

    fn schema(&self) -> Result<Schema, Vec<Problem>> {
        self.checked_plan(None).map(|plan| plan.schema())
    }

    /// Without deals, both scenarios are the data as loaded (no copy of the facts).
    fn effective(&self, scenario: Scenario) -> Scenario {
        if self.deals.is_empty() {
            Scenario::Actual
        } else {
            scenario
        }
    }

    /// The facts for the current plan's schema, loading (or adding the deals) when needed.
    fn facts(&mut self, scenario: Scenario) -> Result<&Facts, Vec<Problem>> {
        let scenario = self.effective(scenario);
        let schema = self.schema()?;
        let Some(data) = &self.data else {
            return Err(vec![usage("there is no data", "load a data set: a folder of CSV files or a JSON file")]);
        };
        if self.loaded.as_ref().is_none_or(|l| l.schema != schema) {
            let facts = load(data, &schema);
            self.loaded = Some(LoadedFacts { schema, facts, with_deals: None });
        }
        let Some(loaded) = &mut self.loaded else { return Err(Vec::new()) };
        let base = loaded.facts.as_ref().map_err(Clone::clone)?;
        if scenario == Scenario::WithDeals && loaded.with_deals.is_none() {
            loaded.with_deals = Some(what_if::apply(base, &loaded.schema, &self.deals));
        }
        loaded.get(scenario).ok_or_else(|| loaded.problems(scenario))
    }
}

impl LoadedFacts {
    /// The facts of a scenario, when loaded without problems.
    fn get(&self, scenario: Scenario) -> Option<&Facts> {
        match scenario {
            Scenario::Actual => self.facts.as_ref().ok(),
            Scenario::WithDeals => self.with_deals.as_ref().and_then(|f| f.as_ref().ok()),
        }
    }

    /// Why a scenario has no facts.
    fn problems(&self, scenario: Scenario) -> Vec<Problem> {
        let result = match scenario {
            Scenario::Actual => Some(&self.facts),
            Scenario::WithDeals => self.with_deals.as_ref(),
        };
        match result {
            Some(Err(problems)) => problems.clone(),
            _ => Vec::new(),
        }
    }
}

/// Checks a plan: every diagnostic, and the plan's outline when it has no error.
pub fn check(source: &str) -> CheckReport {
    let checked = payplan_check::check_source(source);
    report(&SourceMap::new(source), &checked)
}

fn report(source: &SourceMap, checked: &payplan_check::Checked) -> CheckReport {
    CheckReport {
        ok: !checked.has_errors(),
        diagnostics: checked.diagnostics.iter().map(|d| Problem::from_diagnostic(source, d)).collect(),
        plan: checked.plan.as_ref().map(plan_summary),
    }
}

/// What the page needs to know of a checked plan.
pub(crate) fn plan_summary(plan: &Plan) -> PlanSummary {
    let fields = |fields: &[(String, FieldType)]| fields.iter().map(|(name, kind)| FieldSummary { name: name.clone(), kind: kind.keyword() }).collect();
    PlanSummary {
        name: plan.name.clone(),
        currency: plan.currency.code().to_string(),
        minor_units: plan.currency.minor_units(),
        term_start: plan.term_start.to_string(),
        term_end: plan.term_end.to_string(),
        periods: plan.periods.iter().map(|p| PeriodSummary { label: p.label.to_string(), start: p.start.to_string(), end: p.end.to_string() }).collect(),
        booking_fields: fields(&plan.booking_fields),
        payee_fields: fields(&plan.payee_fields),
        reads_quotas: plan.reads_quotas,
        reads_metrics: plan.reads_metrics,
    }
}

fn load(data: &DataSource, schema: &Schema) -> Result<Facts, Vec<Problem>> {
    let loaded = match data {
        DataSource::Csv(files) => payplan_data::load_csv_files(files, schema),
        DataSource::Json { name, bytes } => {
            let text = std::str::from_utf8(bytes).map_err(|_| {
                let mut problem = Problem::error(Stage::Data, "payplan::data", format!("{name}: is not UTF-8 text")).with_help("save the file as UTF-8");
                problem.file = Some(name.clone());
                vec![problem]
            })?;
            payplan_data::load_json_str(name, text.strip_prefix('\u{feff}').unwrap_or(text), schema)
        }
    };
    loaded.map_err(|errors| errors.0.iter().map(Problem::from_data_error).collect())
}

impl PayeeSummary {
    /// A payee of `facts`, with the number of bookings they own.
    pub(crate) fn of(payee: &Payee, facts: &Facts) -> PayeeSummary {
        PayeeSummary {
            id: payee.id.clone(),
            name: payee.name.clone(),
            role: payee.role.clone(),
            manager: payee.manager.clone(),
            bookings: facts.bookings.iter().filter(|b| *b.owner == *payee.id).count(),
        }
    }
}

/// Currencies a deal can be entered in: the plan's and those with fx rates.
pub(crate) fn deal_currencies(schema: &Schema, facts: &Facts) -> Vec<String> {
    let mut currencies: BTreeSet<String> = facts.fx.iter().map(|rate| rate.currency.code().to_string()).collect();
    currencies.insert(schema.currency.code().to_string());
    currencies.into_iter().collect()
}

/// The values each declared text field of bookings takes in `facts` (sorted, at most
/// [`MAX_FIELD_VALUES`]).
pub(crate) fn field_values(schema: &Schema, facts: &Facts) -> Vec<FieldValues> {
    schema
        .booking_fields
        .iter()
        .enumerate()
        .filter(|(_, (_, kind))| *kind == FieldType::Text)
        .map(|(index, (name, _))| {
            let values: BTreeSet<&str> = facts
                .bookings
                .iter()
                .filter_map(|b| match b.fields.get(index) {
                    Some(Some(FieldValue::Text(text))) => Some(&**text),
                    _ => None,
                })
                .collect();
            FieldValues { name: name.clone(), values: values.into_iter().take(MAX_FIELD_VALUES).map(str::to_string).collect() }
        })
        .collect()
}

/// The format of `payplan run --format FORMAT`: `csv`, `json` or `table`.
pub(crate) fn run_format(format: &str) -> Result<payplan_output::Format, Vec<Problem>> {
    match format {
        "csv" => Ok(payplan_output::Format::Csv),
        "json" => Ok(payplan_output::Format::Json),
        "table" => Ok(payplan_output::Format::Table),
        other => Err(vec![usage(format!("unknown output format `{other}`"), "use csv, json or table")]),
    }
}

/// The formats of `payplan explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatementFormat {
    /// The text statement.
    Text,
    /// The JSON statement.
    Json,
    /// The printable HTML page.
    Html,
}

impl StatementFormat {
    /// `text`, `json` or `html`.
    pub(crate) fn parse(format: &str) -> Result<StatementFormat, Vec<Problem>> {
        match format {
            "text" => Ok(StatementFormat::Text),
            "json" => Ok(StatementFormat::Json),
            "html" => Ok(StatementFormat::Html),
            other => Err(vec![usage(format!("unknown statement format `{other}`"), "use text, json or html")]),
        }
    }

    /// The statement of `result`, as `payplan explain` writes it (`unpaid` may hold other
    /// payees' unpaid credit: only the payee's is shown).
    pub(crate) fn render(self, plan: &Plan, result: &PayeeResult, trace: &PayeeTrace, unpaid: &[UnpaidCredit], period: Option<&str>) -> String {
        match self {
            StatementFormat::Json => payplan_output::statement::json(plan, result, trace, unpaid, period),
            StatementFormat::Html => {
                let unpaid: Vec<UnpaidCredit> = unpaid.iter().filter(|u| u.payee == result.id).cloned().collect();
                payplan_output::html::page(plan, result, trace, &unpaid)
            }
            StatementFormat::Text => payplan_output::statement::text(plan, result, trace, unpaid, period),
        }
    }
}

/// A usage problem when the plan has no period `period` (as the CLI's `--period`).
pub(crate) fn check_period(plan: &Plan, period: Option<&str>) -> Result<(), Vec<Problem>> {
    if let Some(label) = period {
        if !plan.periods.iter().any(|p| p.label.to_string() == label) {
            let known: Vec<String> = plan.periods.iter().map(|p| p.label.to_string()).collect();
            return Err(vec![usage(format!("the plan has no period `{label}`"), format!("periods are {}", known.join(", ")))]);
        }
    }
    Ok(())
}

/// There is no statement for `payee`.
pub(crate) fn no_statement(payee: &str) -> Problem {
    usage(format!("no statement for payee `{payee}`"), "the payee is unknown or not eligible")
}

/// A request the session cannot serve.
pub(crate) fn usage(message: impl Into<String>, help: impl Into<String>) -> Problem {
    Problem::error(Stage::Usage, "payplan::usage", message).with_help(help)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = "plan \"Flat\" {\n    currency USD\n    term 2027-01-01 to 2027-12-31\n    period quarter\n    field booking.product: text\n    credit direct { when booking.status == \"won\"  to splits }\n    measure bookings = credited(direct)\n    commission base { on bookings  rate 10% }\n}\n";

    fn session() -> Session {
        let mut session = Session::new();
        assert!(session.set_plan(PLAN).ok);
        session.add_csv_file("data/payees.csv".into(), b"id,name\nann,Ann\nbob,Bob\n".to_vec());
        session.add_csv_file("data/bookings.csv".into(), b"id,date,amount,currency,owner,status,product\nB1,2027-02-01,1000,USD,ann,won,Compute\n".to_vec());
        session
    }

    #[test]
    fn runs_with_and_without_the_deals() {
        let mut session = session();
        let deal = WhatIfDeal {
            owner: "ann".into(),
            date: "2027-05-14".into(),
            amount: "500".into(),
            currency: None,
            status: None,
            account: None,
            fields: [("product".to_string(), "Security".to_string())].into_iter().collect(),
            splits: vec![what_if::WhatIfSplit { payee: "bob".into(), share: "50%".into() }, what_if::WhatIfSplit { payee: "ann".into(), share: "50%".into() }],
        };
        assert_eq!(session.set_deals(vec![deal]), Vec::new());
        let actual = session.run("csv", None, Scenario::Actual);
        let with_deals = session.run("csv", None, Scenario::WithDeals);
        assert!(actual.as_deref().is_ok_and(|csv| csv.contains("ann,Q1,base,100.00,USD") && csv.contains("ann,Q2,base,0.00,USD")), "{actual:?}");
        assert!(with_deals.as_deref().is_ok_and(|csv| csv.contains("ann,Q2,base,25.00,USD") && csv.contains("bob,Q2,base,25.00,USD")), "{with_deals:?}");
        let preview = session.preview("ann", Scenario::WithDeals);
        let payouts: Vec<String> =
            preview.map(|p| p.periods.iter().filter_map(|period| period.lines.last().map(|l| l.amount.clone())).collect()).unwrap_or_default();
        assert_eq!(payouts, ["100.00", "25.00", "0.00", "0.00"]);
    }

    #[test]
    fn problems_name_their_stage() {
        let mut session = session();
        let stage = |result: Result<String, Vec<Problem>>| result.err().and_then(|p| p.first().map(|p| (p.stage, p.message.clone())));
        assert_eq!(stage(session.run("csv", Some("Q9"), Scenario::Actual)).map(|s| s.0), Some(Stage::Usage));
        assert_eq!(stage(session.explain("anne", "json", None, Scenario::Actual)), Some((Stage::Usage, "no statement for payee `anne`".to_string())));
        assert!(!session.set_plan("plan \"Broken\" {\n    currency USD\n    bogus\n}\n").ok);
        assert_eq!(stage(session.run("csv", None, Scenario::Actual)).map(|s| s.0), Some(Stage::Plan));
        assert!(session.set_plan(PLAN).ok);
        session.add_csv_file("data/splits.csv".into(), b"booking,payee,share\nB1,ann,60%\n".to_vec());
        let data = stage(session.run("csv", None, Scenario::Actual));
        assert!(data.as_ref().is_some_and(|(stage, message)| *stage == Stage::Data && message.starts_with("data/splits.csv:2")), "{data:?}");
    }
}
