//! Cell formats (data.md): dates, numbers, shares, money, bools, currency codes, periods.
//!
//! Each parser takes a raw cell and gives `Ok(None)` for an absent cell, the typed
//! value, or a `CellError` whose message reads after the quoted value
//! (`"12,000" is not a number`), with a hint when one helps.

use crate::table::RawCell;
use chrono::NaiveDate;
use payplan_facts::{Currency, PeriodLabel};
use rust_decimal::Decimal;
use std::cell::Cell;

/// Why a cell does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CellError {
    pub message: String,
    pub help: Option<String>,
    /// False when the message is about the JSON value's kind: quoting a JSON number
    /// would make it look like a string.
    pub show_value: bool,
}

impl CellError {
    pub(crate) fn new(message: impl Into<String>) -> CellError {
        CellError { message: message.into(), help: None, show_value: true }
    }

    /// An error about the kind of a JSON value, shown without the value.
    fn wrong_kind(message: impl Into<String>) -> CellError {
        CellError { show_value: false, ..CellError::new(message) }
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> CellError {
        self.help = Some(help.into());
        self
    }
}

type CellResult<T> = Result<Option<T>, CellError>;

/// The text of a cell that must be written as text (a CSV cell or a JSON string).
fn text_only<'a>(cell: &RawCell<'a>, what: &str, example: &str) -> Result<Option<&'a str>, CellError> {
    match cell {
        RawCell::Absent => Ok(None),
        RawCell::Text(text) => Ok(Some(*text)),
        RawCell::Number(_) => Err(CellError::wrong_kind(format!("is a JSON number, not {what}")).help(format!("write it as a string, e.g. \"{example}\""))),
        RawCell::Bool(_) => Err(CellError::wrong_kind(format!("is a JSON boolean, not {what}")).help(format!("write it as a string, e.g. \"{example}\""))),
        RawCell::Unsupported(kind) => Err(CellError::wrong_kind(format!("is {kind}, not {what}"))),
    }
}

/// The text of a numeric cell: a CSV cell, a JSON string or a JSON number.
fn numeric_text<'a>(cell: &RawCell<'a>, what: &str) -> Result<Option<&'a str>, CellError> {
    match cell {
        RawCell::Absent => Ok(None),
        RawCell::Text(text) | RawCell::Number(text) => Ok(Some(*text)),
        RawCell::Bool(_) => Err(CellError::wrong_kind(format!("is a JSON boolean, not {what}"))),
        RawCell::Unsupported(kind) => Err(CellError::wrong_kind(format!("is {kind}, not {what}"))),
    }
}

/// Dates, numbers and codes are never trimmed: a stray space is reported, not guessed away.
fn reject_surrounding_spaces(text: &str) -> Result<(), CellError> {
    // `trim` gives a part of `text`: the same length means the same text.
    if text.trim().len() != text.len() {
        let trimmed = text.trim();
        let error = CellError::new("has spaces around it");
        return Err(if trimmed.is_empty() { error.help("leave the cell empty or fill it in") } else { error.help(format!("remove them: {trimmed}")) });
    }
    Ok(())
}

/// A free-text cell, as written.
pub(crate) fn text<'a>(cell: &RawCell<'a>) -> CellResult<&'a str> {
    if let RawCell::Number(number) = cell {
        // Ids exported as JSON numbers: say exactly what to write instead.
        return Err(CellError::wrong_kind("is a JSON number, not text").help(format!("write it as a string: \"{number}\"")));
    }
    text_only(cell, "text", "text")
}

/// A number: optional `-`, digits, optional `.` and digits.
pub(crate) fn number(cell: &RawCell) -> CellResult<Decimal> {
    numeric_text(cell, "a number")?.map(parse_number).transpose()
}

/// A date `YYYY-MM-DD` that exists in the calendar.
pub(crate) fn date(cell: &RawCell) -> CellResult<NaiveDate> {
    text_only(cell, "a date", "2027-01-15")?.map(parse_date).transpose()
}

/// `true` or `false`.
pub(crate) fn boolean(cell: &RawCell) -> CellResult<bool> {
    match cell {
        RawCell::Bool(value) => Ok(Some(*value)),
        RawCell::Number(_) => Err(CellError::wrong_kind("is a JSON number, not true or false")),
        _ => text_only(cell, "true or false", "true")?.map(parse_bool).transpose(),
    }
}

