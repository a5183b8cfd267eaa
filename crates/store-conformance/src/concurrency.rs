//! Checks that transactions running at once on several threads behave as if they ran one
//! after the other: the property every use case's read-check-write relies on.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Barrier;
use std::thread;

use paycode_core::ids::{AccountId, MerchantId, UserId};
use paycode_core::model::LedgerKind;
use paycode_core::store::{NewLedgerTransaction, Store, StoreResult};

use super::{begin, enroll, new_merchant, new_user, paid_trade, top_up, with_retries, NOW};

/// Threads that run transactions at once.
const THREADS: usize = 8;
/// Transactions each thread runs.
const TRANSACTIONS_PER_THREAD: usize = 50;
/// The payer's funds: fewer than the attempts, so that many of them must be refused.
const FUNDS: i64 = 300;

/// Runs `work(thread)` on every thread at once and returns how many returned true.
fn count_on_threads(work: impl Fn(usize) -> usize + Sync) -> usize {
    let barrier = Barrier::new(THREADS);
    let total = AtomicUsize::new(0);
    thread::scope(|scope| {
        for thread in 0..THREADS {
            let (barrier, total, work) = (&barrier, &total, &work);
            scope.spawn(move || {
                barrier.wait();
                total.fetch_add(work(thread), Ordering::SeqCst);
            });
        }
    });
    total.into_inner()
}

/// From many threads at once, transactions that read a balance, check it covers a payment of
/// 1 and only then post the payment, never take it below zero: exactly the funds are spent.
pub fn concurrent_read_check_write_transactions_never_overdraw(store: &dyn Store) {
    let mut transaction = begin(store);
    let (_, payer) = new_user(&mut *transaction, "alice");
    let (_, payee) = new_merchant(&mut *transaction, "cafe");
    top_up(&mut *transaction, payer, FUNDS, "topup-1");
    transaction.commit().unwrap();

    let paid = count_on_threads(|thread| {
        (0..TRANSACTIONS_PER_THREAD)
            .filter(|attempt| {
                let reference = format!("T-{thread}-{attempt}");
                with_retries(|| pay_one_if_funded(store, payer, payee, &reference))
            })
            .count()
    });

    assert_eq!(paid, usize::try_from(FUNDS).unwrap());
    let mut transaction = begin(store);
    assert_eq!(transaction.lock_balance(payer).unwrap(), 0);
    assert_eq!(transaction.lock_balance(payee).unwrap(), FUNDS);
    let totals = transaction.ledger_totals().unwrap();
    assert!(totals.ok(), "{totals:?}");
}

/// One read-check-write transaction: pays 1 if the balance covers it.
fn pay_one_if_funded(
    store: &dyn Store,
    payer: AccountId,
    payee: AccountId,
    reference: &str,
) -> StoreResult<bool> {
    let mut transaction = store.begin()?;
    let balance = transaction.lock_balance(payer)?;
    assert!(balance >= 0, "a balance went below zero: {balance}");
    if balance < 1 {
        return Ok(false);
    }
    transaction.post_transaction(
        LedgerKind::Payment,
        reference,
        &[(payer, -1), (payee, 1)],
        NOW,
    )?;
    transaction.commit()?;
    Ok(true)
}

/// The same offline code spent from many threads at once is accepted exactly once.
pub fn concurrent_spends_of_one_offline_code_succeed_once(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, _) = new_user(&mut *transaction, "alice");
    let device = enroll(&mut *transaction, user).id;
    transaction.commit().unwrap();

    let spent = count_on_threads(|_| {
        usize::from(with_retries(|| {
            let mut transaction = store.begin()?;
            let spent = transaction.spend_offline_code(device, 1_000, 3, NOW)?;
            transaction.commit()?;
            Ok(spent)
        }))
    });
    assert_eq!(spent, 1);
}

