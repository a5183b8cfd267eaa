//! Decimal amounts as a cashier types them, read into and written from minor units.
//!
//! Only integer arithmetic is used: `12.50` is read as the integer 12 and the digits `50`,
//! never as a floating-point number that could round `0.29` to 28 fen.

use crate::limits::{MAX_AMOUNT_MINOR, MAX_AMOUNT_TEXT_BYTES, MAX_MINOR_DIGITS};

/// Why a typed amount was refused. Each message says what a valid amount looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmountError {
    /// Nothing was typed.
    #[error("no amount was given; type one such as 12.50")]
    Empty,

    /// The text was longer than any amount below the limit can be.
    #[error("an amount has at most {limit} characters")]
    TooLong {
        /// The longest text accepted.
        limit: usize,
    },

    /// The text started with a minus sign.
    #[error("an amount cannot be negative")]
    Negative,

    /// The text was not digits with at most one decimal point: letters, spaces, signs,
    /// exponents (`1e3`), thousands separators (`1,000`), or a point with no digits on one
    /// side (`12.`, `.5`).
    #[error("an amount is written as digits with at most one decimal point, such as 12.50")]
    Syntax,

    /// More digits followed the decimal point than the currency has minor units for.
    #[error("an amount has at most {allowed} digits after the decimal point")]
    TooManyDecimals {
        /// The currency's number of minor digits.
        allowed: u32,
    },

    /// The amount was above the limit, or too large for any integer at all.
    #[error("an amount is at most {limit}")]
    TooLarge {
        /// The limit, written as a decimal amount of the currency.
        limit: String,
    },

    /// The amount was zero.
    #[error("an amount must be more than zero")]
    NotPositive,

    /// The currency was described with more minor digits than any currency has.
    #[error(
        "a currency has 0 to {MAX_MINOR_DIGITS} digits after the decimal point, not {minor_digits}"
    )]
    UnsupportedMinorDigits {
        /// The number of minor digits that was asked for.
        minor_digits: u32,
    },
}

/// Reads a decimal amount such as `12.50` into minor units (`1250` when `minor_digits` is 2, as
/// for CNY).
///
/// Accepted: ASCII digits, optionally followed by a decimal point and 1 to `minor_digits`
/// digits. Refused: anything else (signs, spaces, exponents, separators), zero, and amounts
/// above [`MAX_AMOUNT_MINOR`] minor units.
pub fn parse_amount(text: &str, minor_digits: u32) -> Result<i64, AmountError> {
    if minor_digits > MAX_MINOR_DIGITS {
        return Err(AmountError::UnsupportedMinorDigits { minor_digits });
    }
    if text.is_empty() {
        return Err(AmountError::Empty);
    }
    if text.len() > MAX_AMOUNT_TEXT_BYTES {
        return Err(AmountError::TooLong {
            limit: MAX_AMOUNT_TEXT_BYTES,
        });
    }
    if text.starts_with('-') {
        return Err(AmountError::Negative);
    }
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let fraction = fraction.unwrap_or("");
    if !is_digits(whole) || (text.contains('.') && !is_digits(fraction)) {
        return Err(AmountError::Syntax);
    }
    let fraction_digits = u32::try_from(fraction.len()).expect("the text length is bounded");
    if fraction_digits > minor_digits {
        return Err(AmountError::TooManyDecimals {
            allowed: minor_digits,
        });
    }
    let too_large = || AmountError::TooLarge {
        limit: format_amount(MAX_AMOUNT_MINOR, minor_digits),
    };
    // The fraction is scaled up to whole minor units: "5" in a currency with 2 minor digits
    // is 50.
    let minor = digits_value(whole)
        .and_then(|whole| whole.checked_mul(10_i64.pow(minor_digits)))
        .and_then(|whole| {
            let fraction = digits_value(fraction)?;
            whole.checked_add(fraction * 10_i64.pow(minor_digits - fraction_digits))
        })
        .ok_or_else(too_large)?;
    if minor > MAX_AMOUNT_MINOR {
        return Err(too_large());
    }
    if minor == 0 {
        return Err(AmountError::NotPositive);
    }
    Ok(minor)
}