/// An ISO 4217 code such as `EUR`.
pub(crate) fn currency(cell: &RawCell) -> CellResult<Currency> {
    text_only(cell, "a currency code", "EUR")?.map(parse_currency).transpose()
}

/// A share `60%` or `0.6`, as a fraction between 0 and 1.
pub(crate) fn share(cell: &RawCell) -> CellResult<Decimal> {
    let Some(text) = numeric_text(cell, "a share")? else {
        return Ok(None);
    };
    reject_surrounding_spaces(text)?;
    let not_a_share = || CellError::new("is not a share").help("write 60% or 0.6");
    let fraction = match text.strip_suffix('%') {
        Some(percent) => {
            let percent = parse_number(percent).map_err(|_| not_a_share())?;
            percent_to_fraction(percent).ok_or_else(|| CellError::new("is too precise for a share"))?
        }
        None => parse_number(text).map_err(|_| not_a_share())?,
    };
    if fraction < Decimal::ZERO || fraction > Decimal::ONE {
        return Err(CellError::new("is not between 0% and 100%"));
    }
    Ok(Some(fraction))
}

/// A money cell: `1234.56` (no code of its own) or `1234.56 EUR`.
pub(crate) fn money(cell: &RawCell) -> CellResult<(Decimal, Option<Currency>)> {
    let Some(text) = numeric_text(cell, "an amount of money")? else {
        return Ok(None);
    };
    reject_surrounding_spaces(text)?;
    match text.split_once(' ') {
        Some((amount, code)) => {
            let amount = parse_number(amount).map_err(|error| match error.message.as_str() {
                OUT_OF_RANGE => error,
                _ => CellError { message: "is not an amount of money".into(), ..error },
            })?;
            let code = parse_currency(code).map_err(|error| {
                // `1 234,56` or `1 234,56 EUR`: a space groups the digits, so what
                // follows the first space is no code but more of the amount.
                match spaced_amount_help(text) {
                    Some(help) => CellError::new("is not an amount of money").help(help),
                    None => CellError { message: format!("has `{code}`, which is not an ISO 4217 currency code"), ..error },
                }
            })?;
            Ok(Some((amount, Some(code))))
        }
        None => match parse_number(text) {
            Ok(amount) => Ok(Some((amount, None))),
            Err(error) => Err(glued_code_help(text).map_or(error, |help| CellError::new("is not an amount of money").help(help))),
        },
    }
}

/// A period label (`Y1`, `H2`, `Q3`, `M11`); whether it lies in the term is checked by the caller.
pub(crate) fn period(cell: &RawCell) -> CellResult<PeriodLabel> {
    let Some(text) = text_only(cell, "a period label", "Q1")? else {
        return Ok(None);
    };
    reject_surrounding_spaces(text)?;
    PeriodLabel::parse(text).map(Some).map_err(|_| CellError::new("is not a period label").help("use a label such as Y1, H2, Q3 or M11"))
}

/// Parses a plain decimal exactly; never rounds, never panics.
pub(crate) fn parse_number(text: &str) -> Result<Decimal, CellError> {
    if let Some(value) = small_plain_decimal(text.as_bytes()).filter(|_| crate::quick_paths()) {
        return Ok(value);
    }
    reject_surrounding_spaces(text)?;
    if !is_plain_decimal(text) {
        let error = CellError::new("is not a number");
        return Err(match number_help(text) {
            Some(help) => error.help(help),
            None => error,
        });
    }
    // Zeros ending the fraction add no digit to the value: `197403.840000000000000000000000000`
    // is 197403.84, kept to the decimals that fit.
    Decimal::from_str_exact(text)
        .or_else(|error| match text.contains('.') {
            true => Decimal::from_str_exact(text.trim_end_matches('0').trim_end_matches('.')),
            false => Err(error),
        })
        .map_err(|_| CellError::new(OUT_OF_RANGE))
}

/// Why a plain decimal cannot be held: rust_decimal's 96-bit mantissa and 28 decimals.
pub(crate) const OUT_OF_RANGE: &str = "is too large or too precise: payplan computes with 28 significant digits";

