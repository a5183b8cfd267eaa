//! The one conformance suite every [`Store`] implementation runs (STYLE: "one conformance
//! suite run against every store implementation").
//!
//! Each check is a public function that takes a fresh, empty store and panics when the store
//! breaks the contract of [`paycode_core::store`]. [`conformance_tests!`](crate::conformance_tests)
//! turns every check into one `#[test]`:
//!
//! ```
//! fn fresh_store() -> paycode_store::SqliteStore {
//!     paycode_store::SqliteStore::open_in_memory().unwrap()
//! }
//! paycode_store::conformance_tests!(fresh_store);
//! ```
//!
//! The argument is anything callable with no arguments that returns a fixture: a value that
//! implements `AsRef<dyn Store>`, such as a store, a `Box<dyn Store>`, or a struct that owns a
//! store together with what must outlive it (a temporary directory, a scratch database).
//!
//! The checks use only the contract, so they say nothing about how a backend keeps its
//! promises. After a statement that is expected to fail, a check drops the transaction and
//! begins another, because PostgreSQL refuses every further statement of a failed transaction.
//! A new check must also be listed in the macro, or it never runs.

mod accounts;
mod concurrency;
mod devices;
mod ledger;
mod trades;

pub use accounts::*;
pub use concurrency::*;
pub use devices::*;
pub use ledger::*;
pub use trades::*;

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{AccountId, DeviceId, MerchantId, TradeId, UserId};
use paycode_core::limits::MAX_TRANSACTION_RETRIES;
use paycode_core::model::{
    AccountKind, DeviceRecord, DeviceStatus, LedgerKind, RefundRecord, SealedSecret, TradeRecord,
    TradeStatus,
};
use paycode_core::store::{Store, StoreError, StoreResult, Transaction};
use paycode_otp::Algorithm;

/// Runs one check against the store a fixture holds; what each generated test does.
pub fn run(check: fn(&dyn Store), fixture: &impl AsRef<dyn Store>) {
    check(fixture.as_ref());
}

/// Expands into one `#[test]` per conformance check, each against a fresh fixture made by the
/// given function (see [the module documentation](crate::conformance)).
#[macro_export]
macro_rules! conformance_tests {
    (@each $fresh_store:expr; $($check:ident),+ $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::conformance::run($crate::conformance::$check, &($fresh_store)());
            }
        )+
    };
    ($fresh_store:expr) => {
        $crate::conformance_tests!(@each $fresh_store;
            accounts_start_at_zero_and_the_issuance_account_exists,
            postings_move_balances_and_histories_page_newest_first,
            a_posting_that_would_overflow_a_balance_fails_and_changes_nothing,
            ledger_totals_hold_after_payments_and_matching_refunds,
            ledger_totals_notice_a_trade_whose_refunds_do_not_match,
            a_dropped_transaction_leaves_nothing_behind,
            a_topup_reference_is_stored_once,
            settings_are_written_replaced_and_read,
            a_user_round_trips_and_a_taken_username_is_a_duplicate,
            sessions_are_found_by_token_hash,
            api_keys_are_found_by_hash_and_revoked_once_by_their_own_merchant,
            device_slots_start_at_one_grow_and_are_not_reused_once_stored,
            a_device_round_trips_every_field_through_insert_update_and_lock,
            devices_are_listed_per_user_and_paged_in_id_order,
            verification_failures_are_recorded_with_or_without_a_device,
            an_offline_code_is_spent_once_per_device_step_and_index,
            online_codes_are_spent_once_and_expired_ones_deleted,
            out_trade_no_is_unique_per_merchant,
            a_trade_round_trips_and_is_found_by_either_number,
            user_paying_trades_are_listed_per_user_and_when_overdue,
            the_pin_free_total_counts_pin_free_payments_since_a_time,
            refunds_are_unique_per_trade_and_listed_oldest_first,
            concurrent_read_check_write_transactions_never_overdraw,
            concurrent_spends_of_one_offline_code_succeed_once,
            concurrent_duplicates_of_an_out_trade_no_store_one_trade,
        );
    };
}

/// The time the checks run at: a fixed moment, so that every record is predictable.
const NOW: UnixMillis = 1_750_000_000_000;

/// Begins a transaction, or fails the check.
fn begin(store: &dyn Store) -> Box<dyn Transaction + '_> {
    store.begin().expect("a transaction begins")
}

