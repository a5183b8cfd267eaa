//! Checks of the bulk forms of the payment path: each reads or writes what the one-row method
//! it names would, for many rows at once.

use paycode_core::clock::start_of_day;
use paycode_core::ids::{AccountId, DeviceId, MerchantId, UserId};
use paycode_core::limits::SPENT_CODE_WINDOW_STEPS;
use paycode_core::model::{DeviceStatus, LedgerKind, NewTrade, TradeRecord};
use paycode_core::store::{
    NewLedgerTransaction, SpentOfflineCode, Store, StoreError, VerificationFailure,
};

use super::{begin, enroll, new_merchant, new_user, paid_trade, top_up, user_paying_trade, NOW};

/// Users, merchants, devices and balances read in bulk are the ones that exist among the ids,
/// exactly as read one by one; devices and balances come in ascending id order, and a
/// balance of an account that does not exist is an error.
pub fn bulk_reads_return_what_the_one_row_reads_return(store: &dyn Store) {
    let mut transaction = begin(store);
    let (alice, alice_account) = new_user(&mut *transaction, "alice");
    let (bob, _) = new_user(&mut *transaction, "bob");
    let (cafe, cafe_account) = new_merchant(&mut *transaction, "cafe");
    let (bakery, _) = new_merchant(&mut *transaction, "bakery");
    top_up(&mut *transaction, alice_account, 700, "topup-1");
    let phone = enroll(&mut *transaction, alice);
    let tablet = enroll(&mut *transaction, bob);
    let watch = enroll(&mut *transaction, alice);
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    let mut users = transaction
        .users(&[bob, UserId(bob.0 + 1_000), alice])
        .unwrap();
    users.sort_by_key(|user| user.id);
    let expected = [alice, bob].map(|id| transaction.user(id).unwrap().unwrap());
    assert_eq!(users, expected);

    let mut merchants = transaction
        .merchants(&[bakery, MerchantId(bakery.0 + 1_000), cafe])
        .unwrap();
    merchants.sort_by_key(|merchant| merchant.id);
    let expected = [cafe, bakery].map(|id| transaction.merchant(id).unwrap().unwrap());
    assert_eq!(merchants, expected);

    let unknown = DeviceId(watch.id.0 + 1_000);
    let devices = transaction
        .lock_devices(&[watch.id, unknown, phone.id, tablet.id, phone.id])
        .unwrap();
    let mut expected = [phone, tablet, watch];
    expected.sort_by_key(|device| device.id);
    assert_eq!(devices, expected);

    let balances = transaction
        .lock_balances(&[cafe_account, alice_account, cafe_account])
        .unwrap();
    assert_eq!(balances, [(alice_account, 700), (cafe_account, 0)]);
    let unknown = AccountId(cafe_account.0 + 1_000);
    let missing = transaction.lock_balances(&[alice_account, unknown]);
    assert!(missing.is_err(), "{missing:?}");
}

/// Trades locked in bulk by `out_trade_no` are the ones each one-row lock finds, and taking
/// the `out_trade_no` locks in bulk, repeated keys and keys without a trade included, works.
pub fn trades_are_locked_in_bulk_by_out_trade_no(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, _) = new_user(&mut *transaction, "alice");
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    let (bakery, _) = new_merchant(&mut *transaction, "bakery");
    for trade in [
        paid_trade(cafe, user, "order-1", "T-1"),
        paid_trade(cafe, user, "order-2", "T-2"),
        paid_trade(bakery, user, "order-1", "T-3"),
    ] {
        transaction.insert_trade(&trade).unwrap();
    }
    transaction.commit().unwrap();

    let keys = [
        (cafe, "order-2".to_owned()),
        (bakery, "order-1".to_owned()),
        (cafe, "order-3".to_owned()),
        (cafe, "order-1".to_owned()),
        (cafe, "order-2".to_owned()),
    ];
    let mut transaction = begin(store);
    transaction.lock_out_trade_nos(&keys).unwrap();
    let mut trades = transaction
        .lock_trades_by_out_trade_nos(&keys[..4])
        .unwrap();
    trades.sort_by_key(|trade| trade.id);
    let mut expected: Vec<TradeRecord> = keys[..4]
        .iter()
        .filter_map(|(merchant, out_trade_no)| {
            transaction
                .lock_trade_by_out_trade_no(*merchant, out_trade_no)
                .unwrap()
        })
        .collect();
    expected.sort_by_key(|trade| trade.id);
    assert_eq!(expected.len(), 3);
    assert_eq!(trades, expected);
    transaction.commit().unwrap();
}

