//! Rounding to the currency's minor unit (language.md section 9): the plan's mode acts
//! on the magnitude, symmetric around zero, and zero is never negative.

use payplan_ir::RoundingMode;
use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds `x` to `digits` decimal places with the plan's mode.
pub fn round(x: Decimal, digits: u32, mode: RoundingMode) -> Decimal {
    let strategy = match mode {
        RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
        RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
        RoundingMode::Down => RoundingStrategy::ToZero,
        RoundingMode::Up => RoundingStrategy::AwayFromZero,
    };
    let rounded = x.round_dp_with_strategy(digits, strategy);
    if rounded.is_zero() {
        Decimal::ZERO
    } else {
        rounded
    }
}

/// An amount as printed: exactly `digits` decimals, no separators, no negative zero.
pub fn format_amount(x: Decimal, digits: u32) -> String {
    let mut value = if x.is_zero() { Decimal::ZERO } else { x };
    value.rescale(digits);
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn modes_are_symmetric_around_zero() {
        assert_eq!(round(d("2.345"), 2, RoundingMode::HalfUp), d("2.35"));
        assert_eq!(round(d("-2.345"), 2, RoundingMode::HalfUp), d("-2.35"));
        assert_eq!(round(d("2.345"), 2, RoundingMode::HalfEven), d("2.34"));
        assert_eq!(round(d("2.349"), 2, RoundingMode::Down), d("2.34"));
        assert_eq!(round(d("-2.349"), 2, RoundingMode::Down), d("-2.34"));
        assert_eq!(round(d("2.341"), 2, RoundingMode::Up), d("2.35"));
        assert_eq!(round(d("-2.341"), 2, RoundingMode::Up), d("-2.35"));
        assert_eq!(round(d("-0.001"), 2, RoundingMode::HalfUp).to_string(), "0");
    }

    #[test]
    fn amounts_print_with_the_minor_digits() {
        assert_eq!(format_amount(d("1234.5"), 2), "1234.50");
        assert_eq!(format_amount(d("-17"), 2), "-17.00");
        assert_eq!(format_amount(d("120"), 0), "120");
        assert_eq!(format_amount(d("-0.00"), 2), "0.00");
    }
}
