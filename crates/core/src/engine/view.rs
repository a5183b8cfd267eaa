//! The rows a batch prefetched, as its payments have left them so far.
//!
//! Every lookup names a key; a key the plan did not load is an error
//! ([`NotPrefetched`]), never a silent "does not exist", so a plan that forgets a key fails
//! its payments loudly instead of deciding them on missing data.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::plan::Instant;
use super::write::Write;
use crate::error::Error;
use crate::ids::{AccountId, DeviceId, MerchantId, UserId};
use crate::model::{
    DeviceFailures, DeviceRecord, MerchantRecord, NewTrade, OnlineCodeRecord, TradeRecord,
    UserRecord,
};
use crate::store::SpentOfflineCode;

/// A merchant and one of its `out_trade_no`s.
pub(crate) type TradeKey = (MerchantId, String);

/// A trade as a batch sees it: stored before the batch began, or made by one of the batch's
/// payments, which the store stores (and gives an id) only when the batch applies its writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BatchTrade {
    /// Stored before the batch began.
    Stored(TradeRecord),
    /// Made by a payment of this batch.
    New(NewTrade),
}

/// A lookup of something the plan did not load: a bug in the plan, reported as an internal
/// error of the payments that needed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotPrefetched(pub &'static str);

impl From<NotPrefetched> for Error {
    fn from(missing: NotPrefetched) -> Self {
        Error::Internal(format!("{} was not prefetched", missing.0))
    }
}

/// What the payments of a batch read: for every key of the plan, the row or its absence.
#[derive(Debug, Clone)]
pub(crate) struct View {
    at: Instant,
    trades: HashMap<TradeKey, Option<BatchTrade>>,
    merchant_failures: HashMap<MerchantId, u32>,
    devices: HashMap<DeviceId, Option<DeviceRecord>>,
    device_failures: HashMap<DeviceId, Vec<DeviceFailures>>,
    /// For each device found, the steps whose spent codes were loaded.
    spent_windows: HashMap<DeviceId, Range<u64>>,
    spent: HashSet<SpentOfflineCode>,
    online_codes: HashMap<Vec<u8>, Option<OnlineCodeRecord>>,
    users: HashMap<UserId, Option<UserRecord>>,
    /// The payers' balances, locked.
    balances: HashMap<AccountId, i64>,
    /// The payers' pin-free totals of the day.
    pin_free: HashMap<UserId, i64>,
    merchants: HashMap<MerchantId, Option<MerchantRecord>>,
}

fn found<'v, T>(
    value: Option<&'v Option<T>>,
    what: &'static str,
) -> Result<Option<&'v T>, NotPrefetched> {
    value.map(Option::as_ref).ok_or(NotPrefetched(what))
}

impl View {
    /// When the batch runs.
    pub fn at(&self) -> Instant {
        self.at
    }

    /// The merchant's trade under `key`, if it exists.
    pub fn trade(&self, key: &TradeKey) -> Result<Option<&BatchTrade>, NotPrefetched> {
        found(self.trades.get(key), "a trade")
    }

    /// The merchant's failed verifications in the batch's minute.
    pub fn merchant_failures(&self, merchant: MerchantId) -> Result<u32, NotPrefetched> {
        self.merchant_failures
            .get(&merchant)
            .copied()
            .ok_or(NotPrefetched("a merchant's failure count"))
    }

    /// The device, if it exists.
    pub fn device(&self, id: DeviceId) -> Result<Option<&DeviceRecord>, NotPrefetched> {
        found(self.devices.get(&id), "a device")
    }

    /// The device's failure counts at every merchant.
    pub fn device_failures(&self, id: DeviceId) -> Result<&[DeviceFailures], NotPrefetched> {
        self.device_failures
            .get(&id)
            .map(Vec::as_slice)
            .ok_or(NotPrefetched("a device's failure counts"))
    }

