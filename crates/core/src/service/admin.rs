//! The operator's side: merchants and their keys, top-ups, unlocking devices, the ledger check,
//! and the bearer credentials of admins and merchants.

use super::{Paycode, ADMIN_KEY_HASH_SETTING};
use crate::clock::{UnixMillis, MILLIS_PER_MINUTE};
use crate::crypto::{constant_time_eq, hash_token, new_token};
use crate::error::Error;
use crate::ids::{ApiKeyId, DeviceId, MerchantId, UserId};
use crate::limits::{
    DEFAULT_PAGE_SIZE, MAX_KEYS_PER_MERCHANT, MAX_PAGE_SIZE, MAX_USERNAME_BYTES,
    MERCHANT_FAILURE_MINUTES_KEPT, PRUNE_BATCH_SIZE,
};
use crate::model::{
    AccountKind, ApiKeyRecord, DeviceRecord, LedgerKind, LedgerTotals, MerchantRecord, TopupRecord,
    UserRecord,
};
use crate::money::Amount;
use crate::store::StoreError;
use crate::text::{Label, Reference};

/// Prefix of merchant API keys.
const API_KEY_PREFIX: &str = "pk_";
/// Prefix of generated admin keys.
const ADMIN_KEY_PREFIX: &str = "pa_";

/// A user as the operator's console shows them.
#[derive(Debug, Clone)]
pub struct UserOverview {
    /// The user.
    pub user: UserRecord,
    /// The balance, in minor units.
    pub balance: i64,
    /// The devices, revoked ones included, oldest first.
    pub devices: Vec<DeviceRecord>,
    /// Until when every PIN check of the user is refused, while it is.
    pub pin_locked_until: Option<UnixMillis>,
}

/// A page size given by a caller, or the default; out of bounds is a malformed request.
pub(super) fn page_limit(limit: Option<u32>) -> Result<u32, Error> {
    let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE);
    if (1..=MAX_PAGE_SIZE).contains(&limit) {
        Ok(limit)
    } else {
        Err(Error::MalformedRequest(format!(
            "limit must be 1..={MAX_PAGE_SIZE}"
        )))
    }
}

/// A merchant API key, shown once.
#[derive(Debug, Clone)]
pub struct ApiKeyIssued {
    /// The key's id, for revoking it.
    pub id: ApiKeyId,
    /// The key itself.
    pub key: String,
}

/// A new merchant with its first API key.
#[derive(Debug, Clone)]
pub struct MerchantCreated {
    /// The merchant.
    pub merchant: MerchantRecord,
    /// Its first key.
    pub api_key: ApiKeyIssued,
}

impl Paycode {
    /// Installs the admin key. With `configured` (from the environment), its hash replaces
    /// the stored one. Without it, an existing stored hash is kept; on first start a key is
    /// generated, stored as a hash, and returned so the caller can print it once.
    pub fn install_admin_key(&self, configured: Option<&str>) -> Result<Option<String>, Error> {
        self.in_transaction(|transaction| {
            if let Some(key) = configured {
                if key.len() < 16 {
                    return Err(Error::Config(
                        "the admin key must be at least 16 characters".to_owned(),
                    ));
                }
                transaction.put_setting(ADMIN_KEY_HASH_SETTING, &hash_token(key))?;
                return Ok(None);
            }
            if transaction.setting(ADMIN_KEY_HASH_SETTING)?.is_some() {
                return Ok(None);
            }
            let key = new_token(ADMIN_KEY_PREFIX);
            // An insert, not a replace: when several instances start at once on a new
            // database, one key is kept and printed, rather than each printing its own and
            // all but the last write being useless.
            match transaction.insert_setting(ADMIN_KEY_HASH_SETTING, &hash_token(&key)) {
                Ok(()) => Ok(Some(key)),
                Err(StoreError::Duplicate(_)) => Ok(None),
                Err(error) => Err(error.into()),
            }
        })
    }

    /// Checks an admin key.
    pub fn authenticate_admin(&self, key: &str) -> Result<(), Error> {
        let stored =
            self.reading(|transaction| Ok(transaction.setting(ADMIN_KEY_HASH_SETTING)?))?;
        match stored {
            Some(hash) if constant_time_eq(&hash, &hash_token(key)) => Ok(()),
            _ => Err(Error::Unauthenticated),
        }
    }

    /// The merchant behind an API key, if the key is live. A key that authenticated less than a
    /// second ago is answered from memory (see `key_cache`).
    pub fn authenticate_merchant(&self, key: &str) -> Result<MerchantId, Error> {
        let hash = hash_token(key);
        if let Some(merchant) = self.merchant_keys.merchant(&hash, self.now()) {
            return Ok(merchant);
        }
        let read_at = self.merchant_keys.generation();
        let record = self.reading(|transaction| Ok(transaction.api_key_by_hash(&hash)?))?;
        match record {
            Some(record) if record.revoked_at.is_none() => {
                self.merchant_keys
                    .insert(hash, record.merchant_id, record.id, self.now(), read_at);
                Ok(record.merchant_id)
            }
            _ => Err(Error::Unauthenticated),
        }
    }

