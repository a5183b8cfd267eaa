//! Device slots, devices and the audit trail of failed verifications.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{DeviceId, MerchantId, UserId};
use paycode_core::model::{DeviceRecord, SealedSecret};
use postgres::Row;

use super::error::{Error, Result};
use super::pool::Connection;
use super::rows::{name, unsigned};

const DEVICE_COLUMNS: &str = "id, user_id, name, algorithm, period_seconds, secret_key_id, \
     secret_nonce, secret_ciphertext, status, failed_attempts, locked_until, drift_steps, \
     created_at, last_used_at";

/// Takes the sequence's next slot, skipping any that a device stored with an explicit id
/// already holds. `nextval` never hands a number out twice, to any session, even when the
/// transaction that took it rolls back; the sequence's `MAXVALUE` is the last slot that fits
/// in an offline code, and taking a slot past it fails.
pub(super) fn allocate_slot(connection: &mut Connection) -> Result<DeviceId> {
    loop {
        let row = connection.query_one(
            "SELECT slot, EXISTS (SELECT 1 FROM devices WHERE id = slot)
             FROM nextval('device_slots') AS slot",
            &[],
        )?;
        let (slot, taken): (i64, bool) = (row.try_get(0)?, row.try_get(1)?);
        if !taken {
            return Ok(DeviceId(slot));
        }
    }
}

pub(super) fn insert_device(connection: &mut Connection, device: &DeviceRecord) -> Result<()> {
    connection.execute(
        "INSERT INTO devices (id, user_id, name, algorithm, period_seconds, secret_key_id,
             secret_nonce, secret_ciphertext, status, failed_attempts, locked_until,
             drift_steps, created_at, last_used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        &[
            &device.id.0,
            &device.user_id.0,
            &device.name,
            &device.algorithm.name(),
            &i64::from(device.period_seconds),
            &i64::from(device.secret.key_id),
            &device.secret.nonce,
            &device.secret.ciphertext,
            &device.status.as_str(),
            &i64::from(device.failed_attempts),
            &device.locked_until,
            &device.drift_steps,
            &device.created_at,
            &device.last_used_at,
        ],
    )?;
    Ok(())
}

/// Writes every field but the id, the owner and the creation time. The contract lists the
/// fields that change (name, secret, status, failures, lock, drift, last use); the algorithm
/// and period are written too, so that a rotation that changes them cannot be silently lost.
pub(super) fn update_device(connection: &mut Connection, device: &DeviceRecord) -> Result<()> {
    let changed = connection.execute(
        "UPDATE devices SET name = $2, algorithm = $3, period_seconds = $4,
             secret_key_id = $5, secret_nonce = $6, secret_ciphertext = $7, status = $8,
             failed_attempts = $9, locked_until = $10, drift_steps = $11, last_used_at = $12
         WHERE id = $1",
        &[
            &device.id.0,
            &device.name,
            &device.algorithm.name(),
            &i64::from(device.period_seconds),
            &i64::from(device.secret.key_id),
            &device.secret.nonce,
            &device.secret.ciphertext,
            &device.status.as_str(),
            &i64::from(device.failed_attempts),
            &device.locked_until,
            &device.drift_steps,
            &device.last_used_at,
        ],
    )?;
    if changed == 1 {
        Ok(())
    } else {
        Err(Error::Missing("device"))
    }
}

pub(super) fn device(connection: &mut Connection, id: DeviceId) -> Result<Option<DeviceRecord>> {
    let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = $1");
    let row = connection.query_opt(&sql, &[&id.0])?;
    row.as_ref().map(device_from_row).transpose()
}

/// Reads a device with `FOR UPDATE`, so that failures, lockouts and drift are counted by one
/// verification at a time, across every server instance.
pub(super) fn lock_device(
    connection: &mut Connection,
    id: DeviceId,
) -> Result<Option<DeviceRecord>> {
    let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = $1 FOR UPDATE");
    let row = connection.query_opt(&sql, &[&id.0])?;
    row.as_ref().map(device_from_row).transpose()
}

pub(super) fn devices_of_user(
    connection: &mut Connection,
    user: UserId,
) -> Result<Vec<DeviceRecord>> {
    let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = $1 ORDER BY id");
    let rows = connection.query(&sql, &[&user.0])?;
    rows.iter().map(device_from_row).collect()
}

/// Devices with an id greater than `after`, in id order.
pub(super) fn devices_page(
    connection: &mut Connection,
    after: Option<DeviceId>,
    limit: u32,
) -> Result<Vec<DeviceRecord>> {
    let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id > $1 ORDER BY id LIMIT $2");
    let after = after.map_or(0, |id| id.0);
    let rows = connection.query(&sql, &[&after, &i64::from(limit)])?;
    rows.iter().map(device_from_row).collect()
}

fn device_from_row(row: &Row) -> Result<DeviceRecord> {
    Ok(DeviceRecord {
        id: DeviceId(row.try_get("id")?),
        user_id: UserId(row.try_get("user_id")?),
        name: row.try_get("name")?,
        algorithm: name(row, "algorithm")?,
        period_seconds: unsigned(row, "period_seconds")?,
        secret: SealedSecret {
            key_id: unsigned(row, "secret_key_id")?,
            nonce: row.try_get("secret_nonce")?,
            ciphertext: row.try_get("secret_ciphertext")?,
        },
        status: name(row, "status")?,
        failed_attempts: unsigned(row, "failed_attempts")?,
        locked_until: row.try_get("locked_until")?,
        drift_steps: row.try_get("drift_steps")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

pub(super) fn insert_verification_failure(
    connection: &mut Connection,
    device: Option<DeviceId>,
    merchant: MerchantId,
    reason: &str,
    at: UnixMillis,
) -> Result<()> {
    connection.execute(
        "INSERT INTO verification_failures (device_id, merchant_id, reason, at)
         VALUES ($1, $2, $3, $4)",
        &[&device.map(|id| id.0), &merchant.0, &reason, &at],
    )?;
    Ok(())
}
