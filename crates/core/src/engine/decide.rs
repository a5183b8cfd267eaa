//! Decide: one payment against the prefetched view, with no store in reach.
//!
//! The rules, in the order they apply (SPEC 2.2, 2.5, 4):
//! 1. a trade under the merchant's `out_trade_no` answers a retry with identical parameters,
//!    and refuses other parameters (`OUT_TRADE_NO_CONFLICT`);
//! 2. a merchant that spent its failure budget of the minute is refused (`RATE_LIMITED`)
//!    before anything is verified;
//! 3. the code is verified and spent; a failed verification counts against the merchant's
//!    budget (and, for a wrong OTP, against the device at this merchant and everywhere);
//! 4. above the pin-free limits the trade waits for the PIN (`USER_PAYING`); otherwise the
//!    user's balance pays it, or the payment is refused (`INSUFFICIENT_FUNDS`).
//!
//! A refusal keeps what it wrote (the code stays spent, the failure stays counted), so that
//! the merchant can retry the same `out_trade_no` with a fresh code but not the same code. An
//! error that is not a refusal (a bug, a row that vanished) keeps nothing.

use paycode_codec::verify_offline_otp;
use paycode_otp::{HotpKey, Secret};

use super::plan::{Instant, Payment, ScannedCode};
use super::view::{BatchTrade, View};
use super::write::Write;
use crate::clock::MILLIS_PER_SECOND;
use crate::config::Config;
use crate::crypto::MasterKeys;
use crate::error::Error;
use crate::ids::{DeviceId, MerchantId, UserId};
use crate::limits::MAX_DRIFT_STEPS;
use crate::model::{
    DeviceFailures, DeviceRecord, DeviceStatus, EventKind, LedgerKind, NewEvent, NewTrade,
    TradeStatus,
};
use crate::rate_limit::merchant_budget_refusal;
use crate::reports::{refusal_period_start, RefusalCount};
use crate::service::{device_associated_data, EventData};
use crate::store::{NewLedgerTransaction, SpentOfflineCode, VerificationFailure};
use crate::text::Label;

/// Everything besides the view that a decision depends on.
pub(crate) struct Rules<'a> {
    /// The limits: skew, failure budgets, lockouts, pin-free limits, the PIN's deadline.
    pub config: &'a Config,
    /// Opens the devices' sealed secrets.
    pub keys: &'a MasterKeys,
    /// Renders notifications; without it none are stored.
    pub event_data: Option<&'a dyn EventData>,
}

impl Rules<'_> {
    fn lockout_millis(&self) -> i64 {
        i64::from(self.config.lockout_seconds) * MILLIS_PER_SECOND
    }
}

/// Something the operator must hear about once the payment's batch committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alert {
    /// A device is refused at one merchant after failed verifications there.
    LockedAtMerchant {
        /// The device.
        device: DeviceId,
        /// The merchant.
        merchant: MerchantId,
        /// Its failures there.
        failures: u32,
    },
    /// A device is refused at every merchant: someone may be guessing its codes.
    LockedEverywhere {
        /// The device.
        device: DeviceId,
        /// Its failures at every merchant together.
        failures: u32,
        /// At how many merchants they happened.
        merchants: usize,
    },
}

/// The decision on one payment: its outcome, valid once the batch commits, and the writes it
/// makes (none when the outcome is an error that is not a refusal).
#[derive(Debug)]
pub(crate) struct Decided {
    /// The trade made or found, or why the payment is refused.
    pub outcome: Result<BatchTrade, Error>,
    /// What the batch must write for it.
    pub writes: Vec<Write>,
    /// What to tell the operator.
    pub alert: Option<Alert>,
}

/// How a step of a decision ended: go on with its value, or refuse the payment and keep
/// what was written so far.
enum Step<T> {
    Go(T),
    Refuse(Error),
}

/// The writes and alert of a decision being made.
struct Draft<'r> {
    rules: &'r Rules<'r>,
    at: Instant,
    merchant: MerchantId,
    writes: Vec<Write>,
    alert: Option<Alert>,
}

