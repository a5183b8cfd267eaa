//! The administration's part of a PostgreSQL transaction: settings, accounts, merchants and
//! their keys, top-ups, webhooks and events, statements.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{AccountId, ApiKeyId, EventId, MerchantId, UserId};
use paycode_core::model::{
    AccountKind, ApiKeyRecord, EventAttempt, EventRecord, LedgerTotals, MerchantRecord,
    MerchantWebhook, NewEvent, SettlementLine, StatementLine, TopupRecord, UserRecord,
};
use paycode_core::store::{AdminStore, StoreError, StoreResult};

use super::{events, ledger, merchants, settings, statements, users, PostgresTransaction};

impl AdminStore for PostgresTransaction<'_> {
    fn setting(&mut self, name: &str) -> StoreResult<Option<Vec<u8>>> {
        self.run(|connection| settings::get(connection, name))
    }

    fn put_setting(&mut self, name: &str, value: &[u8]) -> StoreResult<()> {
        self.run(|connection| settings::put(connection, name, value))
    }

    fn insert_setting(&mut self, name: &str, value: &[u8]) -> StoreResult<()> {
        if self.run(|connection| settings::insert(connection, name, value))? {
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
        self.run(|connection| ledger::insert_account(connection, kind, created_at))
    }

    fn issuance_account(&mut self) -> StoreResult<AccountId> {
        self.run(ledger::issuance_account)
    }

    fn ledger_totals(&mut self) -> StoreResult<LedgerTotals> {
        self.run(ledger::totals)
    }

    fn users_page(
        &mut self,
        username_prefix: &str,
        after: Option<UserId>,
        limit: u32,
    ) -> StoreResult<Vec<UserRecord>> {
        self.run(|connection| users::users_page(connection, username_prefix, after, limit))
    }

    fn merchants_page(
        &mut self,
        after: Option<MerchantId>,
        limit: u32,
    ) -> StoreResult<Vec<MerchantRecord>> {
        self.run(|connection| merchants::merchants_page(connection, after, limit))
    }

    fn insert_merchant(
        &mut self,
        name: &str,
        account: AccountId,
        created_at: UnixMillis,
    ) -> StoreResult<MerchantId> {
        self.run(|connection| merchants::insert_merchant(connection, name, account, created_at))
    }

    fn lock_merchant(&mut self, id: MerchantId) -> StoreResult<Option<MerchantRecord>> {
        self.run(|connection| merchants::lock_merchant(connection, id))
    }

    fn insert_api_key(
        &mut self,
        merchant: MerchantId,
        key_hash: &[u8],
        created_at: UnixMillis,
    ) -> StoreResult<ApiKeyId> {
        self.run(|connection| merchants::insert_api_key(connection, merchant, key_hash, created_at))
    }

    fn api_key_by_hash(&mut self, key_hash: &[u8]) -> StoreResult<Option<ApiKeyRecord>> {
        self.run(|connection| merchants::api_key_by_hash(connection, key_hash))
    }

    fn api_keys_of_merchant(&mut self, merchant: MerchantId) -> StoreResult<Vec<ApiKeyRecord>> {
        self.run(|connection| merchants::api_keys_of_merchant(connection, merchant))
    }

    fn revoke_api_key(
        &mut self,
        merchant: MerchantId,
        key: ApiKeyId,
        revoked_at: UnixMillis,
    ) -> StoreResult<bool> {
        self.run(|connection| merchants::revoke_api_key(connection, merchant, key, revoked_at))
    }

    fn topup(&mut self, reference: &str) -> StoreResult<Option<TopupRecord>> {
        self.run(|connection| ledger::topup(connection, reference))
    }

    fn insert_topup(&mut self, topup: &TopupRecord) -> StoreResult<()> {
        if self.run(|connection| ledger::insert_topup(connection, topup))? {
            Ok(())
        } else {
            Err(StoreError::Duplicate("top-up reference"))
        }
    }

    fn set_merchant_webhook(
        &mut self,
        merchant: MerchantId,
        webhook: Option<&MerchantWebhook>,
    ) -> StoreResult<bool> {
        self.run(|connection| merchants::set_merchant_webhook(connection, merchant, webhook))
    }

    fn insert_event(&mut self, event: &NewEvent) -> StoreResult<()> {
        self.insert_events(std::slice::from_ref(event))
    }

    fn insert_events(&mut self, events: &[NewEvent]) -> StoreResult<()> {
        self.run(|connection| events::insert_events(connection, events))
    }

    fn events_of_merchant(
        &mut self,
        merchant: MerchantId,
        before: Option<EventId>,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        self.run(|connection| events::events_of_merchant(connection, merchant, before, limit))
    }

    fn claim_due_events(
        &mut self,
        now: UnixMillis,
        lease_until: UnixMillis,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        self.run(|connection| events::claim_due_events(connection, now, lease_until, limit))
    }

    fn finish_event_attempts(&mut self, attempts: &[EventAttempt]) -> StoreResult<u64> {
        self.run(|connection| events::finish_event_attempts(connection, attempts))
    }

    fn redeliver_event(
        &mut self,
        merchant: MerchantId,
        event: EventId,
        at: UnixMillis,
    ) -> StoreResult<Option<EventRecord>> {
        self.run(|connection| events::redeliver_event(connection, merchant, event, at))
    }

    fn pending_event_count(&mut self) -> StoreResult<u64> {
        self.run(events::pending_event_count)
    }

    fn delete_finished_events_before(
        &mut self,
        before: UnixMillis,
        limit: u32,
    ) -> StoreResult<u64> {
        self.run(|connection| events::delete_finished_events_before(connection, before, limit))
    }

    fn statement_lines(
        &mut self,
        merchant: MerchantId,
        from: UnixMillis,
        to: UnixMillis,
        limit: u32,
    ) -> StoreResult<Vec<StatementLine>> {
        self.run(|connection| statements::statement_lines(connection, merchant, from, to, limit))
    }

    fn settlement_lines(
        &mut self,
        from: UnixMillis,
        to: UnixMillis,
    ) -> StoreResult<Vec<SettlementLine>> {
        self.run(|connection| statements::settlement_lines(connection, from, to))
    }
}
