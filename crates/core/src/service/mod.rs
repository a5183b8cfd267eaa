//! The use cases, as methods on [`Paycode`]. Each opens one store transaction, checks every
//! rule, writes, and commits before it reports success.

mod admin;
mod batch;
mod confirmation;
mod credentials;
mod key_cache;
mod payments;
mod refunds;
mod reports;
mod serial;
mod statements;
mod verify;
mod wallet;
mod webhooks;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use paycode_codec::{CodeKey, OfflineCodec, Prefix, PrefixTable};
use rand::RngCore;
use zeroize::Zeroizing;

use crate::clock::{Clock, UnixMillis, MILLIS_PER_SECOND};
use crate::config::Config;
use crate::crypto::{keyed_hash, MasterKeys};
use crate::days::StatementZone;
use crate::error::Error;
use crate::limits::MAX_TRANSACTION_RETRIES;
use crate::login_throttle::LoginThrottle;
use crate::model::SealedSecret;
use crate::money::Currency;
use crate::password_pool::{self, PasswordPool};
use crate::store::{Store, StoreError, Transaction};

pub use admin::{ApiKeyIssued, MerchantCreated, UserOverview};
pub use batch::{BatchCounts, Leadership, PaymentDone, Phase};
pub use confirmation::PendingPayment;
pub use credentials::Session;
pub use payments::PayRequest;
pub use refunds::RefundRequest;
pub use reports::{DaySummary, MerchantDay, TradeSearch, TradeSearchPage};
pub use statements::{totals_of, Statement};
pub use wallet::{OnlineCode, Provisioning};
pub use webhooks::{
    next_retry_at, signature_header, DeliveryOutcome, DueEvent, EventData, WebhookIssued,
    WebhookUrl,
};

/// Setting that holds the keyed-hash key for online codes and payment codes in trades.
const CODE_HASH_KEY_SETTING: &str = "code_hash_key";
/// Setting that holds the SHA-256 of the admin key.
const ADMIN_KEY_HASH_SETTING: &str = "admin_key_hash";
/// Length of the keyed-hash key.
const CODE_HASH_KEY_BYTES: usize = 32;

/// Whether a transaction only reads (and may run beside the writer) or also writes.
#[derive(Debug, Clone, Copy)]
enum Access {
    Read,
    ReadWrite,
}

/// What a use case's work inside a transaction decided: commit and succeed, commit and refuse
/// (a spent code or a failure count must be kept even though the payment is refused), or
/// return an error, which rolls back.
type Decision<T> = Result<Result<T, Error>, Error>;

/// A unique key that another transaction filled first means a concurrent duplicate of this
/// request is being processed (the caller's idempotency lock normally prevents it).
fn in_progress_on_duplicate(error: StoreError) -> Error {
    match error {
        StoreError::Duplicate(_) => Error::RequestInProgress,
        other => Error::Store(other),
    }
}

/// paycode: the whole domain behind one handle, shared by every request of a server.
pub struct Paycode {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    config: Config,
    keys: MasterKeys,
    codes: PrefixTable,
    /// The offline prefix and key that new devices are given (the first configured).
    enrollment: (Prefix, CodeKey),
    code_hash_key: Zeroizing<Vec<u8>>,
    /// Devices locked at every merchant since the start, for the operator's alert.
    global_lockouts: AtomicU64,
    batcher: batch::Batcher,
    merchant_keys: key_cache::KeyCache,
    /// Every Argon2id hash and check of a password or PIN runs here, never on the threads
    /// of payment batches.
    passwords: PasswordPool,
    logins: LoginThrottle,
    /// Renders the `data` of merchants' notifications; none are stored without it.
    event_data: Option<Arc<dyn webhooks::EventData>>,
    /// The time zone that days are cut in.
    zone: StatementZone,
}

impl std::fmt::Debug for Paycode {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Paycode")
            .field("backend", &self.store.backend_name())
            .finish_non_exhaustive()
    }
}

