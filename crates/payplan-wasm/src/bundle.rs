//! A rep's preview from a bundle (`payplan bundle`): one payee's plan, credit entries,
//! quotas and rates, and nothing about anyone else (see `payplan_bundle`). It offers
//! what the data-backed rep preview offers (the payee's lines, the explanation, the
//! measures, the payout curve, hypothetical deals) computed from the bundle alone, so a
//! rep's browser never holds the company's pay data.
//!
//! The figures are the payee's lines of the full run, exactly: the bundle carries the
//! entries already credited, and the same engine evaluates them. What a bundle cannot
//! show is what it does not hold: the run document of a bundle has the payee alone and
//! no unpaid credit, and the statement's bookings show only the fields the plan reads
//! after crediting.

use crate::preview::Preview;
use crate::problem::{Problem, SourceMap, Stage};
use crate::session::{self, FieldValues, PayeeSummary, PlanSummary, Scenario, StatementFormat};
use crate::what_if::{self, DealPayees, WhatIfDeal};
use payplan_bundle::Opened;
use payplan_eval::trace::{Detail, PayeeTrace};
use payplan_eval::{Outcome, PayeeResult};
use payplan_facts::Schema;
use serde::Serialize;
use std::collections::BTreeSet;

/// What the page shows of an opened bundle.
#[derive(Debug, Clone, Serialize)]
pub struct BundleSummary {
    /// The file name the bundle was opened from (for messages).
    pub file: String,
    /// The bundle format (`payplan-bundle/1`).
    pub format: String,
    /// SHA-256 of the bundled plan's text, hex.
    pub plan_sha256: String,
    /// The bundled plan's outline.
    pub plan: PlanSummary,
    /// The payee the bundle is for.
    pub payee: PayeeSummary,
    /// Team members whose credit rolls up to the payee (managers only).
    pub team: Vec<String>,
    /// How many bookings the bundle holds (those of the payee's credit entries).
    pub bookings: usize,
    /// How many credit entries it holds.
    pub entries: usize,
    /// Currencies a deal can be entered in: the plan's and those with fx rates.
    pub currencies: Vec<String>,
    /// Values of the declared text fields in the bundle's bookings (for the deal form).
    pub field_values: Vec<FieldValues>,
}

/// An opened bundle and what is derived from it.
#[derive(Debug)]
struct LoadedBundle {
    opened: Opened,
    /// The bundled plan's text, for evaluation errors pointing into it.
    source: SourceMap,
    schema: Schema,
    summary: BundleSummary,
    /// The bundle with the hypothetical deals, computed when first asked for.
    with_deals: Option<Result<Opened, Vec<Problem>>>,
}

/// One bundle and the rep's hypothetical deals.
#[derive(Debug, Default)]
pub struct BundleSession {
    loaded: Option<LoadedBundle>,
    deals: Vec<WhatIfDeal>,
}

impl BundleSession {
    /// A session without a bundle.
    pub fn new() -> BundleSession {
        BundleSession::default()
    }

    /// Opens a bundle: the bytes of the file `file`. With `plan_text` (the plan loaded in
    /// the editor), a bundle made from any other version of the plan is refused. A
    /// bundle that cannot be opened leaves the session as it was; one that opens
    /// replaces the previous bundle and drops the deals (they were the previous payee's).
    pub fn open(&mut self, file: &str, bytes: &[u8], plan_text: Option<&str>) -> Result<BundleSummary, Vec<Problem>> {
        let fail = |error: payplan_bundle::BundleError| vec![Problem::from_bundle_error(file, None, &error)];
        let text = std::str::from_utf8(bytes).map_err(|_| fail(payplan_bundle::BundleError::NotABundle("the file is not UTF-8 text".to_string())))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let opened = match plan_text {
            Some(plan_text) => payplan_bundle::open_for_plan(text, plan_text),
            None => payplan_bundle::open(text),
        }
        .map_err(fail)?;
        let schema = opened.plan.schema();
        let summary = summarize(file, &opened, &schema);
        let source = SourceMap::new(&opened.plan_text);
        self.loaded = Some(LoadedBundle { opened, source, schema, summary: summary.clone(), with_deals: None });
        self.deals.clear();
        Ok(summary)
    }

    /// Forgets the bundle and the deals.
    pub fn close(&mut self) {
        self.loaded = None;
        self.deals.clear();
    }

    /// The opened bundle's summary, if one is open.
    pub fn summary(&self) -> Option<&BundleSummary> {
        self.loaded.as_ref().map(|loaded| &loaded.summary)
    }

