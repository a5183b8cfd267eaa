//! Merchants' notifications (SPEC section 7), delivered to a real HTTP receiver on loopback:
//! signed events for payments, refunds, reversals and closings; retries with backoff; none for
//! a refused payment; the events list and redelivery; the rules for webhook URLs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use paycode_api::{EventInfo, RefundRequest, TradeStatus};
use sha2::Sha256;
use tokio::net::TcpListener;

use crate::helpers::{
    code_of, pay_request, spawn_app, status_and_code, Backend, Merchant, Proof, TestApp, Wallet,
    PIN,
};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// Its headers.
    pub headers: HeaderMap,
    /// Its raw body.
    pub body: Bytes,
}

impl Received {
    /// A header as text.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

/// A merchant's webhook receiver on loopback: records every request and answers the statuses
/// it is given in turn, then 200.
#[derive(Clone)]
pub struct Receiver {
    /// `http://127.0.0.1:PORT/hook`.
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    /// Starts one that answers `statuses` first, then 200 to everything.
    pub async fn start(statuses: &[u16]) -> Self {
        let received = Arc::new(Mutex::new(Vec::<Received>::new()));
        let answers = Arc::new(Mutex::new(statuses.to_vec()));
        let handler = {
            let received = Arc::clone(&received);
            move |headers: HeaderMap, body: Bytes| {
                let (received, answers) = (Arc::clone(&received), Arc::clone(&answers));
                async move {
                    received.lock().unwrap().push(Received { headers, body });
                    let mut answers = answers.lock().unwrap();
                    let status = if answers.is_empty() {
                        200
                    } else {
                        answers.remove(0)
                    };
                    StatusCode::from_u16(status).unwrap()
                }
            }
        };
        let app = axum::Router::new().route("/hook", axum::routing::post(handler));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, received }
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `count` requests have arrived (at most 15 s) and returns them.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..150 {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the receiver got {} requests, not {count}",
            self.received().len()
        );
    }
}