/// The common case of `parse_number` without its general parser: a plain decimal of at
/// most 18 digits, which fits an `i64` mantissa. Gives the same value, digits and scale
/// as `Decimal::from_str_exact`; `None` for anything else (including `-0`, whose sign
/// the general parser decides), which then takes the general path.
fn small_plain_decimal(bytes: &[u8]) -> Option<Decimal> {
    const MAX_DIGITS: u32 = 18;
    let (negative, unsigned) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    let mut mantissa: i64 = 0;
    let mut digits: u32 = 0;
    let mut whole_digits: u32 = 0;
    let mut point = false;
    for &byte in unsigned {
        match byte {
            b'0'..=b'9' => {
                if digits == MAX_DIGITS {
                    return None;
                }
                mantissa = mantissa * 10 + i64::from(byte - b'0');
                digits += 1;
            }
            b'.' if !point => {
                point = true;
                whole_digits = digits;
            }
            _ => return None,
        }
    }
    if !point {
        whole_digits = digits;
    }
    let scale = digits - whole_digits;
    // `1.`, `.5`, `-` and the empty text are not plain decimals.
    if whole_digits == 0 || (point && scale == 0) {
        return None;
    }
    if negative {
        if mantissa == 0 {
            return None;
        }
        mantissa = -mantissa;
    }
    Decimal::try_new(mantissa, scale).ok()
}

/// `-`? digits (`.` digits)?
fn is_plain_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && fraction.is_none_or(all_digits)
}

/// A rewrite of a near-number that would parse, e.g. `12,000` -> `use 12000`.
fn number_help(text: &str) -> Option<String> {
    let trimmed = text.trim();
    if let Some(percent) = trimmed.strip_suffix('%') {
        if let Some(fraction) = parse_number(percent).ok().and_then(percent_to_fraction) {
            return Some(format!("use {}", fraction.normalize()));
        }
    }
    let lower = trimmed.to_ascii_lowercase();
    if lower.contains('e') && !lower.starts_with('e') {
        if let Ok(value) = Decimal::from_scientific(&lower) {
            return Some(format!("write it out: {}", value.normalize()));
        }
    }
    if trimmed.starts_with('.') || trimmed.starts_with("-.") {
        let candidate = trimmed.replacen('.', "0.", 1);
        if is_plain_decimal(&candidate) {
            return Some(format!("use {candidate}"));
        }
    }
    separators_help(trimmed)
}

/// The rewrite of a number written with thousands separators, a decimal comma,
/// a leading `+` or a currency symbol, as the value it was meant to be: `12,000` and
/// `$12,000` -> `use 12000`, `1,234.56` -> `use 1234.56`, and the European
/// `1.234,56` and `1 234,56` -> `use 1234.56` (never `1.23456`).
///
/// The decimal separator is the last of `.` and `,` when both appear; a lone comma is
/// one unless three digits follow it (`12,5`, but `12,000` is twelve thousand);
/// several points are thousands separators (`1.234.567`). Thousands groups must look
/// like them (the last one of three digits), else there is no hint: `1,234,56` is
/// not guessed at.
fn separators_help(text: &str) -> Option<String> {
    let kept: String = text
        .trim_start_matches('+')
        .chars()
        .filter(|c| !matches!(c, '$' | '€' | '£' | '¥'))
        // Spaces, apostrophes and underscores only ever group digits.
        .filter(|c| !matches!(c, ' ' | '\'' | '_' | '\u{a0}' | '\u{202f}' | '’'))
        .collect();
    let (sign, unsigned) = match kept.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", kept.as_str()),
    };
    let commas = unsigned.matches(',').count();
    let points = unsigned.matches('.').count();
    let (decimal, grouping) = match (unsigned.rfind(','), unsigned.rfind('.')) {
        (Some(comma), Some(point)) if comma > point => (Some(','), Some('.')),
        (Some(_), Some(_)) => (Some('.'), Some(',')),
        (Some(_), None) => {
            let after_last = unsigned.rsplit(',').next().unwrap_or_default();
            if commas == 1 && after_last.len() != 3 {
                (Some(','), None)
            } else {
                (None, Some(','))
            }
        }
        (None, Some(_)) if points > 1 => (None, Some('.')),
        (None, Some(_)) => (Some('.'), None),
        (None, None) => (None, None),
    };
    let (whole, fraction) = match decimal {
        Some(separator) => {
            let count = if separator == ',' { commas } else { points };
            if count != 1 {
                return None;
            }
            unsigned.split_once(separator)?
        }
        None => (unsigned, ""),
    };
    let whole_digits = match grouping {
        Some(separator) if whole.contains(separator) => ungrouped(whole, separator)?,
        _ => whole.to_string(),
    };
    let whole_digits = if whole_digits.is_empty() && !fraction.is_empty() { "0".to_string() } else { whole_digits };
    let candidate = if fraction.is_empty() { format!("{sign}{whole_digits}") } else { format!("{sign}{whole_digits}.{fraction}") };
    if !is_plain_decimal(&candidate) || candidate == text {
        return None;
    }
    Some(if decimal == Some(',') && !fraction.is_empty() { format!("use {candidate}; the decimal separator is a point") } else { format!("use {candidate}") })
}