/// The pin-free totals of many users for a day are each user's own total of that day, 0 for a
/// user without pin-free payments that day.
pub fn pin_free_totals_in_bulk_match_each_users_total(store: &dyn Store) {
    let today = start_of_day(NOW);
    let yesterday = today - 86_400_000;
    let mut transaction = begin(store);
    let (alice, _) = new_user(&mut *transaction, "alice");
    let (bob, _) = new_user(&mut *transaction, "bob");
    let (carol, _) = new_user(&mut *transaction, "carol");
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    let earlier = NewTrade {
        paid_at: Some(yesterday + 10_000),
        ..paid_trade(cafe, alice, "order-1", "T-1")
    };
    let with_pin = NewTrade {
        pin_free: false,
        ..paid_trade(cafe, carol, "order-4", "T-4")
    };
    for trade in [
        earlier,
        paid_trade(cafe, alice, "order-2", "T-2"),
        paid_trade(cafe, alice, "order-5", "T-5"),
        paid_trade(cafe, bob, "order-3", "T-3"),
        with_pin,
    ] {
        transaction.insert_trade(&trade).unwrap();
    }
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    for day in [yesterday, today, today + 86_400_000] {
        let mut totals = transaction
            .pin_free_totals_of_day(&[carol, alice, bob, alice], day)
            .unwrap();
        totals.sort();
        let expected: Vec<_> = [alice, bob, carol]
            .into_iter()
            .map(|user| (user, transaction.pin_free_total_of_day(user, day).unwrap()))
            .collect();
        assert_eq!(totals, expected, "day {day}");
    }
    let mut totals = transaction
        .pin_free_totals_of_day(&[alice, bob, carol], today)
        .unwrap();
    totals.sort();
    assert_eq!(totals, [(alice, 1_000), (bob, 500), (carol, 0)]);
    let totals = transaction
        .pin_free_totals_of_day(&[alice], yesterday)
        .unwrap();
    assert_eq!(totals, [(alice, 500)]);
}

/// Offline codes spent in bulk are spent as if one by one, and read back per device over the
/// window of steps from a step on; a batch with a code spent before is a conflict, and its transaction keeps none.
pub fn offline_codes_are_spent_and_read_back_in_bulk(store: &dyn Store) {
    let code = |device: DeviceId, step, index| SpentOfflineCode {
        device,
        step,
        index,
    };
    let window = |first: u64| first..first + SPENT_CODE_WINDOW_STEPS;
    let sorted = |mut codes: Vec<SpentOfflineCode>| {
        codes.sort_by_key(|code| (code.device, code.step, code.index));
        codes
    };
    let mut transaction = begin(store);
    let (user, _) = new_user(&mut *transaction, "alice");
    let phone = enroll(&mut *transaction, user).id;
    let tablet = enroll(&mut *transaction, user).id;
    let spent = [
        code(phone, 101, 0),
        code(phone, 100, 9),
        code(tablet, 99, 1),
        code(phone, 100, 0),
        code(tablet, 100, 0),
    ];
    transaction.spend_offline_codes(&spent, NOW).unwrap();
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    for spent_code in spent {
        assert!(!transaction
            .spend_offline_code(spent_code.device, spent_code.step, spent_code.index, NOW)
            .unwrap());
    }
    let found = transaction
        .spent_offline_codes_in(&[(phone, window(100)), (tablet, window(100))])
        .unwrap();
    assert_eq!(
        sorted(found),
        sorted(vec![
            code(phone, 100, 0),
            code(phone, 100, 9),
            code(phone, 101, 0),
            code(tablet, 100, 0)
        ])
    );
    let found = transaction
        .spent_offline_codes_in(&[(phone, window(101)), (tablet, u64::MAX..u64::MAX)])
        .unwrap();
    assert_eq!(found, [code(phone, 101, 0)]);
    drop(transaction);

    let mut transaction = begin(store);
    let again = transaction.spend_offline_codes(&[code(phone, 102, 0), code(phone, 100, 0)], NOW);
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    drop(transaction);
    let mut transaction = begin(store);
    assert!(transaction
        .spent_offline_codes_in(&[(phone, window(102))])
        .unwrap()
        .is_empty());
    drop(transaction);

    // Only the window of steps a code can verify in is read: a code spent at its end is found
    // from the step after, not from the step before.
    let late = code(phone, 100 + SPENT_CODE_WINDOW_STEPS, 0);
    let mut transaction = begin(store);
    transaction.spend_offline_codes(&[late], NOW).unwrap();
    transaction.commit().unwrap();
    let mut transaction = begin(store);
    let from_hundred = transaction
        .spent_offline_codes_in(&[(phone, window(100))])
        .unwrap();
    assert!(!from_hundred.contains(&late), "{from_hundred:?}");
    assert!(from_hundred.contains(&code(phone, 101, 0)));
    let from_next = transaction
        .spent_offline_codes_in(&[(phone, window(101))])
        .unwrap();
    assert!(from_next.contains(&late), "{from_next:?}");
    // A shorter window reads only its own steps.
    let narrow = transaction
        .spent_offline_codes_in(&[(phone, 100..101)])
        .unwrap();
    assert_eq!(sorted(narrow), [code(phone, 100, 0), code(phone, 100, 9)]);
}

