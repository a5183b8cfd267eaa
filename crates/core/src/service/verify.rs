//! Verification of the code a merchant scanned (SPEC 2.2 and 2.5), inside the payment's
//! transaction so that spending the code, counting failures and moving money commit together.

use paycode_codec::{verify_offline_otp, CodeKind, OfflineCodec, PaymentCode};
use paycode_otp::{HotpKey, Secret};

use super::{device_associated_data, Paycode};
use crate::error::Error;
use crate::ids::{DeviceId, MerchantId, UserId};
use crate::limits::MAX_DRIFT_STEPS;
use crate::model::{DeviceRecord, DeviceStatus};
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

    /// Verifies and spends a code. `Ok(Err(refusal))` means: commit (the code is spent, or a
    /// failure is counted) and refuse.
    pub(super) fn verify_and_spend(
        &self,
        transaction: &mut dyn Transaction,
        merchant: MerchantId,
        code: &PaymentCode,
    ) -> super::Decision<Payer> {
        match self.codes.classify(code) {
            CodeKind::Offline(codec) => self.verify_offline(transaction, merchant, codec, code),
            CodeKind::Online => self.verify_online(transaction, code),
            CodeKind::UnknownPrefix => Ok(Err(Error::InvalidCodeFormat(
                "unknown code prefix".to_owned(),
            ))),
        }
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
        if let Some(refusal) = self.device_refusal(transaction, &mut device, merchant)? {
            return Ok(Err(refusal));
        }
        let key = self.device_hotp_key(&device)?;
        let server_step = self.clock.now_seconds() / u64::from(device.period_seconds);
        let center = server_step.saturating_add_signed(device.drift_steps);
        let skew = self.config.skew_steps;
        let Some(step) = verify_offline_otp(&key, &payload, center, skew, skew) else {
            return self.count_failure(transaction, device, merchant).map(Err);
        };
        if !transaction.spend_offline_code(device.id, step, payload.index.get(), now)? {
            transaction.insert_verification_failure(Some(device.id), merchant, "replay", now)?;
            return Ok(Err(Error::CodeUsed));
        }
        let drift = i128::from(step) - i128::from(server_step);
        device.drift_steps =
            drift.clamp(i128::from(-MAX_DRIFT_STEPS), i128::from(MAX_DRIFT_STEPS)) as i64;
        device.failed_attempts = 0;
        device.last_used_at = Some(now);
        transaction.update_device(&device)?;
        Ok(Ok(Payer {
            user: device.user_id,
        }))
    }

    /// Why a device may not pay right now, if it may not. An expired lockout is lifted here.
    fn device_refusal(
        &self,
        transaction: &mut dyn Transaction,
        device: &mut DeviceRecord,
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
                Ok(Some(Error::DeviceLocked))
            }
            Some(_) => {
                device.locked_until = None;
                device.failed_attempts = 0;
                Ok(None)
            }
            None => Ok(None),
        }
    }

    /// Counts a wrong OTP against the device, locking it at the configured count.
    fn count_failure(
        &self,
        transaction: &mut dyn Transaction,
        mut device: DeviceRecord,
        merchant: MerchantId,
    ) -> Result<Error, Error> {
        let now = self.now();
        device.failed_attempts = device.failed_attempts.saturating_add(1);
        if device.failed_attempts >= self.config.max_failed_attempts {
            device.locked_until = Some(now + Self::seconds(self.config.lockout_seconds));
            tracing::warn!(
                device = device.id.0,
                failures = device.failed_attempts,
                "device locked after failed verifications"
            );
        }
        transaction.update_device(&device)?;
        transaction.insert_verification_failure(Some(device.id), merchant, "otp_mismatch", now)?;
        Ok(Error::CodeInvalid)
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
