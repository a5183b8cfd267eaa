//! Locks across connections: transactions on separate pooled connections that really run in
//! parallel, and wait for each other where the contract says they must.

use super::*;

// Locks across connections.

#[test]
fn the_out_trade_no_lock_makes_a_second_transaction_wait_for_the_first() {
    let Some(fixture) = fresh_store() else {
        return;
    };
    let store = &fixture.store;
    let mut transaction = store.begin().unwrap();
    let (user, _) = new_user(&mut *transaction, "alice");
    let (merchant, _) = new_merchant(&mut *transaction, "cafe");
    transaction.commit().unwrap();

    let (locked, is_locked) = mpsc::channel();
    let (go, is_go) = mpsc::channel::<()>();
    let (committing, is_committing) = mpsc::channel();
    thread::scope(|scope| {
        scope.spawn(move || {
            let mut transaction = store.begin().unwrap();
            transaction.lock_out_trade_no(merchant, "order-1").unwrap();
            locked.send(()).unwrap();
            // Holds the lock until the main thread has shown that another out_trade_no is
            // free (or, if it is not, until the wait gives up), then a while longer.
            let _ = is_go.recv_timeout(Duration::from_secs(10));
            thread::sleep(HOLD);
            transaction
                .insert_trade(&trade(merchant, user, "order-1", "T-1"))
                .unwrap();
            committing.send(Instant::now()).unwrap();
            transaction.commit().unwrap();
        });
        is_locked.recv().unwrap();

        let mut other = store.begin().unwrap();
        other.lock_out_trade_no(merchant, "order-2").unwrap();
        drop(other);
        go.send(()).unwrap();
        let mut second = store.begin().unwrap();
        second.lock_out_trade_no(merchant, "order-1").unwrap();
        let acquired = Instant::now();
        let commit_started = is_committing.recv().unwrap();
        assert!(
            acquired >= commit_started,
            "the second transaction got the lock only once the first was committing"
        );
        let found = second
            .lock_trade_by_out_trade_no(merchant, "order-1")
            .unwrap();
        assert_eq!(found.map(|trade| trade.trade_no), Some("T-1".to_owned()));
    });
}

/// The bulk form takes the very locks of the one-row form: a key it holds makes a one-row
/// lock of the same key wait, and leaves other keys free.
#[test]
fn out_trade_no_locks_taken_in_bulk_make_a_one_row_lock_wait() {
    let Some(fixture) = fresh_store() else {
        return;
    };
    let store = &fixture.store;
    let mut transaction = store.begin().unwrap();
    let (merchant, _) = new_merchant(&mut *transaction, "cafe");
    transaction.commit().unwrap();

    let (locked, is_locked) = mpsc::channel();
    let (committing, is_committing) = mpsc::channel();
    thread::scope(|scope| {
        scope.spawn(move || {
            let mut transaction = store.begin().unwrap();
            let keys = [
                (merchant, "order-2".to_owned()),
                (merchant, "order-1".to_owned()),
            ];
            transaction.lock_out_trade_nos(&keys).unwrap();
            locked.send(()).unwrap();
            thread::sleep(HOLD);
            committing.send(Instant::now()).unwrap();
            transaction.commit().unwrap();
        });
        is_locked.recv().unwrap();

        let mut other = store.begin().unwrap();
        other.lock_out_trade_no(merchant, "order-3").unwrap();
        drop(other);
        let mut second = store.begin().unwrap();
        second.lock_out_trade_no(merchant, "order-1").unwrap();
        let acquired = Instant::now();
        let commit_started = is_committing.try_recv().expect("the first is committing");
        assert!(acquired >= commit_started);
    });
}

#[test]
fn a_locked_balance_makes_a_second_reader_wait_and_see_the_committed_value() {
    let Some(fixture) = fresh_store() else {
        return;
    };
    let store = &fixture.store;
    let mut transaction = store.begin().unwrap();
    let (_, payer) = new_user(&mut *transaction, "alice");
    let (_, payee) = new_merchant(&mut *transaction, "cafe");
    top_up(&mut *transaction, payer, 100);
    transaction.commit().unwrap();

    let (locked, is_locked) = mpsc::channel();
    let (committing, is_committing) = mpsc::channel();
    thread::scope(|scope| {
        scope.spawn(move || {
            let mut transaction = store.begin().unwrap();
            assert_eq!(transaction.lock_balance(payer).unwrap(), 100);
            locked.send(()).unwrap();
            thread::sleep(HOLD);
            transaction
                .post_transaction(
                    LedgerKind::Payment,
                    "T-1",
                    &[(payer, -60), (payee, 60)],
                    NOW,
                )
                .unwrap();
            committing.send(Instant::now()).unwrap();
            transaction.commit().unwrap();
        });
        is_locked.recv().unwrap();
        let mut second = store.begin().unwrap();
        assert_eq!(second.lock_balance(payer).unwrap(), 40);
        let acquired = Instant::now();
        assert!(acquired >= is_committing.recv().unwrap());
    });
}

#[test]
fn spends_of_one_offline_code_from_eight_connections_succeed_once() {
    let Some(fixture) = fresh_store() else {
        return;
    };
    let store = &fixture.store;
    let mut transaction = store.begin().unwrap();
    let (user, _) = new_user(&mut *transaction, "alice");
    let device = enroll(&mut *transaction, user);
    transaction.commit().unwrap();

    let spent = sum_on_threads(8, |_| {
        (0..30)
            .filter(|_| {
                with_retries(|| {
                    let mut transaction = store.begin()?;
                    let spent = transaction.spend_offline_code(device, 1_000, 3, NOW)?;
                    transaction.commit()?;
                    Ok(spent)
                })
            })
            .count()
    });
    assert_eq!(spent, 1);
}

#[test]
fn read_check_write_payments_from_sixteen_connections_never_overdraw() {
    const THREADS: usize = 16;
    const FUNDS: i64 = 200;
    let Some(fixture) = fresh_store_with_pool(16) else {
        return;
    };
    let store = &fixture.store;
    let mut transaction = store.begin().unwrap();
    let (_, payer) = new_user(&mut *transaction, "alice");
    let (_, payee) = new_merchant(&mut *transaction, "cafe");
    top_up(&mut *transaction, payer, FUNDS);
    transaction.commit().unwrap();

    let paid = sum_on_threads(THREADS, |thread| {
        (0..20)
            .filter(|attempt| {
                with_retries(|| {
                    let mut transaction = store.begin()?;
                    let balance = transaction.lock_balance(payer)?;
                    assert!(balance >= 0, "a balance went below zero: {balance}");
                    if balance < 1 {
                        return Ok(false);
                    }
                    transaction.post_transaction(
                        LedgerKind::Payment,
                        &format!("T-{thread}-{attempt}"),
                        &[(payer, -1), (payee, 1)],
                        NOW,
                    )?;
                    transaction.commit()?;
                    Ok(true)
                })
            })
            .count()
    });

    assert_eq!(paid, usize::try_from(FUNDS).unwrap());
    let mut transaction = store.begin().unwrap();
    assert_eq!(transaction.lock_balance(payer).unwrap(), 0);
    assert_eq!(transaction.lock_balance(payee).unwrap(), FUNDS);
    let totals = transaction.ledger_totals().unwrap();
    assert!(totals.ok(), "{totals:?}");
    assert!(store.pool_status().open > 1);
}
