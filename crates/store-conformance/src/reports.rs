//! Checks of the reads behind the till and the console, and of the refusal counts.

use paycode_core::days::DayRange;
use paycode_core::ids::{MerchantId, TradeId};
use paycode_core::limits::REFUSAL_PERIOD_MILLIS;
use paycode_core::model::{DeviceFailures, DeviceStatus, NewTrade, TradeRecord, TradeStatus};
use paycode_core::reports::{refusal_period_start, RefusalCount, TradeQuery};
use paycode_core::store::{Store, Transaction};

use super::{
    amount, begin, enroll, insert, new_merchant, new_user, paid_trade, refund, refunded,
    user_paying_trade, NOW,
};

const HOUR: i64 = 3_600_000;
/// A range of 24 hours that starts at [`NOW`].
const DAY: DayRange = DayRange {
    start: NOW,
    end: NOW + 24 * HOUR,
};

/// A query with no filter, `limit` rows.
fn everything(limit: u32) -> TradeQuery {
    TradeQuery {
        merchant: None,
        out_trade_no: None,
        trade_no: None,
        status: None,
        created: None,
        before: None,
        limit,
    }
}

/// Stores a trade made at `created_at` and returns it with its id.
fn stored(transaction: &mut dyn Transaction, mut trade: NewTrade, created_at: i64) -> TradeRecord {
    trade.created_at = created_at;
    if trade.paid_at.is_some() {
        trade.paid_at = Some(created_at);
    }
    insert(transaction, trade)
}

/// Records that `minor` units of a stored trade were refunded.
fn refund_stored(transaction: &mut dyn Transaction, trade: &mut TradeRecord, minor: i64) {
    trade.refunded_amount = refunded(minor);
    transaction.update_trade(trade).unwrap();
}

fn trade_nos(transaction: &mut dyn Transaction, query: &TradeQuery) -> Vec<String> {
    transaction
        .trades_page(query)
        .unwrap()
        .into_iter()
        .map(|listing| listing.trade.trade_no)
        .collect()
}

/// Trades come newest first (creation time, then id), each filter selects what it names, the
/// filters combine, and the cursor continues after the trade it names.
pub fn trades_are_listed_newest_first_by_every_filter_and_paged_by_cursor(store: &dyn Store) {
    let mut transaction = begin(store);
    let (alice, _) = new_user(&mut *transaction, "alice");
    let (bob, _) = new_user(&mut *transaction, "bob");
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    let (bakery, _) = new_merchant(&mut *transaction, "bakery");
    let before_day = stored(
        &mut *transaction,
        paid_trade(cafe, alice, "o-0", "T-0"),
        NOW - 1,
    );
    let first = stored(
        &mut *transaction,
        paid_trade(cafe, alice, "o-1", "T-1"),
        NOW,
    );
    // Two trades of the same millisecond: the later id comes first.
    let second = stored(
        &mut *transaction,
        paid_trade(cafe, bob, "o-2", "T-2"),
        NOW + HOUR,
    );
    let third = stored(
        &mut *transaction,
        paid_trade(cafe, alice, "o-3", "T-3"),
        NOW + HOUR,
    );
    let waiting = user_paying_trade(cafe, bob, "o-4", NOW + 3 * HOUR);
    let waiting = stored(&mut *transaction, waiting, NOW + 2 * HOUR);
    let elsewhere = stored(
        &mut *transaction,
        paid_trade(bakery, bob, "o-1", "T-5"),
        NOW + 5,
    );
    let after_day = stored(
        &mut *transaction,
        paid_trade(cafe, bob, "o-6", "T-6"),
        DAY.end,
    );
    transaction.commit().unwrap();

    let mut transaction = store.begin_read().unwrap();
    let cafe_day = TradeQuery {
        merchant: Some(cafe),
        created: Some(DAY),
        ..everything(100)
    };
    assert_eq!(
        trade_nos(&mut *transaction, &cafe_day),
        ["T-o-4", "T-3", "T-2", "T-1"]
    );
    let listed = transaction.trades_page(&cafe_day).unwrap();
    assert_eq!(listed[0].trade, waiting, "a trade reads back whole");
    assert_eq!(
        (
            listed[0].merchant_name.as_str(),
            listed[0].username.as_str()
        ),
        ("cafe", "bob")
    );

    // Pages of two, each after the previous page's last, cover the day once.
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = transaction
            .trades_page(&TradeQuery {
                before,
                limit: 2,
                ..cafe_day.clone()
            })
            .unwrap();
        if page.is_empty() {
            break;
        }
        before = page.last().map(|listing| listing.trade.id);
        seen.extend(page.into_iter().map(|listing| listing.trade.id));
    }
    assert_eq!(seen, [waiting.id, third.id, second.id, first.id]);
    let unknown = TradeQuery {
        before: Some(TradeId(i64::MAX)),
        ..cafe_day.clone()
    };
    assert!(transaction.trades_page(&unknown).unwrap().is_empty());

    let all = trade_nos(&mut *transaction, &everything(100));
    assert_eq!(all, ["T-6", "T-o-4", "T-3", "T-2", "T-5", "T-1", "T-0"]);
    assert_eq!(
        trade_nos(&mut *transaction, &everything(2)),
        ["T-6", "T-o-4"]
    );
    let by_status = TradeQuery {
        status: Some(TradeStatus::UserPaying),
        ..everything(100)
    };
    assert_eq!(trade_nos(&mut *transaction, &by_status), ["T-o-4"]);
    let by_trade_no = TradeQuery {
        trade_no: Some("T-5".to_owned()),
        ..everything(100)
    };
    assert_eq!(trade_nos(&mut *transaction, &by_trade_no), ["T-5"]);
    let by_reference = TradeQuery {
        merchant: Some(bakery),
        out_trade_no: Some("o-1".to_owned()),
        ..everything(100)
    };
    assert_eq!(trade_nos(&mut *transaction, &by_reference), ["T-5"]);
    let combined = TradeQuery {
        merchant: Some(cafe),
        status: Some(TradeStatus::Success),
        created: Some(DAY),
        trade_no: Some("T-2".to_owned()),
        ..everything(100)
    };
    assert_eq!(trade_nos(&mut *transaction, &combined), ["T-2"]);
    let contradictory = TradeQuery {
        merchant: Some(bakery),
        trade_no: Some("T-2".to_owned()),
        ..everything(100)
    };
    assert!(trade_nos(&mut *transaction, &contradictory).is_empty());
    let nobody = TradeQuery {
        merchant: Some(MerchantId(i64::MAX)),
        ..everything(100)
    };
    assert!(trade_nos(&mut *transaction, &nobody).is_empty());
    let _ = (before_day, elsewhere, after_day);
}

