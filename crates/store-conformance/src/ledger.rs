//! Checks of accounts, the ledger, top-ups, settings and rollback.

use paycode_core::model::{AccountKind, LedgerKind, TopupRecord};
use paycode_core::store::Store;

use super::{
    amount, assert_duplicate, begin, insert, new_merchant, new_user, paid_trade, refund, refunded,
    top_up, NOW,
};

/// A new store has exactly the issuance account, at zero; new accounts start at zero too.
pub fn accounts_start_at_zero_and_the_issuance_account_exists(store: &dyn Store) {
    let mut transaction = begin(store);
    let issuance = transaction.issuance_account().unwrap();
    assert_eq!(transaction.lock_balance(issuance).unwrap(), 0);
    let user = transaction.insert_account(AccountKind::User, NOW).unwrap();
    let merchant = transaction
        .insert_account(AccountKind::Merchant, NOW)
        .unwrap();
    assert!(user != merchant && user != issuance && merchant != issuance);
    assert_eq!(transaction.lock_balance(user).unwrap(), 0);
    assert_eq!(transaction.lock_balance(merchant).unwrap(), 0);
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_eq!(transaction.issuance_account().unwrap(), issuance);
    let totals = transaction.ledger_totals().unwrap();
    assert!(totals.ok(), "{totals:?}");
    assert_eq!((totals.accounts, totals.transactions), (3, 0));
}

/// Postings change balances, in whatever order they are given, and an account's history
/// comes newest first, in pages that continue strictly before a transaction.
pub fn postings_move_balances_and_histories_page_newest_first(store: &dyn Store) {
    let mut transaction = begin(store);
    let issuance = transaction.issuance_account().unwrap();
    let (_, user) = new_user(&mut *transaction, "alice");
    let (_, merchant) = new_merchant(&mut *transaction, "cafe");
    // Given in descending account order on purpose: the store sorts them itself.
    let topup = transaction
        .post_transaction(
            LedgerKind::Topup,
            "topup-1",
            &[(user, 1_000), (issuance, -1_000)],
            NOW,
        )
        .unwrap();
    let payment = transaction
        .post_transaction(
            LedgerKind::Payment,
            "T-1",
            &[(user, -300), (merchant, 300)],
            NOW + 1,
        )
        .unwrap();
    let refund = transaction
        .post_transaction(
            LedgerKind::Refund,
            "R-1",
            &[(merchant, -100), (user, 100)],
            NOW + 2,
        )
        .unwrap();
    transaction.commit().unwrap();
    assert!(topup < payment && payment < refund);

    let mut transaction = begin(store);
    assert_eq!(transaction.lock_balance(user).unwrap(), 800);
    assert_eq!(transaction.lock_balance(merchant).unwrap(), 200);
    assert_eq!(transaction.lock_balance(issuance).unwrap(), -1_000);

    let history = transaction.account_history(user, None, 10).unwrap();
    let summary: Vec<_> = history
        .iter()
        .map(|entry| {
            (
                entry.transaction_id,
                entry.kind.as_str(),
                entry.reference.as_str(),
                entry.amount,
                entry.created_at,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (refund, "refund", "R-1", 100, NOW + 2),
            (payment, "payment", "T-1", -300, NOW + 1),
            (topup, "topup", "topup-1", 1_000, NOW),
        ]
    );

    let first_page = transaction.account_history(user, None, 2).unwrap();
    assert_eq!(first_page, history[..2]);
    let second_page = transaction.account_history(user, Some(payment), 2).unwrap();
    assert_eq!(second_page, history[2..]);
    assert!(transaction
        .account_history(user, Some(topup), 2)
        .unwrap()
        .is_empty());

    let totals = transaction.ledger_totals().unwrap();
    assert!(totals.ok(), "{totals:?}");
    assert_eq!(totals.transactions, 3);
}

/// Balance arithmetic is checked: a posting past `i64::MAX` is an error, and the transaction
/// that made it writes nothing.
pub fn a_posting_that_would_overflow_a_balance_fails_and_changes_nothing(store: &dyn Store) {
    let mut transaction = begin(store);
    let (_, merchant) = new_merchant(&mut *transaction, "cafe");
    top_up(&mut *transaction, merchant, 10, "topup-1");
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    let issuance = transaction.issuance_account().unwrap();
    let overflow = transaction.post_transaction(
        LedgerKind::Topup,
        "topup-2",
        &[(issuance, -i64::MAX), (merchant, i64::MAX)],
        NOW,
    );
    assert!(overflow.is_err(), "{overflow:?}");
    drop(transaction);

    let mut transaction = begin(store);
    assert_eq!(transaction.lock_balance(merchant).unwrap(), 10);
    let totals = transaction.ledger_totals().unwrap();
    assert!(totals.ok(), "{totals:?}");
    assert_eq!(totals.transactions, 1);
}

/// A top-up, a payment and a partial refund recorded as a use case records them leave every
/// invariant holding.
pub fn ledger_totals_hold_after_payments_and_matching_refunds(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, user_account) = new_user(&mut *transaction, "alice");
    let (merchant, merchant_account) = new_merchant(&mut *transaction, "cafe");
    top_up(&mut *transaction, user_account, 1_000, "topup-1");
    let mut trade = insert(
        &mut *transaction,
        paid_trade(merchant, user, "order-1", "T-1"),
    );
    transaction
        .post_transaction(
            LedgerKind::Payment,
            "T-1",
            &[(user_account, -500), (merchant_account, 500)],
            NOW,
        )
        .unwrap();
    transaction
        .insert_refund(&refund(trade.id, "R-1", "refund-1", 200))
        .unwrap();
    transaction
        .post_transaction(
            LedgerKind::Refund,
            "R-1",
            &[(merchant_account, -200), (user_account, 200)],
            NOW,
        )
        .unwrap();
    trade.refunded_amount = refunded(200);
    transaction.update_trade(&trade).unwrap();
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    let totals = transaction.ledger_totals().unwrap();
    assert!(totals.ok(), "{totals:?}");
    assert_eq!(totals.sum_of_balances, 0);
    assert_eq!(totals.sum_of_postings, 0);
    assert_eq!((totals.accounts, totals.transactions), (3, 3));
}