/// Whether a refusal is one the operator's summary counts: a business refusal (such as
/// `CODE_USED` or `INSUFFICIENT_FUNDS`) or the merchant's spent failure budget. A reused
/// `out_trade_no` with other parameters is the merchant's mistake, not a refused payment.
fn counts_as_refusal(refusal: &Error) -> bool {
    refusal.kind().is_refusal() || matches!(refusal, Error::RateLimited { .. })
}

/// Decides `payment` against `view`, as a trade numbered `trade_no` if it makes one.
pub(crate) fn decide(rules: &Rules<'_>, view: &View, payment: &Payment, trade_no: &str) -> Decided {
    let mut draft = Draft {
        rules,
        at: view.at(),
        merchant: payment.merchant,
        writes: Vec::new(),
        alert: None,
    };
    match draft.pay(view, payment, trade_no) {
        Ok(Step::Go(trade)) => Decided {
            outcome: Ok(trade),
            writes: draft.writes,
            alert: draft.alert,
        },
        Ok(Step::Refuse(refusal)) => {
            if counts_as_refusal(&refusal) {
                draft.writes.push(Write::CountRefusal(RefusalCount {
                    period_start: refusal_period_start(draft.at.millis),
                    merchant: payment.merchant,
                    code: refusal.kind().as_str().to_owned(),
                    refusals: 1,
                }));
            }
            Decided {
                outcome: Err(refusal),
                writes: draft.writes,
                alert: draft.alert,
            }
        }
        Err(error) => Decided {
            outcome: Err(error),
            writes: Vec::new(),
            alert: None,
        },
    }
}

/// Whether `payment` repeats the one that made `existing`: the same code, amount, subject and
/// terminal.
fn same_parameters(existing: &BatchTrade, payment: &Payment) -> bool {
    fn label(label: &Option<Label>) -> Option<&str> {
        label.as_ref().map(Label::as_str)
    }
    match existing {
        BatchTrade::Stored(trade) => {
            trade.auth_code_hash == payment.auth_code_hash
                && trade.amount == payment.amount
                && trade.subject.as_deref() == label(&payment.subject)
                && trade.terminal_id.as_deref() == label(&payment.terminal_id)
        }
        BatchTrade::New(trade) => {
            trade.auth_code_hash == payment.auth_code_hash
                && trade.amount == payment.amount
                && trade.subject == payment.subject
                && trade.terminal_id == payment.terminal_id
        }
    }
}

