//! Lints: warnings about plans that check clean but are probably not what the author
//! meant. They never stop a run (`--deny-warnings` makes the CLI fail on them).
//!
//! Plan lints ([`lint`]), run by `check_source` on a plan without errors:
//! - `payplan::unused`: a `let`, measure, table, curve, credit rule or declared field
//!   that nothing reads;
//! - `payplan::unreachable-tier`: a tier band that no payee can reach under the
//!   component's caps (the cap is reached before the band starts);
//! - `payplan::cap-below-gate`: a cap reached before the component's gate opens (the
//!   payee gets nothing or exactly the cap), or a cap below a bonus's fixed pay;
//! - `payplan::spif-window`: a spif window that runs outside the term.
//!
//! Data lints ([`lint_data`], run by `payplan run` after loading):
//! - `payplan::table-key`: a table key that never occurs in the data column the table
//!   is looked up with;
//! - `payplan::value-never-occurs`: a text compared with a column (`booking.status ==
//!   "won"`, `payee.role in ["AE"]`) that no row of the data holds (the data says
//!   `Won`: text is compared exactly, so the filter matches nothing).
//!
//! The figures behind the tier and cap lints are computed only where the plan states
//! them as literals (money bands, a literal rate, money caps, a money gate threshold on
//! the `on` measure); anything that depends on data (a quota, a target incentive) is
//! left alone rather than guessed.

use payplan_facts::{Facts, FieldValue};
use payplan_syntax::ast::{self, BinaryOp, CommissionClauseKind, ExprKind, ItemKind, LiteralKind};
use payplan_syntax::{Diagnostic, Span};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// The codes of the lints.
pub const CODES: &[&str] =
    &["payplan::unused", "payplan::unreachable-tier", "payplan::cap-below-gate", "payplan::spif-window", "payplan::table-key", "payplan::value-never-occurs"];

/// Whether a diagnostic is a lint (a warning of this module).
pub fn is_lint(diagnostic: &Diagnostic) -> bool {
    CODES.contains(&diagnostic.code)
}

/// Calls `visit` on `expr` and every expression inside it.
fn walk<'a>(expr: &'a ast::Expr, visit: &mut impl FnMut(&'a ast::Expr)) {
    visit(expr);
    match &expr.kind {
        ExprKind::Call(_, args) | ExprKind::List(args) => args.iter().for_each(|a| walk(a, visit)),
        ExprKind::Lookup(_, key) => walk(key, visit),
        ExprKind::Unary(_, x) | ExprKind::Paren(x) => walk(x, visit),
        ExprKind::Binary(_, l, r) => {
            walk(l, visit);
            walk(r, visit);
        }
        ExprKind::If(c, a, b) => {
            walk(c, visit);
            walk(a, visit);
            walk(b, visit);
        }
        _ => {}
    }
}

