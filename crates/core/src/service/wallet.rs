//! The wallet's side: sessions, PIN, balance and history, devices and their provisioning,
//! online codes (SPEC sections 2.2, 2.4 and 4).

use paycode_codec::{generate_online_code, CodeKey, Prefix};
use paycode_otp::uri::{KeyUri, OtpKind};
use paycode_otp::{Algorithm, Digits, Secret};

use super::{device_associated_data, Paycode};
use crate::clock::UnixMillis;
use crate::crypto::{hash_token, new_token};
use crate::error::Error;
use crate::ids::{DeviceId, LedgerTransactionId, UserId};
use crate::limits::{DEFAULT_PAGE_SIZE, MAX_ACTIVE_DEVICES_PER_USER, MAX_PAGE_SIZE};
use crate::model::{DeviceRecord, DeviceStatus, LedgerEntry, OnlineCodeRecord, SessionRecord};
use crate::store::StoreError;
use crate::text::{Label, Password, Pin, Username};

/// Prefix of wallet session tokens, so that a leaked token is recognisable in a scan.
const SESSION_TOKEN_PREFIX: &str = "ps_";
/// Attempts to find an unused online code before giving up (a collision is already unlikely).
const ONLINE_CODE_ATTEMPTS: u32 = 5;

/// A wallet session: the bearer token is shown once and stored only as a hash.
#[derive(Debug, Clone)]
pub struct Session {
    /// The bearer token.
    pub token: String,
    /// Expiry.
    pub expires_at: UnixMillis,
}

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
    /// Logs a user in with username and password. A username with too many failed logins
    /// waits (`RATE_LIMITED`), known or not.
    pub fn login(&self, username: &str, password: &str) -> Result<Session, Error> {
        let username = Username::parse(username).map_err(|_| Error::Unauthenticated)?;
        // The place for the check is taken first: a login refused because the password pool
        // is busy reads nothing and does not count against the username.
        let check = self.passwords.reserve()?;
        self.logins.begin(username.as_str(), self.now())?;
        let user =
            self.reading(|transaction| Ok(transaction.user_by_username(username.as_str())?))?;
        // Hash even for an unknown user so that timing does not reveal which usernames exist.
        let hash = user
            .as_ref()
            .map_or(DUMMY_HASH, |user| user.password_hash.as_str());
        if !check.verify(hash, password)? {
            return Err(Error::Unauthenticated);
        }
        let user = user.ok_or(Error::Unauthenticated)?;
        self.logins.succeeded(username.as_str());
        let token = new_token(SESSION_TOKEN_PREFIX);
        let now = self.now();
        let session = SessionRecord {
            token_hash: hash_token(&token),
            user_id: user.id,
            created_at: now,
            expires_at: now + Self::seconds(self.config.session_ttl_seconds),
        };
        self.in_transaction(|transaction| Ok(transaction.insert_session(&session)?))?;
        Ok(Session {
            token,
            expires_at: session.expires_at,
        })
    }

    /// The user behind a session token, if the session is live.
    pub fn authenticate_user(&self, token: &str) -> Result<UserId, Error> {
        let hash = hash_token(token);
        let session = self.reading(|transaction| Ok(transaction.session(&hash)?))?;
        match session {
            Some(session) if session.expires_at > self.now() => Ok(session.user_id),
            _ => Err(Error::Unauthenticated),
        }
    }

    /// Sets the PIN. Changing an existing PIN needs the current one, so that a stolen session
    /// alone cannot raise itself to large payments.
    pub fn set_pin(&self, user: UserId, pin: &str, current_pin: Option<&str>) -> Result<(), Error> {
        let pin = Pin::parse(pin)?;
        let record = self
            .in_transaction(|transaction| transaction.user(user)?.ok_or(Error::Unauthenticated))?;
        if let Some(existing) = &record.pin_hash {
            let current = current_pin.ok_or_else(|| {
                Error::Forbidden("current_pin is required to change the PIN".to_owned())
            })?;
            if !self.passwords.verify(existing, current)? {
                return Err(Error::Forbidden("wrong current PIN".to_owned()));
            }
        }
        let hash = self.passwords.hash(pin.expose())?;
        self.in_transaction(|transaction| Ok(transaction.set_pin_hash(user, &hash)?))
    }

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
        let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(Error::MalformedRequest(format!(
                "limit must be 1..={MAX_PAGE_SIZE}"
            )));
        }
        self.reading(|transaction| {
            let record = transaction.user(user)?.ok_or(Error::NotFound("user"))?;
            Ok(transaction.account_history(
                record.account_id,
                before.map(LedgerTransactionId),
                limit,
            )?)
        })
    }

    /// Enrolls a new device for the user: a fresh slot and 160-bit secret.
    pub fn enroll_device(&self, user: UserId, name: Option<&str>) -> Result<Provisioning, Error> {
        let name = Label::parse_optional("name", name)?;
        let secret = Secret::generate();
        let (device, username) = self.in_transaction(|transaction| {
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

    /// Revokes one of the user's devices; its codes stop working at once. Idempotent.
    pub fn revoke_device(&self, user: UserId, id: i64) -> Result<DeviceRecord, Error> {
        self.in_transaction(|transaction| {
            let mut device = self.own_device(transaction, user, id)?;
            if device.status != DeviceStatus::Revoked {
                device.status = DeviceStatus::Revoked;
                transaction.update_device(&device)?;
            }
            Ok(device)
        })
    }

    /// Gives one of the user's devices a new secret (same slot); codes made with the old
    /// secret stop verifying. Failures and learned drift start afresh.
    pub fn rotate_device(&self, user: UserId, id: i64) -> Result<Provisioning, Error> {
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

    /// Issues an online code for the user, valid once until it expires.
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
            let record = OnlineCodeRecord {
                code_hash: self.code_hash(b"online:", &code),
                user_id: user,
                device_id: None,
                created_at: now,
                expires_at,
                used_at: None,
            };
            let stored = self.in_transaction(|transaction| {
                let mut record = record.clone();
                if let Some(id) = device {
                    let device = self.own_device(transaction, user, id)?;
                    if device.status == DeviceStatus::Revoked {
                        return Err(Error::DeviceRevoked);
                    }
                    record.device_id = Some(device.id);
                }
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
                        Error::Conflict(format!("username {} is taken", username.as_str()))
                    }
                    other => other.into(),
                })?;
            transaction
                .user(id)?
                .ok_or(Error::Internal("a new user vanished".to_owned()))
        })
    }
}

/// A valid Argon2id hash of a random password, checked against when the username is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$BwLvXPMN4dTNbsu7Q3FVxJ5iw1WTWYEnkRyQmOTfHG8";

#[cfg(test)]
mod tests {
    #[test]
    fn the_dummy_hash_parses_so_unknown_users_cost_a_real_verification() {
        assert!(argon2::password_hash::PasswordHash::new(super::DUMMY_HASH).is_ok());
    }
}
