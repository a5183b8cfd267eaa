//! Apply: a batch's writes reach the store in bulk, kind by kind, after the ledger's
//! invariants were checked, and the batch commits once.

use std::collections::BTreeMap;

use super::view::View;
use super::write::Write;
use crate::error::Error;
use crate::ids::{DeviceId, MerchantId, TradeId};
use crate::model::{DeviceFailures, DeviceRecord, NewEvent, NewTrade};
use crate::reports::{merge_refusals, RefusalCount};
use crate::store::{
    NewLedgerTransaction, SpentOfflineCode, StoreResult, Transaction, VerificationFailure,
};

/// A batch's writes, grouped by kind; a device or failure count written twice keeps its last
/// state.
#[derive(Debug, Default)]
struct Grouped {
    spent: Vec<SpentOfflineCode>,
    online: Vec<Vec<u8>>,
    devices: BTreeMap<DeviceId, DeviceRecord>,
    device_failures: BTreeMap<(DeviceId, MerchantId), DeviceFailures>,
    merchant_failures: BTreeMap<MerchantId, u32>,
    audits: Vec<VerificationFailure>,
    ledger: Vec<NewLedgerTransaction>,
    trades: Vec<NewTrade>,
    events: Vec<NewEvent>,
    refusals: Vec<RefusalCount>,
}

impl Grouped {
    fn of(writes: Vec<Write>) -> Self {
        let mut grouped = Self::default();
        for write in writes {
            match write {
                Write::SpendOfflineCode(code) => grouped.spent.push(code),
                Write::SpendOnlineCode { hash } => grouped.online.push(hash),
                Write::PutDevice(device) => {
                    grouped.devices.insert(device.id, device);
                }
                Write::PutDeviceFailures(count) => {
                    grouped
                        .device_failures
                        .insert((count.device_id, count.merchant_id), count);
                }
                Write::AddMerchantFailure(merchant) => {
                    let count = grouped.merchant_failures.entry(merchant).or_default();
                    *count = count.saturating_add(1);
                }
                Write::Audit(failure) => grouped.audits.push(failure),
                Write::Post(transaction) => grouped.ledger.push(transaction),
                Write::InsertTrade(trade) => grouped.trades.push(trade),
                Write::InsertEvent(event) => grouped.events.push(event),
                Write::CountRefusal(count) => grouped.refusals.push(count),
            }
        }
        grouped
    }
}

/// Where a batch's writes go: one bulk statement per kind (on an embedded database, the
/// one-row statements in a loop).
pub(crate) trait PaymentWrites {
    /// Writes `writes`, decided at `minute` and `at`, and returns the ids the store assigned
    /// to the new trades among them, by trade number. The caller commits.
    fn apply(
        &mut self,
        writes: Vec<Write>,
        minute: i64,
        at: i64,
    ) -> StoreResult<BTreeMap<String, TradeId>>;
}

impl<T: Transaction + ?Sized> PaymentWrites for T {
    fn apply(
        &mut self,
        writes: Vec<Write>,
        minute: i64,
        at: i64,
    ) -> StoreResult<BTreeMap<String, TradeId>> {
        let grouped = Grouped::of(writes);
        // In the lock order of a payment: the codes and devices (locked at prefetch), the
        // merchants' failure counts (locked at prefetch), the ledger, which locks the
        // merchants' balances after the users' (locked at prefetch), then the rows no one
        // else locks, and the refusal counts last.
        if !grouped.spent.is_empty() {
            self.spend_offline_codes(&grouped.spent, at)?;
        }
        for hash in &grouped.online {
            if !self.spend_online_code(hash, at)? {
                return Err(crate::store::StoreError::Conflict(
                    "an online code of the batch was spent meanwhile".to_owned(),
                ));
            }
        }
        let devices: Vec<DeviceRecord> = grouped.devices.into_values().collect();
        if !devices.is_empty() {
            self.update_devices(&devices)?;
        }
        let failures: Vec<DeviceFailures> = grouped.device_failures.into_values().collect();
        if !failures.is_empty() {
            self.put_devices_failures(&failures)?;
        }
        let added: Vec<(MerchantId, u32)> = grouped.merchant_failures.into_iter().collect();
        if !added.is_empty() {
            self.add_merchants_failures(&added, minute)?;
        }
        if !grouped.audits.is_empty() {
            self.insert_verification_failures(&grouped.audits)?;
        }
        if !grouped.ledger.is_empty() {
            self.post_transactions(&grouped.ledger)?;
        }
        if !grouped.events.is_empty() {
            self.insert_events(&grouped.events)?;
        }
        let mut ids = BTreeMap::new();
        if !grouped.trades.is_empty() {
            let inserted = self.insert_trades(&grouped.trades)?;
            ids.extend(
                grouped
                    .trades
                    .iter()
                    .map(|trade| trade.trade_no.clone())
                    .zip(inserted),
            );
        }
        if !grouped.refusals.is_empty() {
            self.add_refusals(&merge_refusals(&grouped.refusals))?;
        }
        Ok(ids)
    }
}

/// The ledger's invariants, checked in every build before a batch commits: every ledger
/// transaction has postings that sum to exactly zero, and no payer's balance is below zero.
/// A violation is a bug; the batch rolls back and its payments fail rather than store it.
pub(crate) fn check_invariants(view: &View, writes: &[Write]) -> Result<(), Error> {
    for write in writes {
        if let Write::Post(transaction) = write {
            let sum = transaction
                .postings
                .iter()
                .try_fold(0_i64, |sum, (_, amount)| sum.checked_add(*amount));
            if transaction.postings.is_empty() || sum != Some(0) {
                return Err(invariant_broken(format!(
                    "the postings of {} do not sum to zero",
                    transaction.reference
                )));
            }
        }
    }
    if let Some((account, balance)) = view.payer_balances().find(|(_, balance)| *balance < 0) {
        return Err(invariant_broken(format!(
            "account {} would be left at {balance}",
            account.0
        )));
    }
    Ok(())
}

fn invariant_broken(what: String) -> Error {
    tracing::error!(%what, "a payment batch broke a ledger invariant; it is rolled back");
    Error::Internal(format!("ledger invariant broken: {what}"))
}