    /// Whether the device spent code `index` of `step`.
    pub fn is_spent(&self, device: DeviceId, step: u64, index: u8) -> Result<bool, NotPrefetched> {
        let window = self
            .spent_windows
            .get(&device)
            .ok_or(NotPrefetched("a device's spent codes"))?;
        if !window.contains(&step) {
            return Err(NotPrefetched("a spent code outside the loaded window"));
        }
        Ok(self.spent.contains(&SpentOfflineCode {
            device,
            step,
            index,
        }))
    }

    /// The online code with this keyed hash, if one was handed out.
    pub fn online_code(&self, hash: &[u8]) -> Result<Option<&OnlineCodeRecord>, NotPrefetched> {
        found(self.online_codes.get(hash), "an online code")
    }

    /// The user, if it exists.
    pub fn user(&self, id: UserId) -> Result<Option<&UserRecord>, NotPrefetched> {
        found(self.users.get(&id), "a user")
    }

    /// A payer's balance.
    pub fn balance(&self, account: AccountId) -> Result<i64, NotPrefetched> {
        self.balances
            .get(&account)
            .copied()
            .ok_or(NotPrefetched("a balance"))
    }

    /// What the user paid without a PIN on the batch's day.
    pub fn pin_free_total(&self, user: UserId) -> Result<i64, NotPrefetched> {
        self.pin_free
            .get(&user)
            .copied()
            .ok_or(NotPrefetched("a pin-free total"))
    }

    /// The merchant, if it exists.
    pub fn merchant(&self, id: MerchantId) -> Result<Option<&MerchantRecord>, NotPrefetched> {
        found(self.merchants.get(&id), "a merchant")
    }

    /// The payers' balances, for the invariant that none is below zero.
    pub fn payer_balances(&self) -> impl Iterator<Item = (AccountId, i64)> + '_ {
        self.balances
            .iter()
            .map(|(&account, &balance)| (account, balance))
    }

    /// Takes in the writes of one decided payment, so that the next payment of the batch sees
    /// them. Fails only on a balance or total that would overflow, which the amount limits
    /// rule out.
    pub fn absorb(&mut self, writes: &[Write]) -> Result<(), Error> {
        for write in writes {
            match write {
                Write::SpendOfflineCode(code) => {
                    self.spent.insert(*code);
                }
                Write::SpendOnlineCode { hash } => {
                    if let Some(Some(code)) = self.online_codes.get_mut(hash) {
                        code.used_at = Some(self.at.millis);
                    }
                }
                Write::PutDevice(device) => {
                    self.devices.insert(device.id, Some(device.clone()));
                }
                Write::PutDeviceFailures(count) => {
                    let counts = self.device_failures.entry(count.device_id).or_default();
                    match counts
                        .iter_mut()
                        .find(|stored| stored.merchant_id == count.merchant_id)
                    {
                        Some(stored) => *stored = *count,
                        None => counts.push(*count),
                    }
                }
                Write::AddMerchantFailure(merchant) => {
                    let count = self.merchant_failures.entry(*merchant).or_default();
                    *count = count.saturating_add(1);
                }
                Write::Post(transaction) => {
                    for &(account, amount) in &transaction.postings {
                        if let Some(balance) = self.balances.get_mut(&account) {
                            *balance = balance.checked_add(amount).ok_or_else(|| {
                                Error::Internal("a balance would overflow".to_owned())
                            })?;
                        }
                    }
                }
                Write::InsertTrade(trade) => {
                    let key = (trade.merchant_id, trade.out_trade_no.as_str().to_owned());
                    self.trades
                        .insert(key, Some(BatchTrade::New(trade.clone())));
                    if trade.pin_free && trade.paid_at.is_some() {
                        let total = self.pin_free.entry(trade.user_id).or_default();
                        *total = total.checked_add(trade.amount.minor()).ok_or_else(|| {
                            Error::Internal("a pin-free total would overflow".to_owned())
                        })?;
                    }
                }
                Write::Audit(_) | Write::InsertEvent(_) | Write::CountRefusal(_) => {}
            }
        }
        Ok(())
    }
}

