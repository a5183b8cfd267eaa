//! HOTP, the HMAC-based one-time password of RFC 4226.

use std::fmt;

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;

use crate::limits::MAX_LOOK_AHEAD_COUNTERS;
use crate::{Algorithm, Digits, Secret};

/// The HMAC state of one secret and algorithm, computed once and reused for every counter.
///
/// HMAC begins by hashing the key XOR-ed with two pads; that work depends only on the secret,
/// so it is done here once and each counter clones the prepared state. With SHA-1 that makes a
/// code close to twice as fast (see `benches/hotp.rs`), which matters most when a server
/// verifies a window of steps for every payment.
///
/// The prepared state is as sensitive as the secret itself. `Debug` does not show it; unlike
/// [`Secret`] it is not zeroized on drop, because the `hmac` crate offers no way to do so, so
/// keep keys only as long as they are needed.
#[derive(Clone)]
pub struct HotpKey {
    mac: PreparedMac,
}

/// The keyed HMAC instance for each algorithm.
#[derive(Clone)]
enum PreparedMac {
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha512(Hmac<Sha512>),
}

impl HotpKey {
    /// Prepares the HMAC state of `secret` under `algorithm`.
    pub fn new(secret: &Secret, algorithm: Algorithm) -> HotpKey {
        let key = secret.expose_bytes();
        let mac = match algorithm {
            Algorithm::Sha1 => PreparedMac::Sha1(keyed_mac(key)),
            Algorithm::Sha256 => PreparedMac::Sha256(keyed_mac(key)),
            Algorithm::Sha512 => PreparedMac::Sha512(keyed_mac(key)),
        };
        HotpKey { mac }
    }

    /// The algorithm the key was prepared for.
    pub fn algorithm(&self) -> Algorithm {
        match self.mac {
            PreparedMac::Sha1(_) => Algorithm::Sha1,
            PreparedMac::Sha256(_) => Algorithm::Sha256,
            PreparedMac::Sha512(_) => Algorithm::Sha512,
        }
    }

    /// The one-time password for `counter` as a number: RFC 4226 section 5.3, the truncated
    /// 31-bit value modulo `10^digits`.
    pub fn value(&self, counter: u64, digits: Digits) -> u32 {
        self.truncated_value(counter) % digits.modulus()
    }

    /// The one-time password for `counter` as text, left-padded with zeros to `digits`.
    pub fn code(&self, counter: u64, digits: Digits) -> String {
        format_code(self.value(counter, digits), digits)
    }

    /// The 31-bit result of dynamic truncation (`Snum` in RFC 4226 section 5.3), before the
    /// modulus.
    fn truncated_value(&self, counter: u64) -> u32 {
        match &self.mac {
            PreparedMac::Sha1(mac) => truncated_mac(mac, counter),
            PreparedMac::Sha256(mac) => truncated_mac(mac, counter),
            PreparedMac::Sha512(mac) => truncated_mac(mac, counter),
        }
    }
}

impl fmt::Debug for HotpKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("HotpKey")
            .field("algorithm", &self.algorithm())
            .field("key", &format_args!("[REDACTED]"))
            .finish()
    }
}