/// Checks `Paycode-Signature` as a merchant would, with `hmac` and `sha2` directly: the HMAC
/// of `t + "." + body` under the secret's UTF-8 bytes, in lower-case hex.
pub fn assert_signed(received: &Received, secret: &str) {
    let signature = received.header("paycode-signature");
    let (t, v1) = signature
        .split_once(',')
        .and_then(|(t, v1)| Some((t.strip_prefix("t=")?, v1.strip_prefix("v1=")?)))
        .unwrap_or_else(|| panic!("a signature header of the form t=..,v1=..: {signature}"));
    assert!(t.parse::<i64>().is_ok(), "t is unix seconds: {t}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(&received.body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    assert_eq!(v1, expected, "the signature verifies");
}

async fn events_of(shop: &Merchant) -> Vec<EventInfo> {
    shop.client.events(None, None).await.unwrap().items
}

/// Waits until the merchant's newest event is delivered (at most 15 s).
async fn wait_delivered(shop: &Merchant, count: usize) -> Vec<EventInfo> {
    for _ in 0..150 {
        let events = events_of(shop).await;
        if events.len() >= count && events.iter().all(|event| event.delivered) {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("events not delivered: {:?}", events_of(shop).await);
}

async fn scene(
    backend: Backend,
    statuses: &[u16],
) -> (TestApp, Wallet, Merchant, Receiver, String) {
    let app = spawn_app(backend).await;
    let wallet = app.wallet("alice", 50_000).await;
    wallet.client.set_pin(PIN, None).await.unwrap();
    wallet
        .client
        .enroll_device(Some("phone"), Proof::Pin(PIN))
        .await
        .unwrap();
    let shop = app.merchant("Cafe").await;
    let receiver = Receiver::start(statuses).await;
    let webhook = shop.client.set_webhook(&receiver.url).await.unwrap();
    assert_eq!(webhook.url, receiver.url);
    assert!(webhook.secret.starts_with("whsec_"));
    (app, wallet, shop, receiver, webhook.secret)
}

async fn pay(wallet: &Wallet, shop: &Merchant, out_trade_no: &str, amount: i64) -> String {
    let code = wallet.client.online_code(None).await.unwrap().code;
    let payment = shop
        .client
        .pay(&pay_request(out_trade_no, &code, amount))
        .await
        .unwrap();
    payment.trade.trade_no
}

async fn a_payments_event_arrives_signed_and_verifiable(backend: Backend) {
    let (app, wallet, shop, receiver, secret) = scene(backend, &[]).await;
    let trade_no = pay(&wallet, &shop, "order-1", 1_250).await;

    let received = receiver.wait_for(1).await;
    let event = &received[0];
    assert_signed(event, &secret);
    assert_eq!(event.header("content-type"), "application/json");
    let body = event.json();
    assert_eq!(body["type"], "trade.succeeded");
    assert_eq!(event.header("paycode-event-id"), body["id"].to_string());
    assert_eq!(body["data"]["trade_no"], trade_no.as_str());
    assert_eq!(body["data"]["out_trade_no"], "order-1");
    assert_eq!(body["data"]["status"], "SUCCESS");
    assert_eq!(body["data"]["amount"], 1_250);
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));

    let events = wait_delivered(&shop, 1).await;
    assert_eq!(events[0].attempts, 1);
    assert_eq!(events[0].next_attempt_at, None);
    assert_eq!(events[0].data, body["data"], "the list shows what was sent");

    // A refund, then a reversal of what is left: one event each, in that order.
    let refund = shop
        .client
        .refund(
            "order-1",
            &RefundRequest {
                out_refund_no: "refund-1".to_owned(),
                amount: 250,
                reason: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(refund.out_trade_no, "order-1");
    shop.client.cancel("order-1").await.unwrap();
    let received = receiver.wait_for(3).await;
    let bodies: Vec<serde_json::Value> = received.iter().map(Received::json).collect();
    let refunded = bodies
        .iter()
        .find(|body| body["type"] == "refund.succeeded")
        .expect("a refund event");
    assert_eq!(refunded["data"]["refund_no"], refund.refund_no.as_str());
    assert_eq!(refunded["data"]["out_trade_no"], "order-1");
    assert_eq!(refunded["data"]["amount"], 250);
    let reversed = bodies
        .iter()
        .find(|body| body["type"] == "trade.reversed")
        .expect("a reversal event");
    assert_eq!(reversed["data"]["status"], "REVERSED");
    assert_eq!(reversed["data"]["refunded_amount"], 1_250);
    assert!(
        bodies[0]["data"]["refunded_amount"] == 0,
        "each event keeps the trade as it was then"
    );
    received
        .iter()
        .for_each(|event| assert_signed(event, &secret));
    wait_delivered(&shop, 3).await;
    let metrics = app.anonymous.metrics().await.unwrap();
    assert!(metrics.contains("paycode_webhook_deliveries_total{outcome=\"delivered\"} 3"));
    app.assert_ledger_ok().await;
}

async fn a_receiver_failing_twice_gets_the_event_on_the_third_try(backend: Backend) {
    let (app, wallet, shop, receiver, secret) = scene(backend, &[500, 503]).await;
    pay(&wallet, &shop, "order-1", 700).await;

    receiver.wait_for(1).await;
    let failed = wait_attempts(&shop, 1).await;
    assert!(!failed.delivered);
    assert_eq!(
        failed.last_error.as_deref(),
        Some("the receiver answered HTTP 500")
    );
    let first_retry = failed.next_attempt_at.clone().expect("a retry is due");
    // The first retry is due 5 s later (SPEC: within 10 s), the second 10 s after that; the
    // manual clock stands still meanwhile, so nothing is sent early.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(receiver.received().len(), 1, "no retry before it is due");
    app.clock.advance_seconds(5);
    receiver.wait_for(2).await;
    let failed_again = wait_attempts(&shop, 2).await;
    assert_eq!(
        failed_again.last_error.as_deref(),
        Some("the receiver answered HTTP 503")
    );
    assert!(failed_again.next_attempt_at.clone().unwrap() > first_retry);
    app.clock.advance_seconds(10);
    let received = receiver.wait_for(3).await;
    let delivered = wait_delivered(&shop, 1).await;
    assert_eq!(delivered[0].attempts, 3);
    assert_eq!(received.len(), 3);
    let ids: Vec<&str> = received
        .iter()
        .map(|event| event.header("paycode-event-id"))
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one id on every retry");
    assert!(received.iter().all(|event| event.body == received[0].body));
    received
        .iter()
        .for_each(|event| assert_signed(event, &secret));
    app.assert_ledger_ok().await;
}

/// Waits until the merchant's newest event has `attempts` attempts, and returns it.
async fn wait_attempts(shop: &Merchant, attempts: u32) -> EventInfo {
    for _ in 0..150 {
        if let Some(event) = events_of(shop).await.into_iter().next() {
            if event.attempts >= attempts {
                return event;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no attempt {attempts}: {:?}", events_of(shop).await);
}

async fn a_refused_payment_has_no_event_and_a_merchant_without_webhook_none(backend: Backend) {
    let (app, wallet, shop, receiver, _) = scene(backend, &[]).await;
    let poor = app.wallet("bob", 100).await;
    poor.enroll().await;
    let code = poor.client.online_code(None).await.unwrap().code;
    let refused = shop.client.pay(&pay_request("order-1", &code, 500)).await;
    assert_eq!(code_of(refused), "INSUFFICIENT_FUNDS");
    let other = app.merchant("Bakery").await;
    pay(&wallet, &other, "order-2", 100).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(
        events_of(&shop).await.is_empty(),
        "a rolled-back payment has no event"
    );
    assert!(events_of(&other).await.is_empty(), "no webhook, no events");
    assert!(receiver.received().is_empty());
    app.assert_ledger_ok().await;
}

async fn confirmed_and_declined_step_ups_are_notified(backend: Backend) {
    let (app, wallet, shop, receiver, _) = scene(backend, &[]).await;
    let confirmed = pay(&wallet, &shop, "large-1", 15_000).await;
    let declined = pay(&wallet, &shop, "large-2", 15_000).await;
    assert!(
        events_of(&shop).await.is_empty(),
        "USER_PAYING is not an event"
    );
    let trade = wallet
        .client
        .confirm_payment(&confirmed, PIN)
        .await
        .unwrap();
    assert_eq!(trade.status, TradeStatus::Success);
    wallet.client.decline_payment(&declined).await.unwrap();
    let received = receiver.wait_for(2).await;
    let kinds: Vec<(String, String)> = received
        .iter()
        .map(|event| {
            let body = event.json();
            (
                body["type"].as_str().unwrap().to_owned(),
                body["data"]["trade_no"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(kinds.contains(&("trade.succeeded".to_owned(), confirmed)));
    assert!(kinds.contains(&("trade.closed".to_owned(), declined)));

    // One left to its deadline is closed by the server's sweep, and notified once; one
    // cancelled by the merchant before payment is closed too.
    let timed_out = pay(&wallet, &shop, "large-3", 15_000).await;
    let cancelled = pay(&wallet, &shop, "large-4", 15_000).await;
    shop.client.cancel("large-4").await.unwrap();
    app.clock.advance_seconds(61);
    let received = receiver.wait_for(4).await;
    let closed: Vec<String> = received[2..]
        .iter()
        .map(|event| {
            let body = event.json();
            assert_eq!(body["type"], "trade.closed");
            body["data"]["trade_no"].as_str().unwrap().to_owned()
        })
        .collect();
    assert!(closed.contains(&timed_out) && closed.contains(&cancelled));
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(receiver.received().len(), 4, "each closing notified once");
    app.assert_ledger_ok().await;
}

async fn redelivery_sends_an_event_again_and_a_removed_webhook_gets_nothing(backend: Backend) {
    let (app, wallet, shop, receiver, _) = scene(backend, &[]).await;
    pay(&wallet, &shop, "order-1", 100).await;
    let events = wait_delivered(&shop, 1).await;
    let again = shop.client.redeliver_event(events[0].id).await.unwrap();
    assert!(!again.delivered);
    receiver.wait_for(2).await;
    let events = wait_delivered(&shop, 1).await;
    assert_eq!(events[0].attempts, 2);

    let other = app.merchant("Bakery").await;
    let foreign = other.client.redeliver_event(events[0].id).await;
    assert_eq!(status_and_code(foreign), (404, "NOT_FOUND".to_owned()));

    shop.client.delete_webhook().await.unwrap();
    pay(&wallet, &shop, "order-2", 100).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(events_of(&shop).await.len(), 1, "no webhook, no new event");
    assert_eq!(receiver.received().len(), 2);
    app.assert_ledger_ok().await;
}

async fn webhook_urls_and_event_queries_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.merchant("Cafe").await;
    let long = format!("https://shop.example/{}", "a".repeat(2_048));
    for bad in [
        "ftp://shop.example/",
        "not a url",
        "https://user:pw@shop.example/",
        &long,
    ] {
        let refused = shop.client.set_webhook(bad).await;
        assert_eq!(
            status_and_code(refused),
            (400, "MALFORMED_REQUEST".to_owned()),
            "{bad}"
        );
    }
    let by_operator = app
        .admin
        .set_merchant_webhook(shop.id, "https://shop.example/hook")
        .await
        .unwrap();
    assert!(by_operator.secret.starts_with("whsec_"));
    let unknown = app
        .admin
        .set_merchant_webhook(shop.id + 1_000, "https://shop.example/hook")
        .await;
    assert_eq!(status_and_code(unknown), (404, "NOT_FOUND".to_owned()));
    let replaced = shop
        .client
        .set_webhook("http://127.0.0.1:9/hook")
        .await
        .unwrap();
    assert_ne!(
        replaced.secret, by_operator.secret,
        "a new secret each time"
    );
    app.admin.delete_merchant_webhook(shop.id).await.unwrap();
    shop.client.delete_webhook().await.unwrap();

    let bad_limit = shop.client.events(None, Some(0)).await;
    assert_eq!(
        status_and_code(bad_limit),
        (400, "MALFORMED_REQUEST".to_owned())
    );
    let bad_before = shop.client.events(Some(0), None).await;
    assert_eq!(
        status_and_code(bad_before),
        (400, "MALFORMED_REQUEST".to_owned())
    );
    let missing = shop.client.redeliver_event(12_345).await;
    assert_eq!(status_and_code(missing), (404, "NOT_FOUND".to_owned()));
    app.assert_ledger_ok().await;
}

async fn the_current_webhook_is_shown_without_its_secret_and_none_is_null(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.merchant("Cafe").await;
    assert_eq!(shop.client.webhook().await.unwrap().url, None);
    assert_eq!(app.admin.merchant_webhook(shop.id).await.unwrap().url, None);
    let unknown = app.admin.merchant_webhook(shop.id + 1_000).await;
    assert_eq!(status_and_code(unknown), (404, "NOT_FOUND".to_owned()));

    let set = app
        .admin
        .set_merchant_webhook(shop.id, "https://shop.example/hook")
        .await
        .unwrap();
    let by_admin = app.admin.merchant_webhook(shop.id).await.unwrap();
    assert_eq!(by_admin.url.as_deref(), Some(set.url.as_str()));
    let by_merchant = shop.client.webhook().await.unwrap();
    assert_eq!(
        by_merchant.url.as_deref(),
        Some("https://shop.example/hook")
    );
    let raw = serde_json::to_value(&by_merchant).unwrap();
    assert!(
        !raw.to_string().contains(&set.secret),
        "the secret is shown only when set"
    );

    shop.client.delete_webhook().await.unwrap();
    assert_eq!(app.admin.merchant_webhook(shop.id).await.unwrap().url, None);
    app.assert_ledger_ok().await;
}

on_both_backends!(
    the_current_webhook_is_shown_without_its_secret_and_none_is_null,
    a_payments_event_arrives_signed_and_verifiable,
    a_receiver_failing_twice_gets_the_event_on_the_third_try,
    a_refused_payment_has_no_event_and_a_merchant_without_webhook_none,
    confirmed_and_declined_step_ups_are_notified,
    redelivery_sends_an_event_again_and_a_removed_webhook_gets_nothing,
    webhook_urls_and_event_queries_are_checked,
);

// Restarts and instances that die.

/// Starts a server the way `serve` does on `options`, with a manual clock.
async fn start_served(
    options: &paycode_server::ServeOptions,
    clock: &paycode_core::ManualClock,
) -> (paycode_server::Opened, paycode_server::RunningServer) {
    let (options, clock) = (options.clone(), Arc::new(clock.clone()));
    let opened = tokio::task::spawn_blocking(move || paycode_server::open(&options, clock))
        .await
        .unwrap()
        .expect("the server opens");
    let server = paycode_server::spawn(opened.state.clone()).await.unwrap();
    (opened, server)
}

/// A server stops after a failed attempt; while it is down, another instance takes the event
/// and dies holding it (its lease is taken and never finished). The restarted server
/// delivers the event once that lease ends, and nothing was lost.
async fn an_event_outlives_a_restart_and_an_instance_that_died_holding_it(
    options: paycode_server::ServeOptions,
) {
    use paycode_core::Clock as _;
    let clock = paycode_core::ManualClock::new(crate::helpers::START_MILLIS);
    let receiver = Receiver::start(&[503]).await;

    let (opened, server) = start_served(&options, &clock).await;
    let anonymous = paycode_client::Client::new(server.url()).unwrap();
    let admin = anonymous.with_bearer(crate::helpers::ADMIN_KEY);
    let wallet = crate::helpers::wallet_on(&admin, &anonymous, "alice", 5_000).await;
    wallet.enroll().await;
    let shop = crate::helpers::merchant_on(&admin, "Canteen").await;
    let secret = shop.client.set_webhook(&receiver.url).await.unwrap().secret;
    pay(&wallet, &shop, "order-1", 1_000).await;
    receiver.wait_for(1).await;
    wait_attempts(&shop, 1).await;
    drop(opened);
    server.stop().await.unwrap();

    // The retry falls due while no server runs; an instance takes it and dies. The domain
    // is opened here and takes the event before the restarted server (and its worker) runs.
    clock.advance_seconds(5);
    let (reopening, domain_clock) = (options.clone(), Arc::new(clock.clone()));
    let opened = tokio::task::spawn_blocking(move || {
        let opened = paycode_server::open(&reopening, domain_clock).expect("the server opens");
        let taken = opened.state.paycode.claim_due_events().unwrap();
        (opened, taken)
    })
    .await
    .unwrap();
    let (opened, taken) = opened;
    assert_eq!(taken.len(), 1, "the event was due");
    let server = paycode_server::spawn(opened.state.clone()).await.unwrap();
    let anonymous = paycode_client::Client::new(server.url()).unwrap();
    let admin = anonymous.with_bearer(crate::helpers::ADMIN_KEY);
    let shop = crate::helpers::Merchant {
        client: anonymous.with_bearer(shop.api_key.clone()),
        ..shop
    };
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "held by the dead instance's lease"
    );
    clock.advance_seconds(61);
    assert!(clock.now() > taken[0].lease_until);
    let received = receiver.wait_for(2).await;
    let delivered = wait_delivered(&shop, 1).await;
    assert_eq!(
        delivered[0].attempts, 2,
        "the dead instance's attempt never counted"
    );
    assert_eq!(received[0].body, received[1].body);
    assert_signed(&received[1], &secret);
    crate::helpers::assert_ledger_ok(&admin, &opened.state.paycode).await;
    drop(opened);
    server.stop().await.unwrap();
}

fn served_options(
    directory: &std::path::Path,
    database: Option<String>,
) -> paycode_server::ServeOptions {
    paycode_server::ServeOptions {
        listen: std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0)),
        data_dir: directory.join("data"),
        database,
        config_file: None,
        admin_key: Some(crate::helpers::ADMIN_KEY.to_owned()),
        connections: paycode_server::ConnectionLimits::default(),
        tls: None,
        time_zone: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_outlives_a_restart_and_a_dead_instance_on_sqlite() {
    let directory = tempfile::tempdir().unwrap();
    an_event_outlives_a_restart_and_an_instance_that_died_holding_it(served_options(
        directory.path(),
        None,
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_outlives_a_restart_and_a_dead_instance_on_postgres() {
    if !Backend::Postgres.is_available() {
        return;
    }
    let schema = tokio::task::spawn_blocking(crate::databases::ScratchSchema::new)
        .await
        .unwrap();
    let directory = tempfile::tempdir().unwrap();
    an_event_outlives_a_restart_and_an_instance_that_died_holding_it(served_options(
        directory.path(),
        Some(schema.url()),
    ))
    .await;
}

/// Two instances on one PostgreSQL database, both delivering: payments through both, every
/// event arrives, each exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_deliver_each_event_once() {
    use crate::two_instances::{customers, InProcessPair, Pair as _};
    const PAYMENTS: usize = 40;
    let Some(pair) = InProcessPair::start().await else {
        return;
    };
    let customers = customers(&pair, "alice", 100_000).await;
    let receiver = Receiver::start(&[]).await;
    customers.shop[0]
        .client
        .set_webhook(&receiver.url)
        .await
        .unwrap();
    let mut payments = tokio::task::JoinSet::new();
    for index in 0..PAYMENTS {
        let client = customers.shop[index % 2].client.clone();
        let code = customers
            .phone
            .code(pair.step(), u8::try_from(index % 10).unwrap());
        payments.spawn(async move {
            // Codes of one step repeat their index every ten payments: move through steps.
            client
                .pay(&pay_request(&format!("order-{index}"), &code, 10))
                .await
        });
        if index % 10 == 9 {
            while let Some(paid) = payments.join_next().await {
                paid.unwrap().unwrap();
            }
            pair.clock.advance_seconds(30);
        }
    }
    receiver.wait_for(PAYMENTS).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received_now = receiver.received();
    let mut ids: Vec<String> = received_now
        .iter()
        .map(|event| event.header("paycode-event-id").to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), PAYMENTS, "every event arrived");
    assert_eq!(received_now.len(), PAYMENTS, "none twice");
    pair.assert_ledger_ok().await;
}

/// A real `paycode serve` process is killed with SIGKILL the moment a payment is answered,
/// before its event can have been delivered; started again on the same data directory, it
/// delivers the event (at once, or when the killed process's lease ends if it had taken it).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_after_a_payment_delivers_its_event_after_a_restart() {
    use crate::two_instances::{paycode_binary, skip_unless_ci, ServeProcess, StartFailure};
    let Some(binary) = paycode_binary() else {
        skip_unless_ci(
            "no paycode binary beside the test binary (cargo test --workspace builds it)",
        );
        return;
    };
    let directory = tempfile::tempdir().unwrap();
    let config_file = directory.path().join("paycode.toml");
    std::fs::write(&config_file, "").unwrap();
    let options = paycode_server::ServeOptions {
        database: Some(
            directory
                .path()
                .join("paycode.sqlite")
                .display()
                .to_string(),
        ),
        config_file: Some(config_file),
        ..served_options(directory.path(), None)
    };
    let start = |options: paycode_server::ServeOptions| {
        let binary = binary.clone();
        async move {
            match tokio::task::spawn_blocking(move || ServeProcess::start(&binary, &options))
                .await
                .unwrap()
            {
                Ok(process) => process,
                Err(StartFailure::Outdated) => panic!("the paycode binary is outdated"),
                Err(StartFailure::Failed(log)) => panic!("paycode did not start: {log}"),
            }
        }
    };
    let receiver = Receiver::start(&[]).await;
    let first = start(options.clone()).await;
    let anonymous = paycode_client::Client::new(first.url()).unwrap();
    let admin = anonymous.with_bearer(crate::helpers::ADMIN_KEY);
    let wallet = crate::helpers::wallet_on(&admin, &anonymous, "alice", 5_000).await;
    wallet.enroll().await;
    let shop = crate::helpers::merchant_on(&admin, "Canteen").await;
    let secret = shop.client.set_webhook(&receiver.url).await.unwrap().secret;
    let trade_no = pay(&wallet, &shop, "order-1", 1_000).await;
    tokio::task::spawn_blocking(move || first.kill())
        .await
        .unwrap();

    let second = start(options).await;
    let shop = crate::helpers::Merchant {
        client: paycode_client::Client::new(second.url())
            .unwrap()
            .with_bearer(shop.api_key.clone()),
        ..shop
    };
    // Up to the 60-second lease, should the killed process have taken the event.
    for _ in 0..75 {
        if events_of(&shop)
            .await
            .first()
            .is_some_and(|event| event.delivered)
        {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let events = events_of(&shop).await;
    assert_eq!(events.len(), 1);
    assert!(
        events[0].delivered,
        "delivered after the restart: {events:?}"
    );
    let received = receiver.received();
    assert!(!received.is_empty());
    assert!(received
        .iter()
        .all(|event| event.json()["data"]["trade_no"] == trade_no.as_str()));
    received
        .iter()
        .for_each(|event| assert_signed(event, &secret));
    drop(second);
}
