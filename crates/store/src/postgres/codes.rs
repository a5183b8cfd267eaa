//! Spent offline codes and online codes.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::DeviceId;
use paycode_core::limits::SPENT_CODE_WINDOW_STEPS;
use paycode_core::model::OnlineCodeRecord;
use paycode_core::store::SpentOfflineCode;

use super::error::{Error, Result};
use super::pool::Connection;
use super::rows::column;
use crate::rows::{online_code_from_row, ONLINE_CODE_COLUMNS};
use crate::schema::step_to_sql;

/// The spent codes of each device in its window of steps (at most [`SPENT_CODE_WINDOW_STEPS`]),
/// in one statement: the codes of all the devices from the earliest of their steps, filtered
/// here, so that the plan is one range of the primary key per device whatever the statistics
/// say (see `trades::lock_trades_by_out_trade_nos`).
pub(super) fn spent_offline_codes_in(
    connection: &mut Connection,
    windows: &[(DeviceId, std::ops::Range<u64>)],
) -> Result<Vec<SpentOfflineCode>> {
    let longest = i64::try_from(SPENT_CODE_WINDOW_STEPS).unwrap_or(i64::MAX);
    // A step beyond what the database can hold has nothing spent at or after it.
    let from: std::collections::HashMap<i64, (i64, i64)> = windows
        .iter()
        .filter_map(|(device, steps)| {
            let length = i64::try_from(steps.end.saturating_sub(steps.start)).unwrap_or(longest);
            Some((device.0, (step_to_sql(steps.start)?, length.min(longest))))
        })
        .collect();
    let Some(&earliest) = from.values().map(|(first, _)| first).min() else {
        return Ok(Vec::new());
    };
    let devices: Vec<i64> = from.keys().copied().collect();
    // One range from the earliest step of all; each device's own window is applied below.
    let rows = connection.query(
        "SELECT device_id, step, code_index FROM spent_offline_codes
         WHERE device_id = ANY($1) AND step >= $2",
        &[&devices, &earliest],
    )?;
    let mut spent = Vec::new();
    for row in &rows {
        let (device, step, index): (i64, i64, i16) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let in_window = |&(first, length): &(i64, i64)| step >= first && (step - first) < length;
        if from.get(&device).is_some_and(in_window) {
            spent.push(SpentOfflineCode {
                device: DeviceId(device),
                step: u64::try_from(step).map_err(|_| Error::OutOfRange("time step"))?,
                index: u8::try_from(index).map_err(|_| Error::OutOfRange("code index"))?,
            });
        }
    }
    Ok(spent)
}

/// Inserts (device, step, index) unless it is there already; the primary key makes "at most
/// once, ever" hold whatever the callers do. A concurrent spend of the same code waits on the
/// primary key's index until the first transaction ends, then inserts nothing if it committed
/// (and the code is spent) or inserts the row if it rolled back (and the code never was).
pub(super) fn spend_offline_code(
    connection: &mut Connection,
    device: DeviceId,
    step: u64,
    index: u8,
    at: UnixMillis,
) -> Result<bool> {
    let inserted = connection.execute(
        "INSERT INTO spent_offline_codes (device_id, step, code_index, spent_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (device_id, step, code_index) DO NOTHING",
        &[
            &device.0,
            &step_to_sql(step).ok_or(Error::OutOfRange("time step"))?,
            &i16::from(index),
            &at,
        ],
    )?;
    Ok(inserted == 1)
}

/// Spends every code in one statement, all at `at`; false when any of them was spent before
/// (or is given twice), and then the others are spent all the same, so the caller must roll
/// back. The codes are inserted in key order, so two batches that share codes wait for each
/// other instead of deadlocking.
pub(super) fn spend_offline_codes(
    connection: &mut Connection,
    codes: &[SpentOfflineCode],
    at: UnixMillis,
) -> Result<bool> {
    let mut ordered = codes
        .iter()
        .map(|code| {
            let step = step_to_sql(code.step).ok_or(Error::OutOfRange("time step"))?;
            Ok((code.device.0, step, i16::from(code.index)))
        })
        .collect::<Result<Vec<_>>>()?;
    ordered.sort_unstable();
    let devices = column(&ordered, |code| code.0);
    let steps = column(&ordered, |code| code.1);
    let indexes = column(&ordered, |code| code.2);
    let inserted = connection.execute(
        "INSERT INTO spent_offline_codes (device_id, step, code_index, spent_at)
         SELECT device_id, step, code_index, $4
         FROM unnest($1::bigint[], $2::bigint[], $3::smallint[])
             WITH ORDINALITY AS c (device_id, step, code_index, n)
         ORDER BY n
         ON CONFLICT (device_id, step, code_index) DO NOTHING",
        &[&devices, &steps, &indexes, &at],
    )?;
    Ok(usize::try_from(inserted).is_ok_and(|inserted| inserted == codes.len()))
}

/// Stores the code, or returns false when an equal hash exists. `ON CONFLICT DO NOTHING`
/// reports that without failing the statement, so the transaction stays usable (the wallet
/// then draws another code), as it does on SQLite.
pub(super) fn insert_online_code(
    connection: &mut Connection,
    code: &OnlineCodeRecord,
) -> Result<bool> {
    let inserted = connection.execute(
        "INSERT INTO online_codes (code_hash, user_id, device_id, created_at, expires_at,
             used_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (code_hash) DO NOTHING",
        &[
            &code.code_hash,
            &code.user_id.0,
            &code.device_id.map(|id| id.0),
            &code.created_at,
            &code.expires_at,
            &code.used_at,
        ],
    )?;
    Ok(inserted == 1)
}

/// Reads an online code with `FOR UPDATE`, so that one payment at a time decides about it.
pub(super) fn lock_online_code(
    connection: &mut Connection,
    code_hash: &[u8],
) -> Result<Option<OnlineCodeRecord>> {
    let sql =
        format!("SELECT {ONLINE_CODE_COLUMNS} FROM online_codes WHERE code_hash = $1 FOR UPDATE");
    let row = connection.query_opt(&sql, &[&code_hash])?;
    row.as_ref().map(online_code_from_row).transpose()
}

/// Marks the code used unless it was. A concurrent spend waits for the row lock, then sees
/// the committed `used_at` when PostgreSQL re-checks the condition, and changes nothing.
pub(super) fn spend_online_code(
    connection: &mut Connection,
    code_hash: &[u8],
    at: UnixMillis,
) -> Result<bool> {
    let changed = connection.execute(
        "UPDATE online_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL",
        &[&at, &code_hash],
    )?;
    Ok(changed == 1)
}

pub(super) fn expire_online_codes_of_device(
    connection: &mut Connection,
    device: DeviceId,
    at: UnixMillis,
) -> Result<u64> {
    connection.execute(
        "UPDATE online_codes SET expires_at = $1
         WHERE device_id = $2 AND used_at IS NULL AND expires_at > $1",
        &[&at, &device.0],
    )
}

pub(super) fn delete_expired_online_codes(
    connection: &mut Connection,
    before: UnixMillis,
) -> Result<u64> {
    connection.execute("DELETE FROM online_codes WHERE expires_at < $1", &[&before])
}
