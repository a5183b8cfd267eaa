//! Conversions between the domain's values and PostgreSQL's: how the shared row shapes
//! ([`crate::rows`]) are read from PostgreSQL's rows (stored names of enums, unsigned numbers
//! that PostgreSQL holds as `BIGINT`), counts and sums, and the array parameters of statements
//! over many rows.

use postgres::types::FromSqlOwned;
use postgres::Row;

use super::error::{Error, Result};
use crate::rows::{Column, StoredRow};

impl StoredRow for Row {
    type Error = Error;

    fn corrupt(&self, _column: &'static str, what: &'static str) -> Error {
        Error::Corrupt(what)
    }
}

/// PostgreSQL has no unsigned types, and the driver reads a `u32` only from an `oid`: the
/// records' `u32`s are read through [`Columns::unsigned`](crate::rows::Columns::unsigned),
/// never as a column of their own.
impl<T: FromSqlOwned> Column<T> for Row {
    fn column(&self, column: &'static str) -> Result<T> {
        Ok(self.try_get(column)?)
    }
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
