//! The checker's state: declarations by name, what has been checked, diagnostics.

use crate::types::{Reads, Type};
use payplan_facts::{Currency, FieldType};
use payplan_ir as ir;
use payplan_syntax::ast::{self, ItemKind};
use payplan_syntax::{Diagnostic, Span};
use std::collections::BTreeMap;

/// Output lines a component may not be named after (language.md section 1).
pub const OUTPUT_LINES: &[&str] = &["cap", "draw", "carry", "recovery", "payout"];

/// What a plan-level name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decl {
    /// A `let`, by index.
    Let(usize),
    /// A measure, by index.
    Measure(usize),
    /// A table, by index.
    Table(usize),
    /// A curve, by index.
    Curve(usize),
    /// A credit rule, by index.
    Rule(usize),
    /// A component, by index.
    Component(usize),
}

impl Decl {
    /// What to call it in a message.
    pub fn describe(self) -> &'static str {
        match self {
            Decl::Let(_) => "a `let`",
            Decl::Measure(_) => "a measure",
            Decl::Table(_) => "a table",
            Decl::Curve(_) => "a curve",
            Decl::Rule(_) => "a credit rule",
            Decl::Component(_) => "a component",
        }
    }
}

/// Where a let or measure stands in checking (for cycles and on-demand checking).
#[derive(Debug, Clone)]
pub enum State<T> {
    /// Not looked at yet.
    Todo,
    /// Being checked: meeting it again is a cycle.
    InProgress,
    /// Checked.
    Done(T),
    /// Checked, with errors already reported.
    Failed,
}

/// A checked let or measure: its lowered expression, type and reads.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The lowered expression.
    pub expr: ir::Expr,
    /// Its type.
    pub ty: Type,
    /// What it reads.
    pub reads: Reads,
}

/// The checker of one plan.
pub struct Checker<'a> {
    /// The plan's text.
    pub source: &'a str,
    /// The plan's AST.
    pub plan: &'a ast::Plan,
    /// Everything found so far.
    pub diagnostics: Vec<Diagnostic>,
    /// The plan currency (USD while unknown, so that checking goes on).
    pub currency: Currency,
    /// Plan-level names.
    pub names: BTreeMap<String, (Decl, Span)>,
    /// `let` declarations.
    pub lets: Vec<(&'a ast::Ident, &'a ast::Expr)>,
    /// Checking state of each let.
    pub let_state: Vec<State<Checked>>,
    /// Measure declarations.
    pub measures: Vec<&'a ast::MeasureDecl>,
    /// Checking state of each measure.
    pub measure_state: Vec<State<Checked>>,
    /// Table declarations.
    pub tables: Vec<&'a ast::TableDecl>,
    /// Lowered tables (filled before expressions are checked) with their value type.
    pub table_types: Vec<Option<(Type, Option<Type>)>>,
    /// Curve declarations.
    pub curves: Vec<&'a ast::CurveDecl>,
    /// Credit rule declarations.
    pub rules: Vec<&'a ast::CreditDecl>,
    /// Whether a measure or spif reads each rule.
    pub rule_reported: Vec<bool>,
    /// Component names in declaration order with their item.
    pub components: Vec<&'a ast::Item>,
    /// Declared custom booking columns.
    pub booking_fields: Vec<(String, FieldType)>,
    /// Declared custom payee columns.
    pub payee_fields: Vec<(String, FieldType)>,
    /// Whether any expression reads a quota.
    pub reads_quotas: bool,
    /// Whether any expression reads a metric.
    pub reads_metrics: bool,
    /// How many lets and measures are being checked inside one another.
    pub nesting: usize,
}

/// Most lets and measures defined through one another (every level nests the
/// checker's and the engine's recursion once more).
pub const MAX_DEFINITION_DEPTH: usize = 64;

