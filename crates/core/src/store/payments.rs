//! What the payment path reads and writes: trades and refunds, the payer and the payee,
//! balances and postings, devices and the codes they make, failure counts, and the bulk forms
//! that load and write a whole batch of payments at once.

use rand::Rng;

use super::{StoreError, StoreResult};
use crate::clock::UnixMillis;
use crate::ids::{AccountId, DeviceId, LedgerTransactionId, MerchantId, TradeId, UserId};
use crate::limits::{MAX_DEVICE_SLOT, MAX_SLOT_DRAWS};
use crate::model::{
    DeviceFailures, DeviceRecord, LedgerKind, MerchantRecord, NewTrade, OnlineCodeRecord,
    RefundRecord, TradeRecord, UserRecord,
};

/// An offline code (device, time step, index) being spent, for
/// [`PaymentStore::spend_offline_codes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpentOfflineCode {
    /// The device whose code it is.
    pub device: DeviceId,
    /// The TOTP time step the code was made for.
    pub step: u64,
    /// The code's index within its step.
    pub index: u8,
}

/// A failed verification, for [`PaymentStore::insert_verification_failures`].
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

/// A ledger transaction to record, for [`PaymentStore::post_transactions`].
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

/// The payment path's part of a [`Transaction`](super::Transaction).
pub trait PaymentStore {
    // Trades and refunds.

    /// Serializes every transaction that uses this merchant's `out_trade_no`, until the end of
    /// the transaction, so that concurrent duplicates run one after the other.
    fn lock_out_trade_no(&mut self, merchant: MerchantId, out_trade_no: &str) -> StoreResult<()>;
    /// Stores a new trade and returns the id it assigned to it;
    /// [`StoreError::Duplicate`] when the merchant already has the `out_trade_no`.
    fn insert_trade(&mut self, trade: &NewTrade) -> StoreResult<TradeId>;
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
    /// keeps it as a running total that [`PaymentStore::insert_trade`] adds every pin-free paid
    /// trade to, so reading it costs the same however many payments the day holds.
    fn pin_free_total_of_day(&mut self, user: UserId, day: UnixMillis) -> StoreResult<i64>;
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

    // The payer and the payee.

    /// A user by id.
    fn user(&mut self, id: UserId) -> StoreResult<Option<UserRecord>>;
    /// A merchant by id.
    fn merchant(&mut self, id: MerchantId) -> StoreResult<Option<MerchantRecord>>;

    // Balances.

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

    // Devices and their codes.

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
    /// An online code by hash, locked until the end of the transaction.
    fn lock_online_code(&mut self, code_hash: &[u8]) -> StoreResult<Option<OnlineCodeRecord>>;
    /// Marks an online code used; false if it was used before.
    fn spend_online_code(&mut self, code_hash: &[u8], at: UnixMillis) -> StoreResult<bool>;

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

    // Bulk forms, for a batch of payments (group commit). Each reads or writes many rows at
    // once with the same meaning as the one-row method it names; the defaults call that method
    // once per item, which costs nothing more on an embedded database. A store that pays a
    // network round trip per statement overrides them with one statement each. Methods that
    // lock take their locks in ascending key order, so that two batches cannot deadlock.

    /// [`PaymentStore::lock_out_trade_no`] for every key, in ascending key order.
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
    /// Every spent offline code of each given device with a step in the range given with it,
    /// which is at most [`crate::limits::SPENT_CODE_WINDOW_STEPS`] steps long.
    fn spent_offline_codes_in(
        &mut self,
        windows: &[(DeviceId, std::ops::Range<u64>)],
    ) -> StoreResult<Vec<SpentOfflineCode>>;
    /// [`PaymentStore::failures_of_device`] of every device, in no particular order.
    fn failures_of_devices(&mut self, devices: &[DeviceId]) -> StoreResult<Vec<DeviceFailures>> {
        let mut found = Vec::new();
        for device in devices {
            found.extend(self.failures_of_device(*device)?);
        }
        Ok(found)
    }
    /// [`PaymentStore::put_device_failures`] of every count (each device and merchant at most
    /// once).
    fn put_devices_failures(&mut self, failures: &[DeviceFailures]) -> StoreResult<()> {
        failures
            .iter()
            .try_for_each(|failures| self.put_device_failures(failures))
    }
    /// [`PaymentStore::lock_merchant_failures`] of every distinct merchant, locked in ascending
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
    /// [`PaymentStore::add_merchant_failures`] of every (merchant, failures) pair (each
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
    /// [`PaymentStore::lock_balance`] of every account, locked in ascending id order; an
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
    /// [`PaymentStore::pin_free_total_of_day`] of every distinct user, in ascending order.
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
    /// [`PaymentStore::update_device`] of every device (each id at most once).
    fn update_devices(&mut self, devices: &[DeviceRecord]) -> StoreResult<()> {
        devices
            .iter()
            .try_for_each(|device| self.update_device(device))
    }
    /// [`PaymentStore::insert_verification_failure`] of every failure, in order.
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
    /// [`PaymentStore::post_transaction`] of every transaction, in order; the ids come back in
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
    /// [`PaymentStore::insert_trade`] of every trade, in order; the ids come back in the same
    /// order. [`StoreError::Duplicate`] when one of them exists.
    fn insert_trades(&mut self, trades: &[NewTrade]) -> StoreResult<Vec<TradeId>> {
        trades
            .iter()
            .map(|trade| self.insert_trade(trade))
            .collect()
    }
}
