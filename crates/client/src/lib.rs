//! Typed HTTP client of paycode's API (SPEC section 4), for wallets, points of sale and
//! operators, and for the server's own end-to-end tests.
//!
//! The crate owns the HTTP calls: one method per endpoint, taking and returning the wire types
//! of `paycode_api`. A refusal by the server comes back as [`ClientError::Api`] with the stable
//! error code, so that callers branch on `code`, never on messages.
//!
//! ```no_run
//! # async fn example() -> Result<(), paycode_client::ClientError> {
//! use paycode_client::Client;
//!
//! let server = Client::new("http://127.0.0.1:8080")?;
//! let wallet = server.with_bearer(server.login("alice", "correct horse").await?.token);
//! println!("{} minor units", wallet.balance().await?.balance);
//! # Ok(())
//! # }
//! ```

use std::time::Duration;

use paycode_api::{
    AdminTradesPage, AdminTradesQuery, Balance, ConfirmPaymentRequest, CreateMerchantRequest,
    CreateUserRequest, Device, DeviceList, DeviceProvisioning, EnrollDeviceRequest, ErrorBody,
    EventInfo, EventPage, Health, LedgerCheck, LoginRequest, Merchant, MerchantKey,
    MerchantKeyInfo, MerchantKeyList, MerchantPage, MerchantTradesPage, MerchantTradesQuery,
    OnlineCode, OnlineCodeRequest, PayRequest, Refund, RefundList, RefundRequest,
    RotateDeviceRequest, Session, SessionInfo, SessionList, SessionsEnded, SetPinRequest,
    SetWebhookRequest, Settlement, Statement, Summary, SummaryQuery, Topup, TopupRequest, Trade,
    TradeList, TradeStatus, TransactionsPage, User, UserOverview, UserPage, Webhook,
    WebhookWithSecret,
};
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// How a wallet proves it is its user for a sensitive change (enrolling a device, rotating its
/// secret): the PIN, or the password while the user has no PIN.
#[derive(Clone, Copy)]
pub enum Proof<'a> {
    /// The user's PIN.
    Pin(&'a str),
    /// The user's password, accepted only while no PIN is set.
    Password(&'a str),
}

impl std::fmt::Debug for Proof<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Proof::Pin(_) => "Proof::Pin([REDACTED])",
            Proof::Password(_) => "Proof::Password([REDACTED])",
        })
    }
}

impl Proof<'_> {
    fn fields(self) -> (Option<String>, Option<String>) {
        match self {
            Proof::Pin(pin) => (Some(pin.to_owned()), None),
            Proof::Password(password) => (None, Some(password.to_owned())),
        }
    }
}

/// The query of a paged call: the cursor under its name, and the page size, each when given.
fn page_query(
    cursor_name: &'static str,
    cursor: Option<i64>,
    limit: Option<u32>,
) -> Vec<(&'static str, String)> {
    let mut query = Vec::new();
    if let Some(cursor) = cursor {
        query.push((cursor_name, cursor.to_string()));
    }
    if let Some(limit) = limit {
        query.push(("limit", limit.to_string()));
    }
    query
}

/// How long a request may take before it fails, unless changed with [`Client::with_timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The `User-Agent` of every request, which a wallet session keeps so that its user can tell
/// sessions apart.
pub const USER_AGENT: &str = concat!("paycode-client/", env!("CARGO_PKG_VERSION"));
/// How long connecting may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a body that is not the API's JSON is kept in [`ClientError::Unexpected`].
pub const MAX_UNEXPECTED_BODY_CHARS: usize = 1_024;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server refused or failed the request with one of the API's error codes.
    #[error("{status} {code}: {message}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The stable error code, such as `CODE_USED`.
        code: String,
        /// The server's message, for people.
        message: String,
    },
    /// The server answered something that is not the API's JSON (a proxy's error page, say).
    #[error("unexpected response {status}: {body}")]
    Unexpected {
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The request could not be sent or the response not received.
    #[error("transport error: {0}")]
    Transport(#[from] reqwest::Error),
    /// The base URL is not an absolute `http` or `https` URL.
    #[error("invalid base URL {0:?}")]
    InvalidUrl(String),
    /// A reference that must go into the URL's path is `.` or `..`, which no URL can carry.
    #[error("{0:?} cannot be sent as a path segment")]
    UnaddressableReference(String),
}

impl ClientError {
    /// The API's error code, when the server sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The HTTP status, when a response came back.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } | ClientError::Unexpected { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }
}

/// Results of the client.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// The answer to `POST /v1/payments`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// The trade.
    pub trade: Trade,
    /// True when the server answered `202 Accepted`: the trade is `USER_PAYING` and waits for
    /// the user's PIN; poll [`Client::payment`].
    pub awaiting_confirmation: bool,
}