/// Every expression written in the plan (the roots).
fn plan_exprs(plan: &ast::Plan) -> Vec<&ast::Expr> {
    let mut roots = Vec::new();
    for item in &plan.items {
        match &item.kind {
            ItemKind::Eligible(e) | ItemKind::Let(_, e) => roots.push(e),
            ItemKind::Measure(m) => roots.push(&m.expr),
            ItemKind::Table(t) => roots.extend(t.entries.iter().map(|e| &e.value)),
            ItemKind::Cap(c) => roots.push(&c.amount),
            ItemKind::Draw(d) => roots.push(&d.amount),
            ItemKind::Credit(c) => {
                for clause in &c.clauses {
                    match &clause.kind {
                        ast::CreditClauseKind::When(e) | ast::CreditClauseKind::Amount(e) | ast::CreditClauseKind::Date(e) | ast::CreditClauseKind::To(e) => {
                            roots.push(e)
                        }
                        ast::CreditClauseKind::Split(shares) => roots.extend(shares.iter().map(|(who, _)| who)),
                        _ => {}
                    }
                }
            }
            ItemKind::Commission(c) => {
                for clause in &c.clauses {
                    if let CommissionClauseKind::Rate(e) | CommissionClauseKind::Gate(e) = &clause.kind {
                        roots.push(e);
                    }
                }
            }
            ItemKind::Bonus(b) => {
                for clause in &b.clauses {
                    match &clause.kind {
                        ast::BonusClauseKind::When(e) | ast::BonusClauseKind::Pay { amount: e, .. } => roots.push(e),
                    }
                }
            }
            ItemKind::Spif(s) => {
                for clause in &s.clauses {
                    match &clause.kind {
                        ast::SpifClauseKind::When(e) | ast::SpifClauseKind::Pay { amount: e, .. } => roots.push(e),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    roots
}

/// The lints of a plan that checks clean (`term` is the plan's term, for spif windows).
pub fn lint(plan: &ast::Plan, term: (chrono::NaiveDate, chrono::NaiveDate)) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    unused(plan, &mut out);
    let caps = Caps::of(plan);
    for item in &plan.items {
        match &item.kind {
            ItemKind::Commission(c) => commission_lints(plan, c, &caps, &mut out),
            ItemKind::Bonus(b) => bonus_lints(b, &caps, &mut out),
            ItemKind::Spif(s) => spif_window(s, term, &mut out),
            _ => {}
        }
    }
    out.sort_by_key(|d| (d.span().start, d.span().end));
    out
}

// ---------------------------------------------------------------- unused

fn unused(plan: &ast::Plan, out: &mut Vec<Diagnostic>) {
    let mut names: BTreeSet<&str> = BTreeSet::new();
    let mut fields: BTreeSet<(ast::Record, &str)> = BTreeSet::new();
    for root in plan_exprs(plan) {
        walk(root, &mut |e| match &e.kind {
            ExprKind::Name(n) => {
                names.insert(&n.name);
            }
            ExprKind::Lookup(n, _) => {
                names.insert(&n.name);
            }
            ExprKind::Field(record, n) => {
                fields.insert((*record, &n.name));
            }
            _ => {}
        });
    }
    for item in &plan.items {
        match &item.kind {
            ItemKind::Commission(c) => {
                for clause in &c.clauses {
                    match &clause.kind {
                        CommissionClauseKind::On(m) | CommissionClauseKind::Accelerator(_, _, m) | CommissionClauseKind::Decelerator(_, _, m) => {
                            names.insert(&m.name);
                        }
                        CommissionClauseKind::Tiers(t) => {
                            names.insert(&t.by.name);
                        }
                        _ => {}
                    }
                }
            }
            ItemKind::Spif(s) => {
                for clause in &s.clauses {
                    if let ast::SpifClauseKind::On(rule) = &clause.kind {
                        names.insert(&rule.name);
                    }
                }
            }
            ItemKind::Credit(c) => {
                for clause in &c.clauses {
                    if let ast::CreditClauseKind::Rollup { rule, .. } = &clause.kind {
                        names.insert(&rule.name);
                    }
                }
            }
            _ => {}
        }
    }
    for item in &plan.items {
        let (what, name, help) = match &item.kind {
            ItemKind::Let(name, _) => ("the `let`", name, "remove it, or read it in a measure, rate, pay, cap or another `let`"),
            ItemKind::Measure(m) => ("the measure", &m.name, "remove it, or read it in a commission, bonus, gate or cap"),
            ItemKind::Table(t) => ("the table", &t.name, "remove it, or look it up: `NAME[booking.column]`"),
            ItemKind::Curve(c) => ("the curve", &c.name, "remove it, or read it: `NAME[attainment]`"),
            ItemKind::Credit(c) => {
                ("the credit rule", &c.name, "its credit pays nothing: read it with `credited(...)`, a spif's `on` or a `rollup`, or remove it")
            }
            ItemKind::Field(f) => {
                if !fields.contains(&(f.record, f.name.name.as_str())) {
                    let written = format!("{}.{}", f.record.keyword(), f.name.name);
                    out.push(
                        Diagnostic::error("payplan::unused", format!("the field `{written}` is declared but never read"), item.span, "declared here")
                            .with_help("remove the declaration (the loader then ignores the column), or read the field")
                            .warning(),
                    );
                }
                continue;
            }
            _ => continue,
        };
        if !names.contains(name.name.as_str()) {
            out.push(
                Diagnostic::error("payplan::unused", format!("{what} `{}` is never used", name.name), name.span, "declared here").with_help(help).warning(),
            );
        }
    }
}

// ---------------------------------------------------------------- caps and tiers

/// The money literal of an expression (`1_000 USD`, `(1_000 USD)`).
fn money(e: &ast::Expr) -> Option<Decimal> {
    match &e.kind {
        ExprKind::Literal(LiteralKind::Money(v, _)) => Some(*v),
        ExprKind::Paren(x) => money(x),
        _ => None,
    }
}

/// The number or percent literal of an expression (`8%`, `0.08`).
fn number(e: &ast::Expr) -> Option<Decimal> {
    match &e.kind {
        ExprKind::Literal(LiteralKind::Number(v) | LiteralKind::Percent(v)) => Some(*v),
        ExprKind::Paren(x) => number(x),
        _ => None,
    }
}

/// A cap stated as a money literal.
#[derive(Debug, Clone)]
struct Cap {
    limit: Decimal,
    /// `per term`, `per period` or `per booking`.
    scope: String,
    /// The component, or `None` for `cap total`.
    target: Option<String>,
    amount_span: Span,
}

impl Cap {
    fn describe(&self) -> String {
        match &self.target {
            Some(t) => format!("`cap {t} at ... per {}`", self.scope),
            None => "`cap total`".to_string(),
        }
    }
}

struct Caps(Vec<Cap>);

impl Caps {
    fn of(plan: &ast::Plan) -> Caps {
        Caps(
            plan.items
                .iter()
                .filter_map(|item| match &item.kind {
                    ItemKind::Cap(c) => Some(Cap {
                        limit: money(&c.amount)?,
                        scope: c.scope.name.clone(),
                        target: c.target.as_ref().map(|t| t.name.clone()),
                        amount_span: c.amount.span,
                    }),
                    _ => None,
                })
                .collect(),
        )
    }

    /// The caps that bound what one component can pay in one term (or, with
    /// `in_period`, in one period): its own term cap, the total cap, and its period cap
    /// when its measure is per period.
    fn binding(&self, component: &str, in_period: bool) -> Vec<&Cap> {
        self.0
            .iter()
            .filter(|c| match c.target.as_deref() {
                None => true,
                Some(t) => t == component && (c.scope == "term" || (c.scope == "period" && in_period)),
            })
            .collect()
    }
}

/// A money band with a known rate.
struct RateBand {
    lower: Decimal,
    upper: Option<Decimal>,
    rate: Decimal,
    span: Span,
}

/// How a commission turns credit into earnings, when the plan states it in literals.
enum Schedule {
    /// One rate for all credit.
    Flat(Decimal),
    /// Money bands (sorted), marginal or retroactive.
    Bands { bands: Vec<RateBand>, marginal: bool },
}

impl Schedule {
    /// Earnings at `credit` of the tier measure, coming from below (so a retroactive
    /// table still pays the band under `credit`).
    fn earned_below(&self, credit: Decimal) -> Option<Decimal> {
        match self {
            Schedule::Flat(rate) => credit.checked_mul(*rate),
            Schedule::Bands { bands, marginal: true } => {
                let mut total = Decimal::ZERO;
                for band in bands.iter().filter(|b| b.lower < credit) {
                    let top = band.upper.map_or(credit, |u| u.min(credit));
                    total = total.checked_add(top.checked_sub(band.lower.max(Decimal::ZERO))?.checked_mul(band.rate)?)?;
                }
                Some(total)
            }
            Schedule::Bands { bands, marginal: false } => {
                let band = bands.iter().rev().find(|b| b.lower < credit)?;
                credit.checked_mul(band.rate)
            }
        }
    }
}

fn schedule(c: &ast::CommissionDecl) -> Option<Schedule> {
    let mut rate = None;
    let mut tiers = None;
    let mut on = None;
    for clause in &c.clauses {
        match &clause.kind {
            CommissionClauseKind::Rate(e) => rate = Some(number(e)),
            CommissionClauseKind::Tiers(t) => tiers = Some(t),
            CommissionClauseKind::On(m) => on = Some(&m.name),
            CommissionClauseKind::Accelerator(..) | CommissionClauseKind::Decelerator(..) => return None,
            _ => {}
        }
    }
    let Some(tiers) = tiers else {
        return rate.flatten().map(Schedule::Flat);
    };
    if Some(&tiers.by.name) != on {
        return None;
    }
    let mut bands = Vec::new();
    for band in &tiers.bands {
        let bound = |l: &Option<ast::Literal>| match l.as_ref().map(|l| &l.kind) {
            Some(LiteralKind::Money(v, _)) => Some(Some(*v)),
            None => Some(None),
            _ => None,
        };
        let lower = bound(&band.lower)?.unwrap_or(Decimal::ZERO);
        let upper = bound(&band.upper)?;
        let rate = match &band.value.kind {
            LiteralKind::Percent(r) => *r,
            LiteralKind::Multiplier(m) | LiteralKind::Number(m) => m.checked_mul(rate.flatten()?)?,
            _ => return None,
        };
        bands.push(RateBand { lower, upper, rate, span: band.span });
    }
    bands.sort_by_key(|b| b.lower);
    Some(Schedule::Bands { bands, marginal: tiers.mode.name == "marginal" })
}

/// Groups a decimal's digits: 250000 → `250,000`.
fn shown(value: Decimal, currency: &str) -> String {
    let text = value.normalize().to_string();
    let (int, frac) = text.split_once('.').map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f} {currency}"),
        None => format!("{sign}{grouped} {currency}"),
    }
}

fn currency_of(e: &ast::Expr) -> String {
    match &e.kind {
        ExprKind::Literal(LiteralKind::Money(_, code)) => code.clone(),
        ExprKind::Paren(x) => currency_of(x),
        _ => String::new(),
    }
}

fn commission_lints(plan: &ast::Plan, c: &ast::CommissionDecl, caps: &Caps, out: &mut Vec<Diagnostic>) {
    let Some(schedule) = schedule(c) else { return };
    let on = c.clauses.iter().find_map(|cl| match &cl.kind {
        CommissionClauseKind::On(m) => Some(m.name.as_str()),
        _ => None,
    });
    let in_period = plan.items.iter().any(|item| matches!(&item.kind, ItemKind::Measure(m) if Some(m.name.name.as_str()) == on && m.in_period));
    let binding = caps.binding(&c.name.name, in_period);
    let Some(cap) = binding.iter().min_by_key(|cap| cap.limit) else { return };
    let currency = plan.items.iter().find_map(|i| match &i.kind {
        ItemKind::Currency(code) => Some(code.name.clone()),
        _ => None,
    });
    let currency = currency.unwrap_or_default();

    if let Schedule::Bands { bands, .. } = &schedule {
        if let Some(band) = bands.iter().skip(1).find(|b| schedule.earned_below(b.lower).is_some_and(|e| e >= cap.limit)) {
            let earned = schedule.earned_below(band.lower).unwrap_or_default();
            out.push(
                Diagnostic::error(
                    "payplan::unreachable-tier",
                    format!(
                        "no payee can reach this tier of `{}`: {} caps it at {} before the tier starts",
                        c.name.name,
                        cap.describe(),
                        shown(cap.limit, &currency)
                    ),
                    band.span,
                    format!("starts at {} of credit, which already earns {}", shown(band.lower, &currency), shown(earned, &currency)),
                )
                .with_label(cap.amount_span, "the cap")
                .with_help("raise the cap, or lower the bands: the tiers above the cap pay nothing")
                .warning(),
            );
        }
    }

    // A gate `on-measure >= T` with a cap reached at T.
    for clause in &c.clauses {
        let CommissionClauseKind::Gate(gate) = &clause.kind else { continue };
        let ExprKind::Binary(BinaryOp::Ge | BinaryOp::Gt, lhs, rhs) = &gate.kind else { continue };
        let (ExprKind::Name(measure), Some(threshold)) = (&lhs.kind, money(rhs)) else { continue };
        if Some(measure.name.as_str()) != on {
            continue;
        }
        let Some(earned) = schedule.earned_below(threshold) else { continue };
        if earned >= cap.limit {
            out.push(
                Diagnostic::error(
                    "payplan::cap-below-gate",
                    format!(
                        "{} of {} is below what `{}` has earned when its gate opens ({})",
                        cap.describe(),
                        shown(cap.limit, &currency),
                        c.name.name,
                        shown(earned, &currency)
                    ),
                    cap.amount_span,
                    "the cap",
                )
                .with_label(rhs.span, format!("the gate opens at {} of credit", shown(threshold, &currency)))
                .with_help("once the gate opens the payee is paid exactly the cap, and nothing before: raise the cap or lower the gate")
                .warning(),
            );
        }
    }
}

fn bonus_lints(b: &ast::BonusDecl, caps: &Caps, out: &mut Vec<Diagnostic>) {
    for clause in &b.clauses {
        let ast::BonusClauseKind::Pay { amount, per_period } = &clause.kind else { continue };
        let Some(pay) = money(amount) else { continue };
        for cap in caps.binding(&b.name.name, *per_period) {
            if cap.limit < pay {
                out.push(
                    Diagnostic::error(
                        "payplan::cap-below-gate",
                        format!(
                            "{} of {} is below the {} that bonus `{}` pays when its condition holds",
                            cap.describe(),
                            shown(cap.limit, &currency_of(amount)),
                            shown(pay, &currency_of(amount)),
                            b.name.name
                        ),
                        cap.amount_span,
                        "the cap",
                    )
                    .with_label(amount.span, "the bonus")
                    .with_help("the bonus can never be paid in full: raise the cap or lower the bonus")
                    .warning(),
                );
            }
        }
    }
}

fn spif_window(s: &ast::SpifDecl, (start, end): (chrono::NaiveDate, chrono::NaiveDate), out: &mut Vec<Diagnostic>) {
    for clause in &s.clauses {
        let ast::SpifClauseKind::Window(a, b) = &clause.kind else { continue };
        let (Ok(from), Ok(to)) = (a.text.parse::<chrono::NaiveDate>(), b.text.parse::<chrono::NaiveDate>()) else { continue };
        let term = format!("{start} to {end}");
        if to < start || from > end {
            out.push(
                Diagnostic::error(
                    "payplan::spif-window",
                    format!("the window of spif `{}` lies wholly outside the term ({term}): it never pays", s.name.name),
                    clause.span,
                    "outside the term",
                )
                .with_help("credit dated outside the term is not this plan's: move the window into the term")
                .warning(),
            );
        } else if from < start || to > end {
            out.push(
                Diagnostic::error(
                    "payplan::spif-window",
                    format!("the window of spif `{}` runs outside the term ({term})", s.name.name),
                    clause.span,
                    "partly outside the term",
                )
                .with_help("only credit dated within the term is paid: start and end the window within the term")
                .warning(),
            );
        }
    }
}

// ---------------------------------------------------------------- data

/// A table key as data shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Text(String),
    Number(Decimal),
}

/// Warnings about table keys that never occur in the data column the table is looked
/// up with (`product_weight[booking.product]` with no booking of product `"Storage"`).
/// Tables also looked up with anything but a column are left alone.
pub fn lint_data(plan: &ast::Plan, lowered: &payplan_ir::Plan, facts: &Facts) -> Vec<Diagnostic> {
    // table name -> the columns it is looked up with (None: some other key).
    let mut lookups: BTreeMap<&str, Vec<Option<(ast::Record, &str)>>> = BTreeMap::new();
    for root in plan_exprs(plan) {
        walk(root, &mut |e| {
            if let ExprKind::Lookup(table, key) = &e.kind {
                let column = match &key.kind {
                    ExprKind::Field(record, name) => Some((*record, name.name.as_str())),
                    _ => None,
                };
                lookups.entry(&table.name).or_default().push(column);
            }
        });
    }
    let mut out = Vec::new();
    let mut cache = ColumnCache::default();
    value_lints(plan, lowered, facts, &mut cache, &mut out);
    for item in &plan.items {
        let ItemKind::Table(table) = &item.kind else { continue };
        let Some(columns) = lookups.get(table.name.name.as_str()) else { continue };
        let Some(lookup_columns) = columns.iter().copied().collect::<Option<Vec<_>>>() else { continue };
        let keys: BTreeSet<Key> = table.entries.iter().filter_map(|entry| entry.key.as_ref()).filter_map(|key| literal_key(&key.kind)).collect();
        let mut seen: BTreeSet<Key> = BTreeSet::new();
        for (record, name) in &lookup_columns {
            seen.extend(cache.values(lowered, facts, (*record, name), &keys).iter().cloned());
        }
        let shown_columns: Vec<String> = lookup_columns.iter().map(|(r, n)| format!("`{}.{n}`", r.keyword())).collect::<BTreeSet<_>>().into_iter().collect();
        for entry in &table.entries {
            let Some(key) = &entry.key else { continue };
            let Some(wanted) = literal_key(&key.kind) else { continue };
            if seen.contains(&wanted) {
                continue;
            }
            let texts: Vec<&str> = seen
                .iter()
                .filter_map(|k| match k {
                    Key::Text(t) => Some(t.as_str()),
                    Key::Number(_) => None,
                })
                .collect();
            let help = match (
                &wanted,
                payplan_syntax::closest(
                    &match &wanted {
                        Key::Text(t) => t.clone(),
                        Key::Number(n) => n.to_string(),
                    },
                    texts.iter().copied(),
                ),
            ) {
                (Key::Text(_), Some(close)) => format!("the data has `\"{close}\"`: a misspelt key never matches; correct it, or remove the entry"),
                _ => "check the spelling against the data, or remove the entry if it is no longer used".to_string(),
            };
            out.push(
                Diagnostic::error(
                    "payplan::table-key",
                    format!("the key {} of table `{}` never occurs in the data ({})", key_text(&wanted), table.name.name, shown_columns.join(", ")),
                    key.span,
                    "not in the data",
                )
                .with_help(help)
                .warning(),
            );
        }
    }
    out
}

/// A column compared with texts: the column, whether the comparison selects rows by the
/// texts (`==`, `in`; not `!=`), and the texts with where they are written.
type Comparison<'p> = ((ast::Record, &'p str), bool, Vec<(&'p str, Span)>);

/// `payplan::value-never-occurs`: a text compared with a column (`==`, `!=`, `in [...]`,
/// either side of `==`/`!=`) that no row holds, when it is probably a mistake: the data
/// has a close value (`Won` for `won`: text is compared exactly), or the comparison
/// can match no row at all (`== "won"`, or an `in` list none of whose texts occurs).
/// A column with no value at all is left alone (absent, or no rows to compare with).
fn value_lints<'p>(plan: &'p ast::Plan, lowered: &payplan_ir::Plan, facts: &Facts, columns: &mut ColumnCache<'p>, out: &mut Vec<Diagnostic>) {
    // In plan order.
    let mut comparisons: Vec<Comparison<'p>> = Vec::new();
    let text = |e: &'p ast::Expr| match &e.kind {
        ExprKind::Literal(LiteralKind::String(s)) => Some((s.as_str(), e.span)),
        _ => None,
    };
    for root in plan_exprs(plan) {
        walk(root, &mut |e| {
            let ExprKind::Binary(op, left, right) = &e.kind else { return };
            let (column, other) = match (&left.kind, &right.kind) {
                (ExprKind::Field(record, name), _) => ((*record, name.name.as_str()), right),
                (_, ExprKind::Field(record, name)) if *op != BinaryOp::In => ((*record, name.name.as_str()), left),
                _ => return,
            };
            let texts: Vec<(&str, Span)> = match (op, &other.kind) {
                (BinaryOp::Eq | BinaryOp::Ne, _) => text(other).into_iter().collect(),
                (BinaryOp::In, ExprKind::List(items)) => items.iter().filter_map(text).collect(),
                _ => Vec::new(),
            };
            if !texts.is_empty() {
                comparisons.push((column, *op != BinaryOp::Ne, texts));
            }
        });
    }
    for (column, selects, texts) in comparisons {
        let wanted: BTreeSet<Key> = texts.iter().map(|(t, _)| Key::Text((*t).to_string())).collect();
        let seen = columns.values(lowered, facts, column, &wanted);
        if seen.is_empty() {
            continue;
        }
        let occurs = |t: &str| seen.contains(&Key::Text(t.to_string()));
        let matches_nothing = selects && !texts.iter().any(|(t, _)| occurs(t));
        for (wanted, span) in texts.iter().filter(|(t, _)| !occurs(t)) {
            let data_texts = seen.iter().filter_map(|k| match k {
                Key::Text(t) => Some(t.as_str()),
                Key::Number(_) => None,
            });
            let same_but_case = data_texts.clone().find(|t| t.to_lowercase() == wanted.to_lowercase());
            let close = same_but_case.or_else(|| payplan_syntax::closest(wanted, data_texts));
            let help = match close {
                Some(close) => format!("the data has `\"{close}\"`: text is compared exactly, so a misspelt value never matches; correct it"),
                None if matches_nothing => {
                    "no row has any of the values compared here, so the comparison matches nothing; check the values against the data".to_string()
                }
                None => continue,
            };
            let (record, name) = column;
            out.push(
                Diagnostic::error(
                    "payplan::value-never-occurs",
                    format!("`\"{wanted}\"` never occurs in `{}.{name}` in the data", record.keyword()),
                    *span,
                    "no row has this value",
                )
                .with_help(help)
                .warning(),
            );
        }
    }
}

