//! Failed logins per username (SPEC section 4, threats in `docs/SECURITY.md`): after a few
//! free failures, each further failure makes the username wait twice as long as the last
//! (1 s, 2 s, 4 s... up to a maximum) before a password is checked again. While it waits,
//! every login for the username is refused with `RATE_LIMITED` and a retry time, without an
//! Argon2 check, whatever the password.
//!
//! Usernames that exist and usernames that do not are counted alike, so neither the answer
//! nor its delay tells them apart. An attempt is counted as failed when it starts and forgiven
//! when it succeeds, so that many attempts at once cannot all pass before the first failure is
//! counted. The counts are kept in memory by each server instance and forgotten on restart;
//! the table is bounded by [`MAX_TRACKED_USERNAMES`].

use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::{UnixMillis, MILLIS_PER_SECOND};
use crate::error::Error;
use crate::limits::{MAX_LOGIN_DELAY_DOUBLINGS, MAX_TRACKED_USERNAMES};
use crate::rate_limit::seconds_until;

/// What is known of one username's recent failures.
#[derive(Debug, Clone, Copy)]
struct Failures {
    /// Consecutive failed (or still running) attempts.
    count: u32,
    /// When the last attempt started.
    last_attempt: UnixMillis,
    /// No password is checked for the username before this moment.
    blocked_until: UnixMillis,
}

/// Consecutive failed logins per username, and the delays they earn.
#[derive(Debug)]
pub struct LoginThrottle {
    free_failures: u32,
    max_delay_millis: i64,
    usernames: Mutex<HashMap<String, Failures>>,
}

impl LoginThrottle {
    /// A throttle that lets `free_failures` consecutive failures pass without delay and then
    /// doubles the delay from one second up to `max_delay_seconds`.
    pub fn new(free_failures: u32, max_delay_seconds: u32) -> Self {
        Self {
            free_failures,
            max_delay_millis: i64::from(max_delay_seconds) * MILLIS_PER_SECOND,
            usernames: Mutex::new(HashMap::new()),
        }
    }

    /// Starts a login attempt for `username` at `now`: `RATE_LIMITED` while the username
    /// waits; otherwise the attempt is counted as a failure until [`LoginThrottle::succeeded`]
    /// forgives it.
    pub fn begin(&self, username: &str, now: UnixMillis) -> Result<(), Error> {
        let mut usernames = self
            .usernames
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(failures) = usernames.get(username) {
            if failures.blocked_until > now {
                return Err(Error::RateLimited {
                    retry_after_seconds: seconds_until(now, failures.blocked_until),
                });
            }
        }
        if !usernames.contains_key(username) && usernames.len() >= MAX_TRACKED_USERNAMES {
            self.make_room(&mut usernames, now);
        }
        let failures = usernames.entry(username.to_owned()).or_insert(Failures {
            count: 0,
            last_attempt: now,
            blocked_until: now,
        });
        failures.count = failures.count.saturating_add(1);
        failures.last_attempt = now;
        failures.blocked_until = now + self.delay_millis(failures.count);
        Ok(())
    }

    /// The attempt for `username` succeeded: its failures are forgotten.
    pub fn succeeded(&self, username: &str) {
        self.usernames
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(username);
    }

    /// The wait that `count` consecutive failures earn: none for the free ones, then one
    /// second, doubling with each failure, up to the maximum.
    fn delay_millis(&self, count: u32) -> i64 {
        let Some(over) = count.checked_sub(self.free_failures + 1) else {
            return 0;
        };
        let doublings = over.min(MAX_LOGIN_DELAY_DOUBLINGS);
        (MILLIS_PER_SECOND << doublings).min(self.max_delay_millis)
    }

