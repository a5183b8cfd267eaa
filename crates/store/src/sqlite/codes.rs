//! Spent offline codes and online codes.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::DeviceId;
use paycode_core::limits::SPENT_CODE_WINDOW_STEPS;
use paycode_core::model::OnlineCodeRecord;
use paycode_core::store::SpentOfflineCode;
use rusqlite::{params, Connection, OptionalExtension};

use super::error::{Error, Result};
use crate::rows::{online_code_from_row, ONLINE_CODE_COLUMNS};
use crate::schema::step_to_sql;

/// Inserts (device, step, index) unless it is there already; the primary key makes "at most
/// once, ever" hold whatever the callers do.
pub(super) fn spend_offline_code(
    connection: &Connection,
    device: DeviceId,
    step: u64,
    index: u8,
    at: UnixMillis,
) -> Result<bool> {
    let inserted = connection
        .prepare_cached(
            "INSERT INTO spent_offline_codes (device_id, step, code_index, spent_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (step, device_id, code_index) DO NOTHING",
        )?
        .execute(params![
            device.0,
            step_to_sql(step).ok_or(Error::OutOfRange("time step"))?,
            index,
            at
        ])?;
    Ok(inserted == 1)
}

/// The spent codes of each device in its window of steps (at most [`SPENT_CODE_WINDOW_STEPS`]).
/// The primary key is in step order (codes a batch spends land on the table's last pages), so
/// the window is looked up one step at a time: one seek of the key per step, where a range of
/// steps would read every device's codes of those steps.
pub(super) fn spent_offline_codes_in(
    connection: &Connection,
    windows: &[(DeviceId, std::ops::Range<u64>)],
) -> Result<Vec<SpentOfflineCode>> {
    // CROSS JOIN keeps the steps as the outer loop, so each step is a seek of the key.
    let mut statement = connection.prepare_cached(
        "WITH RECURSIVE window_steps (step) AS (
             SELECT ?2 UNION ALL SELECT step + 1 FROM window_steps WHERE step + 1 < ?3
         )
         SELECT spent.step, spent.code_index
         FROM window_steps CROSS JOIN spent_offline_codes AS spent
         WHERE spent.step = window_steps.step AND spent.device_id = ?1",
    )?;
    let mut spent = Vec::new();
    for (device, steps) in windows {
        let device = *device;
        // A step beyond what the database can hold has nothing spent at or after it.
        let Some(first) = step_to_sql(steps.start) else {
            continue;
        };
        let window = i64::try_from(SPENT_CODE_WINDOW_STEPS).expect("the window is a few steps");
        let length = i64::try_from(steps.end.saturating_sub(steps.start)).unwrap_or(window);
        let end = first.saturating_add(length.min(window));
        let mut rows = statement.query(params![device.0, first, end])?;
        while let Some(row) = rows.next()? {
            let step: i64 = row.get(0)?;
            spent.push(SpentOfflineCode {
                device,
                step: u64::try_from(step).map_err(|_| Error::OutOfRange("time step"))?,
                index: row.get(1)?,
            });
        }
    }
    Ok(spent)
}

pub(super) fn insert_online_code(connection: &Connection, code: &OnlineCodeRecord) -> Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO online_codes (code_hash, user_id, device_id, created_at, expires_at,
                 used_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            code.code_hash,
            code.user_id.0,
            code.device_id.map(|id| id.0),
            code.created_at,
            code.expires_at,
            code.used_at,
        ])?;
    Ok(())
}

pub(super) fn online_code(
    connection: &Connection,
    code_hash: &[u8],
) -> Result<Option<OnlineCodeRecord>> {
    let sql = format!("SELECT {ONLINE_CODE_COLUMNS} FROM online_codes WHERE code_hash = ?1");
    let code = connection
        .prepare_cached(&sql)?
        .query_row([code_hash], |row| online_code_from_row(row))
        .optional()?;
    Ok(code)
}

pub(super) fn spend_online_code(
    connection: &Connection,
    code_hash: &[u8],
    at: UnixMillis,
) -> Result<bool> {
    let changed = connection
        .prepare_cached(
            "UPDATE online_codes SET used_at = ?1 WHERE code_hash = ?2 AND used_at IS NULL",
        )?
        .execute(params![at, code_hash])?;
    Ok(changed == 1)
}

pub(super) fn expire_online_codes_of_device(
    connection: &Connection,
    device: DeviceId,
    at: UnixMillis,
) -> Result<u64> {
    let changed = connection
        .prepare_cached(
            "UPDATE online_codes SET expires_at = ?1
             WHERE device_id = ?2 AND used_at IS NULL AND expires_at > ?1",
        )?
        .execute(params![at, device.0])?;
    Ok(u64::try_from(changed).unwrap_or(u64::MAX))
}

pub(super) fn delete_expired_online_codes(
    connection: &Connection,
    before: UnixMillis,
) -> Result<u64> {
    let deleted = connection
        .prepare_cached("DELETE FROM online_codes WHERE expires_at < ?1")?
        .execute([before])?;
    // A row count always fits: usize is at most 64 bits here.
    Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
}
