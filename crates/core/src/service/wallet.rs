//! The wallet's side: balance and history, devices and their provisioning, online codes (SPEC
//! sections 2.2, 2.4 and 4). Logging in, sessions and PIN checks are in `credentials`.

use paycode_codec::{generate_online_code, CodeKey, Prefix};
use paycode_otp::uri::{KeyUri, OtpKind};
use paycode_otp::{Algorithm, Digits, Secret};

use super::{device_associated_data, Paycode};
use crate::clock::UnixMillis;
use crate::error::Error;
use crate::ids::{DeviceId, LedgerTransactionId, UserId};
use crate::limits::MAX_ACTIVE_DEVICES_PER_USER;
use crate::model::{DeviceRecord, DeviceStatus, LedgerEntry, OnlineCodeRecord};
use crate::store::StoreError;
use crate::text::{Label, Password, Username};

/// Attempts to find an unused online code before giving up (a collision is already unlikely).
const ONLINE_CODE_ATTEMPTS: u32 = 5;

/// What a wallet needs to make offline codes (SPEC 2.4).
pub struct Provisioning {
    /// The enrolled device.
    pub device: DeviceRecord,
    /// The device secret.
    pub secret: Secret,
    /// Digits of the OTP inside offline codes (always 6).
    pub digits: Digits,
    /// The offline prefix the device uses.
    pub prefix: Prefix,
    /// That prefix's code key.
    pub code_key: CodeKey,
    /// Everything above as one key URI.
    pub uri: String,
}

impl std::fmt::Debug for Provisioning {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Provisioning")
            .field("device", &self.device.id)
            .finish_non_exhaustive()
    }
}

/// An online code handed to a wallet.
#[derive(Debug, Clone)]
pub struct OnlineCode {
    /// The 18 digits.
    pub code: String,
    /// Expiry.
    pub expires_at: UnixMillis,
}

impl Paycode {
    /// The user's balance in minor units.
    pub fn user_balance(&self, user: UserId) -> Result<i64, Error> {
        self.reading(|transaction| {
            let record = transaction.user(user)?.ok_or(Error::NotFound("user"))?;
            Ok(transaction.lock_balance(record.account_id)?)
        })
    }

    /// The user's ledger history, newest first, paged by transaction id.
    pub fn user_history(
        &self,
        user: UserId,
        before: Option<i64>,
        limit: Option<u32>,
    ) -> Result<Vec<LedgerEntry>, Error> {
        let limit = super::admin::page_limit(limit)?;
        self.reading(|transaction| {
            let record = transaction.user(user)?.ok_or(Error::NotFound("user"))?;
            Ok(transaction.account_history(
                record.account_id,
                before.map(LedgerTransactionId),
                limit,
            )?)
        })
    }

    /// Enrolls a new device for the user: a fresh slot and 160-bit secret. The user proves
    /// who they are with the PIN (or the password while no PIN is set), so that a stolen
    /// session alone cannot mint a device secret.
    pub fn enroll_device(
        &self,
        user: UserId,
        name: Option<&str>,
        pin: Option<&str>,
        password: Option<&str>,
    ) -> Result<Provisioning, Error> {
        Label::parse_optional("name", name)?;
        let proof = self.proof_for_change(user, pin, password)?;
        self.check_user_secret(user, proof)?;
        self.enroll_device_unchecked(user, name)
    }

