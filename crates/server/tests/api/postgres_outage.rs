//! PostgreSQL stopped under a running server: requests that need the database answer
//! `503 UNAVAILABLE` at once with a clear message, the server itself stays up, and when
//! PostgreSQL is back the server recovers by itself (its pool replaces the dead connections),
//! without a restart.
//!
//! The shared test database must keep running for the other tests, so this test starts a
//! private, throwaway PostgreSQL cluster of its own with `initdb` and `pg_ctl` (as the
//! `postgres` user when the test runs as root, since `initdb` refuses root). It runs with the
//! other PostgreSQL tests, when `PAYCODE_TEST_DATABASE_URL` is set; without the PostgreSQL
//! server programs it skips, except under CI, where it fails.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use paycode_client::ClientError;
use paycode_core::ManualClock;
use paycode_server::{open, spawn, ServeOptions};
use paycode_store::postgres::{CHECKOUT_TIMEOUT, CONNECT_TIMEOUT};
use tempfile::TempDir;

use crate::helpers::{
    assert_ledger_ok, balances, merchant_on, pay_request, wallet_on, Backend, ADMIN_KEY,
    START_MILLIS,
};

/// Where Debian and Ubuntu install the server programs of each PostgreSQL version.
const POSTGRESQL_LIBRARY: &str = "/usr/lib/postgresql";

/// The longest a request may take to be refused while the database is down: a wait for a
/// pooled connection and an attempt to open one, with a margin. Here the port refuses at once,
/// so the real answer comes far sooner.
const REFUSAL_DEADLINE: Duration = CHECKOUT_TIMEOUT
    .saturating_add(CONNECT_TIMEOUT)
    .saturating_add(Duration::from_secs(2));

/// How long the server may take to notice that PostgreSQL is back.
const RECOVERY_DEADLINE: Duration = Duration::from_secs(10);

/// A PostgreSQL cluster of this test's own, in a temporary directory, on a free port of the
/// loopback. Dropping it stops the server and removes the directory.
struct PrivateCluster {
    directory: TempDir,
    bin: PathBuf,
    port: u16,
    /// Whether the programs must run as the `postgres` user (the test runs as root).
    as_postgres_user: bool,
}

