//! Checks of users, sessions, merchants and API keys.

use paycode_core::ids::{ApiKeyId, MerchantId, UserId};
use paycode_core::model::{
    AccountKind, ApiKeyRecord, MerchantRecord, NewSession, PinAttempts, SessionRecord, UserRecord,
};
use paycode_core::store::Store;

use super::{assert_duplicate, begin, new_merchant, new_user, NOW};

/// A user reads back as written, by id and by username, with the PIN hash once set; a second
/// user with a taken username is a duplicate.
pub fn a_user_round_trips_and_a_taken_username_is_a_duplicate(store: &dyn Store) {
    let mut transaction = begin(store);
    let account = transaction.insert_account(AccountKind::User, NOW).unwrap();
    let id = transaction
        .insert_user("alice", "$argon2id$password", account, NOW)
        .unwrap();
    let mut alice = UserRecord {
        id,
        username: "alice".to_owned(),
        password_hash: "$argon2id$password".to_owned(),
        pin_hash: None,
        account_id: account,
        created_at: NOW,
    };
    assert_eq!(transaction.user(id).unwrap(), Some(alice.clone()));
    transaction.set_pin_hash(id, "$argon2id$pin").unwrap();
    alice.pin_hash = Some("$argon2id$pin".to_owned());
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_eq!(transaction.user(id).unwrap(), Some(alice.clone()));
    assert_eq!(
        transaction.user_by_username("alice").unwrap(),
        Some(alice.clone())
    );
    assert_eq!(transaction.user_by_username("bob").unwrap(), None);
    assert_eq!(transaction.user(UserId(id.0 + 1_000)).unwrap(), None);
    let other_account = transaction.insert_account(AccountKind::User, NOW).unwrap();
    assert_duplicate(transaction.insert_user("alice", "$argon2id$other", other_account, NOW));
    drop(transaction);

    // The failed transaction left the store usable and alice as she was.
    let mut transaction = begin(store);
    assert_eq!(transaction.user_by_username("alice").unwrap(), Some(alice));
}

/// A session is found by its token hash and by nothing else, listed with its user's other
/// sessions, touched, and deleted one at a time, all but one, or once expired.
pub fn sessions_are_found_by_token_hash(store: &dyn Store) {
    let mut transaction = begin(store);
    let (user, _) = new_user(&mut *transaction, "alice");
    let (other_user, _) = new_user(&mut *transaction, "bob");
    let new_session = |byte: u8, user, expires_at| NewSession {
        token_hash: vec![byte; 32],
        user_id: user,
        created_at: NOW,
        expires_at,
        user_agent: Some(format!("agent {byte}")),
    };
    let first = transaction
        .insert_session(&new_session(7, user, NOW + 3_600_000))
        .unwrap();
    let second = transaction
        .insert_session(&new_session(8, user, NOW + 1))
        .unwrap();
    let third = transaction
        .insert_session(&new_session(9, user, NOW + 3_600_000))
        .unwrap();
    let others = transaction
        .insert_session(&new_session(10, other_user, NOW + 3_600_000))
        .unwrap();
    assert!(first < second && second < third);
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    let expected = SessionRecord {
        id: first,
        token_hash: vec![7; 32],
        user_id: user,
        created_at: NOW,
        expires_at: NOW + 3_600_000,
        last_used_at: NOW,
        user_agent: Some("agent 7".to_owned()),
    };
    assert_eq!(
        transaction.session(&[7; 32]).unwrap(),
        Some(expected.clone())
    );
    assert_eq!(transaction.session(&[11; 32]).unwrap(), None);
    let listed: Vec<_> = transaction
        .sessions_of_user(user)
        .unwrap()
        .iter()
        .map(|session| session.id)
        .collect();
    assert_eq!(listed, [first, second, third]);

    transaction.touch_session(first, NOW + 5).unwrap();
    transaction.touch_session(first, NOW + 2).unwrap();
    assert_eq!(
        transaction.session(&[7; 32]).unwrap().unwrap().last_used_at,
        NOW + 5,
        "a session's last use never goes back"
    );
    assert!(!transaction.delete_session(other_user, first).unwrap());
    assert!(transaction.delete_session(user, third).unwrap());
    assert!(!transaction.delete_session(user, third).unwrap());
    assert_eq!(transaction.delete_expired_sessions(NOW + 2).unwrap(), 1);
    assert_eq!(transaction.delete_other_sessions(user, first).unwrap(), 0);
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    let left: Vec<_> = transaction
        .sessions_of_user(user)
        .unwrap()
        .iter()
        .map(|session| session.id)
        .collect();
    assert_eq!(left, [first]);
    assert_eq!(transaction.sessions_of_user(other_user).unwrap().len(), 1);
    assert_eq!(
        transaction
            .delete_other_sessions(other_user, first)
            .unwrap(),
        1
    );
    assert!(transaction.session(&[10; 32]).unwrap().is_none());
    let _ = others;
}

