//! TOTP, the time-based one-time password of RFC 6238.
//!
//! Time is always a parameter (seconds since the Unix epoch), never read from a clock, so the
//! same inputs always give the same code. Time steps are 64-bit and counted from T0 = 0, so
//! codes stay correct past 2038 and at t = 2e10.

use crate::hotp::{parse_code, values_match};
pub use crate::limits::MAX_WINDOW_STEPS;
use crate::limits::{MAX_PERIOD_SECONDS, MIN_PERIOD_SECONDS};
use crate::{Algorithm, Digits, Error, HotpKey, Secret};

/// Everything besides the secret that decides a TOTP code.
///
/// [`TotpParams::new`] checks the period; the fields are public for reading and for struct
/// literals in tests, and the functions of this module assert that the period is not zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TotpParams {
    /// The hash under HMAC.
    pub algorithm: Algorithm,
    /// The number of digits in a code.
    pub digits: Digits,
    /// The length of one time step (`X` in RFC 6238), 1..=3600 seconds.
    pub period_seconds: u32,
}

impl TotpParams {
    /// Checks that the period is within 1..=3600 seconds.
    pub fn new(
        algorithm: Algorithm,
        digits: Digits,
        period_seconds: u32,
    ) -> Result<TotpParams, Error> {
        if !(MIN_PERIOD_SECONDS..=MAX_PERIOD_SECONDS).contains(&period_seconds) {
            return Err(Error::InvalidPeriod {
                period_seconds: u64::from(period_seconds),
            });
        }
        Ok(TotpParams {
            algorithm,
            digits,
            period_seconds,
        })
    }
}

impl Default for TotpParams {
    /// SHA1, 6 digits, 30 seconds: what every authenticator app assumes.
    fn default() -> Self {
        TotpParams {
            algorithm: Algorithm::Sha1,
            digits: Digits::SIX,
            period_seconds: 30,
        }
    }
}

/// How many time steps before and after the current one a code may come from, to allow for
/// clock drift and for the time a user takes to type (RFC 6238 section 5.2).
///
/// Each side is capped at [`MAX_WINDOW_STEPS`] when searching, whatever is asked for here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    /// Steps accepted before the center step (codes from a slow clock or a slow user).
    pub behind_steps: u64,
    /// Steps accepted after the center step (codes from a fast clock).
    pub ahead_steps: u64,
}

impl Window {
    /// The same number of steps on both sides.
    pub fn symmetric(steps: u64) -> Window {
        Window {
            behind_steps: steps,
            ahead_steps: steps,
        }
    }
}

/// The time step of `unix_time`: `floor(unix_time / period_seconds)`, with T0 = 0.
///
/// # Panics
///
/// If `period_seconds` is zero, which [`TotpParams::new`] never allows.
pub fn step(unix_time: u64, period_seconds: u32) -> u64 {
    assert!(period_seconds > 0, "a TOTP period cannot be zero seconds");
    unix_time / u64::from(period_seconds)
}

/// Seconds until the next time step begins, 1..=`period_seconds`.
///
/// # Panics
///
/// If `period_seconds` is zero, which [`TotpParams::new`] never allows.
pub fn seconds_left(unix_time: u64, period_seconds: u32) -> u32 {
    assert!(period_seconds > 0, "a TOTP period cannot be zero seconds");
    let elapsed = unix_time % u64::from(period_seconds);
    let elapsed = u32::try_from(elapsed).expect("a remainder is below the u32 period");
    period_seconds - elapsed
}

/// The TOTP code of `secret` at `unix_time`.
///
/// Prepares a fresh [`HotpKey`]; to compute many codes of one secret, prepare the key once and
/// call [`generate_at_step`].
pub fn generate(secret: &Secret, params: &TotpParams, unix_time: u64) -> String {
    let key = HotpKey::new(secret, params.algorithm);
    generate_at_step(&key, params.digits, step(unix_time, params.period_seconds))
}

/// The TOTP code for the time step `step`: the HOTP code with the step as counter.
pub fn generate_at_step(key: &HotpKey, digits: Digits, step: u64) -> String {
    key.code(step, digits)
}

