//! Small named values: sealed code keys, the admin key hash.

use super::error::Result;
use super::pool::Connection;

pub(super) fn get(connection: &mut Connection, name: &str) -> Result<Option<Vec<u8>>> {
    let row = connection.query_opt("SELECT value FROM settings WHERE name = $1", &[&name])?;
    Ok(row.map(|row| row.try_get(0)).transpose()?)
}

/// Inserts a setting unless the name exists; false when it does. A concurrent insert of the
/// same name makes this wait until that transaction ends, then insert nothing if it committed.
pub(super) fn insert(connection: &mut Connection, name: &str, value: &[u8]) -> Result<bool> {
    let inserted = connection.execute(
        "INSERT INTO settings (name, value) VALUES ($1, $2)
         ON CONFLICT (name) DO NOTHING",
        &[&name, &value],
    )?;
    Ok(inserted == 1)
}

pub(super) fn put(connection: &mut Connection, name: &str, value: &[u8]) -> Result<()> {
    connection.execute(
        "INSERT INTO settings (name, value) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        &[&name, &value],
    )?;
    Ok(())
}
