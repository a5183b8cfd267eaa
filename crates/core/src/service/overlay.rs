//! The transaction a batch of payments runs in: the rows the batch needs are read and locked
//! in bulk before its first payment, every payment then reads and writes them in memory, and
//! the writes reach the database in bulk after the last one, just before the commit.
//!
//! This is what makes a batch cheap on a database across a network: a payment runs about
//! fifteen statements, so one batch of a hundred payments would cost some fifteen hundred
//! round trips one after another, where the bulk reads and writes cost about twenty. On an
//! embedded database the bulk forms are the one-row methods in a loop, and the batch saves the
//! savepoint statements and one balance update per payment.
//!
//! [`Overlay`] implements [`Transaction`], so a payment runs through the very code it runs
//! through on its own. What was loaded in bulk is answered from memory; anything else goes to
//! the database transaction underneath, inside a real savepoint so that an undone payment
//! undoes it too. A method that a payment never calls answers
//! [`StoreError::Conflict`], which sends the payment to run again on its own after the batch.
//!
//! Inside the batch, two values are not known until the writes reach the database: the id of a
//! new trade and the id of a new ledger transaction. Both come back as 0 from
//! [`Transaction::insert_trade`] and [`Transaction::post_transaction`], and
//! [`Overlay::flush`] returns the trade ids, which the batch puts into its outcomes before
//! handing them out. Nothing in the payment path reads either id before that.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::clock::{start_of_day, UnixMillis};
use crate::days::DayRange;
use crate::ids::{
    AccountId, DeviceId, EventId, LedgerTransactionId, MerchantId, SessionId, TradeId, UserId,
};
use crate::limits::SPENT_CODE_WINDOW_STEPS;
use crate::model::{
    AccountKind, ApiKeyRecord, DeviceFailures, DeviceRecord, EventAttempt, EventRecord,
    LedgerEntry, LedgerKind, LedgerTotals, MerchantRecord, MerchantWebhook, NewEvent, NewSession,
    OnlineCodeRecord, PinAttempts, RefundRecord, SessionRecord, SettlementLine, StatementLine,
    TopupRecord, TradeRecord, UserRecord,
};
use crate::reports::{
    merge_refusals, ActivityCounts, RefusalCount, ReportTransaction, TradeListing, TradeQuery,
    TradeTotals,
};
use crate::store::{
    AdminStore, NewLedgerTransaction, PaymentStore, SpentOfflineCode, StoreError, StoreResult,
    Transaction, VerificationFailure, WalletStore,
};

type TradeKey = (MerchantId, String);

/// A batch's transaction: the database transaction, and what the batch has loaded and
/// written so far in memory.
pub(super) struct Overlay<'t> {
    inner: &'t mut dyn Transaction,
    /// Where the open savepoint started, if one is open.
    savepoint: Option<Mark>,
    /// Whether a real savepoint is open in `inner` (taken before the first statement that a
    /// payment sends to the database).
    inner_savepoint: bool,
    undo: Vec<Undo>,

    locked_out_trade_nos: HashSet<TradeKey>,
    /// Trades by merchant and `out_trade_no`: `None` where the database has none. Keys that
    /// were not loaded are absent.
    trades: HashMap<TradeKey, Option<TradeRecord>>,
    /// Devices loaded and locked in bulk (`None`: no such device), as the batch left them.
    devices: HashMap<DeviceId, Option<DeviceRecord>>,
    /// For each loaded device, the first step whose spent codes were loaded into `spent`.
    spent_from: HashMap<DeviceId, u64>,
    spent: HashSet<SpentOfflineCode>,
    users: HashMap<UserId, Option<UserRecord>>,
    merchants: HashMap<MerchantId, Option<MerchantRecord>>,
    /// Locked balances, with the batch's postings applied.
    balances: HashMap<AccountId, i64>,
    /// The database's pin-free totals by user and day.
    pin_free: HashMap<(UserId, UnixMillis), i64>,
    /// The minute whose merchant failure counts were loaded, and the counts (locked), with
    /// the batch's failures added.
    failure_minute: Option<i64>,
    merchant_failures: HashMap<MerchantId, u32>,
    /// Each loaded device's failure counts at every merchant, as the batch left them.
    device_failures: HashMap<DeviceId, Vec<DeviceFailures>>,

    // The writes, in the order they were made.
    dirty_devices: Vec<DeviceId>,
    dirty_failures: Vec<(DeviceId, MerchantId)>,
    /// One entry per failure the batch counted against a merchant.
    merchant_failures_added: Vec<MerchantId>,
    new_spent: Vec<SpentOfflineCode>,
    failures: Vec<VerificationFailure>,
    ledger: Vec<NewLedgerTransaction>,
    new_trades: Vec<TradeRecord>,
    /// Notifications of the batch's payments, stored with their trades (the outbox).
    new_events: Vec<NewEvent>,
    /// One entry per refused payment, merged when flushed.
    refusals: Vec<RefusalCount>,
}

