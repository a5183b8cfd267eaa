//! The baseline a run compares paycode with (issue 6): what the same database does when each
//! transfer is its own durable transaction.
//!
//! - SQLite: a plain loop on one connection to a separate file, with the server's durability
//!   (`journal_mode=WAL`, `synchronous=FULL`). Each transfer inserts an idempotency row,
//!   updates two balances, inserts two postings and commits.
//! - PostgreSQL: `pgbench`'s built-in TPC-B-like script at scale 1, with as many clients as the
//!   run has connections, in a scratch database on the same server.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::error::Error;
use crate::limits::{BASELINE_ACCOUNTS, PGBENCH_DATABASE, PGBENCH_SCALE, PGBENCH_THREADS};
use crate::postgres_url::PostgresUrl;

/// Balance every baseline account starts with, so that none goes below zero during a run.
const BASELINE_OPENING_BALANCE: i64 = 1_000_000_000;

/// What a baseline measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Baseline {
    /// What ran: `sqlite single-transfer commits` or `pgbench tpcb-like`.
    pub kind: &'static str,
    /// Transfers (transactions) committed per second.
    pub per_second: f64,
    /// Transfers committed.
    pub transactions: u64,
    /// How long it ran, in seconds.
    pub seconds: f64,
}

/// Runs the SQLite baseline for `duration` in a new database at `path`. Blocking.
pub fn sqlite_baseline(path: &Path, duration: Duration) -> Result<Baseline, Error> {
    let mut connection = Connection::open(path)?;
    let journal: String =
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !journal.eq_ignore_ascii_case("wal") {
        return Err(Error::Options(format!(
            "the baseline database refused the write-ahead log (journal_mode={journal})"
        )));
    }
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.execute_batch(
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL);
         CREATE TABLE idempotency (reference TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
         CREATE TABLE postings (
             id INTEGER PRIMARY KEY,
             reference TEXT NOT NULL REFERENCES idempotency (reference),
             account_id INTEGER NOT NULL REFERENCES accounts (id),
             amount INTEGER NOT NULL
         );
         CREATE INDEX postings_by_account ON postings (account_id);",
    )?;
    {
        let opening = connection.transaction()?;
        for id in 0..BASELINE_ACCOUNTS {
            opening.execute(
                "INSERT INTO accounts (id, balance) VALUES (?1, ?2)",
                params![id, BASELINE_OPENING_BALANCE],
            )?;
        }
        opening.commit()?;
    }
    let started = Instant::now();
    let mut transactions: u64 = 0;
    // Bounded by the duration: every pass commits one transfer, then checks the clock.
    while started.elapsed() < duration {
        transfer(&mut connection, transactions)?;
        transactions += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    check_sqlite_baseline(&connection, transactions)?;
    Ok(Baseline {
        kind: "sqlite single-transfer commits",
        per_second: transactions as f64 / seconds,
        transactions,
        seconds,
    })
}

/// One transfer, one durable transaction.
fn transfer(connection: &mut Connection, number: u64) -> Result<(), Error> {
    let accounts = BASELINE_ACCOUNTS as u64;
    let from = (number % accounts) as i64;
    let to = ((number + 1) % accounts) as i64;
    let amount = 1 + (number % 100) as i64;
    let reference = format!("transfer-{number}");
    let transaction = connection.transaction()?;
    transaction
        .prepare_cached("INSERT INTO idempotency (reference, created_at) VALUES (?1, ?2)")?
        .execute(params![reference, number as i64])?;
    let mut update =
        transaction.prepare_cached("UPDATE accounts SET balance = balance + ?2 WHERE id = ?1")?;
    update.execute(params![from, -amount])?;
    update.execute(params![to, amount])?;
    drop(update);
    let mut posting = transaction.prepare_cached(
        "INSERT INTO postings (reference, account_id, amount) VALUES (?1, ?2, ?3)",
    )?;
    posting.execute(params![reference, from, -amount])?;
    posting.execute(params![reference, to, amount])?;
    drop(posting);
    transaction.commit()?;
    Ok(())
}

/// The baseline did real work: every transfer is there, and money was neither made nor lost.
fn check_sqlite_baseline(connection: &Connection, transactions: u64) -> Result<(), Error> {
    let (postings, balances): (i64, i64) = connection.query_row(
        "SELECT (SELECT COUNT(*) FROM postings), (SELECT SUM(balance) FROM accounts)",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    assert_eq!(
        postings as u64,
        2 * transactions,
        "two postings per transfer"
    );
    assert_eq!(
        balances,
        BASELINE_ACCOUNTS * BASELINE_OPENING_BALANCE,
        "transfers move money, they neither make nor lose it"
    );
    Ok(())
}

/// Runs pgbench's TPC-B-like script with `clients` clients for `duration` (whole seconds, at
/// least one) against the PostgreSQL server of `url`, in the scratch database
/// [`PGBENCH_DATABASE`], created when missing. Blocking.
pub fn pgbench_baseline(url: &str, clients: u32, duration: Duration) -> Result<Baseline, Error> {
    let server = PostgresUrl::parse(url)?;
    create_database_if_missing(&server, PGBENCH_DATABASE)?;
    let scratch = server.with_database(PGBENCH_DATABASE);
    let seconds = duration.as_secs().max(1);
    pgbench(&scratch, &["-i", "-q", "-s", &PGBENCH_SCALE.to_string()])?;
    let threads = PGBENCH_THREADS.min(clients).max(1);
    let output = pgbench(
        &scratch,
        &[
            "-c",
            &clients.to_string(),
            "-j",
            &threads.to_string(),
            "-T",
            &seconds.to_string(),
            "-n",
        ],
    )?;
    let per_second = parse_pgbench_tps(&output)
        .ok_or_else(|| Error::Pgbench(format!("no tps line in its output:\n{output}")))?;
    let transactions = parse_pgbench_transactions(&output).unwrap_or(0);
    Ok(Baseline {
        kind: "pgbench tpcb-like",
        per_second,
        transactions,
        seconds: seconds as f64,
    })
}

fn create_database_if_missing(server: &PostgresUrl, name: &str) -> Result<(), Error> {
    let mut client = postgres::Client::connect(server.as_str(), postgres::NoTls)?;
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])?
        .is_some();
    if !exists {
        // The name is a constant of this crate, not input, so quoting it is enough.
        client.batch_execute(&format!("CREATE DATABASE \"{name}\""))?;
    }
    Ok(())
}