impl<'a> Checker<'a> {
    /// A checker for `plan`, with its declarations collected.
    pub fn new(source: &'a str, plan: &'a ast::Plan) -> Checker<'a> {
        let mut checker = Checker {
            source,
            plan,
            diagnostics: Vec::new(),
            currency: Currency::USD,
            names: BTreeMap::new(),
            lets: Vec::new(),
            let_state: Vec::new(),
            measures: Vec::new(),
            measure_state: Vec::new(),
            tables: Vec::new(),
            table_types: Vec::new(),
            curves: Vec::new(),
            rules: Vec::new(),
            rule_reported: Vec::new(),
            components: Vec::new(),
            booking_fields: Vec::new(),
            payee_fields: Vec::new(),
            reads_quotas: false,
            reads_metrics: false,
            nesting: 0,
        };
        checker.collect_declarations();
        checker
    }

    /// Everything found.
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }

    /// Records an error.
    pub fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// The text of a span.
    pub fn text(&self, span: Span) -> &'a str {
        span.text(self.source)
    }

    fn collect_declarations(&mut self) {
        let plan = self.plan;
        for item in &plan.items {
            let (name, decl) = match &item.kind {
                ItemKind::Let(name, expr) => {
                    self.lets.push((name, expr));
                    self.let_state.push(State::Todo);
                    (name, Decl::Let(self.lets.len() - 1))
                }
                ItemKind::Measure(m) => {
                    self.measures.push(m);
                    self.measure_state.push(State::Todo);
                    (&m.name, Decl::Measure(self.measures.len() - 1))
                }
                ItemKind::Table(t) => {
                    self.tables.push(t);
                    self.table_types.push(None);
                    (&t.name, Decl::Table(self.tables.len() - 1))
                }
                ItemKind::Curve(c) => {
                    self.curves.push(c);
                    (&c.name, Decl::Curve(self.curves.len() - 1))
                }
                ItemKind::Credit(r) => {
                    self.rules.push(r);
                    self.rule_reported.push(false);
                    (&r.name, Decl::Rule(self.rules.len() - 1))
                }
                ItemKind::Commission(c) => self.component(item, &c.name),
                ItemKind::Bonus(b) => self.component(item, &b.name),
                ItemKind::Spif(s) => self.component(item, &s.name),
                _ => continue,
            };
            if let Some((previous, previous_span)) = self.names.get(&name.name).copied() {
                self.error(
                    Diagnostic::error("payplan::name", format!("`{}` is declared twice", name.name), name.span, "declared again here")
                        .with_label(previous_span, format!("first declared here as {}", previous.describe()))
                        .with_help("every let, measure, table, curve, credit rule and component needs its own name"),
                );
                continue;
            }
            self.names.insert(name.name.clone(), (decl, name.span));
        }
    }

    fn component(&mut self, item: &'a ast::Item, name: &'a ast::Ident) -> (&'a ast::Ident, Decl) {
        if OUTPUT_LINES.contains(&name.name.as_str()) {
            self.error(
                Diagnostic::error("payplan::name", format!("a component cannot be named `{}`", name.name), name.span, "an output line has this name")
                    .with_help(format!("`{}` is a line of every statement; choose another name", name.name)),
            );
        }
        self.components.push(item);
        (name, Decl::Component(self.components.len() - 1))
    }

    /// Looks a name up, reporting an unknown one with a suggestion.
    pub fn lookup(&mut self, name: &ast::Ident) -> Option<Decl> {
        if let Some((decl, _)) = self.names.get(&name.name) {
            return Some(*decl);
        }
        let suggestion = payplan_syntax::closest(&name.name, self.names.keys().map(String::as_str));
        let mut diagnostic = Diagnostic::error("payplan::name", format!("unknown name `{}`", name.name), name.span, "not declared in this plan");
        if let Some(s) = suggestion {
            diagnostic = diagnostic.with_help(format!("did you mean `{s}`?"));
        }
        self.error(diagnostic);
        None
    }

    /// Runs every check and lowers the plan.
    pub fn run(&mut self) -> Option<ir::Plan> {
        // Settings first (currency and fields type everything else), then tables and
        // curves (lookups need their types), then everything that reads them.
        let settings = self.settings();
        let tables = self.lower_tables();
        let curves = self.lower_curves();
        let eligible = self.eligible();
        let rules = self.lower_rules();
        let measures = self.lower_measures();
        let (components, cap_total, draw) = self.lower_components();
        let lets = self.lower_lets();
        let rule_order = self.rule_order(&rules);
        let mut settings = settings?;
        settings.eligible = eligible.ok()?;
        let mut rules = rules;
        for (rule, reported) in rules.iter_mut().zip(&self.rule_reported) {
            rule.reported = *reported;
        }
        Some(ir::Plan {
            name: self.plan.name.value.clone(),
            currency: self.currency,
            term_start: settings.term_start,
            term_end: settings.term_end,
            period_kind: settings.period_kind,
            periods: settings.periods,
            rounding: settings.rounding,
            eligible: settings.eligible,
            prorate: settings.prorate,
            booking_fields: self.booking_fields.clone(),
            payee_fields: self.payee_fields.clone(),
            lets,
            tables,
            curves,
            rules,
            rule_order: rule_order?,
            measures,
            components,
            cap_total,
            draw,
            reads_quotas: self.reads_quotas,
            reads_metrics: self.reads_metrics,
        })
    }
}
