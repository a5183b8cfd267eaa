//! Payment code parsing and offline decoding (SPEC section 2): any text either parses to a code
//! that prints back as the same 18 digits, or is refused; a parsed code of the offline prefix
//! decodes under a fixed key to a payload that encodes back to the same code.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode_codec::{CodeKey, OfflineCodec, PaymentCode, DEFAULT_OFFLINE_PREFIX};
use std::sync::LazyLock;

/// A fixed code key, so that a crash reproduces from its input alone.
static CODEC: LazyLock<OfflineCodec> = LazyLock::new(|| {
    let key = CodeKey::from_bytes(&[0x2b; 16]).expect("16 bytes are a code key");
    OfflineCodec::new(DEFAULT_OFFLINE_PREFIX, &key)
});

fuzz_target!(|text: &str| {
    let Ok(code) = PaymentCode::parse(text) else {
        return;
    };
    assert_eq!(
        code.to_string(),
        text,
        "a parsed code prints as it was read"
    );
    // Whatever the prefix, decoding refuses or yields a payload; it never panics.
    if let Ok(payload) = CODEC.decode(&code) {
        assert_eq!(code.prefix(), DEFAULT_OFFLINE_PREFIX);
        assert!(payload.otp < 1_000_000, "the password has six digits");
        assert_eq!(
            CODEC.encode(&payload),
            code,
            "decode then encode is the identity"
        );
    }
    // The same payload under the offline prefix always decodes.
    let offline = PaymentCode::new(DEFAULT_OFFLINE_PREFIX, code.payload())
        .expect("a parsed payload has 16 digits");
    if let Ok(payload) = CODEC.decode(&offline) {
        assert_eq!(CODEC.encode(&payload), offline);
    }
});
