//! Checks of trades and refunds.

use paycode_core::clock::{start_of_day, UnixMillis};
use paycode_core::ids::TradeId;
use paycode_core::model::{NewTrade, RefundRecord, TradeRecord, TradeStatus};
use paycode_core::store::Store;

use super::{
    amount, assert_duplicate, begin, insert, new_merchant, new_user, paid_trade, refund, refunded,
    user_paying_trade, NOW,
};

/// A merchant's `out_trade_no` is a duplicate the second time; another merchant may use the
/// same one.
pub fn out_trade_no_is_unique_per_merchant(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, _) = new_user(&mut *transaction, "alice");
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    let (bakery, _) = new_merchant(&mut *transaction, "bakery");
    transaction.lock_out_trade_no(cafe, "order-1").unwrap();
    transaction
        .insert_trade(&paid_trade(cafe, user, "order-1", "T-1"))
        .unwrap();
    transaction.lock_out_trade_no(bakery, "order-1").unwrap();
    transaction
        .insert_trade(&paid_trade(bakery, user, "order-1", "T-2"))
        .unwrap();
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    transaction.lock_out_trade_no(cafe, "order-1").unwrap();
    assert_duplicate(transaction.insert_trade(&paid_trade(cafe, user, "order-1", "T-3")));
    drop(transaction);

    let mut transaction = begin(store);
    let cafe_trade = transaction
        .lock_trade_by_out_trade_no(cafe, "order-1")
        .unwrap()
        .unwrap();
    let bakery_trade = transaction
        .lock_trade_by_out_trade_no(bakery, "order-1")
        .unwrap()
        .unwrap();
    assert_eq!(
        (cafe_trade.trade_no.as_str(), bakery_trade.trade_no.as_str()),
        ("T-1", "T-2")
    );
    assert_eq!(transaction.lock_trade_by_trade_no("T-3").unwrap(), None);
}

/// A trade reads back exactly as inserted (with the id the store gave it) by `out_trade_no` of
/// its own merchant and by `trade_no`, and exactly as updated.
pub fn a_trade_round_trips_and_is_found_by_either_number(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, _) = new_user(&mut *transaction, "alice");
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    let (bakery, _) = new_merchant(&mut *transaction, "bakery");
    let mut waiting = user_paying_trade(cafe, user, "order-1", NOW + 60_000);
    waiting.subject = None;
    waiting.terminal_id = None;
    let waiting = insert(&mut *transaction, waiting);
    let paid = insert(&mut *transaction, paid_trade(cafe, user, "order-2", "T-2"));
    assert_ne!(waiting.id, paid.id);
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    let found = transaction
        .lock_trade_by_out_trade_no(cafe, "order-1")
        .unwrap();
    assert_eq!(found, Some(waiting.clone()));
    let found = transaction.lock_trade_by_trade_no(&paid.trade_no).unwrap();
    assert_eq!(found, Some(paid.clone()));
    assert_eq!(
        transaction
            .lock_trade_by_out_trade_no(bakery, "order-1")
            .unwrap(),
        None
    );
    assert_eq!(transaction.lock_trade_by_trade_no("T-404").unwrap(), None);

    let confirmed = TradeRecord {
        status: TradeStatus::Reversed,
        refunded_amount: refunded(waiting.amount.minor()),
        pin_attempts: 2,
        paid_at: Some(NOW + 10),
        confirm_deadline: None,
        finished_at: Some(NOW + 20),
        ..waiting.clone()
    };
    transaction.update_trade(&confirmed).unwrap();
    let found = transaction
        .lock_trade_by_trade_no(&waiting.trade_no)
        .unwrap();
    assert_eq!(found, Some(confirmed.clone()));
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    let found = transaction
        .lock_trade_by_out_trade_no(cafe, "order-1")
        .unwrap();
    assert_eq!(found, Some(confirmed));
    let found = transaction.lock_trade_by_trade_no(&paid.trade_no).unwrap();
    assert_eq!(found, Some(paid));
}

/// A user's `USER_PAYING` trades come oldest first; overdue ones are those whose deadline is
/// strictly before now, at most `limit` of them; a trade leaves both lists when it is closed.
pub fn user_paying_trades_are_listed_per_user_and_when_overdue(store: &dyn Store) {
    let mut transaction = begin(store);
    let (alice, _) = new_user(&mut *transaction, "alice");
    let (bob, _) = new_user(&mut *transaction, "bob");
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    let mut insert = |trade: NewTrade| insert(&mut *transaction, trade);
    let mut alice_late = insert(user_paying_trade(cafe, alice, "order-1", NOW + 100));
    let alice_early = insert(NewTrade {
        created_at: NOW + 1,
        ..user_paying_trade(cafe, alice, "order-2", NOW + 50)
    });
    insert(paid_trade(cafe, alice, "order-3", "T-3"));
    let bob_waiting = insert(NewTrade {
        created_at: NOW + 2,
        ..user_paying_trade(cafe, bob, "order-4", NOW + 10)
    });
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_eq!(
        transaction.user_paying_trades_of_user(alice).unwrap(),
        [alice_late.clone(), alice_early.clone()]
    );
    assert_eq!(
        transaction.user_paying_trades_of_user(bob).unwrap(),
        std::slice::from_ref(&bob_waiting)
    );
    assert!(transaction
        .overdue_user_paying_trades(NOW + 10, 10)
        .unwrap()
        .is_empty());
    let mut overdue = transaction
        .overdue_user_paying_trades(NOW + 60, 10)
        .unwrap();
    overdue.sort_by_key(|trade| trade.id);
    assert_eq!(overdue, [alice_early.clone(), bob_waiting.clone()]);
    assert_eq!(
        transaction
            .overdue_user_paying_trades(NOW + 60, 1)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        transaction
            .overdue_user_paying_trades(NOW + 1_000, 10)
            .unwrap()
            .len(),
        3
    );

    alice_late.status = TradeStatus::Closed;
    alice_late.confirm_deadline = None;
    alice_late.finished_at = Some(NOW + 200);
    transaction.update_trade(&alice_late).unwrap();
    assert_eq!(
        transaction.user_paying_trades_of_user(alice).unwrap(),
        [alice_early]
    );
    assert_eq!(
        transaction
            .overdue_user_paying_trades(NOW + 1_000, 10)
            .unwrap()
            .len(),
        2
    );
}

