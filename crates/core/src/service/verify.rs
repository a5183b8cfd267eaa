//! Verification of the code a merchant scanned (SPEC 2.2 and 2.5), inside the payment's
//! transaction so that spending the code, counting failures and moving money commit together.

use paycode_codec::{verify_offline_otp, CodeKind, OfflineCodec, PaymentCode};
use std::sync::atomic::Ordering;

use paycode_otp::{HotpKey, Secret};

use super::{device_associated_data, Paycode};
use crate::clock::MILLIS_PER_MINUTE;
use crate::error::Error;
use crate::ids::{DeviceId, MerchantId, UserId};
use crate::limits::MAX_DRIFT_STEPS;
use crate::model::{DeviceFailures, DeviceRecord, DeviceStatus};
use crate::store::Transaction;

/// Who a verified code belongs to.
#[derive(Debug, Clone, Copy)]
pub(super) struct Payer {
    pub user: UserId,
}

impl Paycode {
    /// Parses a scanned code and classifies its prefix, before any transaction starts.
    pub(super) fn parse_code(&self, text: &str) -> Result<PaymentCode, Error> {
        let code = PaymentCode::parse(text)
            .map_err(|error| Error::InvalidCodeFormat(error.to_string()))?;
        match self.codes.classify(&code) {
            CodeKind::UnknownPrefix => Err(Error::InvalidCodeFormat(format!(
                "unknown code prefix {}",
                code.prefix()
            ))),
            CodeKind::Online | CodeKind::Offline(_) => Ok(code),
        }
    }

    /// The device an offline code names, if it is one and decrypts; what a batch loads ahead.
    pub(super) fn offline_device(&self, code: &PaymentCode) -> Option<DeviceId> {
        match self.codes.classify(code) {
            CodeKind::Offline(codec) => {
                let payload = codec.decode(code).ok()?;
                Some(DeviceId(i64::from(payload.slot.get())))
            }
            CodeKind::Online | CodeKind::UnknownPrefix => None,
        }
    }

    /// Verifies and spends a code, counting a failure against the merchant's failure budget.
    /// `Ok(Err(refusal))` means: commit (the code is spent, or a failure is counted) and
    /// refuse.
    ///
    /// The budget is reserved before the code is verified (SPEC 2.5 point 5): the merchant's
    /// count of the current minute is locked first, and a failure is added to it in the same
    /// transaction, so a concurrent payment of the merchant, on any instance, reads the count
    /// only after this one has counted or committed. A merchant at its budget is refused
    /// without any verification.
    pub(super) fn verify_and_spend(
        &self,
        transaction: &mut dyn Transaction,
        merchant: MerchantId,
        code: &PaymentCode,
    ) -> super::Decision<Payer> {
        let minute = self.now().div_euclid(MILLIS_PER_MINUTE);
        let counted = transaction.lock_merchant_failures(merchant, minute)?;
        if counted >= self.config.merchant_failures_per_minute {
            return Ok(Err(crate::rate_limit::merchant_budget_refusal(self.now())));
        }
        let verified = match self.codes.classify(code) {
            CodeKind::Offline(codec) => self.verify_offline(transaction, merchant, codec, code)?,
            CodeKind::Online => self.verify_online(transaction, code)?,
            CodeKind::UnknownPrefix => {
                Err(Error::InvalidCodeFormat("unknown code prefix".to_owned()))
            }
        };
        if verified.is_err() {
            transaction.add_merchant_failures(merchant, minute, 1)?;
        }
        Ok(verified)
    }

    fn verify_online(
        &self,
        transaction: &mut dyn Transaction,
        code: &PaymentCode,
    ) -> super::Decision<Payer> {
        let now = self.now();
        let hash = self.code_hash(b"online:", &code.to_string());
        let Some(record) = transaction.lock_online_code(&hash)? else {
            return Ok(Err(Error::CodeInvalid));
        };
        if record.used_at.is_some() {
            return Ok(Err(Error::CodeUsed));
        }
        if record.expires_at <= now {
            return Ok(Err(Error::CodeExpired));
        }
        if !transaction.spend_online_code(&hash, now)? {
            return Ok(Err(Error::CodeUsed));
        }
        Ok(Ok(Payer {
            user: record.user_id,
        }))
    }

    fn verify_offline(
        &self,
        transaction: &mut dyn Transaction,
        merchant: MerchantId,
        codec: &OfflineCodec,
        code: &PaymentCode,
    ) -> super::Decision<Payer> {
        let now = self.now();
        let Ok(payload) = codec.decode(code) else {
            transaction.insert_verification_failure(None, merchant, "undecodable", now)?;
            return Ok(Err(Error::CodeInvalid));
        };
        let device_id = DeviceId(i64::from(payload.slot.get()));
        let Some(mut device) = transaction.lock_device(device_id)? else {
            transaction.insert_verification_failure(None, merchant, "unknown_slot", now)?;
            return Ok(Err(Error::CodeInvalid));
        };
        let counts = transaction.failures_of_device(device.id)?;
        if let Some(refusal) = self.device_refusal(transaction, &mut device, &counts, merchant)? {
            return Ok(Err(refusal));
        }
        let key = self.device_hotp_key(&device)?;
        let server_step = self.clock.now_seconds() / u64::from(device.period_seconds);
        let center = server_step.saturating_add_signed(device.drift_steps);
        let skew = self.config.skew_steps;
        let Some(step) = verify_offline_otp(&key, &payload, center, skew, skew) else {
            return self
                .count_failure(transaction, device, counts, merchant)
                .map(Err);
        };
        if !transaction.spend_offline_code(device.id, step, payload.index.get(), now)? {
            transaction.insert_verification_failure(Some(device.id), merchant, "replay", now)?;
            return Ok(Err(Error::CodeUsed));
        }
        let drift = i128::from(step) - i128::from(server_step);
        device.drift_steps =
            drift.clamp(i128::from(-MAX_DRIFT_STEPS), i128::from(MAX_DRIFT_STEPS)) as i64;
        device.last_used_at = Some(now);
        let mut counts = counts;
        if let Some(count) = counts
            .iter_mut()
            .find(|count| count.merchant_id == merchant && count.failures > 0)
        {
            // A success ends the run of failures at this merchant.
            *count = DeviceFailures::none(device.id, merchant, now);
            transaction.put_device_failures(count)?;
        }
        device.failed_attempts = self.recent_failures(&counts);
        transaction.update_device(&device)?;
        Ok(Ok(Payer {
            user: device.user_id,
        }))
    }

