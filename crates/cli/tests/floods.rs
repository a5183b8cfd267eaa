//! Floods against a real `paycode serve` (SPEC section 4, `docs/SECURITY.md`):
//!
//! - a thousand half-sent requests (headers cut off, or a body that never ends) are held open
//!   while payments go on and succeed, and the server closes every one of those sockets once
//!   its timeout is over;
//! - waves of five hundred concurrent wrong logins, one after another while payments run:
//!   payments keep a p99 under 100 ms and the server's resident memory stays under 200 MiB;
//! - `--tls-cert` and `--tls-key` serve HTTPS with a certificate the test makes.
//!
//! Everything talks to 127.0.0.1 only, and every loop is bounded in count and in time.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use paycode_api::payments::{PayRequest, TradeStatus};
use paycode_client::{Client, ClientError};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

mod common;
use common::{enroll_phones, Phone, PASSWORD};

const ADMIN_KEY: &str = "admin-key-for-the-flood-tests";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// A user may have ten active devices; each makes ten codes per 30-second step.
const DEVICES_PER_USER: usize = 10;

/// The short timeouts the slow-client scenario gives the server.
const HEADER_TIMEOUT: Duration = Duration::from_secs(3);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Half-sent requests held open at once.
const HALF_SENT_REQUESTS: usize = 1_000;
/// Payments made while they are held.
const PAYMENTS_BESIDE_SLOW_CLIENTS: usize = 20;

/// Wrong logins sent at once in each wave of the flood, and payments made while it goes on.
const GUESSERS: usize = 500;
const PAYMENTS_BESIDE_GUESSERS: usize = 200;
/// The bounds the login flood must stay within.
const MAX_PAYMENT_P99: Duration = Duration::from_millis(100);
const MAX_RESIDENT_BYTES: u64 = 200 * 1024 * 1024;
/// Longest the login flood may take before the test gives up.
const FLOOD_DEADLINE: Duration = Duration::from_secs(120);

/// A `paycode serve` process; killed when dropped.
struct Server {
    child: Child,
    address: SocketAddr,
}