/// Devices updated in bulk read back as updated; updating a device that does not exist is an
/// error. Verification failures are recorded in bulk, with or without a device.
pub fn devices_are_updated_and_failures_recorded_in_bulk(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, _) = new_user(&mut *transaction, "alice");
    let (merchant, _) = new_merchant(&mut *transaction, "cafe");
    let mut phone = enroll(&mut *transaction, user);
    let mut tablet = enroll(&mut *transaction, user);
    let untouched = enroll(&mut *transaction, user);
    transaction.commit().unwrap();

    phone.failed_attempts = 0;
    phone.locked_until = None;
    phone.drift_steps = 1;
    phone.last_used_at = Some(NOW + 1);
    tablet.status = DeviceStatus::Revoked;
    tablet.name = None;
    tablet.secret.nonce = vec![9; 12];
    let mut transaction = begin(store);
    transaction
        .update_devices(&[tablet.clone(), phone.clone()])
        .unwrap();
    transaction
        .insert_verification_failures(&[
            VerificationFailure {
                device: Some(phone.id),
                merchant,
                reason: "otp_mismatch".into(),
                at: NOW,
            },
            VerificationFailure {
                device: None,
                merchant,
                reason: "unknown_prefix".into(),
                at: NOW + 1,
            },
        ])
        .unwrap();
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_eq!(transaction.device(phone.id).unwrap(), Some(phone.clone()));
    assert_eq!(transaction.device(tablet.id).unwrap(), Some(tablet));
    assert_eq!(transaction.device(untouched.id).unwrap(), Some(untouched));
    let mut ghost = phone.clone();
    ghost.id = DeviceId(phone.id.0 + 1_000);
    phone.drift_steps = 2;
    let missing = transaction.update_devices(&[phone, ghost]);
    assert!(missing.is_err(), "{missing:?}");
}

/// Ledger transactions posted in bulk move the balances as one-by-one posting would, get
/// ascending ids in the order given, and leave every invariant holding; an unknown account or
/// a balance past `i64` is an error, and that transaction keeps nothing.
pub fn ledger_transactions_are_posted_in_bulk_in_order(store: &dyn Store) {
    let mut transaction = begin(store);
    let issuance = transaction.issuance_account().unwrap();
    let (_, alice) = new_user(&mut *transaction, "alice");
    let (_, cafe) = new_merchant(&mut *transaction, "cafe");
    let (_, bakery) = new_merchant(&mut *transaction, "bakery");
    let posted = |kind, reference: &str, postings: &[(AccountId, i64)]| NewLedgerTransaction {
        kind,
        reference: reference.to_owned(),
        postings: postings.to_vec(),
        created_at: NOW,
    };
    let batch = [
        posted(
            LedgerKind::Topup,
            "topup-1",
            &[(alice, 1_000), (issuance, -1_000)],
        ),
        posted(LedgerKind::Payment, "T-1", &[(cafe, 300), (alice, -300)]),
        posted(LedgerKind::Payment, "T-2", &[(alice, -200), (bakery, 200)]),
        posted(LedgerKind::Refund, "R-1", &[(cafe, -100), (alice, 100)]),
    ];
    let ids = transaction.post_transactions(&batch).unwrap();
    assert_eq!(ids.len(), batch.len());
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
    let after = transaction
        .post_transaction(LedgerKind::Payment, "T-3", &[(alice, -1), (cafe, 1)], NOW)
        .unwrap();
    assert!(after > ids[3]);
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_eq!(
        transaction
            .lock_balances(&[issuance, alice, cafe, bakery])
            .unwrap(),
        [(issuance, -1_000), (alice, 599), (cafe, 201), (bakery, 200)]
    );
    let history: Vec<_> = transaction
        .account_history(alice, None, 10)
        .unwrap()
        .into_iter()
        .map(|entry| (entry.transaction_id, entry.reference, entry.amount))
        .collect();
    let expected: Vec<_> = [
        (after, "T-3", -1),
        (ids[3], "R-1", 100),
        (ids[2], "T-2", -200),
        (ids[1], "T-1", -300),
        (ids[0], "topup-1", 1_000),
    ]
    .into_iter()
    .map(|(id, reference, amount)| (id, reference.to_owned(), amount))
    .collect();
    assert_eq!(history, expected);
    let totals = transaction.ledger_totals().unwrap();
    assert!(totals.ok(), "{totals:?}");
    assert_eq!(totals.transactions, 5);
    drop(transaction);

    let unknown = AccountId(bakery.0 + 1_000);
    let overflowing = [
        posted(LedgerKind::Topup, "topup-2", &[(issuance, -5), (cafe, 5)]),
        posted(
            LedgerKind::Topup,
            "topup-3",
            &[(issuance, -i64::MAX), (cafe, i64::MAX)],
        ),
    ];
    let unknown_account = [posted(
        LedgerKind::Payment,
        "T-4",
        &[(alice, -1), (unknown, 1)],
    )];
    for batch in [&overflowing[..], &unknown_account[..]] {
        let mut transaction = begin(store);
        let failed = transaction.post_transactions(batch);
        assert!(failed.is_err(), "{failed:?}");
    }
    let mut transaction = begin(store);
    assert_eq!(
        transaction.lock_balances(&[alice, cafe]).unwrap(),
        [(alice, 599), (cafe, 201)]
    );
    let totals = transaction.ledger_totals().unwrap();
    assert!(totals.ok(), "{totals:?}");
    assert_eq!(totals.transactions, 5);
}

