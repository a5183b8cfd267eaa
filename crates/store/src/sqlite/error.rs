//! How the SQLite store fails inside, and how that becomes the contract's [`StoreError`].
//!
//! Messages name tables, columns and constraints, never values: a value may be a password
//! hash, a token hash or a sealed secret.

use paycode_core::store::StoreError;
use rusqlite::ffi;
use rusqlite::ErrorCode;

use crate::schema::SchemaTooNew;

/// A failure inside the SQLite store.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// SQLite refused or failed a statement.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// A stored value that this program never writes (an unknown status, for one).
    #[error("corrupt stored value: {0}")]
    Corrupt(&'static str),
    /// A number that does not fit where it has to go (a balance past `i64`, a step past
    /// `i64::MAX`, the last device slot handed out).
    #[error("{0} out of range")]
    OutOfRange(&'static str),
    /// A row that the caller said exists does not.
    #[error("{0} not found")]
    Missing(&'static str),
    /// The database was migrated by a newer version of paycode than this one.
    #[error(transparent)]
    SchemaTooNew(#[from] SchemaTooNew),
    /// The database file cannot be used the way durability requires.
    #[error("{0}")]
    Unsupported(&'static str),
}

/// A short alias for results inside the SQLite store.
pub(crate) type Result<T> = std::result::Result<T, Error>;

impl From<Error> for StoreError {
    fn from(error: Error) -> Self {
        match error {
            Error::Sqlite(error) => from_sqlite(error),
            other => StoreError::Other(other.to_string()),
        }
    }
}

/// Sorts a driver error into the contract's kinds: a unique constraint is a duplicate, a busy
/// or locked database is a conflict worth retrying, a file that cannot be opened is
/// unavailable, anything else is other.
fn from_sqlite(error: rusqlite::Error) -> StoreError {
    let rusqlite::Error::SqliteFailure(failure, message) = &error else {
        return StoreError::Other(format!("sqlite: {error}"));
    };
    match failure.code {
        ErrorCode::ConstraintViolation if is_unique_violation(failure.extended_code) => {
            StoreError::Duplicate(duplicate_label(message.as_deref().unwrap_or_default()))
        }
        ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
            StoreError::Conflict(format!("sqlite: {error}"))
        }
        ErrorCode::CannotOpen => StoreError::Unavailable(format!("sqlite: {error}")),
        _ => StoreError::Other(format!("sqlite: {error}")),
    }
}

fn is_unique_violation(extended_code: i32) -> bool {
    extended_code == ffi::SQLITE_CONSTRAINT_UNIQUE
        || extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY
}

/// What each unique constraint of the schema protects, keyed by the column list SQLite names
/// in its message (`UNIQUE constraint failed: trades.merchant_id, trades.out_trade_no`).
const UNIQUE_CONSTRAINTS: &[(&str, &str)] = &[
    ("settings.name", "setting"),
    ("accounts.kind", "issuance account"),
    ("users.username", "username"),
    ("users.account_id", "user account"),
    ("sessions.token_hash", "session"),
    ("merchants.account_id", "merchant account"),
    ("api_keys.key_hash", "api key"),
    ("topups.reference", "top-up reference"),
    ("devices.id", "device"),
    ("online_codes.code_hash", "online code"),
    ("trades.trade_no", "trade_no"),
    ("trades.merchant_id, trades.out_trade_no", "out_trade_no"),
    ("refunds.refund_no", "refund_no"),
    ("refunds.trade_id, refunds.out_refund_no", "out_refund_no"),
];

/// Names the duplicate from SQLite's message; `record` when the constraint is not listed.
fn duplicate_label(message: &str) -> &'static str {
    let columns = message
        .rsplit_once("failed: ")
        .map_or("", |(_, columns)| columns);
    UNIQUE_CONSTRAINTS
        .iter()
        .find(|(constraint, _)| *constraint == columns)
        .map_or("record", |(_, label)| label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32, message: &str) -> Error {
        Error::Sqlite(rusqlite::Error::SqliteFailure(
            ffi::Error::new(code),
            Some(message.to_owned()),
        ))
    }

    #[test]
    fn a_unique_violation_names_what_was_duplicated() {
        let error = failure(
            ffi::SQLITE_CONSTRAINT_UNIQUE,
            "UNIQUE constraint failed: trades.merchant_id, trades.out_trade_no",
        );
        assert!(matches!(
            StoreError::from(error),
            StoreError::Duplicate("out_trade_no")
        ));
    }

    #[test]
    fn a_primary_key_violation_is_a_duplicate_too() {
        let error = failure(
            ffi::SQLITE_CONSTRAINT_PRIMARYKEY,
            "UNIQUE constraint failed: topups.reference",
        );
        assert!(matches!(
            StoreError::from(error),
            StoreError::Duplicate("top-up reference")
        ));
    }

    #[test]
    fn an_unlisted_unique_constraint_is_a_duplicate_record() {
        let error = failure(ffi::SQLITE_CONSTRAINT_UNIQUE, "something else");
        assert!(matches!(
            StoreError::from(error),
            StoreError::Duplicate("record")
        ));
    }

    #[test]
    fn a_check_violation_is_not_a_duplicate() {
        let error = failure(
            ffi::SQLITE_CONSTRAINT_CHECK,
            "CHECK constraint failed: amount > 0",
        );
        assert!(matches!(StoreError::from(error), StoreError::Other(_)));
    }

    #[test]
    fn a_busy_or_locked_database_is_a_conflict() {
        for code in [ffi::SQLITE_BUSY, ffi::SQLITE_LOCKED] {
            let error = failure(code, "database is locked");
            assert!(matches!(StoreError::from(error), StoreError::Conflict(_)));
        }
    }

    #[test]
    fn a_file_that_cannot_be_opened_is_unavailable() {
        let error = failure(ffi::SQLITE_CANTOPEN, "unable to open database file");
        assert!(matches!(
            StoreError::from(error),
            StoreError::Unavailable(_)
        ));
    }

    #[test]
    fn every_other_failure_is_other() {
        assert!(matches!(
            StoreError::from(Error::OutOfRange("account balance")),
            StoreError::Other(message) if message == "account balance out of range"
        ));
    }
}
