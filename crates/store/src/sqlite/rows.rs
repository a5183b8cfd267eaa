//! How the shared row shapes ([`crate::rows`]) are read from SQLite's rows: the driver converts
//! each column itself, ranges of integers included, and an enum's stored name through
//! [`Stored`].
//!
//! The shared builders are generic over the row, so a statement takes them in a closure
//! (`query_map(parameters, |row| device_from_row(row))`): a function item would fix the
//! lifetime of the driver's row, which `query_map` wants to choose for each row.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};
use rusqlite::Row;

use super::error::Error;
use crate::rows::{Column, StoredName, StoredRow};

/// A value stored by its name, as the driver reads it: `row.get::<_, Stored<T>>(column)?.0`.
struct Stored<T>(T);

impl<T: StoredName> FromSql for Stored<T> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let name = value.as_str()?;
        T::from_name(name)
            .map(Stored)
            .ok_or_else(|| FromSqlError::Other(Box::new(Error::Corrupt(T::WHAT))))
    }
}

impl StoredRow for Row<'_> {
    type Error = rusqlite::Error;

    fn unsigned(&self, column: &'static str) -> rusqlite::Result<u32> {
        self.get(column)
    }

    fn name<T: StoredName>(&self, column: &'static str) -> rusqlite::Result<T> {
        Ok(self.get::<_, Stored<T>>(column)?.0)
    }
}

impl<T: FromSql> Column<T> for Row<'_> {
    fn column(&self, column: &'static str) -> rusqlite::Result<T> {
        self.get(column)
    }
}
