//! The PostgreSQL schema's migrations, embedded in the binary and applied in order on connect.
//!
//! Each applied migration is recorded in `schema_migrations`, so connecting again applies only
//! the ones that are new. All of them run in one transaction that first takes a transaction
//! advisory lock: several server instances starting at once against a new database migrate it
//! once (the others wait, then find every migration applied), and a failed migration leaves
//! nothing behind, since PostgreSQL's DDL is transactional.

use super::error::{Error, Result};
use super::pool::Connection;
use crate::schema::{apply_pending, Migration};

/// Every migration, oldest first. Never edit one that has shipped; add the next.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../migrations/postgres/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "pin_free_days",
        sql: include_str!("../migrations/postgres/0002_pin_free_days.sql"),
    },
    Migration {
        version: 3,
        name: "pin_attempts_and_sessions",
        sql: include_str!("../migrations/postgres/0003_pin_attempts_and_sessions.sql"),
    },
    Migration {
        version: 4,
        name: "failure_counts",
        sql: include_str!("../migrations/postgres/0004_failure_counts.sql"),
    },
    Migration {
        version: 5,
        name: "trade_lists_and_refusals",
        sql: include_str!("../migrations/postgres/0005_trade_lists_and_refusals.sql"),
    },
    Migration {
        version: 6,
        name: "ordered_writes",
        sql: include_str!("../migrations/postgres/0006_ordered_writes.sql"),
    },
    Migration {
        version: 7,
        name: "webhooks_and_statements",
        sql: include_str!("../migrations/postgres/0007_webhooks_and_statements.sql"),
    },
];

/// Applies every migration the database has not had yet. `lock_key` names the advisory lock
/// that serializes migrating this schema; `create_schema` is the quoted name of a schema to
/// create first, when the store was given one.
pub(super) fn apply(
    connection: &mut Connection,
    lock_key: i64,
    create_schema: Option<&str>,
) -> Result<()> {
    connection.batch("BEGIN")?;
    let applied = apply_in_transaction(connection, lock_key, create_schema);
    match applied {
        Ok(()) => connection.batch("COMMIT"),
        Err(error) => {
            // The caller discards the connection if this fails too; the migration's error is
            // the one worth reporting.
            if let Err(rollback) = connection.batch("ROLLBACK") {
                tracing::error!(error = %rollback, "postgres rollback of a migration failed");
            }
            Err(error)
        }
    }
}

fn apply_in_transaction(
    connection: &mut Connection,
    lock_key: i64,
    create_schema: Option<&str>,
) -> Result<()> {
    connection.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_key])?;
    if let Some(schema) = create_schema {
        connection.batch(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))?;
    }
    connection.batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    BIGINT PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at BIGINT NOT NULL
         )",
    )?;
    let row = connection.query_one(
        "SELECT coalesce(max(version), 0)::bigint FROM schema_migrations",
        &[],
    )?;
    let current: i64 = row.try_get(0)?;
    apply_pending(MIGRATIONS, current, "postgres", |migration| {
        connection.batch(migration.sql)?;
        connection.execute(
            "INSERT INTO schema_migrations (version, name, applied_at)
             VALUES ($1, $2, (extract(epoch FROM now()) * 1000)::bigint)",
            &[&migration.version, &migration.name],
        )?;
        Ok::<_, Error>(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_from_one_and_control_no_transactions() {
        crate::schema::assert_well_formed(MIGRATIONS);
    }
}
