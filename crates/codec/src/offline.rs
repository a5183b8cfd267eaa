//! Offline codes, format v1 (SPEC section 2.3).
//!
//! ```text
//! code = P || FF1-AES128(K_code(P), tweak = ASCII(P), radix 10, M)     (16 digits)
//! M    = D (9 digits) || N (1 digit) || O (6 digits)
//! O    = HOTP(device secret, C), 6 digits;   C = (N << 56) | T
//! ```
//!
//! The wallet side ([`make_offline_code`]) and the server side ([`OfflineCodec::decode`] and
//! [`verify_offline_otp`]) are both pure: the caller supplies the time step.

use paycode_otp::{Digits, HotpKey};
use subtle::ConstantTimeEq;

use crate::code::{CodeIndex, DeviceSlot, PaymentCode, Prefix, PAYLOAD_DIGITS};
use crate::ff1::{Ff1, PreparedTweak};
use crate::key::CodeKey;
use crate::Error;

/// The number of digits of the one-time password inside an offline code (`O`).
pub const OTP_DIGITS: Digits = Digits::SIX;

/// One more than the largest one-time password: `10^6`.
const OTP_LIMIT: u32 = 1_000_000;

/// The largest time step an offline counter can carry: the code index takes the top byte of
/// the 64-bit counter, so the step has 56 bits. With 1-second steps that is two billion years.
pub const MAX_OFFLINE_STEP: u64 = (1 << 56) - 1;

/// Most steps [`verify_offline_otp`] searches on each side of the center step, whatever the
/// caller asks for (SPEC section 2.5 allows a skew of at most 10 steps).
pub const MAX_SKEW_STEPS: u64 = 10;

/// `10^7`: the weight of the device slot in `M`.
const SLOT_WEIGHT: u64 = 10_000_000;

/// `10^6`: the weight of the code index in `M`.
const INDEX_WEIGHT: u64 = 1_000_000;

/// What an offline code carries once decrypted: who made it, which code of the step it is,
/// and the one-time password that proves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OfflinePayload {
    /// The device that made the code (`D`).
    pub slot: DeviceSlot,
    /// Which code of its time step this is (`N`).
    pub index: CodeIndex,
    /// The six-digit one-time password (`O`), below `10^6`.
    pub otp: u32,
}

/// Encrypts and decrypts the offline codes of one prefix.
///
/// Everything that depends only on the code key and the prefix (the AES key schedule and the
/// FF1 work for the tweak `ASCII(P)` and 16 digits) is computed once in [`OfflineCodec::new`],
/// so encoding or decoding a code costs ten AES blocks and a little integer arithmetic.
pub struct OfflineCodec {
    prefix: Prefix,
    key: CodeKey,
    ff1: Ff1,
    prepared: PreparedTweak,
}

impl OfflineCodec {
    /// Prepares the codec of `prefix`, whose codes are encrypted under `key`.
    pub fn new(prefix: Prefix, key: &CodeKey) -> Self {
        let ff1 = Ff1::new(key);
        let prepared = ff1.prepare(&prefix.to_ascii(), PAYLOAD_DIGITS);
        assert_eq!(prepared.length(), PAYLOAD_DIGITS);
        OfflineCodec {
            prefix,
            key: key.clone(),
            ff1,
            prepared,
        }
    }

    /// The prefix whose codes this codec reads and writes.
    pub fn prefix(&self) -> Prefix {
        self.prefix
    }

    /// The code key, which every wallet of this prefix receives at provisioning.
    pub fn code_key(&self) -> &CodeKey {
        &self.key
    }

    /// Packs and encrypts `payload` into a code of this codec's prefix.
    ///
    /// # Panics
    ///
    /// If `payload.otp` has more than six digits, which no HOTP value of [`OTP_DIGITS`] has.
    pub fn encode(&self, payload: &OfflinePayload) -> PaymentCode {
        assert!(
            payload.otp < OTP_LIMIT,
            "an offline one-time password has six digits, got {}",
            payload.otp
        );
        let message = u64::from(payload.slot.get()) * SLOT_WEIGHT
            + u64::from(payload.index.get()) * INDEX_WEIGHT
            + u64::from(payload.otp);
        let encrypted = self.ff1.encrypt_prepared(&self.prepared, message);
        PaymentCode::from_parts(self.prefix, encrypted)
    }

