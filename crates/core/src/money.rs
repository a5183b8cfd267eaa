//! Money as integers in minor units (fen, cents), never floats, with checked arithmetic only.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::ids::AccountId;
use crate::limits::MAX_AMOUNT_MINOR;

/// A positive amount of money in minor units, at most [`MAX_AMOUNT_MINOR`]: what a payment,
/// top-up or refund moves. Built only by [`Amount::new`], so holding one means it is valid.
///
/// There is deliberately no `impl Add`: every sum goes through [`Amount::checked_add`] and
/// friends, so an overflow is an error the caller must handle, never a wrapped number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Amount(i64);

impl Amount {
    /// Parses a count of minor units; zero, negative and oversized amounts are refused.
    pub fn new(minor: i64) -> Result<Self, Error> {
        if minor <= 0 {
            return Err(Error::InvalidAmount(format!(
                "amount must be positive, got {minor}"
            )));
        }
        if minor > MAX_AMOUNT_MINOR {
            return Err(Error::InvalidAmount(format!(
                "amount {minor} exceeds the maximum of {MAX_AMOUNT_MINOR} minor units"
            )));
        }
        Ok(Self(minor))
    }

    /// The amount in minor units.
    pub fn minor(self) -> i64 {
        self.0
    }

    /// `self + other`, or `None` past the maximum amount.
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0
            .checked_add(other.0)
            .and_then(|sum| Amount::new(sum).ok())
    }

    /// What is left of this amount once `refunded` of it was given back, or `None` when
    /// nothing is (all of it was refunded, or more, which no trade allows).
    pub fn remaining(self, refunded: Refunded) -> Option<Amount> {
        self.0
            .checked_sub(refunded.0)
            .and_then(|left| Amount::new(left).ok())
    }

    /// The postings that move this amount from one account to another: minus the amount on
    /// `from`, plus it on `to`. They sum to zero by construction, and negating a positive
    /// amount cannot overflow.
    pub fn transfer(self, from: AccountId, to: AccountId) -> [(AccountId, i64); 2] {
        [(from, -self.0), (to, self.0)]
    }
}

/// What was refunded of a trade so far, in minor units: zero up to [`MAX_AMOUNT_MINOR`]. Unlike
/// an [`Amount`] it may be zero, which is what every trade starts with. It grows only by
/// [`Refunded::checked_add`]; that it stays within the trade's amount is the refund's rule
/// ([`Amount::remaining`]), which the database holds too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Refunded(i64);

impl Refunded {
    /// Nothing refunded yet.
    pub const NOTHING: Refunded = Refunded(0);

    /// Parses a count of minor units; negative and oversized counts are refused.
    pub fn new(minor: i64) -> Result<Self, Error> {
        if !(0..=MAX_AMOUNT_MINOR).contains(&minor) {
            return Err(Error::InvalidAmount(format!(
                "a refunded amount is 0 to {MAX_AMOUNT_MINOR} minor units, got {minor}"
            )));
        }
        Ok(Self(minor))
    }

    /// The refunded amount in minor units.
    pub fn minor(self) -> i64 {
        self.0
    }

    /// `self + refund`, or `None` past the maximum amount.
    pub fn checked_add(self, refund: Amount) -> Option<Refunded> {
        self.0
            .checked_add(refund.0)
            .and_then(|sum| Refunded::new(sum).ok())
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let minor = i64::deserialize(deserializer)?;
        Amount::new(minor).map_err(serde::de::Error::custom)
    }
}

/// Adds a signed change to a balance, refusing overflow. Balances may be negative (the
/// issuance account is), so they are plain `i64`; amounts that move are [`Amount`]s.
pub fn apply_delta(balance: i64, delta: i64) -> Result<i64, Error> {
    balance
        .checked_add(delta)
        .ok_or_else(|| Error::InvalidAmount("balance would overflow".to_owned()))
}

/// An ISO 4217 currency code: three upper-case ASCII letters. One per deployment (SPEC 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Currency(String);

