//! Merchants' daily statements and the operator's settlement (SPEC section 7): every payment,
//! refund and reversal of the day, as JSON and CSV, with totals that reconcile exactly with the
//! ledger's movements of each merchant's account that day.

use paycode_api::RefundRequest;
use tower::ServiceExt as _;

use crate::helpers::{pay_request, spawn_app, status_and_code, Backend, Merchant, Phone, TestApp};

/// The test clock's day (START_MILLIS is 2027-01-15T08:00:15Z).
const TODAY: &str = "2027-01-15";

/// Pays with the phone's offline code of index `index` in the current step (no session
/// needed, so a day may pass).
async fn pay(
    app: &TestApp,
    phone: &Phone,
    shop: &Merchant,
    out_trade_no: &str,
    amount: i64,
    index: u8,
) {
    shop.client
        .pay(&pay_request(
            out_trade_no,
            &phone.code(app.step(), index),
            amount,
        ))
        .await
        .unwrap();
}

async fn refund(shop: &Merchant, out_trade_no: &str, out_refund_no: &str, amount: i64) {
    shop.client
        .refund(
            out_trade_no,
            &RefundRequest {
                out_refund_no: out_refund_no.to_owned(),
                amount,
                reason: None,
            },
        )
        .await
        .unwrap();
}

/// The sum of the postings to the merchant's account whose ledger transaction falls on the
/// day, straight from the store's account history: the ledger's own figure, computed without
/// the statement's query.
async fn ledger_net(app: &TestApp, shop: &Merchant, date: &str) -> i64 {
    let (store, paycode) = (
        std::sync::Arc::clone(&app.state.store),
        std::sync::Arc::clone(&app.state.paycode),
    );
    let (merchant, date) = (shop.id, date.to_owned());
    tokio::task::spawn_blocking(move || {
        let day = paycode_core::days::Day::parse("date", &date).unwrap();
        let range = paycode.statement_zone().day_range(day).unwrap();
        let mut transaction = store.begin_read().unwrap();
        let account = transaction
            .merchant(paycode_core::ids::MerchantId(merchant))
            .unwrap()
            .unwrap()
            .account_id;
        transaction
            .account_history(account, None, 10_000)
            .unwrap()
            .iter()
            .filter(|entry| range.contains(entry.created_at))
            .map(|entry| entry.amount)
            .sum()
    })
    .await
    .unwrap()
}

async fn a_statement_lists_the_days_movements_and_reconciles_with_the_ledger(backend: Backend) {
    let app = spawn_app(backend).await;
    let wallet = app.wallet("alice", 100_000).await;
    let phone = wallet.enroll_phone().await;
    let cafe = app.merchant("Cafe").await;
    let bakery = app.merchant("Bakery").await;

    // Yesterday: a payment, refunded in part today.
    pay(&app, &phone, &cafe, "order-0", 900, 0).await;
    app.clock.advance_seconds(86_400);
    pay(&app, &phone, &cafe, "order-1", 1_250, 0).await;
    pay(&app, &phone, &cafe, "order-2", 700, 1).await;
    pay(&app, &phone, &bakery, "order-3", 300, 2).await;
    refund(&cafe, "order-0", "refund-0", 100).await;
    refund(&cafe, "order-1", "refund-1", 250).await;
    cafe.client.cancel("order-2").await.unwrap();
    let today = "2027-01-16";

    let statement = cafe.client.statement(today).await.unwrap();
    assert_eq!(statement.date, today);
    assert_eq!(statement.time_zone, "UTC");
    assert_eq!(statement.from, "2027-01-16T00:00:00.000Z");
    assert_eq!(statement.to, "2027-01-17T00:00:00.000Z");
    let lines: Vec<(&str, &str, i64)> = statement
        .items
        .iter()
        .map(|line| (line.kind.as_str(), line.out_trade_no.as_str(), line.amount))
        .collect();
    assert_eq!(
        lines,
        [
            ("payment", "order-1", 1_250),
            ("payment", "order-2", 700),
            ("refund", "order-0", 100),
            ("refund", "order-1", 250),
            ("reversal", "order-2", 700),
        ]
    );
    assert_eq!(
        (
            statement.totals.gross,
            statement.totals.refunds,
            statement.totals.net,
            statement.totals.count
        ),
        (1_950, 1_050, 900, 5)
    );
    assert_eq!(statement.totals.net, ledger_net(&app, &cafe, today).await);

    let yesterday = cafe.client.statement(TODAY).await.unwrap();
    assert_eq!(yesterday.totals.gross, 900);
    assert_eq!(yesterday.totals.net, ledger_net(&app, &cafe, TODAY).await);

    let csv = cafe.client.statement_csv(today).await.unwrap();
    let csv_lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        csv_lines[0],
        "type,transaction_id,at,trade_no,out_trade_no,refund_no,out_refund_no,amount"
    );
    assert_eq!(csv_lines.len(), 1 + 5 + 4);
    assert!(csv_lines[5].starts_with("reversal,"));
    assert!(csv_lines[5].contains(",#cancel,700"));
    assert_eq!(
        &csv_lines[6..],
        [
            "gross,,,,,,,1950",
            "refunds,,,,,,,1050",
            "net,,,,,,,900",
            "count,,,,,,,5"
        ]
    );

    // The operator's settlement: the same totals per merchant, each equal to the ledger's.
    let settlement = app.admin.settlement(today).await.unwrap();
    assert_eq!(settlement.items.len(), 2);
    for item in &settlement.items {
        let shop = if item.merchant_id == cafe.id {
            &cafe
        } else {
            &bakery
        };
        let own = shop.client.statement(today).await.unwrap();
        assert_eq!(item.totals, own.totals, "{}", item.merchant_name);
        assert_eq!(item.totals.net, ledger_net(&app, shop, today).await);
    }
    app.assert_ledger_ok().await;
}

async fn statements_ask_for_a_real_date_and_a_known_format(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.merchant("Cafe").await;
    for bad in [
        "2027-02-30",
        "2027-1-15",
        "yesterday",
        "20270115",
        "0000-01-01",
    ] {
        let refused = shop.client.statement(bad).await;
        assert_eq!(
            status_and_code(refused),
            (400, "MALFORMED_REQUEST".to_owned()),
            "{bad}"
        );
        let refused = app.admin.settlement(bad).await;
        assert_eq!(
            status_and_code(refused),
            (400, "MALFORMED_REQUEST".to_owned()),
            "{bad}"
        );
    }
    let empty = shop.client.statement(TODAY).await.unwrap();
    assert!(empty.items.is_empty());
    assert_eq!(empty.totals.count, 0);
    let (status, body) = app
        .oneshot(crate::helpers::json_request(
            "GET",
            &format!("/v1/merchant/statements/{TODAY}?format=xml"),
            &shop.api_key,
            axum::body::Body::empty(),
        ))
        .await;
    assert_eq!(status, 400, "{body}");
    let response = paycode_server::router(app.state.clone())
        .oneshot(
            axum::http::Request::get(format!("/v1/merchant/statements/{TODAY}"))
                .header("authorization", format!("Bearer {}", shop.api_key))
                .header("accept", "text/csv;q=0.9, application/json;q=0.5")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8",
        "Accept: text/csv asks for CSV"
    );
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    assert!(body.starts_with(b"type,transaction_id,"));
    app.assert_ledger_ok().await;
}

on_both_backends!(
    a_statement_lists_the_days_movements_and_reconciles_with_the_ledger,
    statements_ask_for_a_real_date_and_a_known_format,
);