fn keyed_mac<M: Mac + hmac::digest::KeyInit>(key: &[u8]) -> M {
    <M as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// Continues the prepared HMAC with the 8-byte big-endian counter and truncates the result.
fn truncated_mac<M: Mac + Clone>(prepared: &M, counter: u64) -> u32 {
    let mut mac = prepared.clone();
    mac.update(&counter.to_be_bytes());
    dynamic_truncation(&mac.finalize().into_bytes())
}

/// Dynamic truncation of RFC 4226 section 5.3: the low 4 bits of the last byte choose where
/// four bytes are read, and the top bit is masked so the result is the same signed or unsigned.
fn dynamic_truncation(mac: &[u8]) -> u32 {
    assert!(
        mac.len() >= 20,
        "every supported HMAC has at least 20 bytes"
    );
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let bytes = [
        mac[offset],
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ];
    u32::from_be_bytes(bytes) & 0x7fff_ffff
}

/// Writes `value` left-padded with zeros to exactly `digits` characters.
pub(crate) fn format_code(value: u32, digits: Digits) -> String {
    assert!(
        value < digits.modulus(),
        "a code value is reduced modulo 10^digits"
    );
    format!("{value:0width$}", width = usize::from(digits.get()))
}

/// Reads a code typed by a user: exactly `digits` ASCII digits and nothing else.
///
/// Leading zeros are significant in the length but not in the value. Signs, spaces and other
/// lengths are refused here rather than normalised, so that the caller decides what to accept.
pub(crate) fn parse_code(code: &str, digits: Digits) -> Option<u32> {
    let well_formed =
        code.len() == usize::from(digits.get()) && code.bytes().all(|byte| byte.is_ascii_digit());
    if !well_formed {
        return None;
    }
    code.parse().ok()
}

/// Compares a computed value with the typed one without branching on their bits.
pub(crate) fn values_match(computed: u32, typed: u32) -> bool {
    computed.ct_eq(&typed).into()
}

/// The HOTP code of `secret` for `counter`.
///
/// Prepares a fresh [`HotpKey`]; to compute many codes of one secret, prepare the key once and
/// call [`HotpKey::code`].
pub fn generate(secret: &Secret, algorithm: Algorithm, digits: Digits, counter: u64) -> String {
    HotpKey::new(secret, algorithm).code(counter, digits)
}

/// Checks `code` against the counters `counter ..= counter + look_ahead` (RFC 4226
/// section 7.4) and returns the counter that matched.
///
/// The caller must store the matched counter plus one as the next expected counter, so that
/// the same code is never accepted twice. The look-ahead is capped at
/// [`MAX_LOOK_AHEAD_COUNTERS`] and stops at `u64::MAX` without overflowing. A code that is not
/// exactly `digits` ASCII digits matches nothing. Each comparison is constant-time.
pub fn verify(
    key: &HotpKey,
    digits: Digits,
    code: &str,
    counter: u64,
    look_ahead: u64,
) -> Option<u64> {
    let typed = parse_code(code, digits)?;
    let last = counter.saturating_add(look_ahead.min(MAX_LOOK_AHEAD_COUNTERS));
    (counter..=last).find(|&candidate| values_match(key.value(candidate, digits), typed))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_4226_SECRET: &[u8] = b"12345678901234567890";

    /// RFC 4226 Appendix D: counter, truncated decimal value, 6-digit HOTP.
    const RFC_4226_VECTORS: &[(u64, u32, &str)] = &[
        (0, 1284755224, "755224"),
        (1, 1094287082, "287082"),
        (2, 137359152, "359152"),
        (3, 1726969429, "969429"),
        (4, 1640338314, "338314"),
        (5, 868254676, "254676"),
        (6, 1918287922, "287922"),
        (7, 82162583, "162583"),
        (8, 673399871, "399871"),
        (9, 645520489, "520489"),
    ];

    fn rfc_4226_key() -> HotpKey {
        HotpKey::new(
            &Secret::from_bytes(RFC_4226_SECRET.to_vec()).unwrap(),
            Algorithm::Sha1,
        )
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|index| u8::from_str_radix(&text[index..index + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn the_rfc_4226_appendix_d_vectors_pass() {
        let secret = Secret::from_bytes(RFC_4226_SECRET.to_vec()).unwrap();
        let key = rfc_4226_key();
        for &(counter, truncated, code) in RFC_4226_VECTORS {
            assert_eq!(
                key.truncated_value(counter),
                truncated,
                "RFC 4226 truncated value for counter {counter}"
            );
            assert_eq!(
                key.code(counter, Digits::SIX),
                code,
                "RFC 4226 HOTP for counter {counter}"
            );
            assert_eq!(
                generate(&secret, Algorithm::Sha1, Digits::SIX, counter),
                code,
                "RFC 4226 HOTP via hotp::generate for counter {counter}"
            );
        }
    }

    #[test]
    fn dynamic_truncation_matches_the_rfc_4226_section_5_4_example() {
        let mac = hex("1f8698690e02ca16618550ef7f19da8e945b555a");
        assert_eq!(dynamic_truncation(&mac), 0x50ef7f19);
        assert_eq!(dynamic_truncation(&mac) % Digits::SIX.modulus(), 872921);
    }

    #[test]
    fn dynamic_truncation_masks_the_top_bit_and_reads_at_the_largest_offset() {
        let mut mac = vec![0xff; 20];
        mac[19] = 0xff;
        assert_eq!(dynamic_truncation(&mac), 0x7fff_ffff);
        mac[19] = 0x0f;
        mac[15..19].copy_from_slice(&[0x80, 0, 0, 1]);
        assert_eq!(dynamic_truncation(&mac), 1);
    }

    #[test]
    fn codes_are_left_padded_to_the_number_of_digits() {
        assert_eq!(format_code(42, Digits::SIX), "000042");
        assert_eq!(format_code(0, Digits::EIGHT), "00000000");
        assert_eq!(format_code(9_999_999, Digits::SEVEN), "9999999");
    }

    #[test]
    fn a_prepared_key_gives_the_same_codes_as_a_fresh_one_for_every_algorithm() {
        let secret = Secret::generate();
        for algorithm in Algorithm::ALL {
            let key = HotpKey::new(&secret, algorithm);
            assert_eq!(key.algorithm(), algorithm);
            for counter in [0, 1, 2, 1 << 40, u64::MAX] {
                assert_eq!(
                    key.code(counter, Digits::EIGHT),
                    HotpKey::new(&secret, algorithm).code(counter, Digits::EIGHT),
                    "{algorithm} counter {counter}"
                );
            }
        }
    }

    #[test]
    fn verification_returns_the_matched_counter_within_the_look_ahead() {
        let key = rfc_4226_key();
        assert_eq!(verify(&key, Digits::SIX, "755224", 0, 0), Some(0));
        assert_eq!(verify(&key, Digits::SIX, "969429", 0, 5), Some(3));
        assert_eq!(verify(&key, Digits::SIX, "969429", 0, 2), None);
        assert_eq!(verify(&key, Digits::SIX, "755224", 1, 10), None);
    }

    #[test]
    fn a_huge_look_ahead_at_the_last_counter_does_not_overflow() {
        let key = rfc_4226_key();
        let last_code = key.code(u64::MAX, Digits::SIX);
        assert_eq!(
            verify(&key, Digits::SIX, &last_code, u64::MAX, u64::MAX),
            Some(u64::MAX)
        );
        assert_eq!(
            verify(&key, Digits::SIX, &last_code, u64::MAX - 3, u64::MAX),
            Some(u64::MAX)
        );
    }

    #[test]
    fn the_look_ahead_is_capped() {
        let key = rfc_4226_key();
        let beyond = key.code(MAX_LOOK_AHEAD_COUNTERS + 1, Digits::EIGHT);
        let within = key.code(MAX_LOOK_AHEAD_COUNTERS, Digits::EIGHT);
        assert_eq!(
            verify(&key, Digits::EIGHT, &within, 0, u64::MAX),
            Some(MAX_LOOK_AHEAD_COUNTERS)
        );
        // Eight digits make an accidental match among 101 counters very unlikely; the vectors
        // are fixed, so this is deterministic.
        assert_eq!(verify(&key, Digits::EIGHT, &beyond, 0, u64::MAX), None);
    }

    #[test]
    fn malformed_codes_match_nothing() {
        let key = rfc_4226_key();
        for code in [
            "", "75522", "7552240", "75522a", " 755224", "755224 ", "+55224", "-55224",
        ] {
            assert_eq!(
                verify(&key, Digits::SIX, code, 0, 10),
                None,
                "code {code:?}"
            );
        }
        assert_eq!(verify(&key, Digits::SEVEN, "755224", 0, 0), None);
    }

    #[test]
    fn a_prepared_key_is_redacted_in_debug_output() {
        let debug = format!("{:?}", rfc_4226_key());
        assert_eq!(debug, "HotpKey { algorithm: Sha1, key: [REDACTED] }");
    }
}
