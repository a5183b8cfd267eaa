//! Prefetch: what a batch of payments may read, computed once from the payments, and read and
//! locked in bulk in the lock order every writer of these rows follows.

use std::collections::BTreeSet;

use paycode_codec::OfflinePayload;

use super::view::{TradeKey, View, ViewBuilder};
use crate::clock::{start_of_day, UnixMillis, MILLIS_PER_MINUTE, MILLIS_PER_SECOND};
use crate::ids::{AccountId, DeviceId, MerchantId, UserId};
use crate::limits::{MAX_DRIFT_STEPS, MAX_SKEW_STEPS};
use crate::model::DeviceRecord;
use crate::money::Amount;
use crate::store::{StoreResult, Transaction};
use crate::text::{Label, Reference};

/// The moment a batch runs at. Every payment of the batch is decided at this one time, so that
/// the minute of the merchants' failure budgets and the day of the pin-free totals that the
/// plan loads are the ones every decision uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Instant {
    /// Milliseconds since the Unix epoch.
    pub millis: UnixMillis,
}

impl Instant {
    /// Whole seconds, as TOTP counts them.
    pub fn seconds(self) -> u64 {
        u64::try_from(self.millis.div_euclid(MILLIS_PER_SECOND)).unwrap_or(0)
    }

    /// The minute whose failure count a merchant's budget reads.
    pub fn minute(self) -> i64 {
        self.millis.div_euclid(MILLIS_PER_MINUTE)
    }

    /// The first millisecond of the UTC day, whose pin-free totals the step-up rule reads.
    pub fn day(self) -> UnixMillis {
        start_of_day(self.millis)
    }
}

/// A scanned code, classified when the request was parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScannedCode {
    /// An offline code that decrypted into its device slot `D`, index `N` and OTP `O`.
    Offline(OfflinePayload),
    /// A code of an offline prefix that does not decrypt into a valid payload.
    Undecodable,
    /// An online code, by its keyed hash.
    Online {
        /// The keyed hash the server stored when it handed the code out.
        hash: Vec<u8>,
    },
}

impl ScannedCode {
    /// The device an offline code names.
    fn device(&self) -> Option<DeviceId> {
        match self {
            ScannedCode::Offline(payload) => Some(DeviceId(i64::from(payload.slot.get()))),
            ScannedCode::Undecodable | ScannedCode::Online { .. } => None,
        }
    }
}

/// A merchant's payment request after parsing: every field holds a valid value.
#[derive(Debug, Clone)]
pub(crate) struct Payment {
    /// The merchant charging, as its API key authenticated it.
    pub merchant: MerchantId,
    /// The merchant's reference, unique per merchant.
    pub out_trade_no: Reference,
    /// The code, classified.
    pub code: ScannedCode,
    /// What to charge.
    pub amount: Amount,
    /// What is bought.
    pub subject: Option<Label>,
    /// Which terminal charges.
    pub terminal_id: Option<Label>,
    /// Keyed hash of the scanned code, to recognise a retry with identical parameters.
    pub auth_code_hash: Vec<u8>,
}

impl Payment {
    /// The key of the trade this payment makes or finds.
    pub fn trade_key(&self) -> TradeKey {
        (self.merchant, self.out_trade_no.as_str().to_owned())
    }
}

/// Every key a batch's payments may read, sorted within each kind: the lock order is the order
/// of the fields, and ascending within each (docs/ARCHITECTURE.md, "Lock order").
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    at: Instant,
    /// The merchants' references, and their trades.
    trades: Vec<TradeKey>,
    /// The merchants: their failure counts of the minute, then (unlocked) their rows.
    merchants: Vec<MerchantId>,
    /// The devices offline codes name, with their failure counts and recently spent codes.
    devices: Vec<DeviceId>,
    /// The online codes, by keyed hash.
    online_codes: Vec<Vec<u8>>,
}

fn sorted_unique<T: Ord>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    items
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

impl Plan {
    /// The plan of `payments`, run at `at`.
    pub fn new<'p>(payments: impl Iterator<Item = &'p Payment> + Clone, at: Instant) -> Self {
        Self {
            at,
            trades: sorted_unique(payments.clone().map(Payment::trade_key)),
            merchants: sorted_unique(payments.clone().map(|payment| payment.merchant)),
            devices: sorted_unique(payments.clone().filter_map(|payment| payment.code.device())),
            online_codes: sorted_unique(payments.filter_map(|payment| match &payment.code {
                ScannedCode::Online { hash } => Some(hash.clone()),
                ScannedCode::Offline(_) | ScannedCode::Undecodable => None,
            })),
        }
    }

    /// The first step whose spent codes of `device` are loaded: a code is accepted within the
    /// skew around the server's step moved by the device's drift, and the drift may move
    /// within the batch, so every step such a code can have is at or after this one.
    pub fn spent_from(&self, device: &DeviceRecord) -> u64 {
        let server_step = self.at.seconds() / u64::from(device.period_seconds.max(1));
        server_step.saturating_sub(MAX_SKEW_STEPS + MAX_DRIFT_STEPS.unsigned_abs())
    }
}

/// Reads and locks, in bulk and in lock order, everything `plan` names: the merchants'
/// references and trades, the merchants' failure counts of the minute, the devices with their
/// failure counts at every merchant and the codes they spent lately, the online codes, the
/// payers (the devices' and the online codes' users) with their balances and pin-free totals
/// of the day, and the merchants.
pub(crate) fn prefetch(transaction: &mut dyn Transaction, plan: &Plan) -> StoreResult<View> {
    let at = plan.at;
    let mut view = ViewBuilder::new(at);

    transaction.lock_out_trade_nos(&plan.trades)?;
    let trades = transaction.lock_trades_by_out_trade_nos(&plan.trades)?;
    view.trades(&plan.trades, trades);

    let failures = transaction.lock_merchants_failures(&plan.merchants, at.minute())?;
    view.merchant_failures(&plan.merchants, failures);

    let devices = transaction.lock_devices(&plan.devices)?;
    let found: Vec<DeviceId> = devices.iter().map(|device| device.id).collect();
    let spent_from: Vec<(DeviceId, u64)> = devices
        .iter()
        .map(|device| (device.id, plan.spent_from(device)))
        .collect();
    let device_failures = transaction.failures_of_devices(&found)?;
    let spent = transaction.spent_offline_codes_from(&spent_from)?;
    let mut payers: Vec<UserId> = devices.iter().map(|device| device.user_id).collect();
    view.devices(&plan.devices, devices, device_failures, &spent_from, spent);

    let mut online_codes = Vec::with_capacity(plan.online_codes.len());
    for hash in &plan.online_codes {
        online_codes.push((hash.clone(), transaction.lock_online_code(hash)?));
    }
    payers.extend(
        online_codes
            .iter()
            .flat_map(|(_, code)| code.as_ref().map(|code| code.user_id)),
    );
    view.online_codes(online_codes);

    let payers = sorted_unique(payers);
    let users = transaction.users(&payers)?;
    let accounts: Vec<AccountId> = sorted_unique(users.iter().map(|user| user.account_id));
    let balances = transaction.lock_balances(&accounts)?;
    let pin_free = transaction.pin_free_totals_of_day(&payers, at.day())?;
    view.payers(&payers, users, balances, pin_free);

    let merchants = transaction.merchants(&plan.merchants)?;
    view.merchants(&plan.merchants, merchants);
    Ok(view.build())
}
