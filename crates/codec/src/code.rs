//! The 18-digit payment code and the small numbers it is made of.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// Digits in a whole payment code.
pub const CODE_DIGITS: usize = PREFIX_DIGITS + PAYLOAD_DIGITS;

/// Digits in a prefix.
pub const PREFIX_DIGITS: usize = 2;

/// Digits in the payload after the prefix.
pub const PAYLOAD_DIGITS: usize = 16;

/// One more than the largest payload: `10^16`.
pub(crate) const PAYLOAD_LIMIT: u64 = 10_u64.pow(PAYLOAD_DIGITS as u32);

/// The first two digits of a payment code, `00` to `99`.
///
/// A prefix tells which kind of code follows and, for offline codes, which code key encrypted
/// it (SPEC section 2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Prefix(u8);

impl Prefix {
    /// Makes a prefix from its value, which must be at most 99.
    pub const fn new(value: u8) -> Result<Self, Error> {
        if value < 100 {
            Ok(Prefix(value))
        } else {
            Err(Error::PrefixOutOfRange { value })
        }
    }

    /// The prefix as a number, `0..=99`.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// The two ASCII digits of the prefix, which are also its FF1 tweak.
    pub const fn to_ascii(self) -> [u8; PREFIX_DIGITS] {
        [b'0' + self.0 / 10, b'0' + self.0 % 10]
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:02}", self.0)
    }
}

impl FromStr for Prefix {
    type Err = Error;

    /// Reads exactly two ASCII digits, such as `"81"` or `"07"`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.as_bytes() {
            [tens @ b'0'..=b'9', units @ b'0'..=b'9'] => {
                Ok(Prefix((tens - b'0') * 10 + (units - b'0')))
            }
            _ => Err(Error::PrefixSyntax),
        }
    }
}

/// The number the server gives a device at enrollment, `1..=999_999_999` (`D` in the
/// specification). It is never reused, so no two devices can make the same offline code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceSlot(u32);

impl DeviceSlot {
    /// The smallest slot.
    pub const MIN: DeviceSlot = DeviceSlot(1);
    /// The largest slot: nine digits.
    pub const MAX: DeviceSlot = DeviceSlot(999_999_999);

    /// Makes a slot, which must be in `1..=999_999_999`.
    pub const fn new(value: u32) -> Result<Self, Error> {
        if value >= Self::MIN.0 && value <= Self::MAX.0 {
            Ok(DeviceSlot(value))
        } else {
            Err(Error::DeviceSlotOutOfRange { value })
        }
    }

    /// The slot as a number.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for DeviceSlot {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(formatter)
    }
}

/// Which of the up to ten codes of one time step this is, `0..=9` (`N` in the specification).
///
/// A wallet shows a fresh code each time, so it counts codes within a step; the server accepts
/// each (device, step, index) once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CodeIndex(u8);

impl CodeIndex {
    /// The first index, whose one-time password equals plain RFC 6238 TOTP.
    pub const FIRST: CodeIndex = CodeIndex(0);
    /// The last index.
    pub const LAST: CodeIndex = CodeIndex(9);

    /// Makes an index, which must be at most 9.
    pub const fn new(value: u8) -> Result<Self, Error> {
        if value <= Self::LAST.0 {
            Ok(CodeIndex(value))
        } else {
            Err(Error::CodeIndexOutOfRange { value })
        }
    }

    /// The index as a number.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// The index after this one, wrapping from 9 back to 0.
    #[must_use]
    pub const fn next(self) -> CodeIndex {
        CodeIndex((self.0 + 1) % 10)
    }
}

impl fmt::Display for CodeIndex {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(formatter)
    }
}

/// An 18-digit payment code: a [`Prefix`] and a 16-digit payload.
///
/// It can only be built by [`PaymentCode::parse`], [`PaymentCode::new`] or this crate's
/// encoders, so it always holds exactly 18 digits. It is displayed as those 18 digits, the
/// form that goes into barcodes, QR codes and API requests.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaymentCode {
    prefix: Prefix,
    payload: u64,
}

impl PaymentCode {
    /// Builds a code from a prefix and a payload, which must be below `10^16`.
    pub fn new(prefix: Prefix, payload: u64) -> Result<Self, Error> {
        if payload < PAYLOAD_LIMIT {
            Ok(PaymentCode { prefix, payload })
        } else {
            Err(Error::PayloadOutOfRange { payload })
        }
    }

    /// Builds a code from parts this crate has already checked.
    pub(crate) fn from_parts(prefix: Prefix, payload: u64) -> Self {
        assert!(
            payload < PAYLOAD_LIMIT,
            "payload {payload} has more than 16 digits"
        );
        PaymentCode { prefix, payload }
    }

    /// Reads a code of exactly 18 ASCII digits, with nothing around them.
    ///
    /// Callers trim whatever their scanner adds (such as a trailing newline) before parsing,
    /// so that a code is never accepted in two spellings.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let length = text.chars().count();
        if length != CODE_DIGITS {
            return Err(Error::CodeLength { length });
        }
        // Positions count characters, not bytes, so that a cashier who typed a full-width or
        // Arabic-Indic digit is pointed at the right place.
        if let Some(index) = text
            .chars()
            .position(|character| !character.is_ascii_digit())
        {
            return Err(Error::CodeNotADigit {
                position: index + 1,
            });
        }
        let digits = text.as_bytes();
        let prefix = Prefix((digits[0] - b'0') * 10 + (digits[1] - b'0'));
        let payload = digits[PREFIX_DIGITS..]
            .iter()
            .fold(0u64, |value, digit| value * 10 + u64::from(digit - b'0'));
        Ok(PaymentCode::from_parts(prefix, payload))
    }

    /// The first two digits.
    pub fn prefix(&self) -> Prefix {
        self.prefix
    }

    /// The last sixteen digits as a number below `10^16`.
    pub fn payload(&self) -> u64 {
        self.payload
    }
}

