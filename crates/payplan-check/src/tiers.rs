//! Tables, tier bands (with the accelerator/decelerator sugar) and payout curves.

use crate::context::Checker;
use crate::expr::Place;
use crate::types::Type;
use payplan_ir as ir;
use payplan_syntax::ast::{self, CurvePointKind, LiteralKind};
use payplan_syntax::{Diagnostic, Span};
use rust_decimal::Decimal;

/// What a band's bounds are measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundKind {
    /// Money in the plan currency (the tier measure is the `on` measure itself).
    Money,
    /// A ratio (the `on` measure divided by a target): percents or numbers.
    Ratio,
}

/// A band as decoded: lower and upper bounds, value, span and the text written.
type DecodedBand = (Option<Bound>, Option<Bound>, ir::BandValue, Span, String);

/// A bound as written, decoded.
struct Bound {
    value: Decimal,
    span: Span,
}

impl Checker<'_> {
    /// Lowers every table and records its key and value types for lookups.
    pub fn lower_tables(&mut self) -> Vec<ir::Table> {
        let tables = self.tables.clone();
        let mut lowered = Vec::new();
        for (id, table) in tables.iter().enumerate() {
            let mut entries: Vec<(ir::TableKey, ir::Expr)> = Vec::new();
            let mut default = None;
            let mut key_type: Option<Type> = None;
            let mut value_type: Option<Type> = None;
            let mut ok = true;
            let count = table.entries.len();
            for (i, entry) in table.entries.iter().enumerate() {
                let value = self.expr(&entry.value, Place::TableValue);
                if let Some(v) = &value {
                    match value_type {
                        None => value_type = Some(v.ty),
                        Some(t) if t != v.ty => {
                            self.error(
                                Diagnostic::error(
                                    "payplan::table",
                                    format!("table `{}` mixes values: {t} and {}", table.name.name, v.ty),
                                    entry.value.span,
                                    format!("{}", v.ty),
                                )
                                .with_help("every value of a table has the same type"),
                            );
                            ok = false;
                        }
                        Some(_) => {}
                    }
                } else {
                    ok = false;
                }
                let Some(key) = &entry.key else {
                    if default.is_some() || i + 1 != count {
                        self.error(
                            Diagnostic::error(
                                "payplan::table",
                                format!("`else` must come once, last, in table `{}`", table.name.name),
                                entry.span,
                                "misplaced `else`",
                            )
                            .with_help("put `else => VALUE` at the end of the table"),
                        );
                        ok = false;
                    }
                    default = value.map(|v| v.expr);
                    continue;
                };
                let (k, ty) = match &key.kind {
                    LiteralKind::String(s) => (ir::TableKey::Text(s.clone()), Type::Text),
                    LiteralKind::Number(n) | LiteralKind::Percent(n) => (ir::TableKey::Number(n.normalize()), Type::Number),
                    _ => {
                        self.error(Diagnostic::error("payplan::table", "table keys are strings or numbers", key.span, "not a key"));
                        ok = false;
                        continue;
                    }
                };
                match key_type {
                    None => key_type = Some(ty),
                    Some(t) if t != ty => {
                        self.error(Diagnostic::error(
                            "payplan::table",
                            format!("table `{}` mixes keys: {t} and {ty}", table.name.name),
                            key.span,
                            format!("{ty}"),
                        ));
                        ok = false;
                    }
                    Some(_) => {}
                }
                if entries.iter().any(|(existing, _)| *existing == k) {
                    self.error(Diagnostic::error(
                        "payplan::table",
                        format!("key `{}` appears twice in table `{}`", self.text(key.span), table.name.name),
                        key.span,
                        "duplicate key",
                    ));
                    ok = false;
                    continue;
                }
                if let Some(v) = value {
                    entries.push((k, v.expr));
                }
            }
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            if let Some(slot) = self.table_types.get_mut(id) {
                *slot = Some((key_type.unwrap_or(Type::Text), if ok { value_type } else { None }));
            }
            lowered.push(ir::Table { name: table.name.name.clone(), entries, default });
        }
        lowered
    }

    /// Checks and lowers a tier table's bands.
    pub fn bands(&mut self, bands: &[ast::Band], kind: BoundKind, by: &str, table_span: Span) -> Option<Vec<ir::Band>> {
        if bands.is_empty() {
            self.error(
                Diagnostic::error("payplan::tiers", "the tier table has no bands", table_span, "no bands")
                    .with_help("list bands from 0 (or `below`) to `and above`, e.g. `below 100%: 1x` and `100% and above: 1.5x`"),
            );
            return None;
        }
        let mut decoded: Vec<DecodedBand> = Vec::new();
        let mut ok = true;
        for band in bands {
            let lower = band.lower.as_ref().map(|b| self.bound(b, kind, by));
            let upper = band.upper.as_ref().map(|b| self.bound(b, kind, by));
            let value = match band.value.kind {
                LiteralKind::Percent(r) => Some(ir::BandValue::Rate(r)),
                LiteralKind::Multiplier(m) => Some(ir::BandValue::Multiplier(m)),
                _ => {
                    self.error(
                        Diagnostic::error(
                            "payplan::tiers",
                            format!("a band pays a rate or a multiplier, found `{}`", self.text(band.value.span)),
                            band.value.span,
                            "neither",
                        )
                        .with_help("write a rate such as `8%` or a multiplier such as `1.5x`"),
                    );
                    None
                }
            };
            let label = self.text(band.span).split(':').next().unwrap_or("").trim().to_string();
            match (lower, upper, value) {
                (Some(None), _, _) | (_, Some(None), _) | (_, _, None) => ok = false,
                (lower, upper, Some(value)) => decoded.push((lower.flatten(), upper.flatten(), value, band.span, label)),
            }
        }
        if !ok {
            return None;
        }
        let rates = decoded.iter().filter(|d| matches!(d.2, ir::BandValue::Rate(_))).count();
        if rates != 0 && rates != decoded.len() {
            // Point at the first value of the kind the first band does not use.
            let first_is_rate = matches!(bands.first().map(|b| &b.value.kind), Some(LiteralKind::Percent(_)));
            let odd = bands.iter().find(|b| matches!(b.value.kind, LiteralKind::Percent(_)) != first_is_rate);
            let span = odd.map_or(Span::default(), |b| b.value.span);
            self.error(
                Diagnostic::error("payplan::tiers", "a tier table mixes rates and multipliers", span, "mixed")
                    .with_help("use rates (`8%`) throughout, or multipliers (`1.5x`) of the commission's `rate` throughout"),
            );
            return None;
        }
        for (lower, upper, _, span, label) in &decoded {
            if let (Some(l), Some(u)) = (lower, upper) {
                if l.value >= u.value {
                    self.error(Diagnostic::error("payplan::tiers", format!("band `{label}` is empty: it must end above where it starts"), *span, "empty band"));
                    ok = false;
                }
            }
        }
        if !ok {
            return None;
        }
        // Order by lower bound; `below` first.
        decoded.sort_by(|a, b| match (&a.0, &b.0) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Less,
            (Some(_), None) => std::cmp::Ordering::Greater,
            (Some(x), Some(y)) => x.value.cmp(&y.value),
        });
        let mut previous: Option<(Option<Decimal>, String, Span)> = None;
        for (i, (lower, upper, _, span, label)) in decoded.iter().enumerate() {
            match (&previous, lower) {
                (None, Some(l)) if !l.value.is_zero() => {
                    self.error(
                        Diagnostic::error(
                            "payplan::tiers",
                            format!("the first band starts at `{}`, leaving values below it uncovered", self.text(l.span)),
                            l.span,
                            "bands start here",
                        )
                        .with_help(format!("start the bands at 0, or add a band `below {}: ...`", self.text(l.span))),
                    );
                    ok = false;
                }
                (Some((_, prev_label, prev_span)), None) => {
                    self.error(
                        Diagnostic::error("payplan::tiers", format!("band `{label}` overlaps `{prev_label}`"), *span, "second `below` band")
                            .with_label(*prev_span, "this band also starts from the bottom"),
                    );
                    ok = false;
                }
                (Some((None, prev_label, prev_span)), Some(l)) => {
                    self.error(
                        Diagnostic::error("payplan::tiers", format!("band `{label}` overlaps `{prev_label}`, which has no upper end"), l.span, "overlaps")
                            .with_label(*prev_span, "open-ended band"),
                    );
                    ok = false;
                }
                (Some((Some(prev_upper), prev_label, prev_span)), Some(l)) => {
                    if l.value < *prev_upper {
                        self.error(
                            Diagnostic::error(
                                "payplan::tiers",
                                format!("tier bands overlap: `{label}` starts at `{}`, inside `{prev_label}`", self.text(l.span)),
                                l.span,
                                "overlaps the band before",
                            )
                            .with_label(*prev_span, "this band")
                            .with_help("each band starts where the one before ends: bands are `[lower, upper)`"),
                        );
                        ok = false;
                    } else if l.value > *prev_upper {
                        self.error(
                            Diagnostic::error(
                                "payplan::tiers",
                                format!("no band covers the gap between `{prev_label}` and `{label}` (up to `{}`)", self.text(l.span)),
                                l.span,
                                "gap before this band",
                            )
                            .with_label(*prev_span, "the band before ends lower")
                            .with_help(format!("start this band where the one before ends, e.g. `{}`", bound_text(self.text(*prev_span)))),
                        );
                        ok = false;
                    }
                }
                _ => {}
            }
            if i + 1 == decoded.len() && upper.is_some() {
                self.error(
                    Diagnostic::error(
                        "payplan::tiers",
                        format!("the last band `{label}` has an upper end, leaving values above it uncovered"),
                        *span,
                        "bands end here",
                    )
                    .with_help("end the table with a band `X and above: ...`"),
                );
                ok = false;
            }
            previous = Some((upper.as_ref().map(|u| u.value), label.clone(), *span));
        }
        if !ok {
            return None;
        }
        Some(
            decoded
                .into_iter()
                .map(|(lower, upper, value, _, label)| ir::Band { lower: lower.map(|b| b.value), upper: upper.map(|b| b.value), value, label })
                .collect(),
        )
    }

    fn bound(&mut self, literal: &ast::Literal, kind: BoundKind, by: &str) -> Option<Bound> {
        let span = literal.span;
        match (&literal.kind, kind) {
            (LiteralKind::Money(amount, code), BoundKind::Money) => {
                let currency = self.currency_code(code, span)?;
                if currency != self.currency {
                    self.error(Diagnostic::error(
                        "payplan::tiers",
                        format!("band bound `{}` is not in the plan currency {}", self.text(span), self.currency),
                        span,
                        "other currency",
                    ));
                    return None;
                }
                Some(Bound { value: *amount, span })
            }
            (LiteralKind::Number(n), BoundKind::Money) if n.is_zero() => Some(Bound { value: *n, span }),
            (LiteralKind::Percent(n) | LiteralKind::Number(n), BoundKind::Ratio) => Some(Bound { value: *n, span }),
            (_, BoundKind::Money) => {
                self.error(
                    Diagnostic::error(
                        "payplan::tiers",
                        format!("`{by}` is money, so its bands are amounts, found `{}`", self.text(span)),
                        span,
                        "not an amount",
                    )
                    .with_help(format!("write amounts such as `100_000 {}`", self.currency)),
                );
                None
            }
            (_, BoundKind::Ratio) => {
                self.error(
                    Diagnostic::error(
                        "payplan::tiers",
                        format!("`{by}` is a ratio, so its bands are percents or numbers, found `{}`", self.text(span)),
                        span,
                        "not a ratio",
                    )
                    .with_help("write percents such as `100%`"),
                );
                None
            }
        }
    }

    /// Builds the marginal table of `accelerator`/`decelerator` lines (1x elsewhere).
    pub fn sugar_bands(
        &mut self,
        accelerators: &[(&ast::Literal, &ast::Literal)],
        decelerators: &[(&ast::Literal, &ast::Literal)],
        kind: BoundKind,
        by: &str,
    ) -> Option<Vec<ir::Band>> {
        let mut ups = Vec::new();
        let mut downs = Vec::new();
        let mut ok = true;
        for (list, out) in [(accelerators, &mut ups), (decelerators, &mut downs)] {
            for (factor, bound) in list {
                let multiplier = match factor.kind {
                    LiteralKind::Multiplier(m) => Some(m),
                    _ => {
                        self.error(Diagnostic::error(
                            "payplan::tiers",
                            format!("expected a multiplier such as `1.5x`, found `{}`", self.text(factor.span)),
                            factor.span,
                            "not a multiplier",
                        ));
                        None
                    }
                };
                match (multiplier, self.bound(bound, kind, by)) {
                    (Some(m), Some(b)) => out.push((b.value, m, self.text(factor.span).to_string(), self.text(bound.span).to_string(), bound.span)),
                    _ => ok = false,
                }
            }
        }
        if !ok {
            return None;
        }
        ups.sort_by_key(|a| a.0);
        downs.sort_by_key(|a| a.0);
        for list in [&ups, &downs] {
            for pair in list.windows(2) {
                if let [a, b] = pair {
                    if a.0 == b.0 {
                        self.error(Diagnostic::error("payplan::tiers", format!("two lines start at `{}`", b.3), b.4, "same threshold"));
                        return None;
                    }
                }
            }
        }
        let highest_down = downs.last().map(|d| d.0);
        let lowest_up = ups.first().map(|u| u.0);
        if let (Some(d), Some(u)) = (highest_down, lowest_up) {
            if d > u {
                let span = downs.last().map_or(Span::default(), |x| x.4);
                self.error(
                    Diagnostic::error("payplan::tiers", "a decelerator reaches above an accelerator", span, "overlaps")
                        .with_help("decelerators apply below a threshold lower than every accelerator's"),
                );
                return None;
            }
        }
        let mut bands = Vec::new();
        // Below the lowest decelerator threshold, each decelerator band runs up to the next.
        let mut lower: Option<Decimal> = None;
        let mut lower_text = String::new();
        for (threshold, m, factor, bound_text, _) in &downs {
            let label = match &lower {
                None => format!("below {bound_text}"),
                Some(_) => format!("{lower_text} to {bound_text}"),
            };
            // The multiplier of `m below T` applies from the previous threshold to T.
            let _ = factor;
            bands.push(ir::Band { lower, upper: Some(*threshold), value: ir::BandValue::Multiplier(*m), label });
            lower = Some(*threshold);
            lower_text = bound_text.clone();
        }
        // Decelerators are nested: `0x below 25%` and `0.5x below 50%` give [.., 25%) at 0x
        // and [25%, 50%) at 0.5x, which the loop above produced in ascending order.
        let middle_upper = ups.first().map(|u| u.0);
        let empty_middle = matches!((lower, middle_upper), (Some(l), Some(u)) if l == u);
        if !empty_middle {
            let label = match (&lower, ups.first()) {
                (None, Some(u)) => format!("below {}", u.3),
                (Some(_), Some(u)) => format!("{lower_text} to {}", u.3),
                (Some(_), None) => format!("{lower_text} and above"),
                (None, None) => "everything".to_string(),
            };
            bands.push(ir::Band { lower, upper: middle_upper, value: ir::BandValue::Multiplier(Decimal::ONE), label });
        }
        for (i, (threshold, m, _, bound_text, _)) in ups.iter().enumerate() {
            let next = ups.get(i + 1);
            let label = match next {
                Some(n) => format!("{bound_text} to {}", n.3),
                None => format!("{bound_text} and above"),
            };
            bands.push(ir::Band { lower: Some(*threshold), upper: next.map(|n| n.0), value: ir::BandValue::Multiplier(*m), label });
        }
        Some(bands)
    }

    /// Checks and lowers every curve.
    pub fn lower_curves(&mut self) -> Vec<ir::Curve> {
        let curves = self.curves.clone();
        curves.iter().filter_map(|c| self.curve(c)).collect()
    }

    fn curve(&mut self, curve: &ast::CurveDecl) -> Option<ir::Curve> {
        let kind = if curve.kind.name == "step" { ir::CurveKind::Step } else { ir::CurveKind::Linear };
        let mut points: Vec<(Decimal, Decimal)> = Vec::new();
        let mut below: Option<(Decimal, Decimal, Span)> = None;
        let mut flat_above = false;
        let mut ok = true;
        let mut last_x: Option<(Decimal, Span)> = None;
        let count = curve.points.len();
        if count == 0 {
            self.error(Diagnostic::error("payplan::curve", format!("curve `{}` has no points", curve.name.name), curve.name.span, "empty curve"));
            return None;
        }
        for (i, point) in curve.points.iter().enumerate() {
            let x = match point.x.kind {
                LiteralKind::Number(n) | LiteralKind::Percent(n) => n,
                _ => {
                    self.error(Diagnostic::error(
                        "payplan::curve",
                        format!("a curve point is a number or percent, found `{}`", self.text(point.x.span)),
                        point.x.span,
                        "not a number",
                    ));
                    ok = false;
                    continue;
                }
            };
            let y = match point.y.kind {
                LiteralKind::Number(n) | LiteralKind::Percent(n) | LiteralKind::Multiplier(n) => n,
                _ => {
                    self.error(Diagnostic::error(
                        "payplan::curve",
                        format!("a curve value is a number or percent, found `{}`", self.text(point.y.span)),
                        point.y.span,
                        "not a number",
                    ));
                    ok = false;
                    continue;
                }
            };
            match point.kind {
                CurvePointKind::Below => {
                    if below.is_some() || !points.is_empty() {
                        self.error(
                            Diagnostic::error("payplan::curve", "`below` must come first, once", point.span, "misplaced `below`")
                                .with_help("write `below X: Y` as the curve's first line, with X the first point"),
                        );
                        ok = false;
                    }
                    below = Some((x, y, point.x.span));
                }
                CurvePointKind::At | CurvePointKind::AndAbove => {
                    if let Some((previous, previous_span)) = last_x {
                        if x <= previous {
                            self.error(
                                Diagnostic::error(
                                    "payplan::curve",
                                    format!("curve points must increase: `{}` is not above `{}`", self.text(point.x.span), self.text(previous_span)),
                                    point.x.span,
                                    "not above the point before",
                                )
                                .with_label(previous_span, "previous point")
                                .with_help("list the points in strictly increasing order"),
                            );
                            ok = false;
                        }
                    }
                    if point.kind == CurvePointKind::AndAbove {
                        if i + 1 != count {
                            self.error(
                                Diagnostic::error(
                                    "payplan::curve",
                                    format!("`{} and above` must be the last point", self.text(point.x.span)),
                                    point.span,
                                    "not last",
                                )
                                .with_help("`X and above: Y` holds Y from X on, so nothing can follow it"),
                            );
                            ok = false;
                        }
                        flat_above = true;
                    }
                    last_x = Some((x, point.x.span));
                    points.push((x, y));
                }
            }
        }
        if let Some((x, _, span)) = below {
            match points.first() {
                Some((first, _)) if *first == x => {}
                Some(_) => {
                    self.error(
                        Diagnostic::error("payplan::curve", format!("`below {}` must name the first point", self.text(span)), span, "not the first point")
                            .with_help("`below X: Y` gives the value under the first point X"),
                    );
                    ok = false;
                }
                None => {
                    self.error(Diagnostic::error("payplan::curve", "a curve needs at least one point besides `below`", span, "no points"));
                    ok = false;
                }
            }
        }
        ok.then(|| ir::Curve { name: curve.name.name.clone(), kind, points, below: below.map(|(_, y, _)| y), flat_above })
    }
}

/// The upper bound of a band's text `A to B: V` (for a hint).
fn bound_text(band: &str) -> String {
    let head = band.split(':').next().unwrap_or(band);
    head.split(" to ").nth(1).unwrap_or(head).trim().to_string()
}