/// The daily pin-free total of a day is what the user paid without a PIN during that UTC day,
/// kept as the trades are inserted. A trade counts whatever happened to it after payment: a
/// reversal gives the money back but not the pin-free allowance.
pub fn the_pin_free_total_of_a_day_counts_that_days_pin_free_payments(store: &dyn Store) {
    const DAY: UnixMillis = 86_400_000;
    let today = start_of_day(NOW);
    let mut transaction = begin(store);
    let (alice, _) = new_user(&mut *transaction, "alice");
    let (bob, _) = new_user(&mut *transaction, "bob");
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    let trades = [
        (alice, 100, TradeStatus::Success, true, Some(today)),
        (
            alice,
            200,
            TradeStatus::Reversed,
            true,
            Some(today + DAY - 1),
        ),
        (alice, 400, TradeStatus::Success, false, Some(today + 20)),
        (alice, 800, TradeStatus::Success, true, Some(today - 1)),
        (alice, 1_600, TradeStatus::UserPaying, false, None),
        (alice, 6_400, TradeStatus::Success, true, Some(today + DAY)),
        (bob, 3_200, TradeStatus::Success, true, Some(today + 5)),
    ];
    for (number, (user, minor, status, pin_free, paid_at)) in trades.into_iter().enumerate() {
        let trade = NewTrade {
            amount: amount(minor),
            status,
            pin_free,
            paid_at,
            ..paid_trade(
                cafe,
                user,
                &format!("order-{number}"),
                &format!("T-{number}"),
            )
        };
        let mut trade = insert(&mut *transaction, trade);
        if status == TradeStatus::Reversed {
            // A reversal refunds everything; it does not give the pin-free allowance back.
            trade.refunded_amount = refunded(minor);
            transaction.update_trade(&trade).unwrap();
        }
    }
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_eq!(
        transaction.pin_free_total_of_day(alice, today).unwrap(),
        300
    );
    assert_eq!(
        transaction
            .pin_free_total_of_day(alice, today - DAY)
            .unwrap(),
        800
    );
    assert_eq!(
        transaction
            .pin_free_total_of_day(alice, today + DAY)
            .unwrap(),
        6_400
    );
    assert_eq!(
        transaction.pin_free_total_of_day(bob, today).unwrap(),
        3_200
    );
    assert_eq!(
        transaction.pin_free_total_of_day(bob, today - DAY).unwrap(),
        0
    );
}

/// A refund is found by its trade and `out_refund_no`; a trade's refunds come oldest first;
/// the same `out_refund_no` is a duplicate on one trade and fine on another.
pub fn refunds_are_unique_per_trade_and_listed_oldest_first(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, _) = new_user(&mut *transaction, "alice");
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    let mut first_trade = insert(&mut *transaction, paid_trade(cafe, user, "order-1", "T-1"));
    let mut second_trade = insert(&mut *transaction, paid_trade(cafe, user, "order-2", "T-2"));
    let older = refund(first_trade.id, "R-1", "refund-1", 100);
    let newer = refund(first_trade.id, "R-2", "refund-2", 50);
    let newer = RefundRecord {
        reason: None,
        created_at: NOW + 1,
        ..newer
    };
    let other_trade = refund(second_trade.id, "R-3", "refund-1", 500);
    for record in [&older, &newer, &other_trade] {
        transaction.insert_refund(record).unwrap();
    }
    first_trade.refunded_amount = refunded(150);
    second_trade.refunded_amount = refunded(500);
    transaction.update_trade(&first_trade).unwrap();
    transaction.update_trade(&second_trade).unwrap();
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_eq!(
        transaction.refunds_of_trade(first_trade.id).unwrap(),
        [older.clone(), newer]
    );
    assert_eq!(
        transaction.refunds_of_trade(second_trade.id).unwrap(),
        std::slice::from_ref(&other_trade)
    );
    assert!(transaction
        .refunds_of_trade(TradeId(second_trade.id.0 + 1_000))
        .unwrap()
        .is_empty());
    let found = transaction
        .refund_by_out_refund_no(first_trade.id, "refund-1")
        .unwrap();
    assert_eq!(found, Some(older));
    let found = transaction
        .refund_by_out_refund_no(second_trade.id, "refund-1")
        .unwrap();
    assert_eq!(found, Some(other_trade));
    assert_eq!(
        transaction
            .refund_by_out_refund_no(first_trade.id, "refund-9")
            .unwrap(),
        None
    );
    let totals = transaction.ledger_totals().unwrap();
    assert!(totals.ok(), "{totals:?}");

    assert_duplicate(transaction.insert_refund(&refund(first_trade.id, "R-4", "refund-1", 10)));
}