/// Runs pgbench with `arguments` on `database`, the password (if any) in the environment
/// rather than on the command line, and returns its standard output.
fn pgbench(database: &PostgresUrl, arguments: &[&str]) -> Result<String, Error> {
    let mut command = Command::new("pgbench");
    command.args(arguments).arg(database.without_password());
    if let Some(password) = database.password() {
        command.env("PGPASSWORD", password);
    }
    let output = command.output().map_err(|error| {
        Error::Pgbench(format!(
            "could not run it ({error}); install postgresql-client (Debian) or contrib"
        ))
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(Error::Pgbench(format!(
            "{} failed ({}): {}",
            arguments.first().copied().unwrap_or(""),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(stdout)
}

/// The transactions per second in pgbench's report: the `tps = N (without initial connection
/// time)` line of pgbench 14 and later, or `tps = N (excluding connections establishing)` of
/// earlier versions, or else the first `tps =` line.
pub fn parse_pgbench_tps(output: &str) -> Option<f64> {
    let tps_lines: Vec<&str> = output
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("tps = "))
        .collect();
    let preferred = tps_lines
        .iter()
        .find(|line| line.contains("without initial connection") || line.contains("excluding"))
        .or_else(|| tps_lines.first())?;
    preferred
        .strip_prefix("tps = ")?
        .split_whitespace()
        .next()?
        .parse::<f64>()
        .ok()
        .filter(|tps| tps.is_finite() && *tps >= 0.0)
}

/// The `number of transactions actually processed: N` of pgbench's report.
pub fn parse_pgbench_transactions(output: &str) -> Option<u64> {
    output.lines().find_map(|line| {
        line.trim()
            .strip_prefix("number of transactions actually processed:")?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PGBENCH_15: &str = "pgbench (15.20 (Debian 15.20-0+deb12u1))
transaction type: <builtin: TPC-B (sort of)>
scaling factor: 1
query mode: simple
number of clients: 32
number of threads: 2
maximum number of tries: 1
duration: 5 s
number of transactions actually processed: 5678
number of failed transactions: 0 (0.000%)
latency average = 28.190 ms
initial connection time = 45.123 ms
tps = 1135.165432 (without initial connection time)
";

    const PGBENCH_12: &str = "transaction type: <builtin: TPC-B (sort of)>
number of transactions actually processed: 4000
latency average = 25.000 ms
tps = 1270.5 (including connections establishing)
tps = 1301.25 (excluding connections establishing)
";

    #[test]
    fn the_tps_of_pgbench_15_is_read() {
        assert_eq!(parse_pgbench_tps(PGBENCH_15), Some(1135.165432));
        assert_eq!(parse_pgbench_transactions(PGBENCH_15), Some(5678));
    }

    #[test]
    fn older_pgbench_reports_use_the_tps_without_connection_time() {
        assert_eq!(parse_pgbench_tps(PGBENCH_12), Some(1301.25));
        assert_eq!(parse_pgbench_transactions(PGBENCH_12), Some(4000));
    }

    #[test]
    fn output_without_a_tps_line_gives_nothing() {
        assert_eq!(parse_pgbench_tps(""), None);
        assert_eq!(parse_pgbench_tps("tps = lots\n"), None);
        assert_eq!(parse_pgbench_tps("tps = -3\n"), None);
        assert_eq!(parse_pgbench_transactions("latency average = 1 ms"), None);
    }

    #[test]
    fn the_sqlite_baseline_commits_transfers_and_keeps_the_books_balanced() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("baseline.sqlite");
        let baseline = sqlite_baseline(&path, Duration::from_millis(200)).unwrap();
        assert!(baseline.transactions > 0, "{baseline:?}");
        assert!(baseline.per_second > 0.0, "{baseline:?}");
        let connection = Connection::open(&path).unwrap();
        let transfers: i64 = connection
            .query_row("SELECT COUNT(*) FROM idempotency", [], |row| row.get(0))
            .unwrap();
        assert_eq!(transfers as u64, baseline.transactions);
    }
}
