//! The conformance suite against SQLite, in a temporary file and in memory, plus what only a
//! file-backed SQLite store can show: durability across reopening, migrations applied once,
//! a ledger broken behind the store's back, file permissions, and a lock held by another
//! process.

use std::path::{Path, PathBuf};

use paycode_core::model::{
    AccountKind, DeviceRecord, DeviceStatus, LedgerKind, NewTrade, RefundRecord, SealedSecret,
    TradeRecord, TradeStatus,
};
use paycode_core::money::{Amount, Refunded};
use paycode_core::store::{Store, StoreError, StoreResult};
use paycode_core::text::Reference;
use paycode_otp::Algorithm;
use paycode_store::SqliteStore;
use rusqlite::Connection;
use tempfile::TempDir;

/// A store in a fresh temporary directory, which is removed after the store is closed.
struct TempSqlite {
    store: SqliteStore,
    directory: TempDir,
}

impl TempSqlite {
    fn path(&self) -> PathBuf {
        database_path(self.directory.path())
    }
}

impl AsRef<dyn Store> for TempSqlite {
    fn as_ref(&self) -> &(dyn Store + 'static) {
        &self.store
    }
}

fn database_path(directory: &Path) -> PathBuf {
    directory.join("paycode.sqlite3")
}

fn temp_file_store() -> TempSqlite {
    let directory = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&database_path(directory.path())).unwrap();
    TempSqlite { store, directory }
}

mod file {
    paycode_store_conformance::conformance_tests!(super::temp_file_store);
}

mod memory {
    paycode_store_conformance::conformance_tests!(
        || paycode_store::SqliteStore::open_in_memory().unwrap()
    );
}

#[test]
fn committed_data_survives_reopening_the_store() {
    let directory = tempfile::tempdir().unwrap();
    let path = database_path(directory.path());
    let store = SqliteStore::open(&path).unwrap();
    let mut transaction = store.begin().unwrap();
    let account = transaction.insert_account(AccountKind::User, 1).unwrap();
    transaction
        .insert_user("alice", "hash", account, 1)
        .unwrap();
    transaction.put_setting("code_key.81", b"sealed").unwrap();
    transaction.commit().unwrap();
    drop(store);

    let store = SqliteStore::open(&path).unwrap();
    let mut transaction = store.begin().unwrap();
    let alice = transaction.user_by_username("alice").unwrap().unwrap();
    assert_eq!(alice.account_id, account);
    assert_eq!(
        transaction.setting("code_key.81").unwrap().as_deref(),
        Some(&b"sealed"[..])
    );
}

