//! A server started the way `serve` starts one (data directory, key file, configuration file,
//! generated admin key), stopped, and started again on the same directory.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use paycode_api::TradeStatus;
use paycode_client::Client;
use paycode_core::ManualClock;
use paycode_server::{open, serve, spawn, Opened, RunningServer, ServeOptions};

use crate::helpers::{
    assert_ledger_ok, balances, code_of, merchant_on, pay_request, wallet_on, Phone, START_MILLIS,
};

fn options(data_dir: &Path) -> ServeOptions {
    let config_file = data_dir.join("paycode.toml");
    ServeOptions {
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        data_dir: data_dir.join("data"),
        database: None,
        config_file: Some(config_file),
        admin_key: None,
    }
}

/// Opens the server's state as `serve` does, but with a manual clock, and serves it.
async fn start(options: &ServeOptions, clock: &ManualClock) -> (Opened, RunningServer) {
    let (options, clock) = (options.clone(), Arc::new(clock.clone()));
    let opened = tokio::task::spawn_blocking(move || open(&options, clock))
        .await
        .unwrap()
        .expect("the server opens");
    let server = spawn(opened.state.clone())
        .await
        .expect("the server starts");
    (opened, server)
}

fn files_of(data_dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(data_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.to_string_lossy().contains("paycode.sqlite"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_and_lockouts_survive_a_restart_and_no_secret_is_stored_in_clear() {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(
        directory.path().join("paycode.toml"),
        "max_failed_attempts = 3\n",
    )
    .unwrap();
    let options = options(directory.path());
    let clock = ManualClock::new(START_MILLIS);
    let step = clock_step(&clock);

    let (opened, server) = start(&options, &clock).await;
    let admin_key = opened
        .generated_admin_key
        .clone()
        .expect("a key on first start");
    assert!(admin_key.starts_with("pa_"));
    let anonymous = Client::new(server.url()).unwrap();
    let admin = anonymous.with_bearer(admin_key.clone());
    let wallet = wallet_on(&admin, &anonymous, "alice", 5_000).await;
    let shop = merchant_on(&admin, "Canteen").await;
    let provisioning = wallet.client.enroll_device(None).await.unwrap();
    let phone = Phone::new(&provisioning);
    let impostor = Phone::impostor(&provisioning);
    shop.client
        .pay(&pay_request("order-1", &phone.code(step, 0), 1_000))
        .await
        .unwrap();
    for index in 0..3 {
        let wrong = shop
            .client
            .pay(&pay_request("order-2", &impostor.code(step, index), 100))
            .await;
        assert_eq!(code_of(wrong), "CODE_INVALID");
    }
    let locked = shop
        .client
        .pay(&pay_request("order-2", &phone.code(step, 1), 100))
        .await;
    assert_eq!(code_of(locked), "DEVICE_LOCKED");
    let before = balances(&wallet, &shop).await;
    assert_eq!(before, (4_000, 1_000));
    assert_ledger_ok(&admin, &opened.state.paycode).await;
    // While the server runs, recent writes sit in the write-ahead log; look there too.
    assert_secret_absent(&options.data_dir, &provisioning.secret);
    drop(opened);
    server.stop().await.unwrap();

    let (opened, server) = start(&options, &clock).await;
    assert!(
        opened.generated_admin_key.is_none(),
        "the key is made only once"
    );
    let anonymous = Client::new(server.url()).unwrap();
    let admin = anonymous.with_bearer(admin_key);
    let session = anonymous
        .login("alice", crate::helpers::PASSWORD)
        .await
        .unwrap();
    let wallet = crate::helpers::Wallet {
        client: anonymous.with_bearer(session.token),
        ..wallet
    };
    let shop = crate::helpers::Merchant {
        client: anonymous.with_bearer(shop.api_key.clone()),
        ..shop
    };
    let still_locked = shop
        .client
        .pay(&pay_request("order-2", &phone.code(step, 2), 100))
        .await;
    assert_eq!(code_of(still_locked), "DEVICE_LOCKED");
    assert_eq!(balances(&wallet, &shop).await, before);
    let first = shop.client.payment("order-1").await.unwrap();
    assert_eq!(first.status, TradeStatus::Success);
    let device = &wallet.client.devices().await.unwrap()[0];
    assert_eq!(device.failed_attempts, 3);
    assert!(device.locked_until.is_some());
    assert_ledger_ok(&admin, &opened.state.paycode).await;
    drop(opened);
    server.stop().await.unwrap();

    assert_secret_absent(&options.data_dir, &provisioning.secret);
}

fn clock_step(clock: &ManualClock) -> u64 {
    use paycode_core::Clock as _;
    clock.now_seconds() / 30
}

/// Neither the secret's bytes nor its Base32 appear in the database or its write-ahead log.
fn assert_secret_absent(data_dir: &Path, secret_base32: &str) {
    let secret = paycode_otp::Secret::from_base32(secret_base32).unwrap();
    let files = files_of(data_dir);
    assert!(!files.is_empty(), "the database is in the data directory");
    let mut holds_username = false;
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        // A control: the search must find what is stored in clear.
        holds_username |= bytes.windows(5).any(|window| window == b"alice");
        let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|window| window == needle);
        assert!(
            !contains(secret.expose_bytes()),
            "{} holds the secret",
            file.display()
        );
        assert!(
            !contains(secret_base32.as_bytes()),
            "{} holds its Base32",
            file.display()
        );
        let lower = secret_base32.to_ascii_lowercase();
        assert!(
            !contains(lower.as_bytes()),
            "{} holds its Base32",
            file.display()
        );
    }
    assert!(holds_username, "the search reads the stored data");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let key_file = data_dir.join(paycode_server::MASTER_KEY_FILE);
        let mode = std::fs::metadata(key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the master key file is private");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_a_postgres_database_with_a_clear_message() {
    let directory = tempfile::tempdir().unwrap();
    let options = ServeOptions {
        database: Some("postgres://localhost/paycode".to_owned()),
        config_file: None,
        ..options(directory.path())
    };
    let error = serve(options, std::future::pending()).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("PostgreSQL support is not built yet"),
        "{error:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_a_configuration_with_an_unknown_field() {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(
        directory.path().join("paycode.toml"),
        "max_failed_atempts = 3\n",
    )
    .unwrap();
    let error = serve(options(directory.path()), std::future::pending())
        .await
        .unwrap_err();
    assert!(format!("{error:#}").contains("unknown field"), "{error:#}");
}