/// Checks `code` against the steps around `unix_time` and returns the step that matched.
///
/// The caller must remember the matched step and refuse a later code for the same or an
/// earlier step, because RFC 6238 section 5.2 forbids accepting a code twice. See
/// [`verify_at_step`] for the search order and its limits.
///
/// # Panics
///
/// If `key` was prepared for another algorithm than `params.algorithm` (a programmer error
/// that would otherwise refuse every code), or if the period is zero.
pub fn verify(
    key: &HotpKey,
    params: &TotpParams,
    code: &str,
    unix_time: u64,
    window: Window,
) -> Option<u64> {
    assert_eq!(
        key.algorithm(),
        params.algorithm,
        "the key was prepared for another algorithm than the TOTP parameters name"
    );
    let center_step = step(unix_time, params.period_seconds);
    verify_at_step(key, params.digits, code, center_step, window)
}

/// Checks `code` against the steps around `center_step` and returns the step that matched.
///
/// The center step is tried first, then the steps one away (the earlier one first, because a
/// code shown before it was typed is the most common case), then two away, and so on. Each
/// side stops at the window, at [`MAX_WINDOW_STEPS`] and at the ends of the `u64` range, so a
/// window at step 0 or a window of `u64::MAX` steps neither wraps around nor runs for long. A
/// code that is not exactly `digits` ASCII digits matches nothing. Each comparison is
/// constant-time.
pub fn verify_at_step(
    key: &HotpKey,
    digits: Digits,
    code: &str,
    center_step: u64,
    window: Window,
) -> Option<u64> {
    let typed = parse_code(code, digits)?;
    candidate_steps(center_step, window)
        .find(|&candidate| values_match(key.value(candidate, digits), typed))
}

