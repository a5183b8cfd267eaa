//! Checks of merchants' statements and the operator's settlements.

use paycode_core::ids::{AccountId, MerchantId, TradeId, UserId};
use paycode_core::model::{LedgerKind, StatementKind, StatementTotals, CANCEL_REFUND_REFERENCE};
use paycode_core::store::{Store, Transaction};

use super::{begin, new_merchant, new_user, paid_trade, refund, top_up, NOW};

const DAY: i64 = 86_400_000;

/// Stores a paid trade of 500 at `at` and its ledger transaction; returns its id.
fn pay(
    transaction: &mut dyn Transaction,
    (merchant, merchant_account): (MerchantId, AccountId),
    (user, user_account): (UserId, AccountId),
    out_trade_no: &str,
    at: i64,
) -> TradeId {
    let trade = paycode_core::model::NewTrade {
        created_at: at,
        paid_at: Some(at),
        ..paid_trade(merchant, user, out_trade_no, &format!("T-{out_trade_no}"))
    };
    transaction
        .post_transaction(
            LedgerKind::Payment,
            &trade.trade_no,
            &[(user_account, -500), (merchant_account, 500)],
            at,
        )
        .unwrap();
    transaction.insert_trade(&trade).unwrap()
}

/// Stores a refund of `amount` of a trade at `at` and its ledger transaction.
#[allow(clippy::too_many_arguments)]
fn give_back(
    transaction: &mut dyn Transaction,
    trade: TradeId,
    merchant_account: AccountId,
    user_account: AccountId,
    refund_no: &str,
    out_refund_no: &str,
    amount: i64,
    at: i64,
) {
    let record = paycode_core::model::RefundRecord {
        created_at: at,
        ..refund(trade, refund_no, out_refund_no, amount)
    };
    transaction
        .post_transaction(
            LedgerKind::Refund,
            refund_no,
            &[(merchant_account, -amount), (user_account, amount)],
            at,
        )
        .unwrap();
    transaction.insert_refund(&record).unwrap();
}

/// A statement lists the day's payments, refunds and reversals of the merchant's account
/// only, in ledger order, with positive amounts; the settlement's totals per merchant are
/// the sums of the postings to its account that day.
pub fn statements_and_settlements_read_a_days_ledger(store: &dyn Store) {
    let mut transaction = begin(store);
    let alice = new_user(&mut *transaction, "alice");
    top_up(&mut *transaction, alice.1, 10_000, "t-1");
    let cafe = new_merchant(&mut *transaction, "cafe");
    let bakery = new_merchant(&mut *transaction, "bakery");
    let yesterday = pay(&mut *transaction, cafe, alice, "o-0", NOW - 10);
    let first = pay(&mut *transaction, cafe, alice, "o-1", NOW);
    let second = pay(&mut *transaction, cafe, alice, "o-2", NOW + 1_000);
    pay(&mut *transaction, bakery, alice, "o-3", NOW + 2_000);
    give_back(
        &mut *transaction,
        yesterday,
        cafe.1,
        alice.1,
        "R-0",
        "r-0",
        100,
        NOW + 3_000,
    );
    give_back(
        &mut *transaction,
        first,
        cafe.1,
        alice.1,
        "R-1",
        "r-1",
        200,
        NOW + 4_000,
    );
    give_back(
        &mut *transaction,
        second,
        cafe.1,
        alice.1,
        "R-2",
        CANCEL_REFUND_REFERENCE,
        500,
        NOW + 5_000,
    );
    pay(&mut *transaction, cafe, alice, "o-4", NOW + DAY);
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    let lines = transaction
        .statement_lines(cafe.0, NOW, NOW + DAY, 100)
        .unwrap();
    let summary: Vec<(StatementKind, i64, &str, Option<&str>)> = lines
        .iter()
        .map(|line| {
            (
                line.kind,
                line.amount,
                line.out_trade_no.as_str(),
                line.out_refund_no.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (StatementKind::Payment, 500, "o-1", None),
            (StatementKind::Payment, 500, "o-2", None),
            (StatementKind::Refund, 100, "o-0", Some("r-0")),
            (StatementKind::Refund, 200, "o-1", Some("r-1")),
            (
                StatementKind::Reversal,
                500,
                "o-2",
                Some(CANCEL_REFUND_REFERENCE)
            ),
        ]
    );
    assert_eq!(lines[0].trade_no, "T-o-1");
    assert_eq!(lines[2].refund_no.as_deref(), Some("R-0"));
    assert!(lines
        .windows(2)
        .all(|pair| pair[0].transaction_id < pair[1].transaction_id));
    assert_eq!(
        transaction
            .statement_lines(cafe.0, NOW, NOW + DAY, 2)
            .unwrap()
            .len(),
        2
    );

    let settlement = transaction.settlement_lines(NOW, NOW + DAY).unwrap();
    assert_eq!(settlement.len(), 2);
    assert_eq!(settlement[0].merchant_id, cafe.0);
    assert_eq!(settlement[0].merchant_name, "cafe");
    assert_eq!(
        settlement[0].totals,
        StatementTotals {
            gross: 1_000,
            refunds: 800,
            net: 200,
            count: 5
        }
    );
    assert_eq!(
        settlement[1].totals,
        StatementTotals {
            gross: 500,
            refunds: 0,
            net: 500,
            count: 1
        }
    );
    assert!(transaction
        .settlement_lines(NOW + 2 * DAY, NOW + 3 * DAY)
        .unwrap()
        .is_empty());
}
