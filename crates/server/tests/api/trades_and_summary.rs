//! The till's list of the day and the operator's console: a merchant's trades of a day paged
//! by cursor with the day's totals, days cut in the configured time zone, the operator's
//! search of trades by each filter, and the summary's counts of refusals and locked devices.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::StatusCode;
use paycode_api::{
    AdminTradesQuery, MerchantTradesPage, MerchantTradesQuery, PayRequest, RefundRequest,
    TradeStatus,
};
use paycode_core::Config;

use crate::helpers::{
    code_of, json_request, pay_request, spawn_app, spawn_app_with, status_and_code, test_config,
    Backend, Merchant, Phone, TestApp, ADMIN_KEY,
};

/// 2027-01-16T00:00:00+08:00, the first Shanghai midnight after the test clock's start
/// (2027-01-15T08:00:15Z, which is 16:00:15 in Shanghai).
const SHANGHAI_MIDNIGHT: i64 = 1_800_028_800_000;

fn shanghai() -> Config {
    Config {
        time_zone: "Asia/Shanghai".to_owned(),
        ..test_config()
    }
}

fn day(date: &str) -> MerchantTradesQuery {
    MerchantTradesQuery {
        date: Some(date.to_owned()),
        ..MerchantTradesQuery::default()
    }
}

/// Charges a fresh code of `phone`: code index `index` of the current step.
async fn charge(
    app: &TestApp,
    shop: &Merchant,
    phone: &Phone,
    index: u8,
    out_trade_no: &str,
    amount: i64,
) {
    let code = phone.code(app.step(), index);
    shop.client
        .pay(&pay_request(out_trade_no, &code, amount))
        .await
        .unwrap_or_else(|error| panic!("{out_trade_no}: {error:?}"));
}

/// Every page of the merchant's day, `limit` trades at a time, following `next_before`.
async fn every_page(shop: &Merchant, date: &str, limit: u32) -> Vec<MerchantTradesPage> {
    let mut pages = Vec::new();
    let mut before = None;
    loop {
        let page = shop
            .client
            .merchant_trades(&MerchantTradesQuery {
                before,
                limit: Some(limit),
                ..day(date)
            })
            .await
            .unwrap();
        before = page.next_before;
        pages.push(page);
        if before.is_none() {
            return pages;
        }
    }
}

async fn the_days_trades_are_paged_once_each_and_add_up_to_the_totals(backend: Backend) {
    let app = spawn_app_with(backend, shanghai()).await;
    let alice = app.wallet("alice", 100_000).await;
    let shop = app.merchant("Canteen").await;
    let bakery = app.merchant("Bakery").await;
    let phone = alice.enroll_phone().await;
    for (index, amount) in [(0, 1_000), (1, 2_000), (2, 3_000), (3, 4_000)] {
        charge(
            &app,
            &shop,
            &phone,
            index,
            &format!("order-{index}"),
            amount,
        )
        .await;
    }
    let refund = RefundRequest {
        out_refund_no: "refund-1".to_owned(),
        amount: 300,
        reason: None,
    };
    shop.client.refund("order-1", &refund).await.unwrap();
    shop.client.cancel("order-2").await.unwrap();
    // Above the pin-free limit: one waits for the PIN, one is cancelled while waiting.
    charge(&app, &shop, &phone, 4, "waiting", 20_000).await;
    charge(&app, &shop, &phone, 5, "closed", 30_000).await;
    shop.client.cancel("closed").await.unwrap();
    charge(&app, &bakery, &phone, 6, "bread", 500).await;

    let pages = every_page(&shop, "2027-01-15", 2).await;
    assert_eq!(pages.len(), 3);
    let listed: Vec<&str> = pages
        .iter()
        .flat_map(|page| &page.items)
        .map(|trade| trade.out_trade_no.as_str())
        .collect();
    assert_eq!(
        listed,
        ["closed", "waiting", "order-3", "order-2", "order-1", "order-0"],
        "newest first, each trade once, only this merchant's"
    );
    let page = &pages[0];
    assert_eq!(
        (
            page.date.as_str(),
            page.time_zone.as_str(),
            page.currency.as_str()
        ),
        ("2027-01-15", "Asia/Shanghai", "CNY")
    );
    let items: Vec<_> = pages.iter().flat_map(|page| page.items.clone()).collect();
    let paid: Vec<_> = items
        .iter()
        .filter(|trade| matches!(trade.status, TradeStatus::Success | TradeStatus::Reversed))
        .collect();
    let gross: i64 = paid.iter().map(|trade| trade.amount).sum();
    let refunded: i64 = paid.iter().map(|trade| trade.refunded_amount).sum();
    let totals = page.totals;
    assert_eq!((totals.gross, totals.refunded), (gross, refunded));
    assert_eq!((gross, refunded), (10_000, 300 + 3_000));
    assert_eq!(totals.net, 10_000 - 3_300);
    assert_eq!(
        (
            totals.count,
            totals.paid_count,
            totals.user_paying,
            totals.closed
        ),
        (6, 4, 1, 1)
    );
    assert!(
        pages.iter().all(|page| page.totals == totals),
        "totals are the day's, not the page's"
    );
    let reversed = items
        .iter()
        .find(|trade| trade.out_trade_no == "order-2")
        .unwrap();
    assert_eq!(reversed.status, TradeStatus::Reversed);
    let waiting = shop.client.payment("waiting").await.unwrap();
    assert_eq!(
        items[1], waiting,
        "an item is the trade as GET /v1/payments returns it"
    );

    let bakery_day = bakery
        .client
        .merchant_trades(&day("2027-01-15"))
        .await
        .unwrap();
    let bread: Vec<&str> = bakery_day
        .items
        .iter()
        .map(|trade| trade.out_trade_no.as_str())
        .collect();
    assert_eq!(bread, ["bread"]);
    assert_eq!((bakery_day.totals.count, bakery_day.totals.gross), (1, 500));
    app.assert_ledger_ok().await;
}

