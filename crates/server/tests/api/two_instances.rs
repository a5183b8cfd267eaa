//! Two server instances on one PostgreSQL database, as behind a load balancer: each has its
//! own connection pool and its own memory, and they share only the database and the master
//! key. Real parallel HTTP requests, half to each instance, show that what must hold across
//! instances is enforced by the database: a code is accepted once, an `out_trade_no` charges
//! once, failures counted on both instances lock the device at the configured count, and the
//! ledger stays whole. No request may end in a 5xx: lock conflicts and deadlocks are retried
//! inside the server.
//!
//! The instances are opened the way `paycode serve --database postgres://...` opens one
//! (`paycode_server::open` on a URL, a data directory with a copy of the same `master.key`,
//! a configuration file), in this process; one test opens two at the same moment on a new
//! database, which must agree on the keys that they create. The last test starts the
//! `paycode` binary itself twice, when it has been built beside this test binary.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use paycode_api::{DeviceProvisioning, PayRequest, RefundRequest, TradeStatus};
use paycode_client::{Client, ClientError, Payment};
use paycode_core::{Clock, ManualClock, SystemClock};
use paycode_server::{open, spawn, Opened, RunningServer, ServeOptions, MASTER_KEY_FILE};
use tempfile::TempDir;
use tokio::sync::Barrier;
use tokio::task::JoinSet;

use crate::databases::ScratchSchema;
use crate::helpers::{
    assert_ledger_ok, balances, captured_log, init_log_capture, merchant_on, pay_request,
    wallet_on, Backend, Merchant, Phone, Wallet, ADMIN_KEY, START_MILLIS,
};
use crate::lockout::unknown_slot_code;

/// Requests sent to each instance at once in the concurrency scenarios.
const REQUESTS_PER_INSTANCE: usize = 20;

/// The configuration both instances read: a device locks after four wrong codes, and the
/// merchant failure budget (kept per instance) is out of the way of the replays.
const CONFIG: &str = "max_failed_attempts = 4\nmerchant_failures_per_minute = 50\n";

/// The `merchant_failures_per_minute` of [`CONFIG`]: above the failures of every other
/// scenario's merchant.
const MERCHANT_FAILURE_BUDGET: usize = 50;

/// The `max_failed_attempts` of [`CONFIG`].
const MAX_FAILED_ATTEMPTS: usize = 4;

/// How long a `paycode` process may take to open the database and listen.
const PROCESS_START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a `paycode` process may take to stop after SIGTERM.
const PROCESS_STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// One instance as its callers see it.
pub(crate) struct Endpoint {
    anonymous: Client,
    admin: Client,
}

impl Endpoint {
    fn new(base_url: &str) -> Endpoint {
        let anonymous = Client::new(base_url).expect("a client");
        Endpoint {
            admin: anonymous.with_bearer(ADMIN_KEY),
            anonymous,
        }
    }

    /// A client of this instance with `credential`.
    fn as_caller(&self, credential: &str) -> Client {
        self.anonymous.with_bearer(credential)
    }
}

/// A wallet and a merchant seen through both instances.
pub(crate) struct Customers {
    pub(crate) wallet: [Wallet; 2],
    pub(crate) shop: [Merchant; 2],
    provisioning: DeviceProvisioning,
    pub(crate) phone: Phone,
}

/// The answers to a batch of requests, counted by `(status, code)`; a payment that went
/// through counts as `(200, "SUCCESS")`.
type Tally = BTreeMap<(u16, String), usize>;

fn tally<'a>(answers: impl IntoIterator<Item = &'a Result<Payment, ClientError>>) -> Tally {
    let mut counts = Tally::new();
    for answer in answers {
        let key = match answer {
            Ok(payment) => {
                let status = serde_json::to_value(payment.trade.status).unwrap();
                (200, status.as_str().unwrap().to_owned())
            }
            Err(ClientError::Api { status, code, .. }) => (*status, code.clone()),
            Err(other) => panic!("a request failed outside the API: {other}"),
        };
        *counts.entry(key).or_default() += 1;
    }
    counts
}

