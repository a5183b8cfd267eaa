//! Conversions between the domain's values and SQLite's: stored names of enums, steps and
//! limits that SQLite holds as `i64`.

use paycode_core::model::{DeviceStatus, EventKind, TradeStatus};
use paycode_otp::Algorithm;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};

use super::error::Error;

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
