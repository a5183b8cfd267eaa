//! Checks of failure counts (per device and merchant, per merchant and minute) and of the
//! pruning of the audit trail of failed verifications.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Barrier;
use std::thread;

use paycode_core::ids::MerchantId;
use paycode_core::model::DeviceFailures;
use paycode_core::store::{Store, StoreResult};

use super::{begin, enroll, new_merchant, new_user, with_retries, NOW};

/// A minute, as the domain counts them (minutes since the epoch).
const MINUTE: i64 = NOW / 60_000;

/// A device's counts are kept per merchant, replaced by a put, read in merchant order, read
/// the same in bulk, and cleared together for the device only.
pub fn device_failures_are_kept_per_device_and_merchant_and_cleared_per_device(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, _) = new_user(&mut *transaction, "alice");
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    let (bakery, _) = new_merchant(&mut *transaction, "bakery");
    let phone = enroll(&mut *transaction, user).id;
    let tablet = enroll(&mut *transaction, user).id;
    let count = |device, merchant, failures, locked_until| DeviceFailures {
        device_id: device,
        merchant_id: merchant,
        failures,
        since: NOW - 1_000,
        locked_until,
    };
    transaction
        .put_device_failures(&count(phone, bakery, 2, None))
        .unwrap();
    transaction
        .put_devices_failures(&[
            count(phone, cafe, 1, None),
            count(tablet, cafe, 4, Some(NOW + 60_000)),
        ])
        .unwrap();
    transaction
        .put_device_failures(&count(phone, cafe, 3, Some(NOW + 1_000)))
        .unwrap();
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    let mut expected = vec![
        count(phone, cafe, 3, Some(NOW + 1_000)),
        count(phone, bakery, 2, None),
    ];
    expected.sort_by_key(|count| count.merchant_id);
    assert_eq!(transaction.failures_of_device(phone).unwrap(), expected);
    let mut bulk = transaction.failures_of_devices(&[phone, tablet]).unwrap();
    bulk.sort_by_key(|count| (count.device_id, count.merchant_id));
    let mut one_by_one = expected.clone();
    one_by_one.push(count(tablet, cafe, 4, Some(NOW + 60_000)));
    one_by_one.sort_by_key(|count| (count.device_id, count.merchant_id));
    assert_eq!(bulk, one_by_one);

    assert_eq!(transaction.clear_device_failures(phone).unwrap(), 2);
    assert!(transaction.failures_of_device(phone).unwrap().is_empty());
    assert_eq!(transaction.failures_of_device(tablet).unwrap().len(), 1);
    assert_eq!(transaction.clear_device_failures(phone).unwrap(), 0);
}

/// A merchant's count of a minute starts at zero, adds up, is separate per merchant and per
/// minute, reads the same in bulk, and old minutes are deleted.
pub fn merchant_failure_counts_add_up_per_minute_and_old_minutes_are_deleted(store: &dyn Store) {
    let mut transaction = begin(store);
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    let (bakery, _) = new_merchant(&mut *transaction, "bakery");
    assert_eq!(transaction.lock_merchant_failures(cafe, MINUTE).unwrap(), 0);
    transaction.add_merchant_failures(cafe, MINUTE, 3).unwrap();
    transaction.add_merchant_failures(cafe, MINUTE, 2).unwrap();
    transaction
        .add_merchants_failures(&[(bakery, 1)], MINUTE - 1)
        .unwrap();
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_eq!(transaction.lock_merchant_failures(cafe, MINUTE).unwrap(), 5);
    assert_eq!(
        transaction.lock_merchant_failures(bakery, MINUTE).unwrap(),
        0
    );
    assert_eq!(
        transaction
            .lock_merchants_failures(&[bakery, cafe, bakery], MINUTE - 1)
            .unwrap()
            .into_iter()
            .collect::<std::collections::BTreeMap<_, _>>(),
        [(cafe, 0), (bakery, 1)].into_iter().collect()
    );
    transaction
        .add_merchants_failures(&[(cafe, 4), (bakery, 6)], MINUTE)
        .unwrap();
    assert_eq!(transaction.lock_merchant_failures(cafe, MINUTE).unwrap(), 9);
    assert_eq!(
        transaction.lock_merchant_failures(bakery, MINUTE).unwrap(),
        6
    );
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert!(transaction.delete_merchant_failures_before(MINUTE).unwrap() >= 1);
    assert_eq!(
        transaction
            .lock_merchant_failures(bakery, MINUTE - 1)
            .unwrap(),
        0
    );
    assert_eq!(transaction.lock_merchant_failures(cafe, MINUTE).unwrap(), 9);
}

/// Failed verifications older than a time are deleted, oldest first, at most the limit at a
/// time; newer ones stay.
pub fn old_verification_failures_are_deleted_oldest_first_up_to_the_limit(store: &dyn Store) {
    let mut transaction = begin(store);
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    for at in [NOW - 3_000, NOW - 2_000, NOW] {
        transaction
            .insert_verification_failure(None, cafe, "undecodable", at)
            .unwrap();
    }
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_eq!(
        transaction
            .delete_verification_failures_before(NOW - 1_000, 1)
            .unwrap(),
        1
    );
    assert_eq!(
        transaction
            .delete_verification_failures_before(NOW - 1_000, 10)
            .unwrap(),
        1
    );
    assert_eq!(
        transaction
            .delete_verification_failures_before(NOW - 1_000, 10)
            .unwrap(),
        0
    );
    assert_eq!(
        transaction
            .delete_verification_failures_before(NOW + 1, 10)
            .unwrap(),
        1
    );
}

/// Threads that run at once.
const THREADS: usize = 8;
/// Attempts each thread makes.
const ATTEMPTS_PER_THREAD: usize = 10;
/// The budget the attempts share: fewer than the attempts.
const BUDGET: u32 = 25;

/// From many threads at once, transactions that lock a merchant's count, check it is under
/// the budget and only then add a failure, count exactly the budget: none overshoots, also
/// when the count's row does not exist yet.
pub fn concurrent_checks_of_a_merchant_failure_count_never_overshoot(store: &dyn Store) {
    let mut transaction = begin(store);
    let (cafe, _) = new_merchant(&mut *transaction, "cafe");
    transaction.commit().unwrap();

    let barrier = Barrier::new(THREADS);
    let counted = AtomicUsize::new(0);
    thread::scope(|scope| {
        for _ in 0..THREADS {
            let (barrier, counted) = (&barrier, &counted);
            scope.spawn(move || {
                barrier.wait();
                for _ in 0..ATTEMPTS_PER_THREAD {
                    if with_retries(|| count_one_if_under_budget(store, cafe)) {
                        counted.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });

    assert_eq!(counted.into_inner(), BUDGET as usize);
    let mut transaction = begin(store);
    assert_eq!(
        transaction.lock_merchant_failures(cafe, MINUTE).unwrap(),
        BUDGET
    );
}

/// One check-and-count transaction.
fn count_one_if_under_budget(store: &dyn Store, merchant: MerchantId) -> StoreResult<bool> {
    let mut transaction = store.begin()?;
    if transaction.lock_merchant_failures(merchant, MINUTE)? >= BUDGET {
        return Ok(false);
    }
    transaction.add_merchant_failures(merchant, MINUTE, 1)?;
    transaction.commit()?;
    Ok(true)
}