fn expected(entries: &[(u16, &str, usize)]) -> Tally {
    entries
        .iter()
        .map(|(status, code, count)| ((*status, (*code).to_owned()), *count))
        .collect()
}

/// Two instances on one database, however they were started.
pub(crate) trait Pair {
    /// The two instances, first and second.
    fn endpoints(&self) -> [&Endpoint; 2];
    /// The current time step of a 30-second device, by the instances' clock.
    fn step(&self) -> u64;
}

/// Creates a user through the first instance and a merchant through the second, logs the
/// user in on both, and enrolls a device through the first.
pub(crate) async fn customers(pair: &impl Pair, name: &str, balance: i64) -> Customers {
    let [first, second] = pair.endpoints();
    let wallet = wallet_on(&first.admin, &first.anonymous, name, balance).await;
    let shop = merchant_on(&second.admin, &format!("{name}'s shop")).await;
    let session = second
        .anonymous
        .login(name, crate::helpers::PASSWORD)
        .await
        .expect("the user logs in on the other instance");
    let provisioning = wallet.enroll().await;
    let phone = Phone::new(&provisioning);
    let wallet_on_second = Wallet {
        client: second.as_caller(&session.token),
        user_id: wallet.user_id,
    };
    let shop_on_first = Merchant {
        client: first.as_caller(&shop.api_key),
        id: shop.id,
        api_key: shop.api_key.clone(),
        api_key_id: shop.api_key_id,
    };
    Customers {
        wallet: [wallet, wallet_on_second],
        shop: [shop_on_first, shop],
        provisioning,
        phone,
    }
}

/// Checks that both instances see the same balances, and returns them.
async fn balances_on_both(customers: &Customers) -> (i64, i64) {
    let seen_by_first = balances(&customers.wallet[0], &customers.shop[0]).await;
    let seen_by_second = balances(&customers.wallet[1], &customers.shop[1]).await;
    assert_eq!(seen_by_first, seen_by_second, "the instances agree");
    seen_by_first
}

// The scenarios, each run on in-process instances and on two `paycode` processes.

async fn one_offline_code_sent_to_both_instances_at_once_is_accepted_once(pair: &impl Pair) {
    let customers = customers(pair, "alice", 10_000).await;
    let code = customers.phone.code(pair.step(), 0);
    let requests = (0..2 * REQUESTS_PER_INSTANCE)
        .map(|index| pay_request(&format!("order-{index}"), &code, 100))
        .collect();

    let answers = pay_spread(&customers.shop, requests).await;
    assert_eq!(
        tally(&answers),
        expected(&[
            (200, "SUCCESS", 1),
            (422, "CODE_USED", 2 * REQUESTS_PER_INSTANCE - 1)
        ])
    );
    assert_eq!(balances_on_both(&customers).await, (9_900, 100));
}

async fn one_out_trade_no_sent_to_both_instances_at_once_charges_once(pair: &impl Pair) {
    let customers = customers(pair, "bob", 10_000).await;
    let request = pay_request("order-1", &customers.phone.code(pair.step(), 0), 250);
    let requests = vec![request; 2 * REQUESTS_PER_INSTANCE];

    let answers = pay_spread(&customers.shop, requests).await;
    assert_eq!(
        tally(&answers),
        expected(&[(200, "SUCCESS", 2 * REQUESTS_PER_INSTANCE)]),
        "every duplicate gets the one trade"
    );
    let trade_numbers: Vec<&str> = answers
        .iter()
        .map(|answer| answer.as_ref().unwrap().trade.trade_no.as_str())
        .collect();
    assert!(
        trade_numbers
            .iter()
            .all(|number| *number == trade_numbers[0]),
        "{trade_numbers:?}"
    );
    assert_eq!(balances_on_both(&customers).await, (9_750, 250));
}

