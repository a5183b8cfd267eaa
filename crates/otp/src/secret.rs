//! The shared secret of HOTP and TOTP.

use std::fmt;

use rand::rngs::OsRng;
use rand::RngCore;
use zeroize::Zeroizing;

use crate::limits::{GENERATED_SECRET_BYTES, MAX_SECRET_BYTES, MIN_SECRET_BITS};
use crate::{base32, constant_time_eq, Error};

/// The raw bytes of a shared secret (the key `K` of RFC 4226).
///
/// The bytes are zeroized when the secret is dropped, `Debug` prints `Secret([REDACTED])`, and
/// there is no `Display`: the only ways to see the bytes are the explicitly named
/// [`Secret::expose_bytes`] and [`Secret::to_base32`]. Equality is constant-time.
///
/// Generated secrets are never weak; imported ones may be (old systems used 80-bit secrets),
/// so importing accepts them and [`Secret::is_weak`] reports them.
#[derive(Clone)]
pub struct Secret {
    bytes: Zeroizing<Vec<u8>>,
}

impl Secret {
    /// Generates a 160-bit secret from the operating system's CSPRNG.
    pub fn generate() -> Secret {
        Self::generate_with_len(GENERATED_SECRET_BYTES)
            .expect("the default secret length is strong and within the limit")
    }

    /// Generates a secret of `bytes` bytes from the operating system's CSPRNG.
    ///
    /// Fails with [`Error::WeakSecret`] under 16 bytes (128 bits) and with
    /// [`Error::SecretTooLong`] over [`MAX_SECRET_BYTES`].
    pub fn generate_with_len(bytes: usize) -> Result<Secret, Error> {
        let bits = bytes.saturating_mul(8);
        if bits < MIN_SECRET_BITS {
            return Err(Error::WeakSecret { bits });
        }
        check_not_too_long(bytes)?;
        let mut secret = Zeroizing::new(vec![0u8; bytes]);
        OsRng.fill_bytes(&mut secret);
        Ok(Secret { bytes: secret })
    }

    /// Imports raw bytes, taking ownership so that no unzeroized copy is left behind.
    ///
    /// Fails only when the bytes are empty or longer than [`MAX_SECRET_BYTES`]; weak secrets
    /// are accepted and reported by [`Secret::is_weak`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Secret, Error> {
        let bytes = Zeroizing::new(bytes);
        if bytes.is_empty() {
            return Err(Error::EmptySecret);
        }
        check_not_too_long(bytes.len())?;
        Ok(Secret { bytes })
    }

    /// Imports a Base32 secret, with the tolerance of [`base32::decode`].
    pub fn from_base32(text: &str) -> Result<Secret, Error> {
        Secret::from_bytes(base32::decode(text)?)
    }

    /// The secret as upper-case Base32 without padding, as key URIs carry it.
    ///
    /// The returned string is not zeroized; callers that keep it should wrap it in
    /// [`zeroize::Zeroizing`].
    pub fn to_base32(&self) -> String {
        base32::encode(&self.bytes)
    }

    /// The raw bytes, for computing an HMAC or encrypting the secret at rest.
    pub fn expose_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The strength of the secret in bits: eight per byte.
    pub fn bits(&self) -> usize {
        self.bytes.len() * 8
    }

    /// Whether the secret is under the 128 bits that RFC 4226 section 4 requires.
    pub fn is_weak(&self) -> bool {
        self.bits() < MIN_SECRET_BITS
    }
}

fn check_not_too_long(bytes: usize) -> Result<(), Error> {
    if bytes > MAX_SECRET_BYTES {
        return Err(Error::SecretTooLong {
            bytes,
            limit: MAX_SECRET_BYTES,
        });
    }
    Ok(())
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Secret([REDACTED])")
    }
}