/// Runs `attempt` again while it loses races, as a use case does (the contract says a
/// conflict may be retried from the start), up to the domain's retry limit.
fn with_retries<T>(mut attempt: impl FnMut() -> StoreResult<T>) -> T {
    for _ in 0..MAX_TRANSACTION_RETRIES {
        match attempt() {
            Err(StoreError::Conflict(_)) => continue,
            result => return result.expect("the transaction succeeds"),
        }
    }
    panic!("the transaction still conflicted after {MAX_TRANSACTION_RETRIES} attempts");
}

/// Creates a user with an account; returns both ids.
fn new_user(transaction: &mut dyn Transaction, username: &str) -> (UserId, AccountId) {
    let account = transaction
        .insert_account(AccountKind::User, NOW)
        .expect("an account is created");
    let user = transaction
        .insert_user(username, "$argon2id$v=19$hash", account, NOW)
        .expect("a user is created");
    (user, account)
}

/// Creates a merchant with an account; returns both ids.
fn new_merchant(transaction: &mut dyn Transaction, name: &str) -> (MerchantId, AccountId) {
    let account = transaction
        .insert_account(AccountKind::Merchant, NOW)
        .expect("an account is created");
    let merchant = transaction
        .insert_merchant(name, account, NOW)
        .expect("a merchant is created");
    (merchant, account)
}

/// Moves `amount` from the issuance account to `account`.
fn top_up(transaction: &mut dyn Transaction, account: AccountId, amount: i64, reference: &str) {
    let issuance = transaction.issuance_account().expect("issuance exists");
    transaction
        .post_transaction(
            LedgerKind::Topup,
            reference,
            &[(issuance, -amount), (account, amount)],
            NOW,
        )
        .expect("the top-up is posted");
}

/// A paid pin-free trade of 500 with every optional field set; its `id` is a placeholder.
fn paid_trade(
    merchant: MerchantId,
    user: UserId,
    out_trade_no: &str,
    trade_no: &str,
) -> TradeRecord {
    TradeRecord {
        id: TradeId(0),
        trade_no: trade_no.to_owned(),
        merchant_id: merchant,
        user_id: user,
        out_trade_no: out_trade_no.to_owned(),
        auth_code_hash: vec![0xA5; 32],
        amount: 500,
        refunded_amount: 0,
        status: TradeStatus::Success,
        subject: Some("coffee".to_owned()),
        terminal_id: Some("till-1".to_owned()),
        pin_free: true,
        pin_attempts: 0,
        created_at: NOW,
        paid_at: Some(NOW),
        confirm_deadline: None,
        finished_at: None,
    }
}

/// A trade waiting for the user's PIN until `deadline`.
fn user_paying_trade(
    merchant: MerchantId,
    user: UserId,
    out_trade_no: &str,
    deadline: UnixMillis,
) -> TradeRecord {
    TradeRecord {
        status: TradeStatus::UserPaying,
        pin_free: false,
        paid_at: None,
        confirm_deadline: Some(deadline),
        ..paid_trade(merchant, user, out_trade_no, &format!("T-{out_trade_no}"))
    }
}

/// An active device of `user` with every optional field set.
fn device(id: DeviceId, user: UserId) -> DeviceRecord {
    DeviceRecord {
        id,
        user_id: user,
        name: Some("phone".to_owned()),
        algorithm: Algorithm::Sha256,
        period_seconds: 60,
        secret: SealedSecret {
            key_id: 7,
            nonce: vec![1; 12],
            ciphertext: vec![2; 36],
        },
        status: DeviceStatus::Active,
        failed_attempts: 3,
        locked_until: Some(NOW + 5_000),
        drift_steps: -2,
        created_at: NOW,
        last_used_at: Some(NOW - 1_000),
    }
}

/// Allocates a slot and stores a device of `user` in it.
fn enroll(transaction: &mut dyn Transaction, user: UserId) -> DeviceRecord {
    let slot = transaction.allocate_device_slot().unwrap();
    let record = device(slot, user);
    transaction.insert_device(&record).unwrap();
    record
}

/// A refund of `amount` of a trade.
fn refund(trade: TradeId, refund_no: &str, out_refund_no: &str, amount: i64) -> RefundRecord {
    RefundRecord {
        refund_no: refund_no.to_owned(),
        trade_id: trade,
        out_refund_no: out_refund_no.to_owned(),
        amount,
        reason: Some("broken cup".to_owned()),
        created_at: NOW,
    }
}

/// Asserts that a result is the contract's duplicate error.
#[track_caller]
fn assert_duplicate<T: std::fmt::Debug>(result: StoreResult<T>) {
    assert!(
        matches!(result, Err(StoreError::Duplicate(_))),
        "expected a duplicate, got {result:?}"
    );
}
