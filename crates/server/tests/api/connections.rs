//! The accept loop (SPEC section 4): slow and idle clients are closed by the header and
//! request timeouts, the connection cap holds, and HTTPS works with a certificate the test
//! makes. The loop does not depend on the database, so these run on SQLite only. The timeouts are short so that each scenario takes about a second; the flood of a
//! thousand half-sent requests against the real binary is in `paycode-cli`'s tests.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use crate::helpers::{spawn_app, Backend, TestApp};
use paycode_server::{run_with, tls_acceptor, ConnectionLimits, TlsFiles};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// The accept loop is the same whatever the database; these scenarios run on SQLite.
const BACKEND: Backend = Backend::Sqlite;

/// The short timeouts of these scenarios.
const HEADER_TIMEOUT: Duration = Duration::from_millis(300);
const REQUEST_TIMEOUT: Duration = Duration::from_millis(600);
/// Longest a test waits for the server to close a socket it should close.
const CLOSE_DEADLINE: Duration = Duration::from_secs(5);

/// A second listener over a test app's state, on its own port; stopped when dropped.
struct Served {
    address: SocketAddr,
    _stop: oneshot::Sender<()>,
}

/// Serves the test app's state under `limits`, over TLS when `tls` is given.
async fn serve(app: &TestApp, limits: ConnectionLimits, tls: Option<&TlsFiles>) -> Served {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let address = listener.local_addr().unwrap();
    let tls = tls.map(|files| tls_acceptor(files).expect("the test certificate loads"));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(run_with(
        listener,
        app.state.clone(),
        limits,
        tls,
        async move {
            let _ = stopped.await;
        },
    ));
    Served {
        address,
        _stop: stop,
    }
}

fn short_limits() -> ConnectionLimits {
    ConnectionLimits {
        header_read_timeout: HEADER_TIMEOUT,
        request_timeout: REQUEST_TIMEOUT,
        max_connections: 100,
    }
}

/// Reads until the server closes the socket, returning what it sent and when it closed.
async fn read_until_closed(stream: &mut TcpStream) -> (String, Instant) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = tokio::time::timeout(CLOSE_DEADLINE, stream.read(&mut buffer))
            .await
            .expect("the server closes the socket in time");
        match read {
            Ok(0) | Err(_) => return (String::from_utf8_lossy(&received).into(), Instant::now()),
            Ok(count) => received.extend_from_slice(&buffer[..count]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_headers_are_cut_off_at_the_header_timeout() {
    let app = spawn_app(BACKEND).await;
    let served = serve(&app, short_limits(), None).await;
    let mut stream = TcpStream::connect(served.address).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(b"POST /v1/payments HTTP/1.1\r\nHost: paycode\r\nContent-Type: appl")
        .await
        .unwrap();
    let (_, closed_at) = read_until_closed(&mut stream).await;
    let waited = closed_at - started;
    assert!(waited >= HEADER_TIMEOUT, "closed after {waited:?}");
    assert!(waited < HEADER_TIMEOUT * 5, "closed only after {waited:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_sends_nothing_is_closed_at_the_header_timeout() {
    let app = spawn_app(BACKEND).await;
    let served = serve(&app, short_limits(), None).await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(served.address).await.unwrap();
    let (received, closed_at) = read_until_closed(&mut stream).await;
    assert!(received.is_empty(), "{received}");
    let waited = closed_at - started;
    assert!(waited >= HEADER_TIMEOUT, "closed after {waited:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed_at_the_header_timeout() {
    let app = spawn_app(BACKEND).await;
    let served = serve(&app, short_limits(), None).await;
    let mut stream = TcpStream::connect(served.address).await.unwrap();
    // A kept-alive connection waits for its next request under the same deadline.
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: paycode\r\n\r\n")
        .await
        .unwrap();
    let answered = Instant::now();
    let (received, closed_at) = read_until_closed(&mut stream).await;
    assert!(received.starts_with("HTTP/1.1 200"), "{received}");
    let idle = closed_at - answered;
    assert!(idle >= HEADER_TIMEOUT, "closed after {idle:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_too_slowly_is_answered_408_and_closed() {
    let app = spawn_app(BACKEND).await;
    let served = serve(&app, short_limits(), None).await;
    let mut stream = TcpStream::connect(served.address).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(
            b"POST /v1/wallet/sessions HTTP/1.1\r\nHost: paycode\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"username\"",
        )
        .await
        .unwrap();
    let (received, closed_at) = read_until_closed(&mut stream).await;
    assert!(received.starts_with("HTTP/1.1 408"), "{received}");
    assert!(received.contains("\"REQUEST_TIMEOUT\""), "{received}");
    assert!(closed_at - started >= REQUEST_TIMEOUT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_wait_until_one_closes() {
    let app = spawn_app(BACKEND).await;
    let limits = ConnectionLimits {
        header_read_timeout: Duration::from_secs(30),
        max_connections: 2,
        ..short_limits()
    };
    let served = serve(&app, limits, None).await;
    let first = TcpStream::connect(served.address).await.unwrap();
    let _second = TcpStream::connect(served.address).await.unwrap();
    let gauge = || {
        app.state
            .metrics
            .render()
            .lines()
            .find_map(|line| line.strip_prefix("paycode_open_connections "))
            .map(str::to_owned)
    };
    let counted_by = Instant::now() + CLOSE_DEADLINE;
    // The test app's own listener holds no connection between requests of this test.
    while gauge().as_deref() != Some("2") {
        assert!(
            Instant::now() < counted_by,
            "open connections: {:?}",
            gauge()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The kernel completes the third handshake, but the server does not accept it while two
    // connections are open, so its request waits.
    let mut third = TcpStream::connect(served.address).await.unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: paycode\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = [0u8; 64];
    let waited = tokio::time::timeout(Duration::from_millis(500), third.read(&mut buffer)).await;
    assert!(
        waited.is_err(),
        "the third connection was served over the cap"
    );
    drop(first);
    let (received, _) = read_until_closed(&mut third).await;
    let received = format!("{}{received}", String::from_utf8_lossy(&buffer));
    assert!(received.contains("HTTP/1.1 200"), "{received}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_serves_with_the_given_certificate() {
    let app = spawn_app(BACKEND).await;
    let directory = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let files = TlsFiles {
        certificate: directory.path().join("cert.pem"),
        private_key: directory.path().join("key.pem"),
    };
    std::fs::write(&files.certificate, certified.cert.pem()).unwrap();
    std::fs::write(&files.private_key, certified.key_pair.serialize_pem()).unwrap();
    let served = serve(&app, short_limits(), Some(&files)).await;

    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap(),
        )
        .resolve("localhost", served.address)
        .build()
        .unwrap();
    let url = format!("https://localhost:{}/healthz", served.address.port());
    let response = client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);

    // Plain HTTP on the HTTPS port gets no answer; a client that does not trust the
    // certificate refuses it.
    let plain = reqwest::Client::new()
        .get(format!("http://{}/healthz", served.address))
        .send()
        .await;
    assert!(plain.is_err() || plain.unwrap().status() != 200);
    let untrusting = reqwest::Client::builder()
        .resolve("localhost", served.address)
        .build()
        .unwrap();
    assert!(untrusting.get(&url).send().await.is_err());
}
