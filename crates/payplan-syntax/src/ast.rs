//! The abstract syntax tree: what the author wrote, with a byte span on every node.
//!
//! Literals are already decoded (`12.5%` is 0.125, `1_000` is 1000) but nothing is
//! resolved: names are plain identifiers and dates are unchecked text.

use crate::Span;
use rust_decimal::Decimal;

/// A name as written, with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// A whole `.plan` file: a plan or a `use`, then test blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    /// The plan, when the file holds one.
    pub plan: Option<Plan>,
    /// `use "path.plan"`, when the file holds tests of another file's plan.
    pub use_path: Option<StringLit>,
    /// `test "..." { ... }` blocks.
    pub tests: Vec<TestBlock>,
}

/// A string literal, unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringLit {
    /// The decoded value.
    pub value: String,
    /// Where it is, quotes included.
    pub span: Span,
}

/// A date literal `2027-01-31`, not yet checked against the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateLit {
    /// The text as written.
    pub text: String,
    /// Where it is.
    pub span: Span,
}

/// `plan "Name" { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The plan's name.
    pub name: StringLit,
    /// Settings and declarations, in source order.
    pub items: Vec<Item>,
    /// The whole plan block.
    pub span: Span,
}

/// One setting or declaration inside a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// What it is.
    pub kind: ItemKind,
    /// The whole item.
    pub span: Span,
}

/// The settings and declarations of a plan (language.md section 3).
#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    /// `currency USD`.
    Currency(Ident),
    /// `term 2027-01-01 to 2027-12-31`.
    Term(DateLit, DateLit),
    /// `period quarter`.
    Period(Ident),
    /// `rounding half_up`.
    Rounding(Ident),
    /// `eligible EXPR`.
    Eligible(Expr),
    /// `prorate by days`.
    Prorate,
    /// `field booking.product: text`.
    Field(FieldDecl),
    /// `let NAME = EXPR`.
    Let(Ident, Expr),
    /// `table NAME { KEY => VALUE, ... }`.
    Table(TableDecl),
    /// `credit NAME { ... }`.
    Credit(CreditDecl),
    /// `measure NAME = EXPR [in period]`.
    Measure(MeasureDecl),
    /// `commission NAME { ... }`.
    Commission(CommissionDecl),
    /// `bonus NAME { ... }`.
    Bonus(BonusDecl),
    /// `spif NAME { ... }`.
    Spif(SpifDecl),
    /// `curve NAME linear|step { ... }`.
    Curve(CurveDecl),
    /// `cap TARGET at EXPR per SCOPE`.
    Cap(CapDecl),
    /// `draw KIND EXPR per period [for N periods]`.
    Draw(DrawDecl),
}

/// Whose column a custom field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Record {
    /// `booking.x`.
    Booking,
    /// `payee.x`.
    Payee,
}

impl Record {
    /// `booking` or `payee`.
    pub fn keyword(self) -> &'static str {
        match self {
            Record::Booking => "booking",
            Record::Payee => "payee",
        }
    }
}

/// `field booking.product: text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDecl {
    /// `booking` or `payee`.
    pub record: Record,
    /// The column name.
    pub name: Ident,
    /// The type keyword as written (`text`, `number`, `money`, `date`, `bool`).
    pub ty: Ident,
}

/// `table NAME { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDecl {
    /// The table's name.
    pub name: Ident,
    /// Entries in source order (`else` included).
    pub entries: Vec<TableEntry>,
}

/// One `KEY => VALUE` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct TableEntry {
    /// The key, or `None` for `else`.
    pub key: Option<Literal>,
    /// The value.
    pub value: Expr,
    /// The whole entry.
    pub span: Span,
}

/// A literal key, bound or point: a number, a percent, a multiplier, money or a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    /// Which literal.
    pub kind: LiteralKind,
    /// Where it is.
    pub span: Span,
}

/// The literal forms used in tables, tier bands, curves and shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiteralKind {
    /// `42`, `0.5`.
    Number(Decimal),
    /// `12.5%`, already divided by 100.
    Percent(Decimal),
    /// `1.5x`.
    Multiplier(Decimal),
    /// `100_000 USD`.
    Money(Decimal, String),
    /// `"Security"`.
    String(String),
}

/// `credit NAME { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreditDecl {
    /// The rule's name.
    pub name: Ident,
    /// Clauses in source order.
    pub clauses: Vec<CreditClause>,
}

/// A clause of a credit rule, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct CreditClause {
    /// Which clause.
    pub kind: CreditClauseKind,
    /// The whole clause.
    pub span: Span,
}