/// A client of one paycode server, optionally with a bearer credential. Cloning is cheap and
/// shares the connection pool.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: Url,
    bearer: Option<String>,
    timeout: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Client")
            .field("base_url", &self.base_url.as_str())
            .field("bearer", &self.bearer.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

impl Client {
    /// A client of the server at `base_url`, such as `http://127.0.0.1:8080`, without a
    /// credential.
    pub fn new(base_url: impl AsRef<str>) -> Result<Self> {
        let text = base_url.as_ref();
        let base_url = Url::parse(text)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && !url.cannot_be_a_base())
            .ok_or_else(|| ClientError::InvalidUrl(text.to_owned()))?;
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(USER_AGENT)
            .build()?;
        Ok(Self {
            http,
            base_url,
            bearer: None,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// The same client presenting `credential` (admin key, session token or API key) as
    /// `Authorization: Bearer`.
    pub fn with_bearer(&self, credential: impl Into<String>) -> Self {
        Self {
            bearer: Some(credential.into()),
            ..self.clone()
        }
    }

    /// The same client with another per-request timeout.
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        Self {
            timeout,
            ..self.clone()
        }
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        self.base_url.as_str()
    }

    /// The URL of a path given as segments; each is percent-encoded, so a reference can never
    /// change the route. URLs cannot carry `.` or `..` as a segment (they are resolved away),
    /// so such a reference is refused rather than sent to another route.
    fn url(&self, segments: &[&str]) -> Result<Url> {
        if let Some(dots) = segments
            .iter()
            .find(|segment| matches!(**segment, "." | ".."))
        {
            return Err(ClientError::UnaddressableReference((*dots).to_owned()));
        }
        let mut url = self.base_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        Ok(url)
    }

    fn request(&self, method: Method, segments: &[&str]) -> Result<RequestBuilder> {
        let builder = self
            .http
            .request(method, self.url(segments)?)
            .timeout(self.timeout);
        Ok(match &self.bearer {
            Some(credential) => builder.bearer_auth(credential),
            None => builder,
        })
    }

    /// Sends a request and reads a JSON answer, with the status it came with.
    async fn send<T: DeserializeOwned>(&self, builder: RequestBuilder) -> Result<(StatusCode, T)> {
        let response = builder.send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        if !status.is_success() {
            return Err(error_from(status, &bytes));
        }
        serde_json::from_slice(&bytes)
            .map(|value| (status, value))
            .map_err(|_| unexpected(status, &bytes))
    }

    async fn send_json<T: DeserializeOwned>(&self, builder: RequestBuilder) -> Result<T> {
        self.send(builder).await.map(|(_, value)| value)
    }

    /// Sends a request whose answer has no body.
    async fn send_empty(&self, builder: RequestBuilder) -> Result<()> {
        let response = builder.send().await?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let bytes = response.bytes().await?;
        Err(error_from(status, &bytes))
    }

    /// Sends a request and reads a text answer (a CSV statement).
    async fn send_text(&self, builder: RequestBuilder) -> Result<String> {
        let response = builder.send().await?;
        let status = response.status();
        let text = response.text().await?;
        if status.is_success() {
            Ok(text)
        } else {
            Err(error_from(status, text.as_bytes()))
        }
    }

    fn post<B: Serialize>(&self, segments: &[&str], body: &B) -> Result<RequestBuilder> {
        Ok(self.request(Method::POST, segments)?.json(body))
    }

    fn get(&self, segments: &[&str]) -> Result<RequestBuilder> {
        self.request(Method::GET, segments)
    }

    // The operator's calls.

    /// `POST /v1/admin/users`.
    pub async fn create_user(&self, username: &str, password: &str) -> Result<User> {
        let body = CreateUserRequest {
            username: username.to_owned(),
            password: password.to_owned(),
        };
        self.send_json(self.post(&["v1", "admin", "users"], &body)?)
            .await
    }

    /// `POST /v1/admin/merchants`; the answer holds the merchant's first API key, shown once.
    pub async fn create_merchant(&self, name: &str) -> Result<Merchant> {
        let body = CreateMerchantRequest {
            name: name.to_owned(),
        };
        self.send_json(self.post(&["v1", "admin", "merchants"], &body)?)
            .await
    }

    /// `POST /v1/admin/merchants/{id}/keys`.
    pub async fn add_merchant_key(&self, merchant_id: i64) -> Result<MerchantKey> {
        let id = merchant_id.to_string();
        let builder = self.request(Method::POST, &["v1", "admin", "merchants", &id, "keys"])?;
        self.send_json(builder).await
    }

    /// `GET /v1/admin/settlements/{date}`: every merchant's totals of a day (`YYYY-MM-DD`).
    pub async fn settlement(&self, date: &str) -> Result<Settlement> {
        self.send_json(self.get(&["v1", "admin", "settlements", date])?)
            .await
    }

    /// `GET /v1/admin/merchants/{id}/webhook`: the merchant's webhook, without its secret.
    pub async fn merchant_webhook(&self, merchant_id: i64) -> Result<Webhook> {
        let id = merchant_id.to_string();
        self.send_json(self.get(&["v1", "admin", "merchants", &id, "webhook"])?)
            .await
    }

    /// `PUT /v1/admin/merchants/{id}/webhook`: the webhook with its signing secret, shown once.
    pub async fn set_merchant_webhook(
        &self,
        merchant_id: i64,
        url: &str,
    ) -> Result<WebhookWithSecret> {
        let id = merchant_id.to_string();
        let body = SetWebhookRequest {
            url: url.to_owned(),
        };
        let builder = self
            .request(Method::PUT, &["v1", "admin", "merchants", &id, "webhook"])?
            .json(&body);
        self.send_json(builder).await
    }

    /// `DELETE /v1/admin/merchants/{id}/webhook`.
    pub async fn delete_merchant_webhook(&self, merchant_id: i64) -> Result<()> {
        let id = merchant_id.to_string();
        let builder = self.request(
            Method::DELETE,
            &["v1", "admin", "merchants", &id, "webhook"],
        )?;
        self.send_empty(builder).await
    }

    /// `DELETE /v1/admin/merchants/{id}/keys/{key_id}`.
    pub async fn revoke_merchant_key(&self, merchant_id: i64, key_id: i64) -> Result<()> {
        let (id, key) = (merchant_id.to_string(), key_id.to_string());
        let builder = self.request(
            Method::DELETE,
            &["v1", "admin", "merchants", &id, "keys", &key],
        )?;
        self.send_empty(builder).await
    }

    /// `POST /v1/admin/topups`; idempotent by `reference`.
    pub async fn topup(&self, user_id: i64, amount: i64, reference: &str) -> Result<Topup> {
        let body = TopupRequest {
            user_id,
            amount,
            reference: reference.to_owned(),
        };
        self.send_json(self.post(&["v1", "admin", "topups"], &body)?)
            .await
    }

    /// `POST /v1/admin/devices/{id}/unlock`.
    pub async fn unlock_device(&self, device_id: i64) -> Result<Device> {
        let id = device_id.to_string();
        let builder = self.request(Method::POST, &["v1", "admin", "devices", &id, "unlock"])?;
        self.send_json(builder).await
    }

    /// `GET /v1/admin/users`: users in id order whose username starts with `prefix`.
    pub async fn users(
        &self,
        prefix: Option<&str>,
        after: Option<i64>,
        limit: Option<u32>,
    ) -> Result<UserPage> {
        let mut query = Vec::new();
        if let Some(prefix) = prefix {
            query.push(("username_prefix", prefix.to_owned()));
        }
        query.extend(page_query("after", after, limit));
        let builder = self.get(&["v1", "admin", "users"])?.query(&query);
        self.send_json(builder).await
    }

    /// `GET /v1/admin/trades`: the operator's search of trades, newest first.
    pub async fn admin_trades(&self, query: &AdminTradesQuery) -> Result<AdminTradesPage> {
        let builder = self.get(&["v1", "admin", "trades"])?.query(query);
        self.send_json(builder).await
    }

    /// `GET /v1/admin/summary`: the operator's counts of a day (today when `date` is absent).
    pub async fn summary(&self, date: Option<&str>) -> Result<Summary> {
        let query = SummaryQuery {
            date: date.map(str::to_owned),
        };
        let builder = self.get(&["v1", "admin", "summary"])?.query(&query);
        self.send_json(builder).await
    }

    /// `GET /v1/admin/users/{id}`: balance, devices and PIN state of a user.
    pub async fn user_overview(&self, user_id: i64) -> Result<UserOverview> {
        let id = user_id.to_string();
        self.send_json(self.get(&["v1", "admin", "users", &id])?)
            .await
    }

    /// `GET /v1/admin/users/{id}/transactions`: a user's history, newest first.
    pub async fn user_transactions(
        &self,
        user_id: i64,
        before: Option<i64>,
        limit: Option<u32>,
    ) -> Result<TransactionsPage> {
        let id = user_id.to_string();
        let builder = self
            .get(&["v1", "admin", "users", &id, "transactions"])?
            .query(&page_query("before", before, limit));
        self.send_json(builder).await
    }

    /// `POST /v1/admin/devices/{id}/revoke`: revokes a device for its owner.
    pub async fn revoke_device_as_operator(&self, device_id: i64) -> Result<Device> {
        let id = device_id.to_string();
        let builder = self.request(Method::POST, &["v1", "admin", "devices", &id, "revoke"])?;
        self.send_json(builder).await
    }

    /// `GET /v1/admin/merchants`: merchants in id order.
    pub async fn merchants(&self, after: Option<i64>, limit: Option<u32>) -> Result<MerchantPage> {
        let builder = self
            .get(&["v1", "admin", "merchants"])?
            .query(&page_query("after", after, limit));
        self.send_json(builder).await
    }

    /// `GET /v1/admin/merchants/{id}/keys`: a merchant's keys, without the keys themselves.
    pub async fn merchant_keys(&self, merchant_id: i64) -> Result<Vec<MerchantKeyInfo>> {
        let id = merchant_id.to_string();
        let list: MerchantKeyList = self
            .send_json(self.get(&["v1", "admin", "merchants", &id, "keys"])?)
            .await?;
        Ok(list.items)
    }

    /// `GET /v1/admin/ledger/check`.
    pub async fn ledger_check(&self) -> Result<LedgerCheck> {
        self.send_json(self.get(&["v1", "admin", "ledger", "check"])?)
            .await
    }

    // The wallet's calls.

    /// `POST /v1/wallet/sessions`: the token for [`Client::with_bearer`].
    pub async fn login(&self, username: &str, password: &str) -> Result<Session> {
        let body = LoginRequest {
            username: username.to_owned(),
            password: password.to_owned(),
        };
        self.send_json(self.post(&["v1", "wallet", "sessions"], &body)?)
            .await
    }

    /// `PUT /v1/wallet/pin`; changing an existing PIN needs `current_pin`.
    pub async fn set_pin(&self, pin: &str, current_pin: Option<&str>) -> Result<()> {
        let body = SetPinRequest {
            pin: pin.to_owned(),
            current_pin: current_pin.map(str::to_owned),
        };
        let builder = self
            .request(Method::PUT, &["v1", "wallet", "pin"])?
            .json(&body);
        self.send_empty(builder).await
    }

    /// `GET /v1/wallet/balance`.
    pub async fn balance(&self) -> Result<Balance> {
        self.send_json(self.get(&["v1", "wallet", "balance"])?)
            .await
    }

    /// `GET /v1/wallet/transactions`: a page of history, newest first.
    pub async fn transactions(
        &self,
        before: Option<i64>,
        limit: Option<u32>,
    ) -> Result<TransactionsPage> {
        let builder = self
            .get(&["v1", "wallet", "transactions"])?
            .query(&page_query("before", before, limit));
        self.send_json(builder).await
    }

    /// `POST /v1/wallet/devices`: the new device's provisioning data, shown once.
    pub async fn enroll_device(
        &self,
        name: Option<&str>,
        proof: Proof<'_>,
    ) -> Result<DeviceProvisioning> {
        let (pin, password) = proof.fields();
        let body = EnrollDeviceRequest {
            name: name.map(str::to_owned),
            pin,
            password,
        };
        self.send_json(self.post(&["v1", "wallet", "devices"], &body)?)
            .await
    }

    /// `GET /v1/wallet/devices`.
    pub async fn devices(&self) -> Result<Vec<Device>> {
        let list: DeviceList = self
            .send_json(self.get(&["v1", "wallet", "devices"])?)
            .await?;
        Ok(list.items)
    }

    /// `DELETE /v1/wallet/devices/{id}`.
    pub async fn revoke_device(&self, device_id: i64) -> Result<Device> {
        let id = device_id.to_string();
        let builder = self.request(Method::DELETE, &["v1", "wallet", "devices", &id])?;
        self.send_json(builder).await
    }

    /// `POST /v1/wallet/devices/{id}/rotate`: new provisioning data for the same slot.
    pub async fn rotate_device(
        &self,
        device_id: i64,
        proof: Proof<'_>,
    ) -> Result<DeviceProvisioning> {
        let id = device_id.to_string();
        let (pin, password) = proof.fields();
        let body = RotateDeviceRequest { pin, password };
        self.send_json(self.post(&["v1", "wallet", "devices", &id, "rotate"], &body)?)
            .await
    }

    /// `GET /v1/wallet/sessions`: this user's live sessions.
    pub async fn sessions(&self) -> Result<Vec<SessionInfo>> {
        let list: SessionList = self
            .send_json(self.get(&["v1", "wallet", "sessions"])?)
            .await?;
        Ok(list.items)
    }

    /// `DELETE /v1/wallet/sessions/current`: logs out.
    pub async fn logout(&self) -> Result<()> {
        let builder = self.request(Method::DELETE, &["v1", "wallet", "sessions", "current"])?;
        self.send_empty(builder).await
    }

    /// `DELETE /v1/wallet/sessions/{id}`: ends one of this user's sessions.
    pub async fn end_session(&self, id: i64) -> Result<()> {
        let id = id.to_string();
        let builder = self.request(Method::DELETE, &["v1", "wallet", "sessions", &id])?;
        self.send_empty(builder).await
    }

    /// `DELETE /v1/wallet/sessions`: ends every session of this user but this one; returns
    /// how many.
    pub async fn end_other_sessions(&self) -> Result<u64> {
        let builder = self.request(Method::DELETE, &["v1", "wallet", "sessions"])?;
        let ended: SessionsEnded = self.send_json(builder).await?;
        Ok(ended.ended)
    }

    /// `POST /v1/wallet/codes`: an online code.
    pub async fn online_code(&self, device_id: Option<i64>) -> Result<OnlineCode> {
        let body = OnlineCodeRequest { device_id };
        self.send_json(self.post(&["v1", "wallet", "codes"], &body)?)
            .await
    }

    /// `GET /v1/wallet/payments?status=USER_PAYING`: payments waiting for the PIN.
    pub async fn pending_payments(&self) -> Result<Vec<Trade>> {
        let builder = self
            .get(&["v1", "wallet", "payments"])?
            .query(&[("status", TradeStatus::UserPaying.as_str())]);
        let list: TradeList = self.send_json(builder).await?;
        Ok(list.items)
    }

    /// `POST /v1/wallet/payments/{trade_no}/confirm`.
    pub async fn confirm_payment(&self, trade_no: &str, pin: &str) -> Result<Trade> {
        let body = ConfirmPaymentRequest {
            pin: pin.to_owned(),
        };
        let segments = ["v1", "wallet", "payments", trade_no, "confirm"];
        self.send_json(self.post(&segments, &body)?).await
    }

    /// `POST /v1/wallet/payments/{trade_no}/decline`.
    pub async fn decline_payment(&self, trade_no: &str) -> Result<Trade> {
        let segments = ["v1", "wallet", "payments", trade_no, "decline"];
        self.send_json(self.request(Method::POST, &segments)?).await
    }

    // The merchant's calls.

    /// `POST /v1/payments`: charges a scanned code.
    pub async fn pay(&self, request: &PayRequest) -> Result<Payment> {
        let (status, trade) = self.send(self.post(&["v1", "payments"], request)?).await?;
        Ok(Payment {
            trade,
            awaiting_confirmation: status == StatusCode::ACCEPTED,
        })
    }

    /// `GET /v1/payments/{out_trade_no}`.
    pub async fn payment(&self, out_trade_no: &str) -> Result<Trade> {
        self.send_json(self.get(&["v1", "payments", out_trade_no])?)
            .await
    }

    /// `POST /v1/payments/{out_trade_no}/cancel`.
    pub async fn cancel(&self, out_trade_no: &str) -> Result<Trade> {
        let segments = ["v1", "payments", out_trade_no, "cancel"];
        self.send_json(self.request(Method::POST, &segments)?).await
    }

    /// `POST /v1/payments/{out_trade_no}/refunds`; idempotent by `out_refund_no`.
    pub async fn refund(&self, out_trade_no: &str, request: &RefundRequest) -> Result<Refund> {
        let segments = ["v1", "payments", out_trade_no, "refunds"];
        self.send_json(self.post(&segments, request)?).await
    }

    /// `GET /v1/payments/{out_trade_no}/refunds`.
    pub async fn refunds(&self, out_trade_no: &str) -> Result<Vec<Refund>> {
        let segments = ["v1", "payments", out_trade_no, "refunds"];
        let list: RefundList = self.send_json(self.get(&segments)?).await?;
        Ok(list.items)
    }

    /// `GET /v1/merchant/balance`.
    pub async fn merchant_balance(&self) -> Result<Balance> {
        self.send_json(self.get(&["v1", "merchant", "balance"])?)
            .await
    }

    /// `GET /v1/merchant/statements/{date}`: the merchant's statement of a day (`YYYY-MM-DD`).
    pub async fn statement(&self, date: &str) -> Result<Statement> {
        self.send_json(self.get(&["v1", "merchant", "statements", date])?)
            .await
    }

    /// `GET /v1/merchant/statements/{date}?format=csv`: the statement as CSV text.
    pub async fn statement_csv(&self, date: &str) -> Result<String> {
        let builder = self
            .get(&["v1", "merchant", "statements", date])?
            .query(&[("format", "csv")]);
        self.send_text(builder).await
    }

    /// `GET /v1/merchant/webhook`: the webhook, without its secret.
    pub async fn webhook(&self) -> Result<Webhook> {
        self.send_json(self.get(&["v1", "merchant", "webhook"])?)
            .await
    }

    /// `PUT /v1/merchant/webhook`: the webhook with its signing secret, shown once.
    pub async fn set_webhook(&self, url: &str) -> Result<WebhookWithSecret> {
        let body = SetWebhookRequest {
            url: url.to_owned(),
        };
        let builder = self
            .request(Method::PUT, &["v1", "merchant", "webhook"])?
            .json(&body);
        self.send_json(builder).await
    }

    /// `DELETE /v1/merchant/webhook`.
    pub async fn delete_webhook(&self) -> Result<()> {
        let builder = self.request(Method::DELETE, &["v1", "merchant", "webhook"])?;
        self.send_empty(builder).await
    }

    /// `GET /v1/merchant/events`: a page of the merchant's events, newest first.
    pub async fn events(&self, before: Option<i64>, limit: Option<u32>) -> Result<EventPage> {
        let builder = self
            .get(&["v1", "merchant", "events"])?
            .query(&page_query("before", before, limit));
        self.send_json(builder).await
    }

    /// `POST /v1/merchant/events/{id}/redeliver`.
    pub async fn redeliver_event(&self, event_id: i64) -> Result<EventInfo> {
        let id = event_id.to_string();
        let builder = self.request(
            Method::POST,
            &["v1", "merchant", "events", &id, "redeliver"],
        )?;
        self.send_json(builder).await
    }

    /// `GET /v1/merchant/trades`: the merchant's trades of a day (today when `date` is
    /// absent), newest first, a page at a time, with the day's totals.
    pub async fn merchant_trades(&self, query: &MerchantTradesQuery) -> Result<MerchantTradesPage> {
        let builder = self.get(&["v1", "merchant", "trades"])?.query(query);
        self.send_json(builder).await
    }

    // Public calls.

    /// `GET /healthz`.
    pub async fn healthz(&self) -> Result<Health> {
        self.send_json(self.get(&["healthz"])?).await
    }

    /// `GET /metrics`: the Prometheus text.
    pub async fn metrics(&self) -> Result<String> {
        let response = self.get(&["metrics"])?.send().await?;
        let status = response.status();
        let text = response.text().await?;
        if status.is_success() {
            Ok(text)
        } else {
            Err(error_from(status, text.as_bytes()))
        }
    }

    /// `GET /openapi.json`: the OpenAPI document.
    pub async fn openapi(&self) -> Result<serde_json::Value> {
        self.send_json(self.get(&["openapi.json"])?).await
    }
}

/// The error of a response that is not a success.
fn error_from(status: StatusCode, body: &[u8]) -> ClientError {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(body) => ClientError::Api {
            status: status.as_u16(),
            code: body.error.code,
            message: body.error.message,
        },
        Err(_) => unexpected(status, body),
    }
}

fn unexpected(status: StatusCode, body: &[u8]) -> ClientError {
    ClientError::Unexpected {
        status: status.as_u16(),
        body: String::from_utf8_lossy(body)
            .chars()
            .take(MAX_UNEXPECTED_BODY_CHARS)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded_and_appended_to_the_base_path() {
        let client = Client::new("http://127.0.0.1:8080/paycode/").unwrap();
        let url = client
            .url(&["v1", "payments", "a/b?c#d", "refunds"])
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/paycode/v1/payments/a%2Fb%3Fc%23d/refunds"
        );
        let bare = Client::new("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            bare.url(&["healthz"]).unwrap().as_str(),
            "http://127.0.0.1:8080/healthz"
        );
        assert!(bare.url(&["v1", "payments", ".."]).is_err());
        assert!(bare.url(&["v1", "payments", "."]).is_err());
    }

    #[test]
    fn only_http_base_urls_are_accepted() {
        for bad in ["", "127.0.0.1:8080", "ftp://example.org", "mailto:a@b"] {
            assert!(Client::new(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn error_bodies_become_api_errors_with_their_code() {
        let body = br#"{"error": {"code": "CODE_USED", "message": "used"}}"#;
        let error = error_from(StatusCode::UNPROCESSABLE_ENTITY, body);
        assert_eq!(error.code(), Some("CODE_USED"));
        assert_eq!(error.status(), Some(422));
        let proxy = error_from(StatusCode::BAD_GATEWAY, b"<html>bad gateway</html>");
        assert!(matches!(proxy, ClientError::Unexpected { status: 502, .. }));
    }

    #[test]
    fn the_credential_does_not_appear_in_debug_output() {
        let client = Client::new("http://127.0.0.1:1")
            .unwrap()
            .with_bearer("pk_secret");
        assert!(!format!("{client:?}").contains("pk_secret"));
    }
}
