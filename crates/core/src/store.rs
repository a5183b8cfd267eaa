//! The storage contract the domain needs. `paycode-store` implements it for SQLite and
//! PostgreSQL, and runs one conformance suite against both.
//!
//! A use case opens one [`Transaction`], reads and writes through it, and commits. The
//! implementation must make every transaction serializable with respect to the others that
//! touch the same rows: SQLite does so with a single writer (`BEGIN IMMEDIATE`), PostgreSQL with
//! row locks (`SELECT ... FOR UPDATE` in the `lock_*` methods) and advisory locks. A transaction
//! dropped without [`Transaction::commit`] is rolled back. `commit` returns only once the
//! transaction is durable (SPEC section 3).

use rand::Rng;

use crate::clock::UnixMillis;
use crate::ids::{
    AccountId, ApiKeyId, DeviceId, EventId, LedgerTransactionId, MerchantId, SessionId, TradeId,
    UserId,
};
use crate::limits::{MAX_DEVICE_SLOT, MAX_SLOT_DRAWS};
use crate::model::{
    AccountKind, ApiKeyRecord, DeviceFailures, DeviceRecord, EventAttempt, EventRecord,
    LedgerEntry, LedgerKind, LedgerTotals, MerchantRecord, MerchantWebhook, NewEvent, NewSession,
    OnlineCodeRecord, PinAttempts, RefundRecord, SessionRecord, SettlementLine, StatementLine,
    TopupRecord, TradeRecord, UserRecord,
};
use crate::reports::ReportTransaction;

/// How a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write (a taken username, a duplicate reference).
    #[error("duplicate {0}")]
    Duplicate(&'static str),
    /// The transaction lost a race (serialization failure, deadlock, busy database) and may be
    /// retried from the start.
    #[error("transaction conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else: corrupt data, a failed migration, a driver error.
    #[error("{0}")]
    Other(String),
}

/// A short alias for store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// An offline code (device, time step, index) being spent, for [`Transaction::spend_offline_codes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpentOfflineCode {
    /// The device whose code it is.
    pub device: DeviceId,
    /// The TOTP time step the code was made for.
    pub step: u64,
    /// The code's index within its step.
    pub index: u8,
}

/// A failed verification, for [`Transaction::insert_verification_failures`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationFailure {
    /// The device, when the code named a stored one.
    pub device: Option<DeviceId>,
    /// The merchant that presented the code.
    pub merchant: MerchantId,
    /// Why verification failed, a short token such as `otp_mismatch`.
    pub reason: String,
    /// When.
    pub at: UnixMillis,
}

/// A ledger transaction to record, for [`Transaction::post_transactions`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLedgerTransaction {
    /// What moved the money.
    pub kind: LedgerKind,
    /// The business reference (a trade or refund number, a top-up reference).
    pub reference: String,
    /// The postings, which sum to zero.
    pub postings: Vec<(AccountId, i64)>,
    /// When.
    pub created_at: UnixMillis,
}

/// A database that paycode's state lives in.
pub trait Store: Send + Sync + 'static {
    /// Starts a read-write transaction.
    fn begin(&self) -> StoreResult<Box<dyn Transaction + '_>>;

    /// Starts a transaction that only reads. It sees every transaction committed before it
    /// began, and a store may run it beside the writer instead of after it (SQLite does, on a
    /// read-only connection). Writing through it is a programmer error that the store may
    /// refuse. By default it is an ordinary transaction.
    fn begin_read(&self) -> StoreResult<Box<dyn Transaction + '_>> {
        self.begin()
    }

    /// A short name for logs and metrics: `sqlite` or `postgres`.
    fn backend_name(&self) -> &'static str;
}

/// One open transaction. Methods named `lock_*` read a row and keep it locked until the end of
/// the transaction, so that a read-check-write sequence cannot interleave with another one.
/// The reads of the till's and the console's lists and counts are in [`ReportTransaction`].
pub trait Transaction: ReportTransaction {
    /// Makes every write durable; on error nothing was written.
    fn commit(self: Box<Self>) -> StoreResult<()>;

