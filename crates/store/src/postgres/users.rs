//! Wallet users and their sessions.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{AccountId, SessionId, UserId};
use paycode_core::model::{NewSession, PinAttempts, SessionRecord, UserRecord};

use super::error::{Error, Result};
use super::pool::Connection;
use super::rows::column;
use crate::rows::{session_from_row, user_from_row, SESSION_COLUMNS, USER_COLUMNS};

/// Creates the user, or returns `None` when the username is taken. `ON CONFLICT DO NOTHING`
/// reports that without failing the statement, so the transaction stays usable, as it does
/// on SQLite.
pub(super) fn insert_user(
    connection: &mut Connection,
    username: &str,
    password_hash: &str,
    account: AccountId,
    created_at: UnixMillis,
) -> Result<Option<UserId>> {
    let row = connection.query_opt(
        "INSERT INTO users (username, password_hash, account_id, created_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (username) DO NOTHING
         RETURNING id",
        &[&username, &password_hash, &account.0, &created_at],
    )?;
    row.map(|row| Ok(UserId(row.try_get(0)?))).transpose()
}

pub(super) fn user(connection: &mut Connection, id: UserId) -> Result<Option<UserRecord>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    let row = connection.query_opt(&sql, &[&id.0])?;
    row.as_ref().map(user_from_row).transpose()
}

pub(super) fn users(connection: &mut Connection, ids: &[UserId]) -> Result<Vec<UserRecord>> {
    let ids = column(ids, |id| id.0);
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ANY($1)");
    let rows = connection.query(&sql, &[&ids])?;
    rows.iter().map(user_from_row).collect()
}

pub(super) fn user_by_username(
    connection: &mut Connection,
    username: &str,
) -> Result<Option<UserRecord>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
    let row = connection.query_opt(&sql, &[&username])?;
    row.as_ref().map(user_from_row).transpose()
}

pub(super) fn users_page(
    connection: &mut Connection,
    username_prefix: &str,
    after: Option<UserId>,
    limit: u32,
) -> Result<Vec<UserRecord>> {
    // A prefix compared with `left`, not `LIKE`, whose `_` and `%` usernames may contain.
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users
         WHERE id > $1 AND left(username, length($2)) = $2
         ORDER BY id LIMIT $3"
    );
    let rows = connection.query(
        &sql,
        &[
            &after.map_or(0, |id| id.0),
            &username_prefix,
            &i64::from(limit),
        ],
    )?;
    rows.iter().map(user_from_row).collect()
}

pub(super) fn set_pin_hash(connection: &mut Connection, id: UserId, pin_hash: &str) -> Result<()> {
    let changed = connection.execute(
        "UPDATE users SET pin_hash = $1 WHERE id = $2",
        &[&pin_hash, &id.0],
    )?;
    if changed == 1 {
        Ok(())
    } else {
        Err(Error::Missing("user"))
    }
}

/// Reads the user's wrong-PIN count and locks the user's row until the end of the transaction.
pub(super) fn lock_pin_attempts(
    connection: &mut Connection,
    id: UserId,
) -> Result<Option<PinAttempts>> {
    let row = connection.query_opt(
        "SELECT pin_failures, pin_locked_until FROM users WHERE id = $1 FOR UPDATE",
        &[&id.0],
    )?;
    row.map(|row| {
        let failures: i32 = row.try_get(0)?;
        Ok(PinAttempts {
            failures: u32::try_from(failures)
                .map_err(|_| Error::Corrupt("a negative PIN failure count"))?,
            locked_until: row.try_get(1)?,
        })
    })
    .transpose()
}

pub(super) fn put_pin_attempts(
    connection: &mut Connection,
    id: UserId,
    attempts: &PinAttempts,
) -> Result<()> {
    let failures = i32::try_from(attempts.failures).unwrap_or(i32::MAX);
    let changed = connection.execute(
        "UPDATE users SET pin_failures = $1, pin_locked_until = $2 WHERE id = $3",
        &[&failures, &attempts.locked_until, &id.0],
    )?;
    if changed == 1 {
        Ok(())
    } else {
        Err(Error::Missing("user"))
    }
}

pub(super) fn insert_session(
    connection: &mut Connection,
    session: &NewSession,
) -> Result<SessionId> {
    let row = connection.query_one(
        "INSERT INTO sessions
             (token_hash, user_id, created_at, expires_at, last_used_at, user_agent)
         VALUES ($1, $2, $3, $4, $3, $5) RETURNING id",
        &[
            &session.token_hash,
            &session.user_id.0,
            &session.created_at,
            &session.expires_at,
            &session.user_agent,
        ],
    )?;
    Ok(SessionId(row.try_get(0)?))
}

pub(super) fn session(
    connection: &mut Connection,
    token_hash: &[u8],
) -> Result<Option<SessionRecord>> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1");
    let row = connection.query_opt(&sql, &[&token_hash])?;
    row.as_ref().map(session_from_row).transpose()
}

pub(super) fn sessions_of_user(
    connection: &mut Connection,
    user: UserId,
) -> Result<Vec<SessionRecord>> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY id");
    let rows = connection.query(&sql, &[&user.0])?;
    rows.iter().map(session_from_row).collect()
}

pub(super) fn touch_session(
    connection: &mut Connection,
    id: SessionId,
    at: UnixMillis,
) -> Result<()> {
    connection.execute(
        "UPDATE sessions SET last_used_at = greatest(last_used_at, $1) WHERE id = $2",
        &[&at, &id.0],
    )?;
    Ok(())
}

pub(super) fn delete_session(
    connection: &mut Connection,
    user: UserId,
    id: SessionId,
) -> Result<bool> {
    let deleted = connection.execute(
        "DELETE FROM sessions WHERE id = $1 AND user_id = $2",
        &[&id.0, &user.0],
    )?;
    Ok(deleted == 1)
}

pub(super) fn delete_other_sessions(
    connection: &mut Connection,
    user: UserId,
    keep: SessionId,
) -> Result<u64> {
    connection.execute(
        "DELETE FROM sessions WHERE user_id = $1 AND id <> $2",
        &[&user.0, &keep.0],
    )
}

pub(super) fn delete_expired_sessions(
    connection: &mut Connection,
    before: UnixMillis,
) -> Result<u64> {
    connection.execute("DELETE FROM sessions WHERE expires_at < $1", &[&before])
}
