//! Amounts: the wallet's and CLI's decimal parser (major units as typed, to minor units) and
//! the core `Amount`. Any text is refused or read into an amount in range, which formats to a
//! decimal that reads back to the same minor units; any integer is a valid `Amount` exactly
//! when it is in range, in Rust and in JSON.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode_core::limits::MAX_AMOUNT_MINOR;
use paycode_core::Amount;
use paycode_wallet::{format_amount, parse_amount};

/// The most minor digits a currency has, as the wallet's parser accepts.
const MAX_MINOR_DIGITS: u32 = paycode_wallet::limits::MAX_MINOR_DIGITS;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    // One digit more than any currency has, to reach the refusal of such a currency.
    let minor_digits = u32::from(selector) % (MAX_MINOR_DIGITS + 2);
    if let Ok(text) = std::str::from_utf8(rest) {
        check_decimal(text, minor_digits);
        check_json(text);
    }
    if let Some((bytes, _)) = rest.split_first_chunk::<8>() {
        check_minor(i64::from_le_bytes(*bytes), minor_digits);
    }
});

/// Major to minor to major: the decimal read back from the formatted minor units is the same.
fn check_decimal(text: &str, minor_digits: u32) {
    let Ok(minor) = parse_amount(text, minor_digits) else {
        return;
    };
    assert!(minor_digits <= MAX_MINOR_DIGITS);
    assert!(
        minor > 0 && minor <= MAX_AMOUNT_MINOR,
        "{minor} is in range"
    );
    let formatted = format_amount(minor, minor_digits);
    assert_eq!(
        parse_amount(&formatted, minor_digits),
        Ok(minor),
        "{formatted}"
    );
    assert_eq!(Amount::new(minor).map(Amount::minor).ok(), Some(minor));
}

/// Minor to major to minor, and `Amount` accepts exactly the amounts in range.
fn check_minor(minor: i64, minor_digits: u32) {
    let in_range = minor > 0 && minor <= MAX_AMOUNT_MINOR;
    assert_eq!(Amount::new(minor).is_ok(), in_range, "{minor}");
    if minor_digits > MAX_MINOR_DIGITS {
        assert!(parse_amount("1", minor_digits).is_err());
        return;
    }
    let formatted = format_amount(minor, minor_digits);
    let read = parse_amount(&formatted, minor_digits);
    assert_eq!(read.is_ok(), in_range, "{formatted}");
    if in_range {
        assert_eq!(read, Ok(minor), "{formatted}");
    }
}

/// An `Amount` in a JSON document is accepted exactly when it is an integer in range.
fn check_json(text: &str) {
    if let Ok(amount) = serde_json::from_str::<Amount>(text) {
        assert!(amount.minor() > 0 && amount.minor() <= MAX_AMOUNT_MINOR);
        let written = serde_json::to_string(&amount).expect("an amount serialises");
        assert_eq!(serde_json::from_str::<Amount>(&written).ok(), Some(amount));
    }
}