/// How long each list of writes was when the savepoint was taken.
#[derive(Debug, Clone, Copy)]
struct Mark {
    undo: usize,
    dirty_devices: usize,
    dirty_failures: usize,
    merchant_failures_added: usize,
    new_spent: usize,
    failures: usize,
    ledger: usize,
    new_trades: usize,
    new_events: usize,
    refusals: usize,
}

/// How to undo one change to the loaded state.
enum Undo {
    Trade {
        key: TradeKey,
        previous: Option<Option<TradeRecord>>,
    },
    Device {
        id: DeviceId,
        previous: Option<DeviceRecord>,
    },
    Spent(SpentOfflineCode),
    DeviceFailures {
        device: DeviceId,
        previous: Vec<DeviceFailures>,
    },
    MerchantFailures {
        merchant: MerchantId,
        previous: u32,
    },
    Balance {
        account: AccountId,
        previous: Option<i64>,
    },
}

/// The answer to a method that no payment calls: run the payment on its own instead.
fn outside_batch<T>(method: &str) -> StoreResult<T> {
    Err(StoreError::Conflict(format!(
        "{method} is not available inside a payment batch"
    )))
}

fn sorted_unique<T: Ord + Clone>(items: &[T]) -> Vec<T> {
    items
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

impl<'t> Overlay<'t> {
    pub(super) fn new(inner: &'t mut dyn Transaction) -> Self {
        Self {
            inner,
            savepoint: None,
            inner_savepoint: false,
            undo: Vec::new(),
            locked_out_trade_nos: HashSet::new(),
            trades: HashMap::new(),
            devices: HashMap::new(),
            spent_from: HashMap::new(),
            spent: HashSet::new(),
            users: HashMap::new(),
            merchants: HashMap::new(),
            balances: HashMap::new(),
            pin_free: HashMap::new(),
            failure_minute: None,
            merchant_failures: HashMap::new(),
            device_failures: HashMap::new(),
            dirty_devices: Vec::new(),
            dirty_failures: Vec::new(),
            merchant_failures_added: Vec::new(),
            new_spent: Vec::new(),
            failures: Vec::new(),
            ledger: Vec::new(),
            new_trades: Vec::new(),
            new_events: Vec::new(),
            refusals: Vec::new(),
        }
    }

    // Loading, before the first payment. Locks are taken class by class in the order a single
    // payment takes them (the merchant's reference, the trade, the merchant's failure count,
    // the device, the user's balance), and in ascending order within a class.

    /// Locks the merchants' references and loads their trades.
    pub(super) fn load_trades(&mut self, keys: &[TradeKey]) -> StoreResult<()> {
        let keys = sorted_unique(keys);
        self.inner.lock_out_trade_nos(&keys)?;
        let found = self.inner.lock_trades_by_out_trade_nos(&keys)?;
        for key in keys {
            self.trades.insert(key.clone(), None);
            self.locked_out_trade_nos.insert(key);
        }
        for trade in found {
            let key = (trade.merchant_id, trade.out_trade_no.clone());
            self.trades.insert(key, Some(trade));
        }
        Ok(())
    }

    /// Locks and loads the merchants' failure counts of `minute`.
    pub(super) fn load_merchant_failures(
        &mut self,
        merchants: &[MerchantId],
        minute: i64,
    ) -> StoreResult<()> {
        let merchants = sorted_unique(merchants);
        self.merchant_failures
            .extend(self.inner.lock_merchants_failures(&merchants, minute)?);
        self.failure_minute = Some(minute);
        Ok(())
    }

    /// Locks and loads the devices, with their failure counts at every merchant and the codes
    /// spent by each from the step `spent_from` gives it on. Returns the devices found.
    pub(super) fn load_devices(
        &mut self,
        ids: &[DeviceId],
        spent_from: impl Fn(&DeviceRecord) -> u64,
    ) -> StoreResult<Vec<DeviceRecord>> {
        let ids = sorted_unique(ids);
        let found = self.inner.lock_devices(&ids)?;
        for id in ids {
            self.devices.insert(id, None);
        }
        let from: Vec<(DeviceId, u64)> = found
            .iter()
            .map(|device| (device.id, spent_from(device)))
            .collect();
        for device in &found {
            self.devices.insert(device.id, Some(device.clone()));
            self.device_failures.insert(device.id, Vec::new());
        }
        let found_ids: Vec<DeviceId> = found.iter().map(|device| device.id).collect();
        for failures in self.inner.failures_of_devices(&found_ids)? {
            self.device_failures
                .entry(failures.device_id)
                .or_default()
                .push(failures);
        }
        self.spent
            .extend(self.inner.spent_offline_codes_from(&from)?);
        self.spent_from.extend(from);
        Ok(found)
    }

    /// Loads the users, locks their balances and loads their pin-free totals of `day`.
    pub(super) fn load_users(&mut self, ids: &[UserId], day: UnixMillis) -> StoreResult<()> {
        let ids = sorted_unique(ids);
        let found = self.inner.users(&ids)?;
        let accounts: Vec<AccountId> = found.iter().map(|user| user.account_id).collect();
        for id in &ids {
            self.users.insert(*id, None);
        }
        for user in found {
            self.users.insert(user.id, Some(user));
        }
        self.balances.extend(self.inner.lock_balances(&accounts)?);
        for (user, total) in self.inner.pin_free_totals_of_day(&ids, day)? {
            self.pin_free.insert((user, day), total);
        }
        Ok(())
    }

    /// Loads the merchants.
    pub(super) fn load_merchants(&mut self, ids: &[MerchantId]) -> StoreResult<()> {
        let ids = sorted_unique(ids);
        let found = self.inner.merchants(&ids)?;
        for id in ids {
            self.merchants.insert(id, None);
        }
        for merchant in found {
            self.merchants.insert(merchant.id, Some(merchant));
        }
        Ok(())
    }

    /// Writes everything the batch wrote in memory to the database transaction, and returns
    /// the ids the new trades got, by trade number. The caller commits.
    pub(super) fn flush(&mut self, now: UnixMillis) -> StoreResult<HashMap<String, TradeId>> {
        debug_assert!(self.savepoint.is_none(), "flushed inside a savepoint");
        if !self.new_spent.is_empty() {
            self.inner.spend_offline_codes(&self.new_spent, now)?;
        }
        let dirty: Vec<DeviceRecord> = sorted_unique(&self.dirty_devices)
            .into_iter()
            .filter_map(|id| self.devices.get(&id).cloned().flatten())
            .collect();
        if !dirty.is_empty() {
            self.inner.update_devices(&dirty)?;
        }
        let dirty_failures: Vec<DeviceFailures> = sorted_unique(&self.dirty_failures)
            .into_iter()
            .filter_map(|(device, merchant)| {
                self.device_failures
                    .get(&device)?
                    .iter()
                    .find(|failures| failures.merchant_id == merchant)
                    .copied()
            })
            .collect();
        if !dirty_failures.is_empty() {
            self.inner.put_devices_failures(&dirty_failures)?;
        }
        if let Some(minute) = self.failure_minute {
            let mut added: Vec<(MerchantId, u32)> = Vec::new();
            for merchant in sorted_unique(&self.merchant_failures_added) {
                let count = self
                    .merchant_failures_added
                    .iter()
                    .filter(|added| **added == merchant)
                    .count();
                added.push((merchant, u32::try_from(count).unwrap_or(u32::MAX)));
            }
            if !added.is_empty() {
                self.inner.add_merchants_failures(&added, minute)?;
            }
        }
        if !self.failures.is_empty() {
            self.inner.insert_verification_failures(&self.failures)?;
        }
        if !self.ledger.is_empty() {
            self.inner.post_transactions(&self.ledger)?;
        }
        if !self.new_events.is_empty() {
            self.inner.insert_events(&self.new_events)?;
        }
        let ids = if self.new_trades.is_empty() {
            HashMap::new()
        } else {
            let ids = self.inner.insert_trades(&self.new_trades)?;
            self.new_trades
                .iter()
                .map(|trade| trade.trade_no.clone())
                .zip(ids)
                .collect()
        };
        // Last, after the merchants' balances: the refusal counts come after every other lock
        // of a payment (docs/ARCHITECTURE.md, "Lock order").
        if !self.refusals.is_empty() {
            self.inner.add_refusals(&merge_refusals(&self.refusals))?;
        }
        Ok(ids)
    }

    /// Runs a statement of a payment on the database transaction, inside a real savepoint.
    fn through<T>(
        &mut self,
        statement: impl FnOnce(&mut dyn Transaction) -> StoreResult<T>,
    ) -> StoreResult<T> {
        if self.savepoint.is_some() && !self.inner_savepoint {
            self.inner.savepoint()?;
            self.inner_savepoint = true;
        }
        statement(&mut *self.inner)
    }

    /// The sum of the postings the batch made to `account` so far.
    fn posted_to(&self, account: AccountId) -> StoreResult<i64> {
        self.ledger
            .iter()
            .flat_map(|transaction| &transaction.postings)
            .filter(|(posted, _)| *posted == account)
            .try_fold(0_i64, |sum, (_, amount)| sum.checked_add(*amount))
            .ok_or_else(|| StoreError::Other("account balance out of range".to_owned()))
    }
}

impl Transaction for Overlay<'_> {
    fn commit(self: Box<Self>) -> StoreResult<()> {
        Err(StoreError::Other(
            "a payment batch commits its own transaction".to_owned(),
        ))
    }

    fn savepoint(&mut self) -> StoreResult<()> {
        if self.savepoint.is_some() {
            return Err(StoreError::Other("savepoints do not nest".to_owned()));
        }
        self.savepoint = Some(Mark {
            undo: self.undo.len(),
            dirty_devices: self.dirty_devices.len(),
            dirty_failures: self.dirty_failures.len(),
            merchant_failures_added: self.merchant_failures_added.len(),
            new_spent: self.new_spent.len(),
            failures: self.failures.len(),
            ledger: self.ledger.len(),
            new_trades: self.new_trades.len(),
            new_events: self.new_events.len(),
            refusals: self.refusals.len(),
        });
        Ok(())
    }

    fn release_savepoint(&mut self) -> StoreResult<()> {
        let mark = self
            .savepoint
            .take()
            .ok_or_else(|| StoreError::Other("no savepoint to release".to_owned()))?;
        self.undo.truncate(mark.undo);
        if std::mem::take(&mut self.inner_savepoint) {
            self.inner.release_savepoint()?;
        }
        Ok(())
    }

    fn rollback_to_savepoint(&mut self) -> StoreResult<()> {
        let mark = self
            .savepoint
            .take()
            .ok_or_else(|| StoreError::Other("no savepoint to roll back to".to_owned()))?;
        for undo in self.undo.drain(mark.undo..).rev() {
            match undo {
                Undo::Trade { key, previous } => match previous {
                    Some(previous) => {
                        self.trades.insert(key, previous);
                    }
                    None => {
                        self.trades.remove(&key);
                    }
                },
                Undo::Device { id, previous } => {
                    self.devices.insert(id, previous);
                }
                Undo::Spent(code) => {
                    self.spent.remove(&code);
                }
                Undo::DeviceFailures { device, previous } => {
                    self.device_failures.insert(device, previous);
                }
                Undo::MerchantFailures { merchant, previous } => {
                    self.merchant_failures.insert(merchant, previous);
                }
                Undo::Balance { account, previous } => match previous {
                    Some(previous) => {
                        self.balances.insert(account, previous);
                    }
                    None => {
                        self.balances.remove(&account);
                    }
                },
            }
        }
        self.dirty_devices.truncate(mark.dirty_devices);
        self.dirty_failures.truncate(mark.dirty_failures);
        self.merchant_failures_added
            .truncate(mark.merchant_failures_added);
        self.new_spent.truncate(mark.new_spent);
        self.failures.truncate(mark.failures);
        self.ledger.truncate(mark.ledger);
        self.new_trades.truncate(mark.new_trades);
        self.new_events.truncate(mark.new_events);
        self.refusals.truncate(mark.refusals);
        if std::mem::take(&mut self.inner_savepoint) {
            self.inner.rollback_to_savepoint()?;
        }
        Ok(())
    }
}

