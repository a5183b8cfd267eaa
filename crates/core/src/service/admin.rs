//! The operator's side: merchants and their keys, top-ups, unlocking devices, the ledger check,
//! and the bearer credentials of admins and merchants.

use super::{Paycode, ADMIN_KEY_HASH_SETTING};
use crate::clock::MILLIS_PER_MINUTE;
use crate::crypto::{constant_time_eq, hash_token, new_token};
use crate::error::Error;
use crate::ids::{ApiKeyId, DeviceId, MerchantId, UserId};
use crate::limits::{MAX_KEYS_PER_MERCHANT, MERCHANT_FAILURE_MINUTES_KEPT, PRUNE_BATCH_SIZE};
use crate::model::{
    AccountKind, DeviceRecord, LedgerKind, LedgerTotals, MerchantRecord, TopupRecord,
};
use crate::money::Amount;
use crate::store::StoreError;
use crate::text::{Label, Reference};

/// Prefix of merchant API keys.
const API_KEY_PREFIX: &str = "pk_";
/// Prefix of generated admin keys.
const ADMIN_KEY_PREFIX: &str = "pa_";

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
        let record = self.reading(|transaction| Ok(transaction.api_key_by_hash(&hash)?))?;
        match record {
            Some(record) if record.revoked_at.is_none() => {
                self.merchant_keys
                    .insert(hash, record.merchant_id, record.id, self.now());
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
            transaction
                .merchant(merchant)?
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
                return if existing.user_id == user && existing.amount == amount.minor() {
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
                &[
                    (issuance, -amount.minor()),
                    (record.account_id, amount.minor()),
                ],
                now,
            )?;
            let topup = TopupRecord {
                reference: reference.as_str().to_owned(),
                user_id: user,
                amount: amount.minor(),
                transaction_id,
                created_at: now,
            };
            transaction
                .insert_topup(&topup)
                .map_err(super::payments::in_progress_on_duplicate)?;
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
    /// older than [`MERCHANT_FAILURE_MINUTES_KEPT`] minutes. Returns how many audit rows went.
    /// The server calls it periodically.
    pub fn prune_failure_records(&self) -> Result<u64, Error> {
        let now = self.now();
        let before = now - Self::seconds(self.config.verification_failure_retention_seconds);
        let minute = now.div_euclid(MILLIS_PER_MINUTE) - MERCHANT_FAILURE_MINUTES_KEPT;
        self.in_transaction(|transaction| {
            transaction.delete_merchant_failures_before(minute)?;
            Ok(transaction.delete_verification_failures_before(before, PRUNE_BATCH_SIZE)?)
        })
    }

    /// Computes the ledger invariants (SPEC 3) over everything stored.
    pub fn check_ledger(&self) -> Result<LedgerTotals, Error> {
        self.reading(|transaction| Ok(transaction.ledger_totals()?))
    }
}
