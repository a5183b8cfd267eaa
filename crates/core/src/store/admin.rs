//! What the operator's and the merchants' administration reads and writes: settings,
//! accounts, merchants and their API keys, top-ups, webhooks and the outbox of events, and
//! statements.

use super::StoreResult;
use crate::clock::UnixMillis;
use crate::ids::{AccountId, ApiKeyId, EventId, MerchantId, UserId};
use crate::model::{
    AccountKind, ApiKeyRecord, EventAttempt, EventRecord, LedgerTotals, MerchantRecord,
    MerchantWebhook, NewEvent, SettlementLine, StatementLine, TopupRecord, UserRecord,
};

/// The administration's part of a [`Transaction`](super::Transaction).
pub trait AdminStore {
    // Settings: small named values (sealed code keys, the admin key hash).

    /// Reads a setting.
    fn setting(&mut self, name: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Writes a setting, replacing any previous value.
    fn put_setting(&mut self, name: &str, value: &[u8]) -> StoreResult<()>;
    /// Writes a setting that does not exist yet;
    /// [`StoreError::Duplicate`](super::StoreError::Duplicate) when one of that name exists, which
    /// is left as it was, and the transaction stays usable. When another transaction inserts the
    /// same name at the same time, one of them wins and the other sees the duplicate: this is how
    /// several instances starting at once agree on one key.
    fn insert_setting(&mut self, name: &str, value: &[u8]) -> StoreResult<()>;

    // Accounts and the ledger's invariants.

    /// Creates an account with a zero balance.
    fn insert_account(
        &mut self,
        kind: AccountKind,
        created_at: UnixMillis,
    ) -> StoreResult<AccountId>;
    /// The issuance account, created by the store's migrations.
    fn issuance_account(&mut self) -> StoreResult<AccountId>;
    /// Computes the ledger invariants over everything stored.
    fn ledger_totals(&mut self) -> StoreResult<LedgerTotals>;

    // Users and merchants, as the console lists and changes them.

    /// Users whose username starts with `username_prefix` (which may be empty), in id order,
    /// after `after` when given, at most `limit`.
    fn users_page(
        &mut self,
        username_prefix: &str,
        after: Option<UserId>,
        limit: u32,
    ) -> StoreResult<Vec<UserRecord>>;
    /// Creates a merchant.
    fn insert_merchant(
        &mut self,
        name: &str,
        account: AccountId,
        created_at: UnixMillis,
    ) -> StoreResult<MerchantId>;
    /// Merchants in id order, after `after` when given, at most `limit`.
    fn merchants_page(
        &mut self,
        after: Option<MerchantId>,
        limit: u32,
    ) -> StoreResult<Vec<MerchantRecord>>;
    /// A merchant by id, its row locked until the end of the transaction (to serialize changes
    /// to the merchant's keys against the per-merchant cap).
    fn lock_merchant(&mut self, id: MerchantId) -> StoreResult<Option<MerchantRecord>>;

    // Merchants' API keys.

    /// Stores an API key hash.
    fn insert_api_key(
        &mut self,
        merchant: MerchantId,
        key_hash: &[u8],
        created_at: UnixMillis,
    ) -> StoreResult<ApiKeyId>;
    /// An API key by hash, revoked or not.
    fn api_key_by_hash(&mut self, key_hash: &[u8]) -> StoreResult<Option<ApiKeyRecord>>;
    /// The merchant's keys, revoked ones included, oldest first.
    fn api_keys_of_merchant(&mut self, merchant: MerchantId) -> StoreResult<Vec<ApiKeyRecord>>;
    /// Marks a key revoked; false when the merchant has no such unrevoked key.
    fn revoke_api_key(
        &mut self,
        merchant: MerchantId,
        key: ApiKeyId,
        revoked_at: UnixMillis,
    ) -> StoreResult<bool>;

    // Top-ups.

    /// A top-up by reference.
    fn topup(&mut self, reference: &str) -> StoreResult<Option<TopupRecord>>;
    /// Stores a top-up; [`StoreError::Duplicate`](super::StoreError::Duplicate) when the reference
    /// exists.
    fn insert_topup(&mut self, topup: &TopupRecord) -> StoreResult<()>;

    // Webhooks and the outbox of notifications (SPEC section 7).

    /// Sets the merchant's webhook, or removes it with `None`; false when there is no such
    /// merchant.
    fn set_merchant_webhook(
        &mut self,
        merchant: MerchantId,
        webhook: Option<&MerchantWebhook>,
    ) -> StoreResult<bool>;
    /// Stores an event, due for delivery at its creation time.
    fn insert_event(&mut self, event: &NewEvent) -> StoreResult<()>;
    /// [`AdminStore::insert_event`] of every event, in order (their ids grow in that order).
    fn insert_events(&mut self, events: &[NewEvent]) -> StoreResult<()> {
        events.iter().try_for_each(|event| self.insert_event(event))
    }
    /// The merchant's events, newest first, strictly before `before` when given, at most
    /// `limit`.
    fn events_of_merchant(
        &mut self,
        merchant: MerchantId,
        before: Option<EventId>,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>>;
    /// Takes at most `limit` events due at `now` (not delivered, `next_attempt_at <= now`),
    /// the longest due first, and leases them to the caller until `lease_until` by making
    /// that their next attempt time: until then no other caller takes them, and if the caller
    /// dies they come due again. Events another transaction is taking at the same moment are
    /// skipped, not waited for (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so that two instances
    /// never take the same event.
    fn claim_due_events(
        &mut self,
        now: UnixMillis,
        lease_until: UnixMillis,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>>;
    /// Records how attempts ended: each counts one attempt and is either delivered, due again
    /// at its `retry_at`, or given up. An attempt whose event is no longer held under its
    /// lease (the lease ran out and another attempt began) changes nothing. Returns how many
    /// were recorded.
    fn finish_event_attempts(&mut self, attempts: &[EventAttempt]) -> StoreResult<u64>;
    /// Makes the merchant's event due again at `at`, delivered or given up as it may be;
    /// returns it as it is now, or `None` when the merchant has no such event.
    fn redeliver_event(
        &mut self,
        merchant: MerchantId,
        event: EventId,
        at: UnixMillis,
    ) -> StoreResult<Option<EventRecord>>;
    /// How many events wait for an attempt (neither delivered nor given up).
    fn pending_event_count(&mut self) -> StoreResult<u64>;
    /// Deletes at most `limit` events created before `before` that no longer wait for an
    /// attempt (delivered or given up), oldest first; returns how many.
    fn delete_finished_events_before(&mut self, before: UnixMillis, limit: u32)
        -> StoreResult<u64>;

    // Statements and settlements (SPEC section 7).

    /// The ledger transactions that moved money to or from the merchant's account at a time
    /// in `[from, to)`, in transaction order, at most `limit`: its payments, refunds and
    /// reversals (refunds whose `out_refund_no` is
    /// [`CANCEL_REFUND_REFERENCE`](crate::model::CANCEL_REFUND_REFERENCE)).
    fn statement_lines(
        &mut self,
        merchant: MerchantId,
        from: UnixMillis,
        to: UnixMillis,
        limit: u32,
    ) -> StoreResult<Vec<StatementLine>>;
    /// Each merchant's totals of the ledger transactions at a time in `[from, to)`, computed
    /// from the postings to its account (payments are `gross`, refunds and reversals
    /// `refunds`), for the merchants that have any, in merchant order.
    fn settlement_lines(
        &mut self,
        from: UnixMillis,
        to: UnixMillis,
    ) -> StoreResult<Vec<SettlementLine>>;
}