async fn failures_on_both_instances_lock_the_device_at_the_configured_count(pair: &impl Pair) {
    let customers = customers(pair, "carol", 10_000).await;
    let device_id = customers.provisioning.id;
    let impostor = Phone::impostor(&customers.provisioning);
    let step = pair.step();
    // Half of the wrong codes through each instance, all at once: the count is a row both
    // instances lock and update, so no failure is lost to a race.
    let wrong: Vec<PayRequest> = (0..MAX_FAILED_ATTEMPTS)
        .map(|index| {
            let index = u8::try_from(index).unwrap();
            pay_request("order-1", &impostor.code(step, index), 100)
        })
        .collect();
    let answers = pay_spread(&customers.shop, wrong).await;
    assert_eq!(
        tally(&answers),
        expected(&[(422, "CODE_INVALID", MAX_FAILED_ATTEMPTS)])
    );

    // The next attempt, with a right code, is refused on either instance.
    for (instance, index) in [(0, 5), (1, 6)] {
        let refused = customers.shop[instance]
            .client
            .pay(&pay_request(
                "order-1",
                &customers.phone.code(step, index),
                100,
            ))
            .await;
        assert_eq!(
            tally([&refused]),
            expected(&[(422, "DEVICE_LOCKED", 1)]),
            "instance {instance}"
        );
    }
    for wallet in &customers.wallet {
        let devices = wallet.client.devices().await.unwrap();
        let device = devices
            .iter()
            .find(|device| device.id == device_id)
            .unwrap();
        assert_eq!(
            device.failed_attempts,
            u32::try_from(MAX_FAILED_ATTEMPTS).unwrap()
        );
        assert_eq!(device.locked_until, None, "locked at the one merchant only");
    }
    assert_eq!(balances_on_both(&customers).await, (10_000, 0));

    // Another merchant, through the other instance, is not refused the device.
    let [first, _] = pair.endpoints();
    let elsewhere = merchant_on(&first.admin, "carol's other shop").await;
    let paid = elsewhere
        .client
        .pay(&pay_request("order-1", &customers.phone.code(step, 7), 100))
        .await;
    assert_eq!(tally([&paid]), expected(&[(200, "SUCCESS", 1)]));
    assert_eq!(
        balances(&customers.wallet[0], &elsewhere).await,
        (9_900, 100)
    );
}

async fn wrong_codes_through_both_instances_stop_at_the_merchant_failure_budget(pair: &impl Pair) {
    let customers = customers(pair, "erin", 10_000).await;
    let step = pair.step();
    // Codes for slots no device has, made with the code key every wallet knows: each fails
    // verification. Half go through each instance, all at once.
    let requests: Vec<PayRequest> = (0..2 * REQUESTS_PER_INSTANCE + MERCHANT_FAILURE_BUDGET)
        .map(|index| {
            let slot = 1 + i64::try_from(index).unwrap();
            let forged = unknown_slot_code(&customers.provisioning, slot, step);
            pay_request(&format!("guess-{index}"), &forged, 100)
        })
        .collect();
    let sent = requests.len();
    let answers = pay_spread(&customers.shop, requests).await;
    assert_eq!(
        tally(&answers),
        expected(&[
            (422, "CODE_INVALID", MERCHANT_FAILURE_BUDGET),
            (429, "RATE_LIMITED", sent - MERCHANT_FAILURE_BUDGET)
        ]),
        "the budget is shared by the instances and reserved before verifying"
    );
    assert_eq!(balances_on_both(&customers).await, (10_000, 0));
}

/// Sends every request at once, alternating between the instances: a barrier releases them
/// together once every task is ready.
async fn pay_spread(
    shop: &[Merchant; 2],
    requests: Vec<PayRequest>,
) -> Vec<Result<Payment, ClientError>> {
    let barrier = Arc::new(Barrier::new(requests.len()));
    let mut tasks = JoinSet::new();
    for (index, request) in requests.into_iter().enumerate() {
        let client = shop[index % 2].client.clone();
        let barrier = Arc::clone(&barrier);
        tasks.spawn(async move {
            barrier.wait().await;
            client.pay(&request).await
        });
    }
    let mut answers = Vec::new();
    while let Some(answer) = tasks.join_next().await {
        answers.push(answer.expect("the request task finished"));
    }
    answers
}