/// The digits of `whole` written in thousands groups (`1,234,567`; Indian `12,34,567`
/// too), or `None` when the groups do not look like thousands: the first of one to
/// three digits, the middle ones of two or three, the last of three.
fn ungrouped(whole: &str, separator: char) -> Option<String> {
    let groups: Vec<&str> = whole.split(separator).collect();
    let last = groups.len().checked_sub(1)?;
    let well_formed = groups.iter().enumerate().all(|(index, group)| {
        let digits = group.bytes().all(|byte| byte.is_ascii_digit());
        let width = group.len();
        let width_fits = if index == last {
            width == 3
        } else if index == 0 {
            (1..=3).contains(&width)
        } else {
            (2..=3).contains(&width)
        };
        digits && width_fits
    });
    well_formed.then(|| groups.concat())
}

/// The rewrite of a money cell whose digits are grouped with spaces, with or without a
/// code of its own after the last space: `1 234,56 EUR` -> `use 1234.56; ...`.
fn spaced_amount_help(text: &str) -> Option<String> {
    let amount = match text.rsplit_once(' ') {
        Some((amount, code)) if Currency::parse(code).is_ok() => amount,
        _ => text,
    };
    if !amount.contains(' ') {
        return None;
    }
    separators_help(amount)
}

/// `1000EUR` -> `write 1000 EUR`.
fn glued_code_help(text: &str) -> Option<String> {
    let split = text.len().checked_sub(3)?;
    let (amount, code) = (text.get(..split)?, text.get(split..)?);
    (is_plain_decimal(amount) && Currency::parse(code).is_ok()).then(|| format!("write {amount} {code}"))
}

/// 60 (percent) -> 0.60, exactly (same digits, scale + 2).
fn percent_to_fraction(percent: Decimal) -> Option<Decimal> {
    let mut fraction = percent;
    fraction.set_scale(percent.scale().checked_add(2)?).ok()?;
    Some(fraction)
}

/// `YYYY-MM-DD`, calendar-valid.
pub(crate) fn parse_date(text: &str) -> Result<NaiveDate, CellError> {
    // A date-shaped cell has no spaces around it: straight to the calendar check.
    let parts = match date_parts(text) {
        Some(parts) => Some(parts),
        None => {
            reject_surrounding_spaces(text)?;
            None
        }
    };
    let Some((year, month, day)) = parts else {
        let error = CellError::new("is not a date");
        // `2027-01-15T00:00:00` or `2027-01-15 00:00`: a spreadsheet added a time.
        let day_only = text.get(..10).filter(|prefix| date_parts(prefix).is_some());
        return Err(match day_only {
            Some(day) => error.help(format!("drop the time: {day}")),
            None => error.help("write dates as YYYY-MM-DD, e.g. 2027-01-15"),
        });
    };
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
        let error = CellError::new("is not a calendar date");
        match days_in_month(year, month) {
            Some(days) => error.help(format!("{year}-{month:02} has {days} days")),
            None => error.help("months run from 01 to 12"),
        }
    })
}

/// Year, month and day of text shaped `DDDD-DD-DD`, not yet checked against the calendar.
fn date_parts(text: &str) -> Option<(i32, u32, u32)> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10 && bytes.iter().enumerate().all(|(i, b)| if i == 4 || i == 7 { *b == b'-' } else { b.is_ascii_digit() });
    if !shaped {
        return None;
    }
    let number = |range: std::ops::Range<usize>| bytes.get(range).map(|digits| digits.iter().fold(0u32, |value, digit| value * 10 + u32::from(digit - b'0')));
    let year = i32::try_from(number(0..4)?).ok()?;
    Some((year, number(5..7)?, number(8..10)?))
}