#[test]
fn reopening_applies_each_migration_once_and_keeps_one_issuance_account() {
    let fixture = temp_file_store();
    drop(SqliteStore::open(&fixture.path()).unwrap());
    drop(SqliteStore::open(&fixture.path()).unwrap());
    let raw = Connection::open(fixture.path()).unwrap();
    let (recorded, distinct, last): (i64, i64, i64) = raw
        .query_row(
            "SELECT count(*), count(DISTINCT version), max(version) FROM schema_migrations",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    assert!(last >= 2, "every migration was applied");
    assert_eq!((recorded, distinct), (last, last), "each migration once");
    let issuance: i64 = raw
        .query_row(
            "SELECT count(*) FROM accounts WHERE kind = 'issuance'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(issuance, 1);
}

#[test]
fn the_database_uses_a_write_ahead_log() {
    let fixture = temp_file_store();
    let raw = Connection::open(fixture.path()).unwrap();
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[cfg(unix)]
#[test]
fn the_database_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let fixture = temp_file_store();
    let mode = std::fs::metadata(fixture.path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// Commits never checkpoint the write-ahead log (the payment path does not wait for it): the
/// store's own thread copies it into the database file within a second or so.
#[test]
fn the_log_reaches_the_database_file_by_the_checkpoint_thread_not_by_the_commit() {
    let fixture = temp_file_store();
    let path = database_path(fixture.directory.path());
    let size = || std::fs::metadata(&path).unwrap().len();
    let before = size();
    // Some 5,000 pages: past SQLite's default of a checkpoint at 1,000.
    for number in 0..50 {
        let mut transaction = fixture.store.begin().unwrap();
        transaction
            .put_setting(&format!("filler-{number}"), &vec![7_u8; 400_000])
            .unwrap();
        transaction.commit().unwrap();
    }
    assert_eq!(size(), before, "a commit checkpointed the log");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while size() < 20_000_000 {
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint in 10 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_database_in_a_missing_directory_is_unavailable() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("missing").join("paycode.sqlite3");
    assert!(matches!(
        SqliteStore::open(&path),
        Err(StoreError::Unavailable(_))
    ));
}

/// Sets up a ledger with one payment, then lets `corrupt` change it with a raw connection.
fn ledger_broken_by(corrupt: &str) -> paycode_core::model::LedgerTotals {
    let fixture = temp_file_store();
    let mut transaction = fixture.store.begin().unwrap();
    let issuance = transaction.issuance_account().unwrap();
    let merchant = transaction
        .insert_account(AccountKind::Merchant, 1)
        .unwrap();
    transaction
        .post_transaction(
            LedgerKind::Topup,
            "topup-1",
            &[(issuance, -10), (merchant, 10)],
            1,
        )
        .unwrap();
    transaction.commit().unwrap();

    Connection::open(fixture.path())
        .unwrap()
        .execute_batch(corrupt)
        .unwrap();
    let mut transaction = fixture.store.begin().unwrap();
    let totals = transaction.ledger_totals().unwrap();
    assert!(!totals.ok(), "{totals:?}");
    totals
}

#[test]
fn ledger_totals_detect_a_balance_changed_behind_the_ledgers_back() {
    let totals =
        ledger_broken_by("UPDATE accounts SET balance = balance + 1 WHERE kind = 'merchant'");
    assert_eq!(totals.sum_of_balances, 1);
    assert_eq!(totals.accounts_not_matching_postings, 1);
    assert_eq!(totals.sum_of_postings, 0);
}

#[test]
fn ledger_totals_detect_an_unbalanced_transaction() {
    let totals = ledger_broken_by("UPDATE postings SET amount = amount * 2 WHERE amount > 0");
    assert_eq!(totals.unbalanced_transactions, 1);
    assert_eq!(totals.sum_of_postings, 10);
    assert_eq!(totals.accounts_not_matching_postings, 1);
    assert_eq!(totals.sum_of_balances, 0);
}

#[test]
fn ledger_totals_sum_balances_past_i64_without_overflowing() {
    let totals = ledger_broken_by(
        "UPDATE accounts SET balance = 9223372036854775807 WHERE kind = 'merchant';
         INSERT INTO accounts (kind, balance, created_at) VALUES ('merchant', 9223372036854775807, 1);",
    );
    assert_eq!(totals.sum_of_balances, 2 * i128::from(i64::MAX) - 10);
    assert_eq!(totals.accounts_not_matching_postings, 2);
}

/// Stores a device, lets `corrupt` change its row with a raw connection (which ignores the
/// schema's checks, as they would refuse it), and reads the device back.
fn device_broken_by(corrupt: &str) -> StoreResult<Option<DeviceRecord>> {
    let fixture = temp_file_store();
    let mut transaction = fixture.store.begin().unwrap();
    let account = transaction.insert_account(AccountKind::User, 1).unwrap();
    let user = transaction
        .insert_user("alice", "hash", account, 1)
        .unwrap();
    let id = transaction.allocate_device_slot().unwrap();
    transaction
        .insert_device(&DeviceRecord {
            id,
            user_id: user,
            name: None,
            algorithm: Algorithm::Sha1,
            period_seconds: 30,
            secret: SealedSecret {
                key_id: 1,
                nonce: vec![1; 12],
                ciphertext: vec![2; 36],
            },
            status: DeviceStatus::Active,
            failed_attempts: 0,
            locked_until: None,
            drift_steps: 0,
            created_at: 1,
            last_used_at: None,
        })
        .unwrap();
    transaction.commit().unwrap();

    Connection::open(fixture.path())
        .unwrap()
        .execute_batch(&format!("PRAGMA ignore_check_constraints = ON; {corrupt}"))
        .unwrap();
    let mut transaction = fixture.store.begin().unwrap();
    transaction.device(id)
}

#[test]
fn a_stored_status_this_program_never_writes_is_corrupt() {
    let read = device_broken_by("UPDATE devices SET status = 'melted'");
    assert!(
        matches!(&read, Err(StoreError::Other(message)) if message.contains("device status")),
        "{read:?}"
    );
}

#[test]
fn a_stored_count_out_of_range_is_corrupt() {
    let read = device_broken_by("UPDATE devices SET failed_attempts = -1");
    assert!(
        matches!(&read, Err(StoreError::Other(message)) if message.contains("failed_attempts")),
        "{read:?}"
    );
}

/// Stores a paid trade of 500 and a refund of 200 of it, lets `corrupt` change their rows with
/// a raw connection (which ignores the schema's checks, as they would refuse it), and reads
/// the trade and its refunds back.
fn amounts_broken_by(corrupt: &str) -> StoreResult<(TradeRecord, Vec<RefundRecord>)> {
    let fixture = temp_file_store();
    let mut transaction = fixture.store.begin().unwrap();
    let user_account = transaction.insert_account(AccountKind::User, 1).unwrap();
    let user = transaction
        .insert_user("alice", "hash", user_account, 1)
        .unwrap();
    let merchant_account = transaction
        .insert_account(AccountKind::Merchant, 1)
        .unwrap();
    let merchant = transaction
        .insert_merchant("cafe", merchant_account, 1)
        .unwrap();
    let new = NewTrade {
        trade_no: "T-1".to_owned(),
        merchant_id: merchant,
        user_id: user,
        out_trade_no: Reference::parse("out_trade_no", "order-1").unwrap(),
        auth_code_hash: vec![0xA5; 32],
        amount: Amount::new(500).unwrap(),
        status: TradeStatus::Success,
        subject: None,
        terminal_id: None,
        pin_free: true,
        created_at: 1,
        paid_at: Some(1),
        confirm_deadline: None,
    };
    let mut stored = new.clone().stored(transaction.insert_trade(&new).unwrap());
    transaction
        .insert_refund(&RefundRecord {
            refund_no: "R-1".to_owned(),
            trade_id: stored.id,
            out_refund_no: "refund-1".to_owned(),
            amount: Amount::new(200).unwrap(),
            reason: None,
            created_at: 1,
        })
        .unwrap();
    stored.refunded_amount = Refunded::new(200).unwrap();
    transaction.update_trade(&stored).unwrap();
    transaction.commit().unwrap();

    Connection::open(fixture.path())
        .unwrap()
        .execute_batch(&format!("PRAGMA ignore_check_constraints = ON; {corrupt}"))
        .unwrap();
    let mut transaction = fixture.store.begin().unwrap();
    let trade = transaction
        .lock_trade_by_trade_no("T-1")?
        .expect("the trade is stored");
    let refunds = transaction.refunds_of_trade(trade.id)?;
    Ok((trade, refunds))
}

#[test]
fn stored_amounts_read_back_as_written() {
    let (trade, refunds) = amounts_broken_by("").unwrap();
    assert_eq!(
        (trade.amount.minor(), trade.refunded_amount.minor()),
        (500, 200)
    );
    assert_eq!(refunds[0].amount.minor(), 200);
}

#[test]
fn a_stored_amount_that_is_not_positive_is_corrupt() {
    for corrupt in [
        "UPDATE trades SET amount = 0, refunded_amount = 0",
        "UPDATE trades SET amount = -500, refunded_amount = 0",
        "UPDATE refunds SET amount = 0",
    ] {
        let read = amounts_broken_by(corrupt);
        assert!(
            matches!(&read, Err(StoreError::Other(message)) if message.contains("amount not positive")),
            "{corrupt}: {read:?}"
        );
    }
}

#[test]
fn a_stored_refunded_amount_that_is_negative_or_above_the_trades_is_corrupt() {
    for corrupt in [
        "UPDATE trades SET refunded_amount = -1",
        "UPDATE trades SET refunded_amount = 501",
    ] {
        let read = amounts_broken_by(corrupt);
        assert!(
            matches!(&read, Err(StoreError::Other(message)) if message.contains("refunded amount")),
            "{corrupt}: {read:?}"
        );
    }
}

#[test]
fn a_user_balance_below_zero_is_refused_by_the_schema() {
    let fixture = temp_file_store();
    let mut transaction = fixture.store.begin().unwrap();
    let issuance = transaction.issuance_account().unwrap();
    let user = transaction.insert_account(AccountKind::User, 1).unwrap();
    let overdraw =
        transaction.post_transaction(LedgerKind::Payment, "T-1", &[(issuance, 5), (user, -5)], 1);
    assert!(
        matches!(overdraw, Err(StoreError::Other(_))),
        "{overdraw:?}"
    );
}

#[test]
fn a_write_lock_held_by_another_process_is_a_conflict() {
    let fixture = temp_file_store();
    let other_process = Connection::open(fixture.path()).unwrap();
    other_process.execute_batch("BEGIN IMMEDIATE").unwrap();
    assert!(matches!(
        fixture.store.begin().map(|_| ()),
        Err(StoreError::Conflict(_))
    ));
    other_process.execute_batch("ROLLBACK").unwrap();
    assert!(fixture.store.begin().is_ok());
}

/// On a file, reads run on their own connections: a reader does not wait for an open write
/// transaction, and does not see its uncommitted writes.
#[test]
fn a_reader_runs_beside_an_open_writer_and_sees_only_committed_data() {
    let directory = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&directory.path().join("paycode.sqlite")).unwrap();
    let mut writer = store.begin().unwrap();
    writer.put_setting("uncommitted", b"x").unwrap();
    let mut reader = store
        .begin_read()
        .expect("a reader does not wait for the writer");
    assert_eq!(reader.setting("uncommitted").unwrap(), None);
    assert!(
        reader.put_setting("from-reader", b"y").is_err(),
        "a read-only connection refuses writes"
    );
    drop(reader);
    writer.commit().unwrap();
    let mut reader = store.begin_read().unwrap();
    assert_eq!(reader.setting("uncommitted").unwrap(), Some(b"x".to_vec()));
}