async fn a_mixed_run_through_both_instances_keeps_the_ledger_whole(pair: &impl Pair) {
    const PAYMENTS: usize = 8;
    let customers = customers(pair, "dave", 100_000).await;
    let step = pair.step();
    // Offline and online codes, paid alternately through each instance, all at once.
    let mut requests = Vec::new();
    for index in 0..PAYMENTS {
        let code = if index % 2 == 0 {
            customers.phone.code(step, u8::try_from(index).unwrap())
        } else {
            customers.wallet[index / 2 % 2]
                .client
                .online_code(None)
                .await
                .unwrap()
                .code
        };
        let amount = 1_000 + i64::try_from(index).unwrap();
        requests.push(pay_request(&format!("order-{index}"), &code, amount));
    }
    let answers = pay_spread(&customers.shop, requests).await;
    assert_eq!(tally(&answers), expected(&[(200, "SUCCESS", PAYMENTS)]));
    let paid: i64 = (0..PAYMENTS)
        .map(|index| 1_000 + i64::try_from(index).unwrap())
        .sum();

    // Each trade is refunded, cancelled or left alone, the same request sent through both
    // instances at once: idempotency keys are unique rows, so each happens once.
    let mut tasks = JoinSet::new();
    for index in 0..PAYMENTS {
        for shop in &customers.shop {
            let client = shop.client.clone();
            let out_trade_no = format!("order-{index}");
            tasks.spawn(async move {
                match index % 3 {
                    0 => {
                        let refund = RefundRequest {
                            out_refund_no: format!("refund-{index}"),
                            amount: 300,
                            reason: None,
                        };
                        client.refund(&out_trade_no, &refund).await.map(drop)
                    }
                    1 => client.cancel(&out_trade_no).await.map(drop),
                    _ => client.payment(&out_trade_no).await.map(drop),
                }
            });
        }
    }
    while let Some(answer) = tasks.join_next().await {
        let answer = answer.expect("the request task finished");
        assert!(answer.is_ok(), "{answer:?}");
    }
    let refunded: i64 = (0..PAYMENTS)
        .map(|index| match index % 3 {
            0 => 300,
            1 => 1_000 + i64::try_from(index).unwrap(),
            _ => 0,
        })
        .sum();
    for index in 0..PAYMENTS {
        let trade = customers.shop[index % 2]
            .client
            .payment(&format!("order-{index}"))
            .await
            .unwrap();
        let expected_status = if index % 3 == 1 {
            TradeStatus::Reversed
        } else {
            TradeStatus::Success
        };
        assert_eq!(trade.status, expected_status, "order-{index}");
    }
    assert_eq!(
        balances_on_both(&customers).await,
        (100_000 - paid + refunded, paid - refunded)
    );
}

// In-process instances.

/// Two instances opened as `serve` opens them, in this process, on one scratch schema.
pub(crate) struct InProcessPair {
    instances: [(Opened, RunningServer); 2],
    endpoints: [Endpoint; 2],
    pub(crate) clock: ManualClock,
    _directory: TempDir,
    /// Dropped after the servers were told to stop.
    _schema: ScratchSchema,
}

impl Pair for InProcessPair {
    fn endpoints(&self) -> [&Endpoint; 2] {
        [&self.endpoints[0], &self.endpoints[1]]
    }

    fn step(&self) -> u64 {
        self.clock.now_seconds() / 30
    }
}

impl InProcessPair {
    /// Opens two instances, or `None` when the PostgreSQL tests are skipped.
    pub(crate) async fn start() -> Option<InProcessPair> {
        if !Backend::Postgres.is_available() {
            return None;
        }
        init_log_capture();
        let schema = tokio::task::spawn_blocking(ScratchSchema::new)
            .await
            .unwrap();
        let directory = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(START_MILLIS);
        let first = start_instance(&instance_options(directory.path(), &schema, 0), &clock).await;
        // The second instance gets a copy of the first one's master key file, as a deployment
        // distributes one key file to every instance; the code keys are in the database.
        share_master_key(directory.path());
        let second = start_instance(&instance_options(directory.path(), &schema, 1), &clock).await;
        assert!(
            !Arc::ptr_eq(&first.0.state.store, &second.0.state.store),
            "each instance has its own pool"
        );
        let endpoints = [
            Endpoint::new(&first.1.url()),
            Endpoint::new(&second.1.url()),
        ];
        Some(InProcessPair {
            instances: [first, second],
            endpoints,
            clock,
            _directory: directory,
            _schema: schema,
        })
    }

