//! What every scenario needs: a fresh server on a fresh database with a manual clock,
//! clients for each kind of caller, a wallet phone that makes offline codes from its
//! provisioning data alone, and the ledger check after every scenario.

use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use paycode_api::{DeviceProvisioning, PayRequest};
use paycode_client::{Client, ClientError};
use paycode_codec::{make_offline_code, CodeIndex, CodeKey, DeviceSlot, OfflineCodec, Prefix};
use paycode_core::crypto::{MasterKey, MasterKeys};
use paycode_core::store::Store;
use paycode_core::{Clock, Config, ManualClock, Paycode};
use paycode_otp::{Algorithm, HotpKey, Secret};
use paycode_server::webhooks::WireEventData;
use paycode_server::{spawn, AppState, RunningServer};
use tower::ServiceExt as _;

pub use crate::databases::Backend;
use crate::databases::TestDatabase;
pub use paycode_client::Proof;

/// The admin key of test servers.
pub const ADMIN_KEY: &str = "test-admin-key-0123456789";
/// Where the manual clock starts: 2027-01-15T08:00:00Z, in the middle of a 30-second step.
pub const START_MILLIS: i64 = 1_800_000_015_000;
/// A password good enough for the rules.
pub const PASSWORD: &str = "correct horse battery";
/// The PIN test wallets set.
pub const PIN: &str = "135792468024";

/// The configuration of test servers: small limits so that lockouts and step-ups are quick to
/// reach, and a merchant failure budget large enough for the concurrency scenarios.
pub fn test_config() -> Config {
    Config {
        max_failed_attempts: 3,
        pin_free_limit: 10_000,
        daily_pin_free_limit: 10_000_000,
        merchant_failures_per_minute: 10_000,
        user_paying_timeout_seconds: 60,
        online_code_ttl_seconds: 60,
        ..Config::default()
    }
}

/// A running test server and handles on its insides.
pub struct TestApp {
    /// The server, on 127.0.0.1 at a free port; dropping it stops the server.
    _server: RunningServer,
    /// Its state, for in-process requests and direct domain calls.
    pub state: AppState,
    /// The clock the domain reads.
    pub clock: ManualClock,
    /// A client with the admin key.
    pub admin: Client,
    /// A client without a credential.
    pub anonymous: Client,
    /// Dropped last, after the server has been told to stop.
    _database: TestDatabase,
}

/// Starts a server with [`test_config`] on a fresh database of `backend`.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, test_config()).await
}

/// Starts a server with `config` on a fresh database of `backend`.
pub async fn spawn_app_with(backend: Backend, config: Config) -> TestApp {
    spawn_app_over(backend, config, |store| store).await
}

/// Starts a server with `config` over the store that `wrap` makes of a fresh database of
/// `backend`.
pub async fn spawn_app_over(
    backend: Backend,
    config: Config,
    wrap: impl FnOnce(Arc<dyn Store>) -> Arc<dyn Store> + Send + 'static,
) -> TestApp {
    init_log_capture();
    let clock = ManualClock::new(START_MILLIS);
    let domain_clock: Arc<dyn Clock> = Arc::new(clock.clone());
    // Opening runs transactions, which the PostgreSQL driver must not run on a thread that
    // drives asynchronous tasks.
    let (database, state) = tokio::task::spawn_blocking(move || {
        let (database, store) = TestDatabase::open(backend);
        let store = wrap(store);
        let keys = MasterKeys::new(1, vec![MasterKey::generate(1)]).expect("a key ring");
        let currency = config.currency.as_str().to_owned();
        let paycode = Paycode::open(Arc::clone(&store), domain_clock, config, keys)
            .expect("paycode opens")
            .with_event_data(WireEventData::shared(&currency));
        paycode
            .install_admin_key(Some(ADMIN_KEY))
            .expect("the admin key installs");
        (database, AppState::new(Arc::new(paycode), store))
    })
    .await
    .expect("the test app opens");
    let server = spawn(state.clone()).await.expect("the server starts");
    let anonymous = Client::new(server.url()).expect("a client");
    TestApp {
        admin: anonymous.with_bearer(ADMIN_KEY),
        anonymous,
        _server: server,
        state,
        clock,
        _database: database,
    }
}