/// A table key as a [`Key`] (text or number), if it is one.
fn literal_key(literal: &LiteralKind) -> Option<Key> {
    match literal {
        LiteralKind::String(s) => Some(Key::Text(s.clone())),
        LiteralKind::Number(n) | LiteralKind::Percent(n) => Some(Key::Number(n.normalize())),
        _ => None,
    }
}

fn key_text(key: &Key) -> String {
    match key {
        Key::Text(t) => format!("`\"{t}\"`"),
        Key::Number(n) => format!("`{n}`"),
    }
}

/// The values of a column in the data: every one (`true`), or, once every value of
/// `stop_when_met` has been met, those met so far (`false`): a lint whose values all occur needs no
/// more, and they usually occur in the first rows of a million.
fn column_values<'f>(
    lowered: &payplan_ir::Plan,
    facts: &'f Facts,
    record: ast::Record,
    name: &str,
    stop_when_met: Option<&BTreeSet<Key>>,
) -> (BTreeSet<Key>, bool) {
    let wanted = stop_when_met.unwrap_or(&NO_KEYS);
    let mut keys: BTreeSet<Key> = BTreeSet::new();
    let mut numbers: BTreeSet<Decimal> = BTreeSet::new();
    let mut last: Option<&'f str> = None;
    let mut missing = wanted.len();
    // True once every wanted value is met. Runs of one value are common (the same
    // status row after row): only a new value is looked at.
    let mut add = |text: Option<&'f str>, numbers: &mut BTreeSet<Decimal>, keys: &mut BTreeSet<Key>| -> bool {
        if let Some(text) = text.filter(|t| last != Some(*t)) {
            last = Some(text);
            let key = Key::Text(text.to_string());
            if !keys.contains(&key) {
                missing -= usize::from(wanted.contains(&key));
                keys.insert(key);
            }
        }
        for n in std::mem::take(numbers) {
            let key = Key::Number(n);
            if !keys.contains(&key) {
                missing -= usize::from(wanted.contains(&key));
                keys.insert(key);
            }
        }
        stop_when_met.is_some() && missing == 0
    };
    let slot = |fields: &[(String, payplan_facts::FieldType)]| fields.iter().position(|(n, _)| n == name);
    let complete = match record {
        ast::Record::Booking => {
            let slot = slot(&lowered.booking_fields);
            !facts.bookings.iter().any(|b| {
                let text = match name {
                    "id" => Some(b.id.as_str()),
                    "owner" => Some(&*b.owner),
                    "status" => b.status.as_deref(),
                    "account" => b.account.as_deref(),
                    "currency" => Some(b.currency.code()),
                    _ => custom_text(slot.and_then(|i| b.fields.get(i)), &mut numbers),
                };
                add(text, &mut numbers, &mut keys)
            })
        }
        ast::Record::Payee => {
            let slot = slot(&lowered.payee_fields);
            !facts.payees.iter().any(|p| {
                let text = match name {
                    "id" => Some(p.id.as_str()),
                    "name" => p.name.as_deref(),
                    "role" => p.role.as_deref(),
                    "manager" => p.manager.as_deref(),
                    _ => custom_text(slot.and_then(|i| p.fields.get(i)), &mut numbers),
                };
                add(text, &mut numbers, &mut keys)
            })
        }
    };
    (keys, complete)
}