impl PartialEq for Secret {
    /// Compares in constant time, so that comparing a guessed secret with the real one does not
    /// reveal how many leading bytes were right. Only the lengths may leak.
    fn eq(&self, other: &Secret) -> bool {
        constant_time_eq(&self.bytes, &other.bytes)
    }
}

impl Eq for Secret {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_secret_has_160_bits_and_is_not_weak() {
        let secret = Secret::generate();
        assert_eq!(secret.expose_bytes().len(), 20);
        assert_eq!(secret.bits(), 160);
        assert!(!secret.is_weak());
    }

    #[test]
    fn two_generated_secrets_differ() {
        assert_ne!(Secret::generate(), Secret::generate());
    }

    #[test]
    fn generating_a_secret_under_128_bits_is_refused() {
        assert_eq!(
            Secret::generate_with_len(15).unwrap_err(),
            Error::WeakSecret { bits: 120 }
        );
        assert_eq!(
            Secret::generate_with_len(10).unwrap_err(),
            Error::WeakSecret { bits: 80 }
        );
        assert_eq!(
            Secret::generate_with_len(0).unwrap_err(),
            Error::WeakSecret { bits: 0 }
        );
        assert_eq!(Secret::generate_with_len(16).unwrap().bits(), 128);
        assert_eq!(Secret::generate_with_len(64).unwrap().bits(), 512);
    }

    #[test]
    fn generating_or_importing_a_secret_over_the_limit_is_refused() {
        assert!(matches!(
            Secret::generate_with_len(MAX_SECRET_BYTES + 1),
            Err(Error::SecretTooLong { .. })
        ));
        assert!(matches!(
            Secret::generate_with_len(usize::MAX),
            Err(Error::SecretTooLong { .. })
        ));
        assert!(matches!(
            Secret::from_bytes(vec![1; MAX_SECRET_BYTES + 1]),
            Err(Error::SecretTooLong { .. })
        ));
        assert!(Secret::from_bytes(vec![1; MAX_SECRET_BYTES]).is_ok());
    }

    #[test]
    fn an_imported_short_secret_is_accepted_and_reported_as_weak() {
        let secret = Secret::from_bytes(vec![7; 10]).unwrap();
        assert_eq!(secret.bits(), 80);
        assert!(secret.is_weak());
        assert!(Secret::from_bytes(vec![7; 15]).unwrap().is_weak());
        assert!(!Secret::from_bytes(vec![7; 16]).unwrap().is_weak());
        assert!(Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap().is_weak());
    }

    #[test]
    fn an_empty_secret_is_refused() {
        assert_eq!(Secret::from_bytes(Vec::new()), Err(Error::EmptySecret));
        assert_eq!(Secret::from_base32(" "), Err(Error::EmptySecret));
    }

    #[test]
    fn a_secret_round_trips_through_base32() {
        let secret = Secret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap();
        assert_eq!(secret.expose_bytes(), b"12345678901234567890");
        assert_eq!(secret.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(Secret::from_base32(&secret.to_base32()).unwrap(), secret);
    }

    #[test]
    fn a_secret_is_redacted_in_debug_output() {
        let secret = Secret::from_bytes(b"12345678901234567890".to_vec()).unwrap();
        let debug = format!("{secret:?}");
        let pretty = format!("{secret:#?}");
        assert_eq!(debug, "Secret([REDACTED])");
        for output in [&debug, &pretty] {
            assert!(!output.contains("1234"), "{output}");
            assert!(!output.contains("GEZDGNBV"), "{output}");
            assert!(!output.contains("49, 50"), "{output}");
        }
    }

    #[test]
    fn secrets_compare_by_content() {
        let a = Secret::from_bytes(vec![1, 2, 3]).unwrap();
        assert_eq!(a, a.clone());
        assert_ne!(a, Secret::from_bytes(vec![1, 2, 4]).unwrap());
        assert_ne!(a, Secret::from_bytes(vec![1, 2, 3, 0]).unwrap());
    }
}
