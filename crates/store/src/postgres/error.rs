//! How the PostgreSQL store fails inside, and how that becomes the contract's [`StoreError`].
//!
//! Messages carry the SQLSTATE and the server's primary message (which names tables, columns
//! and constraints), never the server's DETAIL line and never parameters: those hold values,
//! and a value may be a password hash, a token hash or a sealed secret.

use std::time::Duration;

use paycode_core::store::StoreError;
use postgres::error::SqlState;

use crate::schema::SchemaTooNew;

/// A failure inside the PostgreSQL store.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The server refused a statement, or talking to it failed.
    #[error("{}", describe(.0))]
    Postgres(#[from] postgres::Error),
    /// A new connection could not be opened.
    #[error("cannot connect: {}", describe(.0))]
    Connect(postgres::Error),
    /// Every pooled connection stayed busy for the whole checkout timeout.
    #[error("no database connection became free within {} ms", .0.as_millis())]
    PoolTimeout(Duration),
    /// A stored value that this program never writes (an unknown status, for one).
    #[error("corrupt stored value: {0}")]
    Corrupt(&'static str),
    /// A number that does not fit where it has to go (a step past `i64::MAX`, the last
    /// device slot handed out).
    #[error("{0} out of range")]
    OutOfRange(&'static str),
    /// A row that the caller said exists does not.
    #[error("{0} not found")]
    Missing(&'static str),
    /// The database was migrated by a newer version of paycode than this one.
    #[error(transparent)]
    SchemaTooNew(#[from] SchemaTooNew),
    /// The store was configured wrongly (a malformed URL, an empty pool, a bad schema name).
    #[error("{0}")]
    Config(&'static str),
    /// A statement of the transaction failed earlier; PostgreSQL then refuses the rest of the
    /// transaction, and its `COMMIT` would quietly roll back, so the store refuses it loudly.
    #[error("the transaction was rolled back because one of its statements had failed")]
    Aborted,
}

/// A short alias for results inside the PostgreSQL store.
pub(crate) type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// True when the server may have seen the failure, which puts an open transaction into
    /// PostgreSQL's aborted state (every further statement fails until it is rolled back).
    pub(crate) fn aborts_transaction(&self) -> bool {
        matches!(self, Error::Postgres(_))
    }

    /// True when an established connection turned out to be closed or broken: the server
    /// restarted or ended the session (it then says so first, with SQLSTATE 57P01 or the
    /// like), or the socket failed.
    pub(crate) fn is_lost_connection(&self) -> bool {
        match self {
            Error::Postgres(error) => match error.code() {
                Some(code) => is_unavailable(code),
                None => is_connection_failure(error),
            },
            _ => false,
        }
    }
}

impl From<Error> for StoreError {
    fn from(error: Error) -> Self {
        match error {
            Error::Postgres(error) => from_postgres(&error),
            Error::Connect(error) if error.as_db_error().is_some() => from_postgres(&error),
            Error::Connect(_) | Error::PoolTimeout(_) => StoreError::Unavailable(error.to_string()),
            other => StoreError::Other(other.to_string()),
        }
    }
}

/// Sorts a driver error into the contract's kinds: a unique violation is a duplicate; a
/// serialization failure, deadlock or lock timeout is a conflict worth retrying; a lost or
/// refused connection is unavailable; anything else is other.
fn from_postgres(error: &postgres::Error) -> StoreError {
    let message = describe(error);
    let Some(code) = error.code() else {
        return if is_connection_failure(error) {
            StoreError::Unavailable(message)
        } else {
            StoreError::Other(message)
        };
    };
    if *code == SqlState::UNIQUE_VIOLATION {
        let constraint = error
            .as_db_error()
            .and_then(|db| db.constraint())
            .unwrap_or_default();
        StoreError::Duplicate(duplicate_label(constraint))
    } else if is_conflict(code) {
        StoreError::Conflict(message)
    } else if is_unavailable(code) {
        StoreError::Unavailable(message)
    } else {
        StoreError::Other(message)
    }
}

fn is_conflict(code: &SqlState) -> bool {
    [
        SqlState::T_R_SERIALIZATION_FAILURE,
        SqlState::T_R_DEADLOCK_DETECTED,
        SqlState::LOCK_NOT_AVAILABLE,
    ]
    .contains(code)
}

/// Class 08 (connection exception), a server shutting down or starting up, and a server out
/// of connection slots: the database cannot be used now, through no fault of the request.
fn is_unavailable(code: &SqlState) -> bool {
    code.code().starts_with("08")
        || [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::TOO_MANY_CONNECTIONS,
        ]
        .contains(code)
}

/// A failure with no SQLSTATE is the connection's: closed, or an I/O error underneath.
fn is_connection_failure(error: &postgres::Error) -> bool {
    error.is_closed()
        || std::error::Error::source(error)
            .is_some_and(|source| source.downcast_ref::<std::io::Error>().is_some())
}

/// The SQLSTATE and the server's primary message, or the driver's own description; never the
/// DETAIL line, which quotes the offending row's values.
fn describe(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("postgres {}: {}", db.code().code(), db.message()),
        // The driver's own description leaves out the cause (an I/O error, say), which is
        // what an operator needs.
        None => match std::error::Error::source(error) {
            Some(source) => format!("postgres: {error}: {source}"),
            None => format!("postgres: {error}"),
        },
    }
}

/// What each unique constraint of the schema protects, keyed by the constraint's name, with
/// the same labels as the SQLite store's.
const UNIQUE_CONSTRAINTS: &[(&str, &str)] = &[
    ("settings_pkey", "setting"),
    ("accounts_one_issuance", "issuance account"),
    ("users_username_key", "username"),
    ("users_account_id_key", "user account"),
    ("sessions_pkey", "session"),
    ("merchants_account_id_key", "merchant account"),
    ("api_keys_key_hash_key", "api key"),
    ("topups_pkey", "top-up reference"),
    ("devices_pkey", "device"),
    ("spent_offline_codes_pkey", "offline code"),
    ("online_codes_pkey", "online code"),
    ("trades_trade_no_key", "trade_no"),
    ("trades_merchant_id_out_trade_no_key", "out_trade_no"),
    ("refunds_refund_no_key", "refund_no"),
    ("refunds_trade_id_out_refund_no_key", "out_refund_no"),
];

/// Names the duplicate from the violated constraint; `record` when it is not listed.
pub(crate) fn duplicate_label(constraint: &str) -> &'static str {
    UNIQUE_CONSTRAINTS
        .iter()
        .find(|(name, _)| *name == constraint)
        .map_or("record", |(_, label)| label)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `UNIQUE` of the schema, and every primary key that is not a generated id, must
    /// be listed, or a duplicate would be reported as a mere `record`.
    #[test]
    fn every_unique_constraint_of_the_schema_has_a_label() {
        let schema = include_str!("../migrations/postgres/0001_initial.sql");
        let mut names = Vec::new();
        for line in schema.lines().filter(|line| line.contains("UNIQUE")) {
            let (_, rest) = line
                .split_once("CONSTRAINT ")
                .or_else(|| line.split_once("UNIQUE INDEX "))
                .expect("a unique constraint or index is named");
            names.push(rest.split_whitespace().next().unwrap());
        }
        assert!(names.len() >= 8, "{names:?}");
        names.extend([
            "settings_pkey",
            "sessions_pkey",
            "topups_pkey",
            "devices_pkey",
            "spent_offline_codes_pkey",
            "online_codes_pkey",
        ]);
        for name in names {
            assert!(schema.contains(name), "{name}");
            assert_ne!(duplicate_label(name), "record", "{name}");
        }
    }

    #[test]
    fn the_labels_match_the_sqlite_stores() {
        for (constraint, label) in [
            ("users_username_key", "username"),
            ("trades_merchant_id_out_trade_no_key", "out_trade_no"),
            ("trades_trade_no_key", "trade_no"),
            ("refunds_trade_id_out_refund_no_key", "out_refund_no"),
            ("topups_pkey", "top-up reference"),
            ("online_codes_pkey", "online code"),
        ] {
            assert_eq!(duplicate_label(constraint), label);
        }
    }

    #[test]
    fn an_unlisted_constraint_is_a_duplicate_record() {
        assert_eq!(duplicate_label("something_else"), "record");
        assert_eq!(duplicate_label(""), "record");
    }

    #[test]
    fn conflicts_and_unavailability_are_recognised_by_sqlstate() {
        assert!(is_conflict(&SqlState::T_R_SERIALIZATION_FAILURE));
        assert!(is_conflict(&SqlState::T_R_DEADLOCK_DETECTED));
        assert!(!is_conflict(&SqlState::UNIQUE_VIOLATION));
        assert!(is_unavailable(&SqlState::CONNECTION_FAILURE));
        assert!(is_unavailable(&SqlState::ADMIN_SHUTDOWN));
        assert!(is_unavailable(&SqlState::TOO_MANY_CONNECTIONS));
        assert!(!is_unavailable(&SqlState::CHECK_VIOLATION));
    }

    #[test]
    fn failures_inside_the_store_are_other_or_unavailable() {
        assert!(matches!(
            StoreError::from(Error::OutOfRange("time step")),
            StoreError::Other(message) if message == "time step out of range"
        ));
        assert!(matches!(
            StoreError::from(Error::PoolTimeout(Duration::from_secs(5))),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            StoreError::from(Error::Aborted),
            StoreError::Other(_)
        ));
    }
}