/// Writes minor units as a decimal amount: `1250` with 2 minor digits is `12.50`, `5` is
/// `0.05`. Negative amounts get a leading minus sign.
///
/// # Panics
///
/// If `minor_digits` is above [`MAX_MINOR_DIGITS`], which no currency has.
pub fn format_amount(minor: i64, minor_digits: u32) -> String {
    assert!(
        minor_digits <= MAX_MINOR_DIGITS,
        "a currency has at most {MAX_MINOR_DIGITS} minor digits, not {minor_digits}"
    );
    let sign = if minor < 0 { "-" } else { "" };
    // unsigned_abs cannot overflow, even for i64::MIN.
    let magnitude = minor.unsigned_abs();
    if minor_digits == 0 {
        return format!("{sign}{magnitude}");
    }
    let scale = 10_u64.pow(minor_digits);
    let width = minor_digits as usize;
    format!("{sign}{}.{:0width$}", magnitude / scale, magnitude % scale)
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

/// The value of a run of ASCII digits (empty is 0), or `None` if it does not fit an `i64`.
fn digits_value(digits: &str) -> Option<i64> {
    digits.bytes().try_fold(0_i64, |value, digit| {
        value.checked_mul(10)?.checked_add(i64::from(digit - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decimal_amounts_are_read_into_minor_units() {
        let cases = [
            ("12.50", 2, 1250),
            ("12.5", 2, 1250),
            ("12", 2, 1200),
            ("0.01", 2, 1),
            ("0.1", 2, 10),
            ("007.00", 2, 700),
            ("10000000000", 2, MAX_AMOUNT_MINOR),
            ("10000000000.00", 2, MAX_AMOUNT_MINOR),
            ("12", 0, 12),
            ("1.234", 3, 1234),
            ("1", 4, 10_000),
        ];
        for (text, minor_digits, expected) in cases {
            assert_eq!(
                parse_amount(text, minor_digits),
                Ok(expected),
                "parsing {text:?} with {minor_digits} minor digits"
            );
        }
    }

    #[test]
    fn malformed_zero_negative_and_huge_amounts_are_refused() {
        let too_large = AmountError::TooLarge {
            limit: "10000000000.00".to_owned(),
        };
        let cases = [
            ("12.505", AmountError::TooManyDecimals { allowed: 2 }),
            ("-1", AmountError::Negative),
            ("-0.01", AmountError::Negative),
            ("abc", AmountError::Syntax),
            ("", AmountError::Empty),
            ("1e3", AmountError::Syntax),
            ("1,000", AmountError::Syntax),
            (" 12", AmountError::Syntax),
            ("12 ", AmountError::Syntax),
            ("+12", AmountError::Syntax),
            ("12.", AmountError::Syntax),
            (".5", AmountError::Syntax),
            ("1.2.3", AmountError::Syntax),
            ("١٢", AmountError::Syntax),
            ("0", AmountError::NotPositive),
            ("0.00", AmountError::NotPositive),
            ("000", AmountError::NotPositive),
            ("10000000000.01", too_large.clone()),
            ("9223372036854775807", too_large.clone()),
            ("99999999999999999999999", too_large.clone()),
            (
                "1234567890123456789012345678901234",
                AmountError::TooLong { limit: 32 },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_amount(text, 2), Err(expected), "parsing {text:?}");
        }
        assert_eq!(
            parse_amount("12.5", 0),
            Err(AmountError::TooManyDecimals { allowed: 0 })
        );
        assert_eq!(
            parse_amount("12", 5),
            Err(AmountError::UnsupportedMinorDigits { minor_digits: 5 })
        );
    }

    #[test]
    fn minor_units_are_written_as_decimal_amounts() {
        let cases = [
            (1250, 2, "12.50"),
            (1, 2, "0.01"),
            (0, 2, "0.00"),
            (100, 2, "1.00"),
            (-1250, 2, "-12.50"),
            (12, 0, "12"),
            (1234, 3, "1.234"),
            (i64::MIN, 2, "-92233720368547758.08"),
            (i64::MAX, 4, "922337203685477.5807"),
        ];
        for (minor, minor_digits, expected) in cases {
            assert_eq!(format_amount(minor, minor_digits), expected);
        }
    }

    #[test]
    fn error_messages_say_what_a_valid_amount_looks_like() {
        assert_eq!(
            parse_amount("1e3", 2).unwrap_err().to_string(),
            "an amount is written as digits with at most one decimal point, such as 12.50"
        );
        assert_eq!(
            parse_amount("10000000000.01", 2).unwrap_err().to_string(),
            "an amount is at most 10000000000.00"
        );
    }

    proptest! {
        #[test]
        fn formatting_then_parsing_an_amount_gives_it_back(
            minor in 1..=MAX_AMOUNT_MINOR,
            minor_digits in 0..=MAX_MINOR_DIGITS,
        ) {
            let text = format_amount(minor, minor_digits);
            prop_assert_eq!(parse_amount(&text, minor_digits), Ok(minor));
        }

        #[test]
        fn parsing_any_text_never_panics_and_never_gives_a_non_positive_amount(
            text in "\\PC{0,40}",
            minor_digits in 0..=MAX_MINOR_DIGITS,
        ) {
            if let Ok(minor) = parse_amount(&text, minor_digits) {
                prop_assert!((1..=MAX_AMOUNT_MINOR).contains(&minor));
                prop_assert_eq!(parse_amount(&format_amount(minor, minor_digits), minor_digits), Ok(minor));
            }
        }
    }
}
