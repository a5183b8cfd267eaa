//! The outbox of notifications to merchants (SPEC section 7). Several instances claim events
//! from one database: the claim locks the rows it takes with `FOR UPDATE SKIP LOCKED`, so two
//! claims at the same moment take different events, and moves their next attempt to the end
//! of the lease, so a later claim does not take them again while the lease runs.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{EventId, MerchantId};
use paycode_core::model::{EventAttempt, EventRecord, NewEvent};

use super::error::Result;
use super::pool::Connection;
use super::rows::{column, count};
use crate::rows::{event_from_row, EVENT_COLUMNS};

/// Stores the events with one statement, in order, so that their ids grow in that order.
pub(super) fn insert_events(connection: &mut Connection, events: &[NewEvent]) -> Result<()> {
    let merchants = column(events, |event| event.merchant_id.0);
    let kinds = column(events, |event| event.kind.as_str());
    let data = column(events, |event| event.data.as_str());
    let created = column(events, |event| event.created_at);
    connection.execute(
        "INSERT INTO events (merchant_id, kind, data, created_at, next_attempt_at)
         SELECT merchant_id, kind, data, created_at, created_at
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[])
             WITH ORDINALITY AS e (merchant_id, kind, data, created_at, n)
         ORDER BY n",
        &[&merchants, &kinds, &data, &created],
    )?;
    Ok(())
}

pub(super) fn events_of_merchant(
    connection: &mut Connection,
    merchant: MerchantId,
    before: Option<EventId>,
    limit: u32,
) -> Result<Vec<EventRecord>> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE merchant_id = $1 AND id < $2
         ORDER BY id DESC LIMIT $3"
    );
    let rows = connection.query(
        &sql,
        &[
            &merchant.0,
            &before.map_or(i64::MAX, |id| id.0),
            &i64::from(limit),
        ],
    )?;
    rows.iter().map(event_from_row).collect()
}

pub(super) fn claim_due_events(
    connection: &mut Connection,
    now: UnixMillis,
    lease_until: UnixMillis,
    limit: u32,
) -> Result<Vec<EventRecord>> {
    let sql = format!(
        "UPDATE events SET next_attempt_at = $2
         WHERE id IN (SELECT id FROM events
                      WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1
                      ORDER BY next_attempt_at LIMIT $3
                      FOR UPDATE SKIP LOCKED)
         RETURNING {EVENT_COLUMNS}"
    );
    let rows = connection.query(&sql, &[&now, &lease_until, &i64::from(limit)])?;
    let mut events = rows
        .iter()
        .map(event_from_row)
        .collect::<Result<Vec<_>>>()?;
    events.sort_by_key(|event| event.id);
    Ok(events)
}

/// Records every attempt with one statement.
pub(super) fn finish_event_attempts(
    connection: &mut Connection,
    attempts: &[EventAttempt],
) -> Result<u64> {
    let ids = column(attempts, |attempt| attempt.id.0);
    let leases = column(attempts, |attempt| attempt.lease_until);
    let at = column(attempts, |attempt| attempt.at);
    let errors = column(attempts, |attempt| attempt.error.as_deref());
    let retries = column(attempts, |attempt| attempt.retry_at);
    connection.execute(
        "UPDATE events SET attempts = events.attempts + 1,
             delivered_at = CASE WHEN a.error IS NULL THEN a.at ELSE events.delivered_at END,
             last_error = coalesce(a.error, events.last_error),
             next_attempt_at = CASE WHEN a.error IS NULL THEN NULL ELSE a.retry_at END
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[])
             AS a (id, lease_until, at, error, retry_at)
         WHERE events.id = a.id AND events.next_attempt_at = a.lease_until
             AND events.delivered_at IS NULL",
        &[&ids, &leases, &at, &errors, &retries],
    )
}

pub(super) fn redeliver_event(
    connection: &mut Connection,
    merchant: MerchantId,
    event: EventId,
    at: UnixMillis,
) -> Result<Option<EventRecord>> {
    let sql = format!(
        "UPDATE events SET next_attempt_at = $3, delivered_at = NULL
         WHERE id = $2 AND merchant_id = $1
         RETURNING {EVENT_COLUMNS}"
    );
    let row = connection.query_opt(&sql, &[&merchant.0, &event.0, &at])?;
    row.as_ref().map(event_from_row).transpose()
}

pub(super) fn delete_finished_events_before(
    connection: &mut Connection,
    before: UnixMillis,
    limit: u32,
) -> Result<u64> {
    connection.execute(
        "DELETE FROM events WHERE id IN (
             SELECT id FROM events
             WHERE created_at < $1 AND next_attempt_at IS NULL
             ORDER BY id LIMIT $2)",
        &[&before, &i64::from(limit)],
    )
}

pub(super) fn pending_event_count(connection: &mut Connection) -> Result<u64> {
    let row = connection.query_one(
        "SELECT count(*) FROM events WHERE next_attempt_at IS NOT NULL",
        &[],
    )?;
    count(&row, 0)
}