/// A wallet user with a session.
pub struct Wallet {
    /// A client with the user's session token.
    pub client: Client,
    /// The user's id.
    pub user_id: i64,
}

impl Wallet {
    /// Enrolls a device with the user's password (a test wallet sets no PIN unless it says so)
    /// and returns its provisioning data.
    pub async fn enroll(&self) -> DeviceProvisioning {
        self.client
            .enroll_device(None, Proof::Password(PASSWORD))
            .await
            .expect("device enrolled")
    }

    /// Enrolls a phone with the user's password: [`Wallet::enroll`] as a phone.
    pub async fn enroll_phone(&self) -> Phone {
        Phone::new(&self.enroll().await)
    }
}

/// A merchant with its API key.
pub struct Merchant {
    /// A client with the merchant's API key.
    pub client: Client,
    /// The merchant's id.
    pub id: i64,
    /// The API key.
    pub api_key: String,
    /// The API key's id.
    pub api_key_id: i64,
}

impl TestApp {
    /// Creates a user, tops it up with `balance` (if positive) and logs it in.
    pub async fn wallet(&self, username: &str, balance: i64) -> Wallet {
        wallet_on(&self.admin, &self.anonymous, username, balance).await
    }

    /// Creates a merchant.
    pub async fn merchant(&self, name: &str) -> Merchant {
        merchant_on(&self.admin, name).await
    }

    /// Checks the ledger invariants through the API and directly in the domain, and that
    /// both agree. Called at the end of every scenario.
    pub async fn assert_ledger_ok(&self) {
        assert_ledger_ok(&self.admin, &self.state.paycode).await;
    }

    /// The balances of a wallet and a merchant.
    pub async fn balances(&self, wallet: &Wallet, merchant: &Merchant) -> (i64, i64) {
        balances(wallet, merchant).await
    }

    /// The current time step of a 30-second device.
    pub fn step(&self) -> u64 {
        self.clock.now_seconds() / 30
    }

    /// Sends a request to the router in-process, without a socket, and returns the status and
    /// the JSON body.
    pub async fn oneshot(&self, request: Request<Body>) -> (StatusCode, serde_json::Value) {
        let response = paycode_server::router(self.state.clone())
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("a readable body");
        let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, body)
    }
}

/// Creates a user on a server, tops it up and logs it in.
pub async fn wallet_on(admin: &Client, anonymous: &Client, username: &str, balance: i64) -> Wallet {
    let user = admin
        .create_user(username, PASSWORD)
        .await
        .expect("user created");
    if balance > 0 {
        admin
            .topup(user.id, balance, &format!("initial-{username}"))
            .await
            .expect("topped up");
    }
    let session = anonymous
        .login(username, PASSWORD)
        .await
        .expect("logged in");
    Wallet {
        client: anonymous.with_bearer(session.token),
        user_id: user.id,
    }
}

/// Creates a merchant on a server.
pub async fn merchant_on(admin: &Client, name: &str) -> Merchant {
    let merchant = admin.create_merchant(name).await.expect("merchant created");
    let api_key = merchant.api_key.expect("the first key is shown");
    Merchant {
        client: admin.with_bearer(api_key.clone()),
        id: merchant.id,
        api_key,
        api_key_id: merchant.api_key_id.expect("the first key's id is shown"),
    }
}

/// The balances of a wallet and a merchant.
pub async fn balances(wallet: &Wallet, merchant: &Merchant) -> (i64, i64) {
    let user = wallet.client.balance().await.expect("wallet balance");
    let shop = merchant
        .client
        .merchant_balance()
        .await
        .expect("merchant balance");
    (user.balance, shop.balance)
}

/// Checks the ledger through `GET /v1/admin/ledger/check` and through
/// `Paycode::check_ledger`, and that both agree.
pub async fn assert_ledger_ok(admin: &Client, paycode: &Arc<Paycode>) {
    let over_http = admin.ledger_check().await.expect("ledger check over HTTP");
    assert!(
        over_http.ok,
        "the ledger check over HTTP failed: {over_http:?}"
    );
    let paycode = Arc::clone(paycode);
    let direct = tokio::task::spawn_blocking(move || paycode.check_ledger())
        .await
        .expect("the check runs")
        .expect("the ledger check in the domain");
    assert!(
        direct.ok(),
        "the ledger check in the domain failed: {direct:?}"
    );
    assert_eq!(over_http.sum_of_balances, direct.sum_of_balances);
    assert_eq!(over_http.transactions, direct.transactions);
}

