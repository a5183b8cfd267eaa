//! How the shared row shapes ([`crate::rows`]) are read from SQLite's rows: the driver converts
//! each column itself, and a value it reads that the program never writes is reported as the
//! driver reports a failed conversion, naming the column's index.
//!
//! The shared builders are generic over the row, so a statement takes them in a closure
//! (`query_map(parameters, |row| device_from_row(row))`): a function item would fix the
//! lifetime of the driver's row, which `query_map` wants to choose for each row.

use rusqlite::types::{FromSql, Type};
use rusqlite::Row;

use super::error::Error;
use crate::rows::{Column, StoredRow};

impl StoredRow for Row<'_> {
    type Error = rusqlite::Error;

    fn corrupt(&self, column: &'static str, what: &'static str) -> rusqlite::Error {
        let index = match self.as_ref().column_index(column) {
            Ok(index) => index,
            Err(error) => return error,
        };
        let stored = self
            .get_ref(index)
            .map_or(Type::Null, |value| value.data_type());
        rusqlite::Error::FromSqlConversionFailure(index, stored, Box::new(Error::Corrupt(what)))
    }
}

impl<T: FromSql> Column<T> for Row<'_> {
    fn column(&self, column: &'static str) -> rusqlite::Result<T> {
        self.get(column)
    }
}