/// The clauses of a credit rule (language.md section 5).
#[derive(Debug, Clone, PartialEq)]
pub enum CreditClauseKind {
    /// `when EXPR`.
    When(Expr),
    /// `amount EXPR`.
    Amount(Expr),
    /// `date EXPR`.
    Date(Expr),
    /// `to splits`.
    ToSplits,
    /// `to EXPR`.
    To(Expr),
    /// `split EXPR: SHARE, ...`.
    Split(Vec<(Expr, Literal)>),
    /// `rollup RULE [all levels]`.
    Rollup {
        /// The rule rolled up.
        rule: Ident,
        /// `all levels`.
        all_levels: bool,
    },
    /// `clawback within N days`: the number of days and its span.
    Clawback(Decimal, Span),
}

/// `measure NAME = EXPR [in period]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureDecl {
    /// The measure's name.
    pub name: Ident,
    /// Its expression.
    pub expr: Expr,
    /// `in period`: reset each period (else to date).
    pub in_period: bool,
}

/// `commission NAME { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct CommissionDecl {
    /// The component's name.
    pub name: Ident,
    /// Clauses in source order.
    pub clauses: Vec<CommissionClause>,
}

/// A clause of a commission, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct CommissionClause {
    /// Which clause.
    pub kind: CommissionClauseKind,
    /// The whole clause.
    pub span: Span,
}

/// The clauses of a commission (language.md section 7).
#[derive(Debug, Clone, PartialEq)]
pub enum CommissionClauseKind {
    /// `on MEASURE`.
    On(Ident),
    /// `rate EXPR`.
    Rate(Expr),
    /// `tiers MODE by MEASURE { bands }`.
    Tiers(Tiers),
    /// `gate EXPR`.
    Gate(Expr),
    /// `accelerator 1.5x above 100% attainment`.
    Accelerator(Literal, Literal, Ident),
    /// `decelerator 0.5x below 50% attainment`.
    Decelerator(Literal, Literal, Ident),
}

/// A tier table.
#[derive(Debug, Clone, PartialEq)]
pub struct Tiers {
    /// `marginal` or `retroactive`, as written.
    pub mode: Ident,
    /// The tier measure after `by`.
    pub by: Ident,
    /// The bands in source order.
    pub bands: Vec<Band>,
}

/// One band: `below B: V`, `A to B: V` or `A and above: V`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Band {
    /// Lower bound, `None` for `below`.
    pub lower: Option<Literal>,
    /// Upper bound, `None` for `and above`.
    pub upper: Option<Literal>,
    /// The band's rate (percent) or multiplier.
    pub value: Literal,
    /// The whole band.
    pub span: Span,
}

/// `bonus NAME { [when EXPR] pay EXPR [per period] }`.
#[derive(Debug, Clone, PartialEq)]
pub struct BonusDecl {
    /// The component's name.
    pub name: Ident,
    /// Clauses in source order.
    pub clauses: Vec<BonusClause>,
}

/// A clause of a bonus, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct BonusClause {
    /// Which clause.
    pub kind: BonusClauseKind,
    /// The whole clause.
    pub span: Span,
}

/// The clauses of a bonus.
#[derive(Debug, Clone, PartialEq)]
pub enum BonusClauseKind {
    /// `when EXPR`.
    When(Expr),
    /// `pay EXPR [per period]`.
    Pay {
        /// The amount.
        amount: Expr,
        /// `per period` (else once per term).
        per_period: bool,
    },
}

/// `spif NAME { on RULE window A to B [when EXPR] pay ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct SpifDecl {
    /// The component's name.
    pub name: Ident,
    /// Clauses in source order.
    pub clauses: Vec<SpifClause>,
}

/// A clause of a spif, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct SpifClause {
    /// Which clause.
    pub kind: SpifClauseKind,
    /// The whole clause.
    pub span: Span,
}

/// The clauses of a spif.
#[derive(Debug, Clone, PartialEq)]
pub enum SpifClauseKind {
    /// `on RULE`.
    On(Ident),
    /// `window A to B`.
    Window(DateLit, DateLit),
    /// `when EXPR`.
    When(Expr),
    /// `pay EXPR per booking` / `pay EXPR of credit`.
    Pay {
        /// The amount (per booking) or rate (of credit).
        amount: Expr,
        /// Which form.
        basis: SpifBasis,
    },
}

/// The two forms of a spif's pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpifBasis {
    /// `pay X per booking`: X times the entry's share.
    PerBooking,
    /// `pay P of credit`: P times the entry's amount.
    OfCredit,
}

/// `curve NAME linear|step { points }`.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveDecl {
    /// The curve's name.
    pub name: Ident,
    /// `linear` or `step`, as written.
    pub kind: Ident,
    /// The points in source order.
    pub points: Vec<CurvePoint>,
}

