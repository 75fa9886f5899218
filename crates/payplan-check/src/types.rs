//! The checker's types (language.md section 2) and what each expression reads.

use payplan_facts::Currency;
use std::fmt;

/// The type of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// A number (percents and multipliers are numbers).
    Number,
    /// Money in one currency.
    Money(Currency),
    /// A date.
    Date,
    /// Text.
    Text,
    /// A boolean.
    Bool,
    /// A number of days.
    Duration,
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Number => f.write_str("a number"),
            Type::Money(c) => write!(f, "money in {c}"),
            Type::Date => f.write_str("a date"),
            Type::Text => f.write_str("text"),
            Type::Bool => f.write_str("a bool"),
            Type::Duration => f.write_str("a duration"),
        }
    }
}

impl Type {
    /// The type without an article: `number`, `money in USD`, `text`.
    pub fn plain(self) -> String {
        match self {
            Type::Number => "number".into(),
            Type::Money(c) => format!("money in {c}"),
            Type::Date => "date".into(),
            Type::Text => "text".into(),
            Type::Bool => "bool".into(),
            Type::Duration => "duration".into(),
        }
    }
}

/// What an expression reads, to decide where it may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reads {
    /// A booking's columns (only available per booking).
    pub booking: bool,
    /// A payee's columns.
    pub payee: bool,
    /// Credited amounts (`credited`, `count`, or a measure of them).
    pub credits: bool,
    /// Quotas or metrics.
    pub targets: bool,
    /// A measure.
    pub measure: bool,
}

impl Reads {
    /// Both together.
    pub fn or(self, other: Reads) -> Reads {
        Reads {
            booking: self.booking || other.booking,
            payee: self.payee || other.payee,
            credits: self.credits || other.credits,
            targets: self.targets || other.targets,
            measure: self.measure || other.measure,
        }
    }
}
