//! Who may act for a user: logging in and the sessions it makes, and the checks of the PIN or
//! password that sensitive changes need, counted against the user's limit of wrong PINs
//! (SPEC section 4).

use super::Paycode;
use crate::clock::UnixMillis;
use crate::crypto::{hash_token, new_token};
use crate::error::Error;
use crate::ids::{SessionId, UserId};
use crate::limits::{
    MAX_PIN_FAILURES, MAX_USER_AGENT_BYTES, PIN_LOCKOUT_SECONDS, SESSION_TOUCH_INTERVAL_SECONDS,
};
use crate::model::{NewSession, PinAttempts, SessionRecord};
use crate::text::{Pin, Username};

/// Prefix of wallet session tokens, so that a leaked token is recognisable in a scan.
const SESSION_TOKEN_PREFIX: &str = "ps_";

/// A wallet session: the bearer token is shown once and stored only as a hash.
#[derive(Debug, Clone)]
pub struct Session {
    /// The bearer token.
    pub token: String,
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
    pub(super) fn proof_for_change<'a>(
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