/// Trades inserted in bulk get their ids in the order given and read back exactly; a batch
/// with an `out_trade_no` the merchant has is a duplicate of it.
pub fn trades_are_inserted_in_bulk_in_order(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, _) = new_user(&mut *transaction, "alice");
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    let (bakery, _) = new_merchant(&mut *transaction, "bakery");
    let trades = [
        paid_trade(cafe, user, "order-1", "T-1"),
        user_paying_trade(cafe, user, "order-2", NOW + 60_000),
        paid_trade(bakery, user, "order-1", "T-3"),
    ];
    let ids = transaction.insert_trades(&trades).unwrap();
    assert_eq!(ids.len(), trades.len());
    for (trade, id) in trades.into_iter().zip(ids) {
        let found = transaction.lock_trade_by_trade_no(&trade.trade_no).unwrap();
        assert_eq!(found, Some(trade.stored(id)));
    }
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    let duplicate = transaction.insert_trades(&[
        paid_trade(cafe, user, "order-3", "T-4"),
        paid_trade(cafe, user, "order-1", "T-5"),
    ]);
    assert!(
        matches!(duplicate, Err(StoreError::Duplicate("out_trade_no"))),
        "{duplicate:?}"
    );
    drop(transaction);
    let mut transaction = begin(store);
    assert_eq!(transaction.lock_trade_by_trade_no("T-4").unwrap(), None);
    assert_eq!(transaction.lock_trade_by_trade_no("T-5").unwrap(), None);
}

/// Every bulk method takes an empty batch, returns nothing and writes nothing.
pub fn empty_bulk_calls_do_nothing(store: &dyn Store) {
    let mut transaction = begin(store);
    transaction.lock_out_trade_nos(&[]).unwrap();
    assert!(transaction
        .lock_trades_by_out_trade_nos(&[])
        .unwrap()
        .is_empty());
    assert!(transaction.lock_devices(&[]).unwrap().is_empty());
    assert!(transaction.spent_offline_codes_in(&[]).unwrap().is_empty());
    assert!(transaction.users(&[]).unwrap().is_empty());
    assert!(transaction.lock_balances(&[]).unwrap().is_empty());
    assert!(transaction
        .pin_free_totals_of_day(&[], start_of_day(NOW))
        .unwrap()
        .is_empty());
    assert!(transaction.merchants(&[]).unwrap().is_empty());
    transaction.spend_offline_codes(&[], NOW).unwrap();
    transaction.update_devices(&[]).unwrap();
    transaction.insert_verification_failures(&[]).unwrap();
    assert!(transaction.post_transactions(&[]).unwrap().is_empty());
    assert!(transaction.insert_trades(&[]).unwrap().is_empty());
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    let totals = transaction.ledger_totals().unwrap();
    assert!(totals.ok(), "{totals:?}");
    assert_eq!((totals.accounts, totals.transactions), (1, 0));
}
