//! Validated text inputs: "parse, don't validate". Each type can only hold an acceptable value.

use crate::error::Error;
use crate::limits::{
    MAX_LABEL_BYTES, MAX_PASSWORD_BYTES, MAX_PIN_DIGITS, MAX_REFERENCE_BYTES, MAX_USERNAME_BYTES,
    MIN_PASSWORD_CHARS, MIN_PIN_DIGITS,
};

/// A username: 1..=64 bytes of ASCII letters, digits, `.`, `_`, `-`, `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// Parses a username.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let allowed = |byte: u8| byte.is_ascii_alphanumeric() || b"._-@".contains(&byte);
        if text.is_empty() || text.len() > MAX_USERNAME_BYTES || !text.bytes().all(allowed) {
            return Err(Error::MalformedRequest(format!(
                "username must be 1 to {MAX_USERNAME_BYTES} letters, digits or . _ - @"
            )));
        }
        Ok(Self(text.to_owned()))
    }

    /// The username.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password: at least 8 characters, at most 256 bytes.
pub struct Password<'a>(&'a str);

impl<'a> Password<'a> {
    /// Parses a password.
    pub fn parse(text: &'a str) -> Result<Self, Error> {
        if text.chars().count() < MIN_PASSWORD_CHARS || text.len() > MAX_PASSWORD_BYTES {
            return Err(Error::MalformedRequest(format!(
                "password must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_BYTES} bytes long"
            )));
        }
        Ok(Self(text))
    }

    /// The password, for hashing.
    pub fn expose(&self) -> &str {
        self.0
    }
}

/// A PIN: 6 to 12 ASCII digits.
pub struct Pin<'a>(&'a str);

impl<'a> Pin<'a> {
    /// Parses a PIN.
    pub fn parse(text: &'a str) -> Result<Self, Error> {
        let length_ok = (MIN_PIN_DIGITS..=MAX_PIN_DIGITS).contains(&text.len());
        if !length_ok || !text.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(Error::MalformedRequest(format!(
                "pin must be {MIN_PIN_DIGITS} to {MAX_PIN_DIGITS} digits"
            )));
        }
        Ok(Self(text))
    }

    /// The PIN, for hashing.
    pub fn expose(&self) -> &'a str {
        self.0
    }
}

/// A merchant's reference for a trade, refund or top-up (`out_trade_no`, `out_refund_no`,
/// `reference`): 1..=64 bytes of ASCII letters, digits, `_`, `-`, `.`, `:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference(String);

impl Reference {
    /// Parses a reference; `field` names it in the error.
    pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
        let allowed = |byte: u8| byte.is_ascii_alphanumeric() || b"_-.:".contains(&byte);
        // `.` and `..` cannot travel as a URL path segment, so such a trade could never be
        // queried, cancelled or refunded.
        let path_safe = text != "." && text != "..";
        if text.is_empty()
            || text.len() > MAX_REFERENCE_BYTES
            || !text.bytes().all(allowed)
            || !path_safe
        {
            return Err(Error::MalformedRequest(format!(
                "{field} must be 1 to {MAX_REFERENCE_BYTES} letters, digits or _ - . :"
            )));
        }
        Ok(Self(text.to_owned()))
    }

    /// The reference.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free text shown to people (merchant name, device name, subject, refund reason, terminal id):
/// 1..=128 bytes with no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label(String);

impl Label {
    /// Parses a label; `field` names it in the error.
    pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
        let trimmed = text.trim();
        if trimmed.is_empty()
            || trimmed.len() > MAX_LABEL_BYTES
            || trimmed.chars().any(char::is_control)
        {
            return Err(Error::MalformedRequest(format!(
                "{field} must be 1 to {MAX_LABEL_BYTES} bytes of printable text"
            )));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// Parses an optional label.
    pub fn parse_optional(field: &str, text: Option<&str>) -> Result<Option<Self>, Error> {
        text.map(|text| Self::parse(field, text)).transpose()
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_refuse_empty_long_and_odd_text() {
        assert!(Reference::parse("out_trade_no", "order-2026-11-26:0001").is_ok());
        for bad in ["", "a b", "é", "x/../y", ".", "..", &"9".repeat(65)] {
            assert!(
                Reference::parse("out_trade_no", bad).is_err(),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn pins_are_six_to_twelve_digits() {
        assert!(Pin::parse("123456").is_ok());
        for bad in ["12345", "1234567890123", "12345a", "１２３４５６"] {
            assert!(Pin::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn labels_refuse_control_characters_and_blank_text() {
        assert!(Label::parse("name", "  Canteen 3 ")
            .map(|label| label.as_str() == "Canteen 3")
            .unwrap());
        assert!(Label::parse("name", "a\nb").is_err());
        assert!(Label::parse("name", "   ").is_err());
    }

    #[test]
    fn usernames_and_passwords_have_bounds() {
        assert!(Username::parse("alice@example.org").is_ok());
        assert!(Username::parse("al ice").is_err());
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("long enough").is_ok());
    }
}