impl PaymentStore for Overlay<'_> {
    // What a payment reads and writes.

    fn lock_out_trade_no(&mut self, merchant: MerchantId, out_trade_no: &str) -> StoreResult<()> {
        let key = (merchant, out_trade_no.to_owned());
        if self.locked_out_trade_nos.contains(&key) {
            return Ok(());
        }
        self.through(|inner| inner.lock_out_trade_no(merchant, out_trade_no))?;
        self.locked_out_trade_nos.insert(key);
        Ok(())
    }

    fn lock_trade_by_out_trade_no(
        &mut self,
        merchant: MerchantId,
        out_trade_no: &str,
    ) -> StoreResult<Option<TradeRecord>> {
        let key = (merchant, out_trade_no.to_owned());
        if let Some(trade) = self.trades.get(&key) {
            return Ok(trade.clone());
        }
        let trade =
            self.through(|inner| inner.lock_trade_by_out_trade_no(merchant, out_trade_no))?;
        self.undo.push(Undo::Trade {
            key: key.clone(),
            previous: None,
        });
        self.trades.insert(key, trade.clone());
        Ok(trade)
    }

    fn insert_trade(&mut self, trade: &TradeRecord) -> StoreResult<TradeId> {
        let key = (trade.merchant_id, trade.out_trade_no.clone());
        match self.trades.get(&key) {
            Some(Some(_)) => return Err(StoreError::Duplicate("out_trade_no")),
            Some(None) => {}
            // Every payment looks its trade up first; one that did not is better run alone.
            None => return outside_batch("insert_trade without a lookup"),
        }
        let previous = self.trades.insert(key.clone(), Some(trade.clone()));
        self.undo.push(Undo::Trade { key, previous });
        self.new_trades.push(trade.clone());
        Ok(TradeId(0))
    }

    fn lock_device(&mut self, id: DeviceId) -> StoreResult<Option<DeviceRecord>> {
        match self.devices.get(&id) {
            Some(device) => Ok(device.clone()),
            None => self.through(|inner| inner.lock_device(id)),
        }
    }

    fn update_device(&mut self, device: &DeviceRecord) -> StoreResult<()> {
        match self.devices.get(&device.id) {
            Some(Some(_)) => {
                let previous = self
                    .devices
                    .insert(device.id, Some(device.clone()))
                    .flatten();
                self.undo.push(Undo::Device {
                    id: device.id,
                    previous,
                });
                self.dirty_devices.push(device.id);
                Ok(())
            }
            Some(None) => Err(StoreError::Other("device not found".to_owned())),
            None => self.through(|inner| inner.update_device(device)),
        }
    }

    fn spend_offline_code(
        &mut self,
        device: DeviceId,
        step: u64,
        index: u8,
        at: UnixMillis,
    ) -> StoreResult<bool> {
        // Only the window of steps loaded is answered from memory; a code outside it (which
        // cannot verify) goes to the database, whose primary key decides.
        let loaded = self
            .spent_from
            .get(&device)
            .is_some_and(|&from| step >= from && step - from < SPENT_CODE_WINDOW_STEPS);
        if !loaded {
            return self.through(|inner| inner.spend_offline_code(device, step, index, at));
        }
        let code = SpentOfflineCode {
            device,
            step,
            index,
        };
        if !self.spent.insert(code) {
            return Ok(false);
        }
        self.undo.push(Undo::Spent(code));
        self.new_spent.push(code);
        Ok(true)
    }

    fn failures_of_device(&mut self, device: DeviceId) -> StoreResult<Vec<DeviceFailures>> {
        match self.device_failures.get(&device) {
            Some(failures) => Ok(failures.clone()),
            None => self.through(|inner| inner.failures_of_device(device)),
        }
    }

    fn put_device_failures(&mut self, failures: &DeviceFailures) -> StoreResult<()> {
        let Some(counts) = self.device_failures.get_mut(&failures.device_id) else {
            return self.through(|inner| inner.put_device_failures(failures));
        };
        let previous = counts.clone();
        match counts
            .iter_mut()
            .find(|count| count.merchant_id == failures.merchant_id)
        {
            Some(count) => *count = *failures,
            None => counts.push(*failures),
        }
        self.undo.push(Undo::DeviceFailures {
            device: failures.device_id,
            previous,
        });
        self.dirty_failures
            .push((failures.device_id, failures.merchant_id));
        Ok(())
    }

    fn lock_merchant_failures(&mut self, merchant: MerchantId, minute: i64) -> StoreResult<u32> {
        match self.merchant_failures.get(&merchant) {
            Some(&count) if self.failure_minute == Some(minute) => Ok(count),
            // A new minute began during the batch; its count was not loaded (and locking it
            // now would take a lock out of order).
            _ => outside_batch("lock_merchant_failures of a count not loaded"),
        }
    }

    fn add_merchant_failures(
        &mut self,
        merchant: MerchantId,
        minute: i64,
        failures: u32,
    ) -> StoreResult<()> {
        let Some(count) = self.merchant_failures.get_mut(&merchant) else {
            return outside_batch("add_merchant_failures of a count not loaded");
        };
        if self.failure_minute != Some(minute) {
            return outside_batch("add_merchant_failures of a count not loaded");
        }
        let previous = *count;
        *count = count.saturating_add(failures);
        self.undo
            .push(Undo::MerchantFailures { merchant, previous });
        self.merchant_failures_added
            .extend(std::iter::repeat_n(merchant, failures as usize));
        Ok(())
    }

    fn insert_verification_failure(
        &mut self,
        device: Option<DeviceId>,
        merchant: MerchantId,
        reason: &str,
        at: UnixMillis,
    ) -> StoreResult<()> {
        self.failures.push(VerificationFailure {
            device,
            merchant,
            reason: reason.to_owned(),
            at,
        });
        Ok(())
    }

    fn user(&mut self, id: UserId) -> StoreResult<Option<UserRecord>> {
        if let Some(user) = self.users.get(&id) {
            return Ok(user.clone());
        }
        let user = self.through(|inner| inner.user(id))?;
        self.users.insert(id, user.clone());
        Ok(user)
    }

    fn merchant(&mut self, id: MerchantId) -> StoreResult<Option<MerchantRecord>> {
        if let Some(merchant) = self.merchants.get(&id) {
            return Ok(merchant.clone());
        }
        let merchant = self.through(|inner| inner.merchant(id))?;
        self.merchants.insert(id, merchant.clone());
        Ok(merchant)
    }

    fn lock_balance(&mut self, account: AccountId) -> StoreResult<i64> {
        if let Some(&balance) = self.balances.get(&account) {
            return Ok(balance);
        }
        let stored = self.through(|inner| inner.lock_balance(account))?;
        let balance = stored
            .checked_add(self.posted_to(account)?)
            .ok_or_else(|| StoreError::Other("account balance out of range".to_owned()))?;
        self.undo.push(Undo::Balance {
            account,
            previous: None,
        });
        self.balances.insert(account, balance);
        Ok(balance)
    }

    fn pin_free_total_of_day(&mut self, user: UserId, day: UnixMillis) -> StoreResult<i64> {
        let stored = match self.pin_free.get(&(user, day)) {
            Some(&total) => total,
            None => {
                let total = self.through(|inner| inner.pin_free_total_of_day(user, day))?;
                self.pin_free.insert((user, day), total);
                total
            }
        };
        // What the store adds when the batch's trades are inserted: the pin-free ones paid
        // that day.
        self.new_trades
            .iter()
            .filter(|trade| {
                trade.user_id == user
                    && trade.pin_free
                    && trade
                        .paid_at
                        .is_some_and(|paid_at| start_of_day(paid_at) == day)
            })
            .try_fold(stored, |total, trade| total.checked_add(trade.amount))
            .ok_or_else(|| StoreError::Other("pin-free total out of range".to_owned()))
    }

    fn post_transaction(
        &mut self,
        kind: LedgerKind,
        reference: &str,
        postings: &[(AccountId, i64)],
        created_at: UnixMillis,
    ) -> StoreResult<LedgerTransactionId> {
        let sum = postings
            .iter()
            .try_fold(0_i64, |sum, (_, amount)| sum.checked_add(*amount));
        if postings.is_empty() || sum != Some(0) {
            return Err(StoreError::Other(
                "the postings of a ledger transaction must sum to zero".to_owned(),
            ));
        }
        let mut updated = Vec::new();
        for &(account, amount) in postings {
            if let Some(&balance) = self.balances.get(&account) {
                let balance = balance
                    .checked_add(amount)
                    .ok_or_else(|| StoreError::Other("account balance out of range".to_owned()))?;
                updated.push((account, balance));
            }
        }
        for (account, balance) in updated {
            let previous = self.balances.insert(account, balance);
            self.undo.push(Undo::Balance { account, previous });
        }
        self.ledger.push(NewLedgerTransaction {
            kind,
            reference: reference.to_owned(),
            postings: postings.to_vec(),
            created_at,
        });
        Ok(LedgerTransactionId(0))
    }

    fn lock_online_code(&mut self, code_hash: &[u8]) -> StoreResult<Option<OnlineCodeRecord>> {
        self.through(|inner| inner.lock_online_code(code_hash))
    }

    fn spend_online_code(&mut self, code_hash: &[u8], at: UnixMillis) -> StoreResult<bool> {
        self.through(|inner| inner.spend_online_code(code_hash, at))
    }

    fn spent_offline_codes_from(
        &mut self,
        _from: &[(DeviceId, u64)],
    ) -> StoreResult<Vec<SpentOfflineCode>> {
        outside_batch("spent_offline_codes_from")
    }

    // What no payment calls.

    fn allocate_device_slot(&mut self) -> StoreResult<DeviceId> {
        outside_batch("allocate_device_slot")
    }
    fn insert_device(&mut self, _device: &DeviceRecord) -> StoreResult<()> {
        outside_batch("insert_device")
    }
    fn device(&mut self, _id: DeviceId) -> StoreResult<Option<DeviceRecord>> {
        outside_batch("device")
    }
    fn clear_device_failures(&mut self, _device: DeviceId) -> StoreResult<u64> {
        outside_batch("clear_device_failures")
    }
    fn delete_verification_failures_before(
        &mut self,
        _before: UnixMillis,
        _limit: u32,
    ) -> StoreResult<u64> {
        outside_batch("delete_verification_failures_before")
    }
    fn delete_merchant_failures_before(&mut self, _minute: i64) -> StoreResult<u64> {
        outside_batch("delete_merchant_failures_before")
    }
    fn devices_page(
        &mut self,
        _after: Option<DeviceId>,
        _limit: u32,
    ) -> StoreResult<Vec<DeviceRecord>> {
        outside_batch("devices_page")
    }
    fn lock_trade_by_trade_no(&mut self, _trade_no: &str) -> StoreResult<Option<TradeRecord>> {
        outside_batch("lock_trade_by_trade_no")
    }
    fn update_trade(&mut self, _trade: &TradeRecord) -> StoreResult<()> {
        outside_batch("update_trade")
    }
    fn user_paying_trades_of_user(&mut self, _user: UserId) -> StoreResult<Vec<TradeRecord>> {
        outside_batch("user_paying_trades_of_user")
    }
    fn overdue_user_paying_trades(
        &mut self,
        _now: UnixMillis,
        _limit: usize,
    ) -> StoreResult<Vec<TradeRecord>> {
        outside_batch("overdue_user_paying_trades")
    }
    fn insert_refund(&mut self, _refund: &RefundRecord) -> StoreResult<()> {
        outside_batch("insert_refund")
    }
    fn refund_by_out_refund_no(
        &mut self,
        _trade: TradeId,
        _out_refund_no: &str,
    ) -> StoreResult<Option<RefundRecord>> {
        outside_batch("refund_by_out_refund_no")
    }
    fn refunds_of_trade(&mut self, _trade: TradeId) -> StoreResult<Vec<RefundRecord>> {
        outside_batch("refunds_of_trade")
    }
}