    /// Decrypts and unpacks a code of this codec's prefix.
    ///
    /// This says nothing about authenticity: any 16 digits decrypt to something. It refuses a
    /// code of another prefix and one whose device slot would be 0; everything else must be
    /// checked with [`verify_offline_otp`] against the device's secret.
    pub fn decode(&self, code: &PaymentCode) -> Result<OfflinePayload, Error> {
        if code.prefix() != self.prefix {
            return Err(Error::PrefixMismatch {
                expected: self.prefix,
                found: code.prefix(),
            });
        }
        let message = self.ff1.decrypt_prepared(&self.prepared, code.payload());
        // The message is below 10^16, so the slot has at most nine digits and fits a u32.
        let slot = u32::try_from(message / SLOT_WEIGHT).expect("a slot has nine digits");
        let slot = DeviceSlot::new(slot).map_err(|_| Error::NoSuchDeviceSlot)?;
        let index = (message / INDEX_WEIGHT % 10) as u8;
        let index = CodeIndex::new(index).expect("one decimal digit is a code index");
        let otp = (message % INDEX_WEIGHT) as u32;
        Ok(OfflinePayload { slot, index, otp })
    }
}

impl std::fmt::Debug for OfflineCodec {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("OfflineCodec")
            .field("prefix", &self.prefix)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// The HOTP counter of an offline code: `(N << 56) | T`.
///
/// Putting the code index above the step gives each of the ten codes of a step its own
/// counter, while index 0 leaves the plain TOTP counter, so an ordinary authenticator app shows
/// the same six digits for the first code of each step.
///
/// # Panics
///
/// If `step` is above [`MAX_OFFLINE_STEP`].
pub fn offline_counter(index: CodeIndex, step: u64) -> u64 {
    assert!(
        step <= MAX_OFFLINE_STEP,
        "an offline time step has at most 56 bits, got {step}"
    );
    (u64::from(index.get()) << 56) | step
}

/// Makes the offline code a wallet shows: device `slot`, code `index` of time `step`, signed
/// with the device's prepared HOTP key.
///
/// `step` is `floor(unix_time / period_seconds)` of the wallet's clock, computed by the caller.
pub fn make_offline_code(
    codec: &OfflineCodec,
    slot: DeviceSlot,
    index: CodeIndex,
    key: &HotpKey,
    step: u64,
) -> PaymentCode {
    let otp = key.value(offline_counter(index, step), OTP_DIGITS);
    codec.encode(&OfflinePayload { slot, index, otp })
}

/// Checks the one-time password of a decoded offline code and returns the time step it was
/// made in, so that the caller can refuse a second use of the same (slot, step, index).
///
/// Steps are tried from the center outwards: `center_step`, then one step behind and one
/// ahead, then two, and so on, up to `behind_steps` behind and `ahead_steps` ahead. Each side
/// is capped at [`MAX_SKEW_STEPS`], and steps below 0 or above [`MAX_OFFLINE_STEP`] are
/// skipped rather than wrapped. Each comparison takes the same time whatever the digits.
pub fn verify_offline_otp(
    key: &HotpKey,
    payload: &OfflinePayload,
    center_step: u64,
    behind_steps: u64,
    ahead_steps: u64,
) -> Option<u64> {
    let behind_steps = behind_steps.min(MAX_SKEW_STEPS);
    let ahead_steps = ahead_steps.min(MAX_SKEW_STEPS);
    let matches = |step: u64| {
        step <= MAX_OFFLINE_STEP && {
            let expected = key.value(offline_counter(payload.index, step), OTP_DIGITS);
            bool::from(expected.ct_eq(&payload.otp))
        }
    };
    if matches(center_step) {
        return Some(center_step);
    }
    for distance in 1..=behind_steps.max(ahead_steps) {
        let behind = center_step
            .checked_sub(distance)
            .filter(|_| distance <= behind_steps);
        let ahead = center_step
            .checked_add(distance)
            .filter(|_| distance <= ahead_steps);
        if let Some(step) = [behind, ahead]
            .into_iter()
            .flatten()
            .find(|&step| matches(step))
        {
            return Some(step);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use paycode_otp::{Algorithm, Secret};

    fn codec() -> OfflineCodec {
        OfflineCodec::new(
            Prefix::new(81).unwrap(),
            &CodeKey::from_bytes(&[0x5A; 16]).unwrap(),
        )
    }

    fn hotp_key(algorithm: Algorithm) -> HotpKey {
        HotpKey::new(
            &Secret::from_bytes(b"12345678901234567890".to_vec()).unwrap(),
            algorithm,
        )
    }

    fn payload(slot: u32, index: u8, otp: u32) -> OfflinePayload {
        OfflinePayload {
            slot: DeviceSlot::new(slot).unwrap(),
            index: CodeIndex::new(index).unwrap(),
            otp,
        }
    }

    #[test]
    fn a_payload_survives_encoding_and_decoding() {
        let codec = codec();
        for expected in [
            payload(1, 0, 0),
            payload(999_999_999, 9, 999_999),
            payload(123_456_789, 4, 42),
        ] {
            let code = codec.encode(&expected);
            assert_eq!(code.prefix(), codec.prefix());
            assert_eq!(codec.decode(&code), Ok(expected));
        }
    }

    #[test]
    fn a_code_from_another_prefix_is_refused() {
        let code = codec().encode(&payload(7, 0, 1));
        let other = OfflineCodec::new(
            Prefix::new(82).unwrap(),
            &CodeKey::from_bytes(&[0x5A; 16]).unwrap(),
        );
        assert_eq!(
            other.decode(&code),
            Err(Error::PrefixMismatch {
                expected: Prefix::new(82).unwrap(),
                found: Prefix::new(81).unwrap(),
            })
        );
    }

    #[test]
    fn a_code_that_decrypts_to_slot_zero_is_refused() {
        let codec = codec();
        // Encrypting a message whose slot digits are zero gives a code that decodes to slot 0.
        let message = 3 * INDEX_WEIGHT + 123_456;
        let payload = codec.ff1.encrypt_prepared(&codec.prepared, message);
        let code = PaymentCode::new(codec.prefix(), payload).unwrap();
        assert_eq!(codec.decode(&code), Err(Error::NoSuchDeviceSlot));
    }

    #[test]
    fn the_prefix_is_the_tweak_so_the_same_payload_differs_between_prefixes() {
        let key = CodeKey::from_bytes(&[0x5A; 16]).unwrap();
        let first = OfflineCodec::new(Prefix::new(81).unwrap(), &key);
        let second = OfflineCodec::new(Prefix::new(82).unwrap(), &key);
        let payload = payload(5, 5, 5);
        assert_ne!(
            first.encode(&payload).payload(),
            second.encode(&payload).payload()
        );
        let tweak = Ff1::new(&key).encrypt(b"81", 5 * SLOT_WEIGHT + 5 * INDEX_WEIGHT + 5, 16);
        assert_eq!(first.encode(&payload).payload(), tweak);
    }

    #[test]
    #[should_panic(expected = "six digits")]
    fn a_seven_digit_password_is_a_programming_error() {
        codec().encode(&payload(1, 0, 1_000_000));
    }

    #[test]
    fn the_code_index_sits_above_the_56_bit_step() {
        assert_eq!(offline_counter(CodeIndex::FIRST, 57_000_000), 57_000_000);
        assert_eq!(
            offline_counter(CodeIndex::new(3).unwrap(), MAX_OFFLINE_STEP),
            (3 << 56) | MAX_OFFLINE_STEP
        );
    }

    #[test]
    #[should_panic(expected = "at most 56 bits")]
    fn a_step_beyond_56_bits_is_a_programming_error() {
        offline_counter(CodeIndex::FIRST, MAX_OFFLINE_STEP + 1);
    }

    #[test]
    fn a_current_code_verifies_at_its_step_for_every_algorithm() {
        let codec = codec();
        let slot = DeviceSlot::new(31_415).unwrap();
        for algorithm in Algorithm::ALL {
            let key = hotp_key(algorithm);
            for index in [0, 1, 9] {
                let index = CodeIndex::new(index).unwrap();
                let code = make_offline_code(&codec, slot, index, &key, 56_666_666);
                let payload = codec.decode(&code).unwrap();
                assert_eq!((payload.slot, payload.index), (slot, index));
                assert_eq!(
                    verify_offline_otp(&key, &payload, 56_666_666, 1, 1),
                    Some(56_666_666),
                    "{algorithm}"
                );
            }
        }
    }

    #[test]
    fn each_code_index_has_its_own_password() {
        let key = hotp_key(Algorithm::Sha1);
        let codec = codec();
        let slot = DeviceSlot::new(1).unwrap();
        let first = make_offline_code(&codec, slot, CodeIndex::FIRST, &key, 1000);
        let mut payload = codec.decode(&first).unwrap();
        payload.index = CodeIndex::new(1).unwrap();
        assert_eq!(verify_offline_otp(&key, &payload, 1000, 10, 10), None);
    }

    #[test]
    fn a_code_from_a_skewed_clock_verifies_within_the_window_only() {
        let key = hotp_key(Algorithm::Sha1);
        let codec = codec();
        let slot = DeviceSlot::new(77).unwrap();
        let code = make_offline_code(&codec, slot, CodeIndex::FIRST, &key, 5_000);
        let payload = codec.decode(&code).unwrap();
        assert_eq!(verify_offline_otp(&key, &payload, 5_001, 1, 1), Some(5_000));
        assert_eq!(verify_offline_otp(&key, &payload, 4_999, 1, 1), Some(5_000));
        assert_eq!(verify_offline_otp(&key, &payload, 5_002, 1, 1), None);
        assert_eq!(verify_offline_otp(&key, &payload, 5_002, 2, 0), Some(5_000));
        assert_eq!(verify_offline_otp(&key, &payload, 4_998, 2, 0), None);
        assert_eq!(verify_offline_otp(&key, &payload, 4_998, 0, 2), Some(5_000));
    }

    #[test]
    fn the_window_is_capped_at_the_maximum_skew() {
        let key = hotp_key(Algorithm::Sha1);
        let codec = codec();
        let slot = DeviceSlot::new(77).unwrap();
        let code = make_offline_code(&codec, slot, CodeIndex::FIRST, &key, 5_000);
        let payload = codec.decode(&code).unwrap();
        let edge = 5_000 + MAX_SKEW_STEPS;
        assert_eq!(
            verify_offline_otp(&key, &payload, edge, u64::MAX, 0),
            Some(5_000)
        );
        assert_eq!(
            verify_offline_otp(&key, &payload, edge + 1, u64::MAX, 0),
            None
        );
    }

    #[test]
    fn the_window_neither_underflows_at_step_zero_nor_overflows_at_the_last_step() {
        let key = hotp_key(Algorithm::Sha1);
        let codec = codec();
        let slot = DeviceSlot::new(77).unwrap();
        for step in [0, MAX_OFFLINE_STEP] {
            let code = make_offline_code(&codec, slot, CodeIndex::LAST, &key, step);
            let payload = codec.decode(&code).unwrap();
            assert_eq!(
                verify_offline_otp(&key, &payload, step, u64::MAX, u64::MAX),
                Some(step)
            );
        }
        let code = make_offline_code(&codec, slot, CodeIndex::LAST, &key, 1);
        let payload = codec.decode(&code).unwrap();
        assert_eq!(verify_offline_otp(&key, &payload, 0, 5, 5), Some(1));
        assert_eq!(verify_offline_otp(&key, &payload, u64::MAX, 5, 5), None);
    }

    #[test]
    fn debug_output_shows_the_prefix_but_not_the_key() {
        let debug = format!("{:?}", codec());
        assert!(debug.contains("Prefix(81)"));
        assert!(debug.contains("<redacted>"));
        assert!(!debug.contains("90"));
    }
}
