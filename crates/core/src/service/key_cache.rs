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
    entries: Mutex<Entries>,
}

/// The cached keys, and how many revocations this instance has seen: a key read from the
/// database before a revocation must not be cached after it, or the revoked key would be
/// trusted again until its entry expired.
#[derive(Debug, Default)]
struct Entries {
    by_hash: HashMap<Vec<u8>, Entry>,
    revocations: u64,
}

/// The number of revocations seen when a key was read from the database; see
/// [`KeyCache::insert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Generation(u64);

impl KeyCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        // Every change is a single insert, remove or clear, so a poisoned map is consistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The merchant of a key hash checked less than [`KEY_CACHE_MILLIS`] before `now`.
    pub(super) fn merchant(&self, hash: &[u8], now: UnixMillis) -> Option<MerchantId> {
        let entry = *self.entries().by_hash.get(hash)?;
        let age = now.saturating_sub(entry.checked_at);
        (0..KEY_CACHE_MILLIS)
            .contains(&age)
            .then_some(entry.merchant)
    }

    /// Taken before reading a key from the database, and handed to [`KeyCache::insert`].
    pub(super) fn generation(&self) -> Generation {
        Generation(self.entries().revocations)
    }

    /// Remembers a key found live at `now` by a read that began at `read_at`, unless a key
    /// was revoked since then (the read may have seen the key before its revocation).
    pub(super) fn insert(
        &self,
        hash: Vec<u8>,
        merchant: MerchantId,
        key: ApiKeyId,
        now: UnixMillis,
        read_at: Generation,
    ) {
        let mut entries = self.entries();
        if entries.revocations != read_at.0 {
            return;
        }
        if entries.by_hash.len() >= MAX_CACHED_KEYS {
            entries.by_hash.clear();
        }
        entries.by_hash.insert(
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
        let mut entries = self.entries();
        entries.revocations = entries.revocations.wrapping_add(1);
        entries.by_hash.retain(|_, entry| entry.key != key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_read_before_its_revocation_is_not_cached_after_it() {
        let cache = KeyCache::default();
        let read_at = cache.generation();
        cache.forget(ApiKeyId(7));
        cache.insert(b"hash".to_vec(), MerchantId(1), ApiKeyId(7), 1_000, read_at);
        assert_eq!(cache.merchant(b"hash", 1_000), None);
        let read_at = cache.generation();
        cache.insert(b"hash".to_vec(), MerchantId(1), ApiKeyId(7), 1_000, read_at);
        assert_eq!(cache.merchant(b"hash", 1_500), Some(MerchantId(1)));
        assert_eq!(cache.merchant(b"hash", 2_000), None);
    }
}
