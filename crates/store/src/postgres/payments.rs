//! The payment path's part of a PostgreSQL transaction. Every statement costs a round trip
//! to the server, so the bulk forms that a batch of payments uses are each one statement
//! (the module that owns the table has it), and the one-row forms are the same statements
//! over one row where that keeps the SQL in one place.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{AccountId, DeviceId, LedgerTransactionId, MerchantId, TradeId, UserId};
use paycode_core::model::{
    DeviceFailures, DeviceRecord, LedgerKind, MerchantRecord, NewTrade, OnlineCodeRecord,
    RefundRecord, TradeRecord, UserRecord,
};
use paycode_core::store::{
    NewLedgerTransaction, PaymentStore, SpentOfflineCode, StoreError, StoreResult,
    VerificationFailure,
};

use super::{codes, devices, failures, ledger, merchants, trades, users, PostgresTransaction};

impl PaymentStore for PostgresTransaction<'_> {
    fn lock_balance(&mut self, account: AccountId) -> StoreResult<i64> {
        self.run(|connection| ledger::lock_balance(connection, account))
    }

    fn post_transaction(
        &mut self,
        kind: LedgerKind,
        reference: &str,
        postings: &[(AccountId, i64)],
        created_at: UnixMillis,
    ) -> StoreResult<LedgerTransactionId> {
        self.run(|connection| {
            ledger::post_transaction(connection, kind, reference, postings, created_at)
        })
    }

    fn user(&mut self, id: UserId) -> StoreResult<Option<UserRecord>> {
        self.run(|connection| users::user(connection, id))
    }

    fn merchant(&mut self, id: MerchantId) -> StoreResult<Option<MerchantRecord>> {
        self.run(|connection| merchants::merchant(connection, id))
    }

    fn insert_device(&mut self, device: &DeviceRecord) -> StoreResult<()> {
        self.run(|connection| devices::insert_device(connection, device))
    }

    fn device(&mut self, id: DeviceId) -> StoreResult<Option<DeviceRecord>> {
        self.run(|connection| devices::device(connection, id))
    }

    fn lock_device(&mut self, id: DeviceId) -> StoreResult<Option<DeviceRecord>> {
        self.run(|connection| devices::lock_device(connection, id))
    }

    fn devices_page(
        &mut self,
        after: Option<DeviceId>,
        limit: u32,
    ) -> StoreResult<Vec<DeviceRecord>> {
        self.run(|connection| devices::devices_page(connection, after, limit))
    }

    fn update_device(&mut self, device: &DeviceRecord) -> StoreResult<()> {
        self.run(|connection| devices::update_device(connection, device))
    }

    fn insert_verification_failure(
        &mut self,
        device: Option<DeviceId>,
        merchant: MerchantId,
        reason: &str,
        at: UnixMillis,
    ) -> StoreResult<()> {
        self.run(|connection| {
            devices::insert_verification_failure(connection, device, merchant, reason, at)
        })
    }

    fn failures_of_device(&mut self, device: DeviceId) -> StoreResult<Vec<DeviceFailures>> {
        self.run(|connection| failures::failures_of_devices(connection, &[device]))
    }

    fn put_device_failures(&mut self, counts: &DeviceFailures) -> StoreResult<()> {
        self.run(|connection| failures::put_devices_failures(connection, &[*counts]))
    }

    fn clear_device_failures(&mut self, device: DeviceId) -> StoreResult<u64> {
        self.run(|connection| failures::clear_device_failures(connection, device))
    }

    fn lock_merchant_failures(&mut self, merchant: MerchantId, minute: i64) -> StoreResult<u32> {
        self.run(|connection| failures::lock_merchant_failures(connection, merchant, minute))
    }

    fn add_merchant_failures(
        &mut self,
        merchant: MerchantId,
        minute: i64,
        added: u32,
    ) -> StoreResult<()> {
        self.run(|connection| {
            failures::add_merchants_failures(connection, &[(merchant, added)], minute)
        })
    }

    fn delete_verification_failures_before(
        &mut self,
        before: UnixMillis,
        limit: u32,
    ) -> StoreResult<u64> {
        self.run(|connection| {
            failures::delete_verification_failures_before(connection, before, limit)
        })
    }

    fn delete_merchant_failures_before(&mut self, minute: i64) -> StoreResult<u64> {
        self.run(|connection| failures::delete_merchant_failures_before(connection, minute))
    }

    fn spent_offline_codes_in(
        &mut self,
        windows: &[(DeviceId, std::ops::Range<u64>)],
    ) -> StoreResult<Vec<SpentOfflineCode>> {
        self.run(|connection| codes::spent_offline_codes_in(connection, windows))
    }

    fn spend_offline_code(
        &mut self,
        device: DeviceId,
        step: u64,
        index: u8,
        at: UnixMillis,
    ) -> StoreResult<bool> {
        self.run(|connection| codes::spend_offline_code(connection, device, step, index, at))
    }

    fn lock_online_code(&mut self, code_hash: &[u8]) -> StoreResult<Option<OnlineCodeRecord>> {
        self.run(|connection| codes::lock_online_code(connection, code_hash))
    }

    fn spend_online_code(&mut self, code_hash: &[u8], at: UnixMillis) -> StoreResult<bool> {
        self.run(|connection| codes::spend_online_code(connection, code_hash, at))
    }

    /// Takes a transaction advisory lock on a hash of the store's schema, the merchant and
    /// the `out_trade_no`; PostgreSQL releases it when the transaction ends.
    fn lock_out_trade_no(&mut self, merchant: MerchantId, out_trade_no: &str) -> StoreResult<()> {
        let key = self.out_trade_no_lock_key(merchant, out_trade_no);
        self.run(|connection| {
            connection.execute("SELECT pg_advisory_xact_lock($1)", &[&key])?;
            Ok(())
        })
    }

    fn insert_trade(&mut self, trade: &NewTrade) -> StoreResult<TradeId> {
        self.run(|connection| trades::insert_trade(connection, trade))?
            .ok_or(StoreError::Duplicate("out_trade_no"))
    }

    fn lock_trade_by_out_trade_no(
        &mut self,
        merchant: MerchantId,
        out_trade_no: &str,
    ) -> StoreResult<Option<TradeRecord>> {
        self.run(|connection| {
            trades::lock_trade_by_out_trade_no(connection, merchant, out_trade_no)
        })
    }

    fn lock_trade_by_trade_no(&mut self, trade_no: &str) -> StoreResult<Option<TradeRecord>> {
        self.run(|connection| trades::lock_trade_by_trade_no(connection, trade_no))
    }

    fn update_trade(&mut self, trade: &TradeRecord) -> StoreResult<()> {
        self.run(|connection| trades::update_trade(connection, trade))
    }

    fn user_paying_trades_of_user(&mut self, user: UserId) -> StoreResult<Vec<TradeRecord>> {
        self.run(|connection| trades::user_paying_trades_of_user(connection, user))
    }

    fn overdue_user_paying_trades(
        &mut self,
        now: UnixMillis,
        limit: usize,
    ) -> StoreResult<Vec<TradeRecord>> {
        self.run(|connection| trades::overdue_user_paying_trades(connection, now, limit))
    }

    fn pin_free_total_of_day(&mut self, user: UserId, day: UnixMillis) -> StoreResult<i64> {
        self.run(|connection| trades::pin_free_total_of_day(connection, user, day))
    }

    /// Takes the advisory locks of [`PaymentStore::lock_out_trade_no`] in one statement, in
    /// ascending order of their keys (the order of the hashes, not of the merchants and
    /// numbers, which is as good for avoiding deadlocks). The subquery's `ORDER BY` makes
    /// PostgreSQL sort the keys before it calls the lock function on any of them.
    fn lock_out_trade_nos(&mut self, keys: &[(MerchantId, String)]) -> StoreResult<()> {
        let mut keys: Vec<i64> = keys
            .iter()
            .map(|(merchant, out_trade_no)| self.out_trade_no_lock_key(*merchant, out_trade_no))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        self.run(|connection| {
            connection.execute(
                "SELECT pg_advisory_xact_lock(k)
                 FROM (SELECT k FROM unnest($1::bigint[]) AS k ORDER BY k) AS sorted",
                &[&keys],
            )?;
            Ok(())
        })
    }

    fn lock_trades_by_out_trade_nos(
        &mut self,
        keys: &[(MerchantId, String)],
    ) -> StoreResult<Vec<TradeRecord>> {
        self.run(|connection| trades::lock_trades_by_out_trade_nos(connection, keys))
    }

    fn lock_devices(&mut self, ids: &[DeviceId]) -> StoreResult<Vec<DeviceRecord>> {
        self.run(|connection| devices::lock_devices(connection, ids))
    }

    fn failures_of_devices(&mut self, devices: &[DeviceId]) -> StoreResult<Vec<DeviceFailures>> {
        self.run(|connection| failures::failures_of_devices(connection, devices))
    }

    fn put_devices_failures(&mut self, counts: &[DeviceFailures]) -> StoreResult<()> {
        self.run(|connection| failures::put_devices_failures(connection, counts))
    }

    fn lock_merchants_failures(
        &mut self,
        merchants: &[MerchantId],
        minute: i64,
    ) -> StoreResult<Vec<(MerchantId, u32)>> {
        self.run(|connection| failures::lock_merchants_failures(connection, merchants, minute))
    }

    fn add_merchants_failures(
        &mut self,
        counts: &[(MerchantId, u32)],
        minute: i64,
    ) -> StoreResult<()> {
        self.run(|connection| failures::add_merchants_failures(connection, counts, minute))
    }

    fn users(&mut self, ids: &[UserId]) -> StoreResult<Vec<UserRecord>> {
        self.run(|connection| users::users(connection, ids))
    }

    fn lock_balances(&mut self, accounts: &[AccountId]) -> StoreResult<Vec<(AccountId, i64)>> {
        self.run(|connection| ledger::lock_balances(connection, accounts))
    }

    fn pin_free_totals_of_day(
        &mut self,
        users: &[UserId],
        day: UnixMillis,
    ) -> StoreResult<Vec<(UserId, i64)>> {
        self.run(|connection| trades::pin_free_totals_of_day(connection, users, day))
    }

    fn merchants(&mut self, ids: &[MerchantId]) -> StoreResult<Vec<MerchantRecord>> {
        self.run(|connection| merchants::merchants(connection, ids))
    }

    fn spend_offline_codes(
        &mut self,
        codes: &[SpentOfflineCode],
        at: UnixMillis,
    ) -> StoreResult<()> {
        if self.run(|connection| codes::spend_offline_codes(connection, codes, at))? {
            Ok(())
        } else {
            Err(StoreError::Conflict(
                "an offline code of the batch was spent meanwhile".to_owned(),
            ))
        }
    }

    fn update_devices(&mut self, devices: &[DeviceRecord]) -> StoreResult<()> {
        self.run(|connection| devices::update_devices(connection, devices))
    }

    fn insert_verification_failures(
        &mut self,
        failures: &[VerificationFailure],
    ) -> StoreResult<()> {
        self.run(|connection| devices::insert_verification_failures(connection, failures))
    }

    fn post_transactions(
        &mut self,
        transactions: &[NewLedgerTransaction],
    ) -> StoreResult<Vec<LedgerTransactionId>> {
        self.run(|connection| ledger::post_transactions(connection, transactions))
    }

    fn insert_trades(&mut self, trades: &[NewTrade]) -> StoreResult<Vec<TradeId>> {
        self.run(|connection| trades::insert_trades(connection, trades))?
            .ok_or(StoreError::Duplicate("out_trade_no"))
    }

    fn insert_refund(&mut self, refund: &RefundRecord) -> StoreResult<()> {
        if self.run(|connection| trades::insert_refund(connection, refund))? {
            Ok(())
        } else {
            Err(StoreError::Duplicate("out_refund_no"))
        }
    }

    fn refund_by_out_refund_no(
        &mut self,
        trade: TradeId,
        out_refund_no: &str,
    ) -> StoreResult<Option<RefundRecord>> {
        self.run(|connection| trades::refund_by_out_refund_no(connection, trade, out_refund_no))
    }

    fn refunds_of_trade(&mut self, trade: TradeId) -> StoreResult<Vec<RefundRecord>> {
        self.run(|connection| trades::refunds_of_trade(connection, trade))
    }
}
