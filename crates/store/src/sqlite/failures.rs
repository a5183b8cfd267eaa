//! Failure counts: of each device at each merchant, and of each merchant per minute (SPEC 2.5
//! point 5); and the pruning of the audit trail of failed verifications.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{DeviceId, MerchantId};
use paycode_core::model::DeviceFailures;
use rusqlite::{params, Connection, OptionalExtension};

use super::error::Result;
use crate::rows::{device_failures_from_row, DEVICE_FAILURES_COLUMNS};

pub(super) fn failures_of_device(
    connection: &Connection,
    device: DeviceId,
) -> Result<Vec<DeviceFailures>> {
    let sql = format!(
        "SELECT {DEVICE_FAILURES_COLUMNS} FROM device_failures
         WHERE device_id = ?1 ORDER BY merchant_id"
    );
    let failures = connection
        .prepare_cached(&sql)?
        .query_map([device.0], |row| device_failures_from_row(row))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(failures)
}

pub(super) fn put_device_failures(
    connection: &Connection,
    failures: &DeviceFailures,
) -> Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO device_failures (device_id, merchant_id, failures, since, locked_until)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (device_id, merchant_id) DO UPDATE SET failures = excluded.failures,
                 since = excluded.since, locked_until = excluded.locked_until",
        )?
        .execute(params![
            failures.device_id.0,
            failures.merchant_id.0,
            failures.failures,
            failures.since,
            failures.locked_until,
        ])?;
    Ok(())
}

pub(super) fn clear_device_failures(connection: &Connection, device: DeviceId) -> Result<u64> {
    let deleted = connection
        .prepare_cached("DELETE FROM device_failures WHERE device_id = ?1")?
        .execute([device.0])?;
    Ok(deleted as u64)
}

/// A plain read: the store's transactions exclude one another, so nothing can change the count
/// before this transaction ends.
pub(super) fn merchant_failures(
    connection: &Connection,
    merchant: MerchantId,
    minute: i64,
) -> Result<u32> {
    let failures = connection
        .prepare_cached(
            "SELECT failures FROM merchant_failure_minutes WHERE merchant_id = ?1 AND minute = ?2",
        )?
        .query_row(params![merchant.0, minute], |row| row.get(0))
        .optional()?;
    Ok(failures.unwrap_or(0))
}

pub(super) fn add_merchant_failures(
    connection: &Connection,
    merchant: MerchantId,
    minute: i64,
    failures: u32,
) -> Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO merchant_failure_minutes (merchant_id, minute, failures)
             VALUES (?1, ?2, ?3)
             ON CONFLICT (merchant_id, minute)
             DO UPDATE SET failures = failures + excluded.failures",
        )?
        .execute(params![merchant.0, minute, failures])?;
    Ok(())
}

pub(super) fn delete_verification_failures_before(
    connection: &Connection,
    before: UnixMillis,
    limit: u32,
) -> Result<u64> {
    let deleted = connection
        .prepare_cached(
            "DELETE FROM verification_failures WHERE id IN (
                 SELECT id FROM verification_failures WHERE at < ?1 ORDER BY at LIMIT ?2)",
        )?
        .execute(params![before, limit])?;
    Ok(deleted as u64)
}

pub(super) fn delete_merchant_failures_before(connection: &Connection, minute: i64) -> Result<u64> {
    let deleted = connection
        .prepare_cached("DELETE FROM merchant_failure_minutes WHERE minute < ?1")?
        .execute([minute])?;
    Ok(deleted as u64)
}