static NO_KEYS: BTreeSet<Key> = BTreeSet::new();

/// The values of a column that lints need, read once per column: [`column_values`]
/// again, in full, when a later lint wants a value the early stop did not meet.
#[derive(Default)]
struct ColumnCache<'p> {
    columns: BTreeMap<(ast::Record, &'p str), (BTreeSet<Key>, bool)>,
}

impl<'p> ColumnCache<'p> {
    fn values(&mut self, lowered: &payplan_ir::Plan, facts: &Facts, column: (ast::Record, &'p str), wanted: &BTreeSet<Key>) -> &BTreeSet<Key> {
        let known = self.columns.get(&column).is_some_and(|(keys, complete)| *complete || wanted.is_subset(keys));
        if !known {
            // Read before, but without all of these: read in full.
            let stop_when_met = (!self.columns.contains_key(&column)).then_some(wanted);
            let scan = column_values(lowered, facts, column.0, column.1, stop_when_met);
            self.columns.insert(column, scan);
        }
        self.columns.get(&column).map_or(&NO_KEYS, |(keys, _)| keys)
    }
}

/// A custom cell's text; a number goes to `numbers` instead (a table may be keyed by either).
fn custom_text<'v>(cell: Option<&'v Option<FieldValue>>, numbers: &mut BTreeSet<Decimal>) -> Option<&'v str> {
    match cell.and_then(Option::as_ref) {
        Some(FieldValue::Text(t)) => Some(t),
        Some(FieldValue::Number(n)) => {
            numbers.insert(n.normalize());
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings(body: &str) -> Vec<Diagnostic> {
        let source = format!("plan \"p\" {{\n currency USD\n term 2027-01-01 to 2027-12-31\n period quarter\n{body}\n}}");
        let checked = crate::check_source(&source);
        assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
        checked.diagnostics
    }

    fn codes(body: &str) -> Vec<String> {
        warnings(body).iter().map(|d| format!("{} {}", d.code, d.message)).collect()
    }

    const BASE: &str = " credit direct { when booking.status == \"won\" }\n measure bookings = credited(direct)\n";

    #[test]
    fn a_clean_plan_has_no_warning() {
        assert_eq!(codes(&format!("{BASE} commission base {{ on bookings rate 8% }}")), Vec::<String>::new());
    }

    #[test]
    fn unused_declarations_are_warned() {
        let found = codes(&format!(
            "{BASE} field booking.product: text\n let spare = 1\n table t {{ \"a\" => 1 }}\n measure extra = bookings\n credit idle {{ to splits }}\n commission base {{ on bookings rate 8% }}"
        ));
        assert_eq!(
            found,
            [
                "payplan::unused the field `booking.product` is declared but never read",
                "payplan::unused the `let` `spare` is never used",
                "payplan::unused the table `t` is never used",
                "payplan::unused the measure `extra` is never used",
                "payplan::unused the credit rule `idle` is never used",
            ]
        );
    }

    #[test]
    fn a_tier_above_the_term_cap_is_unreachable() {
        let found = warnings(&format!(
            "{BASE} commission base {{ on bookings tiers marginal by bookings {{\n 0 USD to 100_000 USD: 5%\n 100_000 USD to 200_000 USD: 10%\n 200_000 USD and above: 20% }} }}\n cap base at 12_000 USD per term"
        ));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].code, "payplan::unreachable-tier");
        assert!(found[0].message.contains("12,000 USD"), "{}", found[0].message);
        assert!(found[0].labels[0].message.contains("200,000 USD of credit, which already earns 15,000 USD"), "{:?}", found[0].labels);
        // A cap that the top band reaches is fine.
        assert!(warnings(&format!(
            "{BASE} commission base {{ on bookings tiers marginal by bookings {{\n 0 USD to 100_000 USD: 5%\n 100_000 USD and above: 10% }} }}\n cap base at 20_000 USD per term"
        ))
        .is_empty());
    }

    #[test]
    fn a_cap_reached_before_the_gate_opens_is_warned() {
        let found = warnings(&format!("{BASE} commission base {{ on bookings rate 10% gate bookings >= 100_000 USD }}\n cap total at 5_000 USD per term"));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].code, "payplan::cap-below-gate");
        assert!(found[0].message.contains("(10,000 USD)"), "{}", found[0].message);
        let bonus = warnings(&format!("{BASE} bonus club {{ when bookings > 0 USD pay 15_000 USD }}\n cap club at 10_000 USD per term"));
        assert_eq!(bonus.len(), 1, "{bonus:#?}");
        assert!(bonus[0].message.contains("below the 15,000 USD"), "{}", bonus[0].message);
    }

    #[test]
    fn a_spif_window_outside_the_term_is_warned() {
        let found = codes(&format!("{BASE} bonus b {{ when bookings > 0 USD pay 1 USD }}\n spif early {{ on direct window 2026-12-01 to 2027-01-31 pay 100 USD per booking }}\n spif never {{ on direct window 2028-01-01 to 2028-02-01 pay 100 USD per booking }}"));
        assert_eq!(
            found,
            [
                "payplan::spif-window the window of spif `early` runs outside the term (2027-01-01 to 2027-12-31)",
                "payplan::spif-window the window of spif `never` lies wholly outside the term (2027-01-01 to 2027-12-31): it never pays",
            ]
        );
    }
}