/// Users page in id order from a cursor, filtered by a username prefix in which `_` and `%`
/// are plain characters; merchants page in id order.
pub fn users_and_merchants_are_paged_in_id_order(store: &dyn Store) {
    let mut transaction = begin(store);
    let names = ["al_ice", "alfred", "bob", "alxice", "al%"];
    let ids: Vec<UserId> = names
        .iter()
        .map(|name| new_user(&mut *transaction, name).0)
        .collect();
    let shops: Vec<MerchantId> = ["one", "two", "three"]
        .iter()
        .map(|name| new_merchant(&mut *transaction, name).0)
        .collect();
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    let page = |transaction: &mut dyn paycode_core::store::Transaction, prefix, after, limit| {
        transaction
            .users_page(prefix, after, limit)
            .unwrap()
            .iter()
            .map(|user| user.username.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(page(&mut *transaction, "", None, 10), names);
    assert_eq!(page(&mut *transaction, "", None, 2), names[..2]);
    assert_eq!(page(&mut *transaction, "", Some(ids[1]), 2), names[2..4]);
    assert_eq!(page(&mut *transaction, "al_", None, 10), ["al_ice"]);
    assert_eq!(page(&mut *transaction, "al%", None, 10), ["al%"]);
    assert_eq!(
        page(&mut *transaction, "al", Some(ids[0]), 10),
        ["alfred", "alxice", "al%"]
    );
    assert!(page(&mut *transaction, "zed", None, 10).is_empty());
    let merchants: Vec<MerchantId> = transaction
        .merchants_page(Some(shops[0]), 10)
        .unwrap()
        .iter()
        .map(|merchant| merchant.id)
        .collect();
    assert_eq!(merchants, shops[1..]);
    assert_eq!(transaction.merchants_page(None, 1).unwrap()[0].id, shops[0]);
}

/// A user's count of wrong PINs starts at zero, reads back as written, and is kept per user.
pub fn pin_attempts_are_kept_per_user(store: &dyn Store) {
    let mut transaction = begin(store);
    let (alice, _) = new_user(&mut *transaction, "alice");
    let (bob, _) = new_user(&mut *transaction, "bob");
    assert_eq!(
        transaction.lock_pin_attempts(alice).unwrap(),
        Some(PinAttempts::default())
    );
    let locked = PinAttempts {
        failures: 5,
        locked_until: Some(NOW + 900_000),
    };
    transaction.put_pin_attempts(alice, &locked).unwrap();
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_eq!(transaction.lock_pin_attempts(alice).unwrap(), Some(locked));
    assert_eq!(
        transaction.lock_pin_attempts(bob).unwrap(),
        Some(PinAttempts::default())
    );
    assert_eq!(
        transaction.lock_pin_attempts(UserId(i64::MAX)).unwrap(),
        None
    );
    assert!(transaction
        .put_pin_attempts(UserId(i64::MAX), &locked)
        .is_err());
}

/// Merchants read back as written; API keys are found by hash and listed oldest first per
/// merchant; only the owning merchant can revoke a key, and only once.
pub fn api_keys_are_found_by_hash_and_revoked_once_by_their_own_merchant(store: &dyn Store) {
    let mut transaction = begin(store);
    let (cafe, cafe_account) = new_merchant(&mut *transaction, "cafe");
    let (bakery, _) = new_merchant(&mut *transaction, "bakery");
    let first = transaction.insert_api_key(cafe, &[1; 32], NOW).unwrap();
    let second = transaction.insert_api_key(cafe, &[2; 32], NOW + 1).unwrap();
    let bakery_key = transaction.insert_api_key(bakery, &[3; 32], NOW).unwrap();
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    assert_eq!(
        transaction.merchant(cafe).unwrap(),
        Some(MerchantRecord {
            id: cafe,
            name: "cafe".to_owned(),
            account_id: cafe_account,
            created_at: NOW,
            webhook: None,
        })
    );
    assert_eq!(
        transaction.merchant(MerchantId(bakery.0 + 1_000)).unwrap(),
        None
    );
    let first_key = key(first, cafe, 1, NOW);
    assert_eq!(
        transaction.api_key_by_hash(&[1; 32]).unwrap(),
        Some(first_key.clone())
    );
    assert_eq!(transaction.api_key_by_hash(&[9; 32]).unwrap(), None);
    assert_eq!(
        transaction.api_keys_of_merchant(cafe).unwrap(),
        [first_key.clone(), key(second, cafe, 2, NOW + 1)]
    );
    assert_eq!(
        transaction.api_keys_of_merchant(bakery).unwrap(),
        [key(bakery_key, bakery, 3, NOW)]
    );

    assert!(!transaction.revoke_api_key(bakery, first, NOW + 5).unwrap());
    assert!(transaction.revoke_api_key(cafe, first, NOW + 5).unwrap());
    assert!(!transaction.revoke_api_key(cafe, first, NOW + 6).unwrap());
    assert!(!transaction
        .revoke_api_key(cafe, ApiKeyId(bakery_key.0 + 1_000), NOW)
        .unwrap());
    transaction.commit().unwrap();

    let mut transaction = begin(store);
    let revoked = ApiKeyRecord {
        revoked_at: Some(NOW + 5),
        ..first_key
    };
    assert_eq!(
        transaction.api_key_by_hash(&[1; 32]).unwrap(),
        Some(revoked)
    );
    assert_eq!(
        transaction
            .api_key_by_hash(&[3; 32])
            .unwrap()
            .unwrap()
            .revoked_at,
        None
    );
}

fn key(id: ApiKeyId, merchant: MerchantId, hash_byte: u8, created_at: i64) -> ApiKeyRecord {
    ApiKeyRecord {
        id,
        merchant_id: merchant,
        key_hash: vec![hash_byte; 32],
        created_at,
        revoked_at: None,
    }
}