impl Paycode {
    /// Opens the domain over a migrated store: validates the configuration, and loads (or, on
    /// first start, creates and stores sealed) the code key of every offline prefix and the
    /// code hash key.
    pub fn open(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: Config,
        keys: MasterKeys,
    ) -> Result<Self, Error> {
        config.validate()?;
        let mut paycode_keys = Vec::new();
        let code_hash_key = Zeroizing::new(
            load_or_create_sealed(store.as_ref(), &keys, CODE_HASH_KEY_SETTING, || {
                let mut bytes = vec![0u8; CODE_HASH_KEY_BYTES];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                bytes
            })?
            .to_vec(),
        );
        for &number in &config.offline_prefixes {
            let prefix = Prefix::new(number).map_err(|error| Error::Config(error.to_string()))?;
            let bytes =
                load_or_create_sealed(store.as_ref(), &keys, &code_key_setting(prefix), || {
                    CodeKey::generate().expose_bytes().to_vec()
                })?;
            let key =
                CodeKey::from_bytes(&bytes).map_err(|error| Error::Internal(error.to_string()))?;
            paycode_keys.push((prefix, key));
        }
        let online = config
            .online_prefixes
            .iter()
            .map(|&number| Prefix::new(number).map_err(|error| Error::Config(error.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        let enrollment = paycode_keys
            .first()
            .map(|(prefix, key)| (*prefix, key.clone()))
            .ok_or_else(|| Error::Config("no offline prefix".to_owned()))?;
        let codes = PrefixTable::new(online, paycode_keys)
            .map_err(|error| Error::Config(error.to_string()))?;
        let password_threads = config
            .password_threads
            .map_or_else(password_pool::default_threads, |threads| threads as usize);
        let passwords = PasswordPool::new(password_threads)?;
        let logins = LoginThrottle::new(config.login_free_failures, config.login_max_delay_seconds);
        let zone = StatementZone::parse(&config.time_zone)?;
        Ok(Self {
            store,
            clock,
            config,
            keys,
            codes,
            enrollment,
            code_hash_key,
            global_lockouts: AtomicU64::new(0),
            batcher: batch::Batcher::default(),
            merchant_keys: key_cache::KeyCache::default(),
            passwords,
            logins,
            event_data: None,
            zone,
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The deployment's currency.
    pub fn currency(&self) -> &Currency {
        &self.config.currency
    }

    /// The time zone that days are cut in (config `time_zone`).
    pub fn statement_zone(&self) -> &StatementZone {
        &self.zone
    }

    /// The clock the domain reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// How many times a device was locked at every merchant (its failures at every merchant
    /// together reached `global_failed_attempts`) since the start: each one is worth an
    /// operator's look, since it takes many merchants guessing one device's codes.
    pub fn global_lockouts(&self) -> u64 {
        self.global_lockouts.load(Ordering::Relaxed)
    }

    /// The store's backend name, for logs and metrics.
    pub fn backend_name(&self) -> &'static str {
        self.store.backend_name()
    }

    fn now(&self) -> UnixMillis {
        self.clock.now()
    }

    fn seconds(seconds: u32) -> i64 {
        i64::from(seconds) * MILLIS_PER_SECOND
    }

    fn code_hash(&self, purpose: &[u8], code: &str) -> Vec<u8> {
        let mut data = purpose.to_vec();
        data.extend_from_slice(code.as_bytes());
        keyed_hash(&self.code_hash_key, &data)
    }

    /// Runs `work` in a transaction and commits if it succeeds; retries from the start when
    /// the store reports a conflict.
    fn in_transaction<T>(
        &self,
        mut work: impl FnMut(&mut dyn Transaction) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.deciding(|transaction| work(transaction).map(Ok))
    }

    /// Runs `work`, which only reads, in a read transaction (which a store may run beside the
    /// writer), retrying on conflicts like [`Paycode::in_transaction`].
    fn reading<T>(
        &self,
        mut work: impl FnMut(&mut dyn Transaction) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.retrying(Access::Read, |transaction| work(transaction).map(Ok))
    }

    /// Like [`Paycode::in_transaction`], but `work` may also decide to commit and then refuse.
    fn deciding<T>(
        &self,
        work: impl FnMut(&mut dyn Transaction) -> Decision<T>,
    ) -> Result<T, Error> {
        self.retrying(Access::ReadWrite, work)
    }

    /// Runs `work` in a transaction of the given access and commits it; starts again from the
    /// beginning when the store reports a conflict, at most [`MAX_TRANSACTION_RETRIES`] times.
    fn retrying<T>(
        &self,
        access: Access,
        mut work: impl FnMut(&mut dyn Transaction) -> Decision<T>,
    ) -> Result<T, Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let begun = match access {
                Access::Read => self.store.begin_read(),
                Access::ReadWrite => self.store.begin(),
            };
            let outcome = begun.map_err(Error::from).and_then(|mut transaction| {
                let decision = work(transaction.as_mut())?;
                transaction.commit()?;
                Ok(decision)
            });
            match outcome {
                Err(Error::Store(StoreError::Conflict(reason)))
                    if attempt < MAX_TRANSACTION_RETRIES =>
                {
                    tracing::debug!(attempt, %reason, "retrying a transaction after a conflict");
                }
                Err(error) => return Err(error),
                Ok(decision) => return decision,
            }
        }
    }

    /// Re-encrypts every device secret and sealed setting under the current master key, so an
    /// old master key can be retired. Returns how many values were re-encrypted.
    pub fn reencrypt_secrets(&self) -> Result<u64, Error> {
        let mut count = 0;
        let mut names = vec![CODE_HASH_KEY_SETTING.to_owned()];
        names.extend(
            self.config
                .offline_prefixes
                .iter()
                .filter_map(|&number| Prefix::new(number).ok())
                .map(code_key_setting),
        );
        for name in names {
            count +=
                self.in_transaction(|transaction| reseal_setting(transaction, &self.keys, &name))?;
        }
        let mut after = None;
        loop {
            let page =
                self.in_transaction(|transaction| self.reseal_device_page(transaction, after))?;
            match page {
                (resealed, Some(last)) => {
                    count += resealed;
                    after = Some(last);
                }
                (resealed, None) => {
                    count += resealed;
                    break;
                }
            }
        }
        let mut after = None;
        loop {
            let (resealed, last) =
                self.in_transaction(|transaction| self.reseal_webhook_page(transaction, after))?;
            count += resealed;
            match last {
                Some(last) => after = Some(last),
                None => return Ok(count),
            }
        }
    }

    fn reseal_device_page(
        &self,
        transaction: &mut dyn Transaction,
        after: Option<crate::ids::DeviceId>,
    ) -> Result<(u64, Option<crate::ids::DeviceId>), Error> {
        const PAGE: u32 = 500;
        let devices = transaction.devices_page(after, PAGE)?;
        // Lock the page's devices and reseal what the locks return, not what the page read:
        // a secret rotated or a drift learned between the two is kept, not overwritten.
        let ids: Vec<crate::ids::DeviceId> = devices.iter().map(|device| device.id).collect();
        let locked = transaction.lock_devices(&ids)?;
        let mut resealed = 0;
        for mut device in locked {
            if device.secret.key_id != self.keys.current_id() {
                let aad = device_associated_data(device.id);
                let plain = self.keys.open(&aad, &device.secret)?;
                device.secret = self.keys.seal(&aad, &plain)?;
                transaction.update_device(&device)?;
                resealed += 1;
            }
        }
        let last = (devices.len() == PAGE as usize)
            .then(|| devices.last().map(|device| device.id))
            .flatten();
        Ok((resealed, last))
    }
}

fn code_key_setting(prefix: Prefix) -> String {
    format!("code_key:{prefix}")
}

/// Associated data that binds a sealed device secret to its device.
pub(crate) fn device_associated_data(device: crate::ids::DeviceId) -> Vec<u8> {
    format!("device:{}", device.0).into_bytes()
}

fn setting_associated_data(name: &str) -> Vec<u8> {
    format!("setting:{name}").into_bytes()
}

fn encode_sealed(sealed: &SealedSecret) -> Vec<u8> {
    let mut bytes = sealed.key_id.to_be_bytes().to_vec();
    bytes.extend_from_slice(&sealed.nonce);
    bytes.extend_from_slice(&sealed.ciphertext);
    bytes
}

fn decode_sealed(bytes: &[u8]) -> Result<SealedSecret, Error> {
    const HEADER: usize = 4 + 12;
    if bytes.len() <= HEADER {
        return Err(Error::Internal("a sealed setting is truncated".to_owned()));
    }
    let key_id = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    Ok(SealedSecret {
        key_id,
        nonce: bytes[4..HEADER].to_vec(),
        ciphertext: bytes[HEADER..].to_vec(),
    })
}

fn load_or_create_sealed(
    store: &dyn Store,
    keys: &MasterKeys,
    name: &str,
    create: impl Fn() -> Vec<u8>,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut transaction = store.begin()?;
    let aad = setting_associated_data(name);
    if let Some(stored) = transaction.setting(name)? {
        return keys.open(&aad, &decode_sealed(&stored)?);
    }
    let plain = Zeroizing::new(create());
    match transaction.insert_setting(name, &encode_sealed(&keys.seal(&aad, &plain)?)) {
        Ok(()) => {
            transaction.commit()?;
            Ok(plain)
        }
        // Another instance created it since the read above (several instances starting at
        // once on a new database). Its value is the one every instance loads, so this one
        // must use it too: a key of its own would make codes it hands out fail elsewhere.
        Err(StoreError::Duplicate(_)) => {
            let stored = transaction.setting(name)?.ok_or_else(|| {
                Error::Internal(format!(
                    "setting {name} was reported as existing but is not"
                ))
            })?;
            keys.open(&aad, &decode_sealed(&stored)?)
        }
        Err(error) => Err(error.into()),
    }
}

fn reseal_setting(
    transaction: &mut dyn Transaction,
    keys: &MasterKeys,
    name: &str,
) -> Result<u64, Error> {
    let Some(stored) = transaction.setting(name)? else {
        return Ok(0);
    };
    let sealed = decode_sealed(&stored)?;
    if sealed.key_id == keys.current_id() {
        return Ok(0);
    }
    let aad = setting_associated_data(name);
    let plain = keys.open(&aad, &sealed)?;
    transaction.put_setting(name, &encode_sealed(&keys.seal(&aad, &plain)?))?;
    Ok(1)
}

/// The offline codec of the prefix new devices get, for wallets and tests.
impl Paycode {
    /// The codec that wallets provisioned now use.
    pub fn enrollment_codec(&self) -> OfflineCodec {
        OfflineCodec::new(self.enrollment.0, &self.enrollment.1)
    }
}