    /// Replaces the hypothetical deals; returns their problems (none when they fit the
    /// bundle, or when no bundle is open to check them against yet). Every deal is
    /// the bundle payee's; split rows may name any colleague.
    pub fn set_deals(&mut self, deals: Vec<WhatIfDeal>) -> Vec<Problem> {
        self.deals = deals;
        if let Some(loaded) = &mut self.loaded {
            loaded.with_deals = None;
        }
        match self.bundle_for(Scenario::WithDeals) {
            Err(problems) => problems.into_iter().filter(|p| p.stage == Stage::WhatIf).collect(),
            Ok(_) => Vec::new(),
        }
    }

    /// The payee's part of `payplan run --format FORMAT [--period P]`: the same lines,
    /// byte for byte, in a document that holds this payee alone (and no unpaid credit:
    /// a bundle holds only what is paid).
    pub fn run(&mut self, format: &str, period: Option<&str>, scenario: Scenario) -> Result<String, Vec<Problem>> {
        let format = session::run_format(format)?;
        let bundle = self.bundle_for(scenario)?;
        session::check_period(&bundle.opened.plan, period)?;
        let outcome = Outcome { payees: vec![bundle.lines()?], unpaid: Vec::new(), entries_outside_term: 0 };
        Ok(payplan_output::render(format, &bundle.opened.plan, &outcome, period))
    }

    /// The payee's statement, as `payplan explain --format FORMAT [--period P]` writes it
    /// from the bundle's entries (`text`, `json` or `html`).
    pub fn explain(&mut self, payee: &str, format: &str, period: Option<&str>, scenario: Scenario) -> Result<String, Vec<Problem>> {
        let format = StatementFormat::parse(format)?;
        let bundle = self.payee_bundle(payee, scenario)?;
        session::check_period(&bundle.opened.plan, period)?;
        let (result, trace) = bundle.traced(Detail::Full)?;
        Ok(format.render(&bundle.opened.plan, &result, &trace, &[], period))
    }

    /// The payee's lines and payout curve, as the data-backed preview gives them.
    pub fn preview(&mut self, payee: &str, scenario: Scenario) -> Result<Preview, Vec<Problem>> {
        let bundle = self.payee_bundle(payee, scenario)?;
        let (result, trace) = bundle.traced(Detail::Figures)?;
        Ok(Preview::new(&bundle.opened.plan, &result, &trace))
    }

    /// The bundle for `scenario`, when `payee` is the payee it was made for.
    fn payee_bundle(&mut self, payee: &str, scenario: Scenario) -> Result<Evaluable<'_>, Vec<Problem>> {
        if let Some(summary) = self.summary() {
            if summary.payee.id != payee {
                let help = format!("open the bundle made for `{payee}` (payplan bundle PLAN --data DATA --payee {payee} -o FILE)");
                return Err(vec![session::usage(format!("this bundle holds the figures of `{}` only, not of `{payee}`", summary.payee.id), help)]);
            }
        }
        self.bundle_for(scenario)
    }

    /// The bundle as opened, or with the deals added (computed once per set of deals).
    fn bundle_for(&mut self, scenario: Scenario) -> Result<Evaluable<'_>, Vec<Problem>> {
        let Some(loaded) = &mut self.loaded else {
            return Err(vec![session::usage("there is no bundle", "open a bundle made by `payplan bundle`")]);
        };
        if scenario == Scenario::WithDeals && !self.deals.is_empty() && loaded.with_deals.is_none() {
            loaded.with_deals = Some(loaded.add_deals(&self.deals));
        }
        let opened = if scenario == Scenario::Actual || self.deals.is_empty() {
            &loaded.opened
        } else {
            match &loaded.with_deals {
                Some(Ok(with_deals)) => with_deals,
                Some(Err(problems)) => return Err(problems.clone()),
                None => return Err(Vec::new()),
            }
        };
        Ok(Evaluable { opened, source: &loaded.source, file: &loaded.summary.file })
    }
}

/// A bundle ready to evaluate (as opened, or with the deals), with what its problems
/// need: the plan's text and the file name.
struct Evaluable<'a> {
    opened: &'a Opened,
    source: &'a SourceMap,
    file: &'a str,
}

impl Evaluable<'_> {
    /// The payee's lines.
    fn lines(&self) -> Result<PayeeResult, Vec<Problem>> {
        self.evaluate(None).map(|(result, _)| result)
    }

    /// The payee's lines and trace, in `detail`.
    fn traced(&self, detail: Detail) -> Result<(PayeeResult, PayeeTrace), Vec<Problem>> {
        match self.evaluate(Some(detail))? {
            (result, Some(trace)) => Ok((result, trace)),
            (_, None) => Err(vec![Problem::error(Stage::Eval, "payplan::eval", "internal error: the evaluation gave no trace")]),
        }
    }

    fn evaluate(&self, detail: Option<Detail>) -> Result<(PayeeResult, Option<PayeeTrace>), Vec<Problem>> {
        self.opened.evaluate(detail).map_err(|error| vec![Problem::from_bundle_error(self.file, Some(self.source), &error)])
    }
}

