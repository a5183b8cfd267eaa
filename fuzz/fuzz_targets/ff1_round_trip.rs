//! FF1 (NIST SP 800-38G, radix 10): for any key, tweak, length and numeral string, decryption
//! inverts encryption and the ciphertext has the same number of digits.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode_codec::{CodeKey, Ff1, CODE_KEY_BYTES};

/// The lengths the implementation supports.
const MIN_LENGTH: usize = 2;
const MAX_LENGTH: usize = 19;

fuzz_target!(|data: &[u8]| {
    // Layout: 16 key bytes, 1 length byte, 8 value bytes, then the tweak.
    let Some((key, rest)) = data.split_first_chunk::<CODE_KEY_BYTES>() else {
        return;
    };
    let Some((&[length], rest)) = rest.split_first_chunk::<1>() else {
        return;
    };
    let Some((value, tweak)) = rest.split_first_chunk::<8>() else {
        return;
    };
    let length = MIN_LENGTH + usize::from(length) % (MAX_LENGTH - MIN_LENGTH + 1);
    let limit = 10_u64.pow(length as u32);
    let plain = u64::from_le_bytes(*value) % limit;

    let ff1 = Ff1::new(&CodeKey::from_bytes(key).expect("16 bytes are a code key"));
    let cipher = ff1.encrypt(tweak, plain, length);
    assert!(cipher < limit, "the ciphertext has {length} digits");
    assert_eq!(
        ff1.decrypt(tweak, cipher, length),
        plain,
        "decrypt inverts encrypt"
    );
    let decrypted = ff1.decrypt(tweak, plain, length);
    assert!(decrypted < limit);
    assert_eq!(
        ff1.encrypt(tweak, decrypted, length),
        plain,
        "encrypt inverts decrypt"
    );
});