    // Savepoints, so that one transaction can carry many payments (group commit) and undo one
    // of them without the others. They do not nest: each savepoint is released or rolled back
    // before the next is taken.

    /// Marks the point that [`Transaction::rollback_to_savepoint`] returns to.
    fn savepoint(&mut self) -> StoreResult<()>;
    /// Keeps everything written since the savepoint, as part of the transaction.
    fn release_savepoint(&mut self) -> StoreResult<()>;
    /// Undoes everything written since the savepoint and ends it. After a failed statement
    /// (which on some databases refuses every later one) the transaction is usable again.
    fn rollback_to_savepoint(&mut self) -> StoreResult<()>;

    // Settings: small named values (sealed code keys, the admin key hash).

    /// Reads a setting.
    fn setting(&mut self, name: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Writes a setting, replacing any previous value.
    fn put_setting(&mut self, name: &str, value: &[u8]) -> StoreResult<()>;
    /// Writes a setting that does not exist yet; [`StoreError::Duplicate`] when one of that
    /// name exists, which is left as it was, and the transaction stays usable. When another
    /// transaction inserts the same name at the same time, one of them wins and the other sees
    /// the duplicate: this is how several instances starting at once agree on one key.
    fn insert_setting(&mut self, name: &str, value: &[u8]) -> StoreResult<()>;

    // Ledger.

    /// Creates an account with a zero balance.
    fn insert_account(
        &mut self,
        kind: AccountKind,
        created_at: UnixMillis,
    ) -> StoreResult<AccountId>;
    /// The issuance account, created by the store's migrations.
    fn issuance_account(&mut self) -> StoreResult<AccountId>;
    /// Reads a balance and locks the account until the end of the transaction.
    fn lock_balance(&mut self, account: AccountId) -> StoreResult<i64>;
    /// Records a transaction of postings that sum to zero and applies them to the balances.
    /// The caller has checked every rule (funds, limits) and that the postings balance; the
    /// store applies them as given, with checked arithmetic, in ascending account order.
    fn post_transaction(
        &mut self,
        kind: LedgerKind,
        reference: &str,
        postings: &[(AccountId, i64)],
        created_at: UnixMillis,
    ) -> StoreResult<LedgerTransactionId>;
    /// The postings to an account, newest first, strictly before `before` when given.
    fn account_history(
        &mut self,
        account: AccountId,
        before: Option<LedgerTransactionId>,
        limit: u32,
    ) -> StoreResult<Vec<LedgerEntry>>;
    /// Computes the ledger invariants over everything stored.
    fn ledger_totals(&mut self) -> StoreResult<LedgerTotals>;

    // Users and sessions.

    /// Creates a user; [`StoreError::Duplicate`] when the username is taken.
    fn insert_user(
        &mut self,
        username: &str,
        password_hash: &str,
        account: AccountId,
        created_at: UnixMillis,
    ) -> StoreResult<UserId>;
    /// A user by id.
    fn user(&mut self, id: UserId) -> StoreResult<Option<UserRecord>>;
    /// A user by username.
    fn user_by_username(&mut self, username: &str) -> StoreResult<Option<UserRecord>>;
    /// Users whose username starts with `username_prefix` (which may be empty), in id order,
    /// after `after` when given, at most `limit`.
    fn users_page(
        &mut self,
        username_prefix: &str,
        after: Option<UserId>,
        limit: u32,
    ) -> StoreResult<Vec<UserRecord>>;
    /// Sets or replaces the PIN hash.
    fn set_pin_hash(&mut self, id: UserId, pin_hash: &str) -> StoreResult<()>;
    /// The user's count of wrong PINs, with the user's row locked until the end of the
    /// transaction (so it also serializes other per-user changes, such as enrolling a device
    /// against the per-user cap); `None` for an unknown user.
    fn lock_pin_attempts(&mut self, user: UserId) -> StoreResult<Option<PinAttempts>>;
    /// Writes the user's count of wrong PINs.
    fn put_pin_attempts(&mut self, user: UserId, attempts: &PinAttempts) -> StoreResult<()>;
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

    // Merchants and their keys.

    /// Creates a merchant.
    fn insert_merchant(
        &mut self,
        name: &str,
        account: AccountId,
        created_at: UnixMillis,
    ) -> StoreResult<MerchantId>;
    /// A merchant by id.
    fn merchant(&mut self, id: MerchantId) -> StoreResult<Option<MerchantRecord>>;
    /// Merchants in id order, after `after` when given, at most `limit`.
    fn merchants_page(
        &mut self,
        after: Option<MerchantId>,
        limit: u32,
    ) -> StoreResult<Vec<MerchantRecord>>;
    /// A merchant by id, its row locked until the end of the transaction (to serialize changes
    /// to the merchant's keys against the per-merchant cap).
    fn lock_merchant(&mut self, id: MerchantId) -> StoreResult<Option<MerchantRecord>>;
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
    /// Stores a top-up; [`StoreError::Duplicate`] when the reference exists.
    fn insert_topup(&mut self, topup: &TopupRecord) -> StoreResult<()>;

    // Devices.

    /// Draws a device slot at random from 1..=999_999_999 among those that no stored device
    /// holds (SPEC 2.5 point 6): a slot cannot be aimed at without having seen one, and since
    /// devices are never deleted, a slot is never reused. Two transactions that draw the same
    /// free slot at once (odds of one in a billion) both see it free; the second insert is
    /// then refused by the primary key and the enrollment fails without effect.
    fn allocate_device_slot(&mut self) -> StoreResult<DeviceId> {
        let mut rng = rand::rngs::OsRng;
        for _ in 0..MAX_SLOT_DRAWS {
            let candidate = DeviceId(rng.gen_range(1..=MAX_DEVICE_SLOT));
            if self.device(candidate)?.is_none() {
                return Ok(candidate);
            }
        }
        Err(StoreError::Other(format!(
            "no free device slot in {MAX_SLOT_DRAWS} draws"
        )))
    }
    /// Stores a new device.
    fn insert_device(&mut self, device: &DeviceRecord) -> StoreResult<()>;
    /// A device by id.
    fn device(&mut self, id: DeviceId) -> StoreResult<Option<DeviceRecord>>;
    /// A device by id, locked until the end of the transaction.
    fn lock_device(&mut self, id: DeviceId) -> StoreResult<Option<DeviceRecord>>;
    /// The user's devices, revoked ones included, oldest first.
    fn devices_of_user(&mut self, user: UserId) -> StoreResult<Vec<DeviceRecord>>;
    /// Every device, in id order, from `after` on, at most `limit` (for re-encryption).
    fn devices_page(
        &mut self,
        after: Option<DeviceId>,
        limit: u32,
    ) -> StoreResult<Vec<DeviceRecord>>;
    /// Writes back a device's mutable fields (name, algorithm, period, secret, status, failures,
    /// lock, drift, last use).
    fn update_device(&mut self, device: &DeviceRecord) -> StoreResult<()>;
    /// Records a failed verification, for audit.
    fn insert_verification_failure(
        &mut self,
        device: Option<DeviceId>,
        merchant: MerchantId,
        reason: &str,
        at: UnixMillis,
    ) -> StoreResult<()>;
    /// Spends the offline code (device, step, index); false if it was spent before.
    fn spend_offline_code(
        &mut self,
        device: DeviceId,
        step: u64,
        index: u8,
        at: UnixMillis,
    ) -> StoreResult<bool>;

    // Failure counts (SPEC 2.5 point 5).

    /// The device's failure counts at every merchant that has one, in ascending merchant
    /// order. The caller holds the device locked, which guards these counts.
    fn failures_of_device(&mut self, device: DeviceId) -> StoreResult<Vec<DeviceFailures>>;
    /// Stores a device's failure count at a merchant, replacing the one it had. The caller
    /// holds the device locked.
    fn put_device_failures(&mut self, failures: &DeviceFailures) -> StoreResult<()>;
    /// Deletes the device's failure counts at every merchant; returns how many there were.
    /// The caller holds the device locked.
    fn clear_device_failures(&mut self, device: DeviceId) -> StoreResult<u64>;
    /// The failed verifications counted against the merchant in `minute` (whole minutes since
    /// the epoch), locked until the end of the transaction: a concurrent transaction that
    /// asks for the same count, on any instance, waits until this one ends, so checking the
    /// count and adding to it cannot interleave with another payment's.
    fn lock_merchant_failures(&mut self, merchant: MerchantId, minute: i64) -> StoreResult<u32>;
    /// Adds `failures` to the merchant's count of `minute`.
    fn add_merchant_failures(
        &mut self,
        merchant: MerchantId,
        minute: i64,
        failures: u32,
    ) -> StoreResult<()>;
    /// Deletes at most `limit` verification failures recorded before `before`, oldest first;
    /// returns how many.
    fn delete_verification_failures_before(
        &mut self,
        before: UnixMillis,
        limit: u32,
    ) -> StoreResult<u64>;
    /// Deletes the merchants' failure counts of minutes before `minute`; returns how many.
    fn delete_merchant_failures_before(&mut self, minute: i64) -> StoreResult<u64>;

    // Online codes.

    /// Stores an online code; [`StoreError::Duplicate`] if an equal hash exists.
    fn insert_online_code(&mut self, code: &OnlineCodeRecord) -> StoreResult<()>;
    /// An online code by hash, locked until the end of the transaction.
    fn lock_online_code(&mut self, code_hash: &[u8]) -> StoreResult<Option<OnlineCodeRecord>>;
    /// Marks an online code used; false if it was used before.
    fn spend_online_code(&mut self, code_hash: &[u8], at: UnixMillis) -> StoreResult<bool>;
    /// Ends the device's online codes that are neither used nor expired, by making them
    /// expire at `at`; returns how many.
    fn expire_online_codes_of_device(
        &mut self,
        device: DeviceId,
        at: UnixMillis,
    ) -> StoreResult<u64>;
    /// Deletes online codes that expired before `before`; returns how many.
    fn delete_expired_online_codes(&mut self, before: UnixMillis) -> StoreResult<u64>;

    // Trades and refunds.

    /// Serializes every transaction that uses this merchant's `out_trade_no`, until the end of
    /// the transaction, so that concurrent duplicates run one after the other.
    fn lock_out_trade_no(&mut self, merchant: MerchantId, out_trade_no: &str) -> StoreResult<()>;
    /// Stores a new trade (its `id` field is ignored) and returns its id;
    /// [`StoreError::Duplicate`] when the merchant already has the `out_trade_no`.
    fn insert_trade(&mut self, trade: &TradeRecord) -> StoreResult<TradeId>;
    /// A merchant's trade by `out_trade_no`, locked until the end of the transaction.
    fn lock_trade_by_out_trade_no(
        &mut self,
        merchant: MerchantId,
        out_trade_no: &str,
    ) -> StoreResult<Option<TradeRecord>>;
    /// A trade by `trade_no`, locked until the end of the transaction.
    fn lock_trade_by_trade_no(&mut self, trade_no: &str) -> StoreResult<Option<TradeRecord>>;
    /// Writes back a trade's mutable fields (status, refunded amount, PIN attempts, times).
    fn update_trade(&mut self, trade: &TradeRecord) -> StoreResult<()>;
    /// The user's trades in `USER_PAYING`, oldest first.
    fn user_paying_trades_of_user(&mut self, user: UserId) -> StoreResult<Vec<TradeRecord>>;
    /// Trades in `USER_PAYING` whose deadline is before `now`, at most `limit`.
    fn overdue_user_paying_trades(
        &mut self,
        now: UnixMillis,
        limit: usize,
    ) -> StoreResult<Vec<TradeRecord>>;
    /// Sum of the user's pin-free payments paid during the UTC day that starts at `day` (a
    /// value of [`start_of_day`](crate::clock::start_of_day)), for the daily limit. The store
    /// keeps it as a running total that [`Transaction::insert_trade`] adds every pin-free paid
    /// trade to, so reading it costs the same however many payments the day holds.
    fn pin_free_total_of_day(&mut self, user: UserId, day: UnixMillis) -> StoreResult<i64>;

    // Bulk forms, for a batch of payments (group commit). Each reads or writes many rows at
    // once with the same meaning as the one-row method it names; the defaults call that method
    // once per item, which costs nothing more on an embedded database. A store that pays a
    // network round trip per statement overrides them with one statement each. Methods that
    // lock take their locks in ascending key order, so that two batches cannot deadlock.

    /// [`Transaction::lock_out_trade_no`] for every key, in ascending key order.
    fn lock_out_trade_nos(&mut self, keys: &[(MerchantId, String)]) -> StoreResult<()> {
        let mut keys: Vec<_> = keys.iter().collect();
        keys.sort();
        keys.dedup();
        for (merchant, out_trade_no) in keys {
            self.lock_out_trade_no(*merchant, out_trade_no)?;
        }
        Ok(())
    }
    /// The trades that exist among `keys`, locked, in no particular order.
    fn lock_trades_by_out_trade_nos(
        &mut self,
        keys: &[(MerchantId, String)],
    ) -> StoreResult<Vec<TradeRecord>> {
        let mut found = Vec::new();
        for (merchant, out_trade_no) in keys {
            found.extend(self.lock_trade_by_out_trade_no(*merchant, out_trade_no)?);
        }
        Ok(found)
    }
    /// The devices that exist among `ids`, locked in ascending id order.
    fn lock_devices(&mut self, ids: &[DeviceId]) -> StoreResult<Vec<DeviceRecord>> {
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            found.extend(self.lock_device(id)?);
        }
        Ok(found)
    }
    /// Every spent offline code of each given device with a step at or after the step given
    /// with it and less than [`crate::limits::SPENT_CODE_WINDOW_STEPS`] steps after it.
    fn spent_offline_codes_from(
        &mut self,
        from: &[(DeviceId, u64)],
    ) -> StoreResult<Vec<SpentOfflineCode>>;
    /// [`Transaction::failures_of_device`] of every device, in no particular order.
    fn failures_of_devices(&mut self, devices: &[DeviceId]) -> StoreResult<Vec<DeviceFailures>> {
        let mut found = Vec::new();
        for device in devices {
            found.extend(self.failures_of_device(*device)?);
        }
        Ok(found)
    }
    /// [`Transaction::put_device_failures`] of every count (each device and merchant at most
    /// once).
    fn put_devices_failures(&mut self, failures: &[DeviceFailures]) -> StoreResult<()> {
        failures
            .iter()
            .try_for_each(|failures| self.put_device_failures(failures))
    }
    /// [`Transaction::lock_merchant_failures`] of every distinct merchant, locked in ascending
    /// merchant order.
    fn lock_merchants_failures(
        &mut self,
        merchants: &[MerchantId],
        minute: i64,
    ) -> StoreResult<Vec<(MerchantId, u32)>> {
        let mut merchants = merchants.to_vec();
        merchants.sort();
        merchants.dedup();
        merchants
            .into_iter()
            .map(|merchant| Ok((merchant, self.lock_merchant_failures(merchant, minute)?)))
            .collect()
    }
    /// [`Transaction::add_merchant_failures`] of every (merchant, failures) pair (each
    /// merchant at most once).
    fn add_merchants_failures(
        &mut self,
        counts: &[(MerchantId, u32)],
        minute: i64,
    ) -> StoreResult<()> {
        counts.iter().try_for_each(|&(merchant, failures)| {
            self.add_merchant_failures(merchant, minute, failures)
        })
    }
    /// The users that exist among `ids`, in no particular order.
    fn users(&mut self, ids: &[UserId]) -> StoreResult<Vec<UserRecord>> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            found.extend(self.user(*id)?);
        }
        Ok(found)
    }
    /// [`Transaction::lock_balance`] of every account, locked in ascending id order; an
    /// account that does not exist is an error.
    fn lock_balances(&mut self, accounts: &[AccountId]) -> StoreResult<Vec<(AccountId, i64)>> {
        let mut accounts = accounts.to_vec();
        accounts.sort();
        accounts.dedup();
        accounts
            .into_iter()
            .map(|account| Ok((account, self.lock_balance(account)?)))
            .collect()
    }
    /// [`Transaction::pin_free_total_of_day`] of every distinct user, in ascending order.
    fn pin_free_totals_of_day(
        &mut self,
        users: &[UserId],
        day: UnixMillis,
    ) -> StoreResult<Vec<(UserId, i64)>> {
        let mut users = users.to_vec();
        users.sort();
        users.dedup();
        users
            .into_iter()
            .map(|user| Ok((user, self.pin_free_total_of_day(user, day)?)))
            .collect()
    }
    /// The merchants that exist among `ids`, in no particular order.
    fn merchants(&mut self, ids: &[MerchantId]) -> StoreResult<Vec<MerchantRecord>> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            found.extend(self.merchant(*id)?);
        }
        Ok(found)
    }
    /// Spends every code, all at `at`. The caller has checked that none was spent: if one was,
    /// this is a [`StoreError::Conflict`] and the transaction must be rolled back.
    fn spend_offline_codes(
        &mut self,
        codes: &[SpentOfflineCode],
        at: UnixMillis,
    ) -> StoreResult<()> {
        for code in codes {
            if !self.spend_offline_code(code.device, code.step, code.index, at)? {
                return Err(StoreError::Conflict(
                    "an offline code of the batch was spent meanwhile".to_owned(),
                ));
            }
        }
        Ok(())
    }
    /// [`Transaction::update_device`] of every device (each id at most once).
    fn update_devices(&mut self, devices: &[DeviceRecord]) -> StoreResult<()> {
        devices
            .iter()
            .try_for_each(|device| self.update_device(device))
    }
    /// [`Transaction::insert_verification_failure`] of every failure, in order.
    fn insert_verification_failures(
        &mut self,
        failures: &[VerificationFailure],
    ) -> StoreResult<()> {
        failures.iter().try_for_each(|failure| {
            self.insert_verification_failure(
                failure.device,
                failure.merchant,
                &failure.reason,
                failure.at,
            )
        })
    }
    /// [`Transaction::post_transaction`] of every transaction, in order; the ids come back in
    /// the same order.
    fn post_transactions(
        &mut self,
        transactions: &[NewLedgerTransaction],
    ) -> StoreResult<Vec<LedgerTransactionId>> {
        transactions
            .iter()
            .map(|transaction| {
                self.post_transaction(
                    transaction.kind,
                    &transaction.reference,
                    &transaction.postings,
                    transaction.created_at,
                )
            })
            .collect()
    }
    /// [`Transaction::insert_trade`] of every trade, in order; the ids come back in the same
    /// order. [`StoreError::Duplicate`] when one of them exists.
    fn insert_trades(&mut self, trades: &[TradeRecord]) -> StoreResult<Vec<TradeId>> {
        trades
            .iter()
            .map(|trade| self.insert_trade(trade))
            .collect()
    }

    /// Stores a refund; [`StoreError::Duplicate`] when the trade has the `out_refund_no`.
    fn insert_refund(&mut self, refund: &RefundRecord) -> StoreResult<()>;
    /// A trade's refund by `out_refund_no`.
    fn refund_by_out_refund_no(
        &mut self,
        trade: TradeId,
        out_refund_no: &str,
    ) -> StoreResult<Option<RefundRecord>>;
    /// A trade's refunds, oldest first.
    fn refunds_of_trade(&mut self, trade: TradeId) -> StoreResult<Vec<RefundRecord>>;

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
    /// [`Transaction::insert_event`] of every event, in order (their ids grow in that order).
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