impl LoadedBundle {
    /// The bundle with the deals credited by the plan's rules (the payee's share kept).
    fn add_deals(&self, deals: &[WhatIfDeal]) -> Result<Opened, Vec<Problem>> {
        let payee = DealPayees::OfTheBundle(&self.summary.payee.id);
        let (bookings, splits) = what_if::read_deals(&self.opened.facts, &self.schema, deals, payee)?;
        self.opened.with_deals(&bookings, &splits).map_err(|error| vec![Problem::from_bundle_error(&self.summary.file, Some(&self.source), &error)])
    }
}

/// The summary of a bundle just opened.
fn summarize(file: &str, opened: &Opened, schema: &Schema) -> BundleSummary {
    let facts = &opened.facts;
    let team: BTreeSet<&str> = opened.entries.iter().filter_map(|e| e.rolled_up_from).filter_map(|i| facts.payees.get(i)).map(|p| p.id.as_str()).collect();
    let payee = facts.payees.get(opened.payee).map(|p| PayeeSummary::of(p, facts)).unwrap_or_else(|| PayeeSummary {
        id: String::new(),
        name: None,
        role: None,
        manager: None,
        bookings: 0,
    });
    BundleSummary {
        file: file.to_string(),
        format: payplan_bundle::FORMAT.to_string(),
        plan_sha256: payplan_bundle::plan_hash(&opened.plan_text),
        plan: session::plan_summary(&opened.plan),
        payee,
        team: team.into_iter().map(str::to_string).collect(),
        bookings: facts.bookings.len(),
        entries: opened.entries.len(),
        currencies: session::deal_currencies(schema, facts),
        field_values: session::field_values(schema, facts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Session;
    use crate::what_if::WhatIfSplit;

    const PLAN: &str = "plan \"Flat\" {\n    currency USD\n    term 2027-01-01 to 2027-12-31\n    period quarter\n    field booking.product: text\n    credit direct { when booking.status == \"won\"  to splits }\n    measure bookings = credited(direct)\n    commission base { on bookings  rate 10% }\n}\n";
    const PAYEES: &[u8] = b"id,name\nann,Ann\nbob,Bob\n";
    const BOOKINGS: &[u8] = b"id,date,amount,currency,owner,status,product\nB1,2027-02-01,1000,USD,ann,won,Compute\nB2,2027-03-01,700,USD,bob,won,Storage\n";

    fn data_session() -> Session {
        let mut session = Session::new();
        assert!(session.set_plan(PLAN).ok);
        session.add_csv_file("data/payees.csv".into(), PAYEES.to_vec());
        session.add_csv_file("data/bookings.csv".into(), BOOKINGS.to_vec());
        session
    }

    /// `ann`'s bundle, as `payplan bundle` writes it.
    fn ann_bundle() -> String {
        let plan = payplan_check::check_source(PLAN).plan;
        let files = vec![("payees.csv".to_string(), PAYEES.to_vec()), ("bookings.csv".to_string(), BOOKINGS.to_vec())];
        let bundle = plan.as_ref().and_then(|plan| {
            let facts = payplan_data::load_csv_files(&files, &plan.schema()).ok()?;
            payplan_bundle::make(PLAN, plan, &facts, "ann").ok()
        });
        bundle.map(|b| payplan_bundle::to_json(&b)).unwrap_or_default()
    }

    fn opened(json: &str) -> BundleSession {
        let mut session = BundleSession::new();
        let summary = session.open("ann.bundle.json", json.as_bytes(), None);
        assert!(summary.as_ref().is_ok_and(|s| s.payee.id == "ann" && s.bookings == 1 && s.entries == 1), "{summary:?}");
        session
    }

    fn deal(splits: Vec<WhatIfSplit>) -> WhatIfDeal {
        WhatIfDeal {
            owner: "ann".into(),
            date: "2027-05-14".into(),
            amount: "500".into(),
            currency: None,
            status: None,
            account: None,
            fields: [("product".to_string(), "Security".to_string())].into_iter().collect(),
            splits,
        }
    }

    fn payee_rows(csv: &str, payee: &str) -> Vec<String> {
        csv.lines().filter(|line| line.starts_with(&format!("{payee},"))).map(str::to_string).collect()
    }

    #[test]
    fn a_bundle_gives_the_payees_lines_of_the_full_run() {
        let mut bundle = opened(&ann_bundle());
        let mut data = data_session();
        let from_bundle = bundle.run("csv", None, Scenario::Actual).unwrap_or_default();
        let from_data = data.run("csv", None, Scenario::Actual).unwrap_or_default();
        assert_eq!(payee_rows(&from_bundle, "ann"), payee_rows(&from_data, "ann"));
        assert!(payee_rows(&from_bundle, "bob").is_empty(), "{from_bundle}");
        let preview = bundle.preview("ann", Scenario::Actual).map(|p| serde_json::to_string(&p).unwrap_or_default());
        let expected = data.preview("ann", Scenario::Actual).map(|p| serde_json::to_string(&p).unwrap_or_default());
        assert_eq!(preview, expected);
        let statement = bundle.explain("ann", "text", Some("Q1"), Scenario::Actual).unwrap_or_default();
        assert!(statement.starts_with("Statement for ann (Ann)") && statement.contains("B1"), "{statement}");
    }

    #[test]
    fn a_deal_pays_as_the_same_deal_on_the_data() {
        let mut bundle = opened(&ann_bundle());
        let mut data = data_session();
        let split = vec![WhatIfSplit { payee: "bob".into(), share: "40%".into() }, WhatIfSplit { payee: "ann".into(), share: "60%".into() }];
        assert_eq!(bundle.set_deals(vec![deal(split.clone())]), Vec::new());
        assert_eq!(data.set_deals(vec![deal(split)]), Vec::new());
        let from_bundle = bundle.run("csv", None, Scenario::WithDeals).unwrap_or_default();
        let from_data = data.run("csv", None, Scenario::WithDeals).unwrap_or_default();
        assert!(from_bundle.contains("ann,Q2,base,30.00,USD"), "{from_bundle}");
        assert_eq!(payee_rows(&from_bundle, "ann"), payee_rows(&from_data, "ann"));
        let statement = bundle.explain("ann", "text", None, Scenario::WithDeals).unwrap_or_default();
        assert!(statement.contains("WHATIF-1"), "{statement}");
        // Without the scenario asked for, the deals are left out.
        assert_eq!(
            payee_rows(&bundle.run("csv", None, Scenario::Actual).unwrap_or_default(), "ann"),
            payee_rows(&data.run("csv", None, Scenario::Actual).unwrap_or_default(), "ann")
        );
    }

    #[test]
    fn deals_are_the_payees_and_split_rows_name_someone() {
        let mut bundle = opened(&ann_bundle());
        let mut bobs = deal(vec![WhatIfSplit { payee: String::new(), share: "100%".into() }]);
        bobs.owner = "bob".into();
        let problems = bundle.set_deals(vec![bobs]);
        let found: Vec<(Option<&str>, &str)> = problems.iter().map(|p| (p.field.as_deref(), p.message.as_str())).collect();
        assert_eq!(
            found,
            [
                (Some("owner"), "what-if deal 1: owner: \"bob\" is not the payee of the bundle (ann)"),
                (Some("split"), "what-if deal 1: split: a split row names no payee")
            ]
        );
    }

    #[test]
    fn bundles_that_cannot_be_opened_say_why_and_keep_the_open_one() {
        let json = ann_bundle();
        let mut session = opened(&json);
        let mut fails = |bytes: &[u8], plan: Option<&str>| -> Problem {
            let problems = session.open("x.bundle.json", bytes, plan).err().unwrap_or_default();
            assert_eq!(problems.len(), 1, "{problems:?}");
            problems.into_iter().next().unwrap_or_else(|| Problem::error(Stage::Usage, "", ""))
        };
        let not_json = fails(b"payee,amount\n", None);
        assert!(not_json.stage == Stage::Bundle && not_json.message.starts_with("x.bundle.json: not a payplan bundle"), "{not_json:?}");
        assert!(fails(&[0xff, 0xfe, 0x00], None).message.contains("not UTF-8"));
        let future = fails(json.replace(payplan_bundle::FORMAT, "payplan-bundle/9").as_bytes(), None);
        assert!(future.message.contains("`payplan-bundle/9`"), "{future:?}");
        let tampered = fails(json.replace("rate 10%", "rate 90%").as_bytes(), None);
        assert!(tampered.message.contains("altered") && tampered.help.as_deref().is_some_and(|h| h.contains("ask for the bundle again")), "{tampered:?}");
        let other_plan = fails(json.as_bytes(), Some(&PLAN.replace("rate 10%", "rate 12%")));
        assert!(other_plan.message.contains("another version of the plan"), "{other_plan:?}");
        assert!(session.open("ann.bundle.json", json.as_bytes(), Some(PLAN)).is_ok());
        // The bundle stays open after every failure above, for its payee only.
        assert_eq!(session.summary().map(|s| s.payee.id.as_str()), Some("ann"));
        let bob = session.preview("bob", Scenario::Actual).err().unwrap_or_default();
        assert!(bob.first().is_some_and(|p| p.stage == Stage::Usage && p.message.contains("`ann` only")), "{bob:?}");
    }
}