/// A wallet's phone: makes offline codes from the provisioning response alone, as a real
/// wallet would, with no access to the server's state.
pub struct Phone {
    codec: OfflineCodec,
    slot: DeviceSlot,
    key: HotpKey,
    /// The device's id.
    pub device_id: i64,
}

impl Phone {
    /// A phone provisioned with `provisioning`.
    pub fn new(provisioning: &DeviceProvisioning) -> Self {
        let secret = Secret::from_base32(&provisioning.secret).expect("a Base32 secret");
        let algorithm: Algorithm = provisioning.algorithm.parse().expect("an algorithm");
        Self::with_secret(provisioning, &secret, algorithm)
    }

    /// A phone that claims `provisioning`'s slot but holds another secret: its codes decode to
    /// the right device and carry a wrong one-time password.
    pub fn impostor(provisioning: &DeviceProvisioning) -> Self {
        Self::with_secret(provisioning, &Secret::generate(), Algorithm::Sha1)
    }

    /// A phone that knows the code key, as every wallet holder does, and makes codes for
    /// `slot` with a secret of its own: what someone aiming at a slot can send.
    pub fn forger(provisioning: &DeviceProvisioning, slot: i64) -> Self {
        let aimed = DeviceProvisioning {
            slot,
            ..provisioning.clone()
        };
        Self::impostor(&aimed)
    }

    fn with_secret(
        provisioning: &DeviceProvisioning,
        secret: &Secret,
        algorithm: Algorithm,
    ) -> Self {
        let prefix: Prefix = provisioning.prefix.parse().expect("a prefix");
        let code_key = CodeKey::from_base32(&provisioning.code_key).expect("a code key");
        let slot = u32::try_from(provisioning.slot).expect("a slot fits in u32");
        Self {
            codec: OfflineCodec::new(prefix, &code_key),
            slot: DeviceSlot::new(slot).expect("a valid slot"),
            key: HotpKey::new(secret, algorithm),
            device_id: provisioning.id,
        }
    }

    /// The offline code number `index` (0 to 9) of time step `step`.
    pub fn code(&self, step: u64, index: u8) -> String {
        let index = CodeIndex::new(index).expect("an index of 0 to 9");
        make_offline_code(&self.codec, self.slot, index, &self.key, step).to_string()
    }
}

/// A pay request without subject or terminal.
pub fn pay_request(out_trade_no: &str, auth_code: &str, amount: i64) -> PayRequest {
    PayRequest {
        out_trade_no: out_trade_no.to_owned(),
        auth_code: auth_code.to_owned(),
        amount,
        subject: None,
        terminal_id: None,
    }
}

/// The error code of a failed call, or a panic naming what came back instead.
pub fn code_of<T: std::fmt::Debug>(result: Result<T, ClientError>) -> String {
    match result {
        Err(ClientError::Api { code, .. }) => code,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// The status and code of a failed call.
pub fn status_and_code<T: std::fmt::Debug>(result: Result<T, ClientError>) -> (u16, String) {
    match result {
        Err(ClientError::Api { status, code, .. }) => (status, code),
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Everything the tests' code logged, to check that no secret reaches the log.
pub fn captured_log() -> String {
    let buffer = LOG.get_or_init(Default::default);
    let bytes = buffer
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    String::from_utf8_lossy(&bytes).into_owned()
}

static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

/// Sends every log line of paycode's crates, at every level, to a buffer shared by the tests
/// of this binary.
pub fn init_log_capture() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let buffer = Arc::clone(LOG.get_or_init(Default::default));
        let writer = move || LogWriter(Arc::clone(&buffer));
        let filter = tracing_subscriber::EnvFilter::new(
            "paycode_server=trace,paycode_core=trace,paycode_store=trace",
        );
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(writer)
            .with_ansi(false)
            .try_init();
    });
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut buffer = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A request for [`TestApp::oneshot`] with a bearer credential and a JSON body.
pub fn json_request(method: &str, uri: &str, bearer: &str, body: impl Into<Body>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {bearer}"))
        .header("content-type", "application/json")
        .body(body.into())
        .expect("a valid request")
}