async fn a_day_ends_at_midnight_in_the_configured_time_zone(backend: Backend) {
    let app = spawn_app_with(backend, shanghai()).await;
    let alice = app.wallet("alice", 100_000).await;
    let shop = app.merchant("Canteen").await;
    let phone = alice.enroll_phone().await;
    app.clock.set(SHANGHAI_MIDNIGHT - 1_000);
    charge(&app, &shop, &phone, 0, "last-of-the-day", 100).await;
    app.clock.set(SHANGHAI_MIDNIGHT);
    charge(&app, &shop, &phone, 0, "first-of-the-next", 200).await;

    let out_trade_nos = |page: MerchantTradesPage| -> Vec<String> {
        page.items
            .into_iter()
            .map(|trade| trade.out_trade_no)
            .collect()
    };
    let fifteenth = shop
        .client
        .merchant_trades(&day("2027-01-15"))
        .await
        .unwrap();
    assert_eq!(fifteenth.totals.gross, 100);
    assert_eq!(out_trade_nos(fifteenth), ["last-of-the-day"]);
    let today = shop
        .client
        .merchant_trades(&MerchantTradesQuery::default())
        .await
        .unwrap();
    assert_eq!(today.date, "2027-01-16", "today is the Shanghai date");
    assert_eq!(out_trade_nos(today), ["first-of-the-next"]);

    // The operator's day is cut in the same zone; in UTC both trades fall on the 15th.
    let search = AdminTradesQuery {
        date: Some("2027-01-16".to_owned()),
        ..AdminTradesQuery::default()
    };
    let found = app.admin.admin_trades(&search).await.unwrap();
    assert_eq!(found.items.len(), 1);
    let summary = app.admin.summary(Some("2027-01-15")).await.unwrap();
    assert_eq!((summary.payments, summary.volume), (1, 100));
    assert_eq!(summary.time_zone, "Asia/Shanghai");
    app.assert_ledger_ok().await;
}

