//! The outbox of notifications to merchants (SPEC section 7). SQLite has one writer, so the
//! transaction that claims events holds the whole database: setting their lease in it is
//! enough to keep a second claim (of a later delivery round) off them.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{EventId, MerchantId};
use paycode_core::model::{EventAttempt, EventRecord, NewEvent};
use rusqlite::{params, Connection, OptionalExtension};

use super::error::Result;
use crate::rows::{event_from_row, EVENT_COLUMNS};

pub(super) fn insert_event(connection: &Connection, event: &NewEvent) -> Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO events (merchant_id, kind, data, created_at, next_attempt_at)
             VALUES (?1, ?2, ?3, ?4, ?4)",
        )?
        .execute(params![
            event.merchant_id.0,
            event.kind.as_str(),
            event.data,
            event.created_at
        ])?;
    Ok(())
}

pub(super) fn events_of_merchant(
    connection: &Connection,
    merchant: MerchantId,
    before: Option<EventId>,
    limit: u32,
) -> Result<Vec<EventRecord>> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE merchant_id = ?1 AND id < ?2
         ORDER BY id DESC LIMIT ?3"
    );
    let events = connection
        .prepare_cached(&sql)?
        .query_map(
            params![merchant.0, before.map_or(i64::MAX, |id| id.0), limit],
            |row| event_from_row(row),
        )?
        .collect::<rusqlite::Result<_>>()?;
    Ok(events)
}

pub(super) fn claim_due_events(
    connection: &Connection,
    now: UnixMillis,
    lease_until: UnixMillis,
    limit: u32,
) -> Result<Vec<EventRecord>> {
    let sql = format!(
        "UPDATE events SET next_attempt_at = ?2
         WHERE id IN (SELECT id FROM events
                      WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ?1
                      ORDER BY next_attempt_at LIMIT ?3)
         RETURNING {EVENT_COLUMNS}"
    );
    let mut events: Vec<EventRecord> = connection
        .prepare_cached(&sql)?
        .query_map(params![now, lease_until, limit], |row| event_from_row(row))?
        .collect::<rusqlite::Result<_>>()?;
    events.sort_by_key(|event| event.id);
    Ok(events)
}

pub(super) fn finish_event_attempts(
    connection: &Connection,
    attempts: &[EventAttempt],
) -> Result<u64> {
    let mut statement = connection.prepare_cached(
        "UPDATE events SET attempts = attempts + 1,
             delivered_at = CASE WHEN ?3 IS NULL THEN ?2 ELSE delivered_at END,
             last_error = coalesce(?3, last_error),
             next_attempt_at = CASE WHEN ?3 IS NULL THEN NULL ELSE ?4 END
         WHERE id = ?1 AND next_attempt_at = ?5 AND delivered_at IS NULL",
    )?;
    let mut recorded = 0;
    for attempt in attempts {
        recorded += statement.execute(params![
            attempt.id.0,
            attempt.at,
            attempt.error,
            attempt.retry_at,
            attempt.lease_until
        ])? as u64;
    }
    Ok(recorded)
}

pub(super) fn redeliver_event(
    connection: &Connection,
    merchant: MerchantId,
    event: EventId,
    at: UnixMillis,
) -> Result<Option<EventRecord>> {
    let sql = format!(
        "UPDATE events SET next_attempt_at = ?3, delivered_at = NULL
         WHERE id = ?2 AND merchant_id = ?1
         RETURNING {EVENT_COLUMNS}"
    );
    let event = connection
        .prepare_cached(&sql)?
        .query_row(params![merchant.0, event.0, at], |row| event_from_row(row))
        .optional()?;
    Ok(event)
}

pub(super) fn delete_finished_events_before(
    connection: &Connection,
    before: UnixMillis,
    limit: u32,
) -> Result<u64> {
    let deleted = connection
        .prepare_cached(
            "DELETE FROM events WHERE id IN (
                 SELECT id FROM events
                 WHERE created_at < ?1 AND next_attempt_at IS NULL
                 ORDER BY id LIMIT ?2)",
        )?
        .execute(params![before, limit])?;
    Ok(deleted as u64)
}

pub(super) fn pending_event_count(connection: &Connection) -> Result<u64> {
    let count: i64 = connection
        .prepare_cached("SELECT count(*) FROM events WHERE next_attempt_at IS NOT NULL")?
        .query_row([], |row| row.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}
