//! Migrations, pooled connections and failed statements: what only a PostgreSQL store shows
//! about its connections to the server.

use super::*;

// Migrations.

#[test]
fn stores_connecting_at_once_to_a_new_schema_migrate_it_once() {
    let Some(url) = test_database_url() else {
        return;
    };
    let schema = ScratchSchema::new(&url);
    let instances = 4;
    let barrier = Barrier::new(instances);
    let stores: Vec<PostgresStore> = thread::scope(|scope| {
        let handles: Vec<_> = (0..instances)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    schema.connect(2)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap().expect("every instance connects"))
            .collect()
    });
    drop(stores);

    let mut raw = schema.raw();
    let row = raw
        .query_one(
            "SELECT count(*), count(DISTINCT version), max(version) FROM schema_migrations",
            &[],
        )
        .unwrap();
    let (recorded, distinct, last): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    assert!(last >= 2, "every migration was applied");
    assert_eq!((recorded, distinct), (last, last), "each migration once");
    let issuance: i64 = raw
        .query_one("SELECT count(*) FROM accounts WHERE kind = 'issuance'", &[])
        .unwrap()
        .get(0);
    assert_eq!(issuance, 1);
}

#[test]
fn a_schema_migrated_by_a_newer_program_is_refused() {
    let Some(url) = test_database_url() else {
        return;
    };
    let schema = ScratchSchema::new(&url);
    drop(schema.connect(1).unwrap());
    schema
        .raw()
        .batch_execute("INSERT INTO schema_migrations VALUES (1000, 'from the future', 0)")
        .unwrap();
    let refused = schema.connect(1);
    assert!(
        matches!(&refused, Err(StoreError::Other(message)) if message.contains("newer")),
        "{refused:?}"
    );
}

// Connections.

#[test]
fn a_server_that_does_not_answer_is_unavailable() {
    let refused = PostgresStore::connect("postgres://postgres@127.0.0.1:1/postgres", 2);
    assert!(
        matches!(refused, Err(StoreError::Unavailable(_))),
        "{refused:?}"
    );
}

#[test]
fn transactions_run_at_once_on_separate_pooled_connections() {
    let Some(fixture) = fresh_store() else {
        return;
    };
    let store = &fixture.store;
    let threads = usize::try_from(POOL_SIZE).unwrap();
    let release = RwLock::new(());
    let held = release.write().unwrap();
    let (ready, readies) = mpsc::channel();
    thread::scope(|scope| {
        for thread in 0..threads {
            let (ready, release) = (ready.clone(), &release);
            scope.spawn(move || {
                let mut transaction = store.begin().unwrap();
                new_user(&mut *transaction, &format!("user-{thread}"));
                ready.send(()).unwrap();
                // Every thread keeps its transaction open until all of them have one.
                drop(release.read().unwrap());
                transaction.commit().unwrap();
            });
        }
        for _ in 0..threads {
            readies
                .recv_timeout(Duration::from_secs(10))
                .expect("every thread has a transaction open at the same time");
        }
        let status = store.pool_status();
        assert_eq!((status.open, status.idle), (POOL_SIZE, 0), "{status:?}");
        drop(held);
    });
    assert_eq!(store.pool_status().idle, POOL_SIZE);
}

#[test]
fn a_dropped_transaction_leaves_its_pooled_connection_usable() {
    let Some(fixture) = fresh_store_with_pool(1) else {
        return;
    };
    let store = &fixture.store;
    let mut transaction = store.begin().unwrap();
    let (_, alice) = new_user(&mut *transaction, "alice");
    transaction.commit().unwrap();

    // Dropped while it holds a row lock: the lock goes with it.
    let mut transaction = store.begin().unwrap();
    transaction.lock_balance(alice).unwrap();
    new_user(&mut *transaction, "ghost");
    drop(transaction);

    // Dropped after a failed statement, which leaves PostgreSQL's transaction aborted.
    let mut transaction = store.begin().unwrap();
    let (bob, _) = new_user(&mut *transaction, "bob");
    let session = NewSession {
        token_hash: vec![7; 32],
        user_id: bob,
        created_at: NOW,
        expires_at: NOW + 1,
        user_agent: None,
    };
    transaction.insert_session(&session).unwrap();
    assert!(matches!(
        transaction.insert_session(&session),
        Err(StoreError::Duplicate("session"))
    ));
    assert!(transaction.user(bob).is_err());
    drop(transaction);

    // The pool's only connection is back outside any transaction, without locks.
    let mut transaction = store.begin().unwrap();
    assert_eq!(transaction.lock_balance(alice).unwrap(), 0);
    assert_eq!(transaction.user_by_username("ghost").unwrap(), None);
    assert_eq!(transaction.user_by_username("bob").unwrap(), None);
    new_user(&mut *transaction, "carol");
    transaction.commit().unwrap();
    let mut transaction = store.begin().unwrap();
    assert!(transaction.user_by_username("carol").unwrap().is_some());
    drop(transaction);
    assert_eq!(store.pool_status().open, 1);
}