async fn the_operator_finds_trades_by_each_filter_and_by_several(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 100_000).await;
    let bob = app.wallet("bob", 100_000).await;
    let shop = app.merchant("Canteen").await;
    let bakery = app.merchant("Bakery").await;
    let alice_phone = alice.enroll_phone().await;
    let bob_phone = bob.enroll_phone().await;
    charge(&app, &shop, &alice_phone, 0, "order-1", 100).await;
    charge(&app, &bakery, &bob_phone, 0, "order-1", 200).await;
    charge(&app, &shop, &bob_phone, 1, "order-2", 300).await;
    charge(&app, &shop, &alice_phone, 1, "order-3", 20_000).await;
    let bakery_trade = bakery.client.payment("order-1").await.unwrap();

    let find = |query: AdminTradesQuery| {
        let admin = app.admin.clone();
        async move {
            let page = admin.admin_trades(&query).await.unwrap();
            page.items
                .iter()
                .map(|item| format!("{}/{}", item.merchant_id, item.trade.out_trade_no))
                .collect::<Vec<_>>()
        }
    };
    let (s, b) = (shop.id, bakery.id);
    let all = find(AdminTradesQuery::default()).await;
    assert_eq!(
        all,
        [
            format!("{s}/order-3"),
            format!("{s}/order-2"),
            format!("{b}/order-1"),
            format!("{s}/order-1")
        ]
    );
    let by_merchant = find(AdminTradesQuery {
        merchant_id: Some(b),
        ..Default::default()
    })
    .await;
    assert_eq!(by_merchant, [format!("{b}/order-1")]);
    let by_reference = find(AdminTradesQuery {
        merchant_id: Some(s),
        out_trade_no: Some("order-1".to_owned()),
        ..Default::default()
    })
    .await;
    assert_eq!(by_reference, [format!("{s}/order-1")]);
    let by_trade_no = find(AdminTradesQuery {
        trade_no: Some(bakery_trade.trade_no.clone()),
        ..Default::default()
    })
    .await;
    assert_eq!(by_trade_no, [format!("{b}/order-1")]);
    let by_status = find(AdminTradesQuery {
        status: Some("USER_PAYING".to_owned()),
        ..Default::default()
    })
    .await;
    assert_eq!(by_status, [format!("{s}/order-3")]);
    let by_date = find(AdminTradesQuery {
        date: Some("2027-01-15".to_owned()),
        ..Default::default()
    })
    .await;
    assert_eq!(by_date, all);
    let other_day = find(AdminTradesQuery {
        date: Some("2027-01-14".to_owned()),
        ..Default::default()
    })
    .await;
    assert!(other_day.is_empty());
    let combined = find(AdminTradesQuery {
        merchant_id: Some(s),
        status: Some("SUCCESS".to_owned()),
        date: Some("2027-01-15".to_owned()),
        ..Default::default()
    })
    .await;
    assert_eq!(combined, [format!("{s}/order-2"), format!("{s}/order-1")]);
    let unknown_merchant = find(AdminTradesQuery {
        merchant_id: Some(999_999),
        ..Default::default()
    })
    .await;
    assert!(unknown_merchant.is_empty());

    let first = app
        .admin
        .admin_trades(&AdminTradesQuery {
            limit: Some(3),
            ..Default::default()
        })
        .await
        .unwrap();
    let rest = app
        .admin
        .admin_trades(&AdminTradesQuery {
            before: first.next_before,
            limit: Some(3),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (first.items.len(), rest.items.len(), rest.next_before),
        (3, 1, None)
    );
    let item = &rest.items[0];
    assert_eq!(
        (
            item.trade.merchant_name.as_deref(),
            item.username.as_str(),
            item.user_id,
            item.trade.terminal_id.as_deref()
        ),
        (Some("Canteen"), "alice", alice.user_id, None)
    );
    app.assert_ledger_ok().await;
}

async fn bad_query_parameters_are_refused_with_400(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.merchant("Canteen").await;
    let merchant_uris = [
        "/v1/merchant/trades?date=2026-02-30",
        "/v1/merchant/trades?date=yesterday",
        "/v1/merchant/trades?date=2026-2-3",
        "/v1/merchant/trades?limit=0",
        "/v1/merchant/trades?limit=101",
        "/v1/merchant/trades?before=x",
        "/v1/merchant/trades?merchant_id=1",
    ];
    let admin_uris = [
        "/v1/admin/trades?status=PAID",
        "/v1/admin/trades?date=2026-13-01",
        "/v1/admin/trades?limit=0",
        "/v1/admin/trades?trade_no=a%20b",
        "/v1/admin/trades?colour=red",
        "/v1/admin/summary?date=2026-02-29",
        "/v1/admin/summary?limit=3",
    ];
    let requests = merchant_uris
        .iter()
        .map(|uri| (*uri, shop.api_key.as_str()))
        .chain(admin_uris.iter().map(|uri| (*uri, ADMIN_KEY)));
    for (uri, key) in requests {
        let (status, body) = app
            .oneshot(json_request("GET", uri, key, Body::empty()))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(body["error"]["code"], "MALFORMED_REQUEST", "{uri}");
    }
    let without_merchant = app
        .admin
        .admin_trades(&AdminTradesQuery {
            out_trade_no: Some("order-1".to_owned()),
            ..Default::default()
        })
        .await;
    match without_merchant {
        Err(paycode_client::ClientError::Api {
            status, message, ..
        }) => {
            assert_eq!(status, 400);
            assert!(message.contains("merchant_id"), "{message}");
        }
        other => panic!("expected a 400, got {other:?}"),
    }
    let (status, _) = app
        .oneshot(json_request(
            "GET",
            "/v1/admin/trades",
            &shop.api_key,
            Body::empty(),
        ))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a merchant key is not the admin's"
    );
    let not_a_merchant = app
        .admin
        .merchant_trades(&MerchantTradesQuery::default())
        .await;
    assert_eq!(status_and_code(not_a_merchant).0, 401);
    app.assert_ledger_ok().await;
}

