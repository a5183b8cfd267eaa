//! The administration's part of a SQLite transaction: settings, accounts, merchants and their
//! keys, top-ups, webhooks and events, statements.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{AccountId, ApiKeyId, EventId, MerchantId, UserId};
use paycode_core::model::{
    AccountKind, ApiKeyRecord, EventAttempt, EventRecord, LedgerTotals, MerchantRecord,
    MerchantWebhook, NewEvent, SettlementLine, StatementLine, TopupRecord, UserRecord,
};
use paycode_core::store::{AdminStore, PaymentStore, StoreError, StoreResult};

use super::{events, ledger, merchants, settings, statements, users, SqliteTransaction};

impl AdminStore for SqliteTransaction<'_> {
    fn setting(&mut self, name: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(settings::get(&self.connection, name)?)
    }

    fn put_setting(&mut self, name: &str, value: &[u8]) -> StoreResult<()> {
        Ok(settings::put(&self.connection, name, value)?)
    }

    fn insert_setting(&mut self, name: &str, value: &[u8]) -> StoreResult<()> {
        if settings::insert(&self.connection, name, value)? {
            Ok(())
        } else {
            Err(StoreError::Duplicate("setting"))
        }
    }

    fn insert_account(
        &mut self,
        kind: AccountKind,
        created_at: UnixMillis,
    ) -> StoreResult<AccountId> {
        Ok(ledger::insert_account(&self.connection, kind, created_at)?)
    }

    fn issuance_account(&mut self) -> StoreResult<AccountId> {
        Ok(ledger::issuance_account(&self.connection)?)
    }

    fn ledger_totals(&mut self) -> StoreResult<LedgerTotals> {
        Ok(ledger::totals(&self.connection)?)
    }

    fn users_page(
        &mut self,
        username_prefix: &str,
        after: Option<UserId>,
        limit: u32,
    ) -> StoreResult<Vec<UserRecord>> {
        Ok(users::users_page(
            &self.connection,
            username_prefix,
            after,
            limit,
        )?)
    }

    fn merchants_page(
        &mut self,
        after: Option<MerchantId>,
        limit: u32,
    ) -> StoreResult<Vec<MerchantRecord>> {
        Ok(merchants::merchants_page(&self.connection, after, limit)?)
    }

    fn insert_merchant(
        &mut self,
        name: &str,
        account: AccountId,
        created_at: UnixMillis,
    ) -> StoreResult<MerchantId> {
        Ok(merchants::insert_merchant(
            &self.connection,
            name,
            account,
            created_at,
        )?)
    }

    fn lock_merchant(&mut self, id: MerchantId) -> StoreResult<Option<MerchantRecord>> {
        // The single writer holds the whole database, so reading is locking.
        self.merchant(id)
    }

    fn insert_api_key(
        &mut self,
        merchant: MerchantId,
        key_hash: &[u8],
        created_at: UnixMillis,
    ) -> StoreResult<ApiKeyId> {
        Ok(merchants::insert_api_key(
            &self.connection,
            merchant,
            key_hash,
            created_at,
        )?)
    }

    fn api_key_by_hash(&mut self, key_hash: &[u8]) -> StoreResult<Option<ApiKeyRecord>> {
        Ok(merchants::api_key_by_hash(&self.connection, key_hash)?)
    }

    fn api_keys_of_merchant(&mut self, merchant: MerchantId) -> StoreResult<Vec<ApiKeyRecord>> {
        Ok(merchants::api_keys_of_merchant(&self.connection, merchant)?)
    }

    fn revoke_api_key(
        &mut self,
        merchant: MerchantId,
        key: ApiKeyId,
        revoked_at: UnixMillis,
    ) -> StoreResult<bool> {
        Ok(merchants::revoke_api_key(
            &self.connection,
            merchant,
            key,
            revoked_at,
        )?)
    }

    fn topup(&mut self, reference: &str) -> StoreResult<Option<TopupRecord>> {
        Ok(ledger::topup(&self.connection, reference)?)
    }

    fn insert_topup(&mut self, topup: &TopupRecord) -> StoreResult<()> {
        Ok(ledger::insert_topup(&self.connection, topup)?)
    }

    fn set_merchant_webhook(
        &mut self,
        merchant: MerchantId,
        webhook: Option<&MerchantWebhook>,
    ) -> StoreResult<bool> {
        Ok(merchants::set_merchant_webhook(
            &self.connection,
            merchant,
            webhook,
        )?)
    }

    fn insert_event(&mut self, event: &NewEvent) -> StoreResult<()> {
        Ok(events::insert_event(&self.connection, event)?)
    }

    fn events_of_merchant(
        &mut self,
        merchant: MerchantId,
        before: Option<EventId>,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        Ok(events::events_of_merchant(
            &self.connection,
            merchant,
            before,
            limit,
        )?)
    }

    fn claim_due_events(
        &mut self,
        now: UnixMillis,
        lease_until: UnixMillis,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        Ok(events::claim_due_events(
            &self.connection,
            now,
            lease_until,
            limit,
        )?)
    }

    fn finish_event_attempts(&mut self, attempts: &[EventAttempt]) -> StoreResult<u64> {
        Ok(events::finish_event_attempts(&self.connection, attempts)?)
    }

    fn redeliver_event(
        &mut self,
        merchant: MerchantId,
        event: EventId,
        at: UnixMillis,
    ) -> StoreResult<Option<EventRecord>> {
        Ok(events::redeliver_event(
            &self.connection,
            merchant,
            event,
            at,
        )?)
    }

    fn pending_event_count(&mut self) -> StoreResult<u64> {
        Ok(events::pending_event_count(&self.connection)?)
    }

    fn delete_finished_events_before(
        &mut self,
        before: UnixMillis,
        limit: u32,
    ) -> StoreResult<u64> {
        Ok(events::delete_finished_events_before(
            &self.connection,
            before,
            limit,
        )?)
    }

    fn statement_lines(
        &mut self,
        merchant: MerchantId,
        from: UnixMillis,
        to: UnixMillis,
        limit: u32,
    ) -> StoreResult<Vec<StatementLine>> {
        Ok(statements::statement_lines(
            &self.connection,
            merchant,
            from,
            to,
            limit,
        )?)
    }

    fn settlement_lines(
        &mut self,
        from: UnixMillis,
        to: UnixMillis,
    ) -> StoreResult<Vec<SettlementLine>> {
        Ok(statements::settlement_lines(&self.connection, from, to)?)
    }
}
