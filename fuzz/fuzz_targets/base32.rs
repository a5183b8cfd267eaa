//! Base32 (RFC 4648 with the tolerance of SPEC section 1): decoding any text refuses it or
//! yields bytes whose canonical encoding decodes to the same bytes; encoding any bytes and
//! decoding them again is the identity, however the text is spaced and cased.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode_otp::base32;

fuzz_target!(|data: &[u8]| {
    // Arbitrary bytes, encoded, come back unchanged, also in lower case and in groups of four.
    let encoded = base32::encode(data);
    assert!(!encoded.contains('='), "output has no padding");
    assert_eq!(
        base32::decode(&encoded).expect("own encoding decodes"),
        data
    );
    let lower = encoded.to_ascii_lowercase();
    assert_eq!(base32::decode(&lower).expect("lower case decodes"), data);
    let grouped: String = encoded
        .as_bytes()
        .chunks(4)
        .map(|group| std::str::from_utf8(group).expect("Base32 is ASCII"))
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(
        base32::decode(&grouped).expect("grouped text decodes"),
        data
    );

    // Arbitrary text is refused or decodes to bytes that survive a canonical round trip.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(bytes) = base32::decode(text) {
        let canonical = base32::encode(&bytes);
        assert_eq!(
            base32::decode(&canonical).expect("canonical text decodes"),
            bytes
        );
        let symbols = text.chars().filter(|c| *c != ' ' && *c != '=').count();
        assert_eq!(
            canonical.len(),
            symbols,
            "one symbol out for every symbol in"
        );
    }
});
