//! The wallet's side: sessions, PIN, balance and history, devices and their provisioning,
//! online codes (SPEC sections 2.2, 2.4 and 4).

use paycode_codec::{generate_online_code, CodeKey, Prefix};
use paycode_otp::uri::{KeyUri, OtpKind};
use paycode_otp::{Algorithm, Digits, Secret};

use super::{device_associated_data, Paycode};
use crate::clock::UnixMillis;
use crate::crypto::{hash_token, new_token};
use crate::error::Error;
use crate::ids::SessionId;
use crate::ids::{DeviceId, LedgerTransactionId, UserId};
use crate::limits::{
    MAX_ACTIVE_DEVICES_PER_USER, MAX_PIN_FAILURES, MAX_USER_AGENT_BYTES, PIN_LOCKOUT_SECONDS,
    SESSION_TOUCH_INTERVAL_SECONDS,
};
use crate::model::{
    DeviceRecord, DeviceStatus, LedgerEntry, NewSession, OnlineCodeRecord, PinAttempts,
    SessionRecord,
};
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
    /// Logs a user in with username and password; `user_agent` is kept with the session so
    /// that the user can tell their sessions apart.
    pub fn login(
        &self,
        username: &str,
        password: &str,
        user_agent: Option<&str>,
    ) -> Result<Session, Error> {
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
        let session = NewSession {
            token_hash: hash_token(&token),
            user_id: user.id,
            created_at: now,
            expires_at: now + Self::seconds(self.config.session_ttl_seconds),
            user_agent: user_agent.map(bounded_user_agent),
        };
        self.in_transaction(|transaction| Ok(transaction.insert_session(&session)?))?;
        Ok(Session {
            token,
            expires_at: session.expires_at,
        })
    }

    /// The user behind a session token, if the session is live.
    pub fn authenticate_user(&self, token: &str) -> Result<UserId, Error> {
        Ok(self.authenticate_session(token)?.user_id)
    }

    /// The live session behind a token. Its last use is recorded at most once a minute.
    pub fn authenticate_session(&self, token: &str) -> Result<SessionRecord, Error> {
        let hash = hash_token(token);
        let now = self.now();
        let session = self
            .reading(|transaction| Ok(transaction.session(&hash)?))?
            .filter(|session| session.expires_at > now)
            .ok_or(Error::Unauthenticated)?;
        if now - session.last_used_at >= Self::seconds(SESSION_TOUCH_INTERVAL_SECONDS) {
            self.in_transaction(|transaction| Ok(transaction.touch_session(session.id, now)?))?;
        }
        Ok(session)
    }

    /// The user's live sessions, oldest first.
    pub fn sessions(&self, user: UserId) -> Result<Vec<SessionRecord>, Error> {
        let now = self.now();
        let mut sessions = self.reading(|transaction| Ok(transaction.sessions_of_user(user)?))?;
        sessions.retain(|session| session.expires_at > now);
        Ok(sessions)
    }

    /// Ends one of the user's sessions (logging out when it is the current one).
    pub fn end_session(&self, user: UserId, id: i64) -> Result<(), Error> {
        let ended = self
            .in_transaction(|transaction| Ok(transaction.delete_session(user, SessionId(id))?))?;
        if ended {
            Ok(())
        } else {
            Err(Error::NotFound("session"))
        }
    }

    /// Ends every session of the user but `keep`; returns how many were ended.
    pub fn end_other_sessions(&self, user: UserId, keep: SessionId) -> Result<u64, Error> {
        self.in_transaction(|transaction| Ok(transaction.delete_other_sessions(user, keep)?))
    }

    /// Checks a PIN or password of the user against the user's count of wrong PINs: over
    /// every check of the user and every instance, [`MAX_PIN_FAILURES`] wrong in a row refuse
    /// all of them with `PIN_LOCKED` for [`PIN_LOCKOUT_SECONDS`]. The check is counted as wrong
    /// before the slow hash is compared (so that concurrent guesses cannot overshoot the
    /// limit) and the count is cleared when it proves right. The hash runs outside any
    /// transaction, so that it never holds a database lock.
    pub(super) fn check_user_secret(
        &self,
        user: UserId,
        secret: UserSecret<'_>,
    ) -> Result<(), Error> {
        match self.verify_user_secret(user, secret)? {
            SecretCheck::Right => Ok(()),
            wrong => Err(wrong.refusal(secret)),
        }
    }

    /// [`Paycode::check_user_secret`], answering a wrong secret as a value, for callers that
    /// count it elsewhere too (a trade's own PIN attempts).
    pub(super) fn verify_user_secret(
        &self,
        user: UserId,
        secret: UserSecret<'_>,
    ) -> Result<SecretCheck, Error> {
        // The place on the password pool is taken first: a check refused because the pool is
        // busy (`RATE_LIMITED`) is not counted as a wrong PIN.
        let place = self.passwords.reserve()?;
        let (hash, locks) = self.in_transaction(|transaction| {
            let mut attempts = transaction
                .lock_pin_attempts(user)?
                .ok_or(Error::Unauthenticated)?;
            let now = self.now();
            match attempts.locked_until {
                Some(until) if until > now => return Err(Error::PinLocked),
                Some(_) => attempts = PinAttempts::default(),
                None => {}
            }
            let record = transaction.user(user)?.ok_or(Error::Unauthenticated)?;
            let hash = match secret {
                UserSecret::Pin(_) => record
                    .pin_hash
                    .ok_or_else(|| Error::Forbidden("set a PIN first".to_owned()))?,
                UserSecret::Password(_) => record.password_hash,
            };
            attempts.failures = attempts.failures.saturating_add(1);
            let locks = attempts.failures >= MAX_PIN_FAILURES;
            if locks {
                attempts.locked_until = Some(now + Self::seconds(PIN_LOCKOUT_SECONDS));
            }
            transaction.put_pin_attempts(user, &attempts)?;
            Ok((hash, locks))
        })?;
        let plain = match secret {
            UserSecret::Pin(pin) => pin,
            UserSecret::Password(password) => password,
        };
        if place.verify(&hash, plain)? {
            self.in_transaction(|transaction| {
                Ok(transaction.put_pin_attempts(user, &PinAttempts::default())?)
            })?;
            return Ok(SecretCheck::Right);
        }
        if locks {
            tracing::warn!(user = user.0, "PIN checks locked after wrong PINs in a row");
        }
        Ok(SecretCheck::Wrong { locked: locks })
    }

    /// The secret a user proves who they are with for a sensitive change: the PIN, or the
    /// password while the user has no PIN (SPEC 4).
    fn proof_for_change<'a>(
        &self,
        user: UserId,
        pin: Option<&'a str>,
        password: Option<&'a str>,
    ) -> Result<UserSecret<'a>, Error> {
        let has_pin = self
            .reading(|transaction| Ok(transaction.user(user)?))?
            .ok_or(Error::Unauthenticated)?
            .pin_hash
            .is_some();
        match (has_pin, pin, password) {
            (true, Some(pin), _) => Ok(UserSecret::Pin(Pin::parse(pin)?.expose())),
            (true, None, _) => Err(Error::Forbidden(
                "this needs the PIN (field `pin`)".to_owned(),
            )),
            (false, _, Some(password)) => Ok(UserSecret::Password(password)),
            (false, _, None) => Err(Error::Forbidden(
                "this needs the password (field `password`) while no PIN is set".to_owned(),
            )),
        }
    }

    /// Sets the PIN. Changing an existing PIN needs the current one, so that a stolen session
    /// alone cannot raise itself to large payments; that check counts against the user's
    /// wrong-PIN limit like every other.
    pub fn set_pin(&self, user: UserId, pin: &str, current_pin: Option<&str>) -> Result<(), Error> {
        let pin = Pin::parse(pin)?;
        let record =
            self.reading(|transaction| transaction.user(user)?.ok_or(Error::Unauthenticated))?;
        if record.pin_hash.is_some() {
            let current = current_pin.ok_or_else(|| {
                Error::Forbidden("current_pin is required to change the PIN".to_owned())
            })?;
            let current = Pin::parse(current)
                .map_err(|_| Error::Forbidden("wrong current PIN".to_owned()))?;
            self.check_user_secret(user, UserSecret::Pin(current.expose()))?;
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

/// A secret a user proves who they are with.
#[derive(Clone, Copy)]
pub(super) enum UserSecret<'a> {
    /// The PIN, already parsed as 6 to 12 digits.
    Pin(&'a str),
    /// The login password.
    Password(&'a str),
}

/// How a check of a user's secret came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SecretCheck {
    /// The secret was right; the count of wrong ones is cleared.
    Right,
    /// The secret was wrong and counted; `locked` when this one reached the limit.
    Wrong {
        /// The user's PIN checks are now locked.
        locked: bool,
    },
}

impl SecretCheck {
    /// The refusal a wrong secret is answered with.
    pub(super) fn refusal(self, secret: UserSecret<'_>) -> Error {
        match (self, secret) {
            (SecretCheck::Wrong { locked: true }, _) => Error::PinLocked,
            (_, UserSecret::Pin(_)) => Error::Forbidden("wrong PIN".to_owned()),
            (_, UserSecret::Password(_)) => Error::Forbidden("wrong password".to_owned()),
        }
    }
}

/// A `User-Agent` cut to [`MAX_USER_AGENT_BYTES`] at a character boundary, with control
/// characters dropped.
fn bounded_user_agent(agent: &str) -> String {
    let mut bounded = String::new();
    for character in agent.chars().filter(|character| !character.is_control()) {
        if bounded.len() + character.len_utf8() > MAX_USER_AGENT_BYTES {
            break;
        }
        bounded.push(character);
    }
    bounded
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