impl Server {
    fn start(data_dir: &Path, extra: &[&str]) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let child = Command::new(env!("CARGO_BIN_EXE_paycode"))
            .args(["serve", "--listen", &address.to_string()])
            .arg("--data-dir")
            .arg(data_dir)
            .args(extra)
            .env("PAYCODE_ADMIN_KEY", ADMIN_KEY)
            .env("RUST_LOG", "warn")
            .env_remove("PAYCODE_DATABASE")
            .env_remove("PAYCODE_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the paycode binary starts");
        Server { child, address }
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    async fn wait_until_healthy(&self) {
        let client = Client::new(self.url()).unwrap();
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        while client.healthz().await.is_err() {
            assert!(Instant::now() < deadline, "the server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The server's resident memory, from `/proc/PID/status`.
    fn resident_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status");
        kib * 1024
    }

    /// The server's open file descriptors: its sockets, the database and a few more.
    fn open_descriptors(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .unwrap()
            .count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A merchant and enough devices for `payments` payments within two time steps.
struct Shop {
    merchant: Client,
    phones: Vec<Phone>,
    paid: usize,
}

impl Shop {
    async fn open(url: &str, payments: usize) -> Shop {
        let anonymous = Client::new(url).unwrap();
        let admin = anonymous.with_bearer(ADMIN_KEY);
        let merchant = admin.create_merchant("Flood Cafe").await.unwrap();
        let devices = payments.div_ceil(10);
        let phones = enroll_phones(
            &anonymous,
            &admin,
            "payer",
            devices.div_ceil(DEVICES_PER_USER),
            DEVICES_PER_USER,
        )
        .await;
        Shop {
            merchant: anonymous.with_bearer(merchant.api_key.unwrap()),
            phones,
            paid: 0,
        }
    }

    /// Makes one payment with a fresh code; returns how long it took. It must succeed.
    async fn pay(&mut self) -> Duration {
        let code = self
            .phones
            .iter()
            .find_map(Phone::next_code)
            .expect("a device with a fresh code");
        self.paid += 1;
        let request = PayRequest {
            out_trade_no: format!("flood-{}", self.paid),
            auth_code: code,
            amount: 100,
            subject: None,
            terminal_id: None,
        };
        let started = Instant::now();
        let payment = self
            .merchant
            .pay(&request)
            .await
            .expect("the payment succeeds");
        let took = started.elapsed();
        assert_eq!(payment.trade.status, TradeStatus::Success);
        took
    }
}

/// Reads from a held socket until the server closes it; returns when that was.
async fn closed_at(mut stream: TcpStream, deadline: Instant) -> (Instant, Vec<u8>) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => panic!("the server kept a slow client's socket open past its timeout"),
            Ok(Ok(0)) | Ok(Err(_)) => return (Instant::now(), received),
            Ok(Ok(count)) => received.extend_from_slice(&buffer[..count]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_half_sent_requests_neither_stop_payments_nor_outlive_their_timeout() {
    let directory = tempfile::tempdir().unwrap();
    let server = Server::start(
        &directory.path().join("data"),
        &[
            "--header-timeout-seconds",
            &HEADER_TIMEOUT.as_secs_f64().to_string(),
            "--request-timeout-seconds",
            &REQUEST_TIMEOUT.as_secs_f64().to_string(),
        ],
    );
    server.wait_until_healthy().await;
    let mut shop = Shop::open(&server.url(), PAYMENTS_BESIDE_SLOW_CLIENTS).await;
    let idle_descriptors = server.open_descriptors();

    // Half stop in the middle of their headers, half in the middle of their body.
    let opened = Instant::now();
    let mut held = Vec::with_capacity(HALF_SENT_REQUESTS);
    for number in 0..HALF_SENT_REQUESTS {
        let mut stream = TcpStream::connect(server.address).await.unwrap();
        let partial: &[u8] = if number % 2 == 0 {
            b"POST /v1/payments HTTP/1.1\r\nHost: paycode\r\nAuthoriz"
        } else {
            b"POST /v1/wallet/sessions HTTP/1.1\r\nHost: paycode\r\n\
              Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"user"
        };
        stream.write_all(partial).await.unwrap();
        held.push((number % 2 == 0, stream));
    }
    let all_open = opened.elapsed();
    assert!(all_open < HEADER_TIMEOUT, "opening took {all_open:?}");

    // The server holds them all, and payments still go through.
    let accepted_by = Instant::now() + Duration::from_secs(2);
    while server.open_descriptors() < idle_descriptors + HALF_SENT_REQUESTS {
        assert!(
            Instant::now() < accepted_by,
            "the server did not accept them all"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for _ in 0..PAYMENTS_BESIDE_SLOW_CLIENTS {
        shop.pay().await;
    }

    let deadline = opened + REQUEST_TIMEOUT + Duration::from_secs(10);
    let closes = held
        .into_iter()
        .map(|(headers_cut, stream)| {
            tokio::spawn(async move { (headers_cut, closed_at(stream, deadline).await) })
        })
        .collect::<Vec<_>>();
    let mut timed_out_bodies = 0;
    for close in closes {
        let (headers_cut, (closed, received)) = close.await.unwrap();
        let timeout = if headers_cut {
            assert!(received.is_empty(), "a cut-off header got an answer");
            HEADER_TIMEOUT
        } else {
            let received = String::from_utf8_lossy(&received);
            assert!(received.starts_with("HTTP/1.1 408"), "{received}");
            timed_out_bodies += 1;
            REQUEST_TIMEOUT
        };
        // Each was opened after `opened` and so closed no earlier than its timeout after it,
        // give or take the time the opening took.
        assert!(
            closed >= opened + timeout - all_open,
            "closed before its timeout"
        );
    }
    assert_eq!(timed_out_bodies, HALF_SENT_REQUESTS / 2);

    // The server let go of every socket.
    let settle = Instant::now() + Duration::from_secs(5);
    while server.open_descriptors() > idle_descriptors + 5 {
        assert!(
            Instant::now() < settle,
            "the server still holds the sockets"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shop.pay().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_neither_slows_payments_nor_grows_memory() {
    let directory = tempfile::tempdir().unwrap();
    let server = Server::start(&directory.path().join("data"), &[]);
    server.wait_until_healthy().await;
    let mut shop = Shop::open(&server.url(), PAYMENTS_BESIDE_GUESSERS + 10).await;
    // A few payments first, so that the measured ones find everything warm.
    for _ in 0..5 {
        shop.pay().await;
    }

    let stop = Arc::new(AtomicBool::new(false));
    let (refused, limited, answered) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let flood = {
        let client = Client::new(server.url()).unwrap();
        let (stop, refused, limited, answered) = (
            Arc::clone(&stop),
            Arc::clone(&refused),
            Arc::clone(&limited),
            Arc::clone(&answered),
        );
        tokio::spawn(async move {
            let started = Instant::now();
            let mut wave = 0u64;
            // Waves of wrong logins sent all at once. A fresh username each time, so that no
            // per-username wait spares the server a password check; most do not exist, one
            // in each wave is a payer's. (The per-username waits are tested in the server's
            // `logins` scenarios.)
            while !stop.load(Ordering::Relaxed) && started.elapsed() < FLOOD_DEADLINE {
                wave += 1;
                let mut logins = tokio::task::JoinSet::new();
                for guesser in 0..GUESSERS {
                    let client = client.clone();
                    let username = if guesser == 0 {
                        "payer0".to_owned()
                    } else {
                        format!("guess-{wave}-{guesser}")
                    };
                    logins.spawn(async move { client.login(&username, "wrong password").await });
                }
                while let Some(answer) = logins.join_next().await {
                    match answer.unwrap() {
                        Err(ClientError::Api { status: 401, .. }) => &refused,
                        Err(ClientError::Api { status: 429, .. }) => &limited,
                        other => panic!("a wrong login answered {other:?}"),
                    }
                    .fetch_add(1, Ordering::Relaxed);
                    answered.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };

    // Let the flood build up, then pay while it goes on, sampling the server's memory.
    let built_up = Instant::now() + Duration::from_secs(10);
    while answered.load(Ordering::Relaxed) < 100 && Instant::now() < built_up {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut latencies = Vec::with_capacity(PAYMENTS_BESIDE_GUESSERS);
    let mut most_resident = server.resident_bytes();
    for _ in 0..PAYMENTS_BESIDE_GUESSERS {
        latencies.push(shop.pay().await);
        most_resident = most_resident.max(server.resident_bytes());
    }
    stop.store(true, Ordering::Relaxed);
    flood.await.unwrap();

    latencies.sort_unstable();
    let p99 = latencies[latencies.len() * 99 / 100 - 1];
    let (refused, limited) = (
        refused.load(Ordering::Relaxed),
        limited.load(Ordering::Relaxed),
    );
    println!(
        "payments p50 {:?} p99 {p99:?} max {:?}; logins refused {refused}, rate limited \
         {limited}; most resident memory {} MiB",
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1],
        most_resident / (1024 * 1024)
    );
    assert!(p99 < MAX_PAYMENT_P99, "payment p99 {p99:?} under the flood");
    assert!(
        most_resident < MAX_RESIDENT_BYTES,
        "resident memory reached {} MiB",
        most_resident / (1024 * 1024)
    );
    // Passwords were checked, and the checks waiting beyond the queue were refused at once.
    assert!(
        refused > 0 && limited > 0,
        "{refused} refused, {limited} limited"
    );
    // Once the flood is over, people log in again.
    let anonymous = Client::new(server.url()).unwrap();
    anonymous.login("payer1", PASSWORD).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_speaks_https_with_the_given_certificate_and_key() {
    let directory = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (certificate, key) = (
        directory.path().join("cert.pem"),
        directory.path().join("key.pem"),
    );
    std::fs::write(&certificate, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.key_pair.serialize_pem()).unwrap();
    let server = Server::start(
        &directory.path().join("data"),
        &[
            "--tls-cert",
            certificate.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap(),
        )
        .resolve("localhost", server.address)
        .build()
        .unwrap();
    let url = format!("https://localhost:{}/healthz", server.address.port());
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    let response = loop {
        match client.get(&url).send().await {
            Ok(response) => break response,
            Err(error) => {
                assert!(Instant::now() < deadline, "no HTTPS answer: {error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    assert_eq!(response.status(), 200);
    // Plain HTTP on the same port is not served.
    let plain = Client::new(server.url()).unwrap().healthz().await;
    assert!(plain.is_err());
}

#[test]
fn a_certificate_without_its_key_is_refused_before_starting() {
    let output = Command::new(env!("CARGO_BIN_EXE_paycode"))
        .args(["serve", "--tls-cert", "/nonexistent/cert.pem"])
        .env_remove("PAYCODE_TLS_KEY")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--tls-key"), "{stderr}");
}
