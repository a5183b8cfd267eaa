//! The SQLite schema's migrations, embedded in the binary and applied in order on open.
//!
//! Each applied migration is recorded in `schema_migrations`, so reopening applies only the
//! ones that are new. All of them run in one `BEGIN IMMEDIATE` transaction: two processes
//! opening the same new file migrate it once, and a failed migration leaves nothing behind.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};
use crate::schema::{pending, Migration, SchemaTooNew};

/// Every migration, oldest first. Never edit one that has shipped; add the next.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "initial",
    sql: include_str!("../migrations/sqlite/0001_initial.sql"),
}];

/// Applies every migration the database has not had yet.
pub(super) fn apply(connection: &mut Connection) -> Result<()> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    transaction.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at INTEGER NOT NULL
         ) STRICT",
    )?;
    let current: i64 = transaction.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_migrations",
        [],
        |row| row.get(0),
    )?;
    let pending = pending(MIGRATIONS, current)
        .map_err(|SchemaTooNew { found, known }| Error::SchemaTooNew { found, known })?;
    for migration in pending {
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applying sqlite migration"
        );
        transaction.execute_batch(migration.sql)?;
        transaction.execute(
            "INSERT INTO schema_migrations (version, name, applied_at)
             VALUES (?1, ?2, CAST(strftime('%s', 'now') AS INTEGER) * 1000)",
            rusqlite::params![migration.version, migration.name],
        )?;
    }
    transaction.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_from_one_without_gaps() {
        for (position, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(
                migration.version,
                i64::try_from(position).unwrap() + 1,
                "{}",
                migration.name
            );
        }
    }

    #[test]
    fn migrating_twice_applies_each_migration_once() {
        let mut connection = Connection::open_in_memory().unwrap();
        apply(&mut connection).unwrap();
        apply(&mut connection).unwrap();
        let applied: i64 = connection
            .query_row("SELECT count(*) FROM schema_migrations", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(applied, i64::try_from(MIGRATIONS.len()).unwrap());
    }

    #[test]
    fn a_database_from_a_newer_program_is_refused() {
        let mut connection = Connection::open_in_memory().unwrap();
        apply(&mut connection).unwrap();
        connection
            .execute(
                "INSERT INTO schema_migrations VALUES (1000, 'from the future', 0)",
                [],
            )
            .unwrap();
        assert!(matches!(
            apply(&mut connection),
            Err(Error::SchemaTooNew { found: 1000, .. })
        ));
    }
}
