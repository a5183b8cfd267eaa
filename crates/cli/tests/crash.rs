//! Crash test: payments flow through a real `paycode serve`, the server is killed with SIGKILL
//! in the middle, started again on the same data, and then every payment a client saw succeed
//! must be there, no code may have been accepted twice, and the ledger must balance. Repeated,
//! with the kill at a different moment each time.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use paycode_api::payments::{PayRequest, TradeStatus};
use paycode_client::Client;

mod common;
use common::{enroll_phones, Phone};

const ADMIN_KEY: &str = "admin-key-for-the-crash-test";
/// Kills per test run, each after a different stretch of load.
const KILLS: [Duration; 3] = [
    Duration::from_millis(700),
    Duration::from_millis(1_300),
    Duration::from_millis(2_000),
];
/// Concurrent payers.
const PAYERS: usize = 8;
/// Devices, so that payers have fresh codes (ten per device per 30-second step).
const DEVICES: usize = 200;
/// A user may have ten active devices.
const DEVICES_PER_USER: usize = 10;
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// A `paycode serve` process; killed with SIGKILL when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(data_dir: &Path) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_paycode"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--config")
            .arg(data_dir.with_extension("toml"))
            .env("PAYCODE_ADMIN_KEY", ADMIN_KEY)
            .env_remove("PAYCODE_DATABASE")
            .env_remove("PAYCODE_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the paycode binary starts");
        Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn wait_until_healthy(&self) {
        let client = Client::new(&self.url).unwrap();
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        while client.healthz().await.is_err() {
            assert!(Instant::now() < deadline, "the server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn kill(&mut self) {
        // `Child::kill` sends SIGKILL: no shutdown hook, no flush, exactly a crash.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A payment the server acknowledged with 200 `SUCCESS`.
#[derive(Debug, Clone)]
struct Acknowledged {
    out_trade_no: String,
    code: String,
    trade_no: String,
    amount: i64,
}

/// The API keys of the merchant that pays and of the one that replays codes.
struct MerchantKeys {
    payments: String,
    replays: String,
}

async fn enroll(url: &str) -> (MerchantKeys, Vec<Arc<Phone>>) {
    let anonymous = Client::new(url).unwrap();
    let admin = anonymous.with_bearer(ADMIN_KEY);
    let merchant = admin.create_merchant("Crash Cafe").await.unwrap();
    let replayer = admin.create_merchant("Replay Checker").await.unwrap();
    let phones = enroll_phones(
        &anonymous,
        &admin,
        "crash",
        DEVICES / DEVICES_PER_USER,
        DEVICES_PER_USER,
    )
    .await
    .into_iter()
    .map(Arc::new)
    .collect();
    let keys = MerchantKeys {
        payments: merchant.api_key.unwrap(),
        replays: replayer.api_key.unwrap(),
    };
    (keys, phones)
}

/// Pays until the server stops answering; returns what it acknowledged.
async fn pay_until_the_server_dies(
    merchant: Client,
    phones: Vec<Arc<Phone>>,
    payer: usize,
    round: usize,
) -> Vec<Acknowledged> {
    let mut acknowledged = Vec::new();
    for number in 0.. {
        let Some(code) = phones
            .iter()
            .cycle()
            .skip(payer)
            .take(phones.len())
            .find_map(|phone| phone.next_code())
        else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let request = PayRequest {
            out_trade_no: format!("r{round}-p{payer}-{number}"),
            auth_code: code.clone(),
            amount: 1 + (number % 50) as i64,
            subject: None,
            terminal_id: None,
        };
        match merchant.pay(&request).await {
            Ok(payment) => {
                assert_eq!(payment.trade.status, TradeStatus::Success);
                acknowledged.push(Acknowledged {
                    out_trade_no: request.out_trade_no,
                    code,
                    trade_no: payment.trade.trade_no,
                    amount: request.amount,
                });
            }
            Err(paycode_client::ClientError::Api { status, code, .. }) => {
                panic!("a payment was refused with {status} {code} before the crash");
            }
            // The server was killed: the request may or may not have committed, and the
            // client was not told it succeeded, so it is not counted either way.
            Err(_) => return acknowledged,
        }
    }
    unreachable!()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_acknowledged_payment_is_lost_when_the_server_is_killed_mid_run() {
    let directory = tempfile::tempdir().unwrap();
    let data_dir = directory.path().join("data");
    // The replays of every round are refusals by design; they must not exhaust the replaying
    // merchant's failure budget, or later replays would only say RATE_LIMITED.
    std::fs::write(
        data_dir.with_extension("toml"),
        "merchant_failures_per_minute = 1000000\n",
    )
    .unwrap();
    let first = Server::start(&data_dir);
    first.wait_until_healthy().await;
    let (keys, phones) = enroll(&first.url).await;
    let mut server = first;
    let mut all_acknowledged: Vec<Acknowledged> = Vec::new();

    for (round, kill_after) in KILLS.into_iter().enumerate() {
        let merchant = Client::new(&server.url)
            .unwrap()
            .with_bearer(keys.payments.clone())
            .with_timeout(Duration::from_secs(5));
        let payers: Vec<_> = (0..PAYERS)
            .map(|payer| {
                tokio::spawn(pay_until_the_server_dies(
                    merchant.clone(),
                    phones.clone(),
                    payer,
                    round,
                ))
            })
            .collect();
        tokio::time::sleep(kill_after).await;
        server.kill();
        let mut this_round = Vec::new();
        for payer in payers {
            this_round.extend(payer.await.expect("a payer task"));
        }
        all_acknowledged.extend(this_round.iter().cloned());
        server = Server::start(&data_dir);
        server.wait_until_healthy().await;
        eprintln!(
            "round {round}: {} payments acknowledged so far",
            all_acknowledged.len()
        );
        check_after_restart(&server.url, &keys, &all_acknowledged, &this_round).await;
    }
    assert!(
        all_acknowledged.len() > 50,
        "too little load to test anything: {}",
        all_acknowledged.len()
    );
}

async fn check_after_restart(
    url: &str,
    keys: &MerchantKeys,
    acknowledged: &[Acknowledged],
    this_round: &[Acknowledged],
) {
    let merchant = Client::new(url).unwrap().with_bearer(&keys.payments);
    let replayer = Client::new(url).unwrap().with_bearer(&keys.replays);
    for payment in acknowledged {
        let stored = merchant
            .payment(&payment.out_trade_no)
            .await
            .unwrap_or_else(|error| {
                panic!("acknowledged {} is lost: {error}", payment.out_trade_no)
            });
        assert_eq!(
            (stored.status, &stored.trade_no, stored.amount),
            (TradeStatus::Success, &payment.trade_no, payment.amount)
        );
    }
    // No code acknowledged in this round is accepted again after the crash. The replays go
    // through another merchant, so that their refusals do not count against the one paying.
    for (number, payment) in this_round.iter().enumerate() {
        let replay = PayRequest {
            out_trade_no: format!("replay-{}-{number}", acknowledged.len()),
            auth_code: payment.code.clone(),
            amount: 1,
            subject: None,
            terminal_id: None,
        };
        match replayer.pay(&replay).await {
            // CODE_USED while the code's step is in the window; a replay that crossed a step
            // boundary no longer verifies (CODE_INVALID), which counts against the device.
            Err(paycode_client::ClientError::Api { code, .. }) => {
                assert!(
                    matches!(
                        code.as_str(),
                        "CODE_USED" | "CODE_INVALID" | "DEVICE_LOCKED"
                    ),
                    "replay of {} refused with {code}",
                    payment.out_trade_no
                );
            }
            other => panic!(
                "the code of {} was accepted twice: {other:?}",
                payment.out_trade_no
            ),
        }
    }
    let admin = Client::new(url).unwrap().with_bearer(ADMIN_KEY);
    let check = admin.ledger_check().await.unwrap();
    assert!(
        check.ok,
        "ledger invariants broken after a crash: {check:?}"
    );
    // Every stored payment moved money exactly once: the merchant holds at least what was
    // acknowledged (payments in flight at the kill may have committed without an answer).
    let balance = merchant.merchant_balance().await.unwrap().balance;
    // (Replays were all refused, so they moved nothing.)
    let acknowledged_total: i64 = acknowledged.iter().map(|payment| payment.amount).sum();
    assert!(
        balance >= acknowledged_total,
        "merchant holds {balance}, acknowledged {acknowledged_total}"
    );
}