#[test]
fn connections_the_server_closed_are_replaced_when_a_transaction_begins() {
    let Some(url) = test_database_url() else {
        return;
    };
    let schema = ScratchSchema::new(&url);
    let application = schema.name.clone();
    let separator = if url.contains('?') { '&' } else { '?' };
    let tagged_url = format!("{url}{separator}application_name={application}");
    let store = PostgresStore::connect_with_schema(&tagged_url, &schema.name, 2).unwrap();
    // Two transactions at once, so that the pool keeps two idle connections afterwards.
    let mut first = store.begin().unwrap();
    let mut second = store.begin().unwrap();
    new_user(&mut *first, "alice");
    new_user(&mut *second, "bob");
    first.commit().unwrap();
    second.commit().unwrap();
    assert_eq!(store.pool_status().idle, 2);

    let terminated = schema
        .raw()
        .query(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
             WHERE application_name = $1",
            &[&application],
        )
        .unwrap();
    assert_eq!(terminated.len(), 2);
    assert!(terminated.iter().all(|row| row.get::<_, bool>(0)));

    let mut transaction = store
        .begin()
        .expect("a fresh connection replaces the closed ones");
    assert!(transaction.user_by_username("alice").unwrap().is_some());
    drop(transaction);
    assert_eq!(store.pool_status().open, 1);
}

// Failed statements.

#[test]
fn commit_after_a_failed_statement_is_refused_and_writes_nothing() {
    let Some(fixture) = fresh_store() else {
        return;
    };
    let store = &fixture.store;
    let mut transaction = store.begin().unwrap();
    let (user, _) = new_user(&mut *transaction, "alice");
    let (merchant, _) = new_merchant(&mut *transaction, "cafe");
    transaction
        .insert_trade(&trade(merchant, user, "order-1", "T-1"))
        .unwrap();
    // Another out_trade_no with a taken trade_no: a unique violation PostgreSQL reports as a
    // failed statement.
    let taken = transaction.insert_trade(&trade(merchant, user, "order-2", "T-1"));
    assert!(
        matches!(taken, Err(StoreError::Duplicate("trade_no"))),
        "{taken:?}"
    );
    let commit = transaction.commit();
    assert!(matches!(commit, Err(StoreError::Other(_))), "{commit:?}");

    let mut transaction = store.begin().unwrap();
    assert_eq!(transaction.user_by_username("alice").unwrap(), None);
}

#[test]
fn an_expected_duplicate_leaves_the_transaction_usable() {
    let Some(fixture) = fresh_store() else {
        return;
    };
    let store = &fixture.store;
    let mut transaction = store.begin().unwrap();
    let (user, account) = new_user(&mut *transaction, "alice");
    let (merchant, _) = new_merchant(&mut *transaction, "cafe");
    transaction
        .insert_trade(&trade(merchant, user, "order-1", "T-1"))
        .unwrap();
    transaction.commit().unwrap();

    // As the wallet does when a new online code collides: note the duplicate, carry on.
    let mut transaction = store.begin().unwrap();
    let code = OnlineCodeRecord {
        code_hash: vec![1; 32],
        user_id: user,
        device_id: None,
        created_at: NOW,
        expires_at: NOW + 60_000,
        used_at: None,
    };
    transaction.insert_online_code(&code).unwrap();
    let duplicates = [
        transaction.insert_online_code(&code),
        transaction
            .insert_trade(&trade(merchant, user, "order-1", "T-2"))
            .map(drop),
        transaction
            .insert_user("alice", "hash", account, NOW)
            .map(drop),
    ];
    for (duplicate, label) in
        duplicates
            .into_iter()
            .zip(["online code", "out_trade_no", "username"])
    {
        assert!(
            matches!(duplicate, Err(StoreError::Duplicate(found)) if found == label),
            "{label}"
        );
    }
    new_user(&mut *transaction, "bob");
    transaction.commit().unwrap();

    let mut transaction = store.begin().unwrap();
    assert!(transaction.user_by_username("bob").unwrap().is_some());
    assert!(transaction.lock_online_code(&[1; 32]).unwrap().is_some());
}

#[test]
fn a_user_balance_below_zero_is_refused_by_the_schema() {
    let Some(fixture) = fresh_store() else {
        return;
    };
    let mut transaction = fixture.store.begin().unwrap();
    let issuance = transaction.issuance_account().unwrap();
    let user = transaction.insert_account(AccountKind::User, 1).unwrap();
    let overdraw =
        transaction.post_transaction(LedgerKind::Payment, "T-1", &[(issuance, 5), (user, -5)], 1);
    assert!(
        matches!(&overdraw, Err(StoreError::Other(message)) if !message.contains("DETAIL")),
        "{overdraw:?}"
    );
}
