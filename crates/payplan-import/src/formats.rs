//! Cell formats of the exports: numbers written the local way (decimal comma,
//! thousands separators, currency symbols, negatives in parentheses), dates in a
//! strftime-like format, ids derived from names (slugs) and from templates. Every
//! function here turns one cell into the canonical form data.md asks for, or says
//! exactly why it cannot.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

/// How the numbers of a file or a column are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberFormat {
    /// The decimal separator: `.` or `,`.
    pub decimal: char,
    /// The thousands separator, if the export writes one (`,`, `.`, a space, `'`).
    pub thousands: Option<char>,
    /// Currency symbols or codes that may stand before or after the number (`$`, `€`, `USD`).
    pub currency_symbols: Vec<String>,
    /// Whether `(1,234.00)` means -1234.00, as accountants write it.
    pub parentheses_negative: bool,
}

impl Default for NumberFormat {
    fn default() -> Self {
        NumberFormat { decimal: '.', thousands: None, currency_symbols: Vec::new(), parentheses_negative: false }
    }
}

impl NumberFormat {
    /// Reads `text` as a number in this format; the exact decimal, digits as written.
    pub fn parse(&self, text: &str) -> Result<Decimal, String> {
        let mut rest = text.trim();
        let mut negative = false;
        if self.parentheses_negative {
            if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
                negative = true;
                rest = inner.trim();
            }
        }
        // A sign may stand before or after a currency symbol: `-$5`, `$-5`.
        if let Some(after) = rest.strip_prefix('-') {
            negative = !negative;
            rest = after.trim_start();
        }
        for symbol in &self.currency_symbols {
            if let Some(after) = rest.strip_prefix(symbol.as_str()) {
                rest = after.trim_start();
                break;
            }
            if let Some(before) = rest.strip_suffix(symbol.as_str()) {
                rest = before.trim_end();
                break;
            }
        }
        if let Some(after) = rest.strip_prefix('-') {
            if negative {
                return Err("has two minus signs".to_string());
            }
            negative = true;
            rest = after;
        }
        let mut canonical = String::with_capacity(rest.len() + 1);
        if negative {
            canonical.push('-');
        }
        let mut seen_decimal = false;
        let mut digits_in_group = 0usize;
        let mut grouped = false;
        for c in rest.chars() {
            if c.is_ascii_digit() {
                canonical.push(c);
                digits_in_group += 1;
            } else if c == self.decimal && !seen_decimal {
                if grouped && digits_in_group != 3 {
                    return Err(self.describe_problem());
                }
                seen_decimal = true;
                canonical.push('.');
                digits_in_group = 0;
            } else if Some(c) == self.thousands && !seen_decimal {
                // A separator needs digits before it, and every group after the first has three.
                if digits_in_group == 0 || (grouped && digits_in_group != 3) {
                    return Err(self.describe_problem());
                }
                grouped = true;
                digits_in_group = 0;
            } else {
                return Err(self.describe_problem());
            }
        }
        if grouped && !seen_decimal && digits_in_group != 3 {
            return Err(self.describe_problem());
        }
        let unsigned = canonical.trim_start_matches('-');
        if unsigned.is_empty() || unsigned.starts_with('.') || unsigned.ends_with('.') {
            return Err(self.describe_problem());
        }
        Decimal::from_str_exact(&canonical).map_err(|_| "is out of range for an exact decimal (28 digits)".to_string())
    }

    /// How this format writes numbers, for error messages.
    fn describe_problem(&self) -> String {
        let example = match (self.decimal, self.thousands) {
            (',', Some(t)) => format!("1{t}234,56"),
            (',', None) => "1234,56".to_string(),
            (_, Some(t)) => format!("1{t}234.56"),
            (_, None) => "1234.56".to_string(),
        };
        let mut text = format!("is not a number written like `{example}`");
        if !self.currency_symbols.is_empty() {
            text.push_str(&format!(" (currency symbols {})", self.currency_symbols.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")));
        }
        text
    }
}

/// Reads `text` as a date in `format` (strftime-like: `%Y-%m-%d`, `%m/%d/%Y`,
/// `%d.%m.%Y`, `%d %b %Y`...). A format with a time (`%Y-%m-%d %H:%M:%S`) reads a
/// timestamp and keeps its day.
pub fn parse_date(text: &str, format: &str) -> Result<NaiveDate, String> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, format)
        .or_else(|_| NaiveDateTime::parse_from_str(text, format).map(|stamp| stamp.date()))
        .map_err(|_| format!("is not a date written `{format}`"))
}

