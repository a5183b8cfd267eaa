//! Devices and the audit trail of failed verifications.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{DeviceId, MerchantId, UserId};
use paycode_core::model::DeviceRecord;
use paycode_core::store::VerificationFailure;

use super::error::{Error, Result};
use super::pool::Connection;
use super::rows::column;
use crate::rows::{device_from_row, DEVICE_COLUMNS};

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

/// [`update_device`] of every device in one statement; an id given twice is refused as a
/// missing device, since one statement updates a row at most once.
pub(super) fn update_devices(connection: &mut Connection, devices: &[DeviceRecord]) -> Result<()> {
    let ids = column(devices, |device| device.id.0);
    let names = column(devices, |device| device.name.as_deref());
    let algorithms = column(devices, |device| device.algorithm.name());
    let periods = column(devices, |device| i64::from(device.period_seconds));
    let key_ids = column(devices, |device| i64::from(device.secret.key_id));
    let nonces = column(devices, |device| &*device.secret.nonce);
    let ciphertexts = column(devices, |device| &*device.secret.ciphertext);
    let statuses = column(devices, |device| device.status.as_str());
    let failures = column(devices, |device| i64::from(device.failed_attempts));
    let locked = column(devices, |device| device.locked_until);
    let drifts = column(devices, |device| device.drift_steps);
    let last_used = column(devices, |device| device.last_used_at);
    // `= ANY($1)` beside the join keeps the plan on the primary key whatever the statistics
    // say (see `trades::lock_trades_by_out_trade_nos`).
    let changed = connection.execute(
        "UPDATE devices SET name = d.name, algorithm = d.algorithm,
             period_seconds = d.period_seconds, secret_key_id = d.secret_key_id,
             secret_nonce = d.secret_nonce, secret_ciphertext = d.secret_ciphertext,
             status = d.status, failed_attempts = d.failed_attempts,
             locked_until = d.locked_until, drift_steps = d.drift_steps,
             last_used_at = d.last_used_at
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
             $6::bytea[], $7::bytea[], $8::text[], $9::bigint[], $10::bigint[], $11::bigint[],
             $12::bigint[])
             AS d (id, name, algorithm, period_seconds, secret_key_id, secret_nonce,
                 secret_ciphertext, status, failed_attempts, locked_until, drift_steps,
                 last_used_at)
         WHERE devices.id = d.id AND devices.id = ANY($1)",
        &[
            &ids,
            &names,
            &algorithms,
            &periods,
            &key_ids,
            &nonces,
            &ciphertexts,
            &statuses,
            &failures,
            &locked,
            &drifts,
            &last_used,
        ],
    )?;
    if usize::try_from(changed).is_ok_and(|changed| changed == devices.len()) {
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

/// [`lock_device`] of every id in one statement, locking in ascending id order so that two
/// batches that share devices cannot deadlock.
pub(super) fn lock_devices(
    connection: &mut Connection,
    ids: &[DeviceId],
) -> Result<Vec<DeviceRecord>> {
    let ids = column(ids, |id| id.0);
    let sql =
        format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ANY($1) ORDER BY id FOR UPDATE");
    let rows = connection.query(&sql, &[&ids])?;
    rows.iter().map(device_from_row).collect()
}

pub(super) fn devices_of_user(
    connection: &mut Connection,
    user: UserId,
) -> Result<Vec<DeviceRecord>> {
    let sql =
        format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = $1 ORDER BY created_at, id");
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

/// [`insert_verification_failure`] of every failure, in order, in one statement.
pub(super) fn insert_verification_failures(
    connection: &mut Connection,
    failures: &[VerificationFailure],
) -> Result<()> {
    let devices = column(failures, |failure| failure.device.map(|id| id.0));
    let merchants = column(failures, |failure| failure.merchant.0);
    let reasons = column(failures, |failure| &*failure.reason);
    let times = column(failures, |failure| failure.at);
    connection.execute(
        "INSERT INTO verification_failures (device_id, merchant_id, reason, at)
         SELECT device_id, merchant_id, reason, at
         FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[])
             WITH ORDINALITY AS f (device_id, merchant_id, reason, at, n)
         ORDER BY n",
        &[&devices, &merchants, &reasons, &times],
    )?;
    Ok(())
}