/// A merchant's totals count every trade created in the range by status, and add up the
/// amounts and refunds of the paid ones only.
pub fn trade_totals_add_up_a_merchants_trades_of_a_range(store: &dyn Store) {
    let mut transaction = begin(store);
    let (alice, _) = new_user(&mut *transaction, "alice");
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    let (bakery, _) = new_merchant(&mut *transaction, "bakery");
    let mut partly = stored(
        &mut *transaction,
        paid_trade(cafe, alice, "o-1", "T-1"),
        NOW,
    );
    refund_stored(&mut *transaction, &mut partly, 120);
    transaction
        .insert_refund(&refund(partly.id, "R-1", "r-1", 120))
        .unwrap();
    let mut reversed = paid_trade(cafe, alice, "o-2", "T-2");
    reversed.amount = amount(800);
    reversed.status = TradeStatus::Reversed;
    let mut reversed = stored(&mut *transaction, reversed, NOW + HOUR);
    refund_stored(&mut *transaction, &mut reversed, 800);
    stored(
        &mut *transaction,
        paid_trade(cafe, alice, "o-3", "T-3"),
        NOW + 2 * HOUR,
    );
    let waiting = user_paying_trade(cafe, alice, "o-4", NOW + 4 * HOUR);
    stored(&mut *transaction, waiting, NOW + 3 * HOUR);
    let mut closed = user_paying_trade(cafe, alice, "o-5", NOW + 4 * HOUR);
    closed.status = TradeStatus::Closed;
    stored(&mut *transaction, closed, NOW + 3 * HOUR);
    stored(
        &mut *transaction,
        paid_trade(cafe, alice, "o-6", "T-6"),
        DAY.end,
    );
    stored(
        &mut *transaction,
        paid_trade(bakery, alice, "o-7", "T-7"),
        NOW,
    );
    transaction.commit().unwrap();

    let mut transaction = store.begin_read().unwrap();
    let totals = transaction.trade_totals(cafe, DAY).unwrap();
    assert_eq!(
        (
            totals.count,
            totals.paid_count,
            totals.user_paying,
            totals.closed
        ),
        (5, 3, 1, 1)
    );
    assert_eq!(
        (totals.gross, totals.refunded),
        (500 + 800 + 500, 120 + 800)
    );
    let empty = transaction
        .trade_totals(
            cafe,
            DayRange {
                start: DAY.end + 1,
                end: DAY.end + 2,
            },
        )
        .unwrap();
    assert_eq!(empty, Default::default());
}

