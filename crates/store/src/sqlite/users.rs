//! Wallet users and their sessions.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{AccountId, SessionId, UserId};
use paycode_core::model::{NewSession, PinAttempts, SessionRecord, UserRecord};
use rusqlite::{params, Connection, OptionalExtension};

use super::error::{Error, Result};
use crate::rows::{session_from_row, user_from_row, SESSION_COLUMNS, USER_COLUMNS};

pub(super) fn insert_user(
    connection: &Connection,
    username: &str,
    password_hash: &str,
    account: AccountId,
    created_at: UnixMillis,
) -> Result<UserId> {
    let id = connection
        .prepare_cached(
            "INSERT INTO users (username, password_hash, account_id, created_at)
             VALUES (?1, ?2, ?3, ?4) RETURNING id",
        )?
        .query_row(
            params![username, password_hash, account.0, created_at],
            |row| row.get(0),
        )?;
    Ok(UserId(id))
}

pub(super) fn user(connection: &Connection, id: UserId) -> Result<Option<UserRecord>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1");
    let user = connection
        .prepare_cached(&sql)?
        .query_row([id.0], |row| user_from_row(row))
        .optional()?;
    Ok(user)
}

pub(super) fn user_by_username(
    connection: &Connection,
    username: &str,
) -> Result<Option<UserRecord>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1");
    let user = connection
        .prepare_cached(&sql)?
        .query_row([username], |row| user_from_row(row))
        .optional()?;
    Ok(user)
}

pub(super) fn users_page(
    connection: &Connection,
    username_prefix: &str,
    after: Option<UserId>,
    limit: u32,
) -> Result<Vec<UserRecord>> {
    // A prefix compared with `substr`, not `LIKE`, whose `_` and `%` usernames may contain.
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users
         WHERE id > ?1 AND substr(username, 1, length(?2)) = ?2
         ORDER BY id LIMIT ?3"
    );
    let mut statement = connection.prepare_cached(&sql)?;
    let users = statement
        .query_map(
            params![after.map_or(0, |id| id.0), username_prefix, limit],
            |row| user_from_row(row),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(users)
}

pub(super) fn set_pin_hash(connection: &Connection, id: UserId, pin_hash: &str) -> Result<()> {
    let changed = connection
        .prepare_cached("UPDATE users SET pin_hash = ?1 WHERE id = ?2")?
        .execute(params![pin_hash, id.0])?;
    if changed == 1 {
        Ok(())
    } else {
        Err(Error::Missing("user"))
    }
}

pub(super) fn pin_attempts(connection: &Connection, id: UserId) -> Result<Option<PinAttempts>> {
    let attempts = connection
        .prepare_cached("SELECT pin_failures, pin_locked_until FROM users WHERE id = ?1")?
        .query_row([id.0], |row| {
            Ok(PinAttempts {
                failures: row.get(0)?,
                locked_until: row.get(1)?,
            })
        })
        .optional()?;
    Ok(attempts)
}

pub(super) fn put_pin_attempts(
    connection: &Connection,
    id: UserId,
    attempts: &PinAttempts,
) -> Result<()> {
    let changed = connection
        .prepare_cached("UPDATE users SET pin_failures = ?1, pin_locked_until = ?2 WHERE id = ?3")?
        .execute(params![attempts.failures, attempts.locked_until, id.0])?;
    if changed == 1 {
        Ok(())
    } else {
        Err(Error::Missing("user"))
    }
}

pub(super) fn insert_session(connection: &Connection, session: &NewSession) -> Result<SessionId> {
    let id = connection
        .prepare_cached(
            "INSERT INTO sessions
                 (token_hash, user_id, created_at, expires_at, last_used_at, user_agent)
             VALUES (?1, ?2, ?3, ?4, ?3, ?5) RETURNING id",
        )?
        .query_row(
            params![
                session.token_hash,
                session.user_id.0,
                session.created_at,
                session.expires_at,
                session.user_agent,
            ],
            |row| row.get(0),
        )?;
    Ok(SessionId(id))
}

pub(super) fn session(connection: &Connection, token_hash: &[u8]) -> Result<Option<SessionRecord>> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = ?1");
    let session = connection
        .prepare_cached(&sql)?
        .query_row([token_hash], |row| session_from_row(row))
        .optional()?;
    Ok(session)
}

pub(super) fn sessions_of_user(
    connection: &Connection,
    user: UserId,
) -> Result<Vec<SessionRecord>> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = ?1 ORDER BY id");
    let mut statement = connection.prepare_cached(&sql)?;
    let sessions = statement
        .query_map([user.0], |row| session_from_row(row))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(sessions)
}

pub(super) fn touch_session(connection: &Connection, id: SessionId, at: UnixMillis) -> Result<()> {
    connection
        .prepare_cached("UPDATE sessions SET last_used_at = max(last_used_at, ?1) WHERE id = ?2")?
        .execute(params![at, id.0])?;
    Ok(())
}

pub(super) fn delete_session(connection: &Connection, user: UserId, id: SessionId) -> Result<bool> {
    let deleted = connection
        .prepare_cached("DELETE FROM sessions WHERE id = ?1 AND user_id = ?2")?
        .execute(params![id.0, user.0])?;
    Ok(deleted == 1)
}

pub(super) fn delete_other_sessions(
    connection: &Connection,
    user: UserId,
    keep: SessionId,
) -> Result<u64> {
    let deleted = connection
        .prepare_cached("DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2")?
        .execute(params![user.0, keep.0])?;
    Ok(deleted as u64)
}

pub(super) fn delete_expired_sessions(connection: &Connection, before: UnixMillis) -> Result<u64> {
    let deleted = connection
        .prepare_cached("DELETE FROM sessions WHERE expires_at < ?1")?
        .execute([before])?;
    Ok(deleted as u64)
}
