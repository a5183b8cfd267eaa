//! Interoperability: paycode's TOTP must give the same codes as the independent `totp-rs`
//! implementation for every algorithm, number of digits, period and time, including short
//! secrets that only importing accepts.

use paycode_otp::{totp, Algorithm, Digits, Secret, TotpParams};
use proptest::prelude::*;

fn their_algorithm(algorithm: Algorithm) -> totp_rs::Algorithm {
    match algorithm {
        Algorithm::Sha1 => totp_rs::Algorithm::SHA1,
        Algorithm::Sha256 => totp_rs::Algorithm::SHA256,
        Algorithm::Sha512 => totp_rs::Algorithm::SHA512,
    }
}

fn any_time() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..=120, 0u64..=40_000_000_000, any::<u64>(),]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn totp_codes_match_the_totp_rs_crate(
        secret_bytes in proptest::collection::vec(any::<u8>(), 1..=80),
        algorithm in proptest::sample::select(Algorithm::ALL.to_vec()),
        digit_count in 6u8..=8,
        period_seconds in 1u32..=3600,
        unix_time in any_time(),
    ) {
        let digits = Digits::new(digit_count).unwrap();
        let params = TotpParams::new(algorithm, digits, period_seconds).unwrap();
        let secret = Secret::from_bytes(secret_bytes.clone()).unwrap();
        let ours = totp::generate(&secret, &params, unix_time);
        // The unchecked constructor skips totp-rs's 128-bit minimum, so short imported secrets
        // are compared too.
        let theirs = totp_rs::TOTP::new_unchecked(
            their_algorithm(algorithm),
            usize::from(digit_count),
            0,
            u64::from(period_seconds),
            secret_bytes,
        )
        .generate(unix_time);
        prop_assert_eq!(
            &ours,
            &theirs,
            "{} with {} digits, period {} s, at t = {}",
            algorithm,
            digits,
            period_seconds,
            unix_time
        );
    }
}
