//! The operator's reads for the console: users found by username and paged, a user's balance,
//! devices, PIN state and history, merchants paged with their keys, and a device revoked at the
//! desk.

use paycode_api::DeviceStatus;

use crate::helpers::{
    pay_request, spawn_app, status_and_code, Backend, Phone, Proof, PASSWORD, PIN,
};

async fn users_are_found_by_username_and_paged(backend: Backend) {
    let app = spawn_app(backend).await;
    for name in ["ann", "anna", "bob", "annika"] {
        app.wallet(name, 0).await;
    }
    let found = app.admin.users(Some("ann"), None, None).await.unwrap();
    let names: Vec<&str> = found
        .items
        .iter()
        .map(|user| user.username.as_str())
        .collect();
    assert_eq!(names, ["ann", "anna", "annika"]);
    assert_eq!(found.next_after, None, "a short page is the last");

    let first = app.admin.users(None, None, Some(2)).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let after = first.next_after.expect("a full page has a next cursor");
    let second = app.admin.users(None, Some(after), Some(2)).await.unwrap();
    let names: Vec<&str> = second
        .items
        .iter()
        .map(|user| user.username.as_str())
        .collect();
    assert_eq!(names, ["bob", "annika"]);
    let third = app
        .admin
        .users(None, second.next_after, Some(2))
        .await
        .unwrap();
    assert!(third.items.is_empty());

    let too_many = app.admin.users(None, None, Some(101)).await;
    assert_eq!(
        status_and_code(too_many),
        (400, "MALFORMED_REQUEST".to_owned())
    );
    let long = "a".repeat(65);
    let too_long = app.admin.users(Some(&long), None, None).await;
    assert_eq!(
        status_and_code(too_long),
        (400, "MALFORMED_REQUEST".to_owned())
    );
    // A NUL (which PostgreSQL refuses in text) is a bad request, not a server error.
    let nul = app.admin.users(Some("al\u{0}"), None, None).await;
    assert_eq!(status_and_code(nul), (400, "MALFORMED_REQUEST".to_owned()));
    let wallet_key = app.wallet("eve", 0).await;
    let not_admin = wallet_key.client.users(None, None, None).await;
    assert_eq!(
        status_and_code(not_admin),
        (401, "UNAUTHENTICATED".to_owned())
    );
    app.assert_ledger_ok().await;
}

async fn a_users_overview_shows_balance_devices_pin_and_history(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 5_000).await;
    let shop = app.merchant("Canteen").await;
    let phone = Phone::new(
        &alice
            .client
            .enroll_device(Some("phone"), Proof::Password(PASSWORD))
            .await
            .unwrap(),
    );
    shop.client
        .pay(&pay_request("order-1", &phone.code(app.step(), 0), 1_250))
        .await
        .unwrap();
    alice.client.set_pin(PIN, None).await.unwrap();
    for _ in 0..5 {
        let _ = alice.client.set_pin("999999", Some("000000")).await;
    }

    let overview = app.admin.user_overview(alice.user_id).await.unwrap();
    assert_eq!(overview.user.username, "alice");
    assert_eq!(overview.balance, 3_750);
    assert!(overview.pin_set);
    assert!(
        overview.pin_locked_until.is_some(),
        "five wrong PINs lock it"
    );
    assert_eq!(overview.devices.len(), 1);
    assert_eq!(overview.devices[0].name.as_deref(), Some("phone"));
    let history = app
        .admin
        .user_transactions(alice.user_id, None, Some(1))
        .await
        .unwrap();
    assert_eq!(history.items.len(), 1);
    assert_eq!(history.items[0].amount, -1_250);
    let older = app
        .admin
        .user_transactions(alice.user_id, history.next_before, None)
        .await
        .unwrap();
    assert_eq!(older.items.len(), 1);
    assert_eq!(older.items[0].amount, 5_000);

    // A phone reported lost at the desk: revoked by the operator, it pays no more.
    let revoked = app
        .admin
        .revoke_device_as_operator(phone.device_id)
        .await
        .unwrap();
    assert_eq!(revoked.status, DeviceStatus::Revoked);
    let refused = shop
        .client
        .pay(&pay_request("order-2", &phone.code(app.step(), 1), 100))
        .await;
    assert_eq!(status_and_code(refused), (422, "DEVICE_REVOKED".to_owned()));
    let unknown = app.admin.user_overview(999_999).await;
    assert_eq!(status_and_code(unknown), (404, "NOT_FOUND".to_owned()));
    let unknown = app.admin.revoke_device_as_operator(1_000_000_001).await;
    assert_eq!(status_and_code(unknown), (404, "NOT_FOUND".to_owned()));
    app.assert_ledger_ok().await;
}

async fn merchants_are_paged_and_their_keys_listed_without_the_keys(backend: Backend) {
    let app = spawn_app(backend).await;
    let canteen = app.merchant("Canteen").await;
    let kiosk = app.merchant("Kiosk").await;
    let second_key = app.admin.add_merchant_key(canteen.id).await.unwrap();
    app.admin
        .revoke_merchant_key(canteen.id, canteen.api_key_id)
        .await
        .unwrap();

    let first = app.admin.merchants(None, Some(1)).await.unwrap();
    assert_eq!(first.items[0].id, canteen.id);
    assert!(first.items[0].api_key.is_none(), "keys are never listed");
    let second = app
        .admin
        .merchants(first.next_after, Some(1))
        .await
        .unwrap();
    assert_eq!(second.items[0].name, "Kiosk");
    assert_eq!(second.items[0].id, kiosk.id);

    let keys = app.admin.merchant_keys(canteen.id).await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].id, canteen.api_key_id);
    assert!(keys[0].revoked_at.is_some());
    assert_eq!(keys[1].id, second_key.api_key_id);
    assert!(keys[1].revoked_at.is_none());
    let unknown = app.admin.merchant_keys(999_999).await;
    assert_eq!(status_and_code(unknown), (404, "NOT_FOUND".to_owned()));
    app.assert_ledger_ok().await;
}

on_both_backends!(
    users_are_found_by_username_and_paged,
    a_users_overview_shows_balance_devices_pin_and_history,
    merchants_are_paged_and_their_keys_listed_without_the_keys,
);
