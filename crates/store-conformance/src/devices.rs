//! Checks of device slots, devices, spent offline codes and online codes.

use paycode_core::ids::DeviceId;
use paycode_core::limits::MAX_DEVICE_SLOT;
use paycode_core::model::{DeviceRecord, DeviceStatus, OnlineCodeRecord, SealedSecret};
use paycode_core::store::Store;
use paycode_otp::Algorithm;

use super::{assert_duplicate, begin, device, enroll, new_merchant, new_user, NOW};

/// Slots are drawn at random from 1..=999_999_999 (SPEC 2.5 point 6), so they are not the
/// small numbers a counter would hand out; a slot that a stored device holds, revoked or not,
/// is never handed out again.
pub fn device_slots_are_drawn_at_random_and_never_reused_once_stored(store: &dyn Store) {
    const DEVICES: usize = 20;
    let mut transaction = begin(store);
    let (user, _) = new_user(&mut *transaction, "alice");
    let mut stored = Vec::new();
    for _ in 0..DEVICES {
        let mut device = enroll(&mut *transaction, user);
        assert!(
            (1..=MAX_DEVICE_SLOT).contains(&device.id.0),
            "{:?}",
            device.id
        );
        assert!(
            !stored.contains(&device.id),
            "{:?} handed out twice",
            device.id
        );
        device.status = DeviceStatus::Revoked;
        transaction.update_device(&device).unwrap();
        stored.push(device.id);
    }
    transaction.commit().unwrap();
    // Twenty draws from a billion are all below a million with odds of 1 in 10^60; a counter
    // would hand out 1 to 20.
    assert!(
        stored.iter().any(|slot| slot.0 > 1_000_000),
        "slots look sequential: {stored:?}"
    );
    let mut transaction = begin(store);
    let drawn = transaction.allocate_device_slot().unwrap();
    assert!(!stored.contains(&drawn));
}

/// A device reads back exactly as inserted, through both `device` and `lock_device`, and
/// exactly as updated, before and after commit.
pub fn a_device_round_trips_every_field_through_insert_update_and_lock(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, _) = new_user(&mut *transaction, "alice");
    let inserted = enroll(&mut *transaction, user);
    assert_eq!(
        transaction.device(inserted.id).unwrap(),
        Some(inserted.clone())
    );
    assert_eq!(
        transaction.lock_device(inserted.id).unwrap(),
        Some(inserted.clone())
    );
    let updated = DeviceRecord {
        name: None,
        algorithm: Algorithm::Sha512,
        period_seconds: 30,
        secret: SealedSecret {
            key_id: 8,
            nonce: vec![3; 12],
            ciphertext: vec![4; 40],
        },
        status: DeviceStatus::Revoked,
        failed_attempts: 0,
        locked_until: None,
        drift_steps: 4,
        last_used_at: Some(NOW + 10_000),
        ..inserted.clone()
    };
    transaction.update_device(&updated).unwrap();
    assert_eq!(
        transaction.lock_device(inserted.id).unwrap(),
        Some(updated.clone())
    );
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_eq!(
        transaction.device(inserted.id).unwrap(),
        Some(updated.clone())
    );
    assert_eq!(transaction.lock_device(inserted.id).unwrap(), Some(updated));
    let unknown = DeviceId(inserted.id.0 + 1_000);
    assert_eq!(transaction.device(unknown).unwrap(), None);
    assert_eq!(transaction.lock_device(unknown).unwrap(), None);
}

/// A user's devices, revoked ones included, come oldest first (slots are random, so this is
/// not their id order); all devices page in id order.
pub fn devices_are_listed_per_user_and_paged_in_id_order(store: &dyn Store) {
    let mut transaction = begin(store);
    let (alice, _) = new_user(&mut *transaction, "alice");
    let (bob, _) = new_user(&mut *transaction, "bob");
    let mut enroll_at = |user, created_at| {
        let mut record = device(transaction.allocate_device_slot().unwrap(), user);
        record.created_at = created_at;
        transaction.insert_device(&record).unwrap();
        record
    };
    let alice_first = enroll_at(alice, NOW);
    let bob_only = enroll_at(bob, NOW + 1_000);
    let mut alice_second = enroll_at(alice, NOW + 2_000);
    alice_second.status = DeviceStatus::Revoked;
    transaction.update_device(&alice_second).unwrap();
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_eq!(
        transaction.devices_of_user(alice).unwrap(),
        [alice_first.clone(), alice_second.clone()]
    );
    assert_eq!(
        transaction.devices_of_user(bob).unwrap(),
        std::slice::from_ref(&bob_only)
    );
    let mut by_id = [alice_first, bob_only, alice_second];
    by_id.sort_by_key(|device| device.id);
    let first_page = transaction.devices_page(None, 2).unwrap();
    assert_eq!(first_page, by_id[..2]);
    let second_page = transaction.devices_page(Some(by_id[1].id), 2).unwrap();
    assert_eq!(second_page, by_id[2..]);
    assert!(transaction
        .devices_page(Some(by_id[2].id), 2)
        .unwrap()
        .is_empty());
}

