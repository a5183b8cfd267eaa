//! Wallet users and their sessions.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{AccountId, UserId};
use paycode_core::model::{SessionRecord, UserRecord};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::{Error, Result};

const USER_COLUMNS: &str = "id, username, password_hash, pin_hash, account_id, created_at";

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
        .query_row([id.0], user_from_row)
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
        .query_row([username], user_from_row)
        .optional()?;
    Ok(user)
}

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        id: UserId(row.get("id")?),
        username: row.get("username")?,
        password_hash: row.get("password_hash")?,
        pin_hash: row.get("pin_hash")?,
        account_id: AccountId(row.get("account_id")?),
        created_at: row.get("created_at")?,
    })
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

pub(super) fn insert_session(connection: &Connection, session: &SessionRecord) -> Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            session.token_hash,
            session.user_id.0,
            session.created_at,
            session.expires_at,
        ])?;
    Ok(())
}

pub(super) fn session(connection: &Connection, token_hash: &[u8]) -> Result<Option<SessionRecord>> {
    let session = connection
        .prepare_cached(
            "SELECT token_hash, user_id, created_at, expires_at
             FROM sessions WHERE token_hash = ?1",
        )?
        .query_row([token_hash], |row| {
            Ok(SessionRecord {
                token_hash: row.get(0)?,
                user_id: UserId(row.get(1)?),
                created_at: row.get(2)?,
                expires_at: row.get(3)?,
            })
        })
        .optional()?;
    Ok(session)
}