impl Currency {
    /// Parses a three-letter upper-case code such as `CNY`.
    pub fn new(code: &str) -> Result<Self, Error> {
        if code.len() == 3 && code.bytes().all(|byte| byte.is_ascii_uppercase()) {
            Ok(Self(code.to_owned()))
        } else {
            Err(Error::Config(format!(
                "currency must be three upper-case letters, got {code:?}"
            )))
        }
    }

    /// The code, for example `CNY`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::new(&code).map_err(serde::de::Error::custom)
    }
}

impl Default for Currency {
    fn default() -> Self {
        Self("CNY".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn zero_negative_and_oversized_amounts_are_refused() {
        for minor in [0, -1, i64::MIN, MAX_AMOUNT_MINOR + 1, i64::MAX] {
            assert!(Amount::new(minor).is_err(), "{minor} was accepted");
        }
        assert_eq!(
            Amount::new(MAX_AMOUNT_MINOR).map(Amount::minor).ok(),
            Some(MAX_AMOUNT_MINOR)
        );
    }

    #[test]
    fn a_sum_past_the_maximum_is_refused_not_wrapped() {
        let big = Amount::new(MAX_AMOUNT_MINOR).unwrap();
        assert_eq!(big.checked_add(Amount::new(1).unwrap()), None);
        assert!(apply_delta(i64::MAX, 1).is_err());
        assert!(apply_delta(i64::MIN, -1).is_err());
    }

    #[test]
    fn what_remains_of_an_amount_is_positive_or_nothing() {
        let paid = Amount::new(500).unwrap();
        let refunded = Refunded::NOTHING
            .checked_add(Amount::new(200).unwrap())
            .unwrap();
        assert_eq!(paid.remaining(Refunded::NOTHING), Some(paid));
        assert_eq!(paid.remaining(refunded).map(Amount::minor), Some(300));
        assert_eq!(paid.remaining(Refunded::new(500).unwrap()), None);
        assert_eq!(paid.remaining(Refunded::new(501).unwrap()), None);
    }

    #[test]
    fn a_refunded_amount_is_zero_to_the_maximum_and_grows_only_within_it() {
        for minor in [-1, i64::MIN, MAX_AMOUNT_MINOR + 1] {
            assert!(Refunded::new(minor).is_err(), "{minor} was accepted");
        }
        assert_eq!(Refunded::new(0).unwrap(), Refunded::NOTHING);
        let almost = Refunded::new(MAX_AMOUNT_MINOR - 1).unwrap();
        let one = Amount::new(1).unwrap();
        let full = almost.checked_add(one).unwrap();
        assert_eq!(full.minor(), MAX_AMOUNT_MINOR);
        assert_eq!(full.checked_add(one), None);
    }

    #[test]
    fn a_transfer_takes_the_amount_from_one_account_and_gives_it_to_the_other() {
        let postings = Amount::new(250)
            .unwrap()
            .transfer(AccountId(1), AccountId(2));
        assert_eq!(postings, [(AccountId(1), -250), (AccountId(2), 250)]);
    }

    #[test]
    fn amounts_deserialize_only_when_valid() {
        assert!(serde_json::from_str::<Amount>("-5").is_err());
        assert!(serde_json::from_str::<Amount>("1.5").is_err());
        assert!(serde_json::from_str::<Amount>("99999999999999999999").is_err());
        assert_eq!(
            serde_json::from_str::<Amount>("1250").unwrap().minor(),
            1250
        );
    }

    #[test]
    fn currencies_are_three_upper_case_letters() {
        assert!(Currency::new("CNY").is_ok());
        for bad in ["cny", "CN", "CNYY", "C1Y", ""] {
            assert!(Currency::new(bad).is_err(), "{bad:?} was accepted");
        }
    }

    proptest! {
        #[test]
        fn checked_addition_matches_exact_arithmetic(a in 1i64..=MAX_AMOUNT_MINOR, b in 1i64..=MAX_AMOUNT_MINOR) {
            let exact = i128::from(a) + i128::from(b);
            let sum = Amount::new(a).unwrap().checked_add(Amount::new(b).unwrap());
            prop_assert_eq!(sum.map(|s| i128::from(s.minor())), (exact <= i128::from(MAX_AMOUNT_MINOR)).then_some(exact));
        }
    }
}