/// A failed verification is recorded whether or not a device was identified.
pub fn verification_failures_are_recorded_with_or_without_a_device(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, _) = new_user(&mut *transaction, "alice");
    let (merchant, _) = new_merchant(&mut *transaction, "cafe");
    let enrolled = enroll(&mut *transaction, user);
    transaction
        .insert_verification_failure(Some(enrolled.id), merchant, "otp mismatch", NOW)
        .unwrap();
    transaction
        .insert_verification_failure(None, merchant, "unknown prefix", NOW)
        .unwrap();
    transaction.commit().unwrap();
}

/// Spending (device, step, index) succeeds the first time only, ever; another index, step or
/// device is another code. Steps up to 2^56 are stored exactly.
pub fn an_offline_code_is_spent_once_per_device_step_and_index(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, _) = new_user(&mut *transaction, "alice");
    let phone = enroll(&mut *transaction, user).id;
    let tablet = enroll(&mut *transaction, user).id;
    assert!(transaction.spend_offline_code(phone, 100, 0, NOW).unwrap());
    assert!(!transaction.spend_offline_code(phone, 100, 0, NOW).unwrap());
    assert!(transaction.spend_offline_code(phone, 100, 9, NOW).unwrap());
    assert!(transaction.spend_offline_code(phone, 101, 0, NOW).unwrap());
    assert!(transaction.spend_offline_code(tablet, 100, 0, NOW).unwrap());
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert!(!transaction
        .spend_offline_code(phone, 100, 0, NOW + 1)
        .unwrap());
    let far_step = 1_u64 << 56;
    assert!(transaction
        .spend_offline_code(phone, far_step, 0, NOW)
        .unwrap());
    assert!(transaction
        .spend_offline_code(phone, far_step - 1, 0, NOW)
        .unwrap());
    assert!(!transaction
        .spend_offline_code(phone, far_step, 0, NOW)
        .unwrap());
}

/// An online code reads back as written, is a duplicate if inserted twice, is spent once, and
/// is deleted only once it expired strictly before the given time.
pub fn online_codes_are_spent_once_and_expired_ones_deleted(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, _) = new_user(&mut *transaction, "alice");
    let phone = enroll(&mut *transaction, user).id;
    let from_phone = OnlineCodeRecord {
        code_hash: vec![1; 32],
        user_id: user,
        device_id: Some(phone),
        created_at: NOW,
        expires_at: NOW + 60_000,
        used_at: None,
    };
    let short_lived = OnlineCodeRecord {
        code_hash: vec![2; 32],
        device_id: None,
        expires_at: NOW + 1_000,
        ..from_phone.clone()
    };
    transaction.insert_online_code(&from_phone).unwrap();
    transaction.insert_online_code(&short_lived).unwrap();
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_eq!(
        transaction.lock_online_code(&[1; 32]).unwrap(),
        Some(from_phone.clone())
    );
    assert_eq!(
        transaction.lock_online_code(&[2; 32]).unwrap(),
        Some(short_lived)
    );
    assert_eq!(transaction.lock_online_code(&[3; 32]).unwrap(), None);
    assert!(transaction.spend_online_code(&[1; 32], NOW + 5).unwrap());
    assert!(!transaction.spend_online_code(&[1; 32], NOW + 6).unwrap());
    assert!(!transaction.spend_online_code(&[3; 32], NOW + 6).unwrap());
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    let spent = OnlineCodeRecord {
        used_at: Some(NOW + 5),
        ..from_phone.clone()
    };
    assert_eq!(
        transaction.lock_online_code(&[1; 32]).unwrap(),
        Some(spent.clone())
    );
    assert_eq!(
        transaction
            .delete_expired_online_codes(NOW + 1_000)
            .unwrap(),
        0
    );
    assert_eq!(
        transaction
            .delete_expired_online_codes(NOW + 1_001)
            .unwrap(),
        1
    );
    assert_eq!(transaction.lock_online_code(&[2; 32]).unwrap(), None);
    assert_eq!(transaction.lock_online_code(&[1; 32]).unwrap(), Some(spent));
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_duplicate(transaction.insert_online_code(&from_phone));
}