/// A trade whose `refunded_amount` differs from the sum of its refunds is counted, and the
/// ledger is not ok until they agree. (Breaking balances needs access behind the contract, so
/// each backend's own tests do that.)
pub fn ledger_totals_notice_a_trade_whose_refunds_do_not_match(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, _) = new_user(&mut *transaction, "alice");
    let (merchant, _) = new_merchant(&mut *transaction, "cafe");
    let mut trade = insert(
        &mut *transaction,
        paid_trade(merchant, user, "order-1", "T-1"),
    );
    transaction
        .insert_refund(&refund(trade.id, "R-1", "refund-1", 200))
        .unwrap();
    let totals = transaction.ledger_totals().unwrap();
    assert_eq!(totals.trades_with_bad_refunds, 1);
    assert!(!totals.ok());

    trade.refunded_amount = refunded(200);
    transaction.update_trade(&trade).unwrap();
    let totals = transaction.ledger_totals().unwrap();
    assert_eq!(totals.trades_with_bad_refunds, 0);
    assert!(totals.ok(), "{totals:?}");
}

/// A transaction dropped without commit writes nothing: no account, user, posting or setting.
pub fn a_dropped_transaction_leaves_nothing_behind(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, account) = new_user(&mut *transaction, "ghost");
    top_up(&mut *transaction, account, 100, "topup-1");
    transaction.put_setting("ghost", b"boo").unwrap();
    assert!(transaction.user(user).unwrap().is_some());
    drop(transaction);

    let mut transaction = begin(store);
    assert_eq!(transaction.user_by_username("ghost").unwrap(), None);
    assert_eq!(transaction.user(user).unwrap(), None);
    assert_eq!(transaction.setting("ghost").unwrap(), None);
    let totals = transaction.ledger_totals().unwrap();
    assert_eq!((totals.accounts, totals.transactions), (1, 0));
}

/// A read transaction sees everything committed before it began.
pub fn a_read_transaction_sees_what_was_committed_before_it(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, account) = new_user(&mut *transaction, "reader");
    top_up(&mut *transaction, account, 250, "topup-reader");
    transaction.commit().unwrap();

    let mut reading = store.begin_read().expect("a read transaction begins");
    assert_eq!(
        reading.user(user).unwrap().map(|record| record.username),
        Some("reader".to_owned())
    );
    assert_eq!(reading.lock_balance(account).unwrap(), 250);
    assert!(reading.ledger_totals().unwrap().ok());
    reading.commit().unwrap();
}

/// A top-up is found by its reference, and a second one with the same reference is a
/// duplicate.
pub fn a_topup_reference_is_stored_once(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, account) = new_user(&mut *transaction, "alice");
    let issuance = transaction.issuance_account().unwrap();
    let ledger_transaction = transaction
        .post_transaction(
            LedgerKind::Topup,
            "topup-1",
            &[(issuance, -700), (account, 700)],
            NOW,
        )
        .unwrap();
    let topup = TopupRecord {
        reference: "topup-1".to_owned(),
        user_id: user,
        amount: amount(700),
        transaction_id: ledger_transaction,
        created_at: NOW,
    };
    transaction.insert_topup(&topup).unwrap();
    assert_eq!(transaction.topup("topup-1").unwrap(), Some(topup.clone()));
    assert_eq!(transaction.topup("topup-2").unwrap(), None);
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_eq!(transaction.topup("topup-1").unwrap(), Some(topup.clone()));
    assert_duplicate(transaction.insert_topup(&topup));
}

/// Inserting a setting writes it only when the name is new; otherwise it reports a duplicate,
/// keeps the stored value, and leaves the transaction usable.
pub fn an_inserted_setting_never_replaces_one_that_exists(store: &dyn Store) {
    let mut transaction = begin(store);
    transaction
        .insert_setting("code_key.81", &[1, 2, 3])
        .unwrap();
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_duplicate(transaction.insert_setting("code_key.81", &[9]));
    assert_eq!(
        transaction.setting("code_key.81").unwrap(),
        Some(vec![1, 2, 3])
    );
    transaction.insert_setting("code_key.82", &[4]).unwrap();
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_eq!(
        transaction.setting("code_key.81").unwrap(),
        Some(vec![1, 2, 3])
    );
    assert_eq!(transaction.setting("code_key.82").unwrap(), Some(vec![4]));
}

/// A setting is absent until written, and a second write replaces the first.
pub fn settings_are_written_replaced_and_read(store: &dyn Store) {
    let mut transaction = begin(store);
    assert_eq!(transaction.setting("code_key.81").unwrap(), None);
    transaction.put_setting("code_key.81", &[1, 2, 3]).unwrap();
    transaction.put_setting("empty", &[]).unwrap();
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_eq!(
        transaction.setting("code_key.81").unwrap(),
        Some(vec![1, 2, 3])
    );
    assert_eq!(transaction.setting("empty").unwrap(), Some(vec![]));
    transaction.put_setting("code_key.81", &[9]).unwrap();
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_eq!(transaction.setting("code_key.81").unwrap(), Some(vec![9]));
}
