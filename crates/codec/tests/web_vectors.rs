//! Writes the test vectors the web wallet's JavaScript codec is checked against
//! (`web/test/vectors.json`), and fails if the committed file differs from what this codec makes.
//!
//! The browser makes offline codes with WebCrypto, not with this crate, so the two must agree on
//! every step: Base32 secrets and code keys, HOTP with all three algorithms and counters above
//! 2^53 (the code index sits in the top byte), FF1 at every length, and whole codes at random
//! times and periods. The vectors come from a seeded generator, so the file only changes when
//! the codec's output does. Regenerate it with `PAYCODE_WRITE_VECTORS=1 cargo test -p
//! paycode-codec --test web_vectors`.

use std::path::PathBuf;

use paycode_codec::{
    make_offline_code, offline_counter, CodeIndex, CodeKey, DeviceSlot, Ff1, OfflineCodec, Prefix,
    OTP_DIGITS,
};
use paycode_otp::totp;
use paycode_otp::{Algorithm, HotpKey, Secret};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

/// How many vectors of each kind the file holds.
const FF1_VECTORS: usize = 120;
const HOTP_VECTORS_PER_ALGORITHM: usize = 60;
const OFFLINE_CODE_VECTORS_PER_ALGORITHM: usize = 150;

/// The largest Unix time drawn: t = 2e10 (the year 2603) is one of RFC 6238's test times.
const LATEST_UNIX_TIME: u64 = 20_000_000_000;

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web/test/vectors.json")
}

fn random_bytes(random: &mut StdRng, length: usize) -> Vec<u8> {
    (0..length).map(|_| random.gen()).collect()
}

fn random_secret(random: &mut StdRng, algorithm: Algorithm) -> Secret {
    // The usual length for each algorithm half the time, any length from 16 to 64 bytes else.
    let length = if random.gen_bool(0.5) {
        match algorithm {
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    } else {
        random.gen_range(16..=64)
    };
    Secret::from_bytes(random_bytes(random, length)).expect("16 to 64 bytes is a valid secret")
}

fn random_code_key(random: &mut StdRng) -> CodeKey {
    CodeKey::from_bytes(&random_bytes(random, 16)).expect("16 bytes is an AES-128 key")
}

fn ff1_vectors(random: &mut StdRng) -> Vec<Value> {
    (0..FF1_VECTORS)
        .map(|number| {
            let key = random_code_key(random);
            let length = 2 + number % 18;
            let tweak: Vec<u8> = (0..random.gen_range(0..=8))
                .map(|_| random.gen_range(b'0'..=b'9'))
                .collect();
            let limit = 10u64.pow(length as u32);
            let plain = random.gen_range(0..limit);
            let cipher = Ff1::new(&key).encrypt(&tweak, plain, length);
            json!({
                "key": key.to_base32(),
                "tweak": String::from_utf8(tweak).expect("ASCII digits"),
                "plain": format!("{plain:0length$}"),
                "cipher": format!("{cipher:0length$}"),
            })
        })
        .collect()
}

fn hotp_vectors(random: &mut StdRng) -> Vec<Value> {
    let mut vectors = Vec::new();
    for algorithm in Algorithm::ALL {
        for _ in 0..HOTP_VECTORS_PER_ALGORITHM {
            let secret = random_secret(random, algorithm);
            let index = CodeIndex::new(random.gen_range(0..=9)).expect("0..=9 is a code index");
            let counter = offline_counter(index, random.gen_range(0..=LATEST_UNIX_TIME));
            let value = HotpKey::new(&secret, algorithm).code(counter, OTP_DIGITS);
            vectors.push(json!({
                "algorithm": algorithm.name(),
                "secret": secret.to_base32(),
                // Counters go past 2^53, so they travel as decimal strings.
                "counter": counter.to_string(),
                "value": value,
            }));
        }
    }
    vectors
}

fn offline_code_vectors(random: &mut StdRng) -> Vec<Value> {
    let mut vectors = Vec::new();
    for algorithm in Algorithm::ALL {
        for number in 0..OFFLINE_CODE_VECTORS_PER_ALGORITHM {
            let secret = random_secret(random, algorithm);
            let code_key = random_code_key(random);
            let prefix = Prefix::new(random.gen_range(10..=99)).expect("two digits");
            let slot = DeviceSlot::new(random.gen_range(1..=999_999_999)).expect("a slot");
            let index = CodeIndex::new(random.gen_range(0..=9)).expect("a code index");
            let period_seconds: u32 = if number % 3 == 0 {
                random.gen_range(1..=3600)
            } else {
                30
            };
            let unix_time = random.gen_range(0..=LATEST_UNIX_TIME);
            let step = totp::step(unix_time, period_seconds);
            let codec = OfflineCodec::new(prefix, &code_key);
            let key = HotpKey::new(&secret, algorithm);
            let code = make_offline_code(&codec, slot, index, &key, step);
            vectors.push(json!({
                "algorithm": algorithm.name(),
                "secret": secret.to_base32(),
                "code_key": code_key.to_base32(),
                "prefix": format!("{:02}", prefix.get()),
                "slot": slot.get(),
                "index": index.get(),
                "unix_time": unix_time,
                "period": period_seconds,
                "code": code.to_string(),
            }));
        }
    }
    vectors
}

fn all_vectors() -> String {
    let mut random = StdRng::seed_from_u64(0x7061_7963_6f64_6531);
    let vectors = json!({
        "about": "Made by crates/codec/tests/web_vectors.rs from the Rust codec; do not edit by hand.",
        "ff1": ff1_vectors(&mut random),
        "hotp": hotp_vectors(&mut random),
        "offline_codes": offline_code_vectors(&mut random),
    });
    let mut text = serde_json::to_string_pretty(&vectors).expect("JSON values serialise");
    text.push('\n');
    text
}

#[test]
fn the_committed_web_vectors_match_the_codec() {
    let expected = all_vectors();
    let path = vectors_path();
    if std::env::var_os("PAYCODE_WRITE_VECTORS").is_some() {
        std::fs::write(&path, &expected).expect("the web/test folder is writable");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "{} differs from what the codec makes; if the codec changed on purpose, regenerate it \
         with PAYCODE_WRITE_VECTORS=1 cargo test -p paycode-codec --test web_vectors",
        path.display()
    );
}

#[test]
fn the_vectors_are_made_the_same_way_every_time() {
    assert_eq!(all_vectors(), all_vectors());
}
