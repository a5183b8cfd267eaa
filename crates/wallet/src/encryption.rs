//! Passphrase encryption of the whole wallet file: Argon2id, then AES-256-GCM.
//!
//! ```json
//! {"format":"paycode-wallet-encrypted-v1",
//!  "kdf":{"algorithm":"argon2id","m_cost":19456,"t_cost":2,"p_cost":1,"salt":"<Base64>"},
//!  "nonce":"<Base64>","ciphertext":"<Base64>"}
//! ```
//!
//! The key is derived afresh for each save with a new random salt, and the nonce is random
//! too, so a nonce never repeats under one key. The format name is the associated data, so
//! the ciphertext cannot be passed off as another format. Everything an attacker could change
//! in the envelope (costs, salt, nonce) changes the key or the nonce, so decryption fails: a
//! wrong passphrase and a tampered file are reported the same way.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use argon2::{Argon2, Params, Version};
use data_encoding::BASE64;
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::limits::{
    DEFAULT_KDF_LANES, DEFAULT_KDF_MEMORY_KIB, DEFAULT_KDF_PASSES, KDF_SALT_BYTES,
    KDF_SALT_BYTES_ACCEPTED, MAX_KDF_LANES, MAX_KDF_MEMORY_KIB, MAX_KDF_PASSES,
};
use crate::Error;

/// The `format` of an encrypted wallet file.
pub(crate) const ENCRYPTED_FORMAT: &str = "paycode-wallet-encrypted-v1";

const KDF_ALGORITHM: &str = "argon2id";
const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    format: String,
    kdf: KdfRecord,
    nonce: String,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KdfRecord {
    algorithm: String,
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
    salt: String,
}

/// Encrypts `plaintext` under `passphrase` and returns the envelope as JSON.
pub(crate) fn seal(plaintext: &[u8], passphrase: &str) -> Vec<u8> {
    let mut salt = [0u8; KDF_SALT_BYTES];
    OsRng.fill_bytes(&mut salt);
    let mut nonce = [0u8; NONCE_BYTES];
    OsRng.fill_bytes(&mut nonce);
    let kdf = KdfRecord {
        algorithm: KDF_ALGORITHM.to_owned(),
        m_cost: DEFAULT_KDF_MEMORY_KIB,
        t_cost: DEFAULT_KDF_PASSES,
        p_cost: DEFAULT_KDF_LANES,
        salt: BASE64.encode(&salt),
    };
    let key = derive_key(passphrase, &salt, &kdf).expect("the default costs are valid");
    let ciphertext = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.as_slice()))
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: ENCRYPTED_FORMAT.as_bytes(),
            },
        )
        .expect("AES-GCM encrypts any wallet-sized message");
    let envelope = Envelope {
        format: ENCRYPTED_FORMAT.to_owned(),
        kdf,
        nonce: BASE64.encode(&nonce),
        ciphertext: BASE64.encode(&ciphertext),
    };
    serde_json::to_vec_pretty(&envelope).expect("an envelope serializes")
}

/// Decrypts an encrypted wallet file read from `path`.
pub(crate) fn open(
    bytes: &[u8],
    passphrase: &str,
    path: &Path,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let invalid = |reason: String| Error::InvalidWalletFile {
        path: path.to_owned(),
        reason,
    };
    let envelope: Envelope = serde_json::from_slice(bytes)
        .map_err(|error| invalid(crate::wallet::describe_json_error(&error)))?;
    if envelope.kdf.algorithm != KDF_ALGORITHM {
        return Err(invalid(format!(
            "the key derivation {:?} is unknown; expected {KDF_ALGORITHM}",
            envelope.kdf.algorithm
        )));
    }
    check_costs(&envelope.kdf).map_err(invalid)?;
    let salt = decode_base64(&envelope.kdf.salt, "salt").map_err(invalid)?;
    if !KDF_SALT_BYTES_ACCEPTED.contains(&salt.len()) {
        return Err(invalid(format!(
            "the salt has {} bytes; expected {} to {}",
            salt.len(),
            KDF_SALT_BYTES_ACCEPTED.start(),
            KDF_SALT_BYTES_ACCEPTED.end()
        )));
    }
    let nonce = decode_base64(&envelope.nonce, "nonce").map_err(invalid)?;
    if nonce.len() != NONCE_BYTES {
        return Err(invalid(format!(
            "the nonce has {} bytes; expected {NONCE_BYTES}",
            nonce.len()
        )));
    }
    let ciphertext = decode_base64(&envelope.ciphertext, "ciphertext").map_err(invalid)?;
    let key = derive_key(passphrase, &salt, &envelope.kdf).map_err(invalid)?;
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.as_slice()))
        .decrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &ciphertext,
                aad: ENCRYPTED_FORMAT.as_bytes(),
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| Error::WrongPassphrase {
            path: path.to_owned(),
        })
}

/// Refuses costs that would make loading a hostile file take minutes or gigabytes.
fn check_costs(kdf: &KdfRecord) -> Result<(), String> {
    let within = |name: &str, value: u32, limit: u32| {
        if value == 0 || value > limit {
            Err(format!(
                "the key derivation's {name} is {value}; expected 1 to {limit}"
            ))
        } else {
            Ok(())
        }
    };
    within("m_cost", kdf.m_cost, MAX_KDF_MEMORY_KIB)?;
    within("t_cost", kdf.t_cost, MAX_KDF_PASSES)?;
    within("p_cost", kdf.p_cost, MAX_KDF_LANES)
}

fn derive_key(
    passphrase: &str,
    salt: &[u8],
    kdf: &KdfRecord,
) -> Result<Zeroizing<[u8; KEY_BYTES]>, String> {
    let params = Params::new(kdf.m_cost, kdf.t_cost, kdf.p_cost, Some(KEY_BYTES))
        .map_err(|error| format!("the key derivation's costs are not valid: {error}"))?;
    let mut key = Zeroizing::new([0u8; KEY_BYTES]);
    Argon2::new(argon2::Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, key.as_mut_slice())
        .map_err(|error| format!("the key derivation failed: {error}"))?;
    Ok(key)
}

fn decode_base64(text: &str, field: &str) -> Result<Vec<u8>, String> {
    BASE64
        .decode(text.as_bytes())
        .map_err(|_| format!("the {field} is not Base64"))
}
