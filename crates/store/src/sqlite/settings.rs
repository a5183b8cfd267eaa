//! Small named values: sealed code keys, the admin key hash.

use rusqlite::{params, Connection, OptionalExtension};

use super::error::Result;

pub(super) fn get(connection: &Connection, name: &str) -> Result<Option<Vec<u8>>> {
    let value = connection
        .prepare_cached("SELECT value FROM settings WHERE name = ?1")?
        .query_row([name], |row| row.get(0))
        .optional()?;
    Ok(value)
}

/// Inserts a setting unless the name exists; false when it does.
pub(super) fn insert(connection: &Connection, name: &str, value: &[u8]) -> Result<bool> {
    let inserted = connection
        .prepare_cached(
            "INSERT INTO settings (name, value) VALUES (?1, ?2)
             ON CONFLICT (name) DO NOTHING",
        )?
        .execute(params![name, value])?;
    Ok(inserted == 1)
}

pub(super) fn put(connection: &Connection, name: &str, value: &[u8]) -> Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO settings (name, value) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )?
        .execute(params![name, value])?;
    Ok(())
}
