//! Failure counts: of each device at each merchant, and of each merchant per minute (SPEC 2.5
//! point 5); and the pruning of the audit trail of failed verifications.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{DeviceId, MerchantId};
use paycode_core::model::DeviceFailures;

use super::error::{Error, Result};
use super::pool::Connection;
use super::rows::column;
use crate::rows::{device_failures_from_row, Columns, DEVICE_FAILURES_COLUMNS};

/// The counts of every device in `devices`, in one statement. The caller holds the devices
/// locked, which guards their counts, so the rows are read without a lock of their own.
pub(super) fn failures_of_devices(
    connection: &mut Connection,
    devices: &[DeviceId],
) -> Result<Vec<DeviceFailures>> {
    let ids = column(devices, |id| id.0);
    let sql = format!(
        "SELECT {DEVICE_FAILURES_COLUMNS} FROM device_failures WHERE device_id = ANY($1)
         ORDER BY device_id, merchant_id"
    );
    let rows = connection.query(&sql, &[&ids])?;
    rows.iter().map(device_failures_from_row).collect()
}

/// Stores every count in one statement, replacing the ones the devices had at those
/// merchants.
pub(super) fn put_devices_failures(
    connection: &mut Connection,
    failures: &[DeviceFailures],
) -> Result<()> {
    let devices = column(failures, |count| count.device_id.0);
    let merchants = column(failures, |count| count.merchant_id.0);
    let counts = column(failures, |count| i64::from(count.failures));
    let since = column(failures, |count| count.since);
    let locked = column(failures, |count| count.locked_until);
    connection.execute(
        "INSERT INTO device_failures (device_id, merchant_id, failures, since, locked_until)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[],
             $5::bigint[])
         ON CONFLICT (device_id, merchant_id) DO UPDATE SET failures = excluded.failures,
             since = excluded.since, locked_until = excluded.locked_until",
        &[&devices, &merchants, &counts, &since, &locked],
    )?;
    Ok(())
}

pub(super) fn clear_device_failures(connection: &mut Connection, device: DeviceId) -> Result<u64> {
    connection.execute(
        "DELETE FROM device_failures WHERE device_id = $1",
        &[&device.0],
    )
}

/// Locks each merchant's count of `minute`, creating it at zero where there is none yet (a
/// row that does not exist cannot be locked), in ascending merchant order, in one statement,
/// and returns the counts. The no-op update is what takes the lock on a row that exists; it
/// waits for a transaction that holds the row, then reads what that one committed.
pub(super) fn lock_merchants_failures(
    connection: &mut Connection,
    merchants: &[MerchantId],
    minute: i64,
) -> Result<Vec<(MerchantId, u32)>> {
    let mut ids = column(merchants, |id| id.0);
    ids.sort_unstable();
    ids.dedup();
    let rows = connection.query(
        "INSERT INTO merchant_failure_minutes (merchant_id, minute, failures)
         SELECT m, $2, 0 FROM unnest($1::bigint[]) AS m ORDER BY m
         ON CONFLICT (merchant_id, minute)
         DO UPDATE SET failures = merchant_failure_minutes.failures
         RETURNING merchant_id, failures",
        &[&ids, &minute],
    )?;
    rows.iter()
        .map(|row| Ok((MerchantId(row.try_get(0)?), row.unsigned("failures")?)))
        .collect()
}

/// Adds each merchant's failures to its count of `minute`, in one statement.
pub(super) fn add_merchants_failures(
    connection: &mut Connection,
    counts: &[(MerchantId, u32)],
    minute: i64,
) -> Result<()> {
    let merchants = column(counts, |(merchant, _)| merchant.0);
    let added = column(counts, |(_, failures)| i64::from(*failures));
    connection.execute(
        "INSERT INTO merchant_failure_minutes (merchant_id, minute, failures)
         SELECT m, $3, f FROM unnest($1::bigint[], $2::bigint[]) AS a (m, f) ORDER BY m
         ON CONFLICT (merchant_id, minute)
         DO UPDATE SET failures = merchant_failure_minutes.failures + excluded.failures",
        &[&merchants, &added, &minute],
    )?;
    Ok(())
}

pub(super) fn delete_verification_failures_before(
    connection: &mut Connection,
    before: UnixMillis,
    limit: u32,
) -> Result<u64> {
    connection.execute(
        "DELETE FROM verification_failures WHERE id IN (
             SELECT id FROM verification_failures WHERE at < $1 ORDER BY at LIMIT $2)",
        &[&before, &i64::from(limit)],
    )
}

pub(super) fn delete_merchant_failures_before(
    connection: &mut Connection,
    minute: i64,
) -> Result<u64> {
    connection.execute(
        "DELETE FROM merchant_failure_minutes WHERE minute < $1",
        &[&minute],
    )
}

/// The one count a single payment needs, through the bulk statement.
pub(super) fn lock_merchant_failures(
    connection: &mut Connection,
    merchant: MerchantId,
    minute: i64,
) -> Result<u32> {
    lock_merchants_failures(connection, &[merchant], minute)?
        .first()
        .map(|&(_, failures)| failures)
        .ok_or(Error::Missing("merchant failure count"))
}
