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

/// [`round`], `None` when the result cannot be written with exactly `digits` decimals:
/// rust_decimal holds 28 or 29 significant digits, so an amount of 28 integer digits
/// has no room left for cents (`round` would then return it with fewer decimals than
/// the currency has). Every amount the engine puts on a line is rounded by this.
pub fn round_exact(x: Decimal, digits: u32, mode: RoundingMode) -> Option<Decimal> {
    let rounded = round(x, digits, mode);
    holds_digits(rounded, digits).then_some(rounded)
}

/// Whether `x` can be written exactly with `digits` decimals (what [`format_amount`]
/// prints): no more decimals than that, and room in the mantissa for the missing ones.
pub fn holds_digits(x: Decimal, digits: u32) -> bool {
    let Some(missing) = digits.checked_sub(x.scale()) else { return false };
    let widened = 10u128.checked_pow(missing).and_then(|factor| x.mantissa().unsigned_abs().checked_mul(factor));
    widened.is_some_and(|m| m <= MAX_MANTISSA)
}

/// The most decimals `x`'s magnitude can be written with (at most 28): any amount no
/// larger than `x` with that many decimals is exact, and so are sums that stay within
/// `x` (what marginal slices need to add up exactly to their credit).
pub fn widest_scale(x: Decimal) -> u32 {
    let mut mantissa = x.mantissa().unsigned_abs();
    let mut scale = x.scale();
    while scale < MAX_SCALE {
        match mantissa.checked_mul(10) {
            Some(m) if m <= MAX_MANTISSA => {
                mantissa = m;
                scale += 1;
            }
            _ => break,
        }
    }
    scale
}

/// rust_decimal's most decimals.
const MAX_SCALE: u32 = 28;

/// The largest mantissa of a rust_decimal (96 bits).
const MAX_MANTISSA: u128 = (1u128 << 96) - 1;

/// The largest amount that can be written with `digits` decimals (for messages).
pub fn largest_with_digits(digits: u32) -> Decimal {
    Decimal::try_from_i128_with_scale(Decimal::MAX.mantissa(), digits).unwrap_or(Decimal::MAX)
}

/// An amount as printed: exactly `digits` decimals, no separators, no negative zero.
/// The engine's amounts always hold their digits ([`holds_digits`]); anything larger
/// would print with fewer.
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

    #[test]
    fn an_amount_too_large_for_its_minor_digits_does_not_round() {
        let largest = d("792281625142643375935439503.35");
        assert_eq!(largest_with_digits(2), largest);
        assert_eq!(round_exact(largest, 2, RoundingMode::HalfUp), Some(largest));
        assert_eq!(round_exact(-largest, 2, RoundingMode::Up), Some(-largest));
        assert_eq!(round_exact(d("792281625142643375935439503.4"), 2, RoundingMode::HalfUp), None);
        assert_eq!(round_exact(d("7922816251426433759354395033.5"), 2, RoundingMode::HalfUp), None);
        assert_eq!(round_exact(d("7922816251426433759354395033.5"), 0, RoundingMode::HalfUp), Some(d("7922816251426433759354395034")));
        assert_eq!(round_exact(d("0.000000000000000000000000001"), 2, RoundingMode::Up), Some(d("0.01")));
        assert!(holds_digits(d("1.5"), 2));
        assert!(!holds_digits(d("1.505"), 2));
        assert!(holds_digits(Decimal::MAX, 0));
        assert!(!holds_digits(Decimal::MAX, 1));
    }

    #[test]
    fn the_widest_scale_leaves_room_for_the_magnitude() {
        assert_eq!(widest_scale(d("480222.62")), 23);
        assert_eq!(widest_scale(d("-480222.62")), 23);
        assert_eq!(widest_scale(d("7.9")), 28);
        assert_eq!(widest_scale(d("8")), 27);
        assert_eq!(widest_scale(Decimal::ZERO), 28);
        assert_eq!(widest_scale(Decimal::MAX), 0);
        assert_eq!(widest_scale(d("0.0000000000000000000000000001")), 28);
    }
}
