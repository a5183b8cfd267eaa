//! Wallet devices: their sealed secrets, what the server has learned about each, their
//! failure counts at merchants, and the online codes handed to them.

use paycode_otp::Algorithm;

use crate::clock::UnixMillis;
use crate::ids::{DeviceId, MerchantId, UserId};

/// A device secret encrypted at rest with AES-256-GCM under a master key.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret {
    /// Which master key encrypted it (so keys can be rotated by re-encrypting).
    pub key_id: u32,
    /// The 96-bit GCM nonce.
    pub nonce: Vec<u8>,
    /// Ciphertext and tag.
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for SealedSecret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "SealedSecret(key {}, {} bytes)",
            self.key_id,
            self.ciphertext.len()
        )
    }
}

/// Whether a device may still pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    /// Enrolled and usable (unless locked for a while).
    Active,
    /// Revoked by its owner; its slot is never reused.
    Revoked,
}

impl DeviceStatus {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::Active => "active",
            DeviceStatus::Revoked => "revoked",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(DeviceStatus::Active),
            "revoked" => Some(DeviceStatus::Revoked),
            _ => None,
        }
    }
}

/// An enrolled wallet device: the secret it shares with the server and what the server has
/// learned about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// Id, equal to the device slot `D` inside offline codes.
    pub id: DeviceId,
    /// Owner.
    pub user_id: UserId,
    /// Name given by the owner.
    pub name: Option<String>,
    /// HMAC algorithm of its OTPs.
    pub algorithm: Algorithm,
    /// Time step in seconds.
    pub period_seconds: u32,
    /// The encrypted secret.
    pub secret: SealedSecret,
    /// Active or revoked.
    pub status: DeviceStatus,
    /// Failed verifications counted at every merchant together within the lockout period
    /// (the sum of the live [`DeviceFailures`] counts), as of the device's last verification.
    pub failed_attempts: u32,
    /// Refused at every merchant until this time, if the count at every merchant together
    /// reached `global_failed_attempts` (SPEC 2.5 point 5).
    pub locked_until: Option<UnixMillis>,
    /// Learned clock drift of the wallet, in steps (RFC 6238 section 6).
    pub drift_steps: i64,
    /// Creation time.
    pub created_at: UnixMillis,
    /// Last successful verification.
    pub last_used_at: Option<UnixMillis>,
}

/// A device's failed verifications at one merchant (SPEC 2.5 point 5). The count starts at
/// its first failure and lapses `lockout_seconds` later; a success at the merchant clears it.
/// When it reaches `max_failed_attempts` that merchant, and only that one, is refused the
/// device until `locked_until`. The device's lock guards these counts: whoever reads or
/// writes them holds the device locked ([`crate::store::PaymentStore::lock_device`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceFailures {
    /// The device whose codes failed.
    pub device_id: DeviceId,
    /// The merchant that presented them.
    pub merchant_id: MerchantId,
    /// Failures since `since`, with no success at this merchant in between.
    pub failures: u32,
    /// When the first of those failures happened.
    pub since: UnixMillis,
    /// Until when the merchant is refused the device, if it is.
    pub locked_until: Option<UnixMillis>,
}

impl DeviceFailures {
    /// No failures of `device` at `merchant`, as a count starting at `now`.
    pub fn none(device_id: DeviceId, merchant_id: MerchantId, now: UnixMillis) -> Self {
        Self {
            device_id,
            merchant_id,
            failures: 0,
            since: now,
            locked_until: None,
        }
    }

    /// Whether the count is over at `now`, so that the next failure starts a new one: the
    /// lockout it led to has ended, or, without a lockout, its lockout period has passed
    /// since its first failure.
    pub fn is_lapsed(&self, now: UnixMillis, lockout_millis: i64) -> bool {
        match self.locked_until {
            Some(until) => until <= now,
            None => self.since <= now - lockout_millis,
        }
    }

    /// Whether the merchant is refused the device at `now`.
    pub fn is_locked(&self, now: UnixMillis) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }

    /// Whether its failures happened within the lockout period before `now`, and so count
    /// towards the device's count at every merchant.
    pub fn is_recent(&self, now: UnixMillis, lockout_millis: i64) -> bool {
        self.since > now - lockout_millis
    }
}

/// An online code handed to a wallet; only a keyed hash of the code is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineCodeRecord {
    /// HMAC-SHA256 of the code under the deployment's code hash key.
    pub code_hash: Vec<u8>,
    /// Owner.
    pub user_id: UserId,
    /// The device that asked for it, if any.
    pub device_id: Option<DeviceId>,
    /// Creation time.
    pub created_at: UnixMillis,
    /// Expiry.
    pub expires_at: UnixMillis,
    /// When it was accepted, if it was.
    pub used_at: Option<UnixMillis>,
}