/// Payments with one merchant's `out_trade_no` from many threads at once, each taking the
/// `out_trade_no` lock, looking the trade up and storing it only when absent, store exactly
/// one trade: the others find it.
pub fn concurrent_duplicates_of_an_out_trade_no_store_one_trade(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, _) = new_user(&mut *transaction, "alice");
    let (merchant, _) = new_merchant(&mut *transaction, "cafe");
    transaction.commit().unwrap();

    let stored = count_on_threads(|thread| {
        usize::from(with_retries(|| {
            store_trade_once(store, merchant, user, &format!("T-{thread}"))
        }))
    });
    assert_eq!(stored, 1);
    let mut transaction = begin(store);
    let trade = transaction
        .lock_trade_by_out_trade_no(merchant, "order-1")
        .unwrap();
    assert!(trade.is_some());
}

/// One idempotent payment attempt: true when it stored the trade.
fn store_trade_once(
    store: &dyn Store,
    merchant: MerchantId,
    user: UserId,
    trade_no: &str,
) -> StoreResult<bool> {
    let mut transaction = store.begin()?;
    transaction.lock_out_trade_no(merchant, "order-1")?;
    if transaction
        .lock_trade_by_out_trade_no(merchant, "order-1")?
        .is_some()
    {
        return Ok(false);
    }
    transaction.insert_trade(&paid_trade(merchant, user, "order-1", trade_no))?;
    transaction.commit()?;
    Ok(true)
}

/// Transactions on many threads that each lock overlapping sets of `out_trade_no`s, devices
/// and balances in bulk, every thread giving them in another order, and post transfers among
/// those accounts, all succeed at the first attempt: the bulk locks are taken in one order,
/// so they never deadlock.
pub fn concurrent_bulk_locks_of_overlapping_rows_never_deadlock(store: &dyn Store) {
    let mut transaction = begin(store);
    let (merchant, _) = new_merchant(&mut *transaction, "cafe");
    let mut accounts = Vec::new();
    let mut devices = Vec::new();
    for name in ["alice", "bob", "carol", "dave"] {
        let (user, account) = new_user(&mut *transaction, name);
        top_up(&mut *transaction, account, 1_000, &format!("topup-{name}"));
        accounts.push(account);
        devices.push(enroll(&mut *transaction, user).id);
    }
    transaction.commit().unwrap();
    let keys: Vec<_> = (0..4)
        .map(|order| (merchant, format!("order-{order}")))
        .collect();

    /// The items in an order of the thread's own: rotated, and reversed on odd threads.
    fn shuffled<T: Clone>(items: &[T], thread: usize) -> Vec<T> {
        let mut items = items.to_vec();
        let by = thread % items.len();
        items.rotate_left(by);
        if thread % 2 == 1 {
            items.reverse();
        }
        items
    }

    let committed = count_on_threads(|thread| {
        let (keys, devices, accounts) = (
            shuffled(&keys, thread),
            shuffled(&devices, thread),
            shuffled(&accounts, thread),
        );
        let transfers: Vec<_> = accounts
            .windows(2)
            .enumerate()
            .map(|(index, pair)| NewLedgerTransaction {
                kind: LedgerKind::Payment,
                reference: format!("T-{thread}-{index}"),
                postings: vec![(pair[0], -1), (pair[1], 1)],
                created_at: NOW,
            })
            .collect();
        (0..TRANSACTIONS_PER_THREAD / 5)
            .map(|_| {
                let mut transaction = store.begin()?;
                transaction.lock_out_trade_nos(&keys)?;
                transaction.lock_devices(&devices)?;
                transaction.lock_balances(&accounts)?;
                transaction.post_transactions(&transfers)?;
                transaction.commit()
            })
            .map(|result: StoreResult<()>| {
                result.expect("bulk locks taken in one order do not deadlock")
            })
            .count()
    });

    assert_eq!(committed, THREADS * (TRANSACTIONS_PER_THREAD / 5));
    let mut transaction = begin(store);
    let totals = transaction.ledger_totals().unwrap();
    assert!(totals.ok(), "{totals:?}");
}