/// The steps to try, in order: the center, then alternately earlier and later by growing
/// distance, each side bounded by the window and by [`MAX_WINDOW_STEPS`].
fn candidate_steps(center_step: u64, window: Window) -> impl Iterator<Item = u64> {
    let behind_steps = window.behind_steps.min(MAX_WINDOW_STEPS);
    let ahead_steps = window.ahead_steps.min(MAX_WINDOW_STEPS);
    let reach = behind_steps.max(ahead_steps);
    let around = (1..=reach).flat_map(move |distance| {
        let earlier = (distance <= behind_steps)
            .then(|| center_step.checked_sub(distance))
            .flatten();
        let later = (distance <= ahead_steps)
            .then(|| center_step.checked_add(distance))
            .flatten();
        earlier.into_iter().chain(later)
    });
    std::iter::once(center_step).chain(around)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_SHA1: &[u8] = b"12345678901234567890";
    const SEED_SHA256: &[u8] = b"12345678901234567890123456789012";
    const SEED_SHA512: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    /// RFC 6238 Appendix B: time, step, 8-digit TOTP, algorithm.
    const RFC_6238_VECTORS: &[(u64, u64, &str, Algorithm)] = &[
        (59, 0x1, "94287082", Algorithm::Sha1),
        (59, 0x1, "46119246", Algorithm::Sha256),
        (59, 0x1, "90693936", Algorithm::Sha512),
        (1111111109, 0x23523EC, "07081804", Algorithm::Sha1),
        (1111111109, 0x23523EC, "68084774", Algorithm::Sha256),
        (1111111109, 0x23523EC, "25091201", Algorithm::Sha512),
        (1111111111, 0x23523ED, "14050471", Algorithm::Sha1),
        (1111111111, 0x23523ED, "67062674", Algorithm::Sha256),
        (1111111111, 0x23523ED, "99943326", Algorithm::Sha512),
        (1234567890, 0x273EF07, "89005924", Algorithm::Sha1),
        (1234567890, 0x273EF07, "91819424", Algorithm::Sha256),
        (1234567890, 0x273EF07, "93441116", Algorithm::Sha512),
        (2000000000, 0x3F940AA, "69279037", Algorithm::Sha1),
        (2000000000, 0x3F940AA, "90698825", Algorithm::Sha256),
        (2000000000, 0x3F940AA, "38618901", Algorithm::Sha512),
        (20000000000, 0x27BC86AA, "65353130", Algorithm::Sha1),
        (20000000000, 0x27BC86AA, "77737706", Algorithm::Sha256),
        (20000000000, 0x27BC86AA, "47863826", Algorithm::Sha512),
    ];

    fn rfc_6238_secret(algorithm: Algorithm) -> Secret {
        let seed = match algorithm {
            Algorithm::Sha1 => SEED_SHA1,
            Algorithm::Sha256 => SEED_SHA256,
            Algorithm::Sha512 => SEED_SHA512,
        };
        Secret::from_bytes(seed.to_vec()).unwrap()
    }

    fn params(algorithm: Algorithm, digits: Digits) -> TotpParams {
        TotpParams::new(algorithm, digits, 30).unwrap()
    }

    fn sha1_key() -> HotpKey {
        HotpKey::new(&rfc_6238_secret(Algorithm::Sha1), Algorithm::Sha1)
    }

    #[test]
    fn the_rfc_6238_appendix_b_vectors_pass() {
        for &(unix_time, expected_step, code, algorithm) in RFC_6238_VECTORS {
            let secret = rfc_6238_secret(algorithm);
            let params = params(algorithm, Digits::EIGHT);
            let vector = format!("RFC 6238 {algorithm} at t = {unix_time}");
            assert_eq!(step(unix_time, 30), expected_step, "step of {vector}");
            assert_eq!(generate(&secret, &params, unix_time), code, "{vector}");
            let key = HotpKey::new(&secret, algorithm);
            assert_eq!(
                verify(&key, &params, code, unix_time, Window::symmetric(0)),
                Some(expected_step),
                "verifying {vector}"
            );
        }
    }

    #[test]
    fn steps_change_exactly_at_multiples_of_the_period() {
        assert_eq!(step(0, 30), 0);
        assert_eq!(step(29, 30), 0);
        assert_eq!(step(30, 30), 1);
        assert_eq!(step(59, 30), 1);
        assert_eq!(step(60, 30), 2);
        assert_eq!(step(59, 1), 59);
        assert_eq!(step(3599, 3600), 0);
        assert_eq!(step(3600, 3600), 1);
    }

    #[test]
    fn codes_change_at_step_boundaries_and_not_within_a_step() {
        let secret = rfc_6238_secret(Algorithm::Sha1);
        let params = params(Algorithm::Sha1, Digits::EIGHT);
        let at = |unix_time| generate(&secret, &params, unix_time);
        assert_eq!(at(0), at(29));
        assert_ne!(at(29), at(30));
        assert_eq!(at(30), at(59));
        assert_ne!(at(59), at(60));
        assert_eq!(at(59), "94287082");
    }

    #[test]
    fn seconds_left_counts_down_to_the_next_step() {
        assert_eq!(seconds_left(0, 30), 30);
        assert_eq!(seconds_left(29, 30), 1);
        assert_eq!(seconds_left(30, 30), 30);
        assert_eq!(seconds_left(59, 30), 1);
        assert_eq!(seconds_left(60, 30), 30);
        assert_eq!(seconds_left(20_000_000_000, 30), 10);
        assert_eq!(seconds_left(u64::MAX, 1), 1);
    }

    #[test]
    fn time_past_2038_and_at_2e10_uses_64_bit_steps() {
        let step_at_2e10 = step(20_000_000_000, 30);
        assert_eq!(step_at_2e10, 666_666_666);
        assert!(step(20_000_000_000, 1) > u64::from(u32::MAX));
        let secret = rfc_6238_secret(Algorithm::Sha1);
        let params = params(Algorithm::Sha1, Digits::EIGHT);
        assert_eq!(generate(&secret, &params, 20_000_000_000), "65353130");
        assert_eq!(generate(&secret, &params, u64::MAX).len(), 8);
    }

    #[test]
    fn the_period_must_be_between_one_second_and_one_hour() {
        assert_eq!(
            TotpParams::new(Algorithm::Sha1, Digits::SIX, 0),
            Err(Error::InvalidPeriod { period_seconds: 0 })
        );
        assert_eq!(
            TotpParams::new(Algorithm::Sha1, Digits::SIX, 3601),
            Err(Error::InvalidPeriod {
                period_seconds: 3601
            })
        );
        assert!(TotpParams::new(Algorithm::Sha1, Digits::SIX, 1).is_ok());
        assert!(TotpParams::new(Algorithm::Sha512, Digits::EIGHT, 3600).is_ok());
        assert_eq!(
            TotpParams::default(),
            TotpParams::new(Algorithm::Sha1, Digits::SIX, 30).unwrap()
        );
    }

    #[test]
    #[should_panic(expected = "cannot be zero")]
    fn a_zero_period_built_by_hand_is_a_programmer_error() {
        step(10, 0);
    }

    #[test]
    #[should_panic(expected = "another algorithm")]
    fn verifying_with_a_key_for_another_algorithm_is_a_programmer_error() {
        let params = params(Algorithm::Sha256, Digits::SIX);
        verify(&sha1_key(), &params, "123456", 0, Window::symmetric(1));
    }

    #[test]
    fn verification_returns_the_matched_step_within_the_window() {
        let key = sha1_key();
        let params = params(Algorithm::Sha1, Digits::EIGHT);
        let code_of = |step| generate_at_step(&key, Digits::EIGHT, step);
        let now = 1_111_111_111;
        let center = step(now, 30);
        let window = Window::symmetric(2);
        for offset in [-2i64, -1, 0, 1, 2] {
            let expected = center.checked_add_signed(offset).unwrap();
            assert_eq!(
                verify(&key, &params, &code_of(expected), now, window),
                Some(expected),
                "offset {offset}"
            );
        }
        assert_eq!(
            verify(&key, &params, &code_of(center - 3), now, window),
            None
        );
        assert_eq!(
            verify(&key, &params, &code_of(center + 3), now, window),
            None
        );
    }

    #[test]
    fn an_asymmetric_window_accepts_only_the_steps_it_names() {
        let key = sha1_key();
        let code_of = |step| generate_at_step(&key, Digits::EIGHT, step);
        let window = Window {
            behind_steps: 2,
            ahead_steps: 0,
        };
        assert_eq!(
            verify_at_step(&key, Digits::EIGHT, &code_of(98), 100, window),
            Some(98)
        );
        assert_eq!(
            verify_at_step(&key, Digits::EIGHT, &code_of(101), 100, window),
            None
        );
    }

    #[test]
    fn the_center_step_is_tried_first_then_earlier_before_later() {
        let order: Vec<u64> = candidate_steps(10, Window::symmetric(2)).collect();
        assert_eq!(order, [10, 9, 11, 8, 12]);
        let lopsided = Window {
            behind_steps: 1,
            ahead_steps: 3,
        };
        let order: Vec<u64> = candidate_steps(10, lopsided).collect();
        assert_eq!(order, [10, 9, 11, 12, 13]);
    }

    #[test]
    fn a_window_at_step_zero_does_not_underflow() {
        let order: Vec<u64> = candidate_steps(0, Window::symmetric(2)).collect();
        assert_eq!(order, [0, 1, 2]);
        let key = sha1_key();
        let code = generate_at_step(&key, Digits::EIGHT, 0);
        let params = params(Algorithm::Sha1, Digits::EIGHT);
        assert_eq!(
            verify(&key, &params, &code, 0, Window::symmetric(5)),
            Some(0)
        );
    }

    #[test]
    fn a_window_at_the_last_step_does_not_overflow() {
        let order: Vec<u64> = candidate_steps(u64::MAX, Window::symmetric(2)).collect();
        assert_eq!(order, [u64::MAX, u64::MAX - 1, u64::MAX - 2]);
        let key = sha1_key();
        let code = generate_at_step(&key, Digits::EIGHT, u64::MAX);
        assert_eq!(
            verify_at_step(
                &key,
                Digits::EIGHT,
                &code,
                u64::MAX,
                Window::symmetric(u64::MAX)
            ),
            Some(u64::MAX)
        );
    }

    #[test]
    fn a_huge_window_is_capped_and_does_not_panic() {
        let huge = Window::symmetric(u64::MAX);
        for center in [0, 1, 1 << 32, u64::MAX - 1, u64::MAX] {
            let steps = candidate_steps(center, huge).count();
            assert!(
                steps <= 2 * MAX_WINDOW_STEPS as usize + 1,
                "center {center}"
            );
        }
        assert_eq!(candidate_steps(0, huge).count(), 101);
        assert_eq!(candidate_steps(1 << 32, huge).count(), 201);
        let key = sha1_key();
        let beyond = generate_at_step(&key, Digits::EIGHT, 1000 + MAX_WINDOW_STEPS + 1);
        let within = generate_at_step(&key, Digits::EIGHT, 1000 - MAX_WINDOW_STEPS);
        assert_eq!(
            verify_at_step(&key, Digits::EIGHT, &beyond, 1000, huge),
            None
        );
        assert_eq!(
            verify_at_step(&key, Digits::EIGHT, &within, 1000, huge),
            Some(1000 - MAX_WINDOW_STEPS)
        );
        let params = params(Algorithm::Sha1, Digits::EIGHT);
        let last_code = generate(&rfc_6238_secret(Algorithm::Sha1), &params, u64::MAX);
        assert_eq!(
            verify(&key, &params, &last_code, u64::MAX, huge),
            Some(step(u64::MAX, 30))
        );
    }

    #[test]
    fn malformed_codes_match_nothing() {
        let key = sha1_key();
        let params = params(Algorithm::Sha1, Digits::EIGHT);
        for code in [
            "",
            "9428708",
            "942870820",
            "9428708a",
            "9428 7082",
            "+4287082",
        ] {
            assert_eq!(
                verify(&key, &params, code, 59, Window::symmetric(1)),
                None,
                "code {code:?}"
            );
        }
    }
}