fn days_in_month(year: i32, month: u32) -> Option<i64> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = payplan_facts::period::add_months(first, 1)?;
    Some((next - first).num_days())
}

/// `true` or `false`, lower case.
fn parse_bool(text: &str) -> Result<bool, CellError> {
    reject_surrounding_spaces(text)?;
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => {
            let error = CellError::new("is not true or false");
            Err(match text.to_ascii_lowercase().as_str() {
                lower @ ("true" | "false") => error.help(format!("write it in lower case: {lower}")),
                _ => error,
            })
        }
    }
}

/// An ISO 4217 code, upper case.
pub(crate) fn parse_currency(text: &str) -> Result<Currency, CellError> {
    /// A code as written, and the currency it names.
    type Known = Option<([u8; 3], Currency)>;
    thread_local! {
        /// The codes parsed last, most recent first: a data set uses few currencies,
        /// and a code met before needs no search of the ISO 4217 table.
        static RECENT: Cell<[Known; 4]> = const { Cell::new([None; 4]) };
    }
    let code = <[u8; 3]>::try_from(text.as_bytes()).ok().filter(|_| crate::quick_paths());
    let recent = RECENT.get();
    if let Some(code) = code {
        if let Some((_, currency)) = recent.iter().flatten().find(|(known, _)| *known == code) {
            return Ok(*currency);
        }
    }
    reject_surrounding_spaces(text)?;
    let parsed = Currency::parse(text);
    if let (Ok(currency), Some(code)) = (parsed.as_ref(), code) {
        let [first, second, third, _] = recent;
        RECENT.set([Some((code, *currency)), first, second, third]);
    }
    parsed.map_err(|_| {
        let error = CellError::new("is not an ISO 4217 currency code");
        let upper = text.to_ascii_uppercase();
        if upper != text && Currency::parse(&upper).is_ok() {
            error.help(format!("use {upper}"))
        } else {
            error
        }
    })
}

/// Fast forms of the parsers above for the well-formed text that fills nearly every
/// cell: each gives `Some` only where its parser gives `Ok(Some(value))` with the same
/// value for a text cell, and `None` otherwise. The caller then takes the general path,
/// which reports the error if there is one.
pub(crate) mod quick {
    use super::*;

    /// `date` of a text cell.
    pub(crate) fn date(text: &str) -> Option<NaiveDate> {
        let (year, month, day) = date_parts(text)?;
        NaiveDate::from_ymd_opt(year, month, day)
    }

    /// `number` of a text cell, and `money` of one without a code of its own.
    pub(crate) fn number(text: &str) -> Option<Decimal> {
        small_plain_decimal(text.as_bytes())
    }

    /// `share` of a text cell.
    pub(crate) fn share(text: &str) -> Option<Decimal> {
        let fraction = match text.strip_suffix('%') {
            Some(percent) => percent_to_fraction(number(percent)?)?,
            None => number(text)?,
        };
        (Decimal::ZERO <= fraction && fraction <= Decimal::ONE).then_some(fraction)
    }

    /// `currency` of a text cell.
    pub(crate) fn currency(text: &str) -> Option<Currency> {
        parse_currency(text).ok()
    }

