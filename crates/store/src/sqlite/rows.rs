//! Conversions between the domain's values and SQLite's: stored names of enums, steps and
//! limits that SQLite holds as `i64`.

use paycode_core::model::{DeviceStatus, TradeStatus};
use paycode_otp::Algorithm;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};

use crate::error::{Error, Result};

/// A value stored by its name, read back with `row.get::<_, Stored<T>>(column)?.0`.
pub(super) struct Stored<T>(pub(super) T);

/// A domain enum that is stored as its name.
pub(super) trait StoredName: Sized {
    /// What the value is, for the error when a stored name is unknown.
    const WHAT: &'static str;
    /// Parses a stored name.
    fn from_name(name: &str) -> Option<Self>;
}

impl<T: StoredName> FromSql for Stored<T> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let name = value.as_str()?;
        T::from_name(name)
            .map(Stored)
            .ok_or_else(|| FromSqlError::Other(Box::new(Error::Corrupt(T::WHAT))))
    }
}

impl StoredName for DeviceStatus {
    const WHAT: &'static str = "device status";
    fn from_name(name: &str) -> Option<Self> {
        DeviceStatus::parse(name)
    }
}

impl StoredName for TradeStatus {
    const WHAT: &'static str = "trade status";
    fn from_name(name: &str) -> Option<Self> {
        TradeStatus::parse(name)
    }
}

impl StoredName for Algorithm {
    const WHAT: &'static str = "device algorithm";
    fn from_name(name: &str) -> Option<Self> {
        name.parse().ok()
    }
}

/// A time step as SQLite stores it. Real steps are far below `i64::MAX` (even a one-second
/// period reaches 2^56 only in two billion years), so a larger one is refused, not wrapped.
pub(super) fn step_to_sql(step: u64) -> Result<i64> {
    i64::try_from(step).map_err(|_| Error::OutOfRange("time step"))
}

/// A row limit as SQLite takes it; a limit past `i64::MAX` means no limit, which `i64::MAX` is.
pub(super) fn limit_to_sql(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_past_i64_is_refused() {
        assert_eq!(step_to_sql(1 << 56).ok(), Some(1 << 56));
        assert!(matches!(
            step_to_sql(u64::MAX),
            Err(Error::OutOfRange("time step"))
        ));
    }

    #[test]
    fn a_limit_past_i64_means_no_limit() {
        assert_eq!(limit_to_sql(usize::MAX), i64::MAX);
        assert_eq!(limit_to_sql(500), 500);
    }
}
