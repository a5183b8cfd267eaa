//! A server started the way `serve` starts one (data directory, key file, configuration file,
//! generated admin key), stopped, and started again on the same directory: on its SQLite file,
//! and on a PostgreSQL database given by URL alone.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use paycode_api::{DeviceProvisioning, TradeStatus};
use paycode_client::Client;
use paycode_core::ManualClock;
use paycode_server::{open, serve, spawn, Opened, RunningServer, ServeOptions, DATABASE_FILE};

use crate::databases::ScratchSchema;
use crate::helpers::{
    assert_ledger_ok, balances, code_of, merchant_on, pay_request, wallet_on, Backend, Merchant,
    Phone, Wallet, START_MILLIS,
};

fn options(data_dir: &Path) -> ServeOptions {
    let config_file = data_dir.join("paycode.toml");
    ServeOptions {
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        data_dir: data_dir.join("data"),
        database: None,
        config_file: Some(config_file),
        admin_key: None,
        connections: paycode_server::ConnectionLimits::default(),
        tls: None,
        time_zone: None,
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

/// What the first life of a server left behind, for the second to check.
struct FirstLife {
    admin_key: String,
    wallet: Wallet,
    shop: Merchant,
    provisioning: DeviceProvisioning,
    phone: Phone,
    /// The wallet's and the merchant's balances when the server stopped.
    balances: (i64, i64),
}

/// Starts a server on `options` for the first time, pays once, locks the device out at the
/// merchant with three wrong codes (the configuration file says `max_failed_attempts = 3`),
/// and checks the ledger. The server is still running when this returns.
async fn first_life(
    options: &ServeOptions,
    clock: &ManualClock,
) -> (Opened, RunningServer, FirstLife) {
    let step = clock_step(clock);
    let (opened, server) = start(options, clock).await;
    let admin_key = opened
        .generated_admin_key
        .clone()
        .expect("a key on first start");
    assert!(admin_key.starts_with("pa_"));
    let anonymous = Client::new(server.url()).unwrap();
    let admin = anonymous.with_bearer(admin_key.clone());
    let wallet = wallet_on(&admin, &anonymous, "alice", 5_000).await;
    let shop = merchant_on(&admin, "Canteen").await;
    let provisioning = wallet.enroll().await;
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
    let balances_then = balances(&wallet, &shop).await;
    assert_eq!(balances_then, (4_000, 1_000));
    assert_ledger_ok(&admin, &opened.state.paycode).await;
    let life = FirstLife {
        admin_key,
        wallet,
        shop,
        provisioning,
        phone,
        balances: balances_then,
    };
    (opened, server, life)
}

/// Starts the server again on the same `options` and checks that it kept the admin key, the
/// users, the trade, the balances and the merchant's lockout; then stops it.
async fn second_life(options: &ServeOptions, clock: &ManualClock, first: FirstLife) {
    let step = clock_step(clock);
    let (opened, server) = start(options, clock).await;
    assert!(
        opened.generated_admin_key.is_none(),
        "the key is made only once"
    );
    let anonymous = Client::new(server.url()).unwrap();
    let admin = anonymous.with_bearer(first.admin_key);
    let session = anonymous
        .login("alice", crate::helpers::PASSWORD)
        .await
        .unwrap();
    let wallet = Wallet {
        client: anonymous.with_bearer(session.token),
        ..first.wallet
    };
    let shop = Merchant {
        client: anonymous.with_bearer(first.shop.api_key.clone()),
        ..first.shop
    };
    let still_locked = shop
        .client
        .pay(&pay_request("order-2", &first.phone.code(step, 2), 100))
        .await;
    assert_eq!(code_of(still_locked), "DEVICE_LOCKED");
    assert_eq!(balances(&wallet, &shop).await, first.balances);
    let paid = shop.client.payment("order-1").await.unwrap();
    assert_eq!(paid.status, TradeStatus::Success);
    let device = &wallet.client.devices().await.unwrap()[0];
    assert_eq!(device.id, first.provisioning.id);
    assert_eq!(device.failed_attempts, 3);
    assert_eq!(device.locked_until, None, "locked at the one merchant only");
    assert_ledger_ok(&admin, &opened.state.paycode).await;
    drop(opened);
    server.stop().await.unwrap();
}

/// A configuration file that locks a device after three wrong codes, beside the data
/// directory.
fn write_config(directory: &Path) {
    std::fs::write(directory.join("paycode.toml"), "max_failed_attempts = 3\n").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_and_lockouts_survive_a_restart_and_no_secret_is_stored_in_clear() {
    let directory = tempfile::tempdir().unwrap();
    write_config(directory.path());
    let options = options(directory.path());
    let clock = ManualClock::new(START_MILLIS);

    let (opened, server, first) = first_life(&options, &clock).await;
    let secret = first.provisioning.secret.clone();
    // While the server runs, recent writes sit in the write-ahead log; look there too.
    assert_secret_absent(&options.data_dir, &secret);
    drop(opened);
    server.stop().await.unwrap();

    second_life(&options, &clock, first).await;
    assert_secret_absent(&options.data_dir, &secret);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_and_lockouts_survive_a_restart_on_postgres_and_no_secret_is_stored_in_clear() {
    if !Backend::Postgres.is_available() {
        return;
    }
    let schema = tokio::task::spawn_blocking(ScratchSchema::new)
        .await
        .unwrap();
    let directory = tempfile::tempdir().unwrap();
    write_config(directory.path());
    // The URL alone, as an operator passes it to `paycode serve --database`.
    let options = ServeOptions {
        database: Some(schema.url()),
        ..options(directory.path())
    };
    let clock = ManualClock::new(START_MILLIS);

    let (opened, server, first) = first_life(&options, &clock).await;
    assert_eq!(opened.state.store.backend_name(), "postgres");
    assert!(
        !directory.path().join("data").join(DATABASE_FILE).exists(),
        "no SQLite file beside the PostgreSQL database"
    );
    // Dropped here, on a thread that drives asynchronous tasks, as a stopping server drops
    // its store: the store must close its connections without panicking.
    drop(opened);
    server.stop().await.unwrap();

    let secret = first.provisioning.secret.clone();
    second_life(&options, &clock, first).await;
    tokio::task::spawn_blocking(move || assert_secret_absent_from_tables(&schema, &secret))
        .await
        .unwrap();
}

/// Reads every row of every table of `schema` and checks that neither the device secret's
/// bytes nor its Base32 appear anywhere, and that the sealed secret is really sealed.
fn assert_secret_absent_from_tables(schema: &ScratchSchema, secret_base32: &str) {
    let secret = paycode_otp::Secret::from_base32(secret_base32).unwrap();
    let secret_bytes = secret.expose_bytes();
    let contains = |haystack: &[u8], needle: &[u8]| {
        haystack
            .windows(needle.len())
            .any(|window| window == needle)
    };
    let mut client = schema.raw();

    let ciphertexts = client
        .query("SELECT secret_ciphertext FROM devices", &[])
        .unwrap();
    assert_eq!(ciphertexts.len(), 1, "one device");
    for row in ciphertexts {
        let ciphertext: Vec<u8> = row.get(0);
        assert!(
            ciphertext.len() > secret_bytes.len(),
            "the secret is sealed with a tag"
        );
        assert!(
            !contains(&ciphertext, secret_bytes),
            "the stored ciphertext holds the secret"
        );
    }

    // Every table rendered as text: byte strings come out as hex, everything else as it is.
    let tables: Vec<String> = client
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1",
            &[&schema.name()],
        )
        .unwrap()
        .into_iter()
        .map(|row| row.get(0))
        .collect();
    assert!(tables.iter().any(|table| table == "devices"), "{tables:?}");
    let mut everything = String::new();
    for table in &tables {
        let rows = client
            .query(&format!("SELECT t::text FROM \"{table}\" t"), &[])
            .unwrap();
        for row in rows {
            everything.push_str(row.get::<_, &str>(0));
            everything.push('\n');
        }
    }
    assert!(
        everything.contains("alice"),
        "the search reads the stored data"
    );
    let hex: String = secret_bytes
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    for needle in [
        hex.as_str(),
        secret_base32,
        &secret_base32.to_ascii_lowercase(),
    ] {
        assert!(!everything.contains(needle), "a table holds the secret");
    }
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
async fn serve_names_an_unreachable_postgres_database_without_its_url_or_password() {
    let directory = tempfile::tempdir().unwrap();
    // Port 1 on the loopback refuses at once: nothing listens there.
    let options = ServeOptions {
        database: Some("postgresql://paycode:hunter2@127.0.0.1:1/paycode".to_owned()),
        config_file: None,
        ..options(directory.path())
    };
    let error = serve(options, std::future::pending()).await.unwrap_err();
    let message = format!("{error:#}");
    assert!(
        message.contains("could not open the PostgreSQL database"),
        "{message}"
    );
    assert!(message.contains("connect"), "the cause is named: {message}");
    assert!(!message.contains("hunter2"), "{message}");
    assert!(!message.contains("paycode:"), "{message}");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_master_key_reencrypts_every_secret_and_old_codes_keep_working() {
    let directory = tempfile::tempdir().unwrap();
    write_config(directory.path());
    let options = options(directory.path());
    let clock = ManualClock::new(START_MILLIS);
    let step = clock_step(&clock);

    let (opened, server) = start(&options, &clock).await;
    let admin_key = opened
        .generated_admin_key
        .clone()
        .expect("a key on first start");
    let anonymous = Client::new(server.url()).unwrap();
    let admin = anonymous.with_bearer(admin_key.clone());
    let wallet = wallet_on(&admin, &anonymous, "alice", 5_000).await;
    let shop = merchant_on(&admin, "Canteen").await;
    let provisioning = wallet.enroll().await;
    let phone = Phone::new(&provisioning);
    let receiver = crate::webhooks::Receiver::start(&[]).await;
    let webhook = shop.client.set_webhook(&receiver.url).await.unwrap();
    drop(opened);
    server.stop().await.unwrap();

    let rotation_options = options.clone();
    let resealed =
        tokio::task::spawn_blocking(move || paycode_server::rotate_master_key(&rotation_options))
            .await
            .unwrap()
            .expect("the rotation runs");
    // The device secret, the online-code hash key, the code key of prefix 81 and the
    // merchant's webhook secret.
    assert_eq!(resealed, 4);
    let key_file =
        std::fs::read_to_string(options.data_dir.join(paycode_server::MASTER_KEY_FILE)).unwrap();
    assert!(key_file.contains("current = 2"), "{key_file}");

    // Retire the old key by hand, as an operator would once every instance has the new file:
    // if anything were still sealed under it, the server could not verify the code below.
    let retired: String = key_file
        .lines()
        .filter(|line| !line.starts_with("1 = "))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(
        options.data_dir.join(paycode_server::MASTER_KEY_FILE),
        retired,
    )
    .unwrap();

    let (opened, server) = start(&options, &clock).await;
    let anonymous = Client::new(server.url()).unwrap();
    let shop = Merchant {
        client: anonymous.with_bearer(shop.api_key.clone()),
        ..shop
    };
    let paid = shop
        .client
        .pay(&pay_request("after-rotation", &phone.code(step, 0), 700))
        .await
        .unwrap();
    assert_eq!(paid.trade.status, TradeStatus::Success);
    // The webhook secret opens under the new key alone: the event is signed with the secret
    // that was shown before the rotation.
    let received = receiver.wait_for(1).await;
    crate::webhooks::assert_signed(&received[0], &webhook.secret);
    let admin = anonymous.with_bearer(admin_key);
    assert_ledger_ok(&admin, &opened.state.paycode).await;
    drop(opened);
    server.stop().await.unwrap();
}
