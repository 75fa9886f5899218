//! payplan compiled to WebAssembly: check plans, run them and explain a payee's
//! statement in the browser (or Node), with the same engine and the same output as
//! the `payplan` command.
//!
//! The JavaScript API (`web/README.md` shows it in use):
//!
//! - `check(source)`: every diagnostic of a plan as plain data (byte and UTF-16
//!   ranges, line and column, labels, help) and the plan's outline.
//! - `new Session()`: a plan (`setPlan`), a data set (`addCsvFile`, `setJsonData`)
//!   and hypothetical deals (`setWhatIfDeals`), kept between calls; `run(format,
//!   period, withDeals)` and `explain(payee, format, period, withDeals)` give the text
//!   of `payplan run` and `payplan explain`, byte for byte.
//! - `new BundleSession()`: a rep's preview bundle (`payplan bundle`): `open(file,
//!   bytes, planText)`, then the same `setWhatIfDeals`, `run`, `preview` and `explain`,
//!   computed from the bundle alone (one payee's figures, nothing about anyone else).
//! - `planHash(text)`: the SHA-256 a bundle records of its plan's text.
//!
//! Amounts cross into JavaScript only as text (inside the CLI's JSON, or as strings),
//! never as JavaScript numbers. Nothing here panics: every failure is a list of
//! problems, and a JSON conversion failure (which would be a bug) is thrown as an
//! `Error`.

pub mod bundle;
pub mod preview;
pub mod problem;
pub mod session;
pub mod what_if;

use problem::Problem;
use serde::Serialize;
use session::Scenario;
use wasm_bindgen::prelude::*;

/// Checks a plan: `{ ok, diagnostics: Problem[], plan: PlanSummary | null }`.
#[wasm_bindgen]
pub fn check(source: &str) -> Result<JsValue, JsValue> {
    to_js(&session::check(source))
}

/// SHA-256 of a plan's text, hex: what a bundle records of the plan it was made from.
#[wasm_bindgen(js_name = planHash)]
pub fn plan_hash(text: &str) -> String {
    payplan_bundle::plan_hash(text)
}

/// The version of payplan this module was built from.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// A plan, a data set and hypothetical deals, kept between calls (see the crate docs).
#[wasm_bindgen(js_name = Session)]
pub struct JsSession {
    inner: session::Session,
}

/// Either a value or the problems that prevented it.
#[derive(Serialize)]
struct Answer<T: Serialize> {
    ok: bool,
    value: Option<T>,
    problems: Vec<Problem>,
}

impl<T: Serialize> From<Result<T, Vec<Problem>>> for Answer<T> {
    fn from(result: Result<T, Vec<Problem>>) -> Self {
        match result {
            Ok(value) => Answer { ok: true, value: Some(value), problems: Vec::new() },
            Err(problems) => Answer { ok: false, value: None, problems },
        }
    }
}

impl Default for JsSession {
    fn default() -> Self {
        JsSession::new()
    }
}

#[wasm_bindgen(js_class = Session)]
impl JsSession {
    /// An empty session.
    #[wasm_bindgen(constructor)]
    pub fn new() -> JsSession {
        JsSession { inner: session::Session::new() }
    }

    /// Checks the plan and keeps it: the same report as `check`.
    #[wasm_bindgen(js_name = setPlan)]
    pub fn set_plan(&mut self, source: &str) -> Result<JsValue, JsValue> {
        to_js(&self.inner.set_plan(source))
    }

    /// Forgets the data set.
    #[wasm_bindgen(js_name = clearData)]
    pub fn clear_data(&mut self) {
        self.inner.clear_data();
    }

    /// Adds a CSV file of the data set; `name` is `bookings.csv` or a path ending in it.
    #[wasm_bindgen(js_name = addCsvFile)]
    pub fn add_csv_file(&mut self, name: String, bytes: Vec<u8>) {
        self.inner.add_csv_file(name, bytes);
    }

    /// Uses a JSON document as the data set (replacing any other).
    #[wasm_bindgen(js_name = setJsonData)]
    pub fn set_json_data(&mut self, name: String, bytes: Vec<u8>) {
        self.inner.set_json_data(name, bytes);
    }

    /// Loads the data for the current plan: `{ ok, value: DataSummary | null, problems }`.
    #[wasm_bindgen(js_name = dataSummary)]
    pub fn data_summary(&mut self) -> Result<JsValue, JsValue> {
        to_js(&Answer::from(self.inner.data_summary()))
    }

    /// Replaces the hypothetical deals (a JSON array, amounts as strings); returns
    /// their problems, an empty array when they fit the data.
    #[wasm_bindgen(js_name = setWhatIfDeals)]
    pub fn set_what_if_deals(&mut self, deals_json: &str) -> Result<JsValue, JsValue> {
        let problems = match what_if::parse_deals(deals_json) {
            Ok(deals) => self.inner.set_deals(deals),
            Err(problems) => problems,
        };
        to_js(&problems)
    }