    /// The ledger check over HTTP and in the domain, through each instance.
    pub(crate) async fn assert_ledger_ok(&self) {
        for (endpoint, (opened, _)) in self.endpoints.iter().zip(&self.instances) {
            assert_ledger_ok(&endpoint.admin, &opened.state.paycode).await;
        }
    }
}

fn instance_options(directory: &Path, schema: &ScratchSchema, instance: usize) -> ServeOptions {
    let config_file = directory.join("paycode.toml");
    std::fs::write(&config_file, CONFIG).unwrap();
    ServeOptions {
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        data_dir: directory.join(format!("instance-{instance}")),
        database: Some(schema.url()),
        config_file: Some(config_file),
        admin_key: Some(ADMIN_KEY.to_owned()),
        connections: paycode_server::ConnectionLimits::default(),
        tls: None,
        time_zone: None,
    }
}

/// Copies `instance-0/master.key` to `instance-1/`, keeping it private.
fn share_master_key(directory: &Path) {
    let second = directory.join("instance-1");
    std::fs::create_dir_all(&second).unwrap();
    let target = second.join(MASTER_KEY_FILE);
    std::fs::copy(directory.join("instance-0").join(MASTER_KEY_FILE), &target).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

async fn start_instance(options: &ServeOptions, clock: &ManualClock) -> (Opened, RunningServer) {
    let (options, clock) = (options.clone(), Arc::new(clock.clone()));
    let opened = tokio::task::spawn_blocking(move || open(&options, clock))
        .await
        .unwrap()
        .expect("the instance opens");
    let server = spawn(opened.state.clone())
        .await
        .expect("the instance starts");
    (opened, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_offline_code_sent_twenty_times_to_each_of_two_instances_at_once_is_accepted_once() {
    let Some(pair) = InProcessPair::start().await else {
        return;
    };
    one_offline_code_sent_to_both_instances_at_once_is_accepted_once(&pair).await;
    pair.assert_ledger_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_out_trade_no_sent_twenty_times_to_each_of_two_instances_at_once_charges_once() {
    let Some(pair) = InProcessPair::start().await else {
        return;
    };
    one_out_trade_no_sent_to_both_instances_at_once_charges_once(&pair).await;
    pair.assert_ledger_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_codes_through_two_instances_stop_at_the_merchant_failure_budget() {
    let Some(pair) = InProcessPair::start().await else {
        return;
    };
    wrong_codes_through_both_instances_stop_at_the_merchant_failure_budget(&pair).await;
    // The refusals of both instances are counted in the database, so either instance's
    // summary shows them all.
    let sent = 2 * REQUESTS_PER_INSTANCE + MERCHANT_FAILURE_BUDGET;
    let refused = BTreeMap::from([
        ("CODE_INVALID".to_owned(), MERCHANT_FAILURE_BUDGET as u64),
        (
            "RATE_LIMITED".to_owned(),
            (sent - MERCHANT_FAILURE_BUDGET) as u64,
        ),
    ]);
    for endpoint in pair.endpoints() {
        let summary = endpoint.admin.summary(None).await.unwrap();
        assert_eq!(summary.refusals, refused);
    }
    pair.assert_ledger_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_codes_through_two_instances_lock_the_device_at_the_configured_count() {
    let Some(pair) = InProcessPair::start().await else {
        return;
    };
    failures_on_both_instances_lock_the_device_at_the_configured_count(&pair).await;
    pair.assert_ledger_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn payments_refunds_and_cancels_through_two_instances_keep_the_ledger_whole() {
    let Some(pair) = InProcessPair::start().await else {
        return;
    };
    a_mixed_run_through_both_instances_keeps_the_ledger_whole(&pair).await;
    pair.assert_ledger_ok().await;
    let log = captured_log();
    assert!(log.contains("opened the PostgreSQL database"));
    assert!(!log.contains("search_path%3D"), "the log holds the URL");
}

/// Rounds of [`two_instances_starting_at_once_on_a_new_database_share_their_keys`]: each races
/// two instances over creating the keys, and a lost race shows only sometimes.
const STARTUP_RACES: usize = 3;

/// Writes a master key file with one fresh key, as an operator distributes one before the
/// first start of several instances.
fn write_master_key(data_dir: &Path) {
    use std::io::Write as _;
    std::fs::create_dir_all(data_dir).unwrap();
    let key: [u8; 32] = rand::random();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(data_dir.join(MASTER_KEY_FILE)).unwrap();
    let text = format!(
        "current = 1\n\n[keys]\n1 = \"{}\"\n",
        paycode_otp::base32::encode(&key)
    );
    file.write_all(text.as_bytes()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_starting_at_once_on_a_new_database_share_their_keys() {
    if !Backend::Postgres.is_available() {
        return;
    }
    init_log_capture();
    for round in 0..STARTUP_RACES {
        let schema = tokio::task::spawn_blocking(ScratchSchema::new)
            .await
            .unwrap();
        let directory = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(START_MILLIS);
        let options = [0, 1].map(|instance| instance_options(directory.path(), &schema, instance));
        write_master_key(&options[0].data_dir);
        share_master_key(directory.path());
        // Both open at the same moment: they migrate the new schema once between them, and
        // must end up with the same code key and online-code hash key.
        let barrier = Arc::new(std::sync::Barrier::new(2));
        let opening = options.map(|options| {
            let (barrier, clock) = (Arc::clone(&barrier), Arc::new(clock.clone()));
            tokio::task::spawn_blocking(move || {
                barrier.wait();
                open(&options, clock).expect("the instance opens")
            })
        });
        let mut instances = Vec::new();
        for opened in opening {
            let opened = opened.await.unwrap();
            let server = spawn(opened.state.clone()).await.unwrap();
            instances.push((opened, server));
        }
        let endpoints = [
            Endpoint::new(&instances[0].1.url()),
            Endpoint::new(&instances[1].1.url()),
        ];
        let step = clock.now_seconds() / 30;
        // A device enrolled through one instance pays through the other, both ways, with an
        // offline code (the prefix's code key) and an online code (the hash key).
        for (enrolling, paying) in [(0, 1), (1, 0)] {
            let name = format!("user{enrolling}");
            let wallet = wallet_on(
                &endpoints[enrolling].admin,
                &endpoints[enrolling].anonymous,
                &name,
                1_000,
            )
            .await;
            let shop = merchant_on(&endpoints[paying].admin, &format!("shop{enrolling}")).await;
            let phone = wallet.enroll_phone().await;
            let online = wallet.client.online_code(None).await.unwrap().code;
            for (index, code) in [phone.code(step, 0), online].iter().enumerate() {
                let paid = shop
                    .client
                    .pay(&pay_request(&format!("order-{index}"), code, 100))
                    .await;
                assert!(
                    paid.is_ok(),
                    "round {round}: a code made through instance {enrolling} fails on instance {paying}: {paid:?}"
                );
            }
        }
        for (endpoint, (opened, _)) in endpoints.iter().zip(&instances) {
            assert_ledger_ok(&endpoint.admin, &opened.state.paycode).await;
        }
        drop(endpoints);
        for (opened, server) in instances {
            drop(opened);
            server.stop().await.unwrap();
        }
    }
}

// Two `paycode serve` processes.

/// The `paycode` binary built beside this test binary (`target/<profile>/paycode`), if any.
/// Cargo builds it when the whole workspace is tested, as CI does; a test of this package
/// alone may find none, or an old one.
pub(crate) fn paycode_binary() -> Option<PathBuf> {
    let test_binary = std::env::current_exe().ok()?;
    // target/<profile>/deps/api-<hash> → target/<profile>/paycode
    let profile_dir = test_binary.parent()?.parent()?;
    let binary = profile_dir.join(format!("paycode{}", std::env::consts::EXE_SUFFIX));
    binary.is_file().then_some(binary)
}

/// Skips a test for a reason that must not pass unnoticed in CI.
pub(crate) fn skip_unless_ci(reason: &str) {
    assert!(std::env::var_os("CI").is_none(), "{reason}");
    eprintln!("{reason}; skipping");
}

/// A `paycode serve` process, killed when dropped unless it was stopped.
pub(crate) struct ServeProcess {
    child: Child,
    address: SocketAddr,
    /// Everything it wrote to standard error.
    log: Arc<Mutex<String>>,
}

/// Why a process did not start.
pub(crate) enum StartFailure {
    /// The binary predates PostgreSQL support.
    Outdated,
    /// Anything else, with its log.
    Failed(String),
}

impl ServeProcess {
    pub(crate) fn start(
        binary: &Path,
        options: &ServeOptions,
    ) -> Result<ServeProcess, StartFailure> {
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .arg("--listen")
            .arg(options.listen.to_string())
            .arg("--data-dir")
            .arg(&options.data_dir)
            .arg("--config")
            .arg(options.config_file.as_ref().unwrap())
            // The URL and the admin key go in the environment, as the deployment guide
            // shows, rather than on a command line that `ps` shows.
            .env("PAYCODE_DATABASE", options.database.as_ref().unwrap())
            .env("PAYCODE_ADMIN_KEY", options.admin_key.as_ref().unwrap())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .map_err(|error| StartFailure::Failed(format!("cannot start {binary:?}: {error}")))?;
        let log = Arc::new(Mutex::new(String::new()));
        let (listening, address_found) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let writer = Arc::clone(&log);
        // Reads the log to its end, so that the process never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains("paycode is listening") {
                    let address = line
                        .split("address=")
                        .nth(1)
                        .and_then(|rest| rest.split_whitespace().next())
                        .and_then(|address| address.parse::<SocketAddr>().ok());
                    let _ = listening.send(address);
                }
                let mut log = writer.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let deadline = Instant::now() + PROCESS_START_TIMEOUT;
        loop {
            match address_found.recv_timeout(Duration::from_millis(100)) {
                Ok(Some(address)) => {
                    return Ok(ServeProcess {
                        child,
                        address,
                        log,
                    })
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(StartFailure::Failed(
                        "the listening address was not in the log".to_owned(),
                    ));
                }
                Err(mpsc::RecvTimeoutError::Timeout)
                | Err(mpsc::RecvTimeoutError::Disconnected) => {}
            }
            if let Ok(Some(status)) = child.try_wait() {
                // Let the reader take the last lines.
                std::thread::sleep(Duration::from_millis(100));
                let log = log.lock().unwrap().clone();
                if log.contains("PostgreSQL support is not built yet") {
                    return Err(StartFailure::Outdated);
                }
                return Err(StartFailure::Failed(format!(
                    "exited with {status}:\n{log}"
                )));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(StartFailure::Failed("did not listen in time".to_owned()));
            }
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Stops it with SIGTERM, as an operator or an orchestrator does, and checks that it
    /// exits cleanly: it finishes its requests, closes its connections and exits 0.
    fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|status| status.success()), "SIGTERM sent");
        let deadline = Instant::now() + PROCESS_STOP_TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "paycode did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        std::thread::sleep(Duration::from_millis(100));
        let log = self.log.lock().unwrap().clone();
        assert!(status.success(), "paycode exited with {status}:\n{log}");
        log
    }
}

impl ServeProcess {
    /// Kills it with SIGKILL, as a crash or the OOM killer does: nothing runs after.
    pub(crate) fn kill(mut self) {
        self.child.kill().expect("SIGKILL sent");
        self.child.wait().expect("the process is reaped");
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Two `paycode serve` processes and a store of the test's own on their schema, for the
/// ledger check straight from the database.
struct ProcessPair {
    processes: [ServeProcess; 2],
    endpoints: [Endpoint; 2],
    store: Arc<paycode_store::PostgresStore>,
    _directory: TempDir,
    _schema: ScratchSchema,
}

impl Pair for ProcessPair {
    fn endpoints(&self) -> [&Endpoint; 2] {
        [&self.endpoints[0], &self.endpoints[1]]
    }

    fn step(&self) -> u64 {
        SystemClock.now_seconds() / 30
    }
}

impl ProcessPair {
    /// The ledger check over HTTP through each process, and computed from the database by a
    /// store of the test's own.
    async fn assert_ledger_ok(&self) {
        for endpoint in &self.endpoints {
            let check = endpoint.admin.ledger_check().await.unwrap();
            assert!(check.ok, "the ledger check over HTTP failed: {check:?}");
        }
        let store = Arc::clone(&self.store);
        let totals = tokio::task::spawn_blocking(move || {
            use paycode_core::store::Store as _;
            let mut transaction = store.begin().unwrap();
            transaction.ledger_totals().unwrap()
        })
        .await
        .unwrap();
        assert!(
            totals.ok(),
            "the ledger check in the database failed: {totals:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_paycode_serve_processes_on_one_database_accept_a_code_once_charge_once_and_lock_together(
) {
    if !Backend::Postgres.is_available() {
        return;
    }
    let Some(binary) = paycode_binary() else {
        skip_unless_ci(
            "no paycode binary beside the test binary (cargo test --workspace builds it)",
        );
        return;
    };
    let schema = tokio::task::spawn_blocking(ScratchSchema::new)
        .await
        .unwrap();
    let directory = tempfile::tempdir().unwrap();
    let options = [0, 1].map(|instance| instance_options(directory.path(), &schema, instance));
    let first_options = options[0].clone();
    let first_binary = binary.clone();
    let first = match tokio::task::spawn_blocking(move || {
        ServeProcess::start(&first_binary, &first_options)
    })
    .await
    .unwrap()
    {
        Ok(process) => process,
        Err(StartFailure::Outdated) => {
            skip_unless_ci(&format!(
                "{} predates PostgreSQL support; rebuild it with cargo build -p paycode-cli",
                binary.display()
            ));
            return;
        }
        Err(StartFailure::Failed(log)) => panic!("the first paycode did not start: {log}"),
    };
    share_master_key(directory.path());
    let second_options = options[1].clone();
    let second = tokio::task::spawn_blocking(move || ServeProcess::start(&binary, &second_options))
        .await
        .unwrap()
        .unwrap_or_else(|failure| match failure {
            StartFailure::Outdated => panic!("the second paycode is outdated"),
            StartFailure::Failed(log) => panic!("the second paycode did not start: {log}"),
        });
    let (schema, store) = tokio::task::spawn_blocking(move || {
        let store = Arc::new(schema.connect(1));
        (schema, store)
    })
    .await
    .unwrap();
    let endpoints = [Endpoint::new(&first.url()), Endpoint::new(&second.url())];
    let pair = ProcessPair {
        processes: [first, second],
        endpoints,
        store,
        _directory: directory,
        _schema: schema,
    };

    one_offline_code_sent_to_both_instances_at_once_is_accepted_once(&pair).await;
    pair.assert_ledger_ok().await;
    one_out_trade_no_sent_to_both_instances_at_once_charges_once(&pair).await;
    pair.assert_ledger_ok().await;
    failures_on_both_instances_lock_the_device_at_the_configured_count(&pair).await;
    pair.assert_ledger_ok().await;
    wrong_codes_through_both_instances_stop_at_the_merchant_failure_budget(&pair).await;
    pair.assert_ledger_ok().await;
    a_mixed_run_through_both_instances_keeps_the_ledger_whole(&pair).await;
    pair.assert_ledger_ok().await;

    let ProcessPair { processes, .. } = pair;
    for process in processes {
        let log = tokio::task::spawn_blocking(move || process.stop())
            .await
            .unwrap();
        assert!(log.contains("opened the PostgreSQL database"), "{log}");
        assert!(
            !log.contains("search_path%3D"),
            "the log holds the URL:\n{log}"
        );
        assert!(
            !log.contains("postgres://"),
            "the log holds the URL:\n{log}"
        );
    }
}
