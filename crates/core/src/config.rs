//! Every tunable of the domain (SPEC sections 2 to 4), with the spec's defaults. The server
//! reads it from a TOML file; [`Config::validate`] refuses values outside the named limits.

use serde::Deserialize;

use crate::days::StatementZone;
use crate::error::Error;
use crate::limits::{
    MAX_AMOUNT_MINOR, MAX_GLOBAL_FAILED_ATTEMPTS, MAX_PASSWORD_THREADS, MAX_SKEW_STEPS,
    MAX_USER_PAYING_TIMEOUT_SECONDS, MAX_WEBHOOK_ALLOWED_HOSTS,
};
use crate::money::Currency;

/// Domain configuration. Field names are those of the TOML file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Currency of the deployment (ISO 4217).
    pub currency: Currency,
    /// Prefixes of online codes.
    pub online_prefixes: Vec<u8>,
    /// Prefixes of offline codes; the first is the one new devices are given. Each has its own
    /// code key, so adding a prefix rotates the key for new enrollments.
    pub offline_prefixes: Vec<u8>,
    /// Time step of new devices' OTPs, in seconds.
    pub period_seconds: u32,
    /// Steps accepted on each side of the server's step (plus the learned drift), at most 10.
    pub skew_steps: u64,
    /// Consecutive failed verifications of a device at one merchant that refuse that merchant
    /// the device (SPEC 2.5 point 5).
    pub max_failed_attempts: u32,
    /// Failed verifications of a device at every merchant together, within the lockout
    /// period, that refuse it everywhere and alert the operator. Far above
    /// `max_failed_attempts`, so that no one merchant can lock a device out elsewhere.
    pub global_failed_attempts: u32,
    /// How long a lockout lasts, and how long a failure counts, in seconds.
    pub lockout_seconds: u32,
    /// Failed verifications per merchant per minute before `RATE_LIMITED`.
    pub merchant_failures_per_minute: u32,
    /// How long the audit trail of failed verifications is kept, in seconds.
    pub verification_failure_retention_seconds: u32,
    /// Lifetime of an online code, in seconds.
    pub online_code_ttl_seconds: u32,
    /// Largest payment without a PIN, in minor units.
    pub pin_free_limit: i64,
    /// Largest total of pin-free payments per user per UTC day, in minor units.
    pub daily_pin_free_limit: i64,
    /// How long a `USER_PAYING` trade waits for the PIN, in seconds.
    pub user_paying_timeout_seconds: u32,
    /// How long after payment a merchant may still cancel (reverse) a trade, in seconds.
    pub cancel_window_seconds: u32,
    /// Lifetime of a wallet session, in seconds.
    pub session_ttl_seconds: u32,
    /// Issuer shown in authenticator apps for provisioned devices.
    pub issuer: String,
    /// Consecutive failed logins of a username before each further one makes it wait.
    pub login_free_failures: u32,
    /// Longest wait a username's failed logins earn, in seconds (the wait doubles from 1 s).
    pub login_max_delay_seconds: u32,
    /// Threads that hash and check passwords and PINs; half the cores (at least one) when
    /// absent.
    pub password_threads: Option<u32>,
    /// Hosts that merchants' webhooks may point at (exact names or IP addresses, compared
    /// without case); any host when empty, loopback included (SPEC section 7). An operator
    /// whose server can reach private services restricts it (docs/SECURITY.md).
    pub webhook_allowed_hosts: Vec<String>,
    /// Wait before the first retry of a failed delivery, in seconds; each further retry waits
    /// twice as long as the one before, up to `webhook_retry_max_seconds`.
    pub webhook_retry_initial_seconds: u32,
    /// Longest wait between two attempts of a delivery, in seconds.
    pub webhook_retry_max_seconds: u32,
    /// How long after an event deliveries are retried before they are given up, in seconds.
    pub webhook_give_up_seconds: u32,
    /// How long delivered and given-up events stay listed, in days.
    pub event_retention_days: u32,
    /// The IANA time zone that days are cut in (a merchant's trades of a day, the operator's
    /// summary, statements), such as `Asia/Shanghai`.
    pub time_zone: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            currency: Currency::default(),
            online_prefixes: vec![80],
            offline_prefixes: vec![81],
            period_seconds: 30,
            skew_steps: 1,
            max_failed_attempts: 10,
            global_failed_attempts: 100,
            lockout_seconds: 1_800,
            merchant_failures_per_minute: 100,
            verification_failure_retention_seconds: 30 * 86_400,
            online_code_ttl_seconds: 60,
            pin_free_limit: 100_000,
            daily_pin_free_limit: 300_000,
            user_paying_timeout_seconds: 60,
            cancel_window_seconds: 86_400,
            session_ttl_seconds: 43_200,
            issuer: "Paycode".to_owned(),
            login_free_failures: 5,
            login_max_delay_seconds: 900,
            password_threads: None,
            webhook_allowed_hosts: Vec::new(),
            webhook_retry_initial_seconds: 5,
            webhook_retry_max_seconds: 3_600,
            webhook_give_up_seconds: 86_400,
            event_retention_days: 30,
            time_zone: "UTC".to_owned(),
        }
    }
}

