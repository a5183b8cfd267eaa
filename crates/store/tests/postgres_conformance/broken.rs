//! Data broken behind the store's back: a ledger the check must notice, and stored values
//! this program never writes.

use paycode_core::model::RefundRecord;
use paycode_core::money::Refunded;

use super::*;

// The ledger check, against a ledger broken behind the store's back.

/// Sets up a ledger with one top-up, then lets `corrupt` change it with a raw connection.
fn ledger_broken_by(corrupt: &str) -> Option<LedgerTotals> {
    let fixture = fresh_store()?;
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

    fixture.schema.raw().batch_execute(corrupt).unwrap();
    let mut transaction = fixture.store.begin().unwrap();
    let totals = transaction.ledger_totals().unwrap();
    assert!(!totals.ok(), "{totals:?}");
    Some(totals)
}

#[test]
fn ledger_totals_detect_a_balance_changed_behind_the_ledgers_back() {
    let Some(totals) =
        ledger_broken_by("UPDATE accounts SET balance = balance + 1 WHERE kind = 'merchant'")
    else {
        return;
    };
    assert_eq!(totals.sum_of_balances, 1);
    assert_eq!(totals.accounts_not_matching_postings, 1);
    assert_eq!(totals.sum_of_postings, 0);
}

#[test]
fn ledger_totals_detect_an_unbalanced_transaction() {
    let Some(totals) = ledger_broken_by("UPDATE postings SET amount = amount * 2 WHERE amount > 0")
    else {
        return;
    };
    assert_eq!(totals.unbalanced_transactions, 1);
    assert_eq!(totals.sum_of_postings, 10);
    assert_eq!(totals.accounts_not_matching_postings, 1);
    assert_eq!(totals.sum_of_balances, 0);
}

#[test]
fn ledger_totals_sum_balances_past_i64_without_overflowing() {
    let Some(totals) = ledger_broken_by(
        "UPDATE accounts SET balance = 9223372036854775807 WHERE kind = 'merchant';
         INSERT INTO accounts (kind, balance, created_at) VALUES ('merchant', 9223372036854775807, 1);",
    ) else {
        return;
    };
    assert_eq!(totals.sum_of_balances, 2 * i128::from(i64::MAX) - 10);
    assert_eq!(totals.accounts_not_matching_postings, 2);
}

// Stored values this program never writes, put there behind the store's back.

/// Enrolls a device, lets `corrupt` change its row with a raw connection (after dropping the
/// schema's checks, which would refuse it), and reads the device back.
fn device_broken_by(corrupt: &str) -> Option<StoreResult<Option<DeviceRecord>>> {
    let fixture = fresh_store()?;
    let mut transaction = fixture.store.begin().unwrap();
    let (user, _) = new_user(&mut *transaction, "alice");
    let device = enroll(&mut *transaction, user);
    transaction.commit().unwrap();

    fixture
        .schema
        .raw()
        .batch_execute(&format!(
            "ALTER TABLE devices DROP CONSTRAINT devices_status_known,
                 DROP CONSTRAINT devices_failed_attempts_in_range;
             {corrupt}"
        ))
        .unwrap();
    let mut transaction = fixture.store.begin().unwrap();
    let read = transaction.device(device);
    Some(read)
}

#[test]
fn a_stored_status_this_program_never_writes_is_corrupt() {
    let Some(read) = device_broken_by("UPDATE devices SET status = 'melted'") else {
        return;
    };
    assert!(
        matches!(&read, Err(StoreError::Other(message)) if message.contains("device status")),
        "{read:?}"
    );
}

#[test]
fn a_stored_count_out_of_range_is_corrupt() {
    let Some(read) = device_broken_by("UPDATE devices SET failed_attempts = -1") else {
        return;
    };
    assert!(
        matches!(&read, Err(StoreError::Other(message)) if message.contains("failed_attempts")),
        "{read:?}"
    );
}

/// Stores a paid trade of 500 and a refund of 200 of it, lets `corrupt` change their rows with
/// a raw connection (after dropping the schema's checks on amounts, which would refuse it),
/// and reads the trade and its refunds back.
fn amounts_broken_by(corrupt: &str) -> Option<StoreResult<(TradeRecord, Vec<RefundRecord>)>> {
    let fixture = fresh_store()?;
    let mut transaction = fixture.store.begin().unwrap();
    let (user, _) = new_user(&mut *transaction, "alice");
    let (merchant, _) = new_merchant(&mut *transaction, "cafe");
    let new = trade(merchant, user, "order-1", "T-1");
    let mut stored = new.clone().stored(transaction.insert_trade(&new).unwrap());
    transaction
        .insert_refund(&RefundRecord {
            refund_no: "R-1".to_owned(),
            trade_id: stored.id,
            out_refund_no: "refund-1".to_owned(),
            amount: Amount::new(200).unwrap(),
            reason: None,
            created_at: NOW,
        })
        .unwrap();
    stored.refunded_amount = Refunded::new(200).unwrap();
    transaction.update_trade(&stored).unwrap();
    transaction.commit().unwrap();

    fixture
        .schema
        .raw()
        .batch_execute(&format!(
            "ALTER TABLE trades DROP CONSTRAINT trades_amount_positive,
                 DROP CONSTRAINT trades_refunded_amount_in_range;
             ALTER TABLE refunds DROP CONSTRAINT refunds_amount_positive;
             {corrupt}"
        ))
        .unwrap();
    let mut transaction = fixture.store.begin().unwrap();
    let read = transaction.lock_trade_by_trade_no("T-1").and_then(|trade| {
        let trade = trade.expect("the trade is stored");
        let refunds = transaction.refunds_of_trade(trade.id)?;
        Ok((trade, refunds))
    });
    Some(read)
}

#[test]
fn stored_amounts_read_back_as_written() {
    let Some(read) = amounts_broken_by("") else {
        return;
    };
    let (trade, refunds) = read.unwrap();
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
        let Some(read) = amounts_broken_by(corrupt) else {
            return;
        };
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
        let Some(read) = amounts_broken_by(corrupt) else {
            return;
        };
        assert!(
            matches!(&read, Err(StoreError::Other(message)) if message.contains("refunded amount")),
            "{corrupt}: {read:?}"
        );
    }
}