    /// Enrolls a device without asking the user for a PIN or password: for callers that
    /// stand for the operator rather than the user (the load generator filling a database).
    /// Requests from wallets go through [`Paycode::enroll_device`].
    pub fn enroll_device_unchecked(
        &self,
        user: UserId,
        name: Option<&str>,
    ) -> Result<Provisioning, Error> {
        let name = Label::parse_optional("name", name)?;
        let secret = Secret::generate();
        let (device, username) = self.in_transaction(|transaction| {
            // Locking the user's row serializes concurrent enrollments of one user, so that
            // they cannot together pass the cap on active devices.
            transaction
                .lock_pin_attempts(user)?
                .ok_or(Error::NotFound("user"))?;
            let record = transaction.user(user)?.ok_or(Error::NotFound("user"))?;
            let active = transaction
                .devices_of_user(user)?
                .iter()
                .filter(|device| device.status == DeviceStatus::Active)
                .count();
            if active >= MAX_ACTIVE_DEVICES_PER_USER {
                return Err(Error::LimitExceeded(format!(
                    "at most {MAX_ACTIVE_DEVICES_PER_USER} active devices per user"
                )));
            }
            let id = transaction.allocate_device_slot()?;
            let device = DeviceRecord {
                id,
                user_id: user,
                name: name.as_ref().map(|label| label.as_str().to_owned()),
                algorithm: Algorithm::Sha1,
                period_seconds: self.config.period_seconds,
                secret: self
                    .keys
                    .seal(&device_associated_data(id), secret.expose_bytes())?,
                status: DeviceStatus::Active,
                failed_attempts: 0,
                locked_until: None,
                drift_steps: 0,
                created_at: self.now(),
                last_used_at: None,
            };
            transaction.insert_device(&device)?;
            Ok((device, record.username))
        })?;
        Ok(self.provisioning(device, secret, &username))
    }

    fn provisioning(&self, device: DeviceRecord, secret: Secret, username: &str) -> Provisioning {
        let (prefix, code_key) = (self.enrollment.0, self.enrollment.1.clone());
        let uri = KeyUri {
            kind: OtpKind::Totp {
                period_seconds: device.period_seconds,
            },
            issuer: Some(self.config.issuer.clone()),
            account: username.to_owned(),
            secret: secret.clone(),
            algorithm: device.algorithm,
            digits: Digits::SIX,
            extra: vec![
                ("slot".to_owned(), device.id.0.to_string()),
                ("prefix".to_owned(), prefix.to_string()),
                ("codekey".to_owned(), code_key.to_base32()),
            ],
        };
        Provisioning {
            device,
            secret,
            digits: Digits::SIX,
            prefix,
            code_key,
            uri: uri.to_uri(),
        }
    }

    /// The user's devices, revoked ones included.
    pub fn devices(&self, user: UserId) -> Result<Vec<DeviceRecord>, Error> {
        self.reading(|transaction| Ok(transaction.devices_of_user(user)?))
    }

    fn own_device(
        &self,
        transaction: &mut dyn crate::store::Transaction,
        user: UserId,
        id: i64,
    ) -> Result<DeviceRecord, Error> {
        transaction
            .lock_device(DeviceId(id))?
            .filter(|device| device.user_id == user)
            .ok_or(Error::NotFound("device"))
    }

    /// Revokes one of the user's devices; its codes, offline and online, stop working at once.
    /// Idempotent.
    pub fn revoke_device(&self, user: UserId, id: i64) -> Result<DeviceRecord, Error> {
        self.in_transaction(|transaction| {
            let device = self.own_device(transaction, user, id)?;
            self.revoke_locked_device(transaction, device)
        })
    }

    /// Revokes a device locked by the caller's transaction, with its unused online codes.
    pub(super) fn revoke_locked_device(
        &self,
        transaction: &mut dyn crate::store::Transaction,
        mut device: DeviceRecord,
    ) -> Result<DeviceRecord, Error> {
        if device.status != DeviceStatus::Revoked {
            device.status = DeviceStatus::Revoked;
            transaction.update_device(&device)?;
            transaction.expire_online_codes_of_device(device.id, self.now())?;
        }
        Ok(device)
    }

    /// Gives one of the user's devices a new secret (same slot); codes made with the old
    /// secret stop verifying. Failures and learned drift start afresh. Like enrolling, it needs
    /// the PIN (or the password while no PIN is set).
    pub fn rotate_device(
        &self,
        user: UserId,
        id: i64,
        pin: Option<&str>,
        password: Option<&str>,
    ) -> Result<Provisioning, Error> {
        let proof = self.proof_for_change(user, pin, password)?;
        self.check_user_secret(user, proof)?;
        let secret = Secret::generate();
        let (device, username) = self.in_transaction(|transaction| {
            let mut device = self.own_device(transaction, user, id)?;
            if device.status == DeviceStatus::Revoked {
                return Err(Error::DeviceRevoked);
            }
            device.secret = self
                .keys
                .seal(&device_associated_data(device.id), secret.expose_bytes())?;
            device.failed_attempts = 0;
            device.locked_until = None;
            device.drift_steps = 0;
            transaction.update_device(&device)?;
            let username = transaction
                .user(user)?
                .ok_or(Error::NotFound("user"))?
                .username;
            Ok((device, username))
        })?;
        Ok(self.provisioning(device, secret, &username))
    }

