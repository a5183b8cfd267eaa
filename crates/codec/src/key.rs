//! The code key: the AES-128 key under which one offline prefix's codes are FF1-encrypted.

use std::fmt;

use data_encoding::BASE32_NOPAD;
use rand::rngs::OsRng;
use rand::RngCore;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::Error;

/// The length of a code key in bytes (AES-128).
pub const CODE_KEY_BYTES: usize = 16;

/// A 16-byte AES-128 key for the FF1 encryption of offline codes (`K_code(P)` in the
/// specification).
///
/// Every wallet holds the key of its prefix, so it keeps codes private from merchants and
/// bystanders but does not make them authentic; the one-time password inside does that. It is
/// still key material: it is wiped from memory when dropped and never shown by `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct CodeKey {
    bytes: [u8; CODE_KEY_BYTES],
}

impl CodeKey {
    /// Draws a fresh key from the operating system's cryptographically secure generator.
    pub fn generate() -> Self {
        let mut key = CodeKey {
            bytes: [0; CODE_KEY_BYTES],
        };
        OsRng.fill_bytes(&mut key.bytes);
        key
    }

    /// Copies a key from raw bytes, which must be exactly 16.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let bytes: [u8; CODE_KEY_BYTES] = bytes.try_into().map_err(|_| Error::CodeKeyLength {
            length: bytes.len(),
        })?;
        Ok(CodeKey { bytes })
    }

    /// Reads a key from unpadded RFC 4648 Base32, in upper or lower case (26 characters for 16
    /// bytes). Trailing `=` padding is tolerated.
    pub fn from_base32(text: &str) -> Result<Self, Error> {
        let upper = Zeroizing::new(text.trim_end_matches('=').to_ascii_uppercase());
        let decoded = Zeroizing::new(
            BASE32_NOPAD
                .decode(upper.as_bytes())
                .map_err(|_| Error::CodeKeyBase32)?,
        );
        CodeKey::from_bytes(&decoded)
    }

    /// Writes the key as unpadded upper-case RFC 4648 Base32, the form used in provisioning
    /// URIs and configuration.
    pub fn to_base32(&self) -> String {
        BASE32_NOPAD.encode(&self.bytes)
    }

    /// The raw key bytes, for handing to a cipher or writing to protected storage.
    pub fn expose_bytes(&self) -> &[u8; CODE_KEY_BYTES] {
        &self.bytes
    }
}

impl fmt::Debug for CodeKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("CodeKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_survives_base32_in_either_case() {
        let key = CodeKey::generate();
        let text = key.to_base32();
        assert_eq!(text.len(), 26);
        assert!(!text.contains('='));
        let upper = CodeKey::from_base32(&text).unwrap();
        let lower = CodeKey::from_base32(&text.to_ascii_lowercase()).unwrap();
        assert_eq!(upper.expose_bytes(), key.expose_bytes());
        assert_eq!(lower.expose_bytes(), key.expose_bytes());
    }

    #[test]
    fn a_key_of_the_wrong_length_is_refused() {
        for length in [0, 15, 17, 32] {
            let error = CodeKey::from_bytes(&vec![0; length]).unwrap_err();
            assert_eq!(error, Error::CodeKeyLength { length });
        }
        // Ten bytes of valid Base32 are still not a key.
        let short = BASE32_NOPAD.encode(&[1; 10]);
        assert_eq!(
            CodeKey::from_base32(&short).unwrap_err(),
            Error::CodeKeyLength { length: 10 }
        );
    }

    #[test]
    fn text_that_is_not_base32_is_refused_without_echoing_it() {
        let error = CodeKey::from_base32("not base32 at all!").unwrap_err();
        assert_eq!(error, Error::CodeKeyBase32);
        assert!(!error.to_string().contains("base32 at all"));
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let key = CodeKey::from_bytes(&[0xAB; 16]).unwrap();
        let debug = format!("{key:?}");
        assert_eq!(debug, "CodeKey(<redacted>)");
        assert!(!debug.contains(&key.to_base32()));
    }

    #[test]
    fn two_generated_keys_differ() {
        assert_ne!(
            CodeKey::generate().expose_bytes(),
            CodeKey::generate().expose_bytes()
        );
    }
}
