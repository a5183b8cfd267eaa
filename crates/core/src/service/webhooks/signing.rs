//! The signature a merchant checks on every notification (SPEC section 7).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// `Paycode-Signature` of a body sent at `unix_seconds` (SPEC section 7):
/// `t=<unix seconds>,v1=<lower-case hex of HMAC-SHA256(secret, t + "." + body)>`.
pub fn signature_header(secret: &[u8], unix_seconds: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts any key");
    mac.update(unix_seconds.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    format!(
        "t={unix_seconds},v1={}",
        data_encoding::HEXLOWER.encode(&digest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_the_time_a_dot_and_the_body() {
        // Computed independently: printf '1700000000.{"id":1}' |
        //   openssl dgst -sha256 -hmac whsec_test
        let header = signature_header(b"whsec_test", 1_700_000_000, br#"{"id":1}"#);
        assert_eq!(
            header,
            "t=1700000000,v1=2f441ba4b3b2d50d28a9ab9d9fd8880376ecd1eb5d0435401553f5d8d0a5dcf8"
        );
        assert_ne!(
            header,
            signature_header(b"whsec_test", 1_700_000_001, br#"{"id":1}"#)
        );
    }
}
