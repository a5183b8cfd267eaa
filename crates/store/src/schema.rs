//! What the SQLite and PostgreSQL backends share about their schemas: the shape of a migration,
//! which migrations a database still needs, how domain numbers become SQL integers, and the
//! order postings are applied in.

use paycode_core::ids::AccountId;

/// One step of a schema.
pub(crate) struct Migration {
    /// Position in the sequence, from 1, without gaps.
    pub version: i64,
    /// What it does, for the log and the `schema_migrations` table.
    pub name: &'static str,
    /// The statements; they must not open or close transactions themselves.
    pub sql: &'static str,
}

/// A database whose schema is newer than every migration this program has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("database schema version {found} is newer than the {known} this program knows")]
pub(crate) struct SchemaTooNew {
    /// The version recorded in the database.
    pub found: i64,
    /// The last version this program has a migration for.
    pub known: i64,
}

/// The migrations of `migrations` (oldest first) that a database at version `current` has not
/// had yet.
pub(crate) fn pending(
    migrations: &[Migration],
    current: i64,
) -> Result<&[Migration], SchemaTooNew> {
    let known = migrations.last().map_or(0, |migration| migration.version);
    if current > known {
        return Err(SchemaTooNew {
            found: current,
            known,
        });
    }
    let first_new = migrations.partition_point(|migration| migration.version <= current);
    Ok(&migrations[first_new..])
}

/// Applies, oldest first, the migrations of `migrations` that a database at version `current`
/// has not had yet: `apply` runs one and records it, inside the backend's transaction.
pub(crate) fn apply_pending<E: From<SchemaTooNew>>(
    migrations: &[Migration],
    current: i64,
    backend: &str,
    mut apply: impl FnMut(&Migration) -> Result<(), E>,
) -> Result<(), E> {
    for migration in pending(migrations, current)? {
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applying {backend} migration"
        );
        apply(migration)?;
    }
    Ok(())
}

/// Asserts what every backend's list of migrations must be: numbered from 1 without gaps,
/// and free of statements that open or close a transaction, which the backend does.
#[cfg(test)]
pub(crate) fn assert_well_formed(migrations: &[Migration]) {
    for (position, migration) in migrations.iter().enumerate() {
        assert_eq!(
            migration.version,
            i64::try_from(position).unwrap() + 1,
            "{}",
            migration.name
        );
        let sql = migration.sql.to_uppercase();
        for word in ["BEGIN", "COMMIT", "ROLLBACK"] {
            assert!(
                !sql.lines()
                    .filter(|line| !line.trim_start().starts_with("--"))
                    .any(|line| line.contains(word)),
                "{} uses {word}",
                migration.name
            );
        }
    }
}

/// The postings of a ledger transaction in ascending account order, the order the contract
/// asks of every store: two transactions that touch the same accounts then take their row
/// locks in the same order and cannot deadlock each other. Postings that are empty or do not
/// sum to zero are a programmer error in the caller.
pub(crate) fn balanced_in_account_order(postings: &[(AccountId, i64)]) -> Vec<(AccountId, i64)> {
    let sum: i128 = postings.iter().map(|&(_, amount)| i128::from(amount)).sum();
    assert!(!postings.is_empty(), "a ledger transaction needs postings");
    assert_eq!(
        sum, 0,
        "the postings of a ledger transaction must sum to zero"
    );
    let mut ordered = postings.to_vec();
    ordered.sort_by_key(|&(account, _)| account);
    ordered
}

/// A time step as both databases store it: a signed 64-bit integer. Real steps are far below
/// `i64::MAX` (even a one-second period reaches 2^56 only in two billion years), so a larger
/// one is `None`, never wrapped.
pub(crate) fn step_to_sql(step: u64) -> Option<i64> {
    i64::try_from(step).ok()
}

/// A row limit as both databases take it; a limit past `i64::MAX` means no limit, which
/// `i64::MAX` is.
pub(crate) fn limit_to_sql(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREE: &[Migration] = &[
        Migration {
            version: 1,
            name: "one",
            sql: "",
        },
        Migration {
            version: 2,
            name: "two",
            sql: "",
        },
        Migration {
            version: 3,
            name: "three",
            sql: "",
        },
    ];

    #[test]
    fn a_database_gets_only_the_migrations_after_its_version() {
        let names = |current| {
            pending(THREE, current)
                .unwrap()
                .iter()
                .map(|migration| migration.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(0), ["one", "two", "three"]);
        assert_eq!(names(2), ["three"]);
        assert!(names(3).is_empty());
    }

    #[test]
    fn a_database_newer_than_every_migration_is_refused() {
        assert_eq!(
            pending(THREE, 4).map(<[Migration]>::len),
            Err(SchemaTooNew { found: 4, known: 3 })
        );
    }

    #[test]
    fn postings_come_out_in_account_order() {
        let postings = [(AccountId(9), -5), (AccountId(2), 3), (AccountId(4), 2)];
        assert_eq!(
            balanced_in_account_order(&postings),
            [(AccountId(2), 3), (AccountId(4), 2), (AccountId(9), -5)]
        );
    }

    #[test]
    #[should_panic(expected = "sum to zero")]
    fn postings_that_do_not_balance_are_a_programmer_error() {
        balanced_in_account_order(&[(AccountId(1), 5), (AccountId(2), -4)]);
    }

    #[test]
    fn a_step_past_i64_is_refused_and_a_limit_past_i64_means_no_limit() {
        assert_eq!(step_to_sql(1 << 56), Some(1 << 56));
        assert_eq!(step_to_sql(u64::MAX), None);
        assert_eq!(limit_to_sql(usize::MAX), i64::MAX);
        assert_eq!(limit_to_sql(500), 500);
    }
}