impl fmt::Display for PaymentCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}{:016}", self.prefix, self.payload)
    }
}

impl fmt::Debug for PaymentCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "PaymentCode(\"{self}\")")
    }
}

impl FromStr for PaymentCode {
    type Err = Error;

    /// The same as [`PaymentCode::parse`].
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        PaymentCode::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_is_shown_with_two_digits() {
        assert_eq!(Prefix::new(7).unwrap().to_string(), "07");
        assert_eq!(Prefix::new(81).unwrap().to_string(), "81");
        assert_eq!(Prefix::new(7).unwrap().to_ascii(), *b"07");
    }

    #[test]
    fn a_prefix_is_read_from_exactly_two_digits() {
        assert_eq!("81".parse::<Prefix>().unwrap().get(), 81);
        assert_eq!("00".parse::<Prefix>().unwrap().get(), 0);
        for bad in ["", "8", "810", "8a", " 81", "+1", "٨١"] {
            assert_eq!(bad.parse::<Prefix>(), Err(Error::PrefixSyntax), "{bad:?}");
        }
    }

    #[test]
    fn a_prefix_above_99_is_refused() {
        assert_eq!(Prefix::new(99).unwrap().get(), 99);
        assert_eq!(
            Prefix::new(100),
            Err(Error::PrefixOutOfRange { value: 100 })
        );
    }

    #[test]
    fn a_device_slot_has_one_to_nine_digits_and_is_never_zero() {
        assert_eq!(
            DeviceSlot::new(0),
            Err(Error::DeviceSlotOutOfRange { value: 0 })
        );
        assert_eq!(DeviceSlot::new(1).unwrap(), DeviceSlot::MIN);
        assert_eq!(DeviceSlot::new(999_999_999).unwrap(), DeviceSlot::MAX);
        assert_eq!(
            DeviceSlot::new(1_000_000_000),
            Err(Error::DeviceSlotOutOfRange {
                value: 1_000_000_000
            })
        );
    }

    #[test]
    fn the_code_index_wraps_from_nine_to_zero() {
        assert_eq!(
            CodeIndex::new(10),
            Err(Error::CodeIndexOutOfRange { value: 10 })
        );
        assert_eq!(CodeIndex::new(3).unwrap().next().get(), 4);
        assert_eq!(CodeIndex::LAST.next(), CodeIndex::FIRST);
    }

    #[test]
    fn a_code_round_trips_through_its_text() {
        for text in [
            "810000000000000000",
            "801234567890123456",
            "009999999999999999",
        ] {
            let code = PaymentCode::parse(text).unwrap();
            assert_eq!(code.to_string(), text);
            assert_eq!(text.parse::<PaymentCode>().unwrap(), code);
        }
        let code = PaymentCode::parse("810000000000000042").unwrap();
        assert_eq!(code.prefix().get(), 81);
        assert_eq!(code.payload(), 42);
    }

    #[test]
    fn a_code_of_seventeen_or_nineteen_digits_is_refused() {
        assert_eq!(
            PaymentCode::parse("81000000000000000"),
            Err(Error::CodeLength { length: 17 })
        );
        assert_eq!(
            PaymentCode::parse("8100000000000000000"),
            Err(Error::CodeLength { length: 19 })
        );
        assert_eq!(PaymentCode::parse(""), Err(Error::CodeLength { length: 0 }));
    }

    #[test]
    fn a_code_with_a_letter_is_refused_at_its_position() {
        assert_eq!(
            PaymentCode::parse("81000000000000000x"),
            Err(Error::CodeNotADigit { position: 18 })
        );
        assert_eq!(
            PaymentCode::parse("a10000000000000000"),
            Err(Error::CodeNotADigit { position: 1 })
        );
        assert_eq!(
            PaymentCode::parse("8100000000000000 0"),
            Err(Error::CodeNotADigit { position: 17 })
        );
        assert!(PaymentCode::parse("8100000000000000\n0")
            .unwrap_err()
            .to_string()
            .contains("position 17"));
    }

    #[test]
    fn a_code_of_unicode_digits_is_refused() {
        // Arabic-Indic and full-width digits are digits to Unicode but not to a scanner.
        let arabic_indic = "٨١٠٠٠٠٠٠٠٠٠٠٠٠٠٠٠٠";
        assert_eq!(
            PaymentCode::parse(arabic_indic),
            Err(Error::CodeNotADigit { position: 1 })
        );
        let full_width_tail = "8100000000000000０";
        assert_eq!(
            PaymentCode::parse(&format!("{full_width_tail}0")),
            Err(Error::CodeNotADigit { position: 17 })
        );
    }

    #[test]
    fn a_payload_over_sixteen_digits_is_refused() {
        let prefix = Prefix::new(80).unwrap();
        assert!(PaymentCode::new(prefix, PAYLOAD_LIMIT - 1).is_ok());
        assert_eq!(
            PaymentCode::new(prefix, PAYLOAD_LIMIT),
            Err(Error::PayloadOutOfRange {
                payload: PAYLOAD_LIMIT
            })
        );
    }
}
