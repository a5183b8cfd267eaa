//! What the wallet's calls read and write: users, their sessions and PIN attempts, their
//! devices and online codes, and their account's history.

use super::StoreResult;
use crate::clock::UnixMillis;
use crate::ids::{AccountId, DeviceId, LedgerTransactionId, SessionId, UserId};
use crate::model::{
    DeviceRecord, LedgerEntry, NewSession, OnlineCodeRecord, PinAttempts, SessionRecord, UserRecord,
};

/// The wallet's part of a [`Transaction`](super::Transaction).
pub trait WalletStore {
    // Users.

    /// Creates a user; [`StoreError::Duplicate`](super::StoreError::Duplicate) when the username is
    /// taken.
    fn insert_user(
        &mut self,
        username: &str,
        password_hash: &str,
        account: AccountId,
        created_at: UnixMillis,
    ) -> StoreResult<UserId>;
    /// A user by username.
    fn user_by_username(&mut self, username: &str) -> StoreResult<Option<UserRecord>>;
    /// Sets or replaces the PIN hash.
    fn set_pin_hash(&mut self, id: UserId, pin_hash: &str) -> StoreResult<()>;
    /// The user's count of wrong PINs, with the user's row locked until the end of the
    /// transaction (so it also serializes other per-user changes, such as enrolling a device
    /// against the per-user cap); `None` for an unknown user.
    fn lock_pin_attempts(&mut self, user: UserId) -> StoreResult<Option<PinAttempts>>;
    /// Writes the user's count of wrong PINs.
    fn put_pin_attempts(&mut self, user: UserId, attempts: &PinAttempts) -> StoreResult<()>;

    // Sessions.

    /// Stores a session and returns its id.
    fn insert_session(&mut self, session: &NewSession) -> StoreResult<SessionId>;
    /// A session by token hash.
    fn session(&mut self, token_hash: &[u8]) -> StoreResult<Option<SessionRecord>>;
    /// The user's sessions, expired ones included until they are pruned, oldest first.
    fn sessions_of_user(&mut self, user: UserId) -> StoreResult<Vec<SessionRecord>>;
    /// Records a use of the session.
    fn touch_session(&mut self, id: SessionId, at: UnixMillis) -> StoreResult<()>;
    /// Deletes one of the user's sessions; false when the user has no such session.
    fn delete_session(&mut self, user: UserId, id: SessionId) -> StoreResult<bool>;
    /// Deletes every session of the user but `keep`; returns how many.
    fn delete_other_sessions(&mut self, user: UserId, keep: SessionId) -> StoreResult<u64>;
    /// Deletes sessions that expired before `before`; returns how many.
    fn delete_expired_sessions(&mut self, before: UnixMillis) -> StoreResult<u64>;

    // A user's devices, online codes and history.

    /// The user's devices, revoked ones included, oldest first.
    fn devices_of_user(&mut self, user: UserId) -> StoreResult<Vec<DeviceRecord>>;
    /// Stores an online code; [`StoreError::Duplicate`](super::StoreError::Duplicate) if an equal
    /// hash exists.
    fn insert_online_code(&mut self, code: &OnlineCodeRecord) -> StoreResult<()>;
    /// Ends the device's online codes that are neither used nor expired, by making them
    /// expire at `at`; returns how many.
    fn expire_online_codes_of_device(
        &mut self,
        device: DeviceId,
        at: UnixMillis,
    ) -> StoreResult<u64>;
    /// Deletes online codes that expired before `before`; returns how many.
    fn delete_expired_online_codes(&mut self, before: UnixMillis) -> StoreResult<u64>;
    /// The postings to an account, newest first, strictly before `before` when given.
    fn account_history(
        &mut self,
        account: AccountId,
        before: Option<LedgerTransactionId>,
        limit: u32,
    ) -> StoreResult<Vec<LedgerEntry>>;
}
