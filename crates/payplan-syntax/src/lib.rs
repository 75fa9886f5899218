//! Syntax of the payplan plan language: `grammar/payplan.pest` → an AST in which every
//! node carries the byte span it came from.
//!
//! This crate only reads text. Names, types and meaning are the checker's business
//! (`payplan-check`); parse errors are reported as [`Diagnostic`]s with a label on the
//! exact span and a hint for the usual mistakes (`=` for `==`, `1,000`, a misspelt
//! keyword).

pub mod ast;
pub mod comments;
mod diagnostic;
pub mod format;
mod parse;
mod suggest;

pub use diagnostic::{Diagnostic, Label, Severity, Span};
pub use parse::parse;
pub use suggest::closest;

/// Words reserved by the language (language.md section 1): not usable as names.
pub const RESERVED: &[&str] = &[
    "plan",
    "test",
    "use",
    "currency",
    "term",
    "period",
    "rounding",
    "eligible",
    "prorate",
    "field",
    "let",
    "table",
    "credit",
    "measure",
    "commission",
    "bonus",
    "spif",
    "cap",
    "draw",
    "when",
    "amount",
    "date",
    "to",
    "split",
    "splits",
    "rollup",
    "clawback",
    "on",
    "rate",
    "tiers",
    "gate",
    "accelerator",
    "decelerator",
    "pay",
    "window",
    "expect",
    "if",
    "then",
    "else",
    "and",
    "or",
    "not",
    "in",
    "of",
    "true",
    "false",
    "payee",
    "booking",
    "total",
    "quota",
    "above",
    "below",
    "all",
    "levels",
    "for",
    "per",
    "at",
    "by",
    "within",
    "days",
    "periods",
    "marginal",
    "retroactive",
    "curve",
    "metric",
    "linear",
    "step",
];
