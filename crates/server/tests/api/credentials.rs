//! A stolen wallet session and what it cannot do: guess the PIN without limit, mint a device
//! secret without the PIN, or outlive its owner's logout; online codes die with their device.

use paycode_api::TradeStatus;
use paycode_client::{Client, USER_AGENT};

use crate::helpers::{
    pay_request, spawn_app, status_and_code, Backend, Phone, Proof, PASSWORD, PIN,
};

/// The attack as it was reported: thirty wrong current PINs in a row through `PUT
/// /v1/wallet/pin`. The fifth locks every PIN check of the user, the right one included, for
/// fifteen minutes, and the lock covers payment confirmations too.
async fn thirty_wrong_pins_lock_the_pin_for_fifteen_minutes(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 50_000).await;
    alice.client.set_pin(PIN, None).await.unwrap();
    let mut answers = Vec::new();
    for guess in 0..30 {
        let wrong = format!("{:06}", 100_000 + guess);
        answers.push(status_and_code(
            alice.client.set_pin("999999", Some(&wrong)).await,
        ));
    }
    assert_eq!(answers[..4], vec![(403, "FORBIDDEN".to_owned()); 4]);
    assert_eq!(answers[4..], vec![(422, "PIN_LOCKED".to_owned()); 26]);

    let right = alice.client.set_pin("999999", Some(PIN)).await;
    assert_eq!(status_and_code(right), (422, "PIN_LOCKED".to_owned()));
    let shop = app.merchant("Electronics").await;
    let code = alice.client.online_code(None).await.unwrap_err();
    assert_eq!(
        status_and_code::<()>(Err(code)),
        (403, "FORBIDDEN".to_owned()),
        "no device enrolled yet"
    );
    let enroll = alice
        .client
        .enroll_device(Some("thief's phone"), Proof::Pin(PIN))
        .await;
    assert_eq!(status_and_code(enroll), (422, "PIN_LOCKED".to_owned()));

    app.clock.advance_seconds(15 * 60);
    alice.client.set_pin("999999", Some(PIN)).await.unwrap();
    let phone = Phone::new(
        &alice
            .client
            .enroll_device(Some("phone"), Proof::Pin("999999"))
            .await
            .unwrap(),
    );
    let paid = shop
        .client
        .pay(&pay_request("order-1", &phone.code(app.step(), 0), 100))
        .await
        .unwrap();
    assert_eq!(paid.trade.status, TradeStatus::Success);
    app.assert_ledger_ok().await;
}

/// Wrong PINs at payment confirmations and at PIN changes are one count.
async fn wrong_pins_at_confirmations_and_pin_changes_count_together(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 500_000).await;
    alice.client.set_pin(PIN, None).await.unwrap();
    let shop = app.merchant("Electronics").await;
    let phone = Phone::new(
        &alice
            .client
            .enroll_device(None, Proof::Pin(PIN))
            .await
            .unwrap(),
    );
    let large = shop
        .client
        .pay(&pay_request("tv", &phone.code(app.step(), 0), 150_000))
        .await
        .unwrap();
    assert_eq!(large.trade.status, TradeStatus::UserPaying);
    for _ in 0..3 {
        let wrong = alice
            .client
            .confirm_payment(&large.trade.trade_no, "000000")
            .await;
        assert_eq!(status_and_code(wrong), (403, "FORBIDDEN".to_owned()));
    }
    let wrong = alice.client.set_pin("999999", Some("000000")).await;
    assert_eq!(status_and_code(wrong), (403, "FORBIDDEN".to_owned()));
    let fifth = alice.client.set_pin("999999", Some("000001")).await;
    assert_eq!(status_and_code(fifth), (422, "PIN_LOCKED".to_owned()));
    let right = alice
        .client
        .confirm_payment(&large.trade.trade_no, PIN)
        .await;
    assert_eq!(status_and_code(right), (422, "PIN_LOCKED".to_owned()));
    assert_eq!(
        shop.client.payment("tv").await.unwrap().status,
        TradeStatus::UserPaying,
        "the trade waits, unpaid, while the PIN is locked"
    );
    assert_eq!(alice.client.balance().await.unwrap().balance, 500_000);
    app.assert_ledger_ok().await;
}

/// A session alone does not enroll a device or rotate its secret: the password is needed while
/// no PIN is set, and the PIN after.
async fn a_session_alone_cannot_mint_a_device_secret(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 0).await;
    let token = app.anonymous.login("alice", PASSWORD).await.unwrap().token;
    let (status, body) = app
        .oneshot(
            axum::http::Request::post("/v1/wallet/devices")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(r#"{"name":"thief"}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (403, Some("FORBIDDEN"))
    );
    let wrong = alice
        .client
        .enroll_device(None, Proof::Password("wrong horse battery"))
        .await;
    assert_eq!(status_and_code(wrong), (403, "FORBIDDEN".to_owned()));
    let device = alice.enroll().await;

    alice.client.set_pin(PIN, None).await.unwrap();
    let by_password = alice
        .client
        .rotate_device(device.id, Proof::Password(PASSWORD))
        .await;
    assert_eq!(status_and_code(by_password), (403, "FORBIDDEN".to_owned()));
    let rotated = alice
        .client
        .rotate_device(device.id, Proof::Pin(PIN))
        .await
        .unwrap();
    assert_ne!(rotated.secret, device.secret);
    assert_eq!(alice.client.devices().await.unwrap().len(), 1);
    app.assert_ledger_ok().await;
}

