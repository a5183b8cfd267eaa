//! Checks the hand-written FF1 against the general `fpe` crate, an independent implementation
//! of NIST SP 800-38G, on random keys, tweaks, lengths and values.

use aes::Aes128;
use fpe::ff1::{FlexibleNumeralString, FF1};
use paycode_codec::{CodeKey, Ff1};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Random inputs compared in each run.
const CASES: usize = 5_000;

/// The `fpe` crate follows SP 800-38G Revision 1, which needs at least a million values
/// (six decimal digits); shorter lengths are covered by the exhaustive tests beside `Ff1`.
const FPE_MIN_LENGTH: usize = 6;

fn to_numerals(value: u64, length: usize) -> FlexibleNumeralString {
    let text = format!("{value:0length$}");
    let numerals: Vec<u16> = text.bytes().map(|digit| u16::from(digit - b'0')).collect();
    FlexibleNumeralString::from(numerals)
}

fn from_numerals(numerals: FlexibleNumeralString) -> u64 {
    Vec::<u16>::from(numerals)
        .into_iter()
        .fold(0, |value, digit| value * 10 + u64::from(digit))
}

#[test]
fn every_length_agrees_with_the_fpe_crate_both_ways() {
    let mut rng = StdRng::seed_from_u64(0x00FF_1FF1);
    for case in 0..CASES {
        let key_bytes: [u8; 16] = rng.gen();
        let tweak: Vec<u8> = (0..rng.gen_range(0..=40)).map(|_| rng.gen()).collect();
        let length = rng.gen_range(FPE_MIN_LENGTH..=19);
        let value = rng.gen_range(0..10u64.pow(length as u32));

        let ours = Ff1::new(&CodeKey::from_bytes(&key_bytes).unwrap());
        let theirs = FF1::<Aes128>::new(&key_bytes, 10).unwrap();

        let ciphertext = ours.encrypt(&tweak, value, length);
        let expected = from_numerals(theirs.encrypt(&tweak, &to_numerals(value, length)).unwrap());
        assert_eq!(
            ciphertext, expected,
            "case {case}: encrypting {value:0length$} (length {length}, tweak {tweak:02x?})"
        );

        // Decrypting an unrelated value checks decryption on its own, not only as an inverse.
        let other = rng.gen_range(0..10u64.pow(length as u32));
        let decrypted = ours.decrypt(&tweak, other, length);
        let expected = from_numerals(theirs.decrypt(&tweak, &to_numerals(other, length)).unwrap());
        assert_eq!(
            decrypted, expected,
            "case {case}: decrypting {other:0length$} (length {length}, tweak {tweak:02x?})"
        );
        assert_eq!(
            ours.decrypt(&tweak, ciphertext, length),
            value,
            "case {case}: round trip"
        );
    }
}

#[test]
fn payment_code_shaped_inputs_agree_with_the_fpe_crate() {
    // Sixteen digits under a two-digit ASCII tweak is the one shape production uses.
    let mut rng = StdRng::seed_from_u64(81);
    let key_bytes: [u8; 16] = rng.gen();
    let ours = Ff1::new(&CodeKey::from_bytes(&key_bytes).unwrap());
    let theirs = FF1::<Aes128>::new(&key_bytes, 10).unwrap();
    for case in 0..CASES {
        let tweak = format!("{:02}", rng.gen_range(0..100));
        let value = rng.gen_range(0..10u64.pow(16));
        let expected = from_numerals(
            theirs
                .encrypt(tweak.as_bytes(), &to_numerals(value, 16))
                .unwrap(),
        );
        assert_eq!(
            ours.encrypt(tweak.as_bytes(), value, 16),
            expected,
            "case {case}: encrypting {value:016} under tweak {tweak}"
        );
    }
}