/// Fills a [`View`] kind by kind: every planned key gets an entry, `None` where the store has
/// no row. Prefetch fills it from the store; the tests of `decide` fill it by hand.
#[derive(Debug)]
pub(crate) struct ViewBuilder {
    view: View,
}

impl ViewBuilder {
    /// An empty view of a batch run at `at`.
    pub fn new(at: Instant) -> Self {
        Self {
            view: View {
                at,
                trades: HashMap::new(),
                merchant_failures: HashMap::new(),
                devices: HashMap::new(),
                device_failures: HashMap::new(),
                spent_windows: HashMap::new(),
                spent: HashSet::new(),
                online_codes: HashMap::new(),
                users: HashMap::new(),
                balances: HashMap::new(),
                pin_free: HashMap::new(),
                merchants: HashMap::new(),
            },
        }
    }

    /// The trades found among `keys`.
    pub fn trades(&mut self, keys: &[TradeKey], found: Vec<TradeRecord>) -> &mut Self {
        for key in keys {
            self.view.trades.insert(key.clone(), None);
        }
        for trade in found {
            let key = (trade.merchant_id, trade.out_trade_no.clone());
            self.view
                .trades
                .insert(key, Some(BatchTrade::Stored(trade)));
        }
        self
    }

    /// The merchants' failure counts of the minute (0 where none is stored).
    pub fn merchant_failures(
        &mut self,
        merchants: &[MerchantId],
        counts: Vec<(MerchantId, u32)>,
    ) -> &mut Self {
        for merchant in merchants {
            self.view.merchant_failures.insert(*merchant, 0);
        }
        self.view.merchant_failures.extend(counts);
        self
    }

    /// The devices found among `ids`, their failure counts, and their codes spent in the
    /// window of steps given with each device.
    pub fn devices(
        &mut self,
        ids: &[DeviceId],
        found: Vec<DeviceRecord>,
        failures: Vec<DeviceFailures>,
        spent_windows: &[(DeviceId, Range<u64>)],
        spent: Vec<SpentOfflineCode>,
    ) -> &mut Self {
        for id in ids {
            self.view.devices.insert(*id, None);
        }
        for device in found {
            self.view.device_failures.insert(device.id, Vec::new());
            self.view.devices.insert(device.id, Some(device));
        }
        for count in failures {
            self.view
                .device_failures
                .entry(count.device_id)
                .or_default()
                .push(count);
        }
        self.view
            .spent_windows
            .extend(spent_windows.iter().cloned());
        self.view.spent.extend(spent);
        self
    }

    /// The online codes, by keyed hash (`None`: no such code).
    pub fn online_codes(&mut self, codes: Vec<(Vec<u8>, Option<OnlineCodeRecord>)>) -> &mut Self {
        self.view.online_codes.extend(codes);
        self
    }

    /// The payers found among `ids`, their accounts' balances and their pin-free totals.
    pub fn payers(
        &mut self,
        ids: &[UserId],
        found: Vec<UserRecord>,
        balances: Vec<(AccountId, i64)>,
        pin_free: Vec<(UserId, i64)>,
    ) -> &mut Self {
        for id in ids {
            self.view.users.insert(*id, None);
            self.view.pin_free.insert(*id, 0);
        }
        for user in found {
            self.view.users.insert(user.id, Some(user));
        }
        self.view.balances.extend(balances);
        self.view.pin_free.extend(pin_free);
        self
    }

    /// The merchants found among `ids`.
    pub fn merchants(&mut self, ids: &[MerchantId], found: Vec<MerchantRecord>) -> &mut Self {
        for id in ids {
            self.view.merchants.insert(*id, None);
        }
        for merchant in found {
            self.view.merchants.insert(merchant.id, Some(merchant));
        }
        self
    }

    /// The view.
    pub fn build(self) -> View {
        self.view
    }
}