/// Refusals add up per quarter hour, merchant and code, across transactions and within one
/// call; the day's counts sum the quarter hours inside the day, by code.
pub fn refusal_counts_add_up_per_period_merchant_and_code(store: &dyn Store) {
    let count = |period_start, merchant, code: &str, refusals| RefusalCount {
        period_start,
        merchant,
        code: code.to_owned(),
        refusals,
    };
    // The first quarter hour inside the day, and the first after it.
    let first = refusal_period_start(DAY.start) + REFUSAL_PERIOD_MILLIS;
    let after = refusal_period_start(DAY.end) + REFUSAL_PERIOD_MILLIS;
    let mut transaction = begin(store);
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    let (bakery, _) = new_merchant(&mut *transaction, "bakery");
    transaction
        .add_refusals(&[
            count(first, cafe, "CODE_USED", 1),
            count(first, cafe, "CODE_USED", 1),
            count(first, bakery, "CODE_USED", 1),
            count(first + HOUR, cafe, "INSUFFICIENT_FUNDS", 2),
            count(first - HOUR, cafe, "CODE_USED", 5),
            count(after, cafe, "CODE_INVALID", 7),
        ])
        .unwrap();
    transaction.commit().unwrap();
    let mut transaction = begin(store);
    transaction
        .add_refusals(&[count(first, cafe, "CODE_USED", 1)])
        .unwrap();
    transaction.add_refusals(&[]).unwrap();
    transaction.commit().unwrap();

    let mut transaction = store.begin_read().unwrap();
    let counts = transaction.activity_counts(DAY, NOW, HOUR).unwrap();
    assert_eq!(
        counts.refusals,
        [
            ("CODE_USED".to_owned(), 4),
            ("INSUFFICIENT_FUNDS".to_owned(), 2)
        ]
    );
}

/// The day's payments are those paid in the day (also when created before it), its refunds
/// those made in it; waiting trades, locked devices, users and merchants are those of the
/// moment.
pub fn activity_counts_count_the_days_money_and_the_moments_locks(store: &dyn Store) {
    let mut transaction = begin(store);
    let (alice, _) = new_user(&mut *transaction, "alice");
    let (_bob, _) = new_user(&mut *transaction, "bob");
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    let paid = stored(
        &mut *transaction,
        paid_trade(cafe, alice, "o-1", "T-1"),
        NOW + HOUR,
    );
    // Created before the day, confirmed in it: a payment of the day.
    let mut confirmed = user_paying_trade(cafe, alice, "o-2", NOW + 60_000);
    confirmed.status = TradeStatus::Reversed;
    confirmed.amount = amount(300);
    confirmed.created_at = NOW - 30_000;
    confirmed.paid_at = Some(NOW + 10_000);
    let mut confirmed = insert(&mut *transaction, confirmed);
    refund_stored(&mut *transaction, &mut confirmed, 300);
    // Paid the day before, refunded in the day: a refund of the day, not a payment.
    let mut yesterday = stored(
        &mut *transaction,
        paid_trade(cafe, alice, "o-3", "T-3"),
        NOW - 2 * HOUR,
    );
    refund_stored(&mut *transaction, &mut yesterday, 50);
    let mut late_refund = refund(yesterday.id, "R-1", "r-1", 50);
    late_refund.created_at = NOW + HOUR;
    transaction.insert_refund(&late_refund).unwrap();
    let mut reversal = refund(confirmed.id, "R-2", "#cancel", 300);
    reversal.created_at = NOW + 20_000;
    transaction.insert_refund(&reversal).unwrap();
    let waiting = user_paying_trade(cafe, alice, "o-4", NOW + 2 * HOUR);
    stored(&mut *transaction, waiting, NOW + HOUR);
    let overdue = user_paying_trade(cafe, alice, "o-5", NOW + HOUR);
    stored(&mut *transaction, overdue, NOW);

    let now = NOW + 90 * 60_000;
    // Devices: locked everywhere, locked at one merchant, lock over, revoked while locked.
    let mut everywhere = enroll(&mut *transaction, alice);
    everywhere.locked_until = Some(now + 1);
    transaction.update_device(&everywhere).unwrap();
    let mut at_cafe = enroll(&mut *transaction, alice);
    at_cafe.locked_until = None;
    transaction.update_device(&at_cafe).unwrap();
    transaction
        .put_device_failures(&DeviceFailures {
            device_id: at_cafe.id,
            merchant_id: cafe,
            failures: 10,
            since: NOW,
            locked_until: Some(now + 1_000),
        })
        .unwrap();
    let mut over = enroll(&mut *transaction, alice);
    over.locked_until = Some(now);
    transaction.update_device(&over).unwrap();
    let mut revoked = enroll(&mut *transaction, alice);
    revoked.status = DeviceStatus::Revoked;
    revoked.locked_until = Some(now + 1);
    transaction.update_device(&revoked).unwrap();
    transaction.commit().unwrap();

    let mut transaction = store.begin_read().unwrap();
    let counts = transaction.activity_counts(DAY, now, HOUR).unwrap();
    assert_eq!(
        (counts.payments, counts.volume),
        (2, paid.amount.minor() + 300)
    );
    assert_eq!((counts.refunds, counts.refunded), (2, 50 + 300));
    assert_eq!(counts.user_paying, 1);
    assert_eq!(counts.locked_devices, 2);
    assert_eq!((counts.users, counts.merchants), (2, 1));
    assert!(counts.refusals.is_empty());
    // The lookback bounds the search: a shorter one misses the trade created before the day.
    let short = transaction.activity_counts(DAY, now, 1_000).unwrap();
    assert_eq!(short.payments, 1);
}