    /// Forgets the usernames whose wait is over and whose last attempt is older than the
    /// longest delay; if the table is still full, the eighth of it whose waits end first, so
    /// that a spray of fresh usernames cannot push out one that is made to wait.
    fn make_room(&self, usernames: &mut HashMap<String, Failures>, now: UnixMillis) {
        let forget_before = now - self.max_delay_millis;
        usernames.retain(|_, failures| {
            failures.blocked_until > now || failures.last_attempt >= forget_before
        });
        if usernames.len() < MAX_TRACKED_USERNAMES {
            return;
        }
        let mut order: Vec<(UnixMillis, UnixMillis, String)> = usernames
            .iter()
            .map(|(username, failures)| {
                (
                    failures.blocked_until,
                    failures.last_attempt,
                    username.clone(),
                )
            })
            .collect();
        let evicted = (MAX_TRACKED_USERNAMES / 8).max(1);
        order.select_nth_unstable(evicted - 1);
        for (_, _, username) in &order[..evicted] {
            usernames.remove(username);
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.usernames.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retry_after(result: Result<(), Error>) -> Option<u64> {
        match result {
            Ok(()) => None,
            Err(Error::RateLimited {
                retry_after_seconds,
            }) => Some(retry_after_seconds),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn after_the_free_failures_each_failure_doubles_the_wait() {
        let throttle = LoginThrottle::new(3, 900);
        let mut now = 1_000_000;
        for _ in 0..3 {
            assert_eq!(retry_after(throttle.begin("alice", now)), None);
        }
        // The fourth attempt runs, and makes the next one wait a second.
        assert_eq!(retry_after(throttle.begin("alice", now)), None);
        assert_eq!(retry_after(throttle.begin("alice", now)), Some(1));
        assert_eq!(retry_after(throttle.begin("alice", now + 999)), Some(1));
        now += 1_000;
        assert_eq!(retry_after(throttle.begin("alice", now)), None);
        assert_eq!(retry_after(throttle.begin("alice", now + 1)), Some(2));
        now += 2_000;
        assert_eq!(retry_after(throttle.begin("alice", now)), None);
        assert_eq!(retry_after(throttle.begin("alice", now)), Some(4));
    }

    #[test]
    fn the_wait_stops_growing_at_the_maximum() {
        let throttle = LoginThrottle::new(0, 60);
        let mut now = 0;
        for _ in 0..100 {
            throttle.begin("alice", now).unwrap();
            now += 60_000;
        }
        assert_eq!(retry_after(throttle.begin("alice", now - 1)), Some(1));
        assert_eq!(throttle.delay_millis(u32::MAX), 60_000);
    }

    #[test]
    fn a_success_forgives_the_failures_and_other_usernames_are_not_affected() {
        let throttle = LoginThrottle::new(1, 900);
        throttle.begin("alice", 0).unwrap();
        throttle.begin("alice", 0).unwrap();
        assert!(retry_after(throttle.begin("alice", 0)).is_some());
        assert_eq!(retry_after(throttle.begin("bob", 0)), None);
        throttle.succeeded("alice");
        assert_eq!(retry_after(throttle.begin("alice", 0)), None);
    }

    #[test]
    fn concurrent_attempts_cannot_all_pass_before_one_fails() {
        // Attempts are counted when they start, so the third one at the same moment waits
        // although no attempt has finished.
        let throttle = LoginThrottle::new(1, 900);
        assert_eq!(retry_after(throttle.begin("alice", 0)), None);
        assert_eq!(retry_after(throttle.begin("alice", 0)), None);
        assert_eq!(retry_after(throttle.begin("alice", 0)), Some(1));
    }

    #[test]
    fn the_table_stays_bounded_and_keeps_usernames_still_waiting() {
        let throttle = LoginThrottle::new(0, 900);
        // The target fails ten times, each as soon as it may, and earns a long wait.
        let (mut now, mut failed) = (0, 0);
        while failed < 10 {
            match retry_after(throttle.begin("target", now)) {
                None => failed += 1,
                Some(seconds) => now += i64::try_from(seconds).unwrap() * 1_000,
            }
        }
        for index in 0..MAX_TRACKED_USERNAMES + 10 {
            // Sprayed names, each failing once, after the target's last attempt.
            throttle.begin(&format!("spray-{index}"), now).unwrap();
        }
        assert!(throttle.tracked() <= MAX_TRACKED_USERNAMES);
        assert!(retry_after(throttle.begin("target", now)).is_some());
    }
}
