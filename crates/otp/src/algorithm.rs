//! The parameters every one-time password shares: the HMAC hash and the number of digits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The hash function under HMAC (RFC 6238 section 1.2).
///
/// Written and read as `SHA1`, `SHA256` and `SHA512`, the names key URIs use; reading ignores
/// case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE", try_from = "String")]
pub enum Algorithm {
    /// HMAC-SHA-1, the default of RFC 4226 and of every authenticator app.
    #[default]
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl Algorithm {
    /// Every algorithm, in order of digest size.
    pub const ALL: [Algorithm; 3] = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512];

    /// The name used in key URIs and configuration: `SHA1`, `SHA256` or `SHA512`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL
            .into_iter()
            .find(|algorithm| algorithm.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::UnknownAlgorithm {
                name: name.to_owned(),
            })
    }
}

impl TryFrom<String> for Algorithm {
    type Error = Error;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        name.parse()
    }
}

/// The number of decimal digits in a code: 6, 7 or 8 (RFC 4226 section 5.3).
///
/// Built only by [`Digits::new`] or the constants, so it never holds another value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Digits(u8);

impl Digits {
    /// Six digits, the default.
    pub const SIX: Digits = Digits(6);
    /// Seven digits.
    pub const SEVEN: Digits = Digits(7);
    /// Eight digits, as in the RFC 6238 test vectors.
    pub const EIGHT: Digits = Digits(8);

    /// Accepts 6, 7 or 8.
    pub fn new(digits: u8) -> Result<Digits, Error> {
        match digits {
            6..=8 => Ok(Digits(digits)),
            _ => Err(Error::InvalidDigits {
                digits: u64::from(digits),
            }),
        }
    }

    /// The number of digits.
    pub fn get(self) -> u8 {
        self.0
    }

    /// `10^digits`, the modulus of the last step of RFC 4226 truncation.
    pub fn modulus(self) -> u32 {
        10u32.pow(u32::from(self.0))
    }
}

impl Default for Digits {
    fn default() -> Self {
        Digits::SIX
    }
}

impl fmt::Display for Digits {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.0)
    }
}

impl TryFrom<u8> for Digits {
    type Error = Error;

    fn try_from(digits: u8) -> Result<Self, Self::Error> {
        Digits::new(digits)
    }
}

impl TryFrom<u64> for Digits {
    type Error = Error;

    fn try_from(digits: u64) -> Result<Self, Self::Error> {
        u8::try_from(digits)
            .map_err(|_| Error::InvalidDigits { digits })
            .and_then(Digits::new)
    }
}

impl From<Digits> for u8 {
    fn from(digits: Digits) -> u8 {
        digits.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_parse_in_any_case() {
        assert_eq!("SHA1".parse::<Algorithm>(), Ok(Algorithm::Sha1));
        assert_eq!("sha256".parse::<Algorithm>(), Ok(Algorithm::Sha256));
        assert_eq!("Sha512".parse::<Algorithm>(), Ok(Algorithm::Sha512));
    }

    #[test]
    fn an_unknown_algorithm_name_is_an_error_that_names_it() {
        let error = "MD5".parse::<Algorithm>().unwrap_err();
        assert_eq!(
            error,
            Error::UnknownAlgorithm {
                name: "MD5".to_owned()
            }
        );
        assert!(error.to_string().contains("MD5"));
        assert!("SHA-1".parse::<Algorithm>().is_err());
        assert!("".parse::<Algorithm>().is_err());
    }

    #[test]
    fn algorithms_display_as_key_uri_names_and_the_default_is_sha1() {
        assert_eq!(Algorithm::Sha1.to_string(), "SHA1");
        assert_eq!(Algorithm::Sha256.to_string(), "SHA256");
        assert_eq!(Algorithm::Sha512.to_string(), "SHA512");
        assert_eq!(Algorithm::default(), Algorithm::Sha1);
    }

    #[test]
    fn algorithms_serialize_as_upper_case_names_and_deserialize_in_any_case() {
        assert_eq!(
            serde_json::to_string(&Algorithm::Sha256).unwrap(),
            "\"SHA256\""
        );
        assert_eq!(
            serde_json::from_str::<Algorithm>("\"sha512\"").unwrap(),
            Algorithm::Sha512
        );
        assert!(serde_json::from_str::<Algorithm>("\"SHA3\"").is_err());
    }

    #[test]
    fn only_six_seven_and_eight_digits_are_accepted() {
        for digits in 0..=u8::MAX {
            let accepted = Digits::new(digits).is_ok();
            assert_eq!(accepted, (6..=8).contains(&digits), "digits = {digits}");
        }
        assert_eq!(Digits::new(9), Err(Error::InvalidDigits { digits: 9 }));
        assert_eq!(
            Digits::try_from(300u64),
            Err(Error::InvalidDigits { digits: 300 })
        );
    }

    #[test]
    fn digits_know_their_modulus() {
        assert_eq!(Digits::SIX.modulus(), 1_000_000);
        assert_eq!(Digits::SEVEN.modulus(), 10_000_000);
        assert_eq!(Digits::EIGHT.modulus(), 100_000_000);
        assert_eq!(Digits::default(), Digits::SIX);
        assert_eq!(Digits::EIGHT.get(), 8);
    }

    #[test]
    fn digits_deserialize_only_when_valid() {
        assert_eq!(serde_json::from_str::<Digits>("7").unwrap(), Digits::SEVEN);
        assert!(serde_json::from_str::<Digits>("5").is_err());
        assert_eq!(serde_json::to_string(&Digits::EIGHT).unwrap(), "8");
    }
}
