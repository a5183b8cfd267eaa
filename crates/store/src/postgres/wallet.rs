//! The wallet's part of a PostgreSQL transaction: users, sessions, a user's devices and online
//! codes, an account's history.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{AccountId, DeviceId, LedgerTransactionId, SessionId, UserId};
use paycode_core::model::{
    DeviceRecord, LedgerEntry, NewSession, OnlineCodeRecord, PinAttempts, SessionRecord, UserRecord,
};
use paycode_core::store::{StoreError, StoreResult, WalletStore};

use super::{codes, devices, ledger, users, PostgresTransaction};

impl WalletStore for PostgresTransaction<'_> {
    fn account_history(
        &mut self,
        account: AccountId,
        before: Option<LedgerTransactionId>,
        limit: u32,
    ) -> StoreResult<Vec<LedgerEntry>> {
        self.run(|connection| ledger::account_history(connection, account, before, limit))
    }

    fn insert_user(
        &mut self,
        username: &str,
        password_hash: &str,
        account: AccountId,
        created_at: UnixMillis,
    ) -> StoreResult<UserId> {
        self.run(|connection| {
            users::insert_user(connection, username, password_hash, account, created_at)
        })?
        .ok_or(StoreError::Duplicate("username"))
    }

    fn user_by_username(&mut self, username: &str) -> StoreResult<Option<UserRecord>> {
        self.run(|connection| users::user_by_username(connection, username))
    }

    fn set_pin_hash(&mut self, id: UserId, pin_hash: &str) -> StoreResult<()> {
        self.run(|connection| users::set_pin_hash(connection, id, pin_hash))
    }

    fn lock_pin_attempts(&mut self, user: UserId) -> StoreResult<Option<PinAttempts>> {
        self.run(|connection| users::lock_pin_attempts(connection, user))
    }

    fn put_pin_attempts(&mut self, user: UserId, attempts: &PinAttempts) -> StoreResult<()> {
        self.run(|connection| users::put_pin_attempts(connection, user, attempts))
    }

    fn insert_session(&mut self, session: &NewSession) -> StoreResult<SessionId> {
        self.run(|connection| users::insert_session(connection, session))
    }

    fn session(&mut self, token_hash: &[u8]) -> StoreResult<Option<SessionRecord>> {
        self.run(|connection| users::session(connection, token_hash))
    }

    fn sessions_of_user(&mut self, user: UserId) -> StoreResult<Vec<SessionRecord>> {
        self.run(|connection| users::sessions_of_user(connection, user))
    }

    fn touch_session(&mut self, id: SessionId, at: UnixMillis) -> StoreResult<()> {
        self.run(|connection| users::touch_session(connection, id, at))
    }

    fn delete_session(&mut self, user: UserId, id: SessionId) -> StoreResult<bool> {
        self.run(|connection| users::delete_session(connection, user, id))
    }

    fn delete_other_sessions(&mut self, user: UserId, keep: SessionId) -> StoreResult<u64> {
        self.run(|connection| users::delete_other_sessions(connection, user, keep))
    }

    fn delete_expired_sessions(&mut self, before: UnixMillis) -> StoreResult<u64> {
        self.run(|connection| users::delete_expired_sessions(connection, before))
    }

    fn devices_of_user(&mut self, user: UserId) -> StoreResult<Vec<DeviceRecord>> {
        self.run(|connection| devices::devices_of_user(connection, user))
    }

    fn insert_online_code(&mut self, code: &OnlineCodeRecord) -> StoreResult<()> {
        if self.run(|connection| codes::insert_online_code(connection, code))? {
            Ok(())
        } else {
            Err(StoreError::Duplicate("online code"))
        }
    }

    fn expire_online_codes_of_device(
        &mut self,
        device: DeviceId,
        at: UnixMillis,
    ) -> StoreResult<u64> {
        self.run(|connection| codes::expire_online_codes_of_device(connection, device, at))
    }

    fn delete_expired_online_codes(&mut self, before: UnixMillis) -> StoreResult<u64> {
        self.run(|connection| codes::delete_expired_online_codes(connection, before))
    }
}
