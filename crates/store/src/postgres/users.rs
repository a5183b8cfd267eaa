//! Wallet users and their sessions.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{AccountId, UserId};
use paycode_core::model::{SessionRecord, UserRecord};
use postgres::Row;

use super::error::{Error, Result};
use super::pool::Connection;
use super::rows::column;

const USER_COLUMNS: &str = "id, username, password_hash, pin_hash, account_id, created_at";

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

fn user_from_row(row: &Row) -> Result<UserRecord> {
    Ok(UserRecord {
        id: UserId(row.try_get("id")?),
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        pin_hash: row.try_get("pin_hash")?,
        account_id: AccountId(row.try_get("account_id")?),
        created_at: row.try_get("created_at")?,
    })
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

pub(super) fn insert_session(connection: &mut Connection, session: &SessionRecord) -> Result<()> {
    connection.execute(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4)",
        &[
            &session.token_hash,
            &session.user_id.0,
            &session.created_at,
            &session.expires_at,
        ],
    )?;
    Ok(())
}

pub(super) fn session(
    connection: &mut Connection,
    token_hash: &[u8],
) -> Result<Option<SessionRecord>> {
    let row = connection.query_opt(
        "SELECT token_hash, user_id, created_at, expires_at
         FROM sessions WHERE token_hash = $1",
        &[&token_hash],
    )?;
    row.map(|row| {
        Ok(SessionRecord {
            token_hash: row.try_get(0)?,
            user_id: UserId(row.try_get(1)?),
            created_at: row.try_get(2)?,
            expires_at: row.try_get(3)?,
        })
    })
    .transpose()
}
