//! Devices and the audit trail of failed verifications.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{DeviceId, MerchantId, UserId};
use paycode_core::model::DeviceRecord;
use rusqlite::{params, Connection, OptionalExtension};

use super::error::{Error, Result};
use crate::rows::{device_from_row, DEVICE_COLUMNS};

pub(super) fn insert_device(connection: &Connection, device: &DeviceRecord) -> Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO devices (id, user_id, name, algorithm, period_seconds, secret_key_id,
                 secret_nonce, secret_ciphertext, status, failed_attempts, locked_until,
                 drift_steps, created_at, last_used_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?
        .execute(params![
            device.id.0,
            device.user_id.0,
            device.name,
            device.algorithm.name(),
            device.period_seconds,
            device.secret.key_id,
            device.secret.nonce,
            device.secret.ciphertext,
            device.status.as_str(),
            device.failed_attempts,
            device.locked_until,
            device.drift_steps,
            device.created_at,
            device.last_used_at,
        ])?;
    Ok(())
}

/// Writes every field but the id, the owner and the creation time. The contract lists the
/// fields that change (name, secret, status, failures, lock, drift, last use); the algorithm
/// and period are written too, so that a rotation that changes them cannot be silently lost.
pub(super) fn update_device(connection: &Connection, device: &DeviceRecord) -> Result<()> {
    let changed = connection
        .prepare_cached(
            "UPDATE devices SET name = ?2, algorithm = ?3, period_seconds = ?4,
                 secret_key_id = ?5, secret_nonce = ?6, secret_ciphertext = ?7, status = ?8,
                 failed_attempts = ?9, locked_until = ?10, drift_steps = ?11, last_used_at = ?12
             WHERE id = ?1",
        )?
        .execute(params![
            device.id.0,
            device.name,
            device.algorithm.name(),
            device.period_seconds,
            device.secret.key_id,
            device.secret.nonce,
            device.secret.ciphertext,
            device.status.as_str(),
            device.failed_attempts,
            device.locked_until,
            device.drift_steps,
            device.last_used_at,
        ])?;
    if changed == 1 {
        Ok(())
    } else {
        Err(Error::Missing("device"))
    }
}

pub(super) fn device(connection: &Connection, id: DeviceId) -> Result<Option<DeviceRecord>> {
    let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1");
    let device = connection
        .prepare_cached(&sql)?
        .query_row([id.0], |row| device_from_row(row))
        .optional()?;
    Ok(device)
}

pub(super) fn devices_of_user(connection: &Connection, user: UserId) -> Result<Vec<DeviceRecord>> {
    let sql =
        format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = ?1 ORDER BY created_at, id");
    let devices = connection
        .prepare_cached(&sql)?
        .query_map([user.0], |row| device_from_row(row))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(devices)
}

/// Devices with an id greater than `after`, in id order.
pub(super) fn devices_page(
    connection: &Connection,
    after: Option<DeviceId>,
    limit: u32,
) -> Result<Vec<DeviceRecord>> {
    let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id > ?1 ORDER BY id LIMIT ?2");
    let after = after.map_or(0, |id| id.0);
    let devices = connection
        .prepare_cached(&sql)?
        .query_map(params![after, limit], |row| device_from_row(row))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(devices)
}

pub(super) fn insert_verification_failure(
    connection: &Connection,
    device: Option<DeviceId>,
    merchant: MerchantId,
    reason: &str,
    at: UnixMillis,
) -> Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO verification_failures (device_id, merchant_id, reason, at)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![device.map(|id| id.0), merchant.0, reason, at])?;
    Ok(())
}