impl Config {
    /// Checks every value against its limit, naming the first one out of range.
    pub fn validate(&self) -> Result<(), Error> {
        let check = |ok: bool, message: &str| {
            if ok {
                Ok(())
            } else {
                Err(Error::Config(message.to_owned()))
            }
        };
        check(
            !self.online_prefixes.is_empty(),
            "online_prefixes must not be empty",
        )?;
        check(
            !self.offline_prefixes.is_empty(),
            "offline_prefixes must not be empty",
        )?;
        let all_prefixes = self.online_prefixes.iter().chain(&self.offline_prefixes);
        check(
            all_prefixes.clone().all(|prefix| *prefix <= 99),
            "prefixes are two digits, 00 to 99",
        )?;
        let mut sorted: Vec<u8> = all_prefixes.copied().collect();
        sorted.sort_unstable();
        sorted.dedup();
        check(
            sorted.len() == self.online_prefixes.len() + self.offline_prefixes.len(),
            "a prefix is listed twice, or is both online and offline",
        )?;
        check(
            (1..=3_600).contains(&self.period_seconds),
            "period_seconds must be 1..=3600",
        )?;
        check(
            self.skew_steps <= MAX_SKEW_STEPS,
            "skew_steps must be at most 10",
        )?;
        check(
            (1..=1_000).contains(&self.max_failed_attempts),
            "max_failed_attempts must be 1..=1000",
        )?;
        check(
            self.global_failed_attempts > self.max_failed_attempts
                && self.global_failed_attempts <= MAX_GLOBAL_FAILED_ATTEMPTS,
            "global_failed_attempts must be above max_failed_attempts and at most 100000",
        )?;
        check(
            self.lockout_seconds >= 1,
            "lockout_seconds must be positive",
        )?;
        check(
            self.verification_failure_retention_seconds >= 3_600,
            "verification_failure_retention_seconds must be at least 3600",
        )?;
        check(
            self.merchant_failures_per_minute >= 1,
            "merchant_failures_per_minute must be positive",
        )?;
        check(
            (1..=3_600).contains(&self.online_code_ttl_seconds),
            "online_code_ttl_seconds must be 1..=3600",
        )?;
        check(
            (0..=MAX_AMOUNT_MINOR).contains(&self.pin_free_limit),
            "pin_free_limit out of range",
        )?;
        check(
            (0..=MAX_AMOUNT_MINOR).contains(&self.daily_pin_free_limit),
            "daily_pin_free_limit out of range",
        )?;
        check(
            (1..=MAX_USER_PAYING_TIMEOUT_SECONDS).contains(&self.user_paying_timeout_seconds),
            "user_paying_timeout_seconds must be 1..=3600",
        )?;
        check(
            self.session_ttl_seconds >= 60,
            "session_ttl_seconds must be at least 60",
        )?;
        check(
            !self.issuer.is_empty() && !self.issuer.contains(':'),
            "issuer must be non-empty without ':'",
        )?;
        check(
            (1..=100).contains(&self.login_free_failures),
            "login_free_failures must be 1..=100",
        )?;
        check(
            (1..=86_400).contains(&self.login_max_delay_seconds),
            "login_max_delay_seconds must be 1..=86400",
        )?;
        check(
            self.password_threads
                .is_none_or(|threads| (1..=MAX_PASSWORD_THREADS).contains(&threads)),
            "password_threads must be 1..=64",
        )?;
        check(
            (1..=60).contains(&self.webhook_retry_initial_seconds),
            "webhook_retry_initial_seconds must be 1..=60 (SPEC 7: the first retry within 10 s by default)",
        )?;
        check(
            (self.webhook_retry_initial_seconds..=86_400).contains(&self.webhook_retry_max_seconds),
            "webhook_retry_max_seconds must be at least webhook_retry_initial_seconds and at most 86400",
        )?;
        check(
            (60..=7 * 86_400).contains(&self.webhook_give_up_seconds),
            "webhook_give_up_seconds must be 60..=604800",
        )?;
        check(
            (1..=3_650).contains(&self.event_retention_days)
                && u64::from(self.event_retention_days) * 86_400
                    > u64::from(self.webhook_give_up_seconds),
            "event_retention_days must be 1..=3650 and longer than webhook_give_up_seconds",
        )?;
        check(
            self.webhook_allowed_hosts.len() <= MAX_WEBHOOK_ALLOWED_HOSTS
                && self
                    .webhook_allowed_hosts
                    .iter()
                    .all(|host| !host.is_empty() && host.len() <= 253),
            "webhook_allowed_hosts: at most 1000 host names of 1 to 253 bytes",
        )?;
        StatementZone::parse(&self.time_zone)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_those_of_the_spec_and_valid() {
        let config = Config::default();
        assert!(config.validate().is_ok());
        assert_eq!(
            (
                config.skew_steps,
                config.max_failed_attempts,
                config.lockout_seconds
            ),
            (1, 10, 1_800)
        );
        assert_eq!(
            (config.pin_free_limit, config.daily_pin_free_limit),
            (100_000, 300_000)
        );
        assert_eq!(
            (
                config.global_failed_attempts,
                config.merchant_failures_per_minute
            ),
            (100, 100)
        );
    }

    #[test]
    fn a_global_count_at_or_below_the_count_of_one_merchant_is_refused() {
        for global_failed_attempts in [0, 9, 10, MAX_GLOBAL_FAILED_ATTEMPTS + 1] {
            let config = Config {
                global_failed_attempts,
                ..Config::default()
            };
            assert!(config.validate().is_err(), "{global_failed_attempts}");
        }
        let short_retention = Config {
            verification_failure_retention_seconds: 60,
            ..Config::default()
        };
        assert!(short_retention.validate().is_err());
    }

    #[test]
    fn overlapping_prefixes_and_wide_windows_are_refused() {
        let overlapping = Config {
            online_prefixes: vec![81],
            ..Config::default()
        };
        assert!(overlapping.validate().is_err());
        let wide = Config {
            skew_steps: 11,
            ..Config::default()
        };
        assert!(wide.validate().is_err());
    }

    #[test]
    fn login_throttling_and_password_threads_are_bounded() {
        for bad in [
            Config {
                login_free_failures: 0,
                ..Config::default()
            },
            Config {
                login_max_delay_seconds: 0,
                ..Config::default()
            },
            Config {
                password_threads: Some(0),
                ..Config::default()
            },
            Config {
                password_threads: Some(65),
                ..Config::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        let config = Config::default();
        assert_eq!(
            (config.login_free_failures, config.login_max_delay_seconds),
            (5, 900)
        );
    }

    #[test]
    fn days_are_utc_by_default_and_an_unknown_time_zone_is_refused() {
        assert_eq!(Config::default().time_zone, "UTC");
        let shanghai = Config {
            time_zone: "Asia/Shanghai".to_owned(),
            ..Config::default()
        };
        assert!(shanghai.validate().is_ok());
        let unknown = Config {
            time_zone: "Asia/Atlantis".to_owned(),
            ..Config::default()
        };
        let error = unknown.validate().unwrap_err();
        assert!(error.to_string().contains("Asia/Atlantis"), "{error}");
    }
}
