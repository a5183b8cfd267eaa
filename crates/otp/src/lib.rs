//! One-time passwords for paycode: HOTP (RFC 4226), TOTP (RFC 6238), the secrets they share,
//! Base32 (RFC 4648) and key URIs in the Google Authenticator format.
//!
//! This crate owns the arithmetic of one-time passwords and nothing around it. It is pure: it
//! reads no clock (callers pass Unix time), touches no files or network, and knows nothing of
//! money or payment codes. The one exception to determinism is [`Secret::generate`], which
//! draws from the operating system's CSPRNG.
//!
//! - [`Secret`] holds the shared key, redacted in `Debug` and zeroized on drop.
//! - [`HotpKey`] prepares the HMAC state of a secret once, for many counters or time steps.
//! - [`hotp`] and [`totp`] generate and verify codes; verification returns the matched counter
//!   or step so that callers can refuse replays, compares in constant time, and bounds its
//!   search (see [`limits`]).
//! - [`base32`] and [`uri`] read and write secrets and key URIs.
//!
//! ```
//! use paycode_otp::{totp, HotpKey, Secret, TotpParams, Window};
//!
//! let secret = Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")?;
//! let params = TotpParams::default();
//! let code = totp::generate(&secret, &params, 59);
//! assert_eq!(code, "287082");
//!
//! let key = HotpKey::new(&secret, params.algorithm);
//! assert_eq!(totp::verify(&key, &params, &code, 65, Window::symmetric(1)), Some(1));
//! # Ok::<(), paycode_otp::Error>(())
//! ```

mod algorithm;
pub mod base32;
mod error;
pub mod hotp;
pub mod limits;
mod secret;
pub mod totp;
pub mod uri;

pub use algorithm::{Algorithm, Digits};
pub use error::Error;
pub use hotp::HotpKey;
pub use secret::Secret;
pub use totp::{TotpParams, Window};

/// Compares two byte strings in time that depends only on their lengths, not their contents.
///
/// Use it for anything an attacker could guess byte by byte, such as codes or secrets.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_equality_agrees_with_ordinary_equality() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"123456", b"123456"));
        assert!(!constant_time_eq(b"123456", b"123457"));
        assert!(!constant_time_eq(b"123456", b"12345"));
        assert!(!constant_time_eq(b"", b"0"));
    }
}
