//! The payment path's part of a SQLite transaction. The transaction holds the store's single
//! writer, which excludes every other transaction, so the `lock_*` methods are plain reads and
//! most bulk forms are the contract's defaults: the one-row method in a loop, which costs
//! nothing more on an embedded database.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{AccountId, DeviceId, LedgerTransactionId, MerchantId, TradeId, UserId};
use paycode_core::model::{
    DeviceFailures, DeviceRecord, LedgerKind, MerchantRecord, NewTrade, OnlineCodeRecord,
    RefundRecord, TradeRecord, UserRecord,
};
use paycode_core::store::{PaymentStore, SpentOfflineCode, StoreResult};

use super::{codes, devices, failures, ledger, merchants, trades, users, SqliteTransaction};

impl PaymentStore for SqliteTransaction<'_> {
    /// A plain read: the transaction already excludes every other one.
    fn lock_balance(&mut self, account: AccountId) -> StoreResult<i64> {
        Ok(ledger::balance(&self.connection, account)?)
    }

    fn post_transaction(
        &mut self,
        kind: LedgerKind,
        reference: &str,
        postings: &[(AccountId, i64)],
        created_at: UnixMillis,
    ) -> StoreResult<LedgerTransactionId> {
        Ok(ledger::post_transaction(
            &self.connection,
            kind,
            reference,
            postings,
            created_at,
        )?)
    }

    fn user(&mut self, id: UserId) -> StoreResult<Option<UserRecord>> {
        Ok(users::user(&self.connection, id)?)
    }

    fn merchant(&mut self, id: MerchantId) -> StoreResult<Option<MerchantRecord>> {
        Ok(merchants::merchant(&self.connection, id)?)
    }

    fn insert_device(&mut self, device: &DeviceRecord) -> StoreResult<()> {
        Ok(devices::insert_device(&self.connection, device)?)
    }

    fn device(&mut self, id: DeviceId) -> StoreResult<Option<DeviceRecord>> {
        Ok(devices::device(&self.connection, id)?)
    }

    /// A plain read: the transaction already excludes every other one.
    fn lock_device(&mut self, id: DeviceId) -> StoreResult<Option<DeviceRecord>> {
        Ok(devices::device(&self.connection, id)?)
    }

    fn devices_page(
        &mut self,
        after: Option<DeviceId>,
        limit: u32,
    ) -> StoreResult<Vec<DeviceRecord>> {
        Ok(devices::devices_page(&self.connection, after, limit)?)
    }

    fn update_device(&mut self, device: &DeviceRecord) -> StoreResult<()> {
        Ok(devices::update_device(&self.connection, device)?)
    }

    fn insert_verification_failure(
        &mut self,
        device: Option<DeviceId>,
        merchant: MerchantId,
        reason: &str,
        at: UnixMillis,
    ) -> StoreResult<()> {
        Ok(devices::insert_verification_failure(
            &self.connection,
            device,
            merchant,
            reason,
            at,
        )?)
    }

    fn failures_of_device(&mut self, device: DeviceId) -> StoreResult<Vec<DeviceFailures>> {
        Ok(failures::failures_of_device(&self.connection, device)?)
    }

    fn put_device_failures(&mut self, failures: &DeviceFailures) -> StoreResult<()> {
        Ok(failures::put_device_failures(&self.connection, failures)?)
    }

    fn clear_device_failures(&mut self, device: DeviceId) -> StoreResult<u64> {
        Ok(failures::clear_device_failures(&self.connection, device)?)
    }

    /// A plain read: the transaction already excludes every other one.
    fn lock_merchant_failures(&mut self, merchant: MerchantId, minute: i64) -> StoreResult<u32> {
        Ok(failures::merchant_failures(
            &self.connection,
            merchant,
            minute,
        )?)
    }

    fn add_merchant_failures(
        &mut self,
        merchant: MerchantId,
        minute: i64,
        failures: u32,
    ) -> StoreResult<()> {
        Ok(failures::add_merchant_failures(
            &self.connection,
            merchant,
            minute,
            failures,
        )?)
    }

    fn delete_verification_failures_before(
        &mut self,
        before: UnixMillis,
        limit: u32,
    ) -> StoreResult<u64> {
        Ok(failures::delete_verification_failures_before(
            &self.connection,
            before,
            limit,
        )?)
    }

    fn delete_merchant_failures_before(&mut self, minute: i64) -> StoreResult<u64> {
        Ok(failures::delete_merchant_failures_before(
            &self.connection,
            minute,
        )?)
    }

    fn spend_offline_code(
        &mut self,
        device: DeviceId,
        step: u64,
        index: u8,
        at: UnixMillis,
    ) -> StoreResult<bool> {
        Ok(codes::spend_offline_code(
            &self.connection,
            device,
            step,
            index,
            at,
        )?)
    }

    fn spent_offline_codes_in(
        &mut self,
        windows: &[(DeviceId, std::ops::Range<u64>)],
    ) -> StoreResult<Vec<SpentOfflineCode>> {
        Ok(codes::spent_offline_codes_in(&self.connection, windows)?)
    }

    /// A plain read: the transaction already excludes every other one.
    fn lock_online_code(&mut self, code_hash: &[u8]) -> StoreResult<Option<OnlineCodeRecord>> {
        Ok(codes::online_code(&self.connection, code_hash)?)
    }

    fn spend_online_code(&mut self, code_hash: &[u8], at: UnixMillis) -> StoreResult<bool> {
        Ok(codes::spend_online_code(&self.connection, code_hash, at)?)
    }

    /// Nothing to do: this transaction already excludes every other one of the store, so
    /// concurrent duplicates of an `out_trade_no` run one after the other anyway.
    fn lock_out_trade_no(&mut self, _merchant: MerchantId, _out_trade_no: &str) -> StoreResult<()> {
        Ok(())
    }

    fn insert_trade(&mut self, trade: &NewTrade) -> StoreResult<TradeId> {
        Ok(trades::insert_trade(&self.connection, trade)?)
    }

    /// A plain read: the transaction already excludes every other one.
    fn lock_trade_by_out_trade_no(
        &mut self,
        merchant: MerchantId,
        out_trade_no: &str,
    ) -> StoreResult<Option<TradeRecord>> {
        Ok(trades::trade_by_out_trade_no(
            &self.connection,
            merchant,
            out_trade_no,
        )?)
    }

    /// A plain read: the transaction already excludes every other one.
    fn lock_trade_by_trade_no(&mut self, trade_no: &str) -> StoreResult<Option<TradeRecord>> {
        Ok(trades::trade_by_trade_no(&self.connection, trade_no)?)
    }

    fn update_trade(&mut self, trade: &TradeRecord) -> StoreResult<()> {
        Ok(trades::update_trade(&self.connection, trade)?)
    }

    fn user_paying_trades_of_user(&mut self, user: UserId) -> StoreResult<Vec<TradeRecord>> {
        Ok(trades::user_paying_trades_of_user(&self.connection, user)?)
    }

    fn overdue_user_paying_trades(
        &mut self,
        now: UnixMillis,
        limit: usize,
    ) -> StoreResult<Vec<TradeRecord>> {
        Ok(trades::overdue_user_paying_trades(
            &self.connection,
            now,
            limit,
        )?)
    }

    fn pin_free_total_of_day(&mut self, user: UserId, day: UnixMillis) -> StoreResult<i64> {
        Ok(trades::pin_free_total_of_day(&self.connection, user, day)?)
    }

    fn insert_refund(&mut self, refund: &RefundRecord) -> StoreResult<()> {
        Ok(trades::insert_refund(&self.connection, refund)?)
    }

    fn refund_by_out_refund_no(
        &mut self,
        trade: TradeId,
        out_refund_no: &str,
    ) -> StoreResult<Option<RefundRecord>> {
        Ok(trades::refund_by_out_refund_no(
            &self.connection,
            trade,
            out_refund_no,
        )?)
    }

    fn refunds_of_trade(&mut self, trade: TradeId) -> StoreResult<Vec<RefundRecord>> {
        Ok(trades::refunds_of_trade(&self.connection, trade)?)
    }
}