impl Draft<'_> {
    fn now(&self) -> i64 {
        self.at.millis
    }

    fn audit(&mut self, device: Option<DeviceId>, reason: &str) {
        self.writes.push(Write::Audit(VerificationFailure {
            device,
            merchant: self.merchant,
            reason: reason.to_owned(),
            at: self.now(),
        }));
    }

    fn pay(
        &mut self,
        view: &View,
        payment: &Payment,
        trade_no: &str,
    ) -> Result<Step<BatchTrade>, Error> {
        if let Some(existing) = view.trade(&payment.trade_key())? {
            return Ok(if same_parameters(existing, payment) {
                Step::Go(existing.clone())
            } else {
                Step::Refuse(Error::OutTradeNoConflict("out_trade_no"))
            });
        }
        if view.merchant_failures(self.merchant)? >= self.rules.config.merchant_failures_per_minute
        {
            return Ok(Step::Refuse(merchant_budget_refusal(self.now())));
        }
        let payer = match self.verify(view, &payment.code)? {
            Step::Go(payer) => payer,
            Step::Refuse(refusal) => {
                self.writes.push(Write::AddMerchantFailure(self.merchant));
                return Ok(Step::Refuse(refusal));
            }
        };
        self.charge(view, payment, payer, trade_no)
    }

    /// Verifies and spends the code; returns who pays.
    fn verify(&mut self, view: &View, code: &ScannedCode) -> Result<Step<UserId>, Error> {
        match code {
            ScannedCode::Offline(payload) => {
                let id = DeviceId(i64::from(payload.slot.get()));
                let Some(device) = view.device(id)? else {
                    self.audit(None, "unknown_slot");
                    return Ok(Step::Refuse(Error::CodeInvalid));
                };
                let mut device = device.clone();
                let mut counts = view.device_failures(id)?.to_vec();
                if let Some(refusal) = self.device_refusal(&mut device, &counts) {
                    return Ok(Step::Refuse(refusal));
                }
                let key = self.device_key(&device)?;
                let server_step = self.at.seconds() / u64::from(device.period_seconds.max(1));
                let center = server_step.saturating_add_signed(device.drift_steps);
                let skew = self.rules.config.skew_steps;
                let Some(step) = verify_offline_otp(&key, payload, center, skew, skew) else {
                    return Ok(Step::Refuse(self.count_failure(device, counts)));
                };
                let index = payload.index.get();
                if view.is_spent(id, step, index)? {
                    self.audit(Some(id), "replay");
                    return Ok(Step::Refuse(Error::CodeUsed));
                }
                self.writes.push(Write::SpendOfflineCode(SpentOfflineCode {
                    device: id,
                    step,
                    index,
                }));
                let drift = i128::from(step) - i128::from(server_step);
                device.drift_steps =
                    drift.clamp(i128::from(-MAX_DRIFT_STEPS), i128::from(MAX_DRIFT_STEPS)) as i64;
                device.last_used_at = Some(self.now());
                if let Some(count) = counts
                    .iter_mut()
                    .find(|count| count.merchant_id == self.merchant && count.failures > 0)
                {
                    // A success ends the run of failures at this merchant.
                    *count = DeviceFailures::none(id, self.merchant, self.now());
                    self.writes.push(Write::PutDeviceFailures(*count));
                }
                device.failed_attempts = self.recent_failures(&counts);
                let payer = device.user_id;
                self.writes.push(Write::PutDevice(device));
                Ok(Step::Go(payer))
            }
            ScannedCode::Undecodable => {
                self.audit(None, "undecodable");
                Ok(Step::Refuse(Error::CodeInvalid))
            }
            ScannedCode::Online { hash } => {
                let Some(record) = view.online_code(hash)? else {
                    return Ok(Step::Refuse(Error::CodeInvalid));
                };
                if record.used_at.is_some() {
                    return Ok(Step::Refuse(Error::CodeUsed));
                }
                if record.expires_at <= self.now() {
                    return Ok(Step::Refuse(Error::CodeExpired));
                }
                self.writes
                    .push(Write::SpendOnlineCode { hash: hash.clone() });
                Ok(Step::Go(record.user_id))
            }
        }
    }

    /// Why the device may not pay at this merchant right now, if it may not: it is revoked,
    /// locked everywhere, or locked at this merchant. A lockout everywhere that has ended is
    /// lifted in `device`.
    fn device_refusal(
        &mut self,
        device: &mut DeviceRecord,
        counts: &[DeviceFailures],
    ) -> Option<Error> {
        let now = self.now();
        if device.status == DeviceStatus::Revoked {
            self.audit(Some(device.id), "revoked");
            return Some(Error::DeviceRevoked);
        }
        match device.locked_until {
            Some(until) if until > now => {
                self.audit(Some(device.id), "locked");
                return Some(Error::DeviceLocked);
            }
            Some(_) => device.locked_until = None,
            None => {}
        }
        let locked_here = counts
            .iter()
            .any(|count| count.merchant_id == self.merchant && count.is_locked(now));
        if locked_here {
            self.audit(Some(device.id), "locked_at_merchant");
            return Some(Error::DeviceLocked);
        }
        None
    }

    /// Counts a wrong OTP against the device at this merchant, refusing the merchant the
    /// device at `max_failed_attempts`; and at every merchant together, refusing the device
    /// everywhere at `global_failed_attempts`.
    fn count_failure(
        &mut self,
        mut device: DeviceRecord,
        mut counts: Vec<DeviceFailures>,
    ) -> Error {
        let now = self.now();
        let lockout = self.rules.lockout_millis();
        let config = self.rules.config;
        let position = match counts
            .iter()
            .position(|count| count.merchant_id == self.merchant)
        {
            Some(position) => position,
            None => {
                counts.push(DeviceFailures::none(device.id, self.merchant, now));
                counts.len() - 1
            }
        };
        let count = &mut counts[position];
        if count.failures == 0 || count.is_lapsed(now, lockout) {
            *count = DeviceFailures::none(device.id, self.merchant, now);
        }
        count.failures = count.failures.saturating_add(1);
        if count.failures >= config.max_failed_attempts {
            count.locked_until = Some(now + lockout);
            self.alert = Some(Alert::LockedAtMerchant {
                device: device.id,
                merchant: self.merchant,
                failures: count.failures,
            });
        }
        self.writes.push(Write::PutDeviceFailures(*count));
        device.failed_attempts = self.recent_failures(&counts);
        let locked_everywhere = device.locked_until.is_some_and(|until| until > now);
        if device.failed_attempts >= config.global_failed_attempts && !locked_everywhere {
            device.locked_until = Some(now + lockout);
            self.alert = Some(Alert::LockedEverywhere {
                device: device.id,
                failures: device.failed_attempts,
                merchants: counts
                    .iter()
                    .filter(|count| count.is_recent(now, lockout))
                    .count(),
            });
        }
        let id = device.id;
        self.writes.push(Write::PutDevice(device));
        self.audit(Some(id), "otp_mismatch");
        Error::CodeInvalid
    }

    /// The failures of the device at every merchant together within the lockout period.
    fn recent_failures(&self, counts: &[DeviceFailures]) -> u32 {
        let now = self.now();
        let lockout = self.rules.lockout_millis();
        counts
            .iter()
            .filter(|count| count.is_recent(now, lockout))
            .fold(0, |total: u32, count| total.saturating_add(count.failures))
    }

    /// The device's HMAC key, from its secret sealed under the master key.
    fn device_key(&self, device: &DeviceRecord) -> Result<HotpKey, Error> {
        let plain = self
            .rules
            .keys
            .open(&device_associated_data(device.id), &device.secret)?;
        let secret = Secret::from_bytes(plain.to_vec())
            .map_err(|error| Error::Internal(error.to_string()))?;
        Ok(HotpKey::new(&secret, device.algorithm))
    }

    /// Moves the money for a verified code, or makes the trade wait for the PIN.
    fn charge(
        &mut self,
        view: &View,
        payment: &Payment,
        payer: UserId,
        trade_no: &str,
    ) -> Result<Step<BatchTrade>, Error> {
        let config = self.rules.config;
        let now = self.now();
        let amount = payment.amount;
        let user = view.user(payer)?.ok_or(Error::NotFound("user"))?;
        let pin_free_today = view.pin_free_total(payer)?;
        let step_up = amount.minor() > config.pin_free_limit
            || pin_free_today
                .checked_add(amount.minor())
                .is_none_or(|total| total > config.daily_pin_free_limit);
        let mut trade = NewTrade {
            trade_no: trade_no.to_owned(),
            merchant_id: self.merchant,
            user_id: payer,
            out_trade_no: payment.out_trade_no.clone(),
            auth_code_hash: payment.auth_code_hash.clone(),
            amount,
            status: TradeStatus::UserPaying,
            subject: payment.subject.clone(),
            terminal_id: payment.terminal_id.clone(),
            pin_free: !step_up,
            created_at: now,
            paid_at: None,
            confirm_deadline: step_up
                .then(|| now + i64::from(config.user_paying_timeout_seconds) * MILLIS_PER_SECOND),
        };
        let merchant = view
            .merchant(self.merchant)?
            .ok_or(Error::NotFound("merchant"))?;
        if !step_up {
            if view.balance(user.account_id)? < amount.minor() {
                return Ok(Step::Refuse(Error::InsufficientFunds));
            }
            self.writes.push(Write::Post(NewLedgerTransaction {
                kind: LedgerKind::Payment,
                reference: trade.trade_no.clone(),
                postings: amount
                    .transfer(user.account_id, merchant.account_id)
                    .to_vec(),
                created_at: now,
            }));
            trade.status = TradeStatus::Success;
            trade.paid_at = Some(now);
        }
        self.writes.push(Write::InsertTrade(trade.clone()));
        if trade.status == TradeStatus::Success && merchant.webhook.is_some() {
            if let Some(data) = self.rules.event_data {
                self.writes.push(Write::InsertEvent(NewEvent {
                    merchant_id: self.merchant,
                    kind: EventKind::TradeSucceeded,
                    data: data.new_trade(&trade),
                    created_at: now,
                }));
            }
        }
        Ok(Step::Go(BatchTrade::New(trade)))
    }
}