    /// Issues an online code for the user, valid once until it expires. It is bound to an
    /// active device of the user (the one named, else the user's only active one) and dies
    /// with that device's revocation.
    pub fn issue_online_code(
        &self,
        user: UserId,
        device: Option<i64>,
    ) -> Result<OnlineCode, Error> {
        let prefix = self.online_prefix()?;
        let now = self.now();
        let expires_at = now + Self::seconds(self.config.online_code_ttl_seconds);
        for _ in 0..ONLINE_CODE_ATTEMPTS {
            let code = generate_online_code(prefix, &mut rand::rngs::OsRng).to_string();
            let stored = self.in_transaction(|transaction| {
                let device = self.active_device_for_online_code(transaction, user, device)?;
                let record = OnlineCodeRecord {
                    code_hash: self.code_hash(b"online:", &code),
                    user_id: user,
                    device_id: Some(device),
                    created_at: now,
                    expires_at,
                    used_at: None,
                };
                match transaction.insert_online_code(&record) {
                    Ok(()) => Ok(true),
                    Err(StoreError::Duplicate(_)) => Ok(false),
                    Err(other) => Err(other.into()),
                }
            })?;
            if stored {
                return Ok(OnlineCode { code, expires_at });
            }
        }
        Err(Error::Internal(
            "could not find an unused online code".to_owned(),
        ))
    }

    /// The device an online code is bound to, locked so that a revocation cannot slip between
    /// this check and the code's insertion.
    fn active_device_for_online_code(
        &self,
        transaction: &mut dyn crate::store::Transaction,
        user: UserId,
        named: Option<i64>,
    ) -> Result<DeviceId, Error> {
        if let Some(id) = named {
            let device = self.own_device(transaction, user, id)?;
            return match device.status {
                DeviceStatus::Revoked => Err(Error::DeviceRevoked),
                _ => Ok(device.id),
            };
        }
        let active: Vec<DeviceId> = transaction
            .devices_of_user(user)?
            .iter()
            .filter(|device| device.status != DeviceStatus::Revoked)
            .map(|device| device.id)
            .collect();
        match active.as_slice() {
            [] => Err(Error::Forbidden(
                "online codes need an enrolled device; enroll this phone first".to_owned(),
            )),
            [only] => transaction
                .lock_device(*only)?
                .map(|device| device.id)
                .ok_or(Error::NotFound("device")),
            _ => Err(Error::MalformedRequest(
                "device_id is required: the user has several active devices".to_owned(),
            )),
        }
    }

    fn online_prefix(&self) -> Result<Prefix, Error> {
        let number = *self
            .config
            .online_prefixes
            .first()
            .ok_or_else(|| Error::Config("no online prefix".to_owned()))?;
        Prefix::new(number).map_err(|error| Error::Config(error.to_string()))
    }

    /// Creates a user with a password (admin call).
    pub fn create_user(
        &self,
        username: &str,
        password: &str,
    ) -> Result<crate::model::UserRecord, Error> {
        let username = Username::parse(username)?;
        let password_hash = self.passwords.hash(Password::parse(password)?.expose())?;
        self.in_transaction(|transaction| {
            let now = self.now();
            let account = transaction.insert_account(crate::model::AccountKind::User, now)?;
            let id = transaction
                .insert_user(username.as_str(), &password_hash, account, now)
                .map_err(|error| match error {
                    StoreError::Duplicate(_) => {
                        Error::NameTaken(format!("username {} is taken", username.as_str()))
                    }
                    other => other.into(),
                })?;
            transaction
                .user(id)?
                .ok_or(Error::Internal("a new user vanished".to_owned()))
        })
    }
}