/// A user lists their sessions, ends one, ends all others, and logs out; an ended session's
/// token authenticates nothing, and another user's session cannot be ended.
async fn sessions_are_listed_and_ended(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 0).await;
    let second = login(&app.anonymous, "alice").await;
    let third = login(&app.anonymous, "alice").await;
    let bob = app.wallet("bob", 0).await;

    let sessions = alice.client.sessions().await.unwrap();
    assert_eq!(sessions.len(), 3, "{sessions:?}");
    assert_eq!(sessions.iter().filter(|session| session.current).count(), 1);
    assert!(sessions[0].current, "the first login is this client's");
    assert!(sessions
        .iter()
        .all(|session| session.user_agent.as_deref() == Some(USER_AGENT)));

    let bobs = bob.client.sessions().await.unwrap();
    let stranger = bob.client.end_session(sessions[1].id).await;
    assert_eq!(status_and_code(stranger), (404, "NOT_FOUND".to_owned()));
    alice.client.end_session(sessions[1].id).await.unwrap();
    assert_eq!(
        status_and_code(second.balance().await),
        (401, "UNAUTHENTICATED".to_owned())
    );
    assert_eq!(third.sessions().await.unwrap().len(), 2);

    assert_eq!(third.end_other_sessions().await.unwrap(), 1);
    assert_eq!(
        status_and_code(alice.client.balance().await),
        (401, "UNAUTHENTICATED".to_owned())
    );
    third.logout().await.unwrap();
    assert_eq!(
        status_and_code(third.balance().await),
        (401, "UNAUTHENTICATED".to_owned())
    );
    assert_eq!(
        bob.client.sessions().await.unwrap(),
        bobs,
        "bob's session is untouched"
    );
    app.assert_ledger_ok().await;
}

/// An online code asked for before its device was revoked does not pay after.
async fn a_revoked_devices_online_codes_stop_working(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 50_000).await;
    let shop = app.merchant("Canteen").await;
    let device = alice.enroll().await;
    let code = alice.client.online_code(None).await.unwrap().code;
    alice.client.revoke_device(device.id).await.unwrap();
    let refused = shop.client.pay(&pay_request("order-1", &code, 100)).await;
    assert_eq!(status_and_code(refused), (422, "CODE_EXPIRED".to_owned()));
    let none = alice.client.online_code(None).await;
    assert_eq!(status_and_code(none), (403, "FORBIDDEN".to_owned()));
    app.assert_ledger_ok().await;
}

/// Expired sessions are deleted once their retention is over, by the same
/// periodic sweep that closes overdue payments.
async fn expired_sessions_are_pruned_after_their_retention(backend: Backend) {
    use paycode_core::limits::EXPIRED_CREDENTIAL_RETENTION_SECONDS;
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 0).await;
    alice.enroll().await;
    alice.client.online_code(None).await.unwrap();
    let user = paycode_core::ids::UserId(alice.user_id);
    // The store's and the domain's calls block (PostgreSQL's client does), so they run off
    // the test's async runtime.
    let sweep_and_count = || {
        let state = app.state.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                state.paycode.close_overdue_trades().unwrap();
                let mut transaction = state.store.begin_read().unwrap();
                transaction.sessions_of_user(user).unwrap().len()
            })
            .await
            .unwrap()
        }
    };
    assert_eq!(sweep_and_count().await, 1);
    let ttl = i64::from(crate::helpers::test_config().session_ttl_seconds);
    app.clock
        .advance_seconds(ttl + i64::from(EXPIRED_CREDENTIAL_RETENTION_SECONDS) - 1);
    assert_eq!(
        sweep_and_count().await,
        1,
        "kept until its retention is over"
    );
    app.clock.advance_seconds(2);
    assert_eq!(sweep_and_count().await, 0);
    app.assert_ledger_ok().await;
}

async fn login(anonymous: &Client, username: &str) -> Client {
    let session = anonymous.login(username, PASSWORD).await.unwrap();
    anonymous.with_bearer(session.token)
}

on_both_backends!(
    thirty_wrong_pins_lock_the_pin_for_fifteen_minutes,
    wrong_pins_at_confirmations_and_pin_changes_count_together,
    a_session_alone_cannot_mint_a_device_secret,
    sessions_are_listed_and_ended,
    a_revoked_devices_online_codes_stop_working,
    expired_sessions_are_pruned_after_their_retention,
);