async fn the_summary_counts_refusals_by_code_and_locked_devices(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.wallet("alice", 1_000).await;
    let shop = app.merchant("Canteen").await;
    let provisioning = alice.enroll().await;
    let phone = Phone::new(&provisioning);
    let impostor = Phone::impostor(&provisioning);
    let mut refused: BTreeMap<String, u64> = BTreeMap::new();
    let refuse = |request: PayRequest| {
        let client = shop.client.clone();
        async move { code_of(client.pay(&request).await) }
    };
    let step = app.step();
    let paid = phone.code(step, 0);
    shop.client
        .pay(&pay_request("paid", &paid, 400))
        .await
        .unwrap();
    for (out_trade_no, code, amount) in [
        ("replay", paid.clone(), 100),
        ("too-much", phone.code(step, 1), 5_000),
        ("forged", impostor.code(step, 2), 100),
    ] {
        let code = refuse(pay_request(out_trade_no, &code, amount)).await;
        *refused.entry(code).or_default() += 1;
    }
    assert_eq!(
        refused.keys().map(String::as_str).collect::<Vec<_>>(),
        ["CODE_INVALID", "CODE_USED", "INSUFFICIENT_FUNDS"]
    );
    // A reused out_trade_no with other parameters is the merchant's mistake, not a refusal.
    let conflict = shop
        .client
        .pay(&pay_request("paid", &phone.code(step, 3), 401))
        .await;
    assert_eq!(code_of(conflict), "OUT_TRADE_NO_CONFLICT");
    shop.client
        .refund(
            "paid",
            &RefundRequest {
                out_refund_no: "refund-1".to_owned(),
                amount: 150,
                reason: None,
            },
        )
        .await
        .unwrap();

    let summary = app.admin.summary(None).await.unwrap();
    assert_eq!(summary.refusals, refused);
    assert_eq!((summary.payments, summary.volume), (1, 400));
    assert_eq!((summary.refunds, summary.refunded), (1, 150));
    assert_eq!(
        (summary.users, summary.merchants, summary.user_paying),
        (1, 1, 0)
    );
    assert_eq!(summary.locked_devices, 0);
    assert_eq!(summary.date, "2027-01-15");

    // Wrong codes until the device is locked at this merchant.
    let mut index = 3;
    loop {
        let code = refuse(pay_request("guess", &impostor.code(step, index), 100)).await;
        *refused.entry(code.clone()).or_default() += 1;
        index += 1;
        if code == "DEVICE_LOCKED" {
            break;
        }
        assert!(index < 10, "the device never locked");
    }
    let locked = app.admin.summary(None).await.unwrap();
    assert_eq!(locked.locked_devices, 1);
    assert_eq!(locked.refusals, refused);
    app.admin.unlock_device(provisioning.id).await.unwrap();
    let unlocked = app.admin.summary(Some("2027-01-15")).await.unwrap();
    assert_eq!(unlocked.locked_devices, 0);
    assert_eq!(unlocked.refusals, refused, "refusals stay counted");
    let yesterday = app.admin.summary(Some("2027-01-14")).await.unwrap();
    assert!(yesterday.refusals.is_empty());
    assert_eq!((yesterday.payments, yesterday.refunds), (0, 0));
    app.assert_ledger_ok().await;
}

on_both_backends!(
    the_days_trades_are_paged_once_each_and_add_up_to_the_totals,
    a_day_ends_at_midnight_in_the_configured_time_zone,
    the_operator_finds_trades_by_each_filter_and_by_several,
    bad_query_parameters_are_refused_with_400,
    the_summary_counts_refusals_by_code_and_locked_devices,
);