/// Whether `format` is a usable date format: it must read back a date it wrote.
pub fn check_date_format(format: &str) -> Result<(), String> {
    let probe = NaiveDate::from_ymd_opt(2027, 11, 23).ok_or_else(|| "internal: probe date".to_string())?;
    let mut written = String::new();
    use std::fmt::Write as _;
    if write!(written, "{}", probe.format(format)).is_err() {
        return Err(format!("`{format}` is not a date format (use strftime codes such as `%Y-%m-%d` or `%m/%d/%Y`)"));
    }
    match parse_date(&written, format) {
        Ok(date) if date == probe => Ok(()),
        _ => Err(format!("`{format}` does not give a whole date: it needs a year, a month and a day (`%Y`, `%m` or `%b`, `%d`)")),
    }
}

/// An id made of a name: lower case, accents removed, every run of other characters
/// one `-`, none at either end (`Anna Snelling` is `anna-snelling`, `Frédérique` is
/// `frederique`).
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_dash = false;
    for c in text.chars() {
        let folded = fold_accent(c);
        for c in folded.chars() {
            if c.is_ascii_alphanumeric() {
                if pending_dash && !out.is_empty() {
                    out.push('-');
                }
                pending_dash = false;
                out.push(c.to_ascii_lowercase());
            } else {
                pending_dash = true;
            }
        }
    }
    out
}

/// The ASCII letters a Latin letter with an accent is written with in an id.
fn fold_accent(c: char) -> String {
    let folded = match c {
        'À'..='Å' | 'à'..='å' | 'Ā' | 'ā' | 'Ă' | 'ă' | 'Ą' | 'ą' => "a",
        'Æ' | 'æ' => "ae",
        'Ç' | 'ç' | 'Ć' | 'ć' | 'Č' | 'č' => "c",
        'Ď' | 'ď' | 'Đ' | 'đ' | 'Ð' | 'ð' => "d",
        'È'..='Ë' | 'è'..='ë' | 'Ē' | 'ē' | 'Ė' | 'ė' | 'Ę' | 'ę' | 'Ě' | 'ě' => "e",
        'Ì'..='Ï' | 'ì'..='ï' | 'Ī' | 'ī' | 'Į' | 'į' | 'İ' | 'ı' => "i",
        'Ł' | 'ł' | 'Ľ' | 'ľ' => "l",
        'Ñ' | 'ñ' | 'Ń' | 'ń' | 'Ň' | 'ň' => "n",
        'Ò'..='Ö' | 'Ø' | 'ò'..='ö' | 'ø' | 'Ō' | 'ō' | 'Ő' | 'ő' => "o",
        'Œ' | 'œ' => "oe",
        'Ř' | 'ř' => "r",
        'Ś' | 'ś' | 'Š' | 'š' | 'Ş' | 'ş' => "s",
        'ß' => "ss",
        'Ť' | 'ť' | 'Ţ' | 'ţ' => "t",
        'Þ' | 'þ' => "th",
        'Ù'..='Ü' | 'ù'..='ü' | 'Ū' | 'ū' | 'Ů' | 'ů' | 'Ű' | 'ű' => "u",
        'Ý' | 'ý' | 'ÿ' | 'Ÿ' => "y",
        'Ź' | 'ź' | 'Ż' | 'ż' | 'Ž' | 'ž' => "z",
        _ => return c.to_string(),
    };
    folded.to_string()
}

/// One piece of a template such as `{office}-{agent}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text written as is.
    Text(String),
    /// The cell of the named column.
    Column(String),
}

