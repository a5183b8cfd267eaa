//! The SQLite schema's migrations, embedded in the binary and applied in order on open.
//!
//! Each applied migration is recorded in `schema_migrations`, so reopening applies only the
//! ones that are new. All of them run in one `BEGIN IMMEDIATE` transaction: two processes
//! opening the same new file migrate it once, and a failed migration leaves nothing behind.

use rusqlite::{Connection, TransactionBehavior};

use super::error::{Error, Result};
use crate::schema::{apply_pending, Migration};

/// Every migration, oldest first. Never edit one that has shipped; add the next.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../migrations/sqlite/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "pin_free_days",
        sql: include_str!("../migrations/sqlite/0002_pin_free_days.sql"),
    },
    Migration {
        version: 3,
        name: "pin_attempts_and_sessions",
        sql: include_str!("../migrations/sqlite/0003_pin_attempts_and_sessions.sql"),
    },
    Migration {
        version: 4,
        name: "failure_counts",
        sql: include_str!("../migrations/sqlite/0004_failure_counts.sql"),
    },
    Migration {
        version: 5,
        name: "trade_lists_and_refusals",
        sql: include_str!("../migrations/sqlite/0005_trade_lists_and_refusals.sql"),
    },
    Migration {
        version: 6,
        name: "ordered_writes",
        sql: include_str!("../migrations/sqlite/0006_ordered_writes.sql"),
    },
    Migration {
        version: 7,
        name: "webhooks_and_statements",
        sql: include_str!("../migrations/sqlite/0007_webhooks_and_statements.sql"),
    },
];

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
    apply_pending(MIGRATIONS, current, "sqlite", |migration| {
        transaction.execute_batch(migration.sql)?;
        transaction.execute(
            "INSERT INTO schema_migrations (version, name, applied_at)
             VALUES (?1, ?2, CAST(strftime('%s', 'now') AS INTEGER) * 1000)",
            rusqlite::params![migration.version, migration.name],
        )?;
        Ok::<_, Error>(())
    })?;
    transaction.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::SchemaTooNew;

    #[test]
    fn migrations_are_numbered_from_one_and_control_no_transactions() {
        crate::schema::assert_well_formed(MIGRATIONS);
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

    /// The second migration fills the running pin-free totals from the trades stored before
    /// it: per user and UTC day, pin-free trades only, whatever their status.
    #[test]
    fn the_pin_free_days_are_filled_from_the_trades_stored_before() {
        const DAY: i64 = 86_400_000;
        let today = 20_000 * DAY;
        let mut connection = Connection::open_in_memory().unwrap();
        connection
            .execute_batch(
                "CREATE TABLE schema_migrations (
                     version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL
                 ) STRICT;
                 INSERT INTO schema_migrations VALUES (1, 'initial', 0);",
            )
            .unwrap();
        connection.execute_batch(MIGRATIONS[0].sql).unwrap();
        connection
            .execute_batch(
                "INSERT INTO accounts (id, kind, created_at)
                 VALUES (10, 'user', 0), (11, 'user', 0), (12, 'merchant', 0);
                 INSERT INTO users (id, username, password_hash, account_id, created_at)
                 VALUES (1, 'alice', 'x', 10, 0), (2, 'bob', 'x', 11, 0);
                 INSERT INTO merchants (id, name, account_id, created_at)
                 VALUES (1, 'cafe', 12, 0);",
            )
            .unwrap();
        let trades = [
            (1, 100, "SUCCESS", true, Some(today)),
            (1, 200, "REVERSED", true, Some(today + DAY - 1)),
            (1, 400, "SUCCESS", false, Some(today + 5)),
            (1, 800, "SUCCESS", true, Some(today - 1)),
            (1, 1_600, "USER_PAYING", false, None),
            (2, 3_200, "SUCCESS", true, Some(today + 7)),
        ];
        for (number, (user, amount, status, pin_free, paid_at)) in trades.into_iter().enumerate() {
            let refunded = if status == "REVERSED" { amount } else { 0 };
            connection
                .execute(
                    "INSERT INTO trades (trade_no, merchant_id, user_id, out_trade_no,
                         auth_code_hash, amount, refunded_amount, status, pin_free, pin_attempts,
                         created_at, paid_at)
                     VALUES (?1, 1, ?2, ?1, x'00', ?3, ?4, ?5, ?6, 0, 0, ?7)",
                    rusqlite::params![
                        format!("T-{number}"),
                        user,
                        amount,
                        refunded,
                        status,
                        pin_free,
                        paid_at
                    ],
                )
                .unwrap();
        }

        apply(&mut connection).unwrap();
        let mut days: Vec<(i64, i64, i64)> = connection
            .prepare("SELECT user_id, day, total FROM pin_free_days ORDER BY user_id, day")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        days.sort_unstable();
        assert_eq!(
            days,
            [(1, today - DAY, 800), (1, today, 300), (2, today, 3_200)]
        );
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
            Err(Error::SchemaTooNew(SchemaTooNew { found: 1000, .. }))
        ));
    }
}
