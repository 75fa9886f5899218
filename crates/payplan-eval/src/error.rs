//! Evaluation errors: a division by zero, a missing quota, an absent cell. Each names
//! the payee, period, booking and expression involved, so the admin can fix the data
//! or the plan.

use payplan_ir::Span;
use std::fmt;

/// An error that stops a run (language.md section 11: no results are written).
///
/// Boxed, so that the engine's `Result`s stay small on the hot path; its fields are
/// read through `Deref` (`error.message`, `error.span`...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    detail: Box<EvalErrorDetail>,
}

/// What an [`EvalError`] says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalErrorDetail {
    /// What went wrong, lowercase, user text in backticks.
    pub message: String,
    /// The plan expression involved, if any.
    pub span: Option<Span>,
    /// Advice.
    pub help: Option<String>,
    /// The payee being evaluated.
    pub payee: Option<String>,
    /// The period being evaluated.
    pub period: Option<String>,
    /// The booking being read, with its origin (`bookings.csv:17`).
    pub booking: Option<String>,
}

impl std::ops::Deref for EvalError {
    type Target = EvalErrorDetail;

    fn deref(&self) -> &EvalErrorDetail {
        &self.detail
    }
}

impl EvalError {
    /// An error with a message only.
    pub fn new(message: impl Into<String>) -> EvalError {
        EvalError { detail: Box::new(EvalErrorDetail { message: message.into(), span: None, help: None, payee: None, period: None, booking: None }) }
    }

    /// The same, pointing at a plan expression (kept if already pointing).
    pub fn at(mut self, span: Span) -> EvalError {
        self.detail.span.get_or_insert(span);
        self
    }

    /// The same, with advice.
    pub fn help(mut self, help: impl Into<String>) -> EvalError {
        self.detail.help.get_or_insert_with(|| help.into());
        self
    }

    /// The same, naming the payee (kept if already named).
    pub fn payee(mut self, payee: &str) -> EvalError {
        self.detail.payee.get_or_insert_with(|| payee.to_string());
        self
    }

    /// The same, naming the period.
    pub fn period(mut self, period: impl fmt::Display) -> EvalError {
        self.detail.period.get_or_insert_with(|| period.to_string());
        self
    }

    /// The same, naming the booking.
    pub fn booking(mut self, booking: impl Into<String>) -> EvalError {
        self.detail.booking.get_or_insert_with(|| booking.into());
        self
    }

    /// Where it happened, in words: `` for payee `zoe` in Q1 (booking `b3`, bookings.csv:4)``.
    pub fn context(&self) -> String {
        let mut out = String::new();
        if let Some(p) = &self.payee {
            out.push_str(&format!(" for payee `{p}`"));
        }
        if let Some(p) = &self.period {
            out.push_str(&format!(" in {p}"));
        }
        if let Some(b) = &self.booking {
            out.push_str(&format!(" (booking {b})"));
        }
        out
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.message, self.context())
    }
}

impl std::error::Error for EvalError {}

/// Shorthand for engine results.
pub type Result<T> = std::result::Result<T, EvalError>;