/// Splits a template into text and `{column}` pieces; `{{` and `}}` write a brace.
pub fn parse_template(template: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some('{') | None => return Err(format!("template `{template}` has a `{{` without its `}}` (write `{{{{` for a brace)")),
                        Some(c) => name.push(c),
                    }
                }
                if name.trim().is_empty() {
                    return Err(format!("template `{template}` has an empty `{{}}`: name a column inside it"));
                }
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Column(name.trim().to_string()));
            }
            '}' => return Err(format!("template `{template}` has a `}}` without its `{{` (write `}}}}` for a brace)")),
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    if !pieces.iter().any(|p| matches!(p, Piece::Column(_))) {
        return Err(format!("template `{template}` names no column: write `{{column}}` where a cell goes, or use `value` for a constant"));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(format: &NumberFormat, text: &str) -> String {
        format.parse(text).map(|d| d.to_string()).unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn plain_numbers_keep_their_digits() {
        let plain = NumberFormat::default();
        assert_eq!(number(&plain, "1054"), "1054");
        assert_eq!(number(&plain, "911.424"), "911.424");
        assert_eq!(number(&plain, "-17.50"), "-17.50");
        assert_eq!(number(&plain, " 12 "), "12");
        for bad in ["", "-", "1,234", "12.", ".5", "1.2.3", "1e5", "$5", "12 000"] {
            assert!(plain.parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn european_numbers_currency_symbols_and_accountants_negatives() {
        let european = NumberFormat { decimal: ',', thousands: Some('.'), currency_symbols: vec!["€".into(), "EUR".into()], parentheses_negative: true };
        assert_eq!(number(&european, "1.234,56"), "1234.56");
        assert_eq!(number(&european, "1.234.567"), "1234567");
        assert_eq!(number(&european, "€ 1.234,5"), "1234.5");
        assert_eq!(number(&european, "1.234,56 EUR"), "1234.56");
        assert_eq!(number(&european, "(1.234,00)"), "-1234.00");
        assert_eq!(number(&european, "-€12"), "-12");
        assert!(european.parse("1.23,4").is_err());
        assert!(european.parse("12.34").is_err(), "a group of two digits is not a thousands group");
        assert!(european.parse("1234.5").is_err());
        let us = NumberFormat { decimal: '.', thousands: Some(','), currency_symbols: vec!["$".into()], parentheses_negative: true };
        assert_eq!(number(&us, "$1,234,567.89"), "1234567.89");
        assert_eq!(number(&us, "($12.00)"), "-12.00");
        assert_eq!(number(&us, "1234"), "1234", "separators are optional");
        assert!(us.parse("1,2345").is_err());
        assert!(us.parse(",123").is_err());
        assert!(us.parse("--5").is_err());
        let message = us.parse("abc").unwrap_err();
        assert!(message.contains("1,234.56") && message.contains("`$`"), "{message}");
    }

    #[test]
    fn dates_in_the_formats_exports_use() {
        assert_eq!(parse_date("2017-03-01", "%Y-%m-%d").unwrap().to_string(), "2017-03-01");
        assert_eq!(parse_date("3/1/2017", "%m/%d/%Y").unwrap().to_string(), "2017-03-01");
        assert_eq!(parse_date("01.03.2017", "%d.%m.%Y").unwrap().to_string(), "2017-03-01");
        assert_eq!(parse_date("1 Mar 2017", "%d %b %Y").unwrap().to_string(), "2017-03-01");
        assert_eq!(parse_date("2017-03-01 14:05:00", "%Y-%m-%d %H:%M:%S").unwrap().to_string(), "2017-03-01");
        assert!(parse_date("2017-02-30", "%Y-%m-%d").is_err());
        assert!(parse_date("03/01/2017", "%Y-%m-%d").unwrap_err().contains("%Y-%m-%d"));
        assert!(check_date_format("%m/%d/%Y").is_ok());
        assert!(check_date_format("%Y-%m").is_err());
        assert!(check_date_format("%Q").is_err());
    }

    #[test]
    fn slugs_are_ascii_ids() {
        assert_eq!(slug("Anna Snelling"), "anna-snelling");
        assert_eq!(slug("  Frédérique  Citeaux "), "frederique-citeaux");
        assert_eq!(slug("Central-Moses Frase"), "central-moses-frase");
        assert_eq!(slug("O'Brien & Søn, Ltd."), "o-brien-son-ltd");
        assert_eq!(slug("Straße"), "strasse");
        assert_eq!(slug("--"), "");
    }

    #[test]
    fn templates() {
        assert_eq!(parse_template("{office}-{ agent }").unwrap(), vec![Piece::Column("office".into()), Piece::Text("-".into()), Piece::Column("agent".into())]);
        assert_eq!(parse_template("P-{{{id}}}").unwrap(), vec![Piece::Text("P-{".into()), Piece::Column("id".into()), Piece::Text("}".into())]);
        assert!(parse_template("no columns").is_err());
        assert!(parse_template("{open").is_err());
        assert!(parse_template("close}").is_err());
        assert!(parse_template("{}").is_err());
    }
}