    /// The merchant behind an API key if it authenticated a moment ago, without touching the
    /// database; `None` means: ask [`Paycode::authenticate_merchant`].
    pub fn recently_authenticated_merchant(&self, key: &str) -> Option<MerchantId> {
        self.merchant_keys.merchant(&hash_token(key), self.now())
    }

    /// Creates a merchant with its account and first API key.
    pub fn create_merchant(&self, name: &str) -> Result<MerchantCreated, Error> {
        let name = Label::parse("name", name)?;
        self.in_transaction(|transaction| {
            let now = self.now();
            let account = transaction.insert_account(AccountKind::Merchant, now)?;
            let id = transaction.insert_merchant(name.as_str(), account, now)?;
            let key = new_token(API_KEY_PREFIX);
            let key_id = transaction.insert_api_key(id, &hash_token(&key), now)?;
            let merchant = transaction
                .merchant(id)?
                .ok_or(Error::Internal("a new merchant vanished".to_owned()))?;
            Ok(MerchantCreated {
                merchant,
                api_key: ApiKeyIssued { id: key_id, key },
            })
        })
    }

    /// Adds an API key to a merchant (for rotation: add, deploy, revoke the old one).
    pub fn add_merchant_key(&self, merchant: i64) -> Result<ApiKeyIssued, Error> {
        let merchant = MerchantId(merchant);
        self.in_transaction(|transaction| {
            // Locking the merchant serializes concurrent additions, so that they cannot
            // together pass the cap on live keys.
            transaction
                .lock_merchant(merchant)?
                .ok_or(Error::NotFound("merchant"))?;
            let live = transaction
                .api_keys_of_merchant(merchant)?
                .iter()
                .filter(|key| key.revoked_at.is_none())
                .count();
            if live >= MAX_KEYS_PER_MERCHANT {
                return Err(Error::LimitExceeded(format!(
                    "a merchant has at most {MAX_KEYS_PER_MERCHANT} live keys"
                )));
            }
            let key = new_token(API_KEY_PREFIX);
            let id = transaction.insert_api_key(merchant, &hash_token(&key), self.now())?;
            Ok(ApiKeyIssued { id, key })
        })
    }

    /// Revokes one of a merchant's API keys.
    pub fn revoke_merchant_key(&self, merchant: i64, key: i64) -> Result<(), Error> {
        self.in_transaction(|transaction| {
            if transaction.revoke_api_key(MerchantId(merchant), ApiKeyId(key), self.now())? {
                Ok(())
            } else {
                Err(Error::NotFound("key"))
            }
        })?;
        self.merchant_keys.forget(ApiKeyId(key));
        Ok(())
    }

    /// The merchant's balance in minor units.
    pub fn merchant_balance(&self, merchant: MerchantId) -> Result<i64, Error> {
        self.reading(|transaction| {
            let record = transaction
                .merchant(merchant)?
                .ok_or(Error::NotFound("merchant"))?;
            Ok(transaction.lock_balance(record.account_id)?)
        })
    }

    /// Credits a user from the issuance account. Idempotent by `reference`: the same reference
    /// with the same user and amount returns the stored top-up; otherwise it is a conflict.
    pub fn topup(&self, user: i64, amount: i64, reference: &str) -> Result<TopupRecord, Error> {
        let reference = Reference::parse("reference", reference)?;
        let amount = Amount::new(amount)?;
        let user = UserId(user);
        self.in_transaction(|transaction| {
            if let Some(existing) = transaction.topup(reference.as_str())? {
                return if existing.user_id == user && existing.amount == amount {
                    Ok(existing)
                } else {
                    Err(Error::OutTradeNoConflict("reference"))
                };
            }
            let record = transaction.user(user)?.ok_or(Error::NotFound("user"))?;
            let issuance = transaction.issuance_account()?;
            let now = self.now();
            let transaction_id = transaction.post_transaction(
                LedgerKind::Topup,
                reference.as_str(),
                &amount.transfer(issuance, record.account_id),
                now,
            )?;
            let topup = TopupRecord {
                reference: reference.as_str().to_owned(),
                user_id: user,
                amount,
                transaction_id,
                created_at: now,
            };
            transaction
                .insert_topup(&topup)
                .map_err(super::in_progress_on_duplicate)?;
            Ok(topup)
        })
    }

    /// Lifts a device's lockouts and clears its failure counts, at every merchant and the one
    /// of every merchant together.
    pub fn unlock_device(&self, device: i64) -> Result<DeviceRecord, Error> {
        self.in_transaction(|transaction| {
            let mut record = transaction
                .lock_device(DeviceId(device))?
                .ok_or(Error::NotFound("device"))?;
            transaction.clear_device_failures(record.id)?;
            record.failed_attempts = 0;
            record.locked_until = None;
            transaction.update_device(&record)?;
            Ok(record)
        })
    }