impl WalletStore for Overlay<'_> {
    // What no payment calls.

    fn account_history(
        &mut self,
        _account: AccountId,
        _before: Option<LedgerTransactionId>,
        _limit: u32,
    ) -> StoreResult<Vec<LedgerEntry>> {
        outside_batch("account_history")
    }
    fn insert_user(
        &mut self,
        _username: &str,
        _password_hash: &str,
        _account: AccountId,
        _at: UnixMillis,
    ) -> StoreResult<UserId> {
        outside_batch("insert_user")
    }
    fn user_by_username(&mut self, _username: &str) -> StoreResult<Option<UserRecord>> {
        outside_batch("user_by_username")
    }
    fn set_pin_hash(&mut self, _id: UserId, _pin_hash: &str) -> StoreResult<()> {
        outside_batch("set_pin_hash")
    }
    fn lock_pin_attempts(&mut self, _user: UserId) -> StoreResult<Option<PinAttempts>> {
        outside_batch("lock_pin_attempts")
    }
    fn put_pin_attempts(&mut self, _user: UserId, _attempts: &PinAttempts) -> StoreResult<()> {
        outside_batch("put_pin_attempts")
    }
    fn insert_session(&mut self, _session: &NewSession) -> StoreResult<SessionId> {
        outside_batch("insert_session")
    }
    fn session(&mut self, _token_hash: &[u8]) -> StoreResult<Option<SessionRecord>> {
        outside_batch("session")
    }
    fn sessions_of_user(&mut self, _user: UserId) -> StoreResult<Vec<SessionRecord>> {
        outside_batch("sessions_of_user")
    }
    fn touch_session(&mut self, _id: SessionId, _at: UnixMillis) -> StoreResult<()> {
        outside_batch("touch_session")
    }
    fn delete_session(&mut self, _user: UserId, _id: SessionId) -> StoreResult<bool> {
        outside_batch("delete_session")
    }
    fn delete_other_sessions(&mut self, _user: UserId, _keep: SessionId) -> StoreResult<u64> {
        outside_batch("delete_other_sessions")
    }
    fn delete_expired_sessions(&mut self, _before: UnixMillis) -> StoreResult<u64> {
        outside_batch("delete_expired_sessions")
    }
    fn expire_online_codes_of_device(
        &mut self,
        _device: DeviceId,
        _at: UnixMillis,
    ) -> StoreResult<u64> {
        outside_batch("expire_online_codes_of_device")
    }
    fn devices_of_user(&mut self, _user: UserId) -> StoreResult<Vec<DeviceRecord>> {
        outside_batch("devices_of_user")
    }
    fn insert_online_code(&mut self, _code: &OnlineCodeRecord) -> StoreResult<()> {
        outside_batch("insert_online_code")
    }
    fn delete_expired_online_codes(&mut self, _before: UnixMillis) -> StoreResult<u64> {
        outside_batch("delete_expired_online_codes")
    }
}

