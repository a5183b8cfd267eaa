//! The wallet's part of a SQLite transaction: users, sessions, a user's devices and online
//! codes, an account's history.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{AccountId, DeviceId, LedgerTransactionId, SessionId, UserId};
use paycode_core::model::{
    DeviceRecord, LedgerEntry, NewSession, OnlineCodeRecord, PinAttempts, SessionRecord, UserRecord,
};
use paycode_core::store::{StoreResult, WalletStore};

use super::{codes, devices, ledger, users, SqliteTransaction};

impl WalletStore for SqliteTransaction<'_> {
    fn account_history(
        &mut self,
        account: AccountId,
        before: Option<LedgerTransactionId>,
        limit: u32,
    ) -> StoreResult<Vec<LedgerEntry>> {
        Ok(ledger::account_history(
            &self.connection,
            account,
            before,
            limit,
        )?)
    }

    fn insert_user(
        &mut self,
        username: &str,
        password_hash: &str,
        account: AccountId,
        created_at: UnixMillis,
    ) -> StoreResult<UserId> {
        Ok(users::insert_user(
            &self.connection,
            username,
            password_hash,
            account,
            created_at,
        )?)
    }

    fn user_by_username(&mut self, username: &str) -> StoreResult<Option<UserRecord>> {
        Ok(users::user_by_username(&self.connection, username)?)
    }

    fn set_pin_hash(&mut self, id: UserId, pin_hash: &str) -> StoreResult<()> {
        Ok(users::set_pin_hash(&self.connection, id, pin_hash)?)
    }

    fn lock_pin_attempts(&mut self, user: UserId) -> StoreResult<Option<PinAttempts>> {
        // The single writer holds the whole database, so reading is locking.
        Ok(users::pin_attempts(&self.connection, user)?)
    }

    fn put_pin_attempts(&mut self, user: UserId, attempts: &PinAttempts) -> StoreResult<()> {
        Ok(users::put_pin_attempts(&self.connection, user, attempts)?)
    }

    fn insert_session(&mut self, session: &NewSession) -> StoreResult<SessionId> {
        Ok(users::insert_session(&self.connection, session)?)
    }

    fn session(&mut self, token_hash: &[u8]) -> StoreResult<Option<SessionRecord>> {
        Ok(users::session(&self.connection, token_hash)?)
    }

    fn sessions_of_user(&mut self, user: UserId) -> StoreResult<Vec<SessionRecord>> {
        Ok(users::sessions_of_user(&self.connection, user)?)
    }

    fn touch_session(&mut self, id: SessionId, at: UnixMillis) -> StoreResult<()> {
        Ok(users::touch_session(&self.connection, id, at)?)
    }

    fn delete_session(&mut self, user: UserId, id: SessionId) -> StoreResult<bool> {
        Ok(users::delete_session(&self.connection, user, id)?)
    }

    fn delete_other_sessions(&mut self, user: UserId, keep: SessionId) -> StoreResult<u64> {
        Ok(users::delete_other_sessions(&self.connection, user, keep)?)
    }

    fn delete_expired_sessions(&mut self, before: UnixMillis) -> StoreResult<u64> {
        Ok(users::delete_expired_sessions(&self.connection, before)?)
    }

    fn devices_of_user(&mut self, user: UserId) -> StoreResult<Vec<DeviceRecord>> {
        Ok(devices::devices_of_user(&self.connection, user)?)
    }

    fn insert_online_code(&mut self, code: &OnlineCodeRecord) -> StoreResult<()> {
        Ok(codes::insert_online_code(&self.connection, code)?)
    }

    fn expire_online_codes_of_device(
        &mut self,
        device: DeviceId,
        at: UnixMillis,
    ) -> StoreResult<u64> {
        Ok(codes::expire_online_codes_of_device(
            &self.connection,
            device,
            at,
        )?)
    }

    fn delete_expired_online_codes(&mut self, before: UnixMillis) -> StoreResult<u64> {
        Ok(codes::delete_expired_online_codes(
            &self.connection,
            before,
        )?)
    }
}