/// Which form a curve line takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurvePointKind {
    /// `below X: Y`: the value under the first point.
    Below,
    /// `X: Y`.
    At,
    /// `X and above: Y`: the last point, flat after it.
    AndAbove,
}

/// One line of a curve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurvePoint {
    /// Which form.
    pub kind: CurvePointKind,
    /// The x literal.
    pub x: Literal,
    /// The y literal.
    pub y: Literal,
    /// The whole line.
    pub span: Span,
}

/// `cap TARGET at EXPR per SCOPE`.
#[derive(Debug, Clone, PartialEq)]
pub struct CapDecl {
    /// A component's name, or `None` for `cap total`.
    pub target: Option<Ident>,
    /// Span of the target (the name or `total`).
    pub target_span: Span,
    /// The cap amount.
    pub amount: Expr,
    /// `booking`, `period` or `term`, as written.
    pub scope: Ident,
}

/// `draw guaranteed|recoverable EXPR per period [for N periods]`.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawDecl {
    /// `guaranteed` or `recoverable`, as written.
    pub kind: Ident,
    /// The amount per period.
    pub amount: Expr,
    /// `for N periods`, with its span.
    pub periods: Option<(Decimal, Span)>,
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// Expressions (language.md section 4).
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A literal.
    Literal(LiteralKind),
    /// `2027-01-31`.
    Date(DateLit),
    /// `90 days`.
    Duration(Decimal),
    /// `true` / `false`.
    Bool(bool),
    /// A name: a let, a measure (or, misplaced, a rule, table or curve).
    Name(Ident),
    /// `booking.x` / `payee.x`.
    Field(Record, Ident),
    /// `f(args)`.
    Call(Ident, Vec<Expr>),
    /// `table[key]` or `curve[x]`.
    Lookup(Ident, Box<Expr>),
    /// `-x`, `not x`.
    Unary(UnaryOp, Box<Expr>),
    /// `a OP b`.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `if c then a else b`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `[a, b]` (only valid on the right of `in`).
    List(Vec<Expr>),
    /// `(x)`: kept so that the formatter and diagnostics see what was written.
    Paren(Box<Expr>),
}

/// Prefix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-`.
    Neg,
    /// `not`.
    Not,
}

/// Infix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `or`.
    Or,
    /// `and`.
    And,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `in`.
    In,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `of` (the same as `*`).
    Of,
    /// A lone `=` where `==` was meant; always a diagnostic.
    AssignMistake,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Of => "of",
            BinaryOp::AssignMistake => "=",
        }
    }

    /// Comparison operators (non-associative).
    pub fn is_comparison(self) -> bool {
        matches!(self, BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::In | BinaryOp::AssignMistake)
    }
}

/// `test "name" { statements }`.
#[derive(Debug, Clone, PartialEq)]
pub struct TestBlock {
    /// The test's name.
    pub name: StringLit,
    /// Statements in source order.
    pub statements: Vec<TestStatement>,
    /// The whole block.
    pub span: Span,
}

/// An id in a test: an identifier or a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordId {
    /// The id.
    pub value: String,
    /// Where it is.
    pub span: Span,
}

/// A statement of a test block, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct TestStatement {
    /// Which statement.
    pub kind: TestStatementKind,
    /// The whole statement.
    pub span: Span,
}

/// The statements of a test block (language.md section 12).
#[derive(Debug, Clone, PartialEq)]
pub enum TestStatementKind {
    /// `payee ID { column: value, ... }`.
    Payee(RecordId, Vec<(Ident, Expr)>),
    /// `booking ID { column: value, ... }`.
    Booking(RecordId, Vec<(Ident, Expr)>),
    /// `split BOOKING { payee: share, ... }`.
    Split(RecordId, Vec<(RecordId, Literal)>),
    /// `quota PAYEE "name" PERIOD = EXPR`.
    Quota(RecordId, StringLit, Ident, Expr),
    /// `metric PAYEE "name" PERIOD = EXPR`.
    Metric(RecordId, StringLit, Ident, Expr),
    /// `fx CUR DATE = EXPR`.
    Fx(Ident, DateLit, Expr),
    /// `account ID { payee: ..., from: ..., to: ... }`.
    Account(RecordId, Vec<(Ident, Expr)>),
    /// `expect PAYEE [PERIOD] LINE == EXPR`.
    ExpectLine {
        /// The payee.
        payee: RecordId,
        /// The period, absent for term-level lines such as `balance`.
        period: Option<Ident>,
        /// The line name.
        line: Ident,
        /// The expected value.
        value: Expr,
    },
    /// `expect unpaid == EXPR`.
    ExpectUnpaid(Expr),
}
