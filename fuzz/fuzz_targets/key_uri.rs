//! Key URIs (SPEC section 1): any text is refused or parses to a key URI that, formatted and
//! parsed again, is equal to the first, and formats to the same text the second time.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode_otp::uri::KeyUri;

fuzz_target!(|text: &str| {
    let Ok(parsed) = KeyUri::parse(text) else {
        return;
    };
    let formatted = parsed.to_uri();
    let again = KeyUri::parse(&formatted).expect("a formatted key URI parses");
    assert_eq!(again, parsed, "format then parse is the identity");
    assert_eq!(again.to_uri(), formatted, "formatting is stable");
});
