//! API keys that authenticated lately, so that a merchant's requests do not each read the
//! database before they start: at payment rates, that read was a database transaction per
//! request on top of the payment's share of a batch.
//!
//! Only keys that were found live are kept, each for [`KEY_CACHE_MILLIS`]; an unknown or
//! revoked key always goes to the database, so guessing keys cannot fill the cache. Revoking a
//! key through this instance drops it at once; another instance stops accepting it when its
//! entry expires (docs/SECURITY.md).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::clock::UnixMillis;
use crate::ids::{ApiKeyId, MerchantId};

/// How long a key that authenticated is trusted without asking the database again.
pub(super) const KEY_CACHE_MILLIS: i64 = 1_000;
/// Keys kept at most; when full, the cache starts again empty.
const MAX_CACHED_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    merchant: MerchantId,
    key: ApiKeyId,
    checked_at: UnixMillis,
}

/// Live keys by hash.
#[derive(Debug, Default)]
pub(super) struct KeyCache {
    entries: Mutex<HashMap<Vec<u8>, Entry>>,
}

impl KeyCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, Entry>> {
        // Every change is a single insert, remove or clear, so a poisoned map is consistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The merchant of a key hash checked less than [`KEY_CACHE_MILLIS`] before `now`.
    pub(super) fn merchant(&self, hash: &[u8], now: UnixMillis) -> Option<MerchantId> {
        let entry = *self.entries().get(hash)?;
        let age = now.saturating_sub(entry.checked_at);
        (0..KEY_CACHE_MILLIS)
            .contains(&age)
            .then_some(entry.merchant)
    }

    /// Remembers a key found live at `now`.
    pub(super) fn insert(
        &self,
        hash: Vec<u8>,
        merchant: MerchantId,
        key: ApiKeyId,
        now: UnixMillis,
    ) {
        let mut entries = self.entries();
        if entries.len() >= MAX_CACHED_KEYS {
            entries.clear();
        }
        entries.insert(
            hash,
            Entry {
                merchant,
                key,
                checked_at: now,
            },
        );
    }

    /// Forgets a key, after it was revoked.
    pub(super) fn forget(&self, key: ApiKeyId) {
        self.entries().retain(|_, entry| entry.key != key);
    }
}
