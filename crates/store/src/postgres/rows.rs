//! Conversions between the domain's values and PostgreSQL's: stored names of enums, unsigned
//! numbers that PostgreSQL holds as `BIGINT`, sums it returns as text, and the array
//! parameters of statements over many rows.

use paycode_core::model::{DeviceStatus, EventKind, TradeStatus};
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

impl StoredName for EventKind {
    const WHAT: &'static str = "event type";
    fn from_name(name: &str) -> Option<Self> {
        EventKind::parse(name)
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

/// One field of every item: an array parameter of a statement over many rows, which the
/// statement turns back into rows with `unnest`.
pub(super) fn column<'a, T, U>(items: &'a [T], field: impl FnMut(&'a T) -> U) -> Vec<U> {
    items.iter().map(field).collect()
}