impl PrivateCluster {
    /// Creates and starts a cluster. Blocking. `Err` says why it cannot, for a skip.
    fn start() -> Result<PrivateCluster, String> {
        let bin = server_programs().ok_or_else(|| {
            format!("no PostgreSQL server programs (initdb, pg_ctl) under {POSTGRESQL_LIBRARY}")
        })?;
        let as_postgres_user = is_root();
        let directory = tempfile::tempdir().map_err(|error| error.to_string())?;
        if as_postgres_user {
            run(Command::new("chown").arg("postgres:").arg(directory.path()))?;
        }
        let port = free_port().map_err(|error| error.to_string())?;
        let cluster = PrivateCluster {
            directory,
            bin,
            port,
            as_postgres_user,
        };
        cluster.run_program(
            "initdb",
            &[
                "-D",
                &cluster.data_dir(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        )?;
        cluster.start_server()?;
        Ok(cluster)
    }

    fn data_dir(&self) -> String {
        self.directory.path().join("data").display().to_string()
    }

    /// The URL of its `postgres` database.
    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server and waits until it accepts connections. A throwaway cluster need
    /// not survive a crash of the machine, so it does not flush to disk.
    fn start_server(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.directory.path().display()
        );
        let log = self
            .directory
            .path()
            .join("server.log")
            .display()
            .to_string();
        self.run_program(
            "pg_ctl",
            &[
                "-D",
                &self.data_dir(),
                "-l",
                &log,
                "-o",
                &options,
                "-w",
                "start",
            ],
        )
    }

    /// Stops the server the way an operator's restart does: sessions are ended, then it exits.
    fn stop_server(&self) -> Result<(), String> {
        self.run_program(
            "pg_ctl",
            &["-D", &self.data_dir(), "-m", "fast", "-w", "stop"],
        )
    }

    fn run_program(&self, program: &str, arguments: &[&str]) -> Result<(), String> {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres_user {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        command.args(arguments).current_dir(self.directory.path());
        run(&mut command)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        // Stopped already when the test went well; `pg_ctl` then says so, which is fine.
        let _ = self.run_program(
            "pg_ctl",
            &["-D", &self.data_dir(), "-m", "immediate", "-w", "stop"],
        );
    }
}

/// The `bin` directory of the newest PostgreSQL version installed, if it has `initdb`.
fn server_programs() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(POSTGRESQL_LIBRARY)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

/// A port of the loopback that nothing listens on now.
fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// Runs a command to its end, and says what it printed if it failed.
fn run(command: &mut Command) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|error| format!("cannot run {command:?}: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed with {}: {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Asserts that a call was refused with `503 UNAVAILABLE` and a message that says what is
/// wrong without the database's own words.
fn assert_unavailable<T: std::fmt::Debug>(result: Result<T, ClientError>, expected_message: &str) {
    match result {
        Err(ClientError::Api {
            status,
            code,
            message,
        }) => {
            assert_eq!((status, code.as_str()), (503, "UNAVAILABLE"));
            assert_eq!(message, expected_message);
        }
        other => panic!("expected 503 UNAVAILABLE, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_answers_503_while_postgres_is_stopped_and_recovers_by_itself() {
    if !Backend::Postgres.is_available() {
        return;
    }
    let cluster = match tokio::task::spawn_blocking(PrivateCluster::start)
        .await
        .unwrap()
    {
        Ok(cluster) => Arc::new(cluster),
        Err(reason) => {
            let reason = format!("cannot start a private PostgreSQL cluster: {reason}");
            assert!(std::env::var_os("CI").is_none(), "{reason}");
            eprintln!("{reason}; skipping");
            return;
        }
    };
    let directory = tempfile::tempdir().unwrap();
    let options = ServeOptions {
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        data_dir: directory.path().join("data"),
        database: Some(cluster.url()),
        config_file: None,
        admin_key: Some(ADMIN_KEY.to_owned()),
        connections: paycode_server::ConnectionLimits::default(),
        tls: None,
        time_zone: None,
    };
    let clock = ManualClock::new(START_MILLIS);
    let step = {
        use paycode_core::Clock as _;
        clock.now_seconds() / 30
    };
    let opened = {
        let clock = Arc::new(clock.clone());
        tokio::task::spawn_blocking(move || open(&options, clock))
            .await
            .unwrap()
            .expect("the server opens on the private cluster")
    };
    let server = spawn(opened.state.clone()).await.unwrap();
    let anonymous = paycode_client::Client::new(server.url()).unwrap();
    let admin = anonymous.with_bearer(ADMIN_KEY);
    let wallet = wallet_on(&admin, &anonymous, "alice", 5_000).await;
    let shop = merchant_on(&admin, "Canteen").await;
    let phone = wallet.enroll_phone().await;
    shop.client
        .pay(&pay_request("order-1", &phone.code(step, 0), 100))
        .await
        .expect("a payment while PostgreSQL runs");

    let stopping = Arc::clone(&cluster);
    tokio::task::spawn_blocking(move || stopping.stop_server())
        .await
        .unwrap()
        .expect("the private cluster stops");

    let retried_payment = pay_request("order-2", &phone.code(step, 1), 200);
    let started = Instant::now();
    assert_unavailable(
        shop.client.pay(&retried_payment).await,
        "the database is unavailable; retry later",
    );
    assert_unavailable(
        wallet.client.balance().await,
        "the database is unavailable; retry later",
    );
    assert_unavailable(anonymous.healthz().await, "the database does not answer");
    assert!(
        started.elapsed() < REFUSAL_DEADLINE,
        "the refusals took {:?}",
        started.elapsed()
    );
    // The server itself is up: what needs no database still answers.
    assert!(anonymous.metrics().await.unwrap().contains("paycode_"));

    let starting = Arc::clone(&cluster);
    tokio::task::spawn_blocking(move || starting.start_server())
        .await
        .unwrap()
        .expect("the private cluster starts again");
    let back = Instant::now();
    loop {
        match anonymous.healthz().await {
            Ok(health) => {
                assert_eq!(health.database, "postgres");
                break;
            }
            Err(error) if back.elapsed() < RECOVERY_DEADLINE => {
                assert_eq!(error.status(), Some(503), "{error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("the server did not recover: {error}"),
        }
    }
    // The payment refused during the outage stored nothing, so the merchant's retry of the
    // same request goes through.
    let paid = shop.client.pay(&retried_payment).await.unwrap();
    assert_eq!(paid.trade.amount, 200);
    assert_eq!(balances(&wallet, &shop).await, (4_700, 300));
    assert_ledger_ok(&admin, &opened.state.paycode).await;

    drop(opened);
    server.stop().await.unwrap();
    // The cluster and its directory go when the last handle drops, on a blocking thread.
    tokio::task::spawn_blocking(move || drop(cluster))
        .await
        .unwrap();
}
