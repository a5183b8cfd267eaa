//! Prefetch: what a batch of payments may read, computed once from the payments, and read and
//! locked in bulk in the lock order every writer of these rows follows.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use paycode_codec::OfflinePayload;

use super::view::{TradeKey, View, ViewBuilder};
use crate::clock::{start_of_day, UnixMillis, MILLIS_PER_MINUTE, MILLIS_PER_SECOND};
use crate::ids::{AccountId, DeviceId, MerchantId, UserId};
use crate::limits::{MAX_DRIFT_STEPS, MAX_SKEW_STEPS, SPENT_CODE_WINDOW_STEPS};
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
    /// How many of the payments name each device: each may move its drift (see
    /// [`Plan::spent_window`]).
    codes_per_device: BTreeMap<DeviceId, u64>,
    /// The steps accepted on each side of a code's expected step.
    skew_steps: u64,
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
    pub fn new<'p>(
        payments: impl Iterator<Item = &'p Payment> + Clone,
        at: Instant,
        skew_steps: u64,
    ) -> Self {
        let mut codes_per_device = BTreeMap::new();
        for device in payments.clone().filter_map(|payment| payment.code.device()) {
            *codes_per_device.entry(device).or_insert(0) += 1;
        }
        Self {
            at,
            codes_per_device,
            skew_steps,
            trades: sorted_unique(payments.clone().map(Payment::trade_key)),
            merchants: sorted_unique(payments.clone().map(|payment| payment.merchant)),
            devices: sorted_unique(payments.clone().filter_map(|payment| payment.code.device())),
            online_codes: sorted_unique(payments.filter_map(|payment| match &payment.code {
                ScannedCode::Online { hash } => Some(hash.clone()),
                ScannedCode::Offline(_) | ScannedCode::Undecodable => None,
            })),
        }
    }

    /// The steps whose spent codes of `device` are loaded: every step a code of the device can
    /// verify at in this batch. A code verifies within the skew around its expected step, the
    /// server's step moved by the device's drift. Each success moves the drift to the step it
    /// verified at (or toward the server's step, where the drift's bound clamps it), so by at
    /// most the skew: with `n` codes of the device in the batch, every step one of them can
    /// verify at is within `n` times the skew of the expected step at prefetch. Usually that
    /// is three steps, where the widest window a code of any drift can verify in is
    /// [`SPENT_CODE_WINDOW_STEPS`]; the window is cut to that too.
    pub fn spent_window(&self, device: &DeviceRecord) -> Range<u64> {
        let server_step = self.at.seconds() / u64::from(device.period_seconds.max(1));
        let widest_from =
            server_step.saturating_sub(MAX_SKEW_STEPS + MAX_DRIFT_STEPS.unsigned_abs());
        let widest = widest_from..widest_from.saturating_add(SPENT_CODE_WINDOW_STEPS);
        let codes = self.codes_per_device.get(&device.id).copied().unwrap_or(1);
        let reach = self.skew_steps.saturating_mul(codes);
        let expected = server_step.saturating_add_signed(device.drift_steps);
        let first = expected.saturating_sub(reach).max(widest.start);
        let end = expected
            .saturating_add(reach)
            .saturating_add(1)
            .min(widest.end);
        first..end.max(first)
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
    let windows: Vec<(DeviceId, Range<u64>)> = devices
        .iter()
        .map(|device| (device.id, plan.spent_window(device)))
        .collect();
    let device_failures = transaction.failures_of_devices(&found)?;
    let spent = transaction.spent_offline_codes_in(&windows)?;
    let mut payers: Vec<UserId> = devices.iter().map(|device| device.user_id).collect();
    view.devices(&plan.devices, devices, device_failures, &windows, spent);

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DeviceStatus;
    use crate::model::SealedSecret;
    use paycode_codec::{CodeIndex, DeviceSlot};
    use paycode_otp::Algorithm;

    const NOW_MILLIS: i64 = 1_796_000_010_000;

    fn device(drift_steps: i64) -> DeviceRecord {
        DeviceRecord {
            id: DeviceId(7),
            user_id: UserId(1),
            name: None,
            algorithm: Algorithm::Sha1,
            period_seconds: 30,
            secret: SealedSecret {
                key_id: 1,
                nonce: Vec::new(),
                ciphertext: Vec::new(),
            },
            status: DeviceStatus::Active,
            failed_attempts: 0,
            locked_until: None,
            drift_steps,
            created_at: 0,
            last_used_at: None,
        }
    }

    fn payment_of_device(out_trade_no: &str) -> Payment {
        Payment {
            merchant: MerchantId(3),
            out_trade_no: Reference::parse("out_trade_no", out_trade_no).unwrap(),
            code: ScannedCode::Offline(OfflinePayload {
                slot: DeviceSlot::new(7).unwrap(),
                index: CodeIndex::FIRST,
                otp: 0,
            }),
            amount: Amount::new(100).unwrap(),
            subject: None,
            terminal_id: None,
            auth_code_hash: Vec::new(),
        }
    }

    fn server_step() -> u64 {
        (NOW_MILLIS / 1_000) as u64 / 30
    }

    #[test]
    fn one_code_loads_the_skew_around_its_expected_step() {
        let payments = [payment_of_device("a")];
        let plan = Plan::new(payments.iter(), Instant { millis: NOW_MILLIS }, 1);
        let step = server_step();
        assert_eq!(plan.spent_window(&device(0)), step - 1..step + 2);
        assert_eq!(plan.spent_window(&device(5)), step + 4..step + 7);
        assert_eq!(plan.spent_window(&device(-5)), step - 6..step - 3);
    }

    #[test]
    fn each_code_of_the_device_in_the_batch_widens_the_window_by_the_skew() {
        // The first code may move the drift by the skew, so the second may verify one skew
        // further, and so on.
        let payments = [
            payment_of_device("a"),
            payment_of_device("b"),
            payment_of_device("c"),
        ];
        let plan = Plan::new(payments.iter(), Instant { millis: NOW_MILLIS }, 2);
        let step = server_step();
        assert_eq!(plan.spent_window(&device(0)), step - 6..step + 7);
    }

    #[test]
    fn the_window_never_leaves_the_steps_a_code_of_any_drift_can_verify_at() {
        let payments: Vec<Payment> = (0..128)
            .map(|n| payment_of_device(&format!("p{n}")))
            .collect();
        let plan = Plan::new(
            payments.iter(),
            Instant { millis: NOW_MILLIS },
            MAX_SKEW_STEPS,
        );
        let widest_from = server_step() - MAX_SKEW_STEPS - MAX_DRIFT_STEPS.unsigned_abs();
        let window = plan.spent_window(&device(MAX_DRIFT_STEPS));
        assert_eq!(window, widest_from..widest_from + SPENT_CODE_WINDOW_STEPS);
    }
}
