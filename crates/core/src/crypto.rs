//! The domain's cryptography, each piece from a RustCrypto crate: AES-256-GCM for secrets at
//! rest, SHA-256 for bearer credentials, HMAC-SHA256 for online codes, Argon2id for passwords
//! and PINs.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::error::Error;
use crate::model::SealedSecret;

/// Length of a master key: AES-256.
pub const MASTER_KEY_BYTES: usize = 32;
/// Length of a GCM nonce.
const NONCE_BYTES: usize = 12;
/// Random bytes in a bearer token (session, API key, admin key): 256 bits.
const TOKEN_BYTES: usize = 32;

/// One master key with its id.
pub struct MasterKey {
    id: u32,
    bytes: Zeroizing<[u8; MASTER_KEY_BYTES]>,
}

impl MasterKey {
    /// A key from its id and bytes.
    pub fn new(id: u32, bytes: [u8; MASTER_KEY_BYTES]) -> Self {
        Self {
            id,
            bytes: Zeroizing::new(bytes),
        }
    }

    /// A fresh random key.
    pub fn generate(id: u32) -> Self {
        let mut bytes = [0u8; MASTER_KEY_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let key = Self::new(id, bytes);
        bytes.zeroize();
        key
    }

    /// The key's id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The key's bytes, for writing the key file.
    pub fn expose_bytes(&self) -> &[u8; MASTER_KEY_BYTES] {
        &self.bytes
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "MasterKey({}, [REDACTED])", self.id)
    }
}

/// The master keys: the current one seals, any of them opens. Rotation adds a key, makes it
/// current and re-encrypts every sealed value; then the old key can be removed.
#[derive(Debug)]
pub struct MasterKeys {
    current: u32,
    keys: Vec<MasterKey>,
}

impl MasterKeys {
    /// A key ring whose current key is `current`, which must be among `keys`.
    pub fn new(current: u32, keys: Vec<MasterKey>) -> Result<Self, Error> {
        if !keys.iter().any(|key| key.id == current) {
            return Err(Error::Config(format!(
                "master key {current} is not in the key file"
            )));
        }
        Ok(Self { current, keys })
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> u32 {
        self.current
    }

    /// The keys, for writing the key file.
    pub fn keys(&self) -> &[MasterKey] {
        &self.keys
    }

    fn cipher(&self, id: u32) -> Result<Aes256Gcm, Error> {
        let key = self.keys.iter().find(|key| key.id == id).ok_or_else(|| {
            Error::Internal(format!("master key {id} is missing from the key file"))
        })?;
        Aes256Gcm::new_from_slice(key.bytes.as_slice())
            .map_err(|_| Error::Internal("bad master key length".to_owned()))
    }

    /// Encrypts `plaintext` under the current key, binding it to `associated_data` (the device
    /// id, or the name of a setting) so a ciphertext copied to another row does not open.
    pub fn seal(&self, associated_data: &[u8], plaintext: &[u8]) -> Result<SealedSecret, Error> {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher(self.current)?
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: associated_data,
                },
            )
            .map_err(|_| Error::Internal("encryption failed".to_owned()))?;
        Ok(SealedSecret {
            key_id: self.current,
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Decrypts a sealed value with the key it names.
    pub fn open(
        &self,
        associated_data: &[u8],
        sealed: &SealedSecret,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        if sealed.nonce.len() != NONCE_BYTES {
            return Err(Error::Internal("sealed value has a bad nonce".to_owned()));
        }
        self.cipher(sealed.key_id)?
            .decrypt(
                Nonce::from_slice(&sealed.nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: associated_data,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| {
                Error::Internal(
                    "a sealed value does not open: wrong key or tampered data".to_owned(),
                )
            })
    }
}

/// SHA-256 of a bearer credential. Tokens carry 256 random bits, so an unkeyed hash is enough
/// to make a leaked table useless; it lets any server instance look a token up by hash.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// HMAC-SHA256 of `data` under `key`. Online codes have only 53 bits of entropy, so a plain
/// hash could be reversed by brute force from a leaked table; the key lives outside the table.
pub fn keyed_hash(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Compares two byte strings in constant time (for credential hashes).
pub fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    left.len() == right.len() && bool::from(left.ct_eq(right))
}

/// A new bearer token: `prefix` then 256 random bits in lower-case Base32.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = Zeroizing::new([0u8; TOKEN_BYTES]);
    rand::rngs::OsRng.fill_bytes(bytes.as_mut());
    format!(
        "{prefix}{}",
        data_encoding::BASE32_NOPAD
            .encode(bytes.as_ref())
            .to_ascii_lowercase()
    )
}

/// Argon2id hash of a password or PIN, in PHC string format with a random salt.
pub fn hash_password(password: &str) -> Result<String, Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| Error::Internal(format!("password hashing failed: {error}")))
}

/// Checks a password or PIN against its Argon2id hash, in constant time.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> MasterKeys {
        MasterKeys::new(
            2,
            vec![MasterKey::new(1, [1; 32]), MasterKey::new(2, [2; 32])],
        )
        .unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_associated_data() {
        let keys = keys();
        let sealed = keys.seal(b"device:7", b"secret bytes").unwrap();
        assert_eq!(sealed.key_id, 2);
        assert_eq!(
            keys.open(b"device:7", &sealed).unwrap().as_slice(),
            b"secret bytes"
        );
        assert!(keys.open(b"device:8", &sealed).is_err());
        assert!(!sealed
            .ciphertext
            .windows(12)
            .any(|window| window == b"secret bytes"));
    }

    #[test]
    fn an_old_key_still_opens_what_it_sealed() {
        let old = MasterKeys::new(1, vec![MasterKey::new(1, [1; 32])]).unwrap();
        let sealed = old.seal(b"x", b"y").unwrap();
        assert_eq!(keys().open(b"x", &sealed).unwrap().as_slice(), b"y");
    }

    #[test]
    fn passwords_verify_only_when_equal() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse"));
        assert!(!verify_password(&hash, "correct horsf"));
        assert!(!verify_password("not a hash", "correct horse"));
    }

    #[test]
    fn tokens_are_long_random_and_prefixed() {
        let token = new_token("pk_");
        assert!(token.starts_with("pk_") && token.len() > 50);
        assert_ne!(token, new_token("pk_"));
    }
}