    /// Deletes what is kept of failed verifications past its time: the audit trail's rows
    /// older than `verification_failure_retention_seconds` (at most [`PRUNE_BATCH_SIZE`] per
    /// call, so call it until it returns less), and the merchants' per-minute failure counts
    /// older than [`MERCHANT_FAILURE_MINUTES_KEPT`] minutes, and merchants' events that were
    /// delivered or given up more than `event_retention_days` ago (at most
    /// [`PRUNE_BATCH_SIZE`] per call). Returns how many audit rows went.
    /// The server calls it periodically.
    pub fn prune_failure_records(&self) -> Result<u64, Error> {
        let now = self.now();
        let before = now - Self::seconds(self.config.verification_failure_retention_seconds);
        let minute = now.div_euclid(MILLIS_PER_MINUTE) - MERCHANT_FAILURE_MINUTES_KEPT;
        let events_before = now - Self::seconds(self.config.event_retention_days) * 86_400;
        self.in_transaction(|transaction| {
            transaction.delete_merchant_failures_before(minute)?;
            // Delivered and given-up events past their retention go in the same sweep.
            transaction.delete_finished_events_before(events_before, PRUNE_BATCH_SIZE)?;
            Ok(transaction.delete_verification_failures_before(before, PRUNE_BATCH_SIZE)?)
        })
    }

    /// Users whose username starts with `username_prefix`, in id order after `after`, for the
    /// operator's search.
    pub fn find_users(
        &self,
        username_prefix: Option<&str>,
        after: Option<i64>,
        limit: Option<u32>,
    ) -> Result<Vec<UserRecord>, Error> {
        let prefix = username_prefix.unwrap_or_default();
        if prefix.len() > MAX_USERNAME_BYTES {
            return Err(Error::MalformedRequest(format!(
                "username_prefix is at most {MAX_USERNAME_BYTES} bytes"
            )));
        }
        // No username holds a control character, and PostgreSQL refuses a NUL in text: such
        // a prefix is a malformed request, not a database failure.
        if prefix.chars().any(char::is_control) {
            return Err(Error::MalformedRequest(
                "username_prefix must not hold control characters".to_owned(),
            ));
        }
        let limit = page_limit(limit)?;
        self.reading(|transaction| Ok(transaction.users_page(prefix, after.map(UserId), limit)?))
    }

    /// A user as the operator sees them: the record, the balance, the devices and whether PIN
    /// checks are locked.
    pub fn user_overview(&self, user: i64) -> Result<UserOverview, Error> {
        let now = self.now();
        self.reading(|transaction| {
            let record = transaction
                .user(UserId(user))?
                .ok_or(Error::NotFound("user"))?;
            let balance = transaction.lock_balance(record.account_id)?;
            let devices = transaction.devices_of_user(record.id)?;
            let pin_locked_until = transaction
                .lock_pin_attempts(record.id)?
                .and_then(|attempts| attempts.locked_until)
                .filter(|until| *until > now);
            Ok(UserOverview {
                user: record,
                balance,
                devices,
                pin_locked_until,
            })
        })
    }

    /// Merchants in id order after `after`.
    pub fn merchants_page(
        &self,
        after: Option<i64>,
        limit: Option<u32>,
    ) -> Result<Vec<MerchantRecord>, Error> {
        let limit = page_limit(limit)?;
        self.reading(|transaction| Ok(transaction.merchants_page(after.map(MerchantId), limit)?))
    }

    /// A merchant's API keys, revoked ones included, oldest first (never the keys themselves,
    /// which are stored only as hashes).
    pub fn merchant_keys(&self, merchant: i64) -> Result<Vec<ApiKeyRecord>, Error> {
        self.reading(|transaction| {
            let merchant = transaction
                .merchant(MerchantId(merchant))?
                .ok_or(Error::NotFound("merchant"))?;
            Ok(transaction.api_keys_of_merchant(merchant.id)?)
        })
    }

    /// Revokes a device for its owner (a phone reported lost at the desk); its codes, offline
    /// and online, stop working at once. Idempotent.
    pub fn revoke_device_as_operator(&self, device: i64) -> Result<DeviceRecord, Error> {
        self.in_transaction(|transaction| {
            let record = transaction
                .lock_device(DeviceId(device))?
                .ok_or(Error::NotFound("device"))?;
            self.revoke_locked_device(transaction, record)
        })
    }

    /// Computes the ledger invariants (SPEC 3) over everything stored.
    pub fn check_ledger(&self) -> Result<LedgerTotals, Error> {
        self.reading(|transaction| Ok(transaction.ledger_totals()?))
    }
}