    /// `payplan run --format FORMAT [--period PERIOD]` (`csv`, `json` or `table`), on
    /// the data with or without the hypothetical deals.
    pub fn run(&mut self, format: &str, period: Option<String>, with_deals: bool) -> Output {
        Output::from(self.inner.run(format, period.as_deref(), scenario(with_deals)))
    }

    /// One payee's lines per period and payout curve (`{ ok, value: Preview | null,
    /// problems }`): the figures of `explain`, without the trace of every entry.
    pub fn preview(&mut self, payee: &str, with_deals: bool) -> Result<JsValue, JsValue> {
        to_js(&Answer::from(self.inner.preview(payee, scenario(with_deals))))
    }

    /// `payplan explain --payee PAYEE --format FORMAT [--period PERIOD]` (`text`,
    /// `json`, or `html` for the printable page), with or without the deals.
    pub fn explain(&mut self, payee: &str, format: &str, period: Option<String>, with_deals: bool) -> Output {
        Output::from(self.inner.explain(payee, format, period.as_deref(), scenario(with_deals)))
    }
}

/// A rep's preview bundle and hypothetical deals, kept between calls (see the crate docs).
#[wasm_bindgen(js_name = BundleSession)]
pub struct JsBundleSession {
    inner: bundle::BundleSession,
}

impl Default for JsBundleSession {
    fn default() -> Self {
        JsBundleSession::new()
    }
}

#[wasm_bindgen(js_class = BundleSession)]
impl JsBundleSession {
    /// A session without a bundle.
    #[wasm_bindgen(constructor)]
    pub fn new() -> JsBundleSession {
        JsBundleSession { inner: bundle::BundleSession::new() }
    }

    /// Opens the bundle file `file` (its bytes): `{ ok, value: BundleSummary | null,
    /// problems }`. With `plan_text`, a bundle made from another version of that plan is
    /// refused. A bundle that cannot be opened leaves the session as it was.
    pub fn open(&mut self, file: &str, bytes: Vec<u8>, plan_text: Option<String>) -> Result<JsValue, JsValue> {
        to_js(&Answer::from(self.inner.open(file, &bytes, plan_text.as_deref())))
    }

    /// Forgets the bundle and the deals.
    pub fn close(&mut self) {
        self.inner.close();
    }

    /// The open bundle's summary, or `null`.
    pub fn summary(&self) -> Result<JsValue, JsValue> {
        to_js(&self.inner.summary())
    }

    /// Replaces the hypothetical deals (a JSON array, amounts as strings); returns
    /// their problems, an empty array when they fit the bundle.
    #[wasm_bindgen(js_name = setWhatIfDeals)]
    pub fn set_what_if_deals(&mut self, deals_json: &str) -> Result<JsValue, JsValue> {
        let problems = match what_if::parse_deals(deals_json) {
            Ok(deals) => self.inner.set_deals(deals),
            Err(problems) => problems,
        };
        to_js(&problems)
    }

    /// The payee's part of `payplan run --format FORMAT [--period PERIOD]`.
    pub fn run(&mut self, format: &str, period: Option<String>, with_deals: bool) -> Output {
        Output::from(self.inner.run(format, period.as_deref(), scenario(with_deals)))
    }

    /// The payee's lines per period and payout curve (`{ ok, value: Preview | null, problems }`).
    pub fn preview(&mut self, payee: &str, with_deals: bool) -> Result<JsValue, JsValue> {
        to_js(&Answer::from(self.inner.preview(payee, scenario(with_deals))))
    }

    /// The payee's statement (`text`, `json` or `html`), from the bundle's entries.
    pub fn explain(&mut self, payee: &str, format: &str, period: Option<String>, with_deals: bool) -> Output {
        Output::from(self.inner.explain(payee, format, period.as_deref(), scenario(with_deals)))
    }
}

/// The text of a run or a statement, or the problems that prevented it.
#[wasm_bindgen]
pub struct Output {
    text: String,
    problems: Vec<Problem>,
}

impl From<Result<String, Vec<Problem>>> for Output {
    fn from(result: Result<String, Vec<Problem>>) -> Self {
        match result {
            Ok(text) => Output { text, problems: Vec::new() },
            Err(problems) => Output { text: String::new(), problems },
        }
    }
}

#[wasm_bindgen]
impl Output {
    /// True when there is a text (and no problem).
    #[wasm_bindgen(getter)]
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The text, exactly as the CLI prints it (empty when not `ok`).
    #[wasm_bindgen(getter)]
    pub fn text(&self) -> String {
        self.text.clone()
    }

    /// The problems, as plain data.
    #[wasm_bindgen(getter)]
    pub fn problems(&self) -> Result<JsValue, JsValue> {
        to_js(&self.problems)
    }
}

fn scenario(with_deals: bool) -> Scenario {
    if with_deals {
        Scenario::WithDeals
    } else {
        Scenario::Actual
    }
}

/// Plain JavaScript data (objects, arrays, strings) from a serializable value.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let json = serde_json::to_string(value).map_err(|error| JsValue::from(js_sys::Error::new(&error.to_string())))?;
    js_sys::JSON::parse(&json)
}
