//! Wallet users and what the server keeps about them: sessions and wrong PINs.

use crate::clock::UnixMillis;
use crate::ids::{AccountId, SessionId, UserId};

/// A wallet user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Id.
    pub id: UserId,
    /// Unique login name.
    pub username: String,
    /// Argon2id hash in PHC string format.
    pub password_hash: String,
    /// Argon2id hash of the PIN, once set.
    pub pin_hash: Option<String>,
    /// The user's ledger account.
    pub account_id: AccountId,
    /// Creation time.
    pub created_at: UnixMillis,
}

/// A wallet session; only the token's hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Id, assigned by the store.
    pub id: SessionId,
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    /// Owner.
    pub user_id: UserId,
    /// Creation time.
    pub created_at: UnixMillis,
    /// Expiry.
    pub expires_at: UnixMillis,
    /// When the session last authenticated a request (updated at most once a minute).
    pub last_used_at: UnixMillis,
    /// The `User-Agent` of the login request, cut to a bounded length.
    pub user_agent: Option<String>,
}

/// A session to store: a [`SessionRecord`] before the store has given it an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    /// Owner.
    pub user_id: UserId,
    /// Creation time, also the first last use.
    pub created_at: UnixMillis,
    /// Expiry.
    pub expires_at: UnixMillis,
    /// The `User-Agent` of the login request, cut to a bounded length.
    pub user_agent: Option<String>,
}

/// The count of a user's consecutive wrong PINs, kept in the store so that every instance
/// sees the same count (SPEC 4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PinAttempts {
    /// Wrong PINs in a row (a check counts as wrong from the moment it starts until it proves
    /// right, so that concurrent guesses cannot overshoot the limit).
    pub failures: u32,
    /// Every PIN check of the user is refused until then.
    pub locked_until: Option<UnixMillis>,
}
