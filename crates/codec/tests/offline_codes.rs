//! Properties of offline codes over the whole range of slots, indexes, passwords, times and
//! secrets, and their agreement with plain RFC 6238 TOTP.

use std::collections::HashSet;

use paycode_codec::{
    make_offline_code, offline_counter, verify_offline_otp, CodeIndex, CodeKey, DeviceSlot,
    OfflineCodec, OfflinePayload, PaymentCode, Prefix, DEFAULT_OFFLINE_PREFIX, OTP_DIGITS,
};
use paycode_otp::totp::{self, TotpParams};
use paycode_otp::{Algorithm, Digits, HotpKey, Secret};
use proptest::prelude::*;

const PERIOD_SECONDS: u64 = 30;

fn any_slot() -> impl Strategy<Value = DeviceSlot> {
    (1..=999_999_999u32).prop_map(|slot| DeviceSlot::new(slot).unwrap())
}

fn any_index() -> impl Strategy<Value = CodeIndex> {
    (0..=9u8).prop_map(|index| CodeIndex::new(index).unwrap())
}

fn any_algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![
        Just(Algorithm::Sha1),
        Just(Algorithm::Sha256),
        Just(Algorithm::Sha512)
    ]
}

fn any_codec() -> impl Strategy<Value = OfflineCodec> {
    (0..=99u8, any::<[u8; 16]>()).prop_map(|(prefix, key)| {
        OfflineCodec::new(
            Prefix::new(prefix).unwrap(),
            &CodeKey::from_bytes(&key).unwrap(),
        )
    })
}

proptest! {
    #[test]
    fn decoding_an_encoded_payload_gives_it_back(
        codec in any_codec(),
        slot in any_slot(),
        index in any_index(),
        otp in 0..1_000_000u32,
    ) {
        let payload = OfflinePayload { slot, index, otp };
        let code = codec.encode(&payload);
        prop_assert_eq!(code.prefix(), codec.prefix());
        let reparsed = PaymentCode::parse(&code.to_string()).unwrap();
        prop_assert_eq!(codec.decode(&reparsed), Ok(payload));
    }

    #[test]
    fn a_wallet_code_verifies_at_the_step_it_was_made(
        codec in any_codec(),
        slot in any_slot(),
        index in any_index(),
        unix_time in 0..40_000_000_000u64,
        secret in proptest::collection::vec(any::<u8>(), 16..=64),
        algorithm in any_algorithm(),
        clock_offset_steps in -1i64..=1,
    ) {
        let key = HotpKey::new(&Secret::from_bytes(secret).unwrap(), algorithm);
        let step = unix_time / PERIOD_SECONDS;
        let code = make_offline_code(&codec, slot, index, &key, step);

        let payload = codec.decode(&code).unwrap();
        prop_assert_eq!(payload.slot, slot);
        prop_assert_eq!(payload.index, index);
        let server_step = step.saturating_add_signed(clock_offset_steps);
        prop_assert_eq!(verify_offline_otp(&key, &payload, server_step, 1, 1), Some(step));
    }
}

#[test]
fn with_code_index_zero_the_password_is_plain_rfc_6238_totp() {
    let params = TotpParams {
        algorithm: Algorithm::Sha1,
        digits: Digits::SIX,
        period_seconds: 30,
    };
    let codec = OfflineCodec::new(DEFAULT_OFFLINE_PREFIX, &CodeKey::generate());
    let slot = DeviceSlot::new(4_242).unwrap();
    for algorithm in Algorithm::ALL {
        let secret = Secret::generate();
        let params = TotpParams {
            algorithm,
            ..params
        };
        let key = HotpKey::new(&secret, algorithm);
        for unix_time in [0, 29, 30, 59, 1_111_111_109, 2_000_000_000, 20_000_000_000] {
            let step = unix_time / u64::from(params.period_seconds);
            let code = make_offline_code(&codec, slot, CodeIndex::FIRST, &key, step);
            let payload = codec.decode(&code).unwrap();
            assert_eq!(
                format!("{:06}", payload.otp),
                totp::generate(&secret, &params, unix_time),
                "{algorithm} at {unix_time}"
            );
        }
    }
}

#[test]
fn the_password_of_every_other_index_is_hotp_of_the_shifted_counter() {
    let secret = Secret::generate();
    let key = HotpKey::new(&secret, Algorithm::Sha1);
    let codec = OfflineCodec::new(DEFAULT_OFFLINE_PREFIX, &CodeKey::generate());
    let slot = DeviceSlot::new(9).unwrap();
    for index in 0..=9 {
        let index = CodeIndex::new(index).unwrap();
        let step = 56_789_012;
        let payload = codec
            .decode(&make_offline_code(&codec, slot, index, &key, step))
            .unwrap();
        let counter = (u64::from(index.get()) << 56) | step;
        assert_eq!(offline_counter(index, step), counter);
        assert_eq!(payload.otp, key.value(counter, OTP_DIGITS));
    }
}

#[test]
fn one_million_slots_at_the_same_step_and_index_give_one_million_codes() {
    let codec = OfflineCodec::new(DEFAULT_OFFLINE_PREFIX, &CodeKey::generate());
    let slots = 1_000_000u32;
    let mut payloads = HashSet::with_capacity(slots as usize);
    // Every device shows the same password here, the worst case for a collision: only the slot
    // tells the codes apart, and FF1 being a permutation must keep them apart.
    for slot in 1..=slots {
        let payload = OfflinePayload {
            slot: DeviceSlot::new(slot).unwrap(),
            index: CodeIndex::FIRST,
            otp: 123_456,
        };
        payloads.insert(codec.encode(&payload).payload());
    }
    assert_eq!(payloads.len(), slots as usize);
}