    /// `boolean` of a text cell.
    pub(crate) fn boolean(text: &str) -> Option<bool> {
        match text {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
}

#[cfg(test)]
// Cells borrow their text now, so `RawCell::Text("x".into())` converts `&str` to itself.
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::useless_conversion)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn text_cell(text: &str) -> RawCell<'_> {
        if text.is_empty() {
            RawCell::Absent
        } else {
            RawCell::Text(text.into())
        }
    }

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn failure<T: std::fmt::Debug>(result: Result<T, CellError>) -> String {
        let error = result.unwrap_err();
        match error.help {
            Some(help) => format!("{} ({})", error.message, help),
            None => error.message,
        }
    }

    #[test]
    fn numbers_are_plain_decimals() {
        assert_eq!(parse_number("1234.56").unwrap(), dec("1234.56"));
        assert_eq!(parse_number("-5").unwrap(), dec("-5"));
        assert_eq!(parse_number("007").unwrap(), dec("7"));
        assert_eq!(failure(parse_number("12,000")), "is not a number (use 12000)");
        assert_eq!(failure(parse_number("1,234,567.5")), "is not a number (use 1234567.5)");
        assert_eq!(failure(parse_number("12,5")), "is not a number (use 12.5; the decimal separator is a point)");
        assert_eq!(failure(parse_number("$1200")), "is not a number (use 1200)");
        assert_eq!(failure(parse_number("+5")), "is not a number (use 5)");
        assert_eq!(failure(parse_number("1e3")), "is not a number (write it out: 1000)");
        assert_eq!(failure(parse_number(".5")), "is not a number (use 0.5)");
        assert_eq!(failure(parse_number("90%")), "is not a number (use 0.9)");
        assert_eq!(failure(parse_number("ten")), "is not a number");
        assert_eq!(failure(parse_number("")), "is not a number");
        assert_eq!(failure(parse_number("-")), "is not a number");
        assert_eq!(failure(parse_number("1.")), "is not a number (use 1)");
        assert_eq!(failure(parse_number("1_000")), "is not a number (use 1000)");
        assert_eq!(failure(parse_number("-$100")), "is not a number (use -100)");
        assert_eq!(failure(parse_number("1'000.50")), "is not a number (use 1000.50)");
        assert_eq!(failure(parse_number(" 12")), "has spaces around it (remove them: 12)");
    }

    #[test]
    fn separator_hints_give_the_value_meant() {
        let point = "; the decimal separator is a point";
        let cases = [
            // European: the point groups thousands, the comma is the decimal separator.
            ("1.234,56", format!("use 1234.56{point}")),
            ("1.234.567,89", format!("use 1234567.89{point}")),
            ("-1.234,56", format!("use -1234.56{point}")),
            ("1.234,5", format!("use 1234.5{point}")),
            ("1.234,567", format!("use 1234.567{point}")),
            ("1.234.567", "use 1234567".to_string()),
            ("1 234,56", format!("use 1234.56{point}")),
            ("1'234,56", format!("use 1234.56{point}")),
            ("€1.234,56", format!("use 1234.56{point}")),
            ("12,5", format!("use 12.5{point}")),
            ("0,5", format!("use 0.5{point}")),
            (",5", format!("use 0.5{point}")),
            ("12,", "use 12".to_string()),
            // US: the comma groups thousands.
            ("1,234.56", "use 1234.56".to_string()),
            ("1,234,567.89", "use 1234567.89".to_string()),
            ("12,000", "use 12000".to_string()),
            ("$12,000.50", "use 12000.50".to_string()),
            ("12,34,567.5", "use 1234567.5".to_string()),
            ("1,234.", "use 1234".to_string()),
        ];
        for (text, help) in cases {
            assert_eq!(failure(parse_number(text)), format!("is not a number ({help})"), "{text:?}");
        }
        // Shapes that are no grouping of thousands get no guess.
        let no_thousands = ["1,234,56", "1.2.3", "1.234,56,7", "1,234.5.6", "12.5.", "1,2,3.4"];
        for text in no_thousands.into_iter().chain(["1234.567,89"]) {
            assert_eq!(failure(parse_number(text)), "is not a number", "{text:?}");
        }
        // Money cells give the same hints, codes or not.
        assert_eq!(failure(money(&text_cell("1.234,56"))), format!("is not a number (use 1234.56{point})"));
        assert_eq!(failure(money(&text_cell("1.234,56 EUR"))), format!("is not an amount of money (use 1234.56{point})"));
        assert_eq!(failure(money(&text_cell("1 234,56"))), format!("is not an amount of money (use 1234.56{point})"));
        assert_eq!(failure(money(&text_cell("1 234,56 EUR"))), format!("is not an amount of money (use 1234.56{point})"));
        assert_eq!(failure(money(&text_cell("12 000"))), "is not an amount of money (use 12000)");
        assert_eq!(failure(money(&text_cell("1000 EURO"))), "has `EURO`, which is not an ISO 4217 currency code");
    }

    #[test]
    fn numbers_too_large_or_too_precise_are_errors_not_panics() {
        let message = OUT_OF_RANGE;
        assert_eq!(failure(parse_number("99999999999999999999999999999999")), message);
        assert_eq!(failure(parse_number("0.00000000000000000000000000001")), message);
        assert_eq!(failure(parse_number(&"9".repeat(400))), message,);
        assert_eq!(failure(money(&text_cell("99999999999999999999999999999999 EUR"))), message, "with a code too");
        // Zeros ending the fraction are no digits of the value.
        assert_eq!(parse_number("197403.840000000000000000000000000").unwrap(), dec("197403.84"));
        assert_eq!(parse_number("-5.000000000000000000000000000000000").unwrap(), dec("-5"));
        assert_eq!(failure(parse_number("10000000000.0000000000000000001")), message);
    }

    #[test]
    fn dates_are_iso_and_calendar_valid() {
        assert_eq!(parse_date("2027-02-28").unwrap(), NaiveDate::from_ymd_opt(2027, 2, 28).unwrap());
        assert_eq!(failure(parse_date("2027-02-30")), "is not a calendar date (2027-02 has 28 days)");
        assert_eq!(failure(parse_date("2027-13-01")), "is not a calendar date (months run from 01 to 12)");
        assert_eq!(failure(parse_date("01/15/2027")), "is not a date (write dates as YYYY-MM-DD, e.g. 2027-01-15)");
        assert_eq!(failure(parse_date("2027-1-5")), "is not a date (write dates as YYYY-MM-DD, e.g. 2027-01-15)");
        assert_eq!(failure(parse_date("2027-01-15 00:00:00")), "is not a date (drop the time: 2027-01-15)");
        assert_eq!(failure(parse_date("2027-01-15 ")), "has spaces around it (remove them: 2027-01-15)");
        assert_eq!(failure(parse_date("２０２７-01-15")), "is not a date (write dates as YYYY-MM-DD, e.g. 2027-01-15)");
    }

    #[test]
    fn shares_are_percent_or_fraction() {
        assert_eq!(share(&text_cell("60%")).unwrap(), Some(dec("0.6")));
        assert_eq!(share(&text_cell("33.25%")).unwrap(), Some(dec("0.3325")));
        assert_eq!(share(&text_cell("0.4")).unwrap(), Some(dec("0.4")));
        assert_eq!(share(&RawCell::Number("0.4".into())).unwrap(), Some(dec("0.4")));
        assert_eq!(share(&text_cell("")).unwrap(), None);
        assert_eq!(failure(share(&text_cell("sixty"))), "is not a share (write 60% or 0.6)");
        assert_eq!(failure(share(&text_cell("60 %"))), "is not a share (write 60% or 0.6)");
        assert_eq!(failure(share(&text_cell("120%"))), "is not between 0% and 100%");
        assert_eq!(failure(share(&text_cell("-0.1"))), "is not between 0% and 100%");
    }

    #[test]
    fn money_has_an_optional_code_of_its_own() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(money(&text_cell("1234.56")).unwrap(), Some((dec("1234.56"), None)));
        assert_eq!(money(&text_cell("1234.56 EUR")).unwrap(), Some((dec("1234.56"), Some(eur))));
        assert_eq!(money(&RawCell::Number("10.50".into())).unwrap(), Some((dec("10.50"), None)));
        assert_eq!(failure(money(&text_cell("1000 usd"))), "has `usd`, which is not an ISO 4217 currency code (use USD)");
        assert_eq!(failure(money(&text_cell("1000EUR"))), "is not an amount of money (write 1000 EUR)");
        assert_eq!(failure(money(&text_cell("12,000 EUR"))), "is not an amount of money (use 12000)");
        assert_eq!(failure(money(&text_cell("12,000"))), "is not a number (use 12000)");
    }

    #[test]
    fn bools_currencies_and_periods() {
        assert_eq!(boolean(&text_cell("true")).unwrap(), Some(true));
        assert_eq!(boolean(&RawCell::Bool(false)).unwrap(), Some(false));
        assert_eq!(failure(boolean(&text_cell("TRUE"))), "is not true or false (write it in lower case: true)");
        assert_eq!(failure(boolean(&text_cell("yes"))), "is not true or false");
        assert_eq!(failure(currency(&text_cell("eur"))), "is not an ISO 4217 currency code (use EUR)");
        assert_eq!(failure(currency(&text_cell("XYZ"))), "is not an ISO 4217 currency code");
        assert_eq!(period(&text_cell("Q3")).unwrap().map(|p| p.to_string()), Some("Q3".to_string()));
        assert_eq!(failure(period(&text_cell("Q0"))), "is not a period label (use a label such as Y1, H2, Q3 or M11)");
    }

    #[test]
    fn json_values_of_the_wrong_kind() {
        assert_eq!(failure(text(&RawCell::Number("1001".into()))), "is a JSON number, not text (write it as a string: \"1001\")");
        assert_eq!(failure(date(&RawCell::Number("20270115".into()))), "is a JSON number, not a date (write it as a string, e.g. \"2027-01-15\")");
        assert_eq!(failure(number(&RawCell::Bool(true))), "is a JSON boolean, not a number");
        assert_eq!(failure(number(&RawCell::Unsupported("an array"))), "is an array, not a number");
        assert_eq!(failure(number(&RawCell::Number("1e3".into()))), "is not a number (write it out: 1000)");
    }

    #[test]
    fn small_plain_decimals_are_what_the_general_parser_makes() {
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "0.0",
            "-0.00",
            "007",
            "-5",
            "1.50",
            "123456789012345678",
            "-123456789012345678",
            "1234567890123456789",
            "0.000000000000000001",
            "1.",
            ".5",
            "-",
            "",
            "1.2.3",
            "+1",
            "1e3",
            " 1",
            "1 ",
            "12,5",
            "9999999999999999.99",
        ]
        .map(String::from)
        .to_vec();
        let mut state: u64 = 88172645463325252;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut text = String::new();
            if state % 3 == 1 {
                text.push('-');
            }
            let digits = 1 + (state >> 8) % 21;
            let point = (state >> 16) % (digits + 2);
            for i in 0..digits {
                if i == point && i > 0 {
                    text.push('.');
                }
                let digit = (state >> (i % 60)) % 10;
                text.push(char::from(b'0' + digit as u8));
            }
            texts.push(text);
        }
        for text in &texts {
            let general = if is_plain_decimal(text) { Decimal::from_str_exact(text).ok() } else { None };
            if let Some(fast) = small_plain_decimal(text.as_bytes()) {
                let general = general.unwrap_or_else(|| panic!("{text:?} is not plain"));
                // The same digits, scale and sign, not only the same value.
                assert_eq!(fast.serialize(), general.serialize(), "{text:?}");
            }
            let parsed = parse_number(text).ok();
            let reference = crate::without_quick_paths(|| parse_number(text).ok());
            assert_eq!(parsed.map(|d| d.serialize()), reference.map(|d| d.serialize()), "{text:?}");
        }
    }

    #[test]
    fn quick_parsers_agree_with_the_general_ones() {
        let texts = [
            "",
            "2027-02-28",
            "2027-02-29",
            "2028-02-29",
            "2027-13-01",
            "0000-01-01",
            "2027-1-5",
            "2027-01-15 ",
            "60%",
            "0.6",
            "100%",
            "0%",
            "120%",
            "-0.1",
            "-0%",
            "60 %",
            "33.3333%",
            "1",
            "1.0",
            "0.0000000000000000000000000001%",
            "EUR",
            "eur",
            "XYZ",
            " USD",
            "USD",
            "true",
            "false",
            "TRUE",
            "12",
            "-0",
            "1e3",
            "12,000",
        ];
        let cell = |text: &'static str| text_cell(text);
        for text in texts {
            if let Some(value) = quick::date(text) {
                assert_eq!(date(&cell(text)), Ok(Some(value)), "{text:?}");
            }
            if let Some(value) = quick::number(text) {
                assert_eq!(number(&cell(text)), Ok(Some(value)), "{text:?}");
                assert_eq!(money(&cell(text)), Ok(Some((value, None))), "{text:?}");
            }
            if let Some(value) = quick::share(text) {
                assert_eq!(share(&cell(text)), Ok(Some(value)), "{text:?}");
            }
            if let Some(value) = quick::currency(text) {
                assert_eq!(currency(&cell(text)), Ok(Some(value)), "{text:?}");
            }
            if let Some(value) = quick::boolean(text) {
                assert_eq!(boolean(&cell(text)), Ok(Some(value)), "{text:?}");
            }
        }
        // Each has some text it declines, for the general path to judge.
        assert_eq!(quick::date("2027-02-30"), None);
        assert_eq!(quick::share("120%"), None);
        assert_eq!(quick::number("-0"), None);
        assert_eq!(quick::currency("eur"), None);
        assert_eq!(quick::boolean("TRUE"), None);
    }
}
