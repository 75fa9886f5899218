//! Period kinds and period labels (`Q3`, `M11`), counted from the term start.

use chrono::{Datelike, NaiveDate};
use std::fmt;

/// How a term is divided into periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodKind {
    /// 1 month, labelled `M1`..
    Month,
    /// 3 months, labelled `Q1`..
    Quarter,
    /// 6 months, labelled `H1`..
    Half,
    /// 12 months, labelled `Y1`..
    Year,
}

impl PeriodKind {
    /// Months in one period.
    pub fn months(self) -> u32 {
        match self {
            PeriodKind::Month => 1,
            PeriodKind::Quarter => 3,
            PeriodKind::Half => 6,
            PeriodKind::Year => 12,
        }
    }

    /// The label prefix, `M`, `Q`, `H` or `Y`.
    pub fn prefix(self) -> char {
        match self {
            PeriodKind::Month => 'M',
            PeriodKind::Quarter => 'Q',
            PeriodKind::Half => 'H',
            PeriodKind::Year => 'Y',
        }
    }

    /// The keyword a plan uses: `month`, `quarter`, `half`, `year`.
    pub fn keyword(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Half => "half",
            PeriodKind::Year => "year",
        }
    }
}

/// A period label such as `Q3`: the third quarter counted from the term start.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeriodLabel {
    /// The kind of period.
    pub kind: PeriodKind,
    /// 1-based number within the term.
    pub number: u32,
}

/// A label that is not `M1`.., `Q1`.., `H1`.. or `Y1`...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodLabelError {
    /// The text that was given.
    pub text: String,
}

impl fmt::Display for PeriodLabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a period label (use M1..M12, Q1..Q4, H1, H2 or Y1)", self.text)
    }
}

impl std::error::Error for PeriodLabelError {}

impl PeriodLabel {
    /// Parses `M1`, `Q3`, `H2`, `Y1`.
    pub fn parse(text: &str) -> Result<PeriodLabel, PeriodLabelError> {
        let err = || PeriodLabelError { text: text.to_string() };
        let mut chars = text.chars();
        let kind = match chars.next() {
            Some('M') => PeriodKind::Month,
            Some('Q') => PeriodKind::Quarter,
            Some('H') => PeriodKind::Half,
            Some('Y') => PeriodKind::Year,
            _ => return Err(err()),
        };
        let digits = chars.as_str();
        if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
            return Err(err());
        }
        let number: u32 = digits.parse().map_err(|_| err())?;
        Ok(PeriodLabel { kind, number })
    }

    /// First and last day of this period for a term starting on `term_start`
    /// (a 1st of a month), or `None` past the calendar's range.
    pub fn span(&self, term_start: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
        let months = self.kind.months();
        let start = add_months(term_start, months.checked_mul(self.number.checked_sub(1)?)?)?;
        let next = add_months(start, months)?;
        Some((start, next.pred_opt()?))
    }
}

impl fmt::Display for PeriodLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.kind.prefix(), self.number)
    }
}

impl fmt::Debug for PeriodLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The 1st of the month `months` after the month of `date`.
pub fn add_months(date: NaiveDate, months: u32) -> Option<NaiveDate> {
    let total = i64::from(date.year()) * 12 + i64::from(date.month0()) + i64::from(months);
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month0 = u32::try_from(total.rem_euclid(12)).ok()?;
    NaiveDate::from_ymd_opt(year, month0 + 1, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_span_from_the_term_start() {
        let label = PeriodLabel::parse("Q3").unwrap();
        assert_eq!(label.to_string(), "Q3");
        let start = NaiveDate::from_ymd_opt(2027, 7, 1).unwrap();
        let (s, e) = label.span(start).unwrap();
        assert_eq!((s.to_string(), e.to_string()), ("2028-01-01".into(), "2028-03-31".into()));
        assert!(PeriodLabel::parse("Q0").is_err());
        assert!(PeriodLabel::parse("q1").is_err());
        assert!(PeriodLabel::parse("Q").is_err());
    }
}
