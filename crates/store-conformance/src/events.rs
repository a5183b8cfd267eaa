//! Checks of merchants' webhooks and the outbox of notifications.

use std::collections::HashSet;
use std::sync::Mutex;
use std::thread;

use paycode_core::ids::{EventId, MerchantId};
use paycode_core::model::{
    EventAttempt, EventKind, EventRecord, MerchantWebhook, NewEvent, SealedSecret,
};
use paycode_core::store::{Store, Transaction};

use super::{begin, new_merchant, with_retries, NOW};

fn webhook(url: &str) -> MerchantWebhook {
    MerchantWebhook {
        url: url.to_owned(),
        secret: SealedSecret {
            key_id: 3,
            nonce: vec![4; 12],
            ciphertext: vec![5; 48],
        },
    }
}

fn event(merchant: MerchantId, kind: EventKind, at: i64) -> NewEvent {
    NewEvent {
        merchant_id: merchant,
        kind,
        data: format!(r#"{{"at":{at}}}"#),
        created_at: at,
    }
}

fn insert(store: &dyn Store, events: &[NewEvent]) {
    let mut transaction = begin(store);
    transaction.insert_events(events).unwrap();
    transaction.commit().unwrap();
}

fn events_of(transaction: &mut dyn Transaction, merchant: MerchantId) -> Vec<EventRecord> {
    transaction.events_of_merchant(merchant, None, 100).unwrap()
}

/// A webhook is set, replaced and removed with the merchant record; an unknown merchant's
/// webhook cannot be set.
pub fn a_merchants_webhook_is_set_replaced_and_removed(store: &dyn Store) {
    let mut transaction = begin(store);
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    let first = webhook("https://cafe.example/hook");
    assert!(transaction
        .set_merchant_webhook(cafe, Some(&first))
        .unwrap());
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    let stored = transaction.merchant(cafe).unwrap().unwrap();
    assert_eq!(stored.webhook, Some(first));
    let second = webhook("http://127.0.0.1:9/other");
    assert!(transaction
        .set_merchant_webhook(cafe, Some(&second))
        .unwrap());
    assert_eq!(
        transaction.merchants(&[cafe]).unwrap()[0].webhook,
        Some(second)
    );
    assert!(transaction.set_merchant_webhook(cafe, None).unwrap());
    assert_eq!(transaction.merchant(cafe).unwrap().unwrap().webhook, None);
    assert!(!transaction
        .set_merchant_webhook(MerchantId(cafe.0 + 1_000), Some(&webhook("http://x/")))
        .unwrap());
}

/// Events are stored due at once, listed per merchant newest first in pages, and their ids
/// grow in the order they were inserted.
pub fn events_are_listed_per_merchant_newest_first(store: &dyn Store) {
    let mut transaction = begin(store);
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    let (bakery, _) = new_merchant(&mut *transaction, "bakery");
    transaction.commit().unwrap();
    insert(
        store,
        &[
            event(cafe, EventKind::TradeSucceeded, NOW),
            event(bakery, EventKind::TradeClosed, NOW + 1),
            event(cafe, EventKind::RefundSucceeded, NOW + 2),
        ],
    );
    insert(store, &[event(cafe, EventKind::TradeReversed, NOW + 3)]);

    let mut transaction = begin(store);
    let listed = events_of(&mut *transaction, cafe);
    let kinds: Vec<EventKind> = listed.iter().map(|event| event.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::TradeReversed,
            EventKind::RefundSucceeded,
            EventKind::TradeSucceeded
        ]
    );
    assert!(listed.windows(2).all(|pair| pair[0].id > pair[1].id));
    let newest = &listed[0];
    assert_eq!(newest.data, format!(r#"{{"at":{}}}"#, NOW + 3));
    assert_eq!(
        (newest.attempts, newest.delivered_at, newest.next_attempt_at),
        (0, None, Some(NOW + 3))
    );
    let page = transaction
        .events_of_merchant(cafe, Some(listed[0].id), 1)
        .unwrap();
    assert_eq!(page, vec![listed[1].clone()]);
    assert_eq!(events_of(&mut *transaction, bakery).len(), 1);
    assert_eq!(transaction.pending_event_count().unwrap(), 4);
}

/// A claim takes due events only, the longest due first, and leases them: a second claim
/// before the lease ends takes none of them; one after it takes them again.
pub fn claimed_events_are_leased_until_their_lease_ends(store: &dyn Store) {
    let mut transaction = begin(store);
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    transaction.commit().unwrap();
    insert(
        store,
        &[
            event(cafe, EventKind::TradeSucceeded, NOW + 10),
            event(cafe, EventKind::TradeSucceeded, NOW),
            event(cafe, EventKind::TradeSucceeded, NOW + 1_000),
        ],
    );
    let lease = NOW + 60_000;
    let mut transaction = begin(store);
    let claimed = transaction.claim_due_events(NOW + 10, lease, 10).unwrap();
    transaction.commit().unwrap();
    assert_eq!(claimed.len(), 2, "{claimed:?}");
    assert!(claimed
        .iter()
        .all(|event| event.next_attempt_at == Some(lease)));

    let mut transaction = begin(store);
    let again = transaction
        .claim_due_events(NOW + 2_000, lease, 10)
        .unwrap();
    assert_eq!(again.len(), 1, "only the third one is due and free");
    assert_eq!(again[0].created_at, NOW + 1_000);
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    let limited = transaction.claim_due_events(lease, lease + 1, 2).unwrap();
    assert_eq!(limited.len(), 2, "the lease ended; the limit holds");
}

/// An attempt's result is recorded only under the lease it was made with: delivered, due
/// again at its retry time, or given up; a redelivery makes any event due again.
pub fn attempts_are_recorded_under_their_lease_and_events_can_be_redelivered(store: &dyn Store) {
    let mut transaction = begin(store);
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    let (bakery, _) = new_merchant(&mut *transaction, "bakery");
    transaction.commit().unwrap();
    insert(
        store,
        &[
            event(cafe, EventKind::TradeSucceeded, NOW),
            event(cafe, EventKind::TradeClosed, NOW),
            event(cafe, EventKind::TradeReversed, NOW),
        ],
    );
    let lease = NOW + 60_000;
    let mut transaction = begin(store);
    let claimed = transaction.claim_due_events(NOW, lease, 10).unwrap();
    transaction.commit().unwrap();
    let [delivered, retried, given_up] = [claimed[0].id, claimed[1].id, claimed[2].id];
    let attempt = |id: EventId, error: Option<&str>, retry_at: Option<i64>| EventAttempt {
        id,
        lease_until: lease,
        at: NOW + 5,
        error: error.map(str::to_owned),
        retry_at,
    };
    let mut transaction = begin(store);
    let recorded = transaction
        .finish_event_attempts(&[
            attempt(delivered, None, None),
            attempt(retried, Some("HTTP 500"), Some(NOW + 5_005)),
            attempt(given_up, Some("timed out"), None),
            EventAttempt {
                lease_until: lease + 1,
                ..attempt(delivered, Some("a stale attempt"), None)
            },
        ])
        .unwrap();
    transaction.commit().unwrap();
    assert_eq!(
        recorded, 3,
        "the attempt under another lease is not recorded"
    );

    let mut transaction = begin(store);
    let listed = events_of(&mut *transaction, cafe);
    let by_id = |id: EventId| listed.iter().find(|event| event.id == id).unwrap().clone();
    let done = by_id(delivered);
    assert_eq!(
        (
            done.attempts,
            done.delivered_at,
            done.next_attempt_at,
            done.last_error
        ),
        (1, Some(NOW + 5), None, None)
    );
    let again = by_id(retried);
    assert_eq!(
        (again.attempts, again.delivered_at, again.next_attempt_at),
        (1, None, Some(NOW + 5_005))
    );
    assert_eq!(again.last_error.as_deref(), Some("HTTP 500"));
    let dead = by_id(given_up);
    assert_eq!((dead.delivered_at, dead.next_attempt_at), (None, None));
    assert_eq!(transaction.pending_event_count().unwrap(), 1);

    assert_eq!(
        transaction
            .redeliver_event(bakery, given_up, NOW + 9)
            .unwrap(),
        None,
        "another merchant's event"
    );
    let revived = transaction
        .redeliver_event(cafe, given_up, NOW + 9)
        .unwrap()
        .unwrap();
    assert_eq!(revived.next_attempt_at, Some(NOW + 9));
    let resent = transaction
        .redeliver_event(cafe, delivered, NOW + 9)
        .unwrap()
        .unwrap();
    assert_eq!(
        (resent.delivered_at, resent.next_attempt_at),
        (None, Some(NOW + 9))
    );
    assert_eq!(transaction.pending_event_count().unwrap(), 3);
    transaction.commit().unwrap();

    // Only events that no longer wait, created before the cut, are deleted.
    let mut transaction = begin(store);
    let finished = transaction.claim_due_events(NOW + 9, lease, 1).unwrap();
    transaction
        .finish_event_attempts(&[EventAttempt {
            at: NOW + 10,
            ..attempt(finished[0].id, None, None)
        }])
        .unwrap();
    assert_eq!(
        transaction.delete_finished_events_before(NOW, 10).unwrap(),
        0
    );
    assert_eq!(
        transaction
            .delete_finished_events_before(NOW + 1, 10)
            .unwrap(),
        1
    );
    let left: Vec<EventId> = events_of(&mut *transaction, cafe)
        .iter()
        .map(|event| event.id)
        .collect();
    assert_eq!(left.len(), 2);
    assert!(!left.contains(&finished[0].id));
}

/// Claims from many threads at once never take the same event twice.
pub fn concurrent_claims_never_take_one_event_twice(store: &dyn Store) {
    const EVENTS: usize = 40;
    let mut transaction = begin(store);
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    transaction.commit().unwrap();
    let events: Vec<NewEvent> = (0..EVENTS)
        .map(|index| event(cafe, EventKind::TradeSucceeded, NOW + index as i64))
        .collect();
    insert(store, &events);

    let taken = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| loop {
                let claimed = with_retries(|| {
                    let mut transaction = store.begin()?;
                    let claimed = transaction.claim_due_events(NOW + 1_000, NOW + 60_000, 3)?;
                    transaction.commit()?;
                    Ok(claimed)
                });
                if claimed.is_empty() {
                    return;
                }
                taken
                    .lock()
                    .unwrap()
                    .extend(claimed.into_iter().map(|event| event.id));
            });
        }
    });
    let taken = taken.into_inner().unwrap();
    let distinct: HashSet<EventId> = taken.iter().copied().collect();
    assert_eq!(taken.len(), EVENTS, "every event was taken");
    assert_eq!(distinct.len(), EVENTS, "none was taken twice");
}
