//! Conversions between the domain's values and PostgreSQL's: stored names of enums, unsigned
//! numbers that PostgreSQL holds as `BIGINT`, and sums it returns as text.

use paycode_core::model::{DeviceStatus, TradeStatus};
use paycode_otp::Algorithm;
use postgres::Row;

use super::error::{Error, Result};

/// A domain enum that is stored as its name.
pub(super) trait StoredName: Sized {
    /// What the value is, for the error when a stored name is unknown.
    const WHAT: &'static str;
    /// Parses a stored name.
    fn from_name(name: &str) -> Option<Self>;
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

/// Reads a column stored as a name.
pub(super) fn name<T: StoredName>(row: &Row, column: &str) -> Result<T> {
    let name: &str = row.try_get(column)?;
    T::from_name(name).ok_or(Error::Corrupt(T::WHAT))
}

/// Reads a `BIGINT` column that holds a `u32` (a count, a period, a key id).
pub(super) fn unsigned(row: &Row, column: &'static str) -> Result<u32> {
    let value: i64 = row.try_get(column)?;
    u32::try_from(value).map_err(|_| Error::Corrupt(column))
}

/// Reads a count, which PostgreSQL returns as a `BIGINT`.
pub(super) fn count(row: &Row, index: usize) -> Result<u64> {
    let value: i64 = row.try_get(index)?;
    u64::try_from(value).map_err(|_| Error::Corrupt("negative count"))
}

/// Reads a `NUMERIC` sum that the query cast to text; sums of `BIGINT`s can pass `i64`, and
/// the ledger check must still report a ledger that is broken that badly.
pub(super) fn wide_sum(row: &Row, index: usize) -> Result<i128> {
    let text: &str = row.try_get(index)?;
    text.parse().map_err(|_| Error::Corrupt("sum"))
}

/// A time step as PostgreSQL stores it. Real steps are far below `i64::MAX` (even a one-second
/// period reaches 2^56 only in two billion years), so a larger one is refused, not wrapped.
pub(super) fn step_to_sql(step: u64) -> Result<i64> {
    i64::try_from(step).map_err(|_| Error::OutOfRange("time step"))
}

/// A row limit as PostgreSQL takes it; a limit past `i64::MAX` means no limit, which
/// `i64::MAX` is.
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