impl AdminStore for Overlay<'_> {
    // What a payment reads and writes.

    fn insert_event(&mut self, event: &NewEvent) -> StoreResult<()> {
        self.new_events.push(event.clone());
        Ok(())
    }

    // What no payment calls.

    fn set_merchant_webhook(
        &mut self,
        _merchant: MerchantId,
        _webhook: Option<&MerchantWebhook>,
    ) -> StoreResult<bool> {
        outside_batch("set_merchant_webhook")
    }
    fn events_of_merchant(
        &mut self,
        _merchant: MerchantId,
        _before: Option<EventId>,
        _limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        outside_batch("events_of_merchant")
    }
    fn claim_due_events(
        &mut self,
        _now: UnixMillis,
        _lease_until: UnixMillis,
        _limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        outside_batch("claim_due_events")
    }
    fn finish_event_attempts(&mut self, _attempts: &[EventAttempt]) -> StoreResult<u64> {
        outside_batch("finish_event_attempts")
    }
    fn redeliver_event(
        &mut self,
        _merchant: MerchantId,
        _event: EventId,
        _at: UnixMillis,
    ) -> StoreResult<Option<EventRecord>> {
        outside_batch("redeliver_event")
    }
    fn pending_event_count(&mut self) -> StoreResult<u64> {
        outside_batch("pending_event_count")
    }
    fn delete_finished_events_before(
        &mut self,
        _before: UnixMillis,
        _limit: u32,
    ) -> StoreResult<u64> {
        outside_batch("delete_finished_events_before")
    }
    fn statement_lines(
        &mut self,
        _merchant: MerchantId,
        _from: UnixMillis,
        _to: UnixMillis,
        _limit: u32,
    ) -> StoreResult<Vec<StatementLine>> {
        outside_batch("statement_lines")
    }
    fn settlement_lines(
        &mut self,
        _from: UnixMillis,
        _to: UnixMillis,
    ) -> StoreResult<Vec<SettlementLine>> {
        outside_batch("settlement_lines")
    }

    fn setting(&mut self, _name: &str) -> StoreResult<Option<Vec<u8>>> {
        outside_batch("setting")
    }
    fn put_setting(&mut self, _name: &str, _value: &[u8]) -> StoreResult<()> {
        outside_batch("put_setting")
    }
    fn insert_setting(&mut self, _name: &str, _value: &[u8]) -> StoreResult<()> {
        outside_batch("insert_setting")
    }
    fn insert_account(&mut self, _kind: AccountKind, _at: UnixMillis) -> StoreResult<AccountId> {
        outside_batch("insert_account")
    }
    fn issuance_account(&mut self) -> StoreResult<AccountId> {
        outside_batch("issuance_account")
    }
    fn ledger_totals(&mut self) -> StoreResult<LedgerTotals> {
        outside_batch("ledger_totals")
    }
    fn users_page(
        &mut self,
        _username_prefix: &str,
        _after: Option<UserId>,
        _limit: u32,
    ) -> StoreResult<Vec<UserRecord>> {
        outside_batch("users_page")
    }
    fn merchants_page(
        &mut self,
        _after: Option<MerchantId>,
        _limit: u32,
    ) -> StoreResult<Vec<MerchantRecord>> {
        outside_batch("merchants_page")
    }
    fn lock_merchant(&mut self, _id: MerchantId) -> StoreResult<Option<MerchantRecord>> {
        outside_batch("lock_merchant")
    }
    fn insert_merchant(
        &mut self,
        _name: &str,
        _account: AccountId,
        _at: UnixMillis,
    ) -> StoreResult<MerchantId> {
        outside_batch("insert_merchant")
    }
    fn insert_api_key(
        &mut self,
        _merchant: MerchantId,
        _key_hash: &[u8],
        _at: UnixMillis,
    ) -> StoreResult<crate::ids::ApiKeyId> {
        outside_batch("insert_api_key")
    }
    fn api_key_by_hash(&mut self, _key_hash: &[u8]) -> StoreResult<Option<ApiKeyRecord>> {
        outside_batch("api_key_by_hash")
    }
    fn api_keys_of_merchant(&mut self, _merchant: MerchantId) -> StoreResult<Vec<ApiKeyRecord>> {
        outside_batch("api_keys_of_merchant")
    }
    fn revoke_api_key(
        &mut self,
        _merchant: MerchantId,
        _key: crate::ids::ApiKeyId,
        _at: UnixMillis,
    ) -> StoreResult<bool> {
        outside_batch("revoke_api_key")
    }
    fn topup(&mut self, _reference: &str) -> StoreResult<Option<TopupRecord>> {
        outside_batch("topup")
    }
    fn insert_topup(&mut self, _topup: &TopupRecord) -> StoreResult<()> {
        outside_batch("insert_topup")
    }
}

/// A payment reads none of the lists; it only adds to the refusal counts, which the batch
/// writes in bulk when it flushes.
impl ReportTransaction for Overlay<'_> {
    fn trades_page(&mut self, _query: &TradeQuery) -> StoreResult<Vec<TradeListing>> {
        outside_batch("trades_page")
    }

    fn trade_totals(
        &mut self,
        _merchant: MerchantId,
        _created: DayRange,
    ) -> StoreResult<TradeTotals> {
        outside_batch("trade_totals")
    }

    fn add_refusals(&mut self, counts: &[RefusalCount]) -> StoreResult<()> {
        self.refusals.extend_from_slice(counts);
        Ok(())
    }

    fn activity_counts(
        &mut self,
        _day: DayRange,
        _now: UnixMillis,
        _paid_within: i64,
    ) -> StoreResult<ActivityCounts> {
        outside_batch("activity_counts")
    }
}