    /// Why a device may not pay at `merchant` right now, if it may not: it is revoked, locked
    /// everywhere, or locked at this merchant. A lockout everywhere that has ended is lifted.
    fn device_refusal(
        &self,
        transaction: &mut dyn Transaction,
        device: &mut DeviceRecord,
        counts: &[DeviceFailures],
        merchant: MerchantId,
    ) -> Result<Option<Error>, Error> {
        let now = self.now();
        if device.status == DeviceStatus::Revoked {
            transaction.insert_verification_failure(Some(device.id), merchant, "revoked", now)?;
            return Ok(Some(Error::DeviceRevoked));
        }
        match device.locked_until {
            Some(until) if until > now => {
                transaction.insert_verification_failure(
                    Some(device.id),
                    merchant,
                    "locked",
                    now,
                )?;
                return Ok(Some(Error::DeviceLocked));
            }
            Some(_) => device.locked_until = None,
            None => {}
        }
        let locked_here = counts
            .iter()
            .any(|count| count.merchant_id == merchant && count.is_locked(now));
        if locked_here {
            transaction.insert_verification_failure(
                Some(device.id),
                merchant,
                "locked_at_merchant",
                now,
            )?;
            return Ok(Some(Error::DeviceLocked));
        }
        Ok(None)
    }

    /// Counts a wrong OTP against the device at the merchant, refusing that merchant the
    /// device at `max_failed_attempts`; and at every merchant together, refusing the device
    /// everywhere at `global_failed_attempts` and alerting the operator.
    fn count_failure(
        &self,
        transaction: &mut dyn Transaction,
        mut device: DeviceRecord,
        mut counts: Vec<DeviceFailures>,
        merchant: MerchantId,
    ) -> Result<Error, Error> {
        let now = self.now();
        let lockout = Self::seconds(self.config.lockout_seconds);
        let position = match counts
            .iter()
            .position(|count| count.merchant_id == merchant)
        {
            Some(position) => position,
            None => {
                counts.push(DeviceFailures::none(device.id, merchant, now));
                counts.len() - 1
            }
        };
        let count = &mut counts[position];
        if count.failures == 0 || count.is_lapsed(now, lockout) {
            *count = DeviceFailures::none(device.id, merchant, now);
        }
        count.failures = count.failures.saturating_add(1);
        if count.failures >= self.config.max_failed_attempts {
            count.locked_until = Some(now + lockout);
            tracing::warn!(
                device = device.id.0,
                merchant = merchant.0,
                failures = count.failures,
                "device refused at one merchant after failed verifications there"
            );
        }
        transaction.put_device_failures(count)?;
        device.failed_attempts = self.recent_failures(&counts);
        let locked_everywhere = device.locked_until.is_some_and(|until| until > now);
        if device.failed_attempts >= self.config.global_failed_attempts && !locked_everywhere {
            device.locked_until = Some(now + lockout);
            self.global_lockouts.fetch_add(1, Ordering::Relaxed);
            tracing::error!(
                device = device.id.0,
                failures = device.failed_attempts,
                merchants = counts
                    .iter()
                    .filter(|count| count.is_recent(now, lockout))
                    .count(),
                "device locked at every merchant after failed verifications at many merchants; \
                 someone may be guessing its codes"
            );
        }
        transaction.update_device(&device)?;
        transaction.insert_verification_failure(Some(device.id), merchant, "otp_mismatch", now)?;
        Ok(Error::CodeInvalid)
    }

    /// The failures of the device at every merchant together within the lockout period.
    fn recent_failures(&self, counts: &[DeviceFailures]) -> u32 {
        let now = self.now();
        let lockout = Self::seconds(self.config.lockout_seconds);
        counts
            .iter()
            .filter(|count| count.is_recent(now, lockout))
            .fold(0, |total: u32, count| total.saturating_add(count.failures))
    }

    /// Decrypts a device secret and prepares its HMAC key state.
    pub(super) fn device_hotp_key(&self, device: &DeviceRecord) -> Result<HotpKey, Error> {
        let plain = self
            .keys
            .open(&device_associated_data(device.id), &device.secret)?;
        let secret = Secret::from_bytes(plain.to_vec())
            .map_err(|error| Error::Internal(error.to_string()))?;
        Ok(HotpKey::new(&secret, device.algorithm))
    }
}
